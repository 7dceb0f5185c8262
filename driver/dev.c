// SPDX-License-Identifier: GPL-2.0-only
/*
 * dev.c - tdax bus devices (tdaxR.N): creation, physical ranges, sysfs.
 *
 * A device owns one or more physical ranges carved out of its region's
 * private resource tree.  Its size, align and fault_policy change only
 * while no driver is bound (like upstream's sysfs-bus-dax ABI).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/xarray.h>
#include <linux/mm.h>
#include <linux/memremap.h>
#include <linux/ktime.h>
#include "tdax_private.h"
#include "tdax_core.h"
#include "tdax_trace.h"

#define TDAX_MINORS	(1U << 20)

static dev_t tdax_devt;
static DEFINE_IDA(tdax_minor_ida);
static DEFINE_XARRAY(tdax_devs_by_minor);

static const char * const tdax_policy_names[] = {
#define TDAX_X_NAME(name, val, str) [val] = str,
	TDAX_FAULT_POLICIES(TDAX_X_NAME)
#undef TDAX_X_NAME
};

int tdax_devt_init(void)
{
	return alloc_chrdev_region(&tdax_devt, 0, TDAX_MINORS, "tdax");
}

void tdax_devt_exit(void)
{
	unregister_chrdev_region(tdax_devt, TDAX_MINORS);
	ida_destroy(&tdax_minor_ida);
}

/**
 * tdax_dev_size() - current size of a device in bytes
 * @tdev: the device
 */
u64 tdax_dev_size(struct tdax_dev *tdev)
{
	u64 size = 0;
	int i;

	for (i = 0; i < tdev->nr_range; i++)
		size += range_len(&tdev->ranges[i].range);
	return size;
}
EXPORT_SYMBOL_GPL(tdax_dev_size);

/**
 * tdax_pgoff_to_phys() - physical address of a device file offset
 * @tdev: the device
 * @pgoff: file offset in pages
 * @size: bytes that must be physically contiguous from there
 *
 * Return: the physical address, or PHYS_ADDR_MAX when @pgoff is beyond
 * the device or [pgoff, pgoff + size) crosses the end of a range.  The
 * caller checks the alignment: this never rounds.
 */
phys_addr_t tdax_pgoff_to_phys(struct tdax_dev *tdev, pgoff_t pgoff,
			       unsigned long size)
{
	int i;

	for (i = 0; i < tdev->nr_range; i++) {
		struct tdax_range *r = &tdev->ranges[i];
		u64 pages = range_len(&r->range) >> PAGE_SHIFT;
		phys_addr_t phys;

		if (pgoff < r->pgoff || pgoff - r->pgoff >= pages)
			continue;
		phys = r->range.start + ((u64)(pgoff - r->pgoff) << PAGE_SHIFT);
		if (phys + size - 1 > r->range.end)
			return PHYS_ADDR_MAX;
		return phys;
	}
	return PHYS_ADDR_MAX;
}
EXPORT_SYMBOL_GPL(tdax_pgoff_to_phys);

/**
 * tdax_dev_get_by_devt() - find a device by char device number
 * @devt: device number of /dev/tdaxR.N
 *
 * Return: the device with a reference (tdax_dev_put()), or NULL.
 */
struct tdax_dev *tdax_dev_get_by_devt(dev_t devt)
{
	struct tdax_dev *tdev;

	if (MAJOR(devt) != MAJOR(tdax_devt))
		return NULL;
	xa_lock(&tdax_devs_by_minor);
	tdev = xa_load(&tdax_devs_by_minor, MINOR(devt));
	if (tdev)
		get_device(&tdev->dev);
	xa_unlock(&tdax_devs_by_minor);
	return tdev;
}
EXPORT_SYMBOL_GPL(tdax_dev_get_by_devt);

/**
 * tdax_dev_get_by_name() - find a device by name
 * @name: "tdaxR.N"
 *
 * Return: the device with a reference (tdax_dev_put()), or NULL.
 */
struct tdax_dev *tdax_dev_get_by_name(const char *name)
{
	struct device *dev = bus_find_device_by_name(&tdax_bus_type, NULL, name);

