// SPDX-License-Identifier: GPL-2.0-only
/*
 * pmem.c - tdax_pmem.ko: regions from libnvdimm pmem namespaces, with the
 * cache maintenance persistent memory needs.
 *
 * A libnvdimm namespace driver (like nd_pmem and dax_pmem) for raw (io and
 * pmem) namespaces: ACPI NFIT NVDIMMs, legacy e820 pmem (memmap=SIZE!OFF,
 * nd_e820) and virtio-pmem.  Bind one away from nd_pmem:
 *
 *   echo namespace3.0 > /sys/bus/nd/drivers/nd_pmem/unbind
 *   echo namespace3.0 > /sys/bus/nd/drivers/tdax_pmem/bind
 *
 * Namespace layout (docs/pmem.md):
 *
 *   [start, ALIGN(start, 2M))            unused head (unaligned namespaces)
 *   [data, info)                         region R, device tdaxR.0
 *   [info, info + 2M)                    reserved; its first 4K is the
 *                                        info block (struct tdax_pmem_info)
 *
 * with info = ALIGN_DOWN(end, 2M) - 2M.  Keeping the data at the start
 * keeps it as aligned as the namespace (a QEMU NVDIMM is 1G-aligned), and
 * the first 4K stays clear of the pfn/dax/btt signatures nd_pmem probes.
 *
 * The info block keeps the device's align and fault_policy and the
 * region's persistence_domain override; it is written when the namespace
 * is first bound (only if those 4K are zero: anything else is foreign and
 * refused) and whenever tdaxR.0 binds with a changed configuration.
 *
 * Persistence domain (tdax_region/persistence_domain): virtio_host for an
 * asynchronous region (virtio-pmem), cpu_cache when the region declares
 * flush-on-fail (no CPU cache on the way, nvdimm_has_cache() is false),
 * memory_controller otherwise (also when the platform declares nothing,
 * as QEMU's NFIT: CPU caches are then written back, as nd_pmem does).
 * Writing cpu_cache/memory_controller/auto overrides it (not on virtio).
 *
 * Lock order: device_lock(tdaxR.0) (bus notifier) before pmem->info_lock.
 */
#include <linux/module.h>
#include <linux/nd.h>
#include <linux/libnvdimm.h>
#include <linux/badblocks.h>
#include <linux/memremap.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <linux/crc32.h>
#include <linux/uio.h>
#include <linux/uaccess.h>
#include <linux/numa.h>
#include <linux/notifier.h>
#include "tdax_private.h"

/*
 * Exported by libnvdimm but declared in its private drivers/nvdimm/nd.h
 * (the prototypes of 5.10 and later, where the range became a struct range).
 */
struct nd_namespace_common *nvdimm_namespace_common_probe(struct device *dev);
void nvdimm_badblocks_populate(struct nd_region *nd_region,
			       struct badblocks *bb, const struct range *range);

#define TDAX_PMEM_RESERVE	SZ_2M
#define TDAX_PMEM_MAGIC		"TDAX_PMEM_INFO\0"	/* 16 bytes with the NUL */
#define TDAX_PMEM_MAJOR		1
#define TDAX_PMEM_MINOR		0

/* override values kept in the info block */
enum {
	TDAX_PMEM_PD_AUTO = 0,
	TDAX_PMEM_PD_MEMCTRL = 1,
	TDAX_PMEM_PD_CPU_CACHE = 2,
};

/**
 * struct tdax_pmem_info - the on-media info block (little-endian, 4096 bytes
 *	at namespace offset info; bytes past @csum are zero)
 * @magic: TDAX_PMEM_MAGIC
 * @major: layout version; a different major is refused
 * @minor: compatible additions
 * @hdr_size: bytes covered by @csum (offsetof(csum))
 * @ns_size: namespace size it was written for; another size is refused
 * @data_offset: namespace offset of the region
 * @data_size: bytes of the region
 * @align: alignment of tdaxR.0
 * @generation: incremented at each write
 * @fault_policy: enum tdax_fault_policy of tdaxR.0
 * @pd_override: TDAX_PMEM_PD_* (auto: what the platform declares)
 * @reserved: zero
 * @csum: crc32_le(~0) of the bytes before it
 */
