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
#define INST0 5
#define INST1 6

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
	assert_string_equal(tdax_counter_name(TDAX_CTR_FULL_PROC_STATS), "proc_stats");
	assert_string_equal(tdax_attach_mode_name(TDAX_ATTACH_RAW_TP), "raw_tp");
	assert_string_equal(tdax_lifetime_name(TDAX_LIFETIME_DEV), "device");
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
	struct tdax_gran g = {};

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
	struct tdax_histogram h = {}, h2 = {};
	int i;

	(void)state;
	/* inclusive upper bounds: slot i holds (2^(i-1), 2^i] */
	assert_int_equal(tdax_hist_slot(0), 0);
	assert_int_equal(tdax_hist_slot(1), 0);
	assert_int_equal(tdax_hist_slot(2), 1);
	assert_int_equal(tdax_hist_slot(3), 2);
	assert_int_equal(tdax_hist_slot(4), 2);
	assert_int_equal(tdax_hist_slot(4096), 12);	/* exactly 2^12: le=4096 */
	assert_int_equal(tdax_hist_slot(4097), 13);
	assert_int_equal(tdax_hist_slot(~0ULL), 63);
	assert_int_equal(tdax_hist_slot_upper(0), 1);
	assert_int_equal(tdax_hist_slot_upper(12), 4096);
	assert_true(isnan(tdax_hist_quantile(&h, 0.5)));
	/* 90 values in (1024, 2048], 10 in (65536, 131072] */
	h.slots[11] = 90;
	h.slots[17] = 10;
	h.count = 100;
	/*
	 * histogram_quantile(): rank = q * 100; 0.5 -> rank 50 in the first
	 * bucket: 1024 + 1024 * 50/90; 0.9 -> its le; 0.95 -> half-way in
	 * the second bucket.
	 */
	assert_true(fabs(tdax_hist_quantile(&h, 0.5) - (1024 + 1024.0 * 50 / 90)) < 1e-9);
	assert_true(tdax_hist_quantile(&h, 0.9) == 2048);
	assert_true(tdax_hist_quantile(&h, 0.95) == 65536 + 65536 * 0.5);
	assert_true(tdax_hist_quantile(&h, 0.99) == 65536 + 65536 * 0.9);
	assert_true(tdax_hist_quantile(&h, 7) == 131072);	/* clamped to 1 */
	/* the first bucket interpolates from 0 */
	memset(&h2, 0, sizeof(h2));
	h2.slots[0] = 4;
	assert_true(tdax_hist_quantile(&h2, 0.5) == 0.5);
	memset(&h2, 0, sizeof(h2));
	for (i = 0; i < 3; i++)
		tdax_hist_add(&h2, &h);
	assert_int_equal(h2.count, 300);
	assert_int_equal(h2.slots[17], 30);
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
	s->devs[0].instance = INST0;
	s->devs[0].g.attempts[TDAX_SZ_2M] = 10 * scale;
	s->devs[0].g.mapped[TDAX_SZ_2M] = 10 * scale;
	s->devs[0].g.hits = 10 * scale;
	s->devs[0].lat[TDAX_SZ_2M].slots[12] = 10 * scale;
	s->devs[0].lat[TDAX_SZ_2M].count = 10 * scale;
	s->devs[0].lat[TDAX_SZ_2M].sum = 40960 * scale;
	s->devs[0].mmaps = scale;
	snprintf(s->devs[1].name, TDAX_NAME_LEN, "tdax1.0");
	s->devs[1].dev = DEV1;
	s->devs[1].instance = INST1;
	s->devs[1].g.attempts[TDAX_SZ_4K] = 4 * scale;
	s->devs[1].g.mapped[TDAX_SZ_4K] = 3 * scale;
	s->devs[1].g.sigbus[TDAX_SZ_4K] = scale;
	s->devs[1].g.misses = 4 * scale;
	s->devs[1].g.below_align = 3 * scale;
	s->nfaults = 3;
	s->faults = calloc(3, sizeof(*s->faults));
	s->faults[0] = (struct tdax_snap_fault){ INST0, DEV0, TDAX_SZ_2M, TDAX_FO_MAPPED, TDAX_FR_OK, 10 * scale };
	s->faults[1] = (struct tdax_snap_fault){ INST1, DEV1, TDAX_SZ_4K, TDAX_FO_MAPPED, TDAX_FR_NOHUGEPAGE, 3 * scale };
	s->faults[2] = (struct tdax_snap_fault){ INST1, DEV1, TDAX_SZ_4K, TDAX_FO_SIGBUS, TDAX_FR_THP_DISABLED, scale };
	s->nprocs = 1;
	s->procs = calloc(1, sizeof(*s->procs));
	s->procs[0].pid = 42;
	s->procs[0].dev = DEV1;
	s->procs[0].instance = INST1;
	s->procs[0].alive = true;
	s->procs[0].g = s->devs[1].g;
	s->nregions = 1;
	s->regions = calloc(1, sizeof(*s->regions));
	s->regions[0].id = 0;
	s->regions[0].age_ns = ts;
	s->lifetimes[TDAX_LIFETIME_REGION].count = scale;
	s->lifetimes[TDAX_LIFETIME_REGION].slots[30] = scale;
	s->counters[TDAX_CTR_EV_FAULT] = 14 * scale;
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
	x = tdax_snapshot_dev_instance(&d, INST1);
	assert_int_equal(x->g.misses, 16);
	assert_int_equal(x->g.below_align, 12);
	assert_int_equal(d.faults[2].count, 4);
	assert_int_equal(d.procs[0].g.misses, 16);
	assert_int_equal(d.lifetimes[TDAX_LIFETIME_REGION].count, 4);
	assert_int_equal(d.counters[TDAX_CTR_EV_FAULT], 56);
	/* gauges from cur */
	assert_int_equal(d.regions[0].age_ns, 3000000000ULL);
	/* counters going backwards (maps reset) count from zero */
	assert_int_equal(tdax_snapshot_delta(&b, &a, &d), 0);
	assert_int_equal(tdax_snapshot_dev_instance(&d, INST0)->g.hits, 10);
	assert_int_equal(d.faults[0].count, 10);
	assert_int_equal(d.interval_ns, 0);
	/* a row absent from prev counts from zero */
	b.nprocs = 0;
	assert_int_equal(tdax_snapshot_delta(&b, &a, &d), 0);
	assert_int_equal(d.procs[0].g.misses, 4);
	/* output may alias an input */
	assert_int_equal(tdax_snapshot_delta(&a, &a, &a), 0);
	assert_int_equal(tdax_snapshot_dev_instance(&a, INST0)->g.hits, 0);
	tdax_snapshot_free(&a);
	tdax_snapshot_free(&b);
	tdax_snapshot_free(&d);
	assert_null(d.devs);
	assert_int_equal(d.ndevs, 0);
}

