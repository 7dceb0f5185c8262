// SPDX-License-Identifier: GPL-2.0-only
/*
 * region.c - tdax regions: a provider's physical range, subdivided into
 * devices through the tdax_region/ sysfs group on the provider's device
 * (id, size, align, available_size, seed, create, delete).
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/ktime.h>
#include "tdax_private.h"
#include "tdax_core.h"
#include "tdax_trace.h"

static DEFINE_IDA(tdax_region_ida);
static atomic64_t tdax_instance_seq = ATOMIC64_INIT(0);

u64 tdax_next_instance(void)
{
	return atomic64_inc_return(&tdax_instance_seq);
}

static void tdax_region_trace(struct tdax_region *region, bool destroy)
{
	struct tdax_region_rec rec = {
		.start = region->res.start,
		.size = resource_size(&region->res),
		.align = region->align,
		.id = region->id,
		.instance = region->instance,
	};

	strscpy(rec.provider, region->provider, sizeof(rec.provider));
	if (destroy) {
		rec.lifetime_ns = ktime_get_ns() - region->created_ns;
		trace_tdax_region_destroy(&rec);
	} else {
		trace_tdax_region_create(&rec);
	}
}

static void tdax_region_release(struct kref *kref)
{
	struct tdax_region *region = container_of(kref, struct tdax_region, kref);

	mutex_destroy(&region->lock);
	ida_destroy(&region->dev_ida);
	ida_free(&tdax_region_ida, region->id);
	kfree(region);
}

void tdax_region_get(struct tdax_region *region)
{
	kref_get(&region->kref);
}

void tdax_region_put(struct tdax_region *region)
{
	kref_put(&region->kref, tdax_region_release);
}

static struct tdax_region *dev_to_region(struct device *dev)
{
	return dev_get_drvdata(dev);
}

static ssize_t id_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%d\n", dev_to_region(dev)->id);
}
static DEVICE_ATTR_RO(id);

/* the instance id every tdax event of the region carries (never reused) */
static ssize_t instance_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", dev_to_region(dev)->instance);
}
static DEVICE_ATTR_RO(instance);

static ssize_t region_size_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  (u64)resource_size(&dev_to_region(dev)->res));
}
static struct device_attribute dev_attr_region_size = __ATTR(size, 0444,
		region_size_show, NULL);

static ssize_t region_align_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", dev_to_region(dev)->align);
}
static struct device_attribute dev_attr_region_align = __ATTR(align, 0444,
		region_align_show, NULL);

static ssize_t available_size_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct tdax_region *region = dev_to_region(dev);
	u64 avail;

	mutex_lock(&tdax_lock);
	avail = tdax_region_avail(region);
	mutex_unlock(&tdax_lock);
	return sysfs_emit(buf, "%llu\n", avail);
}
static DEVICE_ATTR_RO(available_size);

/*
 * The seed: the first device of size 0 that no driver is bound to.  Only
 * fully registered devices are on the list (region->lock).
 */
static ssize_t seed_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct tdax_region *region = dev_to_region(dev);
	struct tdax_dev *tdev;
	ssize_t rc = 0;

	mutex_lock(&region->lock);
	list_for_each_entry(tdev, &region->devs, list) {
		int nr;

		mutex_lock(&tdax_lock);
		nr = tdev->nr_range;
		mutex_unlock(&tdax_lock);
		if (!nr && !READ_ONCE(tdev->dev.driver)) {
			rc = sysfs_emit(buf, "%s\n", dev_name(&tdev->dev));
			break;
		}
	}
	mutex_unlock(&region->lock);
	return rc ? rc : sysfs_emit(buf, "\n");
}
static DEVICE_ATTR_RO(seed);

static ssize_t create_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct tdax_region *region = dev_to_region(dev);
	ssize_t rc;

	mutex_lock(&region->lock);
	rc = sysfs_emit(buf, "%s\n", region->youngest ?
			dev_name(&region->youngest->dev) : "");
	mutex_unlock(&region->lock);
	return rc;
}

