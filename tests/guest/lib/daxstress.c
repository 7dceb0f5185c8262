// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxstress - concurrency stress of a tdax device for the guest tests.
 *
 *   daxstress churn DEV CYCLES THREADS SPAN_MB SIZE_MB
 *
 * DEV is a device name (tdaxR.N), bound to tdax_device, of SIZE_MB MiB in
 * one range aligned to its size (1G for 1024), with fault_policy fallback.  The first SPAN_MB MiB (at most 512) are filled so that
 * every 64-bit word holds tag(its file offset).  Then, concurrently:
 *
 *  - THREADS threads open /dev/DEV, mmap a piece of it at a random
 *    offset (one align unit; random 4K multiples at 4K), check and rewrite
 *    words of every page they map inside the span, and unmap.  A word that
 *    does not hold its own offset's tag is a wrong mapping: failure.  A
 *    SIGBUS or an ENXIO mmap means the binding the file was opened under
 *    ended: the thread then checks that the file stays dead (a new mmap of
 *    it is ENXIO, never a working mapping), closes it and opens again.
 *  - the main thread runs CYCLES unbind/bind cycles through sysfs; every
 *    7th cycle changes align (2M, 4K and, for a 1G device, 1G in turn),
 *    every 5th one at 4K or 2M shrinks the unbound device to half its
 *    size and grows it back (the ranges
 *    are freed and re-allocated while the threads' stale files call mmap);
 *  - one thread tries to remove tdax_device and tdax all along
 *    (delete_module): always refused, since a holder file stays open;
 *  - the holder: a file opened and mapped before the first cycle; at the
 *    end its mapping must SIGBUS and its mmap must be ENXIO (per-binding
 *    liveness: later bindings never revive it).
 *
 * Prints one line of counts and "ok", exit 0; or a line saying what went
 * wrong, exit 1.  Usage errors exit 2.
 *
 *   daxstress mmaploop DEV STOPFILE
 *
 * Opens /dev/DEV once and, until STOPFILE exists, maps 2M of it at a
 * random 2M offset of the first 64M, touches the first word and unmaps.
 * Prints "mapped" after the first working mapping, and at the end
 * "ok=N enxio=N sigbus=N last=RESULT" (RESULT: ok, sigbus or the
 * errno name of the last mmap).  Any errno other than ENXIO, or a working
 * mapping after an ENXIO (a dead file revived), is reported as
 * "FAIL: ..." and exit 1.
 *
 *   daxstress mmap DEV LEN OFF FLAG[,FLAG...]
 *
 * One mmap() of /dev/DEV with hostile arguments (LEN, OFF: numbers, may be
 * huge or unaligned); FLAGs: shared, private, validate (MAP_SHARED_VALIDATE),
 * sync (MAP_SYNC), bogus (an undefined flag bit), fixed (MAP_FIXED at an
 * address 4K past a 1G boundary), ro (PROT_READ only), exec (PROT_EXEC too).
 * Prints the errno name, or "ok" after touching the first page ("sigbus"
 * when that faults).  Exit 0 either way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SZ_4K	4096UL
#define SZ_2M	(2UL << 20)
#define SZ_1G	(1UL << 30)
#define TAG	0x5444415800000000ULL	/* "TDAX" in the high half */

static const char *dev_name;
static char dev_path[64], sys_dir[128], drv_dir[] = "/sys/bus/tdax/drivers/tdax_device";
static size_t span, dev_size;
static atomic_int stop;
static atomic_long n_maps, n_pages, n_sigbus, n_enxio, n_reopen_wait;
static atomic_long n_rmmod_refused;
static atomic_int failed;
static char fail_msg[256];
static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

static __thread sigjmp_buf tls_jb;
static __thread volatile int tls_armed;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_lock);
	if (!failed) {
		va_start(ap, fmt);
		vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
		va_end(ap);
		failed = 1;
	}
	pthread_mutex_unlock(&fail_lock);
	stop = 1;
}

static inline uint64_t tag(uint64_t off)
{
	return TAG ^ off;
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
	if (!tls_armed)
		abort();	/* not from a touch of a device mapping */
	siglongjmp(tls_jb, 1);
}

/* Write @val to sysfs @path; return 0 or the errno. */
static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), rc = 0;

	if (fd < 0)
		return errno;
	if (write(fd, val, strlen(val)) < 0)
		rc = errno;
	close(fd);
	return rc;
}

