// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tdax_collect.bpf.c - in-kernel aggregation of the tdax:* tracepoints.
 *
 * Every tracepoint has one argument, a pointer to a record of
 * include/tdax_abi.h.  Each event has two programs with the same body:
 * tp_btf/<event> (needs the module's BTF; typed loads of the record) and
 * raw_tp/<event> (works without it; a copy with bpf_probe_read_kernel());
 * the collector library enables one set at load time.
 *
 * Aggregation only (per-CPU device maps, one atomic per-process map, read
 * by userspace on its own schedule): no per-event wake-up of userspace.
 * Every map is keyed by the device (region) instance id of the records.
 * A fault record costs one per-CPU hash update (fault_counts), plus one
 * of proc_stats while the loader asks for per-process rows (want_procs).
 * The ring buffer is written only when the loader sets the read-only
 * "snoop" flag (daxtop --events).
 * Map layout: tdax_maps.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tdax_maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load. */
const volatile bool snoop = false;
/* per-process attribution (proc_stats) wanted by the consumer */
const volatile bool want_procs = true;
/*
 * A set shared by several consumers (pinned, tools/lib/share.c): whether
 * proc_stats is updated is decided at run time, by ctl[TDAX_CTL_WANT_PROCS]
 * (an array lookup the verifier inlines); a private set decides at load.
 */
const volatile bool shared_set = false;

/* preallocated: an insert on the fault path never allocates (tdax_maps.h) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TDAX_MAX_FAULT_KEYS);
	__type(key, struct tdax_fault_key);
	__type(value, struct tdax_fault_val);
} fault_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TDAX_MAX_PROCS);
	__type(key, struct tdax_proc_key);
	__type(value, struct tdax_proc_val);
} proc_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TDAX_MAX_MMAP_KEYS);
	__type(key, struct tdax_mmap_key);
	__type(value, struct tdax_count);
} mmap_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TDAX_MAX_REGIONS);
	__type(key, __u64);
	__type(value, struct tdax_live_region);
} live_regions SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TDAX_MAX_DEVS);
	__type(key, __u64);
	__type(value, struct tdax_live_dev);
} live_devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TDAX_LT_NR);
	__type(key, __u32);
	__type(value, struct tdax_hist);
} lifetimes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TDAX_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TDAX_MAX_FLUSH_KEYS);
	__type(key, struct tdax_flush_key);
	__type(value, struct tdax_flush_val);
} flush_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TDAX_MAX_KMEM_KEYS);
	__type(key, struct tdax_kmem_key);
	__type(value, struct tdax_kmem_val);
} kmem_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TDAX_RINGBUF_BYTES);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TDAX_CTL_NR);
	__type(key, __u32);
	__type(value, __u64);
} ctl SEC(".maps");

/* Zero initial values, larger than the BPF stack allows for some. */
static const struct tdax_proc_val zero_proc;
static const struct tdax_fault_val zero_fault;
static const struct tdax_count zero_count;
static const struct tdax_flush_val zero_flush;
static const struct tdax_kmem_val zero_kmem;

/* Update proc_stats on a fault: fixed at load, or a shared set's switch. */
static __always_inline bool procs_wanted(void)
{
	__u32 k = TDAX_CTL_WANT_PROCS;
	__u64 *v;

	if (!want_procs)
		return false;
	if (!shared_set)
		return true;
	v = bpf_map_lookup_elem(&ctl, &k);
	return v && *v;
}

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
}

/*
 * Look a key up, inserting the zero value if absent.  A failed insert other
 * than a racing one (-EEXIST) means the map is full: counted in "stats".
 */
