// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * maps.c - read the BPF maps into a snapshot, give every row its identity
 * (device instance, process instance) and name, and retire the rows of
 * instances that are gone.
 *
 * Reading: one bpf_map_lookup_batch() pass per map where the kernel has
 * batch operations (5.6+), else get_next_key + lookup per key.
 *
 * Retirement: a device instance that was destroyed (its destroy record was
 * seen) or that is no longer in sysfs is reported once by the snapshot that
 * finds it gone (present false, retired true, final counts), then its rows
 * are deleted from the maps and kept in c->archive, which every later
 * snapshot appends (at most TDAX_RETIRED_MAX instances, and no longer than
 * opts.retired_keep_ns when set).  A process that exited is reported once
 * (alive false) and then folded into its device's "exited" row (pid 0).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collector_int.h"
#include "tdax_stock.h"
#include "tdax_collect.skel.h"

/** struct map_dump - every (key, value) of one map, values per-CPU if so. */
struct map_dump {
	int fd;
	size_t ksz, vsz, stride, vstride;	/* per-CPU stride; bytes per entry */
	int nvals;
	size_t n;
	char *keys, *vals;
};

static void dump_free(struct map_dump *d)
{
	free(d->keys);
	free(d->vals);
	memset(d, 0, sizeof(*d));
}

static const void *dump_key(const struct map_dump *d, size_t i)
{
	return d->keys + i * d->ksz;
}

static const void *dump_val(const struct map_dump *d, size_t i, int cpu)
{
	return d->vals + i * d->vstride + (size_t)cpu * d->stride;
}

static __u64 key_instance(const struct map_dump *d, size_t i)
{
	__u64 v;

	memcpy(&v, dump_key(d, i), sizeof(v));	/* every key starts with it */
	return v;
}

static bool batch_unsupported(int err)
{
	return err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */ ||
	       err == -ENOSPC;
}

static int dump_map(struct tdax_collector *c, struct bpf_map *map, bool percpu,
		    struct map_dump *d)
{
	__u32 max = bpf_map__max_entries(map);
	char next[64], cur[64];
	bool have_cur = false;
	int err;

	memset(d, 0, sizeof(*d));
	d->fd = bpf_map__fd(map);
	d->ksz = bpf_map__key_size(map);
	d->vsz = bpf_map__value_size(map);
	d->nvals = percpu ? c->ncpus : 1;
	d->stride = percpu ? (d->vsz + 7) & ~(size_t)7 : d->vsz;
	d->vstride = d->stride * d->nvals;
	if (d->ksz > sizeof(next))
		return -E2BIG;
	d->keys = calloc(max ? max : 1, d->ksz);
	d->vals = calloc(max ? max : 1, d->vstride);
	if (!d->keys || !d->vals) {
		dump_free(d);
		return -ENOMEM;
	}
	if (!c->no_batch) {
		LIBBPF_OPTS(bpf_map_batch_opts, o);
		__u64 in = 0, out = 0;	/* hash maps: a bucket index */
		bool first = true;

		while (d->n < max) {
			__u32 cnt = max - d->n;

			err = bpf_map_lookup_batch(d->fd, first ? NULL : &in, &out,
						   d->keys + d->n * d->ksz,
						   d->vals + d->n * d->vstride, &cnt, &o);
			if (err && errno && err != -errno)
				err = -errno;
			d->n += cnt;
			if (err == -ENOENT)
				return 0;	/* the whole map was read */
			if (err) {
				if (first && batch_unsupported(err)) {
					c->no_batch = true;
					d->n = 0;
					break;
				}
				dump_free(d);
				return err;
			}
			first = false;
			in = out;
		}
		if (!c->no_batch)
			return 0;
	}
	while (d->n < max && bpf_map_get_next_key(d->fd, have_cur ? cur : NULL, next) == 0) {
		memcpy(cur, next, d->ksz);
		have_cur = true;
		if (bpf_map_lookup_elem(d->fd, cur, d->vals + d->n * d->vstride))
			continue;	/* deleted meanwhile */
		memcpy(d->keys + d->n * d->ksz, cur, d->ksz);
		d->n++;
	}
	return 0;
}

/* Delete every key of d whose instance is inst. */
static void dump_delete_instance(struct map_dump *d, __u64 inst)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (key_instance(d, i) == inst)
			bpf_map_delete_elem(d->fd, dump_key(d, i));
}

/* ---- fault_counts rows --------------------------------------------------- */

static const __u64 size_bytes[TDAX_SZ_NR] = { TDAX_SIZE_4K, TDAX_SIZE_2M, TDAX_SIZE_1G };

/** struct fault_row - one fault_counts entry summed over the CPUs. */
struct fault_row {
	const struct tdax_fault_key *k;
	struct tdax_histogram lat;	/* lat.count: the records */
	__u64 region_instance;
	__u32 region_id;
};

static void fault_row_read(const struct map_dump *d, size_t i, struct fault_row *fr)
{
	int cpu;

	memset(fr, 0, sizeof(*fr));
	fr->k = dump_key(d, i);
	for (cpu = 0; cpu < d->nvals; cpu++) {
		const struct tdax_fault_val *v = dump_val(d, i, cpu);

		tdax_hist_add_bpf(&fr->lat, &v->lat);
		if (v->lat.count) {
			fr->region_instance = v->region_instance;
			fr->region_id = v->region_id;
		}
	}
}

