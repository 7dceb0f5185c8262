// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tdax_stock.bpf.c - the collector's programs for the in-tree device_dax of
 * an unmodified kernel (no tracepoints): BPF on the driver's own functions.
 *
 * It includes tdax_collect.bpf.c, so it has the very maps (tdax_maps.h)
 * and aggregation code of the tdax programs; the library loads it reusing
 * the tdax object's map fds and enables only the programs below.  Each probe
 * builds the record the tdax driver would have emitted (include/tdax_abi.h)
 * from the kernel's own structures, read with CO-RE, and hands it to the
 * same fault_body()/mmap_body().
 *
 * Probed (both 6.1 and 6.12; __dev_dax_p{te,md,ud}_fault are inlined, and
 * dev_dax_fault tail-calls dev_dax_huge_fault, so one probe sees every fault):
 *   dev_dax_huge_fault(vmf, pe_size)	6.1: enum page_entry_size
 *   dev_dax_huge_fault(vmf, order)	6.6+: page order
 *   dax_mmap(filp, vma)		check_vma()'s verdict is re-derived from the vma
 *   devm_create_dev_dax, unregister_dev_dax (dax bus, vmlinux): lifetimes
 *					(optional: the rest works without them)
 * Each as an fentry/fexit pair, or a kprobe/kretprobe pair where the kernel
 * has no trampolines (the library picks at load; tdax_stock.h).
 *
 * One object for every kernel: the fault argument is told apart with
 * bpf_core_enum_value_exists(enum page_entry_size), fields are CO-RE
 * relocated (vm_flags inside a union on 6.3+ is found by name).  vmlinux.h
 * must be from a kernel that has enum page_entry_size (6.1: bpf/Makefile).
 */
#include "tdax_collect.bpf.c"
#include "tdax_stock.h"

/* flags not in BTF (macros of the kernel) */
#define ST_VM_MAYSHARE		0x00000080UL
#define ST_VM_NOHUGEPAGE	0x40000000UL
#define ST_MMF_DISABLE_THP	24
#define ST_FAULT_FLAG_WRITE	0x1
#define ST_VM_FAULT_OOM		0x0001
#define ST_VM_FAULT_SIGBUS	0x0002
#define ST_VM_FAULT_NOPAGE	0x0100
#define ST_VM_FAULT_FALLBACK	0x0800
#define ST_ENXIO		6
#define ST_PAGE_SHIFT		12
#define ST_PAGE_SIZE		4096ULL

struct stock_start {
	__u64 ts;
	__u64 a0;		/* vmf / filp */
	__u64 a1;		/* pe_size or order / vma */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TDAX_STOCK_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct stock_start);
} stock_faults SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TDAX_STOCK_MAX_INFLIGHT);
	__type(key, __u64);
	__type(value, struct stock_start);
} stock_mmaps SEC(".maps");

/* struct dev_dax address -> instance id given at first sight */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TDAX_STOCK_MAX_DEVS);
	__type(key, __u64);
	__type(value, __u64);
} stock_inst SEC(".maps");

__u64 stock_seq = 0;

static __always_inline void stash(void *map, __u64 a0, __u64 a1)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stock_start st = { .ts = bpf_ktime_get_ns(), .a0 = a0, .a1 = a1 };

	bpf_map_update_elem(map, &id, &st, BPF_ANY);
}

static __always_inline int unstash(void *map, struct stock_start *out)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct stock_start *st = bpf_map_lookup_elem(map, &id);

	if (!st)
		return -1;
	*out = *st;
	bpf_map_delete_elem(map, &id);
	return 0;
}

/* Bytes of the device: sum of its ranges (at most 8 looked at). */
static __always_inline __u64 dev_size(struct dev_dax *dd)
{
	struct dev_dax_range *rg = BPF_CORE_READ(dd, ranges);
	int n = BPF_CORE_READ(dd, nr_range), i;
	__u64 sz = 0;

	for (i = 0; i < 8; i++) {
		struct range r;

		if (i >= n)
			break;
		if (bpf_core_read(&r, sizeof(r), &rg[i].range))
			break;
		sz += r.end - r.start + 1;
	}
	return sz;
}

/*
 * The instance of a device: given the first time its struct dev_dax is
 * seen, with a live_devs entry naming it ("daxR.N") so sysfs rows match.
 */