static __always_inline void *lookup_or_init(void *map, const void *key,
					    const void *zero, __u32 full_idx)
{
	void *v = bpf_map_lookup_elem(map, key);
	long err;

	if (v)
		return v;
	err = bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */) {
		stat_inc(full_idx);
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* Slot with inclusive upper bound 2^slot: 0 for v <= 1, else ceil(log2(v)). */
static __always_inline void hist_add(struct tdax_hist *h, __u64 v)
{
	__u64 slot = v > 1 ? log2_u64(v - 1) + 1 : 0;

	/*
	 * log2_u64() < 64 == TDAX_HIST_SLOTS; the mask, opaque to clang, keeps
	 * the verifier sure of the bound.
	 */
	if (slot > TDAX_HIST_SLOTS - 1)
		slot = TDAX_HIST_SLOTS - 1;
	asm volatile("%0 &= 63" : "+r"(slot));
	h->slots[slot]++;
	h->count++;
	h->sum += v;
}

static __always_inline __u32 size_index(__u64 size)
{
	return size == TDAX_SIZE_4K ? TDAX_SZ_4K :
	       size == TDAX_SIZE_2M ? TDAX_SZ_2M :
	       size == TDAX_SIZE_1G ? TDAX_SZ_1G : TDAX_SZ_NR;
}

/*
 * Add one record to the granularity value of a (process, device) row of
 * proc_stats: one value shared by all CPUs, atomic adds.  The same
 * definitions (docs/metrics.md) give the library each device's value from
 * its fault_counts rows (tools/lib/dump.c, gran_of_fault_row()).
 *
 * Only what the library cannot derive is stored, so that a fault mapped at
 * the device align (the common case) costs three atomics (mapped[si],
 * lat_sum_ns, reasons[0][ok]), not seven: in a proc_stats value, attempts[],
 * hits, bytes_mapped and bytes_aligned hold corrections that the library
 * adds to what it derives from the other fields (tools/lib/from_bpf.c,
 * tdax_gran_add_bpf(); tdax_maps.h).  The correction of a record is added
 * before the counter it corrects: a reader that sees the counter sees it.
 */
static __always_inline void gran_update(struct tdax_gran_val *g,
					const struct tdax_fault_rec *r, __u32 si)
{
	bool known = si < TDAX_SZ_NR;
	__u32 align_seen;

	if (known) {
		asm volatile("%0 &= 3" : "+r"(si));
		if (si >= TDAX_SZ_NR)
			return;
	}
	switch (r->outcome) {
	case TDAX_FO_MAPPED:
		if (!known) {
			__sync_fetch_and_add(&g->other, 1);
			break;
		}
		if (r->size < r->align) {
			/* hits and bytes_aligned: derived minus these */
			__sync_fetch_and_add(&g->misses, 1);
			__sync_fetch_and_add(&g->below_align, 1);
			__sync_fetch_and_add(&g->bytes_aligned, -r->size);
		}
		__sync_fetch_and_add(&g->mapped[si], 1);
		break;
	case TDAX_FO_FALLBACK:
		if (known)
			__sync_fetch_and_add(&g->fallback[si], 1);
		else
			__sync_fetch_and_add(&g->other, 1);
		break;
	case TDAX_FO_SIGBUS:
		__sync_fetch_and_add(&g->misses, 1);
		if (known)
			__sync_fetch_and_add(&g->sigbus[si], 1);
		else
			__sync_fetch_and_add(&g->other, 1);
		break;
	default:
		/* attempts[]: derived (mapped + fallback + sigbus) plus these */
		if (known)
			__sync_fetch_and_add(&g->attempts[si], 1);
		__sync_fetch_and_add(&g->other, 1);
		break;
	}
	__sync_fetch_and_add(&g->lat_sum_ns, r->latency_ns);
	/*
	 * last-record gauges: plain stores (any CPU's last value will do), only
	 * when they change (a store per fault to the shared line would bounce)
	 */
	align_seen = r->align ? log2_u64(r->align) : 0;
	if (g->align_seen != align_seen)
		g->align_seen = align_seen;
	if (g->region_id != r->region_id)
		g->region_id = r->region_id;
	if (g->region_instance != r->region_instance)
		g->region_instance = r->region_instance;
	if (g->dev != r->dev)
		g->dev = r->dev;
}

/*
 * The process of the current task: tgid and the start time of its group
 * leader (a reused pid has another), and the leader's comm.
 *
 * Typed loads from bpf_get_current_task_btf() (BTF pointers: the JIT makes
 * them plain loads, with an exception-table fixup), not a probe-read helper
 * call per field: this runs on every fault while per-process rows are wanted.
 * The comm is copied once, when the row is new (its comm still empty).
 */
static __always_inline void proc_key(struct tdax_proc_key *pk, __u64 instance)
{
	struct task_struct *task = bpf_get_current_task_btf();

	pk->instance = instance;
	pk->tgid = task->tgid;
	pk->start_ns = task->group_leader->start_boottime;
}

static __always_inline void proc_comm(struct tdax_proc_val *p)
{
	struct task_struct *leader;

	if (p->comm[0])
		return;
	leader = bpf_get_current_task_btf()->group_leader;
	bpf_probe_read_kernel_str(p->comm, sizeof(p->comm), leader->comm);
}

/*
 * The fault path: one update of one per-CPU map (fault_counts), and of
 * proc_stats only while per-process attribution is wanted.
 */
static __always_inline int fault_body(const struct tdax_fault_rec *r)
{
	struct tdax_fault_key fk = {};
	struct tdax_proc_key pk = {};
	struct tdax_fault_val *fv;
	struct tdax_proc_val *p;
	struct tdax_event *ev;
	__u64 id;
	__u32 si;

	si = size_index(r->size);

	fk.instance = r->instance;
	fk.dev = r->dev;
	fk.size_idx = si;
	fk.outcome = r->outcome;
	fk.reason = r->reason;
	fk.align_log2 = r->align ? log2_u64(r->align) : 0;
	fv = lookup_or_init(&fault_counts, &fk, &zero_fault, TDAX_STAT_FULL_FAULT_COUNTS);
	if (fv) {
		hist_add(&fv->lat, r->latency_ns);
		fv->region_instance = r->region_instance;
		fv->region_id = r->region_id;
	}

	if (procs_wanted()) {
		proc_key(&pk, r->instance);
		p = lookup_or_init(&proc_stats, &pk, &zero_proc, TDAX_STAT_FULL_PROC_STATS);
		if (p) {
			gran_update(&p->g, r, si);
			if ((r->outcome == TDAX_FO_MAPPED || r->outcome == TDAX_FO_SIGBUS) &&
			    r->reason < TDAX_FR_NR) {
				__u32 ri = r->reason;

				asm volatile("%0 &= 15" : "+r"(ri));
				if (ri < TDAX_FR_NR)
					__sync_fetch_and_add(&p->reasons[r->outcome == TDAX_FO_SIGBUS][ri], 1);
			}
			proc_comm(p);
		}
	}

	if (!snoop || r->reason == TDAX_FR_OK)
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		stat_inc(TDAX_STAT_EVENTS_LOST);
		return 0;
	}
	id = bpf_get_current_pid_tgid();
	ev->ts_ns = bpf_ktime_get_ns();
	ev->address = r->address;
	ev->pgoff = r->pgoff;
	ev->size = r->size;
	ev->align = r->align;
	ev->phys = r->phys;
	ev->latency_ns = r->latency_ns;
	ev->instance = r->instance;
	ev->kind = TDAX_EVK_FAULT;
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	ev->dev = r->dev;
	ev->region_id = r->region_id;
	ev->result = r->result;
	ev->reason = r->reason;
	ev->outcome = r->outcome;
	ev->write = r->write;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

static __always_inline int mmap_body(const struct tdax_mmap_rec *r)
{
	struct tdax_mmap_key mk = {};
	struct tdax_proc_key pk = {};
	struct tdax_proc_val *p;
	struct tdax_count *cnt;
	struct tdax_event *ev;
	__u64 id;

	stat_inc(TDAX_STAT_EV_MMAP);
	id = bpf_get_current_pid_tgid();

	mk.instance = r->instance;
	mk.dev = r->dev;
	mk.result = r->result;
	mk.reason = r->reason;
	cnt = lookup_or_init(&mmap_counts, &mk, &zero_count, TDAX_STAT_FULL_MMAP_COUNTS);
	if (cnt)
		cnt->count++;

	proc_key(&pk, r->instance);
	p = lookup_or_init(&proc_stats, &pk, &zero_proc, TDAX_STAT_FULL_PROC_STATS);
	if (p) {
		if (r->result)
			__sync_fetch_and_add(&p->mmap_errors, 1);
		else
			__sync_fetch_and_add(&p->mmaps, 1);
		proc_comm(p);
	}

	if (!snoop || (r->result == 0 && r->reason == TDAX_MR_OK))
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		stat_inc(TDAX_STAT_EVENTS_LOST);
		return 0;
	}
	ev->ts_ns = bpf_ktime_get_ns();
	ev->address = r->vm_start;
	ev->pgoff = r->pgoff;
	ev->size = r->vm_end - r->vm_start;
	ev->align = 0;
	ev->phys = 0;
	ev->latency_ns = 0;
	ev->instance = r->instance;
	ev->kind = TDAX_EVK_MMAP;
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	ev->dev = r->dev;
	ev->region_id = r->region_id;
	ev->result = r->result;
	ev->reason = r->reason;
	ev->outcome = 0;
	ev->write = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
	return 0;
}

