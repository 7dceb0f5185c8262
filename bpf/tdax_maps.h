/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tdax_maps.h - map keys and values shared by the tdax BPF programs
 * (bpf/tdax_collect.bpf.c) and the collector library (tools/lib/).
 *
 * Included by the BPF side after vmlinux.h and by userspace after
 * <linux/types.h>; it builds on include/tdax_abi.h and restates none of it.
 *
 * Identity: every aggregation map is keyed by the 64-bit instance id of the
 * device (region) the driver puts in each record (include/tdax_abi.h), never
 * by dev_t or name alone: a device deleted and re-created, or a new device
 * that gets a freed minor, starts with new rows.  The collector library
 * retires the rows of destroyed instances after reading them (it deletes
 * them from the maps and keeps their final counts itself).
 *
 * Device maps are per-CPU (no atomics on the fault path; userspace sums the
 * CPUs).  proc_stats is one shared hash with atomic updates, so its size does
 * not grow with the number of CPUs: 8192 x (24 + 400) B = 3.3 MiB on any host.  It is
 * a plain (preallocated) hash, not an LRU: an LRU would evict live rows
 * silently, losing their counts and hiding map pressure; instead the library
 * deletes the rows of processes that exited after reading them once.  Every
 * map is bounded; an update that fails because a map is full increments the
 * matching TDAX_STAT_FULL_* counter of the "stats" map, never silently.
 *
 * One fault record makes one update of one per-CPU map (fault_counts: its
 * count and latency histogram, keyed by everything the library derives
 * the granularity measures from), plus one of proc_stats only while a
 * consumer asked for per-process attribution (want_procs).
 *
 * Map names (bpf_map__name) are part of this contract:
 *   fault_counts   PERCPU_HASH  tdax_fault_key  -> tdax_fault_val
 *   proc_stats     HASH         tdax_proc_key   -> tdax_proc_val (atomic)
 *   mmap_counts    PERCPU_HASH  tdax_mmap_key   -> tdax_count
 *   live_regions   HASH         __u64 instance  -> tdax_live_region
 *   live_devs      HASH         __u64 instance  -> tdax_live_dev
 *   lifetimes      PERCPU_ARRAY __u32 TDAX_LT_* -> tdax_hist
 *   stats          PERCPU_ARRAY __u32 TDAX_STAT_* -> __u64
 *   flush_stats    PERCPU_HASH  tdax_flush_key  -> tdax_flush_val
 *   kmem_stats     HASH         tdax_kmem_key   -> tdax_kmem_val (atomic)
 *   events         RINGBUF      tdax_event records (snoop mode only)
 */
#ifndef _TDAX_MAPS_H
#define _TDAX_MAPS_H

#include "tdax_abi.h"

/* Upper bounds of the maps (entries). */
#define TDAX_MAX_FAULT_KEYS	1024	/* a few rows per device in use */
#define TDAX_MAX_DEVS		256
#define TDAX_MAX_PROCS		8192
#define TDAX_MAX_MMAP_KEYS	1024
#define TDAX_MAX_REGIONS	256
#define TDAX_RINGBUF_BYTES	(256 * 1024)
#define TDAX_MAX_FLUSH_KEYS	(TDAX_MAX_DEVS * TDAX_PD_NR)
#define TDAX_MAX_KMEM_KEYS	1024

/*
 * log2 histograms with inclusive upper bounds, as Prometheus buckets:
 * slot 0 counts v <= 1, slot i (i >= 1) counts 2^(i-1) < v <= 2^i, so a
 * value exactly at a power of two 2^i lands in the bucket le=2^i.  The last
 * slot also counts everything larger.
 */
#define TDAX_HIST_SLOTS		64

#define TDAX_COMM_LEN		16

/*
 * fault_counts: faults per (device instance, attempted size, outcome,
 * reason, device align), with their latency histogram.  The library
 * derives from these rows the granularity of every device (tdax_gran_val:
 * attempts, hits, misses, bytes, by size), the fault counts by reason and
 * the latency histograms by size.  The map is preallocated (an insert
 * in a fault never allocates, so it cannot fail for lack of memory):
 * TDAX_MAX_FAULT_KEYS x 544 B per CPU, what the three maps it replaces
 * (fault_counts, dev_stats, fault_lat) took together.
 */
