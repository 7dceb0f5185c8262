/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tdax_private.h - interfaces between the tdax core (tdax.ko), its drivers
 * (tdax_device.ko, later tdax_kmem.ko) and its providers (tdax_hmem.ko).
 *
 * Userspace never sees this header: the ABI shared with BPF programs and
 * tools is include/tdax_abi.h.
 */
#ifndef _TDAX_PRIVATE_H
#define _TDAX_PRIVATE_H

#include <linux/device.h>
#include <linux/range.h>
#include <linux/ioport.h>
#include <linux/kref.h>
#include <linux/idr.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/uio.h>
#include <linux/sched/clock.h>
#include "../include/tdax_abi.h"
#include "tdax_compat.h"

struct tdax_dax;
struct dev_pagemap;
struct cdev;

/**
 * struct tdax_operations - data-access operations of a dax device
 * @direct_access: translate @pgoff into a kernel address and a pfn for up
 *	to @nr_pages pages; returns the number of contiguous pages available
 *	or a negative errno.
 * @zero_page_range: zero @nr_pages pages starting at @pgoff (required).
 * @copy_from_iter: optional; copy into the device at @addr.
 * @copy_to_iter: optional; copy out of the device from @addr.
 * @flush: optional; make the range of @bytes from page @pgoff durable
 *	(write back CPU caches, flush the platform's write queues); returns
 *	0 or -errno.  Volatile providers have none.
 *
 * The core calls these only while the device is alive, inside the
 * caller's tdax_read_lock() section (the tdax_direct_access() family
 * requires the caller to hold it, see super.c), so a provider never sees
 * an operation after tdax_kill() returned.
 */
struct tdax_operations {
	long (*direct_access)(struct tdax_dax *dax, pgoff_t pgoff, long nr_pages,
			      void **kaddr, tdax_pfn_t *pfn);
	int (*zero_page_range)(struct tdax_dax *dax, pgoff_t pgoff,
			       size_t nr_pages);
	size_t (*copy_from_iter)(struct tdax_dax *dax, pgoff_t pgoff, void *addr,
				 size_t bytes, struct iov_iter *i);
	size_t (*copy_to_iter)(struct tdax_dax *dax, pgoff_t pgoff, void *addr,
			       size_t bytes, struct iov_iter *i);
	int (*flush)(struct tdax_dax *dax, pgoff_t pgoff, size_t bytes);
};

/*
 * dax_device objects (super.c).
 *
 * Liveness is per binding: each time a driver binds a device it calls
 * tdax_run(), which starts a new binding with a fresh 64-bit id (never 0,
 * never reused); tdax_kill() at unbind ends it.  Whatever a driver hands
 * out during a binding (an open file, a mapping) records that id, from
 * tdax_binding(), and checks it with tdax_binding_alive() under
 * tdax_read_lock() before every use.  So a file opened while tdax_device
 * was bound stays dead after the device is re-bound, to tdax_device or to
 * another driver (tdax_kmem): a new bind is a new binding.
 *
 * The binding interface (kerneldoc at the definitions in super.c):
 *   u64 tdax_run(dax, owner)       probe, last step: start a binding owned
 *                                  by @owner (the driver's cookie); its id
 *   void tdax_kill(dax)            remove: end it, wait for readers, zap
 *                                  every user mapping
 *   u64 tdax_binding(dax, owner)   under tdax_read_lock(): the id of
 *                                  @owner's live binding, or 0
 *   bool tdax_binding_alive(dax, id)  under tdax_read_lock(): @id is live
 *   bool tdax_alive(dax)           under tdax_read_lock(): any binding is
 * run and kill of one device are serialised by the bus device's lock
 * (probe and remove).  The data-access calls below require the caller to
 * hold tdax_read_lock() across the call and any use of its result.
 */
struct tdax_dax *tdax_alloc(void *private, const struct tdax_operations *ops,
			    dev_t devt);
void tdax_put(struct tdax_dax *dax);
u64 tdax_run(struct tdax_dax *dax, const void *owner);
void tdax_kill(struct tdax_dax *dax);
u64 tdax_binding(struct tdax_dax *dax, const void *owner);
bool tdax_binding_alive(struct tdax_dax *dax, u64 id);
bool tdax_alive(struct tdax_dax *dax);
int tdax_read_lock(void);
void tdax_read_unlock(int id);
bool tdax_read_lock_held(void);
struct inode *tdax_inode(struct tdax_dax *dax);
void *tdax_get_private(struct tdax_dax *dax);
long tdax_direct_access(struct tdax_dax *dax, pgoff_t pgoff, long nr_pages,
			void **kaddr, tdax_pfn_t *pfn);
