/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * collector_int.h - internals of the collector library shared by its files
 * (not installed, not for front ends).
 */
#ifndef _TDAX_COLLECTOR_INT_H
#define _TDAX_COLLECTOR_INT_H

#include "tdax_collector.h"

/** struct tdax_sysfs_dev - one device as seen in /sys/bus/tdax/devices. */
struct tdax_sysfs_dev {
	char name[TDAX_NAME_LEN];
	__u32 dev;			/* kernel dev_t, 0 if no "dev" attribute */
	__s32 region_id;		/* -1 if unknown */
	__u64 size;
	__u64 align;
	char driver[TDAX_NAME_LEN];
	char fault_policy[16];
};

/** struct tdax_sysfs_region - one region, found through its devices. */
struct tdax_sysfs_region {
	__u32 id;
	char provider[TDAX_NAME_LEN];
	__u64 start;
	__u64 size;
	__u64 align;
	__u64 available_size;
	__u32 ndevs;
};

/** struct tdax_sysfs - result of one scan of the tdax bus. */
struct tdax_sysfs {
	bool bus_present;
	size_t ndevs;
	struct tdax_sysfs_dev *devs;
	size_t nregions;
	struct tdax_sysfs_region *regions;
};

int tdax_sysfs_scan(const char *root, struct tdax_sysfs *out);
void tdax_sysfs_free(struct tdax_sysfs *s);

/* Parse "MAJ:MIN" into a kernel dev_t; -EINVAL if malformed. */
int tdax_parse_devt(const char *s, __u32 *out);

/* Growable arrays of snapshot rows. */
void *tdax_grow(void *arr, size_t *cap, size_t n, size_t elem);

/* Sort a snapshot's arrays into their documented order. */
void tdax_snapshot_sort(struct tdax_snapshot *s);

/* Find or append the device row for dev_t dev (never NULL unless ENOMEM). */
struct tdax_snap_dev *tdax_snapshot_dev_add(struct tdax_snapshot *s, size_t *cap, __u32 dev);

#endif /* _TDAX_COLLECTOR_INT_H */
