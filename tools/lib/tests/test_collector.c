// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_collector.c - unit tests of the collector library on synthetic
 * snapshots and a fake sysfs tree (no BPF, no root).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector_int.h"

#define DEV0 TDAX_KDEV(246, 0)
#define DEV1 TDAX_KDEV(246, 1)

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(tdax_size_name(TDAX_SZ_4K), "4K");
	assert_string_equal(tdax_size_name(TDAX_SZ_1G), "1G");
	assert_string_equal(tdax_size_name(TDAX_SZ_NR), "other");
	assert_string_equal(tdax_fault_reason_name(TDAX_FR_NOHUGEPAGE), "nohugepage");
	assert_string_equal(tdax_fault_reason_name(TDAX_FR_UNSUPPORTED_SIZE), "unsupported_size");
	assert_string_equal(tdax_fault_reason_name(999), "?");
	assert_string_equal(tdax_fault_outcome_name(TDAX_FO_SIGBUS), "sigbus");
	assert_string_equal(tdax_mmap_reason_name(TDAX_MR_NOT_SHARED), "not_shared");
	assert_string_equal(tdax_stat_name(TDAX_STAT_FULL_PROC_STATS), "proc_stats");
	assert_string_equal(tdax_attach_mode_name(TDAX_ATTACH_RAW_TP), "raw_tp");
	assert_string_equal(tdax_lifetime_name(TDAX_LT_DEV), "device");
}

static void test_fmt_bytes(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(tdax_fmt_bytes(4096, b, sizeof(b)), "4K");
	assert_string_equal(tdax_fmt_bytes(2 << 20, b, sizeof(b)), "2M");
	assert_string_equal(tdax_fmt_bytes(1ULL << 30, b, sizeof(b)), "1G");
	assert_string_equal(tdax_fmt_bytes(1536ULL << 20, b, sizeof(b)), "1536M");
	assert_string_equal(tdax_fmt_bytes(0, b, sizeof(b)), "0");
	assert_string_equal(tdax_fmt_bytes(100, b, sizeof(b)), "100");
}

static void test_rate_ratio(void **state)
{
	struct tdax_gran_val g = {};

	(void)state;
	assert_true(tdax_rate(100, 2000000000ULL) == 50.0);
	assert_true(tdax_rate(100, 0) == 0.0);
	assert_true(isnan(tdax_hit_ratio(&g)));
	g.hits = 3;
	g.misses = 1;
	assert_true(tdax_hit_ratio(&g) == 0.75);
	assert_int_equal(tdax_gran_ended(&g), 4);
	g.attempts[0] = 5;
	g.attempts[2] = 2;
	assert_int_equal(tdax_gran_attempts(&g), 7);
}

static void test_hist(void **state)
{
	struct tdax_hist h = {}, h2 = {};
	int i;

	(void)state;
	assert_int_equal(tdax_hist_slot(0), 0);
	assert_int_equal(tdax_hist_slot(1), 0);
	assert_int_equal(tdax_hist_slot(2), 1);
	assert_int_equal(tdax_hist_slot(3), 1);
	assert_int_equal(tdax_hist_slot(4096), 12);
	assert_int_equal(tdax_hist_slot(~0ULL), 63);
	assert_int_equal(tdax_hist_slot_low(0), 0);
	assert_int_equal(tdax_hist_slot_low(12), 4096);
	assert_int_equal(tdax_hist_quantile(&h, 0.5), 0);
	/* 90 values in [1024, 2048), 10 in [65536, 131072) */
	h.slots[10] = 90;
	h.slots[16] = 10;
	h.count = 100;
	assert_int_equal(tdax_hist_quantile(&h, 0.5), 2048);
	assert_int_equal(tdax_hist_quantile(&h, 0.9), 2048);
	assert_int_equal(tdax_hist_quantile(&h, 0.91), 131072);
	assert_int_equal(tdax_hist_quantile(&h, 0.99), 131072);
	assert_int_equal(tdax_hist_quantile(&h, 0), 2048);
	assert_int_equal(tdax_hist_quantile(&h, 7), 131072);
	for (i = 0; i < 3; i++)
		tdax_hist_add(&h2, &h);
	assert_int_equal(h2.count, 300);
	assert_int_equal(h2.slots[16], 30);
}

