// SPDX-License-Identifier: GPL-2.0-only
/*
 * selftest.c - tdax_selftest.ko: exercises a device's dax operations from
 * inside the kernel, for the guest tests (never needed in production).
 *
 *   insmod tdax_selftest.ko dev=tdax0.0            expect a live device
 *   insmod tdax_selftest.ko dev=tdax0.0 dead=1     expect a killed one
 *
 * Each check prints "tdax_selftest: ok|not ok - ..." in the kernel log;
 * init fails with -EIO when a check failed, so insmod's status is the
 * result.  The module does nothing once loaded: rmmod it after.
 *
 * It follows the operations' contract: every call, and every use of the
 * kernel address tdax_direct_access() returns, is inside one
 * tdax_read_lock() section.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include "tdax_private.h"

static char *dev = "tdax0.0";
module_param(dev, charp, 0444);
MODULE_PARM_DESC(dev, "device to test (tdaxR.N)");
static bool dead;
module_param(dead, bool, 0444);
MODULE_PARM_DESC(dead, "expect the device to be unbound: every operation fails");

static int failed;

static void check(bool ok, const char *what)
{
	pr_info("tdax_selftest: %s - %s: %s\n", ok ? "ok" : "not ok", dev, what);
	if (!ok)
		failed++;
}

static void test_live(struct tdax_dev *tdev)
{
	char *buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	struct kvec kv;
	struct iov_iter it;
	void *kaddr = NULL;
	phys_addr_t phys;
	tdax_pfn_t pfn = {};
	long n;

	if (!buf) {
		check(false, "allocate a buffer");
		return;
	}
	check(tdax_read_lock_held(), "tdax_read_lock_held() inside the section");
	/* the ranges are stable only while the device is alive (and we hold the lock) */
	check(tdax_alive(tdev->dax), "the device is alive");
	if (!tdax_alive(tdev->dax))
		goto out;
	phys = tdax_pgoff_to_phys(tdev, 1, PAGE_SIZE);
	n = tdax_direct_access(tdev->dax, 1, 4, &kaddr, &pfn);
	check(n == 4, "direct_access gives 4 contiguous pages at pgoff 1");
	check(tdax_pfn_t_to_pfn(pfn) == PHYS_PFN(phys), "direct_access pfn is the page's");
	if (n <= 0 || !kaddr)
		goto out;
	memset(buf, 0x5a, PAGE_SIZE);
	kv = (struct kvec) { .iov_base = buf, .iov_len = PAGE_SIZE };
	iov_iter_kvec(&it, ITER_SOURCE, &kv, 1, PAGE_SIZE);
	check(tdax_copy_from_iter(tdev->dax, 1, kaddr, PAGE_SIZE, &it) == PAGE_SIZE,
	      "copy_from_iter copies a page in");
	check(!memcmp(kaddr, buf, PAGE_SIZE), "the page holds the copied data");
	tdax_flush(tdev->dax, 1, PAGE_SIZE);
	check(tdax_zero_page_range(tdev->dax, 1, 1) == 0, "zero_page_range succeeds");
	memset(buf, 0x77, PAGE_SIZE);
	kv = (struct kvec) { .iov_base = buf, .iov_len = PAGE_SIZE };
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, PAGE_SIZE);
	check(tdax_copy_to_iter(tdev->dax, 1, kaddr, PAGE_SIZE, &it) == PAGE_SIZE,
	      "copy_to_iter copies the page out");
	check(!memchr_inv(buf, 0, PAGE_SIZE), "the page reads back zeroed");
	n = tdax_direct_access(tdev->dax, tdax_dev_size(tdev) >> PAGE_SHIFT, 1,
			       NULL, NULL);
	check(n < 0, "direct_access beyond the device fails");
out:
	kfree(buf);
}

static void test_dead(struct tdax_dev *tdev)
{
	void *kaddr = NULL;

	check(!tdax_alive(tdev->dax), "the device is not alive");
	check(tdax_direct_access(tdev->dax, 0, 1, &kaddr, NULL) == -ENXIO,
	      "direct_access fails with -ENXIO");
	check(tdax_zero_page_range(tdev->dax, 0, 1) == -ENXIO,
	      "zero_page_range fails with -ENXIO");
	check(!tdax_get_private(tdev->dax), "get_private gives NULL");
}

static int __init tdax_selftest_init(void)
{
	struct tdax_dev *tdev = tdax_dev_get_by_name(dev);
	int id;

	if (!tdev) {
		pr_err("tdax_selftest: no device %s\n", dev);
		return -ENODEV;
	}
	/* the dax operations' contract: hold the read lock across their use */
	id = tdax_read_lock();
	if (dead)
		test_dead(tdev);
	else
		test_live(tdev);
	tdax_read_unlock(id);
	tdax_dev_put(tdev);
	return failed ? -EIO : 0;
}

static void __exit tdax_selftest_exit(void)
{
}

module_init(tdax_selftest_init);
module_exit(tdax_selftest_exit);
MODULE_DESCRIPTION("tdax: in-kernel checks of the dax operations (tests only)");
MODULE_LICENSE("GPL");