/*
 * The lifecycle events (rare): the state of a device, region, flushed
 * range or hot-added range, one map update each.
 */
static __always_inline int bind_body(const struct tdax_bind_rec *r, bool bind)
{
	struct tdax_live_dev *d, zero = {};

	stat_inc(bind ? TDAX_STAT_EV_BIND : TDAX_STAT_EV_UNBIND);
	zero.instance = r->instance;
	zero.dev = r->dev;
	__builtin_memcpy(zero.name, r->dev_name, sizeof(zero.name));
	zero.name[TDAX_NAME_LEN - 1] = 0;
	d = lookup_or_init(&live_devs, &r->instance, &zero, TDAX_STAT_FULL_LIVE_DEVS);
	if (!d)
		return 0;
	if (bind) {
		__sync_fetch_and_add(&d->binds, 1);
		d->last_bind_result = r->result;
		if (r->result == 0) {
			d->bound = 1;
			d->bind_ns = bpf_ktime_get_ns();
			__builtin_memcpy(d->driver, r->drv_name, sizeof(d->driver));
			d->driver[TDAX_NAME_LEN - 1] = 0;
		}
	} else {
		__sync_fetch_and_add(&d->unbinds, 1);
		d->bound = 0;
	}
	return 0;
}

static __always_inline void lifetime_add(__u32 idx, __u64 ns)
{
	struct tdax_hist *h = bpf_map_lookup_elem(&lifetimes, &idx);

	if (h)
		hist_add(h, ns);
}

