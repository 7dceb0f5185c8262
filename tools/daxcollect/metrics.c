// SPDX-License-Identifier: GPL-2.0-only
/*
 * metrics.c - Prometheus metrics and alert counters from a collector
 * snapshot (see metrics.h and docs/daxcollect.md).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define NS	1e-9

size_t metrics_log2_buckets(const struct tdax_histogram *h, int lo, int hi,
			    double *bounds, uint64_t *counts)
{
	size_t n = (size_t)(hi - lo + 1), j;
	int i;

	for (j = 0; j <= n; j++)
		counts[j] = 0;
	for (j = 0; j < n; j++)
		bounds[j] = ldexp(1.0, lo + (int)j) * NS;
	/* slot i holds 2^(i-1) < v <= 2^i: it belongs to bucket le = 2^i */
	for (i = 0; i < TDAX_HISTOGRAM_SLOTS; i++) {
		int b = i - lo;

		if (!h->slots[i])
			continue;
		if (b < 0)
			b = 0;
		if (b > (int)n || i == TDAX_HISTOGRAM_SLOTS - 1)
			b = (int)n;	/* +Inf */
		counts[b] += h->slots[i];
	}
	return n;
}

/*
 * Series of a device are labelled with its name and its instance id: a
 * device deleted and re-created under the same name is a new series
 * starting at zero (no counter reset, no false rate), the old one keeps
 * its final value and goes stale once the library drops the retired row.
 * Devices present without any record yet (instance 0) have no counters.
 */
static const char *inst_str(__u64 instance, char *buf, size_t len)
{
	snprintf(buf, len, "%llu", (unsigned long long)instance);
	return buf;
}

#define DEV_LABELS(d, ib) "device", (d)->name, "device_instance", \
	inst_str((d)->instance, ib, sizeof(ib))

static void render_faults(struct expo *e, const struct tdax_snapshot *s)
{
	double bounds[64];
	uint64_t counts[65];
	char b[48], ib[24];
	size_t i, k;

	expo_family(e, "tdax_faults_total", "counter",
		    "Fault handler calls (events) by device, attempted size, outcome and reason; a fault that falls back is counted at each size it tried.");
	for (i = 0; i < s->nfaults; i++) {
		const struct tdax_snap_fault *f = &s->faults[i];
		const char *l[] = {
			"device", tdax_snapshot_dev_name(s, f->instance, f->dev, b, sizeof(b)),
			"device_instance", inst_str(f->instance, ib, sizeof(ib)),
			"size", tdax_size_name(f->size_idx),
			"outcome", tdax_fault_outcome_name(f->outcome),
			"reason", tdax_fault_reason_name(f->reason), NULL
		};

		expo_sample_u64(e, l, f->count);
	}
	expo_family(e, "tdax_fault_reasons_total", "counter",
		    "Faults that ended (mapped or SIGBUS) for a reason other than ok, once per fault, by device, outcome and reason.");
	for (i = 0; i < s->nfaults; i++) {
		const struct tdax_snap_fault *f = &s->faults[i];
		const char *l[] = {
			"device", tdax_snapshot_dev_name(s, f->instance, f->dev, b, sizeof(b)),
			"device_instance", inst_str(f->instance, ib, sizeof(ib)),
			"outcome", tdax_fault_outcome_name(f->outcome),
			"reason", tdax_fault_reason_name(f->reason), NULL
		};
		uint64_t n = 0;
		size_t j;

		if (f->reason == TDAX_FR_OK ||
		    (f->outcome != TDAX_FO_MAPPED && f->outcome != TDAX_FO_SIGBUS))
			continue;
		/* one sample per (instance, outcome, reason): sum the sizes */
		for (j = 0; j < i; j++)
			if (s->faults[j].instance == f->instance && s->faults[j].outcome == f->outcome &&
			    s->faults[j].reason == f->reason)
				break;
		if (j < i)
			continue;
		for (j = i; j < s->nfaults; j++)
			if (s->faults[j].instance == f->instance && s->faults[j].outcome == f->outcome &&
			    s->faults[j].reason == f->reason)
				n += s->faults[j].count;
		expo_sample_u64(e, l, n);
	}

#define DEV_COUNTER(name, help, expr)						\
	expo_family(e, name, "counter", help);					\
	for (i = 0; i < s->ndevs; i++) {					\
		const struct tdax_snap_dev *d = &s->devs[i];			\
		const char *l[] = { DEV_LABELS(d, ib), NULL };			\
		if (!d->instance)						\
			continue;						\
		expo_sample_u64(e, l, (expr));					\
	}
	/* the in-tree driver mapping the wrong memory (stock source) */
	DEV_COUNTER("tdax_offset_misaligned_faults_total",
		    "Faults that ended on a mapping whose file offset is not a multiple of the device alignment: the in-tree device_dax maps the rounded-down physical address (wrong memory). Always 0 on tdax devices (they refuse such mmaps).",
		    tdax_reason_ended(s, d->instance, TDAX_FR_OFFSET_MISALIGNED, -1))
	DEV_COUNTER("tdax_faults_ended_total",
		    "Faults that ended (mapped or SIGBUS): rate() of it is faults/s.",
		    tdax_gran_ended(&d->g));
	DEV_COUNTER("tdax_fault_hits_total",
		    "Faults that ended mapped at the device alignment (granularity hits).", d->g.hits);
	DEV_COUNTER("tdax_fault_misses_total",
		    "Faults that ended mapped below the device alignment or in SIGBUS (granularity misses).",
		    d->g.misses);
	DEV_COUNTER("tdax_fault_below_align_total",
		    "Faults that ended mapped below the device alignment (fault_policy=fallback); a subset of the misses.",
		    d->g.below_align);
	DEV_COUNTER("tdax_fault_sigbus_total", "Faults that ended in SIGBUS; a subset of the misses.",
		    tdax_gran_sigbus(&d->g));
	DEV_COUNTER("tdax_fault_mapped_bytes_total",
		    "Bytes mapped by faults that ended mapped (the denominator of byte coverage).",
		    d->g.bytes_mapped);
	DEV_COUNTER("tdax_fault_aligned_bytes_total",
		    "Bytes mapped at the device alignment (the numerator of byte coverage).",
		    d->g.bytes_aligned);

	expo_family(e, "tdax_fault_latency_seconds", "histogram",
		    "Fault handler latency by device and attempted size (measured while the tdax_fault tracepoint is enabled).");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];

		if (!d->instance)
			continue;
		for (k = 0; k <= TDAX_SZ_NR; k++) {
			const struct tdax_histogram *h = &d->lat[k];
			const char *l[] = { DEV_LABELS(d, ib), "size", tdax_size_name(k), NULL };
			size_t n, j;
			uint64_t tot = 0;

			n = metrics_log2_buckets(h, LAT_LOG2_MIN, LAT_LOG2_MAX, bounds, counts);
			for (j = 0; j <= n; j++)
				tot += counts[j];
			if (!tot && k == TDAX_SZ_NR)
				continue;	/* "other" only when something happened */
			expo_histogram(e, l, bounds, counts, n, h->sum * NS);
		}
	}
}

