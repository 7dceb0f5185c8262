// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmds.c - option parsing and output of list and the device commands
 * (the operations themselves are in ops.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json_util.h>

#include "tdaxctl.h"

static void bad_option(int c, char **argv)
{
	const char *o = argv[optind - 1];

	if (c == ':')
		usage_error("option '%s' needs a value (see tdaxctl %s --help)", o, tdaxctl_cmd);
	usage_error("unknown option '%s' (see tdaxctl %s --help)",
		    optopt && optopt != '?' ? (char[]){ '-', (char)optopt, 0 } : o, tdaxctl_cmd);
}

static int parse_region(const char *s)
{
	char *end;
	long v;

	if (!strncmp(s, "region", 6))
		s += 6;
	v = strtol(s, &end, 10);
	if (!*s || *end || v < 0 || v > 1 << 20)
		usage_error("bad region '%s' (a region id, e.g. 1)", s);
	return (int)v;
}

static uint64_t parse_size_opt(const char *opt, const char *s)
{
	uint64_t v;

	if (tdax_parse_size(s, &v))
		usage_error("bad %s '%s' (bytes, or with K, M, G, T: e.g. 512M)", opt, s);
	return v;
}

static void parse_policy(struct dev_conf *c, const char *s)
{
	if (strcmp(s, "strict") && strcmp(s, "fallback"))
		usage_error("bad fault policy '%s' (strict or fallback)", s);
	c->has_policy = true;
	snprintf(c->policy, sizeof(c->policy), "%s", s);
}

static void parse_mode(struct dev_conf *c, const char *s)
{
	if (strcmp(s, "devdax") && strcmp(s, "system-ram"))
		usage_error("bad mode '%s' (devdax or system-ram)", s);
	c->has_mode = true;
	snprintf(c->mode, sizeof(c->mode), "%s", s);
}

static int parse_timeout(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (!*s || *end || v < 0 || v > 86400)
		usage_error("bad offline timeout '%s' (seconds, 0 for no limit)", s);
	return (int)v;
}

static void help(const char *text)
{
	fputs(text, stdout);
	exit(0);
}

/* ---- list ---------------------------------------------------------------- */

static const char list_help[] =
"Usage: tdaxctl list [-R] [-D] [-M] [-r REGION] [-d DEV] [-i] [-u]\n"
"\n"
"Print tdax regions and devices as JSON, like daxctl list.  Without -R or\n"
"-D: devices (or, with only -r, that region).  Devices of size 0 (seeds\n"
"waiting for a size) are left out unless -i.\n"
"\n"
"  -R, --regions      regions: path, id, size, available_size (if not 0),\n"
"                     align, provider, persistence_domain (if any)\n"
"  -D, --devices      devices (inside their region with -R): chardev, size,\n"
"                     target_node, align, mode (devdax, or system-ram when\n"
"                     bound to tdax_kmem, with online/total_memblocks and\n"
"                     movable), state (\"disabled\" when unbound),\n"
"                     fault_policy, numa_node, persistence_domain (if any)\n"
"  -M, --mappings     each device's physical ranges: page_offset, start, end\n"
"                     (inclusive), size\n"
"  -r, --region=R     only region R\n"
"  -d, --dev=DEV      only device DEV (tdaxR.N or R.N)\n"
"  -i, --idle         include devices of size 0\n"
"  -u, --human        sizes as \"1.00 GiB (1.07 GB)\", addresses as hex strings\n"
"  -j, --json         JSON output (the default; accepted for ndctl habits)\n"
"\n"
"'tdaxctl list -M' output is what create-device --input and\n"
"apply-config (*.json files) read back.\n";

int cmd_list(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "regions", no_argument, NULL, 'R' }, { "devices", no_argument, NULL, 'D' },
		{ "mappings", no_argument, NULL, 'M' }, { "region", required_argument, NULL, 'r' },
		{ "dev", required_argument, NULL, 'd' }, { "idle", no_argument, NULL, 'i' },
		{ "human", no_argument, NULL, 'u' }, { "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	bool regions = false, devs = false;
	const char *dev = NULL;
	unsigned int flags = 0;
	struct json_object *arr;
	struct tdax_ctx *ctx;
	int region = -1, c;
	size_t i, j;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":RDMr:d:iujh", lo, NULL)) != -1) {
		switch (c) {
		case 'R': regions = true; break;
		case 'D': devs = true; break;
		case 'M': flags |= JF_MAPPINGS; break;
		case 'r': region = parse_region(optarg); break;
		case 'd': dev = optarg; break;
		case 'i': flags |= JF_IDLE; break;
		case 'u': flags |= JF_HUMAN; break;
		case 'j': break;
		case 'h': help(list_help); break;
		default: bad_option(c, argv);
		}
	}
	if (optind < argc)
		usage_error("unknown parameter '%s' (see tdaxctl list --help)", argv[optind]);
	if (!regions && !devs) {
		regions = region >= 0;
		devs = dev != NULL;
	}
	if (!regions && !devs)
		devs = true;
	if (devs)
		flags |= JF_DEVS;

	ctx = open_ctx(false);
	arr = json_object_new_array();
	for (i = 0; i < ctx->nregions; i++) {
		struct tdax_region *r = &ctx->regions[i];

		if (region >= 0 && r->id != region)
			continue;
		if (regions) {
			json_object_array_add(arr, region_to_json(ctx, r, dev, flags));
			continue;
		}
		for (j = 0; j < r->ndevices; j++) {
			struct tdax_device *d = &r->devices[j];

			if (!dev_filter_match(d, dev) || (!(flags & JF_IDLE) && !d->size))
				continue;
			json_object_array_add(arr, dev_to_json(ctx, d, flags));
		}
	}
	display_json_array(arr, flags);
	tdax_ctx_free(ctx);
	return 0;
}