static __always_inline __u64 stock_instance(struct dev_dax *dd, __u32 devt, __u32 region_id,
					    __u64 align)
{
	__u64 key = (__u64)dd, inst, *v;
	struct tdax_live_dev ld = {};
	const char *name;

	v = bpf_map_lookup_elem(&stock_inst, &key);
	if (v)
		return *v;
	inst = TDAX_STOCK_INSTANCE | (((__sync_fetch_and_add(&stock_seq, 1) + 1) & 0x3fffffff) << 32) |
	       devt;
	if (bpf_map_update_elem(&stock_inst, &key, &inst, BPF_NOEXIST)) {
		v = bpf_map_lookup_elem(&stock_inst, &key);
		return v ? *v : inst;
	}
	ld.instance = inst;
	ld.dev = devt;
	ld.region_id = region_id;
	ld.align = align;
	ld.size = dev_size(dd);
	name = BPF_CORE_READ(dd, dev.kobj.name);
	bpf_probe_read_kernel_str(ld.name, sizeof(ld.name), name);
	if (bpf_map_update_elem(&live_devs, &inst, &ld, BPF_NOEXIST) == -7 /* E2BIG */)
		stat_inc(TDAX_STAT_FULL_LIVE_DEVS);
	return inst;
}

static __always_inline __u64 fault_size(__u64 arg)
{
	if (bpf_core_enum_value_exists(enum page_entry_size, PE_SIZE_PMD))
		return ST_PAGE_SIZE << (9 * (arg & 3));		/* 6.1: PTE, PMD, PUD */
	return ST_PAGE_SIZE << (arg & 31);			/* 6.6+: order */
}

static __always_inline __u8 outcome_of(__u32 ret)
{
	if (ret & ST_VM_FAULT_SIGBUS)
		return TDAX_FO_SIGBUS;
	if (ret & ST_VM_FAULT_OOM)
		return TDAX_FO_OOM;
	if (ret & ST_VM_FAULT_FALLBACK)
		return TDAX_FO_FALLBACK;
	if (ret & ST_VM_FAULT_NOPAGE)
		return TDAX_FO_MAPPED;
	return TDAX_FO_OTHER;
}

/*
 * Why this fault is not (or not well) served at the device alignment, the
 * tdax reasons re-derived from the vmf, vma and mm.  offset_misaligned
 * first: the vma's file offset is not a multiple of the alignment, so a
 * huge entry maps the physical address rounded down (the in-tree driver's
 * silent corruption).
 */
static __always_inline __u16 fault_reason(struct vm_fault *vmf, struct vm_area_struct *vma,
					  struct dev_dax *dd, const struct tdax_fault_rec *r)
{
	__u64 size = r->size, align = r->align, addr = r->address, pgoff = r->pgoff;
	__u64 vm_pgoff = BPF_CORE_READ(vma, vm_pgoff);
	__u64 vm_start, vm_end, vm_flags, mmflags, base, entry = 0;
	__u8 outcome = r->outcome;
	void *tbl;

	/* the common cases first, with the fewest reads (each is a helper call) */
	if (align > ST_PAGE_SIZE && ((vm_pgoff << ST_PAGE_SHIFT) & (align - 1)))
		return TDAX_FR_OFFSET_MISALIGNED;
	if (size > align)
		return TDAX_FR_LARGER_THAN_ALIGN;
	if (size == align || !align) {
		if (outcome != TDAX_FO_SIGBUS)
			return TDAX_FR_OK;
		if ((pgoff << ST_PAGE_SHIFT) >= dev_size(dd))
			return TDAX_FR_BEYOND_DEVICE;
		return TDAX_FR_DEAD;
	}
	vm_flags = BPF_CORE_READ(vma, vm_flags);
	if (vm_flags & ST_VM_NOHUGEPAGE)
		return TDAX_FR_NOHUGEPAGE;
	mmflags = BPF_CORE_READ(vma, vm_mm, flags);
	if (mmflags & (1ULL << ST_MMF_DISABLE_THP))
		return TDAX_FR_THP_DISABLED;
	vm_start = BPF_CORE_READ(vma, vm_start);
	vm_end = BPF_CORE_READ(vma, vm_end);
	base = addr & ~(align - 1);
	if (base < vm_start || base + align > vm_end)
		return TDAX_FR_OUTSIDE_VMA;
	/* a lower-level table where the huge entry would go */
	tbl = size == ST_PAGE_SIZE ? (void *)BPF_CORE_READ(vmf, pmd) : (void *)BPF_CORE_READ(vmf, pud);
	if (tbl && !bpf_probe_read_kernel(&entry, sizeof(entry), tbl) && entry)
		return TDAX_FR_TABLE_POPULATED;
	if ((((addr - vm_start) >> ST_PAGE_SHIFT) + vm_pgoff - pgoff) != 0)
		return TDAX_FR_PGOFF_MISALIGNED;
	return TDAX_FR_SMALLER_UNKNOWN;
}

