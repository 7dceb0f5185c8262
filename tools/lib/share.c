// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * share.c - one program set for every consumer on the host.
 *
 * The first consumer (daxtop, daxcollect, a benchmark) loads and attaches
 * the tdax programs as usual and pins their maps and links under
 * /sys/fs/bpf/tdax (opts.pin_dir); the next ones open the pinned maps and
 * load nothing, so a second consumer costs nothing per fault.  The set
 * lives while one consumer uses it: the last one to leave unpins it (the
 * links detach, the module can be unloaded).
 *
 * Who is using the set is kept with flock(2) locks in /run/tdax
 * (opts.run_dir), so a consumer that dies is no longer counted:
 *   lock    taken exclusively to join or leave (one at a time);
 *   users   shared by every consumer; the one that can take it
 *           exclusively after dropping its own is the last;
 *   owner   exclusive: the one consumer that deletes rows from the maps
 *           (retired instances, exited processes; archive.c); another
 *           takes it over at its next snapshot when the owner leaves;
 *   procs   shared by the consumers that want per-process rows: the
 *           owner sets ctl[TDAX_CTL_WANT_PROCS] to whether anyone does.
 *   consumer.N  (N < SLOTS) exclusive, one per consumer, holding when it
 *           joined and when its last snapshot began: the owner retires a
 *           row (a destroyed device, an exited process) only once every
 *           consumer has begun a snapshot after the owner found it
 *           retirable, so each reports it once with its final counts
 *           before it moves to the archive (a consumer silent for
 *           SLOT_STALE_NS is not waited for).
 *   archive the owner's archive (the rows it deleted, with their final
 *           counts, the count of the fault records in them, and the
 *           deletions themselves), written before the rows are deleted; the
 *           other consumers read it after reading the maps, and skip the map
 *           rows of archived instances, so no row is counted twice or missed
 *           (see tdax_share_sync()); one that takes over makes the listed
 *           deletions, in case the owner died before it made them.
 *
 * Who may join: by default run_dir and pin_dir are made by the first
 * consumer, root's (0755, 0700) and so are its files (0600).  A host that
 * shares the set with an unprivileged service (the packaged daxcollect:
 * user daxcollect, group tdax, CAP_BPF and CAP_PERFMON) makes both
 * directories setgid and group-writable beforehand (tmpfiles.d: 2770
 * root:tdax); then every file and pin in them gets the group (inherited
 * from the directory) and mode 0660 (fchmod/chmod: the umask and
 * bpf_obj_pin()'s 0600 do not decide), the archive 0640.  The programs are
 * pinned too (prog_NAME): a follower without CAP_SYS_ADMIN cannot get
 * them by id from the links, and their run statistics are read from them.
 * A consumer outside the group cannot open the lock files: a private set.
 *
 * A set made by another build of the BPF object (ctl[TDAX_CTL_LAYOUT], a
 * hash of the object) is not joined while in use: the consumer loads a
 * private set.  Private too: the snoop stream (opts.events), raw_tp by
 * force, a forced stock attachment, a sysfs_root other than /sys,
 * opts.no_share or TDAX_NO_SHARE=1 in the environment.
 *
 * A set has the links of the sources its maker wanted (c->want), and its
 * layout hash covers them: a consumer joins only a set of the same
 * sources.  The stock source (source_stock.c): the stock programs attached
 * on the tdax object's maps (its own programs attached only for the tdax
 * source), their links pinned as link_stock_* (tdax_stock_pin()); the
 * followers open those links (tdax_stock_follow()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <time.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps_int.h"
#include "tdax_collect.skel.h"
#include "tdax_stock.skel.h"

#define BPF_FS_MAGIC_	0xcafe4a11
#define ARCHIVE_MAGIC	"TDAXARC2"
/* processes folded by the owner and listed for the others (see below) */
#define FOLDED_MAX	4096
/* deletions listed in one archive, at most (a sanity bound on the file) */
#define DELS_MAX	(1U << 20)
#define SLOTS		16
#define SLOT_STALE_NS	(600ULL * 1000000000ULL)

/** struct slot_rec - what consumer.N holds (CLOCK_MONOTONIC ns). */
struct slot_rec {
	__u64 join_ns;
	__u64 last_ns;		/* start of the last snapshot done, 0: none yet */
};

/** struct pending - a row the owner found retirable, and when. */
struct pending {
	int kind;		/* 0 device instance, 1 process row */
	struct tdax_proc_key k;	/* device: k.instance only */
	__u64 since_ns;
	__u64 seen;		/* snapshot generation that last found it */
};

/** struct share_del - a map row the owner deletes after writing the archive. */
struct share_del {
	int fd;
	unsigned int ksz;
	char key[48];
};

/**
 * struct tdax_share - this consumer's part in the shared set.
 * @lock_fd..@procs_fd: the lock files of run_dir (procs_fd: -1 unless
 *	per-process rows are wanted)
 * @owner:	this consumer deletes rows and writes the archive
 * @link_fd:	the pinned links (their programs give the run statistics)
 * @gen:	generation of the archive written (owner) or read (others)
 * @folded:	the last FOLDED_MAX process rows the owner folded into
 *	"exited" and deleted (a ring): rows the others must not count again
 *	if they read them before the deletion
 */
struct tdax_share {
	char pin[PATH_MAX / 2], run[PATH_MAX / 2];
	int lock_fd, users_fd, owner_fd, procs_fd;
	bool owner, want_procs, dirty;
	unsigned int sources;	/* TDAX_SOURCE_*: the tdax links, the stock ones, both */
	bool group;		/* run and pin dirs setgid, group-writable: files 0660 */
	gid_t gid;		/* ... and their group */
	int ctl_fd;
	int link_fd[TDAX_NEVENTS];
	int prog_fd[TDAX_NEVENTS];
	__u64 layout;
	__u64 gen;
	struct share_del *dels;
	size_t ndels, cdels;
	struct tdax_proc_key *folded;
	size_t nfolded, folded_next;
	int slot, slot_fd[SLOTS];	/* own slot; the owner opens them all */
	struct pending *pend;
	size_t npend, cpend;
	__u64 snap_gen, min_last_ns;
	unsigned long long ncommits;	/* archives with deletions (test_crash_point) */
};

/** struct archive_hdr - the archive file: this, then the arrays in order. */
struct archive_hdr {
	char magic[8];
	__u64 layout;		/* the set's, and the library's row sizes */
	__u64 gen;
	__u64 faults_deleted;
	__u32 ndevs, nfaults, nmmaps, nprocs, nregions, nfolded;
	__u32 ndels, pad;
};

/**
 * struct archive_del - a deletion the archive's writer was about to make
 * (the last array of the file).  An owner killed between writing the
 * archive and deleting the rows leaves them in the maps; its successor
 * makes these deletions when it takes over, or it would count the rows
 * again (as late rows of the archived instances).
 */
struct archive_del {
	char map[BPF_OBJ_NAME_LEN];
	__u32 ksz, pad;
	char key[48];
};

static const char *const link_names[TDAX_NEVENTS] = {
	"fault", "mmap", "bind", "unbind", "region_create", "region_destroy",
	"dev_create", "dev_destroy", "flush", "kmem_add", "kmem_remove", "kmem_block",
};

static __u64 fnv1a(__u64 h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

/* The object's identity, and the layout of the rows of the archive file. */
static __u64 set_layout(unsigned int sources)
{
	static const size_t sizes[] = {
		sizeof(struct tdax_snap_dev), sizeof(struct tdax_snap_fault),
		sizeof(struct tdax_snap_mmap), sizeof(struct tdax_snap_proc),
		sizeof(struct tdax_snap_region), sizeof(struct tdax_proc_key),
	};
	size_t sz;
	const void *elf = tdax_collect__elf_bytes(&sz);
	__u64 h = 0xcbf29ce484222325ULL;

	h = fnv1a(h, elf, sz);
	/* a set of other sources is another set, even of the same build */
	h = fnv1a(h, &sources, sizeof(sources));
	if (sources & TDAX_SOURCE_STOCK) {
		elf = tdax_stock__elf_bytes(&sz);
		h = fnv1a(h, elf, sz);
	}
	return fnv1a(h, sizes, sizeof(sizes));
}

static bool share_wanted(struct tdax_collector *c)
{
	const char *e = getenv("TDAX_NO_SHARE");

	if (c->opts.no_share || (e && *e && strcmp(e, "0")) || c->opts.events ||
	    strcmp(c->root, "/sys"))
		return false;
	if ((c->want & TDAX_SOURCE_TDAX) && c->opts.force_raw_tp)
		return false;
	if ((c->want & TDAX_SOURCE_STOCK) && tdax_stock_forced(c))
		return false;
	return c->want & TDAX_SOURCE_BOTH;
}

/* The maps of the set: all but the ring buffer and the internal ones. */
static bool map_shared(const struct bpf_map *m)
{
	return !bpf_map__is_internal(m) && bpf_map__type(m) != BPF_MAP_TYPE_RINGBUF;
}

/* A directory made for a group: setgid (files inherit its group), group rwx. */
static bool group_dir(const char *path, gid_t *gid)
{
	struct stat st;

	if (stat(path, &st) || !S_ISDIR(st.st_mode) ||
	    (st.st_mode & (S_ISGID | S_IRWXG)) != (S_ISGID | S_IRWXG))
		return false;
	*gid = st.st_gid;
	return true;
}

/*
 * The mode of a file this consumer made, whatever the umask: group
 * read-write in a group directory (the next owner may be any member).  A
 * file another consumer made keeps its mode (it set it; chmod is refused);
 * one of its own from before the directory was the group's (root's lock
 * files) gets the group too.
 */
static void set_mode(const struct tdax_share *s, int fd, const char *path, mode_t mode)
{
	struct stat st;

	if (!s->group)
		return;
	if (fd >= 0 ? fstat(fd, &st) : stat(path, &st))
		return;
	if (st.st_uid != geteuid())
		return;
	if (st.st_gid != s->gid && (fd >= 0 ? fchown(fd, -1, s->gid) : chown(path, -1, s->gid)))
		return;
	if ((st.st_mode & 07777) == mode)
		return;
	if (fd >= 0)
		fchmod(fd, mode);
	else
		chmod(path, mode);
}

/* The mode of a pin this consumer made (tdax_stock_pin()'s fixup). */
static void pin_mode(const char *path, void *arg)
{
	set_mode(arg, -1, path, 0660);
}

static int open_lock(const struct tdax_share *s, const char *name)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", s->run, name);
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, s->group ? 0660 : 0600);
	if (fd >= 0)
		set_mode(s, fd, p, 0660);
	return fd;
}