static unsigned long sysfs_read_ul(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtoul(buf, NULL, 0) : 0;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * Check every page of [p, p + len) that lies inside the span (file offset
 * @off): two words per page hold their own offset's tag, and are written
 * back.  Wrong data is a failure.
 */
static __attribute__((noinline)) void touch_pages(volatile uint64_t *p, size_t len,
						   uint64_t off, uint64_t *seed)
{
	size_t end = off + len > span ? span - off : len;

	for (size_t pg = 0; pg < end; pg += SZ_4K) {
		size_t w[2] = { pg / 8, (pg + (rnd(seed) % SZ_4K & ~7UL)) / 8 };

		for (int k = 0; k < 2; k++) {
			uint64_t got = p[w[k]], want = tag(off + w[k] * 8);

			if (got != want) {
				fail("wrong data: file offset %#lx holds %#llx, want %#llx",
				     (unsigned long)(off + w[k] * 8),
				     (unsigned long long)got, (unsigned long long)want);
				return;
			}
			p[w[k]] = want;
		}
		n_pages++;
	}
}

/* touch_pages(); returns 1 when it got SIGBUS (the binding ended), else 0. */
static int touch(volatile uint64_t *p, size_t len, uint64_t off, uint64_t *seed)
{
	if (off >= span)
		return 0;
	if (sigsetjmp(tls_jb, 1)) {
		tls_armed = 0;
		return 1;
	}
	tls_armed = 1;
	touch_pages(p, len, off, seed);
	tls_armed = 0;
	return 0;
}

/* Read (and with PROT_WRITE rewrite) the first word; 1 on SIGBUS. */
static int touch_any(volatile uint64_t *p, int prot)
{
	if (sigsetjmp(tls_jb, 1)) {
		tls_armed = 0;
		return 1;
	}
	tls_armed = 1;
	if (prot & PROT_WRITE)
		p[0] = p[0];
	else
		(void)p[0];
	tls_armed = 0;
	return 0;
}

/* After its binding ended, a file must stay dead. */
static void check_stays_dead(int fd)
{
	void *q = mmap(NULL, dev_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (q != MAP_FAILED) {
		munmap(q, dev_size);
		fail("a file whose binding ended could be mapped again");
	} else if (errno != ENXIO) {
		fail("mmap of a dead file: %s, want ENXIO", strerrorname_np(errno));
	}
}

static void *worker(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL * ((uintptr_t)arg + 1);
	char apath[160];
	int fd = -1;

	snprintf(apath, sizeof(apath), "%s/align", sys_dir);
	while (!stop) {
		unsigned long align;
		size_t len;
		uint64_t off;
		void *p;

		if (fd < 0) {
			fd = open(dev_path, O_RDWR);
			if (fd < 0) {
				if (errno != ENXIO && errno != ENOENT) {
					fail("open %s: %s", dev_path, strerrorname_np(errno));
					break;
				}
				n_reopen_wait++;
				usleep(1000);
				continue;
			}
		}
		align = sysfs_read_ul(apath);
		if (align != SZ_4K && align != SZ_2M && align != SZ_1G)
			continue;
		if (align == SZ_4K) {
			len = (1 + rnd(&seed) % 64) * SZ_4K;
			off = rnd(&seed) % (span / SZ_4K) * SZ_4K;
		} else {
			len = align;
			off = align >= span ? 0 : rnd(&seed) % (span / align) * align;
		}
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
		if (p == MAP_FAILED) {
			if (errno == ENXIO) {	/* the binding ended */
				n_enxio++;
				check_stays_dead(fd);
				close(fd);
				fd = -1;
				continue;
			}
			fail("mmap len %#zx off %#llx (align %#lx): %s", len,
			     (unsigned long long)off, align, strerrorname_np(errno));
			break;
		}
		n_maps++;
		if (touch(p, len, off, &seed)) {
			n_sigbus++;
			munmap(p, len);
			check_stays_dead(fd);
			close(fd);
			fd = -1;
			continue;
		}
		munmap(p, len);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void *remover(void *arg)
{
	static const char *const mods[] = { "tdax_device", "tdax" };

	(void)arg;
	while (!stop) {
		for (int i = 0; i < 2; i++) {
			if (syscall(SYS_delete_module, mods[i], O_NONBLOCK) == 0) {
				fail("rmmod %s succeeded while a file was open", mods[i]);
				return NULL;
			}
			n_rmmod_refused++;
		}
		usleep(5000);
	}
	return NULL;
}

static int fill_span(void)
{
	int fd = open(dev_path, O_RDWR);
	uint64_t *p;

	if (fd < 0)
		return -1;
	p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < span / 8; i++)
		p[i] = tag(i * 8);
	munmap(p, span);
	close(fd);
	return 0;
}

static int cycle(int n, unsigned long *align)
{
	static const unsigned long aligns[] = { SZ_2M, SZ_4K, SZ_1G };
	int naligns = dev_size >= SZ_1G ? 3 : 2;
	char path[200], val[32], half[32], full[32];
	int rc;

	snprintf(path, sizeof(path), "%s/unbind", drv_dir);
	rc = sysfs_write(path, dev_name);
	if (rc) {
		fail("cycle %d: unbind: %s", n, strerrorname_np(rc));
		return -1;
	}
	if (n % 7 == 0) {
		*align = aligns[(n / 7) % naligns];
		snprintf(path, sizeof(path), "%s/align", sys_dir);
		snprintf(val, sizeof(val), "%lu", *align);
		rc = sysfs_write(path, val);
		if (rc) {
			fail("cycle %d: align %lu: %s", n, *align, strerrorname_np(rc));
			return -1;
		}
	}
	if (n % 5 == 0 && *align != SZ_1G) {
		snprintf(path, sizeof(path), "%s/size", sys_dir);
		snprintf(half, sizeof(half), "%zu", dev_size / 2);
		snprintf(full, sizeof(full), "%zu", dev_size);
		rc = sysfs_write(path, half);
		if (!rc)
			rc = sysfs_write(path, full);
		if (rc) {
			fail("cycle %d: size %s and back: %s", n, half, strerrorname_np(rc));
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/bind", drv_dir);
	rc = sysfs_write(path, dev_name);
	if (rc) {
		fail("cycle %d: bind: %s", n, strerrorname_np(rc));
		return -1;
	}
	return 0;
}

static int cmd_churn(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	int cycles, nthreads, hfd, i, done = 0, kmsg;
	const char *h_touch, *h_mmap;
	pthread_t th[64], rm;
	unsigned long align;
	volatile uint64_t *hp;
	char apath[160];
	void *q;

	if (argc != 5)
		return 2;
	dev_name = argv[0];
	cycles = atoi(argv[1]);
	nthreads = atoi(argv[2]);
	span = strtoul(argv[3], NULL, 0) << 20;
	dev_size = strtoul(argv[4], NULL, 0) << 20;
	if (cycles < 1 || nthreads < 1 || nthreads > 64 || !span ||
	    dev_size % (4 * SZ_2M) || dev_size > SZ_1G || span > dev_size / 2 ||
	    span % SZ_2M)
		return 2;
	snprintf(dev_path, sizeof(dev_path), "/dev/%s", dev_name);
	snprintf(sys_dir, sizeof(sys_dir), "/sys/bus/tdax/devices/%s", dev_name);
	sigaction(SIGBUS, &sa, NULL);
	snprintf(apath, sizeof(apath), "%s/align", sys_dir);
	align = sysfs_read_ul(apath);

	if (fill_span()) {
		printf("cannot fill %s: %s\n", dev_path, strerrorname_np(errno));
		return 1;
	}
	hfd = open(dev_path, O_RDWR);
	hp = hfd < 0 ? MAP_FAILED : mmap(NULL, align, PROT_READ | PROT_WRITE,
					  MAP_SHARED, hfd, 0);
	if (hp == MAP_FAILED) {
		printf("holder: cannot map %s: %s\n", dev_path, strerrorname_np(errno));
		return 1;
	}
	if (hp[0] != tag(0)) {
		printf("holder: wrong data at offset 0\n");
		return 1;
	}

	for (i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
	pthread_create(&rm, NULL, remover, NULL);
	kmsg = open("/dev/kmsg", O_WRONLY);
	for (done = 0; done < cycles && !stop; done++) {
		if (cycle(done + 1, &align))
			break;
		usleep(1000 + (done % 4) * 500);	/* let the threads map */
		if (kmsg >= 0 && (done + 1) % 100 == 0)
			dprintf(kmsg, "daxstress: %d of %d cycles, %ld mappings\n",
				done + 1, cycles, n_maps);
	}
	if (kmsg >= 0)
		close(kmsg);
	stop = 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	pthread_join(rm, NULL);

	/* the holder's binding ended with the first cycle */
	h_touch = touch(hp, SZ_4K, 0, &(uint64_t){ 1 }) ? "sigbus" : "ok";
	q = mmap(NULL, dev_size, PROT_READ | PROT_WRITE, MAP_SHARED, hfd, 0);
	h_mmap = q == MAP_FAILED ? strerrorname_np(errno) : "mapped";
	close(hfd);

	printf("cycles=%d maps=%ld pages=%ld sigbus=%ld enxio=%ld open_waits=%ld rmmod_refused=%ld holder=%s,%s\n",
	       done, n_maps, n_pages, n_sigbus, n_enxio, n_reopen_wait,
	       n_rmmod_refused, h_touch, h_mmap);
	if (failed) {
		printf("FAIL: %s\n", fail_msg);
		return 1;
	}
	if (strcmp(h_touch, "sigbus") || strcmp(h_mmap, "ENXIO")) {
		printf("FAIL: holder file of the first binding: touch %s mmap %s, want sigbus ENXIO\n",
		       h_touch, h_mmap);
		return 1;
	}
	if (n_maps < cycles) {
		printf("FAIL: only %ld mappings over %d cycles: the workload did not run\n",
		       n_maps, cycles);
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int cmd_mmap(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	int prot = PROT_READ | PROT_WRITE, flags = 0, fd;
	unsigned long long len, off;
	char path[64], *tok, *save;
	void *addr = NULL, *p;

	if (argc != 4)
		return 2;
	snprintf(path, sizeof(path), "/dev/%s", argv[0]);
	len = strtoull(argv[1], NULL, 0);
	off = strtoull(argv[2], NULL, 0);
	for (tok = strtok_r(argv[3], ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "shared"))
			flags |= MAP_SHARED;
		else if (!strcmp(tok, "private"))
			flags |= MAP_PRIVATE;
		else if (!strcmp(tok, "validate"))
			flags |= MAP_SHARED_VALIDATE;
		else if (!strcmp(tok, "sync"))
			flags |= MAP_SYNC;
		else if (!strcmp(tok, "bogus"))
			flags |= 0x200000;	/* no MAP_* flag on x86 */
		else if (!strcmp(tok, "ro"))
			prot = PROT_READ;
		else if (!strcmp(tok, "exec"))
			prot |= PROT_EXEC;
		else if (!strcmp(tok, "fixed")) {
			char *r = mmap(NULL, 2 * SZ_1G, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

			if (r == MAP_FAILED)
				return 2;
			addr = (char *)(((uintptr_t)r + SZ_1G - 1) & ~(SZ_1G - 1)) + SZ_4K;
			munmap(r, 2 * SZ_1G);
			flags |= MAP_FIXED;
		} else
			return 2;
	}
	fd = open(path, prot & PROT_WRITE ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		printf("open: %s\n", strerrorname_np(errno));
		return 0;
	}
	p = mmap(addr, (size_t)len, prot, flags, fd, (off_t)off);
	if (p == MAP_FAILED) {
		printf("%s\n", strerrorname_np(errno));
		return 0;
	}
	sigaction(SIGBUS, &sa, NULL);
	printf("%s\n", touch_any(p, prot) ? "sigbus" : "ok");
	return 0;
}

static int cmd_mmaploop(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	long ok = 0, enxio = 0, sigbus = 0;
	const char *last = "none";
	uint64_t seed = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL | 1;
	char path[64];
	int fd;

	if (argc != 2)
		return 2;
	snprintf(path, sizeof(path), "/dev/%s", argv[0]);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		printf("FAIL: open %s: %s\n", path, strerrorname_np(errno));
		return 1;
	}
	sigaction(SIGBUS, &sa, NULL);
	while (access(argv[1], F_OK)) {
		uint64_t off = rnd(&seed) % 32 * SZ_2M;
		void *p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

		if (p == MAP_FAILED) {
			if (errno != ENXIO) {
				printf("FAIL: mmap: %s\n", strerrorname_np(errno));
				return 1;
			}
			enxio++;
			last = "ENXIO";
			usleep(500);	/* keep racing the writers, do not starve them */
			continue;
		}
		if (enxio) {
			printf("FAIL: mmap works again after ENXIO (a dead file revived)\n");
			return 1;
		}
		if (touch_any(p, PROT_WRITE)) {
			sigbus++;
			last = "sigbus";
		} else {
			if (!ok++)
				printf("mapped\n");	/* the caller waits for it */
			last = "ok";
		}
		munmap(p, SZ_2M);
	}
	printf("ok=%ld enxio=%ld sigbus=%ld last=%s\n", ok, enxio, sigbus, last);
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = 2;
	if (argc > 1 && !strcmp(argv[1], "churn"))
		rc = cmd_churn(argc - 2, argv + 2);
	else if (argc > 1 && !strcmp(argv[1], "mmap"))
		rc = cmd_mmap(argc - 2, argv + 2);
	else if (argc > 1 && !strcmp(argv[1], "mmaploop"))
		rc = cmd_mmaploop(argc - 2, argv + 2);
	if (rc == 2)
		fprintf(stderr, "usage: daxstress churn DEV CYCLES THREADS SPAN_MB SIZE_MB | mmap DEV LEN OFF FLAGS | mmaploop DEV STOPFILE\n");
	return rc;
}
