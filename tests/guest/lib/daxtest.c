// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxtest - mmap/fault checks on /dev/tdaxR.N for the guest tests.
 *
 * Each subcommand does one check and exits 0 when the kernel behaved as
 * expected, 1 when it did not (with one line on stderr saying why), and 2
 * on usage errors.  Sizes accept K/M/G suffixes.
 *
 *   daxtest mmap DEV LEN OFF shared|private [DELTA]  print "ok" or the errno
 *        name; with DELTA, MAP_FIXED at DELTA past a 1G-aligned address
 *   daxtest populated DEV ALIGN   4K fault under an existing page table
 *   daxtest fault DEV LEN [-o OFF] [-s STRIDE] [-r] [-n] [-t] [-e N]
 *        map LEN at OFF, touch every STRIDE bytes (write; -r read), with
 *        -n madvise(MADV_NOHUGEPAGE), -t prctl(PR_SET_THP_DISABLE);
 *        prints "minflt=N sigbus=0|1"; -e N: exit 1 unless minflt == N
 *   daxtest data DEV ALIGN SIZE   write via one mapping, read via another
 *        (at the next aligned offset if SIZE allows)
 *   daxtest misaligned DEV ALIGN SIZE  an unaligned offset never maps wrong data
 *   daxtest pastend DEV SIZE ALIGN  past the end: refused or SIGBUS
 *   daxtest fork DEV ALIGN        child sees and changes the parent's data
 *   daxtest mremap DEV ALIGN SIZE move part of a mapping; unaligned refused
 *   daxtest write FILE VALUE      write VALUE (one write()); print "ok" or
 *        the errno name (sysfs error checks)
 *   daxtest hold DEV LEN FILE     map+touch, create FILE, wait until FILE is
 *        removed, touch again: prints "sigbus" or "ok" (exit 0 either way)
 *   daxtest tags DEV LEN write|check SEED  write (or check) a tag of its
 *        file offset at every page of a mapping of LEN at 0: check prints
 *        "wrong=N" and exits 1 unless N is 0 (data through fault-around is
 *        checked against a mapping made without it, and the reverse)
 *   daxtest around DEV FILE       map 64K, touch page 0, then read page 15
 *        (fault_around 16 maps it with page 0), create FILE, wait until it
 *        is removed (the test unbinds), read page 15 again: prints
 *        "faults=N,M after=sigbus|ok" (N: faults of the first touch, M: of
 *        the read of page 15)
 *   daxtest stale DEV LEN FILE    as hold, then also mmap the same (old) fd
 *        again and touch that: prints "TOUCH MMAP", e.g. "sigbus ENXIO" for
 *        a file whose binding ended, "ok ok" for a live one
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile int got_sigbus;

static void on_sigbus(int sig)
{
	(void)sig;
	got_sigbus = 1;
	siglongjmp(jb, 1);
}

static void die(const char *fmt, const char *a)
{
	fprintf(stderr, "daxtest: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\n");
	exit(1);
}

static unsigned long long parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	}
	if (*end) {
		fprintf(stderr, "daxtest: bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

static int open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "daxtest: open %s: %s\n", dev, strerror(errno));
		exit(1);
	}
	return fd;
}

static void *map_or_die(int fd, size_t len, off_t off)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	if (p == MAP_FAILED) {
		fprintf(stderr, "daxtest: mmap len %#zx off %#llx: %s\n", len,
			(unsigned long long)off, strerror(errno));
		exit(1);
	}
	return p;
}