/*
 * Take "lock" exclusively, waiting at most LOCK_WAIT_MS: a join or leave
 * holds it for milliseconds; one held longer is someone else's problem.
 */
#define LOCK_WAIT_MS	5000
static int lock_wait(int fd)
{
	int i;

	for (i = 0; i < LOCK_WAIT_MS / 10; i++) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		usleep(10000);
	}
	errno = ETIMEDOUT;
	return -1;
}

static int ctl_set(int fd, __u32 idx, __u64 v)
{
	return bpf_map_update_elem(fd, &idx, &v, BPF_ANY);
}

static __u64 ctl_get(int fd, __u32 idx)
{
	__u64 v = 0;

	bpf_map_lookup_elem(fd, &idx, &v);
	return v;
}

static void pin_path(const struct tdax_share *s, char *p, size_t n, const char *kind,
		     const char *name)
{
	snprintf(p, n, "%s/%s%s", s->pin, kind, name);
}

/* Remove every pin of the set (the links detach when no fd holds them). */
static void unpin_all(struct tdax_collector *c, struct tdax_share *s)
{
	struct tdax_collect *skel = c->skel;
	char p[PATH_MAX];
	struct bpf_map *m;
	int i;

	for (i = 0; i < TDAX_NEVENTS; i++) {
		pin_path(s, p, sizeof(p), "link_", link_names[i]);
		unlink(p);
		pin_path(s, p, sizeof(p), "prog_", link_names[i]);
		unlink(p);
	}
	bpf_object__for_each_map(m, skel->obj) {
		if (!map_shared(m))
			continue;
		pin_path(s, p, sizeof(p), "", bpf_map__name(m));
		unlink(p);
	}
	tdax_stock_unpin(c, s->pin);
	snprintf(p, sizeof(p), "%s/archive", s->run);
	unlink(p);
}

