// SPDX-License-Identifier: GPL-2.0-only
/*
 * text.c - daxtop's views as lines of at most 80 columns, shared by the
 * batch mode (-b) and the interactive view.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daxtop.h"

#define TOP_REASONS 5

void dt_lines_add(struct dt_lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		char **p = realloc(l->line, cap * sizeof(*p));

		if (!p)
			return;
		l->line = p;
		l->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s)
		l->line[l->n++] = s;
}

void dt_lines_free(struct dt_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
	memset(l, 0, sizeof(*l));
}

char *dt_fmt_rate(double v, char *buf, size_t len)
{
	if (v < 10000)
		snprintf(buf, len, "%.1f", v);
	else if (v < 10e6)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.1fM", v / 1e6);
	return buf;
}

char *dt_fmt_ns(__u64 ns, char *buf, size_t len)
{
	if (!ns)
		snprintf(buf, len, "-");
	else if (ns < 10000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.0fus", ns / 1e3);
	else if (ns < 10000000000ULL)
		snprintf(buf, len, "%.0fms", ns / 1e6);
	else
		snprintf(buf, len, "%.0fs", ns / 1e9);
	return buf;
}

static char *fmt_age(__u64 ns, bool known, char *buf, size_t len)
{
	__u64 s = ns / 1000000000ULL;
	char pre = known ? ' ' : '>';

	if (s < 100)
		snprintf(buf, len, "%c%.1fs", pre, ns / 1e9);
	else if (s < 6000)
		snprintf(buf, len, "%c%llum", pre, (unsigned long long)s / 60);
	else if (s < 360000)
		snprintf(buf, len, "%c%lluh", pre, (unsigned long long)s / 3600);
	else
		snprintf(buf, len, "%c%llud", pre, (unsigned long long)s / 86400);
	return buf;
}

static char *fmt_pct(double r, char *buf, size_t len)
{
	if (isnan(r))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", r * 100);
	return buf;
}

/* Faults that ended at size si: mapped there or SIGBUS there. */
__u64 dt_dev_ended_size(const struct tdax_gran *g, int si)
{
	return g->mapped[si] + g->sigbus[si];
}

static __u64 gran_ended(const struct tdax_gran *g)
{
	return tdax_gran_ended(g);
}

static void dev_lat(const struct tdax_snap_dev *d, struct tdax_histogram *all)
{
	int k;

	memset(all, 0, sizeof(*all));
	for (k = 0; k <= TDAX_SZ_NR; k++)
		tdax_hist_add(all, &d->lat[k]);
}

/* Mean handler latency of a process (per-process histograms are not kept). */
static double proc_lat_mean(const struct tdax_gran *g)
{
	__u64 n = tdax_gran_attempts(g);

	return n ? (double)g->lat_sum_ns / (double)n : NAN;
}

void dt_render_header(const struct tdax_snapshot *d, const struct dt_opts *o,
		      struct dt_lines *out)
{
	struct tdax_gran tot = {};
	__u64 full = 0, refused = 0, sec = d->realtime_ns / 1000000000ULL;
	char b1[16], b2[16], b3[16], b4[16], b5[16], tbuf[16], att[40];
	time_t t = (time_t)sec;
	struct tm tm;
	size_t i;
	int k;

	localtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	for (i = 0; i < d->ndevs; i++) {
		tdax_gran_add(&tot, &d->devs[i].g);
		refused += d->devs[i].mmap_errors;
	}
	for (k = TDAX_CTR_FULL_FIRST; k <= TDAX_CTR_FULL_LAST; k++)
		full += d->counters[k];
	/* attach: the tdax mode; stock:MODE or both:TDAX+STOCK otherwise */
	if (d->sources & TDAX_SOURCE_STOCK)
		snprintf(att, sizeof(att), "%s:%s%s%s", tdax_source_name(d->sources),
			 d->sources & TDAX_SOURCE_TDAX ? tdax_attach_mode_name(d->mode) : "",
			 d->sources & TDAX_SOURCE_TDAX ? "+" : "", tdax_attach_mode_name(d->stock_mode));
	else
		snprintf(att, sizeof(att), "%s", tdax_attach_mode_name(d->mode));
	dt_lines_add(out, "daxtop %s %s %.1fs attach %s devices %zu procs %zu regions %zu",
		     tbuf, o->cumulative ? "cumul" : "interval",
		     d->interval_ns / 1e9, att, d->ndevs, d->nprocs, d->nregions);
	dt_lines_add(out, "faults/s %s hit %s%% cover %s%% fb/s %s sigbus/s %s mmap-err %llu",
		     dt_fmt_rate(tdax_fault_rate(&tot, d->interval_ns), b1, sizeof(b1)),
		     fmt_pct(tdax_hit_ratio(&tot), b2, sizeof(b2)),
		     fmt_pct(tdax_byte_coverage(&tot), b5, sizeof(b5)),
		     dt_fmt_rate(tdax_rate(tot.below_align, d->interval_ns), b3, sizeof(b3)),
		     dt_fmt_rate(tdax_rate(tdax_gran_sigbus(&tot), d->interval_ns), b4, sizeof(b4)),
		     (unsigned long long)refused);
	if (full || d->counters[TDAX_CTR_EVENTS_LOST] || d->counters[TDAX_CTR_READ_ERRORS])
		dt_lines_add(out, "WARNING: map full %llu  events lost %llu  read errors %llu (counts incomplete)",
			     (unsigned long long)full,
			     (unsigned long long)d->counters[TDAX_CTR_EVENTS_LOST],
			     (unsigned long long)d->counters[TDAX_CTR_READ_ERRORS]);
	if (o && o->pid)
		dt_lines_add(out, "process %d only; latency P50/P99: system-wide (not kept per process)",
			     o->pid);
}

