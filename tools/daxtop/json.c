// SPDX-License-Identifier: GPL-2.0-only
/*
 * json.c - daxtop -J: one JSON document per interval (json-c).
 * The schema is documented in docs/daxtop.md; keep both in step.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "daxtop.h"

#define ADD(o, k, v) json_object_object_add((o), (k), (v))
#define U64(v) json_object_new_int64((int64_t)(v))
#define DBL(v) json_object_new_double(v)
#define STR(v) json_object_new_string(v)
#define BOOL(v) json_object_new_boolean(v)

static struct json_object *ratio(double r)
{
	return isnan(r) ? NULL : json_object_new_double(round(r * 1e6) / 1e6);
}

static struct json_object *devt_str(__u32 dev)
{
	char b[24];

	snprintf(b, sizeof(b), "%u:%u", TDAX_KDEV_MAJOR(dev), TDAX_KDEV_MINOR(dev));
	return STR(b);
}

static struct json_object *quant(double v)
{
	return isnan(v) ? NULL : json_object_new_double(round(v * 10) / 10);
}

static struct json_object *hist_json(const struct tdax_histogram *h)
{
	struct json_object *o = json_object_new_object(), *b = json_object_new_array();
	unsigned int i;

	ADD(o, "count", U64(h->count));
	ADD(o, "sum_ns", U64(h->sum));
	ADD(o, "p50_ns", quant(tdax_hist_quantile(h, 0.5)));
	ADD(o, "p99_ns", quant(tdax_hist_quantile(h, 0.99)));
	for (i = 0; i < TDAX_HISTOGRAM_SLOTS; i++) {
		struct json_object *pair;

		if (!h->slots[i])
			continue;
		pair = json_object_new_array();
		json_object_array_add(pair, U64(tdax_hist_slot_upper(i)));
		json_object_array_add(pair, U64(h->slots[i]));
		json_object_array_add(b, pair);
	}
	ADD(o, "buckets", b);	/* [le: inclusive upper bound ns, count in (le/2, le]] */
	return o;
}

/* Fault counters shared by devices and processes. */
static void gran_json(struct json_object *o, const struct tdax_gran *g, __u64 interval_ns)
{
	struct json_object *by = json_object_new_object();
	__u64 ended = tdax_gran_ended(g);
	int k;

	for (k = 0; k < TDAX_SZ_NR; k++) {
		struct json_object *s = json_object_new_object();

		ADD(s, "attempts", U64(g->attempts[k]));
		ADD(s, "mapped", U64(g->mapped[k]));
		ADD(s, "fallback", U64(g->fallback[k]));
		ADD(s, "sigbus", U64(g->sigbus[k]));
		ADD(by, tdax_size_name(k), s);
	}
	ADD(o, "faults", by);
	ADD(o, "faults_attempted", U64(tdax_gran_attempts(g)));
	ADD(o, "faults_ended", U64(ended));
	ADD(o, "hits", U64(g->hits));
	ADD(o, "misses", U64(g->misses));
	ADD(o, "below_align", U64(g->below_align));
	ADD(o, "sigbus", U64(tdax_gran_sigbus(g)));
	ADD(o, "other", U64(g->other));
	ADD(o, "bytes_mapped", U64(g->bytes_mapped));
	ADD(o, "bytes_aligned", U64(g->bytes_aligned));
	ADD(o, "hit_ratio", ratio(tdax_hit_ratio(g)));
	ADD(o, "byte_coverage", ratio(tdax_byte_coverage(g)));
	ADD(o, "faults_per_s", DBL(tdax_fault_rate(g, interval_ns)));
	ADD(o, "latency_sum_ns", U64(g->lat_sum_ns));
}

static void flush_fields(struct json_object *o, const struct tdax_snap_flush *f, __u64 interval_ns)
{
	ADD(o, "flushes", U64(f->flushes));
	ADD(o, "bytes", U64(f->bytes));
	ADD(o, "skipped", U64(f->skipped));
	ADD(o, "skipped_bytes", U64(f->skipped_bytes));
	ADD(o, "errors", U64(f->errors));
	ADD(o, "flushes_done", U64(tdax_flush_done(f)));
	ADD(o, "bytes_flushed", U64(tdax_flush_bytes_done(f)));
	ADD(o, "flushes_per_s", DBL(tdax_rate(f->flushes, interval_ns)));
	ADD(o, "bytes_flushed_per_s", DBL(tdax_rate(tdax_flush_bytes_done(f), interval_ns)));
	ADD(o, "latency", hist_json(&f->lat));
}

