// SPDX-License-Identifier: GPL-2.0-only
/*
 * config.c - persistent configuration: /etc/tdax/tdaxctl.conf.d/, applied
 * by 'tdaxctl apply-config' at boot (tdaxctl.service) and when a region
 * appears later (90-tdaxctl.rules -> tdaxctl-apply@tdaxR.0.service).
 *
 * Files are read in name order: *.conf, INI sections as daxctl.conf.d's
 * (one section per device, the device name as the section's subsection):
 *
 *   [device tdax1.1]
 *   size = 256M
 *   align = 2M
 *   fault_policy = fallback
 *   mode = devdax             # or system-ram
 *   online = true             # system-ram: online the memory (default)
 *   movable = true            # system-ram: ZONE_MOVABLE (default)
 *
 * and *.json, the output of 'tdaxctl list [-R] [-D] [-M]' (devices, or
 * regions with devices).  A device is named by what it is now; devices
 * missing in a region are created in order of their number (tdaxR.N is
 * the N-th device of region R: device 0 always exists).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json_util.h>

#include "tdaxctl.h"

static int json_u64(struct json_object *j, uint64_t *out)
{
	if (json_object_is_type(j, json_type_int)) {
		int64_t v = json_object_get_int64(j);

		if (v < 0)
			return -EINVAL;
		*out = (uint64_t)v;
		return 0;
	}
	if (json_object_is_type(j, json_type_string))
		return tdax_parse_size(json_object_get_string(j), out);
	return -EINVAL;
}

int dev_conf_from_json(struct json_object *j, struct dev_conf *c, const char *origin)
{
	struct json_object *v, *maps;
	int rid, id;
	size_t i;

	memset(c, 0, sizeof(*c));
	snprintf(c->origin, sizeof(c->origin), "%s", origin);
	if (!json_object_object_get_ex(j, "chardev", &v) ||
	    tdax_parse_name(json_object_get_string(v), &rid, &id)) {
		op_error("%s: no \"chardev\":\"tdaxR.N\"", origin);
		return -EINVAL;
	}
	snprintf(c->name, sizeof(c->name), "%s", json_object_get_string(v));
	c->region_id = rid;
	if (json_object_object_get_ex(j, "size", &v)) {
		if (json_u64(v, &c->size)) {
			op_error("%s: bad size '%s' (list without -u gives bytes)", origin,
				 json_object_get_string(v));
			return -EINVAL;
		}
		c->has_size = true;
	}
	if (json_object_object_get_ex(j, "align", &v)) {
		if (json_u64(v, &c->align)) {
			op_error("%s: bad align '%s'", origin, json_object_get_string(v));
			return -EINVAL;
		}
		c->has_align = true;
	}
	if (json_object_object_get_ex(j, "fault_policy", &v)) {
		const char *p = json_object_get_string(v);

		if (strcmp(p, "strict") && strcmp(p, "fallback")) {
			op_error("%s: bad fault_policy '%s'", origin, p);
			return -EINVAL;
		}
		c->has_policy = true;
		snprintf(c->policy, sizeof(c->policy), "%s", p);
	}
	if (json_object_object_get_ex(j, "mode", &v)) {
		const char *m = json_object_get_string(v);

		/* a kept device was meant to be system-ram */
		if (!strcmp(m, "system-ram-kept"))
			m = "system-ram";
		if (strcmp(m, "devdax") && strcmp(m, "system-ram")) {
			op_error("%s: bad mode '%s'", origin, m);
			return -EINVAL;
		}
		c->has_mode = true;
		snprintf(c->mode, sizeof(c->mode), "%s", m);
	}
	/* a disabled device was listed: configure it, leave it unbound */
	if (json_object_object_get_ex(j, "state", &v) &&
	    !strcmp(json_object_get_string(v), "disabled"))
		c->has_mode = false;
	if (json_object_object_get_ex(j, "movable", &v))
		c->no_movable = !json_object_get_boolean(v);
	/* listed with its memory offline (-N): keep it offline */
	if (c->has_mode && !strcmp(c->mode, "system-ram") &&
	    json_object_object_get_ex(j, "online_memblocks", &v) && !json_object_get_int(v))
		c->no_online = true;
	if (json_object_object_get_ex(j, "mappings", &maps) &&
	    json_object_is_type(maps, json_type_array)) {
		size_t n = json_object_array_length(maps);

		c->mappings = calloc(n ? n : 1, sizeof(*c->mappings));
		for (i = 0; i < n; i++) {
			struct json_object *m = json_object_array_get_idx(maps, i), *s, *e, *o;
			struct tdax_mapping *t = &c->mappings[i];

			if (!json_object_object_get_ex(m, "start", &s) ||
			    !json_object_object_get_ex(m, "end", &e) ||
			    !json_object_object_get_ex(m, "page_offset", &o) ||
			    json_u64(s, &t->start) || json_u64(e, &t->end) || json_u64(o, &t->pgoff)) {
				op_error("%s: mapping %zu needs start, end, page_offset", origin, i);
				return -EINVAL;
			}
		}
		c->nmappings = n;
	}
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") || !strcmp(v, "on"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0") || !strcmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

