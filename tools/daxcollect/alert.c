// SPDX-License-Identifier: GPL-2.0-only
/*
 * alert.c - the daxcollect alert engine (see alert.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"

#define HASH_BUCKETS	1024

static const char *const reason_names[TDAX_FR_NR] = {
#define X(name, val, str) [val] = str,
	TDAX_FAULT_REASONS(X)
#undef X
};

struct sample {
	double t;
	struct alert_counts c;
};

/* State of one (rule, key) instance. */
struct inst {
	enum alert_state st;
	double active_at;
	char reason[32];
	char reasons[256];
};

struct key_ent {
	struct alert_key key;
	int seen;
	int next;		/* hash chain, -1 ends */
	struct sample *hist;	/* ring of cap samples, cap <= ALERT_HISTORY_MAX */
	size_t cap;
	size_t head;		/* index of the oldest sample */
	size_t len;
	struct inst *inst;	/* one per rule */
};

struct alert_engine {
	const struct rule_set *rs;
	alert_notify_fn notify;
	void *ctx;
	double now;
	double prev;		/* time of the previous round, < 0 before the second */
	double spacing;		/* min time between kept samples */
	struct key_ent *keys;
	size_t nkeys;
	int buckets[HASH_BUCKETS];
	uint64_t dropped;
};

static int rule_applies(const struct rule *r, const struct alert_key *k);

