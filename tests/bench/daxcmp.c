// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxcmp - the same measurements on any device-dax character device
 * (in-tree /dev/daxR.N or tdax /dev/tdaxR.N), for
 * tests/bench/driver-vs-intree.sh.
 *
 *   daxcmp fault [-s SIZE] [-t STRIDE] [-w] DEVICE
 *       map SIZE (default 1G) at a 1G-aligned address, touch one byte every
 *       STRIDE (default 4K; -w writes), print
 *       "faults=N elapsed_ns=T touches=K"
 *       where N is the process's minor-fault count across the touch loop
 *       (getrusage: one per fault the mm completed, whatever its size).
 *
 *   daxcmp misalign -a ALIGN DEVICE
 *       write a pattern (each 4K page holds its own file offset) through a
 *       correct mapping of the first 2*ALIGN bytes, then mmap ALIGN bytes
 *       MAP_FIXED at an ALIGN-aligned address with file offset 4K (aligned
 *       address, offset not aligned to the device alignment) and read it
 *       back.  Prints "mmap=refused errno=EINVAL" or
 *       "mmap=ok pages=P wrong=W rounded_down=D first_wrong=I expected=0x..
 *       got=0x.." (D: pages showing the data of the offset rounded down to
 *       ALIGN, i.e. one page early).
 *
 * Exit 0 when the measurement ran (whatever its result), 1 when it could
 * not be set up, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define PAGE		4096ULL
#define PATTERN		0x7464617800000000ULL	/* "tdax" in the high half */

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
		fprintf(stderr, "daxcmp: bad size '%s'\n", s);
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

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* An address aligned to align with room for len (reserve, then release). */
static void *aligned_addr(size_t len, size_t align)
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

static void *map_dev(int fd, size_t len, off_t off, size_t align, int fixed)
{
	void *addr = aligned_addr(len, align);

	if (!addr) {
		fprintf(stderr, "daxcmp: no address space for %zu bytes: %s\n", len, strerror(errno));
		exit(1);
	}
	return mmap(addr, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | (fixed ? MAP_FIXED : MAP_FIXED_NOREPLACE), fd, off);
}

static int do_fault(int fd, const char *path, unsigned long long size,
		    unsigned long long stride, int wr)
{
	unsigned long long t0, t1, o, touches = 0;
	volatile char *p;
	long f0, f1;

	p = map_dev(fd, size, 0, 1ULL << 30, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "daxcmp: mmap %s size %llu: %s\n", path, size, strerror(errno));
		return 1;
	}
	/* first calls fault in the vDSO data (e.g. the HPET page): not ours */
	(void)now_ns();
	(void)minflt();
	f0 = minflt();
	t0 = now_ns();
	for (o = 0; o < size; o += stride, touches++) {
		if (wr)
			p[o] = (char)o;
		else
			(void)p[o];
	}
	t1 = now_ns();
	f1 = minflt();
	munmap((void *)p, size);
	printf("faults=%ld elapsed_ns=%llu touches=%llu\n", f1 - f0, t1 - t0, touches);
	return 0;
}

static int do_misalign(int fd, const char *path, unsigned long long align)
{
	unsigned long long i, pages = align / PAGE, wrong = 0, down = 0, first = ~0ULL;
	unsigned long long expected = 0, got = 0;
	volatile uint64_t *p;

	/* the pattern, through a mapping the driver has no reason to refuse */
	p = map_dev(fd, 2 * align, 0, align, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "daxcmp: mmap %s size %llu offset 0: %s\n", path, 2 * align,
			strerror(errno));
		return 1;
	}
	for (i = 0; i < 2 * align / PAGE; i++)
		p[i * PAGE / 8] = PATTERN | (i * PAGE);
	munmap((void *)p, 2 * align);

	/* aligned MAP_FIXED address, file offset 4K */
	p = map_dev(fd, align, PAGE, align, 1);
	if (p == MAP_FAILED) {
		printf("mmap=refused errno=%s\n", errno == EINVAL ? "EINVAL" : strerror(errno));
		return 0;
	}
	for (i = 0; i < pages; i++) {
		uint64_t want = PATTERN | (PAGE + i * PAGE), v = p[i * PAGE / 8];

		/* the data of the offset rounded down to the alignment */
		if (v != want && v == (PATTERN | (i * PAGE)))
			down++;
		if (v != want) {
			if (first == ~0ULL) {
				first = i;
				expected = want & 0xffffffffULL;
				got = v & 0xffffffffULL;
			}
			wrong++;
		}
	}
	munmap((void *)p, align);
	if (wrong)
		printf("mmap=ok pages=%llu wrong=%llu rounded_down=%llu first_wrong=%llu expected=%#llx got=%#llx\n",
		       pages, wrong, down, first, expected, got);
	else
		printf("mmap=ok pages=%llu wrong=0\n", pages);
	return 0;
}

static int usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: daxcmp fault [-s SIZE] [-t STRIDE] [-w] DEVICE\n"
		"       daxcmp misalign -a ALIGN DEVICE\n"
		"Measures faults on any device-dax char device (see tests/bench/daxcmp.c).\n");
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long long size = 1ULL << 30, stride = PAGE, align = 0;
	int opt, fd, wr = 0, rc;
	const char *mode, *path;

	if (argc < 2)
		return usage(2);
	mode = argv[1];
	if (!strcmp(mode, "-h") || !strcmp(mode, "--help"))
		return usage(0);
	optind = 2;
	while ((opt = getopt(argc, argv, "s:t:wa:h")) != -1) {
		switch (opt) {
		case 's': size = parse_size(optarg); break;
		case 't': stride = parse_size(optarg); break;
		case 'w': wr = 1; break;
		case 'a': align = parse_size(optarg); break;
		case 'h': return usage(0);
		default: return usage(2);
		}
	}
	if (optind != argc - 1 || !stride || !size)
		return usage(2);
	path = argv[optind];
	fd = open(path, O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "daxcmp: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!strcmp(mode, "fault")) {
		rc = do_fault(fd, path, size, stride, wr);
	} else if (!strcmp(mode, "misalign")) {
		if (align < 2 * PAGE || (align & (align - 1))) {
			fprintf(stderr, "daxcmp: misalign needs -a ALIGN, a power of two >= 8K\n");
			return 2;
		}
		rc = do_misalign(fd, path, align);
	} else {
		rc = usage(2);
	}
	close(fd);
	return rc;
}