int tdax_zero_page_range(struct tdax_dax *dax, pgoff_t pgoff, size_t nr_pages);
size_t tdax_copy_from_iter(struct tdax_dax *dax, pgoff_t pgoff, void *addr,
			   size_t bytes, struct iov_iter *i);
size_t tdax_copy_to_iter(struct tdax_dax *dax, pgoff_t pgoff, void *addr,
			 size_t bytes, struct iov_iter *i);
int tdax_flush(struct tdax_dax *dax, pgoff_t pgoff, size_t bytes);

/**
 * struct tdax_region - a physical range offered by a provider
 * @id: region number R (devices are named tdaxR.N)
 * @kref: lifetime; each device holds a reference
 * @dev: the provider's device (hmem.N, tdax_range.N); the sysfs group
 *	tdax_region/ lives on it and its drvdata points here.  Only used
 *	while the region is registered.
 * @provider: provider name for tracepoints
 * @res: private resource tree: children are the device ranges
 *	(under tdax_lock)
 * @align: allocation granularity and default device alignment
 * @target_node: numa node the memory would be onlined to
 * @created_ns: ktime at registration (lifetime_ns in tdax_region_destroy)
 * @instance: unique, never reused id of this region instance (tracepoints)
 * @dev_ida: device numbers N within the region
 * @lock: the region's membership lock (see "Locking" in docs/driver.md).
 *	Held across the whole of a device's creation (allocation, device_add,
 *	mappingK objects, then the list) and of its removal (unlink, then
 *	device_del), by create, delete, seed and region teardown.  So a device
 *	is on @devs exactly while it is fully registered and not being torn
 *	down.  Lock order: device_lock(provider) -> @lock ->
 *	device_lock(tdaxR.N) -> tdax_lock.
 * @devs: fully registered devices of the region (under @lock)
 * @youngest: last device made by the create attribute (under @lock)
 * @dead: set under @lock once teardown started; nothing is created after
 * @ops: provider data-access operations for the region's devices (NULL:
 *	the core's plain ones, for volatile memory); set before any device
 * @provider_data: the provider's data for @ops
 * @persistence: enum tdax_persistence_domain (TDAX_PD_NONE: volatile);
 *	read with READ_ONCE, a provider may offer an override
 * @async_flush: the flush is an asynchronous request (virtio-pmem): MAP_SYNC
 *	cannot be honoured and is refused; sysfs "synchronous" reads 0
 * @dev_align: alignment of new devices (0: @align), e.g. restored from the
 *	provider's persistent configuration
 * @dev_policy: enum tdax_fault_policy of new devices
 */
struct tdax_region {
	int id;
	struct kref kref;
	struct device *dev;
	char provider[TDAX_NAME_LEN];
	struct resource res;
	unsigned long align;
	int target_node;
	u64 created_ns;
	u64 instance;
	struct ida dev_ida;
	struct mutex lock;
	struct list_head devs;
	struct tdax_dev *youngest;
	bool dead;
	const struct tdax_operations *ops;
	void *provider_data;
	unsigned int persistence;
	bool async_flush;
	unsigned long dev_align;
	unsigned int dev_policy;
};

/**
 * struct tdax_range - one physically contiguous piece of a device
 * @pgoff: file offset (pages) where this range starts in the device
 * @range: physical start and end (inclusive)
 * @res: the allocation in the region's private resource tree
 */
struct tdax_range {
	pgoff_t pgoff;
	struct range range;
	struct resource *res;
};

/**
 * struct tdax_dev - a device on the tdax bus (tdaxR.N)
 * @dev: the bus device; its devt is the char device number
 * @region: parent region (referenced)
 * @dax: the dax_device: operations, bindings and the inode whose
 *	mapping every open file of /dev/tdaxR.N shares
 * @id: N
 * @align: mapping alignment (4K, 2M or 1G); written while unbound under
 *	the device lock and tdax_lock
 * @policy: enum tdax_fault_policy; written while unbound (device lock)
 * @target_node: numa node reported in sysfs
 * @nr_range: number of entries in @ranges
 * @ranges: physical ranges, in file-offset order.  Written (size writes,
 *	removal) under tdax_lock, with the device lock held and no driver
 *	bound; so while a binding is alive they are stable, and the fault and
 *	mmap paths read them under tdax_read_lock() after checking it.
 * @created_ns: ktime at creation (lifetime_ns in tdax_dev_destroy)
 * @instance: unique, never reused id of this device instance (tracepoints)
 * @list: entry in region->devs (under region->lock)
 * @cdev: char device, set by the tdax_device driver while bound
 * @pgmap: memremap'ed pages, published by the driver with
 *	smp_store_release() before tdax_run(), read with smp_load_acquire()
 * @deleting: set under the device lock when removal starts (delete or
 *	region teardown); no size change or bind after
 * @mappings: the mappingK sysfs objects (mapping.c; device lock)
 * @ready: set once creation finished; no driver matches before
 * @memmap_on_memory: tdax_kmem puts the memmap of hot-added memory on the
 *	memory itself; writable while unbound (sysfs memmap_on_memory)
 * @mode: enum tdax_mode: what the device is used as (sysfs mode); set by
 *	the bus at bind/unbind, TDAX_MODE_KEPT by tdax_kmem
 */