	return dev ? to_tdax_dev(dev) : NULL;
}
EXPORT_SYMBOL_GPL(tdax_dev_get_by_name);

/**
 * tdax_dev_put() - drop a reference from tdax_dev_get_by_devt()
 * @tdev: the device
 */
void tdax_dev_put(struct tdax_dev *tdev)
{
	put_device(&tdev->dev);
}
EXPORT_SYMBOL_GPL(tdax_dev_put);

/*
 * Default data-access operations: the memory is in the direct map while
 * bound.  Called under the caller's tdax_read_lock() with the device
 * alive, so the ranges are stable; the pgmap pairs with the driver's
 * smp_store_release() before tdax_run().
 */
static long tdax_dev_direct_access(struct tdax_dax *dax, pgoff_t pgoff,
				   long nr_pages, void **kaddr, tdax_pfn_t *pfn)
{
	struct tdax_dev *tdev = tdax_get_private(dax);
	phys_addr_t phys;
	long avail = 0;
	int i;

	if (!tdev || !smp_load_acquire(&tdev->pgmap))
		return -ENXIO;
	phys = tdax_pgoff_to_phys(tdev, pgoff, PAGE_SIZE);
	if (phys == PHYS_ADDR_MAX)
		return -ERANGE;
	for (i = 0; i < tdev->nr_range; i++) {
		struct tdax_range *r = &tdev->ranges[i];

		if (phys >= r->range.start && phys <= r->range.end) {
			avail = (r->range.end + 1 - phys) >> PAGE_SHIFT;
			break;
		}
	}
	if (kaddr)
		*kaddr = __va(phys);
	if (pfn)
		*pfn = tdax_phys_to_pfn_t(phys);
	return min(avail, nr_pages);
}

static int tdax_dev_zero_page_range(struct tdax_dax *dax, pgoff_t pgoff,
				    size_t nr_pages)
{
	while (nr_pages) {
		void *kaddr;
		long n = tdax_dev_direct_access(dax, pgoff, nr_pages, &kaddr, NULL);

		if (n <= 0)
			return n ? n : -EIO;
		memset(kaddr, 0, n << PAGE_SHIFT);
		pgoff += n;
		nr_pages -= n;
	}
	return 0;
}

static const struct tdax_operations tdax_dev_ops = {
	.direct_access = tdax_dev_direct_access,
	.zero_page_range = tdax_dev_zero_page_range,
};

static void tdax_dev_trace(struct tdax_dev *tdev, bool destroy)
{
	struct tdax_dev_rec rec = {
		.size = tdax_dev_size(tdev),
		.align = tdev->align,
		.dev = tdev->dev.devt,
		.region_id = tdev->region->id,
		.instance = tdev->instance,
		.region_instance = tdev->region->instance,
	};

	strscpy(rec.name, dev_name(&tdev->dev), sizeof(rec.name));
	if (destroy) {
		rec.lifetime_ns = ktime_get_ns() - tdev->created_ns;
		trace_tdax_dev_destroy(&rec);
	} else {
		trace_tdax_dev_create(&rec);
	}
}

/* Region space not claimed by any device; tdax_lock held. */
u64 tdax_region_avail(struct tdax_region *region)
{
	u64 used = 0;
	struct resource *res;

	for (res = region->res.child; res; res = res->sibling)
		used += resource_size(res);
	return resource_size(&region->res) - used;
}

static int tdax_dev_add_range(struct tdax_dev *tdev, u64 start, u64 len)
{
	struct tdax_region *region = tdev->region;
	struct tdax_range *ranges;
	struct resource *res;

	ranges = krealloc(tdev->ranges, sizeof(*ranges) * (tdev->nr_range + 1),
			  GFP_KERNEL);
	if (!ranges)
		return -ENOMEM;
	tdev->ranges = ranges;
	res = __request_region(&region->res, start, len, dev_name(&tdev->dev), 0);
	if (!res)
		return -EBUSY;
	ranges[tdev->nr_range] = (struct tdax_range) {
		.pgoff = tdax_dev_size(tdev) >> PAGE_SHIFT,
		.range = { .start = start, .end = start + len - 1 },
		.res = res,
	};
	tdev->nr_range++;
	return 0;
}

