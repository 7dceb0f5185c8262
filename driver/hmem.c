// SPDX-License-Identifier: GPL-2.0-only
/*
 * hmem.c - tdax_hmem.ko: regions from soft-reserved memory and explicit
 * ranges.
 *
 * - binds the kernel's "hmem" platform devices (hmem.N: EFI/ACPI or
 *   memmap=SIZE%OFFSET+0xefffffff soft-reserved memory, e.g. HBM or CXL);
 *   on kernels >= 6.4, binds "hmem_platform" and adds tdax_soft.N for each
 *   soft-reserved range instead;
 * - ranges=START:SIZE[,START:SIZE...] (sizes with K/M/G suffixes) adds one
 *   "tdax_range.N" platform device per range, e.g. memory set aside with
 *   memmap=SIZE$OFFSET.
 *
 * Each range becomes region R (hmem.N keeps R = N when free) with one
 * device tdaxR.0 spanning it, alignment 2M.  The provider claims the range
 * with a non-busy resource "tdax_hmem" in /proc/iomem; the tdax_device
 * driver requests (busy) and memremaps the device ranges at bind time.
 */
#include <linux/module.h>
#include <linux/mod_devicetable.h>
#include <linux/platform_device.h>
#include <linux/memregion.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include <linux/dax.h>
#include "tdax_private.h"

/*
 * Where the kernel no longer creates hmem.N itself (TDAX_HMEM_PLATFORM,
 * tdax_compat.h): one "hmem_platform" device stands for all soft-reserved
 * ranges and the hmem driver walks them.  We do the same and add a
 * "tdax_soft.N" device per range, which then binds like hmem.N.
 */

#define TDAX_HMEM_MAX_RANGES	8

static char *ranges;
module_param(ranges, charp, 0444);
MODULE_PARM_DESC(ranges, "explicit ranges START:SIZE[,START:SIZE...], e.g. 0x280000000:1G (reserve them with memmap=1G$0x280000000)");

static struct platform_device *tdax_range_pdevs[TDAX_HMEM_MAX_RANGES];

static void tdax_hmem_unclaim(void *res)
{
	remove_resource(res);
	kfree(res);
}

/*
 * Unregister a provider platform device whose resource was inserted above
 * what it covers ("Soft Reserved", "Reserved").  platform_device_del()
 * releases its resources with their children, which would take those
 * firmware ranges out of /proc/iomem for good (a reload of tdax_hmem then
 * finds no soft-reserved memory): take the resource out first with
 * remove_resource(), which hands the children back to its parent.
 */
static void tdax_hmem_pdev_unregister(struct platform_device *pdev)
{
	struct resource *r = platform_get_resource(pdev, IORESOURCE_MEM, 0);

	if (r && r->parent)
		remove_resource(r);
	platform_device_unregister(pdev);
}

#ifdef TDAX_HMEM_PLATFORM
static void tdax_soft_del(void *pdev)
{
	tdax_hmem_pdev_unregister(pdev);
}

static int tdax_soft_add_one(struct device *host, int target_nid,
			     const struct resource *res)
{
	struct memregion_info mri = { .target_node = target_nid };
	struct resource r = {
		.name = "tdax_soft",
		.start = res->start,
		.end = res->end,
		.flags = IORESOURCE_MEM,
	};
	struct platform_device *pdev;
	int *n = dev_get_drvdata(host);
	int rc = -ENOMEM;

	/* numa_node: the nearest online node, as the in-tree hmem devices */
	pdev = platform_device_alloc("tdax_soft", (*n)++);
	if (!pdev)
		goto err;
	pdev->dev.parent = host;
	set_dev_node(&pdev->dev, numa_map_to_online_node(target_nid));
	rc = platform_device_add_resources(pdev, &r, 1);
	if (!rc)
		rc = platform_device_add_data(pdev, &mri, sizeof(mri));
	if (!rc)
		rc = platform_device_add(pdev);
	if (rc) {
		platform_device_put(pdev);
		goto err;
	}
	return devm_add_action_or_reset(host, tdax_soft_del, pdev);
err:
	dev_warn(host, "cannot add soft-reserved %pr: %d\n", res, rc);
	return 0;
}

struct tdax_soft_ctx {
	struct device *host;
	int target_nid;
	const struct resource *within;
};

static int tdax_soft_piece(struct resource *sr, void *arg)
{
	struct tdax_soft_ctx *ctx = arg;
	struct resource r = {
		.start = max(sr->start, ctx->within->start),
		.end = min(sr->end, ctx->within->end),
	};

	return tdax_soft_add_one(ctx->host, ctx->target_nid, &r);
}

