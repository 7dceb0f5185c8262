// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of metrics.c on synthetic collector snapshots: exact series,
 * histogram conversion from log2 ns slots to seconds, label values, and
 * `promtool check metrics` on the full exposition; and the alert counters
 * fed from a snapshot.
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
#include <sys/wait.h>
#include <cmocka.h>

#include "metrics.h"

static struct tdax_snap_dev devs[2];
static struct tdax_snap_fault faults[4];
static struct tdax_snap_mmap mmaps[2];
static struct tdax_snap_proc procs[2];
static struct tdax_snap_region regions[1];

static void build(struct tdax_snapshot *s, uint64_t scale)
{
	memset(s, 0, sizeof(*s));
	memset(devs, 0, sizeof(devs));
	snprintf(devs[0].name, sizeof(devs[0].name), "tdax0.0");
	devs[0].dev = TDAX_KDEV(250, 0);
	devs[0].instance = 3;
	devs[0].region_id = 0;
	devs[0].size = 1ull << 30;
	devs[0].align = 2ull << 20;
	snprintf(devs[0].driver, sizeof(devs[0].driver), "tdax_device");
	snprintf(devs[0].fault_policy, sizeof(devs[0].fault_policy), "fallback");
	devs[0].present = true;
	devs[0].age_ns = 12500000000ull;
	devs[0].age_known = true;
	devs[0].create_ns = 87500000000ull;
	devs[0].g.hits = 3 * scale;
	devs[0].g.misses = 512 * scale;
	devs[0].g.below_align = 512 * scale;
	devs[0].g.bytes_mapped = (3ull << 21) * scale + (512ull << 12) * scale;
	devs[0].g.bytes_aligned = (3ull << 21) * scale;
	devs[0].lat[TDAX_SZ_4K].slots[3] = 1;		/* (4, 8] ns */
	devs[0].lat[TDAX_SZ_4K].slots[12] = 5;		/* (2048, 4096] */
	devs[0].lat[TDAX_SZ_4K].slots[13] = 2;
	devs[0].lat[TDAX_SZ_4K].slots[41] = 1;
	devs[0].lat[TDAX_SZ_4K].count = 9;
	devs[0].lat[TDAX_SZ_4K].sum = 2000000000ull;
	snprintf(devs[1].name, sizeof(devs[1].name), "tdax1.0");
	devs[1].dev = TDAX_KDEV(250, 1);
	devs[1].instance = 2;
	devs[1].present = false;	/* removed: counters stay, gauges go */
	devs[1].retired = true;
	devs[1].g.hits = 7;

	faults[0] = (struct tdax_snap_fault){ 3, devs[0].dev, TDAX_SZ_4K, TDAX_FO_MAPPED,
					      TDAX_FR_NOHUGEPAGE, 500 * scale };
	faults[1] = (struct tdax_snap_fault){ 3, devs[0].dev, TDAX_SZ_4K, TDAX_FO_MAPPED,
					      TDAX_FR_THP_DISABLED, 12 * scale };
	faults[2] = (struct tdax_snap_fault){ 3, devs[0].dev, TDAX_SZ_2M, TDAX_FO_MAPPED,
					      TDAX_FR_OK, 3 * scale };
	faults[3] = (struct tdax_snap_fault){ 3, devs[0].dev, TDAX_SZ_1G, TDAX_FO_FALLBACK,
					      TDAX_FR_LARGER_THAN_ALIGN, 1 };
	mmaps[0] = (struct tdax_snap_mmap){ 3, devs[0].dev, 0, TDAX_MR_OK, 4 };
	mmaps[1] = (struct tdax_snap_mmap){ 3, devs[0].dev, -22, TDAX_MR_NOT_SHARED, 2 };
	memset(procs, 0, sizeof(procs));
	procs[0].pid = 4242;
	procs[0].dev = devs[0].dev;
	procs[0].instance = 3;
	snprintf(procs[0].comm, sizeof(procs[0].comm), "we\"ird\\app");
	procs[0].alive = true;
	procs[0].g.hits = 1;
	procs[0].g.misses = 500 * scale;
	procs[0].g.below_align = 500 * scale;
	procs[0].reasons[0][TDAX_FR_NOHUGEPAGE] = 500 * scale;
	procs[1].pid = 99;
	procs[1].dev = devs[0].dev;
	procs[1].instance = 3;
	procs[1].alive = false;
	memset(regions, 0, sizeof(regions));
	regions[0].id = 0;
	snprintf(regions[0].provider, sizeof(regions[0].provider), "hmem.0");
	regions[0].start = 0x100000000ull;
	regions[0].size = 1ull << 30;
	regions[0].align = 2ull << 20;
	regions[0].present = true;
	regions[0].age_ns = 3000000000ull;

	s->ts_ns = 100000000000ull;
	s->realtime_ns = 1790000000000000000ull;
	s->ndevs = 2;
	s->devs = devs;
	s->nfaults = 4;
	s->faults = faults;
	s->nmmaps = 2;
	s->mmaps = mmaps;
	s->nprocs = 2;
	s->procs = procs;
	s->nregions = 1;
	s->regions = regions;
	s->lifetimes[TDAX_LIFETIME_REGION].slots[31] = 2;	/* (1.07, 2.1] s */
	s->lifetimes[TDAX_LIFETIME_REGION].sum = 3000000000ull;
	s->counters[TDAX_CTR_EV_FAULT] = 516;
	s->counters[TDAX_CTR_FULL_PROC_STATS] = 3;
	s->map_max[TDAX_CTR_FULL_PROC_STATS] = TDAX_DEFAULT_MAX_PROCS;
	s->map_entries[TDAX_CTR_FULL_PROC_STATS] = 2;
}

