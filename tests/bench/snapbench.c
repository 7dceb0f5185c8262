// SPDX-License-Identifier: GPL-2.0-only
/*
 * snapbench - how long one collector snapshot takes (bench only, for
 * tests/bench/bench.sh).
 *
 *   snapbench [-i SECS] [-m MAX_PROCS]
 *
 * Opens the collector library (its own BPF programs, as daxtop and
 * daxcollect do), prints "ready", then every SECS (default 1) takes one
 * snapshot with tdax_collector_snapshot() and prints one line:
 *
 *   snap ns=T cpu_ns=U devs=D procs=P faults=F changed=C
 *
 * T: wall time of the snapshot call (CLOCK_MONOTONIC); U: the CPU time it
 * took (CLOCK_THREAD_CPUTIME_ID: user and system, without the time other
 * processes held the CPU); D, P, F: device,
 * process and fault-count rows; C: device and process rows whose counters
 * differ from the previous snapshot.  Runs until SIGINT/SIGTERM; exit 0,
 * or 1 with one line when the collector cannot be opened.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tdax_collector.h"

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int proc_cmp(const struct tdax_snap_proc *a, const struct tdax_snap_proc *b)
{
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start_ns != b->start_ns)
		return a->start_ns < b->start_ns ? -1 : 1;
	if (a->instance != b->instance)
		return a->instance < b->instance ? -1 : 1;
	return 0;
}

/* Rows of cur whose counters are new or differ from prev (both sorted). */
static size_t changed_rows(const struct tdax_snapshot *prev, const struct tdax_snapshot *cur)
{
	size_t n = 0, i, j = 0;

	for (i = 0; i < cur->ndevs; i++) {
		const struct tdax_snap_dev *d = &cur->devs[i], *p = NULL;

		for (size_t k = 0; k < prev->ndevs; k++)
			if (prev->devs[k].instance == d->instance &&
			    !strcmp(prev->devs[k].name, d->name)) {
				p = &prev->devs[k];
				break;
			}
		if (!p || memcmp(&p->g, &d->g, sizeof(d->g)))
			n++;
	}
	for (i = 0; i < cur->nprocs; i++) {
		const struct tdax_snap_proc *c = &cur->procs[i];
		int r = 1;

		while (j < prev->nprocs && (r = proc_cmp(&prev->procs[j], c)) < 0)
			j++;
		if (j >= prev->nprocs || r != 0 || memcmp(&prev->procs[j].g, &c->g, sizeof(c->g)))
			n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct tdax_collector_opts opts = { .sz = sizeof(opts) };
	struct tdax_snapshot prev, cur;
	struct tdax_collector *c;
	double interval = 1;
	char err[256] = "";
	int opt;

	while ((opt = getopt(argc, argv, "i:m:h")) != -1) {
		switch (opt) {
		case 'i': interval = atof(optarg); break;
		case 'm': opts.max_procs = strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: snapbench [-i SECS] [-m MAX_PROCS]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (interval <= 0) {
		fprintf(stderr, "snapbench: interval must be > 0\n");
		return 2;
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	c = tdax_collector_open(&opts, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "snapbench: %s\n", err[0] ? err : strerror(errno));
		return 1;
	}
	tdax_snapshot_init(&prev);
	tdax_snapshot_init(&cur);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct timespec ts = { (time_t)interval,
				       (long)((interval - (time_t)interval) * 1e9) };
		unsigned long long t0, t1, c0, c1;

		nanosleep(&ts, NULL);
		if (stop)
			break;
		c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		t0 = now_ns(CLOCK_MONOTONIC);
		if (tdax_collector_snapshot(c, &cur)) {
			fprintf(stderr, "snapbench: snapshot: %s\n", tdax_collector_errmsg(c));
			break;
		}
		t1 = now_ns(CLOCK_MONOTONIC);
		c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		printf("snap ns=%llu cpu_ns=%llu devs=%zu procs=%zu faults=%zu changed=%zu\n",
		       t1 - t0, c1 - c0, cur.ndevs, cur.nprocs, cur.nfaults, changed_rows(&prev, &cur));
		fflush(stdout);
		tdax_snapshot_free(&prev);
		prev = cur;
		tdax_snapshot_init(&cur);
	}
	tdax_snapshot_free(&prev);
	tdax_snapshot_free(&cur);
	tdax_collector_close(c);
	return 0;
}
