/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tdax_trace.h - tracepoints of the tdax stack (trace system "tdax").
 *
 * Every event takes one argument, a pointer to a record of
 * include/tdax_abi.h, so BPF programs (tp_btf or raw_tp) read the same
 * bytes the driver filled in.  Reasons, outcomes and sizes print by name
 * from the X-macro lists of that header.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tdax

#if !defined(_TDAX_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TDAX_TRACE_H

#include <linux/tracepoint.h>
#include <linux/mm_types.h>
#include "../include/tdax_abi.h"
#include "tdax_compat.h"

/* { value, "name" }, list entries; each list ends with a sentinel entry. */
#define TDAX_TP_SYM(name, val, str)	{ val, str },
#define TDAX_TP_SIZES							\
	{ 0x1000, "4K" }, { 0x200000, "2M" }, { 0x40000000, "1G" }

TRACE_DEFINE_ENUM(VM_FAULT_OOM);
TRACE_DEFINE_ENUM(VM_FAULT_SIGBUS);
TRACE_DEFINE_ENUM(VM_FAULT_MAJOR);
TDAX_TRACE_DEFINE_VM_FAULT_WRITE
TRACE_DEFINE_ENUM(VM_FAULT_HWPOISON);
TRACE_DEFINE_ENUM(VM_FAULT_HWPOISON_LARGE);
TRACE_DEFINE_ENUM(VM_FAULT_SIGSEGV);
TRACE_DEFINE_ENUM(VM_FAULT_NOPAGE);
TRACE_DEFINE_ENUM(VM_FAULT_LOCKED);
TRACE_DEFINE_ENUM(VM_FAULT_RETRY);
TRACE_DEFINE_ENUM(VM_FAULT_FALLBACK);
TRACE_DEFINE_ENUM(VM_FAULT_DONE_COW);
TRACE_DEFINE_ENUM(VM_FAULT_NEEDDSYNC);
TRACE_DEFINE_ENUM(VM_FAULT_COMPLETED);

TRACE_EVENT(tdax_fault,
	TP_PROTO(const struct tdax_fault_rec *rec),
	TP_ARGS(rec),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, region_id)
		__field(u64, address)
		__field(u64, pgoff)
		__field(u64, size)
		__field(u64, align)
		__field(u8, write)
		__field(u32, result)
		__field(u8, outcome)
		__field(u16, reason)
		__field(u64, phys)
		__field(u64, latency_ns)
		__field(u32, around)
	),
	TP_fast_assign(
		__entry->dev = rec->dev;
		__entry->region_id = rec->region_id;
		__entry->address = rec->address;
		__entry->pgoff = rec->pgoff;
		__entry->size = rec->size;
		__entry->align = rec->align;
		__entry->write = rec->write;
		__entry->result = rec->result;
		__entry->outcome = rec->outcome;
		__entry->reason = rec->reason;
		__entry->phys = rec->phys;
		__entry->latency_ns = rec->latency_ns;
		__entry->around = rec->around;
	),
	TP_printk("dev=%u:%u region=%u address=0x%llx pgoff=0x%llx size=%s align=%s %s result=%s outcome=%s reason=%s phys=0x%llx latency_ns=%llu around=%u",
		  __entry->dev >> 20, __entry->dev & 0xfffff,
		  __entry->region_id, __entry->address, __entry->pgoff,
		  __print_symbolic(__entry->size, TDAX_TP_SIZES),
		  __print_symbolic(__entry->align, TDAX_TP_SIZES),
		  __entry->write ? "write" : "read",
		  __print_flags(__entry->result, "|", VM_FAULT_RESULT_TRACE),
		  __print_symbolic(__entry->outcome,
				   TDAX_FAULT_OUTCOMES(TDAX_TP_SYM)
				   { 255, "invalid" }),
		  __print_symbolic(__entry->reason,
				   TDAX_FAULT_REASONS(TDAX_TP_SYM)
				   { 65535, "invalid" }),
		  __entry->phys, __entry->latency_ns, __entry->around)
);

