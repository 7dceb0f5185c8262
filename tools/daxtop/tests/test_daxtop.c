// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_daxtop.c - unit tests of daxtop's filters, option parsing, text
 * views and JSON documents on synthetic snapshots.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "daxtop.h"

volatile sig_atomic_t dt_stop;	/* defined by main.c in daxtop */

#define DEV0 TDAX_KDEV(246, 0)
#define DEV1 TDAX_KDEV(246, 1)
#define INST0 11
#define INST1 12

static void make_snap(struct tdax_snapshot *s)
{
	tdax_snapshot_init(s);
	s->interval_ns = 2000000000ULL;
	s->realtime_ns = 1795314458000000000ULL;
	s->mode = TDAX_ATTACH_TP_BTF;
	s->ndevs = 2;
	s->devs = calloc(2, sizeof(*s->devs));
	snprintf(s->devs[0].name, TDAX_NAME_LEN, "tdax0.0");
	s->devs[0].dev = DEV0;
	s->devs[0].instance = INST0;
	s->devs[0].align = 2 << 20;
	s->devs[0].region_id = -1;
	s->devs[0].present = true;
	snprintf(s->devs[0].fault_policy, 16, "strict");
	s->devs[0].g.attempts[TDAX_SZ_2M] = 32;
	s->devs[0].g.mapped[TDAX_SZ_2M] = 32;
	s->devs[0].g.hits = 32;
	s->devs[0].g.bytes_mapped = s->devs[0].g.bytes_aligned = 32ULL << 21;
	s->devs[0].lat[TDAX_SZ_2M].slots[13] = 32;	/* (4096, 8192] */
	s->devs[0].lat[TDAX_SZ_2M].count = 32;
	s->devs[0].lat[TDAX_SZ_2M].sum = 32 * 5000;
	snprintf(s->devs[1].name, TDAX_NAME_LEN, "tdax1.0");
	s->devs[1].dev = DEV1;
	s->devs[1].instance = INST1;
	s->devs[1].align = 2 << 20;
	s->devs[1].region_id = 1;
	s->devs[1].present = true;
	snprintf(s->devs[1].fault_policy, 16, "fallback");
	s->devs[1].g.attempts[TDAX_SZ_4K] = 2048;
	s->devs[1].g.mapped[TDAX_SZ_4K] = 2048;
	s->devs[1].g.misses = 2048;
	s->devs[1].g.below_align = 2048;
	s->devs[1].g.bytes_mapped = 2048ULL << 12;
	s->devs[1].mmap_errors = 5;
	s->nfaults = 2;
	s->faults = calloc(2, sizeof(*s->faults));
	s->faults[0] = (struct tdax_snap_fault){ INST0, DEV0, TDAX_SZ_2M, TDAX_FO_MAPPED, TDAX_FR_OK, 32 };
	s->faults[1] = (struct tdax_snap_fault){ INST1, DEV1, TDAX_SZ_4K, TDAX_FO_MAPPED, TDAX_FR_NOHUGEPAGE, 2048 };
	s->nmmaps = 1;
	s->mmaps = calloc(1, sizeof(*s->mmaps));
	s->mmaps[0] = (struct tdax_snap_mmap){ INST1, DEV1, -22, TDAX_MR_NOT_SHARED, 5 };
	s->nprocs = 3;
	s->procs = calloc(3, sizeof(*s->procs));
	s->procs[0] = (struct tdax_snap_proc){ .pid = 100, .dev = DEV0, .instance = INST0,
					       .comm = "app-a", .alive = true };
	s->procs[0].g = s->devs[0].g;
	s->procs[1] = (struct tdax_snap_proc){ .pid = 200, .dev = DEV1, .instance = INST1,
					       .comm = "app-b" };
	s->procs[1].g.mapped[TDAX_SZ_4K] = 2000;
	s->procs[1].g.misses = 2000;
	s->procs[1].g.below_align = 2000;
	s->procs[1].g.bytes_mapped = 2000ULL << 12;
	s->procs[1].reasons[0][TDAX_FR_NOHUGEPAGE] = 2000;
	s->procs[1].mmap_errors = 5;
	s->procs[2] = (struct tdax_snap_proc){ .pid = 300, .dev = DEV1, .instance = INST1,
					       .comm = "app-c" };
	s->procs[2].g.mapped[TDAX_SZ_4K] = 48;
	s->procs[2].g.misses = 48;
	s->procs[2].g.below_align = 48;
	s->procs[2].reasons[0][TDAX_FR_NOHUGEPAGE] = 48;
	s->nregions = 2;
	s->regions = calloc(2, sizeof(*s->regions));
	s->regions[0] = (struct tdax_snap_region){ .id = 0, .provider = "hmem.0", .start = 0x100000000ULL,
		.size = 1ULL << 30, .align = 2 << 20, .ndevs = 1, .present = true, .age_ns = 5000000000ULL };
	s->regions[1] = (struct tdax_snap_region){ .id = 1, .provider = "hmem.1", .start = 0x180000000ULL,
		.size = 1ULL << 30, .align = 2 << 20, .ndevs = 1, .present = true, .age_known = true,
		.age_ns = 1500000000ULL };
	s->lifetimes[TDAX_LIFETIME_REGION].count = 1;
	s->lifetimes[TDAX_LIFETIME_REGION].slots[31] = 1;
	s->lifetimes[TDAX_LIFETIME_REGION].sum = 3000000000ULL;
}