/* A snapshot with two devices, fault rows, a process, a region. */
static void make_snap(struct tdax_snapshot *s, __u64 ts, __u64 scale)
{
	tdax_snapshot_init(s);
	s->ts_ns = ts;
	s->ndevs = 2;
	s->devs = calloc(2, sizeof(*s->devs));
	snprintf(s->devs[0].name, TDAX_NAME_LEN, "tdax0.0");
	s->devs[0].dev = DEV0;
	s->devs[0].g.attempts[TDAX_SZ_2M] = 10 * scale;
	s->devs[0].g.mapped[TDAX_SZ_2M] = 10 * scale;
	s->devs[0].g.hits = 10 * scale;
	s->devs[0].lat[TDAX_SZ_2M].slots[12] = 10 * scale;
	s->devs[0].lat[TDAX_SZ_2M].count = 10 * scale;
	s->devs[0].lat[TDAX_SZ_2M].sum = 40960 * scale;
	s->devs[0].mmaps = scale;
	snprintf(s->devs[1].name, TDAX_NAME_LEN, "tdax1.0");
	s->devs[1].dev = DEV1;
	s->devs[1].g.attempts[TDAX_SZ_4K] = 4 * scale;
	s->devs[1].g.mapped[TDAX_SZ_4K] = 3 * scale;
	s->devs[1].g.sigbus[TDAX_SZ_4K] = scale;
	s->devs[1].g.misses = 4 * scale;
	s->devs[1].g.pte_fallback = 3 * scale;
	s->nfaults = 3;
	s->faults = calloc(3, sizeof(*s->faults));
	s->faults[0] = (struct tdax_snap_fault){ DEV0, TDAX_SZ_2M, TDAX_FO_MAPPED, TDAX_FR_OK, 10 * scale };
	s->faults[1] = (struct tdax_snap_fault){ DEV1, TDAX_SZ_4K, TDAX_FO_MAPPED, TDAX_FR_NOHUGEPAGE, 3 * scale };
	s->faults[2] = (struct tdax_snap_fault){ DEV1, TDAX_SZ_4K, TDAX_FO_SIGBUS, TDAX_FR_THP_DISABLED, scale };
	s->nprocs = 1;
	s->procs = calloc(1, sizeof(*s->procs));
	s->procs[0].pid = 42;
	s->procs[0].dev = DEV1;
	s->procs[0].g = s->devs[1].g;
	s->nregions = 1;
	s->regions = calloc(1, sizeof(*s->regions));
	s->regions[0].id = 0;
	s->regions[0].age_ns = ts;
	s->lifetimes[TDAX_LT_REGION].count = scale;
	s->lifetimes[TDAX_LT_REGION].slots[30] = scale;
	s->stats[TDAX_STAT_EV_FAULT] = 14 * scale;
	tdax_snapshot_sort(s);
}

static void test_delta(void **state)
{
	struct tdax_snapshot a, b, d;
	const struct tdax_snap_dev *x;

	(void)state;
	make_snap(&a, 1000000000ULL, 1);
	make_snap(&b, 3000000000ULL, 5);
	tdax_snapshot_init(&d);
	assert_int_equal(tdax_snapshot_delta(&a, &b, &d), 0);
	assert_int_equal(d.interval_ns, 2000000000ULL);
	x = tdax_snapshot_dev_by_name(&d, "tdax0.0");
	assert_non_null(x);
	assert_int_equal(x->g.hits, 40);
	assert_int_equal(x->lat[TDAX_SZ_2M].count, 40);
	assert_int_equal(x->lat[TDAX_SZ_2M].slots[12], 40);
	assert_int_equal(x->mmaps, 4);
	assert_true(tdax_rate(x->g.hits, d.interval_ns) == 20.0);
	x = tdax_snapshot_dev(&d, DEV1);
	assert_int_equal(x->g.misses, 16);
	assert_int_equal(x->g.pte_fallback, 12);
	assert_int_equal(d.faults[2].count, 4);
	assert_int_equal(d.procs[0].g.misses, 16);
	assert_int_equal(d.lifetimes[TDAX_LT_REGION].count, 4);
	assert_int_equal(d.stats[TDAX_STAT_EV_FAULT], 56);
	/* gauges from cur */
	assert_int_equal(d.regions[0].age_ns, 3000000000ULL);
	/* counters going backwards (maps reset) count from zero */
	assert_int_equal(tdax_snapshot_delta(&b, &a, &d), 0);
	assert_int_equal(tdax_snapshot_dev(&d, DEV0)->g.hits, 10);
	assert_int_equal(d.faults[0].count, 10);
	assert_int_equal(d.interval_ns, 0);
	/* a row absent from prev counts from zero */
	b.nprocs = 0;
	assert_int_equal(tdax_snapshot_delta(&b, &a, &d), 0);
	assert_int_equal(d.procs[0].g.misses, 4);
	/* output may alias an input */
	assert_int_equal(tdax_snapshot_delta(&a, &a, &a), 0);
	assert_int_equal(tdax_snapshot_dev(&a, DEV0)->g.hits, 0);
	tdax_snapshot_free(&a);
	tdax_snapshot_free(&b);
	tdax_snapshot_free(&d);
	assert_null(d.devs);
	assert_int_equal(d.ndevs, 0);
}