/*
 * The granularity a fault_counts row stands for: what gran_update() of
 * the BPF program adds per record (the definitions of docs/metrics.md),
 * times the row's count.  hit: mapped at a size >= the device align.
 */
static void gran_of_fault_row(struct tdax_gran *g, const struct fault_row *fr)
{
	const struct tdax_fault_key *k = fr->k;
	bool known = k->size_idx < TDAX_SZ_NR;
	__u64 n = fr->lat.count, size = known ? size_bytes[k->size_idx] : 0;
	bool hit = !k->align_log2 || size >= 1ULL << k->align_log2;

	if (!n)
		return;
	if (known)
		g->attempts[k->size_idx] += n;
	switch (k->outcome) {
	case TDAX_FO_MAPPED:
		if (!known) {
			g->other += n;
			break;
		}
		g->mapped[k->size_idx] += n;
		g->bytes_mapped += n * size;
		if (hit) {
			g->hits += n;
			g->bytes_aligned += n * size;
		} else {
			g->misses += n;
			g->below_align += n;
		}
		break;
	case TDAX_FO_FALLBACK:
		if (known)
			g->fallback[k->size_idx] += n;
		else
			g->other += n;
		break;
	case TDAX_FO_SIGBUS:
		if (known)
			g->sigbus[k->size_idx] += n;
		else
			g->other += n;
		g->misses += n;
		break;
	default:
		g->other += n;
		break;
	}
	g->lat_sum_ns += fr->lat.sum;
	g->dev = k->dev;
	g->region_id = fr->region_id;
	g->region_instance = fr->region_instance;
	g->align_seen = k->align_log2;
}

/* Add a fault_counts row to a device row: granularity and latency by size. */
static void fault_row_fold(struct tdax_snap_dev *d, const struct fault_row *fr)
{
	int si = fr->k->size_idx < TDAX_SZ_NR ? (int)fr->k->size_idx : TDAX_SZ_NR;

	gran_of_fault_row(&d->g, fr);
	tdax_hist_add(&d->lat[si], &fr->lat);
}

/*
 * Add count to the (instance, size, outcome, reason) row of *v, appending
 * it if new: rows that differ only by the device align (a device rebound
 * with another align) are one row of the snapshot.
 */
static int faults_add(struct tdax_snap_fault **v, size_t *n, size_t *cap,
		      const struct tdax_snap_fault *f)
{
	struct tdax_snap_fault *y;
	size_t j;

	for (j = *n; j-- > 0;) {
		y = &(*v)[j];
		if (y->instance == f->instance && y->size_idx == f->size_idx &&
		    y->outcome == f->outcome && y->reason == f->reason) {
			y->count += f->count;
			return 0;
		}
	}
	y = tdax_grow(*v, cap, *n, sizeof(*y));
	if (!y)
		return -ENOMEM;
	*v = y;
	y[(*n)++] = *f;
	return 0;
}

static struct tdax_snap_fault fault_of_row(const struct fault_row *fr)
{
	return (struct tdax_snap_fault){ .instance = fr->k->instance, .dev = fr->k->dev,
					 .size_idx = fr->k->size_idx, .outcome = fr->k->outcome,
					 .reason = fr->k->reason, .count = fr->lat.count };
}

/* Delete the fault_counts rows of inst, keeping the count of their records. */
static void fault_rows_delete(struct tdax_collector *c, const struct map_dump *d, __u64 inst)
{
	struct fault_row fr;
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (key_instance(d, i) != inst)
			continue;
		fault_row_read(d, i, &fr);
		if (!bpf_map_delete_elem(d->fd, dump_key(d, i)))
			c->faults_deleted += fr.lat.count;
	}
}

/* ---- the archive -------------------------------------------------------- */

static struct tdax_snap_proc *archive_exited(struct tdax_collector *c, __u64 inst, __u32 dev)
{
	struct tdax_snapshot *a = &c->archive;
	struct tdax_snap_proc *p;
	size_t i;

	for (i = 0; i < a->nprocs; i++)
		if (a->procs[i].instance == inst)
			return &a->procs[i];
	p = tdax_grow(a->procs, &c->cap_aprocs, a->nprocs, sizeof(*p));
	if (!p)
		return NULL;
	a->procs = p;
	p = &a->procs[a->nprocs++];
	memset(p, 0, sizeof(*p));
	p->instance = inst;
	p->dev = dev;
	p->exited = true;
	snprintf(p->comm, sizeof(p->comm), "[exited]");
	return p;
}

static void fold_proc(struct tdax_collector *c, const struct tdax_snap_proc *p)
{
	struct tdax_snap_proc *x = archive_exited(c, p->instance, p->dev);
	int r;

	if (!x)
		return;
	tdax_gran_add(&x->g, &p->g);
	x->mmaps += p->mmaps;
	x->mmap_errors += p->mmap_errors;
	for (r = 0; r < 2 * TDAX_FR_NR; r++)
		x->reasons[r / TDAX_FR_NR][r % TDAX_FR_NR] += p->reasons[r / TDAX_FR_NR][r % TDAX_FR_NR];
}