/* ---- sorting ---------------------------------------------------------------- */

static enum dt_sort cur_sort;

static int cmp_num(double a, double b)
{
	if (isnan(a))
		a = 2;	/* no data sorts after the worst hit rate */
	if (isnan(b))
		b = 2;
	return a < b ? -1 : a > b;
}

static int cmp_devp(const void *a, const void *b)
{
	const struct tdax_snap_dev *x = *(const struct tdax_snap_dev *const *)a;
	const struct tdax_snap_dev *y = *(const struct tdax_snap_dev *const *)b;
	struct tdax_histogram hx, hy;
	int r = 0;

	switch (cur_sort) {
	case DT_SORT_FAULTS:
		r = -cmp_num(gran_ended(&x->g), gran_ended(&y->g));
		break;
	case DT_SORT_HIT:
		r = cmp_num(tdax_hit_ratio(&x->g), tdax_hit_ratio(&y->g));
		break;
	case DT_SORT_MISSES:
		r = -cmp_num(x->g.misses, y->g.misses);
		break;
	case DT_SORT_LAT:
		dev_lat(x, &hx);
		dev_lat(y, &hy);
		r = -cmp_num(isnan(tdax_hist_quantile(&hx, 0.99)) ? -1 : tdax_hist_quantile(&hx, 0.99),
			     isnan(tdax_hist_quantile(&hy, 0.99)) ? -1 : tdax_hist_quantile(&hy, 0.99));
		break;
	default:
		break;
	}
	return r ? r : strcmp(x->name, y->name) > 0 ? 1 : strcmp(x->name, y->name) < 0 ? -1 :
		       (x > y) - (x < y);
}

static int cmp_procp(const void *a, const void *b)
{
	const struct tdax_snap_proc *x = *(const struct tdax_snap_proc *const *)a;
	const struct tdax_snap_proc *y = *(const struct tdax_snap_proc *const *)b;
	int r = 0;

	switch (cur_sort) {
	case DT_SORT_FAULTS:
		r = -cmp_num(gran_ended(&x->g), gran_ended(&y->g));
		break;
	case DT_SORT_LAT:
		r = -cmp_num(isnan(proc_lat_mean(&x->g)) ? -1 : proc_lat_mean(&x->g),
			     isnan(proc_lat_mean(&y->g)) ? -1 : proc_lat_mean(&y->g));
		break;
	case DT_SORT_HIT:
		r = cmp_num(tdax_hit_ratio(&x->g), tdax_hit_ratio(&y->g));
		break;
	case DT_SORT_MISSES:
		r = -cmp_num(x->g.misses, y->g.misses);
		break;
	default:
		break;
	}
	if (r)
		return r;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->instance < y->instance ? -1 : x->instance > y->instance;
}

static int cmp_regionp(const void *a, const void *b)
{
	const struct tdax_snap_region *x = *(const struct tdax_snap_region *const *)a;
	const struct tdax_snap_region *y = *(const struct tdax_snap_region *const *)b;

	if (cur_sort == DT_SORT_LAT && x->age_ns != y->age_ns)
		return x->age_ns > y->age_ns ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static const void **sorted(const void *arr, size_t n, size_t elem, enum dt_sort s,
			   int (*cmp)(const void *, const void *))
{
	const void **p = calloc(n ? n : 1, sizeof(*p));
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < n; i++)
		p[i] = (const char *)arr + i * elem;
	cur_sort = s;
	qsort(p, n, sizeof(*p), cmp);
	return p;
}