static void test_parse(void **state)
{
	char b[TDAX_NAME_LEN];
	enum dt_sort s;

	(void)state;
	assert_int_equal(dt_parse_device("tdax0.0", b, sizeof(b)), 0);
	assert_string_equal(b, "tdax0.0");
	assert_int_equal(dt_parse_device("/dev/tdax12.3", b, sizeof(b)), 0);
	assert_string_equal(b, "tdax12.3");
	assert_int_equal(dt_parse_device("sda", b, sizeof(b)), -EINVAL);
	assert_int_equal(dt_parse_device("tdax0", b, sizeof(b)), -EINVAL);
	assert_int_equal(dt_parse_device("tdax0.0x", b, sizeof(b)), -EINVAL);
	/* in-tree devices (stock source) */
	assert_int_equal(dt_parse_device("/dev/dax0.0", b, sizeof(b)), 0);
	assert_string_equal(b, "dax0.0");
	assert_int_equal(dt_parse_device("dax0", b, sizeof(b)), -EINVAL);
	assert_int_equal(dt_parse_sort("hit", &s), 0);
	assert_int_equal(s, DT_SORT_HIT);
	assert_int_equal(dt_parse_sort("age", &s), 0);
	assert_int_equal(s, DT_SORT_LAT);
	assert_int_equal(dt_parse_sort("bogus", &s), -EINVAL);
	assert_string_equal(dt_sort_name(DT_SORT_MISSES), "misses");
}

static void test_filter_device(void **state)
{
	struct tdax_snapshot s;

	(void)state;
	make_snap(&s);
	assert_int_equal(dt_filter(&s, 0, "tdax1.0"), 0);
	assert_int_equal(s.ndevs, 1);
	assert_string_equal(s.devs[0].name, "tdax1.0");
	assert_int_equal(s.nfaults, 1);
	assert_int_equal(s.faults[0].instance, INST1);
	assert_int_equal(s.nprocs, 2);
	assert_int_equal(s.nregions, 1);
	assert_int_equal(s.regions[0].id, 1);
	tdax_snapshot_free(&s);

	make_snap(&s);
	assert_int_equal(dt_filter(&s, 0, "tdax7.7"), 0);	/* absent: nothing */
	assert_int_equal(s.ndevs + s.nprocs + s.nfaults + s.nregions + s.nmmaps, 0);
	tdax_snapshot_free(&s);
}

static void test_filter_pid(void **state)
{
	struct tdax_snapshot s;

	(void)state;
	make_snap(&s);
	assert_int_equal(dt_filter(&s, 200, NULL), 0);
	assert_int_equal(s.nprocs, 1);
	assert_int_equal(s.procs[0].pid, 200);
	assert_int_equal(s.ndevs, 1);	/* only devices the process used */
	assert_string_equal(s.devs[0].name, "tdax1.0");
	assert_int_equal(s.devs[0].g.misses, 2000);	/* the process's counts */
	assert_int_equal(s.devs[0].mmap_errors, 5);
	/* and its reasons, not the device's 2048 */
	assert_int_equal(s.nfaults, 1);
	assert_int_equal(s.faults[0].reason, TDAX_FR_NOHUGEPAGE);
	assert_int_equal(s.faults[0].count, 2000);
	tdax_snapshot_free(&s);
	make_snap(&s);
	assert_int_equal(dt_filter(&s, 999, NULL), 0);
	assert_int_equal(s.ndevs + s.nprocs, 0);
	tdax_snapshot_free(&s);
}

