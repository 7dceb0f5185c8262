/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tdax_collector.h - the collector library shared by daxtop and daxcollect.
 *
 * It loads the tdax BPF programs (bpf/tdax_collect.bpf.c, embedded as a
 * skeleton), attaches them to the tdax:* tracepoints (tp_btf when the
 * module BTF is present, raw_tp otherwise), reads the per-CPU maps into
 * plain snapshots, names devices and regions from sysfs, and computes
 * deltas, rates, ratios and quantiles between snapshots.
 *
 * Usage:
 *	char err[256];
 *	struct tdax_collector_opts o = { .sz = sizeof(o) };
 *	struct tdax_collector *c = tdax_collector_open(&o, err, sizeof(err));
 *	if (!c) { fprintf(stderr, "daxtop: %s\n", err); exit(1); }
 *	struct tdax_snapshot prev, cur, d;
 *	tdax_snapshot_init(&prev); ...
 *	tdax_collector_snapshot(c, &prev);
 *	sleep(1);
 *	tdax_collector_snapshot(c, &cur);
 *	tdax_snapshot_delta(&prev, &cur, &d);   // d: counts during the interval
 *	rate = tdax_rate(d.devs[i].g.hits, d.interval_ns);
 *	...
 *	tdax_snapshot_free(&d); ...; tdax_collector_close(c);
 *
 * Errors: functions returning int return 0 or a negative errno; the one-line
 * reason ("tdax module not loaded: /sys/bus/tdax is missing", "must run as
 * root (CAP_BPF/CAP_PERFMON) to load BPF programs", ...) is available from
 * tdax_collector_errmsg() (or written to errbuf for tdax_collector_open()).
 * Messages have no trailing newline and no program-name prefix.
 *
 * Build: include tools/lib/collector.mk (CFLAGS, library path, libraries).
 *
 * Module reference: while attached, the kernel holds a reference on the
 * module that defines the tdax tracepoints, so `rmmod tdax` fails with
 * EBUSY.  A daemon that must let the driver be unloaded calls
 * tdax_collector_detach(); tdax_collector_refresh() re-attaches when the
 * module is (back) in place (see opts.wait_module).
 *
 * Counters in snapshots are cumulative since the programs were loaded
 * (they survive detach/attach: the maps stay).  Not thread-safe: one thread
 * per collector.
 *
 * Identity: a row is one device *instance* (the 64-bit id the driver gives
 * each device at creation, include/tdax_abi.h), not a name or dev_t.  A
 * device deleted and re-created under the same name (or a new device that
 * gets a freed minor) is a new row starting at zero; the old row keeps its
 * final counts, marked !present and retired.  The library retires the rows
 * of destroyed instances from the BPF maps once it has read them and keeps
 * them itself (opts.retired_keep_ns, at most TDAX_RETIRED_MAX).  Processes
 * likewise: a row is (pid, start time of the process, device instance), so a
 * reused pid is a new row; a process that exited is reported once (!alive)
 * with its final counts and is then folded into the device's "exited" row
 * (pid 0, exited), so proc rows stay bounded and sums stay monotonic.
 * The measures (hit rate, byte coverage, reasons, quantiles) are defined in
 * docs/metrics.md and computed only by the functions below.
 */
#ifndef _TDAX_COLLECTOR_H
#define _TDAX_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "tdax_abi.h"	/* the driver's ABI: sizes, outcomes, reasons, modes */

#ifdef __cplusplus
extern "C" {
#endif

struct tdax_collector;

/*
 * ---- the library's types ------------------------------------------------
 *
 * Front ends see these only.  The BPF map layout (bpf/tdax_maps.h) stays
 * inside the library, which converts the map values into these types
 * (tools/lib/from_bpf.c): a map can change without a front end noticing.
 */

/*
 * Granularity of faults (of a device, or of a process on a device).  A
 * fault "ends" when the handler maps something (outcome mapped) or gives
 * SIGBUS; outcome fallback is an intermediate step (the mm retries at a
 * smaller size).  hit: ended mapped at size >= device align.  miss: ended
 * mapped at a size smaller than the align, or ended in SIGBUS.  Use the
 * measures below (tdax_hit_ratio(), tdax_byte_coverage(), ...): their
 * definitions are in docs/metrics.md.
 */
struct tdax_gran {
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
};

/*
 * log2 histogram with inclusive upper bounds, as Prometheus buckets: slot
 * 0 counts v <= 1, slot i (i >= 1) counts 2^(i-1) < v <= 2^i, so a value
 * exactly at a power of two 2^i lands in the bucket le=2^i.  The last slot
 * also counts everything larger.  See tdax_hist_*() below.
 */
#define TDAX_HISTOGRAM_SLOTS	64
struct tdax_histogram {
	__u64 slots[TDAX_HISTOGRAM_SLOTS];
	__u64 count;
	__u64 sum;		/* ns */
};

/* Histograms of the lifetimes of destroyed objects (snapshot lifetimes[]). */
enum tdax_lifetime {
	TDAX_LIFETIME_REGION = 0,	/* "region" */
	TDAX_LIFETIME_DEV = 1,		/* "device" */
	TDAX_LIFETIME_NR
};

/*
 * Counters of the BPF programs (snapshot counters[]), in output order:
 * events seen (EV_*), updates dropped because a map was full (FULL_*,
 * named after the map; for these, map_entries[] and map_max[] of the
 * snapshot hold that map's entries and capacity), then health.  Names:
 * tdax_counter_name().
 */
#define TDAX_COUNTERS(X)				\
	X(EV_FAULT,		"fault")		\
	X(EV_MMAP,		"mmap")			\
	X(EV_BIND,		"bind")			\
	X(EV_UNBIND,		"unbind")		\
	X(EV_REGION_CREATE,	"region_create")	\
	X(EV_REGION_DESTROY,	"region_destroy")	\
	X(EV_DEV_CREATE,	"dev_create")		\
	X(EV_DEV_DESTROY,	"dev_destroy")		\
	X(EV_FLUSH,		"flush")		\
	X(EV_KMEM_ADD,		"kmem_add")		\
	X(EV_KMEM_REMOVE,	"kmem_remove")		\
	X(EV_KMEM_BLOCK,	"kmem_block")		\
	X(FULL_FAULT_COUNTS,	"fault_counts")		\
	X(FULL_PROC_STATS,	"proc_stats")		\
	X(FULL_MMAP_COUNTS,	"mmap_counts")		\
	X(FULL_LIVE_REGIONS,	"live_regions")		\
	X(FULL_LIVE_DEVS,	"live_devs")		\
	X(FULL_FLUSH_STATS,	"flush_stats")		\
	X(FULL_KMEM_STATS,	"kmem_stats")		\
	X(EVENTS_LOST,		"events_lost")		\
	X(READ_ERRORS,		"read_errors")

enum tdax_counter {
#define TDAX_X_CTR(name, str) TDAX_CTR_##name,
	TDAX_COUNTERS(TDAX_X_CTR)
#undef TDAX_X_CTR
	TDAX_CTR_NR,
	TDAX_CTR_EV_FIRST = TDAX_CTR_EV_FAULT,
	TDAX_CTR_EV_LAST = TDAX_CTR_EV_KMEM_BLOCK,
	TDAX_CTR_FULL_FIRST = TDAX_CTR_FULL_FAULT_COUNTS,
	TDAX_CTR_FULL_LAST = TDAX_CTR_FULL_KMEM_STATS,
};

/* Entries of the per-process map unless opts.max_procs says otherwise. */
#define TDAX_DEFAULT_MAX_PROCS	8192

#define TDAX_PROC_COMM_LEN	16

/* A snoop record (opts.events): a fault that was not ok, a refused mmap. */
enum tdax_snoop_kind {
	TDAX_SNOOP_FAULT = 0,
	TDAX_SNOOP_MMAP = 1,
};

struct tdax_snoop_event {
	__u64 ts_ns;		/* CLOCK_MONOTONIC */
	__u64 address;		/* fault: address; mmap: vm_start */
	__u64 pgoff;
	__u64 size;		/* fault: attempted size; mmap: vm_end - vm_start */
	__u64 align;		/* fault: device align; mmap: 0 */
	__u64 phys;
	__u64 latency_ns;
	__u64 instance;		/* device instance id */
	enum tdax_snoop_kind kind;
	__u32 pid;		/* tgid */
	__u32 tid;
	__u32 dev;
	__u32 region_id;
	__s32 result;		/* fault: vm_fault_t bits; mmap: 0 or -errno */
	__u16 reason;		/* fault or mmap reason */
	__u8 outcome;		/* fault outcome */
	__u8 write;
	char comm[TDAX_PROC_COMM_LEN];
};

/* Called for each snoop record (opts.events) from tdax_collector_poll(). */
typedef int (*tdax_event_fn)(void *ctx, const struct tdax_snoop_event *ev);

enum tdax_attach_mode {
	TDAX_ATTACH_NONE = 0,	/* not attached (detached, or waiting for the module) */
	TDAX_ATTACH_TP_BTF = 1,	/* tp_btf programs (module BTF present) */
	TDAX_ATTACH_RAW_TP = 2,	/* raw_tp fallback */
	TDAX_ATTACH_FENTRY = 3,	/* stock source: fentry/fexit on device_dax */
	TDAX_ATTACH_KPROBE = 4,	/* stock source: kprobe/kretprobe fallback */
};

/*
 * Where the data comes from (docs/stock-kernel.md).  tdax: the tdax
 * module's tracepoints.  stock: BPF on the functions of the in-tree
 * device_dax of an unmodified kernel (/sys/bus/dax).  auto: tdax when
 * /sys/bus/tdax exists, stock when device_dax is loaded, both when both.
 * As a bit mask (tdax_collector_sources()): TDAX_SOURCE_TDAX|STOCK.
 */
enum tdax_source {
	TDAX_SOURCE_AUTO = 0,
	TDAX_SOURCE_TDAX = 1,
	TDAX_SOURCE_STOCK = 2,
	TDAX_SOURCE_BOTH = 3,
};

struct tdax_collector_opts {
	size_t sz;		/* sizeof(struct tdax_collector_opts) */
	bool events;		/* enable the ring buffer (snoop mode) */
	tdax_event_fn on_event;	/* required when events */
	void *event_ctx;
	bool force_raw_tp;	/* use raw_tp even if module BTF exists */
	bool wait_module;	/* open succeeds without the module; refresh attaches later */
	bool verbose;		/* pass libbpf messages to stderr */
	const char *sysfs_root;	/* default "/sys" (tests point it at a fake tree) */
	__u32 max_procs;	/* entries of proc_stats (0: TDAX_DEFAULT_MAX_PROCS) */
	__u64 retired_keep_ns;	/* how long retired rows stay in snapshots (0: until
				 * TDAX_RETIRED_MAX newer ones push them out) */
	enum tdax_source source;	/* 0: auto */
	enum tdax_attach_mode stock_attach;	/* 0: auto (fentry, else kprobe; env
						 * TDAX_STOCK_ATTACH=fentry|kprobe), or
						 * TDAX_ATTACH_FENTRY/KPROBE to force */
	bool no_procs;		/* no per-process attribution: the fault path skips
				 * proc_stats (one map update per fault) and
				 * snapshots have no process rows */
	/*
	 * One program set per host: the first consumer pins its maps and
	 * links under pin_dir, the next ones read those and load nothing (no
	 * cost per fault); flock(2) locks in run_dir count the consumers, the
	 * last one unpins.  Not shared (a private set): events, force_raw_tp,
	 * the stock source, a sysfs_root other than /sys, no_share, or
	 * TDAX_NO_SHARE=1 in the environment (docs/design.md).
	 */
	bool no_share;
	const char *pin_dir;	/* default $TDAX_PIN_DIR, else /sys/fs/bpf/tdax */
	const char *run_dir;	/* default $TDAX_RUN_DIR, else /run/tdax */
};

/*
 * The program set a collector reads: its own, or the host's shared set as
 * its owner (the consumer that retires rows) or as a follower.
 */
enum tdax_set_role {
	TDAX_SET_PRIVATE,
	TDAX_SET_OWNER,
	TDAX_SET_FOLLOWER,
};
const char *tdax_set_role_name(enum tdax_set_role r);	/* "private", "owner", "follower" */

/* Retired device instances kept with their final counts (oldest go first). */
#define TDAX_RETIRED_MAX	256

/*
 * Open, load and attach.  On failure returns NULL, sets errno and writes one
 * line to errbuf.  Checks, in order: root/capabilities, BPF support,
 * /sys/bus/tdax (module loaded; skipped with wait_module), module BTF.
 */
struct tdax_collector *tdax_collector_open(const struct tdax_collector_opts *opts,
					   char *errbuf, size_t errlen);
void tdax_collector_close(struct tdax_collector *c);

/* The tdax module is loaded (sysfs_root/bus/tdax or module/tdax; NULL: /sys). */
bool tdax_module_present(const char *sysfs_root);

/* What is on the tdax bus now (tdax_bus_state()). */
struct tdax_bus_state {
	bool module;		/* tdax_module_present() */
	unsigned int devices;	/* entries of bus/tdax/devices (0 without the module) */
	unsigned int drivers;	/* entries of bus/tdax/drivers: tdax_device, tdax_kmem, ... */
};
/*
 * Read the bus state under sysfs_root (NULL: /sys), without a full scan
 * (cheap enough to poll: a daemon that must let the module be unloaded
 * detaches when the module has no devices and no drivers left).  0, or
 * -errno when bus/tdax/devices or drivers exists but cannot be read (that
 * count is then 0).
 */
int tdax_bus_state(const char *sysfs_root, struct tdax_bus_state *out);

/* Last error of c as one line ("" if none). */
const char *tdax_collector_errmsg(const struct tdax_collector *c);

/* tdax mode when the tdax source is attached, else the stock one. */
enum tdax_attach_mode tdax_collector_mode(const struct tdax_collector *c);
/* "none","tp_btf","raw_tp","fentry","kprobe" */
const char *tdax_attach_mode_name(enum tdax_attach_mode m);

/* Sources attached now (mask of TDAX_SOURCE_TDAX, TDAX_SOURCE_STOCK). */
unsigned int tdax_collector_sources(const struct tdax_collector *c);
/* Attachment of the stock source (TDAX_ATTACH_NONE when not attached). */
enum tdax_attach_mode tdax_collector_stock_mode(const struct tdax_collector *c);
/*
 * One line saying what could not be attached and why (a wanted source
 * missing, fentry unavailable so kprobes are used, ...), "" if nothing.
 * Front ends print it once at start.
 */
const char *tdax_collector_note(const struct tdax_collector *c);
/* "tdax", "stock", "both", "none" for a source mask. */
const char *tdax_source_name(unsigned int sources);
/* Parse "auto", "tdax", "stock"; -EINVAL otherwise. */
int tdax_parse_source(const char *s, enum tdax_source *out);
/* The in-tree device_dax module is loaded (sysfs_root/module/device_dax). */
bool tdax_stock_present(const char *sysfs_root);

/* Detach the programs (lets rmmod proceed); maps and counters are kept. */
int tdax_collector_detach(struct tdax_collector *c);
/* Attach again (fails with -ENOENT while the module is absent). */
int tdax_collector_attach(struct tdax_collector *c);

/*
 * Rescan sysfs (devices and regions that appeared or disappeared, align,
 * driver bound) and, when not attached and the module is present,
 * re-attach.  Returns 1 if the attachment state changed, 0 if not, <0 on
 * error.  tdax_collector_snapshot() calls it itself.
 */
int tdax_collector_refresh(struct tdax_collector *c);

/* Consume snoop records (opts.events): calls on_event; returns count or <0. */
int tdax_collector_poll(struct tdax_collector *c, int timeout_ms);
/*
 * Consume every snoop record in the ring now, without waiting and whatever
 * the last wake-up was: call it once more before exiting so no record
 * submitted before the exit decision is lost.  Returns count or <0.
 */
int tdax_collector_drain(struct tdax_collector *c);
/* Ring buffer fd for a caller's own poll()/epoll loop (-1 without events). */
int tdax_collector_event_fd(const struct tdax_collector *c);

/* ---- snapshots ---------------------------------------------------------- */

/*
 * Flushes of one device in one persistence domain (tdax_flush records):
 * fsync, fdatasync, msync(MS_SYNC) and O_SYNC/O_DSYNC writes.  Counters.
 */
struct tdax_snap_flush {
	__u64 flushes;			/* requests, skipped or not */
	__u64 bytes;			/* bytes of those requests */
	__u64 skipped;			/* requests the domain needed no work for */
	__u64 skipped_bytes;		/* ... their bytes */
	__u64 errors;			/* requests that failed (result < 0) */
	struct tdax_histogram lat;		/* latency (ns) of the flushes that did work */
};

/*
 * tdax_kmem state of one device (system-ram mode), summed over its ranges.
 * Gauges from the last tdax_kmem_add/remove and tdax_kmem_block records,
 * except the counters marked so.  seen false: no tdax_kmem record named
 * this device since the programs were loaded.
 */
struct tdax_snap_kmem {
	bool seen;
	__u32 mode;			/* enum tdax_mode the records imply */
	__u32 ranges;			/* ranges recorded */
	__u64 bytes;			/* bytes of the memory blocks added (or kept) */
	__u64 block_size;		/* memory block size */
	__u32 blocks;			/* memory blocks added (or kept); 0 once removed */
	__u32 blocks_online;		/* of which online */
	__u32 online[TDAX_KZ_NR];	/* online blocks by enum tdax_kmem_zone */
	__s32 node;			/* numa node (-1 if unknown) */
	__s32 tier;			/* memory tier (-1: none or unknown) */
	__s32 adistance;
	__u8 zone;			/* enum tdax_kmem_zone of the online blocks */
	__u8 memmap_on_memory;
	__s32 last_result;		/* of the last add/remove */
	__u16 last_reason;		/* enum tdax_kmem_reason of it */
	__u64 update_ns;		/* CLOCK_MONOTONIC of the last record */
	/* counters */
	__u64 adds, add_errors;		/* tdax_kmem_add records, failed ones */
	__u64 removes, remove_errors;	/* tdax_kmem_remove records, failed (kept) ones */
	__u64 offline_failures[TDAX_KR_NR];	/* failed removes by reason */
	__u64 block_ops[TDAX_KB_NR];	/* block records by enum tdax_kmem_block_op */
};

/*
 * One device instance: counters from the maps, names from sysfs and the
 * create records.  instance 0: a device present in sysfs that no record
 * has named yet (created before the programs were attached, no fault yet).
 */
struct tdax_snap_dev {
	char name[TDAX_NAME_LEN];	/* "tdax0.0"; "dev:MAJ:MIN" if never named */
	__u64 instance;			/* device instance id (identity of the row) */
	__u64 region_instance;		/* 0 if unknown */
	__u32 dev;			/* kernel dev_t (TDAX_KDEV_*) */
	__s32 region_id;		/* -1 if unknown */
	__u64 size;			/* sysfs, 0 if unknown */
	__u64 align;			/* sysfs, else last fault record's align */
	char driver[TDAX_NAME_LEN];	/* bound driver, "" if unbound/unknown */
	char fault_policy[16];		/* "strict"/"fallback"/"" */
	bool present;			/* this instance is in /sys/bus/tdax/devices now */
	bool retired;			/* destroyed: final counts, kept by the library */
	__u64 retired_ns;		/* CLOCK_MONOTONIC when retired (retired) */
	bool age_known;			/* created while attached */
	__u64 create_ns;		/* CLOCK_MONOTONIC at creation (age_known) */
	__u64 age_ns;			/* at snapshot: since creation, else since first seen */
	struct tdax_gran g;		/* summed over CPUs */
	struct tdax_histogram lat[TDAX_SZ_NR + 1];	/* by attempted size; [TDAX_SZ_NR] = other */
	__u64 mmaps;			/* result 0 */
	__u64 mmap_errors;		/* result < 0 */
	__u32 binds, unbinds;		/* seen while attached */
	char mode[20];			/* sysfs "mode" ("devdax", "system-ram", ...); "" unknown */
	struct tdax_snap_flush flush[TDAX_PD_NR];	/* by persistence domain */
	struct tdax_snap_kmem kmem;
};

/* fault_counts row: faults per (device instance, size, outcome, reason). */
struct tdax_snap_fault {
	__u64 instance;
	__u32 dev;
	__u8 size_idx;			/* TDAX_SZ_NR = other size */
	__u8 outcome;
	__u16 reason;
	__u64 count;
};

/* mmap_counts row. */
struct tdax_snap_mmap {
	__u64 instance;
	__u32 dev;
	__s32 result;
	__u32 reason;
	__u64 count;
};

/*
 * proc_stats row: one (process instance, device instance); or, with exited
 * set, the sum of the processes of that device that exited and were
 * reported (pid 0, comm "[exited]").
 */
struct tdax_snap_proc {
	__u32 pid;			/* tgid; 0 for the exited row */
	__u64 start_ns;			/* process start (boot-time ns); 0 for exited */
	__u64 instance;			/* device instance */
	__u32 dev;
	char comm[TDAX_PROC_COMM_LEN];	/* the process's (group leader's) name */
	bool alive;			/* this process (pid and start time) runs now */
	bool exited;			/* the exited aggregate of the device */
	__u64 reasons[2][TDAX_FR_NR];	/* its faults that ended: [0] mapped, [1] sigbus */
	struct tdax_gran g;
	__u64 mmaps;
	__u64 mmap_errors;
};

/* A region: from sysfs (present) and/or from the live_regions map. */
struct tdax_snap_region {
	__u32 id;
	__u64 instance;			/* region instance id, 0 if unknown */
	char provider[TDAX_NAME_LEN];	/* "" if unknown (created before attach) */
	__u64 start;			/* physical, 0 if unknown */
	__u64 size;
	__u64 align;
	__u64 available_size;		/* sysfs, 0 if unknown */
	__u32 ndevs;			/* devices of this region in sysfs */
	bool present;			/* visible in sysfs now */
	bool retired;			/* destroyed (reported once, then dropped) */
	bool age_known;			/* created while attached */
	__u64 create_ns;		/* CLOCK_MONOTONIC (age_known) */
	__u64 age_ns;			/* since creation, else since first seen */
};

struct tdax_snapshot {
	__u64 ts_ns;			/* CLOCK_MONOTONIC when taken */
	__u64 realtime_ns;		/* CLOCK_REALTIME when taken */
	__u64 interval_ns;		/* delta only: cur.ts_ns - prev.ts_ns; else 0 */
	enum tdax_attach_mode mode;

	size_t ndevs;
	struct tdax_snap_dev *devs;	/* sorted by name, then instance */
	size_t nfaults;
	struct tdax_snap_fault *faults;	/* sorted by (instance, size, outcome, reason) */
	size_t nmmaps;
	struct tdax_snap_mmap *mmaps;
	size_t nprocs;
	struct tdax_snap_proc *procs;	/* sorted by (pid, start_ns, instance) */
	size_t nregions;
	struct tdax_snap_region *regions;	/* sorted by id */

	struct tdax_histogram lifetimes[TDAX_LIFETIME_NR];	/* enum tdax_lifetime */
	__u64 counters[TDAX_CTR_NR];	/* enum tdax_counter: events, map-full, health */
	__u64 map_entries[TDAX_CTR_NR];	/* for TDAX_CTR_FULL_*: entries in that map now */
	__u64 map_max[TDAX_CTR_NR];	/* for TDAX_CTR_FULL_*: max_entries */
	__u64 bpf_run_ns;		/* sum of run_time_ns of the programs (bpf_stats_enabled) */
	__u64 bpf_run_cnt;
	unsigned int sources;		/* TDAX_SOURCE_* mask attached when taken */
	enum tdax_attach_mode stock_mode;	/* attachment of the stock source */
	enum tdax_set_role set_role;	/* the program set read (docs/design.md) */
};

void tdax_snapshot_init(struct tdax_snapshot *s);	/* zero, no allocation */
void tdax_snapshot_free(struct tdax_snapshot *s);	/* frees arrays, re-inits */
int tdax_snapshot_copy(struct tdax_snapshot *dst, const struct tdax_snapshot *src);

/* Read all maps and sysfs into *out (freed and replaced). */
int tdax_collector_snapshot(struct tdax_collector *c, struct tdax_snapshot *out);

/*
 * out = cur - prev for every counter and histogram (rows matched by key;
 * a row absent from prev counts from zero; a counter smaller in cur than in
 * prev - maps reset - counts from zero).  Gauges (names, present, ages, map
 * entries) come from cur.  out->interval_ns = cur->ts_ns - prev->ts_ns.
 * Rows whose delta is all zero are kept (front ends filter).
 */
int tdax_snapshot_delta(const struct tdax_snapshot *prev,
			const struct tdax_snapshot *cur,
			struct tdax_snapshot *out);

/* Lookups in a snapshot (NULL if absent). */
const struct tdax_snap_dev *tdax_snapshot_dev_instance(const struct tdax_snapshot *s,
						       __u64 instance);
/* The present device of that name, else the newest instance of that name. */
const struct tdax_snap_dev *tdax_snapshot_dev_by_name(const struct tdax_snapshot *s,
						      const char *name);
const struct tdax_snap_region *tdax_snapshot_region(const struct tdax_snapshot *s, __u32 id);
/*
 * The name a row of instance (dev_t dev) is shown under: its device row's
 * name, else "dev:MAJ:MIN" of dev written to buf (len >= 24), else "?".
 */
const char *tdax_snapshot_dev_name(const struct tdax_snapshot *s, __u64 instance, __u32 dev,
				   char *buf, size_t len);

/* ---- measures (definitions: docs/metrics.md) ------------------------------ */

/* Per second: count / interval (0 if interval is 0). */
double tdax_rate(__u64 count, __u64 interval_ns);
/* Faults that ended (mapped or SIGBUS): hits + misses. */
__u64 tdax_gran_ended(const struct tdax_gran *g);
/* Faults per second: faults that ended / interval. */
double tdax_fault_rate(const struct tdax_gran *g, __u64 interval_ns);
/* Granularity hit rate by faults: hits / ended; NAN when none ended. */
double tdax_hit_ratio(const struct tdax_gran *g);
/*
 * Coverage by bytes: bytes mapped at (or above) the device alignment /
 * bytes mapped; NAN when nothing was mapped.  One 2M range served as 512
 * 4K faults weighs 2M, like one range served at 2M.
 */
double tdax_byte_coverage(const struct tdax_gran *g);
/* Faults that ended in SIGBUS (all sizes). */
__u64 tdax_gran_sigbus(const struct tdax_gran *g);
/* Sum of attempts (handler calls) over all sizes. */
__u64 tdax_gran_attempts(const struct tdax_gran *g);
void tdax_gran_add(struct tdax_gran *dst, const struct tdax_gran *src);

/*
 * Histogram slots have inclusive upper bounds, as Prometheus buckets:
 * slot 0 holds v <= 1, slot i holds 2^(i-1) < v <= 2^i.
 * tdax_hist_slot_upper(i) = 2^i is the slot's `le`.
 */
unsigned int tdax_hist_slot(__u64 v);
__u64 tdax_hist_slot_upper(unsigned int slot);
/*
 * Quantile q in [0,1] interpolated linearly within the slot holding rank
 * q * count, exactly as Prometheus' histogram_quantile() does on the same
 * buckets (lower bound of the first slot: 0).  NAN for an empty histogram.
 */
double tdax_hist_quantile(const struct tdax_histogram *h, double q);
void tdax_hist_add(struct tdax_histogram *dst, const struct tdax_histogram *src);

/*
 * Fallback reasons, counted once per fault that ended (records with outcome
 * mapped or sigbus and a reason other than ok), of one device instance
 * (instance 0: all devices), sorted by count descending: writes up to max
 * rows; returns how many.  by_outcome: keep mapped and sigbus apart.
 */
struct tdax_reason_count {
	__u64 instance;
	__u8 size_idx;			/* attempted (= ended) size */
	__u8 outcome;			/* TDAX_FO_MAPPED or TDAX_FO_SIGBUS (by_outcome), else 0 */
	__u16 reason;
	__u64 count;
};
size_t tdax_top_reasons(const struct tdax_snapshot *s, __u64 instance, bool by_outcome,
			struct tdax_reason_count *out, size_t max);
/* Ended faults of one instance with reason r (any size, outcome mapped/sigbus). */
__u64 tdax_reason_ended(const struct tdax_snapshot *s, __u64 instance, unsigned int reason,
			int outcome);

void tdax_flush_add(struct tdax_snap_flush *dst, const struct tdax_snap_flush *src);
/* Flushes of a device summed over the persistence domains. */
void tdax_flush_total(const struct tdax_snap_dev *d, struct tdax_snap_flush *out);
/* Flushes that did work: flushes - skipped. */
__u64 tdax_flush_done(const struct tdax_snap_flush *f);
/* Bytes written back: bytes of the flushes that did work. */
__u64 tdax_flush_bytes_done(const struct tdax_snap_flush *f);
/* Bytes of online memory of a system-ram device: blocks online x block size. */
__u64 tdax_kmem_online_bytes(const struct tdax_snap_kmem *k);
/*
 * Mode of a device: sysfs "mode" while present; else what the tdax_kmem
 * records imply; else from the bound driver; "unbound" otherwise.
 */
const char *tdax_dev_mode(const struct tdax_snap_dev *d);

/* ---- names ---------------------------------------------------------------- */

const char *tdax_domain_name(unsigned int domain);	/* "memory_controller", ... */
const char *tdax_mode_name(unsigned int mode);		/* "devdax", "system-ram", ... */
const char *tdax_kmem_zone_name(unsigned int zone);	/* "normal", "movable", ... */
const char *tdax_kmem_reason_name(unsigned int reason);	/* "pages_in_use", ... */
const char *tdax_kmem_block_op_name(unsigned int op);	/* "online", "offline_failed", ... */

const char *tdax_size_name(unsigned int size_idx);	/* "4K","2M","1G","other" */
const char *tdax_fault_reason_name(unsigned int reason);	/* "?" if unknown */
const char *tdax_fault_outcome_name(unsigned int outcome);
const char *tdax_mmap_reason_name(unsigned int reason);
const char *tdax_counter_name(unsigned int counter);	/* enum tdax_counter */
const char *tdax_lifetime_name(unsigned int idx);	/* enum tdax_lifetime: "region", "device" */
/* Source of a device row: "stock" (in-tree device_dax) or "tdax". */
const char *tdax_dev_source(const struct tdax_snap_dev *d);

/* Format bytes as "4K", "2M", "1G", "1536M" ... into buf; returns buf. */
char *tdax_fmt_bytes(__u64 bytes, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* _TDAX_COLLECTOR_H */
