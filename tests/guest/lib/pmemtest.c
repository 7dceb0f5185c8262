// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmemtest - helper of the tdax pmem guest tests (build/tests/guest/pmemtest).
 *
 *   pmemtest gen OFF LEN SEED            print the pattern of [OFF, OFF+LEN)
 *   pmemtest fill DEV OFF LEN SEED       write the pattern through a mapping
 *   pmemtest check DEV OFF LEN SEED      count wrong bytes through a mapping
 *   pmemtest msync DEV MAPLEN OFF LEN    map, dirty, msync(MS_SYNC) [OFF, OFF+LEN)
 *   pmemtest fsync DEV [data]            fsync (fdatasync with "data")
 *   pmemtest mapsync DEV LEN             mmap MAP_SHARED_VALIDATE|MAP_SYNC
 *
 * The pattern byte at file offset X is a function of X and SEED only, so
 * data written one way (write(2), a mapping) can be checked the other way.
 * Prints "ok", a count, or an errno name; exits non-zero on failure.
 * Sizes take K/M/G suffixes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif

static unsigned long long size_arg(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	}
	if (*end) {
		fprintf(stderr, "pmemtest: bad size '%s'\n", s);
		exit(2);
	}
	return v;
}

static unsigned char pat(uint64_t off, uint64_t seed)
{
	uint64_t x = (off >> 3) * 0x9e3779b97f4a7c15ULL ^ seed * 0xbf58476d1ce4e5b9ULL;

	x ^= x >> 29;
	return (unsigned char)(x >> ((off & 7) * 8));
}

static const char *ename(int e)
{
	switch (e) {
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EINVAL: return "EINVAL";
	case ENXIO: return "ENXIO";
	case EIO: return "EIO";
	case ENOSPC: return "ENOSPC";
	default: return strerror(e);
	}
}

static int open_dev(const char *dev)
{
	int fd = open(dev, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "pmemtest: open %s: %s\n", dev, strerror(errno));
		exit(1);
	}
	return fd;
}

/* map [0, len) of the device; len must be a multiple of its align */
static unsigned char *map(int fd, size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);

	if (p == MAP_FAILED)
		return NULL;
	return p;
}

static size_t maplen(uint64_t off, uint64_t len)
{
	const uint64_t m = 2ULL << 20;
	uint64_t end = off + len;

	/* 2M-rounded (PMEMTEST_MAPLEN=1G for a 1G-aligned device) */
	return (end + m - 1) / m * m;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "gen") && argc == 5) {
		uint64_t off = size_arg(argv[2]), len = size_arg(argv[3]), seed = size_arg(argv[4]);
		unsigned char buf[65536];
		uint64_t i = 0;

		while (i < len) {
			size_t n = len - i < sizeof(buf) ? len - i : sizeof(buf), k;

			for (k = 0; k < n; k++)
				buf[k] = pat(off + i + k, seed);
			if (fwrite(buf, 1, n, stdout) != n)
				return 1;
			i += n;
		}
		return 0;
	}
	if ((!strcmp(cmd, "fill") || !strcmp(cmd, "check")) && argc == 6) {
		uint64_t off = size_arg(argv[3]), len = size_arg(argv[4]), seed = size_arg(argv[5]);
		size_t ml = getenv("PMEMTEST_MAPLEN") ? size_arg(getenv("PMEMTEST_MAPLEN")) : maplen(off, len);
		int fd = open_dev(argv[2]);
		unsigned char *p = map(fd, ml, MAP_SHARED);
		uint64_t i, bad = 0;

		if (!p) {
			printf("%s\n", ename(errno));
			return 1;
		}
		for (i = 0; i < len; i++) {
			if (cmd[0] == 'f')
				p[off + i] = pat(off + i, seed);
			else if (p[off + i] != pat(off + i, seed))
				bad++;
		}
		if (cmd[0] == 'f') {
			printf("ok\n");
			return 0;
		}
		printf("%llu\n", (unsigned long long)bad);
		return bad != 0;
	}
	if (!strcmp(cmd, "msync") && argc == 6) {
		size_t ml = size_arg(argv[3]);
		uint64_t off = size_arg(argv[4]), len = size_arg(argv[5]);
		int fd = open_dev(argv[2]);
		unsigned char *p = map(fd, ml, MAP_SHARED);

		if (!p) {
			printf("%s\n", ename(errno));
			return 1;
		}
		memset(p + off, 0x5a, len);
		if (msync(p + off, len, MS_SYNC)) {
			printf("%s\n", ename(errno));
			return 1;
		}
		printf("ok\n");
		return 0;
	}
	if (!strcmp(cmd, "fsync") && (argc == 3 || argc == 4)) {
		int fd = open_dev(argv[2]);
		int rc = argc == 4 ? fdatasync(fd) : fsync(fd);

		printf("%s\n", rc ? ename(errno) : "ok");
		return rc != 0;
	}
	if (!strcmp(cmd, "mapsync") && argc == 4) {
		int fd = open_dev(argv[2]);
		unsigned char *p = map(fd, size_arg(argv[3]),
				       MAP_SHARED_VALIDATE | MAP_SYNC);

		if (!p) {
			printf("%s\n", ename(errno));
			return 0;
		}
		p[0] = 1;
		printf("ok\n");
		return 0;
	}
	fprintf(stderr, "usage: pmemtest gen|fill|check|msync|fsync|mapsync ... (see the source header)\n");
	return 2;
}
