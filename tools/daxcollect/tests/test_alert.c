// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the alert engine (alert.c) and the actions (actions.c):
 * windows, hold durations, transitions without duplicates, reasons, keys
 * that vanish, counter resets, and what the log/JSON/exec actions produce.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "actions.h"
#include "alert.h"
#include "rules.h"

struct rec {
	int n;
	struct {
		char rule[64];
		char device[32];
		int pid;
		int firing;
		double value;
		char reason[32];
		char reasons[256];
		double now;
	} ev[64];
};

static void record(const struct alert_event *ev, void *ctx)
{
	struct rec *r = ctx;

	if (r->n >= 64)
		fail_msg("too many events");
	snprintf(r->ev[r->n].rule, 64, "%s", ev->rule->name);
	snprintf(r->ev[r->n].device, 32, "%s", ev->key->device);
	r->ev[r->n].pid = ev->key->pid;
	r->ev[r->n].firing = ev->firing;
	r->ev[r->n].value = ev->value;
	snprintf(r->ev[r->n].reason, 32, "%s", ev->reason);
	snprintf(r->ev[r->n].reasons, 256, "%s", ev->reasons);
	r->ev[r->n].now = ev->now;
	r->n++;
}

static void load(const char *text, struct rule_set *rs)
{
	char err[256];

	if (rules_load_buffer(text, strlen(text), "t", rs, err, sizeof(err)))
		fail_msg("rules: %s", err);
}

static struct alert_key dev_key(const char *name)
{
	struct alert_key k;

	memset(&k, 0, sizeof(k));
	k.scope = RS_DEVICE;
	snprintf(k.device, sizeof(k.device), "%s", name);
	return k;
}

/* One round: device tdax0.0 with the given cumulative counters. */
static void round1(struct alert_engine *e, double t, const struct alert_counts *c)
{
	struct alert_key k = dev_key("tdax0.0");

	alert_engine_begin(e, t);
	alert_engine_observe(e, &k, c);
	alert_engine_evaluate(e);
}

static const char fallback_rule[] =
	"rules:\n"
	"  - name: Fb\n"
	"    measure: fallback_rate\n"
	"    threshold: 5\n"
	"    window: 10s\n"
	"    for: 5s\n";

/* Rate over the window, hold duration, one firing, one resolved. */
static void test_fire_hold_resolve(void **state)
{
	struct rule_set rs;
	struct rec rec = { 0 };
	struct alert_engine *e;
	struct alert_counts c = { 0 };
	struct alert_key k = dev_key("tdax0.0");
	double t;

	(void)state;
	load(fallback_rule, &rs);
	e = alert_engine_new(&rs, record, &rec);
	assert_non_null(e);

	/* idle for 20 s: nothing */
	for (t = 0; t <= 20; t += 1)
		round1(e, t, &c);
	assert_int_equal(rec.n, 0);

	/* 100 nohugepage fallbacks per second from t=21 */
	for (t = 21; t <= 40; t += 1) {
		c.fallback_total += 100;
		c.fallback[TDAX_FR_NOHUGEPAGE] += 90;
		c.fallback[TDAX_FR_THP_DISABLED] += 10;
		c.misses += 100;
		round1(e, t, &c);
		if (t < 26) {
			/* condition true since t=21 but for: 5s not yet over */
			assert_int_equal(rec.n, 0);
			assert_int_equal(alert_engine_state(e, 0, &k), AS_PENDING);
		}
	}
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.ev[0].firing, 1);
	assert_true(rec.ev[0].now == 26);
	assert_string_equal(rec.ev[0].device, "tdax0.0");
	assert_string_equal(rec.ev[0].reason, "nohugepage");
	assert_string_equal(rec.ev[0].reasons, "nohugepage=540,thp_disabled=60");
	/* window [16,26]: 600 fallbacks (rounds 21..26) in 10 s */
	assert_true(fabs(rec.ev[0].value - 60) < 1e-9);
	assert_int_equal(alert_engine_firing(e, 0), 1);
	assert_int_equal(alert_engine_state(e, 0, &k), AS_FIRING);

	/* the workload stops: at t=49 the window [39,49] still holds 100 (10/s) */
	for (t = 41; t <= 60; t += 1)
		round1(e, t, &c);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.ev[1].firing, 0);
	assert_true(rec.ev[1].now == 50);	/* window [40,50]: 0 new faults */
	assert_string_equal(rec.ev[1].reason, "nohugepage");	/* same as when it fired */
	assert_int_equal(alert_engine_firing(e, 0), 0);

	alert_engine_free(e);
	rules_free(&rs);
}