static __always_inline int region_body(const struct tdax_region_rec *r, bool create)
{
	struct tdax_live_region v = {}, *e;

	v.instance = r->instance;
	v.start = r->start;
	v.size = r->size;
	v.align = r->align;
	v.id = r->id;
	__builtin_memcpy(v.provider, r->provider, sizeof(v.provider));
	v.provider[TDAX_NAME_LEN - 1] = 0;
	if (!create) {
		stat_inc(TDAX_STAT_EV_REGION_DESTROY);
		lifetime_add(TDAX_LT_REGION, r->lifetime_ns);
		e = lookup_or_init(&live_regions, &r->instance, &v, TDAX_STAT_FULL_LIVE_REGIONS);
		if (e)
			e->destroy_ns = bpf_ktime_get_ns();
		return 0;
	}
	stat_inc(TDAX_STAT_EV_REGION_CREATE);
	v.create_ns = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&live_regions, &r->instance, &v, BPF_ANY))
		stat_inc(TDAX_STAT_FULL_LIVE_REGIONS);
	return 0;
}

static __always_inline int dev_body(const struct tdax_dev_rec *r, bool create)
{
	struct tdax_live_dev v = {}, *d;

	v.instance = r->instance;
	v.region_instance = r->region_instance;
	__builtin_memcpy(v.name, r->name, sizeof(v.name));
	v.name[TDAX_NAME_LEN - 1] = 0;
	v.size = r->size;
	v.align = r->align;
	v.dev = r->dev;
	v.region_id = r->region_id;
	if (!create) {
		stat_inc(TDAX_STAT_EV_DEV_DESTROY);
		lifetime_add(TDAX_LT_DEV, r->lifetime_ns);
		/* a device created before attach gets its entry here */
		d = lookup_or_init(&live_devs, &r->instance, &v, TDAX_STAT_FULL_LIVE_DEVS);
		if (d) {
			d->destroy_ns = bpf_ktime_get_ns();
			d->bound = 0;
		}
		return 0;
	}
	stat_inc(TDAX_STAT_EV_DEV_CREATE);
	v.create_ns = bpf_ktime_get_ns();
	d = bpf_map_lookup_elem(&live_devs, &r->instance);
	if (d) {
		/* bound before its create record was seen (never, today) */
		d->create_ns = v.create_ns;
		d->region_instance = v.region_instance;
		d->size = v.size;
		d->align = v.align;
		return 0;
	}
	if (bpf_map_update_elem(&live_devs, &r->instance, &v, BPF_ANY))
		stat_inc(TDAX_STAT_FULL_LIVE_DEVS);
	return 0;
}

static __always_inline int flush_body(const struct tdax_flush_rec *r)
{
	struct tdax_flush_key k = {};
	struct tdax_flush_val *v;

	stat_inc(TDAX_STAT_EV_FLUSH);
	k.instance = r->instance;
	k.domain = r->domain;
	v = lookup_or_init(&flush_stats, &k, &zero_flush, TDAX_STAT_FULL_FLUSH_STATS);
	if (!v)
		return 0;
	v->flushes++;
	v->bytes += r->bytes;
	if (r->skipped) {
		v->skipped++;
		v->skipped_bytes += r->bytes;
	} else {
		hist_add(&v->lat, r->latency_ns);
	}
	if (r->result < 0)
		v->errors++;
	v->region_instance = r->region_instance;
	v->dev = r->dev;
	v->region_id = r->region_id;
	return 0;
}

/* Bounded index of a zone for the verifier; TDAX_KZ_OTHER if unknown. */
static __always_inline __u32 kmem_zone_idx(__u32 z)
{
	if (z >= TDAX_KZ_NR)
		z = TDAX_KZ_OTHER;
	asm volatile("%0 &= 7" : "+r"(z));
	if (z >= TDAX_KZ_NR)
		z = TDAX_KZ_OTHER;
	return z;
}