static void render_mmaps(struct expo *e, const struct tdax_snapshot *s)
{
	char b[48], res[32], ib[24];
	size_t i;

	expo_family(e, "tdax_mmaps_total", "counter",
		    "mmap() calls and refused vma changes by device, result and reason.");
	for (i = 0; i < s->nmmaps; i++) {
		const struct tdax_snap_mmap *m = &s->mmaps[i];
		const char *en = m->result < 0 ? strerrorname_np(-m->result) : NULL;
		const char *l[] = { "device",
				    tdax_snapshot_dev_name(s, m->instance, m->dev, b, sizeof(b)),
				    "device_instance", inst_str(m->instance, ib, sizeof(ib)),
				    "result", res,
				    "reason", tdax_mmap_reason_name(m->reason), NULL };

		if (!m->result)
			snprintf(res, sizeof(res), "ok");
		else if (en)
			snprintf(res, sizeof(res), "%s", en);
		else
			snprintf(res, sizeof(res), "%d", m->result);
		expo_sample_u64(e, l, m->count);
	}
}

static void render_devices(struct expo *e, const struct tdax_snapshot *s)
{
	double bounds[64];
	uint64_t counts[65];
	char rid[16], ib[24];
	size_t i, n;

	expo_family(e, "tdax_device_info", "gauge",
		    "Devices present in /sys/bus/tdax (value 1), with instance, region, bound driver and fault policy.");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];
		const char *l[] = { DEV_LABELS(d, ib), "region", rid,
				    "driver", d->driver, "fault_policy", d->fault_policy, NULL };

		if (!d->present)
			continue;
		snprintf(rid, sizeof(rid), "%d", d->region_id);
		expo_sample_u64(e, l, 1);
	}
	expo_family(e, "tdax_device_source", "gauge",
		    "Where each present device's counts come from (value 1): source tdax (the tdax tracepoints) or stock (BPF on the in-tree device_dax, /sys/bus/dax).");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];
		const char *l[] = { DEV_LABELS(d, ib), "source", tdax_dev_source(d), NULL };

		if (d->present)
			expo_sample_u64(e, l, 1);
	}
#define DEV_GAUGE(name, type, help, cond, expr)					\
	expo_family(e, name, type, help);					\
	for (i = 0; i < s->ndevs; i++) {					\
		const struct tdax_snap_dev *d = &s->devs[i];			\
		const char *l[] = { DEV_LABELS(d, ib), NULL };			\
		if (!(cond))							\
			continue;						\
		expo_sample(e, l, (double)(expr));				\
	}
	DEV_GAUGE("tdax_device_size_bytes", "gauge", "Size of each present device.", d->present,
		  d->size);
	DEV_GAUGE("tdax_device_align_bytes", "gauge",
		  "Alignment (page size promised) of each present device.", d->present, d->align);
	DEV_GAUGE("tdax_device_created_timestamp_seconds", "gauge",
		  "Unix time each present device was created (only for devices created while the collector ran).",
		  d->present && d->age_known,
		  (s->realtime_ns - (s->ts_ns - d->create_ns)) * NS);
	DEV_GAUGE("tdax_device_binds_total", "counter", "Driver bind events seen per device.",
		  d->instance, d->binds);
	DEV_GAUGE("tdax_device_unbinds_total", "counter", "Driver unbind events seen per device.",
		  d->instance, d->unbinds);
