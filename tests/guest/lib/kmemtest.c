// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmemtest - use the memory of a NUMA node for the tdax_kmem guest tests.
 *
 *   kmemtest hold NODE SIZE FILE   map SIZE of anonymous memory bound to
 *        NODE (mbind MPOL_BIND), fill it with a pattern, check with
 *        move_pages() that every page is on NODE, write "pages=N" to FILE,
 *        wait until FILE is removed, then check the pattern and print
 *        "intact=1 on_node=N elsewhere=M" (exit 1 if the data changed)
 *   kmemtest pin NODE SIZE FILE    the same, and before writing FILE also
 *        vmsplice() the first 64K of it into a pipe that is never read: the
 *        pipe holds references to those pages, so they cannot be migrated
 *        (and a block holding them cannot go offline) until FILE is removed
 *   kmemtest oldfd DEV FILE        open DEV, map and touch its first 2M,
 *        create FILE, wait until it is removed, then touch the old mapping
 *        and mmap the old file again: prints "touch=ok|sigbus mmap=ok|ERRNO"
 *
 * Exit 0 when the kernel behaved as expected, 1 with one line on stderr
 * when it did not, 2 on usage errors.  SIZE accepts K/M/G suffixes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <setjmp.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define KT_MPOL_BIND	2
#define KT_PIN_BYTES	(64 << 10)

static void fail(const char *what)
{
	fprintf(stderr, "kmemtest: %s: %s\n", what, strerror(errno));
	exit(1);
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	default: break;
	}
	if (*end || !v) {
		fprintf(stderr, "kmemtest: bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

/* Count the pages of [p, p + len) on @node (and elsewhere). */
static void where(char *p, size_t len, int node, long *on, long *off)
{
	long psz = sysconf(_SC_PAGESIZE), n = len / psz, i;
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	if (!pages || !status)
		fail("calloc");
	for (i = 0; i < n; i++)
		pages[i] = p + i * psz;
	if (syscall(SYS_move_pages, 0, n, pages, NULL, status, 0))
		fail("move_pages");
	*on = *off = 0;
	for (i = 0; i < n; i++) {
		if (status[i] == node)
			(*on)++;
		else
			(*off)++;
	}
	free(pages);
	free(status);
}

static sigjmp_buf jb;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

static void wait_removed(const char *file)
{
	int k;

	/* bounded wait (the test removes the file): 20 minutes */
	for (k = 0; k < 24000 && access(file, F_OK) == 0; k++) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
}

static void touch_file(const char *file, const char *text)
{
	FILE *f = fopen(file, "w");

	if (!f)
		fail(file);
	fputs(text, f);
	fclose(f);
}

static int oldfd(const char *dev, const char *file)
{
	size_t len = 2 << 20;
	volatile char *p;
	const char *touch;
	void *q;
	int fd = open(dev, O_RDWR);

	if (fd < 0)
		fail(dev);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		fail("mmap");
	p[0] = 1;
	touch_file(file, "mapped\n");
	wait_removed(file);
	signal(SIGBUS, on_sigbus);
	if (sigsetjmp(jb, 1) == 0) {
		p[4096] = 2;
		touch = "ok";
	} else {
		touch = "sigbus";
	}
	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("touch=%s mmap=%s\n", touch,
	       q == MAP_FAILED ? strerrorname_np(errno) : "ok");
	return 0;
}

static uint64_t pattern(size_t i)
{
	return i * 0x9e3779b97f4a7c15ULL + 1;
}

int main(int argc, char **argv)
{
	int node, pin, pfd[2];
	unsigned long mask;
	size_t len, i;
	uint64_t *w;
	long on, off, psz = sysconf(_SC_PAGESIZE);
	char *p;
	FILE *f;
	if (argc == 4 && !strcmp(argv[1], "oldfd"))
		return oldfd(argv[2], argv[3]);
	if (argc != 5 || (strcmp(argv[1], "hold") && strcmp(argv[1], "pin"))) {
		fprintf(stderr, "usage: kmemtest hold|pin NODE SIZE FILE | oldfd DEV FILE\n");
		return 2;
	}
	pin = !strcmp(argv[1], "pin");
	node = atoi(argv[2]);
	len = parse_size(argv[3]);
	if (node < 0 || node >= 64 || len % psz) {
		fprintf(stderr, "kmemtest: NODE 0-63, SIZE a multiple of the page size\n");
		return 2;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		fail("mmap");
	mask = 1UL << node;
	if (syscall(SYS_mbind, p, len, KT_MPOL_BIND, &mask, 64, 0))
		fail("mbind");
	w = (uint64_t *)p;
	for (i = 0; i < len / sizeof(*w); i++)
		w[i] = pattern(i);
	where(p, len, node, &on, &off);
	if (off) {
		fprintf(stderr, "kmemtest: %ld of %ld pages are not on node %d\n",
			off, on + off, node);
		return 1;
	}
	if (pin) {
		struct iovec iov = { .iov_base = p, .iov_len = KT_PIN_BYTES };

		if (pipe(pfd))
			fail("pipe");
		if (vmsplice(pfd[1], &iov, 1, 0) != KT_PIN_BYTES)
			fail("vmsplice");
	}
	f = fopen(argv[4], "w");
	if (!f)
		fail(argv[4]);
	fprintf(f, "pages=%ld\n", on);
	fclose(f);
	wait_removed(argv[4]);
	for (i = 0; i < len / sizeof(*w); i++) {
		if (w[i] != pattern(i)) {
			fprintf(stderr, "kmemtest: word %zu changed: %#llx, want %#llx\n",
				i, (unsigned long long)w[i],
				(unsigned long long)pattern(i));
			return 1;
		}
	}
	where(p, len, node, &on, &off);
	printf("intact=1 on_node=%ld elsewhere=%ld\n", on, off);
	return 0;
}