/* A condition that flaps shorter than "for" never fires. */
static void test_pending_not_firing(void **state)
{
	struct rule_set rs;
	struct rec rec = { 0 };
	struct alert_engine *e;
	struct alert_counts c = { 0 };
	double t;

	(void)state;
	load("rules:\n- {name: Fb, measure: fallback_rate, threshold: 10, window: 2s, for: 5s}\n", &rs);
	e = alert_engine_new(&rs, record, &rec);
	for (t = 0; t < 100; t += 1) {
		if (((int)t / 4) % 2)	/* 4 s on, 4 s off */
			c.fallback_total += 100;
		round1(e, t, &c);
	}
	assert_int_equal(rec.n, 0);
	alert_engine_free(e);
	rules_free(&rs);
}

/* for: 0 fires on the first evaluation where the condition holds. */
static void test_zero_hold_and_ratio(void **state)
{
	struct rule_set rs;
	struct rec rec = { 0 };
	struct alert_engine *e;
	struct alert_counts c = { 0 };

	(void)state;
	load("rules:\n- {name: Hr, measure: hit_ratio, threshold: 0.9, window: 10s, min_faults: 10}\n", &rs);
	e = alert_engine_new(&rs, record, &rec);
	round1(e, 0, &c);
	c.hits = 5;
	c.misses = 4;	/* 9 faults < min_faults */
	round1(e, 1, &c);
	assert_int_equal(rec.n, 0);
	c.hits = 6;	/* 10 faults, ratio 0.6 */
	round1(e, 2, &c);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.ev[0].firing, 1);
	assert_true(fabs(rec.ev[0].value - 0.6) < 1e-9);
	/* no duplicate while it stays true */
	c.misses += 10;
	round1(e, 3, &c);
	c.misses += 10;
	round1(e, 4, &c);
	assert_int_equal(rec.n, 1);
	/* lots of hits: ratio back over 0.9 (window 10 s covers everything) */
	c.hits += 1000;
	round1(e, 5, &c);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.ev[1].firing, 0);
	alert_engine_free(e);
	rules_free(&rs);
}

/*
 * fault_rate: every fault that ended, hits included.  With match.reason
 * offset_misaligned (the default TdaxWrongMemory rule) it fires on faults
 * mapped at the alignment but at the wrong address, which no fallback,
 * SIGBUS or miss measure counts, and stays quiet on every other reason.
 */
static void test_fault_rate_wrong_memory(void **state)
{
	struct rule_set rs;
	struct rec rec = { 0 };
	struct alert_engine *e;
	struct alert_counts c = { 0 }, older = { 0 };
	uint64_t by_reason[TDAX_FR_NR];
	double v;
	int n;

	(void)state;
	load("rules:\n- {name: W, measure: fault_rate, threshold: 0, window: 10s,"
	     " severity: critical, match: {reason: offset_misaligned}}\n"
	     "- {name: All, measure: fault_rate, threshold: 0, window: 10s}\n", &rs);
	/* the measure: 2 misaligned 2M hits + 30 good ones + 4 nohugepage fallbacks, 2 s */
	c.hits = 32;
	c.misses = 4;
	c.fallback_total = 4;
	c.fallback[TDAX_FR_OFFSET_MISALIGNED] = 2;
	c.fallback[TDAX_FR_NOHUGEPAGE] = 4;
	assert_int_equal(alert_measure(&rs.rules[0], &older, &c, 2, &v, by_reason), 0);
	assert_true(v == 1);
	assert_int_equal(by_reason[TDAX_FR_OFFSET_MISALIGNED], 2);
	assert_int_equal(by_reason[TDAX_FR_NOHUGEPAGE], 0);
	assert_int_equal(alert_measure(&rs.rules[1], &older, &c, 2, &v, by_reason), 0);
	assert_true(v == 18);	/* 36 faults ended */

	e = alert_engine_new(&rs, record, &rec);
	memset(&c, 0, sizeof(c));
	round1(e, 0, &c);
	/* good hits and fallbacks of other reasons: only "All" fires */
	c.hits = 30;
	c.misses = 4;
	c.fallback_total = 4;
	c.fallback[TDAX_FR_NOHUGEPAGE] = 4;
	c.sigbus[TDAX_FR_THP_DISABLED] = 1;
	c.sigbus_total = 1;
	round1(e, 1, &c);
	assert_int_equal(rec.n, 1);
	assert_string_equal(rec.ev[0].rule, "All");
	assert_int_equal(alert_engine_firing(e, 0), 0);
	/* two faults mapped at 2M on a misaligned offset: W fires at once */
	c.hits += 2;
	c.fallback[TDAX_FR_OFFSET_MISALIGNED] = 2;
	round1(e, 2, &c);
	assert_int_equal(rec.n, 2);
	assert_string_equal(rec.ev[1].rule, "W");
	assert_string_equal(rec.ev[1].device, "tdax0.0");
	assert_int_equal(rec.ev[1].firing, 1);
	assert_string_equal(rec.ev[1].reason, "offset_misaligned");
	assert_string_equal(rec.ev[1].reasons, "offset_misaligned=2");
	assert_true(fabs(rec.ev[1].value - 2 / 2.0) < 1e-9);
	assert_int_equal(alert_engine_firing(e, 0), 1);
	/* no more of them: resolves once the 10 s window has passed them */
	round1(e, 8, &c);
	assert_int_equal(alert_engine_firing(e, 0), 1);
	n = rec.n;
	round1(e, 13, &c);
	assert_int_equal(alert_engine_firing(e, 0), 0);
	assert_int_equal(rec.n, n + 2);	/* W, then All, resolved */
	assert_string_equal(rec.ev[n].rule, "W");
	assert_int_equal(rec.ev[n].firing, 0);
	assert_string_equal(rec.ev[n].reason, "offset_misaligned");
	alert_engine_free(e);
	rules_free(&rs);
}