static void close_fds(int *fd, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		fd[i] = -1;
	}
}

/*
 * The programs behind the pinned links, for bpf_run_ns (read_run_stats):
 * their own pins (prog_NAME), else by id from the link (CAP_SYS_ADMIN).
 */
static int open_links(struct tdax_collector *c, struct tdax_share *s)
{
	char p[PATH_MAX];
	int i;

	for (i = 0; i < TDAX_NEVENTS; i++) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);

		pin_path(s, p, sizeof(p), "link_", link_names[i]);
		s->link_fd[i] = bpf_obj_get(p);
		if (s->link_fd[i] < 0)
			return -errno;
		if (bpf_obj_get_info_by_fd(s->link_fd[i], &info, &len))
			return -errno;
		pin_path(s, p, sizeof(p), "prog_", link_names[i]);
		s->prog_fd[i] = bpf_obj_get(p);
		if (s->prog_fd[i] < 0)
			s->prog_fd[i] = bpf_prog_get_fd_by_id(info.prog_id);
		if (s->prog_fd[i] < 0)
			return -errno;
		if (i == 0) {
			/* tp_btf programs are of the tracing type (links: raw_tp) */
			struct bpf_prog_info pi = {};
			__u32 plen = sizeof(pi);

			if (bpf_obj_get_info_by_fd(s->prog_fd[i], &pi, &plen))
				return -errno;
			c->loaded_mode = pi.type == BPF_PROG_TYPE_TRACING ? TDAX_ATTACH_TP_BTF :
					 TDAX_ATTACH_RAW_TP;
		}
	}
	return 0;
}

/* Join the pinned set as a follower: a skeleton holding the pinned maps. */
static int follow(struct tdax_collector *c, struct tdax_share *s)
{
	struct tdax_collect *skel;
	struct bpf_map *m;
	char p[PATH_MAX];
	int err;

	skel = tdax_collect__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_map(m, skel->obj) {
		int fd;

		if (!map_shared(m))
			continue;
		pin_path(s, p, sizeof(p), "", bpf_map__name(m));
		fd = bpf_obj_get(p);
		if (fd < 0) {
			err = -errno;
			tdax_collect__destroy(skel);
			return err;
		}
		err = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (err) {
			tdax_collect__destroy(skel);
			return err;
		}
	}
	err = s->sources & TDAX_SOURCE_TDAX ? open_links(c, s) : 0;
	if (!err && (s->sources & TDAX_SOURCE_STOCK))
		err = tdax_stock_follow(c, s->pin);
	if (err) {
		close_fds(s->link_fd, TDAX_NEVENTS);
		close_fds(s->prog_fd, TDAX_NEVENTS);
		tdax_collect__destroy(skel);
		return err;
	}
	tdax_collect__destroy(c->skel);	/* the private maps of an earlier life */
	c->skel = skel;
	return 0;
}

/*
 * The programs of the set: the tdax object loaded (its maps are the set's),
 * its programs attached for the tdax source; the stock programs attached
 * on those maps for the stock source.  1 when the stock programs do not
 * attach: a private set (the collector retries them, and says why).
 */
static int load_attach(struct tdax_collector *c, unsigned int sources)
{
	int err;

	if (sources & TDAX_SOURCE_TDAX)
		err = tdax_collector_load_attach(c, true);
	else
		err = tdax_collector_load(c, true);
	if (err || !(sources & TDAX_SOURCE_STOCK))
		return err;
	tdax_stock_close(c);	/* a private attachment of an earlier life */
	c->making_share = true;
	err = tdax_stock_attach(c);
	c->making_share = false;
	if (!err)
		return 0;
	tdax_stock_close(c);
	c->err[0] = 0;
	return 1;
}