static void render(struct expo *e, const struct tdax_snapshot *s)
{
	struct daxcollect_health h;

	memset(&h, 0, sizeof(h));
	h.attached = 1;
	h.mode = TDAX_ATTACH_TP_BTF;
	h.process_metrics = METRICS_PROC_PID;
	h.have_http = 1;
	h.http.ok = 3;
	h.scrapes = 2;
	h.last_scrape_seconds = 0.0015;
	h.start_time = 1790000000;
	expo_init(e);
	metrics_render(e, s, &h);
	assert_int_equal(expo_error(e), 0);
}

static void has(const char *text, const char *line)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "\n%s\n", line);
	if (!strstr(text, buf))
		fail_msg("missing line: %s", line);
}

static void lacks(const char *text, const char *part)
{
	if (strstr(text, part))
		fail_msg("unexpected: %s", part);
}

static void test_series(void **state)
{
	struct tdax_snapshot s;
	struct expo e;

	(void)state;
	build(&s, 1);
	render(&e, &s);
	has(e.buf, "tdax_faults_total{device=\"tdax0.0\",device_instance=\"3\",size=\"4K\",outcome=\"mapped\",reason=\"nohugepage\"} 500");
	has(e.buf, "tdax_faults_total{device=\"tdax0.0\",device_instance=\"3\",size=\"1G\",outcome=\"fallback\",reason=\"larger_than_align\"} 1");
	has(e.buf, "tdax_fault_hits_total{device=\"tdax0.0\",device_instance=\"3\"} 3");
	has(e.buf, "tdax_fault_hits_total{device=\"tdax1.0\",device_instance=\"2\"} 7");
	has(e.buf, "tdax_fault_misses_total{device=\"tdax0.0\",device_instance=\"3\"} 512");
	has(e.buf, "tdax_fault_below_align_total{device=\"tdax0.0\",device_instance=\"3\"} 512");
	has(e.buf, "tdax_mmaps_total{device=\"tdax0.0\",device_instance=\"3\",result=\"ok\",reason=\"ok\"} 4");
	has(e.buf, "tdax_mmaps_total{device=\"tdax0.0\",device_instance=\"3\",result=\"EINVAL\",reason=\"not_shared\"} 2");
	has(e.buf, "tdax_device_info{device=\"tdax0.0\",device_instance=\"3\",region=\"0\",driver=\"tdax_device\",fault_policy=\"fallback\"} 1");
	lacks(e.buf, "tdax_device_info{device=\"tdax1.0\"");
	has(e.buf, "tdax_device_align_bytes{device=\"tdax0.0\",device_instance=\"3\"} 2097152");
	has(e.buf, "tdax_device_created_timestamp_seconds{device=\"tdax0.0\",device_instance=\"3\"} 1789999987.5");
	lacks(e.buf, "age_seconds");
	/* reasons once per fault that ended; byte coverage counters */
	has(e.buf, "tdax_fault_reasons_total{device=\"tdax0.0\",device_instance=\"3\",outcome=\"mapped\",reason=\"nohugepage\"} 500");
	lacks(e.buf, "tdax_fault_reasons_total{device=\"tdax0.0\",device_instance=\"3\",outcome=\"fallback\"");
	has(e.buf, "tdax_faults_ended_total{device=\"tdax0.0\",device_instance=\"3\"} 515");
	has(e.buf, "tdax_fault_mapped_bytes_total{device=\"tdax0.0\",device_instance=\"3\"} 8388608");
	has(e.buf, "tdax_fault_aligned_bytes_total{device=\"tdax0.0\",device_instance=\"3\"} 6291456");
	has(e.buf, "tdax_build_info{version=\"" DAXCOLLECT_VERSION "\",abi=\"instance-ids\"} 1");
	has(e.buf, "tdax_region_info{region=\"0\",provider=\"hmem.0\",start=\"0x100000000\"} 1");
	has(e.buf, "tdax_region_size_bytes{region=\"0\"} 1073741824");
	lacks(e.buf, "tdax_region_created_timestamp_seconds{region=\"0\"}");	/* not known */
	has(e.buf, "tdax_regions 1");
	has(e.buf, "tdax_process_fault_misses_total{pid=\"4242\",comm=\"we\\\"ird\\\\app\",device=\"tdax0.0\",device_instance=\"3\"} 500");
	lacks(e.buf, "pid=\"99\"");
	has(e.buf, "tdax_collector_up 1");
	has(e.buf, "tdax_collector_attach_mode{mode=\"tp_btf\"} 1");
	has(e.buf, "tdax_collector_attach_mode{mode=\"raw_tp\"} 0");
	has(e.buf, "tdax_collector_map_full_total{map=\"proc_stats\"} 3");
	has(e.buf, "tdax_collector_map_max_entries{map=\"proc_stats\"} 8192");
	has(e.buf, "tdax_collector_events_total{event=\"fault\"} 516");
	has(e.buf, "tdax_collector_http_requests_total{code=\"2xx\"} 3");
	has(e.buf, "# TYPE tdax_fault_latency_seconds histogram");
	expo_free(&e);
}

