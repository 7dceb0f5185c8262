/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * collector_int.h - internals of the collector library shared by its files
 * (not installed, not for front ends).
 */
#ifndef _TDAX_COLLECTOR_INT_H
#define _TDAX_COLLECTOR_INT_H

#include <limits.h>

#include "tdax_collector.h"
#include "tdax_maps.h"	/* bpf/: the map layout, never seen by front ends */

#define TDAX_NEVENTS	12

struct tdax_collect;		/* the BPF skeleton (tdax_collect.skel.h) */
struct bpf_link;
struct ring_buffer;
struct bpf_program;
struct map_dump;
struct tdax_stock_src;
struct tdax_procs;

/** struct tdax_seen - when the collector first saw a device or region. */
struct tdax_seen {
	int kind;			/* 0 device (by name), 1 region (by id) */
	__u32 id;
	char name[TDAX_NAME_LEN];
	__u32 dev;			/* device: last known dev_t */
	__u64 first_ns;
};

/** struct tdax_sysfs_dev - one device as seen in /sys/bus/tdax/devices. */
struct tdax_sysfs_dev {
	char name[TDAX_NAME_LEN];
	__u32 dev;			/* kernel dev_t, 0 if no "dev" attribute */
	__s32 region_id;		/* -1 if unknown */
	__u64 size;
	__u64 align;
	char driver[TDAX_NAME_LEN];
	char fault_policy[16];
	char mode[20];			/* "mode" attribute, "" if none */
};

/** struct tdax_sysfs_region - one region, found through its devices. */
struct tdax_sysfs_region {
	__u32 id;
	char provider[TDAX_NAME_LEN];
	__u64 start;
	__u64 size;
	__u64 align;
	__u64 available_size;
	__u32 ndevs;
};

/** struct tdax_sysfs - result of one scan of the tdax bus. */
struct tdax_sysfs {
	bool bus_present;
	size_t ndevs;
	struct tdax_sysfs_dev *devs;
	size_t nregions;
	struct tdax_sysfs_region *regions;
};

/** struct tdax_sysfs_gen - when the last scan was (see tdax_sysfs_refresh). */
struct tdax_sysfs_gen {
	bool valid;			/* seqnum read before that scan */
	__u64 seqnum;			/* /sys/kernel/uevent_seqnum then */
	__u64 scans;			/* scans done, in total */
	bool no_bus_ok;			/* keep a scan without the tdax bus too */
};

/**
 * struct tdax_collector - one loaded instance of the BPF programs.
 * @skel:	the skeleton (maps survive detach/attach and reloads)
 * @links:	attached programs of the current mode
 * @seen:	devices/regions seen, for names of gone devices and ages
 * @archive:	rows the library keeps: retired device instances (with their
 *		fault and mmap rows), exited-process aggregates, retired regions
 * @retire_all:	the module went away: every row read next is of dead
 *		instances (the counter of instance ids restarts with it)
 * @no_batch:	the kernel has no batch map operations: walk keys
 */
struct tdax_collector {
	struct tdax_collector_opts opts;
	char root[PATH_MAX];
	struct tdax_collect *skel;
	struct bpf_link *links[TDAX_NEVENTS];
	struct ring_buffer *rb;
	enum tdax_attach_mode loaded_mode;
	bool attached;
	int ncpus;
	char err[320];
	struct tdax_seen *seen;
	size_t nseen, cseen;
	struct tdax_sysfs sysfs;
	struct tdax_sysfs_gen sysfs_gen;
	__u64 scan_ns;			/* when c->sysfs was read */
	struct tdax_snapshot archive;
	size_t cap_adevs, cap_afaults, cap_ammaps, cap_aprocs, cap_aregions;
	bool retire_all;
	bool no_batch;
	bool making_share;		/* load_skel(): the set share.c pins */
	struct tdax_share *share;	/* share.c: the host's set, NULL if private */
	bool share_left;		/* detached from a set others still use */
	__u64 faults_deleted;		/* fault records in the fault_counts rows deleted */
	long clk_tck;
	__u64 mod_ino;
	/* source_stock.c: the stock source; sources wanted; the one-line note */
	struct tdax_stock_src *stock;
	unsigned int want;
	char note[320];
	/* procs.c: liveness of the processes of proc_stats rows */
	struct tdax_procs *procs;
	/* maps.c, during a snapshot: the map dumps (struct map_dump, maps_int.h) */
	struct map_dump *md_fc, *md_mm, *md_ld;
	struct map_dump *md_fl, *md_km;
};

