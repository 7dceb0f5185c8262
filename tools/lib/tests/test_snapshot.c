// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_snapshot.c - tdax_collector_snapshot() on fake BPF maps (no BPF, no
 * root): the libbpf calls the snapshot makes are defined here (the
 * executable's definitions win over libbpf's) over in-memory hash maps that
 * answer batch reads bucket by bucket as the kernel's htab does (whole
 * buckets, -ENOSPC when the first does not fit, -ENOENT at the end).  The
 * sysfs is a fake tree (fakesys.h), processes are real children.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collector_int.h"
#include "tdax_collect.skel.h"
#include "fakesys.h"

#define NCPUS 2
#define DEV0 TDAX_KDEV(246, 0)

/* ---- fake maps ---------------------------------------------------------- */

struct fmap {
	const char *name;
	int fd;
	__u32 ksz, vsz, max, nb;	/* nb: buckets, a power of two */
	bool percpu, array;
	size_t n;
	char *keys, *vals;		/* n entries; vals of vstride() bytes */
};

enum { M_FC, M_PROC, M_MM, M_LR, M_LD, M_LT, M_ST, M_FL, M_KM, M_NR };
static struct fmap maps[M_NR];
static unsigned long batch_calls, key_calls;
static bool batch_off;

static size_t vstride(const struct fmap *m)
{
	return m->percpu ? ((m->vsz + 7) & ~7u) * NCPUS : m->vsz;
}

static struct fmap *by_fd(int fd)
{
	return fd >= 1000 && fd < 1000 + M_NR ? &maps[fd - 1000] : NULL;
}

static __u32 bucket(const struct fmap *m, const void *key)
{
	const unsigned char *k = key;
	__u32 h = 2166136261u, i;

	for (i = 0; i < m->ksz; i++)
		h = (h ^ k[i]) * 16777619u;
	return h & (m->nb - 1);
}

static void fmap_init(int i, const char *name, __u32 ksz, __u32 vsz, __u32 max, bool percpu,
		      bool array)
{
	struct fmap *m = &maps[i];

	free(m->keys);
	free(m->vals);
	*m = (struct fmap){ name, 1000 + i, ksz, vsz, max, 1, percpu, array, 0, NULL, NULL };
	while (m->nb < max)
		m->nb <<= 1;
	m->keys = calloc(max, ksz);
	m->vals = calloc(max, vstride(m));
}

static long find(const struct fmap *m, const void *key)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (!memcmp(m->keys + i * m->ksz, key, m->ksz))
			return (long)i;
	return -1;
}

/* Put (or replace) key with value (the same value on every CPU, CPU 0 only if cpu0). */
static void fput(int mi, const void *key, const void *val)
{
	struct fmap *m = &maps[mi];
	long i = find(m, key);
	int cpu;

	if (i < 0) {
		assert_true(m->n < m->max);
		i = (long)m->n++;
		memcpy(m->keys + i * m->ksz, key, m->ksz);
	}
	memset(m->vals + i * vstride(m), 0, vstride(m));
	for (cpu = 0; cpu < (m->percpu ? NCPUS : 1); cpu++)
		memcpy(m->vals + i * vstride(m) + cpu * ((m->vsz + 7) & ~7u), val, m->vsz);
}

static bool fhas(int mi, const void *key)
{
	return find(&maps[mi], key) >= 0;
}

int bpf_map__fd(const struct bpf_map *map)
{
	return ((const struct fmap *)map)->fd;
}

__u32 bpf_map__max_entries(const struct bpf_map *map)
{
	return ((const struct fmap *)map)->max;
}

__u32 bpf_map__key_size(const struct bpf_map *map)
{
	return ((const struct fmap *)map)->ksz;
}

__u32 bpf_map__value_size(const struct bpf_map *map)
{
	return ((const struct fmap *)map)->vsz;
}

int bpf_program__fd(const struct bpf_program *prog)
{
	return -1;
}

