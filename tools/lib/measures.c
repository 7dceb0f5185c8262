// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * measures.c - rates, ratios, histogram quantiles and names over snapshots.
 * Pure functions: no BPF, no sysfs (unit-tested on synthetic data).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const size_names[] = {
#define TDAX_X_STR(name, val, str) [val] = str,
	TDAX_SIZES(TDAX_X_STR)
};
static const char *const fault_reason_names[] = {
	TDAX_FAULT_REASONS(TDAX_X_STR)
};
static const char *const fault_outcome_names[] = {
	TDAX_FAULT_OUTCOMES(TDAX_X_STR)
};
static const char *const mmap_reason_names[] = {
	TDAX_MMAP_REASONS(TDAX_X_STR)
};
static const char *const counter_names[] = {
#define TDAX_X_CTR_STR(name, str) str,
	TDAX_COUNTERS(TDAX_X_CTR_STR)
#undef TDAX_X_CTR_STR
};
static const char *const domain_names[] = {
	TDAX_PERSISTENCE_DOMAINS(TDAX_X_STR)
};
static const char *const mode_names[] = {
	TDAX_MODES(TDAX_X_STR)
};
static const char *const kmem_zone_names[] = {
	TDAX_KMEM_ZONES(TDAX_X_STR)
};
static const char *const kmem_reason_names[] = {
	TDAX_KMEM_REASONS(TDAX_X_STR)
};
static const char *const kmem_block_op_names[] = {
	TDAX_KMEM_BLOCK_OPS(TDAX_X_STR)
#undef TDAX_X_STR
};

static const char *name_of(const char *const *tab, size_t n, unsigned int i)
{
	return i < n && tab[i] ? tab[i] : "?";
}

const char *tdax_size_name(unsigned int size_idx)
{
	return size_idx < TDAX_SZ_NR ? size_names[size_idx] : "other";
}

const char *tdax_fault_reason_name(unsigned int reason)
{
	return name_of(fault_reason_names, ARRAY_SIZE(fault_reason_names), reason);
}

const char *tdax_fault_outcome_name(unsigned int outcome)
{
	return name_of(fault_outcome_names, ARRAY_SIZE(fault_outcome_names), outcome);
}

const char *tdax_mmap_reason_name(unsigned int reason)
{
	return name_of(mmap_reason_names, ARRAY_SIZE(mmap_reason_names), reason);
}

const char *tdax_counter_name(unsigned int counter)
{
	return name_of(counter_names, ARRAY_SIZE(counter_names), counter);
}

const char *tdax_domain_name(unsigned int domain)
{
	return name_of(domain_names, ARRAY_SIZE(domain_names), domain);
}

const char *tdax_mode_name(unsigned int mode)
{
	return name_of(mode_names, ARRAY_SIZE(mode_names), mode);
}

const char *tdax_kmem_zone_name(unsigned int zone)
{
	return name_of(kmem_zone_names, ARRAY_SIZE(kmem_zone_names), zone);
}

const char *tdax_kmem_reason_name(unsigned int reason)
{
	return name_of(kmem_reason_names, ARRAY_SIZE(kmem_reason_names), reason);
}

const char *tdax_kmem_block_op_name(unsigned int op)
{
	return name_of(kmem_block_op_names, ARRAY_SIZE(kmem_block_op_names), op);
}

const char *tdax_lifetime_name(unsigned int idx)
{
	return idx == TDAX_LIFETIME_REGION ? "region" : idx == TDAX_LIFETIME_DEV ? "device" : "?";
}

const char *tdax_attach_mode_name(enum tdax_attach_mode m)
{
	switch (m) {
	case TDAX_ATTACH_TP_BTF: return "tp_btf";
	case TDAX_ATTACH_RAW_TP: return "raw_tp";
	case TDAX_ATTACH_FENTRY: return "fentry";
	case TDAX_ATTACH_KPROBE: return "kprobe";
	default: return "none";
	}
}

/*
 * Every measure the front ends show is computed here, once; the definitions
 * are in docs/metrics.md and the Prometheus rules (dashboards/prometheus)
 * compute the same from the exported counters.
 */
double tdax_rate(__u64 count, __u64 interval_ns)
{
	return interval_ns ? (double)count * 1e9 / (double)interval_ns : 0.0;
}