struct tdax_pmem_info {
	char magic[16];
	__le16 major;
	__le16 minor;
	__le32 hdr_size;
	__le64 ns_size;
	__le64 data_offset;
	__le64 data_size;
	__le64 align;
	__le64 generation;
	__le32 fault_policy;
	__le32 pd_override;
	u8 reserved[52];
	__le32 csum;
} __packed;

static_assert(sizeof(struct tdax_pmem_info) == 128);

/**
 * struct tdax_pmem - one bound namespace
 * @dev: the namespace device
 * @nd_region: its libnvdimm region (flush, cache and sync properties)
 * @ns_start: physical start of the namespace
 * @ns_size: its size
 * @data: physical start of the tdax region
 * @data_size: size of the tdax region
 * @info_phys: physical address of the info block
 * @info: the info block, memremap'ed (write-back)
 * @bb: badblocks of the namespace, sectors relative to @ns_start
 * @hw_domain: persistence domain the platform declares (enum)
 * @cfg: the configuration last read or written (under @info_lock)
 * @info_lock: serialises info block writes
 * @region: the tdax region
 */
struct tdax_pmem {
	struct device *dev;
	struct nd_region *nd_region;
	phys_addr_t ns_start;
	u64 ns_size;
	phys_addr_t data;
	u64 data_size;
	phys_addr_t info_phys;
	void *info;
	struct badblocks bb;
	unsigned int hw_domain;
	struct tdax_pmem_info cfg;
	struct mutex info_lock;
	struct tdax_region *region;
};

static const char * const tdax_pd_names[] = {
#define TDAX_X_NAME(name, val, str) [val] = str,
	TDAX_PERSISTENCE_DOMAINS(TDAX_X_NAME)
#undef TDAX_X_NAME
};

static struct tdax_pmem *to_pmem(struct tdax_dev *tdev)
{
	return tdev->region->provider_data;
}

static unsigned int tdax_pmem_domain(struct tdax_pmem *pmem, u32 override)
{
	if (pmem->hw_domain == TDAX_PD_VIRTIO_HOST)
		return TDAX_PD_VIRTIO_HOST;
	if (override == TDAX_PMEM_PD_CPU_CACHE)
		return TDAX_PD_CPU_CACHE;
	if (override == TDAX_PMEM_PD_MEMCTRL)
		return TDAX_PD_MEMORY_CONTROLLER;
	return pmem->hw_domain;
}

static bool tdax_pmem_wb(struct tdax_dev *tdev)
{
	unsigned int d = READ_ONCE(tdev->region->persistence);

	return d == TDAX_PD_MEMORY_CONTROLLER || d == TDAX_PD_VIRTIO_HOST;
}

/* ---- dax operations ------------------------------------------------------ */

static long tdax_pmem_direct_access(struct tdax_dax *dax, pgoff_t pgoff,
				    long nr_pages, void **kaddr, tdax_pfn_t *pfn)
{
	struct tdax_dev *tdev = tdax_get_private(dax);
	struct tdax_pmem *pmem;
	phys_addr_t phys;
	long avail = 0;
	int i;

	if (!tdev || !tdev->pgmap)
		return -ENXIO;
	pmem = to_pmem(tdev);
	phys = tdax_pgoff_to_phys(tdev, pgoff, PAGE_SIZE);
	if (phys == PHYS_ADDR_MAX)
		return -ERANGE;
	for (i = 0; i < tdev->nr_range; i++) {
		struct range *r = &tdev->ranges[i].range;

		if (phys >= r->start && phys <= r->end) {
			avail = (r->end + 1 - phys) >> PAGE_SHIFT;
			break;
		}
	}
	avail = min(avail, nr_pages);
	if (avail && pmem->bb.count) {
		sector_t s = (phys - pmem->ns_start) >> SECTOR_SHIFT, first;
		int num;

		if (badblocks_check(&pmem->bb, s, avail << (PAGE_SHIFT - SECTOR_SHIFT),
				    &first, &num)) {
			/* only the pages before the first bad sector */
			if (first <= s)
				return -EHWPOISON;
			avail = (first - s) >> (PAGE_SHIFT - SECTOR_SHIFT);
			if (!avail)
				return -EHWPOISON;
		}
	}
	if (kaddr)
		*kaddr = __va(phys);
	if (pfn)
		*pfn = tdax_phys_to_pfn_t(phys);
	return avail;
}