/* tdax_flush_* and tdax_kmem_* series of a pmem device and a system-ram device. */
static void test_flush_kmem(void **state)
{
	struct tdax_snapshot s;
	struct expo e;

	(void)state;
	build(&s, 1);
	devs[0].flush[TDAX_PD_MEMORY_CONTROLLER].flushes = 6;
	devs[0].flush[TDAX_PD_MEMORY_CONTROLLER].bytes = 40960;
	devs[0].flush[TDAX_PD_MEMORY_CONTROLLER].lat.slots[14] = 6;	/* (8192, 16384] ns */
	devs[0].flush[TDAX_PD_MEMORY_CONTROLLER].lat.count = 6;
	devs[0].flush[TDAX_PD_MEMORY_CONTROLLER].lat.sum = 60000;
	devs[0].flush[TDAX_PD_CPU_CACHE].flushes = 3;
	devs[0].flush[TDAX_PD_CPU_CACHE].skipped = 3;
	devs[0].flush[TDAX_PD_CPU_CACHE].bytes = 12288;
	devs[0].flush[TDAX_PD_CPU_CACHE].skipped_bytes = 12288;
	devs[0].kmem.seen = true;
	devs[0].kmem.mode = TDAX_MODE_SYSTEM_RAM;
	devs[0].kmem.node = 1;
	devs[0].kmem.tier = 22;
	devs[0].kmem.zone = TDAX_KZ_MOVABLE;
	devs[0].kmem.block_size = 128 << 20;
	devs[0].kmem.blocks = 4;
	devs[0].kmem.blocks_online = 3;
	devs[0].kmem.online[TDAX_KZ_MOVABLE] = 3;
	devs[0].kmem.bytes = 512 << 20;
	devs[0].kmem.adds = 1;
	devs[0].kmem.removes = 2;
	devs[0].kmem.remove_errors = 1;
	devs[0].kmem.offline_failures[TDAX_KR_PAGES_IN_USE] = 1;
	snprintf(devs[0].mode, sizeof(devs[0].mode), "system-ram");
	render(&e, &s);
	has(e.buf, "tdax_flush_total{device=\"tdax0.0\",device_instance=\"3\",domain=\"memory_controller\"} 6");
	has(e.buf, "tdax_flush_bytes_total{device=\"tdax0.0\",device_instance=\"3\",domain=\"memory_controller\"} 40960");
	has(e.buf, "tdax_flush_skipped_total{device=\"tdax0.0\",device_instance=\"3\",domain=\"cpu_cache\"} 3");
	has(e.buf, "tdax_flush_skipped_bytes_total{device=\"tdax0.0\",device_instance=\"3\",domain=\"cpu_cache\"} 12288");
	has(e.buf, "tdax_flush_latency_seconds_bucket{device=\"tdax0.0\",device_instance=\"3\",domain=\"memory_controller\",le=\"1.6384e-05\"} 6");
	has(e.buf, "tdax_flush_latency_seconds_count{device=\"tdax0.0\",device_instance=\"3\",domain=\"memory_controller\"} 6");
	lacks(e.buf, "tdax_flush_latency_seconds_count{device=\"tdax0.0\",device_instance=\"3\",domain=\"cpu_cache\"}");
	lacks(e.buf, "domain=\"none\"");
	has(e.buf, "tdax_kmem_info{device=\"tdax0.0\",device_instance=\"3\",mode=\"system-ram\",node=\"1\",tier=\"22\",zone=\"movable\"} 1");
	has(e.buf, "tdax_kmem_online_bytes{device=\"tdax0.0\",device_instance=\"3\",node=\"1\",zone=\"movable\"} 402653184");
	has(e.buf, "tdax_kmem_online_bytes{device=\"tdax0.0\",device_instance=\"3\",node=\"1\",zone=\"normal\"} 0");
	has(e.buf, "tdax_kmem_blocks{device=\"tdax0.0\",device_instance=\"3\",state=\"online\"} 3");
	has(e.buf, "tdax_kmem_blocks{device=\"tdax0.0\",device_instance=\"3\",state=\"offline\"} 1");
	has(e.buf, "tdax_kmem_bytes{device=\"tdax0.0\",device_instance=\"3\",node=\"1\"} 536870912");
	has(e.buf, "tdax_kmem_operations_total{device=\"tdax0.0\",device_instance=\"3\",op=\"remove\",result=\"error\"} 1");
	has(e.buf, "tdax_kmem_operations_total{device=\"tdax0.0\",device_instance=\"3\",op=\"remove\",result=\"ok\"} 1");
	has(e.buf, "tdax_kmem_offline_failures_total{device=\"tdax0.0\",device_instance=\"3\",reason=\"pages_in_use\"} 1");
	/* tdax1.0 never saw tdax_kmem and is not system-ram: no kmem series */
	lacks(e.buf, "tdax_kmem_info{device=\"tdax1.0\"");
	expo_free(&e);
}

