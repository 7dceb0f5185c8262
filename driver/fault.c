// SPDX-License-Identifier: GPL-2.0-only
/*
 * fault.c - page faults of /dev/tdaxR.N: 4K, 2M and 1G entries, the
 * fault policy, and the reason a fault was not served at the alignment.
 *
 * The mm calls huge_fault at the largest size it may use (PUD, then PMD,
 * then .fault for PTE).  A size larger than the device alignment falls
 * back.  A size smaller than the alignment means the mm did not attempt
 * (or could not use) the larger one: the reason is diagnosed, then the
 * policy decides: strict -> SIGBUS (upstream), fallback -> map it small.
 * Physical addresses come from the file offset of the aligned address and
 * are never rounded: an unaligned one is refused.
 */
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/memremap.h>
#include <linux/sched/coredump.h>
#include <linux/ktime.h>
#include <linux/pagemap.h>
#include <linux/userfaultfd_k.h>
#include "tdax_private.h"
#include "tdax_device.h"
#include "tdax_trace.h"

/* Whether a lower-level table already occupies the slot of a huge entry. */
static bool tdax_table_populated(struct vm_fault *vmf, unsigned long size,
				 unsigned long align)
{
	pmd_t *pmd;
	pud_t pud;
	int i;

	if (align == PMD_SIZE)
		return size == PAGE_SIZE && vmf->pmd && !pmd_none(*vmf->pmd);
	if (align != PUD_SIZE || !vmf->pud)
		return false;
	pud = *vmf->pud;
	if (pud_none(pud) || pud_trans_huge(pud) || pud_devmap(pud))
		return false;
	if (size == PAGE_SIZE && vmf->pmd && !pmd_none(*vmf->pmd))
		return true;
	/*
	 * The mm allocates the pmd table right before a PMD or PTE attempt;
	 * it was populated before if any other slot of it is in use.
	 */
	pmd = pmd_offset(vmf->pud, ALIGN_DOWN(vmf->address, PUD_SIZE));
	for (i = 0; i < PTRS_PER_PMD; i++)
		if (pmd + i != vmf->pmd && !pmd_none(pmd[i]))
			return true;
	return false;
}

/* Why the mm is faulting at @size < @align, in the documented order. */
static unsigned int tdax_diagnose(struct vm_fault *vmf, struct tdax_dev *tdev,
				  unsigned long size, unsigned long align)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = ALIGN_DOWN(vmf->address, align);
	phys_addr_t phys;

	if (vma->vm_flags & VM_NOHUGEPAGE)
		return TDAX_FR_NOHUGEPAGE;
	if (vma->vm_mm && test_bit(MMF_DISABLE_THP, &vma->vm_mm->flags))
		return TDAX_FR_THP_DISABLED;
	if (haddr < vma->vm_start || haddr + align > vma->vm_end)
		return TDAX_FR_OUTSIDE_VMA;
	phys = tdax_pgoff_to_phys(tdev, linear_page_index(vma, haddr), align);
	if (phys == PHYS_ADDR_MAX || !IS_ALIGNED(phys, align))
		return TDAX_FR_PGOFF_MISALIGNED;
	if (tdax_table_populated(vmf, size, align))
		return TDAX_FR_TABLE_POPULATED;
	return TDAX_FR_SMALLER_UNKNOWN;
}

/*
 * Record the file position of the pages, as upstream's dax_set_mapping().
 * Under tdax_read_lock() with the binding alive: the pgmap is the one
 * published (release) before tdax_run().
 */
static void tdax_set_mapping(struct dev_pagemap *pgmap, struct vm_fault *vmf,
			     unsigned long pfn, unsigned long size,
			     pgoff_t pgoff)
{
	unsigned long i, nr = size >> PAGE_SHIFT;
	unsigned long step = 1UL << pgmap->vmemmap_shift;

	for (i = 0; i < nr; i += step) {
		struct page *page = pfn_to_page(pfn + i);
		struct page *head = compound_head(page);

		if (head->mapping)
			continue;
		head->mapping = vmf->vma->vm_file->f_mapping;
		head->index = pgoff + i - (page - head);
	}
}

/*
 * Fault-around: after the faulting 4K page is mapped, map the other pages of
 * its naturally aligned window of @tdev->fault_around pages, clipped to the
 * vma, to the page table of the faulting address (one PMD) and to the
 * physical range of the faulting page (never past a range or the device's
 * end).  Runs in the same binding read section as the faulting page, so it
 * maps only memory of the live binding.  Never on a userfaultfd-armed vma,
 * whose missing pages belong to the monitor.  Pages already present are
 * left alone.  Returns how many pages it mapped.
 */