static int tdax_pmem_zero_page_range(struct tdax_dax *dax, pgoff_t pgoff,
				     size_t nr_pages)
{
	struct tdax_dev *tdev = tdax_get_private(dax);

	while (nr_pages) {
		void *kaddr;
		long n = tdax_pmem_direct_access(dax, pgoff, nr_pages, &kaddr, NULL);

		if (n <= 0)
			return n ? n : -EIO;
		memset(kaddr, 0, n << PAGE_SHIFT);
		if (tdev && tdax_pmem_wb(tdev))
			arch_wb_cache_pmem(kaddr, n << PAGE_SHIFT);
		pgoff += n;
		nr_pages -= n;
	}
	return 0;
}

/* Non-temporal stores where the caches are not durable, plain ones where they are. */
static size_t tdax_pmem_copy_from_iter(struct tdax_dax *dax, pgoff_t pgoff,
				       void *addr, size_t bytes,
				       struct iov_iter *i)
{
	struct tdax_dev *tdev = tdax_get_private(dax);

	if (tdev && !tdax_pmem_wb(tdev))
		return _copy_from_iter(addr, bytes, i);
	return _copy_from_iter_flushcache(addr, bytes, i);
}

/* A machine check on poisoned media ends the copy short instead of the kernel. */
static size_t tdax_pmem_copy_to_iter(struct tdax_dax *dax, pgoff_t pgoff,
				     void *addr, size_t bytes,
				     struct iov_iter *i)
{
	return _copy_mc_to_iter(addr, bytes, i);
}

/*
 * Write back the CPU caches over the range (memory_controller, virtio_host)
 * and flush the region (write-pending queues; virtio-pmem: a request to
 * the host, waited for).  Nothing to do for cpu_cache.
 */
static int tdax_pmem_flush(struct tdax_dax *dax, pgoff_t pgoff, size_t bytes)
{
	struct tdax_dev *tdev = tdax_get_private(dax);
	size_t left = bytes;

	if (!tdev)
		return -ENXIO;
	if (!tdax_pmem_wb(tdev))
		return 0;
	while (left) {
		void *kaddr;
		long n = tdax_pmem_direct_access(dax, pgoff, PFN_UP(left), &kaddr, NULL);
		size_t len;

		if (n == -EHWPOISON) {
			/* poisoned lines hold nothing to write back */
			pgoff++;
			left -= min_t(size_t, left, PAGE_SIZE);
			continue;
		}
		if (n <= 0)
			return n ? n : -EIO;
		len = min_t(size_t, left, (size_t)n << PAGE_SHIFT);
		arch_wb_cache_pmem(kaddr, len);
		pgoff += n;
		left -= len;
	}
	return nvdimm_flush(to_pmem(tdev)->nd_region, NULL);
}

static const struct tdax_operations tdax_pmem_ops = {
	.direct_access = tdax_pmem_direct_access,
	.zero_page_range = tdax_pmem_zero_page_range,
	.copy_from_iter = tdax_pmem_copy_from_iter,
	.copy_to_iter = tdax_pmem_copy_to_iter,
	.flush = tdax_pmem_flush,
};

/* ---- the info block ------------------------------------------------------ */

static u32 tdax_pmem_csum(const struct tdax_pmem_info *b)
{
	return crc32_le(~0, (const u8 *)b, offsetof(struct tdax_pmem_info, csum));
}