/* Make the set: load and attach (reusing c->skel's maps), pin it all. */
static int create(struct tdax_collector *c, struct tdax_share *s)
{
	struct bpf_map *m;
	char p[PATH_MAX];
	int i, err;

	err = load_attach(c, s->sources);
	if (err < 0)
		return err;
	if (err) {
		/* private: the tdax programs (if any) switch procs as a private set */
		ctl_set(bpf_map__fd(c->skel->maps.ctl), TDAX_CTL_WANT_PROCS, !c->opts.no_procs);
		if (c->opts.verbose)
			fprintf(stderr, "tdax: the stock programs do not attach: a private program set\n");
		return 1;
	}
	bpf_object__for_each_map(m, c->skel->obj) {
		if (!map_shared(m))
			continue;
		pin_path(s, p, sizeof(p), "", bpf_map__name(m));
		err = bpf_map__pin(m, p);
		if (err)
			goto fail;
		set_mode(s, -1, p, 0660);
	}
	for (i = 0; i < TDAX_NEVENTS && (s->sources & TDAX_SOURCE_TDAX); i++) {
		pin_path(s, p, sizeof(p), "link_", link_names[i]);
		err = bpf_link__pin(c->links[i], p);
		if (err)
			goto fail;
		set_mode(s, -1, p, 0660);
		pin_path(s, p, sizeof(p), "prog_", link_names[i]);
		if (bpf_obj_pin(bpf_program__fd(tdax_prog_of(c, c->loaded_mode, i)), p)) {
			err = -errno;
			goto fail;
		}
		set_mode(s, -1, p, 0660);
	}
	if (s->sources & TDAX_SOURCE_STOCK) {
		err = tdax_stock_pin(c, s->pin, pin_mode, s);
		if (err)
			goto fail;
	}
	s->ctl_fd = bpf_map__fd(c->skel->maps.ctl);
	err = ctl_set(s->ctl_fd, TDAX_CTL_LAYOUT, s->layout);
	if (!err && (s->sources & TDAX_SOURCE_TDAX))
		err = open_links(c, s);
	if (err)
		goto fail;
	s->ctl_fd = dup(s->ctl_fd);
	return s->ctl_fd < 0 ? -errno : 0;
fail:
	/*
	 * Loaded and attached, not pinned (another user's pins, a full or
	 * read-only file system): used as a private set, procs as wanted.
	 */
	err = err < 0 ? err : -errno;
	for (i = 0; i < TDAX_NEVENTS; i++)
		if (c->links[i])
			bpf_link__unpin(c->links[i]);
	unpin_all(c, s);
	close_fds(s->link_fd, TDAX_NEVENTS);
	close_fds(s->prog_fd, TDAX_NEVENTS);
	ctl_set(bpf_map__fd(c->skel->maps.ctl), TDAX_CTL_WANT_PROCS, !c->opts.no_procs);
	s->ctl_fd = -1;
	snprintf(c->note, sizeof(c->note), "cannot pin the BPF programs under %s (%s): "
		 "a private program set", s->pin, strerror(-err));
	if (c->opts.verbose)
		fprintf(stderr, "tdax: %s\n", c->note);
	return 1;
}

static void share_free(struct tdax_share *s)
{
	if (!s)
		return;
	close_fds(s->link_fd, TDAX_NEVENTS);
	close_fds(s->prog_fd, TDAX_NEVENTS);
	close_fds(&s->ctl_fd, 1);
	close_fds(&s->procs_fd, 1);
	close_fds(&s->owner_fd, 1);
	close_fds(&s->users_fd, 1);
	close_fds(&s->lock_fd, 1);
	close_fds(s->slot_fd, SLOTS);
	free(s->pend);
	free(s->dels);
	free(s->folded);
	free(s);
}

static int read_archive(struct tdax_collector *c, bool force);