struct conf_list {
	struct dev_conf *v;
	int n;
};

static struct dev_conf *conf_add(struct conf_list *l)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	memset(&l->v[l->n], 0, sizeof(*l->v));
	return &l->v[l->n++];
}

static int parse_ini(const char *path, struct conf_list *l)
{
	FILE *f = fopen(path, "re");
	struct dev_conf *cur = NULL;
	char line[1024];
	int ln = 0;

	if (!f) {
		op_error("%s: %s", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq, *k, *v, *hash;
		bool b;

		ln++;
		hash = strchr(s, '#');
		if (hash)
			*hash = 0;
		s = trim(s);
		if (!*s || *s == ';')
			continue;
		if (*s == '[') {
			char sect[64], name[64], extra;
			int rid;

			if (sscanf(s, "[%63s %63[^]]%c", sect, name, &extra) != 3 || extra != ']' ||
			    strcmp(sect, "device") || tdax_parse_name(trim(name), &rid, NULL)) {
				op_error("%s:%d: expected a section [device tdaxR.N], got '%s'", path, ln, s);
				goto bad;
			}
			cur = conf_add(l);
			snprintf(cur->name, sizeof(cur->name), "%s", trim(name));
			cur->region_id = rid;
			snprintf(cur->origin, sizeof(cur->origin), "%s:%d", path, ln);
			continue;
		}
		eq = strchr(s, '=');
		if (!cur || !eq) {
			op_error("%s:%d: expected 'key = value' inside a [device tdaxR.N] section", path, ln);
			goto bad;
		}
		*eq = 0;
		k = trim(s);
		v = trim(eq + 1);
		if (!strcmp(k, "size") || !strcmp(k, "align")) {
			uint64_t x;

			if (tdax_parse_size(v, &x)) {
				op_error("%s:%d: bad %s '%s'", path, ln, k, v);
				goto bad;
			}
			if (*k == 's') {
				cur->size = x;
				cur->has_size = true;
			} else {
				cur->align = x;
				cur->has_align = true;
			}
		} else if (!strcmp(k, "fault_policy")) {
			if (strcmp(v, "strict") && strcmp(v, "fallback")) {
				op_error("%s:%d: bad fault_policy '%s' (strict or fallback)", path, ln, v);
				goto bad;
			}
			cur->has_policy = true;
			snprintf(cur->policy, sizeof(cur->policy), "%s", v);
		} else if (!strcmp(k, "mode")) {
			if (strcmp(v, "devdax") && strcmp(v, "system-ram")) {
				op_error("%s:%d: bad mode '%s' (devdax or system-ram)", path, ln, v);
				goto bad;
			}
			cur->has_mode = true;
			snprintf(cur->mode, sizeof(cur->mode), "%s", v);
		} else if (!strcmp(k, "online") || !strcmp(k, "movable")) {
			if (parse_bool(v, &b)) {
				op_error("%s:%d: bad %s '%s' (true or false)", path, ln, k, v);
				goto bad;
			}
			if (*k == 'o')
				cur->no_online = !b;
			else
				cur->no_movable = !b;
		} else {
			op_error("%s:%d: unknown key '%s' (size, align, fault_policy, mode, online, movable)",
				 path, ln, k);
			goto bad;
		}
	}
	fclose(f);
	return 0;
bad:
	fclose(f);
	return -EINVAL;
}

static int parse_json(const char *path, struct conf_list *l)
{
	struct json_object *root = json_object_from_file(path), *list;
	size_t i, m;
	int rc = 0;

	if (!root) {
		op_error("%s: not JSON (%s)", path, json_util_get_last_err() ?
			 trim((char *)json_util_get_last_err()) : "?");
		return -EINVAL;
	}
	list = root;
	if (!json_object_is_type(root, json_type_array)) {
		list = json_object_new_array();
		json_object_array_add(list, json_object_get(root));
	}
	for (i = 0; i < json_object_array_length(list) && !rc; i++) {
		struct json_object *e = json_object_array_get_idx(list, i), *devs;
		char origin[160];

		if (json_object_object_get_ex(e, "devices", &devs)) {
			for (m = 0; m < json_object_array_length(devs) && !rc; m++) {
				snprintf(origin, sizeof(origin), "%s: region entry %zu device %zu",
					 path, i, m);
				rc = dev_conf_from_json(json_object_array_get_idx(devs, m),
							conf_add(l), origin);
			}
		} else if (json_object_object_get_ex(e, "chardev", NULL)) {
			snprintf(origin, sizeof(origin), "%s: entry %zu", path, i);
			rc = dev_conf_from_json(e, conf_add(l), origin);
		}
	}
	if (list != root)
		json_object_put(list);
	json_object_put(root);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int conf_cmp(const void *a, const void *b)
{
	const struct dev_conf *x = a, *y = b;
	int xi = 0, yi = 0;

	tdax_parse_name(x->name, NULL, &xi);
	tdax_parse_name(y->name, NULL, &yi);
	if (x->region_id != y->region_id)
		return x->region_id - y->region_id;
	return xi - yi;
}

static int load_dir(const char *dir, struct conf_list *l)
{
	char **names = NULL;
	struct dirent *de;
	int n = 0, i, j, rc = 0;
	DIR *dp = opendir(dir);

	if (!dp) {
		if (errno == ENOENT)
			return 0;	/* nothing configured */
		op_error("%s: %s", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(dp))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' ||
		    !((len > 5 && !strcmp(de->d_name + len - 5, ".conf")) ||
		      (len > 5 && !strcmp(de->d_name + len - 5, ".json"))))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		names[n++] = strdup(de->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && !rc; i++) {
		char path[4200];
		size_t len = strlen(names[i]);

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		rc = !strcmp(names[i] + len - 5, ".json") ? parse_json(path, l) : parse_ini(path, l);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc)
		return rc;
	for (i = 0; i < l->n; i++)
		for (j = i + 1; j < l->n; j++)
			if (!strcmp(l->v[i].name, l->v[j].name)) {
				op_error("%s is configured twice: %s and %s", l->v[i].name,
					 l->v[i].origin, l->v[j].origin);
				return -EINVAL;
			}
	qsort(l->v, l->n, sizeof(*l->v), conf_cmp);
	return 0;
}

static const char apply_help[] =
"Usage: tdaxctl apply-config [DEV...] [-C DIR] [-n]\n"
"\n"
"Make the devices look as configured in DIR (default\n"
"/etc/tdax/tdaxctl.conf.d, or $TDAXCTL_CONFDIR): *.conf files with\n"
"[device tdaxR.N] sections (size, align, fault_policy, mode, online,\n"
"movable), and *.json files as written by 'tdaxctl list -M'.  Devices\n"
"that already match are left alone; others are reconfigured, and missing\n"
"ones created in order (each step all-or-nothing).  Regions not present\n"
"yet are skipped: the udev rule runs this again for DEV=tdaxR.0 when a\n"
"region appears.  With DEV..., only the regions of those devices.\n"
"Run at boot by tdaxctl.service.  Prints the configured devices as JSON.\n"
"\n"
"  -C, --config-dir=DIR  read DIR instead\n"
"  -n, --dry-run         say what would change, change nothing\n"
"  -v, --verbose         say what is done and skipped\n";

int cmd_apply_config(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config-dir", required_argument, NULL, 'C' }, { "dry-run", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	const char *dir = getenv("TDAXCTL_CONFDIR");
	struct conf_list l = { 0 };
	struct json_object *arr;
	struct tdax_ctx *ctx;
	bool dry = false;
	int c, i, k, failed = 0, changed = 0, *regions = NULL, nregions = 0;

	if (!dir || !*dir)
		dir = TDAXCTL_CONFDIR;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":C:nvh", lo, NULL)) != -1) {
		switch (c) {
		case 'C': dir = optarg; break;
		case 'n': dry = true; break;
		case 'v': tdaxctl_verbose = true; break;
		case 'h': fputs(apply_help, stdout); return 0;
		default:
			if (c == ':')
				usage_error("option '%s' needs a value (see tdaxctl apply-config --help)",
					    argv[optind - 1]);
			usage_error("unknown option '%s' (see tdaxctl apply-config --help)",
				    argv[optind - 1]);
		}
	}
	for (i = optind; i < argc; i++) {
		int rid;
		char buf[TDAX_SYSFS_NAME_LEN];

		snprintf(buf, sizeof(buf), "%s%s", strncmp(argv[i], "tdax", 4) ? "tdax" : "", argv[i]);
		if (tdax_parse_name(buf, &rid, NULL))
			usage_error("bad device name '%s' (tdaxR.N)", argv[i]);
		regions = realloc(regions, (nregions + 1) * sizeof(*regions));
		regions[nregions++] = rid;
	}
	if (load_dir(dir, &l))
		return EXIT_OP;
	if (!dry)
		tdaxctl_lock();
	ctx = open_ctx(false);
	arr = json_object_new_array();
	for (i = 0; i < l.n; i++) {
		struct dev_conf *cf = &l.v[i];
		struct tdax_device *d;
		bool wanted = !nregions;

		for (k = 0; k < nregions; k++)
			wanted |= regions[k] == cf->region_id;
		if (!wanted)
			continue;
		tdax_ctx_scan(ctx);
		if (!tdax_region_find(ctx, cf->region_id)) {
			note("%s: region %d is not present, skipped (%s)", cf->name, cf->region_id,
			     cf->origin);
			continue;
		}
		d = tdax_device_find(ctx, cf->name);
		if (d && dev_conf_matches(ctx, d, cf)) {
			note("%s: as configured", cf->name);
		} else if (dry) {
			printf("%s: would %s (%s)\n", cf->name, d ? "reconfigure" : "create",
			       cf->origin);
			changed++;
			continue;
		} else if (d) {
			if (do_reconfigure(ctx, cf->name, cf, false)) {
				failed++;
				continue;
			}
			changed++;
		} else {
			char name[TDAX_SYSFS_NAME_LEN];
			struct dev_conf cc = *cf;

			cc.has_mode = false;
			cc.nmappings = 0;	/* the layout is given by the order */
			if (do_create(ctx, &cc, name, sizeof(name))) {
				failed++;
				continue;
			}
			if (cf->has_mode && !strcmp(cf->mode, "system-ram") &&
			    do_reconfigure(ctx, name, cf, false)) {
				do_destroy(ctx, name, true);
				failed++;
				continue;
			}
			changed++;
		}
		tdax_ctx_scan(ctx);
		d = tdax_device_find(ctx, cf->name);
		if (d)
			json_object_array_add(arr, dev_to_json(ctx, d, 0));
	}
	if (!dry)
		display_json_array(arr, 0);
	else
		json_object_put(arr);
	if (!failed && !dry)
		fprintf(stderr, "applied %s: %d device%s changed\n", dir, changed,
			changed == 1 ? "" : "s");
	tdax_ctx_free(ctx);
	return failed ? EXIT_OP : 0;
}
