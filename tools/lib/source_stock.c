// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * source_stock.c - the stock-kernel source of the collector: BPF on the
 * in-tree device_dax driver's functions (bpf/tdax_stock.bpf.c) instead of
 * the tdax tracepoints, and the devices of /sys/bus/dax.
 *
 * The stock object reuses the map fds of the tdax object (c->skel), so
 * maps.c reads one set of maps whatever the source: snapshots, measures and
 * front ends are the same.  Attachment: fentry/fexit when the kernel allows
 * it (trampolines, BTF of device_dax), else kprobe/kretprobe; forced with
 * opts.stock_attach or TDAX_STOCK_ATTACH=fentry|kprobe.
 * docs/stock-kernel.md describes what a stock kernel gives.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collector_int.h"
#include "tdax_collect.skel.h"
#include "tdax_stock.skel.h"
#include "tdax_stock.h"

#define NSTOCK_PROGS 4		/* required: fault and mmap entry/exit */
#define NSTOCK_LIFE 2		/* optional: device create and destroy */

/**
 * struct tdax_stock_src - the stock source of one collector.
 * @skel, @links, @life: the programs this consumer loaded and attached
 * @link_fd, @prog_fd: a follower of a shared set: the pinned links it
 *	holds, and the programs behind them (for the run statistics), -1 else
 * @follower:	the programs are a shared set's (share.c), not loaded here
 */
struct tdax_stock_src {
	struct tdax_stock *skel;
	struct bpf_link *links[NSTOCK_PROGS];
	struct bpf_link *life[NSTOCK_LIFE];
	int link_fd[NSTOCK_PROGS], prog_fd[NSTOCK_PROGS];
	enum tdax_attach_mode mode;
	bool attached, follower;
};

/* names of the pinned links of a shared stock set, programs then lifetimes */
static const char *const pin_names[NSTOCK_PROGS + NSTOCK_LIFE] = {
	"stock_fault_entry", "stock_fault_exit", "stock_mmap_entry", "stock_mmap_exit",
	"stock_create", "stock_destroy",
};

static bool exists(const char *root, const char *rel)
{
	char p[PATH_MAX + 64];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root ? root : "/sys", rel);
	return stat(p, &st) == 0;
}

bool tdax_stock_present(const char *sysfs_root)
{
	return exists(sysfs_root, "module/device_dax");
}

const char *tdax_source_name(unsigned int sources)
{
	switch (sources & TDAX_SOURCE_BOTH) {
	case TDAX_SOURCE_TDAX: return "tdax";
	case TDAX_SOURCE_STOCK: return "stock";
	case TDAX_SOURCE_BOTH: return "both";
	}
	return "none";
}

int tdax_parse_source(const char *s, enum tdax_source *out)
{
	if (!strcmp(s, "auto"))
		*out = TDAX_SOURCE_AUTO;
	else if (!strcmp(s, "tdax"))
		*out = TDAX_SOURCE_TDAX;
	else if (!strcmp(s, "stock"))
		*out = TDAX_SOURCE_STOCK;
	else
		return -EINVAL;
	return 0;
}

const char *tdax_dev_source(const struct tdax_snap_dev *d)
{
	if (d->instance)
		return tdax_instance_is_stock(d->instance) ? "stock" : "tdax";
	return strncmp(d->name, "tdax", 4) ? "stock" : "tdax";
}

static struct bpf_program *prog_of(struct tdax_stock *sk, enum tdax_attach_mode m, int i)
{
	struct bpf_program *fe[NSTOCK_PROGS] = {
		sk->progs.st_fentry_fault, sk->progs.st_fexit_fault,
		sk->progs.st_fentry_mmap, sk->progs.st_fexit_mmap,
	};
	struct bpf_program *kp[NSTOCK_PROGS] = {
		sk->progs.st_kp_fault, sk->progs.st_krp_fault,
		sk->progs.st_kp_mmap, sk->progs.st_krp_mmap,
	};

