/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tdax_abi.h - the ABI shared by the tdax driver, its BPF programs and tools.
 *
 * This is the only place where reason codes, outcome codes, fault sizes and
 * the tracepoint argument records are defined.  The driver (kernel), the BPF
 * programs (CO-RE, built against vmlinux.h) and the userspace tools include
 * this header; none of them restates its contents.
 *
 * Every tdax tracepoint has one argument, a pointer to a record defined here
 * (TP_PROTO(const struct tdax_*_rec *rec)).  The records have a fixed layout
 * that does not depend on the kernel's private types, so raw_tp programs (no
 * module BTF) read them as bpf_probe_read_kernel(&local, sizeof(local), rec),
 * and tp_btf programs (module BTF present) may load their fields directly,
 * relocated against the module's BTF (bpf/tdax_collect.bpf.c).
 *
 * Identity: a device (or region) deleted and re-created, or a new device
 * that gets a freed minor, has the same dev_t (or region id) as a dead one.
 * Every record therefore carries the 64-bit instance id the driver gave the
 * device (region) at creation: unique and never reused while the module is
 * loaded (one global counter, 1, 2, ...).  Consumers key their state by it.
 *
 * Lists are X-macros: X(NAME, value, "string").  Use them to build enums,
 * __print_symbolic() tables and name arrays, so the three sides never drift.
 * Values are stable: append, never renumber.
 */
#ifndef _TDAX_ABI_H
#define _TDAX_ABI_H

#if !defined(__KERNEL__) && !defined(__VMLINUX_H__)
#include <linux/types.h>
#endif

#define TDAX_TRACE_SYSTEM	"tdax"
#define TDAX_BUS_NAME		"tdax"
#define TDAX_NAME_LEN		32

/* Fault sizes: the three page-table levels a device-DAX fault can map. */
#define TDAX_SIZE_4K		(1ULL << 12)
#define TDAX_SIZE_2M		(1ULL << 21)
#define TDAX_SIZE_1G		(1ULL << 30)

#define TDAX_SIZES(X)					\
	X(4K, 0, "4K")					\
	X(2M, 1, "2M")					\
	X(1G, 2, "1G")

