// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * collector.c - load and attach the tdax BPF programs, follow the module
 * and the devices/regions in sysfs.  Reading the maps into snapshots (and
 * retiring the rows of dead instances) is maps.c; sysfs parsing sysfs.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collector_int.h"
#include "tdax_collect.skel.h"

#define NEVENTS TDAX_NEVENTS

static const char *const event_names[NEVENTS] = {
	"tdax_fault", "tdax_mmap", "tdax_bind", "tdax_unbind",
	"tdax_region_create", "tdax_region_destroy", "tdax_dev_create", "tdax_dev_destroy",
	"tdax_flush", "tdax_kmem_add", "tdax_kmem_remove", "tdax_kmem_block",
};

/* Last libbpf warning, to explain load failures in one line. */
static char libbpf_last[256];
static bool libbpf_verbose;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	va_list cp;

	if (level == LIBBPF_WARN && !libbpf_last[0]) {
		size_t n;

		va_copy(cp, ap);
		vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, cp);
		va_end(cp);
		n = strlen(libbpf_last);
		while (n && libbpf_last[n - 1] == '\n')
			libbpf_last[--n] = 0;
	}
	if (!libbpf_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int tdax_set_err(struct tdax_collector *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -err;
}

const char *tdax_collector_errmsg(const struct tdax_collector *c)
{
	return c ? c->err : "";
}

enum tdax_attach_mode tdax_collector_mode(const struct tdax_collector *c)
{
	return c->attached ? c->loaded_mode : tdax_stock_mode(c);
}

__u64 tdax_now_ns(int clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static bool path_exists(const struct tdax_collector *c, const char *rel)
{
	char p[PATH_MAX + 64];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", c->root, rel);
	return stat(p, &st) == 0;
}

static bool module_present(const struct tdax_collector *c)
{
	return tdax_module_present(c->root);
}

struct bpf_program *tdax_prog_of(struct tdax_collector *c, enum tdax_attach_mode m, int i)
{
	struct bpf_program *btf[NEVENTS] = {
		c->skel->progs.btf_fault, c->skel->progs.btf_mmap,
		c->skel->progs.btf_bind, c->skel->progs.btf_unbind,
		c->skel->progs.btf_region_create, c->skel->progs.btf_region_destroy,
		c->skel->progs.btf_dev_create, c->skel->progs.btf_dev_destroy,
		c->skel->progs.btf_flush, c->skel->progs.btf_kmem_add,
		c->skel->progs.btf_kmem_remove, c->skel->progs.btf_kmem_block,
	};
	struct bpf_program *raw[NEVENTS] = {
		c->skel->progs.raw_fault, c->skel->progs.raw_mmap,
		c->skel->progs.raw_bind, c->skel->progs.raw_unbind,
		c->skel->progs.raw_region_create, c->skel->progs.raw_region_destroy,
		c->skel->progs.raw_dev_create, c->skel->progs.raw_dev_destroy,
		c->skel->progs.raw_flush, c->skel->progs.raw_kmem_add,
		c->skel->progs.raw_kmem_remove, c->skel->progs.raw_kmem_block,
	};

	return m == TDAX_ATTACH_TP_BTF ? btf[i] : raw[i];
}

static int ringbuf_cb(void *ctx, void *data, size_t size)
{
	struct tdax_collector *c = ctx;
	struct tdax_snoop_event ev;

	if (size < sizeof(struct tdax_event) || !c->opts.on_event)
		return 0;
	tdax_event_from_bpf(&ev, data);
	return c->opts.on_event(c->opts.event_ctx, &ev);
}

/*
 * Open and load a skeleton in mode m.  When old is given, its maps are
 * reused (counters survive a reload after the module came back).
 */
static int load_skel(struct tdax_collector *c, enum tdax_attach_mode m,
		     struct tdax_collect *old)
{
	struct tdax_collect *skel;
	struct bpf_map *map;
	int i, err;

	skel = tdax_collect__open();
	if (!skel)
		return tdax_set_err(c, -errno, "cannot open the BPF object: %s", strerror(errno));
	skel->rodata->snoop = c->opts.events && !c->making_share;
	skel->rodata->want_procs = !c->opts.no_procs || c->making_share;
	/* a shared set: proc_stats updated while a consumer wants it (share.c) */
	skel->rodata->shared_set = c->making_share;
	if (c->opts.no_procs && !c->making_share)
		bpf_map__set_max_entries(skel->maps.proc_stats, 1);	/* never updated */
	else if (c->opts.max_procs)
		bpf_map__set_max_entries(skel->maps.proc_stats, c->opts.max_procs);
	c->skel = skel;
	for (i = 0; i < NEVENTS; i++) {
		bpf_program__set_autoload(tdax_prog_of(c, TDAX_ATTACH_TP_BTF, i),
					  m == TDAX_ATTACH_TP_BTF);
		bpf_program__set_autoload(tdax_prog_of(c, TDAX_ATTACH_RAW_TP, i),
					  m == TDAX_ATTACH_RAW_TP);
	}
	if (old) {
		bpf_object__for_each_map(map, skel->obj) {
			struct bpf_map *om = bpf_object__find_map_by_name(old->obj,
									  bpf_map__name(map));

			if (om && bpf_map__fd(om) >= 0 && !bpf_map__is_internal(map))
				bpf_map__reuse_fd(map, bpf_map__fd(om));
		}
	}
	libbpf_last[0] = 0;
	err = tdax_collect__load(skel);
	if (err) {
		tdax_set_err(c, err, "cannot load the BPF programs (%s): %s%s%s",
			tdax_attach_mode_name(m), strerror(-err),
			libbpf_last[0] ? ": " : "", libbpf_last);
		tdax_collect__destroy(skel);
		c->skel = NULL;
		return err;
	}
	c->loaded_mode = m;
	return 0;
}

static void detach_links(struct tdax_collector *c)
{
	int i;

	for (i = 0; i < NEVENTS; i++) {
		bpf_link__destroy(c->links[i]);
		c->links[i] = NULL;
	}
	c->attached = false;
}

static int attach_links(struct tdax_collector *c)
{
	int i, err;

	for (i = 0; i < NEVENTS; i++) {
		if (c->links[i])
			continue;
		c->links[i] = bpf_program__attach(tdax_prog_of(c, c->loaded_mode, i));
		if (!c->links[i]) {
			err = -errno;
			detach_links(c);
			return tdax_set_err(c, err, "cannot attach to tracepoint tdax:%s (%s): %s",
				       event_names[i], tdax_attach_mode_name(c->loaded_mode),
				       strerror(-err));
		}
	}
	c->attached = true;
	return 0;
}

static enum tdax_attach_mode wanted_mode(const struct tdax_collector *c)
{
	if (c->opts.force_raw_tp)
		return TDAX_ATTACH_RAW_TP;
	return path_exists(c, "kernel/btf/tdax") ? TDAX_ATTACH_TP_BTF : TDAX_ATTACH_RAW_TP;
}

/* Load in the best mode (tp_btf, else raw_tp), reusing old's maps. */
static int load_best(struct tdax_collector *c, struct tdax_collect *old)
{
	enum tdax_attach_mode m = wanted_mode(c);
	char first[sizeof(c->err)];
	int err;

	if (m == TDAX_ATTACH_RAW_TP && !c->opts.force_raw_tp && c->opts.verbose)
		fprintf(stderr, "tdax: the tdax module has no BTF (%s/kernel/btf/tdax missing: built "
			"without the kernel's BTF); using raw_tp programs, same data\n", c->root);
	err = load_skel(c, m, old);
	if (err && m == TDAX_ATTACH_TP_BTF) {
		snprintf(first, sizeof(first), "%s", c->err);
		err = load_skel(c, TDAX_ATTACH_RAW_TP, old);
		if (err && libbpf_verbose)
			fprintf(stderr, "tdax: tp_btf failed too: %s\n", first);
	}
	return err;
}

static int setup_ringbuf(struct tdax_collector *c)
{
	ring_buffer__free(c->rb);
	c->rb = NULL;
	if (!c->opts.events)
		return 0;
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), ringbuf_cb, c, NULL);
	if (!c->rb)
		return tdax_set_err(c, -errno, "cannot open the BPF ring buffer: %s", strerror(errno));
	return 0;
}

