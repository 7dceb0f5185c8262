// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * procs.c - is the process of a proc_stats row still running?  One answer
 * per snapshot, for a cost that follows the processes that changed.
 *
 * The answer is the one /proc gives: /proc/PID/stat exists and its start
 * time (field 22, clock ticks) is the row's (so a reused pid is another
 * process; a zombie still runs until it is reaped).  Reading that file is
 * the expensive part (open, the kernel formats the whole stat line, parse),
 * so it is read only the first time a (pid, start) is asked about, and
 * again only when something may have changed: a pidfd opened before that
 * first read refers to exactly that process and becomes readable when it
 * exits; all pidfds sit in one epoll set, so one epoll_wait() per snapshot
 * names the processes that exited and every other row is answered from the
 * cache without a system call.  A process found dead stays dead (its
 * pid, start pair never comes back).
 *
 * Without pidfd_open() (kernels before 5.3), or beyond half of the file
 * descriptor limit (RLIMIT_NOFILE, soft), a row is checked through /proc
 * in every snapshot, as before.  Entries of rows no longer asked about are
 * dropped at the end of the snapshot (tdax_procs_end).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "collector_int.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

enum { PC_FREE, PC_USED, PC_TOMB };

struct pc_ent {
	__u32 pid;
	__u32 state;		/* PC_FREE, PC_USED, PC_TOMB (deleted) */
	__u64 start_ns;
	__u64 gen;		/* snapshot that last asked */
	int pidfd;		/* -1: none, check /proc every time */
	bool dead;		/* final */
	bool dirty;		/* the pidfd said it exited: check /proc */
};

struct tdax_procs {
	struct pc_ent *tab;
	size_t cap, used, tombs;	/* cap: a power of two */
	__u64 gen;
	int epfd;			/* -1 until the first pidfd; -2: unusable */
	int fd_budget;			/* highest fd number kept as a pidfd */
	long clk_tck;
	char proc_root[64];
	struct tdax_procs_stats st;
};

bool tdax_proc_stat_alive(const char *proc_root, long clk_tck, __u32 pid, __u64 start_ns)
{
	char path[128], buf[1024], *p;
	unsigned long long ticks = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "%s/%u/stat", proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	p = strrchr(buf, ')');
	if (!p)
		return false;
	/* field 3 (state) follows ") "; starttime is field 22 */
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return false;
	return ticks == start_ns / (1000000000ULL / (unsigned long long)clk_tck);
}

struct tdax_procs *tdax_procs_new(const char *proc_root, long clk_tck, bool use_pidfd)
{
	struct tdax_procs *pc = calloc(1, sizeof(*pc));
	struct rlimit rl;

	if (!pc)
		return NULL;
	snprintf(pc->proc_root, sizeof(pc->proc_root), "%s", proc_root ? proc_root : "/proc");
	pc->clk_tck = clk_tck > 0 ? clk_tck : 100;
	pc->epfd = use_pidfd ? -1 : -2;
	pc->fd_budget = 512;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		pc->fd_budget = rl.rlim_cur / 2;
	else if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		pc->fd_budget = 1 << 20;
	return pc;
}

static void ent_release(struct tdax_procs *pc, struct pc_ent *e)
{
	if (e->pidfd >= 0) {
		if (pc->epfd >= 0)
			epoll_ctl(pc->epfd, EPOLL_CTL_DEL, e->pidfd, NULL);
		close(e->pidfd);
		e->pidfd = -1;
		pc->st.pidfds--;
	}
}

void tdax_procs_free(struct tdax_procs *pc)
{
	size_t i;

	if (!pc)
		return;
	for (i = 0; i < pc->cap; i++)
		if (pc->tab[i].state == PC_USED && pc->tab[i].pidfd >= 0)
			close(pc->tab[i].pidfd);
	if (pc->epfd >= 0)
		close(pc->epfd);
	free(pc->tab);
	free(pc);
}

static size_t hash_of(__u32 pid, __u64 start_ns)
{
	__u64 h = ((__u64)pid << 32 ^ start_ns) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h ^ (h >> 29));
}

static struct pc_ent *find(struct tdax_procs *pc, __u32 pid, __u64 start_ns)
{
	size_t m = pc->cap - 1, i;

	if (!pc->cap)
		return NULL;
	for (i = hash_of(pid, start_ns) & m;; i = (i + 1) & m) {
		struct pc_ent *e = &pc->tab[i];

		if (e->state == PC_FREE)
			return NULL;
		if (e->state == PC_USED && e->pid == pid && e->start_ns == start_ns)
			return e;
	}
}