static void test_histograms(void **state)
{
	struct tdax_snapshot s;
	struct expo e;

	(void)state;
	build(&s, 1);
	render(&e, &s);
	/* slot 2 (4..7 ns) lands in the first bucket, 512 ns */
	has(e.buf, "tdax_fault_latency_seconds_bucket{device=\"tdax0.0\",device_instance=\"3\",size=\"4K\",le=\"5.12e-07\"} 1");
	has(e.buf, "tdax_fault_latency_seconds_bucket{device=\"tdax0.0\",device_instance=\"3\",size=\"4K\",le=\"2.048e-06\"} 1");
	/* slot 11 (2048..4095 ns) in le=4096 ns */
	has(e.buf, "tdax_fault_latency_seconds_bucket{device=\"tdax0.0\",device_instance=\"3\",size=\"4K\",le=\"4.096e-06\"} 6");
	has(e.buf, "tdax_fault_latency_seconds_bucket{device=\"tdax0.0\",device_instance=\"3\",size=\"4K\",le=\"8.192e-06\"} 8");
	has(e.buf, "tdax_fault_latency_seconds_bucket{device=\"tdax0.0\",device_instance=\"3\",size=\"4K\",le=\"1.073741824\"} 8");
	/* slot 40 (~18 min) only in +Inf */
	has(e.buf, "tdax_fault_latency_seconds_bucket{device=\"tdax0.0\",device_instance=\"3\",size=\"4K\",le=\"+Inf\"} 9");
	has(e.buf, "tdax_fault_latency_seconds_count{device=\"tdax0.0\",device_instance=\"3\",size=\"4K\"} 9");
	has(e.buf, "tdax_fault_latency_seconds_sum{device=\"tdax0.0\",device_instance=\"3\",size=\"4K\"} 2");
	has(e.buf, "tdax_fault_latency_seconds_count{device=\"tdax0.0\",device_instance=\"3\",size=\"2M\"} 0");
	lacks(e.buf, "size=\"other\"");
	/* region lifetimes: slot 30 (1.07..2.1 s) */
	has(e.buf, "tdax_region_lifetime_seconds_bucket{le=\"1.073741824\"} 0");
	has(e.buf, "tdax_region_lifetime_seconds_bucket{le=\"2.147483648\"} 2");
	has(e.buf, "tdax_region_lifetime_seconds_count 2");
	has(e.buf, "tdax_region_lifetime_seconds_sum 3");
	expo_free(&e);
}