/* "flush": the device's flushes, in total and by persistence domain. */
static struct json_object *flush_json(const struct tdax_snap_dev *x, __u64 interval_ns)
{
	struct json_object *o = json_object_new_object(), *by = json_object_new_object();
	struct tdax_snap_flush tot;
	unsigned int k;

	tdax_flush_total(x, &tot);
	flush_fields(o, &tot, interval_ns);
	for (k = 0; k < TDAX_PD_NR; k++) {
		struct json_object *dom;

		if (!x->flush[k].flushes)
			continue;
		dom = json_object_new_object();
		flush_fields(dom, &x->flush[k], interval_ns);
		ADD(by, tdax_domain_name(k), dom);
	}
	ADD(o, "domains", by);
	return o;
}

/* "kmem": the device's tdax_kmem state (null if no tdax_kmem record named it). */
static struct json_object *kmem_json(const struct tdax_snap_kmem *k)
{
	struct json_object *o, *z, *of, *bo;
	unsigned int i;

	if (!k->seen)
		return NULL;
	o = json_object_new_object();
	z = json_object_new_object();
	of = json_object_new_object();
	bo = json_object_new_object();
	ADD(o, "mode", STR(tdax_mode_name(k->mode)));
	ADD(o, "ranges", U64(k->ranges));
	ADD(o, "blocks", U64(k->blocks));
	ADD(o, "blocks_online", U64(k->blocks_online));
	ADD(o, "block_size", U64(k->block_size));
	ADD(o, "bytes", U64(k->bytes));
	ADD(o, "online_bytes", U64(tdax_kmem_online_bytes(k)));
	for (i = 0; i < TDAX_KZ_NR; i++)
		if (i != TDAX_KZ_OFFLINE && i != TDAX_KZ_MIXED)
			ADD(z, tdax_kmem_zone_name(i), U64(k->online[i]));
	ADD(o, "online_by_zone", z);
	ADD(o, "zone", STR(tdax_kmem_zone_name(k->zone)));
	ADD(o, "node", json_object_new_int(k->node));
	ADD(o, "tier", k->tier >= 0 ? json_object_new_int(k->tier) : NULL);
	ADD(o, "adistance", json_object_new_int(k->adistance));
	ADD(o, "memmap_on_memory", BOOL(k->memmap_on_memory));
	ADD(o, "last_result", json_object_new_int(k->last_result));
	ADD(o, "last_reason", STR(tdax_kmem_reason_name(k->last_reason)));
	ADD(o, "adds", U64(k->adds));
	ADD(o, "add_errors", U64(k->add_errors));
	ADD(o, "removes", U64(k->removes));
	ADD(o, "remove_errors", U64(k->remove_errors));
	for (i = 0; i < TDAX_KR_NR; i++)
		if (k->offline_failures[i])
			ADD(of, tdax_kmem_reason_name(i), U64(k->offline_failures[i]));
	ADD(o, "offline_failures", of);
	for (i = 0; i < TDAX_KB_NR; i++)
		ADD(bo, tdax_kmem_block_op_name(i), U64(k->block_ops[i]));
	ADD(o, "block_ops", bo);
	return o;
}

