// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * maps.c - a snapshot: read the BPF maps (dump.c), give every row its
 * identity (device instance, process instance) and name (sysfs, the
 * create records), and retire the rows of instances that are gone
 * (archive.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps_int.h"
#include "tdax_stock.h"
#include "tdax_collect.skel.h"

/* ---- the snapshot --------------------------------------------------------- */

struct caps {
	size_t devs, faults, mmaps, procs, regions;
};

static void read_run_stats(struct tdax_collector *c, struct tdax_snapshot *s)
{
	int i;

	for (i = 0; i < TDAX_NEVENTS; i++) {
		struct bpf_program *p = tdax_prog_of(c, c->loaded_mode, i);
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		/* a shared set: the programs of its pinned links */
		int fd = c->share ? tdax_share_prog_fd(c, i) : bpf_program__fd(p);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		s->bpf_run_ns += info.run_time_ns;
		s->bpf_run_cnt += info.run_cnt;
	}
	{
		__u64 n, ns = tdax_stock_run_ns(c, &n);

		s->bpf_run_ns += ns;
		s->bpf_run_cnt += n;
	}
}

static void map_fill(struct tdax_bpf_stats *s, int stat, struct bpf_map *map, size_t entries)
{
	s->entries[stat] = entries;
	s->max[stat] = bpf_map__max_entries(map);
}

static const struct tdax_live_dev *live_dev(const struct map_dump *ld, __u64 inst)
{
	size_t i;

	for (i = 0; i < ld->n; i++)
		if (key_instance(ld, i) == inst)
			return dump_val(ld, i, 0);
	return NULL;
}

static void sysfs_fill(struct tdax_snap_dev *d, const struct tdax_sysfs_dev *sd)
{
	snprintf(d->name, sizeof(d->name), "%s", sd->name);
	d->region_id = sd->region_id;
	d->size = sd->size;
	d->align = sd->align;
	if (!d->dev)
		d->dev = sd->dev;
	memcpy(d->driver, sd->driver, sizeof(d->driver));
	memcpy(d->fault_policy, sd->fault_policy, sizeof(d->fault_policy));
	memcpy(d->mode, sd->mode, sizeof(d->mode));
	d->present = true;
}

/*
 * Which row is the device sd of sysfs?  The newest live instance created
 * while attached under that name; else the newest instance never named by
 * a create record (created before attach) with its dev_t; else none yet.
 */
static struct tdax_snap_dev *row_of_sysfs(struct tdax_snapshot *s, const struct map_dump *ld,
					  const struct tdax_sysfs_dev *sd)
{
	struct tdax_snap_dev *best = NULL;
	size_t i;

	for (i = 0; i < s->ndevs; i++) {
		struct tdax_snap_dev *d = &s->devs[i];
		const struct tdax_live_dev *v = live_dev(ld, d->instance);

		if (!v || !v->name[0] || v->destroy_ns || strcmp(v->name, sd->name))
			continue;
		if (!best || d->instance > best->instance)
			best = d;
	}
	if (best)
		return best;
	for (i = 0; i < s->ndevs; i++) {
		struct tdax_snap_dev *d = &s->devs[i];
		const struct tdax_live_dev *v = live_dev(ld, d->instance);

		if ((v && (v->name[0] || v->destroy_ns)) || d->present || !d->dev || d->dev != sd->dev)
			continue;
		if (!best || d->instance > best->instance)
			best = d;
	}
	return best;
}

/**
 * struct build - one snapshot being put together by tdax_collector_snapshot().
 * @fc..@km: the dumps of the maps (fault_counts, mmap_counts, proc_stats,
 *	live_devs, live_regions, flush_stats, kmem_stats)
 * @proc_row: proc entry i -> its row in s.procs (SIZE_MAX: none)
 * @gone: device row i (< nmap_devs) is retired by this snapshot
 * @nmap_devs: device rows found in the maps (the sysfs-only rows follow)
 * @faults_seen: fault records in the fault_counts rows read
 */
struct build {
	struct tdax_collector *c;
	struct map_dump fc, mm, proc, ld, lr, fl, km;
	struct tdax_snapshot s;
	struct caps cap;
	struct tdax_bpf_stats bs;	/* by TDAX_STAT_*: converted at the end */
	size_t *proc_row;
	bool *gone;
	size_t nmap_devs;
	__u64 faults_seen;
	bool retire_all;
};

static int read_maps(struct build *b)
{
	struct tdax_collector *c = b->c;
	struct tdax_collect *sk = c->skel;
	int err;

#define DUMP(map, percpu, md, stat)						\
	do {									\
		err = tdax_dump_map(c, sk->maps.map, percpu, &b->md);		\
		if (err)							\
			return tdax_set_err(c, err, "cannot read BPF map " #map ": %s", \
					    strerror(-err));			\
		map_fill(&b->bs, stat, sk->maps.map, b->md.n);			\
	} while (0)
	/*
	 * The maps are read one after the other while records keep coming,
	 * in the reverse of the order in which a record updates them (the
	 * create/bind records of live_devs and live_regions, then
	 * mmap_counts / fault_counts, then proc_stats).
	 * So a row read from one map has its earlier rows in the maps read
	 * after it: its dev_t (in the mmap_counts / fault_counts keys) and
	 * its create record are always there to name it.  Read in the
	 * other order, a device row first seen in proc_stats had no dev_t
	 * yet and was retired as gone: its counts reported as "dev:0:0"
	 * (seen under TCG, where a vCPU can stop for a whole time slice in
	 * the middle of a record).
	 */
	DUMP(flush_stats, true, fl, TDAX_STAT_FULL_FLUSH_STATS);
	DUMP(kmem_stats, false, km, TDAX_STAT_FULL_KMEM_STATS);
	/*
	 * Without per-process rows the process map is not read, unless this
	 * consumer retires the rows of a shared set (others may want them).
	 */
	if (!c->opts.no_procs || (c->share && !tdax_share_follower(c)))
		DUMP(proc_stats, false, proc, TDAX_STAT_FULL_PROC_STATS);
	else
		map_fill(&b->bs, TDAX_STAT_FULL_PROC_STATS, sk->maps.proc_stats, 0);
	DUMP(mmap_counts, true, mm, TDAX_STAT_FULL_MMAP_COUNTS);
	DUMP(fault_counts, true, fc, TDAX_STAT_FULL_FAULT_COUNTS);
	DUMP(live_regions, false, lr, TDAX_STAT_FULL_LIVE_REGIONS);
	DUMP(live_devs, false, ld, TDAX_STAT_FULL_LIVE_DEVS);
#undef DUMP
	c->md_fc = &b->fc;
	c->md_mm = &b->mm;
	c->md_ld = &b->ld;
	c->md_fl = &b->fl;
	c->md_km = &b->km;
	return 0;
}

/* Device rows and fault rows of fault_counts. */
static int rows_of_faults(struct build *b)
{
	struct tdax_snapshot *s = &b->s;
	size_t i;

	for (i = 0; i < b->fc.n; i++) {
		struct tdax_snap_fault f;
		struct tdax_snap_dev *d;
		struct fault_row fr;

		tdax_fault_row_read(&b->fc, i, &fr);
		if (tdax_late_row(b->c, &b->fc, i)) {
			/* a follower's: counted in the owner's faults_deleted */
			if (!tdax_share_follower(b->c))
				b->faults_seen += fr.lat.count;
			continue;
		}
		b->faults_seen += fr.lat.count;
		f = tdax_fault_of_row(&fr);
		if (tdax_faults_add(&s->faults, &s->nfaults, &b->cap.faults, &f))
			return -ENOMEM;
		d = tdax_snapshot_dev_add(s, &b->cap.devs, fr.k->instance, fr.k->dev);
		if (!d)
			return -ENOMEM;
		tdax_fault_row_fold(d, &fr);
		if (!d->dev)
			d->dev = fr.k->dev;
		if (!d->region_instance)
			d->region_instance = fr.region_instance;
	}
	return 0;
}

/* mmap rows, and the devices' mmap counts, of mmap_counts. */
static int rows_of_mmaps(struct build *b)
{
	struct tdax_snapshot *s = &b->s;
	size_t i;
	int cpu;

	for (i = 0; i < b->mm.n; i++) {
		const struct tdax_mmap_key *mk = dump_key(&b->mm, i);
		struct tdax_snap_mmap *m;
		struct tdax_snap_dev *d;

		if (tdax_late_row(b->c, &b->mm, i))
			continue;
		m = tdax_grow(s->mmaps, &b->cap.mmaps, s->nmmaps, sizeof(*m));
		if (!m)
			return -ENOMEM;
		s->mmaps = m;
		m = &s->mmaps[s->nmmaps++];
		m->instance = mk->instance;
		m->dev = mk->dev;
		m->result = mk->result;
		m->reason = mk->reason;
		m->count = 0;
		for (cpu = 0; cpu < b->mm.nvals; cpu++)
			m->count += ((const struct tdax_count *)dump_val(&b->mm, i, cpu))->count;
		d = tdax_snapshot_dev_add(s, &b->cap.devs, mk->instance, mk->dev);
		if (!d)
			return -ENOMEM;
		if (!d->dev)
			d->dev = mk->dev;
		if (mk->result)
			d->mmap_errors += m->count;
		else
			d->mmaps += m->count;
	}
	return 0;
}

/* What the create/bind/destroy records (live_devs) say of each device. */
static int rows_of_live_devs(struct build *b)
{
	struct tdax_snapshot *s = &b->s;
	size_t i;

	for (i = 0; i < b->ld.n; i++) {
		const struct tdax_live_dev *v = dump_val(&b->ld, i, 0);
		struct tdax_snap_dev *d;

		if (tdax_late_row(b->c, &b->ld, i))
			continue;
		d = tdax_snapshot_dev_add(s, &b->cap.devs, v->instance, v->dev);
		if (!d)
			return -ENOMEM;
		if (v->name[0])
			snprintf(d->name, sizeof(d->name), "%s", v->name);
		if (!d->dev)
			d->dev = v->dev;
		if (v->region_instance)
			d->region_instance = v->region_instance;
		d->region_id = v->create_ns || v->destroy_ns ? (__s32)v->region_id : d->region_id;
		if (!d->size)
			d->size = v->size;
		if (!d->align)
			d->align = v->align;
		d->binds = v->binds;
		d->unbinds = v->unbinds;
		if (v->create_ns) {
			d->age_known = true;
			d->create_ns = v->create_ns;
			d->age_ns = s->ts_ns > v->create_ns ? s->ts_ns - v->create_ns : 0;
		}
	}
	return 0;
}

/* Process rows of proc_stats; rows of retired instances go to "exited". */
static int rows_of_procs(struct build *b)
{
	struct tdax_collector *c = b->c;
	struct tdax_snapshot *s = &b->s;
	size_t i;

	b->proc_row = malloc((b->proc.n + 1) * sizeof(*b->proc_row));
	if (!b->proc_row)
		return -ENOMEM;
	tdax_procs_begin(c->procs);
	for (i = 0; i < b->proc.n; i++) {
		const struct tdax_proc_key *pk = dump_key(&b->proc, i);
		const struct tdax_proc_val *v = dump_val(&b->proc, i, 0);
		struct tdax_snap_proc *p;
		struct tdax_snap_dev *d;

		b->proc_row[i] = SIZE_MAX;
		/* a shared set: rows the owner has folded, or will fold */
		if (tdax_share_follower(c) &&
		    (tdax_archived_dev(c, pk->instance) || tdax_share_folded(c, pk)))
			continue;
		if (tdax_archived_dev(c, pk->instance)) {
			/* a process row of a retired instance: straight into "exited" */
			struct tdax_snap_proc late = { .instance = pk->instance, .dev = v->g.dev,
						       .mmaps = v->mmaps,
						       .mmap_errors = v->mmap_errors };

			tdax_gran_add_bpf(&late.g, &v->g);
			memcpy(late.reasons, v->reasons, sizeof(late.reasons));
			tdax_fold_proc(c, &late);
			tdax_share_folded_add(c, pk);
			tdax_map_del(c, b->proc.fd, pk, sizeof(*pk));
			continue;
		}
		p = tdax_grow(s->procs, &b->cap.procs, s->nprocs, sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->procs = p;
		b->proc_row[i] = s->nprocs;
		p = &s->procs[s->nprocs++];
		memset(p, 0, sizeof(*p));
		p->pid = pk->tgid;
		p->start_ns = pk->start_ns;
		p->instance = pk->instance;
		tdax_gran_add_bpf(&p->g, &v->g);
		p->dev = v->g.dev;
		p->mmaps = v->mmaps;
		p->mmap_errors = v->mmap_errors;
		memcpy(p->reasons, v->reasons, sizeof(p->reasons));
		memcpy(p->comm, v->comm, sizeof(p->comm));
		p->comm[TDAX_COMM_LEN - 1] = 0;
		p->alive = tdax_procs_alive(c->procs, p->pid, p->start_ns);
		d = tdax_snapshot_dev_add(s, &b->cap.devs, pk->instance, 0);
		if (!d)
			return -ENOMEM;
		if (!p->dev)
			p->dev = d->dev;
	}
	return 0;
}

/* Flushes per (instance, domain); tdax_kmem ranges per (instance, range). */
static int rows_of_flush_kmem(struct build *b)
{
	struct tdax_snapshot *s = &b->s;
	size_t i;

	for (i = 0; i < b->fl.n; i++) {
		struct tdax_snap_dev *d;

		if (tdax_late_row(b->c, &b->fl, i))
			continue;
		d = tdax_snapshot_dev_add(s, &b->cap.devs, key_instance(&b->fl, i), 0);
		if (!d)
			return -ENOMEM;
		tdax_flush_row_add(d, &b->fl, i);
	}
	for (i = 0; i < b->km.n; i++) {
		const struct tdax_kmem_val *v = dump_val(&b->km, i, 0);
		struct tdax_snap_dev *d;

		if (tdax_late_row(b->c, &b->km, i))
			continue;
		d = tdax_snapshot_dev_add(s, &b->cap.devs, key_instance(&b->km, i), v->dev);
		if (!d)
			return -ENOMEM;
		if (!d->dev)
			d->dev = v->dev;
		if (!d->region_instance)
			d->region_instance = v->region_instance;
		if (!d->name[0] && v->name[0])
			snprintf(d->name, sizeof(d->name), "%s", v->name);
		tdax_kmem_merge(&d->kmem, v);
	}
	return 0;
}

/* sysfs: names and gauges of the present instances (rows of their own if new). */
static int rows_of_sysfs(struct build *b)
{
	struct tdax_collector *c = b->c;
	struct tdax_snapshot *s = &b->s;
	size_t i;

	for (i = 0; i < c->sysfs.ndevs; i++) {
		const struct tdax_sysfs_dev *sd = &c->sysfs.devs[i];
		struct tdax_snap_dev *d = b->retire_all ? NULL : row_of_sysfs(s, &b->ld, sd);
		struct tdax_seen *seen;

		if (!d)
			d = tdax_snapshot_dev_add(s, &b->cap.devs, 0, sd->dev);
		if (!d)
			return -ENOMEM;
		sysfs_fill(d, sd);
		seen = tdax_seen_find(c, 0, 0, sd->name, false);
		if (seen && !d->age_known)
			d->age_ns = s->ts_ns - seen->first_ns;
	}
	return 0;
}

/* Name the map rows sysfs did not name, and find those that are gone. */
static int find_gone(struct build *b)
{
	struct tdax_collector *c = b->c;
	struct tdax_snapshot *s = &b->s;
	size_t i, j;

	b->gone = calloc(s->ndevs + 1, sizeof(*b->gone));
	if (!b->gone)
		return -ENOMEM;
	for (i = 0; i < b->nmap_devs; i++) {
		struct tdax_snap_dev *d = &s->devs[i];
		const struct tdax_live_dev *v = live_dev(&b->ld, d->instance);

		if (!d->name[0]) {
			/* never named: last name known for its dev_t, else MAJ:MIN */
			for (j = 0; j < c->nseen; j++)
				if (c->seen[j].kind == 0 && d->dev && c->seen[j].dev == d->dev) {
					snprintf(d->name, sizeof(d->name), "%s", c->seen[j].name);
					break;
				}
			if (!d->name[0])
				snprintf(d->name, sizeof(d->name), "dev:%u:%u",
					 TDAX_KDEV_MAJOR(d->dev), TDAX_KDEV_MINOR(d->dev));
		}
		if (!d->align && d->g.align_seen)
			d->align = 1ULL << d->g.align_seen;
		if (d->region_id < 0 && (d->g.align_seen || d->g.region_id))
			d->region_id = d->g.region_id;
		if (d->present)
			continue;
		/*
		 * Not in sysfs: destroyed (record seen), or gone while we were
		 * not looking.  A device created after the sysfs scan is not
		 * gone, only not scanned yet.
		 */
		if (b->retire_all || (v && v->destroy_ns) || !v || !v->create_ns ||
		    v->create_ns < c->scan_ns)
			b->gone[i] = true;
		/*
		 * No dev_t and no create record: a row read in the middle of
		 * its first record (the dev_t is stored last, flush_stats
		 * names a device by nothing else).  It cannot be matched to
		 * sysfs yet, which does not make it gone: the next snapshot
		 * names it.  Likewise a stock instance without its live_devs
		 * entry (given at its first fault, before the counters).
		 */
		if (!b->retire_all && !v && (!d->dev || tdax_instance_is_stock(d->instance)))
			b->gone[i] = false;
	}
	return 0;
}

/* Regions: sysfs, and the instances the create/destroy records name. */
static int rows_of_regions(struct build *b)
{
	struct tdax_collector *c = b->c;
	struct tdax_snapshot *s = &b->s;
	size_t i, j;

	for (i = 0; i < c->sysfs.nregions; i++) {
		const struct tdax_sysfs_region *sr = &c->sysfs.regions[i];
		struct tdax_snap_region *r;
		struct tdax_seen *seen;

		r = tdax_grow(s->regions, &b->cap.regions, s->nregions, sizeof(*r));
		if (!r)
			return -ENOMEM;
		s->regions = r;
		r = &s->regions[s->nregions++];
		memset(r, 0, sizeof(*r));
		r->id = sr->id;
		memcpy(r->provider, sr->provider, sizeof(r->provider));
		r->start = sr->start;
		r->size = sr->size;
		r->align = sr->align;
		r->available_size = sr->available_size;
		r->ndevs = sr->ndevs;
		r->present = true;
		seen = tdax_seen_find(c, 1, sr->id, NULL, false);
		if (seen)
			r->age_ns = s->ts_ns - seen->first_ns;
	}
	for (i = 0; i < b->lr.n; i++) {
		const struct tdax_live_region *v = dump_val(&b->lr, i, 0);
		struct tdax_snap_region *r = NULL;

		for (j = 0; j < s->nregions; j++)
			if (s->regions[j].id == v->id && s->regions[j].present && !v->destroy_ns &&
			    (!s->regions[j].instance || s->regions[j].instance < v->instance))
				r = &s->regions[j];
		if (!r) {
			if (!v->destroy_ns && !b->retire_all && v->create_ns >= c->scan_ns)
				continue;	/* created after the scan */
			r = tdax_grow(s->regions, &b->cap.regions, s->nregions, sizeof(*r));
			if (!r)
				return -ENOMEM;
			s->regions = r;
			r = &s->regions[s->nregions++];
			memset(r, 0, sizeof(*r));
			r->id = v->id;
			r->size = v->size;
			r->align = v->align;
			r->retired = true;	/* reported once, then deleted below */
			memcpy(r->provider, v->provider, sizeof(r->provider));
			r->provider[TDAX_NAME_LEN - 1] = 0;
		}
		r->instance = v->instance;
		r->start = v->start;
		if (!r->provider[0]) {
			memcpy(r->provider, v->provider, sizeof(r->provider));
			r->provider[TDAX_NAME_LEN - 1] = 0;
		}
		if (v->create_ns) {
			r->age_known = true;
			r->create_ns = v->create_ns;
			r->age_ns = s->ts_ns > v->create_ns ? s->ts_ns - v->create_ns : 0;
		}
	}
	return 0;
}

/*
 * Append the archive (instances retired earlier), then retire what is gone
 * now: archive it, delete its rows from the maps; fold the processes that
 * exited into "exited"; delete destroyed regions.
 */
static int retire(struct build *b)
{
	struct tdax_collector *c = b->c;
	struct tdax_snapshot *s = &b->s;
	size_t i;
	int err;

	err = tdax_archive_append(c, s, &b->cap.devs, &b->cap.faults, &b->cap.mmaps,
				  &b->cap.procs, &b->cap.regions);
	if (err)
		return err;
	for (i = 0; i < b->nmap_devs; i++) {
		struct tdax_snap_dev *d = &s->devs[i];

		if (!b->gone[i])
			continue;
		d->retired = true;
		d->retired_ns = s->ts_ns;
		/*
		 * A follower of a shared set reports it from the maps until
		 * the owner has archived it (then from the owner's archive).
		 */
		if (tdax_share_follower(c))
			continue;
		/* the owner: once every consumer has reported it retired */
		{
			struct tdax_proc_key k = { .instance = d->instance };

			if (!tdax_share_may_retire(c, 0, &k, s->ts_ns))
				continue;
		}
		err = tdax_archive_dev(c, s, d, s->ts_ns);
		if (err)
			return err;
		tdax_map_del(c, b->ld.fd, &d->instance, sizeof(d->instance));
		tdax_fault_rows_delete(c, &b->fc, d->instance);
		tdax_dump_delete_instance(c, &b->mm, d->instance);
		tdax_dump_delete_instance(c, &b->fl, d->instance);
		tdax_dump_delete_instance(c, &b->km, d->instance);
	}
	tdax_procs_end(c->procs);	/* forget processes whose rows are gone */
	if (tdax_share_follower(c)) {
		if (b->retire_all)
			c->retire_all = false;
		return 0;	/* the owner folds, deletes and expires */
	}
	for (i = 0; i < b->proc.n; i++) {
		const struct tdax_proc_key *pk = dump_key(&b->proc, i);
		const struct tdax_snap_proc *p = b->proc_row[i] == SIZE_MAX ? NULL :
						 &s->procs[b->proc_row[i]];
		const struct tdax_snap_dev *d = p ? tdax_snapshot_dev_instance(s, pk->instance) :
						    NULL;

		if (!p || (p->alive && !(d && d->retired)))
			continue;
		if (!tdax_share_may_retire(c, 1, pk, s->ts_ns))
			continue;	/* another consumer has yet to report it */
		/* reported in this snapshot; from the next one on, in "exited" */
		tdax_fold_proc(c, p);
		tdax_share_folded_add(c, pk);
		tdax_map_del(c, b->proc.fd, pk, sizeof(*pk));
	}
	for (i = 0; i < b->lr.n; i++) {
		const struct tdax_live_region *v = dump_val(&b->lr, i, 0);

		if (v->destroy_ns || b->retire_all)
			tdax_map_del(c, b->lr.fd, dump_key(&b->lr, i), b->lr.ksz);
	}
	tdax_share_pending_prune(c);
	tdax_archive_expire(c, s->ts_ns);
	if (b->retire_all)
		c->retire_all = false;
	return 0;
}

/* Histograms of lifetimes and the event / health counters. */
static int read_counters(struct build *b)
{
	struct tdax_collector *c = b->c;
	struct tdax_collect *sk = c->skel;
	size_t vsz = (sizeof(struct tdax_hist) + 7) & ~(size_t)7;
	char *hv = calloc(c->ncpus, vsz);
	__u64 *vals = calloc(c->ncpus, sizeof(__u64));
	int cpu;
	__u32 k;

	if (!hv || !vals) {
		free(hv);
		free(vals);
		return -ENOMEM;
	}
	for (k = 0; k < TDAX_LT_NR; k++) {
		int lt = tdax_lifetime_of_bpf(k);

		if (lt < 0 || bpf_map_lookup_elem(bpf_map__fd(sk->maps.lifetimes), &k, hv))
			continue;
		for (cpu = 0; cpu < c->ncpus; cpu++)
			tdax_hist_add_bpf(&b->s.lifetimes[lt], (void *)(hv + cpu * vsz));
	}
	for (k = 0; k < TDAX_STAT_NR; k++) {
		if (bpf_map_lookup_elem(bpf_map__fd(sk->maps.stats), &k, vals))
			continue;
		for (cpu = 0; cpu < c->ncpus; cpu++)
			b->bs.stats[k] += vals[cpu];
	}
	/* not counted by the programs: the records of the fault_counts rows */
	b->bs.stats[TDAX_STAT_EV_FAULT] = b->faults_seen;
	free(hv);
	free(vals);
	tdax_counters_from_bpf(&b->s, &b->bs);
	read_run_stats(c, &b->s);
	return 0;
}

int tdax_collector_snapshot(struct tdax_collector *c, struct tdax_snapshot *out)
{
	struct build b = { .c = c };
	/* before sysfs is read: what the shared set's owner waits for */
	__u64 start_ns = tdax_now_ns(CLOCK_MONOTONIC);
	int err;

	err = tdax_collector_refresh(c);
	if (err < 0)
		return err;
	tdax_share_begin(c);	/* a shared set: ownership, the per-process switch */
	b.retire_all = c->retire_all;
	tdax_snapshot_init(&b.s);
	b.s.ts_ns = tdax_now_ns(CLOCK_MONOTONIC);
	b.s.realtime_ns = tdax_now_ns(CLOCK_REALTIME);
	b.s.mode = tdax_collector_mode(c);
	b.s.sources = tdax_collector_sources(c);
	b.s.stock_mode = tdax_stock_mode(c);
	b.s.set_role = !c->share ? TDAX_SET_PRIVATE :
		       tdax_share_follower(c) ? TDAX_SET_FOLLOWER : TDAX_SET_OWNER;

	err = read_maps(&b);
	/* a follower: the owner's archive, read after the maps (share.c) */
	if (!err)
		err = tdax_share_sync(c);
	/*
	 * Fault records: those of the rows deleted before this snapshot, and
	 * (rows_of_faults()) those of the rows read now, deleted or not.
	 */
	b.faults_seen = c->faults_deleted;
	/* device rows: one per instance found in any map */
	if (!err)
		err = rows_of_faults(&b);
	if (!err)
		err = rows_of_mmaps(&b);
	if (!err)
		err = rows_of_live_devs(&b);
	if (!err)
		err = rows_of_procs(&b);
	if (!err)
		err = rows_of_flush_kmem(&b);
	b.nmap_devs = b.s.ndevs;
	if (!err)
		err = rows_of_sysfs(&b);
	if (!err)
		err = find_gone(&b);
	if (!err)
		err = rows_of_regions(&b);
	if (!err)
		err = retire(&b);
	/* the owner of a shared set: the archive on record, then the deletions */
	if (!err)
		err = tdax_share_commit(c);
	if (c->opts.no_procs)
		b.s.nprocs = 0;	/* read only to retire them (a shared set's owner) */
	if (!err)
		err = read_counters(&b);
	if (!err) {
		tdax_share_snapshot_done(c, start_ns);
		tdax_snapshot_sort(&b.s);
		tdax_snapshot_free(out);
		*out = b.s;
	} else {
		tdax_snapshot_free(&b.s);
	}
	free(b.gone);
	free(b.proc_row);
	c->md_fc = c->md_mm = c->md_ld = NULL;
	c->md_fl = c->md_km = NULL;
	tdax_dump_free(&b.fl);
	tdax_dump_free(&b.km);
	tdax_dump_free(&b.fc);
	tdax_dump_free(&b.mm);
	tdax_dump_free(&b.proc);
	tdax_dump_free(&b.ld);
	tdax_dump_free(&b.lr);
	return err;
}