/* Add a retired device (and its fault / mmap rows from s) to the archive. */
static int archive_dev(struct tdax_collector *c, const struct tdax_snapshot *s,
		       const struct tdax_snap_dev *d, __u64 now)
{
	struct tdax_snapshot *a = &c->archive;
	struct tdax_snap_dev *x = NULL;
	size_t i;
	int k;

	for (i = 0; i < a->ndevs; i++)
		if (a->devs[i].instance == d->instance)
			x = &a->devs[i];
	if (x) {
		/* counts that arrived after the instance was retired */
		tdax_gran_add(&x->g, &d->g);
		for (k = 0; k <= TDAX_SZ_NR; k++)
			tdax_hist_add(&x->lat[k], &d->lat[k]);
		x->mmaps += d->mmaps;
		x->mmap_errors += d->mmap_errors;
		for (k = 0; k < TDAX_PD_NR; k++)
			tdax_flush_add(&x->flush[k], &d->flush[k]);
	} else {
		x = tdax_grow(a->devs, &c->cap_adevs, a->ndevs, sizeof(*x));
		if (!x)
			return -ENOMEM;
		a->devs = x;
		x = &a->devs[a->ndevs++];
		*x = *d;
		x->present = false;
		x->retired = true;
		x->retired_ns = now;
		x->age_ns = 0;
	}
	for (i = 0; i < s->nfaults; i++)
		if (s->faults[i].instance == d->instance &&
		    faults_add(&a->faults, &a->nfaults, &c->cap_afaults, &s->faults[i]))
			return -ENOMEM;
	for (i = 0; i < s->nmmaps; i++) {
		const struct tdax_snap_mmap *m = &s->mmaps[i];
		struct tdax_snap_mmap *y = NULL;
		size_t j;

		if (m->instance != d->instance)
			continue;
		for (j = 0; j < a->nmmaps; j++)
			if (a->mmaps[j].instance == m->instance && a->mmaps[j].result == m->result &&
			    a->mmaps[j].reason == m->reason)
				y = &a->mmaps[j];
		if (!y) {
			y = tdax_grow(a->mmaps, &c->cap_ammaps, a->nmmaps, sizeof(*y));
			if (!y)
				return -ENOMEM;
			a->mmaps = y;
			y = &a->mmaps[a->nmmaps++];
			*y = *m;
			y->count = 0;
		}
		y->count += m->count;
	}
	return 0;
}

/* ---- flushes and tdax_kmem ranges ---------------------------------------- */

/* Add the per-CPU flush_stats values of entry i of d to the device row. */
static void flush_add(struct tdax_snap_dev *x, const struct map_dump *d, size_t i)
{
	const struct tdax_flush_key *fk = dump_key(d, i);
	struct tdax_snap_flush *f;
	int cpu;

	if (fk->domain >= TDAX_PD_NR)
		return;
	f = &x->flush[fk->domain];
	for (cpu = 0; cpu < d->nvals; cpu++) {
		const struct tdax_flush_val *v = dump_val(d, i, cpu);

		f->flushes += v->flushes;
		f->bytes += v->bytes;
		f->skipped += v->skipped;
		f->skipped_bytes += v->skipped_bytes;
		f->errors += v->errors;
		tdax_hist_add_bpf(&f->lat, &v->lat);
		if (!x->dev && v->dev)
			x->dev = v->dev;
		if (!x->region_instance && v->region_instance)
			x->region_instance = v->region_instance;
	}
}

/* Fold one kmem_stats range into the device's tdax_kmem state. */
static void kmem_merge(struct tdax_snap_kmem *k, const struct tdax_kmem_val *v)
{
	unsigned int z, nz = 0, last = TDAX_KZ_OFFLINE;
	int r;

	if (!k->seen || v->update_ns >= k->update_ns) {
		k->node = v->node;
		k->tier = v->tier;
		k->adistance = v->adistance;
		k->last_result = v->last_result;
		k->last_reason = v->last_reason;
		k->update_ns = v->update_ns;
		k->memmap_on_memory = v->memmap_on_memory;
		if (v->block_size)
			k->block_size = v->block_size;
	}
	/* kept > system-ram > unbound: the mode of the device's busiest range */
	if (!k->seen || v->mode > k->mode)
		k->mode = v->mode;
	k->seen = true;
	k->ranges++;
	if (v->mode != TDAX_MODE_UNBOUND) {
		/* a range removed (or never added) holds no blocks */
		k->bytes += v->size;
		k->blocks += v->blocks;
	}
	for (z = 0; z < TDAX_KZ_NR; z++) {
		if (v->online[z] > 0) {
			k->online[z] += v->online[z];
			k->blocks_online += v->online[z];
		}
	}
	for (z = 0; z < TDAX_KZ_NR; z++)
		if (k->online[z]) {
			nz++;
			last = z;
		}
	k->zone = nz > 1 ? TDAX_KZ_MIXED : last;
	k->adds += v->adds;
	k->add_errors += v->add_errors;
	k->removes += v->removes;
	k->remove_errors += v->remove_errors;
	for (r = 0; r < TDAX_KR_NR; r++)
		k->offline_failures[r] += v->offline_failures[r];
	for (r = 0; r < TDAX_KB_NR; r++)
		k->block_ops[r] += v->block_ops[r];
}

static struct tdax_snap_dev *archived_dev(struct tdax_collector *c, __u64 inst)
{
	size_t i;

	for (i = 0; inst && i < c->archive.ndevs; i++)
		if (c->archive.devs[i].instance == inst)
			return &c->archive.devs[i];
	return NULL;
}

/*
 * A map row of an instance already retired: a record that arrived after
 * the retirement (the destroy record after the device left sysfs, a fault
 * in the instant of destruction).  Add it to the archived row, delete it
 * from the map: the instance keeps one row, and a delta never sees its
 * final counts twice.
 */