	return m == TDAX_ATTACH_FENTRY ? fe[i] : kp[i];
}

static struct bpf_program *life_of(struct tdax_stock *sk, enum tdax_attach_mode m, int i)
{
	struct bpf_program *fe[NSTOCK_LIFE] = { sk->progs.st_fexit_create, sk->progs.st_fentry_destroy };
	struct bpf_program *kp[NSTOCK_LIFE] = { sk->progs.st_krp_create, sk->progs.st_kp_destroy };

	return m == TDAX_ATTACH_FENTRY ? fe[i] : kp[i];
}

static const char *const life_fn[NSTOCK_LIFE] = { "devm_create_dev_dax", "unregister_dev_dax" };

static const char *const prog_fn[NSTOCK_PROGS] = {
	TDAX_STOCK_FN_FAULT, TDAX_STOCK_FN_FAULT, TDAX_STOCK_FN_MMAP, TDAX_STOCK_FN_MMAP,
};

static struct tdax_stock_src *stock_src(struct tdax_collector *c)
{
	int i;

	if (!c->stock) {
		c->stock = calloc(1, sizeof(*c->stock));
		if (!c->stock)
			return NULL;
		for (i = 0; i < NSTOCK_PROGS; i++)
			c->stock->link_fd[i] = c->stock->prog_fd[i] = -1;
	}
	return c->stock;
}

static void stock_destroy(struct tdax_stock_src *s)
{
	int i;

	for (i = 0; i < NSTOCK_PROGS; i++) {
		bpf_link__destroy(s->links[i]);
		s->links[i] = NULL;
		if (s->prog_fd[i] >= 0)
			close(s->prog_fd[i]);
		if (s->link_fd[i] >= 0)
			close(s->link_fd[i]);
		s->link_fd[i] = s->prog_fd[i] = -1;
	}
	s->follower = false;
	for (i = 0; i < NSTOCK_LIFE; i++) {
		bpf_link__destroy(s->life[i]);
		s->life[i] = NULL;
	}
	s->attached = false;
	tdax_stock__destroy(s->skel);
	s->skel = NULL;
}

/* Load and attach in mode m; on failure one line in why. */
static int stock_try1(struct tdax_collector *c, struct tdax_stock_src *s,
		      enum tdax_attach_mode m, bool life, char *why, size_t len)
{
	struct bpf_program *p;
	struct bpf_map *map;
	int i, err;

	s->skel = tdax_stock__open();
	if (!s->skel) {
		err = -errno;
		snprintf(why, len, "cannot open the stock BPF object: %s", strerror(-err));
		return err;
	}
	s->skel->rodata->snoop = c->opts.events && !c->making_share;
	s->skel->rodata->want_procs = !c->opts.no_procs || c->making_share;
	s->skel->rodata->shared_set = c->making_share;
	bpf_object__for_each_program(p, s->skel->obj)
		bpf_program__set_autoload(p, false);
	for (i = 0; i < NSTOCK_PROGS; i++)
		bpf_program__set_autoload(prog_of(s->skel, m, i), true);
	for (i = 0; life && i < NSTOCK_LIFE; i++)
		bpf_program__set_autoload(life_of(s->skel, m, i), true);
	bpf_object__for_each_map(map, s->skel->obj) {
		struct bpf_map *om = bpf_object__find_map_by_name(c->skel->obj, bpf_map__name(map));

		if (om && !bpf_map__is_internal(map) && bpf_map__fd(om) >= 0) {
			err = bpf_map__reuse_fd(map, bpf_map__fd(om));
			if (err) {
				snprintf(why, len, "cannot share map %s: %s", bpf_map__name(map),
					 strerror(-err));
				goto fail;
			}
		}
	}
	err = tdax_stock__load(s->skel);
	if (err) {
		snprintf(why, len, "cannot load the %s programs: %s", tdax_attach_mode_name(m),
			 strerror(-err));
		goto fail;
	}
	for (i = 0; i < NSTOCK_PROGS; i++) {
		s->links[i] = bpf_program__attach(prog_of(s->skel, m, i));
		if (!s->links[i]) {
			err = -errno;
			snprintf(why, len, "cannot attach %s to device_dax:%s: %s",
				 tdax_attach_mode_name(m), prog_fn[i], strerror(-err));
			goto fail;
		}
	}
	for (i = 0; life && i < NSTOCK_LIFE; i++) {
		s->life[i] = bpf_program__attach(life_of(s->skel, m, i));
		if (!s->life[i]) {
			err = -errno;
			snprintf(why, len, "cannot attach %s to dax bus %s: %s",
				 tdax_attach_mode_name(m), life_fn[i], strerror(-err));
			goto fail;
		}
	}
	s->mode = m;
	s->attached = true;
	return 0;
fail:
	stock_destroy(s);
	return err ? err : -EINVAL;
}

