// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * from_bpf.c - the one place where values of the BPF maps (bpf/tdax_maps.h)
 * become the library's public types (tdax_collector.h): granularity,
 * histograms, lifetimes, the counters of the "stats" map and snoop records.
 *
 * Front ends never see the map layout, so a map can change (fields, the
 * order of the stats indexes, a map merged into another) with only this
 * file and maps.c to follow.  Counters are matched by name: a stat the BPF
 * side has and the library does not name is a unit-test failure
 * (test_collector: test_bpf_boundary), not a silently dropped number.
 */
#include <string.h>

#include "collector_int.h"

_Static_assert(TDAX_HISTOGRAM_SLOTS >= TDAX_HIST_SLOTS, "library histogram too small");
_Static_assert(TDAX_PROC_COMM_LEN == TDAX_COMM_LEN, "comm lengths differ");
_Static_assert(TDAX_DEFAULT_MAX_PROCS == TDAX_MAX_PROCS, "proc_stats default differs");

/*
 * A proc_stats granularity value.  The BPF side (gran_update()) stores per
 * fault only what cannot be derived: attempts[], hits, bytes_mapped and
 * bytes_aligned hold corrections to what follows from the other fields
 * (modulo 2^64: bytes_aligned is minus the bytes mapped below the align),
 * each of which is exact for the definitions of docs/metrics.md:
 *   attempts[si]  = mapped[si] + fallback[si] + sigbus[si] (+ the known-size
 *                   records of another outcome: the stored value)
 *   hits          = sum of mapped[] - below_align (mapped below the align)
 *   bytes_mapped  = sum of mapped[si] x size(si)
 *   bytes_aligned = bytes_mapped - bytes mapped below the align
 */
void tdax_gran_add_bpf(struct tdax_gran *d, const struct tdax_gran_val *s)
{
	static const __u64 size_bytes[TDAX_SZ_NR] = { TDAX_SIZE_4K, TDAX_SIZE_2M, TDAX_SIZE_1G };
	struct tdax_gran g = {
		.other = s->other,
		.hits = s->hits - s->below_align,
		.misses = s->misses,
		.below_align = s->below_align,
		.bytes_mapped = s->bytes_mapped,
		.bytes_aligned = s->bytes_aligned,
		.lat_sum_ns = s->lat_sum_ns,
		.region_instance = s->region_instance,
		.dev = s->dev,
		.region_id = s->region_id,
		.align_seen = s->align_seen,
	};
	__u64 bytes = 0;
	int i;

	for (i = 0; i < TDAX_SZ_NR; i++) {
		g.attempts[i] = s->attempts[i] + s->mapped[i] + s->fallback[i] + s->sigbus[i];
		g.mapped[i] = s->mapped[i];
		g.fallback[i] = s->fallback[i];
		g.sigbus[i] = s->sigbus[i];
		g.hits += s->mapped[i];
		bytes += s->mapped[i] * size_bytes[i];
	}
	g.bytes_mapped += bytes;
	g.bytes_aligned += bytes;
	tdax_gran_add(d, &g);
}

void tdax_hist_add_bpf(struct tdax_histogram *d, const struct tdax_hist *s)
{
	int i;

	for (i = 0; i < TDAX_HIST_SLOTS; i++)
		d->slots[i] += s->slots[i];
	d->count += s->count;
	d->sum += s->sum;
}

int tdax_lifetime_of_bpf(unsigned int lt)
{
	switch (lt) {
	case TDAX_LT_REGION:
		return TDAX_LIFETIME_REGION;
	case TDAX_LT_DEV:
		return TDAX_LIFETIME_DEV;
	default:
		return -1;
	}
}

int tdax_counter_of_bpf(unsigned int stat)
{
	static const char *const bpf_names[] = {
#define TDAX_X_STR(name, val, str) [val] = str,
		TDAX_STATS(TDAX_X_STR)
#undef TDAX_X_STR
	};
	unsigned int i;

	if (stat >= sizeof(bpf_names) / sizeof(bpf_names[0]) || !bpf_names[stat])
		return -1;
	for (i = 0; i < TDAX_CTR_NR; i++)
		if (!strcmp(tdax_counter_name(i), bpf_names[stat]))
			return i;
	return -1;
}

void tdax_counters_from_bpf(struct tdax_snapshot *s, const struct tdax_bpf_stats *b)
{
	unsigned int k;

	for (k = 0; k < TDAX_STAT_NR; k++) {
		int i = tdax_counter_of_bpf(k);

		if (i < 0)
			continue;
		s->counters[i] = b->stats[k];
		s->map_entries[i] = b->entries[k];
		s->map_max[i] = b->max[k];
	}
}

void tdax_event_from_bpf(struct tdax_snoop_event *d, const struct tdax_event *s)
{
	memset(d, 0, sizeof(*d));
	d->ts_ns = s->ts_ns;
	d->address = s->address;
	d->pgoff = s->pgoff;
	d->size = s->size;
	d->align = s->align;
	d->phys = s->phys;
	d->latency_ns = s->latency_ns;
	d->instance = s->instance;
	d->kind = s->kind == TDAX_EVK_FAULT ? TDAX_SNOOP_FAULT : TDAX_SNOOP_MMAP;
	d->pid = s->pid;
	d->tid = s->tid;
	d->dev = s->dev;
	d->region_id = s->region_id;
	d->result = s->result;
	d->reason = s->reason;
	d->outcome = s->outcome;
	d->write = s->write;
	memcpy(d->comm, s->comm, sizeof(d->comm));
	d->comm[sizeof(d->comm) - 1] = 0;
}