static struct json_object *dev_json(const struct tdax_snapshot *d, const struct tdax_snap_dev *x,
				    const struct dt_opts *opt)
{
	struct json_object *o = json_object_new_object(), *lat = json_object_new_object();
	struct json_object *rs = json_object_new_array(), *ms = json_object_new_array();
	size_t i;
	int k;

	ADD(o, "name", STR(x->name));
	ADD(o, "instance", U64(x->instance));
	ADD(o, "source", STR(tdax_dev_source(x)));
	/* faults that ended on a vma whose file offset is not a multiple of the
	 * alignment: the in-tree driver mapped the wrong memory */
	ADD(o, "offset_misaligned", U64(tdax_reason_ended(d, x->instance,
							 TDAX_FR_OFFSET_MISALIGNED, -1)));
	ADD(o, "dev", devt_str(x->dev));
	ADD(o, "region", x->region_id >= 0 ? U64(x->region_id) : NULL);
	ADD(o, "size", U64(x->size));
	ADD(o, "align", U64(x->align));
	ADD(o, "driver", x->driver[0] ? STR(x->driver) : NULL);
	ADD(o, "fault_policy", x->fault_policy[0] ? STR(x->fault_policy) : NULL);
	ADD(o, "present", BOOL(x->present));
	ADD(o, "retired", BOOL(x->retired));
	ADD(o, "age_s", DBL(x->age_ns / 1e9));
	ADD(o, "age_known", BOOL(x->age_known));
	gran_json(o, &x->g, d->interval_ns);
	for (k = 0; k <= TDAX_SZ_NR; k++)
		if (x->lat[k].count || k < TDAX_SZ_NR)
			ADD(lat, tdax_size_name(k), hist_json(&x->lat[k]));
	ADD(o, "latency", lat);
	ADD(o, "latency_scope", STR(opt->pid ? "system" : "device"));
	for (i = 0; i < d->nfaults; i++) {
		const struct tdax_snap_fault *f = &d->faults[i];
		struct json_object *r;

		if (f->instance != x->instance || !x->instance || !f->count)
			continue;
		r = json_object_new_object();
		/* -p: reasons are kept per process by outcome, not by size */
		ADD(r, "size", f->size_idx < TDAX_SZ_NR || !opt->pid ? STR(tdax_size_name(f->size_idx))
								     : NULL);
		ADD(r, "outcome", STR(tdax_fault_outcome_name(f->outcome)));
		ADD(r, "reason", STR(tdax_fault_reason_name(f->reason)));
		ADD(r, "count", U64(f->count));
		json_object_array_add(rs, r);
	}
	ADD(o, "reasons", rs);
	ADD(o, "mmaps", U64(x->mmaps));
	ADD(o, "mmap_errors", U64(x->mmap_errors));
	for (i = 0; i < d->nmmaps; i++) {
		const struct tdax_snap_mmap *m = &d->mmaps[i];
		struct json_object *r;

		if (m->instance != x->instance || !x->instance || !m->count)
			continue;
		r = json_object_new_object();
		ADD(r, "result", json_object_new_int(m->result));
		ADD(r, "reason", STR(tdax_mmap_reason_name(m->reason)));
		ADD(r, "count", U64(m->count));
		json_object_array_add(ms, r);
	}
	ADD(o, "mmap_outcomes", ms);
	ADD(o, "binds", U64(x->binds));
	ADD(o, "unbinds", U64(x->unbinds));
	ADD(o, "mode", STR(tdax_dev_mode(x)));
	ADD(o, "flush", flush_json(x, d->interval_ns));
	ADD(o, "kmem", kmem_json(&x->kmem));
	return o;
}