#undef DEV_GAUGE

	expo_family(e, "tdax_device_lifetime_seconds", "histogram",
		    "Lifetimes of destroyed devices.");
	n = metrics_log2_buckets(&s->lifetimes[TDAX_LIFETIME_DEV], LT_LOG2_MIN, LT_LOG2_MAX,
				 bounds, counts);
	expo_histogram(e, NULL, bounds, counts, n, s->lifetimes[TDAX_LIFETIME_DEV].sum * NS);
}

/*
 * Flushes (tdax_flush): per device instance and persistence domain.  Every
 * request counts in tdax_flush_total and tdax_flush_bytes_total; those the
 * domain needed no work for also in the skipped ones.  Bytes written back
 * = bytes - skipped bytes (docs/metrics.md).  Families are announced even
 * without samples, so dashboards and rules check against them.
 */
static void render_flush(struct expo *e, const struct tdax_snapshot *s)
{
	double bounds[64];
	uint64_t counts[65];
	char ib[24];
	size_t i, n;
	unsigned int k;

#define FLUSH_COUNTER(name, help, expr)						\
	expo_family(e, name, "counter", help);					\
	for (i = 0; i < s->ndevs; i++) {					\
		const struct tdax_snap_dev *d = &s->devs[i];			\
		for (k = 0; d->instance && k < TDAX_PD_NR; k++) {		\
			const struct tdax_snap_flush *f = &d->flush[k];		\
			const char *l[] = { DEV_LABELS(d, ib),			\
					    "domain", tdax_domain_name(k), NULL };	\
			if (!f->flushes)					\
				continue;					\
			expo_sample_u64(e, l, (expr));				\
		}								\
	}
	FLUSH_COUNTER("tdax_flush_total",
		      "Flush requests (fsync, fdatasync, msync(MS_SYNC), O_SYNC writes) by device and persistence domain, skipped or not.",
		      f->flushes);
	FLUSH_COUNTER("tdax_flush_bytes_total",
		      "Bytes of the flush requests by device and persistence domain (skipped ones included).",
		      f->bytes);
	FLUSH_COUNTER("tdax_flush_skipped_total",
		      "Flush requests the persistence domain needed no work for (cpu_cache, none).",
		      f->skipped);
	FLUSH_COUNTER("tdax_flush_skipped_bytes_total",
		      "Bytes of the skipped flush requests; bytes written back = tdax_flush_bytes_total - this.",
		      f->skipped_bytes);
	FLUSH_COUNTER("tdax_flush_errors_total", "Flush requests that failed.", f->errors);
#undef FLUSH_COUNTER
	expo_family(e, "tdax_flush_latency_seconds", "histogram",
		    "Latency of the flushes that did work (not skipped) by device and persistence domain (measured while tdax_flush is enabled).");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];

		for (k = 0; d->instance && k < TDAX_PD_NR; k++) {
			const struct tdax_snap_flush *f = &d->flush[k];
			const char *l[] = { DEV_LABELS(d, ib), "domain", tdax_domain_name(k), NULL };

			if (!f->flushes || !f->lat.count)
				continue;
			n = metrics_log2_buckets(&f->lat, LAT_LOG2_MIN, LAT_LOG2_MAX, bounds, counts);
			expo_histogram(e, l, bounds, counts, n, f->lat.sum * NS);
		}
	}
}

/* Devices with tdax_kmem metrics: seen by a tdax_kmem record, or in system-ram mode. */
static bool kmem_dev(const struct tdax_snap_dev *d)
{
	return d->instance && (d->kmem.seen || !strncmp(tdax_dev_mode(d), "system-ram", 10));
}

/*
 * tdax_kmem: online memory per device, node and zone, blocks by state,
 * add/remove results and failed offlines by reason (docs/kmem.md).
 */