TRACE_EVENT(tdax_mmap,
	TP_PROTO(const struct tdax_mmap_rec *rec),
	TP_ARGS(rec),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, region_id)
		__field(u64, vm_start)
		__field(u64, vm_end)
		__field(u64, pgoff)
		__field(u64, vm_flags)
		__field(s32, result)
		__field(u16, reason)
	),
	TP_fast_assign(
		__entry->dev = rec->dev;
		__entry->region_id = rec->region_id;
		__entry->vm_start = rec->vm_start;
		__entry->vm_end = rec->vm_end;
		__entry->pgoff = rec->pgoff;
		__entry->vm_flags = rec->vm_flags;
		__entry->result = rec->result;
		__entry->reason = rec->reason;
	),
	TP_printk("dev=%u:%u region=%u vm_start=0x%llx vm_end=0x%llx pgoff=0x%llx vm_flags=0x%llx result=%d reason=%s",
		  __entry->dev >> 20, __entry->dev & 0xfffff,
		  __entry->region_id, __entry->vm_start, __entry->vm_end,
		  __entry->pgoff, __entry->vm_flags, __entry->result,
		  __print_symbolic(__entry->reason,
				   TDAX_MMAP_REASONS(TDAX_TP_SYM)
				   { 65535, "invalid" }))
);

DECLARE_EVENT_CLASS(tdax_bind_class,
	TP_PROTO(const struct tdax_bind_rec *rec),
	TP_ARGS(rec),
	TP_STRUCT__entry(
		__array(char, dev_name, TDAX_NAME_LEN)
		__array(char, drv_name, TDAX_NAME_LEN)
		__field(u32, dev)
		__field(s32, result)
	),
	TP_fast_assign(
		memcpy(__entry->dev_name, rec->dev_name, TDAX_NAME_LEN);
		memcpy(__entry->drv_name, rec->drv_name, TDAX_NAME_LEN);
		__entry->dev_name[TDAX_NAME_LEN - 1] = 0;
		__entry->drv_name[TDAX_NAME_LEN - 1] = 0;
		__entry->dev = rec->dev;
		__entry->result = rec->result;
	),
	TP_printk("device=%s driver=%s dev=%u:%u result=%d",
		  __entry->dev_name, __entry->drv_name,
		  __entry->dev >> 20, __entry->dev & 0xfffff, __entry->result)
);

DEFINE_EVENT(tdax_bind_class, tdax_bind,
	TP_PROTO(const struct tdax_bind_rec *rec),
	TP_ARGS(rec));

DEFINE_EVENT(tdax_bind_class, tdax_unbind,
	TP_PROTO(const struct tdax_bind_rec *rec),
	TP_ARGS(rec));

DECLARE_EVENT_CLASS(tdax_region_class,
	TP_PROTO(const struct tdax_region_rec *rec),
	TP_ARGS(rec),
	TP_STRUCT__entry(
		__field(u32, id)
		__array(char, provider, TDAX_NAME_LEN)
		__field(u64, start)
		__field(u64, size)
		__field(u64, align)
		__field(u64, lifetime_ns)
	),
	TP_fast_assign(
		__entry->id = rec->id;
		memcpy(__entry->provider, rec->provider, TDAX_NAME_LEN);
		__entry->provider[TDAX_NAME_LEN - 1] = 0;
		__entry->start = rec->start;
		__entry->size = rec->size;
		__entry->align = rec->align;
		__entry->lifetime_ns = rec->lifetime_ns;
	),
	TP_printk("region=%u provider=%s start=0x%llx size=0x%llx align=%s lifetime_ns=%llu",
		  __entry->id, __entry->provider, __entry->start, __entry->size,
		  __print_symbolic(__entry->align, TDAX_TP_SIZES),
		  __entry->lifetime_ns)
);

DEFINE_EVENT(tdax_region_class, tdax_region_create,
	TP_PROTO(const struct tdax_region_rec *rec),
	TP_ARGS(rec));

DEFINE_EVENT(tdax_region_class, tdax_region_destroy,
	TP_PROTO(const struct tdax_region_rec *rec),
	TP_ARGS(rec));