/* Flushes and tdax_kmem state: deltas of the counters, gauges from cur, measures. */
static void test_flush_kmem(void **state)
{
	struct tdax_snapshot a, b, d;
	struct tdax_snap_flush tot;
	struct tdax_snap_dev *x;
	const struct tdax_snap_dev *y;
	int i;

	(void)state;
	make_snap(&a, 1000000000ULL, 1);
	make_snap(&b, 3000000000ULL, 1);
	for (i = 0; i < 2; i++) {
		struct tdax_snapshot *s = i ? &b : &a;
		__u64 n = i ? 9 : 3;

		x = (struct tdax_snap_dev *)tdax_snapshot_dev_instance(s, INST0);
		x->flush[TDAX_PD_MEMORY_CONTROLLER].flushes = n;
		x->flush[TDAX_PD_MEMORY_CONTROLLER].bytes = n * 8192;
		x->flush[TDAX_PD_MEMORY_CONTROLLER].lat.count = n;
		x->flush[TDAX_PD_MEMORY_CONTROLLER].lat.slots[14] = n;
		x->flush[TDAX_PD_CPU_CACHE].flushes = n + 1;
		x->flush[TDAX_PD_CPU_CACHE].skipped = n + 1;
		x->flush[TDAX_PD_CPU_CACHE].bytes = (n + 1) * 4096;
		x->flush[TDAX_PD_CPU_CACHE].skipped_bytes = (n + 1) * 4096;
		x->kmem.seen = true;
		x->kmem.mode = TDAX_MODE_SYSTEM_RAM;
		x->kmem.block_size = 128 << 20;
		x->kmem.blocks = 4;
		x->kmem.blocks_online = i ? 4 : 0;
		x->kmem.adds = 1;
		x->kmem.block_ops[TDAX_KB_ONLINE] = i ? 4 : 0;
		x->kmem.offline_failures[TDAX_KR_PAGES_IN_USE] = i;
		snprintf(x->mode, sizeof(x->mode), "system-ram");
		x->present = true;
	}
	tdax_snapshot_init(&d);
	assert_int_equal(tdax_snapshot_delta(&a, &b, &d), 0);
	y = tdax_snapshot_dev_instance(&d, INST0);
	assert_int_equal(y->flush[TDAX_PD_MEMORY_CONTROLLER].flushes, 6);
	assert_int_equal(y->flush[TDAX_PD_MEMORY_CONTROLLER].bytes, 6 * 8192);
	assert_int_equal(y->flush[TDAX_PD_MEMORY_CONTROLLER].lat.count, 6);
	assert_int_equal(y->flush[TDAX_PD_MEMORY_CONTROLLER].lat.slots[14], 6);
	tdax_flush_total(y, &tot);
	assert_int_equal(tot.flushes, 12);
	assert_int_equal(tot.skipped, 6);
	assert_int_equal(tdax_flush_done(&tot), 6);
	assert_int_equal(tdax_flush_bytes_done(&tot), 6 * 8192);
	/* kmem: counters are deltas, gauges the current state */
	assert_int_equal(y->kmem.adds, 0);
	assert_int_equal(y->kmem.block_ops[TDAX_KB_ONLINE], 4);
	assert_int_equal(y->kmem.offline_failures[TDAX_KR_PAGES_IN_USE], 1);
	assert_int_equal(y->kmem.blocks_online, 4);
	assert_int_equal(tdax_kmem_online_bytes(&y->kmem), 4ULL * (128 << 20));
	assert_string_equal(tdax_dev_mode(y), "system-ram");
	/* a gone device: the mode its records imply, else its driver */
	x = (struct tdax_snap_dev *)y;
	x->present = false;
	x->kmem.mode = TDAX_MODE_KEPT;
	assert_string_equal(tdax_dev_mode(x), "system-ram-kept");
	x->kmem.seen = false;
	snprintf(x->driver, sizeof(x->driver), "tdax_device");
	assert_string_equal(tdax_dev_mode(x), "devdax");
	assert_string_equal(tdax_domain_name(TDAX_PD_CPU_CACHE), "cpu_cache");
	assert_string_equal(tdax_kmem_zone_name(TDAX_KZ_MOVABLE), "movable");
	assert_string_equal(tdax_kmem_reason_name(TDAX_KR_PAGES_IN_USE), "pages_in_use");
	assert_string_equal(tdax_kmem_block_op_name(TDAX_KB_OFFLINE_FAILED), "offline_failed");
	assert_string_equal(tdax_mode_name(99), "?");
	tdax_snapshot_free(&a);
	tdax_snapshot_free(&b);
	tdax_snapshot_free(&d);
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
	assert_null(tdax_snapshot_dev_instance(&c, 12345));
	{
		char b[24];

		/* the row's name; dev:MAJ:MIN of a row without one; "?" without a dev_t */
		assert_string_equal(tdax_snapshot_dev_name(&c, c.devs[1].instance, 0, b, sizeof(b)),
				    "tdax1.0");
		assert_string_equal(tdax_snapshot_dev_name(&c, 12345, TDAX_KDEV(246, 4), b,
							   sizeof(b)), "dev:246:4");
		assert_string_equal(tdax_snapshot_dev_name(&c, 12345, 0, b, sizeof(b)), "?");
		c.devs[1].name[0] = 0;
		assert_string_equal(tdax_snapshot_dev_name(&c, c.devs[1].instance,
							   TDAX_KDEV(246, 1), b, sizeof(b)),
				    "dev:246:1");
	}
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
	n = tdax_top_reasons(&s, 0, false, rc, 4);
	assert_int_equal(n, 2);	/* ok rows are not reasons */
	assert_int_equal(rc[0].reason, TDAX_FR_NOHUGEPAGE);
	assert_int_equal(rc[0].count, 3);
	assert_int_equal(rc[1].reason, TDAX_FR_THP_DISABLED);
	assert_int_equal(tdax_top_reasons(&s, INST0, false, rc, 4), 0);
	assert_int_equal(tdax_top_reasons(&s, INST1, false, rc, 1), 1);
	/* the same reason at one size is summed over the ended outcomes */
	s.faults[2].reason = TDAX_FR_NOHUGEPAGE;
	n = tdax_top_reasons(&s, INST1, false, rc, 4);
	assert_int_equal(n, 1);
	assert_int_equal(rc[0].count, 4);
	assert_int_equal(tdax_top_reasons(&s, INST1, true, rc, 4), 2);
	assert_int_equal(tdax_reason_ended(&s, INST1, TDAX_FR_NOHUGEPAGE, -1), 4);
	assert_int_equal(tdax_reason_ended(&s, INST1, TDAX_FR_NOHUGEPAGE, TDAX_FO_SIGBUS), 1);
	tdax_snapshot_free(&s);
}