static void render_kmem(struct expo *e, const struct tdax_snapshot *s)
{
	static const unsigned int zones[] = { TDAX_KZ_NORMAL, TDAX_KZ_MOVABLE, TDAX_KZ_OTHER };
	char ib[24], node[16], tier[16];
	size_t i;
	unsigned int k;

	expo_family(e, "tdax_kmem_info", "gauge",
		    "Devices tdax_kmem has seen or in system-ram mode (value 1): mode, numa node, memory tier and zone of the online blocks.");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];
		const struct tdax_snap_kmem *km = &d->kmem;
		const char *l[] = { DEV_LABELS(d, ib), "mode", tdax_dev_mode(d), "node", node,
				    "tier", tier, "zone",
				    km->seen ? tdax_kmem_zone_name(km->zone) : "offline", NULL };

		if (!kmem_dev(d))
			continue;
		snprintf(node, sizeof(node), "%d", km->seen ? km->node : -1);
		snprintf(tier, sizeof(tier), "%d", km->seen ? km->tier : -1);
		expo_sample_u64(e, l, 1);
	}
	expo_family(e, "tdax_kmem_online_bytes", "gauge",
		    "Bytes of a device's memory online in the page allocator, by numa node and zone.");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];
		const struct tdax_snap_kmem *km = &d->kmem;

		if (!kmem_dev(d) || !km->seen)
			continue;
		snprintf(node, sizeof(node), "%d", km->node);
		for (k = 0; k < sizeof(zones) / sizeof(zones[0]); k++) {
			const char *l[] = { DEV_LABELS(d, ib), "node", node,
					    "zone", tdax_kmem_zone_name(zones[k]), NULL };

			if (zones[k] == TDAX_KZ_OTHER && !km->online[zones[k]])
				continue;
			expo_sample_u64(e, l, (uint64_t)km->online[zones[k]] * km->block_size);
		}
	}
	expo_family(e, "tdax_kmem_bytes", "gauge",
		    "Bytes of the memory blocks tdax_kmem added (or kept) for a device, online or not.");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];
		const char *l[] = { DEV_LABELS(d, ib), "node", node, NULL };

		if (!kmem_dev(d) || !d->kmem.seen)
			continue;
		snprintf(node, sizeof(node), "%d", d->kmem.node);
		expo_sample_u64(e, l, d->kmem.bytes);
	}
	expo_family(e, "tdax_kmem_blocks", "gauge",
		    "Memory blocks of a device's system-ram ranges by state (online, offline).");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];
		const struct tdax_snap_kmem *km = &d->kmem;
		const char *lon[] = { DEV_LABELS(d, ib), "state", "online", NULL };
		const char *loff[] = { DEV_LABELS(d, ib), "state", "offline", NULL };
		__u32 total = km->blocks;

		if (!kmem_dev(d) || !km->seen)
			continue;
		expo_sample_u64(e, lon, km->blocks_online);
		expo_sample_u64(e, loff, total > km->blocks_online ? total - km->blocks_online : 0);
	}
	expo_family(e, "tdax_kmem_operations_total", "counter",
		    "tdax_kmem hot-add (bind) and hot-remove (unbind) operations per range, by result.");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];
		const struct tdax_snap_kmem *km = &d->kmem;
		const char *l1[] = { DEV_LABELS(d, ib), "op", "add", "result", "ok", NULL };
		const char *l2[] = { DEV_LABELS(d, ib), "op", "add", "result", "error", NULL };
		const char *l3[] = { DEV_LABELS(d, ib), "op", "remove", "result", "ok", NULL };
		const char *l4[] = { DEV_LABELS(d, ib), "op", "remove", "result", "error", NULL };

		if (!kmem_dev(d) || !km->seen)
			continue;
		expo_sample_u64(e, l1, km->adds - km->add_errors);
		expo_sample_u64(e, l2, km->add_errors);
		expo_sample_u64(e, l3, km->removes - km->remove_errors);
		expo_sample_u64(e, l4, km->remove_errors);
	}
	expo_family(e, "tdax_kmem_offline_failures_total", "counter",
		    "Hot-removes that could not offline a range (the memory stays online, system-ram-kept), by reason.");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];

		if (!kmem_dev(d) || !d->kmem.seen)
			continue;
		for (k = 0; k < TDAX_KR_NR; k++) {
			const char *l[] = { DEV_LABELS(d, ib), "reason", tdax_kmem_reason_name(k),
					    NULL };

			if (d->kmem.offline_failures[k])
				expo_sample_u64(e, l, d->kmem.offline_failures[k]);
		}
	}
	expo_family(e, "tdax_kmem_block_events_total", "counter",
		    "Memory block state changes of a device's system-ram ranges, by operation.");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];

		if (!kmem_dev(d) || !d->kmem.seen)
			continue;
		for (k = 0; k < TDAX_KB_NR; k++) {
			const char *l[] = { DEV_LABELS(d, ib), "op", tdax_kmem_block_op_name(k), NULL };

			expo_sample_u64(e, l, d->kmem.block_ops[k]);
		}
	}
}

