// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * collector.c - load and attach the tdax BPF programs, read their maps into
 * snapshots, follow the module and the devices/regions in sysfs.
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

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collector_int.h"
#include "tdax_collect.skel.h"

#define NEVENTS 8

/** struct tdax_seen - when the collector first saw a device or region. */
struct tdax_seen {
	int kind;			/* 0 device (by name), 1 region (by id) */
	__u32 id;
	char name[TDAX_NAME_LEN];
	__u32 dev;			/* device: last known dev_t */
	__u64 first_ns;
	__u32 binds, unbinds;		/* device: last seen in live_devs */
};

/**
 * struct tdax_collector - one loaded instance of the BPF programs.
 * @skel:	the skeleton (maps survive detach/attach and reloads)
 * @links:	attached programs of the current mode
 * @seen:	devices/regions seen, for names of gone devices and ages
 */
struct tdax_collector {
	struct tdax_collector_opts opts;
	char root[PATH_MAX];
	struct tdax_collect *skel;
	struct bpf_link *links[NEVENTS];
	struct ring_buffer *rb;
	enum tdax_attach_mode loaded_mode;
	bool attached;
	int ncpus;
	char err[320];
	struct tdax_seen *seen;
	size_t nseen, cseen;
	struct tdax_sysfs sysfs;
};

static const char *const event_names[NEVENTS] = {
	"tdax_fault", "tdax_mmap", "tdax_bind", "tdax_unbind",
	"tdax_region_create", "tdax_region_destroy", "tdax_dev_create", "tdax_dev_destroy",
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

static int set_err(struct tdax_collector *c, int err, const char *fmt, ...)
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
	return c->attached ? c->loaded_mode : TDAX_ATTACH_NONE;
}

static __u64 now_ns(clockid_t clk)
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
	return path_exists(c, "module/tdax") || path_exists(c, "bus/tdax");
}

static struct bpf_program *prog_of(struct tdax_collector *c, enum tdax_attach_mode m, int i)
{
	struct bpf_program *btf[NEVENTS] = {
		c->skel->progs.btf_fault, c->skel->progs.btf_mmap,
		c->skel->progs.btf_bind, c->skel->progs.btf_unbind,
		c->skel->progs.btf_region_create, c->skel->progs.btf_region_destroy,
		c->skel->progs.btf_dev_create, c->skel->progs.btf_dev_destroy,
	};
	struct bpf_program *raw[NEVENTS] = {
		c->skel->progs.raw_fault, c->skel->progs.raw_mmap,
		c->skel->progs.raw_bind, c->skel->progs.raw_unbind,
		c->skel->progs.raw_region_create, c->skel->progs.raw_region_destroy,
		c->skel->progs.raw_dev_create, c->skel->progs.raw_dev_destroy,
	};

	return m == TDAX_ATTACH_TP_BTF ? btf[i] : raw[i];
}