/*
 * Reasons once per fault that ended: a 2M attempt that falls back
 * (outcome fallback, reason pgoff_misaligned) and the 4K mapping that
 * follows (mapped, pgoff_misaligned) are one fault, one reason.
 */
static void test_reasons_once(void **state)
{
	struct tdax_reason_count rc[4];
	struct tdax_snapshot s;

	(void)state;
	tdax_snapshot_init(&s);
	s.nfaults = 3;
	s.faults = calloc(3, sizeof(*s.faults));
	s.faults[0] = (struct tdax_snap_fault){ INST0, DEV0, TDAX_SZ_2M, TDAX_FO_FALLBACK,
						TDAX_FR_PGOFF_MISALIGNED, 1 };
	s.faults[1] = (struct tdax_snap_fault){ INST0, DEV0, TDAX_SZ_4K, TDAX_FO_MAPPED,
						TDAX_FR_PGOFF_MISALIGNED, 512 };
	s.faults[2] = (struct tdax_snap_fault){ INST0, DEV0, TDAX_SZ_1G, TDAX_FO_FALLBACK,
						TDAX_FR_LARGER_THAN_ALIGN, 1 };
	assert_int_equal(tdax_top_reasons(&s, 0, false, rc, 4), 1);
	assert_int_equal(rc[0].count, 512);
	assert_int_equal(rc[0].size_idx, TDAX_SZ_4K);
	tdax_snapshot_free(&s);
}