/* tdax_kmem_add (add) or tdax_kmem_remove: the state of one range. */
static __always_inline int kmem_body(const struct tdax_kmem_rec *r, bool add)
{
	struct tdax_kmem_key k = {};
	struct tdax_kmem_val *v;
	__u32 other, ri;

	stat_inc(add ? TDAX_STAT_EV_KMEM_ADD : TDAX_STAT_EV_KMEM_REMOVE);
	k.instance = r->instance;
	k.range_idx = r->range_idx;
	v = lookup_or_init(&kmem_stats, &k, &zero_kmem, TDAX_STAT_FULL_KMEM_STATS);
	if (!v)
		return 0;
	v->start = r->start;
	v->size = r->size;
	v->block_size = r->block_size;
	v->region_instance = r->region_instance;
	v->update_ns = bpf_ktime_get_ns();
	v->dev = r->dev;
	v->region_id = r->region_id;
	v->node = r->node;
	v->tier = r->tier;
	v->adistance = r->adistance;
	v->blocks = r->blocks;
	v->memmap_on_memory = r->memmap_on_memory;
	other = r->blocks_online - r->online_normal - r->online_movable;
	v->online[TDAX_KZ_OFFLINE] = 0;
	v->online[TDAX_KZ_NORMAL] = r->online_normal;
	v->online[TDAX_KZ_MOVABLE] = r->online_movable;
	v->online[TDAX_KZ_MIXED] = 0;
	v->online[TDAX_KZ_OTHER] = r->blocks_online >= r->online_normal + r->online_movable ?
				   other : 0;
	v->last_result = r->result;
	v->last_reason = r->reason;
	__builtin_memcpy(v->name, r->name, sizeof(v->name));
	v->name[TDAX_NAME_LEN - 1] = 0;
	if (add) {
		__sync_fetch_and_add(&v->adds, 1);
		if (r->result < 0)
			__sync_fetch_and_add(&v->add_errors, 1);
		/* a failed add leaves the range unused, unless blocks made it */
		v->mode = r->result >= 0 || r->blocks_online ? TDAX_MODE_SYSTEM_RAM :
			  TDAX_MODE_UNBOUND;
		return 0;
	}
	__sync_fetch_and_add(&v->removes, 1);
	if (r->result >= 0) {
		v->mode = TDAX_MODE_UNBOUND;
		return 0;
	}
	__sync_fetch_and_add(&v->remove_errors, 1);
	v->mode = TDAX_MODE_KEPT;
	ri = r->reason;
	asm volatile("%0 &= 15" : "+r"(ri));
	if (ri < TDAX_KR_NR)
		__sync_fetch_and_add(&v->offline_failures[ri], 1);
	return 0;
}

/* tdax_kmem_block: one memory block of a range went online or offline. */
static __always_inline int kmem_block_body(const struct tdax_kmem_block_rec *r)
{
	struct tdax_kmem_key k = {};
	struct tdax_kmem_val *v;
	__u32 op, z;

	stat_inc(TDAX_STAT_EV_KMEM_BLOCK);
	k.instance = r->instance;
	k.range_idx = r->range_idx;
	v = lookup_or_init(&kmem_stats, &k, &zero_kmem, TDAX_STAT_FULL_KMEM_STATS);
	if (!v)
		return 0;
	if (!v->update_ns) {
		/* first record of a range added before attach */
		v->dev = r->dev;
		v->region_id = r->region_id;
		v->region_instance = r->region_instance;
		v->node = r->node;
		v->tier = -1;
		v->mode = TDAX_MODE_SYSTEM_RAM;
		__builtin_memcpy(v->name, r->name, sizeof(v->name));
		v->name[TDAX_NAME_LEN - 1] = 0;
	}
	v->update_ns = bpf_ktime_get_ns();
	op = r->op;
	asm volatile("%0 &= 3" : "+r"(op));
	if (op < TDAX_KB_NR)
		__sync_fetch_and_add(&v->block_ops[op], 1);
	z = kmem_zone_idx(r->zone);
	if (r->op == TDAX_KB_ONLINE)
		__sync_fetch_and_add(&v->online[z], 1);
	else if (r->op == TDAX_KB_OFFLINE)
		__sync_fetch_and_add(&v->online[z], -1);
	return 0;
}

/*
 * Reading the records: each event's body above takes the record of
 * include/tdax_abi.h in a local, filled by one of two readers.
 *
 * raw_tp programs get an untyped pointer and copy the record with
 * bpf_probe_read_kernel() (the layout the module and these programs share).
 *
 * tp_btf programs get the pointer typed by the tdax module's BTF and load
 * the fields directly, no helper call.  The ___btf flavours below carry
 * preserve_access_index and list only the fields the bodies use, so each
 * load is a CO-RE relocation that libbpf resolves against the module's BTF
 * at load (a module whose record has these fields elsewhere still works;
 * one without them fails to load, and the library falls back to the raw_tp
 * set).  A name (char array) is copied with __builtin_memcpy() from the
 * relocated field: loads at fixed offsets inside the array, which the
 * verifier checks against the array's bounds in the module's type.
 *
 * The pointer is tested for NULL before the first load (BTF_REC_OR_RETURN):
 * kernels whose verifier marks tracepoint arguments "maybe NULL" (Debian's
 * 6.12: trusted_ptr_or_null_, "R1 invalid mem access" on an unchecked load)
 * reject the program without it; older ones (6.1: a non-NULL pointer)
 * accept both.  A NULL record, which the module never passes, is counted as
 * a read error, as bpf_probe_read_kernel() of it is in the raw_tp set.
 */