int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
			 __u32 *count, const struct bpf_map_batch_opts *opts)
{
	struct fmap *m = by_fd(fd);
	__u32 b = in_batch ? *(__u32 *)in_batch : 0, max = *count, total = 0;
	size_t i;

	batch_calls++;
	if (!m || batch_off || m->array) {
		errno = EINVAL;
		return -EINVAL;
	}
	*count = 0;
	if (b >= m->nb) {
		errno = ENOENT;
		return -ENOENT;
	}
	for (; b < m->nb; b++) {
		__u32 cnt = 0;

		for (i = 0; i < m->n; i++)
			cnt += bucket(m, m->keys + i * m->ksz) == b;
		if (cnt > max - total) {
			*(__u32 *)out_batch = b;
			*count = total;
			if (!total) {
				errno = ENOSPC;
				return -ENOSPC;
			}
			return 0;
		}
		for (i = 0; i < m->n; i++) {
			if (bucket(m, m->keys + i * m->ksz) != b)
				continue;
			memcpy((char *)keys + total * m->ksz, m->keys + i * m->ksz, m->ksz);
			memcpy((char *)values + total * vstride(m), m->vals + i * vstride(m),
			       vstride(m));
			total++;
		}
	}
	*(__u32 *)out_batch = b;
	*count = total;
	errno = ENOENT;
	return -ENOENT;
}

/* Keys in bucket order, as the kernel walks them; a key gone: from the start. */
int bpf_map_get_next_key(int fd, const void *key, void *next_key)
{
	struct fmap *m = by_fd(fd);
	__u32 b0 = 0;
	long cur = key ? find(m, key) : -1;
	bool past = cur < 0;
	__u32 b;
	size_t i;

	key_calls++;
	if (cur >= 0)
		b0 = bucket(m, key);
	for (b = b0; b < m->nb; b++)
		for (i = 0; i < m->n; i++) {
			if (bucket(m, m->keys + i * m->ksz) != b)
				continue;
			if (!past) {
				if ((long)i == cur)
					past = true;
				continue;
			}
			memcpy(next_key, m->keys + i * m->ksz, m->ksz);
			return 0;
		}
	errno = ENOENT;
	return -ENOENT;
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	struct fmap *m = by_fd(fd);
	long i;

	key_calls++;
	if (!m || m->array || (i = find(m, key)) < 0) {
		errno = ENOENT;
		return -ENOENT;
	}
	memcpy(value, m->vals + i * vstride(m), vstride(m));
	return 0;
}

int bpf_map_delete_elem(int fd, const void *key)
{
	struct fmap *m = by_fd(fd);
	long i;

	if (!m || (i = find(m, key)) < 0) {
		errno = ENOENT;
		return -ENOENT;
	}
	m->n--;
	memmove(m->keys + i * m->ksz, m->keys + (i + 1) * m->ksz, (m->n - i) * m->ksz);
	memmove(m->vals + i * vstride(m), m->vals + (i + 1) * vstride(m),
		(m->n - i) * vstride(m));
	return 0;
}

/* ---- the collector over them ------------------------------------------------ */

static struct tdax_collector *coll;
static struct tdax_collect skel;

static void fake_setup(__u32 max_procs)
{
	fmap_init(M_FC, "fault_counts", sizeof(struct tdax_fault_key), sizeof(struct tdax_fault_val),
		  TDAX_MAX_FAULT_KEYS, true, false);
	fmap_init(M_PROC, "proc_stats", sizeof(struct tdax_proc_key), sizeof(struct tdax_proc_val),
		  max_procs, false, false);
	fmap_init(M_MM, "mmap_counts", sizeof(struct tdax_mmap_key), sizeof(struct tdax_count),
		  TDAX_MAX_MMAP_KEYS, true, false);
	fmap_init(M_LR, "live_regions", 8, sizeof(struct tdax_live_region), TDAX_MAX_REGIONS,
		  false, false);
	fmap_init(M_LD, "live_devs", 8, sizeof(struct tdax_live_dev), TDAX_MAX_DEVS, false, false);
	fmap_init(M_LT, "lifetimes", 4, sizeof(struct tdax_hist), TDAX_LT_NR, true, true);
	fmap_init(M_ST, "stats", 4, 8, TDAX_STAT_NR, true, true);
	fmap_init(M_FL, "flush_stats", sizeof(struct tdax_flush_key), sizeof(struct tdax_flush_val),
		  TDAX_MAX_FLUSH_KEYS, true, false);
	fmap_init(M_KM, "kmem_stats", sizeof(struct tdax_kmem_key), sizeof(struct tdax_kmem_val),
		  TDAX_MAX_KMEM_KEYS, false, false);
	memset(&skel, 0, sizeof(skel));
#define M(f, i) skel.maps.f = (struct bpf_map *)&maps[i]
	M(fault_counts, M_FC); M(proc_stats, M_PROC);
	M(mmap_counts, M_MM); M(live_regions, M_LR); M(live_devs, M_LD); M(lifetimes, M_LT);
	M(stats, M_ST); M(flush_stats, M_FL); M(kmem_stats, M_KM);
#undef M
	coll = calloc(1, sizeof(*coll));
	assert_non_null(coll);
	snprintf(coll->root, sizeof(coll->root), "%s", root);
	coll->opts.sysfs_root = coll->root;
	coll->skel = &skel;
	coll->attached = true;
	coll->loaded_mode = TDAX_ATTACH_RAW_TP;
	coll->want = TDAX_SOURCE_TDAX;
	coll->ncpus = NCPUS;
	coll->clk_tck = sysconf(_SC_CLK_TCK);
	coll->procs = tdax_procs_new("/proc", coll->clk_tck, true);
	assert_non_null(coll->procs);
	batch_off = false;
}