static bool late_row(struct tdax_collector *c, struct map_dump *d, size_t i)
{
	struct tdax_snapshot *a = &c->archive;
	__u64 inst = key_instance(d, i);
	struct tdax_snap_dev *x = archived_dev(c, inst);
	int cpu;

	if (!x)
		return false;
	if (d == c->md_fc) {
		struct fault_row fr;
		struct tdax_snap_fault f;

		fault_row_read(d, i, &fr);
		f = fault_of_row(&fr);
		if (faults_add(&a->faults, &a->nfaults, &c->cap_afaults, &f))
			return true;	/* dropped, as a full map would */
		fault_row_fold(x, &fr);
		if (!bpf_map_delete_elem(d->fd, dump_key(d, i)))
			c->faults_deleted += fr.lat.count;
		return true;
	} else if (d == c->md_mm) {
		const struct tdax_mmap_key *mk = dump_key(d, i);
		struct tdax_snap_mmap *m = NULL;
		__u64 n = 0;
		size_t j;

		for (cpu = 0; cpu < d->nvals; cpu++)
			n += ((const struct tdax_count *)dump_val(d, i, cpu))->count;
		for (j = 0; j < a->nmmaps; j++)
			if (a->mmaps[j].instance == inst && a->mmaps[j].result == mk->result &&
			    a->mmaps[j].reason == mk->reason)
				m = &a->mmaps[j];
		if (!m) {
			m = tdax_grow(a->mmaps, &c->cap_ammaps, a->nmmaps, sizeof(*m));
			if (!m)
				return true;
			a->mmaps = m;
			m = &a->mmaps[a->nmmaps++];
			*m = (struct tdax_snap_mmap){ inst, mk->dev, mk->result, mk->reason, 0 };
		}
		m->count += n;
		if (mk->result)
			x->mmap_errors += n;
		else
			x->mmaps += n;
	} else if (d == c->md_fl) {
		flush_add(x, d, i);
	} else if (d == c->md_km) {
		const struct tdax_kmem_val *v = dump_val(d, i, 0);
		struct tdax_snap_kmem late = {};
		int r;

		/* counters only: the archived row keeps its final gauges */
		kmem_merge(&late, v);
		x->kmem.adds += late.adds;
		x->kmem.add_errors += late.add_errors;
		x->kmem.removes += late.removes;
		x->kmem.remove_errors += late.remove_errors;
		for (r = 0; r < TDAX_KR_NR; r++)
			x->kmem.offline_failures[r] += late.offline_failures[r];
		for (r = 0; r < TDAX_KB_NR; r++)
			x->kmem.block_ops[r] += late.block_ops[r];
	} else if (d == c->md_ld) {
		const struct tdax_live_dev *v = dump_val(d, i, 0);

		x->binds = v->binds > x->binds ? v->binds : x->binds;
		x->unbinds = v->unbinds > x->unbinds ? v->unbinds : x->unbinds;
	}
	bpf_map_delete_elem(d->fd, dump_key(d, i));
	return true;
}

/* Drop archived instance inst and everything that belongs to it. */
static void archive_drop(struct tdax_collector *c, __u64 inst)
{
	struct tdax_snapshot *a = &c->archive;
	size_t i, j;

#define DROP(arr, n)							\
	for (i = j = 0; i < a->n; i++)					\
		if (a->arr[i].instance != inst)				\
			a->arr[j++] = a->arr[i];			\
	a->n = j
	DROP(devs, ndevs);
	DROP(faults, nfaults);
	DROP(mmaps, nmmaps);
	DROP(procs, nprocs);
#undef DROP
}

static void archive_expire(struct tdax_collector *c, __u64 now)
{
	struct tdax_snapshot *a = &c->archive;
	__u64 keep = c->opts.retired_keep_ns;

	for (;;) {
		__u64 oldest_ns = ~0ULL, inst = 0;
		size_t i;

		for (i = 0; i < a->ndevs; i++)
			if (a->devs[i].retired_ns < oldest_ns) {
				oldest_ns = a->devs[i].retired_ns;
				inst = a->devs[i].instance;
			}
		if (!inst)
			return;
		if (a->ndevs <= TDAX_RETIRED_MAX && (!keep || now - oldest_ns <= keep))
			return;
		archive_drop(c, inst);
	}
}

/* Append the archive's rows to s (rows of instances not read from the maps). */
static int append_archive(struct tdax_collector *c, struct tdax_snapshot *s, size_t *cap_devs,
			  size_t *cap_faults, size_t *cap_mmaps, size_t *cap_procs,
			  size_t *cap_regions)
{
	const struct tdax_snapshot *a = &c->archive;
	size_t i;

#define APPEND(arr, n, cap, skip)						\
	for (i = 0; i < a->n; i++) {						\
		void *p_;							\
		if (skip)							\
			continue;						\
		p_ = tdax_grow(s->arr, cap, s->n, sizeof(*s->arr));		\
		if (!p_)							\
			return -ENOMEM;						\
		s->arr = p_;							\
		s->arr[s->n++] = a->arr[i];					\
	}
	APPEND(devs, ndevs, cap_devs, tdax_snapshot_dev_instance(s, a->devs[i].instance));
	APPEND(faults, nfaults, cap_faults, 0);
	APPEND(mmaps, nmmaps, cap_mmaps, 0);
	APPEND(procs, nprocs, cap_procs, 0);
	APPEND(regions, nregions, cap_regions, 0);
#undef APPEND
	return 0;
}