int tdax_share_join(struct tdax_collector *c)
{
	struct tdax_share *s;
	struct statfs sfs;
	char p[PATH_MAX], parent[PATH_MAX];
	const char *e;
	bool joined = false;
	gid_t gid;
	int err, i;

	if (c->share)
		return 0;
	if (!share_wanted(c))
		return 1;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lock_fd = s->users_fd = s->owner_fd = s->procs_fd = s->ctl_fd = -1;
	for (i = 0; i < TDAX_NEVENTS; i++)
		s->link_fd[i] = s->prog_fd[i] = -1;
	for (i = 0; i < SLOTS; i++)
		s->slot_fd[i] = -1;
	s->slot = -1;
	e = c->opts.pin_dir ? c->opts.pin_dir : getenv("TDAX_PIN_DIR");
	snprintf(s->pin, sizeof(s->pin), "%s", e && *e ? e : "/sys/fs/bpf/tdax");
	e = c->opts.run_dir ? c->opts.run_dir : getenv("TDAX_RUN_DIR");
	snprintf(s->run, sizeof(s->run), "%s", e && *e ? e : "/run/tdax");
	s->want_procs = !c->opts.no_procs;
	s->sources = c->want;
	s->layout = set_layout(s->sources);

	snprintf(parent, sizeof(parent), "%s", s->pin);
	if (strrchr(parent, '/') && strrchr(parent, '/') != parent)
		*strrchr(parent, '/') = 0;
	if (statfs(parent, &sfs) || sfs.f_type != BPF_FS_MAGIC_) {
		if (c->opts.verbose)
			fprintf(stderr, "tdax: %s is not a BPF file system: a private program set\n",
				parent);
		share_free(s);
		return 1;
	}
	if ((mkdir(s->run, 0755) && errno != EEXIST) ||
	    (mkdir(s->pin, 0700) && errno != EEXIST)) {
		err = -errno;
		snprintf(c->note, sizeof(c->note), "cannot make %s or %s (%s): a private program set",
			 s->run, s->pin, strerror(-err));
		if (c->opts.verbose)
			fprintf(stderr, "tdax: %s\n", c->note);
		share_free(s);
		return 1;
	}
	/* made for a group (tmpfiles.d/tdax.conf): its members share the set */
	s->group = group_dir(s->run, &gid) && group_dir(s->pin, &s->gid) && gid == s->gid;
	s->lock_fd = open_lock(s, "lock");
	s->users_fd = open_lock(s, "users");
	s->owner_fd = open_lock(s, "owner");
	if (s->lock_fd < 0 || s->users_fd < 0 || s->owner_fd < 0 || lock_wait(s->lock_fd)) {
		/* another user's files, or held too long: not fatal */
		err = -errno;
		snprintf(c->note, sizeof(c->note), "cannot lock %s/lock (%s): a private program set",
			 s->run, strerror(-err));
		if (c->opts.verbose)
			fprintf(stderr, "tdax: %s\n", c->note);
		share_free(s);
		return 1;
	}

	pin_path(s, p, sizeof(p), "", "ctl");
	s->ctl_fd = bpf_obj_get(p);
	if (s->ctl_fd >= 0 && ctl_get(s->ctl_fd, TDAX_CTL_LAYOUT) == s->layout &&
	    !follow(c, s)) {
		joined = true;
	} else if (s->ctl_fd >= 0 || !access(p, F_OK)) {
		/* another build's set, or a broken one: remade if unused */
		close_fds(s->link_fd, TDAX_NEVENTS);
		close_fds(s->prog_fd, TDAX_NEVENTS);
		close_fds(&s->ctl_fd, 1);
		if (flock(s->users_fd, LOCK_EX | LOCK_NB)) {
			snprintf(c->note, sizeof(c->note),
				 "the programs pinned under %s are another build's and in use: "
				 "a private program set", s->pin);
			if (c->opts.verbose)
				fprintf(stderr, "tdax: %s\n", c->note);
			share_free(s);
			return 1;
		}
		unpin_all(c, s);
		flock(s->users_fd, LOCK_UN);
	}
	if (!joined) {
		err = create(c, s);
		if (err) {
			flock(s->lock_fd, LOCK_UN);
			share_free(s);
			return err;	/* 1: loaded and attached, private */
		}
		snprintf(p, sizeof(p), "%s/archive", s->run);
		unlink(p);	/* a new set: the last one's archive is not its own */
	}
	if (flock(s->users_fd, LOCK_SH)) {
		err = -errno;
		goto fail;
	}
	if (s->want_procs) {
		s->procs_fd = open_lock(s, "procs");
		if (s->procs_fd < 0 || flock(s->procs_fd, LOCK_SH)) {
			err = -errno;
			goto fail;
		}
		ctl_set(s->ctl_fd, TDAX_CTL_WANT_PROCS, 1);
	}
	for (i = 0; i < SLOTS && s->slot < 0; i++) {
		struct slot_rec r = { tdax_now_ns(CLOCK_MONOTONIC), 0 };

		snprintf(p, sizeof(p), "consumer.%d", i);
		s->slot_fd[i] = open_lock(s, p);
		if (s->slot_fd[i] >= 0 && !flock(s->slot_fd[i], LOCK_EX | LOCK_NB) &&
		    pwrite(s->slot_fd[i], &r, sizeof(r), 0) == sizeof(r))
			s->slot = i;
		else
			close_fds(&s->slot_fd[i], 1);
	}
	c->share = s;
	c->share_left = false;
	s->owner = !flock(s->owner_fd, LOCK_EX | LOCK_NB);
	if (joined)
		read_archive(c, true);	/* the owner's, even if this one is the owner now */
	else
		s->dirty = true;
	flock(s->lock_fd, LOCK_UN);
	/* the tdax source's links (c->stock: the stock ones) */
	c->attached = s->sources & TDAX_SOURCE_TDAX;
	if (c->opts.verbose)
		fprintf(stderr, "tdax: %s the program set pinned under %s (%s)\n",
			joined ? "joined" : "made", s->pin, s->owner ? "owner" : "follower");
	return 0;
fail:
	flock(s->lock_fd, LOCK_UN);
	err = tdax_set_err(c, err, "cannot join the program set in %s: %s", s->run,
			   strerror(-err));
	share_free(s);
	c->share = NULL;
	return err;
}

