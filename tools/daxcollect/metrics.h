/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * metrics.h - turn collector-library snapshots into Prometheus metrics and
 * into the alert engine's per-device / per-process counters.
 *
 * Every metric is listed, with labels and meaning, in docs/daxcollect.md.
 */
#ifndef DAXCOLLECT_METRICS_H
#define DAXCOLLECT_METRICS_H

#include <stdint.h>

#include "tdax_collector.h"
#include "alert.h"
#include "expo.h"
#include "http.h"

/* Latency buckets: 2^9 ns (512 ns) .. 2^30 ns (1.07 s), then +Inf. */
#define LAT_LOG2_MIN	9
#define LAT_LOG2_MAX	30
/* Lifetime buckets: 2^20 ns (1 ms) .. 2^46 ns (19.5 h), then +Inf. */
#define LT_LOG2_MIN	20
#define LT_LOG2_MAX	46

/**
 * struct daxcollect_health - the collector's own state, exported as tdax_collector_*
 * @attached:        programs attached now
 * @mode:            how
 * @released:        detached on request (SIGUSR1) to let the driver unload
 * @attach_changes:  attach/detach transitions since start
 * @scrapes:         snapshots taken
 * @scrape_errors:   snapshots that failed
 * @last_scrape_seconds: duration of the last snapshot + rendering
 * @start_time:      Unix time daxcollect started
 * @bpf_stats:       kernel.bpf_stats_enabled is 1
 * @process_metrics: per-process series: 0 none, METRICS_PROC_COMM, METRICS_PROC_PID
 * @http:            request counters (NULL without HTTP)
 * @rules:           alert rules (NULL without)
 * @engine:          alert engine (NULL without)
 * @transitions:     alert transitions [resolved, firing]
 * @action_failures: actions that failed
 */
struct daxcollect_health {
	int attached;
	enum tdax_attach_mode mode;
	int released;
	uint64_t attach_changes;
	uint64_t scrapes;
	uint64_t scrape_errors;
	double last_scrape_seconds;
	double start_time;
	int bpf_stats;
	int process_metrics;
	struct http_counters http;
	int have_http;
	const struct rule_set *rules;
	const struct alert_engine *engine;
	uint64_t transitions[2];
	uint64_t action_failures;
};

#define METRICS_PROC_COMM	1
#define METRICS_PROC_PID	2
#ifndef DAXCOLLECT_VERSION
#define DAXCOLLECT_VERSION	"0.2"
#endif

void metrics_render(struct expo *e, const struct tdax_snapshot *s,
		    const struct daxcollect_health *h);
/*
 * Call once for every snapshot taken (scrape or alert round): accumulates
 * the final counts of processes reported as exited (comm series).
 */
void metrics_account(const struct tdax_snapshot *s);
/* Feed one snapshot (cumulative counters) to the alert engine. */
void metrics_feed_alerts(struct alert_engine *eng, const struct tdax_snapshot *s,
			 double now);
/*
 * Convert a log2 ns histogram into Prometheus buckets in seconds:
 * bounds[j] = 2^(lo+j) ns, j = 0..hi-lo; counts has hi-lo+2 entries
 * (the last one is +Inf).  Returns the number of finite bounds.
 */
size_t metrics_log2_buckets(const struct tdax_histogram *h, int lo, int hi,
			    double *bounds, uint64_t *counts);

#endif