static __always_inline int fault_done(__u64 ret)
{
	struct tdax_fault_rec r = {};
	struct stock_start st;
	struct vm_fault *vmf;
	struct vm_area_struct *vma;
	struct dev_dax *dd;

	if (unstash(&stock_faults, &st))
		return 0;
	vmf = (struct vm_fault *)st.a0;
	vma = BPF_CORE_READ(vmf, vma);
	dd = (struct dev_dax *)BPF_CORE_READ(vma, vm_file, private_data);
	if (!dd) {
		stat_inc(TDAX_STAT_READ_ERRORS);
		return 0;
	}
	r.address = BPF_CORE_READ(vmf, address);
	r.pgoff = BPF_CORE_READ(vmf, pgoff);
	r.size = fault_size(st.a1);
	r.align = BPF_CORE_READ(dd, align);
	r.latency_ns = bpf_ktime_get_ns() - st.ts;
	r.dev = BPF_CORE_READ(dd, dev.devt);
	r.region_id = BPF_CORE_READ(dd, region, id);
	r.instance = stock_instance(dd, r.dev, r.region_id, r.align);
	r.result = (__u32)ret;
	r.outcome = outcome_of(r.result);
	r.reason = fault_reason(vmf, vma, dd, &r);
	r.write = (BPF_CORE_READ(vmf, flags) & ST_FAULT_FLAG_WRITE) != 0;
	return fault_body(&r);
}

static __always_inline int mmap_done(long ret)
{
	struct tdax_mmap_rec r = {};
	struct stock_start st;
	struct vm_area_struct *vma;
	struct dev_dax *dd;
	struct file *filp;
	__u64 mask, align;

	if (unstash(&stock_mmaps, &st))
		return 0;
	vma = (struct vm_area_struct *)st.a1;
	filp = (struct file *)st.a0;
	dd = (struct dev_dax *)BPF_CORE_READ(filp, private_data);
	if (!dd) {
		stat_inc(TDAX_STAT_READ_ERRORS);
		return 0;
	}
	r.vm_start = BPF_CORE_READ(vma, vm_start);
	r.vm_end = BPF_CORE_READ(vma, vm_end);
	r.pgoff = BPF_CORE_READ(vma, vm_pgoff);
	r.vm_flags = BPF_CORE_READ(vma, vm_flags);
	r.dev = BPF_CORE_READ(dd, dev.devt);
	r.region_id = BPF_CORE_READ(dd, region, id);
	align = BPF_CORE_READ(dd, align);
	r.instance = stock_instance(dd, r.dev, r.region_id, align);
	r.result = ret;
	mask = align ? align - 1 : 0;
	if (ret == 0)
		r.reason = align > ST_PAGE_SIZE && ((r.pgoff << ST_PAGE_SHIFT) & mask) ?
			   TDAX_MR_PGOFF_UNALIGNED : TDAX_MR_OK;	/* accepted, maps wrong memory */
	else if (ret == -ST_ENXIO)
		r.reason = TDAX_MR_DEAD;
	else if (!(r.vm_flags & ST_VM_MAYSHARE))
		r.reason = TDAX_MR_NOT_SHARED;
	else if (r.vm_start & mask)
		r.reason = TDAX_MR_START_UNALIGNED;
	else if (r.vm_end & mask)
		r.reason = TDAX_MR_LEN_UNALIGNED;
	else
		r.reason = TDAX_MR_OK;
	return mmap_body(&r);
}

/*
 * Device lifetimes, from the dax bus (built into vmlinux with CONFIG_DAX=y):
 * devm_create_dev_dax() returns the new struct dev_dax (or an ERR_PTR);
 * unregister_dev_dax(struct device *) is the devm action that deletes it.
 * A device created while attached gets a fresh instance with create_ns; a
 * destroyed one leaves stock_inst (a re-created device at the same address
 * is a new instance) and its lifetime goes to the histogram.
 */
