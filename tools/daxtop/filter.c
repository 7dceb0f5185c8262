// SPDX-License-Identifier: GPL-2.0-only
/*
 * filter.c - daxtop's -p PID and -D DEVICE selections on a snapshot, and
 * parsing of its option values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daxtop.h"

static const char *const sort_names[DT_SORT_NR] = {
	[DT_SORT_NAME] = "name",
	[DT_SORT_FAULTS] = "faults",
	[DT_SORT_HIT] = "hit",
	[DT_SORT_MISSES] = "misses",
	[DT_SORT_LAT] = "latency",
};

const char *dt_sort_name(enum dt_sort s)
{
	return s < DT_SORT_NR ? sort_names[s] : "?";
}

int dt_parse_sort(const char *s, enum dt_sort *out)
{
	int i;

	for (i = 0; i < DT_SORT_NR; i++)
		if (!strcmp(s, sort_names[i])) {
			*out = i;
			return 0;
		}
	if (!strcmp(s, "age")) {
		*out = DT_SORT_LAT;
		return 0;
	}
	return -EINVAL;
}

int dt_parse_device(const char *arg, char *out, size_t len)
{
	const char *name = strncmp(arg, "/dev/", 5) ? arg : arg + 5;
	unsigned int r, n;
	char extra;

	if (sscanf(name, "tdax%u.%u%c", &r, &n, &extra) != 2 || strlen(name) >= len)
		return -EINVAL;
	snprintf(out, len, "%s", name);
	return 0;
}

/* Remove the rows of arr (n elements of size elem) for which keep() is false. */
static size_t compact(void *arr, size_t n, size_t elem,
		      bool (*keep)(const void *row, const void *ctx), const void *ctx)
{
	size_t i, j = 0;

	for (i = 0; i < n; i++) {
		char *row = (char *)arr + i * elem;

		if (!keep(row, ctx))
			continue;
		if (i != j)
			memcpy((char *)arr + j * elem, row, elem);
		j++;
	}
	return j;
}

struct sel {
	bool by_dev;
	const char *name;	/* -d: every instance of that name */
	__s32 region;
	int pid;
	const struct tdax_snapshot *s;
};

static bool dev_selected(const struct sel *x, __u64 instance)
{
	const struct tdax_snap_dev *d;

	if (!x->by_dev)
		return true;
	d = tdax_snapshot_dev_instance(x->s, instance);
	return d && !strcmp(d->name, x->name);
}

static bool keep_fault(const void *row, const void *ctx)
{
	return dev_selected(ctx, ((const struct tdax_snap_fault *)row)->instance);
}

static bool keep_mmap(const void *row, const void *ctx)
{
	return dev_selected(ctx, ((const struct tdax_snap_mmap *)row)->instance);
}

static bool keep_proc(const void *row, const void *ctx)
{
	const struct tdax_snap_proc *p = row;
	const struct sel *x = ctx;

	if (!dev_selected(x, p->instance))
		return false;
	return !x->pid || (p->pid == (__u32)x->pid && !p->exited);
}

static bool keep_region(const void *row, const void *ctx)
{
	const struct sel *x = ctx;

	return !x->by_dev || (__s32)((const struct tdax_snap_region *)row)->id == x->region;
}

static bool keep_dev(const void *row, const void *ctx)
{
	const struct tdax_snap_dev *d = row;
	const struct sel *x = ctx;
	size_t i;

	if (x->by_dev && strcmp(d->name, x->name))
		return false;
	if (!x->pid)
		return true;
	for (i = 0; i < x->s->nprocs; i++)
		if (x->s->procs[i].instance == d->instance && d->instance)
			return true;
	return false;
}

/*
 * -p: every count shown is the process's.  Device rows become the sums of
 * its rows; the reasons table is rebuilt from its own reason counts (the
 * per-process map keeps them by reason and outcome, not by size: size
 * "other" there).  Latency histograms are not kept per process: they stay
 * the device's, and the front ends label them system-wide.
 */