struct tdax_fault_key {
	__u64 instance;		/* device instance id */
	__u32 dev;		/* kernel dev_t (for names; identity is instance) */
	__u8 size_idx;		/* enum tdax_size_idx; TDAX_SZ_NR = other size */
	__u8 outcome;		/* enum tdax_fault_outcome */
	__u8 reason;		/* enum tdax_fault_reason */
	__u8 align_log2;	/* log2 of the record's device align; 0 if none */
};

struct tdax_count {
	__u64 count;
};

/*
 * Granularity of faults, per device (the library derives it from the
 * fault_counts rows) and per (process, device) (inside tdax_proc_val).
 *
 * A fault "ends" when the handler maps something (outcome mapped) or
 * gives SIGBUS; outcome fallback is an intermediate step (the mm retries at
 * a smaller size).  hit: ended mapped at size >= device align.  miss: ended
 * mapped at a size smaller than the align, or ended in SIGBUS.
 * Definitions of the measures: docs/metrics.md.
 *
 * In a proc_stats value the BPF side stores only what cannot be derived
 * (three atomics for a fault mapped at the align): attempts[], hits,
 * bytes_mapped and bytes_aligned hold corrections that the library adds to
 * what it derives from mapped[], fallback[], sigbus[] and below_align
 * (tools/lib/from_bpf.c, tdax_gran_add_bpf(); bpf: gran_update()).
 */
struct tdax_gran_val {
	__u64 attempts[TDAX_SZ_NR];	/* handler calls by attempted size */
	__u64 mapped[TDAX_SZ_NR];	/* outcome mapped, by size */
	__u64 fallback[TDAX_SZ_NR];	/* outcome fallback, by size */
	__u64 sigbus[TDAX_SZ_NR];	/* outcome sigbus, by size */
	__u64 other;			/* outcome oom/other, or unknown size */
	__u64 hits;
	__u64 misses;
	__u64 below_align;	/* ended mapped below the align (fallback), subset of misses */
	__u64 bytes_mapped;	/* sum of the sizes of ended-mapped faults */
	__u64 bytes_aligned;	/* ... of those mapped at size >= align */
	__u64 lat_sum_ns;	/* sum of latency_ns over all attempts */
	__u64 region_instance;	/* region instance of the last record */
	__u32 dev;		/* kernel dev_t of the last record */
	__u32 region_id;	/* region of the last record */
	__u32 align_seen;	/* log2 of the last record's align (0 if none) */
	__u32 pad;
};

/*
 * proc_stats: per (process instance, device instance).  A process instance
 * is (tgid, start time of its group leader): a reused pid is a new row.
 */
struct tdax_proc_key {
	__u64 instance;		/* device instance id */
	__u64 start_ns;		/* group leader's start_boottime (ns) */
	__u32 tgid;
	__u32 pad;
};

struct tdax_proc_val {
	struct tdax_gran_val g;	/* atomic updates (one value for all CPUs) */
	__u64 mmaps;		/* mmap events with result 0 */
	__u64 mmap_errors;	/* mmap events with result < 0 */
	__u64 reasons[2][TDAX_FR_NR];	/* faults that ended, [0] mapped [1] sigbus, by reason */
	char comm[TDAX_COMM_LEN];	/* the process's (group leader's) comm */
};

struct tdax_hist {
	__u64 slots[TDAX_HIST_SLOTS];
	__u64 count;
	__u64 sum;		/* ns */
};

/* fault_counts value: count (lat.count), latency and the region gauges. */
struct tdax_fault_val {
	struct tdax_hist lat;	/* latency_ns of the records; lat.count = records */
	__u64 region_instance;	/* of the last record */
	__u32 region_id;
	__u32 pad;
};

/* mmap_counts: mmap outcomes per (device instance, result, reason). */
struct tdax_mmap_key {
	__u64 instance;
	__u32 dev;
	__s32 result;		/* 0 or -errno */
	__u32 reason;		/* enum tdax_mmap_reason */
	__u32 pad;
};