static void render_regions(struct expo *e, const struct tdax_snapshot *s)
{
	double bounds[64];
	uint64_t counts[65];
	char rid[16], start[32];
	size_t i, n;

	expo_family(e, "tdax_region_info", "gauge",
		    "Regions present in sysfs (value 1), with provider and physical start.");
	for (i = 0; i < s->nregions; i++) {
		const struct tdax_snap_region *r = &s->regions[i];
		const char *l[] = { "region", rid, "provider", r->provider, "start", start, NULL };

		if (!r->present)
			continue;
		snprintf(rid, sizeof(rid), "%u", r->id);
		snprintf(start, sizeof(start), "0x%llx", (unsigned long long)r->start);
		expo_sample_u64(e, l, 1);
	}
#define REGION_GAUGE(name, help, field, scale)					\
	expo_family(e, name, "gauge", help);					\
	for (i = 0; i < s->nregions; i++) {					\
		const char *l[] = { "region", rid, NULL };			\
		if (!s->regions[i].present)					\
			continue;						\
		snprintf(rid, sizeof(rid), "%u", s->regions[i].id);		\
		expo_sample(e, l, (double)s->regions[i].field * (scale));	\
	}
	REGION_GAUGE("tdax_region_size_bytes", "Size of each present region.", size, 1);
	REGION_GAUGE("tdax_region_available_bytes", "Space of each region not yet given to devices.",
		     available_size, 1);
	REGION_GAUGE("tdax_region_align_bytes", "Default alignment of each region.", align, 1);
	REGION_GAUGE("tdax_region_devices", "Devices of each region present in sysfs.", ndevs, 1);
#undef REGION_GAUGE
	expo_family(e, "tdax_region_created_timestamp_seconds", "gauge",
		    "Unix time each present region was created (only for regions created while the collector ran).");
	for (i = 0; i < s->nregions; i++) {
		const char *l[] = { "region", rid, NULL };

		if (!s->regions[i].present || !s->regions[i].age_known)
			continue;
		snprintf(rid, sizeof(rid), "%u", s->regions[i].id);
		expo_sample(e, l, (s->realtime_ns - (s->ts_ns - s->regions[i].create_ns)) * NS);
	}
	expo_family(e, "tdax_regions", "gauge", "Regions present now.");
	for (i = n = 0; i < s->nregions; i++)
		n += s->regions[i].present;
	expo_sample_u64(e, NULL, n);

	expo_family(e, "tdax_region_lifetime_seconds", "histogram",
		    "Lifetimes of destroyed regions.");
	n = metrics_log2_buckets(&s->lifetimes[TDAX_LIFETIME_REGION], LT_LOG2_MIN, LT_LOG2_MAX,
				 bounds, counts);
	expo_histogram(e, NULL, bounds, counts, n, s->lifetimes[TDAX_LIFETIME_REGION].sum * NS);
}

/*
 * Per-process series (opt-in, --process-metrics).  By comm (default): one
 * series per (comm, device instance), the sum of its live processes plus
 * the final counts of its processes that exited (accumulated here from the
 * one snapshot that reports each exit), so the series is monotonic and
 * bounded by the number of distinct names.  By pid: one series per live
 * process, and per device the "exited" aggregate (pid="", comm="[exited]").
 */
struct comm_acc {
	char comm[TDAX_PROC_COMM_LEN];
	__u64 instance;
	struct tdax_gran g;
	uint64_t mmaps, mmap_errors;
	int used;
};

#define COMM_ACC_MAX	1024
static struct comm_acc comm_acc[COMM_ACC_MAX];

static struct comm_acc *comm_find(const char *comm, __u64 instance, int add)
{
	size_t i, fr = COMM_ACC_MAX;

	for (i = 0; i < COMM_ACC_MAX; i++) {
		if (!comm_acc[i].used) {
			if (fr == COMM_ACC_MAX)
				fr = i;
			continue;
		}
		if (comm_acc[i].instance == instance && !strcmp(comm_acc[i].comm, comm))
			return &comm_acc[i];
	}
	if (!add || fr == COMM_ACC_MAX)
		return NULL;
	memset(&comm_acc[fr], 0, sizeof(comm_acc[fr]));
	comm_acc[fr].used = 1;
	comm_acc[fr].instance = instance;
	snprintf(comm_acc[fr].comm, sizeof(comm_acc[fr].comm), "%s", comm);
	return &comm_acc[fr];
}

void metrics_account(const struct tdax_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++) {
		const struct tdax_snap_proc *p = &s->procs[i];
		struct comm_acc *a;

		if (p->exited || p->alive)
			continue;
		/* reported once by the library, folded into "exited" next time */
		a = comm_find(p->comm, p->instance, 1);
		if (!a)
			continue;
		tdax_gran_add(&a->g, &p->g);
		a->mmaps += p->mmaps;
		a->mmap_errors += p->mmap_errors;
	}
	/* forget the names of device instances that are gone for good */
	for (i = 0; i < COMM_ACC_MAX; i++)
		if (comm_acc[i].used && !tdax_snapshot_dev_instance(s, comm_acc[i].instance))
			comm_acc[i].used = 0;
}

struct proc_row {
	const char *pid, *comm;
	const struct tdax_snap_dev *d;
	struct tdax_gran g;
	uint64_t mmaps, mmap_errors;
};

