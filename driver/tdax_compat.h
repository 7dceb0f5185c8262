/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tdax_compat.h - every difference between the kernels tdax builds for, in
 * one place, so the rest of driver/ reads like mainline code.
 *
 * Where a kernel interface changed, this header gives the code one name for
 * it (a static inline wrapper, an initialiser macro for an ops table, or a
 * TDAX_* switch for code that exists only where the kernel has the
 * feature).  Nothing outside this header tests LINUX_VERSION_CODE
 * (tests/host/compat.t checks that).
 *
 * Feature tests come first: Debian (and any stable tree) backports
 * interfaces into older kernels, so the version a feature arrived in
 * upstream says nothing certain about a given build.  The Kbuild part of
 * driver/Makefile greps the target kernel's headers and passes
 * -DTDAX_HAVE_<FEATURE> for each interface it found (see TDAX_FEATURES
 * there).  A version number is used only for a behaviour change that no
 * header shows (TDAX_VMA_LOCK_FILE_FAULTS below).
 *
 * The page-table inserts of the fault path (pfn_t, vmf_insert_pfn_pmd/pud,
 * which 6.15+ replaces by folio-based inserts) are not wrapped here but
 * behind the fault back end (tdax_insert_entry(), tdax_device.h): see
 * fault_pfn.c.
 *
 * Kernels built for and tested: Debian 6.1 (bookworm) and 6.12
 * (bookworm-backports).  docs/driver.md, "Kernel compatibility".
 */
#ifndef _TDAX_COMPAT_H
#define _TDAX_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/fs.h>
#include <linux/pfn_t.h>
#include <linux/sched/mm.h>

/* --- bus_type callbacks ------------------------------------------------ */

/* ->match() takes a const driver (upstream 6.11) */
#ifdef TDAX_HAVE_BUS_MATCH_CONST
#define TDAX_MATCH_CONST const
#else
#define TDAX_MATCH_CONST
#endif

/* ->uevent() takes a const device (upstream 6.3) */
#ifdef TDAX_HAVE_BUS_UEVENT_CONST
#define TDAX_UEVENT_CONST const
#else
#define TDAX_UEVENT_CONST
#endif

/* --- vmas and the address space ---------------------------------------- */

/**
 * tdax_vm_flags_set - set flags of a vma being set up in ->mmap
 * @vma: the vma
 * @flags: VM_* flags to set
 *
 * vm_flags became read-only outside its accessors (upstream 6.3).
 */
static inline void tdax_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#ifdef TDAX_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/**
 * tdax_mm_get_unmapped_area - the current mm's default placement
 * @filp: file being mapped
 * @addr: hint
 * @len: length
 * @pgoff: file offset in pages
 * @flags: MAP_* flags
 *
 * mm->get_unmapped_area gave way to mm_get_unmapped_area() (upstream 6.10).
 *
 * Return: the address chosen or a negative errno.
 */
static inline unsigned long tdax_mm_get_unmapped_area(struct file *filp,
						      unsigned long addr,
						      unsigned long len,
						      unsigned long pgoff,
						      unsigned long flags)
{
#ifdef TDAX_HAVE_MM_GET_UNMAPPED_AREA
	return mm_get_unmapped_area(current->mm, filp, addr, len, pgoff, flags);
#else
	return current->mm->get_unmapped_area(filp, addr, len, pgoff, flags);
#endif
}

/*
 * MAP_SYNC support in struct file_operations: the fop_flags bit
 * (upstream 6.12, a macro) or the older mmap_supported_flags field.
 */
#ifdef FOP_MMAP_SYNC
#define TDAX_FOPS_MAP_SYNC	.fop_flags = FOP_MMAP_SYNC,
#else
#define TDAX_FOPS_MAP_SYNC	.mmap_supported_flags = MAP_SYNC,
#endif

/* --- vm_operations_struct ----------------------------------------------- */

/**
 * TDAX_DEFINE_HUGE_FAULT - define a ->huge_fault with the kernel's signature
 * @name: the function to define (static)
 * @handler: vm_fault_t handler(struct vm_fault *vmf, unsigned long size)
 *
 * ->huge_fault takes the page order (upstream 6.6) or, before, an
 * enum page_entry_size.  Either way @handler gets the entry size in bytes.
 * The matching ->fault is @handler with PAGE_SIZE.
 */
