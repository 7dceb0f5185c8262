// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxprocs - N live processes that each faulted a tdax device once (bench
 * only: per-process rows for the collector scaling in tests/bench/bench.sh).
 *
 *   daxprocs -n N [-s SIZE] DEVICE...
 *
 * Forks N children; child i maps SIZE (default 2M) of DEVICE[i % count] at
 * a SIZE-aligned address, reads its first byte (one fault), and then waits
 * for its parent to go.  When every child has touched its page the parent
 * prints "ready procs=N" and waits for SIGINT/SIGTERM; then it kills the
 * children, reaps them and exits 0.  Exit 1 with one line when a child
 * cannot be made or its fault fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

static int child(const char *path, size_t size, int wfd)
{
	size_t span = 2 * size;
	char *p, *a;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return 1;
	p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	a = (char *)(((uintptr_t)p + size - 1) & ~(uintptr_t)(size - 1));
	munmap(p, span);
	p = mmap(a, size, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
	if (p == MAP_FAILED)
		return 1;
	(void)*(volatile char *)p;
	if (write(wfd, "x", 1) != 1)
		return 1;
	close(wfd);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	size_t size = 2 << 20;
	long n = 0, ok = 0, i;
	int pfd[2], opt;
	pid_t *pids;
	char buf[256];

	while ((opt = getopt(argc, argv, "n:s:h")) != -1) {
		switch (opt) {
		case 'n': n = atol(optarg); break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: daxprocs -n N [-s SIZE] DEVICE...\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (n <= 0 || optind >= argc || !size || (size & (size - 1))) {
		fprintf(stderr, "daxprocs: -n N > 0, a power-of-two SIZE and a DEVICE expected\n");
		return 2;
	}
	pids = calloc(n, sizeof(*pids));
	if (!pids || pipe(pfd)) {
		fprintf(stderr, "daxprocs: %s\n", strerror(errno));
		return 1;
	}
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	for (i = 0; i < n && !stop; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			fprintf(stderr, "daxprocs: fork %ld: %s\n", i, strerror(errno));
			break;
		}
		if (!pids[i]) {
			close(pfd[0]);
			_exit(child(argv[optind + i % (argc - optind)], size, pfd[1]));
		}
	}
	close(pfd[1]);
	while (ok < i) {
		ssize_t r = read(pfd[0], buf, sizeof(buf));

		if (r <= 0)
			break;	/* EOF: some child died before touching */
		ok += r;
	}
	if (ok == n) {
		printf("ready procs=%ld\n", ok);
		fflush(stdout);
		while (!stop)
			pause();
	} else {
		fprintf(stderr, "daxprocs: only %ld of %ld children faulted their page\n", ok, n);
	}
	for (long k = 0; k < i; k++)
		if (pids[k] > 0)
			kill(pids[k], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return ok == n ? 0 : 1;
}
