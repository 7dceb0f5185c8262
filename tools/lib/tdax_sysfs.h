/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tdax_sysfs.h - the tdax sysfs model: regions, devices, mappings, drivers
 * and the memory blocks of a device in system-ram mode.
 *
 * One scan (tdax_ctx_scan) reads /sys/bus/tdax into plain structures; the
 * write helpers change one attribute and return 0 or -errno, nothing more
 * (policies such as rollback live in the caller, e.g. tdaxctl).  The root
 * is "/sys" unless TDAX_SYSFS_ROOT (or the root argument) names another
 * directory, which is how the unit tests run against a fake tree.
 *
 * Layout read (see docs/driver.md):
 *   ROOT/bus/tdax/devices/tdaxR.N -> .../PROVIDER_DEV/tdaxR.N
 *       size align fault_policy resource numa_node target_node dev
 *       mappings ("start-end page_offset" per line)  driver -> .../NAME
 *       mode memmap_on_memory instance
 *       persistence_domain (only with providers that have one)
 *   .../PROVIDER_DEV/tdax_region/{id,size,align,available_size,seed,
 *       create,delete,instance[,persistence_domain]}
 *   .../PROVIDER_DEV/driver -> the provider's driver (e.g. tdax_hmem)
 *   ROOT/bus/tdax/drivers/NAME/{bind,unbind,new_id,remove_id}
 *   ROOT/devices/system/memory/{block_size_bytes,auto_online_blocks,
 *       memoryK/{state,valid_zones}}
 */
#ifndef TDAX_SYSFS_H
#define TDAX_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TDAX_SYSFS_NAME_LEN	32
#define TDAX_SYSFS_PATH_LEN	4096

#define TDAX_DRV_DEVICE		"tdax_device"
#define TDAX_DRV_KMEM		"tdax_kmem"

/** struct tdax_mapping - one physical range of a device (file offset order) */
struct tdax_mapping {
	uint64_t start;		/* first byte */
	uint64_t end;		/* last byte (inclusive, as upstream) */
	uint64_t pgoff;		/* page offset of @start in the device file */
};

/**
 * struct tdax_device - one tdaxR.N as read from sysfs
 * @name:	"tdaxR.N"
 * @region_id:	R
 * @id:		N
 * @path:	the device's real sysfs directory
 * @driver:	bound driver's name, "" when unbound
 * @mode:	the driver core's mode attribute (devdax, system-ram,
 *		system-ram-kept, unbound), "" on kernels without it
 * @memmap_on_memory: 0 or 1, -1 when the attribute is absent
 * @instance:	the device instance id (never reused while tdax.ko is
 *		loaded), when @has_instance
 * @persistence_domain: value of the attribute, when @has_persistence
 */
struct tdax_device {
	char name[TDAX_SYSFS_NAME_LEN];
	int region_id;
	int id;
	char path[TDAX_SYSFS_PATH_LEN];
	uint64_t size;
	uint64_t align;
	uint64_t resource;
	int numa_node;
	int target_node;
	char fault_policy[16];
	char devt[16];
	char driver[TDAX_SYSFS_NAME_LEN];
	char mode[24];
	int memmap_on_memory;
	bool has_instance;
	uint64_t instance;
	bool has_persistence;
	char persistence_domain[32];
	struct tdax_mapping *mappings;
	size_t nmappings;
};

/**
 * struct tdax_region - a provider's region, tdax_region/ on its device
 * @path:	the provider device's real sysfs directory
 * @provider_dev: its name, e.g. "hmem.0" or "tdax_range.0"
 * @provider:	its bound driver, e.g. "tdax_hmem" ("" if unknown)
 * @seed:	the seed device name, "" if none
 * @devices:	sorted by device id
 */
struct tdax_region {
	int id;
	char path[TDAX_SYSFS_PATH_LEN];
	char provider_dev[64];
	char provider[TDAX_SYSFS_NAME_LEN];
	uint64_t size;
	uint64_t align;
	uint64_t available_size;
	char seed[TDAX_SYSFS_NAME_LEN];
	bool has_instance;
	uint64_t instance;
	bool has_persistence;
	char persistence_domain[32];
	struct tdax_device *devices;
	size_t ndevices;
};

/** struct tdax_ctx - the sysfs root and the last scan (regions sorted by id) */
struct tdax_ctx {
	char root[TDAX_SYSFS_PATH_LEN];
	struct tdax_region *regions;
	size_t nregions;
};

/** struct tdax_memblocks - the memory blocks a device's ranges cover */
struct tdax_memblocks {
	int total;		/* blocks present in sysfs */
	int online;		/* of which online */
	int movable;		/* of the online ones, in ZONE_MOVABLE */
	uint64_t block_size;
};

