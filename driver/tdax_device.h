/* SPDX-License-Identifier: GPL-2.0-only */
/* tdax_device.h - shared between device.c and fault.c of tdax_device.ko */
#ifndef _TDAX_DEVICE_H
#define _TDAX_DEVICE_H

#include <linux/mm.h>
#include "tdax_private.h"

/**
 * struct tdax_file - an open /dev/tdaxR.N (file->private_data)
 * @tdev: the device (referenced until release)
 * @binding: the binding the file was opened under (tdax_binding()); the
 *	file and its mappings work only while that binding is alive
 */
struct tdax_file {
	struct tdax_dev *tdev;
	u64 binding;
};

static inline struct tdax_file *tdax_file(struct file *filp)
{
	return filp->private_data;
}

extern struct tdax_driver tdax_device_driver;
extern const struct vm_operations_struct tdax_vm_ops;
void tdax_trace_mmap(struct tdax_dev *tdev, struct vm_area_struct *vma,
		     int result, unsigned int reason);

/*
 * The fault back end: the one place that writes page-table entries, since
 * how a driver inserts device memory is what changes between kernels (pfn_t
 * inserts up to 6.14, folio-based ones after).  One implementation per
 * kernel family, chosen by driver/Makefile: fault_pfn.c today.
 */
vm_fault_t tdax_insert_entry(struct vm_fault *vmf, unsigned long addr,
			     phys_addr_t phys, unsigned long size, bool write);

/* rw.c: read/write/fsync through the dax operations */
struct kiocb;
loff_t tdax_llseek(struct file *filp, loff_t off, int whence);
ssize_t tdax_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t tdax_write_iter(struct kiocb *iocb, struct iov_iter *from);
int tdax_fsync(struct file *filp, loff_t start, loff_t end, int datasync);

#endif
