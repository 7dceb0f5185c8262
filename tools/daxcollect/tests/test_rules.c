// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the alert rules parser (rules.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tdax_abi.h"
#include "rules.h"

#ifndef EXAMPLE_RULES
#define EXAMPLE_RULES "alerts.example.yaml"
#endif

static int load(const char *text, struct rule_set *rs, char *err, size_t len)
{
	return rules_load_buffer(text, strlen(text), "t.yaml", rs, err, len);
}

static void test_full_rule(void **state)
{
	static const char text[] =
		"# comment\n"
		"rules:\n"
		"  - name: TdaxPteFallback\n"
		"    summary: \"lost huge pages\"\n"
		"    measure: fallback_rate\n"
		"    scope: device\n"
		"    op: \">=\"\n"
		"    threshold: 2.5\n"
		"    window: 90s\n"
		"    for: 500ms\n"
		"    severity: critical\n"
		"    match: {device: \"tdax1.*\", reason: [nohugepage, thp_disabled]}\n"
		"    actions:\n"
		"      - log: syslog\n"
		"      - json: /var/log/a.jsonl\n"
		"      - exec: [/usr/bin/logger, -t, tdax]\n"
		"      - exec: \"echo $TDAX_ALERT\"\n";
	struct rule_set rs;
	char err[256] = "";
	const struct rule *r;

	(void)state;
	assert_int_equal(load(text, &rs, err, sizeof(err)), 0);
	assert_int_equal(rs.n, 1);
	r = &rs.rules[0];
	assert_string_equal(r->name, "TdaxPteFallback");
	assert_string_equal(r->summary, "lost huge pages");
	assert_int_equal(r->measure, RM_FALLBACK_RATE);
	assert_int_equal(r->scope, RS_DEVICE);
	assert_int_equal(r->op, RO_GE);
	assert_true(r->threshold == 2.5);
	assert_true(r->window == 90);
	assert_true(r->hold == 0.5);
	assert_string_equal(r->severity, "critical");
	assert_string_equal(r->match_device, "tdax1.*");
	assert_int_equal(r->reason_mask, (1u << TDAX_FR_NOHUGEPAGE) | (1u << TDAX_FR_THP_DISABLED));
	assert_int_equal(r->nactions, 4);
	assert_int_equal(r->actions[0].kind, ACT_LOG);
	assert_int_equal(r->actions[0].syslog, 1);
	assert_int_equal(r->actions[1].kind, ACT_JSON);
	assert_string_equal(r->actions[1].path, "/var/log/a.jsonl");
	assert_int_equal(r->actions[2].kind, ACT_EXEC);
	assert_string_equal(r->actions[2].argv[0], "/usr/bin/logger");
	assert_string_equal(r->actions[2].argv[2], "tdax");
	assert_null(r->actions[2].argv[3]);
	assert_string_equal(r->actions[3].argv[0], "/bin/sh");
	assert_string_equal(r->actions[3].argv[2], "echo $TDAX_ALERT");
	assert_int_equal(r->actions[3].line, 17);
	assert_int_equal(r->line, 3);
	assert_true(rs.max_window == 90);
	rules_free(&rs);
}

static void test_defaults(void **state)
{
	struct rule_set rs;
	char err[256];

	(void)state;
	assert_int_equal(load("rules:\n- {name: A, measure: hit_ratio, threshold: 0.5}\n"
			      "- {name: B, measure: miss_rate, threshold: 1}\n",
			      &rs, err, sizeof(err)), 0);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.rules[0].op, RO_LT);	/* ratios default to "<" */
	assert_int_equal(rs.rules[1].op, RO_GT);
	assert_true(rs.rules[0].window == 60);
	assert_true(rs.rules[0].hold == 0);
	assert_string_equal(rs.rules[0].severity, "warning");
	assert_int_equal(rs.rules[0].nactions, 1);
	assert_int_equal(rs.rules[0].actions[0].kind, ACT_LOG);
	assert_int_equal(rs.rules[0].actions[0].syslog, 0);
	rules_free(&rs);

	assert_int_equal(load("rules: []\n", &rs, err, sizeof(err)), 0);
	assert_int_equal(rs.n, 0);
	rules_free(&rs);
}