static void test_promtool(void **state)
{
	struct tdax_snapshot s;
	struct expo e;
	char out[4096] = "";
	FILE *p;
	size_t n;
	int rc;

	(void)state;
	build(&s, 1);
	render(&e, &s);
	p = popen("promtool check metrics >/tmp/daxcollect-promtool.out 2>&1", "w");
	assert_non_null(p);
	fwrite(e.buf, 1, e.len, p);
	rc = pclose(p);
	assert_true(WIFEXITED(rc));
	assert_int_equal(WEXITSTATUS(rc), 0);
	p = fopen("/tmp/daxcollect-promtool.out", "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	fclose(p);
	remove("/tmp/daxcollect-promtool.out");
	/* promtool prints nothing when the exposition is clean */
	if (n)
		fail_msg("promtool check metrics: %s", out);
	expo_free(&e);
}

struct seen {
	int n;
	char reason[32];
	char device[32];
};

static void note(const struct alert_event *ev, void *ctx)
{
	struct seen *s = ctx;

	s->n++;
	snprintf(s->reason, sizeof(s->reason), "%s", ev->reason);
	snprintf(s->device, sizeof(s->device), "%s", ev->key->device);
}

static void test_alert_feed(void **state)
{
	static const char text[] =
		"rules:\n- {name: Fb, measure: fallback_rate, threshold: 100, window: 10s}\n"
		"- {name: P, measure: miss_rate, scope: process, threshold: 100, window: 10s}\n";
	struct rule_set rs;
	struct alert_engine *eng;
	struct tdax_snapshot s;
	struct seen seen = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(rules_load_buffer(text, strlen(text), "t", &rs, err, sizeof(err)), 0);
	eng = alert_engine_new(&rs, note, &seen);
	build(&s, 1);
	metrics_feed_alerts(eng, &s, 0);
	assert_int_equal(seen.n, 0);
	build(&s, 2);	/* +512 fallbacks (500 nohugepage) in 1 s */
	metrics_feed_alerts(eng, &s, 1);
	assert_int_equal(seen.n, 2);
	assert_int_equal(alert_engine_firing(eng, 0), 1);
	assert_int_equal(alert_engine_firing(eng, 1), 1);
	alert_engine_resolve_all(eng);
	alert_engine_free(eng);
	rules_free(&rs);
}

static void test_feed_reason(void **state)
{
	static const char text[] =
		"rules:\n- {name: Fb, measure: fallback_rate, threshold: 100, window: 10s}\n";
	struct rule_set rs;
	struct alert_engine *eng;
	struct tdax_snapshot s;
	struct seen seen = { 0 };
	char err[256];

	(void)state;
	assert_int_equal(rules_load_buffer(text, strlen(text), "t", &rs, err, sizeof(err)), 0);
	eng = alert_engine_new(&rs, note, &seen);
	build(&s, 1);
	metrics_feed_alerts(eng, &s, 0);
	build(&s, 3);
	metrics_feed_alerts(eng, &s, 2);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.reason, "nohugepage");
	assert_string_equal(seen.device, "tdax0.0");
	alert_engine_free(eng);
	rules_free(&rs);
}