/* ---- device arguments ------------------------------------------------------ */

/*
 * DEV... or "all" (every device with a size in the -r region, or in all
 * regions; destroy skips device 0).  Unknown names are an error.
 */
static char **resolve(struct tdax_ctx *ctx, int argc, char **argv, int region, bool all_skip0,
		      int *n)
{
	char **names = NULL;
	int i, k = 0;
	size_t a, b;

	*n = 0;
	if (argc <= 0)
		usage_error("specify a device (tdaxR.N), or \"all\" (see tdaxctl %s --help)",
			    tdaxctl_cmd);
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "all")) {
			for (a = 0; a < ctx->nregions; a++) {
				struct tdax_region *r = &ctx->regions[a];

				if (region >= 0 && r->id != region)
					continue;
				for (b = 0; b < r->ndevices; b++) {
					if (!r->devices[b].size || (all_skip0 && !r->devices[b].id))
						continue;
					names = realloc(names, (k + 1) * sizeof(*names));
					names[k++] = strdup(r->devices[b].name);
				}
			}
			continue;
		}
		{
			char buf[TDAX_SYSFS_NAME_LEN];
			struct tdax_device *d;

			snprintf(buf, sizeof(buf), "%s%s", strncmp(argv[i], "tdax", 4) ? "tdax" : "",
				 argv[i]);
			if (tdax_parse_name(buf, NULL, NULL))
				usage_error("bad device name '%s' (tdaxR.N, or \"all\")", argv[i]);
			d = tdax_device_find(ctx, buf);
			if (!d || (region >= 0 && d->region_id != region)) {
				op_error("%s: no such device%s", buf,
					 region >= 0 && d ? " in that region" : "");
				exit(EXIT_OP);
			}
			names = realloc(names, (k + 1) * sizeof(*names));
			names[k++] = strdup(buf);
		}
	}
	*n = k;
	return names;
}

static void summary(const char *verb, int done)
{
	fprintf(stderr, "%s %d device%s\n", verb, done, done == 1 ? "" : "s");
}

static void print_devices(struct tdax_ctx *ctx, char **names, int n, unsigned int flags)
{
	struct json_object *arr = json_object_new_array();
	int i;

	tdax_ctx_scan(ctx);
	for (i = 0; i < n; i++) {
		struct tdax_device *d = tdax_device_find(ctx, names[i]);

		if (d)
			json_object_array_add(arr, dev_to_json(ctx, d, flags));
	}
	display_json_array(arr, flags);
}

/* ---- create-device ----------------------------------------------------------- */