static char *fmt_q(double ns, char *buf, size_t len)
{
	return dt_fmt_ns(isnan(ns) ? 0 : (__u64)(ns + 0.5), buf, len);
}

/* ---- views -------------------------------------------------------------------- */

static void render_regions(const struct tdax_snapshot *d, enum dt_sort sort, struct dt_lines *out)
{
	const struct tdax_snap_region **r;
	char b1[16], b2[16], b3[16], b4[16];
	size_t i;

	dt_lines_add(out, "%-6s %-18s %14s %6s %5s %6s %4s %9s", "REGION", "PROVIDER", "START",
		     "SIZE", "ALIGN", "AVAIL", "DEVS", "AGE");
	r = (const struct tdax_snap_region **)sorted(d->regions, d->nregions, sizeof(*d->regions),
						      sort, cmp_regionp);
	if (!r)
		return;
	for (i = 0; i < d->nregions; i++)
		dt_lines_add(out, "%-5u%c %-18.18s %#14llx %6s %5s %6s %4u %9s", r[i]->id,
			     r[i]->present ? ' ' : '*',
			     r[i]->provider[0] ? r[i]->provider : "?",
			     (unsigned long long)r[i]->start,
			     tdax_fmt_bytes(r[i]->size, b1, sizeof(b1)),
			     tdax_fmt_bytes(r[i]->align, b2, sizeof(b2)),
			     tdax_fmt_bytes(r[i]->available_size, b3, sizeof(b3)),
			     r[i]->ndevs, fmt_age(r[i]->age_ns, r[i]->age_known, b4, sizeof(b4)));
	free(r);
}

static void render_lifetimes(const struct tdax_snapshot *d, struct dt_lines *out)
{
	char b1[16], b2[16];
	int i;

	for (i = 0; i < TDAX_LIFETIME_NR; i++) {
		const struct tdax_histogram *h = &d->lifetimes[i];

		if (!h->count)
			continue;
		dt_lines_add(out, "Destroyed %-6s %4llu  lifetime mean %s  p50 %s",
			     tdax_lifetime_name(i), (unsigned long long)h->count,
			     dt_fmt_ns(h->sum / h->count, b1, sizeof(b1)),
			     fmt_q(tdax_hist_quantile(h, 0.5), b2, sizeof(b2)));
	}
}

static void render_reasons(const struct tdax_snapshot *d, struct dt_lines *out)
{
	struct tdax_reason_count rc[TOP_REASONS];
	size_t n = tdax_top_reasons(d, 0, false, rc, TOP_REASONS), i;
	char b1[16], nb[24];

	if (!n)
		return;
	/* once per fault that ended (mapped below the alignment, or SIGBUS) */
	dt_lines_add(out, "%-9s %-4s %-18s %10s %10s", "FALLBACK", "SIZE", "REASON", "COUNT", "PER SEC");
	for (i = 0; i < n; i++)
		dt_lines_add(out, "%-9s %-4s %-18s %10llu %10s%s", tdax_snapshot_dev_name(d, rc[i].instance, 0, nb, sizeof(nb)),
			     rc[i].size_idx < TDAX_SZ_NR ? tdax_size_name(rc[i].size_idx) : "-",
			     tdax_fault_reason_name(rc[i].reason),
			     (unsigned long long)rc[i].count,
			     dt_fmt_rate(tdax_rate(rc[i].count, d->interval_ns), b1, sizeof(b1)),
			     rc[i].reason == TDAX_FR_LARGER_THAN_ALIGN ? " (expected)" :
			     rc[i].reason == TDAX_FR_OFFSET_MISALIGNED ? " " DT_WRONG_MEMORY : "");
}

/*
 * Flushes per device and persistence domain (fsync, msync, O_SYNC writes):
 * requests per second, bytes written back per second (skipped requests
 * have nothing to write back), skipped requests, errors, latency of the
 * flushes that did work.  Only rows with flushes.
 */
static void render_flushes(const struct tdax_snapshot *d, const struct dt_opts *o,
			   struct dt_lines *out)
{
	char f[12], b[12], sk[12], p50[12], p99[12];
	bool header = false;
	size_t i, rows = 0, max = o && o->rows ? (size_t)o->rows : (size_t)-1;
	unsigned int k;