/* Print at most 32 bytes of a user's write, up to its first newline. */
#define TDAX_INPUT(buf, len)	(int)min3((size_t)32, (size_t)(len), strcspn(buf, "\n")), (buf)

static ssize_t create_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t len)
{
	struct tdax_region *region = dev_to_region(dev);
	struct tdax_dev *tdev;
	unsigned long val;
	u64 avail;
	int rc;

	rc = kstrtoul(buf, 0, &val);
	if (rc || val != 1) {
		dev_err_ratelimited(dev, "tdax_region/create: '%.*s': write 1 to create a device\n",
				    TDAX_INPUT(buf, len));
		return -EINVAL;
	}
	/* held across the whole creation: see struct tdax_region */
	mutex_lock(&region->lock);
	mutex_lock(&tdax_lock);
	avail = tdax_region_avail(region);
	mutex_unlock(&tdax_lock);
	if (region->dead) {
		dev_err_ratelimited(dev, "tdax_region/create: region%d is being removed\n",
				    region->id);
		tdev = ERR_PTR(-ENXIO);
	} else if (!avail) {
		dev_err_ratelimited(dev, "tdax_region/create: region%d has no space available\n",
				    region->id);
		tdev = ERR_PTR(-ENOSPC);
	} else {
		tdev = tdax_dev_create_locked(region, 0);
		if (IS_ERR(tdev))
			dev_err_ratelimited(dev, "tdax_region/create: cannot create a device: %ld\n",
					    PTR_ERR(tdev));
		else
			region->youngest = tdev;
	}
	mutex_unlock(&region->lock);
	return IS_ERR(tdev) ? PTR_ERR(tdev) : len;
}
static DEVICE_ATTR_RW(create);

static ssize_t delete_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t len)
{
	struct tdax_region *region = dev_to_region(dev);
	struct tdax_dev *tdev, *victim = NULL;
	char name[TDAX_NAME_LEN];
	int rc = 0;

	if (strscpy(name, buf, sizeof(name)) < 0 && strcspn(buf, "\n") >= sizeof(name)) {
		dev_err_ratelimited(dev, "tdax_region/delete: '%.*s...' is too long for a device name\n",
				    TDAX_INPUT(buf, len));
		return -EINVAL;
	}
	name[strcspn(name, "\n")] = 0;

	/*
	 * region->lock across lookup, checks and removal: a device is on the
	 * list only while fully registered, and leaves it before teardown.
	 */
	mutex_lock(&region->lock);
	list_for_each_entry(tdev, &region->devs, list) {
		if (!strcmp(dev_name(&tdev->dev), name)) {
			victim = tdev;
			break;
		}
	}
	if (!victim) {
		dev_err_ratelimited(dev, "tdax_region/delete: no device '%s' in region%d\n",
				    name, region->id);
		rc = -ENODEV;
		goto out;
	}

	device_lock(&victim->dev);
	if (victim->dev.driver) {
		dev_err_ratelimited(dev, "tdax_region/delete: %s is bound, unbind it first\n", name);
		rc = -EBUSY;
	} else if (victim->nr_range) {	/* stable: size writes take the device lock */
		dev_err_ratelimited(dev, "tdax_region/delete: %s has a size, write 0 to its size first\n",
				    name);
		rc = -EBUSY;
	} else if (victim->id == 0) {
		dev_err_ratelimited(dev, "tdax_region/delete: %s is device 0, kept while the region exists\n",
				    name);
		rc = -EBUSY;
	} else {
		victim->deleting = true;	/* no bind from here on */
	}
	device_unlock(&victim->dev);
	if (!rc)
		tdax_dev_unregister_locked(victim);
out:
	mutex_unlock(&region->lock);
	return rc ? rc : len;
}
static DEVICE_ATTR_WO(delete);

