/* SPDX-License-Identifier: GPL-2.0-only */
/* tdax_device.h - shared between device.c and fault.c of tdax_device.ko */
#ifndef _TDAX_DEVICE_H
#define _TDAX_DEVICE_H

#include <linux/mm.h>
#include "tdax_private.h"

extern const struct vm_operations_struct tdax_vm_ops;
void tdax_trace_mmap(struct tdax_dev *tdev, struct vm_area_struct *vma,
		     int result, unsigned int reason);

/* rw.c: read/write/fsync through the dax operations */
struct kiocb;
loff_t tdax_llseek(struct file *filp, loff_t off, int whence);
ssize_t tdax_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t tdax_write_iter(struct kiocb *iocb, struct iov_iter *from);
int tdax_fsync(struct file *filp, loff_t start, loff_t end, int datasync);

#endif