/* Grow by @need bytes (a multiple of the granule); tdax_lock held. */
static int tdax_dev_grow(struct tdax_dev *tdev, u64 need, u64 gran)
{
	struct tdax_region *region = tdev->region;
	int rc;

	while (need) {
		struct resource *res;
		u64 pos = region->res.start, found = 0, start = 0;

		if (tdev->nr_range) {
			struct tdax_range *last = &tdev->ranges[tdev->nr_range - 1];
			u64 gap_end;

			res = last->res;
			gap_end = res->sibling ? res->sibling->start : region->res.end + 1;
			if (gap_end > res->end + 1) {
				u64 ext = min(gap_end - (res->end + 1), need);

				ext = ALIGN_DOWN(ext, gran);
				if (ext) {
					rc = adjust_resource(res, res->start,
							     resource_size(res) + ext);
					if (rc)
						return rc;
					last->range.end += ext;
					need -= ext;
					continue;
				}
			}
		}
		/* first fit among the gaps of the region */
		for (res = region->res.child; ; res = res->sibling) {
			u64 gap_end = res ? res->start : region->res.end + 1;

			start = ALIGN(pos, max_t(u64, gran, tdev->align));
			if (gap_end > start) {
				found = ALIGN_DOWN(min(gap_end - start, need), gran);
				if (found)
					break;
			}
			if (!res)
				break;
			pos = res->end + 1;
		}
		if (!found)
			return -ENOSPC;
		rc = tdax_dev_add_range(tdev, start, found);
		if (rc)
			return rc;
		need -= found;
	}
	return 0;
}

static void tdax_dev_shrink(struct tdax_dev *tdev, u64 remove)
{
	struct tdax_region *region = tdev->region;

	while (remove && tdev->nr_range) {
		struct tdax_range *last = &tdev->ranges[tdev->nr_range - 1];
		u64 len = range_len(&last->range);

		if (len <= remove) {
			__release_region(&region->res, last->range.start, len);
			tdev->nr_range--;
			remove -= len;
		} else {
			adjust_resource(last->res, last->range.start, len - remove);
			last->range.end -= remove;
			remove = 0;
		}
	}
	if (!tdev->nr_range) {
		kfree(tdev->ranges);
		tdev->ranges = NULL;
	}
}

/**
 * tdax_dev_resize() - change the size of an unbound device
 * @tdev: the device; caller holds its device lock and no driver is bound
 * @size: new size in bytes
 *
 * Return: 0, -EINVAL (not a multiple of the granule), -ENOSPC (more than
 * the region has available).
 */
int tdax_dev_resize(struct tdax_dev *tdev, u64 size)
{
	struct tdax_region *region = tdev->region;
	u64 gran = max_t(u64, region->align, tdev->align);
	u64 cur;
	int rc = 0;

	if (!IS_ALIGNED(size, gran)) {
		dev_err_ratelimited(&tdev->dev,
				    "size 0x%llx is not a multiple of 0x%llx (region and device alignment)\n",
				    size, gran);
		return -EINVAL;
	}
	mutex_lock(&tdax_lock);
	cur = tdax_dev_size(tdev);
	if (size > cur) {
		u64 avail = tdax_region_avail(region);

		if (size - cur > avail) {
			dev_err_ratelimited(&tdev->dev,
					    "size 0x%llx: needs 0x%llx more but region%d has 0x%llx available\n",
					    size, size - cur, region->id, avail);
			rc = -ENOSPC;
		} else {
			rc = tdax_dev_grow(tdev, size - cur, gran);
			if (rc) {
				dev_err_ratelimited(&tdev->dev,
						    "size 0x%llx: no free space aligned to 0x%lx (%d)\n",
						    size, tdev->align, rc);
				tdax_dev_shrink(tdev, tdax_dev_size(tdev) - cur);
			}
		}
	} else if (size < cur) {
		tdax_dev_shrink(tdev, cur - size);
	}
	mutex_unlock(&tdax_lock);
	return rc;
}