/* fault_rate: every fault that ended, optionally of some reasons; a rate. */
static void test_fault_rate(void **state)
{
	struct rule_set rs;
	char err[256];

	(void)state;
	assert_int_equal(load("rules:\n- {name: W, measure: fault_rate, threshold: 0,"
			      " match: {reason: offset_misaligned}}\n"
			      "- {name: F, measure: fault_rate, threshold: 5000}\n",
			      &rs, err, sizeof(err)), 0);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.rules[0].measure, RM_FAULT_RATE);
	assert_string_equal(rule_measure_name(RM_FAULT_RATE), "fault_rate");
	assert_int_equal(rs.rules[0].op, RO_GT);	/* a rate: ">" by default */
	assert_int_equal(rs.rules[0].reason_mask, 1u << TDAX_FR_OFFSET_MISALIGNED);
	assert_int_equal(rs.rules[1].reason_mask, 0);
	rules_free(&rs);
	/* a rate, not a ratio: any threshold >= 0, none below */
	assert_int_equal(load("rules:\n- {name: F, measure: fault_rate, threshold: -1}\n",
			      &rs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.yaml:2: rule 'F': a rate threshold is >= 0"));
}

static void test_durations(void **state)
{
	double d;

	(void)state;
	assert_int_equal(rules_parse_duration("15", &d), 0);
	assert_true(d == 15);
	assert_int_equal(rules_parse_duration("2m", &d), 0);
	assert_true(d == 120);
	assert_int_equal(rules_parse_duration("1h", &d), 0);
	assert_true(d == 3600);
	assert_int_equal(rules_parse_duration("250ms", &d), 0);
	assert_true(d == 0.25);
	assert_int_not_equal(rules_parse_duration("-1s", &d), 0);
	assert_int_not_equal(rules_parse_duration("1d", &d), 0);
	assert_int_not_equal(rules_parse_duration("s", &d), 0);
	assert_int_not_equal(rules_parse_duration("nan", &d), 0);
	assert_int_not_equal(rules_parse_duration("", &d), 0);
}

/* Each bad file is refused with the right line and a reason. */
static const struct {
	const char *text;
	const char *err;	/* expected substring of the message */
} bad[] = {
	{ "", "t.yaml:1: empty rules file" },
	{ "rules:\n  - name: A\n    measure: bogus\n    threshold: 1\n",
	  "t.yaml:3: unknown measure 'bogus'" },
	{ "rules:\n  - name: A\n    measure: hit_ratio\n    threshold: 2\n",
	  "t.yaml:2: rule 'A': a ratio threshold lies in 0..1" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshhold: 1\n",
	  "t.yaml:4: unknown key 'threshhold' in rule" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n",
	  "t.yaml:2: rule 'A' without 'threshold'" },
	{ "rules:\n  - measure: fallback_rate\n    threshold: 1\n",
	  "t.yaml:2: rule without 'name'" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    window: 5x\n",
	  "t.yaml:5: 'window': bad duration '5x'" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    window: 48h\n",
	  "t.yaml:5: 'window': bad duration" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: lots\n",
	  "t.yaml:4: 'threshold': not a finite number" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: .inf\n",
	  "t.yaml:4: 'threshold': not a finite number" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    op: \"!=\"\n",
	  "t.yaml:5: op must be one of" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n"
	  "  - name: A\n    measure: fallback_rate\n    threshold: 1\n",
	  "t.yaml:5: duplicate rule name 'A' (first at line 2)" },
	{ "rules:\n  - name: A\n    name: B\n", "t.yaml:3: duplicate key 'name'" },
	{ "rules:\n  - name: bad-name\n", "t.yaml:2: bad rule name 'bad-name'" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    match: {reason: fast}\n",
	  "t.yaml:5: unknown fault reason 'fast'" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    match: {reason: ok}\n",
	  "t.yaml:5: reason 'ok' is not a fallback reason" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    match: {comm: x}\n",
	  "match.comm needs scope: process" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    scope: node\n",
	  "t.yaml:5: scope must be 'device' or 'process'" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    actions:\n      - mail: x\n",
	  "t.yaml:6: unknown action 'mail'" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    actions:\n      - json: rel.jsonl\n",
	  "t.yaml:6: json: path must be absolute" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    actions:\n      - exec: [hook]\n",
	  "t.yaml:6: exec: program must be an absolute path" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    actions:\n      - log: console\n",
	  "t.yaml:6: log target must be 'stderr' or 'syslog'" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    actions: []\n",
	  "t.yaml:5: 'actions' needs 1 to" },
	{ "rules:\n  - name: A\n    measure: [1]\n", "t.yaml:3: 'measure' must be a string" },
	{ "rules:\n  - name: A\n   measure: x\n", "t.yaml:3: YAML syntax error" },
	{ "rules:\n  - [unclosed\n", "YAML syntax error" },
	{ "alerts: []\n", "t.yaml:1: unknown top-level key 'alerts'" },
	{ "- a\n", "t.yaml:1: expected a mapping" },
	{ "rules: {a: 1}\n", "t.yaml:1: 'rules' must be a list" },
	{ "rules: []\n---\nrules: []\n", "t.yaml:3: more than one YAML document" },
	{ "rules: &a [*a]\n", "a rule must be a mapping" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    min_faults: 1.5\n",
	  "t.yaml:5: min_faults must be a whole number" },
	{ "rules:\n  - name: A\n    measure: hit_ratio\n    threshold: 0.5\n    match: {reason: nohugepage}\n",
	  "match.reason applies to rates" },
	{ "rules:\n  - name: A\n    measure: byte_coverage\n    threshold: 0.5\n    match: {reason: nohugepage}\n",
	  "match.reason applies to rates" },
	{ "rules:\n  - name: A\n    measure: byte_coverage\n    threshold: 2\n",
	  "a ratio threshold lies in 0..1" },
	{ "rules:\n  - name: A\n    measure: fallback_rate\n    threshold: -1\n",
	  "a rate threshold is >= 0" },
};

static void test_refusals(void **state)
{
	struct rule_set rs;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (!load(bad[i].text, &rs, err, sizeof(err))) {
			rules_free(&rs);
			fail_msg("case %zu accepted:\n%s", i, bad[i].text);
		}
		if (!strstr(err, bad[i].err))
			fail_msg("case %zu: message '%s' lacks '%s'", i, err, bad[i].err);
		assert_int_equal(rs.n, 0);
		assert_null(rs.rules);
	}
}