/* Context: root NULL -> $TDAX_SYSFS_ROOT, else "/sys". */
struct tdax_ctx *tdax_ctx_new(const char *root);
void tdax_ctx_free(struct tdax_ctx *ctx);
/* (Re)read every region and device.  0 or -errno (-ENOENT: no tdax bus). */
int tdax_ctx_scan(struct tdax_ctx *ctx);
/*
 * Entries of ROOT/bus/tdax/SUB ("devices", "drivers"), those starting with
 * a dot left out, as tdax_ctx_scan() does: the count, or -errno (-ENOENT:
 * no such directory).  root NULL -> $TDAX_SYSFS_ROOT, else "/sys".
 */
int tdax_bus_entries(const char *root, const char *sub);

struct tdax_region *tdax_region_find(struct tdax_ctx *ctx, int id);
struct tdax_device *tdax_device_find(struct tdax_ctx *ctx, const char *name);
struct tdax_region *tdax_device_region(struct tdax_ctx *ctx, const struct tdax_device *dev);
/* "tdaxR.N" -> R, N.  0 or -EINVAL. */
int tdax_parse_name(const char *name, int *region_id, int *id);

/*
 * The mode a device is in, from its bound driver: "devdax" (tdax_device
 * or unbound), "system-ram" (tdax_kmem), "system-ram-kept" (unbound, but
 * a tdax_kmem unbind could not offline its memory: see docs/kmem.md),
 * else the driver's name.
 */
const char *tdax_device_mode(const struct tdax_device *dev);
static inline bool tdax_device_enabled(const struct tdax_device *dev)
{
	return dev->driver[0] != 0;
}

/* Writes: 0 or -errno from the kernel. */
int tdax_write(struct tdax_ctx *ctx, const char *path, const char *val);
int tdax_device_write(struct tdax_ctx *ctx, const char *name, const char *attr,
		      const char *val);
int tdax_device_write_u64(struct tdax_ctx *ctx, const char *name, const char *attr,
			  uint64_t val);
int tdax_read_attr(const char *dir, const char *attr, char *buf, size_t len);

bool tdax_driver_present(struct tdax_ctx *ctx, const char *drv);
int tdax_driver_write(struct tdax_ctx *ctx, const char *drv, const char *attr,
		      const char *name);
/* The driver a device is bound to now (re-read), "" if none. 0 or -errno. */
int tdax_device_driver(struct tdax_ctx *ctx, const char *name, char *buf, size_t len);
int tdax_device_unbind(struct tdax_ctx *ctx, const char *name);
int tdax_device_bind(struct tdax_ctx *ctx, const char *name, const char *drv);

/*
 * Region create: reuse the seed if there is one, else write 1 to create.
 * @name gets the device; @created says whether a new one was made.
 */
int tdax_region_new_device(struct tdax_ctx *ctx, int region_id, char *name, size_t len,
			   bool *created);
int tdax_region_delete_device(struct tdax_ctx *ctx, int region_id, const char *name);

/*
 * Memory blocks under ROOT/devices/system/memory that @dev's mappings hold
 * whole (tdax_kmem adds only whole blocks; a block a range covers in part
 * belongs to someone else).
 */
int tdax_device_memblocks(struct tdax_ctx *ctx, const struct tdax_device *dev,
			  struct tdax_memblocks *mb);
/*
 * Write @state ("online_movable", "online_kernel", "offline") to every
 * block of @dev whose state is not @want_online.  @done counts the blocks
 * changed; @changed (optional, @max entries) gets their numbers, so a
 * caller can undo exactly those.  0 or the first -errno.
 */
int tdax_device_memblocks_set(struct tdax_ctx *ctx, const struct tdax_device *dev,
			      const char *state, long *changed, int max, int *done);
int tdax_memblock_write(struct tdax_ctx *ctx, long block, const char *state);
/*
 * The same, giving up after @secs seconds (0: no limit).  Offlining a block
 * whose pages cannot be migrated (pinned) retries until the writer gets a
 * signal: an alarm ends it with -ETIMEDOUT, and the kernel then puts the
 * block back online as it was.
 */
int tdax_memblock_write_timeout(struct tdax_ctx *ctx, long block, const char *state,
				unsigned int secs);
/*
 * Memory block @block: 1 online or going-offline (*@movable: in
 * ZONE_MOVABLE), 0 offline, -ENOENT when not present, other -errno.
 */
int tdax_memblock_state(struct tdax_ctx *ctx, long block, bool *movable);
/*
 * The numbers of the memory blocks a device's ranges hold whole (those
 * tdax_kmem adds), present or not: up to @max in @blocks, the count in @n.
 */
int tdax_device_memblock_list(struct tdax_ctx *ctx, const struct tdax_device *dev,
			      long *blocks, int max, int *n);
/* ROOT/devices/system/memory/auto_online_blocks ("offline", "online", ...) */
int tdax_memory_auto_online(struct tdax_ctx *ctx, char *buf, size_t len);

/* "512M", "1G", "4096", "0x200000", "2m" -> bytes.  0 or -EINVAL. */
int tdax_parse_size(const char *s, uint64_t *out);

#endif /* TDAX_SYSFS_H */
