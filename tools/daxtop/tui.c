// SPDX-License-Identifier: GPL-2.0-only
/*
 * tui.c - daxtop's interactive view (ncurses): header, a status line and
 * one of four views (devices, processes, regions, memory), redrawn every interval.
 * Works on 80x24; wider terminals show the same columns.
 */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daxtop.h"

static const char *const view_names[DT_VIEW_NR] = { "devices", "processes", "regions",
						      "memory" };

static const char *const help_text[] = {
	"daxtop - keys",
	"",
	"  d        device view: faults/s by size, hit %, fallback reasons,",
	"           p50/p99 latency, flushes, regions with age",
	"  p        process view: per process and device",
	"  r        region view: regions, ages, destroyed lifetimes",
	"  m        memory view: tdax_kmem mode, blocks online, node, zone, tier",
	"  TAB      next view",
	"  s        next sort key (name, faults, hit, misses, latency)",
	"  + / -    longer / shorter refresh interval",
	"  c        toggle per-interval / cumulative counts",
	"  SPACE    refresh now",
	"  h or ?   this help (any key returns)",
	"  q        quit",
	"",
	"Hit % = faults served at the device alignment / faults that ended",
	"(mapped or SIGBUS). '-' means no fault ended in the interval.",
	"AGE '>' means: created before daxtop started (age since first seen).",
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void draw(const struct tdax_snapshot *d, const struct dt_opts *o, bool help)
{
	struct dt_lines l = {};
	int row = 0, i;

	erase();
	if (help) {
		for (i = 0; i < (int)(sizeof(help_text) / sizeof(help_text[0])) && i < LINES; i++)
			mvaddnstr(i, 0, help_text[i], COLS);
		refresh();
		return;
	}
	dt_render_header(d, o, &l);
	for (i = 0; i < (int)l.n && row < LINES; i++)
		mvaddnstr(row++, 0, l.line[i], COLS);
	dt_lines_free(&l);
	if (row < LINES) {
		char status[160];

		snprintf(status, sizeof(status),
			 "[%s] sort %s  every %.1fs%s  d/p/r/m view s sort +/- interval h help q quit",
			 view_names[o->view], dt_sort_name(o->sort), o->interval,
			 o->cumulative ? " cumul" : "");
		attron(A_REVERSE);
		mvaddnstr(row++, 0, status, COLS);
		attroff(A_REVERSE);
	}
	dt_render_view(d, o, o->view, o->sort, &l);
	for (i = 0; i < (int)l.n && row < LINES; i++) {
		/* red: the in-tree driver maps the wrong memory (offset_misaligned) */
		int attr = i == 0 ? A_BOLD : strstr(l.line[i], DT_WRONG_MEMORY) ?
			   (has_colors() ? COLOR_PAIR(1) | A_BOLD : A_REVERSE) : 0;

		if (attr)
			attron(attr);
		mvaddnstr(row++, 0, l.line[i], COLS);
		if (attr)
			attroff(attr);
	}
	dt_lines_free(&l);
	refresh();
}

int dt_tui_run(struct tdax_collector *c, struct dt_opts *o)
{
	struct tdax_snapshot base, prev, cur, d;
	__u64 next;
	long reports = 0;
	bool help = false, quit = false;
	int rc = 0;

	o->tui = true;
	tdax_snapshot_init(&base);
	tdax_snapshot_init(&prev);
	tdax_snapshot_init(&cur);
	tdax_snapshot_init(&d);
	if (tdax_collector_snapshot(c, &base)) {
		fprintf(stderr, "daxtop: %s\n", tdax_collector_errmsg(c));
		return 1;
	}
	tdax_snapshot_copy(&prev, &base);
	tdax_snapshot_copy(&d, &base);
	memset(d.counters, 0, sizeof(d.counters));
	d.interval_ns = 0;
	dt_filter(&d, o->pid, o->device);

	if (!initscr()) {
		fprintf(stderr, "daxtop: cannot initialise the terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "");
		return 1;
	}
	if (has_colors()) {
		start_color();
		init_pair(1, COLOR_RED, COLOR_BLACK);
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	timeout(100);
	next = mono_ns() + (__u64)(o->interval * 1e9);
	draw(&d, o, help);

	while (!quit && !dt_stop) {
		int ch = getch();
		bool redraw = false, now = false;

		if (ch != ERR && help) {
			help = false;
			redraw = true;
			ch = ERR;
		}
		switch (ch) {
		case 'q':
		case 'Q':
			quit = true;
			continue;
		case 'h':
		case '?':
			help = true;
			redraw = true;
			break;
		case 'd':
			o->view = DT_VIEW_DEV;
			redraw = true;
			break;
		case 'p':
			o->view = DT_VIEW_PROC;
			redraw = true;
			break;
		case 'r':
			o->view = DT_VIEW_REGION;
			redraw = true;
			break;
		case 'm':
			o->view = DT_VIEW_MEM;
			redraw = true;
			break;
		case '\t':
			o->view = (o->view + 1) % DT_VIEW_NR;
			redraw = true;
			break;
		case 's':
			o->sort = (o->sort + 1) % DT_SORT_NR;
			redraw = true;
			break;
		case '+':
			o->interval = o->interval >= 60 ? 3600 < o->interval * 2 ? 3600 : o->interval * 2
							 : o->interval + (o->interval < 1 ? 0.1 : 0.5);
			redraw = true;
			break;
		case '-':
			o->interval = o->interval > 1 ? o->interval - 0.5 : o->interval > 0.15 ?
				      o->interval - 0.1 : 0.1;
			redraw = true;
			break;
		case 'c':
			o->cumulative = !o->cumulative;
			now = true;
			break;
		case ' ':
			now = true;
			break;
		case KEY_RESIZE:
			redraw = true;
			break;
		default:
			break;
		}
		if (now || mono_ns() >= next) {
			if (tdax_collector_snapshot(c, &cur)) {
				rc = 1;
				break;
			}
			if (tdax_snapshot_delta(o->cumulative ? &base : &prev, &cur, &d)) {
				rc = 1;
				break;
			}
			dt_filter(&d, o->pid, o->device);
			dt_prune(&d, o);
			tdax_snapshot_free(&prev);
			prev = cur;
			tdax_snapshot_init(&cur);
			next = mono_ns() + (__u64)(o->interval * 1e9);
			redraw = true;
			if (o->count && ++reports >= o->count)
				quit = true;
		}
		if (redraw)
			draw(&d, o, help);
	}
	endwin();
	if (rc)
		fprintf(stderr, "daxtop: %s\n", tdax_collector_errmsg(c));
	tdax_snapshot_free(&base);
	tdax_snapshot_free(&prev);
	tdax_snapshot_free(&cur);
	tdax_snapshot_free(&d);
	return rc;
}