static void test_file(void **state)
{
	const struct rule *r;
	struct rule_set rs;
	char err[512];
	size_t i;

	(void)state;
	assert_int_equal(rules_load_file(EXAMPLE_RULES, &rs, err, sizeof(err)), 0);
	assert_true(rs.n >= 2);
	assert_string_equal(rs.rules[0].name, "TdaxLowByteCoverage");
	assert_int_equal(rs.rules[0].measure, RM_BYTE_COVERAGE);
	/* the wrong-memory rule of stock kernels: critical, any misaligned fault */
	r = NULL;
	for (i = 0; i < rs.n; i++)
		if (!strcmp(rs.rules[i].name, "TdaxWrongMemory"))
			r = &rs.rules[i];
	assert_non_null(r);
	assert_string_equal(r->summary, "device_dax is mapping the wrong memory");
	assert_int_equal(r->measure, RM_FAULT_RATE);
	assert_int_equal(r->scope, RS_DEVICE);
	assert_int_equal(r->op, RO_GT);
	assert_true(r->threshold == 0);
	assert_true(r->hold == 0);
	assert_int_equal(r->reason_mask, 1u << TDAX_FR_OFFSET_MISALIGNED);
	assert_null(r->match_device);
	assert_string_equal(r->severity, "critical");
	rules_free(&rs);
	assert_int_equal(rules_load_file("/nonexistent/rules.yaml", &rs, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/rules.yaml: No such file"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_rule),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_fault_rate),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests_name("daxcollect rules", tests, NULL, NULL);
}