/*
 * Byte coverage: 99 2M ranges served at 2M and one 2M range served as 512
 * 4K faults.  By faults the hit rate is 99/611 (16 %); by bytes 99 %.
 */
static void test_byte_coverage(void **state)
{
	struct tdax_gran g = {}, bad = {};

	(void)state;
	assert_true(isnan(tdax_byte_coverage(&g)));
	g.mapped[TDAX_SZ_2M] = 99;
	g.hits = 99;
	g.bytes_mapped = 99 * TDAX_SIZE_2M;
	g.bytes_aligned = 99 * TDAX_SIZE_2M;
	g.mapped[TDAX_SZ_4K] = 512;
	g.misses = 512;
	g.below_align = 512;
	g.bytes_mapped += 512 * TDAX_SIZE_4K;
	assert_true(fabs(tdax_hit_ratio(&g) - 99.0 / 611) < 1e-12);
	assert_true(tdax_byte_coverage(&g) == 0.99);
	assert_true(tdax_byte_coverage(&g) >= 0.99);
	/* mostly fallen back: 1 good range, 99 at 4K */
	bad.bytes_mapped = 100 * TDAX_SIZE_2M;
	bad.bytes_aligned = TDAX_SIZE_2M;
	assert_true(tdax_byte_coverage(&bad) == 0.01);
	/* SIGBUS maps nothing: it weighs nothing in coverage, counts as a miss */
	g.sigbus[TDAX_SZ_4K] = 7;
	g.misses += 7;
	assert_true(tdax_byte_coverage(&g) == 0.99);
	assert_int_equal(tdax_gran_sigbus(&g), 7);
	assert_int_equal(tdax_gran_ended(&g), 618);
	assert_true(tdax_fault_rate(&g, 2000000000ULL) == 309.0);
}

/*
 * Identity: a device deleted and re-created under the same name is a new
 * instance; between two snapshots the new row counts from zero and the
 * old one (retired) keeps its final counts.
 */
static void test_recreated_device(void **state)
{
	struct tdax_snapshot a, b, d;
	const struct tdax_snap_dev *x;

	(void)state;
	make_snap(&a, 1000000000ULL, 2);	/* tdax1.0 = INST1 with 8 misses */
	make_snap(&b, 2000000000ULL, 2);
	b.devs[1].present = false;		/* INST1 gone, final counts */
	b.devs[1].retired = true;
	b.devs = realloc(b.devs, 3 * sizeof(*b.devs));
	memset(&b.devs[2], 0, sizeof(b.devs[2]));
	snprintf(b.devs[2].name, TDAX_NAME_LEN, "tdax1.0");
	b.devs[2].dev = DEV1;			/* same dev_t, new instance */
	b.devs[2].instance = 9;
	b.devs[2].present = true;
	b.devs[2].g.hits = 3;
	b.ndevs = 3;
	tdax_snapshot_sort(&b);
	tdax_snapshot_init(&d);
	assert_int_equal(tdax_snapshot_delta(&a, &b, &d), 0);
	x = tdax_snapshot_dev_instance(&d, 9);
	assert_non_null(x);
	assert_int_equal(x->g.hits, 3);		/* from zero, not from 8 */
	assert_int_equal(x->g.misses, 0);
	x = tdax_snapshot_dev_instance(&d, INST1);
	assert_int_equal(x->g.misses, 0);	/* nothing new on the old one */
	x = tdax_snapshot_dev_instance(&b, INST1);
	assert_int_equal(x->g.misses, 8);	/* its final counts */
	/* by name: the present instance */
	assert_int_equal(tdax_snapshot_dev_by_name(&b, "tdax1.0")->instance, 9);
	tdax_snapshot_free(&a);
	tdax_snapshot_free(&b);
	tdax_snapshot_free(&d);
}

/*
 * Processes: pid reuse is a new row (another start time); an exited
 * process reported once (alive false) and then folded into "exited" adds
 * nothing new to the delta of the exited row.
 */