static size_t proc_rows(const struct tdax_snapshot *s, int mode, struct proc_row *rows,
			char (*pids)[16])
{
	size_t i, j, n = 0;

	for (i = 0; i < s->nprocs; i++) {
		const struct tdax_snap_proc *p = &s->procs[i];
		const struct tdax_snap_dev *d = tdax_snapshot_dev_instance(s, p->instance);
		struct proc_row *r = NULL;

		if (!d)
			continue;
		if (mode == METRICS_PROC_PID) {
			if (!p->alive && !p->exited)
				continue;	/* in "exited" from the next snapshot on */
			r = &rows[n++];
			memset(r, 0, sizeof(*r));
			if (p->exited)
				pids[n - 1][0] = 0;
			else
				snprintf(pids[n - 1], 16, "%u", p->pid);
			r->pid = pids[n - 1];
			r->comm = p->comm;
			r->d = d;
		} else {
			if (p->exited || !p->alive)
				continue;
			for (j = 0; j < n; j++)
				if (rows[j].d == d && !strcmp(rows[j].comm, p->comm))
					r = &rows[j];
			if (!r) {
				r = &rows[n++];
				memset(r, 0, sizeof(*r));
				r->comm = p->comm;
				r->d = d;
			}
		}
		tdax_gran_add(&r->g, &p->g);
		r->mmaps += p->mmaps;
		r->mmap_errors += p->mmap_errors;
	}
	if (mode == METRICS_PROC_COMM) {
		for (i = 0; i < COMM_ACC_MAX; i++) {
			const struct comm_acc *a = &comm_acc[i];
			const struct tdax_snap_dev *d;
			struct proc_row *r = NULL;

			if (!a->used || !(d = tdax_snapshot_dev_instance(s, a->instance)))
				continue;
			for (j = 0; j < n; j++)
				if (rows[j].d == d && !strcmp(rows[j].comm, a->comm))
					r = &rows[j];
			if (!r) {
				r = &rows[n++];
				memset(r, 0, sizeof(*r));
				r->comm = a->comm;
				r->d = d;
			}
			tdax_gran_add(&r->g, &a->g);
			r->mmaps += a->mmaps;
			r->mmap_errors += a->mmap_errors;
		}
	}
	return n;
}

static void render_procs(struct expo *e, const struct tdax_snapshot *s, int mode)
{
	struct proc_row *rows = calloc(s->nprocs + COMM_ACC_MAX + 1, sizeof(*rows));
	char (*pids)[16] = calloc(s->nprocs + 1, 16);
	char ib[24];
	size_t i, n;

	if (!rows || !pids) {
		free(rows);
		free(pids);
		return;
	}
	n = proc_rows(s, mode, rows, pids);
#define PROC_COUNTER(name, help, expr)						\
	expo_family(e, name, "counter", help);					\
	for (i = 0; i < n; i++) {						\
		const struct proc_row *p = &rows[i];				\
		const char *lp[] = { "pid", p->pid, "comm", p->comm,		\
				     DEV_LABELS(p->d, ib), NULL };		\
		const char *lc[] = { "comm", p->comm, DEV_LABELS(p->d, ib), NULL }; \
		expo_sample_u64(e, mode == METRICS_PROC_PID ? lp : lc, (expr));	\
	}
	PROC_COUNTER("tdax_process_faults_ended_total",
		     "Faults that ended, per process (or comm) and device.", tdax_gran_ended(&p->g));
	PROC_COUNTER("tdax_process_fault_hits_total",
		     "Granularity hits per process (or comm) and device.", p->g.hits);
	PROC_COUNTER("tdax_process_fault_misses_total",
		     "Granularity misses per process (or comm) and device.", p->g.misses);
	PROC_COUNTER("tdax_process_fault_below_align_total",
		     "Faults that ended mapped below the device alignment per process (or comm) and device.",
		     p->g.below_align);
	PROC_COUNTER("tdax_process_fault_mapped_bytes_total",
		     "Bytes mapped per process (or comm) and device.", p->g.bytes_mapped);
	PROC_COUNTER("tdax_process_fault_aligned_bytes_total",
		     "Bytes mapped at the device alignment per process (or comm) and device.",
		     p->g.bytes_aligned);
	PROC_COUNTER("tdax_process_mmaps_total",
		     "Successful mmap() calls per process (or comm) and device.", p->mmaps);
	PROC_COUNTER("tdax_process_mmap_errors_total",
		     "Refused mmap() calls per process (or comm) and device.", p->mmap_errors);
#undef PROC_COUNTER
	free(rows);
	free(pids);
}