static void test_prune(void **state)
{
	struct tdax_snapshot s;

	(void)state;
	make_snap(&s);
	memset(&s.procs[2].g, 0, sizeof(s.procs[2].g));	/* exited, idle: dropped */
	s.procs[0].alive = true;
	memset(&s.procs[0].g, 0, sizeof(s.procs[0].g));	/* alive, idle: kept */
	s.devs[1].retired = true;	/* retired before this interval, idle: dropped */
	s.devs[1].present = false;
	s.ts_ns = 10000000000ULL;
	s.devs[1].retired_ns = 1000000000ULL;
	memset(&s.devs[1].g, 0, sizeof(s.devs[1].g));
	s.devs[1].mmap_errors = 0;
	dt_prune(&s, &(struct dt_opts){ .cumulative = false });
	assert_int_equal(s.ndevs, 1);
	tdax_snapshot_free(&s);
	/* retired during the interval: shown once */
	make_snap(&s);
	s.ts_ns = 10000000000ULL;
	s.devs[1].retired = true;
	s.devs[1].retired_ns = 9000000000ULL;
	memset(&s.devs[1].g, 0, sizeof(s.devs[1].g));
	s.devs[1].mmap_errors = 0;
	dt_prune(&s, &(struct dt_opts){ .cumulative = false });
	assert_int_equal(s.ndevs, 2);
	tdax_snapshot_free(&s);
	make_snap(&s);
	memset(&s.procs[2].g, 0, sizeof(s.procs[2].g));
	s.procs[0].alive = true;
	memset(&s.procs[0].g, 0, sizeof(s.procs[0].g));
	dt_prune(&s, &(struct dt_opts){ .cumulative = false });
	assert_int_equal(s.nprocs, 2);
	assert_int_equal(s.procs[0].pid, 100);
	assert_int_equal(s.procs[1].pid, 200);	/* exited but active */
	tdax_snapshot_free(&s);
}

static void test_formats(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(dt_fmt_rate(12.34, b, sizeof(b)), "12.3");
	assert_string_equal(dt_fmt_rate(123456, b, sizeof(b)), "123.5k");
	assert_string_equal(dt_fmt_rate(12345678, b, sizeof(b)), "12.3M");
	assert_string_equal(dt_fmt_ns(0, b, sizeof(b)), "-");
	assert_string_equal(dt_fmt_ns(850, b, sizeof(b)), "850ns");
	assert_string_equal(dt_fmt_ns(32768, b, sizeof(b)), "33us");
	assert_string_equal(dt_fmt_ns(25000000, b, sizeof(b)), "25ms");
}

static bool has_line(const struct dt_lines *l, const char *prefix)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strncmp(l->line[i], prefix, strlen(prefix)))
			return true;
	return false;
}

static const char *find_line(const struct dt_lines *l, const char *prefix)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strncmp(l->line[i], prefix, strlen(prefix)))
			return l->line[i];
	return NULL;
}

static void test_render(void **state)
{
	struct dt_opts o = { .interval = 2, .tui = true };
	struct tdax_snapshot s;
	struct dt_lines l = {};
	const char *line;
	size_t i;
	int v;

	(void)state;
	make_snap(&s);
	dt_render_header(&s, &o, &l);
	for (v = 0; v < DT_VIEW_NR; v++)
		dt_render_view(&s, &o, v, DT_SORT_FAULTS, &l);
	for (i = 0; i < l.n; i++) {
		if (getenv("DT_SHOW"))
			printf("|%s|\n", l.line[i]);
		assert_in_range(strlen(l.line[i]), 0, 80);
	}
	assert_true(has_line(&l, "DEVICE    ALIGN POL FAULT/s  HIT% COVER%"));
	line = find_line(&l, "tdax1.0 ");
	assert_non_null(line);
	/* 2048 ended faults in 2 s = 1024/s, 0% hits, 0% bytes covered, all at 4K */
	assert_non_null(strstr(line, " fbk  1024.0   0.0    0.0 1024.0"));
	line = find_line(&l, "tdax0.0 ");
	assert_non_null(strstr(line, "   16.0 100.0  100.0    0.0  16.0"));
	/* 32 values in (4096, 8192]: p50 4096 + 4096 * 16/32, p99 4096 + 4096 * 31.68/32 */
	assert_non_null(strstr(line, " 6144ns 8151ns"));
	line = find_line(&l, "tdax1.0   4K   nohugepage");
	assert_non_null(line);
	assert_non_null(strstr(line, "2048"));
	assert_non_null(find_line(&l, "200*     app-b        tdax1.0"));	/* exited */
	assert_non_null(find_line(&l, "100      app-a        tdax0.0"));
	line = find_line(&l, "1      hmem.1");
	assert_non_null(line);
	assert_non_null(strstr(line, " 1.5s"));	/* age known */
	line = find_line(&l, "0      hmem.0");
	assert_non_null(strstr(line, ">5.0s"));	/* created before start */
	assert_true(has_line(&l, "Destroyed region    1  lifetime mean 3000ms"));
	/* sorted by faults: tdax1.0 (1024/s) before tdax0.0 (16/s) */
	for (i = 0; i < l.n; i++)
		if (!strncmp(l.line[i], "tdax", 4))
			break;
	assert_string_equal(strtok(l.line[i], " "), "tdax1.0");
	dt_lines_free(&l);
	tdax_snapshot_free(&s);
}