/* Lock the device and refuse when a driver is bound; returns 0 locked. */
static int tdax_dev_lock_unbound(struct tdax_dev *tdev, const char *attr)
{
	device_lock(&tdev->dev);
	if (tdev->dev.driver) {
		device_unlock(&tdev->dev);
		dev_err_ratelimited(&tdev->dev,
				    "%s: device is bound to %s, unbind it first\n",
				    attr, tdev->dev.driver->name);
		return -EBUSY;
	}
	if (tdev->deleting) {
		device_unlock(&tdev->dev);
		dev_err_ratelimited(&tdev->dev, "%s: device is being deleted\n", attr);
		return -ENXIO;
	}
	return 0;
}

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct tdax_dev *tdev = to_tdax_dev(dev);
	u64 size;

	mutex_lock(&tdax_lock);
	size = tdax_dev_size(tdev);
	mutex_unlock(&tdax_lock);
	return sysfs_emit(buf, "%llu\n", size);
}

static ssize_t size_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t len)
{
	struct tdax_dev *tdev = to_tdax_dev(dev);
	u64 val;
	int rc;

	rc = kstrtou64(buf, 0, &val);
	if (rc) {
		dev_err_ratelimited(dev, "size: '%.*s' is not a number\n",
				    (int)min_t(size_t, len, 32), buf);
		return rc;
	}
	rc = tdax_dev_lock_unbound(tdev, "size");
	if (rc)
		return rc;
	if (tdev->mode == TDAX_MODE_KEPT) {
		device_unlock(dev);
		dev_err_ratelimited(dev, "size: memory of the device is still online (system-ram-kept): bind tdax_kmem and unbind it again first\n");
		return -EBUSY;
	}
	rc = tdax_dev_resize(tdev, val);
	if (!rc)
		tdax_mappings_sync(tdev);
	device_unlock(dev);
	return rc ? rc : len;
}
static DEVICE_ATTR_RW(size);

static ssize_t align_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%lu\n", to_tdax_dev(dev)->align);
}

static ssize_t align_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t len)
{
	struct tdax_dev *tdev = to_tdax_dev(dev);
	unsigned long val;
	int rc, i;

	rc = kstrtoul(buf, 0, &val);
	if (rc) {
		dev_err_ratelimited(dev, "align: '%.*s' is not a number\n",
				    (int)min_t(size_t, len, 32), buf);
		return rc;
	}
	if (!is_power_of_2(val)) {
		dev_err_ratelimited(dev, "align: 0x%lx is not a power of two\n", val);
		return -EINVAL;
	}
	if (!tdax_align_supported(val)) {
		dev_err_ratelimited(dev, "align: 0x%lx is not supported (4096, 2097152 or 1073741824)\n",
				    val);
		return -EINVAL;
	}
	rc = tdax_dev_lock_unbound(tdev, "align");
	if (rc)
		return rc;
	mutex_lock(&tdax_lock);
	for (i = 0; i < tdev->nr_range; i++) {
		struct range *r = &tdev->ranges[i].range;

		if (!IS_ALIGNED(r->start, val) || !IS_ALIGNED(range_len(r), val)) {
			dev_err_ratelimited(dev,
					    "align: range %#llx-%#llx is not aligned to 0x%lx\n",
					    r->start, r->end, val);
			rc = -EINVAL;
			break;
		}
	}
	if (!rc)
		tdev->align = val;
	mutex_unlock(&tdax_lock);
	device_unlock(dev);
	return rc ? rc : len;
}
static DEVICE_ATTR_RW(align);

static ssize_t fault_policy_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", tdax_policy_names[to_tdax_dev(dev)->policy]);
}

static ssize_t fault_policy_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t len)
{
	struct tdax_dev *tdev = to_tdax_dev(dev);
	int policy, rc;

	policy = sysfs_match_string(tdax_policy_names, buf);
	if (policy < 0) {
		dev_err_ratelimited(dev, "fault_policy: unknown policy '%.*s' (strict or fallback)\n",
				    (int)min_t(size_t, strcspn(buf, "\n"), 32), buf);
		return -EINVAL;
	}
	rc = tdax_dev_lock_unbound(tdev, "fault_policy");
	if (rc)
		return rc;
	tdev->policy = policy;
	device_unlock(dev);
	return len;
}
static DEVICE_ATTR_RW(fault_policy);