static void render_health(struct expo *e, const struct tdax_snapshot *s,
			  const struct daxcollect_health *h)
{
	static const enum tdax_attach_mode modes[] = { TDAX_ATTACH_TP_BTF, TDAX_ATTACH_RAW_TP };
	unsigned int i;

	expo_family(e, "tdax_build_info", "gauge",
		    "Version of daxcollect and the tdax ABI it was built with (value 1).");
	{
		const char *l[] = { "version", DAXCOLLECT_VERSION, "abi", "instance-ids", NULL };

		expo_sample_u64(e, l, 1);
	}
	expo_family(e, "tdax_collector_up", "gauge",
		    "1 when the BPF programs are attached to the tdax tracepoints, else 0.");
	expo_sample_u64(e, NULL, h->attached ? 1 : 0);
	expo_family(e, "tdax_collector_attach_mode", "gauge",
		    "How the programs are attached (1 for the current mode).");
	for (i = 0; i < 2; i++) {
		const char *l[] = { "mode", tdax_attach_mode_name(modes[i]), NULL };

		expo_sample_u64(e, l, h->attached && h->mode == modes[i]);
	}
	expo_family(e, "tdax_collector_program_set", "gauge",
		    "The BPF program set read (1 for the current role): private (loaded by daxcollect alone), or the host's shared set as its owner (daxcollect retires rows) or a follower.");
	{
		static const enum tdax_set_role roles[] = { TDAX_SET_PRIVATE, TDAX_SET_OWNER,
							    TDAX_SET_FOLLOWER };

		for (i = 0; i < 3; i++) {
			const char *l[] = { "role", tdax_set_role_name(roles[i]), NULL };

			expo_sample_u64(e, l, h->attached && s->set_role == roles[i]);
		}
	}
	expo_family(e, "tdax_collector_source", "gauge",
		    "Sources attached (1 each): tdax (the tdax tracepoints) or stock (BPF on the in-tree device_dax), with the attachment of each.");
	{
		const char *lt[] = { "source", "tdax", "mode",
				     s->sources & TDAX_SOURCE_TDAX ? tdax_attach_mode_name(s->mode) : "none", NULL };
		const char *ls[] = { "source", "stock", "mode", tdax_attach_mode_name(s->stock_mode), NULL };

		expo_sample_u64(e, lt, !!(s->sources & TDAX_SOURCE_TDAX));
		expo_sample_u64(e, ls, !!(s->sources & TDAX_SOURCE_STOCK));
	}
	expo_family(e, "tdax_collector_released", "gauge",
		    "1 while detached (SIGUSR1, or no driver and device left) so the tdax module can be unloaded.");
	expo_sample_u64(e, NULL, h->released ? 1 : 0);
	expo_family(e, "tdax_collector_attach_changes_total", "counter",
		    "Attach and detach transitions (driver unloaded, reloaded, released).");
	expo_sample_u64(e, NULL, h->attach_changes);
	expo_family(e, "tdax_collector_scrapes_total", "counter", "Snapshots of the BPF maps taken.");
	expo_sample_u64(e, NULL, h->scrapes);
	expo_family(e, "tdax_collector_scrape_errors_total", "counter", "Snapshots that failed.");
	expo_sample_u64(e, NULL, h->scrape_errors);
	expo_family(e, "tdax_collector_scrape_duration_seconds", "gauge",
		    "Time taken by the previous snapshot and rendering.");
	expo_sample(e, NULL, h->last_scrape_seconds);
	expo_family(e, "tdax_collector_start_time_seconds", "gauge",
		    "Unix time daxcollect started.");
	expo_sample(e, NULL, h->start_time);

	expo_family(e, "tdax_collector_events_total", "counter",
		    "Tracepoint events seen by the BPF programs, by event.");
	for (i = TDAX_CTR_EV_FIRST; i <= TDAX_CTR_EV_LAST; i++) {
		const char *l[] = { "event", tdax_counter_name(i), NULL };

		expo_sample_u64(e, l, s->counters[i]);
	}
	expo_family(e, "tdax_collector_map_entries", "gauge", "Entries in each aggregation map.");
	for (i = TDAX_CTR_FULL_FIRST; i <= TDAX_CTR_FULL_LAST; i++) {
		const char *l[] = { "map", tdax_counter_name(i), NULL };

		expo_sample_u64(e, l, s->map_entries[i]);
	}
	expo_family(e, "tdax_collector_map_max_entries", "gauge", "Capacity of each aggregation map.");
	for (i = TDAX_CTR_FULL_FIRST; i <= TDAX_CTR_FULL_LAST; i++) {
		const char *l[] = { "map", tdax_counter_name(i), NULL };

		expo_sample_u64(e, l, s->map_max[i]);
	}
	expo_family(e, "tdax_collector_map_full_total", "counter",
		    "Updates dropped because a map was full (the data is then incomplete).");
	for (i = TDAX_CTR_FULL_FIRST; i <= TDAX_CTR_FULL_LAST; i++) {
		const char *l[] = { "map", tdax_counter_name(i), NULL };

		expo_sample_u64(e, l, s->counters[i]);
	}
	expo_family(e, "tdax_collector_lost_events_total", "counter",
		    "Snoop records lost because the ring buffer was full.");
	expo_sample_u64(e, NULL, s->counters[TDAX_CTR_EVENTS_LOST]);
	expo_family(e, "tdax_collector_read_errors_total", "counter",
		    "Errors reading records inside the BPF programs.");
	expo_sample_u64(e, NULL, s->counters[TDAX_CTR_READ_ERRORS]);
	expo_family(e, "tdax_collector_bpf_stats_enabled", "gauge",
		    "1 when kernel.bpf_stats_enabled is on (BPF run time is then measured).");
	expo_sample_u64(e, NULL, h->bpf_stats ? 1 : 0);
	if (h->bpf_stats) {
		expo_family(e, "tdax_collector_bpf_run_seconds_total", "counter",
			    "CPU time spent in the tdax BPF programs (needs kernel.bpf_stats_enabled=1).");
		expo_sample(e, NULL, s->bpf_run_ns * NS);
		expo_family(e, "tdax_collector_bpf_runs_total", "counter",
			    "Runs of the tdax BPF programs (needs kernel.bpf_stats_enabled=1).");
		expo_sample_u64(e, NULL, s->bpf_run_cnt);
	}

	if (h->have_http) {
		expo_family(e, "tdax_collector_http_requests_total", "counter",
			    "HTTP requests answered, by status code class.");
		{
			const char *l1[] = { "code", "2xx", NULL };
			const char *l2[] = { "code", "404", NULL };
			const char *l3[] = { "code", "405", NULL };
			const char *l4[] = { "code", "5xx", NULL };

			expo_sample_u64(e, l1, h->http.ok);
			expo_sample_u64(e, l2, h->http.not_found);
			expo_sample_u64(e, l3, h->http.bad_method);
			expo_sample_u64(e, l4, h->http.error);
		}
	}

	if (h->rules && h->engine) {
		size_t r;

		expo_family(e, "tdax_collector_alerts_firing", "gauge",
			    "Instances of each daxcollect alert rule firing now.");
		for (r = 0; r < h->rules->n; r++) {
			const char *l[] = { "alert", h->rules->rules[r].name,
					    "severity", h->rules->rules[r].severity, NULL };

			expo_sample_u64(e, l, alert_engine_firing(h->engine, r));
		}
		expo_family(e, "tdax_collector_alert_transitions_total", "counter",
			    "Alert transitions reported by daxcollect's own rules.");
		{
			const char *lf[] = { "state", "firing", NULL };
			const char *lr[] = { "state", "resolved", NULL };

			expo_sample_u64(e, lf, h->transitions[1]);
			expo_sample_u64(e, lr, h->transitions[0]);
		}
		expo_family(e, "tdax_collector_alert_action_failures_total", "counter",
			    "Alert actions that failed (file not writable, hook failed or timed out).");
		expo_sample_u64(e, NULL, h->action_failures);
	}
}

