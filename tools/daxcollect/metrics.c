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
#include <string.h>

#include "metrics.h"

#define NS	1e-9

size_t metrics_log2_buckets(const struct tdax_hist *h, int lo, int hi,
			    double *bounds, uint64_t *counts)
{
	size_t n = (size_t)(hi - lo + 1), j;
	int i;

	for (j = 0; j <= n; j++)
		counts[j] = 0;
	for (j = 0; j < n; j++)
		bounds[j] = ldexp(1.0, lo + (int)j) * NS;
	/* slot i holds 2^i <= v < 2^(i+1): it belongs to bucket le = 2^(i+1) */
	for (i = 0; i < TDAX_HIST_SLOTS; i++) {
		int b = i + 1 - lo;

		if (!h->slots[i])
			continue;
		if (b < 0)
			b = 0;
		if (b > (int)n || i == TDAX_HIST_SLOTS - 1)
			b = (int)n;	/* +Inf */
		counts[b] += h->slots[i];
	}
	return n;
}

static const char *dev_name(const struct tdax_snapshot *s, __u32 dev, char *buf,
			    size_t len)
{
	const struct tdax_snap_dev *d = tdax_snapshot_dev(s, dev);

	if (d)
		return d->name;
	snprintf(buf, len, "dev:%u:%u", TDAX_KDEV_MAJOR(dev), TDAX_KDEV_MINOR(dev));
	return buf;
}