__u64 tdax_gran_ended(const struct tdax_gran *g)
{
	return g->hits + g->misses;
}

double tdax_fault_rate(const struct tdax_gran *g, __u64 interval_ns)
{
	return tdax_rate(tdax_gran_ended(g), interval_ns);
}

__u64 tdax_gran_attempts(const struct tdax_gran *g)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < TDAX_SZ_NR; i++)
		n += g->attempts[i];
	return n;
}

__u64 tdax_gran_sigbus(const struct tdax_gran *g)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < TDAX_SZ_NR; i++)
		n += g->sigbus[i];
	return n;
}

double tdax_hit_ratio(const struct tdax_gran *g)
{
	__u64 ended = tdax_gran_ended(g);

	return ended ? (double)g->hits / (double)ended : NAN;
}

double tdax_byte_coverage(const struct tdax_gran *g)
{
	return g->bytes_mapped ? (double)g->bytes_aligned / (double)g->bytes_mapped : NAN;
}

void tdax_gran_add(struct tdax_gran *d, const struct tdax_gran *s)
{
	int i;

	for (i = 0; i < TDAX_SZ_NR; i++) {
		d->attempts[i] += s->attempts[i];
		d->mapped[i] += s->mapped[i];
		d->fallback[i] += s->fallback[i];
		d->sigbus[i] += s->sigbus[i];
	}
	d->other += s->other;
	d->hits += s->hits;
	d->misses += s->misses;
	d->below_align += s->below_align;
	d->bytes_mapped += s->bytes_mapped;
	d->bytes_aligned += s->bytes_aligned;
	d->lat_sum_ns += s->lat_sum_ns;
	if (s->align_seen)
		d->align_seen = s->align_seen;
	if (s->region_id)
		d->region_id = s->region_id;
	if (s->region_instance)
		d->region_instance = s->region_instance;
	if (s->dev)
		d->dev = s->dev;
}

unsigned int tdax_hist_slot(__u64 v)
{
	unsigned int slot = v > 1 ? 64 - __builtin_clzll(v - 1) : 0;

	return slot < TDAX_HISTOGRAM_SLOTS ? slot : TDAX_HISTOGRAM_SLOTS - 1;
}

__u64 tdax_hist_slot_upper(unsigned int slot)
{
	return slot < 64 ? 1ULL << slot : ~0ULL;
}

/*
 * Prometheus' bucketQuantile(): rank = q * total; the first bucket whose
 * cumulative count reaches rank; linear interpolation between its lower
 * bound (the previous bucket's le, 0 for the first) and its le.  The last
 * slot is open-ended (+Inf): the quantile is then its lower bound.
 */
double tdax_hist_quantile(const struct tdax_histogram *h, double q)
{
	double total = 0, rank, cum = 0, lo, hi;
	unsigned int i;

	for (i = 0; i < TDAX_HISTOGRAM_SLOTS; i++)
		total += (double)h->slots[i];
	if (total == 0 || isnan(q))
		return NAN;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = q * total;
	for (i = 0; i < TDAX_HISTOGRAM_SLOTS; i++) {
		double c = (double)h->slots[i];

		if (c > 0 && cum + c >= rank)
			break;
		cum += c;
	}
	if (i >= TDAX_HISTOGRAM_SLOTS)
		i = TDAX_HISTOGRAM_SLOTS - 1;
	lo = i ? (double)tdax_hist_slot_upper(i - 1) : 0;
	if (i == TDAX_HISTOGRAM_SLOTS - 1)
		return lo;
	hi = (double)tdax_hist_slot_upper(i);
	if (!h->slots[i])
		return hi;
	return lo + (hi - lo) * ((rank - cum) / (double)h->slots[i]);
}

void tdax_hist_add(struct tdax_histogram *d, const struct tdax_histogram *s)
{
	unsigned int i;

	for (i = 0; i < TDAX_HISTOGRAM_SLOTS; i++)
		d->slots[i] += s->slots[i];
	d->count += s->count;
	d->sum += s->sum;
}

static int cmp_reason(const void *a, const void *b)
{
	const struct tdax_reason_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->instance != y->instance)
		return x->instance < y->instance ? -1 : 1;
	if (x->size_idx != y->size_idx)
		return x->size_idx < y->size_idx ? -1 : 1;
	if (x->outcome != y->outcome)
		return x->outcome < y->outcome ? -1 : 1;
	return (int)x->reason - (int)y->reason;
}