struct tdax_dev {
	struct device dev;
	struct tdax_region *region;
	struct tdax_dax *dax;
	int id;
	unsigned long align;
	unsigned int policy;
	unsigned int fault_around;
	int target_node;
	int nr_range;
	struct tdax_range *ranges;
	u64 created_ns;
	u64 instance;
	struct list_head list;
	struct cdev *cdev;
	struct dev_pagemap *pgmap;
	bool deleting;
	struct list_head mappings;
	bool ready;
	bool memmap_on_memory;
	unsigned int mode;
};

static inline struct tdax_dev *to_tdax_dev(struct device *dev)
{
	return container_of(dev, struct tdax_dev, dev);
}

/**
 * struct tdax_driver - a driver on the tdax bus
 * @drv: driver-model driver
 * @ids: device names added with new_id (under the driver's id lock)
 * @match_all: bind every device by default (tdax_device); otherwise only
 *	the devices named through new_id
 * @probe: bind; the device lock is held
 * @remove: unbind (optional)
 * @mode: enum tdax_mode of a device bound to this driver
 */
struct tdax_driver {
	struct device_driver drv;
	struct list_head ids;
	bool match_all;
	int (*probe)(struct tdax_dev *tdev);
	void (*remove)(struct tdax_dev *tdev);
	unsigned int mode;
};

static inline struct tdax_driver *to_tdax_driver(struct device_driver *drv)
{
	return container_of(drv, struct tdax_driver, drv);
}

int __tdax_driver_register(struct tdax_driver *tdrv, struct module *owner,
			   const char *mod_name);
#define tdax_driver_register(d) __tdax_driver_register(d, THIS_MODULE, KBUILD_MODNAME)
void tdax_driver_unregister(struct tdax_driver *tdrv);
struct notifier_block;
int tdax_bus_register_notifier(struct notifier_block *nb);
int tdax_bus_unregister_notifier(struct notifier_block *nb);

/* regions and devices (region.c, dev.c) */
struct tdax_region *devm_tdax_region_register(struct device *parent, int id,
					      const struct range *range,
					      int target_node,
					      unsigned long align,
					      const char *provider,
					      struct module *owner);
struct tdax_dev *tdax_dev_create(struct tdax_region *region, u64 size);
u64 tdax_dev_size(struct tdax_dev *tdev);
/* Next device/region instance id (1, 2, ...; never reused while loaded). */
u64 tdax_next_instance(void);
phys_addr_t tdax_pgoff_to_phys(struct tdax_dev *tdev, pgoff_t pgoff,
			       unsigned long size);
struct tdax_dev *tdax_dev_get_by_devt(dev_t devt);
struct tdax_dev *tdax_dev_get_by_name(const char *name);
void tdax_dev_put(struct tdax_dev *tdev);

/* Supported alignments. */
static inline bool tdax_align_supported(unsigned long align)
{
	return align == TDAX_SIZE_4K || align == TDAX_SIZE_2M ||
	       align == TDAX_SIZE_1G;
}

/**
 * tdax_clock() - the clock of the latency_ns fields of the records
 *
 * local_clock(), the scheduler clock: the TSC where there is one, cheap on
 * every clocksource.  ktime_get_ns() reads the clocksource, which in some
 * guests is an emulated HPET (an MMIO exit per read), twice per fault.
 * Per-CPU: a handler that moved to another CPU may see the CPUs' skew,
 * so tdax_clock_since() clamps a negative difference to 0.
 *
 * Return: nanoseconds of an arbitrary origin.
 */
static inline u64 tdax_clock(void)
{
	return local_clock();
}

/* Nanoseconds since @t0 (a tdax_clock() value), 0 if the clock went back. */
static inline u64 tdax_clock_since(u64 t0)
{
	u64 t = local_clock();

	return t > t0 ? t - t0 : 0;
}

#endif /* _TDAX_PRIVATE_H */