/*
 * Attach the loaded set.  A tp_btf set that loaded but does not attach
 * (the kernel refuses one of its links) is replaced by the raw_tp set,
 * maps kept, and that is attached: the same data, as when tp_btf does not
 * load.  The module must be there (without it raw_tp cannot attach either).
 */
static int attach_best(struct tdax_collector *c)
{
	struct tdax_collect *old;
	int err;

	err = attach_links(c);
	if (!err || c->loaded_mode != TDAX_ATTACH_TP_BTF || !module_present(c))
		return err;
	if (c->opts.verbose)
		fprintf(stderr, "tdax: tp_btf programs loaded but did not attach (%s); "
			"using raw_tp programs, same data\n", c->err);
	old = c->skel;
	c->skel = NULL;
	err = load_skel(c, TDAX_ATTACH_RAW_TP, old);
	if (err) {
		c->skel = old;	/* still the tp_btf set: loaded_mode unchanged */
		return err;
	}
	tdax_collect__destroy(old);
	err = setup_ringbuf(c);
	if (err)
		return err;
	return attach_links(c);
}

/*
 * Load in the best mode (c->skel's maps kept), not attached; for share.c,
 * the set to be pinned when shared (no ring buffer, proc_stats switched at
 * run time).
 */
int tdax_collector_load(struct tdax_collector *c, bool shared)
{
	struct tdax_collect *old = c->skel;
	int err;

	detach_links(c);
	c->skel = NULL;
	c->making_share = shared;
	err = load_best(c, old);
	c->making_share = false;
	if (err) {
		c->skel = old;
		return err;
	}
	tdax_collect__destroy(old);
	return setup_ringbuf(c);
}

