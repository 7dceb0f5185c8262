// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * archive.c - the rows of retired instances.  A device instance that was
 * destroyed, or is no longer in sysfs, is reported once by the snapshot
 * that finds it gone; then its rows are deleted from the maps and kept in
 * c->archive, which every later snapshot appends (at most
 * TDAX_RETIRED_MAX instances, and no longer than opts.retired_keep_ns when
 * set).  Records that arrive for it later (late rows) are added to the
 * archived row.  A process that exited is reported once, then folded into
 * its device's "exited" row (pid 0).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "maps_int.h"

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

void tdax_fold_proc(struct tdax_collector *c, const struct tdax_snap_proc *p)
{
	struct tdax_snap_proc *x = archive_exited(c, p->instance, p->dev);
	int r;

	if (!x)
		return;
	tdax_share_dirty(c);
	tdax_gran_add(&x->g, &p->g);
	x->mmaps += p->mmaps;
	x->mmap_errors += p->mmap_errors;
	for (r = 0; r < 2 * TDAX_FR_NR; r++)
		x->reasons[r / TDAX_FR_NR][r % TDAX_FR_NR] += p->reasons[r / TDAX_FR_NR][r % TDAX_FR_NR];
}

/* Add a retired device (and its fault / mmap rows from s) to the archive. */
int tdax_archive_dev(struct tdax_collector *c, const struct tdax_snapshot *s,
		       const struct tdax_snap_dev *d, __u64 now)
{
	struct tdax_snapshot *a = &c->archive;
	struct tdax_snap_dev *x = NULL;
	size_t i;
	int k;

	tdax_share_dirty(c);
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
		    tdax_faults_add(&a->faults, &a->nfaults, &c->cap_afaults, &s->faults[i]))
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
struct tdax_snap_dev *tdax_archived_dev(struct tdax_collector *c, __u64 inst)
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
bool tdax_late_row(struct tdax_collector *c, struct map_dump *d, size_t i)
{
	struct tdax_snapshot *a = &c->archive;
	__u64 inst = key_instance(d, i);
	struct tdax_snap_dev *x = tdax_archived_dev(c, inst);
	int cpu;

	if (!x)
		return false;
	/*
	 * A follower of a shared set: the row is the owner's to fold (it is in
	 * the owner's archive already, or will be with its next commit).
	 */
	if (tdax_share_follower(c))
		return true;
	tdax_share_dirty(c);
	if (d == c->md_fc) {
		struct fault_row fr;
		struct tdax_snap_fault f;

		tdax_fault_row_read(d, i, &fr);
		f = tdax_fault_of_row(&fr);
		if (tdax_faults_add(&a->faults, &a->nfaults, &c->cap_afaults, &f))
			return true;	/* dropped, as a full map would */
		tdax_fault_row_fold(x, &fr);
		if (!tdax_map_del(c, d->fd, dump_key(d, i), d->ksz))
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
		tdax_flush_row_add(x, d, i);
	} else if (d == c->md_km) {
		const struct tdax_kmem_val *v = dump_val(d, i, 0);
		struct tdax_snap_kmem late = {};
		int r;

		/* counters only: the archived row keeps its final gauges */
		tdax_kmem_merge(&late, v);
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
	tdax_map_del(c, d->fd, dump_key(d, i), d->ksz);
	return true;
}

/* Drop archived instance inst and everything that belongs to it. */
static void archive_drop(struct tdax_collector *c, __u64 inst)
{
	struct tdax_snapshot *a = &c->archive;
	size_t i, j;

	tdax_share_dirty(c);
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

void tdax_archive_expire(struct tdax_collector *c, __u64 now)
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
int tdax_archive_append(struct tdax_collector *c, struct tdax_snapshot *s, size_t *cap_devs,
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
