// SPDX-License-Identifier: GPL-2.0-only
/*
 * bus.c - the "tdax" bus: match, uevent/modalias, probe/remove with the
 * tdax_bind/tdax_unbind tracepoints, and the new_id/remove_id override.
 *
 * A driver with match_all (tdax_device) binds every device by default.
 * Writing a device name to another driver's new_id makes that driver
 * match the device too (e.g. for a later tdax_kmem); remove_id undoes it.
 * As upstream, an id match takes priority only at the next bind: unbind
 * from the current driver, then bind through the other one.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/ctype.h>
#include "tdax_private.h"
#include "tdax_core.h"
#include "tdax_trace.h"

DEFINE_MUTEX(tdax_lock);

/**
 * struct tdax_id - a device name added through new_id
 * @list: entry in tdax_driver.ids
 * @name: device name, "tdaxR.N"
 */
struct tdax_id {
	struct list_head list;
	char name[TDAX_NAME_LEN];
};

static DEFINE_MUTEX(tdax_id_lock);

static struct tdax_id *tdax_find_id(struct tdax_driver *tdrv, const char *name)
{
	struct tdax_id *id;

	list_for_each_entry(id, &tdrv->ids, list)
		if (sysfs_streq(id->name, name))
			return id;
	return NULL;
}

static bool tdax_id_listed_elsewhere(struct device *dev, struct tdax_driver *self);

static int tdax_bus_match(struct device *dev, TDAX_MATCH_CONST struct device_driver *drv)
{
	struct tdax_driver *tdrv = to_tdax_driver((struct device_driver *)drv);
	bool match;

	if (!READ_ONCE(to_tdax_dev(dev)->ready))
		return 0;
	mutex_lock(&tdax_id_lock);
	match = tdax_find_id(tdrv, dev_name(dev)) != NULL;
	mutex_unlock(&tdax_id_lock);
	if (match)
		return 1;
	/* the default driver yields to a driver that listed the device */
	return tdrv->match_all && !tdax_id_listed_elsewhere(dev, tdrv);
}

static int tdax_bus_uevent(TDAX_UEVENT_CONST struct device *dev,
			   struct kobj_uevent_env *env)
{
	return add_uevent_var(env, "MODALIAS=tdax:t0");
}

static void tdax_trace_bind(struct device *dev, const char *drv, int result,
			    bool unbind)
{
	struct tdax_bind_rec rec = {
		.dev = dev->devt,
		.instance = to_tdax_dev(dev)->instance,
		.result = result,
	};

	strscpy(rec.dev_name, dev_name(dev), sizeof(rec.dev_name));
	strscpy(rec.drv_name, drv, sizeof(rec.drv_name));
	if (unbind)
		trace_tdax_unbind(&rec);
	else
		trace_tdax_bind(&rec);
}

static int tdax_bus_probe(struct device *dev)
{
	struct tdax_driver *tdrv = to_tdax_driver(dev->driver);
	struct tdax_dev *tdev = to_tdax_dev(dev);
	int rc;

	if (tdev->deleting) {
		dev_info_ratelimited(dev, "not bound: the device is being deleted\n");
		rc = -ENXIO;
	} else if (!tdev->nr_range) {
		/* a seed waiting for a size: refused, not an error */
		dev_info_ratelimited(dev, "not bound: size 0 (write its size first)\n");
		rc = -ENXIO;
	} else
		rc = tdrv->probe(tdev);
	if (!rc)
		WRITE_ONCE(tdev->mode, tdrv->mode);
	tdax_trace_bind(dev, dev->driver->name, rc, false);
	return rc;
}

static void tdax_bus_remove(struct device *dev)
{
	struct tdax_driver *tdrv = to_tdax_driver(dev->driver);

	/* a driver may leave a mode behind (tdax_kmem: system-ram-kept) */
	WRITE_ONCE(to_tdax_dev(dev)->mode, TDAX_MODE_UNBOUND);
	if (tdrv->remove)
		tdrv->remove(to_tdax_dev(dev));
	tdax_trace_bind(dev, dev->driver->name, 0, true);
}

struct bus_type tdax_bus_type = {
	.name = TDAX_BUS_NAME,
	.match = tdax_bus_match,
	.uevent = tdax_bus_uevent,
	.probe = tdax_bus_probe,
	.remove = tdax_bus_remove,
};

struct tdax_listed_ctx {
	struct device *dev;
	struct tdax_driver *self;
};

static int tdax_listed_fn(struct device_driver *drv, void *data)
{
	struct tdax_listed_ctx *ctx = data;
	struct tdax_driver *tdrv = to_tdax_driver(drv);

	return tdrv != ctx->self && tdax_find_id(tdrv, dev_name(ctx->dev));
}

static bool tdax_id_listed_elsewhere(struct device *dev, struct tdax_driver *self)
{
	struct tdax_listed_ctx ctx = { .dev = dev, .self = self };
	int rc;

	mutex_lock(&tdax_id_lock);
	rc = bus_for_each_drv(&tdax_bus_type, NULL, &ctx, tdax_listed_fn);
	mutex_unlock(&tdax_id_lock);
	return rc;
}