/* Load as tdax_collector_load() does, and attach in the best mode. */
int tdax_collector_load_attach(struct tdax_collector *c, bool shared)
{
	int err = tdax_collector_load(c, shared);

	return err ? err : attach_best(c);
}

/*
 * Join (or make) the host's shared set now: nothing attached yet, and
 * every source wanted is there (a set has the links of all its sources).
 */
static bool share_now(struct tdax_collector *c)
{
	unsigned int present = (module_present(c) ? TDAX_SOURCE_TDAX : 0) |
			       (tdax_stock_present(c->root) ? TDAX_SOURCE_STOCK : 0);

	return !c->share && !c->attached && !tdax_stock_mode(c) && c->want &&
	       (c->want & present) == c->want;
}

int tdax_collector_attach(struct tdax_collector *c)
{
	int err;

	if (share_now(c)) {
		/* the host's shared set (share.c): joined, or made and pinned */
		err = tdax_share_join(c);
		if (err < 0)
			return err;
	}
	if (!(c->want & TDAX_SOURCE_TDAX))
		return tdax_stock_attach(c);
	if (c->want & TDAX_SOURCE_STOCK)
		tdax_stock_attach(c);	/* a failure is in errmsg; retried by refresh */
	if (c->attached)
		return 0;
	if (!module_present(c))
		return tdax_set_err(c, -ENOENT, "tdax module not loaded: %s/bus/tdax is missing", c->root);
	err = attach_links(c);
	if (!err)
		return 0;
	/*
	 * A tp_btf program is bound to the BTF of the module instance it was
	 * loaded against; after a reload of the module, load again (maps kept).
	 */
	return tdax_collector_load_attach(c, false);
}

int tdax_collector_detach(struct tdax_collector *c)
{
	detach_links(c);
	tdax_share_leave(c);	/* the last one unpins: the module can go */
	c->attached = false;
	tdax_stock_close(c);	/* maps are the tdax object's: counters stay */
	return 0;
}

static void opts_copy(struct tdax_collector_opts *dst, const struct tdax_collector_opts *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src)
		memcpy(dst, src, src->sz && src->sz < sizeof(*dst) ? src->sz : sizeof(*dst));
	dst->sz = sizeof(*dst);
}

/*
 * Loading tracing programs needs CAP_BPF and CAP_PERFMON (kernel 5.8+), or
 * CAP_SYS_ADMIN: check the effective set, not the uid, so a service can run
 * as an unprivileged user with just those two (see daxcollect.service).
 */
static bool bpf_caps_ok(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};
	const int cap_perfmon = 38, cap_bpf = 39;	/* not in older headers */

	if (syscall(SYS_capget, &h, d))
		return geteuid() == 0;