static void test_copy_and_lookup(void **state)
{
	struct tdax_snapshot a, c;

	(void)state;
	make_snap(&a, 1, 2);
	tdax_snapshot_init(&c);
	assert_int_equal(tdax_snapshot_copy(&c, &a), 0);
	assert_ptr_not_equal(c.devs, a.devs);
	assert_int_equal(c.ndevs, 2);
	assert_string_equal(c.devs[1].name, "tdax1.0");
	assert_null(tdax_snapshot_dev_by_name(&c, "tdax9.9"));
	assert_null(tdax_snapshot_dev(&c, 12345));
	assert_non_null(tdax_snapshot_region(&c, 0));
	assert_null(tdax_snapshot_region(&c, 7));
	tdax_snapshot_free(&a);
	tdax_snapshot_free(&c);
}

static void test_sort_names(void **state)
{
	struct tdax_snapshot s;
	const char *names[] = { "tdax10.0", "tdax2.1", "tdax2.0", "tdax9.12", "tdax9.3" };
	size_t i;

	(void)state;
	tdax_snapshot_init(&s);
	s.ndevs = 5;
	s.devs = calloc(5, sizeof(*s.devs));
	for (i = 0; i < 5; i++)
		snprintf(s.devs[i].name, TDAX_NAME_LEN, "%s", names[i]);
	tdax_snapshot_sort(&s);
	assert_string_equal(s.devs[0].name, "tdax2.0");
	assert_string_equal(s.devs[1].name, "tdax2.1");
	assert_string_equal(s.devs[2].name, "tdax9.3");
	assert_string_equal(s.devs[3].name, "tdax9.12");
	assert_string_equal(s.devs[4].name, "tdax10.0");
	tdax_snapshot_free(&s);
}

static void test_top_reasons(void **state)
{
	struct tdax_reason_count rc[4];
	struct tdax_snapshot s;
	size_t n;

	(void)state;
	make_snap(&s, 1, 1);
	n = tdax_top_reasons(&s, 0, rc, 4);
	assert_int_equal(n, 2);	/* ok rows are not reasons */
	assert_int_equal(rc[0].reason, TDAX_FR_NOHUGEPAGE);
	assert_int_equal(rc[0].count, 3);
	assert_int_equal(rc[1].reason, TDAX_FR_THP_DISABLED);
	assert_int_equal(tdax_top_reasons(&s, DEV0, rc, 4), 0);
	assert_int_equal(tdax_top_reasons(&s, DEV1, rc, 1), 1);
	/* the same reason at one size is summed over outcomes */
	s.faults[2].reason = TDAX_FR_NOHUGEPAGE;
	n = tdax_top_reasons(&s, DEV1, rc, 4);
	assert_int_equal(n, 1);
	assert_int_equal(rc[0].count, 4);
	tdax_snapshot_free(&s);
}

static void test_gran_add(void **state)
{
	struct tdax_gran_val a = {}, b = {};

	(void)state;
	b.attempts[1] = 2;
	b.hits = 2;
	b.align_seen = 21;
	b.region_id = 3;
	tdax_gran_add(&a, &b);
	tdax_gran_add(&a, &b);
	assert_int_equal(a.attempts[1], 4);
	assert_int_equal(a.hits, 4);
	assert_int_equal(a.align_seen, 21);
	assert_int_equal(a.region_id, 3);
}

static void test_parse_devt(void **state)
{
	__u32 d;

	(void)state;
	assert_int_equal(tdax_parse_devt("246:3\n", &d), 0);
	assert_int_equal(d, TDAX_KDEV(246, 3));
	assert_int_equal(TDAX_KDEV_MAJOR(d), 246);
	assert_int_equal(TDAX_KDEV_MINOR(d), 3);
	assert_int_equal(tdax_parse_devt("246:3", &d), 0);
	assert_int_equal(tdax_parse_devt("246", &d), -EINVAL);
	assert_int_equal(tdax_parse_devt("a:b", &d), -EINVAL);
	assert_int_equal(tdax_parse_devt("246:3x", &d), -EINVAL);
	assert_int_equal(tdax_parse_devt("5000:1", &d), -EINVAL);
	assert_int_equal(tdax_parse_devt("1:2000000", &d), -EINVAL);
}

/* ---- fake sysfs --------------------------------------------------------------- */

static char root[256];