static unsigned int tdax_fault_around(struct vm_fault *vmf, struct tdax_dev *tdev,
				      struct dev_pagemap *pgmap,
				      unsigned long addr, phys_addr_t phys)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long win = (unsigned long)tdev->fault_around << PAGE_SHIFT;
	unsigned long start = ALIGN_DOWN(addr, win), end = start + win;
	unsigned long pmd_start = ALIGN_DOWN(addr, PMD_SIZE);
	unsigned int n = 0;
	unsigned long a;

	if (userfaultfd_armed(vma))
		return 0;
	start = max3(start, vma->vm_start, pmd_start);
	end = min3(end, vma->vm_end, pmd_start + PMD_SIZE);
	for (a = start; a < end; a += PAGE_SIZE) {
		pgoff_t pgoff = linear_page_index(vma, a);
		phys_addr_t p;

		if (a == addr)
			continue;
		p = tdax_pgoff_to_phys(tdev, pgoff, PAGE_SIZE);
		/* the same physical range as the faulting page: contiguous */
		if (p == PHYS_ADDR_MAX || p != phys + (a - addr))
			continue;
		tdax_set_mapping(pgmap, vmf, PHYS_PFN(p), PAGE_SIZE, pgoff);
		if (tdax_insert_entry(vmf, a, p, PAGE_SIZE, false) & VM_FAULT_NOPAGE)
			n++;
	}
	return n;
}

static unsigned int tdax_outcome(vm_fault_t ret)
{
	if (ret & VM_FAULT_NOPAGE)
		return TDAX_FO_MAPPED;
	if (ret & VM_FAULT_FALLBACK)
		return TDAX_FO_FALLBACK;
	if (ret & VM_FAULT_SIGBUS)
		return TDAX_FO_SIGBUS;
	if (ret & VM_FAULT_OOM)
		return TDAX_FO_OOM;
	return TDAX_FO_OTHER;
}

static vm_fault_t tdax_do_fault(struct vm_fault *vmf, unsigned long size)
{
	struct vm_area_struct *vma = vmf->vma;
	struct tdax_file *tf = tdax_file(vma->vm_file);
	struct tdax_dev *tdev = tf->tdev;
	bool timed = trace_tdax_fault_enabled();
	u64 t0 = timed ? tdax_clock() : 0;
	unsigned long addr = ALIGN_DOWN(vmf->address, size);
	/* file offset of the entry; of the page when the entry starts before the vma */
	pgoff_t pgoff = addr >= vma->vm_start ? linear_page_index(vma, addr)
					      : vmf->pgoff;
	unsigned int reason = TDAX_FR_OK;
	unsigned long align = 0;
	unsigned int around = 0;
	struct dev_pagemap *pgmap;
	phys_addr_t phys = 0;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	vm_fault_t ret;
	int id;

	/*
	 * The binding first: only while the file's binding is alive are
	 * align, policy, the ranges and the pgmap those of the device as
	 * bound (tdax_kill() waits for this section before they can change).
	 */
	id = tdax_read_lock();
	if (!tdax_binding_alive(tdev->dax, tf->binding)) {
		reason = TDAX_FR_DEAD;
		ret = VM_FAULT_SIGBUS;
		goto out;
	}
	align = tdev->align;
	if (size > align) {
		reason = TDAX_FR_LARGER_THAN_ALIGN;
		ret = VM_FAULT_FALLBACK;
		goto out;
	}
	if (size < align) {
		reason = tdax_diagnose(vmf, tdev, size, align);
		if (tdev->policy == TDAX_FP_STRICT) {
			ret = VM_FAULT_SIGBUS;
			goto out;
		}
	}
	if (addr < vma->vm_start || addr + size > vma->vm_end) {
		if (reason == TDAX_FR_OK)
			reason = TDAX_FR_OUTSIDE_VMA;
		ret = VM_FAULT_FALLBACK;
		goto out;
	}
	phys = tdax_pgoff_to_phys(tdev, pgoff, size);
	if (phys == PHYS_ADDR_MAX) {
		if (size == PAGE_SIZE ||
		    tdax_pgoff_to_phys(tdev, linear_page_index(vma, vmf->address),
				       PAGE_SIZE) == PHYS_ADDR_MAX) {
			reason = TDAX_FR_BEYOND_DEVICE;
			ret = VM_FAULT_SIGBUS;
		} else {
			reason = TDAX_FR_UNSUPPORTED_SIZE;
			ret = VM_FAULT_FALLBACK;
		}
		phys = 0;
		goto out;
	}
	if (!IS_ALIGNED(phys, size)) {
		/* never map the rounded-down address: refuse this size */
		reason = TDAX_FR_PGOFF_MISALIGNED;
		ret = size == PAGE_SIZE ? VM_FAULT_SIGBUS : VM_FAULT_FALLBACK;
		phys = 0;
		goto out;
	}
	pgmap = smp_load_acquire(&tdev->pgmap);
	if (WARN_ON_ONCE(!pgmap)) {	/* alive implies memremap'ed */
		ret = VM_FAULT_SIGBUS;
		phys = 0;
		goto out;
	}
	if (tdev->region->ops &&
	    tdax_direct_access(tdev->dax, pgoff, size >> PAGE_SHIFT, NULL, NULL) !=
	    size >> PAGE_SHIFT) {
		/* the provider refuses part of it (a bad block): never map it */
		reason = TDAX_FR_BADBLOCK;
		ret = VM_FAULT_SIGBUS;
		phys = 0;
		goto out;
	}
	tdax_set_mapping(pgmap, vmf, PHYS_PFN(phys), size, pgoff);
	ret = tdax_insert_entry(vmf, addr, phys, size, write);
	if (!(ret & VM_FAULT_NOPAGE)) {
		if (reason == TDAX_FR_OK)
			reason = TDAX_FR_INSERT_FAILED;
		phys = 0;
	} else if (size == PAGE_SIZE && tdev->fault_around > 1) {
		around = tdax_fault_around(vmf, tdev, pgmap, addr, phys);
	}
out:
	tdax_read_unlock(id);
	if (trace_tdax_fault_enabled()) {
		struct tdax_fault_rec rec = {
			.address = vmf->address,
			.pgoff = pgoff,
			.size = size,
			.align = align,
			.phys = phys,
			.latency_ns = timed ? tdax_clock_since(t0) : 0,
			.dev = tdev->dev.devt,
			.region_id = tdev->region->id,
			.instance = tdev->instance,
			.region_instance = tdev->region->instance,
			.result = ret,
			.reason = reason,
			.outcome = tdax_outcome(ret),
			.write = write,
			.around = around,
		};

		trace_tdax_fault(&rec);
	}
	return ret;
}