/* Device filter and reason filter; per-device instances are independent. */
static void test_match_and_instances(void **state)
{
	struct rule_set rs;
	struct rec rec = { 0 };
	struct alert_engine *e;
	struct alert_counts c0 = { 0 }, c1 = { 0 }, c2 = { 0 };
	struct alert_key k0 = dev_key("tdax0.0"), k1 = dev_key("tdax1.0"), k2 = dev_key("tdax2.0");
	double t;

	(void)state;
	load("rules:\n- name: Thp\n  measure: fallback_rate\n  threshold: 0\n  window: 5s\n"
	     "  match: {device: \"tdax[01].*\", reason: thp_disabled}\n", &rs);
	e = alert_engine_new(&rs, record, &rec);
	for (t = 0; t < 5; t++) {
		alert_engine_begin(e, t);
		c0.fallback[TDAX_FR_NOHUGEPAGE] += 5 * (t > 0);	/* wrong reason */
		c0.fallback_total = c0.fallback[TDAX_FR_NOHUGEPAGE];
		c1.fallback[TDAX_FR_THP_DISABLED] += 5 * (t > 0);
		c1.fallback_total = c1.fallback[TDAX_FR_THP_DISABLED];
		c2 = c1;	/* device not matched */
		alert_engine_observe(e, &k0, &c0);
		alert_engine_observe(e, &k1, &c1);
		alert_engine_observe(e, &k2, &c2);
		alert_engine_evaluate(e);
	}
	assert_int_equal(rec.n, 1);
	assert_string_equal(rec.ev[0].device, "tdax1.0");
	assert_string_equal(rec.ev[0].reason, "thp_disabled");
	assert_true(fabs(rec.ev[0].value - 5) < 1e-9);

	/* tdax1.0 disappears: its alert resolves once, with no value */
	alert_engine_begin(e, 6);
	alert_engine_observe(e, &k0, &c0);
	alert_engine_evaluate(e);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.ev[1].firing, 0);
	assert_string_equal(rec.ev[1].device, "tdax1.0");
	assert_true(isnan(rec.ev[1].value));
	alert_engine_begin(e, 7);
	alert_engine_evaluate(e);
	assert_int_equal(rec.n, 2);
	alert_engine_free(e);
	rules_free(&rs);
}

/* Counters going backwards (maps re-created) restart the history. */
static void test_counter_reset(void **state)
{
	struct rule_set rs;
	struct rec rec = { 0 };
	struct alert_engine *e;
	struct alert_counts c = { 0 };

	(void)state;
	load(fallback_rule, &rs);
	e = alert_engine_new(&rs, record, &rec);
	c.fallback_total = 1000000;
	round1(e, 0, &c);
	c.fallback_total = 5;	/* reset: must not be a huge negative/positive rate */
	round1(e, 1, &c);
	c.fallback_total = 6;
	round1(e, 2, &c);
	for (int t = 3; t < 20; t++)
		round1(e, t, &c);
	assert_int_equal(rec.n, 0);
	alert_engine_free(e);
	rules_free(&rs);
}