static bool tdax_pmem_blank(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/* Write @cfg (a new generation of it) to the media and make it durable. */
static int tdax_pmem_info_write(struct tdax_pmem *pmem, struct tdax_pmem_info *cfg)
{
	int rc;

	lockdep_assert_held(&pmem->info_lock);
	le64_add_cpu(&cfg->generation, 1);
	cfg->csum = cpu_to_le32(tdax_pmem_csum(cfg));
	memcpy(pmem->info, cfg, sizeof(*cfg));
	arch_wb_cache_pmem(pmem->info, sizeof(*cfg));
	rc = nvdimm_flush(pmem->nd_region, NULL);
	if (rc)
		dev_err(pmem->dev, "tdax_pmem: info block flush failed: %d\n", rc);
	else
		pmem->cfg = *cfg;
	return rc;
}

/*
 * Read and check the info block.  Blank (4K of zeros): a new layout,
 * written now.  Anything that is not a valid block of ours for this
 * namespace is refused and left untouched.
 */
static int tdax_pmem_info_load(struct tdax_pmem *pmem)
{
	struct tdax_pmem_info b;
	struct device *dev = pmem->dev;
	u64 off = pmem->info_phys - pmem->ns_start;
	int rc;

	if (tdax_pmem_blank(pmem->info, SZ_4K)) {
		memset(&b, 0, sizeof(b));
		memcpy(b.magic, TDAX_PMEM_MAGIC, sizeof(b.magic));
		b.major = cpu_to_le16(TDAX_PMEM_MAJOR);
		b.minor = cpu_to_le16(TDAX_PMEM_MINOR);
		b.hdr_size = cpu_to_le32(offsetof(struct tdax_pmem_info, csum));
		b.ns_size = cpu_to_le64(pmem->ns_size);
		b.data_offset = cpu_to_le64(pmem->data - pmem->ns_start);
		b.data_size = cpu_to_le64(pmem->data_size);
		b.align = cpu_to_le64(TDAX_SIZE_2M);
		b.fault_policy = cpu_to_le32(TDAX_FP_STRICT);
		b.pd_override = cpu_to_le32(TDAX_PMEM_PD_AUTO);
		mutex_lock(&pmem->info_lock);
		rc = tdax_pmem_info_write(pmem, &b);
		mutex_unlock(&pmem->info_lock);
		if (!rc)
			dev_info(dev, "tdax_pmem: new info block at offset %#llx (data %#llx+%#llx)\n",
				 off, pmem->data - pmem->ns_start, pmem->data_size);
		return rc;
	}
	memcpy(&b, pmem->info, sizeof(b));
	if (memcmp(b.magic, TDAX_PMEM_MAGIC, sizeof(b.magic))) {
		dev_err(dev, "tdax_pmem: offset %#llx holds foreign data, not a tdax info block: refusing the namespace (not overwritten; zero those 4K to reuse it, see docs/pmem.md)\n",
			off);
		return -EINVAL;
	}
	if (le32_to_cpu(b.csum) != tdax_pmem_csum(&b) ||
	    le32_to_cpu(b.hdr_size) != offsetof(struct tdax_pmem_info, csum)) {
		dev_err(dev, "tdax_pmem: info block at offset %#llx is corrupt (checksum %#x, computed %#x): refusing the namespace (not overwritten)\n",
			off, le32_to_cpu(b.csum), tdax_pmem_csum(&b));
		return -EINVAL;
	}
	if (le16_to_cpu(b.major) != TDAX_PMEM_MAJOR) {
		dev_err(dev, "tdax_pmem: info block version %u.%u is not supported (this driver: %u.x): refusing the namespace\n",
			le16_to_cpu(b.major), le16_to_cpu(b.minor), TDAX_PMEM_MAJOR);
		return -EINVAL;
	}
	if (le64_to_cpu(b.ns_size) != pmem->ns_size ||
	    le64_to_cpu(b.data_offset) != pmem->data - pmem->ns_start ||
	    le64_to_cpu(b.data_size) != pmem->data_size) {
		dev_err(dev, "tdax_pmem: info block describes another layout (namespace %#llx, data %#llx+%#llx; now %#llx, %#llx+%#llx): refusing the namespace\n",
			le64_to_cpu(b.ns_size), le64_to_cpu(b.data_offset),
			le64_to_cpu(b.data_size), pmem->ns_size,
			pmem->data - pmem->ns_start, pmem->data_size);
		return -EINVAL;
	}
	if (!tdax_align_supported(le64_to_cpu(b.align)) ||
	    le32_to_cpu(b.fault_policy) >= TDAX_FP_NR ||
	    le32_to_cpu(b.pd_override) > TDAX_PMEM_PD_CPU_CACHE) {
		dev_err(dev, "tdax_pmem: info block holds invalid settings (align %#llx, policy %u, persistence %u): refusing the namespace\n",
			le64_to_cpu(b.align), le32_to_cpu(b.fault_policy),
			le32_to_cpu(b.pd_override));
		return -EINVAL;
	}
	pmem->cfg = b;
	dev_info(dev, "tdax_pmem: restored align %#llx, fault_policy %u, persistence override %u (generation %llu)\n",
		 le64_to_cpu(b.align), le32_to_cpu(b.fault_policy),
		 le32_to_cpu(b.pd_override), le64_to_cpu(b.generation));
	return 0;
}

/* Save tdev's settings when they differ from the block's. */
static void tdax_pmem_save(struct tdax_pmem *pmem, struct tdax_dev *tdev)
{
	struct tdax_pmem_info b;

	mutex_lock(&pmem->info_lock);
	b = pmem->cfg;
	b.align = cpu_to_le64(tdev->align);
	b.fault_policy = cpu_to_le32(tdev->policy);
	if (memcmp(&b, &pmem->cfg, sizeof(b)))
		tdax_pmem_info_write(pmem, &b);
	mutex_unlock(&pmem->info_lock);
}

static int tdax_pmem_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct tdax_dev *tdev = to_tdax_dev(data);

	/* device_lock(tdev) is held: the region (and its pmem) is alive */
	if (action == BUS_NOTIFY_BOUND_DRIVER && tdev->region->ops == &tdax_pmem_ops &&
	    tdev->id == 0)
		tdax_pmem_save(to_pmem(tdev), tdev);
	return NOTIFY_DONE;
}