/* collector.c */
int tdax_set_err(struct tdax_collector *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
__u64 tdax_now_ns(int clk);
struct tdax_seen *tdax_seen_find(struct tdax_collector *c, int kind, __u32 id,
				 const char *name, bool add);
struct bpf_program *tdax_prog_of(struct tdax_collector *c, enum tdax_attach_mode m, int i);

int tdax_collector_load(struct tdax_collector *c, bool shared);
int tdax_collector_load_attach(struct tdax_collector *c, bool shared);

/*
 * share.c: one pinned program set for every consumer of the host.
 * join: 0 joined (or made) the set, 1 not shared (load a private set),
 * -errno.  Followers read the maps and delete nothing; the owner's
 * deletions (tdax_map_del) wait for tdax_share_commit(), which writes the
 * archive the followers read (tdax_share_sync) first.
 */
struct tdax_share;
struct tdax_proc_key;
int tdax_share_join(struct tdax_collector *c);
void tdax_share_leave(struct tdax_collector *c);
bool tdax_share_follower(const struct tdax_collector *c);
int tdax_share_prog_fd(const struct tdax_collector *c, int i);
void tdax_share_begin(struct tdax_collector *c);
int tdax_share_sync(struct tdax_collector *c);
int tdax_share_commit(struct tdax_collector *c);
void tdax_share_dirty(struct tdax_collector *c);
/* Delete a row (private: now; owner: at commit; follower: never). */
int tdax_map_del(struct tdax_collector *c, int fd, const void *key, size_t ksz);
void tdax_share_folded_add(struct tdax_collector *c, const struct tdax_proc_key *pk);
bool tdax_share_folded(const struct tdax_collector *c, const struct tdax_proc_key *pk);
/* Owner: every consumer has seen the row retirable (kind 0 device, 1 process). */
bool tdax_share_may_retire(struct tdax_collector *c, int kind, const struct tdax_proc_key *k,
			   __u64 now);
void tdax_share_pending_prune(struct tdax_collector *c);
void tdax_share_snapshot_done(struct tdax_collector *c, __u64 start_ns);

/* source_stock.c */
int tdax_pick_sources(struct tdax_collector *c);
int tdax_stock_attach(struct tdax_collector *c);
void tdax_stock_close(struct tdax_collector *c);
int tdax_stock_pin(struct tdax_collector *c, const char *dir,
		   void (*fixup)(const char *path, void *arg), void *arg);
void tdax_stock_unpin(struct tdax_collector *c, const char *dir);
int tdax_stock_follow(struct tdax_collector *c, const char *dir);
bool tdax_stock_forced(struct tdax_collector *c);
enum tdax_attach_mode tdax_stock_mode(const struct tdax_collector *c);
__u64 tdax_stock_run_ns(const struct tdax_collector *c, __u64 *cnt);
int tdax_stock_scan(struct tdax_collector *c);
/*
 * Scan /sys/bus/tdax (and /sys/bus/dax for the stock source) into c->sysfs
 * again if a uevent came since the last scan or a device is unbound: 1 if
 * it did, 0 if c->sysfs is still what both buses hold, -errno.
 */
int tdax_bus_rescan(struct tdax_collector *c);

/*
 * procs.c: is the process (pid, start) of a row running, as /proc says?
 * begin/end bracket one snapshot; alive answers from a cache that a pidfd
 * per process invalidates (see procs.c).
 */
struct tdax_procs_stats {
	__u64 proc_reads;	/* /proc/PID/stat reads, in total */
	__u64 syscalls;		/* epoll_wait calls, in total */
	size_t pidfds;		/* pidfds held now */
	size_t entries;		/* processes cached after the last end */
};
struct tdax_procs *tdax_procs_new(const char *proc_root, long clk_tck, bool use_pidfd);
void tdax_procs_free(struct tdax_procs *pc);
void tdax_procs_begin(struct tdax_procs *pc);
bool tdax_procs_alive(struct tdax_procs *pc, __u32 pid, __u64 start_ns);
void tdax_procs_end(struct tdax_procs *pc);
struct tdax_procs_stats tdax_procs_stats(const struct tdax_procs *pc);
/* The uncached answer: one read of PROC_ROOT/PID/stat. */
bool tdax_proc_stat_alive(const char *proc_root, long clk_tck, __u32 pid, __u64 start_ns);

int tdax_sysfs_scan(const char *root, struct tdax_sysfs *out);
void tdax_sysfs_free(struct tdax_sysfs *s);
/*
 * Scan into s again only if the bus may have changed since g's scan;
 * 1 if it did, 0 if s is still current, -errno.
 */
int tdax_sysfs_refresh(const char *root, struct tdax_sysfs *s, struct tdax_sysfs_gen *g);

/* Parse "MAJ:MIN" into a kernel dev_t; -EINVAL if malformed. */
int tdax_parse_devt(const char *s, __u32 *out);

/*
 * from_bpf.c: the one place BPF map values become library types.  The
 * counters of the "stats" map and the map sizes are gathered by BPF index
 * (struct tdax_bpf_stats) and converted by name once per snapshot.
 */
struct tdax_bpf_stats {
	__u64 stats[TDAX_STAT_NR];	/* the "stats" map, summed over CPUs */
	__u64 entries[TDAX_STAT_NR];	/* for TDAX_STAT_FULL_*: entries of that map */
	__u64 max[TDAX_STAT_NR];	/* ... its max_entries */
};
void tdax_gran_add_bpf(struct tdax_gran *dst, const struct tdax_gran_val *src);
void tdax_hist_add_bpf(struct tdax_histogram *dst, const struct tdax_hist *src);
/* enum tdax_lifetime of a TDAX_LT_* index; -1 if none. */
int tdax_lifetime_of_bpf(unsigned int lt);
/* enum tdax_counter of the TDAX_STAT_* of that name; -1 if none. */
int tdax_counter_of_bpf(unsigned int stat);
void tdax_counters_from_bpf(struct tdax_snapshot *s, const struct tdax_bpf_stats *b);
void tdax_event_from_bpf(struct tdax_snoop_event *dst, const struct tdax_event *src);

/* Growable arrays of snapshot rows. */
void *tdax_grow(void *arr, size_t *cap, size_t n, size_t elem);

/* Sort a snapshot's arrays into their documented order. */
void tdax_snapshot_sort(struct tdax_snapshot *s);

/*
 * Find or append the device row of an instance (instance 0: always a new
 * row); never NULL unless ENOMEM.
 */
struct tdax_snap_dev *tdax_snapshot_dev_add(struct tdax_snapshot *s, size_t *cap,
					    __u64 instance, __u32 dev);

#endif /* _TDAX_COLLECTOR_INT_H */
