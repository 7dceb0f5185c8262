// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmem_poison.c - tdax_pmem_poison.ko: test-only; records a bad range on
 * the libnvdimm bus of a tdax_pmem device, as ACPI ARS would report poison
 * (QEMU's NFIT has no error injection).  Nothing is written to the media.
 *
 *   insmod tdax_pmem_poison.ko dev=tdax4.0 offset=0x500000 len=4096
 *
 * The range is device offset @offset, @len bytes (512-byte multiples).
 * tdax_pmem reads bad blocks when a namespace binds: unbind and bind the
 * namespace afterwards.  The module unloads itself (init returns -EAGAIN
 * after success, 0 never; insmod prints "Resource temporarily unavailable"
 * on success and another error otherwise).
 */
#include <linux/module.h>
#include <linux/libnvdimm.h>
#include "tdax_private.h"

static char *dev = "";
module_param(dev, charp, 0444);
MODULE_PARM_DESC(dev, "tdax_pmem device (tdaxR.0)");
static unsigned long long offset;
module_param(offset, ullong, 0444);
MODULE_PARM_DESC(offset, "device offset of the bad range (bytes)");
static unsigned long long len = 4096;
module_param(len, ullong, 0444);
MODULE_PARM_DESC(len, "length of the bad range (bytes)");

static int __init tdax_pmem_poison_init(void)
{
	struct tdax_dev *tdev = tdax_dev_get_by_name(dev);
	struct device *ndbus;
	phys_addr_t phys;
	int rc;

	if (!tdev) {
		pr_err("tdax_pmem_poison: no device '%s'\n", dev);
		return -ENODEV;
	}
	/* namespace -> nd region -> nvdimm bus */
	ndbus = tdev->region->dev->parent ? tdev->region->dev->parent->parent : NULL;
	phys = tdax_pgoff_to_phys(tdev, offset >> PAGE_SHIFT, PAGE_SIZE);
	if (strcmp(tdev->region->dev->bus->name, "nd") || !ndbus ||
	    strncmp(dev_name(ndbus), "ndbus", 5) || phys == PHYS_ADDR_MAX ||
	    !len || len % 512 || offset % 512) {
		pr_err("tdax_pmem_poison: %s is not a tdax_pmem device, or the range is bad\n", dev);
		tdax_dev_put(tdev);
		return -EINVAL;
	}
	phys += offset & ~PAGE_MASK;
	rc = nvdimm_bus_add_badrange(to_nvdimm_bus(ndbus), phys, len);
	pr_info("tdax_pmem_poison: %s: bad range %pa+%#llx on %s: %d\n",
		dev, &phys, len, dev_name(ndbus), rc);
	tdax_dev_put(tdev);
	return rc ? rc : -EAGAIN;
}

module_init(tdax_pmem_poison_init);
MODULE_DESCRIPTION("tdax: test-only poison (bad range) injection for tdax_pmem devices");
MODULE_LICENSE("GPL");