void metrics_render(struct expo *e, const struct tdax_snapshot *s,
		    const struct daxcollect_health *h)
{
	render_faults(e, s);
	render_mmaps(e, s);
	render_devices(e, s);
	render_regions(e, s);
	render_flush(e, s);
	render_kmem(e, s);
	if (h->process_metrics)
		render_procs(e, s, h->process_metrics);
	render_health(e, s, h);
}

static void counts_of(struct alert_counts *c, const struct tdax_gran *g)
{
	c->hits = g->hits;
	c->misses = g->misses;
	c->fallback_total = g->below_align;
	c->sigbus_total = tdax_gran_sigbus(g);
	c->bytes_mapped = g->bytes_mapped;
	c->bytes_aligned = g->bytes_aligned;
}

void metrics_feed_alerts(struct alert_engine *eng, const struct tdax_snapshot *s,
			 double now)
{
	struct alert_counts c;
	struct alert_key k;
	size_t i;
	int r;

	alert_engine_begin(eng, now);
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];

		if (d->retired || (!d->instance && !d->present))
			continue;	/* gone: its alerts resolve */
		memset(&k, 0, sizeof(k));
		memset(&c, 0, sizeof(c));
		k.scope = RS_DEVICE;
		k.instance = d->instance;
		snprintf(k.device, sizeof(k.device), "%s", d->name);
		counts_of(&c, &d->g);
		/* reasons once per fault that ended (library definition) */
		for (r = 0; r < TDAX_FR_NR; r++) {
			if (r == TDAX_FR_OK)
				continue;
			c.fallback[r] = tdax_reason_ended(s, d->instance, r, TDAX_FO_MAPPED);
			c.sigbus[r] = tdax_reason_ended(s, d->instance, r, TDAX_FO_SIGBUS);
		}
		alert_engine_observe(eng, &k, &c);
	}
	for (i = 0; i < s->nprocs; i++) {
		const struct tdax_snap_proc *p = &s->procs[i];
		const struct tdax_snap_dev *d = tdax_snapshot_dev_instance(s, p->instance);

		if (!p->alive || p->exited || !d)
			continue;
		memset(&k, 0, sizeof(k));
		memset(&c, 0, sizeof(c));
		k.scope = RS_PROCESS;
		k.pid = (pid_t)p->pid;
		k.instance = p->instance;
		k.start_ns = p->start_ns;
		snprintf(k.comm, sizeof(k.comm), "%s", p->comm);
		snprintf(k.device, sizeof(k.device), "%s", d->name);
		counts_of(&c, &p->g);
		for (r = 0; r < TDAX_FR_NR; r++) {
			if (r == TDAX_FR_OK)
				continue;
			c.fallback[r] = p->reasons[0][r];
			c.sigbus[r] = p->reasons[1][r];
		}
		alert_engine_observe(eng, &k, &c);
	}
	alert_engine_evaluate(eng);
}