static void test_exited_fold(void **state)
{
	struct tdax_snapshot a, b, c, d;
	struct tdax_snap_proc *p;

	(void)state;
	tdax_snapshot_init(&a);
	a.ts_ns = 1;
	a.nprocs = 2;
	a.procs = calloc(2, sizeof(*a.procs));
	a.procs[0] = (struct tdax_snap_proc){ .pid = 42, .start_ns = 100, .instance = INST0,
					      .alive = false };
	a.procs[0].g.hits = 5;
	a.procs[0].reasons[0][TDAX_FR_NOHUGEPAGE] = 2;
	a.procs[1] = (struct tdax_snap_proc){ .pid = 0, .instance = INST0, .exited = true };
	a.procs[1].g.hits = 10;
	tdax_snapshot_sort(&a);
	/* next: 42/100 folded (exited += 5), 42/200 is a new process */
	tdax_snapshot_init(&b);
	b.ts_ns = 2;
	b.nprocs = 2;
	b.procs = calloc(2, sizeof(*b.procs));
	b.procs[0] = (struct tdax_snap_proc){ .pid = 42, .start_ns = 200, .instance = INST0,
					      .alive = true };
	b.procs[0].g.hits = 1;
	b.procs[1] = (struct tdax_snap_proc){ .pid = 0, .instance = INST0, .exited = true };
	b.procs[1].g.hits = 15;
	b.procs[1].reasons[0][TDAX_FR_NOHUGEPAGE] = 2;
	tdax_snapshot_sort(&b);
	tdax_snapshot_init(&d);
	assert_int_equal(tdax_snapshot_delta(&a, &b, &d), 0);
	assert_int_equal(d.nprocs, 2);
	assert_true(d.procs[0].exited);
	assert_int_equal(d.procs[0].g.hits, 0);		/* 15 - 10 - 5 */
	assert_int_equal(d.procs[0].reasons[0][TDAX_FR_NOHUGEPAGE], 0);
	p = &d.procs[1];
	assert_int_equal(p->pid, 42);
	assert_int_equal(p->start_ns, 200);
	assert_int_equal(p->g.hits, 1);			/* the reused pid from zero */
	/* cumulative from a base where 42/100 was alive with 3 hits */
	tdax_snapshot_init(&c);
	c.nprocs = 2;
	c.procs = calloc(2, sizeof(*c.procs));
	c.procs[0] = (struct tdax_snap_proc){ .pid = 42, .start_ns = 100, .instance = INST0,
					      .alive = true };
	c.procs[0].g.hits = 3;
	c.procs[1] = (struct tdax_snap_proc){ .pid = 0, .instance = INST0, .exited = true };
	c.procs[1].g.hits = 10;
	tdax_snapshot_sort(&c);
	assert_int_equal(tdax_snapshot_delta(&c, &b, &d), 0);
	assert_true(d.procs[0].exited);
	assert_int_equal(d.procs[0].g.hits, 2);		/* 42/100 did 2 more before exiting */
	tdax_snapshot_free(&a);
	tdax_snapshot_free(&b);
	tdax_snapshot_free(&c);
	tdax_snapshot_free(&d);
}