enum tdax_size_idx {
#define TDAX_X_ENUM(name, val, str) TDAX_SZ_##name = val,
	TDAX_SIZES(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_SZ_NR
};

/* Index of a fault size (bytes) in enum tdax_size_idx; TDAX_SZ_NR if none. */
static inline unsigned int tdax_size_idx(__u64 size)
{
	return size == TDAX_SIZE_4K ? TDAX_SZ_4K :
	       size == TDAX_SIZE_2M ? TDAX_SZ_2M :
	       size == TDAX_SIZE_1G ? TDAX_SZ_1G : TDAX_SZ_NR;
}

/*
 * Why a fault was not served at the device alignment (or "ok").
 *
 * larger_than_align  the mm attempted a size larger than the alignment
 *                    (e.g. a 1G attempt on a 2M device): expected, the mm
 *                    retries at the next smaller size.
 * nohugepage         attempted size smaller than the alignment because the
 *                    vma has VM_NOHUGEPAGE (madvise(MADV_NOHUGEPAGE)).
 * thp_disabled       ... because the process has PR_SET_THP_DISABLE.
 * pgoff_misaligned   ... because the file offset of the huge range does not
 *                    map to a physical address aligned to the huge size.
 * outside_vma        ... because the huge range around the address is not
 *                    entirely inside the vma.
 * table_populated    ... because a lower-level page table already exists
 *                    where the huge entry would go.
 * smaller_unknown    smaller than the alignment and none of the above found.
 * beyond_device      the offset is beyond the end of the device.
 * dead               the device is no longer alive (unbound, being removed).
 * insert_failed      the page-table insertion itself failed.
 * unsupported_size   the attempted size is not one the device can map (e.g.
 *                    a 2M attempt on a 1G device whose range is misaligned).
 * badblock           the entry would cover a known bad block of the media
 *                    (pmem badblocks): never mapped, the access is SIGBUS.
 * offset_misaligned  the vma's file offset is not a multiple of the device
 *                    alignment: a huge entry maps the physical address
 *                    rounded down, i.e. the wrong memory.  Only the in-tree
 *                    device_dax lets such a mapping exist (stock-kernel
 *                    source, docs/stock-kernel.md); tdax refuses the mmap.
 */
#define TDAX_FAULT_REASONS(X)					\
	X(OK,			0,	"ok")				\
	X(LARGER_THAN_ALIGN,	1,	"larger_than_align")		\
	X(NOHUGEPAGE,		2,	"nohugepage")			\
	X(THP_DISABLED,		3,	"thp_disabled")			\
	X(PGOFF_MISALIGNED,	4,	"pgoff_misaligned")		\
	X(OUTSIDE_VMA,		5,	"outside_vma")			\
	X(TABLE_POPULATED,	6,	"table_populated")		\
	X(SMALLER_UNKNOWN,	7,	"smaller_unknown")		\
	X(BEYOND_DEVICE,	8,	"beyond_device")		\
	X(DEAD,			9,	"dead")				\
	X(INSERT_FAILED,	10,	"insert_failed")		\
	X(UNSUPPORTED_SIZE,	11,	"unsupported_size")		\
	X(BADBLOCK,		12,	"badblock")			\
	X(OFFSET_MISALIGNED,	13,	"offset_misaligned")

enum tdax_fault_reason {
#define TDAX_X_ENUM(name, val, str) TDAX_FR_##name = val,
	TDAX_FAULT_REASONS(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_FR_NR
};

/*
 * How a fault ended, derived by the driver from the vm_fault_t it returns.
 *
 * mapped    an entry of the attempted size was installed (VM_FAULT_NOPAGE)
 * fallback  VM_FAULT_FALLBACK: the mm retries at a smaller size
 * sigbus    VM_FAULT_SIGBUS: the access kills the process
 * oom       VM_FAULT_OOM (page-table allocation failed)
 * other     anything else (e.g. VM_FAULT_RETRY)
 */
#define TDAX_FAULT_OUTCOMES(X)					\
	X(MAPPED,	0,	"mapped")				\
	X(FALLBACK,	1,	"fallback")				\
	X(SIGBUS,	2,	"sigbus")				\
	X(OOM,		3,	"oom")					\
	X(OTHER,	4,	"other")

enum tdax_fault_outcome {
#define TDAX_X_ENUM(name, val, str) TDAX_FO_##name = val,
	TDAX_FAULT_OUTCOMES(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_FO_NR
};

/*
 * Why an mmap (or a later change of a tdax vma) was refused, or "ok".
 *
 * not_shared        MAP_PRIVATE (device-DAX mappings must be MAP_SHARED)
 * start_unaligned   vm_start not aligned to the device alignment
 * len_unaligned     length not a multiple of the device alignment
 * pgoff_unaligned   file offset not a multiple of the device alignment
 * beyond_device     the whole range starts beyond the end of the device
 * dead              the device is no longer alive
 * split_unaligned   munmap/mprotect/mremap would split the vma at an
 *                   address not aligned to the device alignment
 * move_unaligned    mremap would move the vma to an unaligned address
 * sync_unsupported  MAP_SYNC on a device whose flush is asynchronous
 *                   (virtio-pmem): refused with EOPNOTSUPP, as fs-dax does
 */
#define TDAX_MMAP_REASONS(X)					\
	X(OK,			0,	"ok")				\
	X(NOT_SHARED,		1,	"not_shared")			\
	X(START_UNALIGNED,	2,	"start_unaligned")		\
	X(LEN_UNALIGNED,	3,	"len_unaligned")		\
	X(PGOFF_UNALIGNED,	4,	"pgoff_unaligned")		\
	X(BEYOND_DEVICE,	5,	"beyond_device")		\
	X(DEAD,			6,	"dead")				\
	X(SPLIT_UNALIGNED,	7,	"split_unaligned")		\
	X(MOVE_UNALIGNED,	8,	"move_unaligned")		\
	X(SYNC_UNSUPPORTED,	9,	"sync_unsupported")

enum tdax_mmap_reason {
#define TDAX_X_ENUM(name, val, str) TDAX_MR_##name = val,
	TDAX_MMAP_REASONS(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_MR_NR
};

/* Fault policy of a device (sysfs fault_policy). */
#define TDAX_FAULT_POLICIES(X)					\
	X(STRICT,	0,	"strict")				\
	X(FALLBACK,	1,	"fallback")

enum tdax_fault_policy {
#define TDAX_X_ENUM(name, val, str) TDAX_FP_##name = val,
	TDAX_FAULT_POLICIES(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_FP_NR
};

/*
 * Persistence domain of a region: what a flush (fsync, msync, O_SYNC write)
 * must do before data is durable.
 *
 * none               volatile memory (tdax_hmem): nothing is durable, no
 *                    flush operation
 * memory_controller  stores are durable once they reach the memory
 *                    controller (ADR): CPU caches are written back for the
 *                    range, then the region's write queues are flushed
 * cpu_cache          CPU caches are in the persistence domain (eADR,
 *                    flush-on-fail): a flush has nothing to do (skipped)
 * virtio_host        virtio-pmem: CPU caches are written back, then the
 *                    host is asked to flush its file (asynchronous request)
 */
#define TDAX_PERSISTENCE_DOMAINS(X)				\
	X(NONE,			0,	"none")				\
	X(MEMORY_CONTROLLER,	1,	"memory_controller")		\
	X(CPU_CACHE,		2,	"cpu_cache")			\
	X(VIRTIO_HOST,		3,	"virtio_host")

enum tdax_persistence_domain {
#define TDAX_X_ENUM(name, val, str) TDAX_PD_##name = val,
	TDAX_PERSISTENCE_DOMAINS(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_PD_NR
};

/*
 * What a device is used as (sysfs "mode"): the driver it is bound to.
 *
 * unbound          no driver
 * devdax           tdax_device: /dev/tdaxR.N
 * system-ram       tdax_kmem: its memory is hot-added to the page allocator
 * system-ram-kept  unbound, but a tdax_kmem unbind could not offline all of
 *                  its memory: the memory stays in the page allocator until
 *                  tdax_kmem is bound again and unbinds successfully
 */
#define TDAX_MODES(X)						\
	X(UNBOUND,	0,	"unbound")				\
	X(DEVDAX,	1,	"devdax")				\
	X(SYSTEM_RAM,	2,	"system-ram")				\
	X(KEPT,		3,	"system-ram-kept")

enum tdax_mode {
#define TDAX_X_ENUM(name, val, str) TDAX_MODE_##name = val,
	TDAX_MODES(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_MODE_NR
};

/*
 * Why tdax_kmem added or removed a range as it did, or "ok".
 *
 * no_node          the device has no valid target node (target_node < 0)
 * range_busy       the range is claimed by someone else (e.g. still
 *                  memremapped, or left online by another device)
 * too_small        no whole memory block fits in the range
 * add_failed       add_memory_driver_managed() failed (result says why)
 * adopted          memory a failed unbind left online (system-ram-kept) was
 *                  taken over by this binding instead of being added again
 * pages_in_use     offlining failed: pages could not be migrated or isolated
 *                  (pinned or unmovable); the memory stays online
 * timeout          offlining did not finish within the offline_timeout
 *                  parameter of tdax_kmem; the memory stays online
 * interrupted      the task unbinding got a fatal signal; the memory stays
 * remove_failed    another error while offlining or removing (result)
 * partial          some memory blocks were removed, others stay online
 */
#define TDAX_KMEM_REASONS(X)					\
	X(OK,			0,	"ok")				\
	X(NO_NODE,		1,	"no_node")			\
	X(RANGE_BUSY,		2,	"range_busy")			\
	X(TOO_SMALL,		3,	"too_small")			\
	X(ADD_FAILED,		4,	"add_failed")			\
	X(ADOPTED,		5,	"adopted")			\
	X(PAGES_IN_USE,		6,	"pages_in_use")			\
	X(TIMEOUT,		7,	"timeout")			\
	X(INTERRUPTED,		8,	"interrupted")			\
	X(REMOVE_FAILED,	9,	"remove_failed")		\
	X(PARTIAL,		10,	"partial")

enum tdax_kmem_reason {
#define TDAX_X_ENUM(name, val, str) TDAX_KR_##name = val,
	TDAX_KMEM_REASONS(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_KR_NR
};

/*
 * Zone of hot-added memory: of a block (tdax_kmem_block), or a summary of
 * the online blocks of a range (tdax_kmem_add/remove): "offline" when no
 * block is online, "mixed" when online blocks are in different zones.
 */
#define TDAX_KMEM_ZONES(X)					\
	X(OFFLINE,	0,	"offline")				\
	X(NORMAL,	1,	"normal")				\
	X(MOVABLE,	2,	"movable")				\
	X(MIXED,	3,	"mixed")				\
	X(OTHER,	4,	"other")

enum tdax_kmem_zone {
#define TDAX_X_ENUM(name, val, str) TDAX_KZ_##name = val,
	TDAX_KMEM_ZONES(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_KZ_NR
};

/* What happened to one memory block of a tdax_kmem range. */
#define TDAX_KMEM_BLOCK_OPS(X)					\
	X(ONLINE,		0,	"online")			\
	X(OFFLINE,		1,	"offline")			\
	X(ONLINE_FAILED,	2,	"online_failed")		\
	X(OFFLINE_FAILED,	3,	"offline_failed")

enum tdax_kmem_block_op {
#define TDAX_X_ENUM(name, val, str) TDAX_KB_##name = val,
	TDAX_KMEM_BLOCK_OPS(TDAX_X_ENUM)
#undef TDAX_X_ENUM
	TDAX_KB_NR
};

/* Kernel dev_t encoding (as in the tracepoint records): 12-bit major, 20-bit minor. */
#define TDAX_KDEV_MINORBITS	20
#define TDAX_KDEV_MAJOR(d)	((unsigned int)((d) >> TDAX_KDEV_MINORBITS))
#define TDAX_KDEV_MINOR(d)	((unsigned int)((d) & ((1U << TDAX_KDEV_MINORBITS) - 1)))
#define TDAX_KDEV(ma, mi)	(((__u32)(ma) << TDAX_KDEV_MINORBITS) | (__u32)(mi))

/* tdax:tdax_fault - one call of the device's fault handler at one size. */
/* largest fault_around of a device: one page table's worth of 4K pages */
#define TDAX_FAULT_AROUND_MAX	512

struct tdax_fault_rec {
	__u64 address;		/* faulting virtual address */
	__u64 pgoff;		/* file offset of the address, in pages */
	__u64 size;		/* attempted size, bytes (4K, 2M or 1G) */
	__u64 align;		/* device alignment, bytes */
	__u64 phys;		/* physical address mapped, 0 if none */
	__u64 latency_ns;	/* handler latency; 0 unless the event is enabled */
	__u64 instance;		/* device instance id */
	__u64 region_instance;	/* region instance id */
	__u32 dev;		/* kernel dev_t of /dev/tdaxR.N */
	__u32 region_id;	/* R */
	__u32 result;		/* vm_fault_t bits returned */
	__u16 reason;		/* enum tdax_fault_reason */
	__u8 outcome;		/* enum tdax_fault_outcome */
	__u8 write;		/* 1 for a write fault */
	__u32 around;		/* 4K pages mapped around the faulting one (fault_around) */
	__u32 pad;
};

/* tdax:tdax_mmap - one mmap() of /dev/tdaxR.N, or a refused vma change. */
struct tdax_mmap_rec {
	__u64 vm_start;
	__u64 vm_end;
	__u64 pgoff;		/* vm_pgoff, in pages */
	__u64 vm_flags;
	__u64 instance;		/* device instance id */
	__u32 dev;		/* kernel dev_t */
	__u32 region_id;
	__s32 result;		/* 0 or -errno */
	__u16 reason;		/* enum tdax_mmap_reason */
	__u16 pad;
};

/* tdax:tdax_bind, tdax:tdax_unbind - a driver bound to / unbound from a device. */
struct tdax_bind_rec {
	char dev_name[TDAX_NAME_LEN];	/* "tdaxR.N" */
	char drv_name[TDAX_NAME_LEN];	/* "tdax_device", ... */
	__u64 instance;		/* device instance id */
	__u32 dev;		/* kernel dev_t */
	__s32 result;		/* probe result (bind); 0 (unbind) */
};

/* tdax:tdax_region_create, tdax:tdax_region_destroy */
struct tdax_region_rec {
	__u64 start;		/* physical start */
	__u64 size;		/* bytes */
	__u64 align;		/* default alignment of the region */
	__u64 lifetime_ns;	/* destroy only; 0 on create */
	__u64 instance;		/* region instance id */
	__u32 id;		/* region id R */
	__u32 pad;
	char provider[TDAX_NAME_LEN];	/* "hmem.0", "tdax_hmem.range0", ... */
};

/* tdax:tdax_dev_create, tdax:tdax_dev_destroy */
struct tdax_dev_rec {
	__u64 size;		/* bytes */
	__u64 align;		/* bytes */
	__u64 lifetime_ns;	/* destroy only; 0 on create */
	__u64 instance;		/* device instance id */
	__u64 region_instance;	/* region instance id */
	__u32 dev;		/* kernel dev_t */
	__u32 region_id;
	char name[TDAX_NAME_LEN];	/* "tdaxR.N" */
};

/*
 * tdax:tdax_flush - one flush of a device range (fsync, fdatasync,
 * msync(MS_SYNC), O_SYNC/O_DSYNC write).  skipped = 1 when the domain needs
 * no work (cpu_cache, none); latency_ns is measured only while the event is
 * enabled.
 */
struct tdax_flush_rec {
	__u64 offset;		/* device offset of the range, bytes */
	__u64 bytes;		/* length of the range */
	__u64 latency_ns;	/* time spent flushing; 0 unless the event is enabled */
	__u32 dev;		/* kernel dev_t of /dev/tdaxR.N */
	__u32 region_id;
	__u8 domain;		/* enum tdax_persistence_domain */
	__u8 skipped;		/* 1: nothing to do for this domain */
	__u16 pad;
	__s32 result;		/* 0 or -errno */
	__u64 instance;		/* device instance id */
	__u64 region_instance;	/* region instance id */
};

/*
 * tdax:tdax_kmem_add, tdax:tdax_kmem_remove - tdax_kmem hot-added (bind) or
 * hot-removed (unbind) one range of a device.  start/size are the memory
 * blocks used (the device range trimmed to memory-block boundaries).
 */
struct tdax_kmem_rec {
	__u64 start;		/* physical start */
	__u64 size;		/* bytes */
	__u64 block_size;	/* memory block size, bytes */
	__u32 dev;		/* kernel dev_t */
	__u32 region_id;
	__s32 node;		/* numa node the memory is added to */
	__s32 tier;		/* memory_tierN the node is registered in (-1: none) */
	__s32 adistance;	/* abstract distance used for the tier */
	__s32 result;		/* 0 or -errno */
	__u32 blocks;		/* memory blocks of the range */
	__u32 blocks_online;	/* of which online after the operation */
	__u16 reason;		/* enum tdax_kmem_reason */
	__u8 zone;		/* enum tdax_kmem_zone of the online blocks */
	__u8 memmap_on_memory;	/* 1: memmap_on_memory was requested */
	__u32 range_idx;	/* index of the range in the device */
	char name[TDAX_NAME_LEN];	/* "tdaxR.N" */
	__u64 instance;		/* device instance id */
	__u64 region_instance;	/* region instance id */
	__u32 online_normal;	/* of blocks_online: in ZONE_NORMAL */
	__u32 online_movable;	/* ... in ZONE_MOVABLE (the rest: other zones) */
};

/* tdax:tdax_kmem_block - a memory block of a tdax_kmem range went online/offline. */
struct tdax_kmem_block_rec {
	__u64 start;		/* physical start of the pages (after any memmap) */
	__u64 size;		/* bytes */
	__u32 dev;		/* kernel dev_t */
	__u32 region_id;
	__s32 node;
	__u8 op;		/* enum tdax_kmem_block_op */
	__u8 zone;		/* enum tdax_kmem_zone of the block */
	__u16 pad;
	char name[TDAX_NAME_LEN];
	__u64 instance;		/* instance of the device that owns the range */
	__u64 region_instance;	/* its region instance */
	__u32 range_idx;	/* index of the range in that device */
	__u32 pad2;
};

#endif /* _TDAX_ABI_H */