static __always_inline int dev_created(struct dev_dax *dd)
{
	__u64 key = (__u64)dd, inst;
	struct tdax_live_dev *d;
	__u32 devt;

	if (!dd || (__u64)dd >= (__u64)-4095)
		return 0;
	stat_inc(TDAX_STAT_EV_DEV_CREATE);
	bpf_map_delete_elem(&stock_inst, &key);		/* a stale entry of a freed dev_dax */
	devt = BPF_CORE_READ(dd, dev.devt);
	inst = stock_instance(dd, devt, BPF_CORE_READ(dd, region, id), BPF_CORE_READ(dd, align));
	d = bpf_map_lookup_elem(&live_devs, &inst);
	if (d)
		d->create_ns = bpf_ktime_get_ns();
	return 0;
}

static __always_inline int dev_destroyed(struct device *dev)
{
	struct dev_dax *dd = (void *)((char *)dev - bpf_core_field_offset(struct dev_dax, dev));
	__u64 key = (__u64)dd, *v, now = bpf_ktime_get_ns();
	struct tdax_live_dev *d;

	stat_inc(TDAX_STAT_EV_DEV_DESTROY);
	v = bpf_map_lookup_elem(&stock_inst, &key);
	if (!v)
		return 0;	/* never seen: nothing of it to close */
	d = bpf_map_lookup_elem(&live_devs, v);
	if (d) {
		d->destroy_ns = now;
		d->bound = 0;
		if (d->create_ns)
			lifetime_add(TDAX_LT_DEV, now - d->create_ns);
	}
	bpf_map_delete_elem(&stock_inst, &key);
	return 0;
}

SEC("fexit/devm_create_dev_dax")
int BPF_PROG(st_fexit_create, void *data, struct dev_dax *ret)
{
	return dev_created(ret);
}

SEC("fentry/unregister_dev_dax")
int BPF_PROG(st_fentry_destroy, struct device *dev)
{
	return dev_destroyed(dev);
}

SEC("kretprobe/devm_create_dev_dax")
int BPF_KRETPROBE(st_krp_create, struct dev_dax *ret)
{
	return dev_created(ret);
}

SEC("kprobe/unregister_dev_dax")
int BPF_KPROBE(st_kp_destroy, struct device *dev)
{
	return dev_destroyed(dev);
}

/* fentry/fexit (trampolines): the default. */
SEC("fentry/dev_dax_huge_fault")
int BPF_PROG(st_fentry_fault, struct vm_fault *vmf, unsigned long long arg)
{
	stash(&stock_faults, (__u64)vmf, (__u32)arg);
	return 0;
}

SEC("fexit/dev_dax_huge_fault")
int BPF_PROG(st_fexit_fault, struct vm_fault *vmf, unsigned long long arg, unsigned long long ret)
{
	return fault_done((__u32)ret);
}

SEC("fentry/dax_mmap")
int BPF_PROG(st_fentry_mmap, struct file *filp, struct vm_area_struct *vma)
{
	stash(&stock_mmaps, (__u64)filp, (__u64)vma);
	return 0;
}

SEC("fexit/dax_mmap")
int BPF_PROG(st_fexit_mmap, struct file *filp, struct vm_area_struct *vma, long long ret)
{
	return mmap_done((int)ret);
}

/* kprobe/kretprobe: where fentry is unavailable, or forced. */
SEC("kprobe/dev_dax_huge_fault")
int BPF_KPROBE(st_kp_fault, struct vm_fault *vmf, unsigned long arg)
{
	stash(&stock_faults, (__u64)vmf, (__u32)arg);
	return 0;
}

SEC("kretprobe/dev_dax_huge_fault")
int BPF_KRETPROBE(st_krp_fault, unsigned long ret)
{
	return fault_done((__u32)ret);
}

SEC("kprobe/dax_mmap")
int BPF_KPROBE(st_kp_mmap, struct file *filp, struct vm_area_struct *vma)
{
	stash(&stock_mmaps, (__u64)filp, (__u64)vma);
	return 0;
}

SEC("kretprobe/dax_mmap")
int BPF_KRETPROBE(st_krp_mmap, long ret)
{
	return mmap_done((int)ret);
}