/*
 * Mode m with the lifetime programs, else without them (then a note says
 * device create/destroy are not seen).
 */
static int stock_try(struct tdax_collector *c, struct tdax_stock_src *s,
		     enum tdax_attach_mode m, char *why, size_t len)
{
	char lwhy[256];
	int err;

	if (!stock_try1(c, s, m, true, lwhy, sizeof(lwhy)))
		return 0;
	err = stock_try1(c, s, m, false, why, len);
	if (err)
		return err;
	snprintf(c->note, sizeof(c->note),
		 "stock: device create/destroy not followed (%s); lifetimes unknown", lwhy);
	return 0;
}

/* Which attachment was asked for: opts, else $TDAX_STOCK_ATTACH, else auto (0). */
static int wanted_attach(struct tdax_collector *c, enum tdax_attach_mode *m)
{
	const char *e = getenv("TDAX_STOCK_ATTACH");

	*m = c->opts.stock_attach;
	if (*m)
		return 0;
	if (!e || !*e || !strcmp(e, "auto"))
		return 0;
	if (!strcmp(e, "fentry"))
		*m = TDAX_ATTACH_FENTRY;
	else if (!strcmp(e, "kprobe"))
		*m = TDAX_ATTACH_KPROBE;
	else
		return tdax_set_err(c, -EINVAL,
				    "TDAX_STOCK_ATTACH=%s: want fentry, kprobe or auto", e);
	return 0;
}

/* An attachment forced by opts or the environment: a private set (share.c). */
bool tdax_stock_forced(struct tdax_collector *c)
{
	enum tdax_attach_mode m;

	return !wanted_attach(c, &m) && m;
}

int tdax_stock_attach(struct tdax_collector *c)
{
	struct tdax_stock_src *s = c->stock;
	enum tdax_attach_mode m;
	char why[256], first[256];
	int err;

	s = stock_src(c);
	if (!s)
		return tdax_set_err(c, -ENOMEM, "out of memory");
	if (s->attached)
		return 0;
	if (!tdax_stock_present(c->root))
		return tdax_set_err(c, -ENOENT,
				    "stock: in-tree device_dax not loaded (%s/module/device_dax missing)",
				    c->root);
	err = wanted_attach(c, &m);
	if (err)
		return err;
	if (m) {
		err = stock_try(c, s, m, why, sizeof(why));
		if (err)
			return tdax_set_err(c, err, "stock: %s", why);
		return 0;
	}
	err = stock_try(c, s, TDAX_ATTACH_FENTRY, first, sizeof(first));
	if (!err)
		return 0;
	err = stock_try(c, s, TDAX_ATTACH_KPROBE, why, sizeof(why));
	if (err)
		return tdax_set_err(c, err, "stock: %s; %s", first, why);
	snprintf(c->note, sizeof(c->note), "stock: fentry unavailable (%s); using kprobes", first);
	return 0;
}

/* ---- a shared stock set (share.c) ---------------------------------------------- */