static int restrict_to_pid(struct tdax_snapshot *s)
{
	struct tdax_snap_fault *f;
	size_t i, j, n = 0;
	int o, r;

	for (i = 0; i < s->ndevs; i++) {
		struct tdax_snap_dev *d = &s->devs[i];
		__u32 align = d->g.align_seen, region = d->g.region_id;

		memset(&d->g, 0, sizeof(d->g));
		d->mmaps = d->mmap_errors = 0;
		/* flushes are not kept per process: none are the process's own */
		memset(d->flush, 0, sizeof(d->flush));
		for (j = 0; j < s->nprocs; j++) {
			if (s->procs[j].instance != d->instance)
				continue;
			tdax_gran_add(&d->g, &s->procs[j].g);
			d->mmaps += s->procs[j].mmaps;
			d->mmap_errors += s->procs[j].mmap_errors;
		}
		if (!d->g.align_seen)
			d->g.align_seen = align;
		if (!d->g.region_id)
			d->g.region_id = region;
	}
	f = calloc(s->nprocs * 2 * TDAX_FR_NR + 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (j = 0; j < s->nprocs; j++)
		for (o = 0; o < 2; o++)
			for (r = 0; r < TDAX_FR_NR; r++) {
				if (!s->procs[j].reasons[o][r])
					continue;
				f[n].instance = s->procs[j].instance;
				f[n].dev = s->procs[j].dev;
				f[n].size_idx = TDAX_SZ_NR;
				f[n].outcome = o ? TDAX_FO_SIGBUS : TDAX_FO_MAPPED;
				f[n].reason = r;
				f[n].count = s->procs[j].reasons[o][r];
				n++;
			}
	free(s->faults);
	s->faults = f;
	s->nfaults = n;
	/* mmap outcomes by reason are not kept per process */
	s->nmmaps = 0;
	return 0;
}

int dt_filter(struct tdax_snapshot *s, int pid, const char *device)
{
	struct sel x = { .region = -1, .pid = pid, .s = s };

	if (device && device[0]) {
		const struct tdax_snap_dev *d = tdax_snapshot_dev_by_name(s, device);

		x.by_dev = true;
		x.name = device;
		x.region = d ? d->region_id : -2;
	}
	/* rows that refer to devices first, the devices last */
	s->nfaults = compact(s->faults, s->nfaults, sizeof(*s->faults), keep_fault, &x);
	s->nmmaps = compact(s->mmaps, s->nmmaps, sizeof(*s->mmaps), keep_mmap, &x);
	s->nprocs = compact(s->procs, s->nprocs, sizeof(*s->procs), keep_proc, &x);
	s->nregions = compact(s->regions, s->nregions, sizeof(*s->regions), keep_region, &x);
	s->ndevs = compact(s->devs, s->ndevs, sizeof(*s->devs), keep_dev, &x);
	if (!pid)
		return 0;
	return restrict_to_pid(s);
}

static bool proc_active(const void *row, const void *ctx)
{
	const struct tdax_snap_proc *p = row;

	(void)ctx;
	return (p->alive && !p->exited) || tdax_gran_attempts(&p->g) || p->g.other || p->mmaps ||
	       p->mmap_errors;
}

struct prune_ctx {
	const struct dt_opts *o;
	const struct tdax_snapshot *s;
};

static bool dev_flushed(const struct tdax_snap_dev *d)
{
	struct tdax_snap_flush f;

	tdax_flush_total(d, &f);
	return f.flushes != 0;
}

static bool dev_active(const void *row, const void *ctx)
{
	const struct tdax_snap_dev *d = row;
	const struct prune_ctx *x = ctx;

	/*
	 * A retired instance: shown with its final counts when cumulative,
	 * else in the interval it went away in (and when it did something).
	 */
	return !d->retired || x->o->cumulative || d->retired_ns + x->s->interval_ns >= x->s->ts_ns ||
	       tdax_gran_attempts(&d->g) || d->g.other || d->mmaps || d->mmap_errors ||
	       dev_flushed(d);
}

void dt_prune(struct tdax_snapshot *s, const struct dt_opts *o)
{
	struct prune_ctx x = { o, s };

	s->nprocs = compact(s->procs, s->nprocs, sizeof(*s->procs), proc_active, NULL);
	s->ndevs = compact(s->devs, s->ndevs, sizeof(*s->devs), dev_active, &x);
}