static const char create_help[] =
"Usage: tdaxctl create-device -r REGION [-s SIZE] [-a ALIGN] [--fault-policy P] [-u]\n"
"       tdaxctl create-device --input FILE [-r REGION] [-s SIZE] [-a ALIGN]\n"
"\n"
"Make a devdax device in a region's free space and enable it: take the\n"
"region's seed (or write tdax_region/create), write align, fault_policy\n"
"and size, bind tdax_device.  Prints the new device as JSON.  If a step is\n"
"refused the new device is removed again and the region is unchanged.\n"
"\n"
"  -r, --region=R        the region (required without --input)\n"
"  -s, --size=SIZE       bytes, K/M/G/T suffixes; default: all available\n"
"  -a, --align=ALIGN     4K, 2M or 1G; default: the region's\n"
"      --fault-policy=P  strict (default: SIGBUS below the alignment) or\n"
"                        fallback (map smaller, record the reason)\n"
"      --input=FILE      re-create devices listed by 'tdaxctl list -M' (one\n"
"                        device, an array, or regions with devices): region\n"
"                        from chardev, size, align, fault_policy, and the\n"
"                        mappings are checked.  All or none are created.\n"
"  -u, --human           human sizes in the JSON printed\n"
"  -v, --verbose         more messages\n";

static int load_input(const char *file, struct dev_conf **out, int *n)
{
	struct json_object *root = json_object_from_file(file), *list;
	int i, k = 0, rc = 0;
	size_t len;

	*out = NULL;
	*n = 0;
	if (!root) {
		op_error("--input %s: %s", file, json_util_get_last_err() ?
			 json_util_get_last_err() : "not JSON");
		return -EINVAL;
	}
	list = root;
	if (!json_object_is_type(root, json_type_array)) {
		list = json_object_new_array();
		json_object_array_add(list, json_object_get(root));
	}
	len = json_object_array_length(list);
	for (i = 0; i < (int)len && !rc; i++) {
		struct json_object *e = json_object_array_get_idx(list, i), *devs;
		char origin[160];

		if (json_object_object_get_ex(e, "devices", &devs) &&
		    json_object_is_type(devs, json_type_array)) {
			size_t m;

			for (m = 0; m < json_object_array_length(devs) && !rc; m++) {
				*out = realloc(*out, (k + 1) * sizeof(**out));
				snprintf(origin, sizeof(origin), "%s: region entry %d device %zu",
					 file, i, m);
				rc = dev_conf_from_json(json_object_array_get_idx(devs, m),
							&(*out)[k++], origin);
			}
			continue;
		}
		*out = realloc(*out, (k + 1) * sizeof(**out));
		snprintf(origin, sizeof(origin), "%s: entry %d", file, i);
		rc = dev_conf_from_json(e, &(*out)[k++], origin);
	}
	if (list != root)
		json_object_put(list);
	json_object_put(root);
	*n = k;
	return rc;
}

