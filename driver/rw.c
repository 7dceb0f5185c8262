// SPDX-License-Identifier: GPL-2.0-only
/*
 * rw.c - read(2)/write(2)/pread/pwrite, lseek and fsync of /dev/tdaxR.N.
 *
 * Data moves through the device's dax operations: the provider's copy
 * routines (tdax_pmem: non-temporal stores in, machine-check safe copies
 * out) or plain copies for volatile memory.  fsync, fdatasync and
 * msync(MS_SYNC) (which the mm turns into vfs_fsync_range() on the vma's
 * file) flush exactly the byte range asked for, as the region's persistence
 * domain requires, and fire tdax_flush.  O_SYNC/O_DSYNC writes flush what
 * they wrote.
 *
 * Everything runs inside a tdax_read_lock() section while the file's
 * binding is alive: a device's ranges only change while it is unbound,
 * after tdax_kill() waited for such sections, so they are stable here.
 */
#include <linux/fs.h>
#include <linux/uio.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include "tdax_private.h"
#include "tdax_device.h"
#include "tdax_trace.h"

/* per step, so a large read or write reschedules */
#define TDAX_RW_CHUNK	SZ_2M

/* Size of the device while the file's binding is alive, 0 once dead. */
static u64 tdax_live_size(struct tdax_file *tf)
{
	u64 size = 0;
	int id = tdax_read_lock();

	if (tdax_binding_alive(tf->tdev->dax, tf->binding))
		size = tdax_dev_size(tf->tdev);
	tdax_read_unlock(id);
	return size;
}

loff_t tdax_llseek(struct file *filp, loff_t off, int whence)
{
	return fixed_size_llseek(filp, off, whence, tdax_live_size(tdax_file(filp)));
}

/* Whether a flush has work to do in @domain. */
static bool tdax_domain_flushes(unsigned int domain)
{
	return domain == TDAX_PD_MEMORY_CONTROLLER || domain == TDAX_PD_VIRTIO_HOST;
}

/*
 * Make bytes [@start, @end) of the device durable and fire tdax_flush.
 * The caller holds tdax_read_lock() and saw the file's binding alive.
 */
static int tdax_flush_range(struct tdax_dev *tdev, u64 start, u64 end)
{
	unsigned int domain = READ_ONCE(tdev->region->persistence);
	bool skipped = !tdax_domain_flushes(domain) || end <= start;
	bool timed = trace_tdax_flush_enabled();
	u64 t0 = timed ? tdax_clock() : 0;
	int rc = 0;

	if (!skipped) {
		pgoff_t pgoff = start >> PAGE_SHIFT;

		rc = tdax_flush(tdev->dax, pgoff, end - ((u64)pgoff << PAGE_SHIFT));
	}
	if (trace_tdax_flush_enabled()) {
		struct tdax_flush_rec rec = {
			.offset = start,
			.bytes = end > start ? end - start : 0,
			.latency_ns = timed ? tdax_clock_since(t0) : 0,
			.dev = tdev->dev.devt,
			.region_id = tdev->region->id,
			.instance = tdev->instance,
			.region_instance = tdev->region->instance,
			.domain = domain,
			.skipped = skipped,
			.result = rc,
		};

		trace_tdax_flush(&rec);
	}
	if (rc)
		dev_err_ratelimited(&tdev->dev, "flush of %#llx-%#llx failed: %d\n",
				    start, end, rc);
	return rc;
}

static ssize_t tdax_rw(struct kiocb *iocb, struct iov_iter *iter, bool write)
{
	struct tdax_file *tf = tdax_file(iocb->ki_filp);
	struct tdax_dev *tdev = tf->tdev;
	struct tdax_dax *dax = tdev->dax;
	loff_t pos = iocb->ki_pos, start = pos;
	ssize_t done = 0, rc = 0;
	u64 size;
	int id;

	if (pos < 0)
		return -EINVAL;
	id = tdax_read_lock();
	if (!tdax_binding_alive(dax, tf->binding)) {
		rc = -ENXIO;
		goto out;
	}
	size = tdax_dev_size(tdev);
	if (pos >= size) {
		rc = write && iov_iter_count(iter) ? -ENOSPC : 0;
		goto out;
	}
	iov_iter_truncate(iter, size - pos);
	while (iov_iter_count(iter)) {
		size_t off = offset_in_page(pos), len, copied;
		pgoff_t pgoff = pos >> PAGE_SHIFT;
		void *kaddr;
		long nr;

		len = min_t(size_t, iov_iter_count(iter), TDAX_RW_CHUNK - off);
		nr = tdax_direct_access(dax, pgoff, PFN_UP(off + len), &kaddr, NULL);
		if (nr <= 0) {
			/* a bad block (-EHWPOISON) or a dead device */
			rc = nr == -EHWPOISON ? -EIO : (nr ? nr : -EIO);
			break;
		}
		len = min_t(size_t, len, ((size_t)nr << PAGE_SHIFT) - off);
		if (write)
			copied = tdax_copy_from_iter(dax, pgoff, kaddr + off, len, iter);
		else
			copied = tdax_copy_to_iter(dax, pgoff, kaddr + off, len, iter);
		pos += copied;
		done += copied;
		if (copied < len) {
			/* a fault on the user buffer, or a machine check on read */
			rc = write ? -EFAULT : -EIO;
			break;
		}
		if (iov_iter_count(iter)) {
			tdax_read_unlock(id);
			cond_resched();
			id = tdax_read_lock();
			if (!tdax_binding_alive(dax, tf->binding)) {
				rc = -ENXIO;
				break;
			}
		}
	}
	if (write && done && (iocb->ki_flags & IOCB_DSYNC) &&
	    tdax_binding_alive(dax, tf->binding)) {
		int frc = tdax_flush_range(tdev, start, pos);

		if (frc)
			rc = frc, done = 0;
	}
out:
	tdax_read_unlock(id);
	iocb->ki_pos = pos;
	return done ? done : rc;
}

ssize_t tdax_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	return tdax_rw(iocb, to, false);
}

ssize_t tdax_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	return tdax_rw(iocb, from, true);
}

/*
 * fsync/fdatasync (whole device: end = LLONG_MAX) and msync(MS_SYNC) (the
 * vma's range, as file offsets): flush [start, end] clipped to the device.
 */
int tdax_fsync(struct file *filp, loff_t start, loff_t end, int datasync)
{
	struct tdax_file *tf = tdax_file(filp);
	struct tdax_dev *tdev = tf->tdev;
	u64 size, last;
	int id, rc;

	if (start < 0 || end < start)
		return -EINVAL;
	id = tdax_read_lock();
	if (!tdax_binding_alive(tdev->dax, tf->binding)) {
		tdax_read_unlock(id);
		return -ENXIO;
	}
	size = tdax_dev_size(tdev);
	last = min_t(u64, (u64)end + 1, size);	/* end is inclusive */
	rc = tdax_flush_range(tdev, min_t(u64, start, size), last);
	tdax_read_unlock(id);
	return rc;
}
