/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * maps_int.h - the parts of a snapshot (library internal): the dumps of the
 * BPF maps and their rows as library values (dump.c), the archive of
 * retired instances (archive.c); maps.c puts a snapshot together from them.
 */
#ifndef TDAX_MAPS_INT_H
#define TDAX_MAPS_INT_H

#include <string.h>

#include "collector_int.h"

struct bpf_map;

/** struct map_dump - every (key, value) of one map, values per-CPU if so. */
struct map_dump {
	int fd;
	size_t ksz, vsz, stride, vstride;	/* per-CPU stride; bytes per entry */
	int nvals;
	size_t n;
	char *keys, *vals;
};

static inline const void *dump_key(const struct map_dump *d, size_t i)
{
	return d->keys + i * d->ksz;
}

static inline const void *dump_val(const struct map_dump *d, size_t i, int cpu)
{
	return d->vals + i * d->vstride + (size_t)cpu * d->stride;
}

static inline __u64 key_instance(const struct map_dump *d, size_t i)
{
	__u64 v;

	memcpy(&v, dump_key(d, i), sizeof(v));	/* every key starts with it */
	return v;
}

/* Read every entry of map (one batch pass, else key by key) into *d. */
int tdax_dump_map(struct tdax_collector *c, struct bpf_map *map, bool percpu,
		  struct map_dump *d);
void tdax_dump_free(struct map_dump *d);
/* Delete every key of d whose instance is inst. */
void tdax_dump_delete_instance(struct tdax_collector *c, struct map_dump *d, __u64 inst);

/** struct fault_row - one fault_counts entry summed over the CPUs. */
struct fault_row {
	const struct tdax_fault_key *k;
	struct tdax_histogram lat;	/* lat.count: the records */
	__u64 region_instance;
	__u32 region_id;
};

void tdax_fault_row_read(const struct map_dump *d, size_t i, struct fault_row *fr);
/* Add a fault_counts row to a device row: granularity and latency by size. */
void tdax_fault_row_fold(struct tdax_snap_dev *d, const struct fault_row *fr);
/* Add f to its (instance, size, outcome, reason) row of *v, appending it if new. */
int tdax_faults_add(struct tdax_snap_fault **v, size_t *n, size_t *cap,
		    const struct tdax_snap_fault *f);
struct tdax_snap_fault tdax_fault_of_row(const struct fault_row *fr);
/* Delete the fault_counts rows of inst, keeping the count of their records. */
void tdax_fault_rows_delete(struct tdax_collector *c, const struct map_dump *d, __u64 inst);
/* Add the per-CPU flush_stats values of entry i of d to the device row. */
void tdax_flush_row_add(struct tdax_snap_dev *x, const struct map_dump *d, size_t i);
/* Fold one kmem_stats range into the device's tdax_kmem state. */
void tdax_kmem_merge(struct tdax_snap_kmem *k, const struct tdax_kmem_val *v);

/* archive.c: rows of retired instances, kept in c->archive */
void tdax_fold_proc(struct tdax_collector *c, const struct tdax_snap_proc *p);
int tdax_archive_dev(struct tdax_collector *c, const struct tdax_snapshot *s,
		     const struct tdax_snap_dev *d, __u64 now);
struct tdax_snap_dev *tdax_archived_dev(struct tdax_collector *c, __u64 inst);
bool tdax_late_row(struct tdax_collector *c, struct map_dump *d, size_t i);
void tdax_archive_expire(struct tdax_collector *c, __u64 now);
int tdax_archive_append(struct tdax_collector *c, struct tdax_snapshot *s, size_t *cap_devs,
			size_t *cap_faults, size_t *cap_mmaps, size_t *cap_procs,
			size_t *cap_regions);

#endif /* TDAX_MAPS_INT_H */