	for (i = 0; i < d->ndevs && rows < max; i++) {
		const struct tdax_snap_dev *x = &d->devs[i];

		for (k = 0; k < TDAX_PD_NR && rows < max; k++) {
			const struct tdax_snap_flush *fl = &x->flush[k];
			__u64 ni = d->interval_ns;

			if (!fl->flushes)
				continue;
			if (!header) {
				dt_lines_add(out, "%-9s %-17s %7s %8s %7s %5s %6s %6s", "FLUSH",
					     "DOMAIN", "FLUSH/s", "BYTES/s", "SKIP/s", "ERR", "P50",
					     "P99");
				header = true;
			}
			dt_lines_add(out, "%-8.8s%c %-17.17s %7s %8s %7s %5llu %6s %6s", x->name,
				     x->present ? ' ' : '*', tdax_domain_name(k),
				     dt_fmt_rate(tdax_rate(fl->flushes, ni), f, sizeof(f)),
				     dt_fmt_rate(tdax_rate(tdax_flush_bytes_done(fl), ni), b, sizeof(b)),
				     dt_fmt_rate(tdax_rate(fl->skipped, ni), sk, sizeof(sk)),
				     (unsigned long long)fl->errors,
				     fmt_q(tdax_hist_quantile(&fl->lat, 0.5), p50, sizeof(p50)),
				     fmt_q(tdax_hist_quantile(&fl->lat, 0.99), p99, sizeof(p99)));
			rows++;
		}
	}
}

/* Devices of the memory view: in system-ram mode now, or seen by tdax_kmem. */
static bool mem_row(const struct tdax_snap_dev *x)
{
	return x->kmem.seen || !strncmp(tdax_dev_mode(x), "system-ram", 10);
}

/*
 * tdax_kmem: per device its mode, memory blocks online / total, the bytes
 * online, node, tier and zone of the online blocks, failed offlines.
 */
static void render_mem(const struct tdax_snapshot *d, const struct dt_opts *o,
		       struct dt_lines *out)
{
	char nm[40], ob[12], bl[16], node[8], tier[8];
	size_t i, rows = 0, max = o && o->rows ? (size_t)o->rows : (size_t)-1;

	dt_lines_add(out, "%-9s %-15s %13s %7s %4s %4s %-7s %7s %6s", "DEVICE", "MODE",
		     "BLOCKS ON/ALL", "ONLINE", "NODE", "TIER", "ZONE", "OFFFAIL", "RESULT");
	for (i = 0; i < d->ndevs && rows < max; i++) {
		const struct tdax_snap_dev *x = &d->devs[i];
		const struct tdax_snap_kmem *k = &x->kmem;

		if (!mem_row(x))
			continue;
		snprintf(nm, sizeof(nm), "%s%s", x->name, x->present ? "" : "*");
		snprintf(bl, sizeof(bl), "%u/%u", k->blocks_online, k->blocks);
		snprintf(node, sizeof(node), k->seen && k->node >= 0 ? "%d" : "-", k->node);
		snprintf(tier, sizeof(tier), k->seen && k->tier >= 0 ? "%d" : "-", k->tier);
		dt_lines_add(out, "%-9.9s %-15.15s %13s %7s %4s %4s %-7.7s %7llu %6s", nm,
			     tdax_dev_mode(x), k->seen ? bl : "-",
			     tdax_fmt_bytes(tdax_kmem_online_bytes(k), ob, sizeof(ob)), node, tier,
			     k->seen ? tdax_kmem_zone_name(k->zone) : "-",
			     (unsigned long long)k->remove_errors,
			     k->seen ? tdax_kmem_reason_name(k->last_reason) : "-");
		rows++;
	}
}

static void render_devs(const struct tdax_snapshot *d, const struct dt_opts *o, enum dt_sort sort,
			struct dt_lines *out)
{
	const struct tdax_snap_dev **v;
	char al[8], f[12], h[8], c[8], s0[12], s1[12], s2[12], p50[12], p99[12], nm[40];
	size_t i, rows;

