// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * dump.c - read a BPF map whole (one bpf_map_lookup_batch() pass per map
 * where the kernel has batch operations, 5.6+, else get_next_key + lookup
 * per key), and turn its rows into the library's values: fault_counts rows
 * into a device's granularity and latency, flush_stats and kmem_stats
 * entries into its flush and tdax_kmem state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps_int.h"


void tdax_dump_free(struct map_dump *d)
{
	free(d->keys);
	free(d->vals);
	memset(d, 0, sizeof(*d));
}

static bool batch_unsupported(int err)
{
	return err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP || err == -524 /* ENOTSUPP */ ||
	       err == -ENOSPC;
}

int tdax_dump_map(struct tdax_collector *c, struct bpf_map *map, bool percpu,
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
		tdax_dump_free(d);
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
				tdax_dump_free(d);
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
void tdax_dump_delete_instance(struct tdax_collector *c, struct map_dump *d, __u64 inst)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (key_instance(d, i) == inst)
			tdax_map_del(c, d->fd, dump_key(d, i), d->ksz);
}

/* ---- fault_counts rows --------------------------------------------------- */

static const __u64 size_bytes[TDAX_SZ_NR] = { TDAX_SIZE_4K, TDAX_SIZE_2M, TDAX_SIZE_1G };

void tdax_fault_row_read(const struct map_dump *d, size_t i, struct fault_row *fr)
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
void tdax_fault_row_fold(struct tdax_snap_dev *d, const struct fault_row *fr)
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
int tdax_faults_add(struct tdax_snap_fault **v, size_t *n, size_t *cap,
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

struct tdax_snap_fault tdax_fault_of_row(const struct fault_row *fr)
{
	return (struct tdax_snap_fault){ .instance = fr->k->instance, .dev = fr->k->dev,
					 .size_idx = fr->k->size_idx, .outcome = fr->k->outcome,
					 .reason = fr->k->reason, .count = fr->lat.count };
}

/* Delete the fault_counts rows of inst, keeping the count of their records. */
void tdax_fault_rows_delete(struct tdax_collector *c, const struct map_dump *d, __u64 inst)
{
	struct fault_row fr;
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (key_instance(d, i) != inst)
			continue;
		tdax_fault_row_read(d, i, &fr);
		if (!tdax_map_del(c, d->fd, dump_key(d, i), d->ksz))
			c->faults_deleted += fr.lat.count;
	}
}
/* ---- flushes and tdax_kmem ranges ---------------------------------------- */

/* Add the per-CPU flush_stats values of entry i of d to the device row. */
void tdax_flush_row_add(struct tdax_snap_dev *x, const struct map_dump *d, size_t i)
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
void tdax_kmem_merge(struct tdax_snap_kmem *k, const struct tdax_kmem_val *v)
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
