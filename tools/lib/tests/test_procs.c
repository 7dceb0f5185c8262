// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_procs.c - the process liveness cache of the collector (procs.c):
 * the same answers as reading /proc/PID/stat every snapshot, with real
 * child processes; /proc read only for processes that are new or exited.
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

#include "collector_int.h"

#define NCHILD 8

static long tck;

/* The start time of pid as boot-time ns, from /proc (what BPF records, in ticks). */
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
	return ticks * (1000000000ULL / tck) + 123;	/* sub-tick ns, as BPF has */
}

static pid_t spawn(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* none left behind by a failure */
		if (getppid() == 1)
			_exit(0);
		for (;;)
			pause();
	}
	return pid;
}

/* Wait (bounded) until pid is a zombie: its stat state is Z. */
static void wait_zombie(pid_t pid)
{
	char path[64], buf[512], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 5000; i++) {
		FILE *f = fopen(path, "re");
		size_t n;

		assert_non_null(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		p = strrchr(buf, ')');
		if (p && p[2] == 'Z')
			return;
		usleep(1000);
	}
	fail_msg("pid %d never became a zombie: %s", (int)pid, buf);
}

/* Every answer of the cache equals the uncached one. */
static void same_answers(struct tdax_procs *pc, const pid_t *pid, const __u64 *st, int n)
{
	int i;

	tdax_procs_begin(pc);
	for (i = 0; i < n; i++) {
		bool want = tdax_proc_stat_alive("/proc", tck, pid[i], st[i]);
		bool got = tdax_procs_alive(pc, pid[i], st[i]);

		if (got != want)
			fail_msg("pid %d start %llu: cache says %d, /proc says %d", (int)pid[i],
				 (unsigned long long)st[i], got, want);
	}
	tdax_procs_end(pc);
}

static void run(bool use_pidfd)
{
	struct tdax_procs *pc = tdax_procs_new("/proc", tck, use_pidfd);
	pid_t pid[NCHILD];
	__u64 st[NCHILD];
	__u64 reads;
	int i, status;

	assert_non_null(pc);
	for (i = 0; i < NCHILD; i++) {
		pid[i] = spawn();
		st[i] = start_of(pid[i]);
	}
	same_answers(pc, pid, st, NCHILD);
	reads = tdax_procs_stats(pc).proc_reads;
	assert_int_equal(reads, NCHILD);		/* each new process read once */
	same_answers(pc, pid, st, NCHILD);
	if (use_pidfd)					/* nothing changed: no read */
		assert_int_equal(tdax_procs_stats(pc).proc_reads, reads);
	else
		assert_int_equal(tdax_procs_stats(pc).proc_reads, 2 * reads);

	/* a reused pid is another process: (pid, other start) is not alive */
	tdax_procs_begin(pc);
	assert_false(tdax_procs_alive(pc, pid[0], st[0] + 10 * (1000000000ULL / tck)));
	assert_true(tdax_procs_alive(pc, pid[0], st[0]));
	tdax_procs_end(pc);

	/* a zombie still runs (as /proc says); reaped, it is gone, for good */
	kill(pid[1], SIGKILL);
	wait_zombie(pid[1]);
	assert_true(tdax_proc_stat_alive("/proc", tck, pid[1], st[1]));
	same_answers(pc, pid, st, NCHILD);
	same_answers(pc, pid, st, NCHILD);
	assert_int_equal(waitpid(pid[1], &status, 0), pid[1]);
	assert_false(tdax_proc_stat_alive("/proc", tck, pid[1], st[1]));
	same_answers(pc, pid, st, NCHILD);
	reads = tdax_procs_stats(pc).proc_reads;
	same_answers(pc, pid, st, NCHILD);
	if (use_pidfd)			/* dead is final, the rest unchanged: no read */
		assert_int_equal(tdax_procs_stats(pc).proc_reads, reads);
	else
		assert_int_equal(tdax_procs_stats(pc).proc_reads, reads + NCHILD - 1);

	/* processes no longer asked about are forgotten (and their pidfds closed) */
	tdax_procs_begin(pc);
	assert_true(tdax_procs_alive(pc, pid[2], st[2]));
	tdax_procs_end(pc);
	assert_int_equal(tdax_procs_stats(pc).entries, 1);
	assert_int_equal(tdax_procs_stats(pc).pidfds, use_pidfd ? 1 : 0);

	/* kill the rest: every one found dead in the next snapshot */
	for (i = 0; i < NCHILD; i++)
		if (i != 1) {
			kill(pid[i], SIGKILL);
			assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		}
	same_answers(pc, pid, st, NCHILD);
	tdax_procs_begin(pc);
	for (i = 0; i < NCHILD; i++)
		assert_false(tdax_procs_alive(pc, pid[i], st[i]));
	tdax_procs_end(pc);
	assert_int_equal(tdax_procs_stats(pc).pidfds, 0);
	tdax_procs_free(pc);
}

static void test_procs_pidfd(void **state)
{
	(void)state;
	run(true);
}

static void test_procs_no_pidfd(void **state)
{
	(void)state;
	run(false);
}

/* Many processes: the table grows and rehashes, answers stay right. */
static void test_procs_many(void **state)
{
	enum { N = 300 };
	struct tdax_procs *pc = tdax_procs_new("/proc", tck, true);
	static pid_t pid[N];
	static __u64 st[N];
	int i, status;

	(void)state;
	assert_non_null(pc);
	for (i = 0; i < N; i++) {
		pid[i] = spawn();
		st[i] = start_of(pid[i]);
	}
	same_answers(pc, pid, st, N);
	for (i = 0; i < N; i += 3) {
		kill(pid[i], SIGKILL);
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
	}
	same_answers(pc, pid, st, N);
	same_answers(pc, pid, st, N / 2);	/* the other half forgotten */
	assert_int_equal(tdax_procs_stats(pc).entries, N / 2);
	same_answers(pc, pid, st, N);
	for (i = 0; i < N; i++)
		if (i % 3) {
			kill(pid[i], SIGKILL);
			assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		}
	same_answers(pc, pid, st, N);
	tdax_procs_free(pc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procs_pidfd),
		cmocka_unit_test(test_procs_no_pidfd),
		cmocka_unit_test(test_procs_many),
	};

	tck = sysconf(_SC_CLK_TCK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