struct tdax_fault_rec___btf {
	__u64 address;
	__u64 pgoff;
	__u64 size;
	__u64 align;
	__u64 phys;
	__u64 latency_ns;
	__u64 instance;
	__u64 region_instance;
	__u32 dev;
	__u32 region_id;
	__u32 result;
	__u16 reason;
	__u8 outcome;
	__u8 write;
} __attribute__((preserve_access_index));

struct tdax_mmap_rec___btf {
	__u64 vm_start;
	__u64 vm_end;
	__u64 pgoff;
	__u64 instance;
	__u32 dev;
	__u32 region_id;
	__s32 result;
	__u16 reason;
} __attribute__((preserve_access_index));

struct tdax_bind_rec___btf {
	char dev_name[TDAX_NAME_LEN];
	char drv_name[TDAX_NAME_LEN];
	__u64 instance;
	__u32 dev;
	__s32 result;
} __attribute__((preserve_access_index));

struct tdax_region_rec___btf {
	__u64 start;
	__u64 size;
	__u64 align;
	__u64 lifetime_ns;
	__u64 instance;
	__u32 id;
	char provider[TDAX_NAME_LEN];
} __attribute__((preserve_access_index));

struct tdax_dev_rec___btf {
	__u64 size;
	__u64 align;
	__u64 lifetime_ns;
	__u64 instance;
	__u64 region_instance;
	__u32 dev;
	__u32 region_id;
	char name[TDAX_NAME_LEN];
} __attribute__((preserve_access_index));

struct tdax_flush_rec___btf {
	__u64 bytes;
	__u64 latency_ns;
	__u32 dev;
	__u32 region_id;
	__u8 domain;
	__u8 skipped;
	__s32 result;
	__u64 instance;
	__u64 region_instance;
} __attribute__((preserve_access_index));

struct tdax_kmem_rec___btf {
	__u64 start;
	__u64 size;
	__u64 block_size;
	__u32 dev;
	__u32 region_id;
	__s32 node;
	__s32 tier;
	__s32 adistance;
	__s32 result;
	__u32 blocks;
	__u32 blocks_online;
	__u16 reason;
	__u8 memmap_on_memory;
	__u32 range_idx;
	char name[TDAX_NAME_LEN];
	__u64 instance;
	__u64 region_instance;
	__u32 online_normal;
	__u32 online_movable;
} __attribute__((preserve_access_index));

struct tdax_kmem_block_rec___btf {
	__u32 dev;
	__u32 region_id;
	__s32 node;
	__u8 op;
	__u8 zone;
	char name[TDAX_NAME_LEN];
	__u64 instance;
	__u64 region_instance;
	__u32 range_idx;
} __attribute__((preserve_access_index));

/* A typed record pointer: count a read error and return if it is NULL. */
#define BTF_REC_OR_RETURN(b)						\
	do {								\
		if (!(b)) {						\
			stat_inc(TDAX_STAT_READ_ERRORS);		\
			return 0;					\
		}							\
	} while (0)

/* Copy a record of type T at ptr into r, or count a read error and return. */
#define READ_REC(r, ptr)						\
	do {								\
		if (bpf_probe_read_kernel(&(r), sizeof(r), (ptr))) {	\
			stat_inc(TDAX_STAT_READ_ERRORS);		\
			return 0;					\
		}							\
	} while (0)

static __always_inline int fault_btf(const struct tdax_fault_rec___btf *b)
{
	struct tdax_fault_rec r;

	BTF_REC_OR_RETURN(b);
	r = (struct tdax_fault_rec){
		.address = b->address,
		.pgoff = b->pgoff,
		.size = b->size,
		.align = b->align,
		.phys = b->phys,
		.latency_ns = b->latency_ns,
		.instance = b->instance,
		.region_instance = b->region_instance,
		.dev = b->dev,
		.region_id = b->region_id,
		.result = b->result,
		.reason = b->reason,
		.outcome = b->outcome,
		.write = b->write,
	};
	return fault_body(&r);
}

