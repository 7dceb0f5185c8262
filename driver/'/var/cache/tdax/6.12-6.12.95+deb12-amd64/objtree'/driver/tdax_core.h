/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tdax_core.h - declarations shared by the files of tdax.ko only.
 */
#ifndef _TDAX_CORE_H
#define _TDAX_CORE_H

#include <linux/mutex.h>
#include "tdax_private.h"

/*
 * tdax_lock: the innermost lock.  Protects every region's resource tree
 * (region->res and its children) and every device's ranges (nr_range,
 * ranges[]) and align.  Nothing else is taken while it is held.  Lock
 * order (docs/driver.md, "Locking"): device_lock(provider) ->
 * region->lock -> device_lock(tdaxR.N) -> tdax_lock.
 */
extern struct mutex tdax_lock;
extern struct bus_type tdax_bus_type;
extern const struct device_type tdax_dev_type;

int tdax_fs_init(void);
void tdax_fs_exit(void);
int tdax_bus_init(void);
void tdax_bus_exit(void);
int tdax_devt_init(void);
void tdax_devt_exit(void);

void tdax_region_get(struct tdax_region *region);
void tdax_region_put(struct tdax_region *region);
u64 tdax_region_avail(struct tdax_region *region);
int tdax_dev_resize(struct tdax_dev *tdev, u64 size);
struct tdax_dev *tdax_dev_create_locked(struct tdax_region *region, u64 size);
void tdax_dev_unregister_locked(struct tdax_dev *tdev);
int tdax_mappings_sync(struct tdax_dev *tdev);
void tdax_mappings_clear(struct tdax_dev *tdev);

#endif /* _TDAX_CORE_H */