/*
 * walk_hmem_resources() also lists ranges HMAT describes that are not soft
 * reserved (with HMAT, every SRAT memory range of a target): only the
 * soft-reserved ones are ours, as the in-tree hmem driver decides.  A
 * range holding soft-reserved pieces (e.g. memmap=%-reserved parts of a
 * node's RAM) gives one device per piece.
 */
static int tdax_soft_add(struct device *host, int target_nid,
			 const struct resource *res)
{
	struct tdax_soft_ctx ctx = { host, target_nid, res };

	switch (region_intersects(res->start, resource_size(res), IORESOURCE_MEM,
				  IORES_DESC_SOFT_RESERVED)) {
	case REGION_INTERSECTS:
		return tdax_soft_add_one(host, target_nid, res);
	case REGION_MIXED:
		return walk_iomem_res_desc(IORES_DESC_SOFT_RESERVED, IORESOURCE_MEM,
					   res->start, res->end, &ctx,
					   tdax_soft_piece);
	default:
		return 0;
	}
}

static int tdax_hmem_platform_probe(struct platform_device *pdev)
{
	int *n = devm_kzalloc(&pdev->dev, sizeof(*n), GFP_KERNEL);

	if (!n)
		return -ENOMEM;
	platform_set_drvdata(pdev, n);
	return walk_hmem_resources(&pdev->dev, tdax_soft_add);
}
#endif

static int tdax_hmem_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct memregion_info *mri = dev_get_platdata(dev);
	bool is_range = !strcmp(pdev->name, "tdax_range");
	bool is_soft = !strcmp(pdev->name, "tdax_soft");
	struct resource *pres, *claim;
	struct tdax_region *region;
	struct tdax_dev *tdev;
	char provider[TDAX_NAME_LEN];
	struct range range;
	int rc;

#ifdef TDAX_HMEM_PLATFORM
	if (!strcmp(pdev->name, "hmem_platform"))
		return tdax_hmem_platform_probe(pdev);
#endif
	pres = platform_get_resource(pdev, IORESOURCE_MEM, 0);
	if (!pres)
		return -ENXIO;
	range = (struct range) { .start = pres->start, .end = pres->end };

	claim = kzalloc(sizeof(*claim), GFP_KERNEL);
	if (!claim)
		return -ENOMEM;
	*claim = (struct resource) {
		.name = "tdax_hmem",
		.start = pres->start,
		.end = pres->end,
		.flags = IORESOURCE_MEM,
	};
	/*
	 * Insert the claim between the platform resource and what it holds
	 * (e.g. "Soft Reserved"): non-busy, so the device driver's busy
	 * requests nest inside it.
	 */
	rc = insert_resource(pres, claim);
	if (rc) {
		dev_warn(dev, "%pr is in use, not claiming it\n", pres);
		kfree(claim);
		return -EBUSY;
	}
	rc = devm_add_action_or_reset(dev, tdax_hmem_unclaim, claim);
	if (rc)
		return rc;

	if (is_range)
		snprintf(provider, sizeof(provider), "tdax_hmem.range%d", pdev->id);
	else if (is_soft)
		snprintf(provider, sizeof(provider), "hmem.%d", pdev->id);
	else
		strscpy(provider, dev_name(dev), sizeof(provider));
	region = devm_tdax_region_register(dev, is_range ? -1 : pdev->id,
					   &range,
					   mri ? mri->target_node : NUMA_NO_NODE,
					   TDAX_SIZE_2M, provider, THIS_MODULE);
	if (IS_ERR(region) && !is_range && PTR_ERR(region) == -ENOSPC)
		region = devm_tdax_region_register(dev, -1, &range,
						   mri ? mri->target_node : NUMA_NO_NODE,
						   TDAX_SIZE_2M, provider, THIS_MODULE);
	if (IS_ERR(region))
		return PTR_ERR(region);
	tdev = tdax_dev_create(region, range_len(&range));
	return PTR_ERR_OR_ZERO(tdev);
}

/*
 * No MODULE_DEVICE_TABLE: udev must never autoload tdax_hmem for hmem.N
 * (or hmem_platform) next to the in-tree dax_hmem, which has the same
 * aliases; the two would race for the same devices.  tdax_hmem is loaded
 * explicitly (insmod/modprobe by the administrator); it then binds the
 * soft-reserved devices no driver has taken yet, and a device dax_hmem
 * holds is moved by hand: unbind it from dax_hmem, then write its name to
 * /sys/bus/platform/drivers/tdax_hmem/bind (or set its driver_override to
 * tdax_hmem).  See docs/driver.md, "Providers".
 */