/* ---- the snapshot --------------------------------------------------------- */

struct caps {
	size_t devs, faults, mmaps, procs, regions;
};

static void read_run_stats(struct tdax_collector *c, struct tdax_snapshot *s)
{
	int i;

	for (i = 0; i < TDAX_NEVENTS; i++) {
		struct bpf_program *p = tdax_prog_of(c, c->loaded_mode, i);
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		s->bpf_run_ns += info.run_time_ns;
		s->bpf_run_cnt += info.run_cnt;
	}
	{
		__u64 n, ns = tdax_stock_run_ns(c, &n);

		s->bpf_run_ns += ns;
		s->bpf_run_cnt += n;
	}
}

static void map_fill(struct tdax_bpf_stats *s, int stat, struct bpf_map *map, size_t entries)
{
	s->entries[stat] = entries;
	s->max[stat] = bpf_map__max_entries(map);
}

static const struct tdax_live_dev *live_dev(const struct map_dump *ld, __u64 inst)
{
	size_t i;

	for (i = 0; i < ld->n; i++)
		if (key_instance(ld, i) == inst)
			return dump_val(ld, i, 0);
	return NULL;
}

static void sysfs_fill(struct tdax_snap_dev *d, const struct tdax_sysfs_dev *sd)
{
	snprintf(d->name, sizeof(d->name), "%s", sd->name);
	d->region_id = sd->region_id;
	d->size = sd->size;
	d->align = sd->align;
	if (!d->dev)
		d->dev = sd->dev;
	memcpy(d->driver, sd->driver, sizeof(d->driver));
	memcpy(d->fault_policy, sd->fault_policy, sizeof(d->fault_policy));
	memcpy(d->mode, sd->mode, sizeof(d->mode));
	d->present = true;
}

/*
 * Which row is the device sd of sysfs?  The newest live instance created
 * while attached under that name; else the newest instance never named by
 * a create record (created before attach) with its dev_t; else none yet.
 */
static struct tdax_snap_dev *row_of_sysfs(struct tdax_snapshot *s, const struct map_dump *ld,
					  const struct tdax_sysfs_dev *sd)
{
	struct tdax_snap_dev *best = NULL;
	size_t i;

	for (i = 0; i < s->ndevs; i++) {
		struct tdax_snap_dev *d = &s->devs[i];
		const struct tdax_live_dev *v = live_dev(ld, d->instance);

		if (!v || !v->name[0] || v->destroy_ns || strcmp(v->name, sd->name))
			continue;
		if (!best || d->instance > best->instance)
			best = d;
	}
	if (best)
		return best;
	for (i = 0; i < s->ndevs; i++) {
		struct tdax_snap_dev *d = &s->devs[i];
		const struct tdax_live_dev *v = live_dev(ld, d->instance);

		if ((v && (v->name[0] || v->destroy_ns)) || d->present || !d->dev || d->dev != sd->dev)
			continue;
		if (!best || d->instance > best->instance)
			best = d;
	}
	return best;
}