#ifdef TDAX_HAVE_HUGE_FAULT_ORDER
#define TDAX_DEFINE_HUGE_FAULT(name, handler)				\
static vm_fault_t name(struct vm_fault *vmf, unsigned int order)	\
{									\
	return handler(vmf, PAGE_SIZE << order);			\
}
#else
#define TDAX_DEFINE_HUGE_FAULT(name, handler)				\
static vm_fault_t name(struct vm_fault *vmf, enum page_entry_size pe)	\
{									\
	switch (pe) {							\
	case PE_SIZE_PTE:						\
		return handler(vmf, PAGE_SIZE);				\
	case PE_SIZE_PMD:						\
		return handler(vmf, PMD_SIZE);				\
	case PE_SIZE_PUD:						\
		return handler(vmf, PUD_SIZE);				\
	}								\
	return VM_FAULT_SIGBUS;						\
}
#endif

/*
 * From upstream 6.7 the mm calls ->fault of a file vma under the per-VMA
 * lock only when its ops have ->map_pages (vmf_can_call_fault()); before,
 * ->map_pages only means "map pages around a read fault".  No header shows
 * the change, so this one is a version test.  TDAX_VM_OPS_MAP_PAGES(fn) is
 * the vm_operations_struct initialiser: fn where the kernel uses it to
 * choose the per-VMA lock, nothing elsewhere.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define TDAX_VMA_LOCK_FILE_FAULTS 1
#define TDAX_VM_OPS_MAP_PAGES(fn)	.map_pages = fn,
#else
#define TDAX_VM_OPS_MAP_PAGES(fn)
#endif

/* --- tracepoints ---------------------------------------------------------- */

/* VM_FAULT_WRITE exists up to upstream 6.1 (TRACE_DEFINE_ENUM of it) */
#ifdef TDAX_HAVE_VM_FAULT_WRITE
#define TDAX_TRACE_DEFINE_VM_FAULT_WRITE	TRACE_DEFINE_ENUM(VM_FAULT_WRITE);
#else
#define TDAX_TRACE_DEFINE_VM_FAULT_WRITE
#endif

/* --- providers and drivers ---------------------------------------------- */

/*
 * One "hmem_platform" device stands for all soft-reserved ranges and
 * hmem.N devices are no longer made (upstream 6.4, with
 * walk_hmem_resources()).
 */
#ifdef TDAX_HAVE_WALK_HMEM_RESOURCES
#define TDAX_HMEM_PLATFORM 1
#endif

/*
 * Memory tiers from HMAT: mt_calc_adistance() (upstream 6.7) and
 * mt_find_alloc_memory_type()/mt_put_memory_types() (6.10).
 */
#ifdef TDAX_HAVE_MT_FIND_ALLOC_MEMORY_TYPE
#define TDAX_KMEM_HMAT_TIERS 1
#endif

/* --- pfns of dax_operations-style direct_access ------------------------- */

/*
 * The pfn a provider's ->direct_access returns.  A pfn_t on every kernel
 * tdax builds for today; kernels without pfn_t (after 6.15) make this a
 * plain pfn, here and in fault_pfn.c's successor.
 */
typedef pfn_t tdax_pfn_t;

/**
 * tdax_phys_to_pfn_t - the direct_access pfn of device memory at @phys
 * @phys: physical address (ZONE_DEVICE memory with struct pages)
 */
static inline tdax_pfn_t tdax_phys_to_pfn_t(phys_addr_t phys)
{
	return phys_to_pfn_t(phys, PFN_DEV | PFN_MAP);
}

/**
 * tdax_pfn_t_to_pfn - the page frame number of a direct_access pfn
 * @pfn: as returned by tdax_phys_to_pfn_t()
 */
static inline unsigned long tdax_pfn_t_to_pfn(tdax_pfn_t pfn)
{
	return pfn_t_to_pfn(pfn);
}

#endif /* _TDAX_COMPAT_H */