	dt_lines_add(out, "%-9s %5s %-3s %7s %5s %6s %6s %5s %5s %6s %6s %6s", "DEVICE", "ALIGN",
		     "POL", "FAULT/s", "HIT%", "COVER%", "4K/s", "2M/s", "1G/s", "SIGBUS", "P50",
		     "P99");
	v = (const struct tdax_snap_dev **)sorted(d->devs, d->ndevs, sizeof(*d->devs), sort,
						   cmp_devp);
	if (!v)
		return;
	rows = o && o->rows && (size_t)o->rows < d->ndevs ? (size_t)o->rows : d->ndevs;
	for (i = 0; i < rows; i++) {
		const struct tdax_snap_dev *x = v[i];
		struct tdax_histogram all;
		__u64 ni = d->interval_ns;

		dev_lat(x, &all);
		/* "*": this instance is gone (its final counts) */
		snprintf(nm, sizeof(nm), "%s%s", x->name, x->present ? "" : "*");
		dt_lines_add(out, "%-9.9s %5s %-3.3s %7s %5s %6s %6s %5s %5s %6llu %6s %6s",
			     nm, tdax_fmt_bytes(x->align, al, sizeof(al)),
			     x->fault_policy[0] ? (x->fault_policy[0] == 's' ? "str" : "fbk") : "-",
			     dt_fmt_rate(tdax_fault_rate(&x->g, ni), f, sizeof(f)),
			     fmt_pct(tdax_hit_ratio(&x->g), h, sizeof(h)),
			     fmt_pct(tdax_byte_coverage(&x->g), c, sizeof(c)),
			     dt_fmt_rate(tdax_rate(dt_dev_ended_size(&x->g, 0), ni), s0, sizeof(s0)),
			     dt_fmt_rate(tdax_rate(dt_dev_ended_size(&x->g, 1), ni), s1, sizeof(s1)),
			     dt_fmt_rate(tdax_rate(dt_dev_ended_size(&x->g, 2), ni), s2, sizeof(s2)),
			     (unsigned long long)tdax_gran_sigbus(&x->g),
			     fmt_q(tdax_hist_quantile(&all, 0.5), p50, sizeof(p50)),
			     fmt_q(tdax_hist_quantile(&all, 0.99), p99, sizeof(p99)));
	}
	free(v);
}

static void render_procs(const struct tdax_snapshot *d, const struct dt_opts *o, enum dt_sort sort,
			 struct dt_lines *out)
{
	const struct tdax_snap_proc **v;
	char f[12], h[8], c[8], pid[16], lat[12], nb[24];
	size_t i, rows;

	dt_lines_add(out, "%-8s %-12s %-9s %7s %5s %6s %5s %6s %4s %6s", "PID", "COMM", "DEVICE",
		     "FAULT/s", "HIT%", "COVER%", "FB", "SIGBUS", "MMAP", "LAT");
	v = (const struct tdax_snap_proc **)sorted(d->procs, d->nprocs, sizeof(*d->procs), sort,
						    cmp_procp);
	if (!v)
		return;
	rows = o && o->rows && (size_t)o->rows < d->nprocs ? (size_t)o->rows : d->nprocs;
	for (i = 0; i < rows; i++) {
		const struct tdax_snap_proc *p = v[i];

		/* "*": the process exited (its final counts); "-": the exited aggregate */
		if (p->exited)
			snprintf(pid, sizeof(pid), "-");
		else
			snprintf(pid, sizeof(pid), "%u%s", p->pid, p->alive ? "" : "*");
		dt_lines_add(out, "%-8s %-12.12s %-9.9s %7s %5s %6s %5llu %6llu %4llu %6s", pid,
			     p->comm[0] ? p->comm : "?", tdax_snapshot_dev_name(d, p->instance, p->dev, nb, sizeof(nb)),
			     dt_fmt_rate(tdax_fault_rate(&p->g, d->interval_ns), f, sizeof(f)),
			     fmt_pct(tdax_hit_ratio(&p->g), h, sizeof(h)),
			     fmt_pct(tdax_byte_coverage(&p->g), c, sizeof(c)),
			     (unsigned long long)p->g.below_align,
			     (unsigned long long)tdax_gran_sigbus(&p->g),
			     (unsigned long long)p->mmaps,
			     fmt_q(proc_lat_mean(&p->g), lat, sizeof(lat)));
	}
	free(v);
}

void dt_render_view(const struct tdax_snapshot *d, const struct dt_opts *o,
		    enum dt_view v, enum dt_sort sort, struct dt_lines *out)
{
	switch (v) {
	case DT_VIEW_DEV:
		render_devs(d, o, sort, out);
		dt_lines_add(out, "%s", "");
		render_reasons(d, out);
		render_flushes(d, o, out);
		if (o && o->tui) {
			dt_lines_add(out, "%s", "");
			render_regions(d, DT_SORT_NAME, out);
		}
		break;
	case DT_VIEW_PROC:
		render_procs(d, o, sort, out);
		break;
	case DT_VIEW_REGION:
		render_regions(d, sort, out);
		render_lifetimes(d, out);
		break;
	case DT_VIEW_MEM:
		render_mem(d, o, out);
		break;
	default:
		break;
	}
}
