/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * alert.h - the daxcollect alert engine.
 *
 * Each evaluation round the caller feeds the cumulative counters of every
 * device and every (process, device) it knows (alert_engine_observe()), then
 * calls alert_engine_evaluate().  The engine keeps a short history per key,
 * computes each rule's measure over the rule's window, and walks every
 * (rule, key) instance through inactive -> pending -> firing -> inactive.
 * Only the transitions to firing and from firing to resolved are reported,
 * once each.  A key that is no longer observed (device gone, process
 * exited) resolves its firing alerts.
 */
#ifndef DAXCOLLECT_ALERT_H
#define DAXCOLLECT_ALERT_H

#include <stdint.h>
#include <sys/types.h>

#include "tdax_abi.h"
#include "rules.h"

#define ALERT_KEYS_MAX		4096
#define ALERT_HISTORY_MAX	128	/* samples per key; the ring grows from 8 */

/**
 * struct alert_counts - cumulative fault counters of one key
 * @hits:     faults served at the device alignment
 * @misses:   faults mapped below the alignment or ended in SIGBUS
 * @fallback_total: faults that ended mapped below the alignment
 * @sigbus_total:   faults ended in SIGBUS
 * @bytes_mapped:   bytes mapped by faults that ended mapped
 * @bytes_aligned:  of those, bytes mapped at the device alignment
 * @fallback: faults that ended mapped, by tdax fault reason other than ok:
 *            below the alignment, or (offset_misaligned, stock kernels) at
 *            it but at the wrong address (may stay zero when reasons are
 *            not known for this key)
 * @sigbus:   faults ended in SIGBUS, by reason (same)
 */
struct alert_counts {
	uint64_t hits;
	uint64_t misses;
	uint64_t fallback_total;
	uint64_t sigbus_total;
	uint64_t bytes_mapped;
	uint64_t bytes_aligned;
	uint64_t fallback[TDAX_FR_NR];
	uint64_t sigbus[TDAX_FR_NR];
};

/**
 * struct alert_key - what an alert instance is about
 * @scope:  device, or (process, device)
 * @device: device name, "tdaxR.N"
 * @pid:    process id (process scope), else 0
 * @comm:   process name (process scope), else ""
 * @instance: device instance id (a re-created device is another key)
 * @start_ns: process start time (a reused pid is another key), else 0
 */
struct alert_key {
	enum rule_scope scope;
	char device[TDAX_NAME_LEN];
	pid_t pid;
	char comm[16];
	uint64_t instance;
	uint64_t start_ns;
};

enum alert_state {
	AS_INACTIVE,
	AS_PENDING,
	AS_FIRING,
};

/**
 * struct alert_event - a transition, handed to the notifier
 * @rule:      the rule
 * @key:       device / process
 * @firing:    1 for firing, 0 for resolved
 * @value:     the measure at this evaluation (NaN if no longer measurable)
 * @reason:    dominant fault reason over the window (rate measures); ""
 *             when none
 * @reasons:   "reason=count,..." over the window, most frequent first
 * @active_at: when the condition started to hold (seconds, monotonic
 *             clock of the caller)
 * @now:       evaluation time (same clock)
 */
struct alert_event {
	const struct rule *rule;
	const struct alert_key *key;
	int firing;
	double value;
	const char *reason;
	const char *reasons;
	double active_at;
	double now;
};

typedef void (*alert_notify_fn)(const struct alert_event *ev, void *ctx);

struct alert_engine;

struct alert_engine *alert_engine_new(const struct rule_set *rs,
				      alert_notify_fn notify, void *ctx);
void alert_engine_free(struct alert_engine *e);
/* Start a round at time now (seconds, monotonic). */
void alert_engine_begin(struct alert_engine *e, double now);
/* Cumulative counters of one key in this round. */
void alert_engine_observe(struct alert_engine *e, const struct alert_key *key,
			  const struct alert_counts *c);
/* Evaluate every rule; report transitions; forget keys not observed. */
void alert_engine_evaluate(struct alert_engine *e);
/* Resolve everything still firing (at shutdown). */
void alert_engine_resolve_all(struct alert_engine *e);

/* Introspection for metrics and tests. */
unsigned int alert_engine_firing(const struct alert_engine *e, size_t rule_idx);
enum alert_state alert_engine_state(const struct alert_engine *e, size_t rule_idx,
				    const struct alert_key *key);
uint64_t alert_engine_dropped_keys(const struct alert_engine *e);

/* Compute a measure between two counter snapshots over dt seconds. */
int alert_measure(const struct rule *r, const struct alert_counts *older,
		  const struct alert_counts *newer, double dt, double *value,
		  uint64_t *by_reason);

#endif
