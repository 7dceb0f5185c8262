/* SPDX-License-Identifier: GPL-2.0-only */
/* tdax_device.h - shared between device.c and fault.c of tdax_device.ko */
#ifndef _TDAX_DEVICE_H
#define _TDAX_DEVICE_H

#include <linux/mm.h>
#include "tdax_private.h"

extern const struct vm_operations_struct tdax_vm_ops;
void tdax_trace_mmap(struct tdax_dev *tdev, struct vm_area_struct *vma,
		     int result, unsigned int reason);

#endif
