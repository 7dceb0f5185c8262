// SPDX-License-Identifier: GPL-2.0-only
/*
 * hostsnap - the host-side cost of the collector's per-snapshot work that
 * follows all rows rather than changed ones (bench only; no BPF, no guest):
 * the liveness check of process rows and the sysfs scan.
 *
 *   hostsnap [-r ROUNDS] [PROCS...]     (default: 10 1000 10000)
 *
 * For each PROCS it forks that many idle children and prints, as the
 * median of ROUNDS (default 20) snapshots of that many rows:
 *
 *   procs N before_us=A after_us=B after_1pct_us=C reads=R pidfds=F
 *
 * A: every row read through /proc/PID/stat with stdio (the collector
 * before procs.c); B: tdax_procs_* with nothing changed; C: with 1 % of
 * the children killed before each snapshot (their rows read again, found
 * dead); R: /proc reads of the last unchanged snapshot; F: pidfds held.
 * Then, on a fake sysfs tree of 1, 16 and 64 devices (all bound):
 *
 *   devs N scan_us=A refresh_us=B
 *
 * A: one full scan (every snapshot before); B: tdax_sysfs_refresh() while
 * nothing changed (one read of kernel/uevent_seqnum).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "collector_int.h"

static long tck;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static unsigned long long median(unsigned long long *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_ull);
	return v[n / 2];
}

/* The check of maps.c before procs.c: fopen + fread + parse per row. */
static bool old_alive(__u32 pid, __u64 start_ns)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p)
		return false;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return false;
	return ticks == start_ns / (1000000000ULL / (unsigned long long)tck);
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
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &ticks);
	return ticks * (1000000000ULL / tck);
}

