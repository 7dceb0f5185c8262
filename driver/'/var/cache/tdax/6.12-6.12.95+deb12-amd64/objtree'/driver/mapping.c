// SPDX-License-Identifier: GPL-2.0-only
/*
 * mapping.c - tdaxR.N/mappingK/{start,end,page_offset}: one child object
 * per physical range of a device, as upstream's sysfs-bus-dax exposes
 * them, readable by root only (0400: physical addresses).  They are re-created whenever the device's ranges change (size
 * writes, which only happen while the device is unbound).
 */
#include <linux/slab.h>
#include "tdax_private.h"
#include "tdax_core.h"

/**
 * struct tdax_mapping - sysfs view of one range of a device
 * @dev: the mappingK object, child of the tdax device
 * @list: entry in tdax_dev.mappings
 * @start: physical start
 * @end: physical end (inclusive)
 * @pgoff: page offset of @start in the device
 */
struct tdax_mapping {
	struct device dev;
	struct list_head list;
	u64 start;
	u64 end;
	pgoff_t pgoff;
};

static struct tdax_mapping *to_mapping(struct device *dev)
{
	return container_of(dev, struct tdax_mapping, dev);
}

static ssize_t start_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%#llx\n", to_mapping(dev)->start);
}
static DEVICE_ATTR_ADMIN_RO(start);

static ssize_t end_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%#llx\n", to_mapping(dev)->end);
}
static DEVICE_ATTR_ADMIN_RO(end);

static ssize_t page_offset_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%#lx\n", to_mapping(dev)->pgoff);
}
static DEVICE_ATTR_ADMIN_RO(page_offset);

static struct attribute *tdax_mapping_attrs[] = {
	&dev_attr_start.attr,
	&dev_attr_end.attr,
	&dev_attr_page_offset.attr,
	NULL,
};

static const struct attribute_group tdax_mapping_group = {
	.attrs = tdax_mapping_attrs,
};

static const struct attribute_group *tdax_mapping_groups[] = {
	&tdax_mapping_group,
	NULL,
};

static void tdax_mapping_release(struct device *dev)
{
	kfree(to_mapping(dev));
}

static const struct device_type tdax_mapping_type = {
	.name = "tdax_mapping",
	.groups = tdax_mapping_groups,
	.release = tdax_mapping_release,
};

/**
 * tdax_mappings_clear() - remove all mappingK objects of a device
 * @tdev: the device (registered, unbound or being removed)
 */
void tdax_mappings_clear(struct tdax_dev *tdev)
{
	struct tdax_mapping *m, *tmp;

	list_for_each_entry_safe(m, tmp, &tdev->mappings, list) {
		list_del(&m->list);
		device_unregister(&m->dev);
	}
}

/**
 * tdax_mappings_sync() - re-create the mappingK objects from the ranges
 * @tdev: the registered device; its ranges must not change meanwhile
 *	(device lock held and unbound, or during creation)
 *
 * Return: 0 or -errno (the objects are a view: failure leaves fewer).
 */
int tdax_mappings_sync(struct tdax_dev *tdev)
{
	int i, rc = 0;

	tdax_mappings_clear(tdev);
	for (i = 0; i < tdev->nr_range; i++) {
		struct tdax_mapping *m = kzalloc(sizeof(*m), GFP_KERNEL);

		if (!m)
			return -ENOMEM;
		m->start = tdev->ranges[i].range.start;
		m->end = tdev->ranges[i].range.end;
		m->pgoff = tdev->ranges[i].pgoff;
		device_initialize(&m->dev);
		m->dev.parent = &tdev->dev;
		m->dev.type = &tdax_mapping_type;
		rc = dev_set_name(&m->dev, "mapping%d", i);
		if (!rc)
			rc = device_add(&m->dev);
		if (rc) {
			put_device(&m->dev);
			return rc;
		}
		list_add_tail(&m->list, &tdev->mappings);
	}
	return 0;
}