static void test_gran_add(void **state)
{
	struct tdax_gran a = {}, b = {};

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

/*
 * A proc_stats value holds only what cannot be derived (gran_update() of
 * bpf/tdax_collect.bpf.c); tdax_gran_add_bpf() must give back exactly the
 * definitions of docs/metrics.md (those gran_of_fault_row() applies to the
 * device rows), whatever the records: every outcome, known and unknown
 * sizes, and an align that changes within the row (a rebind).
 */
struct rec { __u64 size, align, lat; __u8 outcome; };

/* the BPF side's stores (mirror of gran_update()) */
static void store_bpf(struct tdax_gran_val *g, const struct rec *r)
{
	unsigned int si = tdax_size_idx(r->size);
	bool known = si < TDAX_SZ_NR;

	switch (r->outcome) {
	case TDAX_FO_MAPPED:
		if (!known) {
			g->other++;
			break;
		}
		if (r->size < r->align) {
			g->misses++;
			g->below_align++;
			g->bytes_aligned += -r->size;
		}
		g->mapped[si]++;
		break;
	case TDAX_FO_FALLBACK:
		if (known)
			g->fallback[si]++;
		else
			g->other++;
		break;
	case TDAX_FO_SIGBUS:
		g->misses++;
		if (known)
			g->sigbus[si]++;
		else
			g->other++;
		break;
	default:
		if (known)
			g->attempts[si]++;
		g->other++;
		break;
	}
	g->lat_sum_ns += r->lat;
}

/* the definitions, record by record */
static void define(struct tdax_gran *g, const struct rec *r)
{
	unsigned int si = tdax_size_idx(r->size);
	bool known = si < TDAX_SZ_NR;

	if (known)
		g->attempts[si]++;
	switch (r->outcome) {
	case TDAX_FO_MAPPED:
		if (!known) {
			g->other++;
			break;
		}
		g->mapped[si]++;
		g->bytes_mapped += r->size;
		if (r->size >= r->align) {
			g->hits++;
			g->bytes_aligned += r->size;
		} else {
			g->misses++;
			g->below_align++;
		}
		break;
	case TDAX_FO_FALLBACK:
		if (known)
			g->fallback[si]++;
		else
			g->other++;
		break;
	case TDAX_FO_SIGBUS:
		if (known)
			g->sigbus[si]++;
		else
			g->other++;
		g->misses++;
		break;
	default:
		g->other++;
		break;
	}
	g->lat_sum_ns += r->lat;
}

static void test_gran_derived(void **state)
{
	static const __u64 sizes[] = { TDAX_SIZE_4K, TDAX_SIZE_2M, TDAX_SIZE_1G, 8192 };
	static const __u64 aligns[] = { 0, TDAX_SIZE_4K, TDAX_SIZE_2M, TDAX_SIZE_1G };
	static const __u8 outcomes[] = { TDAX_FO_MAPPED, TDAX_FO_FALLBACK, TDAX_FO_SIGBUS,
					 TDAX_FO_SIGBUS + 1, 200 };
	struct tdax_gran_val v = {};
	struct tdax_gran want = {}, got = {};
	unsigned int a, sz, o, n = 0, i;

	(void)state;
	/* aligns in the outer loop: the align changes within the row */
	for (a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++)
		for (sz = 0; sz < sizeof(sizes) / sizeof(sizes[0]); sz++)
			for (o = 0; o < sizeof(outcomes) / sizeof(outcomes[0]); o++) {
				struct rec r = { sizes[sz], aligns[a], 1000 + n, outcomes[o] };

				for (i = 0; i <= n % 3; i++) {	/* 1-3 of each */
					store_bpf(&v, &r);
					define(&want, &r);
				}
				n++;
			}
	tdax_gran_add_bpf(&got, &v);
	for (i = 0; i < TDAX_SZ_NR; i++) {
		assert_int_equal(got.attempts[i], want.attempts[i]);
		assert_int_equal(got.mapped[i], want.mapped[i]);
		assert_int_equal(got.fallback[i], want.fallback[i]);
		assert_int_equal(got.sigbus[i], want.sigbus[i]);
	}
	assert_int_equal(got.other, want.other);
	assert_int_equal(got.hits, want.hits);
	assert_int_equal(got.misses, want.misses);
	assert_int_equal(got.below_align, want.below_align);
	assert_int_equal(got.bytes_mapped, want.bytes_mapped);
	assert_int_equal(got.bytes_aligned, want.bytes_aligned);
	assert_int_equal(got.lat_sum_ns, want.lat_sum_ns);
	assert_true(want.hits > 0 && want.below_align > 0 && want.bytes_aligned > 0);
	assert_true(want.bytes_aligned < want.bytes_mapped);
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

/*
 * from_bpf.c: every counter of the BPF "stats" map has its library name
 * (a new one without it fails here), and values land where the names say.
 */
static void test_bpf_boundary(void **state)
{
	static const char *const bpf_names[TDAX_STAT_NR] = {
#define X(name, val, str) [val] = str,
		TDAX_STATS(X)
#undef X
	};
	static const char *const bpf_idents[TDAX_STAT_NR] = {
#define X(name, val, str) [val] = #name,
		TDAX_STATS(X)
#undef X
	};
	struct tdax_bpf_stats b = {};
	struct tdax_snapshot s;
	struct tdax_gran_val gv = { .attempts = { 1, 2, 3 }, .mapped = { 4, 5, 6 },
				    .fallback = { 7, 8, 9 }, .sigbus = { 10, 11, 12 },
				    .other = 13, .hits = 14, .misses = 15, .below_align = 16,
				    .bytes_mapped = 17, .bytes_aligned = 18, .lat_sum_ns = 19,
				    .region_instance = 20, .dev = 21, .region_id = 22,
				    .align_seen = 23 };
	struct tdax_gran g = { .hits = 100 };
	struct tdax_hist hv = { .count = 3, .sum = 30 };
	struct tdax_histogram h = { .count = 1 };
	struct tdax_event ev = { .ts_ns = 1, .address = 2, .pgoff = 3, .size = 4, .align = 5,
				 .phys = 6, .latency_ns = 7, .instance = 8, .kind = TDAX_EVK_MMAP,
				 .pid = 9, .tid = 10, .dev = 11, .region_id = 12, .result = -13,
				 .reason = 14, .outcome = 15, .write = 1, .comm = "comm" };
	struct tdax_snoop_event se;
	unsigned int k, i;
	bool named[TDAX_CTR_NR] = {};

	(void)state;
	for (k = 0; k < TDAX_STAT_NR; k++) {
		int c = tdax_counter_of_bpf(k);

		assert_non_null(bpf_names[k]);
		if (c < 0)
			fail_msg("BPF stat %u \"%s\" has no enum tdax_counter", k, bpf_names[k]);
		assert_string_equal(tdax_counter_name(c), bpf_names[k]);
		assert_false(named[c]);
		named[c] = true;
		b.stats[k] = 1000 + k;
		b.entries[k] = 2000 + k;
		b.max[k] = 3000 + k;
	}
	assert_int_equal(tdax_counter_of_bpf(TDAX_STAT_NR), -1);
	tdax_snapshot_init(&s);
	tdax_counters_from_bpf(&s, &b);
	assert_int_equal(s.counters[TDAX_CTR_EV_FAULT], 1000 + TDAX_STAT_EV_FAULT);
	assert_int_equal(s.counters[TDAX_CTR_EV_KMEM_BLOCK], 1000 + TDAX_STAT_EV_KMEM_BLOCK);
	assert_int_equal(s.counters[TDAX_CTR_READ_ERRORS], 1000 + TDAX_STAT_READ_ERRORS);
	assert_int_equal(s.map_entries[TDAX_CTR_FULL_KMEM_STATS], 2000 + TDAX_STAT_FULL_KMEM_STATS);
	assert_int_equal(s.map_max[TDAX_CTR_FULL_PROC_STATS], 3000 + TDAX_STAT_FULL_PROC_STATS);
	/* and every library counter has its BPF one (no map reported that is not there) */
	for (i = 0; i < TDAX_CTR_NR; i++)
		if (!named[i])
			fail_msg("enum tdax_counter %u \"%s\" has no BPF stat", i, tdax_counter_name(i));
	/* the groups the front ends loop over hold what their names say */
	for (i = 0; i < TDAX_CTR_NR; i++) {
		bool ev = (int)i >= TDAX_CTR_EV_FIRST && i <= TDAX_CTR_EV_LAST;
		bool full = i >= TDAX_CTR_FULL_FIRST && i <= TDAX_CTR_FULL_LAST;

		k = s.counters[i] - 1000;	/* the BPF index it came from */
		assert_string_equal(tdax_counter_name(i), bpf_names[k]);
		assert_int_equal(s.map_entries[i], 2000 + k);
		assert_int_equal(!strncmp(bpf_idents[k], "EV_", 3), ev);
		assert_int_equal(!strncmp(bpf_idents[k], "FULL_", 5), full);
	}

	tdax_gran_add_bpf(&g, &gv);
	/* attempts, hits and bytes: stored corrections plus what is derived */
	assert_int_equal(g.attempts[0], 1 + 4 + 7 + 10);
	assert_int_equal(g.attempts[2], 3 + 6 + 9 + 12);
	assert_int_equal(g.mapped[1], 5);
	assert_int_equal(g.fallback[2], 9);
	assert_int_equal(g.sigbus[0], 10);
	assert_int_equal(g.other, 13);
	assert_int_equal(g.hits, 100 + 14 + 4 + 5 + 6 - 16);
	assert_int_equal(g.misses, 15);
	assert_int_equal(g.below_align, 16);
	assert_int_equal(g.bytes_mapped, 17 + 4 * TDAX_SIZE_4K + 5 * TDAX_SIZE_2M + 6 * TDAX_SIZE_1G);
	assert_int_equal(g.bytes_aligned, 18 + 4 * TDAX_SIZE_4K + 5 * TDAX_SIZE_2M + 6 * TDAX_SIZE_1G);
	assert_int_equal(g.lat_sum_ns, 19);
	assert_int_equal(g.region_instance, 20);
	assert_int_equal(g.dev, 21);
	assert_int_equal(g.region_id, 22);
	assert_int_equal(g.align_seen, 23);

	hv.slots[0] = 1;
	hv.slots[TDAX_HIST_SLOTS - 1] = 2;
	tdax_hist_add_bpf(&h, &hv);
	assert_int_equal(h.count, 4);
	assert_int_equal(h.sum, 30);
	assert_int_equal(h.slots[0], 1);
	assert_int_equal(h.slots[TDAX_HIST_SLOTS - 1], 2);

	assert_int_equal(tdax_lifetime_of_bpf(TDAX_LT_REGION), TDAX_LIFETIME_REGION);
	assert_int_equal(tdax_lifetime_of_bpf(TDAX_LT_DEV), TDAX_LIFETIME_DEV);
	assert_int_equal(tdax_lifetime_of_bpf(TDAX_LT_NR), -1);

	tdax_event_from_bpf(&se, &ev);
	assert_int_equal(se.kind, TDAX_SNOOP_MMAP);
	assert_int_equal(se.ts_ns + se.address + se.pgoff + se.size + se.align + se.phys +
			 se.latency_ns + se.instance, 36);
	assert_int_equal(se.pid + se.tid + se.dev + se.region_id, 42);
	assert_int_equal(se.result, -13);
	assert_int_equal(se.reason, 14);
	assert_int_equal(se.outcome, 15);
	assert_int_equal(se.write, 1);
	assert_string_equal(se.comm, "comm");
	ev.kind = TDAX_EVK_FAULT;
	tdax_event_from_bpf(&se, &ev);
	assert_int_equal(se.kind, TDAX_SNOOP_FAULT);
}

/* ---- fake sysfs --------------------------------------------------------------- */

#include "fakesys.h"

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

/* The bus is read again only when a uevent was sent or a device is unbound. */
static void test_sysfs_refresh(void **state)
{
	struct tdax_sysfs s = {};
	struct tdax_sysfs_gen g = {};
	char p[512];

	(void)state;
	/* no uevent_seqnum: every refresh scans */
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 1);
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 1);
	put("kernel/uevent_seqnum", "7\n");
	/* tdax0.1 unbound: its attributes change without a uevent */
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 1);
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 1);
	put("devices/platform/hmem.0/tdax0.1/align", "2097152\n");
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 1);
	assert_int_equal(s.ndevs, 2);
	assert_int_equal(strcmp(s.devs[0].name, "tdax0.1") ? s.devs[1].align : s.devs[0].align,
			 2097152);
	/* bind it (a uevent): scanned once, then kept while nothing changes */
	link_to("../../../../bus/tdax/drivers/tdax_device", "devices/platform/hmem.0/tdax0.1/driver");
	put("kernel/uevent_seqnum", "8\n");
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 1);
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 0);
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 0);
	assert_int_equal(g.scans, 6);
	assert_int_equal(s.ndevs, 2);
	/* delete tdax0.1, create tdax0.2 (uevents): both seen at once */
	snprintf(p, sizeof(p), "%s/bus/tdax/devices/tdax0.1", root);
	assert_int_equal(unlink(p), 0);
	put("devices/platform/hmem.0/tdax0.2/dev", "246:2\n");
	put("devices/platform/hmem.0/tdax0.2/size", "4096\n");
	put("devices/platform/hmem.0/tdax0.2/align", "4096\n");
	link_to("../../../devices/platform/hmem.0/tdax0.2", "bus/tdax/devices/tdax0.2");
	link_to("../../../../bus/tdax/drivers/tdax_device", "devices/platform/hmem.0/tdax0.2/driver");
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 0);	/* no uevent yet */
	put("kernel/uevent_seqnum", "11\n");
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 1);
	assert_int_equal(s.ndevs, 2);
	assert_true(!strcmp(s.devs[0].name, "tdax0.2") || !strcmp(s.devs[1].name, "tdax0.2"));
	assert_true(strcmp(s.devs[0].name, "tdax0.1") && strcmp(s.devs[1].name, "tdax0.1"));
	/* the counter unreadable: scan every time */
	snprintf(p, sizeof(p), "%s/kernel/uevent_seqnum", root);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 1);
	assert_int_equal(tdax_sysfs_refresh(root, &s, &g), 1);
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