void tdax_share_leave(struct tdax_collector *c)
{
	struct tdax_share *s = c->share;

	if (!s)
		return;
	lock_wait(s->lock_fd);	/* leaving without it: the unpin below may be skipped */
	tdax_share_commit(c);	/* nothing left half done */
	close_fds(&s->procs_fd, 1);
	flock(s->owner_fd, LOCK_UN);
	flock(s->users_fd, LOCK_UN);
	close_fds(s->link_fd, TDAX_NEVENTS);
	c->share_left = true;
	if (!flock(s->users_fd, LOCK_EX | LOCK_NB)) {
		c->share_left = false;	/* the maps are this consumer's alone now */
		/* the last one: the programs go (the module can be unloaded) */
		unpin_all(c, s);
		flock(s->users_fd, LOCK_UN);
		if (c->opts.verbose)
			fprintf(stderr, "tdax: unpinned the program set under %s\n", s->pin);
	}
	flock(s->lock_fd, LOCK_UN);
	c->share = NULL;
	share_free(s);
}

bool tdax_share_follower(const struct tdax_collector *c)
{
	/* left a set others still use: its maps are theirs, read only */
	return c->share ? !c->share->owner : c->share_left;
}

int tdax_share_prog_fd(const struct tdax_collector *c, int i)
{
	return c->share ? c->share->prog_fd[i] : -1;
}

/*
 * The earliest start of the last snapshot of the other consumers (those
 * holding their slot and not silent for SLOT_STALE_NS); ~0 if none.
 */
static __u64 slots_min_last(struct tdax_share *s)
{
	__u64 now = tdax_now_ns(CLOCK_MONOTONIC), min = ~0ULL;
	char name[32];
	int i;

	for (i = 0; i < SLOTS; i++) {
		struct slot_rec r;
		__u64 t;

		if (i == s->slot)
			continue;
		if (s->slot_fd[i] < 0) {
			snprintf(name, sizeof(name), "consumer.%d", i);
			s->slot_fd[i] = open_lock(s, name);
			if (s->slot_fd[i] < 0)
				continue;
		}
		if (!flock(s->slot_fd[i], LOCK_SH | LOCK_NB)) {
			flock(s->slot_fd[i], LOCK_UN);	/* nobody's */
			continue;
		}
		if (pread(s->slot_fd[i], &r, sizeof(r), 0) != sizeof(r))
			continue;
		t = r.last_ns ? r.last_ns : r.join_ns;
		if (now > t && now - t > SLOT_STALE_NS)
			continue;
		if (r.last_ns < min)
			min = r.last_ns;
	}
	return min;
}

void tdax_share_snapshot_done(struct tdax_collector *c, __u64 start_ns)
{
	struct tdax_share *s = c->share;

	if (s && s->slot >= 0)
		pwrite(s->slot_fd[s->slot], &start_ns, sizeof(start_ns),
		       offsetof(struct slot_rec, last_ns));
}

/*
 * May the owner retire this row now: has every other consumer begun a
 * snapshot since the owner first found it retirable?  Private: always.
 */
bool tdax_share_may_retire(struct tdax_collector *c, int kind, const struct tdax_proc_key *k,
			   __u64 now)
{
	struct tdax_share *s = c->share;
	struct pending *p = NULL;
	size_t i;

	if (!s)
		return true;
	if (!s->owner)
		return false;
	for (i = 0; i < s->npend; i++)
		if (s->pend[i].kind == kind && !memcmp(&s->pend[i].k, k, sizeof(*k))) {
			p = &s->pend[i];
			break;
		}
	if (!p) {
		p = tdax_grow(s->pend, &s->cpend, s->npend, sizeof(*p));
		if (!p)
			return true;	/* out of memory: as a private set */
		s->pend = p;
		p = &s->pend[s->npend++];
		p->kind = kind;
		p->k = *k;
		p->since_ns = now;
	}
	p->seen = s->snap_gen;
	if (s->min_last_ns != ~0ULL && s->min_last_ns <= p->since_ns)
		return false;
	*p = s->pend[--s->npend];	/* retired now: forgotten */
	return true;
}

/* Forget the rows no longer found retirable (gone from the maps). */
void tdax_share_pending_prune(struct tdax_collector *c)
{
	struct tdax_share *s = c->share;
	size_t i, j;

	if (!s || !s->owner)
		return;
	for (i = j = 0; i < s->npend; i++)
		if (s->pend[i].seen == s->snap_gen)
			s->pend[j++] = s->pend[i];
	s->npend = j;
}

void tdax_share_begin(struct tdax_collector *c)
{
	struct tdax_share *s = c->share;
	int fd;

	if (!s)
		return;
	if (!s->owner && !flock(s->owner_fd, LOCK_EX | LOCK_NB)) {
		s->owner = true;	/* the owner left: this one deletes from now on */
		read_archive(c, true);	/* its last word */
		if (c->opts.verbose)
			fprintf(stderr, "tdax: now the owner of the program set\n");
	}
	if (!s->owner)
		return;
	s->snap_gen++;
	s->min_last_ns = slots_min_last(s);
	if (s->want_procs) {
		ctl_set(s->ctl_fd, TDAX_CTL_WANT_PROCS, 1);
		return;
	}
	/* anyone holding "procs" wants them: the flag follows */
	fd = open_lock(s, "procs");
	if (fd < 0)
		return;
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		ctl_set(s->ctl_fd, TDAX_CTL_WANT_PROCS, 0);
		flock(fd, LOCK_UN);
	} else {
		ctl_set(s->ctl_fd, TDAX_CTL_WANT_PROCS, 1);
	}
	close(fd);
}