static int ringbuf_cb(void *ctx, void *data, size_t size)
{
	struct tdax_collector *c = ctx;

	if (size < sizeof(struct tdax_event) || !c->opts.on_event)
		return 0;
	return c->opts.on_event(c->opts.event_ctx, data);
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
		return set_err(c, -errno, "cannot open the BPF object: %s", strerror(errno));
	skel->rodata->snoop = c->opts.events;
	if (c->opts.max_procs)
		bpf_map__set_max_entries(skel->maps.proc_stats, c->opts.max_procs);
	c->skel = skel;
	for (i = 0; i < NEVENTS; i++) {
		bpf_program__set_autoload(prog_of(c, TDAX_ATTACH_TP_BTF, i),
					  m == TDAX_ATTACH_TP_BTF);
		bpf_program__set_autoload(prog_of(c, TDAX_ATTACH_RAW_TP, i),
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
		set_err(c, err, "cannot load the BPF programs (%s): %s%s%s",
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
		c->links[i] = bpf_program__attach(prog_of(c, c->loaded_mode, i));
		if (!c->links[i]) {
			err = -errno;
			detach_links(c);
			return set_err(c, err, "cannot attach to tracepoint tdax:%s (%s): %s",
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
		return set_err(c, -errno, "cannot open the BPF ring buffer: %s", strerror(errno));
	return 0;
}

int tdax_collector_attach(struct tdax_collector *c)
{
	struct tdax_collect *old;
	int err;

	if (c->attached)
		return 0;
	if (!module_present(c))
		return set_err(c, -ENOENT, "tdax module not loaded: %s/bus/tdax is missing", c->root);
	err = attach_links(c);
	if (!err)
		return 0;
	/*
	 * A tp_btf program is bound to the BTF of the module instance it was
	 * loaded against; after a reload of the module, load again (maps kept).
	 */
	old = c->skel;
	c->skel = NULL;
	err = load_best(c, old);
	if (err) {
		c->skel = old;
		return err;
	}
	tdax_collect__destroy(old);
	err = setup_ringbuf(c);
	if (err)
		return err;
	return attach_links(c);
}

int tdax_collector_detach(struct tdax_collector *c)
{
	detach_links(c);
	return 0;
}

static void opts_copy(struct tdax_collector_opts *dst, const struct tdax_collector_opts *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src)
		memcpy(dst, src, src->sz && src->sz < sizeof(*dst) ? src->sz : sizeof(*dst));
	dst->sz = sizeof(*dst);
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
		err = set_err(c, -EINVAL, "events requested without an on_event callback");
		goto fail;
	}
	if (geteuid() != 0) {
		err = set_err(c, -EPERM,
			      "must run as root (loading BPF programs needs CAP_BPF and CAP_PERFMON)");
		goto fail;
	}
	if (!path_exists(c, "kernel/btf/vmlinux") && c->opts.verbose)
		fprintf(stderr, "tdax: kernel has no BTF (%s/kernel/btf/vmlinux); using raw_tp\n",
			c->root);
	if (!c->opts.wait_module && !module_present(c)) {
		err = set_err(c, -ENOENT,
			      "tdax module not loaded: %s/bus/tdax is missing (insmod tdax.ko first)",
			      c->root);
		goto fail;
	}
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0) {
		err = set_err(c, c->ncpus ? c->ncpus : -EINVAL, "cannot count possible CPUs");
		goto fail;
	}
	err = load_best(c, NULL);
	if (err)
		goto fail;
	err = setup_ringbuf(c);
	if (err)
		goto fail;
	if (module_present(c)) {
		err = attach_links(c);
		if (err && !c->opts.wait_module)
			goto fail;
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
	ring_buffer__free(c->rb);
	tdax_collect__destroy(c->skel);
	tdax_sysfs_free(&c->sysfs);
	free(c->seen);
	free(c);
}

int tdax_collector_poll(struct tdax_collector *c, int timeout_ms)
{
	int n;

	if (!c->rb)
		return set_err(c, -EINVAL, "event stream not enabled");
	n = ring_buffer__poll(c->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return set_err(c, n, "reading the BPF ring buffer: %s", strerror(-n));
	return n < 0 ? 0 : n;
}

int tdax_collector_event_fd(const struct tdax_collector *c)
{
	return c->rb ? ring_buffer__epoll_fd(c->rb) : -1;
}

/* ---- following sysfs ------------------------------------------------------ */

static struct tdax_seen *seen_find(struct tdax_collector *c, int kind, __u32 id,
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
	s->first_ns = now_ns(CLOCK_MONOTONIC);
	return s;
}

int tdax_collector_refresh(struct tdax_collector *c)
{
	bool was = c->attached;
	size_t i;
	int err;

	tdax_sysfs_free(&c->sysfs);
	err = tdax_sysfs_scan(c->root, &c->sysfs);
	if (err)
		return set_err(c, err, "cannot read %s/bus/tdax: %s", c->root, strerror(-err));
	for (i = 0; i < c->sysfs.ndevs; i++) {
		struct tdax_seen *s = seen_find(c, 0, 0, c->sysfs.devs[i].name, true);

		if (s && c->sysfs.devs[i].dev)
			s->dev = c->sysfs.devs[i].dev;
	}
	for (i = 0; i < c->sysfs.nregions; i++)
		seen_find(c, 1, c->sysfs.regions[i].id, NULL, true);
	if (!c->attached && module_present(c))
		tdax_collector_attach(c);	/* failure is in errmsg; retried next time */
	return was != c->attached;
}

/* ---- reading maps ------------------------------------------------------------ */

static size_t percpu_stride(size_t sz)
{
	return (sz + 7) & ~(size_t)7;
}

/*
 * Iterate a map: for each key, read the value (per-CPU values summed by
 * the caller through the cpu stride), call fn.  Returns entries or <0.
 */
typedef int (*map_fn)(struct tdax_collector *c, struct tdax_snapshot *s, void *scratch,
		      const void *key, const void *vals, int nvals, size_t stride);

static long walk_map(struct tdax_collector *c, struct tdax_snapshot *s, void *scratch,
		     struct bpf_map *map, bool percpu, map_fn fn)
{
	size_t ksz = bpf_map__key_size(map), vsz = bpf_map__value_size(map);
	int nvals = percpu ? c->ncpus : 1, fd = bpf_map__fd(map), err;
	size_t stride = percpu ? percpu_stride(vsz) : vsz;
	char key[256], next[256];
	void *vals, *prev = NULL;
	long n = 0;

	if (ksz > sizeof(key))
		return -E2BIG;
	vals = calloc(nvals, stride);
	if (!vals)
		return -ENOMEM;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, ksz);
		prev = key;
		if (bpf_map_lookup_elem(fd, key, vals))
			continue;	/* deleted meanwhile */
		err = fn(c, s, scratch, key, vals, nvals, stride);
		if (err) {
			free(vals);
			return err;
		}
		n++;
	}
	free(vals);
	return n;
}

struct caps {
	size_t devs, faults, mmaps, procs, regions;
};

static void sum_gran(struct tdax_gran_val *out, const void *vals, int n, size_t stride)
{
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
		tdax_gran_add(out, (const void *)((const char *)vals + i * stride));
}

static int on_dev_stats(struct tdax_collector *c, struct tdax_snapshot *s, void *scratch,
			const void *key, const void *vals, int n, size_t stride)
{
	struct caps *cap = scratch;
	struct tdax_snap_dev *d = tdax_snapshot_dev_add(s, &cap->devs, *(const __u32 *)key);

	(void)c;
	if (!d)
		return -ENOMEM;
	sum_gran(&d->g, vals, n, stride);
	return 0;
}

static int on_fault_lat(struct tdax_collector *c, struct tdax_snapshot *s, void *scratch,
			const void *key, const void *vals, int n, size_t stride)
{
	const struct tdax_lat_key *k = key;
	struct caps *cap = scratch;
	struct tdax_snap_dev *d = tdax_snapshot_dev_add(s, &cap->devs, k->dev);
	unsigned int si = k->size_idx < TDAX_SZ_NR ? k->size_idx : TDAX_SZ_NR;
	int i;

	(void)c;
	if (!d)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		tdax_hist_add(&d->lat[si], (const void *)((const char *)vals + i * stride));
	return 0;
}

/* Sum of a per-CPU struct tdax_count value over its @n CPUs. */
static __u64 sum_counts(const void *vals, int n, size_t stride)
{
	__u64 sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += ((const struct tdax_count *)((const char *)vals + i * stride))->count;
	return sum;
}

static int on_fault_counts(struct tdax_collector *c, struct tdax_snapshot *s, void *scratch,
			   const void *key, const void *vals, int n, size_t stride)
{
	const struct tdax_fault_key *k = key;
	struct caps *cap = scratch;
	struct tdax_snap_fault *f;

	(void)c;
	f = tdax_grow(s->faults, &cap->faults, s->nfaults, sizeof(*f));
	if (!f)
		return -ENOMEM;
	s->faults = f;
	f = &s->faults[s->nfaults++];
	f->dev = k->dev;
	f->size_idx = k->size_idx;
	f->outcome = k->outcome;
	f->reason = k->reason;
	f->count = sum_counts(vals, n, stride);
	return 0;
}

static int on_mmap_counts(struct tdax_collector *c, struct tdax_snapshot *s, void *scratch,
			  const void *key, const void *vals, int n, size_t stride)
{
	const struct tdax_mmap_key *k = key;
	struct caps *cap = scratch;
	struct tdax_snap_mmap *m;
	struct tdax_snap_dev *d;

	(void)c;
	m = tdax_grow(s->mmaps, &cap->mmaps, s->nmmaps, sizeof(*m));
	if (!m)
		return -ENOMEM;
	s->mmaps = m;
	m = &s->mmaps[s->nmmaps++];
	m->dev = k->dev;
	m->result = k->result;
	m->reason = k->reason;
	m->count = sum_counts(vals, n, stride);
	d = tdax_snapshot_dev_add(s, &cap->devs, k->dev);
	if (!d)
		return -ENOMEM;
	if (k->result)
		d->mmap_errors += m->count;
	else
		d->mmaps += m->count;
	return 0;
}

static int on_proc_stats(struct tdax_collector *c, struct tdax_snapshot *s, void *scratch,
			 const void *key, const void *vals, int n, size_t stride)
{
	const struct tdax_proc_key *k = key;
	struct caps *cap = scratch;
	struct tdax_snap_proc *p;
	char path[64];
	int i;

	(void)c;
	p = tdax_grow(s->procs, &cap->procs, s->nprocs, sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->procs = p;
	p = &s->procs[s->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = k->tgid;
	p->dev = k->dev;
	for (i = 0; i < n; i++) {
		const struct tdax_proc_val *v = (const void *)((const char *)vals + i * stride);

		tdax_gran_add(&p->g, &v->g);
		p->mmaps += v->mmaps;
		p->mmap_errors += v->mmap_errors;
		if (!p->comm[0] && v->comm[0])
			memcpy(p->comm, v->comm, sizeof(p->comm));
	}
	p->comm[TDAX_COMM_LEN - 1] = 0;
	snprintf(path, sizeof(path), "/proc/%u", p->pid);
	p->alive = access(path, F_OK) == 0;
	if (!tdax_snapshot_dev_add(s, &cap->devs, k->dev))
		return -ENOMEM;
	return 0;
}

static int on_live_region(struct tdax_collector *c, struct tdax_snapshot *s, void *scratch,
			  const void *key, const void *vals, int n, size_t stride)
{
	const struct tdax_live_region *v = vals;
	struct caps *cap = scratch;
	struct tdax_snap_region *r = NULL;
	size_t i;

	(void)c; (void)n; (void)stride; (void)key;
	for (i = 0; i < s->nregions; i++)
		if (s->regions[i].id == v->id)
			r = &s->regions[i];
	if (!r) {
		r = tdax_grow(s->regions, &cap->regions, s->nregions, sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->regions = r;
		r = &s->regions[s->nregions++];
		memset(r, 0, sizeof(*r));
		r->id = v->id;
		r->size = v->size;
		r->align = v->align;
	}
	/* the provider device in sysfs names a present region; else the record's */
	if (!r->provider[0]) {
		memcpy(r->provider, v->provider, sizeof(r->provider));
		r->provider[TDAX_NAME_LEN - 1] = 0;
	}
	r->start = v->start;
	r->age_known = true;
	r->create_ns = v->create_ns;
	r->age_ns = s->ts_ns > v->create_ns ? s->ts_ns - v->create_ns : 0;
	return 0;
}

static int on_live_dev(struct tdax_collector *c, struct tdax_snapshot *s, void *scratch,
		       const void *key, const void *vals, int n, size_t stride)
{
	const struct tdax_name_key *k = key;
	const struct tdax_live_dev *v = vals;
	struct caps *cap = scratch;
	struct tdax_seen *seen;
	struct tdax_snap_dev *d;

	(void)n; (void)stride;
	d = (struct tdax_snap_dev *)tdax_snapshot_dev_by_name(s, k->name);
	if (!d) {
		if (!v->dev)
			return 0;
		d = tdax_snapshot_dev_add(s, &cap->devs, v->dev);
		if (!d)
			return -ENOMEM;
		if (!d->name[0])	/* not in sysfs (gone) and no counters yet */
			snprintf(d->name, sizeof(d->name), "%s", k->name);
	}
	d->binds = v->binds;
	d->unbinds = v->unbinds;
	seen = seen_find(c, 0, 0, k->name, false);
	if (seen) {
		/* kept for when the device is destroyed (its entry goes) */
		seen->binds = v->binds;
		seen->unbinds = v->unbinds;
	}
	if (v->create_ns && !v->destroy_ns) {
		d->age_known = true;
		d->create_ns = v->create_ns;
		d->age_ns = s->ts_ns > v->create_ns ? s->ts_ns - v->create_ns : 0;
	}
	return 0;
}

static void map_fill(struct tdax_collector *c, struct tdax_snapshot *s, int stat,
		     struct bpf_map *map, long entries)
{
	(void)c;
	s->map_entries[stat] = entries > 0 ? entries : 0;
	s->map_max[stat] = bpf_map__max_entries(map);
}

static void read_run_stats(struct tdax_collector *c, struct tdax_snapshot *s)
{
	int i;

	for (i = 0; i < NEVENTS; i++) {
		struct bpf_program *p = prog_of(c, c->loaded_mode, i);
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		s->bpf_run_ns += info.run_time_ns;
		s->bpf_run_cnt += info.run_cnt;
	}
}

/* Put sysfs names and gauges on the snapshot's devices and regions. */
static int merge_sysfs(struct tdax_collector *c, struct tdax_snapshot *s, struct caps *cap)
{
	size_t i, j;

	for (i = 0; i < c->sysfs.ndevs; i++) {
		const struct tdax_sysfs_dev *sd = &c->sysfs.devs[i];
		struct tdax_snap_dev *d = NULL;
		struct tdax_seen *seen;

		if (sd->dev) {
			d = tdax_snapshot_dev_add(s, &cap->devs, sd->dev);
		} else {
			/* no dev_t: a row of its own, by name */
			d = tdax_grow(s->devs, &cap->devs, s->ndevs, sizeof(*d));
			if (d) {
				s->devs = d;
				d = &s->devs[s->ndevs++];
				memset(d, 0, sizeof(*d));
			}
		}
		if (!d)
			return -ENOMEM;
		snprintf(d->name, sizeof(d->name), "%s", sd->name);
		d->region_id = sd->region_id;
		d->size = sd->size;
		d->align = sd->align;
		memcpy(d->driver, sd->driver, sizeof(d->driver));
		memcpy(d->fault_policy, sd->fault_policy, sizeof(d->fault_policy));
		d->present = true;
		seen = seen_find(c, 0, 0, sd->name, false);
		if (seen)
			d->age_ns = s->ts_ns - seen->first_ns;
	}
	for (i = 0; i < s->ndevs; i++) {
		struct tdax_snap_dev *d = &s->devs[i];

		if (d->name[0])
			continue;
		/* gone (or never seen in sysfs): last known name, else MAJ:MIN */
		for (j = 0; j < c->nseen; j++)
			if (c->seen[j].kind == 0 && c->seen[j].dev == d->dev && d->dev) {
				snprintf(d->name, sizeof(d->name), "%s", c->seen[j].name);
				break;
			}
		if (!d->name[0])
			snprintf(d->name, sizeof(d->name), "dev:%u:%u",
				 TDAX_KDEV_MAJOR(d->dev), TDAX_KDEV_MINOR(d->dev));
		if (!d->align && d->g.align_seen)
			d->align = 1ULL << d->g.align_seen;
		if (d->region_id < 0 && (d->g.align_seen || d->g.region_id))
			d->region_id = d->g.region_id;
	}
	for (i = 0; i < c->sysfs.nregions; i++) {
		const struct tdax_sysfs_region *sr = &c->sysfs.regions[i];
		struct tdax_snap_region *r;
		struct tdax_seen *seen;

		r = tdax_grow(s->regions, &cap->regions, s->nregions, sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->regions = r;
		r = &s->regions[s->nregions++];
		memset(r, 0, sizeof(*r));
		r->id = sr->id;
		memcpy(r->provider, sr->provider, sizeof(r->provider));
		r->start = sr->start;
		r->size = sr->size;
		r->align = sr->align;
		r->available_size = sr->available_size;
		r->ndevs = sr->ndevs;
		r->present = true;
		seen = seen_find(c, 1, sr->id, NULL, false);
		if (seen)
			r->age_ns = s->ts_ns - seen->first_ns;
	}
	return 0;
}

int tdax_collector_snapshot(struct tdax_collector *c, struct tdax_snapshot *out)
{
	struct tdax_collect *sk = c->skel;
	struct tdax_snapshot s;
	struct caps cap = {};
	long n;
	__u32 i;
	int err, cpu;

	err = tdax_collector_refresh(c);
	if (err < 0)
		return err;
	tdax_snapshot_init(&s);
	s.ts_ns = now_ns(CLOCK_MONOTONIC);
	s.realtime_ns = now_ns(CLOCK_REALTIME);
	s.mode = tdax_collector_mode(c);

#define WALK(map, percpu, fn, stat)						\
	do {									\
		n = walk_map(c, &s, &cap, sk->maps.map, percpu, fn);		\
		if (n < 0) {							\
			err = set_err(c, n, "cannot read BPF map " #map ": %s",	\
				      strerror(-n));				\
			goto fail;						\
		}								\
		map_fill(c, &s, stat, sk->maps.map, n);				\
	} while (0)

	WALK(dev_stats, true, on_dev_stats, TDAX_STAT_FULL_DEV_STATS);
	WALK(fault_lat, true, on_fault_lat, TDAX_STAT_FULL_FAULT_LAT);
	WALK(fault_counts, true, on_fault_counts, TDAX_STAT_FULL_FAULT_COUNTS);
	WALK(mmap_counts, true, on_mmap_counts, TDAX_STAT_FULL_MMAP_COUNTS);
	WALK(proc_stats, true, on_proc_stats, TDAX_STAT_FULL_PROC_STATS);
	err = merge_sysfs(c, &s, &cap);
	if (err)
		goto fail;
	WALK(live_regions, false, on_live_region, TDAX_STAT_FULL_LIVE_REGIONS);
	for (i = 0; i < s.ndevs; i++) {
		struct tdax_seen *seen = seen_find(c, 0, 0, s.devs[i].name, false);

		if (seen) {
			s.devs[i].binds = seen->binds;
			s.devs[i].unbinds = seen->unbinds;
		}
	}
	WALK(live_devs, false, on_live_dev, TDAX_STAT_FULL_LIVE_DEVS);
#undef WALK

	{
		size_t vsz = percpu_stride(sizeof(struct tdax_hist));
		char *vals = calloc(c->ncpus, vsz);

		if (!vals) {
			err = -ENOMEM;
			goto fail;
		}
		for (i = 0; i < TDAX_LT_NR; i++) {
			if (bpf_map_lookup_elem(bpf_map__fd(sk->maps.lifetimes), &i, vals))
				continue;
			for (cpu = 0; cpu < c->ncpus; cpu++)
				tdax_hist_add(&s.lifetimes[i], (void *)(vals + cpu * vsz));
		}
		free(vals);
	}
	{
		__u64 *vals = calloc(c->ncpus, sizeof(__u64));

		if (!vals) {
			err = -ENOMEM;
			goto fail;
		}
		for (i = 0; i < TDAX_STAT_NR; i++) {
			if (bpf_map_lookup_elem(bpf_map__fd(sk->maps.stats), &i, vals))
				continue;
			for (cpu = 0; cpu < c->ncpus; cpu++)
				s.stats[i] += vals[cpu];
		}
		free(vals);
	}
	read_run_stats(c, &s);
	tdax_snapshot_sort(&s);
	tdax_snapshot_free(out);
	*out = s;
	return 0;
fail:
	tdax_snapshot_free(&s);
	return err;
}