DECLARE_EVENT_CLASS(tdax_dev_class,
	TP_PROTO(const struct tdax_dev_rec *rec),
	TP_ARGS(rec),
	TP_STRUCT__entry(
		__array(char, name, TDAX_NAME_LEN)
		__field(u32, dev)
		__field(u32, region_id)
		__field(u64, size)
		__field(u64, align)
		__field(u64, lifetime_ns)
	),
	TP_fast_assign(
		memcpy(__entry->name, rec->name, TDAX_NAME_LEN);
		__entry->name[TDAX_NAME_LEN - 1] = 0;
		__entry->dev = rec->dev;
		__entry->region_id = rec->region_id;
		__entry->size = rec->size;
		__entry->align = rec->align;
		__entry->lifetime_ns = rec->lifetime_ns;
	),
	TP_printk("device=%s dev=%u:%u region=%u size=0x%llx align=%s lifetime_ns=%llu",
		  __entry->name, __entry->dev >> 20, __entry->dev & 0xfffff,
		  __entry->region_id, __entry->size,
		  __print_symbolic(__entry->align, TDAX_TP_SIZES),
		  __entry->lifetime_ns)
);

DEFINE_EVENT(tdax_dev_class, tdax_dev_create,
	TP_PROTO(const struct tdax_dev_rec *rec),
	TP_ARGS(rec));

DEFINE_EVENT(tdax_dev_class, tdax_dev_destroy,
	TP_PROTO(const struct tdax_dev_rec *rec),
	TP_ARGS(rec));

TRACE_EVENT(tdax_flush,
	TP_PROTO(const struct tdax_flush_rec *rec),
	TP_ARGS(rec),
	TP_STRUCT__entry(
		__field(u32, dev)
		__field(u32, region_id)
		__field(u64, offset)
		__field(u64, bytes)
		__field(u8, domain)
		__field(u8, skipped)
		__field(s32, result)
		__field(u64, latency_ns)
		__field(u64, instance)
		__field(u64, region_instance)
	),
	TP_fast_assign(
		__entry->dev = rec->dev;
		__entry->region_id = rec->region_id;
		__entry->instance = rec->instance;
		__entry->region_instance = rec->region_instance;
		__entry->offset = rec->offset;
		__entry->bytes = rec->bytes;
		__entry->domain = rec->domain;
		__entry->skipped = rec->skipped;
		__entry->result = rec->result;
		__entry->latency_ns = rec->latency_ns;
	),
	TP_printk("dev=%u:%u region=%u instance=%llu region_instance=%llu offset=0x%llx bytes=%llu domain=%s skipped=%u result=%d latency_ns=%llu",
		  __entry->dev >> 20, __entry->dev & 0xfffff,
		  __entry->region_id, __entry->instance,
		  __entry->region_instance, __entry->offset, __entry->bytes,
		  __print_symbolic(__entry->domain,
				   TDAX_PERSISTENCE_DOMAINS(TDAX_TP_SYM)
				   { 255, "invalid" }),
		  __entry->skipped, __entry->result, __entry->latency_ns)
);

