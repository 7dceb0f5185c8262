/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daxtop.h - daxtop's options, views and renderers (shared by its files).
 */
#ifndef _DAXTOP_H
#define _DAXTOP_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>

#include "tdax_collector.h"

enum dt_view {
	DT_VIEW_DEV = 0,
	DT_VIEW_PROC,
	DT_VIEW_REGION,
	DT_VIEW_MEM,		/* tdax_kmem: mode, blocks online, node, zone, tier */
	DT_VIEW_NR
};

enum dt_sort {
	DT_SORT_NAME = 0,	/* device name / pid / region id */
	DT_SORT_FAULTS,		/* faults per second */
	DT_SORT_HIT,		/* hit rate, worst first */
	DT_SORT_MISSES,		/* misses (PTE fallback + SIGBUS) */
	DT_SORT_LAT,		/* p99 latency (devices); mean latency (processes); age (regions) */
	DT_SORT_NR
};

/** struct dt_opts - command line of daxtop. */
struct dt_opts {
	double interval;	/* seconds */
	long count;		/* iterations, 0 = forever */
	bool batch;
	bool json;
	bool events;
	bool cumulative;	/* counts since start instead of per interval */
	bool raw_tp;
	bool no_share;		/* --no-share: a private program set */
	int source;		/* enum tdax_source (--source) */
	int stock_attach;	/* enum tdax_attach_mode, 0 auto (--stock-attach) */
	bool verbose;
	int pid;		/* 0 = all */
	char device[TDAX_NAME_LEN];	/* "" = all */
	enum dt_view view;
	enum dt_sort sort;
	bool tui;		/* device view also lists regions (one screen) */
	unsigned int max_procs;	/* --max-procs (0: default) */
	int rows;		/* -r: rows per view (0: all) */
	bool noclear;		/* -C: do not clear the screen (plain text reports) */
};

/*
 * Marks a line about faults of reason offset_misaligned (the in-tree driver
 * mapping the wrong memory): the TUI shows such lines in red.
 */
#define DT_WRONG_MEMORY "!! WRONG MEMORY"

/** struct dt_lines - rendered text, one string per line. */
struct dt_lines {
	char **line;
	size_t n, cap;
};

void dt_lines_add(struct dt_lines *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dt_lines_free(struct dt_lines *l);

/* filter.c: keep only what -p PID and -D DEVICE select (in place). */
int dt_filter(struct tdax_snapshot *s, int pid, const char *device);
/*
 * Drop processes that exited and did nothing in the snapshot (a delta), and
 * retired device instances without activity unless cumulative.
 */
void dt_prune(struct tdax_snapshot *s, const struct dt_opts *o);
/* Normalise a -D argument ("/dev/tdax0.0" -> "tdax0.0"); -EINVAL if not a tdax name. */
int dt_parse_device(const char *arg, char *out, size_t len);
const char *dt_sort_name(enum dt_sort s);
int dt_parse_sort(const char *s, enum dt_sort *out);

/* text.c: number formats and the three views as text lines. */
char *dt_fmt_rate(double v, char *buf, size_t len);
char *dt_fmt_ns(__u64 ns, char *buf, size_t len);
__u64 dt_dev_ended_size(const struct tdax_gran *g, int si);
void dt_render_header(const struct tdax_snapshot *d, const struct dt_opts *o,
		      struct dt_lines *out);
void dt_render_view(const struct tdax_snapshot *d, const struct dt_opts *o,
		    enum dt_view v, enum dt_sort sort, struct dt_lines *out);

/* json.c: one document per interval (schema: docs/daxtop.md). */
struct json_object *dt_json_doc(const struct tdax_snapshot *d, const struct dt_opts *o);
struct json_object *dt_json_event(const struct tdax_snoop_event *ev, const char *devname);

#include <signal.h>
/* Set by SIGINT/SIGTERM/SIGHUP: finish the current report and exit. */
extern volatile sig_atomic_t dt_stop;

/* tui.c: the interactive view. */
int dt_tui_run(struct tdax_collector *c, struct dt_opts *o);

#endif /* _DAXTOP_H */