/* ---- deletions and the archive file ----------------------------------------- */

int tdax_map_del(struct tdax_collector *c, int fd, const void *key, size_t ksz)
{
	struct tdax_share *s = c->share;
	struct share_del *d;

	if (!s && c->share_left)
		return -EPERM;
	if (!s)
		return bpf_map_delete_elem(fd, key) ? -errno : 0;
	if (!s->owner || ksz > sizeof(d->key))
		return -EPERM;	/* followers never delete */
	d = tdax_grow(s->dels, &s->cdels, s->ndels, sizeof(*d));
	if (!d)
		return -ENOMEM;
	s->dels = d;
	d = &s->dels[s->ndels++];
	d->fd = fd;
	d->ksz = ksz;
	memcpy(d->key, key, ksz);
	s->dirty = true;
	return 0;
}

void tdax_share_folded_add(struct tdax_collector *c, const struct tdax_proc_key *pk)
{
	struct tdax_share *s = c->share;

	if (!s)
		return;
	if (!s->folded) {
		s->folded = calloc(FOLDED_MAX, sizeof(*s->folded));
		if (!s->folded)
			return;
	}
	s->folded[s->folded_next] = *pk;
	s->folded_next = (s->folded_next + 1) % FOLDED_MAX;
	if (s->nfolded < FOLDED_MAX)
		s->nfolded++;
	s->dirty = true;
}

bool tdax_share_folded(const struct tdax_collector *c, const struct tdax_proc_key *pk)
{
	const struct tdax_share *s = c->share;
	size_t i;

	if (!s || s->owner)
		return false;
	for (i = 0; i < s->nfolded; i++)
		if (!memcmp(&s->folded[i], pk, sizeof(*pk)))
			return true;
	return false;
}

void tdax_share_dirty(struct tdax_collector *c)
{
	if (c->share)
		c->share->dirty = true;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *b = p;

	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		b += w;
		n -= w;
	}
	return 0;
}

/* One deletion to the archive, naming its map. */
static int write_del(int fd, struct tdax_collect *skel, const struct share_del *d)
{
	struct archive_del ad = { .ksz = d->ksz };
	struct bpf_map *m;

	bpf_object__for_each_map(m, skel->obj)
		if (bpf_map__fd(m) == d->fd) {
			snprintf(ad.map, sizeof(ad.map), "%s", bpf_map__name(m));
			break;
		}
	memcpy(ad.key, d->key, d->ksz);
	return write_all(fd, &ad, sizeof(ad));
}

/*
 * Fault injection for tests/guest/share-crash.t: TDAX_TEST_CRASH_COMMIT=N
 * kills the owner right after the N-th archive it wrote that lists
 * deletions, before it makes them.
 */
static void test_crash_point(struct tdax_share *s)
{
	const char *e = getenv("TDAX_TEST_CRASH_COMMIT");

	if (e && *e && s->ndels && ++s->ncommits == strtoull(e, NULL, 10))
		raise(SIGKILL);
}

/* Owner: the archive to the file (atomically), then the deletions. */
int tdax_share_commit(struct tdax_collector *c)
{
	struct tdax_share *s = c->share;
	const struct tdax_snapshot *a = &c->archive;
	struct archive_hdr h = {};
	char p[PATH_MAX], tmp[PATH_MAX + 16];
	size_t i;
	int fd, err = 0;

	if (!s || !s->owner || !s->dirty)
		return 0;
	memcpy(h.magic, ARCHIVE_MAGIC, 8);
	h.layout = s->layout;
	h.gen = ++s->gen;
	h.faults_deleted = c->faults_deleted;
	h.ndevs = a->ndevs;
	h.nfaults = a->nfaults;
	h.nmmaps = a->nmmaps;
	h.nprocs = a->nprocs;
	h.nregions = a->nregions;
	h.nfolded = s->nfolded;
	h.ndels = s->ndels;
	snprintf(p, sizeof(p), "%s/archive", s->run);
	snprintf(tmp, sizeof(tmp), "%s.%d", p, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, s->group ? 0640 : 0644);
	if (fd >= 0)
		set_mode(s, fd, tmp, 0640);	/* the members read it, whatever the umask */
	if (fd < 0)
		err = -errno;
	if (!err)
		err = write_all(fd, &h, sizeof(h));
	if (!err)
		err = write_all(fd, a->devs, a->ndevs * sizeof(*a->devs));
	if (!err)
		err = write_all(fd, a->faults, a->nfaults * sizeof(*a->faults));
	if (!err)
		err = write_all(fd, a->mmaps, a->nmmaps * sizeof(*a->mmaps));
	if (!err)
		err = write_all(fd, a->procs, a->nprocs * sizeof(*a->procs));
	if (!err)
		err = write_all(fd, a->regions, a->nregions * sizeof(*a->regions));
	if (!err && s->nfolded)
		err = write_all(fd, s->folded, s->nfolded * sizeof(*s->folded));
	for (i = 0; !err && i < s->ndels; i++)
		err = write_del(fd, c->skel, &s->dels[i]);
	if (fd >= 0 && close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, p))
		err = -errno;
	if (!err)
		test_crash_point(s);
	if (err) {
		unlink(tmp);
		/*
		 * The rows are deleted all the same: this consumer's archive
		 * has them, and keeping them would count them again.  The
		 * others miss them until the next write succeeds.
		 */
		snprintf(c->note, sizeof(c->note), "cannot write %s: %s", p, strerror(-err));
	}
	for (i = 0; i < s->ndels; i++)
		bpf_map_delete_elem(s->dels[i].fd, s->dels[i].key);
	s->ndels = 0;
	s->dirty = !!err;
	return 0;
}