static void stock_pin_path(char *p, size_t n, const char *dir, const char *kind, int i)
{
	snprintf(p, n, "%s/%s%s", dir, kind, pin_names[i]);
}

/*
 * Pin the links this consumer attached (it made the shared set), and the
 * programs of the fault and mmap links (prog_stock_*: the run statistics
 * of a follower without CAP_SYS_ADMIN); fixup(path, arg) after each pin.
 */
int tdax_stock_pin(struct tdax_collector *c, const char *dir,
		   void (*fixup)(const char *path, void *arg), void *arg)
{
	struct tdax_stock_src *s = c->stock;
	char p[PATH_MAX];
	int i, err;

	if (!s || !s->attached || s->follower)
		return -EINVAL;
	for (i = 0; i < NSTOCK_PROGS + NSTOCK_LIFE; i++) {
		struct bpf_link *l = i < NSTOCK_PROGS ? s->links[i] : s->life[i - NSTOCK_PROGS];

		if (!l)
			continue;	/* no lifetime programs: not pinned */
		stock_pin_path(p, sizeof(p), dir, "link_", i);
		err = bpf_link__pin(l, p);
		if (err)
			return err;
		fixup(p, arg);
		if (i >= NSTOCK_PROGS)
			continue;
		stock_pin_path(p, sizeof(p), dir, "prog_", i);
		if (bpf_obj_pin(bpf_program__fd(prog_of(s->skel, s->mode, i)), p))
			return -errno;
		fixup(p, arg);
	}
	return 0;
}

/* Remove the pins tdax_stock_pin() made (those that exist). */
void tdax_stock_unpin(struct tdax_collector *c, const char *dir)
{
	char p[PATH_MAX];
	int i;

	for (i = 0; i < NSTOCK_PROGS + NSTOCK_LIFE; i++) {
		if (c->stock && !c->stock->follower) {
			struct bpf_link *l = i < NSTOCK_PROGS ? c->stock->links[i] :
					     c->stock->life[i - NSTOCK_PROGS];

			if (l)
				bpf_link__unpin(l);
		}
		stock_pin_path(p, sizeof(p), dir, "link_", i);
		unlink(p);
		stock_pin_path(p, sizeof(p), dir, "prog_", i);
		unlink(p);
	}
}

/*
 * Follow a shared stock set: the programs behind its pinned links give the
 * run statistics and the attachment mode; nothing is loaded.
 */
int tdax_stock_follow(struct tdax_collector *c, const char *dir)
{
	struct tdax_stock_src *s = stock_src(c);
	char p[PATH_MAX];
	int i, err = 0;

	if (!s)
		return -ENOMEM;
	stock_destroy(s);
	for (i = 0; i < NSTOCK_PROGS && !err; i++) {
		struct bpf_link_info li = {};
		__u32 len = sizeof(li);

		stock_pin_path(p, sizeof(p), dir, "link_", i);
		s->link_fd[i] = bpf_obj_get(p);
		if (s->link_fd[i] < 0 || bpf_obj_get_info_by_fd(s->link_fd[i], &li, &len)) {
			err = -errno;
			break;
		}
		/* fentry/fexit: tracing links; kprobes: perf-event links */
		if (!i)
			s->mode = li.type == BPF_LINK_TYPE_TRACING ? TDAX_ATTACH_FENTRY :
				  TDAX_ATTACH_KPROBE;
		/* for the run statistics only: their pins, else by id (CAP_SYS_ADMIN) */
		stock_pin_path(p, sizeof(p), dir, "prog_", i);
		s->prog_fd[i] = bpf_obj_get(p);
		if (s->prog_fd[i] < 0)
			s->prog_fd[i] = bpf_prog_get_fd_by_id(li.prog_id);
	}
	if (err) {
		stock_destroy(s);
		return err;
	}
	stock_pin_path(p, sizeof(p), dir, "link_", NSTOCK_PROGS);
	if (access(p, F_OK))
		snprintf(c->note, sizeof(c->note),
			 "stock: device create/destroy not followed by the shared set; lifetimes unknown");
	s->follower = s->attached = true;
	return 0;
}