static struct notifier_block tdax_pmem_nb = {
	.notifier_call = tdax_pmem_notify,
};

/* ---- sysfs: tdax_region/persistence_domain ------------------------------ */

static ssize_t persistence_domain_show(struct device *dev,
				       struct device_attribute *attr, char *buf)
{
	struct tdax_region *region = dev_get_drvdata(dev);

	if (!region)
		return -ENXIO;
	return sysfs_emit(buf, "%s\n", tdax_pd_names[READ_ONCE(region->persistence)]);
}

static ssize_t persistence_domain_store(struct device *dev,
					struct device_attribute *attr,
					const char *buf, size_t len)
{
	static const char * const vals[] = {
		[TDAX_PMEM_PD_AUTO] = "auto",
		[TDAX_PMEM_PD_MEMCTRL] = "memory_controller",
		[TDAX_PMEM_PD_CPU_CACHE] = "cpu_cache",
	};
	struct tdax_region *region = dev_get_drvdata(dev);
	struct tdax_pmem *pmem;
	struct tdax_pmem_info b;
	int v, rc;

	if (!region)
		return -ENXIO;
	pmem = region->provider_data;
	v = sysfs_match_string(vals, buf);
	if (v < 0) {
		dev_err_ratelimited(dev, "persistence_domain: '%.*s' is not auto, memory_controller or cpu_cache\n",
				    (int)min_t(size_t, strcspn(buf, "\n"), 32), buf);
		return -EINVAL;
	}
	if (pmem->hw_domain == TDAX_PD_VIRTIO_HOST) {
		dev_err_ratelimited(dev, "persistence_domain: a virtio-pmem region always needs the host flush\n");
		return -EOPNOTSUPP;
	}
	mutex_lock(&pmem->info_lock);
	b = pmem->cfg;
	b.pd_override = cpu_to_le32(v);
	rc = memcmp(&b, &pmem->cfg, sizeof(b)) ? tdax_pmem_info_write(pmem, &b) : 0;
	if (!rc)
		WRITE_ONCE(region->persistence, tdax_pmem_domain(pmem, v));
	mutex_unlock(&pmem->info_lock);
	return rc ? rc : len;
}
static DEVICE_ATTR_RW(persistence_domain);

