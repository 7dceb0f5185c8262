// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * snapshot.c - snapshot containers: init, free, copy, sort, lookup, delta.
 * Pure functions: no BPF, no sysfs (unit-tested on synthetic data).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_int.h"

void tdax_snapshot_init(struct tdax_snapshot *s)
{
	memset(s, 0, sizeof(*s));
}

void tdax_snapshot_free(struct tdax_snapshot *s)
{
	free(s->devs);
	free(s->faults);
	free(s->mmaps);
	free(s->procs);
	free(s->regions);
	tdax_snapshot_init(s);
}

static void *dup_array(const void *src, size_t n, size_t elem, int *err)
{
	void *p;

	if (!n)
		return NULL;
	p = malloc(n * elem);
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	memcpy(p, src, n * elem);
	return p;
}

int tdax_snapshot_copy(struct tdax_snapshot *dst, const struct tdax_snapshot *src)
{
	struct tdax_snapshot t = *src;
	int err = 0;

	t.devs = dup_array(src->devs, src->ndevs, sizeof(*src->devs), &err);
	t.faults = dup_array(src->faults, src->nfaults, sizeof(*src->faults), &err);
	t.mmaps = dup_array(src->mmaps, src->nmmaps, sizeof(*src->mmaps), &err);
	t.procs = dup_array(src->procs, src->nprocs, sizeof(*src->procs), &err);
	t.regions = dup_array(src->regions, src->nregions, sizeof(*src->regions), &err);
	if (err) {
		tdax_snapshot_free(&t);
		return err;
	}
	tdax_snapshot_free(dst);
	*dst = t;
	return 0;
}

void *tdax_grow(void *arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(arr, ncap * elem);
	if (!p)
		return NULL;
	memset((char *)p + *cap * elem, 0, (ncap - *cap) * elem);
	*cap = ncap;
	return p;
}

struct tdax_snap_dev *tdax_snapshot_dev_add(struct tdax_snapshot *s, size_t *cap,
					    __u64 instance, __u32 dev)
{
	struct tdax_snap_dev *d;
	size_t i;

	for (i = 0; instance && i < s->ndevs; i++)
		if (s->devs[i].instance == instance)
			return &s->devs[i];
	d = tdax_grow(s->devs, cap, s->ndevs, sizeof(*d));
	if (!d)
		return NULL;
	s->devs = d;
	d = &s->devs[s->ndevs++];
	memset(d, 0, sizeof(*d));
	d->instance = instance;
	d->dev = dev;
	d->region_id = -1;
	return d;
}

/* ---- ordering ---------------------------------------------------------- */

static int cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

/* "tdax10.2" after "tdax9.0": compare digit runs numerically. */
static int cmp_name(const char *a, const char *b)
{
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			char *ea, *eb;
			unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);

			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct tdax_snap_dev *x = a, *y = b;
	int r = cmp_name(x->name, y->name);

	return r ? r : cmp_u64(x->instance, y->instance);
}

static int cmp_fault(const void *a, const void *b)
{
	const struct tdax_snap_fault *x = a, *y = b;

	if (x->instance != y->instance)
		return cmp_u64(x->instance, y->instance);
	if (x->size_idx != y->size_idx)
		return cmp_u64(x->size_idx, y->size_idx);
	if (x->outcome != y->outcome)
		return cmp_u64(x->outcome, y->outcome);
	return cmp_u64(x->reason, y->reason);
}

static int cmp_mmap(const void *a, const void *b)
{
	const struct tdax_snap_mmap *x = a, *y = b;

	if (x->instance != y->instance)
		return cmp_u64(x->instance, y->instance);
	if (x->result != y->result)
		return x->result < y->result ? -1 : 1;
	return cmp_u64(x->reason, y->reason);
}

static int cmp_proc(const void *a, const void *b)
{
	const struct tdax_snap_proc *x = a, *y = b;

	if (x->pid != y->pid)
		return cmp_u64(x->pid, y->pid);
	if (x->start_ns != y->start_ns)
		return cmp_u64(x->start_ns, y->start_ns);
	return cmp_u64(x->instance, y->instance);
}

static int cmp_region(const void *a, const void *b)
{
	const struct tdax_snap_region *x = a, *y = b;

	return x->id != y->id ? cmp_u64(x->id, y->id) : cmp_u64(x->instance, y->instance);
}

void tdax_snapshot_sort(struct tdax_snapshot *s)
{
	if (s->ndevs)
		qsort(s->devs, s->ndevs, sizeof(*s->devs), cmp_dev);
	if (s->nfaults)
		qsort(s->faults, s->nfaults, sizeof(*s->faults), cmp_fault);
	if (s->nmmaps)
		qsort(s->mmaps, s->nmmaps, sizeof(*s->mmaps), cmp_mmap);
	if (s->nprocs)
		qsort(s->procs, s->nprocs, sizeof(*s->procs), cmp_proc);
	if (s->nregions)
		qsort(s->regions, s->nregions, sizeof(*s->regions), cmp_region);
}

/* ---- lookups ------------------------------------------------------------ */