#define HAS(cap) (d[(cap) / 32].effective & (1U << ((cap) % 32)))
	return HAS(CAP_SYS_ADMIN) || (HAS(cap_bpf) && HAS(cap_perfmon));
#undef HAS
}

struct tdax_collector *tdax_collector_open(const struct tdax_collector_opts *opts,
					   char *errbuf, size_t errlen)
{
	struct tdax_collector *c;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(errbuf, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	opts_copy(&c->opts, opts);
	snprintf(c->root, sizeof(c->root), "%s", c->opts.sysfs_root ? c->opts.sysfs_root : "/sys");
	c->opts.sysfs_root = c->root;
	libbpf_verbose = c->opts.verbose;
	libbpf_set_print(libbpf_print);

	if (c->opts.events && !c->opts.on_event) {
		err = tdax_set_err(c, -EINVAL, "events requested without an on_event callback");
		goto fail;
	}
	if (!bpf_caps_ok()) {
		err = tdax_set_err(c, -EPERM,
			      "must run as root or with CAP_BPF and CAP_PERFMON (loading BPF programs needs them)");
		goto fail;
	}
	if (!path_exists(c, "kernel/btf/vmlinux") && c->opts.verbose)
		fprintf(stderr, "tdax: kernel has no BTF (%s/kernel/btf/vmlinux); using raw_tp\n",
			c->root);
	err = tdax_pick_sources(c);
	if (err)
		goto fail;
	if (!c->opts.wait_module && c->want == TDAX_SOURCE_TDAX && !module_present(c)) {
		err = tdax_set_err(c, -ENOENT,
			      "tdax module not loaded: %s/bus/tdax is missing (insmod tdax.ko first)",
			      c->root);
		goto fail;
	}
	c->clk_tck = sysconf(_SC_CLK_TCK);
	if (c->clk_tck <= 0)
		c->clk_tck = 100;
	c->procs = tdax_procs_new("/proc", c->clk_tck, true);
	if (!c->procs) {
		err = tdax_set_err(c, -ENOMEM, "out of memory");
		goto fail;
	}
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		err = tdax_set_err(c, c->ncpus ? c->ncpus : -EINVAL, "cannot count possible CPUs");
		goto fail;
	}
	if (share_now(c)) {
		/* the host's shared set (share.c), else a private one below */
		err = tdax_share_join(c);
		if (err < 0)
			goto fail;
	}
	if (!c->share && !c->attached && !c->skel) {
		err = load_best(c, NULL);
		if (err)
			goto fail;
		err = setup_ringbuf(c);
		if (err)
			goto fail;
	}
	if (!c->share && !c->attached && (c->want & TDAX_SOURCE_TDAX) && module_present(c)) {
		err = attach_best(c);
		if (err && !c->opts.wait_module && c->want == TDAX_SOURCE_TDAX)
			goto fail;
		if (err)
			snprintf(c->note, sizeof(c->note), "%s", c->err);
	}
	if (c->want & TDAX_SOURCE_STOCK) {
		err = tdax_stock_attach(c);
		if (err && !c->opts.wait_module && !c->attached)
			goto fail;
		if (err)
			snprintf(c->note, sizeof(c->note), "%s", c->err);
	}
	c->err[0] = 0;
	return c;
fail:
	snprintf(errbuf, errlen, "%s", c->err);
	tdax_collector_close(c);
	errno = -err;
	return NULL;
}

void tdax_collector_close(struct tdax_collector *c)
{
	if (!c)
		return;
	detach_links(c);
	tdax_share_leave(c);
	tdax_stock_close(c);
	ring_buffer__free(c->rb);
	tdax_collect__destroy(c->skel);
	tdax_sysfs_free(&c->sysfs);
	tdax_snapshot_free(&c->archive);
	tdax_procs_free(c->procs);
	free(c->seen);
	free(c);
}