static int read_exact(int fd, void *p, size_t n)
{
	char *b = p;

	while (n) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r ? -errno : -EIO;
		b += r;
		n -= r;
	}
	return 0;
}

/* Read n rows of elem bytes into a fresh array. */
static int read_rows(int fd, void **arr, size_t n, size_t elem)
{
	*arr = NULL;
	if (!n)
		return 0;
	*arr = calloc(n, elem);
	if (!*arr)
		return -ENOMEM;
	return read_exact(fd, *arr, n * elem);
}

/*
 * A new owner makes the deletions its predecessor wrote in the archive:
 * done already (ENOENT) unless the predecessor died before making them.
 * The keys name instances and processes that ended, so no live row is hit.
 */
static void redo_dels(struct tdax_collector *c, const struct archive_del *d, size_t n)
{
	size_t i, redone = 0;

	for (i = 0; i < n; i++) {
		char name[BPF_OBJ_NAME_LEN + 1] = {};
		struct bpf_map *m;

		memcpy(name, d[i].map, BPF_OBJ_NAME_LEN);
		m = bpf_object__find_map_by_name(c->skel->obj, name);
		if (!m || !map_shared(m) || d[i].ksz != bpf_map__key_size(m) ||
		    d[i].ksz > sizeof(d[i].key))
			continue;
		if (!bpf_map_delete_elem(bpf_map__fd(m), d[i].key))
			redone++;
	}
	if (redone && c->opts.verbose)
		fprintf(stderr, "tdax: made %zu deletions the last owner left undone\n", redone);
}

/*
 * The owner's archive replaces this consumer's: its rows, the records
 * deleted, the processes folded.  Read after the maps (tdax_share_sync), a
 * row deleted between the two reads is in the archive (written first), so
 * it is skipped in the maps and counted once.
 */
static int read_archive(struct tdax_collector *c, bool force)
{
	struct tdax_share *s = c->share;
	struct tdax_snapshot *a = &c->archive, n = {};
	struct tdax_proc_key *folded = NULL;
	struct archive_del *dels = NULL;
	struct archive_hdr h;
	char p[PATH_MAX];
	int fd, err;

	snprintf(p, sizeof(p), "%s/archive", s->run);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	err = read_exact(fd, &h, sizeof(h));
	if (!err && (memcmp(h.magic, ARCHIVE_MAGIC, 8) || h.layout != s->layout ||
		     h.nfolded > FOLDED_MAX || h.ndels > DELS_MAX))
		err = -EPROTO;
	if (err || (!force && h.gen == s->gen)) {
		close(fd);
		return err;
	}
	err = read_rows(fd, (void **)&n.devs, h.ndevs, sizeof(*n.devs));
	if (!err)
		err = read_rows(fd, (void **)&n.faults, h.nfaults, sizeof(*n.faults));
	if (!err)
		err = read_rows(fd, (void **)&n.mmaps, h.nmmaps, sizeof(*n.mmaps));
	if (!err)
		err = read_rows(fd, (void **)&n.procs, h.nprocs, sizeof(*n.procs));
	if (!err)
		err = read_rows(fd, (void **)&n.regions, h.nregions, sizeof(*n.regions));
	if (!err && h.nfolded) {
		folded = calloc(FOLDED_MAX, sizeof(*folded));
		err = folded ? read_exact(fd, folded, h.nfolded * sizeof(*folded)) : -ENOMEM;
	}
	if (!err && force && s->owner)
		err = read_rows(fd, (void **)&dels, h.ndels, sizeof(*dels));
	close(fd);
	if (err) {
		tdax_snapshot_free(&n);
		free(folded);
		free(dels);
		return err;
	}
	if (dels)
		redo_dels(c, dels, h.ndels);
	free(dels);
	n.ndevs = h.ndevs;
	n.nfaults = h.nfaults;
	n.nmmaps = h.nmmaps;
	n.nprocs = h.nprocs;
	n.nregions = h.nregions;
	tdax_snapshot_free(a);
	*a = n;
	c->cap_adevs = n.ndevs;
	c->cap_afaults = n.nfaults;
	c->cap_ammaps = n.nmmaps;
	c->cap_aprocs = n.nprocs;
	c->cap_aregions = n.nregions;
	c->faults_deleted = h.faults_deleted;
	free(s->folded);
	s->folded = folded;
	s->nfolded = h.nfolded;
	s->folded_next = h.nfolded % FOLDED_MAX;
	s->gen = h.gen;
	return 0;
}

int tdax_share_sync(struct tdax_collector *c)
{
	int err;

	if (!c->share || c->share->owner)
		return 0;
	err = read_archive(c, false);
	if (err)
		return tdax_set_err(c, err, "cannot read %s/archive: %s", c->share->run,
				    strerror(-err));
	return 0;
}

const char *tdax_set_role_name(enum tdax_set_role r)
{
	return r == TDAX_SET_OWNER ? "owner" : r == TDAX_SET_FOLLOWER ? "follower" : "private";
}