int cmd_create(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "region", required_argument, NULL, 'r' }, { "size", required_argument, NULL, 's' },
		{ "align", required_argument, NULL, 'a' }, { "fault-policy", required_argument, NULL, 'P' },
		{ "input", required_argument, NULL, 'I' }, { "human", no_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct dev_conf opt = { .region_id = -1 }, *confs = NULL;
	const char *input = NULL;
	unsigned int flags = 0;
	struct tdax_ctx *ctx;
	char **made;
	int c, i, n = 1, done = 0, rc = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:s:a:uvh", lo, NULL)) != -1) {
		switch (c) {
		case 'r': opt.region_id = parse_region(optarg); break;
		case 's': opt.size = parse_size_opt("size", optarg); opt.has_size = true; break;
		case 'a': opt.align = parse_size_opt("align", optarg); opt.has_align = true; break;
		case 'P': parse_policy(&opt, optarg); break;
		case 'I': input = optarg; break;
		case 'u': flags |= JF_HUMAN; break;
		case 'v': tdaxctl_verbose = true; break;
		case 'h': help(create_help); break;
		default: bad_option(c, argv);
		}
	}
	if (optind < argc)
		usage_error("unknown parameter '%s' (see tdaxctl create-device --help)", argv[optind]);
	if (!input && opt.region_id < 0)
		usage_error("specify the region (-r REGION), or --input FILE");
	if (input) {
		if (load_input(input, &confs, &n))
			return EXIT_OP;
		if (!n) {
			op_error("--input %s: no devices listed", input);
			return EXIT_OP;
		}
		for (i = 0; i < n; i++) {
			confs[i].name[0] = 0;	/* a new device, named by the region */
			if (opt.region_id >= 0)
				confs[i].region_id = opt.region_id;
			if (n == 1 && opt.has_size) {
				confs[i].has_size = true;
				confs[i].size = opt.size;
				confs[i].nmappings = 0;
			}
			if (n == 1 && opt.has_align) {
				confs[i].has_align = true;
				confs[i].align = opt.align;
			}
			if (opt.has_policy) {
				confs[i].has_policy = true;
				strcpy(confs[i].policy, opt.policy);
			}
		}
	} else {
		confs = &opt;
	}
	tdaxctl_lock();
	ctx = open_ctx(true);
	made = calloc(n, sizeof(*made));
	for (i = 0; i < n; i++) {
		char name[TDAX_SYSFS_NAME_LEN];

		rc = do_create(ctx, &confs[i], name, sizeof(name));
		if (rc)
			break;
		made[done++] = strdup(name);
	}
	if (rc && done) {
		/* all or none: take back the ones this run made */
		for (i = done - 1; i >= 0; i--)
			if (do_destroy(ctx, made[i], true))
				break;
		done = 0;
	}
	if (!rc) {
		print_devices(ctx, made, done, flags);
		summary("created", done);
	}
	tdax_ctx_free(ctx);
	return rc ? EXIT_OP : 0;
}

/* ---- destroy / enable / disable ------------------------------------------------ */

static const char destroy_help[] =
"Usage: tdaxctl destroy-device DEV... | all [-r REGION] [-f]\n"
"\n"
"Remove devices: unbind, write size 0, tdax_region/delete; the memory goes\n"
"back to the region's available_size.  Device 0 of a region cannot be\n"
"destroyed (shrink it instead).  A device open or mapped by a process is\n"
"refused; so is a system-ram device whose memory is online.\n"
"\n"
"  -f, --force        destroy even an enabled device (else it must be\n"
"                     disabled first, as daxctl)\n"
"  -r, --region=R     with \"all\": only region R\n";

static const char enable_help[] =
"Usage: tdaxctl enable-device DEV... | all [-r REGION]\n"
"\n"
"Bind devices to tdax_device, so /dev/tdaxR.N can be opened and mapped\n"
"(devdax mode).\n";

static const char disable_help[] =
"Usage: tdaxctl disable-device DEV... | all [-r REGION] [-f]\n"
"\n"
"Unbind devices from tdax_device (opening /dev/tdaxR.N then fails with\n"
"ENXIO).  Refused while\n"
"a process has the device open or mapped, unless --force (its mappings\n"
"then get SIGBUS).  A system-ram device is changed with reconfigure-device.\n";

enum simple { S_DESTROY, S_ENABLE, S_DISABLE, S_ONLINE, S_OFFLINE };

static const char online_help[] =
"Usage: tdaxctl online-memory DEV... | all [-r REGION] [--no-movable]\n"
"\n"
"Online the memory blocks (/sys/devices/system/memory/memoryK) of devices\n"
"in system-ram mode (bound to tdax_kmem), in ZONE_MOVABLE by default.\n"
"Needs the tdax_kmem driver.  If a block refuses, the ones onlined are\n"
"offlined again.\n"
"\n"
"      --no-movable   online in ZONE_NORMAL (online_kernel)\n";

static const char offline_help[] =
"Usage: tdaxctl offline-memory DEV... | all [-r REGION] [--offline-timeout SECS]\n"
"\n"
"Offline the memory blocks of devices in system-ram mode: the kernel\n"
"migrates the pages in use to other memory first.  If a block refuses\n"
"(unmovable pages) or its pages cannot be migrated in time (pinned), the\n"
"blocks offlined are onlined again, in the zones they were in.\n"
"\n"
"      --offline-timeout=SECS  give up on a block after SECS seconds (0: no\n"
"                     limit); default tdax_kmem's offline_timeout parameter\n"
"                     (/sys/module/tdax_kmem/parameters/offline_timeout, 120)\n";