void tdax_stock_close(struct tdax_collector *c)
{
	if (!c->stock)
		return;
	stock_destroy(c->stock);
	free(c->stock);
	c->stock = NULL;
}

enum tdax_attach_mode tdax_stock_mode(const struct tdax_collector *c)
{
	return c->stock && c->stock->attached ? c->stock->mode : TDAX_ATTACH_NONE;
}

__u64 tdax_stock_run_ns(const struct tdax_collector *c, __u64 *cnt)
{
	struct bpf_prog_info info;
	__u32 len;
	__u64 ns = 0;
	int i;

	*cnt = 0;
	if (!c->stock || !c->stock->attached)
		return 0;
	for (i = 0; i < NSTOCK_PROGS; i++) {
		const struct tdax_stock_src *s = c->stock;

		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(s->follower ? s->prog_fd[i] :
					   bpf_program__fd(prog_of(s->skel, s->mode, i)), &info, &len))
			continue;
		ns += info.run_time_ns;
		*cnt += info.run_cnt;
	}
	return ns;
}

/* ---- /sys/bus/dax ---------------------------------------------------------- */

static int rd_str(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

static int rd_u64(const char *dir, const char *file, __u64 *out)
{
	char buf[64], *end;
	unsigned long long v;

	if (rd_str(dir, file, buf, sizeof(buf)))
		return -ENOENT;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	*out = v;
	return 0;
}

static struct tdax_sysfs_region *region_of(struct tdax_sysfs *s, size_t *cap, __u32 id)
{
	struct tdax_sysfs_region *r;
	size_t i;

	for (i = 0; i < s->nregions; i++)
		if (s->regions[i].id == id)
			return &s->regions[i];
	r = tdax_grow(s->regions, cap, s->nregions, sizeof(*r));
	if (!r)
		return NULL;
	s->regions = r;
	r = &s->regions[s->nregions++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	return r;
}

/*
 * Append the devices of the in-tree bus (/sys/bus/dax/devices/daxR.N, region
 * group dax_region/ in the provider) to c->sysfs, as sysfs.c does for tdax.
 */
/*
 * A region's available size: its size less its devices' (what the kernel's
 * dax_region_avail_size() computes).  Not read from dax_region/available_size:
 * before 6.9 its show() takes the device lock of the region's parent (the
 * hmem or nvdimm device), which that device's unbind holds while it waits
 * for the readers of the region's attributes to leave: a reader then
 * deadlocks with the unbind (seen on 6.1 as daxtop blocked in
 * available_size_show and hmem's unbind hung).  The regions from r0 and
 * the devices from d0 are this scan's.
 */
static void region_available(struct tdax_sysfs *s, size_t r0, size_t d0)
{
	size_t i, j;

	for (i = r0; i < s->nregions; i++) {
		struct tdax_sysfs_region *r = &s->regions[i];
		__u64 used = 0;

		for (j = d0; j < s->ndevs; j++)
			if (s->devs[j].region_id >= 0 && (__u32)s->devs[j].region_id == r->id)
				used += s->devs[j].size;
		r->available_size = used < r->size ? r->size - used : 0;
	}
}

int tdax_stock_scan(struct tdax_collector *c)
{
	struct tdax_sysfs *s = &c->sysfs;
	char dir[PATH_MAX], path[PATH_MAX + 256], real[PATH_MAX], rdir[PATH_MAX + 16], buf[64];
	size_t dcap = s->ndevs, rcap = s->nregions, d0 = s->ndevs, r0 = s->nregions;
	struct dirent *de;
	DIR *dp;
	int err = 0;

	snprintf(dir, sizeof(dir), "%s/bus/dax/devices", c->root);
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dp))) {
		struct tdax_sysfs_dev *d;
		struct tdax_sysfs_region *r;
		unsigned int rid, did;
		__u64 v, res = 0;
		ssize_t n;
		char *slash;

		if (sscanf(de->d_name, "dax%u.%u", &rid, &did) != 2)
			continue;
		d = tdax_grow(s->devs, &dcap, s->ndevs, sizeof(*d));
		if (!d) {
			err = -ENOMEM;
			break;
		}
		s->devs = d;
		d = &s->devs[s->ndevs++];
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", de->d_name);
		d->region_id = rid;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!rd_str(path, "dev", buf, sizeof(buf)))
			tdax_parse_devt(buf, &d->dev);
		rd_u64(path, "size", &d->size);
		rd_u64(path, "align", &d->align);
		rd_u64(path, "resource", &res);
		snprintf(rdir, sizeof(rdir), "%s/driver", path);
		n = readlink(rdir, real, sizeof(real) - 1);
		if (n > 0) {
			real[n] = 0;
			slash = strrchr(real, '/');
			snprintf(d->driver, sizeof(d->driver), "%s", slash ? slash + 1 : real);
		}
		if (!realpath(path, real))
			continue;
		slash = strrchr(real, '/');
		if (!slash)
			continue;
		*slash = 0;
		snprintf(rdir, sizeof(rdir), "%s/dax_region", real);
		if (!rd_u64(rdir, "id", &v))
			d->region_id = (__s32)v;
		r = region_of(s, &rcap, d->region_id);
		if (!r) {
			err = -ENOMEM;
			break;
		}
		r->ndevs++;
		if (!r->provider[0]) {
			slash = strrchr(real, '/');
			snprintf(r->provider, sizeof(r->provider), "%s", slash ? slash + 1 : real);
		}
		rd_u64(rdir, "size", &r->size);
		rd_u64(rdir, "align", &r->align);
		if (res && d->size && (!r->start || res < r->start))
			r->start = res;
	}
	closedir(dp);
	region_available(s, r0, d0);
	return err;
}