/*
 * fault_around: how many 4K pages one 4K fault maps (1 = off, the default
 * and upstream's behaviour); a power of two up to TDAX_FAULT_AROUND_MAX.
 * Written while unbound, like align: the fault path reads it inside the
 * binding's read section.
 */
static ssize_t fault_around_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", to_tdax_dev(dev)->fault_around);
}

static ssize_t fault_around_store(struct device *dev,
				  struct device_attribute *attr,
				  const char *buf, size_t len)
{
	struct tdax_dev *tdev = to_tdax_dev(dev);
	unsigned int val;
	int rc;

	rc = kstrtouint(buf, 0, &val);
	if (rc) {
		dev_err_ratelimited(dev, "fault_around: '%.*s' is not a number of pages\n",
				    (int)min_t(size_t, strcspn(buf, "\n"), 32), buf);
		return rc;
	}
	if (!val || !is_power_of_2(val) || val > TDAX_FAULT_AROUND_MAX) {
		dev_err_ratelimited(dev, "fault_around: %u is not a power of two from 1 to %u\n",
				    val, TDAX_FAULT_AROUND_MAX);
		return -EINVAL;
	}
	rc = tdax_dev_lock_unbound(tdev, "fault_around");
	if (rc)
		return rc;
	tdev->fault_around = val;
	device_unlock(dev);
	return len;
}
static DEVICE_ATTR_RW(fault_around);

static ssize_t resource_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct tdax_dev *tdev = to_tdax_dev(dev);
	u64 start;

	mutex_lock(&tdax_lock);
	start = tdev->nr_range ? tdev->ranges[0].range.start
			       : tdev->region->res.start;
	mutex_unlock(&tdax_lock);
	return sysfs_emit(buf, "%#llx\n", start);
}
/* physical addresses: root only, as upstream */
static DEVICE_ATTR_ADMIN_RO(resource);

/* One line per physical range: "start-end page_offset" (hex). */
static ssize_t mappings_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	struct tdax_dev *tdev = to_tdax_dev(dev);
	ssize_t n = 0;
	int i;

	mutex_lock(&tdax_lock);
	for (i = 0; i < tdev->nr_range; i++)
		n += sysfs_emit_at(buf, n, "%#llx-%#llx %#lx\n",
				   tdev->ranges[i].range.start,
				   tdev->ranges[i].range.end,
				   tdev->ranges[i].pgoff);
	mutex_unlock(&tdax_lock);
	return n;
}
static DEVICE_ATTR_ADMIN_RO(mappings);

static ssize_t numa_node_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%d\n", dev_to_node(dev));
}
static DEVICE_ATTR_RO(numa_node);

static ssize_t target_node_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_tdax_dev(dev)->target_node);
}
static DEVICE_ATTR_RO(target_node);

/* the instance id every tdax event of the device carries (never reused) */
static ssize_t instance_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_tdax_dev(dev)->instance);
}
static DEVICE_ATTR_RO(instance);

static ssize_t modalias_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "tdax:t0\n");
}
static DEVICE_ATTR_RO(modalias);

/* 0 when the flush is asynchronous (virtio-pmem): MAP_SYNC is refused */
static ssize_t synchronous_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", !to_tdax_dev(dev)->region->async_flush);
}
static DEVICE_ATTR_RO(synchronous);

static const char * const tdax_mode_names[] = {
#define TDAX_X_NAME(name, val, str) [val] = str,
	TDAX_MODES(TDAX_X_NAME)
#undef TDAX_X_NAME
};

/* devdax, system-ram, system-ram-kept or unbound (include/tdax_abi.h) */
static ssize_t mode_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	unsigned int mode = READ_ONCE(to_tdax_dev(dev)->mode);

	return sysfs_emit(buf, "%s\n", mode < TDAX_MODE_NR ? tdax_mode_names[mode] : "?");
}
static DEVICE_ATTR_RO(mode);

static ssize_t memmap_on_memory_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_tdax_dev(dev)->memmap_on_memory);
}