static void fake_teardown(void)
{
	int i;

	tdax_procs_free(coll->procs);
	tdax_sysfs_free(&coll->sysfs);
	tdax_snapshot_free(&coll->archive);
	free(coll->seen);
	free(coll);
	coll = NULL;
	for (i = 0; i < M_NR; i++) {
		free(maps[i].keys);
		free(maps[i].vals);
		memset(&maps[i], 0, sizeof(maps[i]));
	}
}

static void sys_dev(int n, bool present)
{
	char rel[128], val[128];

	snprintf(rel, sizeof(rel), "bus/tdax/devices/tdax0.%d", n);
	if (!present) {
		char p[512];

		snprintf(p, sizeof(p), "%s/%s", root, rel);
		unlink(p);
		return;
	}
#define A(a, v) do { snprintf(val, sizeof(val), "devices/platform/hmem.0/tdax0.%d/" a, n); \
		     put(val, v); } while (0)
	snprintf(rel, sizeof(rel), "246:%d\n", n);
	A("dev", rel);
	A("size", "16777216\n");
	A("align", "2097152\n");
	A("resource", "0x100000000\n");
	A("fault_policy", "strict\n");
#undef A
	snprintf(rel, sizeof(rel), "devices/platform/hmem.0/tdax0.%d/driver", n);
	snprintf(val, sizeof(val), "%s/%s", root, rel);
	if (access(val, F_OK))
		link_to("../../../../bus/tdax/drivers/tdax_device", rel);
	snprintf(rel, sizeof(rel), "bus/tdax/devices/tdax0.%d", n);
	snprintf(val, sizeof(val), "../../../devices/platform/hmem.0/tdax0.%d", n);
	link_to(val, rel);
}

static unsigned int seq = 1;

static void uevent(void)
{
	char v[32];

	snprintf(v, sizeof(v), "%u\n", ++seq);
	put("kernel/uevent_seqnum", v);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/tdax-snap-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	put("devices/platform/hmem.0/tdax_region/id", "0\n");
	put("devices/platform/hmem.0/tdax_region/size", "1073741824\n");
	put("devices/platform/hmem.0/tdax_region/align", "2097152\n");
	put("devices/platform/hmem.0/tdax_region/available_size", "0\n");
	put("bus/tdax/drivers/tdax_device/bind", "");
	put("bus/tdax/devices/.keep", "");
	uevent();
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

/* A device instance with a create record and one fault, as the BPF side leaves it. */
static void bpf_dev(__u64 inst, int n)
{
	struct tdax_live_dev ld = { .instance = inst, .create_ns = 1, .size = 16 << 20,
				    .align = 2 << 20, .dev = TDAX_KDEV(246, n), .bound = 1 };
	/* a 2M fault mapped at 2M on a 2M device: a hit */
	struct tdax_fault_key fk = { .instance = inst, .dev = TDAX_KDEV(246, n),
				     .size_idx = TDAX_SZ_2M, .outcome = TDAX_FO_MAPPED,
				     .reason = TDAX_FR_OK, .align_log2 = 21 };
	struct tdax_fault_val fv = { .lat = { .count = 1, .sum = 1000 } };

	fv.lat.slots[10] = 1;
	snprintf(ld.name, sizeof(ld.name), "tdax0.%d", n);
	fput(M_LD, &inst, &ld);
	fput(M_FC, &fk, &fv);
}

static __u64 start_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	assert_non_null(p);
	assert_int_equal(sscanf(p + 1, "%llu", &ticks), 1);
	return ticks * (1000000000ULL / sysconf(_SC_CLK_TCK)) + 77;
}

static pid_t spawn(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		for (;;)
			pause();
	}
	return pid;
}