DECLARE_EVENT_CLASS(tdax_kmem_class,
	TP_PROTO(const struct tdax_kmem_rec *rec),
	TP_ARGS(rec),
	TP_STRUCT__entry(
		__array(char, name, TDAX_NAME_LEN)
		__field(u32, dev)
		__field(u32, region_id)
		__field(u32, range_idx)
		__field(u64, start)
		__field(u64, size)
		__field(u64, block_size)
		__field(s32, node)
		__field(s32, tier)
		__field(s32, adistance)
		__field(u8, zone)
		__field(u8, memmap_on_memory)
		__field(u32, blocks)
		__field(u32, blocks_online)
		__field(s32, result)
		__field(u16, reason)
		__field(u64, instance)
		__field(u64, region_instance)
		__field(u32, online_normal)
		__field(u32, online_movable)
	),
	TP_fast_assign(
		memcpy(__entry->name, rec->name, TDAX_NAME_LEN);
		__entry->name[TDAX_NAME_LEN - 1] = 0;
		__entry->dev = rec->dev;
		__entry->region_id = rec->region_id;
		__entry->instance = rec->instance;
		__entry->region_instance = rec->region_instance;
		__entry->online_normal = rec->online_normal;
		__entry->online_movable = rec->online_movable;
		__entry->range_idx = rec->range_idx;
		__entry->start = rec->start;
		__entry->size = rec->size;
		__entry->block_size = rec->block_size;
		__entry->node = rec->node;
		__entry->tier = rec->tier;
		__entry->adistance = rec->adistance;
		__entry->zone = rec->zone;
		__entry->memmap_on_memory = rec->memmap_on_memory;
		__entry->blocks = rec->blocks;
		__entry->blocks_online = rec->blocks_online;
		__entry->result = rec->result;
		__entry->reason = rec->reason;
	),
	TP_printk("device=%s dev=%u:%u region=%u instance=%llu region_instance=%llu range=%u start=0x%llx size=0x%llx node=%d tier=%d adistance=%d zone=%s blocks=%u online=%u online_normal=%u online_movable=%u block_size=0x%llx memmap_on_memory=%u result=%d reason=%s",
		  __entry->name, __entry->dev >> 20, __entry->dev & 0xfffff,
		  __entry->region_id, __entry->instance,
		  __entry->region_instance, __entry->range_idx, __entry->start,
		  __entry->size, __entry->node, __entry->tier,
		  __entry->adistance,
		  __print_symbolic(__entry->zone,
				   TDAX_KMEM_ZONES(TDAX_TP_SYM)
				   { 255, "invalid" }),
		  __entry->blocks, __entry->blocks_online,
		  __entry->online_normal, __entry->online_movable,
		  __entry->block_size, __entry->memmap_on_memory,
		  __entry->result,
		  __print_symbolic(__entry->reason,
				   TDAX_KMEM_REASONS(TDAX_TP_SYM)
				   { 65535, "invalid" }))
);

DEFINE_EVENT(tdax_kmem_class, tdax_kmem_add,
	TP_PROTO(const struct tdax_kmem_rec *rec),
	TP_ARGS(rec));

DEFINE_EVENT(tdax_kmem_class, tdax_kmem_remove,
	TP_PROTO(const struct tdax_kmem_rec *rec),
	TP_ARGS(rec));

TRACE_EVENT(tdax_kmem_block,
	TP_PROTO(const struct tdax_kmem_block_rec *rec),
	TP_ARGS(rec),
	TP_STRUCT__entry(
		__array(char, name, TDAX_NAME_LEN)
		__field(u32, dev)
		__field(u32, region_id)
		__field(u64, start)
		__field(u64, size)
		__field(s32, node)
		__field(u8, op)
		__field(u8, zone)
		__field(u64, instance)
		__field(u64, region_instance)
		__field(u32, range_idx)
	),
	TP_fast_assign(
		memcpy(__entry->name, rec->name, TDAX_NAME_LEN);
		__entry->name[TDAX_NAME_LEN - 1] = 0;
		__entry->dev = rec->dev;
		__entry->region_id = rec->region_id;
		__entry->instance = rec->instance;
		__entry->region_instance = rec->region_instance;
		__entry->range_idx = rec->range_idx;
		__entry->start = rec->start;
		__entry->size = rec->size;
		__entry->node = rec->node;
		__entry->op = rec->op;
		__entry->zone = rec->zone;
	),
	TP_printk("device=%s dev=%u:%u region=%u instance=%llu region_instance=%llu range=%u start=0x%llx size=0x%llx node=%d op=%s zone=%s",
		  __entry->name, __entry->dev >> 20, __entry->dev & 0xfffff,
		  __entry->region_id, __entry->instance,
		  __entry->region_instance, __entry->range_idx,
		  __entry->start, __entry->size,
		  __entry->node,
		  __print_symbolic(__entry->op,
				   TDAX_KMEM_BLOCK_OPS(TDAX_TP_SYM)
				   { 255, "invalid" }),
		  __print_symbolic(__entry->zone,
				   TDAX_KMEM_ZONES(TDAX_TP_SYM)
				   { 255, "invalid" }))
);

#endif /* _TDAX_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE tdax_trace
#include <trace/define_trace.h>