/* Process-scope rules see only process keys; resolve_all at shutdown. */
static void test_process_scope(void **state)
{
	struct rule_set rs;
	struct rec rec = { 0 };
	struct alert_engine *e;
	struct alert_counts c = { 0 };
	struct alert_key kp, kd = dev_key("tdax0.0");

	(void)state;
	memset(&kp, 0, sizeof(kp));
	kp.scope = RS_PROCESS;
	kp.pid = 1234;
	snprintf(kp.comm, sizeof(kp.comm), "app");
	snprintf(kp.device, sizeof(kp.device), "tdax0.0");
	load("rules:\n- {name: P, measure: miss_rate, scope: process, threshold: 1, window: 1m,"
	     " match: {comm: \"ap*\"}}\n", &rs);
	e = alert_engine_new(&rs, record, &rec);
	for (int t = 0; t < 3; t++) {
		alert_engine_begin(e, t);
		c.misses = 100 * t;
		alert_engine_observe(e, &kp, &c);
		alert_engine_observe(e, &kd, &c);
		alert_engine_evaluate(e);
	}
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.ev[0].pid, 1234);
	alert_engine_resolve_all(e);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.ev[1].firing, 0);
	alert_engine_free(e);
	rules_free(&rs);
}

/* Long windows with frequent rounds keep a bounded history, still right. */
static void test_long_window(void **state)
{
	struct rule_set rs;
	struct rec rec = { 0 };
	struct alert_engine *e;
	struct alert_counts c = { 0 };
	double t;

	(void)state;
	load("rules:\n- {name: L, measure: fallback_rate, threshold: 0.5, op: \">=\", window: 1h}\n", &rs);
	e = alert_engine_new(&rs, record, &rec);
	/* one fallback per second for 2 h, evaluated every 0.5 s */
	for (t = 0; t < 7200; t += 0.5) {
		if (t == floor(t))
			c.fallback_total++;
		round1(e, t, &c);
	}
	assert_int_equal(rec.n, 1);
	assert_true(fabs(rec.ev[0].value - 1) < 0.01);
	alert_engine_free(e);
	rules_free(&rs);
}

/* The strings actions give to hooks and JSON files. */
static void test_action_fields(void **state)
{
	struct rule_set rs;
	struct alert_key k = dev_key("tdax2.0");
	struct alert_event ev;
	char env[24][512];
	struct json_object *o, *v;
	char *js;
	int n, i, found = 0;

	(void)state;
	load("rules:\n- {name: Fb, measure: fallback_rate, threshold: 0, severity: critical,"
	     " summary: \"quote \\\" and newline\\n\"}\n", &rs);
	k.instance = 4611686027281563649ull;	/* a stock instance id: bit 62 */
	memset(&ev, 0, sizeof(ev));
	ev.rule = &rs.rules[0];
	ev.key = &k;
	ev.firing = 1;
	ev.value = 12.5;
	ev.reason = "nohugepage";
	ev.reasons = "nohugepage=25";
	ev.active_at = 100;
	ev.now = 130;
	n = actions_env(&ev, env, 24);
	for (i = 0; i < n; i++) {
		found += !strcmp(env[i], "TDAX_ALERT=Fb");
		found += !strcmp(env[i], "TDAX_STATE=firing");
		found += !strcmp(env[i], "TDAX_DEVICE=tdax2.0");
		found += !strcmp(env[i], "TDAX_REASON=nohugepage");
		found += !strcmp(env[i], "TDAX_VALUE=12.5");
		found += !strcmp(env[i], "TDAX_SEVERITY=critical");
		found += !strcmp(env[i], "TDAX_MEASURE=fallback_rate");
		found += !strcmp(env[i], "TDAX_DEVICE_INSTANCE=4611686027281563649");
	}
	assert_int_equal(found, 8);

	js = actions_json(&ev);
	assert_non_null(js);
	assert_null(strchr(js, '\n'));
	o = json_tokener_parse(js);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "device", &v));
	assert_string_equal(json_object_get_string(v), "tdax2.0");
	assert_true(json_object_object_get_ex(o, "device_instance", &v));
	assert_true(json_object_get_uint64(v) == 4611686027281563649ull);
	assert_true(json_object_object_get_ex(o, "state", &v));
	assert_string_equal(json_object_get_string(v), "firing");
	assert_true(json_object_object_get_ex(o, "reason", &v));
	assert_string_equal(json_object_get_string(v), "nohugepage");
	assert_true(json_object_object_get_ex(o, "value", &v));
	assert_true(json_object_get_double(v) == 12.5);
	assert_true(json_object_object_get_ex(o, "summary", &v));
	assert_string_equal(json_object_get_string(v), "quote \" and newline\n");
	json_object_put(o);
	free(js);
	rules_free(&rs);
}