static void test_json(void **state)
{
	struct dt_opts o = { .interval = 2, .cumulative = true };
	struct json_object *doc, *devs, *d, *v, *lat;
	struct tdax_snapshot s;

	(void)state;
	make_snap(&s);
	doc = dt_json_doc(&s, &o);
	assert_true(json_object_object_get_ex(doc, "attach", &v));
	assert_string_equal(json_object_get_string(v), "tp_btf");
	assert_true(json_object_object_get_ex(doc, "interval_s", &v));
	assert_true(json_object_get_double(v) == 2.0);
	assert_true(json_object_object_get_ex(doc, "devices", &devs));
	assert_int_equal(json_object_array_length(devs), 2);
	d = json_object_array_get_idx(devs, 1);
	assert_true(json_object_object_get_ex(d, "name", &v));
	assert_string_equal(json_object_get_string(v), "tdax1.0");
	assert_true(json_object_object_get_ex(d, "dev", &v));
	assert_string_equal(json_object_get_string(v), "246:1");
	assert_true(json_object_object_get_ex(d, "below_align", &v));
	assert_int_equal(json_object_get_int64(v), 2048);
	assert_true(json_object_object_get_ex(d, "byte_coverage", &v));
	assert_true(json_object_get_double(v) == 0.0);
	assert_true(json_object_object_get_ex(d, "instance", &v));
	assert_int_equal(json_object_get_int64(v), INST1);
	assert_true(json_object_object_get_ex(d, "hit_ratio", &v));
	assert_true(json_object_get_double(v) == 0.0);
	assert_true(json_object_object_get_ex(d, "mmap_outcomes", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			    "[{\"result\":-22,\"reason\":\"not_shared\",\"count\":5}]");
	assert_true(json_object_object_get_ex(d, "reasons", &v));
	assert_string_equal(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
			    "[{\"size\":\"4K\",\"outcome\":\"mapped\",\"reason\":\"nohugepage\",\"count\":2048}]");
	d = json_object_array_get_idx(devs, 0);
	assert_true(json_object_object_get_ex(d, "hit_ratio", &v));
	assert_true(json_object_get_double(v) == 1.0);
	assert_true(json_object_object_get_ex(d, "region", &v));
	assert_null(v);	/* unknown region is null */
	assert_true(json_object_object_get_ex(d, "latency", &lat));
	assert_true(json_object_object_get_ex(lat, "2M", &lat));
	assert_string_equal(json_object_to_json_string_ext(lat, JSON_C_TO_STRING_PLAIN),
			    "{\"count\":32,\"sum_ns\":160000,\"p50_ns\":6144.0,\"p99_ns\":8151.0,"
			    "\"buckets\":[[8192,32]]}");
	assert_true(json_object_object_get_ex(doc, "lifetimes", &v));
	assert_true(json_object_object_get_ex(v, "region", &v));
	assert_true(json_object_object_get_ex(v, "sum_ns", &v));
	assert_int_equal(json_object_get_int64(v), 3000000000LL);
	json_object_put(doc);
	tdax_snapshot_free(&s);
}

static void test_json_event(void **state)
{
	struct tdax_snoop_event e = { .kind = TDAX_SNOOP_FAULT, .pid = 7, .size = 4096, .align = 2 << 20,
				.reason = TDAX_FR_NOHUGEPAGE, .outcome = TDAX_FO_SIGBUS,
				.comm = "daxload" };
	struct json_object *j, *v;

	(void)state;
	j = dt_json_event(&e, "tdax1.0");
	assert_true(json_object_object_get_ex(j, "reason", &v));
	assert_string_equal(json_object_get_string(v), "nohugepage");
	assert_true(json_object_object_get_ex(j, "outcome", &v));
	assert_string_equal(json_object_get_string(v), "sigbus");
	assert_true(json_object_object_get_ex(j, "device", &v));
	assert_string_equal(json_object_get_string(v), "tdax1.0");
	json_object_put(j);
	e.kind = TDAX_SNOOP_MMAP;
	e.result = -22;
	e.reason = TDAX_MR_LEN_UNALIGNED;
	j = dt_json_event(&e, "tdax1.0");
	assert_true(json_object_object_get_ex(j, "reason", &v));
	assert_string_equal(json_object_get_string(v), "len_unaligned");
	assert_false(json_object_object_get_ex(j, "outcome", &v));
	json_object_put(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_filter_device),
		cmocka_unit_test(test_filter_pid),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_event),
	};

	return cmocka_run_group_tests_name("daxtop", tests, NULL, NULL);
}
