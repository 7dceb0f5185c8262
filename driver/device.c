// SPDX-License-Identifier: GPL-2.0-only
/*
 * device.c - tdax_device.ko: the /dev/tdaxR.N character device driver.
 *
 * Binds tdax bus devices: claims their physical ranges, memremaps them as
 * MEMORY_DEVICE_GENERIC compound pages of the device alignment, and adds
 * the char device.  mmap() refuses what cannot be mapped at the device
 * alignment; faults (fault.c) map 4K, 2M or 1G entries.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/cdev.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/memremap.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "tdax_private.h"
#include "tdax_device.h"
#include "tdax_trace.h"

void tdax_trace_mmap(struct tdax_dev *tdev, struct vm_area_struct *vma,
		     int result, unsigned int reason)
{
	struct tdax_mmap_rec rec = {
		.vm_start = vma->vm_start,
		.vm_end = vma->vm_end,
		.pgoff = vma->vm_pgoff,
		.vm_flags = vma->vm_flags,
		.dev = tdev->dev.devt,
		.region_id = tdev->region->id,
		.instance = tdev->instance,
		.result = result,
		.reason = reason,
	};

	trace_tdax_mmap(&rec);
}

/*
 * Under tdax_read_lock(): the binding is checked first, and only while it
 * is alive are the device's ranges and align stable (they change only
 * while unbound, after tdax_kill() waited for this section).
 */
static int tdax_check_vma(struct tdax_file *tf, struct vm_area_struct *vma,
			  unsigned int *reason)
{
	struct tdax_dev *tdev = tf->tdev;
	unsigned long align;
	u64 pages;

	if (!tdax_binding_alive(tdev->dax, tf->binding)) {
		*reason = TDAX_MR_DEAD;
		return -ENXIO;
	}
	align = tdev->align;
	pages = tdax_dev_size(tdev) >> PAGE_SHIFT;
	if (!(vma->vm_flags & VM_MAYSHARE)) {
		*reason = TDAX_MR_NOT_SHARED;
		return -EINVAL;
	}
	if (!IS_ALIGNED((u64)vma->vm_pgoff << PAGE_SHIFT, align)) {
		*reason = TDAX_MR_PGOFF_UNALIGNED;
		return -EINVAL;
	}
	if (!IS_ALIGNED(vma->vm_start, align)) {
		*reason = TDAX_MR_START_UNALIGNED;
		return -EINVAL;
	}
	if (!IS_ALIGNED(vma->vm_end - vma->vm_start, align)) {
		*reason = TDAX_MR_LEN_UNALIGNED;
		return -EINVAL;
	}
	if (vma->vm_pgoff >= pages) {
		*reason = TDAX_MR_BEYOND_DEVICE;
		return -EINVAL;
	}
	if ((vma->vm_flags & VM_SYNC) && tdev->region->async_flush) {
		/* the flush is a request to a host: MAP_SYNC cannot hold */
		*reason = TDAX_MR_SYNC_UNSUPPORTED;
		return -EOPNOTSUPP;
	}
	*reason = TDAX_MR_OK;
	return 0;
}

static const char * const tdax_mmap_reason_names[] = {
#define TDAX_X_NAME(name, val, str) [val] = str,
	TDAX_MMAP_REASONS(TDAX_X_NAME)
#undef TDAX_X_NAME
};

static int tdax_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct tdax_file *tf = tdax_file(filp);
	struct tdax_dev *tdev = tf->tdev;
	unsigned int reason;
	int id, rc;

	id = tdax_read_lock();
	rc = tdax_check_vma(tf, vma, &reason);
	tdax_read_unlock(id);
	tdax_trace_mmap(tdev, vma, rc, reason);
	if (rc) {
		dev_info_ratelimited(&tdev->dev,
				     "%s[%d]: mmap %#lx-%#lx pgoff %#lx refused: %s (align %#lx)\n",
				     current->comm, current->pid, vma->vm_start,
				     vma->vm_end, vma->vm_pgoff,
				     tdax_mmap_reason_names[reason], READ_ONCE(tdev->align));
		return rc;
	}
	vma->vm_ops = &tdax_vm_ops;
	tdax_vm_flags_set(vma, VM_HUGEPAGE);
	return 0;
}

/* Place mappings on an address aligned to the device alignment. */
static unsigned long tdax_get_unmapped_area(struct file *filp,
					    unsigned long addr,
					    unsigned long len,
					    unsigned long pgoff,
					    unsigned long flags)
{
	struct tdax_file *tf = filp ? tdax_file(filp) : NULL;
	unsigned long off, len_align, addr_align, align;

	if (!tf || addr)
		goto out;
	/*
	 * A placement hint only: mmap() checks the alignment under the lock.
	 * At least the fault_around window, so that windows (aligned on the
	 * virtual address) cover the file's pages in the same groups in every
	 * mapping.
	 */
	align = max_t(unsigned long, READ_ONCE(tf->tdev->align),
		      (unsigned long)READ_ONCE(tf->tdev->fault_around) << PAGE_SHIFT);
	if (!is_power_of_2(align))
		goto out;
	off = pgoff << PAGE_SHIFT;
	len_align = len + align;
	if (len_align < len || off + len_align < off)
		goto out;
	addr_align = tdax_mm_get_unmapped_area(filp, addr, len_align, pgoff, flags);
	if (!IS_ERR_VALUE(addr_align)) {
		addr_align += (off - addr_align) & (align - 1);
		return addr_align;
	}
out:
	return tdax_mm_get_unmapped_area(filp, addr, len, pgoff, flags);
}

