// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxload - a workload with known fault counts on /dev/tdaxR.N, for the
 * daxtop ground-truth tests and the benchmarks.
 *
 *   daxload [OPTIONS] DEVICE
 *     -s SIZE        bytes to map (K/M/G suffixes; default 2M)
 *     -o OFFSET      file offset (default 0)
 *     -t STRIDE      touch one byte every STRIDE bytes (default 4K)
 *     -A ALIGN       place the mapping at an ALIGN-aligned address (default 1G)
 *     -w             write instead of read
 *     -N             madvise(MADV_NOHUGEPAGE) before touching
 *     -T             prctl(PR_SET_THP_DISABLE) before mapping
 *     -P COUNT       COUNT refused mmaps (MAP_PRIVATE) before the mapping
 *     -L SECONDS     loop map/touch/unmap for SECONDS (fault storm)
 *     -q             print nothing but errors
 *
 * Prints one line: "pid=P touches=N sigbus=K mmap_refused=M elapsed_ns=T loops=L".
 * A touch that raises SIGBUS is counted and skipped (the test expects them
 * under the strict policy).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static sigjmp_buf jb;
/* file scope: they survive siglongjmp() */
static unsigned long long size = 2 << 20, off, stride = 4096, align = 1ULL << 30;
static volatile unsigned long long touches, sigbus, refused, loops, o;
static int wr, nohuge, nothp, nprivate, quiet;
static double loop_s;
static volatile sig_atomic_t in_touch;

static void on_sigbus(int sig)
{
	(void)sig;
	if (in_touch)
		siglongjmp(jb, 1);
	_exit(3);
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end || end == s) {
		fprintf(stderr, "daxload: bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* An address aligned to align with room for len (reserve, then release). */
static void *aligned_hint(size_t len, size_t align)
{
	size_t span = len + align;
	char *p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	munmap(p, span);
	return (void *)a;
}

int main(int argc, char **argv)
{
	int opt, fd;
	unsigned long long t0, t1;
	struct sigaction sa;
	const char *path;

	while ((opt = getopt(argc, argv, "s:o:t:A:wNTP:L:qh")) != -1) {
		switch (opt) {
		case 's': size = parse_size(optarg); break;
		case 'o': off = parse_size(optarg); break;
		case 't': stride = parse_size(optarg); break;
		case 'A': align = parse_size(optarg); break;
		case 'w': wr = 1; break;
		case 'N': nohuge = 1; break;
		case 'T': nothp = 1; break;
		case 'P': nprivate = atoi(optarg); break;
		case 'L': loop_s = atof(optarg); break;
		case 'q': quiet = 1; break;
		default:
			fprintf(stderr, "usage: daxload [-s SIZE] [-o OFF] [-t STRIDE] [-A ALIGN] [-w] [-N] [-T] [-P N] [-L SECS] [-q] DEVICE\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1 || !stride) {
		fprintf(stderr, "daxload: one DEVICE expected (e.g. /dev/tdax0.0)\n");
		return 2;
	}
	path = argv[optind];
	fd = open(path, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "daxload: %s: %s\n", path, strerror(errno));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGBUS, &sa, NULL);
	if (nothp && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		fprintf(stderr, "daxload: PR_SET_THP_DISABLE: %s\n", strerror(errno));
		return 1;
	}
	for (int i = 0; i < nprivate; i++) {
		void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, off);

		if (p != MAP_FAILED) {
			fprintf(stderr, "daxload: MAP_PRIVATE mmap unexpectedly succeeded\n");
			return 1;
		}
		refused++;
	}

	t0 = now_ns();
	do {
		void *hint = aligned_hint(size, align);
		volatile char *p = mmap(hint, size, PROT_READ | PROT_WRITE,
					MAP_SHARED | (hint ? MAP_FIXED_NOREPLACE : 0), fd, off);

		if (p == MAP_FAILED) {
			fprintf(stderr, "daxload: mmap %s size %llu offset %llu: %s\n",
				path, size, off, strerror(errno));
			return 1;
		}
		if (nohuge && madvise((void *)p, size, MADV_NOHUGEPAGE)) {
			fprintf(stderr, "daxload: madvise: %s\n", strerror(errno));
			return 1;
		}
		for (o = 0; o < size; o += stride) {
			in_touch = 1;
			if (sigsetjmp(jb, 1)) {
				in_touch = 0;
				sigbus++;
				continue;
			}
			if (wr)
				p[o] = (char)o;
			else
				(void)p[o];
			in_touch = 0;
			touches++;
		}
		munmap((void *)p, size);
		loops++;
	} while (loop_s > 0 && (now_ns() - t0) < loop_s * 1e9);
	t1 = now_ns();
	if (!quiet)
		printf("pid=%d touches=%llu sigbus=%llu mmap_refused=%llu elapsed_ns=%llu loops=%llu\n",
		       getpid(), touches, sigbus, refused, t1 - t0, loops);
	close(fd);
	return 0;
}