/* ->huge_fault with the kernel's signature, calling tdax_do_fault() */
TDAX_DEFINE_HUGE_FAULT(tdax_huge_fault, tdax_do_fault)

static vm_fault_t tdax_fault(struct vm_fault *vmf)
{
	return tdax_do_fault(vmf, PAGE_SIZE);
}

static int tdax_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	struct tdax_dev *tdev = tdax_file(vma->vm_file)->tdev;

	if (!IS_ALIGNED(addr, READ_ONCE(tdev->align))) {
		tdax_trace_mmap(tdev, vma, -EINVAL, TDAX_MR_SPLIT_UNALIGNED);
		return -EINVAL;
	}
	return 0;
}

static int tdax_mremap(struct vm_area_struct *vma)
{
	struct tdax_dev *tdev = tdax_file(vma->vm_file)->tdev;

	if (!IS_ALIGNED(vma->vm_start, READ_ONCE(tdev->align))) {
		tdax_trace_mmap(tdev, vma, -EINVAL, TDAX_MR_MOVE_UNALIGNED);
		return -EINVAL;
	}
	return 0;
}

static unsigned long tdax_pagesize(struct vm_area_struct *vma)
{
	return READ_ONCE(tdax_file(vma->vm_file)->tdev->align);
}

#ifdef TDAX_VMA_LOCK_FILE_FAULTS
/*
 * The mm calls ->fault under the per-VMA lock only when the vma's ops have
 * ->map_pages (tdax_compat.h); without it every 4K fault is retried under
 * mmap_lock.  tdax_do_fault() needs nothing that the per-VMA lock does not
 * give: it reads the vma and its mm's flags and inserts into the vma's own
 * range, as anonymous faults do under that lock.  So it opts in with a
 * ->map_pages that maps nothing (it runs under rcu_read_lock() and may not
 * allocate page tables): mapping around is the device's own fault_around,
 * done in ->fault, where it may sleep.
 */
static vm_fault_t tdax_map_pages(struct vm_fault *vmf, pgoff_t start_pgoff,
				 pgoff_t end_pgoff)
{
	return 0;
}
#endif

const struct vm_operations_struct tdax_vm_ops = {
	.fault = tdax_fault,
	.huge_fault = tdax_huge_fault,
	.may_split = tdax_may_split,
	.mremap = tdax_mremap,
	.pagesize = tdax_pagesize,
	TDAX_VM_OPS_MAP_PAGES(tdax_map_pages)
};