static __always_inline int mmap_btf(const struct tdax_mmap_rec___btf *b)
{
	struct tdax_mmap_rec r;

	BTF_REC_OR_RETURN(b);
	r = (struct tdax_mmap_rec){
		.vm_start = b->vm_start,
		.vm_end = b->vm_end,
		.pgoff = b->pgoff,
		.instance = b->instance,
		.dev = b->dev,
		.region_id = b->region_id,
		.result = b->result,
		.reason = b->reason,
	};
	return mmap_body(&r);
}

static __always_inline int bind_btf(const struct tdax_bind_rec___btf *b, bool bind)
{
	struct tdax_bind_rec r;

	BTF_REC_OR_RETURN(b);
	r = (struct tdax_bind_rec){
		.instance = b->instance,
		.dev = b->dev,
		.result = b->result,
	};
	__builtin_memcpy(r.dev_name, b->dev_name, sizeof(r.dev_name));
	__builtin_memcpy(r.drv_name, b->drv_name, sizeof(r.drv_name));
	return bind_body(&r, bind);
}

static __always_inline int region_btf(const struct tdax_region_rec___btf *b, bool create)
{
	struct tdax_region_rec r;

	BTF_REC_OR_RETURN(b);
	r = (struct tdax_region_rec){
		.start = b->start,
		.size = b->size,
		.align = b->align,
		.lifetime_ns = b->lifetime_ns,
		.instance = b->instance,
		.id = b->id,
	};
	__builtin_memcpy(r.provider, b->provider, sizeof(r.provider));
	return region_body(&r, create);
}

static __always_inline int dev_btf(const struct tdax_dev_rec___btf *b, bool create)
{
	struct tdax_dev_rec r;

	BTF_REC_OR_RETURN(b);
	r = (struct tdax_dev_rec){
		.size = b->size,
		.align = b->align,
		.lifetime_ns = b->lifetime_ns,
		.instance = b->instance,
		.region_instance = b->region_instance,
		.dev = b->dev,
		.region_id = b->region_id,
	};
	__builtin_memcpy(r.name, b->name, sizeof(r.name));
	return dev_body(&r, create);
}

static __always_inline int flush_btf(const struct tdax_flush_rec___btf *b)
{
	struct tdax_flush_rec r;

	BTF_REC_OR_RETURN(b);
	r = (struct tdax_flush_rec){
		.bytes = b->bytes,
		.latency_ns = b->latency_ns,
		.dev = b->dev,
		.region_id = b->region_id,
		.domain = b->domain,
		.skipped = b->skipped,
		.result = b->result,
		.instance = b->instance,
		.region_instance = b->region_instance,
	};
	return flush_body(&r);
}

static __always_inline int kmem_btf(const struct tdax_kmem_rec___btf *b, bool add)
{
	struct tdax_kmem_rec r;

	BTF_REC_OR_RETURN(b);
	r = (struct tdax_kmem_rec){
		.start = b->start,
		.size = b->size,
		.block_size = b->block_size,
		.dev = b->dev,
		.region_id = b->region_id,
		.node = b->node,
		.tier = b->tier,
		.adistance = b->adistance,
		.result = b->result,
		.blocks = b->blocks,
		.blocks_online = b->blocks_online,
		.reason = b->reason,
		.memmap_on_memory = b->memmap_on_memory,
		.range_idx = b->range_idx,
		.instance = b->instance,
		.region_instance = b->region_instance,
		.online_normal = b->online_normal,
		.online_movable = b->online_movable,
	};
	__builtin_memcpy(r.name, b->name, sizeof(r.name));
	return kmem_body(&r, add);
}

static __always_inline int kmem_block_btf(const struct tdax_kmem_block_rec___btf *b)
{
	struct tdax_kmem_block_rec r;

	BTF_REC_OR_RETURN(b);
	r = (struct tdax_kmem_block_rec){
		.dev = b->dev,
		.region_id = b->region_id,
		.node = b->node,
		.op = b->op,
		.zone = b->zone,
		.instance = b->instance,
		.region_instance = b->region_instance,
		.range_idx = b->range_idx,
	};
	__builtin_memcpy(r.name, b->name, sizeof(r.name));
	return kmem_block_body(&r);
}

static __always_inline int fault_raw(const void *ptr)
{
	struct tdax_fault_rec r;

	READ_REC(r, ptr);
	return fault_body(&r);
}

static __always_inline int mmap_raw(const void *ptr)
{
	struct tdax_mmap_rec r;

	READ_REC(r, ptr);
	return mmap_body(&r);
}

static __always_inline int bind_raw(const void *ptr, bool bind)
{
	struct tdax_bind_rec r;

	READ_REC(r, ptr);
	return bind_body(&r, bind);
}

static __always_inline int region_raw(const void *ptr, bool create)
{
	struct tdax_region_rec r;

	READ_REC(r, ptr);
	return region_body(&r, create);
}