/* End to end through the engine: JSON lines and an exec hook. */
static void test_actions_run(void **state)
{
	char dir[] = "/tmp/daxcollect-test-XXXXXX", text[1024], path[256], line[2048];
	struct rule_set rs;
	struct actions acts;
	struct alert_engine *e;
	struct alert_counts c = { 0 };
	FILE *f;
	int lines = 0, t;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text),
		 "rules:\n- name: Fb\n  measure: fallback_rate\n  threshold: 0\n  window: 2s\n"
		 "  actions:\n  - json: %s/alerts.jsonl\n"
		 "  - exec: \"echo $TDAX_STATE $TDAX_DEVICE $TDAX_REASON >>%s/hook.out\"\n"
		 "  - exec: [/bin/false]\n",
		 dir, dir);
	load(text, &rs);
	actions_init(&acts);
	e = alert_engine_new(&rs, actions_notify, &acts);
	for (t = 0; t < 10; t++) {
		if (t >= 2 && t < 5) {
			c.fallback_total += 3;
			c.fallback[TDAX_FR_PGOFF_MISALIGNED] += 3;
		}
		round1(e, t, &c);
	}
	actions_reap(&acts, 1);
	assert_int_equal(acts.transitions[1], 1);
	assert_int_equal(acts.transitions[0], 1);
	assert_int_equal(acts.failures, 2);	/* /bin/false, twice */

	snprintf(path, sizeof(path), "%s/alerts.jsonl", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct json_object *o = json_tokener_parse(line), *v;

		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "state", &v));
		assert_string_equal(json_object_get_string(v), lines ? "resolved" : "firing");
		json_object_put(o);
		lines++;
	}
	fclose(f);
	assert_int_equal(lines, 2);

	snprintf(path, sizeof(path), "%s/hook.out", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "firing tdax0.0 pgoff_misaligned\n");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "resolved tdax0.0 pgoff_misaligned\n");
	assert_null(fgets(line, sizeof(line), f));
	fclose(f);

	alert_engine_free(e);
	rules_free(&rs);
	snprintf(line, sizeof(line), "rm -rf %s", dir);
	assert_int_equal(system(line), 0);
}

/*
 * A hook does not inherit the daemon's ambient capabilities (the packaged
 * service's CAP_BPF and CAP_PERFMON): its CapAmb is empty.  Needs a process
 * that may raise one (root).
 */
static void test_hook_no_ambient_caps(void **state)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};
	char dir[] = "/tmp/daxcollect-test-XXXXXX", text[1024], path[256], line[256];
	const int cap_bpf = 39;
	struct rule_set rs;
	struct actions acts;
	struct alert_engine *e;
	struct alert_counts c = { 0 };
	FILE *f;
	int t;

	(void)state;
	if (syscall(SYS_capget, &h, d) || !(d[1].permitted & (1U << (cap_bpf - 32))))
		skip();
	d[1].inheritable |= 1U << (cap_bpf - 32);
	if (syscall(SYS_capset, &h, d) || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap_bpf, 0, 0))
		skip();
	assert_int_equal(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap_bpf, 0, 0), 1);
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text),
		 "rules:\n- name: Fb\n  measure: fallback_rate\n  threshold: 0\n  window: 2s\n"
		 "  actions:\n  - exec: \"grep ^CapAmb: /proc/self/status >>%s/caps.out\"\n", dir);
	load(text, &rs);
	actions_init(&acts);
	e = alert_engine_new(&rs, actions_notify, &acts);
	for (t = 0; t < 4; t++) {
		if (t >= 2) {
			c.fallback_total += 3;
			c.fallback[TDAX_FR_PGOFF_MISALIGNED] += 3;
		}
		round1(e, t, &c);
	}
	actions_reap(&acts, 1);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	assert_int_equal(acts.transitions[1], 1);
	snprintf(path, sizeof(path), "%s/caps.out", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "CapAmb:\t0000000000000000\n");
	alert_engine_free(e);
	rules_free(&rs);
	snprintf(line, sizeof(line), "rm -rf %s", dir);
	assert_int_equal(system(line), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fire_hold_resolve),
		cmocka_unit_test(test_hook_no_ambient_caps),
		cmocka_unit_test(test_pending_not_firing),
		cmocka_unit_test(test_zero_hold_and_ratio),
		cmocka_unit_test(test_fault_rate_wrong_memory),
		cmocka_unit_test(test_match_and_instances),
		cmocka_unit_test(test_counter_reset),
		cmocka_unit_test(test_process_scope),
		cmocka_unit_test(test_long_window),
		cmocka_unit_test(test_action_fields),
		cmocka_unit_test(test_actions_run),
	};

	return cmocka_run_group_tests_name("daxcollect alerts", tests, NULL, NULL);
}