static void bench_procs(int n, int rounds)
{
	pid_t *pid = calloc(n, sizeof(*pid));
	__u64 *st = calloc(n, sizeof(*st));
	unsigned long long *t = calloc(rounds, sizeof(*t)), a, b, c;
	struct tdax_procs *pc = tdax_procs_new("/proc", tck, true);
	struct tdax_procs_stats ps;
	int i, r, k, alive, status, next_kill = 0;
	__u64 reads0;

	for (i = 0; i < n; i++) {
		pid[i] = fork();
		if (!pid[i]) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		st[i] = start_of(pid[i]);
	}
	for (r = 0; r < rounds; r++) {
		unsigned long long t0 = now_ns();

		for (i = alive = 0; i < n; i++)
			alive += old_alive(pid[i], st[i]);
		t[r] = now_ns() - t0;
		if (alive != n)
			fprintf(stderr, "hostsnap: %d of %d alive\n", alive, n);
	}
	a = median(t, rounds);
	/* first snapshot: every row new (read once, pidfd opened) */
	tdax_procs_begin(pc);
	for (i = 0; i < n; i++)
		tdax_procs_alive(pc, pid[i], st[i]);
	tdax_procs_end(pc);
	for (r = 0; r < rounds; r++) {
		unsigned long long t0 = now_ns();

		reads0 = tdax_procs_stats(pc).proc_reads;
		tdax_procs_begin(pc);
		for (i = 0; i < n; i++)
			tdax_procs_alive(pc, pid[i], st[i]);
		tdax_procs_end(pc);
		t[r] = now_ns() - t0;
	}
	b = median(t, rounds);
	ps = tdax_procs_stats(pc);
	for (r = 0; r < rounds; r++) {
		unsigned long long t0;
		int kills = n / 100 ? n / 100 : 1;

		for (k = 0; k < kills && next_kill < n; k++, next_kill++) {
			kill(pid[next_kill], SIGKILL);
			waitpid(pid[next_kill], &status, 0);
		}
		t0 = now_ns();
		tdax_procs_begin(pc);
		for (i = 0; i < n; i++)
			tdax_procs_alive(pc, pid[i], st[i]);
		tdax_procs_end(pc);
		t[r] = now_ns() - t0;
	}
	c = median(t, rounds);
	printf("procs %d before_us=%.1f after_us=%.1f after_1pct_us=%.1f reads=%llu pidfds=%zu\n",
	       n, a / 1e3, b / 1e3, c / 1e3, (unsigned long long)(ps.proc_reads - reads0),
	       ps.pidfds);
	fflush(stdout);
	for (i = 0; i < n; i++)
		kill(pid[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(pid[i], &status, 0);
	tdax_procs_free(pc);
	free(pid);
	free(st);
	free(t);
}

static char root[256];

static void put(const char *rel, const char *val)
{
	char p[512], cmd[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	if (system(cmd))
		exit(1);
	f = fopen(p, "w");
	if (!f)
		exit(1);
	fputs(val, f);
	fclose(f);
}

static void link_to(const char *target, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if (symlink(target, p))
		exit(1);
}

static void bench_sysfs(int ndev, int rounds)
{
	struct tdax_sysfs s = {};
	struct tdax_sysfs_gen g = {};
	unsigned long long *t = calloc(rounds, sizeof(*t)), a, b;
	char rel[256], val[64], cmd[300];
	int i, r;

	snprintf(root, sizeof(root), "/tmp/hostsnap.XXXXXX");
	if (!mkdtemp(root))
		exit(1);
	put("kernel/uevent_seqnum", "1\n");
	put("devices/platform/hmem.0/tdax_region/id", "0\n");
	put("devices/platform/hmem.0/tdax_region/size", "68719476736\n");
	put("devices/platform/hmem.0/tdax_region/align", "2097152\n");
	put("devices/platform/hmem.0/tdax_region/available_size", "0\n");
	put("bus/tdax/drivers/tdax_device/bind", "");
	put("bus/tdax/devices/.keep", "");
	for (i = 0; i < ndev; i++) {
		snprintf(rel, sizeof(rel), "devices/platform/hmem.0/tdax0.%d/dev", i);
		snprintf(val, sizeof(val), "246:%d\n", i);
		put(rel, val);
#define ATTR(a, v) do { snprintf(rel, sizeof(rel), "devices/platform/hmem.0/tdax0.%d/" a, i); \
			put(rel, v); } while (0)
		ATTR("size", "16777216\n");
		ATTR("align", "2097152\n");
		ATTR("resource", "0x100000000\n");
		ATTR("fault_policy", "strict\n");
		ATTR("mode", "devdax\n");
#undef ATTR
		snprintf(rel, sizeof(rel), "devices/platform/hmem.0/tdax0.%d/driver", i);
		link_to("../../../../bus/tdax/drivers/tdax_device", rel);
		snprintf(rel, sizeof(rel), "bus/tdax/devices/tdax0.%d", i);
		snprintf(val, sizeof(val), "../../../devices/platform/hmem.0/tdax0.%d", i);
		link_to(val, rel);
	}
	for (r = 0; r < rounds; r++) {
		unsigned long long t0 = now_ns();

		tdax_sysfs_free(&s);
		tdax_sysfs_scan(root, &s);
		t[r] = now_ns() - t0;
	}
	a = median(t, rounds);
	if ((int)s.ndevs != ndev)
		fprintf(stderr, "hostsnap: scanned %zu devices of %d\n", s.ndevs, ndev);
	tdax_sysfs_refresh(root, &s, &g);
	for (r = 0; r < rounds; r++) {
		unsigned long long t0 = now_ns();

		tdax_sysfs_refresh(root, &s, &g);
		t[r] = now_ns() - t0;
	}
	b = median(t, rounds);
	printf("devs %d scan_us=%.1f refresh_us=%.1f scans=%llu\n", ndev, a / 1e3, b / 1e3,
	       (unsigned long long)g.scans);
	tdax_sysfs_free(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "hostsnap: cannot remove %s\n", root);
	free(t);
}

int main(int argc, char **argv)
{
	static const int defprocs[] = { 10, 1000, 10000 };
	static const int devs[] = { 1, 16, 64 };
	int rounds = 20, opt, i;

	while ((opt = getopt(argc, argv, "r:h")) != -1) {
		if (opt == 'r') {
			rounds = atoi(optarg);
		} else {
			fprintf(stderr, "usage: hostsnap [-r ROUNDS] [PROCS...]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (rounds < 1)
		rounds = 1;
	tck = sysconf(_SC_CLK_TCK);
	if (optind < argc)
		for (i = optind; i < argc; i++)
			bench_procs(atoi(argv[i]), rounds);
	else
		for (i = 0; i < 3; i++)
			bench_procs(defprocs[i], rounds);
	for (i = 0; i < 3; i++)
		bench_sysfs(devs[i], rounds);
	return 0;
}
