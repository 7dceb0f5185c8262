// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests of the Prometheus exposition writer (expo.c). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "expo.h"

static void test_help_type_and_samples(void **state)
{
	struct expo e;
	const char *l[] = { "device", "tdax0.0", "size", "2M", NULL };

	(void)state;
	expo_init(&e);
	expo_family(&e, "tdax_faults_total", "counter", "Faults.");
	expo_sample_u64(&e, l, 42);
	expo_sample_u64(&e, NULL, 18446744073709551615ull);
	assert_int_equal(expo_error(&e), 0);
	assert_string_equal(e.buf,
			    "# HELP tdax_faults_total Faults.\n"
			    "# TYPE tdax_faults_total counter\n"
			    "tdax_faults_total{device=\"tdax0.0\",size=\"2M\"} 42\n"
			    "tdax_faults_total 18446744073709551615\n");
	expo_free(&e);
}

static void test_escaping(void **state)
{
	struct expo e;
	const char *l[] = { "comm", "a\"b\\c\nd", NULL };

	(void)state;
	expo_init(&e);
	expo_family(&e, "x", "gauge", "line1\nback\\slash \"quoted\"");
	expo_sample(&e, l, 1.5);
	assert_int_equal(expo_error(&e), 0);
	assert_string_equal(e.buf,
			    "# HELP x line1\\nback\\\\slash \"quoted\"\n"
			    "# TYPE x gauge\n"
			    "x{comm=\"a\\\"b\\\\c\\nd\"} 1.5\n");
	expo_free(&e);
}

static void test_values(void **state)
{
	char b[64];

	(void)state;
	expo_format_value(b, sizeof(b), NAN);
	assert_string_equal(b, "NaN");
	expo_format_value(b, sizeof(b), INFINITY);
	assert_string_equal(b, "+Inf");
	expo_format_value(b, sizeof(b), -INFINITY);
	assert_string_equal(b, "-Inf");
	expo_format_value(b, sizeof(b), 0);
	assert_string_equal(b, "0");
	expo_format_value(b, sizeof(b), 0.1);
	assert_string_equal(b, "0.1");
	expo_format_value(b, sizeof(b), 512e-9);
	assert_string_equal(b, "5.12e-07");
	expo_format_value(b, sizeof(b), 1073741824);
	assert_string_equal(b, "1073741824");
	expo_format_value(b, sizeof(b), 1.0 / 3);
	assert_true(strtod(b, NULL) == 1.0 / 3);
}

static void test_histogram(void **state)
{
	struct expo e;
	const double bounds[] = { 0.001, 0.01, 0.1 };
	const uint64_t counts[] = { 1, 0, 5, 2 };	/* last: +Inf */
	const char *l[] = { "device", "tdax1.0", NULL };

	(void)state;
	expo_init(&e);
	expo_family(&e, "tdax_fault_latency_seconds", "histogram", "Latency.");
	expo_histogram(&e, l, bounds, counts, 3, 0.25);
	assert_int_equal(expo_error(&e), 0);
	assert_string_equal(e.buf,
			    "# HELP tdax_fault_latency_seconds Latency.\n"
			    "# TYPE tdax_fault_latency_seconds histogram\n"
			    "tdax_fault_latency_seconds_bucket{device=\"tdax1.0\",le=\"0.001\"} 1\n"
			    "tdax_fault_latency_seconds_bucket{device=\"tdax1.0\",le=\"0.01\"} 1\n"
			    "tdax_fault_latency_seconds_bucket{device=\"tdax1.0\",le=\"0.1\"} 6\n"
			    "tdax_fault_latency_seconds_bucket{device=\"tdax1.0\",le=\"+Inf\"} 8\n"
			    "tdax_fault_latency_seconds_sum{device=\"tdax1.0\"} 0.25\n"
			    "tdax_fault_latency_seconds_count{device=\"tdax1.0\"} 8\n");
	expo_free(&e);
}

static void test_histogram_no_labels(void **state)
{
	struct expo e;
	const double bounds[] = { 1 };
	const uint64_t counts[] = { 0, 0 };

	(void)state;
	expo_init(&e);
	expo_family(&e, "h", "histogram", "");
	expo_histogram(&e, NULL, bounds, counts, 1, 0);
	assert_int_equal(expo_error(&e), 0);
	assert_non_null(strstr(e.buf, "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n"));
	expo_free(&e);
}

static void test_refusals(void **state)
{
	struct expo e;
	const char *bad_label[] = { "0dev", "x", NULL };
	const char *le_label[] = { "le", "x", NULL };
	const char *reserved[] = { "__name__", "x", NULL };
	const double unordered[] = { 2, 1 };
	const uint64_t c[] = { 0, 0, 0 };

	(void)state;
	expo_init(&e);
	expo_family(&e, "1bad", "gauge", "");
	assert_int_equal(expo_error(&e), -EINVAL);
	expo_reset(&e);
	expo_family(&e, "ok", "summary", "");
	assert_int_equal(expo_error(&e), -EINVAL);
	expo_reset(&e);
	expo_sample(&e, NULL, 1);	/* no family yet */
	assert_int_equal(expo_error(&e), -EINVAL);
	expo_reset(&e);
	expo_family(&e, "ok", "gauge", "");
	expo_sample(&e, bad_label, 1);
	assert_int_equal(expo_error(&e), -EINVAL);
	expo_reset(&e);
	expo_family(&e, "ok", "gauge", "");
	expo_sample(&e, le_label, 1);
	assert_int_equal(expo_error(&e), -EINVAL);
	expo_reset(&e);
	expo_family(&e, "ok", "gauge", "");
	expo_sample(&e, reserved, 1);
	assert_int_equal(expo_error(&e), -EINVAL);
	expo_reset(&e);
	expo_family(&e, "ok", "gauge", "");
	expo_histogram(&e, NULL, unordered, c, 2, 0);	/* not a histogram family */
	assert_int_equal(expo_error(&e), -EINVAL);
	expo_reset(&e);
	expo_family(&e, "h", "histogram", "");
	expo_histogram(&e, NULL, unordered, c, 2, 0);
	assert_int_equal(expo_error(&e), -EINVAL);
	expo_free(&e);

	assert_true(expo_valid_metric_name("tdax:rule_x"));
	assert_false(expo_valid_metric_name(""));
	assert_false(expo_valid_metric_name("a-b"));
	assert_true(expo_valid_label_name("_x1"));
	assert_false(expo_valid_label_name("a:b"));
}

static void test_growth(void **state)
{
	struct expo e;
	int i;

	(void)state;
	expo_init(&e);
	expo_family(&e, "g", "gauge", "");
	for (i = 0; i < 100000; i++)
		expo_sample(&e, NULL, i);
	assert_int_equal(expo_error(&e), 0);
	assert_true(e.len > 100000 * 3);
	assert_int_equal(strlen(e.buf), e.len);
	expo_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_type_and_samples),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_histogram_no_labels),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests_name("daxcollect exposition", tests, NULL, NULL);
}