static void bpf_proc(__u64 inst, __u32 pid, __u64 start, __u64 hits)
{
	struct tdax_proc_key k = { .instance = inst, .start_ns = start, .tgid = pid };
	struct tdax_proc_val v = { .g = { .dev = DEV0, .hits = hits } };

	snprintf(v.comm, sizeof(v.comm), "p%u", pid);
	fput(M_PROC, &k, &v);
}

static const struct tdax_snap_proc *proc_row(const struct tdax_snapshot *s, __u32 pid,
					     __u64 start, __u64 inst)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++)
		if (!s->procs[i].exited && s->procs[i].pid == pid && s->procs[i].start_ns == start &&
		    s->procs[i].instance == inst)
			return &s->procs[i];
	return NULL;
}

static const struct tdax_snap_proc *exited_row(const struct tdax_snapshot *s, __u64 inst)
{
	size_t i;

	for (i = 0; i < s->nprocs; i++)
		if (s->procs[i].exited && s->procs[i].instance == inst)
			return &s->procs[i];
	return NULL;
}

static void snap(struct tdax_snapshot *s)
{
	int err = tdax_collector_snapshot(coll, s);

	if (err)
		fail_msg("snapshot: %d %s", err, tdax_collector_errmsg(coll));
}

/*
 * Process rows: reported alive while the process runs; the snapshot that
 * finds it exited reports it once (alive false), the next ones have its
 * counts in the device's "exited" row and its key deleted.  A reused pid
 * (same pid, another start) is another row.
 */
static void test_proc_rows(void **state)
{
	struct tdax_snapshot s = {};
	pid_t a = spawn(), b = spawn();
	__u64 sa = start_of(a), sb = start_of(b);
	struct tdax_proc_key kb = { .instance = 7, .start_ns = sb, .tgid = b };
	int status;

	(void)state;
	fake_setup(TDAX_MAX_PROCS);
	sys_dev(0, true);
	bpf_dev(7, 0);
	bpf_proc(7, a, sa, 3);
	bpf_proc(7, b, sb, 5);
	bpf_proc(7, a, sa + 100 * 1000000000ULL, 1);	/* an earlier process under a's pid */
	snap(&s);
	assert_int_equal(s.ndevs, 1);
	assert_true(s.devs[0].present);
	assert_string_equal(s.devs[0].name, "tdax0.0");
	assert_true(proc_row(&s, a, sa, 7)->alive);
	assert_true(proc_row(&s, b, sb, 7)->alive);
	assert_false(proc_row(&s, a, sa + 100 * 1000000000ULL, 7)->alive);
	snap(&s);
	assert_null(proc_row(&s, a, sa + 100 * 1000000000ULL, 7));
	assert_int_equal(exited_row(&s, 7)->g.hits, 1);
	assert_true(proc_row(&s, a, sa, 7)->alive);

	kill(b, SIGKILL);
	assert_int_equal(waitpid(b, &status, 0), b);
	snap(&s);
	assert_false(proc_row(&s, b, sb, 7)->alive);	/* reported once */
	assert_int_equal(proc_row(&s, b, sb, 7)->g.hits, 5);
	assert_false(fhas(M_PROC, &kb));
	snap(&s);
	assert_null(proc_row(&s, b, sb, 7));
	assert_int_equal(exited_row(&s, 7)->g.hits, 6);
	assert_true(proc_row(&s, a, sa, 7)->alive);
	assert_int_equal(s.nprocs, 2);
	tdax_snapshot_free(&s);
	kill(a, SIGKILL);
	waitpid(a, &status, 0);
	fake_teardown();
}

/* Put a fault_counts row with count n (on each CPU) and latency lat ns each. */
static void fault_put(__u64 inst, __u8 si, __u8 outcome, __u8 reason, __u8 align_log2,
		      __u64 n, __u64 lat)
{
	struct tdax_fault_key fk = { .instance = inst, .dev = TDAX_KDEV(246, 0), .size_idx = si,
				     .outcome = outcome, .reason = reason,
				     .align_log2 = align_log2 };
	struct tdax_fault_val fv = { .lat = { .count = n, .sum = n * lat },
				     .region_instance = 77, .region_id = 3 };

	fv.lat.slots[lat > 1 ? 64 - __builtin_clzll(lat - 1) : 0] = n;
	fput(M_FC, &fk, &fv);
}

/*
 * The granularity of a device is derived from its fault_counts rows with
 * the definitions the BPF program applies to the process rows: hits at
 * the device align, misses below it or in SIGBUS, bytes by size; rows
 * that differ only by the align (a rebind) are one fault row; the fault
 * event count is the sum of the rows.
 */