/*
 * live_regions: regions created (or destroyed) while the programs were
 * attached, by region instance.  A destroyed region keeps its entry with
 * destroy_ns set until the library retires it.
 */
struct tdax_live_region {
	__u64 create_ns;	/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) at create, 0 if unseen */
	__u64 destroy_ns;	/* at destroy; 0 while alive */
	__u64 instance;
	__u64 start;
	__u64 size;
	__u64 align;
	__u32 id;
	__u32 pad;
	char provider[TDAX_NAME_LEN];
};

/*
 * live_devs: devices seen created, bound or destroyed while attached, by
 * device instance.  A destroyed device keeps its entry (destroy_ns set)
 * until the library retires it.
 */
struct tdax_live_dev {
	__u64 instance;
	__u64 region_instance;	/* 0 if only bound/unbound seen */
	char name[TDAX_NAME_LEN];	/* "tdaxR.N" ("" if only bound seen before create) */
	__u64 create_ns;	/* CLOCK_MONOTONIC at create (0 if only bound seen) */
	__u64 size;
	__u64 align;
	__u64 bind_ns;		/* last successful bind, 0 if none */
	__u32 dev;		/* kernel dev_t */
	__u32 region_id;
	__u32 binds;		/* bind events (any result) */
	__u32 unbinds;
	__s32 last_bind_result;
	__u32 bound;		/* 1 after a successful bind, 0 after unbind */
	char driver[TDAX_NAME_LEN];	/* driver of the last bind */
	__u64 destroy_ns;	/* CLOCK_MONOTONIC at destroy; 0 while alive */
};

/* lifetimes: log2 histograms of lifetime_ns of destroyed objects. */
enum tdax_lifetime_idx {
	TDAX_LT_REGION = 0,
	TDAX_LT_DEV = 1,
	TDAX_LT_NR
};

/*
 * flush_stats: flushes (tdax_flush records) per (device instance,
 * persistence domain).  Every record counts in flushes and bytes; the
 * skipped ones (nothing to do in that domain) also in skipped and
 * skipped_bytes; lat holds latency_ns of the flushes that did work
 * (not skipped), so its count is flushes - skipped.
 */
struct tdax_flush_key {
	__u64 instance;		/* device instance id */
	__u32 domain;		/* enum tdax_persistence_domain */
	__u32 pad;
};

struct tdax_flush_val {
	__u64 flushes;		/* records */
	__u64 bytes;		/* sum of their bytes */
	__u64 skipped;		/* records with skipped = 1 */
	__u64 skipped_bytes;	/* ... their bytes */
	__u64 errors;		/* records with result < 0 */
	__u64 region_instance;	/* of the last record */
	__u32 dev;		/* kernel dev_t of the last record */
	__u32 region_id;
	struct tdax_hist lat;	/* latency_ns of the flushes not skipped */
};

/*
 * kmem_stats: one hot-added range of a device bound to tdax_kmem, by
 * (device instance, range index).  tdax_kmem_add/remove records set the
 * state (the blocks online by zone are what the driver counted after the
 * operation); tdax_kmem_block records then move single blocks between
 * online (by zone) and offline.  One shared value, atomic counters.
 */
struct tdax_kmem_key {
	__u64 instance;		/* device instance id */
	__u32 range_idx;
	__u32 pad;
};

struct tdax_kmem_val {
	__u64 start;		/* physical start of the blocks used */
	__u64 size;		/* bytes */
	__u64 block_size;	/* memory block size */
	__u64 region_instance;
	__u64 update_ns;	/* CLOCK_MONOTONIC of the last record */
	__u32 dev;
	__u32 region_id;
	__s32 node;		/* numa node of the memory (-1: unknown) */
	__s32 tier;		/* memory tier (-1: none) */
	__s32 adistance;
	__u32 blocks;		/* memory blocks of the range */
	__s32 online[TDAX_KZ_NR];	/* online blocks by enum tdax_kmem_zone */
	__u32 mode;		/* enum tdax_mode after the last add/remove */
	__u32 adds;		/* tdax_kmem_add records */
	__u32 add_errors;	/* ... with result < 0 */
	__u32 removes;		/* tdax_kmem_remove records */
	__u32 remove_errors;	/* ... with result < 0 (offline failed) */
	__s32 last_result;	/* of the last add/remove */
	__u16 last_reason;	/* enum tdax_kmem_reason of the last add/remove */
	__u8 memmap_on_memory;
	__u8 pad;
	__u64 offline_failures[TDAX_KR_NR];	/* failed removes by reason */
	__u64 block_ops[TDAX_KB_NR];	/* block records by enum tdax_kmem_block_op */
	char name[TDAX_NAME_LEN];
};