/*
 * A device present before daxcollect saw any record of it has no instance
 * id yet (0) and zero counts; its first faults name it.  The alert history
 * must go on across that (else the first workload is never a rate).
 */
static void test_feed_unnamed_device(void **state)
{
	static const char text[] =
		"rules:\n- {name: Fb, measure: fallback_rate, threshold: 100, window: 10s}\n";
	struct rule_set rs;
	struct alert_engine *eng;
	struct tdax_snapshot s;
	struct seen seen = { 0 };
	char err[256];
	__u64 inst;

	(void)state;
	assert_int_equal(rules_load_buffer(text, strlen(text), "t", &rs, err, sizeof(err)), 0);
	eng = alert_engine_new(&rs, note, &seen);
	build(&s, 1);
	inst = devs[0].instance;
	devs[0].instance = 0;			/* present, never named by a record */
	memset(&devs[0].g, 0, sizeof(devs[0].g));
	s.nfaults = 0;
	metrics_feed_alerts(eng, &s, 0);
	build(&s, 1);				/* named now: 512 fallbacks in 1 s */
	assert_int_equal(devs[0].instance, inst);
	metrics_feed_alerts(eng, &s, 1);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.device, "tdax0.0");
	assert_string_equal(seen.reason, "nohugepage");
	alert_engine_resolve_all(eng);
	alert_engine_free(eng);
	rules_free(&rs);
}

/*
 * A stock-kernel snapshot (in-tree device_dax): dax1.0 (2M) got faults on a
 * mapping whose file offset is not 2M-aligned, mapped at 2M (hits, reason
 * offset_misaligned: the wrong memory); dax0.0 only good hits.  The default
 * rules (alerts.example.yaml) fire TdaxWrongMemory, critical, for dax1.0 and
 * its instance, and for nothing else; without misaligned faults, never.
 */
struct wm {
	int n, firing;
	char device[32], reason[32], severity[16];
	unsigned long long instance;
};

static void note_wm(const struct alert_event *ev, void *ctx)
{
	struct wm *w = ctx;

	if (strcmp(ev->rule->name, "TdaxWrongMemory"))
		return;
	w->n++;
	w->firing = ev->firing;
	snprintf(w->device, sizeof(w->device), "%s", ev->key->device);
	snprintf(w->reason, sizeof(w->reason), "%s", ev->reason);
	snprintf(w->severity, sizeof(w->severity), "%s", ev->rule->severity);
	w->instance = (unsigned long long)ev->key->instance;
}

#define STOCK_INST(n)	((1ull << 62) | (n))

static void build_stock(struct tdax_snapshot *s, uint64_t good, uint64_t misaligned)
{
	int i;

	memset(s, 0, sizeof(*s));
	memset(devs, 0, sizeof(devs));
	for (i = 0; i < 2; i++) {
		snprintf(devs[i].name, sizeof(devs[i].name), "dax%d.0", i);
		devs[i].dev = TDAX_KDEV(251, i);
		devs[i].instance = STOCK_INST(i + 1);
		devs[i].region_id = i;
		devs[i].size = 1ull << 30;
		devs[i].align = 2ull << 20;
		snprintf(devs[i].driver, sizeof(devs[i].driver), "device_dax");
		devs[i].present = true;
		devs[i].g.hits = good;
		devs[i].g.bytes_mapped = good << 21;
		devs[i].g.bytes_aligned = good << 21;
	}
	/* the misaligned faults are hits: mapped at the alignment */
	devs[1].g.hits += misaligned;
	devs[1].g.bytes_mapped += misaligned << 21;
	devs[1].g.bytes_aligned += misaligned << 21;
	faults[0] = (struct tdax_snap_fault){ STOCK_INST(1), devs[0].dev, TDAX_SZ_2M,
					      TDAX_FO_MAPPED, TDAX_FR_OK, good };
	faults[1] = (struct tdax_snap_fault){ STOCK_INST(2), devs[1].dev, TDAX_SZ_2M,
					      TDAX_FO_MAPPED, TDAX_FR_OK, good };
	faults[2] = (struct tdax_snap_fault){ STOCK_INST(2), devs[1].dev, TDAX_SZ_2M,
					      TDAX_FO_MAPPED, TDAX_FR_OFFSET_MISALIGNED, misaligned };
	s->ts_ns = 100000000000ull;
	s->ndevs = 2;
	s->devs = devs;
	s->nfaults = misaligned ? 3 : 2;
	s->faults = faults;
}

