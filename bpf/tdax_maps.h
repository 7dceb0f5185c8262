/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tdax_maps.h - map keys and values shared by the tdax BPF programs
 * (bpf/tdax_collect.bpf.c) and the collector library (tools/lib/).
 *
 * Included by the BPF side after vmlinux.h and by userspace after
 * <linux/types.h>; it builds on include/tdax_abi.h and restates none of it.
 *
 * Aggregation maps are per-CPU (userspace sums the CPUs).  Every map is
 * bounded; an update that fails because a map is full increments the
 * matching TDAX_STAT_FULL_* counter of the "stats" map, never silently.
 *
 * Map names (bpf_map__name) are part of this contract:
 *   fault_counts   PERCPU_HASH  tdax_fault_key  -> tdax_count
 *   dev_stats      PERCPU_HASH  __u32 dev_t     -> tdax_gran_val
 *   proc_stats     PERCPU_HASH  tdax_proc_key   -> tdax_proc_val
 *   fault_lat      PERCPU_HASH  tdax_lat_key    -> tdax_hist
 *   mmap_counts    PERCPU_HASH  tdax_mmap_key   -> tdax_count
 *   live_regions   HASH         __u32 region id -> tdax_live_region
 *   live_devs      HASH         tdax_name_key   -> tdax_live_dev
 *   lifetimes      PERCPU_ARRAY __u32 TDAX_LT_* -> tdax_hist
 *   stats          PERCPU_ARRAY __u32 TDAX_STAT_* -> __u64
 *   events         RINGBUF      tdax_event records (snoop mode only)
 */
#ifndef _TDAX_MAPS_H
#define _TDAX_MAPS_H

#include "tdax_abi.h"

/* Upper bounds of the maps (entries). */
#define TDAX_MAX_FAULT_KEYS	4096
#define TDAX_MAX_DEVS		256
#define TDAX_MAX_PROCS		8192
#define TDAX_MAX_LAT_KEYS	(TDAX_MAX_DEVS * TDAX_SZ_NR)
#define TDAX_MAX_MMAP_KEYS	1024
#define TDAX_MAX_REGIONS	256
#define TDAX_RINGBUF_BYTES	(256 * 1024)

/*
 * log2 histograms: slot i counts values v with 2^i <= v < 2^(i+1)
 * (slot 0 also counts v == 0); the last slot also counts everything larger.
 */
#define TDAX_HIST_SLOTS		64

#define TDAX_COMM_LEN		16

/* fault_counts: faults per (device, attempted size, outcome, reason). */
struct tdax_fault_key {
	__u32 dev;		/* kernel dev_t */
	__u8 size_idx;		/* enum tdax_size_idx; TDAX_SZ_NR = other size */
	__u8 outcome;		/* enum tdax_fault_outcome */
	__u16 reason;		/* enum tdax_fault_reason */
};

struct tdax_count {
	__u64 count;
};

/*
 * Granularity of faults, per device (dev_stats) and per (process, device)
 * (inside tdax_proc_val).
 *
 * A fault "ends" when the handler maps something (outcome mapped) or
 * gives SIGBUS; outcome fallback is an intermediate step (the mm retries at
 * a smaller size).  hit: ended mapped at size == device align.  miss: ended
 * mapped at a size smaller than the align, or ended in SIGBUS.
 * Hit rate = hits / (hits + misses).
 */
struct tdax_gran_val {
	__u64 attempts[TDAX_SZ_NR];	/* handler calls by attempted size */
	__u64 mapped[TDAX_SZ_NR];	/* outcome mapped, by size */
	__u64 fallback[TDAX_SZ_NR];	/* outcome fallback, by size */
	__u64 sigbus[TDAX_SZ_NR];	/* outcome sigbus, by size */
	__u64 other;			/* outcome oom/other, or unknown size */
	__u64 hits;
	__u64 misses;
	__u64 pte_fallback;	/* mapped below align ("PTE fallback"), subset of misses */
	__u64 lat_sum_ns;	/* sum of latency_ns over all attempts */
	__u32 align_seen;	/* log2 of the last record's align (0 if none) */
	__u32 region_id;	/* region of the last record */
};

/* proc_stats: per (process, device). */
struct tdax_proc_key {
	__u32 tgid;
	__u32 dev;		/* kernel dev_t */
};

struct tdax_proc_val {
	struct tdax_gran_val g;
	__u64 mmaps;		/* mmap events with result 0 */
	__u64 mmap_errors;	/* mmap events with result < 0 */
	char comm[TDAX_COMM_LEN];	/* last comm seen on this CPU ("" if none) */
};

/* fault_lat: latency log2 histogram per (device, attempted size). */
struct tdax_lat_key {
	__u32 dev;
	__u32 size_idx;		/* enum tdax_size_idx; TDAX_SZ_NR = other */
};

struct tdax_hist {
	__u64 slots[TDAX_HIST_SLOTS];
	__u64 count;
	__u64 sum;		/* ns */
};

/* mmap_counts: mmap outcomes per (device, result, reason). */
struct tdax_mmap_key {
	__u32 dev;
	__s32 result;		/* 0 or -errno */
	__u32 reason;		/* enum tdax_mmap_reason */
};

/* live_regions: regions created while the programs were attached. */
struct tdax_live_region {
	__u64 create_ns;	/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) at create */
	__u64 start;
	__u64 size;
	__u64 align;
	__u32 id;
	__u32 pad;
	char provider[TDAX_NAME_LEN];
};

/*
 * live_devs: devices seen created or bound while attached, keyed by name
 * "tdaxR.N".  A destroyed device keeps its entry (destroy_ns set, so its
 * bind counters survive) until a device of the same name is created.
 */
struct tdax_name_key {
	char name[TDAX_NAME_LEN];
};

struct tdax_live_dev {
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

/* stats: event counters and health. */
#define TDAX_STATS(X)						\
	X(EV_FAULT,		0,	"fault")			\
	X(EV_MMAP,		1,	"mmap")				\
	X(EV_BIND,		2,	"bind")				\
	X(EV_UNBIND,		3,	"unbind")			\
	X(EV_REGION_CREATE,	4,	"region_create")		\
	X(EV_REGION_DESTROY,	5,	"region_destroy")		\
	X(EV_DEV_CREATE,	6,	"dev_create")			\
	X(EV_DEV_DESTROY,	7,	"dev_destroy")			\
	X(FULL_FAULT_COUNTS,	8,	"fault_counts")			\
	X(FULL_DEV_STATS,	9,	"dev_stats")			\
	X(FULL_PROC_STATS,	10,	"proc_stats")			\
	X(FULL_FAULT_LAT,	11,	"fault_lat")			\
	X(FULL_MMAP_COUNTS,	12,	"mmap_counts")			\
	X(FULL_LIVE_REGIONS,	13,	"live_regions")			\
	X(FULL_LIVE_DEVS,	14,	"live_devs")			\
	X(EVENTS_LOST,		15,	"events_lost")			\
	X(READ_ERRORS,		16,	"read_errors")

enum tdax_stat_idx {
#define TDAX_X_ENUM(name, val, str) TDAX_STAT_##name = val,
	TDAX_STATS(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_STAT_NR
};

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