const struct tdax_snap_dev *tdax_snapshot_dev_instance(const struct tdax_snapshot *s,
						       __u64 instance)
{
	size_t i;

	for (i = 0; instance && i < s->ndevs; i++)
		if (s->devs[i].instance == instance)
			return &s->devs[i];
	return NULL;
}

const char *tdax_snapshot_dev_name(const struct tdax_snapshot *s, __u64 instance, __u32 dev,
				   char *buf, size_t len)
{
	const struct tdax_snap_dev *d = tdax_snapshot_dev_instance(s, instance);

	if (d && d->name[0])
		return d->name;
	if (!dev || !buf || !len)
		return "?";
	snprintf(buf, len, "dev:%u:%u", TDAX_KDEV_MAJOR(dev), TDAX_KDEV_MINOR(dev));
	return buf;
}

const struct tdax_snap_dev *tdax_snapshot_dev_by_name(const struct tdax_snapshot *s,
						      const char *name)
{
	const struct tdax_snap_dev *best = NULL;
	size_t i;

	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];

		if (strcmp(d->name, name))
			continue;
		if (!best || (d->present && !best->present) ||
		    (d->present == best->present && d->instance > best->instance))
			best = d;
	}
	return best;
}

const struct tdax_snap_region *tdax_snapshot_region(const struct tdax_snapshot *s, __u32 id)
{
	size_t i;

	for (i = 0; i < s->nregions; i++)
		if (s->regions[i].id == id)
			return &s->regions[i];
	return NULL;
}

/* ---- delta --------------------------------------------------------------- */

/* cur - prev; a counter that went backwards was reset: count from zero. */
static __u64 dsub(__u64 cur, __u64 prev)
{
	return cur >= prev ? cur - prev : cur;
}

static void gran_sub(struct tdax_gran *o, const struct tdax_gran *c,
		     const struct tdax_gran *p)
{
	int i;

	*o = *c;
	if (!p)
		return;
	for (i = 0; i < TDAX_SZ_NR; i++) {
		o->attempts[i] = dsub(c->attempts[i], p->attempts[i]);
		o->mapped[i] = dsub(c->mapped[i], p->mapped[i]);
		o->fallback[i] = dsub(c->fallback[i], p->fallback[i]);
		o->sigbus[i] = dsub(c->sigbus[i], p->sigbus[i]);
	}
	o->other = dsub(c->other, p->other);
	o->hits = dsub(c->hits, p->hits);
	o->misses = dsub(c->misses, p->misses);
	o->below_align = dsub(c->below_align, p->below_align);
	o->bytes_mapped = dsub(c->bytes_mapped, p->bytes_mapped);
	o->bytes_aligned = dsub(c->bytes_aligned, p->bytes_aligned);
	o->lat_sum_ns = dsub(c->lat_sum_ns, p->lat_sum_ns);
}

static void hist_sub(struct tdax_histogram *o, const struct tdax_histogram *c, const struct tdax_histogram *p)
{
	unsigned int i;

	*o = *c;
	if (!p || c->count < p->count)
		return;
	for (i = 0; i < TDAX_HISTOGRAM_SLOTS; i++)
		o->slots[i] = dsub(c->slots[i], p->slots[i]);
	o->count = c->count - p->count;
	o->sum = dsub(c->sum, p->sum);
}

static void flush_sub(struct tdax_snap_flush *o, const struct tdax_snap_flush *c,
		      const struct tdax_snap_flush *p)
{
	*o = *c;
	hist_sub(&o->lat, &c->lat, p ? &p->lat : NULL);
	if (!p)
		return;
	o->flushes = dsub(c->flushes, p->flushes);
	o->bytes = dsub(c->bytes, p->bytes);
	o->skipped = dsub(c->skipped, p->skipped);
	o->skipped_bytes = dsub(c->skipped_bytes, p->skipped_bytes);
	o->errors = dsub(c->errors, p->errors);
}

/* tdax_kmem counters of o (a copy of cur) minus prev's; gauges stay cur's. */
static void kmem_sub(struct tdax_snap_kmem *o, const struct tdax_snap_kmem *p)
{
	int r;

	o->adds = dsub(o->adds, p->adds);
	o->add_errors = dsub(o->add_errors, p->add_errors);
	o->removes = dsub(o->removes, p->removes);
	o->remove_errors = dsub(o->remove_errors, p->remove_errors);
	for (r = 0; r < TDAX_KR_NR; r++)
		o->offline_failures[r] = dsub(o->offline_failures[r], p->offline_failures[r]);
	for (r = 0; r < TDAX_KB_NR; r++)
		o->block_ops[r] = dsub(o->block_ops[r], p->block_ops[r]);
}

int tdax_snapshot_delta(const struct tdax_snapshot *prev,
			const struct tdax_snapshot *cur,
			struct tdax_snapshot *out)
{
	struct tdax_snapshot t;
	size_t i;
	int err;

	tdax_snapshot_init(&t);
	err = tdax_snapshot_copy(&t, cur);
	if (err)
		return err;
	t.interval_ns = cur->ts_ns >= prev->ts_ns ? cur->ts_ns - prev->ts_ns : 0;