static void test_feed_wrong_memory(void **state)
{
	struct rule_set rs;
	struct alert_engine *eng;
	struct tdax_snapshot s;
	struct wm wm = { 0 };
	char err[512];
	size_t i, wi = 0;

	(void)state;
	assert_int_equal(rules_load_file(EXAMPLE_RULES, &rs, err, sizeof(err)), 0);
	for (i = 0; i < rs.n; i++)
		if (!strcmp(rs.rules[i].name, "TdaxWrongMemory"))
			wi = i + 1;
	assert_true(wi > 0);
	wi--;

	/* only good 2M hits, growing: quiet */
	eng = alert_engine_new(&rs, note_wm, &wm);
	build_stock(&s, 10, 0);
	metrics_feed_alerts(eng, &s, 0);
	build_stock(&s, 40, 0);
	metrics_feed_alerts(eng, &s, 5);
	build_stock(&s, 90, 0);
	metrics_feed_alerts(eng, &s, 10);
	assert_int_equal(wm.n, 0);
	assert_int_equal(alert_engine_firing(eng, wi), 0);
	alert_engine_free(eng);

	/* the same, plus 2 misaligned faults on dax1.0 in the second round */
	memset(&wm, 0, sizeof(wm));
	eng = alert_engine_new(&rs, note_wm, &wm);
	build_stock(&s, 10, 0);
	metrics_feed_alerts(eng, &s, 0);
	build_stock(&s, 40, 2);
	metrics_feed_alerts(eng, &s, 5);
	assert_int_equal(wm.n, 1);
	assert_int_equal(wm.firing, 1);
	assert_string_equal(wm.device, "dax1.0");
	assert_true(wm.instance == STOCK_INST(2));
	assert_string_equal(wm.reason, "offset_misaligned");
	assert_string_equal(wm.severity, "critical");
	assert_int_equal(alert_engine_firing(eng, wi), 1);
	/* still within the 5 m window: firing, not repeated */
	build_stock(&s, 90, 2);
	metrics_feed_alerts(eng, &s, 60);
	assert_int_equal(wm.n, 1);
	/* the window no longer holds them: resolved once */
	build_stock(&s, 120, 2);
	metrics_feed_alerts(eng, &s, 400);
	assert_int_equal(wm.n, 2);
	assert_int_equal(wm.firing, 0);
	assert_string_equal(wm.device, "dax1.0");
	assert_int_equal(alert_engine_firing(eng, wi), 0);
	alert_engine_free(eng);

	/*
	 * A device that appears between two rounds with its misaligned faults
	 * already counted (created, mapped and faulted within one interval):
	 * a new instance counts from zero, so it fires all the same.
	 */
	memset(&wm, 0, sizeof(wm));
	eng = alert_engine_new(&rs, note_wm, &wm);
	build_stock(&s, 10, 0);
	s.ndevs = 1;			/* dax1.0 not there yet */
	s.nfaults = 1;
	metrics_feed_alerts(eng, &s, 0);
	build_stock(&s, 10, 2);		/* dax1.0 new: 12 hits, 2 of them wrong */
	metrics_feed_alerts(eng, &s, 5);
	assert_int_equal(wm.n, 1);
	assert_int_equal(wm.firing, 1);
	assert_string_equal(wm.device, "dax1.0");
	assert_string_equal(wm.reason, "offset_misaligned");
	alert_engine_free(eng);
	rules_free(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_series),
		cmocka_unit_test(test_histograms),
		cmocka_unit_test(test_flush_kmem),
		cmocka_unit_test(test_promtool),
		cmocka_unit_test(test_alert_feed),
		cmocka_unit_test(test_feed_reason),
		cmocka_unit_test(test_feed_unnamed_device),
		cmocka_unit_test(test_feed_wrong_memory),
	};

	return cmocka_run_group_tests_name("daxcollect metrics", tests, NULL, NULL);
}