static void tdax_pmem_attr_del(void *dev)
{
	sysfs_remove_file_from_group(&((struct device *)dev)->kobj,
				     &dev_attr_persistence_domain.attr, "tdax_region");
}

/* ---- bind / unbind ----------------------------------------------------- */

static void tdax_pmem_unclaim(void *res)
{
	remove_resource(res);
	kfree(res);
}

static int tdax_pmem_probe(struct device *dev)
{
	struct nd_namespace_common *ndns;
	struct nd_namespace_io *nsio;
	struct tdax_region *region;
	struct tdax_pmem *pmem;
	struct tdax_dev *tdev;
	struct resource *claim;
	struct range range;
	u64 size, align;
	int rc;

	ndns = nvdimm_namespace_common_probe(dev);
	if (IS_ERR(ndns))
		return PTR_ERR(ndns);
	nsio = to_nd_namespace_io(&ndns->dev);

	pmem = devm_kzalloc(dev, sizeof(*pmem), GFP_KERNEL);
	if (!pmem)
		return -ENOMEM;
	mutex_init(&pmem->info_lock);
	pmem->dev = dev;
	pmem->nd_region = to_nd_region(dev->parent);
	pmem->ns_start = nsio->res.start;
	pmem->ns_size = resource_size(&nsio->res);
	pmem->data = ALIGN(pmem->ns_start, TDAX_SIZE_2M);
	pmem->info_phys = ALIGN_DOWN(pmem->ns_start + pmem->ns_size, TDAX_SIZE_2M) -
			  TDAX_PMEM_RESERVE;
	if (pmem->info_phys <= pmem->data ||
	    pmem->info_phys - pmem->data < TDAX_SIZE_2M) {
		dev_err(dev, "tdax_pmem: namespace %pr is too small (needs 2M of data plus a 2M info area, 2M-aligned)\n",
			&nsio->res);
		return -ENOSPC;
	}
	pmem->data_size = pmem->info_phys - pmem->data;

	if (!is_nvdimm_sync(pmem->nd_region))
		pmem->hw_domain = TDAX_PD_VIRTIO_HOST;
	else if (!nvdimm_has_cache(pmem->nd_region))
		pmem->hw_domain = TDAX_PD_CPU_CACHE;
	else
		pmem->hw_domain = TDAX_PD_MEMORY_CONTROLLER;

	/* the namespace's range, non-busy: tdax_device's requests nest inside */
	claim = kzalloc(sizeof(*claim), GFP_KERNEL);
	if (!claim)
		return -ENOMEM;
	*claim = (struct resource) {
		.name = "tdax_pmem",
		.start = pmem->ns_start,
		.end = pmem->ns_start + pmem->ns_size - 1,
		.flags = IORESOURCE_MEM,
	};
	if (insert_resource(&iomem_resource, claim)) {
		dev_err(dev, "tdax_pmem: %pr is in use\n", claim);
		kfree(claim);
		return -EBUSY;
	}
	rc = devm_add_action_or_reset(dev, tdax_pmem_unclaim, claim);
	if (rc)
		return rc;
	if (!devm_request_mem_region(dev, pmem->info_phys, TDAX_PMEM_RESERVE,
				     "tdax_pmem info")) {
		dev_err(dev, "tdax_pmem: info area at %pa is busy\n", &pmem->info_phys);
		return -EBUSY;
	}

	rc = devm_init_badblocks(dev, &pmem->bb);
	if (rc)
		return rc;
	range = (struct range) {
		.start = pmem->ns_start,
		.end = pmem->ns_start + pmem->ns_size - 1,
	};
	nvdimm_badblocks_populate(pmem->nd_region, &pmem->bb, &range);
	if (pmem->bb.count) {
		sector_t first;
		int num;

		dev_warn(dev, "tdax_pmem: namespace has %d bad block range(s): they are never mapped\n",
			 pmem->bb.count);
		if (badblocks_check(&pmem->bb,
				    (pmem->info_phys - pmem->ns_start) >> SECTOR_SHIFT,
				    SZ_4K >> SECTOR_SHIFT, &first, &num)) {
			dev_err(dev, "tdax_pmem: the info block is on a bad block: refusing the namespace\n");
			return -EIO;
		}
	}

	pmem->info = devm_memremap(dev, pmem->info_phys, SZ_4K, MEMREMAP_WB);
	if (IS_ERR(pmem->info))
		return PTR_ERR(pmem->info);
	rc = tdax_pmem_info_load(pmem);
	if (rc)
		return rc;

	range = (struct range) {
		.start = pmem->data,
		.end = pmem->data + pmem->data_size - 1,
	};
	region = devm_tdax_region_register(dev, -1, &range,
					   phys_to_target_node(pmem->data),
					   TDAX_SIZE_2M, dev_name(dev), THIS_MODULE);
	if (IS_ERR(region))
		return PTR_ERR(region);
	pmem->region = region;
	region->ops = &tdax_pmem_ops;
	region->provider_data = pmem;
	region->async_flush = pmem->hw_domain == TDAX_PD_VIRTIO_HOST;
	region->persistence = tdax_pmem_domain(pmem, le32_to_cpu(pmem->cfg.pd_override));
	align = le64_to_cpu(pmem->cfg.align);
	size = pmem->data_size;
	if (align > TDAX_SIZE_2M) {
		if (IS_ALIGNED(pmem->data, align) && size >= align) {
			size = ALIGN_DOWN(size, align);
		} else {
			dev_warn(dev, "tdax_pmem: saved align %#llx does not fit the data area %pa+%#llx: using 2M\n",
				 align, &pmem->data, size);
			align = TDAX_SIZE_2M;
		}
	}
	region->dev_align = align;
	region->dev_policy = le32_to_cpu(pmem->cfg.fault_policy);

	rc = sysfs_add_file_to_group(&dev->kobj, &dev_attr_persistence_domain.attr,
				     "tdax_region");
	if (rc)
		return rc;
	rc = devm_add_action_or_reset(dev, tdax_pmem_attr_del, dev);
	if (rc)
		return rc;

	dev_info(dev, "tdax_pmem: region%d %#llx-%#llx, persistence %s, %s\n",
		 region->id, range.start, range.end,
		 tdax_pd_names[region->persistence],
		 region->async_flush ? "asynchronous flush (no MAP_SYNC)" : "synchronous");
	tdev = tdax_dev_create(region, size);
	return PTR_ERR_OR_ZERO(tdev);
}

static struct nd_device_driver tdax_pmem_driver = {
	.probe = tdax_pmem_probe,
	.drv = {
		.name = "tdax_pmem",
	},
	.type = ND_DRIVER_NAMESPACE_IO | ND_DRIVER_NAMESPACE_PMEM,
};

static int __init tdax_pmem_init(void)
{
	int rc = tdax_bus_register_notifier(&tdax_pmem_nb);

	if (rc)
		return rc;
	rc = nd_driver_register(&tdax_pmem_driver);
	if (rc)
		tdax_bus_unregister_notifier(&tdax_pmem_nb);
	return rc;
}

static void __exit tdax_pmem_exit(void)
{
	driver_unregister(&tdax_pmem_driver.drv);
	tdax_bus_unregister_notifier(&tdax_pmem_nb);
}

module_init(tdax_pmem_init);
module_exit(tdax_pmem_exit);
MODULE_DESCRIPTION("tdax: regions from libnvdimm pmem namespaces, with cache maintenance");
MODULE_LICENSE("GPL");