static ssize_t memmap_on_memory_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t len)
{
	struct tdax_dev *tdev = to_tdax_dev(dev);
	bool val;
	int rc;

	rc = kstrtobool(buf, &val);
	if (rc) {
		dev_err_ratelimited(dev, "memmap_on_memory: '%.*s' is not a boolean\n",
				    (int)min_t(size_t, strcspn(buf, "\n"), 32), buf);
		return rc;
	}
	rc = tdax_dev_lock_unbound(tdev, "memmap_on_memory");
	if (rc)
		return rc;
	tdev->memmap_on_memory = val;
	device_unlock(dev);
	return len;
}
static DEVICE_ATTR_RW(memmap_on_memory);

static struct attribute *tdax_dev_attrs[] = {
	&dev_attr_synchronous.attr,
	&dev_attr_size.attr,
	&dev_attr_align.attr,
	&dev_attr_fault_policy.attr,
	&dev_attr_fault_around.attr,
	&dev_attr_resource.attr,
	&dev_attr_mappings.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_target_node.attr,
	&dev_attr_instance.attr,
	&dev_attr_modalias.attr,
	&dev_attr_mode.attr,
	&dev_attr_memmap_on_memory.attr,
	NULL,
};

static const struct attribute_group tdax_dev_group = {
	.attrs = tdax_dev_attrs,
};

static const struct attribute_group *tdax_dev_groups[] = {
	&tdax_dev_group,
	NULL,
};

static void tdax_dev_release(struct device *dev)
{
	struct tdax_dev *tdev = to_tdax_dev(dev);
	struct tdax_region *region = tdev->region;

	if (tdev->nr_range) {
		mutex_lock(&tdax_lock);
		tdax_dev_shrink(tdev, tdax_dev_size(tdev));
		mutex_unlock(&tdax_lock);
	}
	kfree(tdev->ranges);
	tdax_put(tdev->dax);
	ida_free(&tdax_minor_ida, MINOR(dev->devt));
	ida_free(&region->dev_ida, tdev->id);
	tdax_region_put(region);
	kfree(tdev);
}

const struct device_type tdax_dev_type = {
	.name = "tdax",
	.groups = tdax_dev_groups,
	.release = tdax_dev_release,
};

/**
 * tdax_dev_create_locked() - make a device tdaxR.N and register it
 * @region: the region; caller holds region->lock
 * @size: initial size in bytes, a multiple of the region's alignment (0
 *	for a seed device to be sized later)
 *
 * The device goes on the region's list only once it is fully registered
 * (device_add, mappingK objects, ready to match), so nothing that walks
 * the list (delete, seed, teardown) ever sees a half-made device.  The
 * default driver binds it at once when @size is not 0.
 *
 * Return: the device or ERR_PTR(): -ENXIO once the region is being torn
 * down, -EINVAL for an unaligned @size, -ENOSPC beyond the free space.
 */
struct tdax_dev *tdax_dev_create_locked(struct tdax_region *region, u64 size)
{
	struct tdax_dev *tdev;
	struct device *dev;
	int rc, minor;

	lockdep_assert_held(&region->lock);
	if (region->dead)
		return ERR_PTR(-ENXIO);
	if (!IS_ALIGNED(size, region->align)) {
		dev_err_ratelimited(region->dev,
				    "tdax: device size 0x%llx is not a multiple of region%d's alignment 0x%lx\n",
				    size, region->id, region->align);
		return ERR_PTR(-EINVAL);
	}
	tdev = kzalloc(sizeof(*tdev), GFP_KERNEL);
	if (!tdev)
		return ERR_PTR(-ENOMEM);
	tdev->id = ida_alloc(&region->dev_ida, GFP_KERNEL);
	if (tdev->id < 0) {
		rc = tdev->id;
		kfree(tdev);
		return ERR_PTR(rc);
	}
	minor = ida_alloc_max(&tdax_minor_ida, TDAX_MINORS - 1, GFP_KERNEL);
	if (minor < 0) {
		ida_free(&region->dev_ida, tdev->id);
		kfree(tdev);
		return ERR_PTR(minor);
	}
	tdax_region_get(region);
	tdev->region = region;
	tdev->align = region->dev_align ? region->dev_align : region->align;
	tdev->policy = region->dev_policy;
	tdev->fault_around = 1;
	tdev->target_node = region->target_node;
	tdev->created_ns = ktime_get_ns();
	tdev->instance = tdax_next_instance();
	INIT_LIST_HEAD(&tdev->list);
	INIT_LIST_HEAD(&tdev->mappings);