/* ---- which sources ------------------------------------------------------------ */

/*
 * c->want from opts.source: auto is tdax when its bus exists, stock when
 * device_dax is loaded, both when both; nothing present is an error unless
 * wait_module (then both are waited for).
 */
int tdax_pick_sources(struct tdax_collector *c)
{
	bool t = tdax_module_present(c->root), s = tdax_stock_present(c->root);

	switch (c->opts.source) {
	case TDAX_SOURCE_TDAX:
		c->want = TDAX_SOURCE_TDAX;
		return 0;
	case TDAX_SOURCE_STOCK:
		c->want = TDAX_SOURCE_STOCK;
		if (!s && !c->opts.wait_module)
			return tdax_set_err(c, -ENOENT,
					    "in-tree device_dax not loaded: %s/module/device_dax is missing (modprobe device_dax)",
					    c->root);
		return 0;
	case TDAX_SOURCE_AUTO:
		c->want = (t ? TDAX_SOURCE_TDAX : 0) | (s ? TDAX_SOURCE_STOCK : 0);
		if (c->want)
			return 0;
		if (c->opts.wait_module) {
			c->want = TDAX_SOURCE_BOTH;
			return 0;
		}
		return tdax_set_err(c, -ENOENT,
				    "tdax module not loaded (%s/bus/tdax is missing) and no in-tree device_dax (%s/module/device_dax): insmod tdax.ko, or modprobe device_dax for --source stock",
				    c->root, c->root);
	default:
		return tdax_set_err(c, -EINVAL, "unknown source %d", c->opts.source);
	}
}

unsigned int tdax_collector_sources(const struct tdax_collector *c)
{
	return (c->attached ? TDAX_SOURCE_TDAX : 0) | (tdax_stock_mode(c) ? TDAX_SOURCE_STOCK : 0);
}

enum tdax_attach_mode tdax_collector_stock_mode(const struct tdax_collector *c)
{
	return tdax_stock_mode(c);
}

const char *tdax_collector_note(const struct tdax_collector *c)
{
	return c ? c->note : "";
}