static const struct platform_device_id tdax_hmem_ids[] = {
	{ "hmem" },
	{ "tdax_range" },
#ifdef TDAX_HMEM_PLATFORM
	{ "hmem_platform" },
	{ "tdax_soft" },
#endif
	{ }
};

static struct platform_driver tdax_hmem_driver = {
	.probe = tdax_hmem_probe,
	.id_table = tdax_hmem_ids,
	.driver = {
		.name = "tdax_hmem",
	},
};

static void tdax_hmem_del_ranges(void)
{
	int i;

	for (i = 0; i < TDAX_HMEM_MAX_RANGES; i++) {
		if (tdax_range_pdevs[i])
			tdax_hmem_pdev_unregister(tdax_range_pdevs[i]);
		tdax_range_pdevs[i] = NULL;
	}
}

static int tdax_hmem_add_ranges(void)
{
	char *buf, *p, *tok;
	int n = 0, rc = 0;

	if (!ranges || !*ranges)
		return 0;
	buf = kstrdup(ranges, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	p = buf;
	while ((tok = strsep(&p, ",")) != NULL) {
		struct memregion_info mri = { .target_node = NUMA_NO_NODE };
		struct platform_device *pdev;
		struct resource res = { .name = "tdax_range", .flags = IORESOURCE_MEM };
		char *colon = strchr(tok, ':'), *end;
		u64 start, size;

		if (!*tok)
			continue;
		if (!colon) {
			pr_err("tdax_hmem: ranges: '%s' is not START:SIZE\n", tok);
			rc = -EINVAL;
			break;
		}
		*colon = 0;
		start = memparse(tok, &end);
		if (*end) {
			pr_err("tdax_hmem: ranges: bad start '%s'\n", tok);
			rc = -EINVAL;
			break;
		}
		size = memparse(colon + 1, &end);
		if (*end || !size || !IS_ALIGNED(start, TDAX_SIZE_2M) ||
		    !IS_ALIGNED(size, TDAX_SIZE_2M)) {
			pr_err("tdax_hmem: ranges: '%s:%s' must be a non-empty range aligned to 2M\n",
			       tok, colon + 1);
			rc = -EINVAL;
			break;
		}
		if (size - 1 > PHYS_ADDR_MAX - start) {
			pr_err("tdax_hmem: ranges: '%s:%s' ends beyond the physical address space\n",
			       tok, colon + 1);
			rc = -EINVAL;
			break;
		}
		if (n == TDAX_HMEM_MAX_RANGES) {
			pr_err("tdax_hmem: ranges: at most %d ranges\n", TDAX_HMEM_MAX_RANGES);
			rc = -E2BIG;
			break;
		}
		res.start = start;
		res.end = start + size - 1;
		mri.target_node = phys_to_target_node(start);
		pdev = platform_device_register_resndata(NULL, "tdax_range", n,
							 &res, 1, &mri, sizeof(mri));
		if (IS_ERR(pdev)) {
			rc = PTR_ERR(pdev);
			pr_err("tdax_hmem: ranges: cannot add %#llx-%#llx: %d\n",
			       start, start + size - 1, rc);
			break;
		}
		tdax_range_pdevs[n++] = pdev;
		if (!pdev->dev.driver)
			pr_warn("tdax_hmem: range %#llx-%#llx did not bind (see messages above)\n",
				start, start + size - 1);
	}
	kfree(buf);
	return rc;
}

static int __init tdax_hmem_init(void)
{
	int rc;

	rc = platform_driver_register(&tdax_hmem_driver);
	if (rc)
		return rc;
	rc = tdax_hmem_add_ranges();
	if (rc) {
		tdax_hmem_del_ranges();
		platform_driver_unregister(&tdax_hmem_driver);
	}
	return rc;
}

static void __exit tdax_hmem_exit(void)
{
	tdax_hmem_del_ranges();
	platform_driver_unregister(&tdax_hmem_driver);
}

module_init(tdax_hmem_init);
module_exit(tdax_hmem_exit);
MODULE_DESCRIPTION("tdax: regions from soft-reserved (hmem.N) memory and explicit ranges");
MODULE_LICENSE("GPL");