	for (i = 0; i < t.ndevs; i++) {
		struct tdax_snap_dev *o = &t.devs[i];
		const struct tdax_snap_dev *p = o->instance ?
			tdax_snapshot_dev_instance(prev, o->instance) : NULL;
		int k;

		gran_sub(&o->g, &cur->devs[i].g, p ? &p->g : NULL);
		for (k = 0; k <= TDAX_SZ_NR; k++)
			hist_sub(&o->lat[k], &cur->devs[i].lat[k], p ? &p->lat[k] : NULL);
		if (p) {
			o->mmaps = dsub(o->mmaps, p->mmaps);
			o->mmap_errors = dsub(o->mmap_errors, p->mmap_errors);
			o->binds = dsub(o->binds, p->binds);
			o->unbinds = dsub(o->unbinds, p->unbinds);
		}
		for (k = 0; k < TDAX_PD_NR; k++)
			flush_sub(&o->flush[k], &cur->devs[i].flush[k], p ? &p->flush[k] : NULL);
		if (p)
			kmem_sub(&o->kmem, &p->kmem);
	}
	for (i = 0; i < t.nfaults; i++) {
		const struct tdax_snap_fault *p =
			prev->nfaults ? bsearch(&t.faults[i], prev->faults, prev->nfaults,
						sizeof(*prev->faults), cmp_fault) : NULL;

		if (p)
			t.faults[i].count = dsub(t.faults[i].count, p->count);
	}
	for (i = 0; i < t.nmmaps; i++) {
		const struct tdax_snap_mmap *p =
			prev->nmmaps ? bsearch(&t.mmaps[i], prev->mmaps, prev->nmmaps,
					       sizeof(*prev->mmaps), cmp_mmap) : NULL;

		if (p)
			t.mmaps[i].count = dsub(t.mmaps[i].count, p->count);
	}
	for (i = 0; i < t.nprocs; i++) {
		struct tdax_snap_proc *o = &t.procs[i];
		const struct tdax_snap_proc *p =
			prev->nprocs ? bsearch(o, prev->procs, prev->nprocs,
					       sizeof(*prev->procs), cmp_proc) : NULL;
		struct tdax_gran folded = {};
		__u64 fmm = 0, fme = 0, frs[2][TDAX_FR_NR] = {};
		size_t j;
		int r;

		if (o->exited) {
			/*
			 * Rows of prev that are gone from cur were folded into
			 * this one: their counts at prev are not new.
			 */
			for (j = 0; j < prev->nprocs; j++) {
				const struct tdax_snap_proc *q = &prev->procs[j];

				if (q->exited || q->instance != o->instance ||
				    bsearch(q, cur->procs, cur->nprocs, sizeof(*cur->procs), cmp_proc))
					continue;
				tdax_gran_add(&folded, &q->g);
				fmm += q->mmaps;
				fme += q->mmap_errors;
				for (r = 0; r < 2 * TDAX_FR_NR; r++)
					frs[r / TDAX_FR_NR][r % TDAX_FR_NR] +=
						q->reasons[r / TDAX_FR_NR][r % TDAX_FR_NR];
			}
			if (p)
				tdax_gran_add(&folded, &p->g);
		}
		gran_sub(&o->g, &cur->procs[i].g, o->exited ? &folded : p ? &p->g : NULL);
		if (o->exited) {
			o->mmaps = dsub(o->mmaps, fmm + (p ? p->mmaps : 0));
			o->mmap_errors = dsub(o->mmap_errors, fme + (p ? p->mmap_errors : 0));
			for (r = 0; r < 2 * TDAX_FR_NR; r++) {
				__u64 *x = &o->reasons[r / TDAX_FR_NR][r % TDAX_FR_NR];

				*x = dsub(*x, frs[r / TDAX_FR_NR][r % TDAX_FR_NR] +
					  (p ? p->reasons[r / TDAX_FR_NR][r % TDAX_FR_NR] : 0));
			}
		} else if (p) {
			o->mmaps = dsub(o->mmaps, p->mmaps);
			o->mmap_errors = dsub(o->mmap_errors, p->mmap_errors);
			for (r = 0; r < 2 * TDAX_FR_NR; r++) {
				__u64 *x = &o->reasons[r / TDAX_FR_NR][r % TDAX_FR_NR];

				*x = dsub(*x, p->reasons[r / TDAX_FR_NR][r % TDAX_FR_NR]);
			}
		}
	}
	for (i = 0; i < TDAX_LIFETIME_NR; i++)
		hist_sub(&t.lifetimes[i], &cur->lifetimes[i], &prev->lifetimes[i]);
	for (i = 0; i < TDAX_CTR_NR; i++)
		t.counters[i] = dsub(cur->counters[i], prev->counters[i]);
	t.bpf_run_ns = dsub(cur->bpf_run_ns, prev->bpf_run_ns);
	t.bpf_run_cnt = dsub(cur->bpf_run_cnt, prev->bpf_run_cnt);

	tdax_snapshot_free(out);
	*out = t;
	return 0;
}