static void put(const char *rel, const char *val)
{
	char p[512], cmd[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	assert_int_equal(system(cmd), 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(val, f);
	fclose(f);
}

static void link_to(const char *target, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

static int sysfs_setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/tdax-sysfs-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	/* provider hmem.0 with region 0 and two devices; tdax0.1 unbound */
	put("devices/platform/hmem.0/tdax_region/id", "0\n");
	put("devices/platform/hmem.0/tdax_region/size", "1073741824\n");
	put("devices/platform/hmem.0/tdax_region/align", "2097152\n");
	put("devices/platform/hmem.0/tdax_region/available_size", "536870912\n");
	put("devices/platform/hmem.0/tdax0.0/dev", "246:0\n");
	put("devices/platform/hmem.0/tdax0.0/size", "268435456\n");
	put("devices/platform/hmem.0/tdax0.0/align", "2097152\n");
	put("devices/platform/hmem.0/tdax0.0/resource", "0x110000000\n");
	put("devices/platform/hmem.0/tdax0.0/fault_policy", "fallback\n");
	put("devices/platform/hmem.0/tdax0.1/dev", "246:1\n");
	put("devices/platform/hmem.0/tdax0.1/size", "268435456\n");
	put("devices/platform/hmem.0/tdax0.1/align", "4096\n");
	put("devices/platform/hmem.0/tdax0.1/resource", "0x100000000\n");
	put("devices/platform/hmem.0/tdax0.1/fault_policy", "strict\n");
	put("bus/tdax/drivers/tdax_device/bind", "");
	link_to("../../../../bus/tdax/drivers/tdax_device", "devices/platform/hmem.0/tdax0.0/driver");
	put("bus/tdax/devices/.keep", "");
	link_to("../../../devices/platform/hmem.0/tdax0.0", "bus/tdax/devices/tdax0.0");
	link_to("../../../devices/platform/hmem.0/tdax0.1", "bus/tdax/devices/tdax0.1");
	return 0;
}

static int sysfs_teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_sysfs_scan(void **state)
{
	struct tdax_sysfs s;
	size_t i;

	(void)state;
	assert_int_equal(tdax_sysfs_scan(root, &s), 0);
	assert_true(s.bus_present);
	assert_int_equal(s.ndevs, 2);
	assert_int_equal(s.nregions, 1);
	for (i = 0; i < s.ndevs; i++) {
		struct tdax_sysfs_dev *d = &s.devs[i];

		assert_int_equal(d->region_id, 0);
		if (!strcmp(d->name, "tdax0.0")) {
			assert_int_equal(d->dev, TDAX_KDEV(246, 0));
			assert_int_equal(d->align, 2097152);
			assert_string_equal(d->driver, "tdax_device");
			assert_string_equal(d->fault_policy, "fallback");
		} else {
			assert_string_equal(d->name, "tdax0.1");
			assert_int_equal(d->align, 4096);
			assert_string_equal(d->driver, "");
		}
	}
	assert_int_equal(s.regions[0].id, 0);
	assert_string_equal(s.regions[0].provider, "hmem.0");
	assert_int_equal(s.regions[0].size, 1073741824);
	assert_int_equal(s.regions[0].available_size, 536870912);
	assert_int_equal(s.regions[0].ndevs, 2);
	assert_int_equal(s.regions[0].start, 0x100000000ULL);	/* lowest device resource */
	tdax_sysfs_free(&s);
}

static void test_sysfs_absent(void **state)
{
	struct tdax_sysfs s;

	(void)state;
	assert_int_equal(tdax_sysfs_scan("/nonexistent-tdax-root", &s), 0);
	assert_false(s.bus_present);
	assert_int_equal(s.ndevs, 0);
}

static void test_open_errors(void **state)
{
	struct tdax_collector_opts o = { .sz = sizeof(o), .sysfs_root = "/nonexistent-tdax-root" };
	char err[256] = "";

	(void)state;
	assert_null(tdax_collector_open(&o, err, sizeof(err)));
	/* one line, no newline, says what is missing */
	assert_null(strchr(err, '\n'));
	if (geteuid() == 0)
		assert_non_null(strstr(err, "tdax module not loaded"));
	else
		assert_non_null(strstr(err, "must run as root"));
	o.events = true;
	assert_null(tdax_collector_open(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "on_event"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_fmt_bytes),
		cmocka_unit_test(test_rate_ratio),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_copy_and_lookup),
		cmocka_unit_test(test_sort_names),
		cmocka_unit_test(test_top_reasons),
		cmocka_unit_test(test_gran_add),
		cmocka_unit_test(test_parse_devt),
		cmocka_unit_test_setup_teardown(test_sysfs_scan, sysfs_setup, sysfs_teardown),
		cmocka_unit_test(test_sysfs_absent),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests_name("collector", tests, NULL, NULL);
}