static void test_fault_rows(void **state)
{
	const __u64 M2 = 2ULL << 20, K4 = 4096;
	struct tdax_snapshot s = {};
	const struct tdax_snap_dev *d;
	__u64 n4k = 0;
	size_t i;

	(void)state;
	fake_setup(TDAX_MAX_PROCS);
	sys_dev(0, true);
	bpf_dev(20, 0);		/* one 2M hit per CPU */
	fault_put(20, TDAX_SZ_2M, TDAX_FO_FALLBACK, TDAX_FR_PGOFF_MISALIGNED, 21, 2, 3000);
	fault_put(20, TDAX_SZ_4K, TDAX_FO_MAPPED, TDAX_FR_PGOFF_MISALIGNED, 21, 512, 700);
	fault_put(20, TDAX_SZ_4K, TDAX_FO_MAPPED, TDAX_FR_PGOFF_MISALIGNED, 12, 5, 700);
	fault_put(20, TDAX_SZ_4K, TDAX_FO_SIGBUS, TDAX_FR_BEYOND_DEVICE, 21, 1, 900);
	fault_put(20, TDAX_SZ_NR, TDAX_FO_MAPPED, TDAX_FR_OK, 21, 4, 100);
	snap(&s);
	d = tdax_snapshot_dev_instance(&s, 20);
	assert_non_null(d);
	assert_int_equal(d->g.attempts[TDAX_SZ_2M], 3 * NCPUS);
	assert_int_equal(d->g.fallback[TDAX_SZ_2M], 2 * NCPUS);
	assert_int_equal(d->g.mapped[TDAX_SZ_2M], NCPUS);
	assert_int_equal(d->g.attempts[TDAX_SZ_4K], 518 * NCPUS);
	assert_int_equal(d->g.mapped[TDAX_SZ_4K], 517 * NCPUS);
	assert_int_equal(d->g.sigbus[TDAX_SZ_4K], NCPUS);
	assert_int_equal(d->g.other, 4 * NCPUS);	/* unknown size */
	assert_int_equal(d->g.hits, (1 + 5) * NCPUS);	/* the 4K ones at align 4K too */
	assert_int_equal(d->g.misses, (512 + 1) * NCPUS);
	assert_int_equal(d->g.below_align, 512 * NCPUS);
	assert_int_equal(d->g.bytes_mapped, (M2 + 517 * K4) * NCPUS);
	assert_int_equal(d->g.bytes_aligned, (M2 + 5 * K4) * NCPUS);
	assert_int_equal(d->g.lat_sum_ns, (1000 + 2 * 3000 + 517 * 700 + 900 + 4 * 100) * NCPUS);
	assert_int_equal(d->lat[TDAX_SZ_4K].count, 518 * NCPUS);
	assert_int_equal(d->lat[TDAX_SZ_4K].slots[10], 518 * NCPUS);	/* 700 and 900 ns: le 1024 */
	assert_int_equal(d->lat[TDAX_SZ_NR].count, 4 * NCPUS);
	assert_int_equal(d->region_instance, 77);
	/* the two 4K mapped rows (align 2M and 4K) are one fault row */
	for (i = 0; i < s.nfaults; i++)
		if (s.faults[i].instance == 20 && s.faults[i].size_idx == TDAX_SZ_4K &&
		    s.faults[i].outcome == TDAX_FO_MAPPED) {
			assert_int_equal(s.faults[i].reason, TDAX_FR_PGOFF_MISALIGNED);
			n4k += s.faults[i].count;
			assert_int_equal(s.faults[i].count, 517 * NCPUS);
		}
	assert_int_equal(n4k, 517 * NCPUS);
	assert_int_equal(s.nfaults, 5);
	assert_int_equal(s.counters[TDAX_CTR_EV_FAULT], (1 + 2 + 517 + 1 + 4) * NCPUS);
	tdax_snapshot_free(&s);
	fake_teardown();
}

/*
 * A device that left sysfs is reported once as retired (with its process
 * rows folded), then kept from the archive; a device re-created under the
 * same name (a new instance) is a fresh row.
 */