static struct attribute *tdax_region_attrs[] = {
	&dev_attr_id.attr,
	&dev_attr_instance.attr,
	&dev_attr_region_size.attr,
	&dev_attr_region_align.attr,
	&dev_attr_available_size.attr,
	&dev_attr_seed.attr,
	&dev_attr_create.attr,
	&dev_attr_delete.attr,
	NULL,
};

static const struct attribute_group tdax_region_group = {
	.name = "tdax_region",
	.attrs = tdax_region_attrs,
};

static void tdax_region_unregister(void *data)
{
	struct tdax_region *region = data;
	struct tdax_dev *tdev;

	/* no more create/delete: waits for running ones */
	sysfs_remove_group(&region->dev->kobj, &tdax_region_group);
	mutex_lock(&region->lock);
	region->dead = true;
	while ((tdev = list_first_entry_or_null(&region->devs, struct tdax_dev, list)))
		tdax_dev_unregister_locked(tdev);
	mutex_unlock(&region->lock);
	tdax_region_trace(region, true);
	dev_set_drvdata(region->dev, NULL);
	tdax_region_put(region);
}

/**
 * devm_tdax_region_register() - register a provider's range as a region
 * @parent: the provider's device; the region lives until it unbinds, and
 *	its drvdata is used by the core (the provider must not set it)
 * @id: region number wanted, or -1 for the lowest free one
 * @range: physical range; start and size aligned to @align
 * @target_node: numa node of the memory
 * @align: default device alignment and allocation granule (>= 2M)
 * @provider: provider name for tracepoints ("hmem.0", ...)
 * @owner: the provider's module.  Not pinned: open files hold the device
 *	structures (and through them the region), not the provider, and
 *	touch the memory only while a binding is alive; the provider may be
 *	unbound or unloaded at any time.  Kept for source compatibility.
 *
 * Return: the region or ERR_PTR().  No device is created: see
 * tdax_dev_create().
 */
struct tdax_region *devm_tdax_region_register(struct device *parent, int id,
					      const struct range *range,
					      int target_node,
					      unsigned long align,
					      const char *provider,
					      struct module *owner)
{
	struct tdax_region *region;
	int rc;

	if (!tdax_align_supported(align) || align < TDAX_SIZE_2M ||
	    !IS_ALIGNED(range->start, align) ||
	    !IS_ALIGNED(range_len(range), align)) {
		dev_err(parent, "tdax: range %#llx-%#llx not aligned to %#lx\n",
			range->start, range->end, align);
		return ERR_PTR(-EINVAL);
	}
	if (dev_get_drvdata(parent))
		return ERR_PTR(-EBUSY);

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return ERR_PTR(-ENOMEM);
	if (id >= 0)
		rc = ida_alloc_range(&tdax_region_ida, id, id, GFP_KERNEL);
	else
		rc = ida_alloc(&tdax_region_ida, GFP_KERNEL);
	if (rc < 0) {
		kfree(region);
		return ERR_PTR(rc);
	}
	region->id = rc;
	kref_init(&region->kref);
	region->dev = parent;
	strscpy(region->provider, provider, sizeof(region->provider));
	region->res = (struct resource) {
		.name = region->provider,
		.start = range->start,
		.end = range->end,
		.flags = IORESOURCE_MEM,
	};
	region->align = align;
	region->target_node = target_node;
	region->created_ns = ktime_get_ns();
	region->instance = tdax_next_instance();
	ida_init(&region->dev_ida);
	mutex_init(&region->lock);
	INIT_LIST_HEAD(&region->devs);

	dev_set_drvdata(parent, region);
	rc = sysfs_create_group(&parent->kobj, &tdax_region_group);
	if (rc) {
		dev_set_drvdata(parent, NULL);
		tdax_region_put(region);
		return ERR_PTR(rc);
	}
	tdax_region_trace(region, false);
	rc = devm_add_action_or_reset(parent, tdax_region_unregister, region);
	if (rc)
		return ERR_PTR(rc);
	return region;
}
EXPORT_SYMBOL_GPL(devm_tdax_region_register);