static void render_faults(struct expo *e, const struct tdax_snapshot *s)
{
	double bounds[64];
	uint64_t counts[65];
	char b[48];
	size_t i, k;

	expo_family(e, "tdax_faults_total", "counter",
		    "Fault handler calls by device, attempted size, outcome and reason.");
	for (i = 0; i < s->nfaults; i++) {
		const struct tdax_snap_fault *f = &s->faults[i];
		const char *l[] = {
			"device", dev_name(s, f->dev, b, sizeof(b)),
			"size", tdax_size_name(f->size_idx),
			"outcome", tdax_fault_outcome_name(f->outcome),
			"reason", tdax_fault_reason_name(f->reason), NULL
		};

		expo_sample_u64(e, l, f->count);
	}

	expo_family(e, "tdax_fault_hits_total", "counter",
		    "Faults that ended mapped at the device alignment (granularity hits).");
	for (i = 0; i < s->ndevs; i++) {
		const char *l[] = { "device", s->devs[i].name, NULL };

		expo_sample_u64(e, l, s->devs[i].g.hits);
	}
	expo_family(e, "tdax_fault_misses_total", "counter",
		    "Faults that ended mapped below the device alignment or in SIGBUS (granularity misses).");
	for (i = 0; i < s->ndevs; i++) {
		const char *l[] = { "device", s->devs[i].name, NULL };

		expo_sample_u64(e, l, s->devs[i].g.misses);
	}
	expo_family(e, "tdax_fault_pte_fallbacks_total", "counter",
		    "Faults mapped below the device alignment (PTE fallback, fault_policy=fallback); a subset of the misses.");
	for (i = 0; i < s->ndevs; i++) {
		const char *l[] = { "device", s->devs[i].name, NULL };

		expo_sample_u64(e, l, s->devs[i].g.pte_fallback);
	}

	expo_family(e, "tdax_fault_latency_seconds", "histogram",
		    "Fault handler latency by device and attempted size (measured while the tdax_fault tracepoint is enabled).");
	for (i = 0; i < s->ndevs; i++) {
		for (k = 0; k <= TDAX_SZ_NR; k++) {
			const struct tdax_hist *h = &s->devs[i].lat[k];
			const char *l[] = { "device", s->devs[i].name,
					    "size", tdax_size_name(k), NULL };
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
	char b[48], res[32];
	size_t i;

	expo_family(e, "tdax_mmaps_total", "counter",
		    "mmap() calls and refused vma changes by device, result and reason.");
	for (i = 0; i < s->nmmaps; i++) {
		const struct tdax_snap_mmap *m = &s->mmaps[i];
		const char *en = m->result < 0 ? strerrorname_np(-m->result) : NULL;
		const char *l[] = { "device", dev_name(s, m->dev, b, sizeof(b)),
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
	char rid[16];
	size_t i, n;

	expo_family(e, "tdax_device_info", "gauge",
		    "Devices present in /sys/bus/tdax (value 1), with region, bound driver and fault policy.");
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];
		const char *l[] = { "device", d->name, "region", rid,
				    "driver", d->driver, "fault_policy", d->fault_policy, NULL };

		if (!d->present)
			continue;
		snprintf(rid, sizeof(rid), "%d", d->region_id);
		expo_sample_u64(e, l, 1);
	}
	expo_family(e, "tdax_device_size_bytes", "gauge", "Size of each present device.");
	for (i = 0; i < s->ndevs; i++) {
		const char *l[] = { "device", s->devs[i].name, NULL };

		if (s->devs[i].present)
			expo_sample_u64(e, l, s->devs[i].size);
	}
	expo_family(e, "tdax_device_align_bytes", "gauge", "Alignment (page size promised) of each present device.");
	for (i = 0; i < s->ndevs; i++) {
		const char *l[] = { "device", s->devs[i].name, NULL };

		if (s->devs[i].present)
			expo_sample_u64(e, l, s->devs[i].align);
	}
	expo_family(e, "tdax_device_age_seconds", "gauge",
		    "Age of each present device: since its creation when seen by the collector, else since first seen.");
	for (i = 0; i < s->ndevs; i++) {
		const char *l[] = { "device", s->devs[i].name, NULL };

		if (s->devs[i].present)
			expo_sample(e, l, s->devs[i].age_ns * NS);
	}
	expo_family(e, "tdax_device_binds_total", "counter", "Driver bind events seen per device.");
	for (i = 0; i < s->ndevs; i++) {
		const char *l[] = { "device", s->devs[i].name, NULL };

		expo_sample_u64(e, l, s->devs[i].binds);
	}
	expo_family(e, "tdax_device_unbinds_total", "counter", "Driver unbind events seen per device.");
	for (i = 0; i < s->ndevs; i++) {
		const char *l[] = { "device", s->devs[i].name, NULL };

		expo_sample_u64(e, l, s->devs[i].unbinds);
	}

	expo_family(e, "tdax_device_lifetime_seconds", "histogram",
		    "Lifetimes of destroyed devices.");
	n = metrics_log2_buckets(&s->lifetimes[TDAX_LT_DEV], LT_LOG2_MIN, LT_LOG2_MAX,
				 bounds, counts);
	expo_histogram(e, NULL, bounds, counts, n, s->lifetimes[TDAX_LT_DEV].sum * NS);
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
	REGION_GAUGE("tdax_region_age_seconds",
		     "Age of each present region: since its creation when seen by the collector, else since first seen.",
		     age_ns, NS);
#undef REGION_GAUGE
	expo_family(e, "tdax_regions", "gauge", "Regions present now.");
	for (i = n = 0; i < s->nregions; i++)
		n += s->regions[i].present;
	expo_sample_u64(e, NULL, n);

	expo_family(e, "tdax_region_lifetime_seconds", "histogram",
		    "Lifetimes of destroyed regions.");
	n = metrics_log2_buckets(&s->lifetimes[TDAX_LT_REGION], LT_LOG2_MIN, LT_LOG2_MAX,
				 bounds, counts);
	expo_histogram(e, NULL, bounds, counts, n, s->lifetimes[TDAX_LT_REGION].sum * NS);
}

static void render_procs(struct expo *e, const struct tdax_snapshot *s)
{
	char pid[16], b[48];
	size_t i;

#define PROC_COUNTER(name, help, expr)						\
	expo_family(e, name, "counter", help);					\
	for (i = 0; i < s->nprocs; i++) {					\
		const struct tdax_snap_proc *p = &s->procs[i];			\
		const char *l[] = { "pid", pid, "comm", p->comm, "device",	\
				    dev_name(s, p->dev, b, sizeof(b)), NULL };	\
		if (!p->alive)							\
			continue;						\
		snprintf(pid, sizeof(pid), "%u", p->pid);			\
		expo_sample_u64(e, l, (expr));					\
	}
	PROC_COUNTER("tdax_process_fault_hits_total",
		     "Granularity hits per live process and device.", p->g.hits);
	PROC_COUNTER("tdax_process_fault_misses_total",
		     "Granularity misses per live process and device.", p->g.misses);
	PROC_COUNTER("tdax_process_fault_pte_fallbacks_total",
		     "Faults mapped below the device alignment per live process and device.",
		     p->g.pte_fallback);
	PROC_COUNTER("tdax_process_mmaps_total",
		     "Successful mmap() calls per live process and device.", p->mmaps);
	PROC_COUNTER("tdax_process_mmap_errors_total",
		     "Refused mmap() calls per live process and device.", p->mmap_errors);
#undef PROC_COUNTER
}

static void render_health(struct expo *e, const struct tdax_snapshot *s,
			  const struct daxcollect_health *h)
{
	static const enum tdax_attach_mode modes[] = { TDAX_ATTACH_TP_BTF, TDAX_ATTACH_RAW_TP };
	unsigned int i;

	expo_family(e, "tdax_collector_up", "gauge",
		    "1 when the BPF programs are attached to the tdax tracepoints, else 0.");
	expo_sample_u64(e, NULL, h->attached ? 1 : 0);
	expo_family(e, "tdax_collector_attach_mode", "gauge",
		    "How the programs are attached (1 for the current mode).");
	for (i = 0; i < 2; i++) {
		const char *l[] = { "mode", tdax_attach_mode_name(modes[i]), NULL };

		expo_sample_u64(e, l, h->attached && h->mode == modes[i]);
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
	for (i = TDAX_STAT_EV_FAULT; i <= TDAX_STAT_EV_DEV_DESTROY; i++) {
		const char *l[] = { "event", tdax_stat_name(i), NULL };

		expo_sample_u64(e, l, s->stats[i]);
	}
	expo_family(e, "tdax_collector_map_entries", "gauge", "Entries in each aggregation map.");
	for (i = TDAX_STAT_FULL_FAULT_COUNTS; i <= TDAX_STAT_FULL_LIVE_DEVS; i++) {
		const char *l[] = { "map", tdax_stat_name(i), NULL };

		expo_sample_u64(e, l, s->map_entries[i]);
	}
	expo_family(e, "tdax_collector_map_max_entries", "gauge", "Capacity of each aggregation map.");
	for (i = TDAX_STAT_FULL_FAULT_COUNTS; i <= TDAX_STAT_FULL_LIVE_DEVS; i++) {
		const char *l[] = { "map", tdax_stat_name(i), NULL };

		expo_sample_u64(e, l, s->map_max[i]);
	}
	expo_family(e, "tdax_collector_map_full_total", "counter",
		    "Updates dropped because a map was full (the data is then incomplete).");
	for (i = TDAX_STAT_FULL_FAULT_COUNTS; i <= TDAX_STAT_FULL_LIVE_DEVS; i++) {
		const char *l[] = { "map", tdax_stat_name(i), NULL };

		expo_sample_u64(e, l, s->stats[i]);
	}
	expo_family(e, "tdax_collector_lost_events_total", "counter",
		    "Snoop records lost because the ring buffer was full.");
	expo_sample_u64(e, NULL, s->stats[TDAX_STAT_EVENTS_LOST]);
	expo_family(e, "tdax_collector_read_errors_total", "counter",
		    "Errors reading records inside the BPF programs.");
	expo_sample_u64(e, NULL, s->stats[TDAX_STAT_READ_ERRORS]);
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
	if (h->process_metrics)
		render_procs(e, s);
	render_health(e, s, h);
}

void metrics_feed_alerts(struct alert_engine *eng, const struct tdax_snapshot *s,
			 double now)
{
	struct alert_counts c;
	struct alert_key k;
	size_t i, j;
	int sz;

	alert_engine_begin(eng, now);
	for (i = 0; i < s->ndevs; i++) {
		const struct tdax_snap_dev *d = &s->devs[i];

		memset(&k, 0, sizeof(k));
		memset(&c, 0, sizeof(c));
		k.scope = RS_DEVICE;
		snprintf(k.device, sizeof(k.device), "%s", d->name);
		c.hits = d->g.hits;
		c.misses = d->g.misses;
		c.fallback_total = d->g.pte_fallback;
		for (sz = 0; sz < TDAX_SZ_NR; sz++)
			c.sigbus_total += d->g.sigbus[sz];
		for (j = 0; j < s->nfaults; j++) {
			const struct tdax_snap_fault *f = &s->faults[j];

			if (f->dev != d->dev || f->reason >= TDAX_FR_NR)
				continue;
			if (f->outcome == TDAX_FO_MAPPED && f->reason != TDAX_FR_OK)
				c.fallback[f->reason] += f->count;
			else if (f->outcome == TDAX_FO_SIGBUS)
				c.sigbus[f->reason] += f->count;
		}
		alert_engine_observe(eng, &k, &c);
	}
	for (i = 0; i < s->nprocs; i++) {
		const struct tdax_snap_proc *p = &s->procs[i];
		char b[48];

		if (!p->alive)
			continue;
		memset(&k, 0, sizeof(k));
		memset(&c, 0, sizeof(c));
		k.scope = RS_PROCESS;
		k.pid = (pid_t)p->pid;
		snprintf(k.comm, sizeof(k.comm), "%s", p->comm);
		snprintf(k.device, sizeof(k.device), "%.31s", dev_name(s, p->dev, b, sizeof(b)));
		c.hits = p->g.hits;
		c.misses = p->g.misses;
		c.fallback_total = p->g.pte_fallback;
		for (sz = 0; sz < TDAX_SZ_NR; sz++)
			c.sigbus_total += p->g.sigbus[sz];
		alert_engine_observe(eng, &k, &c);
	}
	alert_engine_evaluate(eng);
}