static int simple_cmd(int argc, char **argv, enum simple what)
{
	static const struct option lo[] = {
		{ "region", required_argument, NULL, 'r' }, { "force", no_argument, NULL, 'f' },
		{ "no-movable", no_argument, NULL, 'M' }, { "human", no_argument, NULL, 'u' },
		{ "offline-timeout", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	static const char *helps[] = { destroy_help, enable_help, disable_help, online_help,
				       offline_help };
	static const char *verbs[] = { "destroyed", "enabled", "disabled", "onlined memory for",
				       "offlined memory for" };
	bool force = false, no_movable = false;
	struct tdax_ctx *ctx;
	int c, i, n, region = -1, done = 0, failed = 0;
	char **names;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:fuvh", lo, NULL)) != -1) {
		switch (c) {
		case 'r': region = parse_region(optarg); break;
		case 'f':
			if (what != S_DESTROY && what != S_DISABLE)
				bad_option('?', argv);
			force = true;
			break;
		case 'M':
			if (what != S_ONLINE)
				bad_option('?', argv);
			no_movable = true;
			break;
		case 'T':
			if (what != S_OFFLINE)
				usage_error("--offline-timeout goes with offline-memory and reconfigure-device");
			set_offline_timeout(parse_timeout(optarg));
			break;
		case 'u': break;
		case 'v': tdaxctl_verbose = true; break;
		case 'h': help(helps[what]); break;
		default: bad_option(c, argv);
		}
	}
	if (optind >= argc)
		usage_error("specify a device (tdaxR.N), or \"all\" (see tdaxctl %s --help)",
			    tdaxctl_cmd);
	tdaxctl_lock();
	ctx = open_ctx(true);
	names = resolve(ctx, argc - optind, argv + optind, region, what == S_DESTROY, &n);
	for (i = 0; i < n; i++) {
		int rc;

		switch (what) {
		case S_DESTROY: rc = do_destroy(ctx, names[i], force); break;
		case S_ENABLE: rc = op_enable(ctx, names[i]); break;
		case S_DISABLE: rc = op_disable(ctx, names[i], force); break;
		case S_ONLINE: rc = op_memory(ctx, names[i], true, no_movable); break;
		default: rc = op_memory(ctx, names[i], false, false); break;
		}
		if (rc)
			failed++;
		else
			done++;
	}
	if (!failed)
		summary(verbs[what], done);
	tdax_ctx_free(ctx);
	return failed ? EXIT_OP : 0;
}

int cmd_destroy(int argc, char **argv) { return simple_cmd(argc, argv, S_DESTROY); }
int cmd_enable(int argc, char **argv) { return simple_cmd(argc, argv, S_ENABLE); }
int cmd_disable(int argc, char **argv) { return simple_cmd(argc, argv, S_DISABLE); }
int cmd_online(int argc, char **argv) { return simple_cmd(argc, argv, S_ONLINE); }
int cmd_offline(int argc, char **argv) { return simple_cmd(argc, argv, S_OFFLINE); }

/* ---- reconfigure-device ---------------------------------------------------------- */

static const char reconfigure_help[] =
"Usage: tdaxctl reconfigure-device DEV... | all [-r REGION] [-a ALIGN] [-s SIZE]\n"
"                   [--fault-policy P] [-m devdax|system-ram] [-N] [--no-movable] [-f] [-u]\n"
"\n"
"Change devices: unbind, write align, fault_policy and size (each only if\n"
"it differs), bind again (to the driver of -m, else the one it had; a\n"
"disabled device stays disabled).  All-or-nothing: if a step is refused,\n"
"the device gets its old size, align, policy and driver back, and memory\n"
"blocks onlined or offlined go back to their state and zone.  Prints the\n"
"devices as JSON.\n"
"\n"
"To system-ram: refused while a process maps the device (unless -f), and\n"
"while the kernel's auto_online_blocks policy would online the memory\n"
"other than as asked (unless -f).  A device whose memory a failed\n"
"tdax_kmem unbind kept online (mode system-ram-kept) can only be taken\n"
"back with -m system-ram.\n"
"\n"
"  -a, --align=ALIGN      4K, 2M or 1G (every range must be aligned to it)\n"
"  -s, --size=SIZE        grow from the region's free space, or shrink\n"
"      --fault-policy=P   strict or fallback\n"
"  -m, --mode=MODE        devdax (bind tdax_device) or system-ram (bind\n"
"                         tdax_kmem, which hot-adds the memory to the device's\n"
"                         target_node; then online it in ZONE_MOVABLE).\n"
"                         system-ram needs the tdax_kmem driver.  Back to\n"
"                         devdax, the memory must be offline first (or -f).\n"
"  -N, --no-online        system-ram: leave the memory blocks offline\n"
"      --no-movable       system-ram: online in ZONE_NORMAL, not ZONE_MOVABLE\n"
"                         (kernel allocations may then keep it from going\n"
"                         offline until reboot)\n"
"  -f, --force            devdax: change a device a process has open or mapped\n"
"                         (its mappings get SIGBUS); system-ram -> devdax:\n"
"                         offline the memory first (its pages are migrated);\n"
"                         -> system-ram: even when auto_online_blocks would\n"
"                         online the memory other than as asked\n"
"      --offline-timeout=SECS  -f: give up offlining a block after SECS (0: no\n"
"                         limit; default tdax_kmem's offline_timeout, 120)\n"
"  -r, --region=R         with \"all\": only region R\n"
"  -u, --human            human sizes in the JSON printed\n";

int cmd_reconfigure(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "region", required_argument, NULL, 'r' }, { "size", required_argument, NULL, 's' },
		{ "align", required_argument, NULL, 'a' }, { "fault-policy", required_argument, NULL, 'P' },
		{ "mode", required_argument, NULL, 'm' }, { "no-online", no_argument, NULL, 'N' },
		{ "no-movable", no_argument, NULL, 'M' }, { "force", no_argument, NULL, 'f' },
		{ "human", no_argument, NULL, 'u' }, { "verbose", no_argument, NULL, 'v' },
		{ "offline-timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct dev_conf conf = { .region_id = -1 };
	bool force = false;
	unsigned int flags = 0;
	struct tdax_ctx *ctx;
	char **names, **ok;
	int c, i, n, region = -1, done = 0, failed = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:s:a:m:Nfuvh", lo, NULL)) != -1) {
		switch (c) {
		case 'r': region = parse_region(optarg); break;
		case 's': conf.size = parse_size_opt("size", optarg); conf.has_size = true; break;
		case 'a': conf.align = parse_size_opt("align", optarg); conf.has_align = true; break;
		case 'P': parse_policy(&conf, optarg); break;
		case 'm': parse_mode(&conf, optarg); break;
		case 'N': conf.no_online = true; break;
		case 'M': conf.no_movable = true; break;
		case 'f': force = true; break;
		case 'T': set_offline_timeout(parse_timeout(optarg)); break;
		case 'u': flags |= JF_HUMAN; break;
		case 'v': tdaxctl_verbose = true; break;
		case 'h': help(reconfigure_help); break;
		default: bad_option(c, argv);
		}
	}
	if (!conf.has_size && !conf.has_align && !conf.has_policy && !conf.has_mode)
		usage_error("an 'align', 'size', 'fault-policy' or 'mode' option is required");
	if ((conf.no_online || conf.no_movable) && !(conf.has_mode && !strcmp(conf.mode, "system-ram")))
		usage_error("--no-online and --no-movable go with --mode=system-ram");
	if (optind >= argc)
		usage_error("specify a device (tdaxR.N), or \"all\" (see tdaxctl reconfigure-device --help)");
	tdaxctl_lock();
	ctx = open_ctx(true);
	names = resolve(ctx, argc - optind, argv + optind, region, false, &n);
	ok = calloc(n, sizeof(*ok));
	for (i = 0; i < n; i++) {
		if (do_reconfigure(ctx, names[i], &conf, force))
			failed++;
		else
			ok[done++] = names[i];
	}
	if (done)
		print_devices(ctx, ok, done, flags);
	if (!failed)
		summary("reconfigured", done);
	tdax_ctx_free(ctx);
	return failed ? EXIT_OP : 0;
}
