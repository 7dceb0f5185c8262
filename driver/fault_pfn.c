// SPDX-License-Identifier: GPL-2.0-only
/*
 * fault_pfn.c - the fault back end of kernels with pfn_t page-table
 * inserts (up to 6.14; Debian's 6.1 and 6.12): vmf_insert_mixed() for 4K,
 * vmf_insert_pfn_pmd() and vmf_insert_pfn_pud() for 2M and 1G entries of
 * PFN_DEV | PFN_MAP pfns (ZONE_DEVICE memory with struct pages, mapped as
 * devmap entries that get_user_pages() understands).
 *
 * driver/Makefile picks the back end from the target kernel's headers.  A
 * kernel with only the folio-based inserts (vmf_insert_folio_pmd/pud, and
 * vmf_insert_page_mkwrite for 4K; no pfn_t) gets a fault_folio.c with the
 * same one function (tdax_device.h).
 */
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/pfn_t.h>
#include "tdax_device.h"

/**
 * tdax_insert_entry - map device memory into the faulting vma
 * @vmf: the fault (its vma; PMD and PUD entries go at vmf->address's slot)
 * @addr: user address of the entry, aligned to @size
 * @phys: physical address of the memory, aligned to @size
 * @size: PAGE_SIZE, PMD_SIZE or PUD_SIZE
 * @write: map writable (a write fault)
 *
 * The caller holds tdax_read_lock() with the binding alive, has checked
 * that [@phys, @phys + @size) is memory of the device and has set the
 * pages' mapping and index.
 *
 * Return: the insert's vm_fault_t: VM_FAULT_NOPAGE when the entry is
 * mapped (or an entry was there already), VM_FAULT_FALLBACK or
 * VM_FAULT_SIGBUS/OOM otherwise.
 */
vm_fault_t tdax_insert_entry(struct vm_fault *vmf, unsigned long addr,
			     phys_addr_t phys, unsigned long size, bool write)
{
	pfn_t pfn = phys_to_pfn_t(phys, PFN_DEV | PFN_MAP);

	switch (size) {
	case PAGE_SIZE:
		return vmf_insert_mixed(vmf->vma, addr, pfn);
	case PMD_SIZE:
		return vmf_insert_pfn_pmd(vmf, pfn, write);
	case PUD_SIZE:
		return vmf_insert_pfn_pud(vmf, pfn, write);
	}
	return VM_FAULT_SIGBUS;
}