	dev = &tdev->dev;
	device_initialize(dev);
	dev->parent = region->dev;
	dev->bus = &tdax_bus_type;
	dev->type = &tdax_dev_type;
	dev->devt = MKDEV(MAJOR(tdax_devt), minor);
	set_dev_node(dev, dev_to_node(region->dev));
	rc = dev_set_name(dev, "tdax%d.%d", region->id, tdev->id);
	if (rc)
		goto err_put;

	tdev->dax = tdax_alloc(tdev, region->ops ? region->ops : &tdax_dev_ops,
			       dev->devt);
	if (IS_ERR(tdev->dax)) {
		rc = PTR_ERR(tdev->dax);
		tdev->dax = NULL;
		goto err_put;
	}

	mutex_lock(&tdax_lock);
	if (size > tdax_region_avail(region))
		rc = -ENOSPC;
	else
		rc = size ? tdax_dev_grow(tdev, size, region->align) : 0;
	mutex_unlock(&tdax_lock);
	if (rc) {
		dev_err_ratelimited(region->dev,
				    "tdax: no room for a device of 0x%llx in region%d (%d)\n",
				    size, region->id, rc);
		goto err_put;	/* the release frees what grow took */
	}

	rc = xa_err(xa_store(&tdax_devs_by_minor, minor, tdev, GFP_KERNEL));
	if (rc)
		goto err_put;
	tdax_dev_trace(tdev, false);
	/* no driver matches until the mappingK objects exist (ready) */
	rc = device_add(dev);
	if (rc) {
		tdax_dev_trace(tdev, true);
		xa_erase(&tdax_devs_by_minor, minor);
		goto err_put;
	}
	device_lock(dev);
	tdax_mappings_sync(tdev);
	WRITE_ONCE(tdev->ready, true);
	device_unlock(dev);
	/* fully registered: now it may be found */
	list_add_tail(&tdev->list, &region->devs);
	if (size && device_attach(dev) < 0)
		dev_warn(dev, "no driver could bind\n");
	return tdev;

err_put:
	put_device(dev);
	return ERR_PTR(rc);
}

/**
 * tdax_dev_create() - make a device tdaxR.N in a region and register it
 * @region: the region (a provider calls this from its probe, after
 *	devm_tdax_region_register())
 * @size: initial size in bytes, a multiple of the region's alignment (0
 *	for a seed device to be sized later)
 *
 * Takes region->lock; see tdax_dev_create_locked().
 * Return: the device or ERR_PTR().
 */
struct tdax_dev *tdax_dev_create(struct tdax_region *region, u64 size)
{
	struct tdax_dev *tdev;

	mutex_lock(&region->lock);
	tdev = tdax_dev_create_locked(region, size);
	mutex_unlock(&region->lock);
	return tdev;
}
EXPORT_SYMBOL_GPL(tdax_dev_create);

/**
 * tdax_dev_unregister_locked() - unbind, remove and drop a device
 * @tdev: a device on its region's list; caller holds region->lock and the
 *	reference the list holds is dropped here
 *
 * The device leaves the list before anything is torn down, so nothing can
 * find it from then on.  device_del() unbinds the driver (whose remove
 * kills the binding: every mapping SIGBUSes); the ranges go back to the
 * region after that.  Open files keep the structure (not the memory)
 * until they close.
 */
void tdax_dev_unregister_locked(struct tdax_dev *tdev)
{
	struct tdax_region *region = tdev->region;

	lockdep_assert_held(&region->lock);
	list_del_init(&tdev->list);
	if (region->youngest == tdev)
		region->youngest = NULL;
	device_lock(&tdev->dev);
	tdev->deleting = true;	/* no bind, no size change from here on */
	tdax_mappings_clear(tdev);
	device_unlock(&tdev->dev);
	xa_erase(&tdax_devs_by_minor, MINOR(tdev->dev.devt));
	device_del(&tdev->dev);
	tdax_dev_trace(tdev, true);
	mutex_lock(&tdax_lock);
	tdax_dev_shrink(tdev, tdax_dev_size(tdev));
	mutex_unlock(&tdax_lock);
	put_device(&tdev->dev);
}