/*
 * stats: event counters and health.  Three contiguous groups: events seen
 * (EV_*), updates dropped because a map was full (FULL_*, named after the
 * map), and health.  The fault events are not counted here: the library
 * sums them from fault_counts (one map update per fault record).
 */
#define TDAX_STATS(X)						\
	X(EV_FAULT,		0,	"fault")			\
	X(EV_MMAP,		1,	"mmap")				\
	X(EV_BIND,		2,	"bind")				\
	X(EV_UNBIND,		3,	"unbind")			\
	X(EV_REGION_CREATE,	4,	"region_create")		\
	X(EV_REGION_DESTROY,	5,	"region_destroy")		\
	X(EV_DEV_CREATE,	6,	"dev_create")			\
	X(EV_DEV_DESTROY,	7,	"dev_destroy")			\
	X(EV_FLUSH,		8,	"flush")			\
	X(EV_KMEM_ADD,		9,	"kmem_add")			\
	X(EV_KMEM_REMOVE,	10,	"kmem_remove")			\
	X(EV_KMEM_BLOCK,	11,	"kmem_block")			\
	X(FULL_FAULT_COUNTS,	12,	"fault_counts")			\
	X(FULL_PROC_STATS,	13,	"proc_stats")			\
	X(FULL_MMAP_COUNTS,	14,	"mmap_counts")			\
	X(FULL_LIVE_REGIONS,	15,	"live_regions")			\
	X(FULL_LIVE_DEVS,	16,	"live_devs")			\
	X(FULL_FLUSH_STATS,	17,	"flush_stats")			\
	X(FULL_KMEM_STATS,	18,	"kmem_stats")			\
	X(EVENTS_LOST,		19,	"events_lost")			\
	X(READ_ERRORS,		20,	"read_errors")

/*
 * The "ctl" array (one __u64 per index): what the consumers of a shared
 * program set (tools/lib/share.c) tell the programs, and the set's
 * identity.  Written from user space only.
 */
enum tdax_ctl_idx {
	TDAX_CTL_WANT_PROCS,	/* non-zero: a consumer wants proc_stats updated */
	TDAX_CTL_LAYOUT,	/* hash of the BPF object that made the set */
	TDAX_CTL_NR
};

enum tdax_stat_idx {
#define TDAX_X_ENUM(name, val, str) TDAX_STAT_##name = val,
	TDAX_STATS(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_STAT_NR
};

#define TDAX_STAT_EV_FIRST	TDAX_STAT_EV_FAULT
#define TDAX_STAT_EV_LAST	TDAX_STAT_EV_KMEM_BLOCK
#define TDAX_STAT_FULL_FIRST	TDAX_STAT_FULL_FAULT_COUNTS
#define TDAX_STAT_FULL_LAST	TDAX_STAT_FULL_KMEM_STATS

/* events: snoop records (faults not ok, refused mmaps). */
enum tdax_event_kind {
	TDAX_EVK_FAULT = 0,
	TDAX_EVK_MMAP = 1,
};

struct tdax_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__u64 address;		/* fault: address; mmap: vm_start */
	__u64 pgoff;
	__u64 size;		/* fault: attempted size; mmap: vm_end - vm_start */
	__u64 align;		/* fault: device align; mmap: 0 */
	__u64 phys;
	__u64 latency_ns;
	__u64 instance;		/* device instance id */
	__u32 kind;		/* enum tdax_event_kind */
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 dev;
	__u32 region_id;
	__s32 result;		/* fault: vm_fault_t bits; mmap: 0 or -errno */
	__u16 reason;		/* fault or mmap reason */
	__u8 outcome;		/* fault outcome */
	__u8 write;
	char comm[TDAX_COMM_LEN];
};

#endif /* _TDAX_MAPS_H */
