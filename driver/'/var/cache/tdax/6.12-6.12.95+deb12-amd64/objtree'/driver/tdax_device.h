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

#endif