/* tdax_bus_state(): what daxcollect polls to release and re-attach. */
static void test_bus_state(void **state)
{
	struct tdax_bus_state b;
	char p[512];

	(void)state;
	assert_int_equal(tdax_bus_state(root, &b), 0);
	assert_true(b.module);
	assert_int_equal(b.devices, 2);		/* .keep is not a device */
	assert_int_equal(b.drivers, 1);
	/* devices deleted: the driver keeps the bus busy */
	snprintf(p, sizeof(p), "%s/bus/tdax/devices/tdax0.0", root);
	assert_int_equal(unlink(p), 0);
	snprintf(p, sizeof(p), "%s/bus/tdax/devices/tdax0.1", root);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(tdax_bus_state(root, &b), 0);
	assert_true(b.module);
	assert_int_equal(b.devices, 0);
	assert_int_equal(b.drivers, 1);
	/* tdax_device unloaded: an empty bus */
	snprintf(p, sizeof(p), "rm -rf '%s/bus/tdax/drivers/tdax_device'", root);
	assert_int_equal(system(p), 0);
	assert_int_equal(tdax_bus_state(root, &b), 0);
	assert_true(b.module);
	assert_int_equal(b.devices + b.drivers, 0);
	/* a directory that cannot be read: an error, counted as empty */
	snprintf(p, sizeof(p), "rm -rf '%s/bus/tdax/drivers'", root);
	assert_int_equal(system(p), 0);
	put("bus/tdax/drivers", "not a directory");
	put("bus/tdax/devices/tdax9.9", "");
	assert_int_equal(tdax_bus_state(root, &b), -ENOTDIR);
	assert_true(b.module);
	assert_int_equal(b.devices, 1);
	assert_int_equal(b.drivers, 0);
	/* the bus gone, the module still there (being unloaded): no error */
	snprintf(p, sizeof(p), "rm -rf '%s/bus/tdax'", root);
	assert_int_equal(system(p), 0);
	put("module/tdax/refcnt", "0\n");
	assert_int_equal(tdax_bus_state(root, &b), 0);
	assert_true(b.module);
	assert_int_equal(b.devices + b.drivers, 0);
	/* no module */
	assert_int_equal(tdax_bus_state("/nonexistent-tdax-root", &b), 0);
	assert_false(b.module);
	assert_int_equal(b.devices + b.drivers, 0);
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
		cmocka_unit_test(test_flush_kmem),
		cmocka_unit_test(test_copy_and_lookup),
		cmocka_unit_test(test_sort_names),
		cmocka_unit_test(test_top_reasons),
		cmocka_unit_test(test_reasons_once),
		cmocka_unit_test(test_byte_coverage),
		cmocka_unit_test(test_recreated_device),
		cmocka_unit_test(test_exited_fold),
		cmocka_unit_test(test_gran_add),
		cmocka_unit_test(test_parse_devt),
		cmocka_unit_test(test_bpf_boundary),
		cmocka_unit_test(test_gran_derived),
		cmocka_unit_test_setup_teardown(test_sysfs_scan, sysfs_setup, sysfs_teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_refresh, sysfs_setup, sysfs_teardown),
		cmocka_unit_test(test_sysfs_absent),
		cmocka_unit_test_setup_teardown(test_bus_state, sysfs_setup, sysfs_teardown),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests_name("collector", tests, NULL, NULL);
}