int tdax_collector_poll(struct tdax_collector *c, int timeout_ms)
{
	int n;

	if (!c->rb)
		return tdax_set_err(c, -EINVAL, "event stream not enabled");
	n = ring_buffer__poll(c->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return tdax_set_err(c, n, "reading the BPF ring buffer: %s", strerror(-n));
	return n < 0 ? 0 : n;
}

int tdax_collector_drain(struct tdax_collector *c)
{
	int n;

	if (!c->rb)
		return tdax_set_err(c, -EINVAL, "event stream not enabled");
	/* every record in the ring now, whatever epoll last reported */
	n = ring_buffer__consume(c->rb);
	if (n < 0)
		return tdax_set_err(c, n, "reading the BPF ring buffer: %s", strerror(-n));
	return n;
}

int tdax_collector_event_fd(const struct tdax_collector *c)
{
	return c->rb ? ring_buffer__epoll_fd(c->rb) : -1;
}

/* ---- following sysfs ------------------------------------------------------ */

struct tdax_seen *tdax_seen_find(struct tdax_collector *c, int kind, __u32 id,
				 const char *name, bool add)
{
	struct tdax_seen *s;
	size_t i;

	for (i = 0; i < c->nseen; i++) {
		s = &c->seen[i];
		if (s->kind == kind && (kind ? s->id == id : !strcmp(s->name, name)))
			return s;
	}
	if (!add)
		return NULL;
	s = tdax_grow(c->seen, &c->cseen, c->nseen, sizeof(*s));
	if (!s)
		return NULL;
	c->seen = s;
	s = &c->seen[c->nseen++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->id = id;
	if (name)
		snprintf(s->name, sizeof(s->name), "%s", name);
	s->first_ns = tdax_now_ns(CLOCK_MONOTONIC);
	return s;
}

int tdax_bus_rescan(struct tdax_collector *c)
{
	/*
	 * scan_ns stays the time of the last scan that was done: a device
	 * created after it is not gone, only not scanned yet (its uevent
	 * brings the next scan).
	 */
	__u64 t = tdax_now_ns(CLOCK_MONOTONIC);
	int err;

	/* a scan without the tdax bus holds the in-tree devices: cache it too */
	c->sysfs_gen.no_bus_ok = c->want & TDAX_SOURCE_STOCK;
	err = tdax_sysfs_refresh(c->root, &c->sysfs, &c->sysfs_gen);
	if (err < 0)
		return tdax_set_err(c, err, "cannot read %s/bus/tdax: %s", c->root,
				    strerror(-err));
	if (!err)
		return 0;	/* nothing changed: both buses as scanned */
	c->scan_ns = t;
	if ((c->want & TDAX_SOURCE_STOCK) && tdax_stock_scan(c) == -ENOMEM)
		return tdax_set_err(c, -ENOMEM, "out of memory");
	return 1;
}

int tdax_collector_refresh(struct tdax_collector *c)
{
	unsigned int was = tdax_collector_sources(c);
	size_t i;
	int err;

	{
		/*
		 * Instance ids restart with the module: when it went away or
		 * was reloaded (a new sysfs node, so a new inode), every row
		 * read so far is of dead instances.
		 */
		char p[PATH_MAX + 32];
		struct stat st;
		__u64 ino = 0;

		snprintf(p, sizeof(p), "%s/module/tdax", c->root);
		if (stat(p, &st) == 0)
			ino = st.st_ino;
		if (c->mod_ino && ino != c->mod_ino)
			c->retire_all = true;
		if (ino)
			c->mod_ino = ino;
	}
	err = tdax_bus_rescan(c);
	if (err < 0)
		return err;
	for (i = 0; i < c->sysfs.ndevs; i++) {
		struct tdax_seen *s = tdax_seen_find(c, 0, 0, c->sysfs.devs[i].name, true);

		if (s && c->sysfs.devs[i].dev)
			s->dev = c->sysfs.devs[i].dev;
	}
	for (i = 0; i < c->sysfs.nregions; i++)
		tdax_seen_find(c, 1, c->sysfs.regions[i].id, NULL, true);
	/* failures are in errmsg; retried next time */
	if (((c->want & TDAX_SOURCE_TDAX) && !c->attached && module_present(c)) ||
	    (c->want == TDAX_SOURCE_STOCK && !tdax_stock_mode(c) && tdax_stock_present(c->root)))
		tdax_collector_attach(c);	/* joins the shared set when it can */
	else if ((c->want & TDAX_SOURCE_STOCK) && !tdax_stock_mode(c) && tdax_stock_present(c->root))
		tdax_stock_attach(c);
	return was != tdax_collector_sources(c);
}