static void test_dev_retired(void **state)
{
	struct tdax_snapshot s = {};
	pid_t a = spawn();
	__u64 sa = start_of(a), inst = 9;
	int status, n;
	size_t i;

	(void)state;
	fake_setup(TDAX_MAX_PROCS);
	sys_dev(0, true);
	bpf_dev(9, 0);
	bpf_proc(9, a, sa, 2);
	snap(&s);
	assert_int_equal(s.ndevs, 1);
	assert_true(s.devs[0].present);
	/* destroyed: gone from sysfs (a uevent) */
	sys_dev(0, false);
	uevent();
	snap(&s);
	assert_int_equal(s.ndevs, 1);
	assert_false(s.devs[0].present);
	assert_true(s.devs[0].retired);
	assert_int_equal(s.devs[0].g.hits, NCPUS);	/* one hit on each CPU */
	assert_int_equal(s.devs[0].g.bytes_aligned, NCPUS * (2ULL << 20));
	assert_int_equal(s.devs[0].lat[TDAX_SZ_2M].count, NCPUS);
	assert_int_equal(s.counters[TDAX_CTR_EV_FAULT], NCPUS);
	assert_int_equal(maps[M_FC].n, 0);	/* its fault rows deleted */
	assert_false(fhas(M_LD, &inst));
	assert_int_equal(maps[M_PROC].n, 0);	/* its processes folded */
	/* re-created under the same name and dev_t: instance 10 */
	sys_dev(0, true);
	uevent();
	bpf_dev(10, 0);
	snap(&s);
	assert_int_equal(s.ndevs, 2);
	for (i = n = 0; i < s.ndevs; i++) {
		if (s.devs[i].instance == 9) {
			assert_true(s.devs[i].retired);
			assert_false(s.devs[i].present);
			n++;
		} else {
			assert_int_equal(s.devs[i].instance, 10);
			assert_true(s.devs[i].present);
			assert_false(s.devs[i].retired);
			assert_string_equal(s.devs[i].name, "tdax0.0");
			n += 2;
		}
	}
	assert_int_equal(n, 3);
	assert_non_null(exited_row(&s, 9));
	assert_int_equal(exited_row(&s, 9)->g.hits, 2);
	tdax_snapshot_free(&s);
	kill(a, SIGKILL);
	waitpid(a, &status, 0);
	fake_teardown();
}

/*
 * Many idle processes on many devices: every snapshot has every row, the
 * same rows, read in a bounded number of batch calls (no per-key calls);
 * without batch operations, the same rows key by key.
 */
static void many(bool batch)
{
	enum { NPROC = 1200, NDEV = 16 };
	struct tdax_snapshot s = {}, p = {};
	static pid_t pid[NPROC];
	static __u64 st[NPROC];
	unsigned long b0, k0;
	int i, r, status;

	fake_setup(2 * NPROC);
	batch_off = !batch;
	for (i = 0; i < NDEV; i++) {
		sys_dev(i, true);
		bpf_dev(100 + i, i);
	}
	uevent();
	for (i = 0; i < NPROC; i++) {
		pid[i] = spawn();
		st[i] = start_of(pid[i]);
		bpf_proc(100 + i % NDEV, pid[i], st[i], 1);
	}
	snap(&p);
	assert_int_equal(p.ndevs, NDEV);
	assert_int_equal(p.nprocs, NPROC);
	for (r = 0; r < 3; r++) {
		b0 = batch_calls;
		k0 = key_calls;
		snap(&s);
		assert_int_equal(s.nprocs, NPROC);
		assert_int_equal(s.ndevs, NDEV);
		for (i = 0; i < NPROC; i++) {
			assert_memory_equal(&s.procs[i], &p.procs[i], sizeof(s.procs[i]));
			assert_true(s.procs[i].alive);
		}
		if (batch) {
			/* one call per map (a few more where a bucket did not fit) */
			if (batch_calls - b0 > 40)
				fail_msg("%lu batch calls for one snapshot", batch_calls - b0);
			/* per key only the fixed arrays (lifetimes, stats) */
			assert_int_equal(key_calls - k0, TDAX_LT_NR + TDAX_STAT_NR);
		} else {
			assert_true(key_calls - k0 >= 2 * NPROC);
		}
	}
	assert_int_equal(tdax_procs_stats(coll->procs).pidfds, NPROC);
	tdax_snapshot_free(&s);
	tdax_snapshot_free(&p);
	for (i = 0; i < NPROC; i++)
		kill(pid[i], SIGKILL);
	for (i = 0; i < NPROC; i++)
		waitpid(pid[i], &status, 0);
	fake_teardown();
}

static void test_many_batch(void **state)
{
	(void)state;
	many(true);
}

static void test_many_keys(void **state)
{
	(void)state;
	many(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_proc_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dev_retired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_keys, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