static int rehash(struct tdax_procs *pc, size_t ncap)
{
	struct pc_ent *old = pc->tab, *nt;
	size_t ocap = pc->cap, i;

	nt = calloc(ncap, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	pc->tab = nt;
	pc->cap = ncap;
	pc->used = pc->tombs = 0;
	for (i = 0; i < ocap; i++) {
		struct pc_ent *e = &old[i], *d;
		size_t j;

		if (e->state != PC_USED)
			continue;
		for (j = hash_of(e->pid, e->start_ns) & (ncap - 1); nt[j].state != PC_FREE;
		     j = (j + 1) & (ncap - 1))
			;
		d = &nt[j];
		*d = *e;
		pc->used++;
		if (d->pidfd >= 0 && pc->epfd >= 0) {
			struct epoll_event ev = { .events = EPOLLIN, .data.u64 = j };

			epoll_ctl(pc->epfd, EPOLL_CTL_MOD, d->pidfd, &ev);
		}
	}
	free(old);
	return 0;
}

static struct pc_ent *insert(struct tdax_procs *pc, __u32 pid, __u64 start_ns, size_t *slot)
{
	size_t i;

	if ((pc->used + pc->tombs + 1) * 4 > pc->cap * 3 &&
	    rehash(pc, pc->cap ? (pc->used * 4 > pc->cap ? pc->cap * 2 : pc->cap) : 64))
		return NULL;
	for (i = hash_of(pid, start_ns) & (pc->cap - 1); pc->tab[i].state == PC_USED;
	     i = (i + 1) & (pc->cap - 1))
		;
	if (pc->tab[i].state == PC_TOMB)
		pc->tombs--;
	pc->used++;
	pc->tab[i] = (struct pc_ent){ .pid = pid, .start_ns = start_ns, .state = PC_USED,
				      .pidfd = -1 };
	*slot = i;
	return &pc->tab[i];
}

/* A pidfd for pid, in the epoll set under slot; -1 if none. */
static int watch(struct tdax_procs *pc, __u32 pid, size_t slot)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = slot };
	int fd;

	if (pc->epfd == -2)
		return -1;
	if (pc->epfd == -1) {
		pc->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (pc->epfd < 0) {
			pc->epfd = -2;
			return -1;
		}
	}
	fd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (fd < 0) {
		if (errno == ENOSYS)
			pc->epfd = -2;	/* before 5.3: /proc every time */
		return -1;
	}
	if (fd > pc->fd_budget || epoll_ctl(pc->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		return -1;
	}
	pc->st.pidfds++;
	return fd;
}

void tdax_procs_begin(struct tdax_procs *pc)
{
	struct epoll_event ev[256];
	int n, i;

	pc->gen++;
	if (pc->epfd < 0)
		return;
	do {
		n = epoll_wait(pc->epfd, ev, 256, 0);
		pc->st.syscalls++;
		for (i = 0; i < n; i++) {
			struct pc_ent *e = &pc->tab[ev[i].data.u64];

			/* level-triggered: a zombie's pidfd stays readable */
			if (e->state == PC_USED && !e->dirty) {
				e->dirty = true;
				epoll_ctl(pc->epfd, EPOLL_CTL_DEL, e->pidfd, NULL);
			}
		}
	} while (n == 256);
}

bool tdax_procs_alive(struct tdax_procs *pc, __u32 pid, __u64 start_ns)
{
	struct pc_ent *e = find(pc, pid, start_ns);
	size_t slot;
	int fd = -1;
	bool alive;

	if (e) {
		e->gen = pc->gen;
		if (e->dead)
			return false;
		if (e->pidfd >= 0 && !e->dirty)
			return true;
	}
	/* first time, no pidfd, or it exited: ask /proc */
	if (!e) {
		e = insert(pc, pid, start_ns, &slot);
		if (e) {
			e->gen = pc->gen;
			fd = watch(pc, pid, slot);	/* before the read: no race */
			e->pidfd = fd;
		}
	}
	pc->st.proc_reads++;
	alive = tdax_proc_stat_alive(pc->proc_root, pc->clk_tck, pid, start_ns);
	if (e && !alive) {
		e->dead = true;
		ent_release(pc, e);
	}
	return alive;
}

void tdax_procs_end(struct tdax_procs *pc)
{
	size_t i;

	for (i = 0; i < pc->cap; i++) {
		struct pc_ent *e = &pc->tab[i];

		if (e->state != PC_USED || e->gen == pc->gen)
			continue;
		ent_release(pc, e);
		e->state = PC_TOMB;
		pc->used--;
		pc->tombs++;
	}
	pc->st.entries = pc->used;
}

struct tdax_procs_stats tdax_procs_stats(const struct tdax_procs *pc)
{
	return pc->st;
}