/*
 * The file records the binding it is opened under: after an unbind it
 * stays dead (mmap ENXIO, faults SIGBUS) even when the device is bound
 * again.  No module reference beyond the fops owner: the device structure
 * (and through it the region) is referenced, and the provider's memory is
 * only touched while the binding is alive.
 */
static int tdax_open(struct inode *inode, struct file *filp)
{
	struct tdax_dev *tdev = tdax_dev_get_by_devt(inode->i_rdev);
	struct inode *dinode;
	struct tdax_file *tf;
	int id;

	if (!tdev)
		return -ENXIO;
	tf = kzalloc(sizeof(*tf), GFP_KERNEL);
	if (!tf) {
		tdax_dev_put(tdev);
		return -ENOMEM;
	}
	tf->tdev = tdev;
	id = tdax_read_lock();
	tf->binding = tdax_binding(tdev->dax, &tdax_device_driver);
	tdax_read_unlock(id);
	if (!tf->binding) {
		kfree(tf);
		tdax_dev_put(tdev);
		return -ENXIO;
	}
	/* every file of the device shares the device inode's mapping */
	dinode = tdax_inode(tdev->dax);
	inode->i_mapping = dinode->i_mapping;
	inode->i_mapping->host = dinode;
	filp->f_mapping = inode->i_mapping;
	filp->f_wb_err = filemap_sample_wb_err(filp->f_mapping);
	filp->private_data = tf;
	inode->i_flags = S_DAX;
	return 0;
}

static int tdax_release(struct inode *inode, struct file *filp)
{
	struct tdax_file *tf = tdax_file(filp);

	tdax_dev_put(tf->tdev);
	kfree(tf);
	return 0;
}

static const struct file_operations tdax_fops = {
	.llseek = tdax_llseek,
	.read_iter = tdax_read_iter,
	.write_iter = tdax_write_iter,
	.fsync = tdax_fsync,
	.owner = THIS_MODULE,
	.open = tdax_open,
	.release = tdax_release,
	.get_unmapped_area = tdax_get_unmapped_area,
	.mmap = tdax_mmap,
	TDAX_FOPS_MAP_SYNC
};

static void tdax_device_kill(void *data)
{
	struct tdax_dev *tdev = data;

	tdax_kill(tdev->dax);
	WRITE_ONCE(tdev->pgmap, NULL);	/* no reader left: tdax_kill() waited */
}

static void tdax_device_cdev_del(void *data)
{
	struct tdax_dev *tdev = data;

	cdev_del(tdev->cdev);
	tdev->cdev = NULL;
}

static int tdax_device_probe(struct tdax_dev *tdev)
{
	struct device *dev = &tdev->dev;
	struct dev_pagemap *pgmap;
	struct cdev *cdev;
	void *addr;
	int i, rc;

	pgmap = devm_kzalloc(dev, struct_size(pgmap, ranges, tdev->nr_range - 1),
			     GFP_KERNEL);
	if (!pgmap)
		return -ENOMEM;
	for (i = 0; i < tdev->nr_range; i++) {
		struct range *r = &tdev->ranges[i].range;

		if (!IS_ALIGNED(r->start, tdev->align) ||
		    !IS_ALIGNED(range_len(r), tdev->align)) {
			dev_warn(dev, "range %#llx-%#llx not aligned to %#lx\n",
				 r->start, r->end, tdev->align);
			return -EINVAL;
		}
		if (!devm_request_mem_region(dev, r->start, range_len(r),
					     dev_name(dev))) {
			dev_warn(dev, "could not claim %#llx-%#llx: busy\n",
				 r->start, r->end);
			return -EBUSY;
		}
		pgmap->ranges[i] = *r;
	}
	pgmap->nr_range = tdev->nr_range;
	pgmap->type = MEMORY_DEVICE_GENERIC;
	/* compound pages of the alignment: recomputed at each bind */
	pgmap->vmemmap_shift = ilog2(tdev->align) - PAGE_SHIFT;
	addr = devm_memremap_pages(dev, pgmap);
	if (IS_ERR(addr))
		return PTR_ERR(addr);
	/* pairs with smp_load_acquire() in the fault path and direct_access */
	smp_store_release(&tdev->pgmap, pgmap);

	cdev = cdev_alloc();
	if (!cdev)
		return -ENOMEM;
	cdev->ops = &tdax_fops;
	cdev->owner = THIS_MODULE;
	cdev_set_parent(cdev, &dev->kobj);
	rc = cdev_add(cdev, dev->devt, 1);
	if (rc) {
		kobject_put(&cdev->kobj);
		return rc;
	}
	tdev->cdev = cdev;
	rc = devm_add_action_or_reset(dev, tdax_device_cdev_del, tdev);
	if (rc)
		return rc;
	tdax_run(tdev->dax, &tdax_device_driver);
	return devm_add_action_or_reset(dev, tdax_device_kill, tdev);
}

struct tdax_driver tdax_device_driver = {
	.drv = {
		.name = "tdax_device",
	},
	.match_all = true,
	.probe = tdax_device_probe,
	.mode = TDAX_MODE_DEVDAX,
};

static int __init tdax_device_init(void)
{
	return tdax_driver_register(&tdax_device_driver);
}

static void __exit tdax_device_exit(void)
{
	tdax_driver_unregister(&tdax_device_driver);
}

module_init(tdax_device_init);
module_exit(tdax_device_exit);
MODULE_DESCRIPTION("tdax: /dev/tdaxR.N character device with 4K/2M/1G faults");
MODULE_LICENSE("GPL");
MODULE_ALIAS("tdax:t0");