int tdax_collector_snapshot(struct tdax_collector *c, struct tdax_snapshot *out)
{
	struct map_dump md_fc = {}, md_mm = {}, md_proc = {}, md_ld = {}, md_lr = {}, md_fl = {},
			md_km = {};
	__u64 faults_seen = 0, faults_deleted = c->faults_deleted;
	struct tdax_collect *sk = c->skel;
	bool retire_all, *gone = NULL;
	size_t *proc_row = NULL;	/* md_proc entry -> its row in s.procs */
	struct tdax_snapshot s;
	struct caps cap = {};
	struct tdax_bpf_stats bs = {};	/* by TDAX_STAT_*: converted at the end */
	size_t i, j, nmap_devs;
	__u32 k;
	int err, cpu;

	err = tdax_collector_refresh(c);
	if (err < 0)
		return err;
	retire_all = c->retire_all;
	tdax_snapshot_init(&s);
	s.ts_ns = tdax_now_ns(CLOCK_MONOTONIC);
	s.realtime_ns = tdax_now_ns(CLOCK_REALTIME);
	s.mode = tdax_collector_mode(c);
	s.sources = tdax_collector_sources(c);
	s.stock_mode = tdax_stock_mode(c);

#define DUMP(map, percpu, md, stat)						\
	do {									\
		err = dump_map(c, sk->maps.map, percpu, &md);			\
		if (err) {							\
			tdax_set_err(c, err, "cannot read BPF map " #map ": %s",	\
				     strerror(-err));				\
			goto fail;						\
		}								\
		map_fill(&bs, stat, sk->maps.map, md.n);			\
	} while (0)
	/*
	 * The maps are read one after the other while records keep coming,
	 * in the reverse of the order in which a record updates them (the
	 * create/bind records of live_devs and live_regions, then
	 * mmap_counts / fault_counts, then proc_stats).
	 * So a row read from one map has its earlier rows in the maps read
	 * after it: its dev_t (in the mmap_counts / fault_counts keys) and
	 * its create record are always there to name it.  Read in the
	 * other order, a device row first seen in proc_stats had no dev_t
	 * yet and was retired as gone: its counts reported as "dev:0:0"
	 * (seen under TCG, where a vCPU can stop for a whole time slice in
	 * the middle of a record).
	 */
	DUMP(flush_stats, true, md_fl, TDAX_STAT_FULL_FLUSH_STATS);
	DUMP(kmem_stats, false, md_km, TDAX_STAT_FULL_KMEM_STATS);
	DUMP(proc_stats, false, md_proc, TDAX_STAT_FULL_PROC_STATS);
	DUMP(mmap_counts, true, md_mm, TDAX_STAT_FULL_MMAP_COUNTS);
	DUMP(fault_counts, true, md_fc, TDAX_STAT_FULL_FAULT_COUNTS);
	DUMP(live_regions, false, md_lr, TDAX_STAT_FULL_LIVE_REGIONS);
	DUMP(live_devs, false, md_ld, TDAX_STAT_FULL_LIVE_DEVS);
#undef DUMP

	err = -ENOMEM;
	c->md_fc = &md_fc;
	c->md_mm = &md_mm;
	c->md_ld = &md_ld;
	c->md_fl = &md_fl;
	c->md_km = &md_km;
	/* device rows: one per instance found in any map */
	for (i = 0; i < md_fc.n; i++) {
		struct tdax_snap_fault f;
		struct tdax_snap_dev *d;
		struct fault_row fr;

		fault_row_read(&md_fc, i, &fr);
		faults_seen += fr.lat.count;
		if (late_row(c, &md_fc, i))
			continue;
		f = fault_of_row(&fr);
		if (faults_add(&s.faults, &s.nfaults, &cap.faults, &f))
			goto fail;
		d = tdax_snapshot_dev_add(&s, &cap.devs, fr.k->instance, fr.k->dev);
		if (!d)
			goto fail;
		fault_row_fold(d, &fr);
		if (!d->dev)
			d->dev = fr.k->dev;
		if (!d->region_instance)
			d->region_instance = fr.region_instance;
	}
	for (i = 0; i < md_mm.n; i++) {
		const struct tdax_mmap_key *mk = dump_key(&md_mm, i);
		struct tdax_snap_mmap *m;
		struct tdax_snap_dev *d;

		if (late_row(c, &md_mm, i))
			continue;
		m = tdax_grow(s.mmaps, &cap.mmaps, s.nmmaps, sizeof(*m));
		if (!m)
			goto fail;
		s.mmaps = m;
		m = &s.mmaps[s.nmmaps++];
		m->instance = mk->instance;
		m->dev = mk->dev;
		m->result = mk->result;
		m->reason = mk->reason;
		m->count = 0;
		for (cpu = 0; cpu < md_mm.nvals; cpu++)
			m->count += ((const struct tdax_count *)dump_val(&md_mm, i, cpu))->count;
		d = tdax_snapshot_dev_add(&s, &cap.devs, mk->instance, mk->dev);
		if (!d)
			goto fail;
		if (!d->dev)
			d->dev = mk->dev;
		if (mk->result)
			d->mmap_errors += m->count;
		else
			d->mmaps += m->count;
	}
	/* what the create/bind/destroy records say */
	for (i = 0; i < md_ld.n; i++) {
		const struct tdax_live_dev *v = dump_val(&md_ld, i, 0);
		struct tdax_snap_dev *d;

		if (late_row(c, &md_ld, i))
			continue;
		d = tdax_snapshot_dev_add(&s, &cap.devs, v->instance, v->dev);
		if (!d)
			goto fail;
		if (v->name[0])
			snprintf(d->name, sizeof(d->name), "%s", v->name);
		if (!d->dev)
			d->dev = v->dev;
		if (v->region_instance)
			d->region_instance = v->region_instance;
		d->region_id = v->create_ns || v->destroy_ns ? (__s32)v->region_id : d->region_id;
		if (!d->size)
			d->size = v->size;
		if (!d->align)
			d->align = v->align;
		d->binds = v->binds;
		d->unbinds = v->unbinds;
		if (v->create_ns) {
			d->age_known = true;
			d->create_ns = v->create_ns;
			d->age_ns = s.ts_ns > v->create_ns ? s.ts_ns - v->create_ns : 0;
		}
	}
	proc_row = malloc((md_proc.n + 1) * sizeof(*proc_row));
	if (!proc_row)
		goto fail;
	tdax_procs_begin(c->procs);
	for (i = 0; i < md_proc.n; i++) {
		const struct tdax_proc_key *pk = dump_key(&md_proc, i);
		const struct tdax_proc_val *v = dump_val(&md_proc, i, 0);
		struct tdax_snap_proc *p;
		struct tdax_snap_dev *d;

		proc_row[i] = SIZE_MAX;
		if (archived_dev(c, pk->instance)) {
			/* a process row of a retired instance: straight into "exited" */
			struct tdax_snap_proc late = { .instance = pk->instance, .dev = v->g.dev,
						       .mmaps = v->mmaps,
						       .mmap_errors = v->mmap_errors };

			tdax_gran_add_bpf(&late.g, &v->g);

			memcpy(late.reasons, v->reasons, sizeof(late.reasons));
			fold_proc(c, &late);
			bpf_map_delete_elem(md_proc.fd, pk);
			continue;
		}
		p = tdax_grow(s.procs, &cap.procs, s.nprocs, sizeof(*p));
		if (!p)
			goto fail;
		s.procs = p;
		proc_row[i] = s.nprocs;
		p = &s.procs[s.nprocs++];
		memset(p, 0, sizeof(*p));
		p->pid = pk->tgid;
		p->start_ns = pk->start_ns;
		p->instance = pk->instance;
		tdax_gran_add_bpf(&p->g, &v->g);
		p->dev = v->g.dev;
		p->mmaps = v->mmaps;
		p->mmap_errors = v->mmap_errors;
		memcpy(p->reasons, v->reasons, sizeof(p->reasons));
		memcpy(p->comm, v->comm, sizeof(p->comm));
		p->comm[TDAX_COMM_LEN - 1] = 0;
		p->alive = tdax_procs_alive(c->procs, p->pid, p->start_ns);
		d = tdax_snapshot_dev_add(&s, &cap.devs, pk->instance, 0);
		if (!d)
			goto fail;
		if (!p->dev)
			p->dev = d->dev;
	}
	/* flushes per (instance, domain); tdax_kmem ranges per (instance, range) */
	for (i = 0; i < md_fl.n; i++) {
		struct tdax_snap_dev *d;

		if (late_row(c, &md_fl, i))
			continue;
		d = tdax_snapshot_dev_add(&s, &cap.devs, key_instance(&md_fl, i), 0);
		if (!d)
			goto fail;
		flush_add(d, &md_fl, i);
	}
	for (i = 0; i < md_km.n; i++) {
		const struct tdax_kmem_val *v = dump_val(&md_km, i, 0);
		struct tdax_snap_dev *d;

		if (late_row(c, &md_km, i))
			continue;
		d = tdax_snapshot_dev_add(&s, &cap.devs, key_instance(&md_km, i), v->dev);
		if (!d)
			goto fail;
		if (!d->dev)
			d->dev = v->dev;
		if (!d->region_instance)
			d->region_instance = v->region_instance;
		if (!d->name[0] && v->name[0])
			snprintf(d->name, sizeof(d->name), "%s", v->name);
		kmem_merge(&d->kmem, v);
	}
	nmap_devs = s.ndevs;

	/* sysfs: names and gauges of the present instances */
	for (i = 0; i < c->sysfs.ndevs; i++) {
		const struct tdax_sysfs_dev *sd = &c->sysfs.devs[i];
		struct tdax_snap_dev *d = retire_all ? NULL : row_of_sysfs(&s, &md_ld, sd);
		struct tdax_seen *seen;

		if (!d)
			d = tdax_snapshot_dev_add(&s, &cap.devs, 0, sd->dev);
		if (!d)
			goto fail;
		sysfs_fill(d, sd);
		seen = tdax_seen_find(c, 0, 0, sd->name, false);
		if (seen && !d->age_known)
			d->age_ns = s.ts_ns - seen->first_ns;
	}
	gone = calloc(s.ndevs + 1, sizeof(*gone));
	if (!gone)
		goto fail;
	for (i = 0; i < nmap_devs; i++) {
		struct tdax_snap_dev *d = &s.devs[i];
		const struct tdax_live_dev *v = live_dev(&md_ld, d->instance);

		if (!d->name[0]) {
			/* never named: last name known for its dev_t, else MAJ:MIN */
			for (j = 0; j < c->nseen; j++)
				if (c->seen[j].kind == 0 && d->dev && c->seen[j].dev == d->dev) {
					snprintf(d->name, sizeof(d->name), "%s", c->seen[j].name);
					break;
				}
			if (!d->name[0])
				snprintf(d->name, sizeof(d->name), "dev:%u:%u",
					 TDAX_KDEV_MAJOR(d->dev), TDAX_KDEV_MINOR(d->dev));
		}
		if (!d->align && d->g.align_seen)
			d->align = 1ULL << d->g.align_seen;
		if (d->region_id < 0 && (d->g.align_seen || d->g.region_id))
			d->region_id = d->g.region_id;
		if (d->present)
			continue;
		/*
		 * Not in sysfs: destroyed (record seen), or gone while we were
		 * not looking.  A device created after the sysfs scan is not
		 * gone, only not scanned yet.
		 */
		if (retire_all || (v && v->destroy_ns) || !v || !v->create_ns ||
		    v->create_ns < c->scan_ns)
			gone[i] = true;
		/*
		 * No dev_t and no create record: a row read in the middle of
		 * its first record (the dev_t is stored last, flush_stats
		 * names a device by nothing else).  It cannot be matched to
		 * sysfs yet, which does not make it gone: the next snapshot
		 * names it.  Likewise a stock instance without its live_devs
		 * entry (given at its first fault, before the counters).
		 */
		if (!retire_all && !v && (!d->dev || tdax_instance_is_stock(d->instance)))
			gone[i] = false;
	}

	/* regions: sysfs, and the instances the create/destroy records name */
	for (i = 0; i < c->sysfs.nregions; i++) {
		const struct tdax_sysfs_region *sr = &c->sysfs.regions[i];
		struct tdax_snap_region *r;
		struct tdax_seen *seen;

		r = tdax_grow(s.regions, &cap.regions, s.nregions, sizeof(*r));
		if (!r)
			goto fail;
		s.regions = r;
		r = &s.regions[s.nregions++];
		memset(r, 0, sizeof(*r));
		r->id = sr->id;
		memcpy(r->provider, sr->provider, sizeof(r->provider));
		r->start = sr->start;
		r->size = sr->size;
		r->align = sr->align;
		r->available_size = sr->available_size;
		r->ndevs = sr->ndevs;
		r->present = true;
		seen = tdax_seen_find(c, 1, sr->id, NULL, false);
		if (seen)
			r->age_ns = s.ts_ns - seen->first_ns;
	}
	for (i = 0; i < md_lr.n; i++) {
		const struct tdax_live_region *v = dump_val(&md_lr, i, 0);
		struct tdax_snap_region *r = NULL;

		for (j = 0; j < s.nregions; j++)
			if (s.regions[j].id == v->id && s.regions[j].present && !v->destroy_ns &&
			    (!s.regions[j].instance || s.regions[j].instance < v->instance))
				r = &s.regions[j];
		if (!r) {
			if (!v->destroy_ns && !retire_all && v->create_ns >= c->scan_ns)
				continue;	/* created after the scan */
			r = tdax_grow(s.regions, &cap.regions, s.nregions, sizeof(*r));
			if (!r)
				goto fail;
			s.regions = r;
			r = &s.regions[s.nregions++];
			memset(r, 0, sizeof(*r));
			r->id = v->id;
			r->size = v->size;
			r->align = v->align;
			r->retired = true;	/* reported once, then deleted below */
			memcpy(r->provider, v->provider, sizeof(r->provider));
			r->provider[TDAX_NAME_LEN - 1] = 0;
		}
		r->instance = v->instance;
		r->start = v->start;
		if (!r->provider[0]) {
			memcpy(r->provider, v->provider, sizeof(r->provider));
			r->provider[TDAX_NAME_LEN - 1] = 0;
		}
		if (v->create_ns) {
			r->age_known = true;
			r->create_ns = v->create_ns;
			r->age_ns = s.ts_ns > v->create_ns ? s.ts_ns - v->create_ns : 0;
		}
	}

	/* the archive (instances retired earlier), then retire what is gone now */
	err = append_archive(c, &s, &cap.devs, &cap.faults, &cap.mmaps, &cap.procs,
			     &cap.regions);
	if (err)
		goto fail;
	for (i = 0; i < nmap_devs; i++) {
		struct tdax_snap_dev *d = &s.devs[i];

		if (!gone[i])
			continue;
		err = archive_dev(c, &s, d, s.ts_ns);
		if (err)
			goto fail;
		d->retired = true;
		d->retired_ns = s.ts_ns;
		bpf_map_delete_elem(md_ld.fd, &d->instance);
		fault_rows_delete(c, &md_fc, d->instance);
		dump_delete_instance(&md_mm, d->instance);
		dump_delete_instance(&md_fl, d->instance);
		dump_delete_instance(&md_km, d->instance);
	}
	tdax_procs_end(c->procs);	/* forget processes whose rows are gone */
	for (i = 0; i < md_proc.n; i++) {
		const struct tdax_proc_key *pk = dump_key(&md_proc, i);
		const struct tdax_snap_proc *p = proc_row[i] == SIZE_MAX ? NULL :
						 &s.procs[proc_row[i]];
		const struct tdax_snap_dev *d = p ? tdax_snapshot_dev_instance(&s, pk->instance) :
						    NULL;

		if (!p || (p->alive && !(d && d->retired)))
			continue;
		/* reported in this snapshot; from the next one on, in "exited" */
		fold_proc(c, p);
		bpf_map_delete_elem(md_proc.fd, pk);
	}
	for (i = 0; i < md_lr.n; i++) {
		const struct tdax_live_region *v = dump_val(&md_lr, i, 0);

		if (v->destroy_ns || retire_all)
			bpf_map_delete_elem(md_lr.fd, dump_key(&md_lr, i));
	}
	archive_expire(c, s.ts_ns);
	if (retire_all)
		c->retire_all = false;

	/* histograms of lifetimes and the event / health counters */
	{
		size_t vsz = (sizeof(struct tdax_hist) + 7) & ~(size_t)7;
		char *vals = calloc(c->ncpus, vsz);

		if (!vals) {
			err = -ENOMEM;
			goto fail;
		}
		for (k = 0; k < TDAX_LT_NR; k++) {
			int lt = tdax_lifetime_of_bpf(k);

			if (lt < 0 || bpf_map_lookup_elem(bpf_map__fd(sk->maps.lifetimes), &k, vals))
				continue;
			for (cpu = 0; cpu < c->ncpus; cpu++)
				tdax_hist_add_bpf(&s.lifetimes[lt], (void *)(vals + cpu * vsz));
		}
		free(vals);
	}
	{
		__u64 *vals = calloc(c->ncpus, sizeof(__u64));

		if (!vals) {
			err = -ENOMEM;
			goto fail;
		}
		for (k = 0; k < TDAX_STAT_NR; k++) {
			if (bpf_map_lookup_elem(bpf_map__fd(sk->maps.stats), &k, vals))
				continue;
			for (cpu = 0; cpu < c->ncpus; cpu++)
				bs.stats[k] += vals[cpu];
		}
		free(vals);
		/* fault records: in the rows now, and in the rows deleted before */
		bs.stats[TDAX_STAT_EV_FAULT] = faults_seen + faults_deleted;
	}
	tdax_counters_from_bpf(&s, &bs);
	read_run_stats(c, &s);
	tdax_snapshot_sort(&s);
	tdax_snapshot_free(out);
	*out = s;
	err = 0;
	goto out;
fail:
	tdax_snapshot_free(&s);
out:
	free(gone);
	free(proc_row);
	c->md_fc = c->md_mm = c->md_ld = NULL;
	c->md_fl = c->md_km = NULL;
	dump_free(&md_fl);
	dump_free(&md_km);
	dump_free(&md_fc);
	dump_free(&md_mm);
	dump_free(&md_proc);
	dump_free(&md_ld);
	dump_free(&md_lr);
	return err;
}