struct json_object *dt_json_doc(const struct tdax_snapshot *d, const struct dt_opts *opt)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *devs = json_object_new_array(), *procs = json_object_new_array();
	struct json_object *regs = json_object_new_array(), *lt = json_object_new_object();
	struct json_object *health = json_object_new_object(), *ev = json_object_new_object();
	struct json_object *full = json_object_new_object();
	size_t i;

	ADD(doc, "timestamp", DBL(d->realtime_ns / 1e9));
	ADD(doc, "interval_s", DBL(d->interval_ns / 1e9));
	ADD(doc, "cumulative", BOOL(opt->cumulative));
	ADD(doc, "attach", STR(tdax_attach_mode_name(d->mode)));
	ADD(doc, "program_set", STR(tdax_set_role_name(d->set_role)));
	ADD(doc, "source", STR(tdax_source_name(d->sources)));
	ADD(doc, "stock_attach", d->stock_mode ? STR(tdax_attach_mode_name(d->stock_mode)) : NULL);
	ADD(doc, "filter_pid", opt->pid ? json_object_new_int(opt->pid) : NULL);
	ADD(doc, "filter_device", opt->device[0] ? STR(opt->device) : NULL);
	for (i = 0; i < d->ndevs; i++)
		json_object_array_add(devs, dev_json(d, &d->devs[i], opt));
	ADD(doc, "devices", devs);
	for (i = 0; i < d->nprocs; i++) {
		const struct tdax_snap_proc *p = &d->procs[i];
		const struct tdax_snap_dev *x = tdax_snapshot_dev_instance(d, p->instance);
		struct json_object *o = json_object_new_object();

		ADD(o, "pid", U64(p->pid));
		ADD(o, "start_ns", U64(p->start_ns));
		ADD(o, "comm", STR(p->comm));
		ADD(o, "device", x ? STR(x->name) : NULL);
		ADD(o, "instance", U64(p->instance));
		ADD(o, "alive", BOOL(p->alive));
		ADD(o, "exited", BOOL(p->exited));
		gran_json(o, &p->g, d->interval_ns);
		ADD(o, "mmaps", U64(p->mmaps));
		ADD(o, "mmap_errors", U64(p->mmap_errors));
		json_object_array_add(procs, o);
	}
	ADD(doc, "processes", procs);
	for (i = 0; i < d->nregions; i++) {
		const struct tdax_snap_region *r = &d->regions[i];
		struct json_object *o = json_object_new_object();

		ADD(o, "id", U64(r->id));
		ADD(o, "instance", U64(r->instance));
		ADD(o, "provider", r->provider[0] ? STR(r->provider) : NULL);
		ADD(o, "start", U64(r->start));
		ADD(o, "size", U64(r->size));
		ADD(o, "align", U64(r->align));
		ADD(o, "available_size", U64(r->available_size));
		ADD(o, "devices", U64(r->ndevs));
		ADD(o, "present", BOOL(r->present));
		ADD(o, "retired", BOOL(r->retired));
		ADD(o, "age_s", DBL(r->age_ns / 1e9));
		ADD(o, "age_known", BOOL(r->age_known));
		json_object_array_add(regs, o);
	}
	ADD(doc, "regions", regs);
	for (i = 0; i < TDAX_LIFETIME_NR; i++)
		ADD(lt, tdax_lifetime_name(i), hist_json(&d->lifetimes[i]));
	ADD(doc, "lifetimes", lt);
	for (i = TDAX_CTR_EV_FIRST; i <= TDAX_CTR_EV_LAST; i++)
		ADD(ev, tdax_counter_name(i), U64(d->counters[i]));
	ADD(health, "events", ev);
	for (i = TDAX_CTR_FULL_FIRST; i <= TDAX_CTR_FULL_LAST; i++) {
		struct json_object *m = json_object_new_object();

		ADD(m, "full", U64(d->counters[i]));
		ADD(m, "entries", U64(d->map_entries[i]));
		ADD(m, "max_entries", U64(d->map_max[i]));
		ADD(full, tdax_counter_name(i), m);
	}
	ADD(health, "maps", full);
	ADD(health, "events_lost", U64(d->counters[TDAX_CTR_EVENTS_LOST]));
	ADD(health, "read_errors", U64(d->counters[TDAX_CTR_READ_ERRORS]));
	ADD(health, "bpf_run_ns", U64(d->bpf_run_ns));
	ADD(health, "bpf_run_count", U64(d->bpf_run_cnt));
	ADD(doc, "health", health);
	return doc;
}

struct json_object *dt_json_event(const struct tdax_snoop_event *e, const char *devname)
{
	struct json_object *o = json_object_new_object();
	bool fault = e->kind == TDAX_SNOOP_FAULT;

	ADD(o, "ts_ns", U64(e->ts_ns));
	ADD(o, "kind", STR(fault ? "fault" : "mmap"));
	ADD(o, "pid", U64(e->pid));
	ADD(o, "tid", U64(e->tid));
	ADD(o, "comm", STR(e->comm));
	ADD(o, "device", STR(devname));
	ADD(o, "instance", U64(e->instance));
	ADD(o, "region", U64(e->region_id));
	ADD(o, "address", U64(e->address));
	ADD(o, "pgoff", U64(e->pgoff));
	ADD(o, "size", U64(e->size));
	if (fault) {
		ADD(o, "align", U64(e->align));
		ADD(o, "write", BOOL(e->write));
		ADD(o, "outcome", STR(tdax_fault_outcome_name(e->outcome)));
		ADD(o, "reason", STR(tdax_fault_reason_name(e->reason)));
		ADD(o, "phys", U64(e->phys));
		ADD(o, "latency_ns", U64(e->latency_ns));
		ADD(o, "vm_fault", U64((__u32)e->result));
	} else {
		ADD(o, "result", json_object_new_int(e->result));
		ADD(o, "reason", STR(tdax_mmap_reason_name(e->reason)));
	}
	return o;
}