static bool ended_outcome(unsigned int o)
{
	return o == TDAX_FO_MAPPED || o == TDAX_FO_SIGBUS;
}

size_t tdax_top_reasons(const struct tdax_snapshot *s, __u64 instance, bool by_outcome,
			struct tdax_reason_count *out, size_t max)
{
	struct tdax_reason_count *acc;
	size_t n = 0, i, j;

	if (!s->nfaults || !max)
		return 0;
	acc = calloc(s->nfaults, sizeof(*acc));
	if (!acc)
		return 0;
	for (i = 0; i < s->nfaults; i++) {
		const struct tdax_snap_fault *f = &s->faults[i];
		__u8 oc = by_outcome ? f->outcome : 0;

		/* once per fault that ended: the record that mapped or gave SIGBUS */
		if (f->reason == TDAX_FR_OK || !f->count || !ended_outcome(f->outcome))
			continue;
		if (instance && f->instance != instance)
			continue;
		for (j = 0; j < n; j++)
			if (acc[j].size_idx == f->size_idx && acc[j].reason == f->reason &&
			    acc[j].outcome == oc && (instance || acc[j].instance == f->instance))
				break;
		if (j == n) {
			acc[n].instance = f->instance;
			acc[n].size_idx = f->size_idx;
			acc[n].outcome = oc;
			acc[n].reason = f->reason;
			acc[n].count = 0;
			n++;
		}
		acc[j].count += f->count;
	}
	qsort(acc, n, sizeof(*acc), cmp_reason);
	if (n > max)
		n = max;
	memcpy(out, acc, n * sizeof(*acc));
	free(acc);
	return n;
}

__u64 tdax_reason_ended(const struct tdax_snapshot *s, __u64 instance, unsigned int reason,
			int outcome)
{
	__u64 n = 0;
	size_t i;

	for (i = 0; i < s->nfaults; i++) {
		const struct tdax_snap_fault *f = &s->faults[i];

		if (f->instance != instance || f->reason != reason || !ended_outcome(f->outcome))
			continue;
		if (outcome >= 0 && f->outcome != outcome)
			continue;
		n += f->count;
	}
	return n;
}

char *tdax_fmt_bytes(__u64 bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (bytes && bytes % 1024 == 0 && u < 5) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[u]);
	return buf;
}

/* ---- flushes and system-ram memory (docs/metrics.md) ---------------------- */

void tdax_flush_add(struct tdax_snap_flush *dst, const struct tdax_snap_flush *src)
{
	dst->flushes += src->flushes;
	dst->bytes += src->bytes;
	dst->skipped += src->skipped;
	dst->skipped_bytes += src->skipped_bytes;
	dst->errors += src->errors;
	tdax_hist_add(&dst->lat, &src->lat);
}

void tdax_flush_total(const struct tdax_snap_dev *d, struct tdax_snap_flush *out)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < TDAX_PD_NR; i++)
		tdax_flush_add(out, &d->flush[i]);
}

__u64 tdax_flush_done(const struct tdax_snap_flush *f)
{
	return f->flushes >= f->skipped ? f->flushes - f->skipped : 0;
}

__u64 tdax_flush_bytes_done(const struct tdax_snap_flush *f)
{
	return f->bytes >= f->skipped_bytes ? f->bytes - f->skipped_bytes : 0;
}

__u64 tdax_kmem_online_bytes(const struct tdax_snap_kmem *k)
{
	return (__u64)k->blocks_online * k->block_size;
}

const char *tdax_dev_mode(const struct tdax_snap_dev *d)
{
	if (d->present && d->mode[0])
		return d->mode;
	if (d->kmem.seen && d->kmem.mode != TDAX_MODE_UNBOUND)
		return tdax_mode_name(d->kmem.mode);
	if (!strcmp(d->driver, "tdax_device"))
		return tdax_mode_name(TDAX_MODE_DEVDAX);
	if (!strcmp(d->driver, "tdax_kmem"))
		return tdax_mode_name(TDAX_MODE_SYSTEM_RAM);
	return tdax_mode_name(TDAX_MODE_UNBOUND);
}