static __always_inline int dev_raw(const void *ptr, bool create)
{
	struct tdax_dev_rec r;

	READ_REC(r, ptr);
	return dev_body(&r, create);
}

static __always_inline int flush_raw(const void *ptr)
{
	struct tdax_flush_rec r;

	READ_REC(r, ptr);
	return flush_body(&r);
}

static __always_inline int kmem_raw(const void *ptr, bool add)
{
	struct tdax_kmem_rec r;

	READ_REC(r, ptr);
	return kmem_body(&r, add);
}

static __always_inline int kmem_block_raw(const void *ptr)
{
	struct tdax_kmem_block_rec r;

	READ_REC(r, ptr);
	return kmem_block_body(&r);
}

/* tp_btf programs: need the BTF of the module defining the tracepoints. */
SEC("tp_btf/tdax_fault")
int BPF_PROG(btf_fault, const struct tdax_fault_rec___btf *rec) { return fault_btf(rec); }
SEC("tp_btf/tdax_mmap")
int BPF_PROG(btf_mmap, const struct tdax_mmap_rec___btf *rec) { return mmap_btf(rec); }
SEC("tp_btf/tdax_bind")
int BPF_PROG(btf_bind, const struct tdax_bind_rec___btf *rec) { return bind_btf(rec, true); }
SEC("tp_btf/tdax_unbind")
int BPF_PROG(btf_unbind, const struct tdax_bind_rec___btf *rec) { return bind_btf(rec, false); }
SEC("tp_btf/tdax_region_create")
int BPF_PROG(btf_region_create, const struct tdax_region_rec___btf *rec)
{
	return region_btf(rec, true);
}
SEC("tp_btf/tdax_region_destroy")
int BPF_PROG(btf_region_destroy, const struct tdax_region_rec___btf *rec)
{
	return region_btf(rec, false);
}
SEC("tp_btf/tdax_dev_create")
int BPF_PROG(btf_dev_create, const struct tdax_dev_rec___btf *rec) { return dev_btf(rec, true); }
SEC("tp_btf/tdax_dev_destroy")
int BPF_PROG(btf_dev_destroy, const struct tdax_dev_rec___btf *rec) { return dev_btf(rec, false); }
SEC("tp_btf/tdax_flush")
int BPF_PROG(btf_flush, const struct tdax_flush_rec___btf *rec) { return flush_btf(rec); }
SEC("tp_btf/tdax_kmem_add")
int BPF_PROG(btf_kmem_add, const struct tdax_kmem_rec___btf *rec) { return kmem_btf(rec, true); }
SEC("tp_btf/tdax_kmem_remove")
int BPF_PROG(btf_kmem_remove, const struct tdax_kmem_rec___btf *rec)
{
	return kmem_btf(rec, false);
}
SEC("tp_btf/tdax_kmem_block")
int BPF_PROG(btf_kmem_block, const struct tdax_kmem_block_rec___btf *rec)
{
	return kmem_block_btf(rec);
}

/* raw_tp programs: the fallback without module BTF. */
SEC("raw_tp/tdax_fault")
int BPF_PROG(raw_fault, const void *rec) { return fault_raw(rec); }
SEC("raw_tp/tdax_mmap")
int BPF_PROG(raw_mmap, const void *rec) { return mmap_raw(rec); }
SEC("raw_tp/tdax_bind")
int BPF_PROG(raw_bind, const void *rec) { return bind_raw(rec, true); }
SEC("raw_tp/tdax_unbind")
int BPF_PROG(raw_unbind, const void *rec) { return bind_raw(rec, false); }
SEC("raw_tp/tdax_region_create")
int BPF_PROG(raw_region_create, const void *rec) { return region_raw(rec, true); }
SEC("raw_tp/tdax_region_destroy")
int BPF_PROG(raw_region_destroy, const void *rec) { return region_raw(rec, false); }
SEC("raw_tp/tdax_dev_create")
int BPF_PROG(raw_dev_create, const void *rec) { return dev_raw(rec, true); }
SEC("raw_tp/tdax_dev_destroy")
int BPF_PROG(raw_dev_destroy, const void *rec) { return dev_raw(rec, false); }
SEC("raw_tp/tdax_flush")
int BPF_PROG(raw_flush, const void *rec) { return flush_raw(rec); }
SEC("raw_tp/tdax_kmem_add")
int BPF_PROG(raw_kmem_add, const void *rec) { return kmem_raw(rec, true); }
SEC("raw_tp/tdax_kmem_remove")
int BPF_PROG(raw_kmem_remove, const void *rec) { return kmem_raw(rec, false); }
SEC("raw_tp/tdax_kmem_block")
int BPF_PROG(raw_kmem_block, const void *rec) { return kmem_block_raw(rec); }