/* Up to 9 decimal digits at *p (no sign, no overflow); advances p. */
static bool tdax_skip_number(const char **p)
{
	const char *s = *p;

	while (isdigit(**p))
		(*p)++;
	return *p > s && *p - s <= 9;
}

/* Exactly "tdaxR.N", optionally followed by one newline. */
static bool tdax_valid_name(const char *buf)
{
	const char *p = buf;

	if (strncmp(p, "tdax", 4))
		return false;
	p += 4;
	if (!tdax_skip_number(&p) || *p++ != '.' || !tdax_skip_number(&p))
		return false;
	if (*p == '\n')
		p++;
	return !*p;
}

static ssize_t new_id_store(struct device_driver *drv, const char *buf,
			    size_t count)
{
	struct tdax_driver *tdrv = to_tdax_driver(drv);
	struct tdax_id *id;
	int rc = 0;

	if (!tdax_valid_name(buf)) {
		pr_err_ratelimited("tdax: %s/new_id: '%.*s' is not a device name tdaxR.N\n",
				   drv->name, (int)min_t(size_t, strcspn(buf, "\n"), 32), buf);
		return -EINVAL;
	}
	mutex_lock(&tdax_id_lock);
	if (tdax_find_id(tdrv, buf)) {
		pr_err_ratelimited("tdax: %s/new_id: '%.*s' is already listed\n",
				   drv->name, (int)strcspn(buf, "\n"), buf);
		rc = -EEXIST;
	} else {
		id = kzalloc(sizeof(*id), GFP_KERNEL);
		if (!id) {
			rc = -ENOMEM;
		} else {
			strscpy(id->name, buf, sizeof(id->name));
			id->name[strcspn(id->name, "\n")] = 0;
			list_add(&id->list, &tdrv->ids);
		}
	}
	mutex_unlock(&tdax_id_lock);
	if (rc)
		return rc;
	rc = driver_attach(drv);
	return rc ? rc : count;
}
static DRIVER_ATTR_WO(new_id);

static ssize_t remove_id_store(struct device_driver *drv, const char *buf,
			       size_t count)
{
	struct tdax_driver *tdrv = to_tdax_driver(drv);
	struct tdax_id *id;

	mutex_lock(&tdax_id_lock);
	id = tdax_find_id(tdrv, buf);
	if (id) {
		list_del(&id->list);
		kfree(id);
	}
	mutex_unlock(&tdax_id_lock);
	if (!id) {
		pr_err_ratelimited("tdax: %s/remove_id: '%.*s' was not added with new_id\n",
				   drv->name, (int)min_t(size_t, strcspn(buf, "\n"), 32), buf);
		return -ENODEV;
	}
	return count;
}
static DRIVER_ATTR_WO(remove_id);

static struct attribute *tdax_drv_attrs[] = {
	&driver_attr_new_id.attr,
	&driver_attr_remove_id.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tdax_drv);

/**
 * __tdax_driver_register() - register a driver on the tdax bus
 * @tdrv: the driver; drv.name must be set
 * @owner: module of the driver
 * @mod_name: its name
 *
 * Return: 0 or -errno.
 */
int __tdax_driver_register(struct tdax_driver *tdrv, struct module *owner,
			   const char *mod_name)
{
	INIT_LIST_HEAD(&tdrv->ids);
	tdrv->drv.owner = owner;
	tdrv->drv.mod_name = mod_name;
	tdrv->drv.bus = &tdax_bus_type;
	tdrv->drv.groups = tdax_drv_groups;
	return driver_register(&tdrv->drv);
}
EXPORT_SYMBOL_GPL(__tdax_driver_register);

/**
 * tdax_driver_unregister() - unbind a driver from all devices and remove it
 * @tdrv: the driver
 */
void tdax_driver_unregister(struct tdax_driver *tdrv)
{
	struct tdax_id *id, *tmp;

	driver_unregister(&tdrv->drv);
	mutex_lock(&tdax_id_lock);
	list_for_each_entry_safe(id, tmp, &tdrv->ids, list) {
		list_del(&id->list);
		kfree(id);
	}
	mutex_unlock(&tdax_id_lock);
}
EXPORT_SYMBOL_GPL(tdax_driver_unregister);

/**
 * tdax_bus_register_notifier() - be told of bus events (e.g. a device bound)
 * @nb: notifier; called with BUS_NOTIFY_* and the struct device
 *
 * Used by providers that keep a device's configuration persistently
 * (tdax_pmem saves align and fault_policy when a driver binds).
 */
int tdax_bus_register_notifier(struct notifier_block *nb)
{
	return bus_register_notifier(&tdax_bus_type, nb);
}
EXPORT_SYMBOL_GPL(tdax_bus_register_notifier);

/**
 * tdax_bus_unregister_notifier() - undo tdax_bus_register_notifier()
 * @nb: the notifier
 */
int tdax_bus_unregister_notifier(struct notifier_block *nb)
{
	return bus_unregister_notifier(&tdax_bus_type, nb);
}
EXPORT_SYMBOL_GPL(tdax_bus_unregister_notifier);

int tdax_bus_init(void)
{
	return bus_register(&tdax_bus_type);
}

void tdax_bus_exit(void)
{
	bus_unregister(&tdax_bus_type);
}