/* An address aligned to @align with @len free bytes (reserve, then release). */
static char *aligned_hole(size_t len, size_t align)
{
	char *p = mmap(NULL, len + align, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		die("reserve address space: %s", strerror(errno));
	a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	munmap(p, len + align);
	return a;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static uint64_t tag(uint64_t fileoff, uint64_t seed)
{
	return (fileoff * 0x9e3779b97f4a7c15ULL) ^ seed;
}

/* Write a tag at every page of [p, p+len) for file offsets from @off. */
static void fill(char *p, size_t len, uint64_t off, uint64_t seed)
{
	for (size_t i = 0; i < len; i += 4096)
		*(volatile uint64_t *)(p + i) = tag(off + i, seed);
}

/* Number of pages of [p, p+len) whose tag is not that of file offset off+i. */
static size_t check(const char *p, size_t len, uint64_t off, uint64_t seed)
{
	size_t bad = 0;

	for (size_t i = 0; i < len; i += 4096)
		if (*(volatile const uint64_t *)(p + i) != tag(off + i, seed))
			bad++;
	return bad;
}

static int cmd_mmap(int argc, char **argv)
{
	size_t len, delta = 0;
	char *addr = NULL;
	off_t off;
	int fd, flags;
	void *p;

	if (argc != 4 && argc != 5)
		return 2;
	fd = open_dev(argv[0]);
	len = parse_size(argv[1]);
	off = parse_size(argv[2]);
	flags = !strcmp(argv[3], "private") ? MAP_PRIVATE : MAP_SHARED;
	if (argc == 5) {
		/* MAP_FIXED at DELTA bytes past a 1G-aligned address */
		delta = parse_size(argv[4]);
		addr = aligned_hole(len + delta, 1UL << 30) + delta;
		flags |= MAP_FIXED;
	}
	p = mmap(addr, len, PROT_READ | PROT_WRITE, flags, fd, off);
	if (p == MAP_FAILED) {
		printf("%s\n", strerrorname_np(errno));
		return 0;
	}
	printf("ok\n");
	return 0;
}

/*
 * A 4K fault where a page table already exists: touch one page under
 * MADV_NOHUGEPAGE (a PTE table appears), clear it with MADV_HUGEPAGE, touch
 * another page of the same 2M.  Needs fault_policy=fallback to get there.
 */
static int cmd_populated(int argc, char **argv)
{
	size_t align;
	char *p;
	int fd;

	if (argc != 2)
		return 2;
	fd = open_dev(argv[0]);
	align = parse_size(argv[1]);
	p = map_or_die(fd, align, 0);
	signal(SIGBUS, on_sigbus);
	if (madvise(p, align, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	if (!sigsetjmp(jb, 1))
		*(volatile char *)p = 1;
	if (madvise(p, align, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE): %s", strerror(errno));
	if (!sigsetjmp(jb, 1))
		*(volatile char *)(p + 4096) = 1;
	printf("sigbus=%d\n", got_sigbus);
	return got_sigbus;
}

static int cmd_fault(int argc, char **argv)
{
	size_t len;
	volatile size_t stride = 4096;
	off_t off = 0;
	volatile int rd = 0;
	int nohuge = 0, thpoff = 0, opt;
	volatile long expect = -1;
	long before, after;
	char *p;
	volatile size_t i = 0;
	int fd;

	argc++;		/* getopt wants the command name in argv[0] */
	argv--;
	optind = 1;
	while ((opt = getopt(argc, argv, "o:s:rnte:")) != -1) {
		switch (opt) {
		case 'o': off = parse_size(optarg); break;
		case 's': stride = parse_size(optarg); break;
		case 'r': rd = 1; break;
		case 'n': nohuge = 1; break;
		case 't': thpoff = 1; break;
		case 'e': expect = atol(optarg); break;
		default: return 2;
		}
	}
	if (argc - optind != 2)
		return 2;
	fd = open_dev(argv[optind]);
	len = parse_size(argv[optind + 1]);
	if (thpoff && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		die("prctl(PR_SET_THP_DISABLE): %s", strerror(errno));
	p = map_or_die(fd, len, off);
	if (nohuge && madvise(p, len, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	signal(SIGBUS, on_sigbus);
	before = minflt();
	if (!sigsetjmp(jb, 1)) {
		for (i = 0; i < len; i += stride) {
			if (rd)
				(void)*(volatile char *)(p + i);
			else
				*(volatile char *)(p + i) = 1;
		}
	}
	after = minflt();
	printf("minflt=%ld sigbus=%d", after - before, got_sigbus);
	if (got_sigbus)
		printf(" at=%#zx", i);
	printf("\n");
	if (expect >= 0 && after - before != expect) {
		fprintf(stderr, "daxtest: %ld minor faults, expected %ld\n",
			after - before, expect);
		return 1;
	}
	return 0;
}

static int cmd_data(int argc, char **argv)
{
	size_t align, size, off2, bad;
	char *a, *b;
	int fd, fd2;

	if (argc != 3)
		return 2;
	fd = open_dev(argv[0]);
	fd2 = open_dev(argv[0]);
	align = parse_size(argv[1]);
	size = parse_size(argv[2]);
	/* second mapping at the next aligned offset when the device has one */
	off2 = size >= 2 * align ? align : 0;
	a = map_or_die(fd, off2 + align, 0);		/* file [0, off2 + A) */
	b = map_or_die(fd2, align, off2);		/* file [off2, off2 + A) */
	fill(a, off2 + align, 0, 0x1111);
	bad = check(b, align, off2, 0x1111);
	if (bad) {
		fprintf(stderr, "daxtest: %zu pages written at file offset %#zx through mapping 1 read back wrong through mapping 2\n",
			bad, off2);
		return 1;
	}
	fill(b, align, off2, 0x2222);
	bad = check(a + off2, align, off2, 0x2222);
	if (bad) {
		fprintf(stderr, "daxtest: %zu pages written through mapping 2 read back wrong through mapping 1\n", bad);
		return 1;
	}
	if (off2 && check(a, off2, 0, 0x1111)) {
		fprintf(stderr, "daxtest: writes through mapping 2 changed file offsets below it\n");
		return 1;
	}
	printf("ok (second mapping at offset %#zx)\n", off2);
	return 0;
}

static int cmd_misaligned(int argc, char **argv)
{
	size_t align, size, len, bad;
	char *a, *hole, *m;
	int fd;

	if (argc != 3)
		return 2;
	fd = open_dev(argv[0]);
	align = parse_size(argv[1]);
	size = parse_size(argv[2]);
	len = size < 2 * align ? size : 2 * align;
	a = map_or_die(fd, len, 0);
	fill(a, len, 0, 0x3333);
	/* the in-tree defect: aligned MAP_FIXED address, offset of one page */
	hole = aligned_hole(align, align);
	m = mmap(hole, align, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 4096);
	if (m == MAP_FAILED) {
		printf("refused %s\n", strerrorname_np(errno));
		return errno == EINVAL ? 0 : 1;
	}
	signal(SIGBUS, on_sigbus);
	if (!sigsetjmp(jb, 1)) {
		bad = check(m, len - 4096 < align ? len - 4096 : align, 4096, 0x3333);
		if (bad) {
			fprintf(stderr, "daxtest: %zu of %zu pages show the wrong data\n",
				bad, align / 4096);
			return 1;
		}
		printf("mapped correctly\n");
		return 0;
	}
	printf("sigbus\n");
	return 0;
}

static int cmd_pastend(int argc, char **argv)
{
	size_t size, align;
	char *p;
	int fd;

	if (argc != 3)
		return 2;
	fd = open_dev(argv[0]);
	size = parse_size(argv[1]);
	align = parse_size(argv[2]);
	/* starting at the end: refused */
	p = mmap(NULL, align, PROT_READ | PROT_WRITE, MAP_SHARED, fd, size);
	if (p != MAP_FAILED) {
		fprintf(stderr, "daxtest: mmap at offset == size succeeded\n");
		return 1;
	}
	/* straddling the end: the last aligned piece works, the next SIGBUS */
	p = mmap(NULL, 2 * align, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 size - align);
	if (p == MAP_FAILED) {
		printf("refused %s\n", strerrorname_np(errno));
		return 0;
	}
	signal(SIGBUS, on_sigbus);
	if (!sigsetjmp(jb, 1))
		*(volatile char *)p = 1;
	if (got_sigbus) {
		fprintf(stderr, "daxtest: SIGBUS inside the device\n");
		return 1;
	}
	if (!sigsetjmp(jb, 1))
		*(volatile char *)(p + align) = 1;
	if (!got_sigbus) {
		fprintf(stderr, "daxtest: no SIGBUS past the end of the device\n");
		return 1;
	}
	printf("sigbus past end\n");
	return 0;
}

static int cmd_fork(int argc, char **argv)
{
	size_t align, len;
	int fd, status;
	char *p;
	pid_t pid;

	if (argc != 2)
		return 2;
	fd = open_dev(argv[0]);
	align = parse_size(argv[1]);
	len = align < (4u << 20) ? (4u << 20) : align;
	p = map_or_die(fd, len, 0);
	fill(p, len, 0, 0x4444);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		if (check(p, len, 0, 0x4444))
			_exit(1);
		fill(p, len, 0, 0x5555);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "daxtest: child did not see the parent's data (status %#x)\n", status);
		return 1;
	}
	if (check(p, len, 0, 0x5555)) {
		fprintf(stderr, "daxtest: parent did not see the child's data\n");
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int cmd_mremap(int argc, char **argv)
{
	size_t align, size, n;
	char *p, *dst, *q;
	int fd;

	if (argc != 3)
		return 2;
	fd = open_dev(argv[0]);
	align = parse_size(argv[1]);
	size = parse_size(argv[2]);
	n = size / align < 3 ? size / align : 3;
	if (!n)
		return 2;
	p = map_or_die(fd, n * align, 0);
	fill(p, n * align, 0, 0x6666);
	dst = aligned_hole(2 * align, align);
	if (align > 4096) {
		/* split at an unaligned address: refused */
		q = mremap(p + 4096, align - 4096, align - 4096,
			   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		if (q != MAP_FAILED) {
			fprintf(stderr, "daxtest: mremap splitting at an unaligned address succeeded\n");
			return 1;
		}
		/* move to an unaligned address: refused */
		q = mremap(p, align, align, MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst + 4096);
		if (q != MAP_FAILED) {
			fprintf(stderr, "daxtest: mremap to an unaligned address succeeded\n");
			return 1;
		}
		if (check(p, n * align, 0, 0x6666)) {
			fprintf(stderr, "daxtest: refused mremap changed the mapping\n");
			return 1;
		}
	}
	/* move the middle piece (or all of a 1-piece mapping) to an aligned address */
	if (n >= 3) {
		q = mremap(p + align, align, align, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		if (q == MAP_FAILED) {
			fprintf(stderr, "daxtest: aligned partial mremap failed: %s\n", strerror(errno));
			return 1;
		}
		if (check(q, align, align, 0x6666) || check(p, align, 0, 0x6666) ||
		    check(p + 2 * align, align, 2 * align, 0x6666)) {
			fprintf(stderr, "daxtest: data wrong after partial mremap\n");
			return 1;
		}
		fill(q, align, align, 0x7777);
		printf("ok (partial)\n");
		return 0;
	}
	q = mremap(p, n * align, n * align, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	if (q == MAP_FAILED || check(q, n * align, 0, 0x6666)) {
		fprintf(stderr, "daxtest: aligned mremap of the whole mapping failed\n");
		return 1;
	}
	printf("ok (whole)\n");
	return 0;
}

/* Tell the test we are mapped (create @file), then wait until it removes it. */
static void handshake(const char *file)
{
	int rfd = open(file, O_CREAT | O_WRONLY, 0644);

	if (rfd < 0)
		die("create %s", file);
	close(rfd);
	while (access(file, F_OK) == 0)
		usleep(20000);
}

static int cmd_hold(int argc, char **argv)
{
	size_t len;
	char *p;
	int fd;

	if (argc != 3)
		return 2;
	fd = open_dev(argv[0]);
	len = parse_size(argv[1]);
	p = map_or_die(fd, len, 0);
	*(volatile char *)p = 1;
	handshake(argv[2]);
	signal(SIGBUS, on_sigbus);
	if (!sigsetjmp(jb, 1))
		*(volatile char *)p = 2;
	printf("%s\n", got_sigbus ? "sigbus" : "ok");
	return 0;
}

static int cmd_tags(int argc, char **argv)
{
	size_t len, wrong;
	uint64_t seed;
	char *p;
	int fd;

	if (argc != 4)
		return 2;
	fd = open_dev(argv[0]);
	len = parse_size(argv[1]);
	seed = strtoull(argv[3], NULL, 0);
	p = map_or_die(fd, len, 0);
	if (!strcmp(argv[2], "write")) {
		fill(p, len, 0, seed);
		printf("wrote %zu pages\n", len / 4096);
		return 0;
	}
	if (strcmp(argv[2], "check"))
		return 2;
	wrong = check(p, len, 0, seed);
	printf("wrong=%zu\n", wrong);
	return wrong ? 1 : 0;
}

static int cmd_around(int argc, char **argv)
{
	long f0, f1, f2;
	char *p;
	int fd;

	if (argc != 2)
		return 2;
	fd = open_dev(argv[0]);
	p = map_or_die(fd, 65536, 0);
	f0 = minflt();
	*(volatile char *)p = 1;
	f1 = minflt();
	(void)*(volatile char *)(p + 15 * 4096);
	f2 = minflt();
	handshake(argv[1]);
	signal(SIGBUS, on_sigbus);
	if (!sigsetjmp(jb, 1))
		(void)*(volatile char *)(p + 15 * 4096);
	printf("faults=%ld,%ld after=%s\n", f1 - f0, f2 - f1, got_sigbus ? "sigbus" : "ok");
	return 0;
}

static int cmd_stale(int argc, char **argv)
{
	const char *again;
	size_t len;
	char *p, *q;
	int fd;

	if (argc != 3)
		return 2;
	fd = open_dev(argv[0]);
	len = parse_size(argv[1]);
	p = map_or_die(fd, len, 0);
	*(volatile char *)p = 1;
	handshake(argv[2]);
	signal(SIGBUS, on_sigbus);
	if (!sigsetjmp(jb, 1))
		*(volatile char *)p = 2;
	printf("%s ", got_sigbus ? "sigbus" : "ok");
	q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (q == MAP_FAILED) {
		again = strerrorname_np(errno);
	} else {
		got_sigbus = 0;
		if (!sigsetjmp(jb, 1))
			*(volatile char *)q = 3;
		again = got_sigbus ? "mapped-sigbus" : "ok";
	}
	printf("%s\n", again);
	return 0;
}

static int cmd_write(int argc, char **argv)
{
	ssize_t n;
	int fd;

	if (argc != 2)
		return 2;
	fd = open(argv[0], O_WRONLY);
	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno));
		return 0;
	}
	n = write(fd, argv[1], strlen(argv[1]));
	printf("%s\n", n < 0 ? strerrorname_np(errno) : "ok");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "mmap", cmd_mmap }, { "fault", cmd_fault }, { "data", cmd_data },
		{ "misaligned", cmd_misaligned }, { "pastend", cmd_pastend },
		{ "fork", cmd_fork }, { "mremap", cmd_mremap }, { "hold", cmd_hold },
		{ "stale", cmd_stale }, { "write", cmd_write }, { "populated", cmd_populated },
		{ "tags", cmd_tags }, { "around", cmd_around },
	};
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		rc = cmds[i].fn(argc - 2, argv + 2);
		if (rc == 2)
			fprintf(stderr, "daxtest: bad arguments for %s (see the source header)\n", argv[1]);
		return rc;
	}
	fprintf(stderr, "usage: daxtest mmap|fault|data|misaligned|pastend|fork|mremap|hold|stale|write|populated|tags|around ...\n");
	return 2;
}