static unsigned int key_hash(const struct alert_key *k)
{
	unsigned int h = 2166136261u ^ (unsigned int)k->scope ^ (unsigned int)k->pid * 31u;
	const char *s;

	for (s = k->device; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (s = k->comm; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % HASH_BUCKETS;
}

static int key_eq(const struct alert_key *a, const struct alert_key *b)
{
	return a->scope == b->scope && a->pid == b->pid && a->instance == b->instance &&
	       a->start_ns == b->start_ns &&
	       !strcmp(a->device, b->device) && !strcmp(a->comm, b->comm);
}

static void rehash(struct alert_engine *e)
{
	size_t i;

	for (i = 0; i < HASH_BUCKETS; i++)
		e->buckets[i] = -1;
	for (i = 0; i < e->nkeys; i++) {
		unsigned int h = key_hash(&e->keys[i].key);

		e->keys[i].next = e->buckets[h];
		e->buckets[h] = (int)i;
	}
}

struct alert_engine *alert_engine_new(const struct rule_set *rs,
				      alert_notify_fn notify, void *ctx)
{
	struct alert_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->keys = calloc(ALERT_KEYS_MAX, sizeof(*e->keys));
	if (!e->keys) {
		free(e);
		return NULL;
	}
	e->rs = rs;
	e->notify = notify;
	e->ctx = ctx;
	e->spacing = rs->max_window / (ALERT_HISTORY_MAX / 2);
	e->now = -1;
	e->prev = -1;
	rehash(e);
	return e;
}

static void key_release(struct key_ent *k)
{
	free(k->hist);
	free(k->inst);
	k->hist = NULL;
	k->inst = NULL;
}

void alert_engine_free(struct alert_engine *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nkeys; i++)
		key_release(&e->keys[i]);
	free(e->keys);
	free(e);
}

void alert_engine_begin(struct alert_engine *e, double now)
{
	size_t i;

	e->prev = e->now;
	e->now = now;
	for (i = 0; i < e->nkeys; i++)
		e->keys[i].seen = 0;
}

static struct sample *hist_at(struct key_ent *k, size_t i)
{
	return &k->hist[(k->head + i) % k->cap];
}

static int counts_went_back(const struct alert_counts *old, const struct alert_counts *now)
{
	int i;

	if (now->hits < old->hits || now->misses < old->misses ||
	    now->fallback_total < old->fallback_total ||
	    now->sigbus_total < old->sigbus_total || now->bytes_mapped < old->bytes_mapped ||
	    now->bytes_aligned < old->bytes_aligned)
		return 1;
	for (i = 0; i < TDAX_FR_NR; i++)
		if (now->fallback[i] < old->fallback[i] || now->sigbus[i] < old->sigbus[i])
			return 1;
	return 0;
}

void alert_engine_observe(struct alert_engine *e, const struct alert_key *key,
			  const struct alert_counts *c)
{
	unsigned int h = key_hash(key);
	struct key_ent *k = NULL;
	struct sample *last;
	int i;

	for (i = 0; i < (int)e->rs->n; i++)
		if (rule_applies(&e->rs->rules[i], key))
			break;
	if (i == (int)e->rs->n)
		return;		/* no rule looks at this key: keep nothing */
	for (i = e->buckets[h]; i >= 0; i = e->keys[i].next)
		if (key_eq(&e->keys[i].key, key)) {
			k = &e->keys[i];
			break;
		}
	if (!k && key->instance) {
		/*
		 * A device present before any record named its instance is
		 * observed with instance 0 and zero counts; its first record
		 * names it: the same device, so the same history (the hash
		 * does not include the instance).
		 */
		struct alert_key k0 = *key;

		k0.instance = 0;
		for (i = e->buckets[h]; i >= 0; i = e->keys[i].next)
			if (key_eq(&e->keys[i].key, &k0)) {
				k = &e->keys[i];
				k->key.instance = key->instance;
				break;
			}
	}
	if (!k) {
		if (e->nkeys >= ALERT_KEYS_MAX) {
			e->dropped++;
			return;
		}
		k = &e->keys[e->nkeys];
		memset(k, 0, sizeof(*k));
		k->cap = 8;
		k->hist = calloc(k->cap, sizeof(*k->hist));
		k->inst = calloc(e->rs->n ? e->rs->n : 1, sizeof(*k->inst));
		if (!k->hist || !k->inst) {
			key_release(k);
			e->dropped++;
			return;
		}
		k->key = *key;
		k->next = e->buckets[h];
		e->buckets[h] = (int)e->nkeys++;
		/*
		 * A key first seen after the first round is a device instance
		 * or process that appeared since the previous round: its
		 * counters started at zero then (a new instance counts from
		 * zero), so the faults of its first interval are a rate too
		 * (else a new device's first burst, e.g. of wrong-memory
		 * faults, would only be the base of its history).
		 */
		if (e->prev >= 0 && e->prev < e->now) {
			k->hist[0].t = e->prev;
			k->len = 1;
		}
	}
	if (k->seen)	/* observed twice in one round: keep the first */
		return;
	k->seen = 1;

	if (k->len) {
		last = hist_at(k, k->len - 1);
		if (counts_went_back(&last->c, c) || e->now < last->t) {
			/* collector re-attached (maps restarted) or clock oddity */
			k->head = 0;
			k->len = 0;
		}
	}
	/* Keep samples at least e->spacing apart; the newest always replaces. */
	if (k->len >= 2 && e->now - hist_at(k, k->len - 2)->t < e->spacing) {
		last = hist_at(k, k->len - 1);
	} else {
		if (k->len == k->cap && k->cap < ALERT_HISTORY_MAX) {
			/* grow the ring, oldest sample first */
			struct sample *nh = calloc(k->cap * 2, sizeof(*nh));
			size_t i2;

			if (nh) {
				for (i2 = 0; i2 < k->len; i2++)
					nh[i2] = *hist_at(k, i2);
				free(k->hist);
				k->hist = nh;
				k->head = 0;
				k->cap *= 2;
			}
		}
		if (k->len == k->cap) {
			k->head = (k->head + 1) % k->cap;
			k->len--;
		}
		last = hist_at(k, k->len++);
	}
	last->t = e->now;
	last->c = *c;

	/* forget what no window needs: keep one sample at or before now - max_window */
	while (k->len >= 2 && hist_at(k, 1)->t <= e->now - e->rs->max_window) {
		k->head = (k->head + 1) % k->cap;
		k->len--;
	}
}

static uint64_t delta(uint64_t newer, uint64_t older)
{
	return newer >= older ? newer - older : 0;
}

int alert_measure(const struct rule *r, const struct alert_counts *older,
		  const struct alert_counts *newer, double dt, double *value,
		  uint64_t *by_reason)
{
	uint64_t hits = delta(newer->hits, older->hits);
	uint64_t misses = delta(newer->misses, older->misses);
	uint64_t n = 0;
	int i;

	for (i = 0; i < TDAX_FR_NR; i++) {
		uint64_t f = delta(newer->fallback[i], older->fallback[i]);
		uint64_t s = delta(newer->sigbus[i], older->sigbus[i]);
		uint64_t v;

		switch (r->measure) {
		case RM_FALLBACK_RATE:
			v = f;
			break;
		case RM_SIGBUS_RATE:
			v = s;
			break;
		default:
			v = f + s;
		}
		if (r->reason_mask && !(r->reason_mask & (1u << i)))
			v = 0;
		by_reason[i] = v;
		n += v;
	}
	if (!(dt > 0))
		return -EINVAL;
	switch (r->measure) {
	case RM_FALLBACK_RATE:
		*value = (r->reason_mask ? n : delta(newer->fallback_total,
						     older->fallback_total)) / dt;
		return 0;
	case RM_SIGBUS_RATE:
		*value = (r->reason_mask ? n : delta(newer->sigbus_total,
						     older->sigbus_total)) / dt;
		return 0;
	case RM_MISS_RATE:
		*value = (r->reason_mask ? n : misses) / dt;
		return 0;
	case RM_FAULT_RATE:
		/*
		 * Every fault that ended, hits included: with match.reason the
		 * faults of those reasons at any size, e.g. offset_misaligned,
		 * mapped at the alignment (a hit) but at the wrong address.
		 */
		*value = (r->reason_mask ? n : hits + misses) / dt;
		return 0;
	case RM_BYTE_COVERAGE: {
		uint64_t mapped = delta(newer->bytes_mapped, older->bytes_mapped);
		uint64_t aligned = delta(newer->bytes_aligned, older->bytes_aligned);

		/* the library's definition (tdax_byte_coverage), over the window */
		if (!mapped || hits + misses < r->min_faults)
			return -ENODATA;
		*value = (double)aligned / (double)mapped;
		return 0;
	}
	case RM_HIT_RATIO:
	case RM_MISS_RATIO:
		if (hits + misses == 0 || hits + misses < r->min_faults)
			return -ENODATA;
		*value = (double)(r->measure == RM_HIT_RATIO ? hits : misses) /
			 (double)(hits + misses);
		return 0;
	default:
		return -EINVAL;
	}
}

static int compare(enum rule_op op, double v, double t)
{
	switch (op) {
	case RO_GT: return v > t;
	case RO_GE: return v >= t;
	case RO_LT: return v < t;
	case RO_LE: return v <= t;
	}
	return 0;
}

static int rule_applies(const struct rule *r, const struct alert_key *k)
{
	if (r->scope != k->scope)
		return 0;
	if (r->match_device && fnmatch(r->match_device, k->device, 0))
		return 0;
	if (r->match_comm && fnmatch(r->match_comm, k->comm, 0))
		return 0;
	return 1;
}

static void describe_reasons(const uint64_t *by_reason, struct inst *in)
{
	int order[TDAX_FR_NR], i, j, n = 0;
	size_t off = 0;

	for (i = 0; i < TDAX_FR_NR; i++)
		if (by_reason[i])
			order[n++] = i;
	/* insertion sort, most frequent first, ties by reason code */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && by_reason[order[j]] > by_reason[order[j - 1]]; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	in->reason[0] = 0;
	in->reasons[0] = 0;
	if (n)
		snprintf(in->reason, sizeof(in->reason), "%s", reason_names[order[0]]);
	for (i = 0; i < n && off < sizeof(in->reasons); i++) {
		int w = snprintf(in->reasons + off, sizeof(in->reasons) - off, "%s%s=%llu",
				 i ? "," : "", reason_names[order[i]],
				 (unsigned long long)by_reason[order[i]]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static void emit(struct alert_engine *e, const struct rule *r, struct key_ent *k,
		 struct inst *in, int firing, double value)
{
	struct alert_event ev = {
		.rule = r,
		.key = &k->key,
		.firing = firing,
		.value = value,
		.reason = in->reason,
		.reasons = in->reasons,
		.active_at = in->active_at,
		.now = e->now,
	};

	if (e->notify)
		e->notify(&ev, e->ctx);
}

static void eval_one(struct alert_engine *e, size_t ri, struct key_ent *k)
{
	const struct rule *r = &e->rs->rules[ri];
	struct inst *in = &k->inst[ri];
	uint64_t by_reason[TDAX_FR_NR];
	struct sample *newest, *base = NULL;
	double value = NAN;
	int cond = 0;
	size_t i;

	if (!rule_applies(r, &k->key))
		return;
	if (k->len >= 2) {
		newest = hist_at(k, k->len - 1);
		/* base: the latest sample at or before the window start, else the oldest */
		base = hist_at(k, 0);
		for (i = 1; i + 1 < k->len; i++)
			if (hist_at(k, i)->t <= e->now - r->window)
				base = hist_at(k, i);
		if (!alert_measure(r, &base->c, &newest->c, newest->t - base->t,
				   &value, by_reason))
			cond = compare(r->op, value, r->threshold);
	}

	if (cond) {
		if (in->st == AS_INACTIVE) {
			in->st = AS_PENDING;
			in->active_at = e->now;
		}
		if (in->st == AS_PENDING && e->now - in->active_at >= r->hold - 1e-9) {
			in->st = AS_FIRING;
			describe_reasons(by_reason, in);
			emit(e, r, k, in, 1, value);
		}
	} else {
		if (in->st == AS_FIRING)
			emit(e, r, k, in, 0, value);
		in->st = AS_INACTIVE;
	}
}

void alert_engine_evaluate(struct alert_engine *e)
{
	size_t i, ri, w = 0;

	for (i = 0; i < e->nkeys; i++) {
		struct key_ent *k = &e->keys[i];

		for (ri = 0; ri < e->rs->n; ri++) {
			if (k->seen) {
				eval_one(e, ri, k);
			} else if (k->inst[ri].st == AS_FIRING) {
				emit(e, &e->rs->rules[ri], k, &k->inst[ri], 0, NAN);
				k->inst[ri].st = AS_INACTIVE;
			}
		}
	}
	/* drop keys that were not observed this round */
	for (i = 0; i < e->nkeys; i++) {
		if (e->keys[i].seen) {
			if (w != i)
				e->keys[w] = e->keys[i];
			w++;
		} else {
			key_release(&e->keys[i]);
		}
	}
	if (w != e->nkeys) {
		e->nkeys = w;
		rehash(e);
	}
}

void alert_engine_resolve_all(struct alert_engine *e)
{
	size_t i, ri;

	for (i = 0; i < e->nkeys; i++)
		for (ri = 0; ri < e->rs->n; ri++)
			if (e->keys[i].inst[ri].st == AS_FIRING) {
				emit(e, &e->rs->rules[ri], &e->keys[i], &e->keys[i].inst[ri], 0, NAN);
				e->keys[i].inst[ri].st = AS_INACTIVE;
			}
}

unsigned int alert_engine_firing(const struct alert_engine *e, size_t rule_idx)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < e->nkeys && rule_idx < e->rs->n; i++)
		n += e->keys[i].inst[rule_idx].st == AS_FIRING;
	return n;
}

enum alert_state alert_engine_state(const struct alert_engine *e, size_t rule_idx,
				    const struct alert_key *key)
{
	size_t i;

	for (i = 0; i < e->nkeys && rule_idx < e->rs->n; i++)
		if (key_eq(&e->keys[i].key, key))
			return e->keys[i].inst[rule_idx].st;
	return AS_INACTIVE;
}

uint64_t alert_engine_dropped_keys(const struct alert_engine *e)
{
	return e->dropped;
}
