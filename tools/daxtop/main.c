// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxtop - live view of tdax device-DAX faults: are they served at the page
 * size the device promises, and if not, why.
 *
 * Modes: interactive (ncurses, default on a terminal), batch (-b, text like
 * `top -b`), JSON (-J, one document per interval), snoop (--events, one line
 * per fault that was not served at the attempted size, and refused mmap).
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daxtop.h"

volatile sig_atomic_t dt_stop;

static void on_signal(int sig)
{
	(void)sig;
	dt_stop = 1;
}

const char *argp_program_version = "daxtop 0.2";
static const char args_doc[] = "[interval [count]]";
static const char args_doc_text[] =
"daxtop: live view of tdax device-DAX page faults.\n"
"\n"
"USAGE: daxtop [-h] [-b] [-J] [-C] [-p PID] [-d DEVICE] [-s SORT] [-r ROWS] "
"[--cumulative] [--events] [interval [count]]\n"
"\n"
"Shows, per device, process and region, whether faults on /dev/tdaxR.N are "
"served at the device alignment (hits) or fall back to smaller pages or "
"SIGBUS (misses), what share of the mapped bytes got the promised page size "
"(coverage), why not (fallback reasons), how long faults take (latency "
"p50/p99), region/device lifetimes, flushes (fsync/msync/O_SYNC: per second, "
"bytes written back, skipped by the persistence domain, latency) and, in the "
"memory view, devices in system-ram mode (tdax_kmem: blocks online, node, "
"zone, tier). Data come from BPF programs on the "
"tdax:* tracepoints, aggregated in the kernel; needs CAP_BPF and "
"CAP_PERFMON (or root) and the tdax modules loaded.\n"
"\n"
"interval: seconds between reports (default 1, 0.1..3600); count: number of "
"reports (default: until interrupted).\n"
"\n"
"Modes: interactive on a terminal (keys: d/p/r/m views, TAB next view, s sort, "
"+/- interval, c cumulative, h help, q quit); plain text reports with -b or -C "
"(also when stdout is not a terminal); JSON with -J; snoop with --events.\n"
"\n"
"EXAMPLES:\n"
"  daxtop                     interactive view, refresh every second\n"
"  daxtop -C 2 5              five text reports, 2 s apart, no screen clearing\n"
"  daxtop -J --cumulative 5 1 one JSON document, counts of 5 s\n"
"  daxtop -p 1234             only process 1234 (all counts are its own)\n"
"  daxtop -d tdax0.0 --events every fallback/SIGBUS fault on tdax0.0\n"
"  daxtop -b -V memory 2      devices in system-ram mode (tdax_kmem), every 2 s\n"
"\v"
"Measures (docs/metrics.md): HIT% = faults served at the device alignment / "
"faults that ended (mapped or SIGBUS); COVER% = bytes mapped at the alignment "
"/ bytes mapped; FAULT/s = faults that ended per second; reasons are counted "
"once per fault that ended; P50/P99 interpolate within log2 buckets as "
"Prometheus' histogram_quantile(). A device re-created under the same name "
"is a new row starting at zero; the old one (marked *) keeps its final counts. "
"See daxtop(1) and docs/daxtop.md.";

enum {
	OPT_RAW_TP = 0x100,
	OPT_NO_SHARE,
	OPT_VERBOSE,
	OPT_MAX_PROCS,
	OPT_CUMULATIVE,
	OPT_VERSION,
	OPT_USAGE,
	OPT_SOURCE,
	OPT_STOCK_ATTACH,
};

static const struct argp_option options[] = {
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", -1 },
	{ "version", OPT_VERSION, NULL, 0, "Print the program version", -1 },
	{ "batch", 'b', NULL, 0, "Batch mode: print text reports, no curses", 0 },
	{ "noclear", 'C', NULL, 0, "Don't clear the screen: print text reports (as biotop -C)", 0 },
	{ "iterations", 'n', "COUNT", 0, "Stop after COUNT reports (same as the count argument)", 0 },
	{ "json", 'J', NULL, 0, "Print one JSON document per interval", 0 },
	{ "cumulative", OPT_CUMULATIVE, NULL, 0, "Counts since start instead of per interval", 0 },
	{ "pid", 'p', "PID", 0, "Only this process: every count shown is its own (latency stays system-wide, labelled)", 0 },
	{ "disk", 'd', "DEVICE", OPTION_HIDDEN, NULL, 0 },
	{ "device", 'd', "DEVICE", 0, "Only this device (tdaxR.N or /dev/tdaxR.N), as biolatency -d DISK", 0 },
	{ "sort", 's', "KEY", 0, "Sort key: name, faults, hit, misses, latency (default faults)", 0 },
	{ "rows", 'r', "ROWS", 0, "Maximum rows per view (default: all)", 0 },
	{ "view", 'V', "VIEW", 0, "View: devices, processes, regions, memory (text: only that one)", 0 },
	{ "events", 'e', NULL, 0, "Snoop: print each fault not served at its size, and refused mmaps", 0 },
	{ "raw-tp", OPT_RAW_TP, NULL, 0, "Use raw_tp programs even if the module has BTF", 0 },
	{ "no-share", OPT_NO_SHARE, NULL, 0, "Load a private program set instead of joining the one "
	  "pinned under /sys/fs/bpf/tdax that other tdax tools share (a second set costs per fault)", 0 },
	{ "source", OPT_SOURCE, "SRC", 0, "tdax (the tdax module's tracepoints), stock (BPF on the in-tree device_dax), or auto (default: what is loaded, both if both)", 0 },
	{ "stock-attach", OPT_STOCK_ATTACH, "MODE", 0, "Stock source: fentry, kprobe or auto (default; fentry, else kprobe; env TDAX_STOCK_ATTACH)", 0 },
	{ "max-procs", OPT_MAX_PROCS, "N", 0, "Rows of the per-process map (default 8192); overflow is counted and shown", 0 },
	{ "verbose", OPT_VERBOSE, NULL, 0, "Print libbpf messages", 0 },
	{},
};

static bool view_given;
static int npos;

static void usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "daxtop: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see daxtop -h)\n");
	exit(2);
}

static double parse_interval(const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0.1 || v > 3600)
		usage_error("invalid interval '%s': seconds between 0.1 and 3600", arg);
	return v;
}

static long parse_count(const char *arg)
{
	char *end;
	long l;

	errno = 0;
	l = strtol(arg, &end, 10);
	if (errno || end == arg || *end || l < 1)
		usage_error("invalid count '%s': a positive integer", arg);
	return l;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct dt_opts *o = state->input;
	char *end;
	long l;

	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		break;
	case OPT_VERSION:
		printf("%s\n", argp_program_version);
		exit(0);
	case 'b':
		o->batch = true;
		break;
	case 'C':
		o->noclear = true;
		o->batch = true;
		break;
	case 'n':
		o->count = parse_count(arg);
		break;
	case 'J':
		o->json = true;
		break;
	case OPT_CUMULATIVE:
		o->cumulative = true;
		break;
	case 'p':
		errno = 0;
		l = strtol(arg, &end, 10);
		if (errno || end == arg || *end || l < 1 || l > INT_MAX)
			usage_error("invalid pid '%s'", arg);
		o->pid = (int)l;
		break;
	case 'd':
		if (dt_parse_device(arg, o->device, sizeof(o->device)))
			usage_error("invalid device '%s': expected tdaxR.N or /dev/tdaxR.N", arg);
		break;
	case 's':
		if (dt_parse_sort(arg, &o->sort))
			usage_error("invalid sort key '%s': name, faults, hit, misses, latency", arg);
		break;
	case 'r':
		errno = 0;
		l = strtol(arg, &end, 10);
		if (errno || end == arg || *end || l < 1 || l > 100000)
			usage_error("invalid rows '%s': 1 to 100000", arg);
		o->rows = (int)l;
		break;
	case 'V':
		if (!strncmp(arg, "devices", strlen(arg) ? strlen(arg) : 1) && *arg)
			o->view = DT_VIEW_DEV;
		else if (!strncmp(arg, "processes", strlen(arg)) && *arg)
			o->view = DT_VIEW_PROC;
		else if (!strncmp(arg, "regions", strlen(arg)) && *arg)
			o->view = DT_VIEW_REGION;
		else if (!strncmp(arg, "memory", strlen(arg)) && *arg)
			o->view = DT_VIEW_MEM;
		else
			usage_error("invalid view '%s': devices, processes, regions, memory", arg);
		view_given = true;
		break;
	case 'e':
		o->events = true;
		break;
	case OPT_RAW_TP:
		o->raw_tp = true;
		break;
	case OPT_NO_SHARE:
		o->no_share = true;
		break;
	case OPT_VERBOSE:
		o->verbose = true;
		break;
	case OPT_SOURCE: {
		enum tdax_source src;

		if (tdax_parse_source(arg, &src))
			usage_error("invalid --source '%s': tdax, stock or auto", arg);
		o->source = src;
		break;
	}
	case OPT_STOCK_ATTACH:
		if (!strcmp(arg, "fentry"))
			o->stock_attach = TDAX_ATTACH_FENTRY;
		else if (!strcmp(arg, "kprobe"))
			o->stock_attach = TDAX_ATTACH_KPROBE;
		else if (!strcmp(arg, "auto"))
			o->stock_attach = 0;
		else
			usage_error("invalid --stock-attach '%s': fentry, kprobe or auto", arg);
		break;
	case OPT_MAX_PROCS:
		errno = 0;
		l = strtol(arg, &end, 10);
		if (errno || end == arg || *end || l < 1 || l > 1000000)
			usage_error("invalid --max-procs '%s': 1 to 1000000", arg);
		o->max_procs = (unsigned int)l;
		break;
	case ARGP_KEY_ARG:
		/* libbpf-tools: [interval [count]] */
		if (npos == 0)
			o->interval = parse_interval(arg);
		else if (npos == 1)
			o->count = parse_count(arg);
		else
			usage_error("unexpected argument '%s'", arg);
		npos++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Sleep up to secs, returning early on a signal. */
static void nap(double secs)
{
	struct timespec ts = { (time_t)secs, (long)((secs - floor(secs)) * 1e9) };

	while (!dt_stop && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int take(struct tdax_collector *c, struct tdax_snapshot *s)
{
	if (tdax_collector_snapshot(c, s)) {
		fprintf(stderr, "daxtop: %s\n", tdax_collector_errmsg(c));
		return -1;
	}
	return 0;
}

static void print_report(const struct tdax_snapshot *d, const struct dt_opts *o)
{
	struct dt_lines l = {};
	size_t i;
	int v;

	if (o->json) {
		struct json_object *jd = dt_json_doc(d, o);

		printf("%s\n", json_object_to_json_string_ext(jd, JSON_C_TO_STRING_PLAIN));
		json_object_put(jd);
		fflush(stdout);
		return;
	}
	dt_render_header(d, o, &l);
	for (v = 0; v < DT_VIEW_NR; v++) {
		if (view_given && v != (int)o->view)
			continue;
		dt_lines_add(&l, "%s", "");
		dt_render_view(d, o, v, o->sort, &l);
	}
	for (i = 0; i < l.n; i++) {
		/* the in-tree driver mapping the wrong memory: red on a terminal */
		bool red = strstr(l.line[i], DT_WRONG_MEMORY) && isatty(STDOUT_FILENO);

		printf("%s%s%s\n", red ? "\033[1;31m" : "", l.line[i], red ? "\033[0m" : "");
	}
	printf("\n");
	fflush(stdout);
	dt_lines_free(&l);
}

static int run_batch(struct tdax_collector *c, const struct dt_opts *o)
{
	struct tdax_snapshot base, prev, cur, d;
	long iter = 0;
	int rc = 0;

	tdax_snapshot_init(&base);
	tdax_snapshot_init(&prev);
	tdax_snapshot_init(&cur);
	tdax_snapshot_init(&d);
	if (take(c, &base))
		return 1;
	if (tdax_snapshot_copy(&prev, &base)) {
		fprintf(stderr, "daxtop: out of memory\n");
		return 1;
	}
	while (!o->count || iter < o->count) {
		bool stopped;

		nap(o->interval);
		/*
		 * A signal that arrives while a report is taken or printed
		 * gets one more report, so the last one covers everything
		 * that happened before the signal.
		 */
		stopped = dt_stop;
		if (take(c, &cur)) {
			rc = 1;
			break;
		}
		if (tdax_snapshot_delta(o->cumulative ? &base : &prev, &cur, &d)) {
			fprintf(stderr, "daxtop: out of memory\n");
			rc = 1;
			break;
		}
		dt_filter(&d, o->pid, o->device);
		dt_prune(&d, o);
		print_report(&d, o);
		iter++;
		tdax_snapshot_free(&prev);
		prev = cur;
		tdax_snapshot_init(&cur);
		if (stopped)
			break;
	}
	tdax_snapshot_free(&base);
	tdax_snapshot_free(&prev);
	tdax_snapshot_free(&cur);
	tdax_snapshot_free(&d);
	return rc;
}

/* ---- snoop mode ---------------------------------------------------------- */

struct snoop_ctx {
	const struct dt_opts *o;
	struct tdax_collector *c;
	struct tdax_snapshot names;	/* for instance -> name */
	__u64 missed;			/* last instance not found in names */
	__u64 t0;
	unsigned long printed;
};

static int on_event(void *ctx, const struct tdax_snoop_event *e)
{
	struct snoop_ctx *s = ctx;
	const struct tdax_snap_dev *d = tdax_snapshot_dev_instance(&s->names, e->instance);
	char name[TDAX_NAME_LEN], sz[16];

	if (!d && e->instance != s->missed) {
		/* created since the last names snapshot: take one now (once) */
		s->missed = e->instance;
		if (tdax_collector_snapshot(s->c, &s->names) == 0)
			d = tdax_snapshot_dev_instance(&s->names, e->instance);
	}
	if (d)
		snprintf(name, sizeof(name), "%s", d->name);
	else
		snprintf(name, sizeof(name), "dev:%u:%u", TDAX_KDEV_MAJOR(e->dev),
			 TDAX_KDEV_MINOR(e->dev));
	if (s->o->pid && e->pid != (__u32)s->o->pid)
		return 0;
	if (s->o->device[0] && strcmp(name, s->o->device))
		return 0;
	if (s->o->json) {
		struct json_object *j = dt_json_event(e, name);

		printf("%s\n", json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN));
		json_object_put(j);
	} else if (e->kind == TDAX_SNOOP_FAULT) {
		printf("%-10.6f %-7u %-16.16s %-9s %-5s %#-16llx %-4s %-8s %s\n",
		       (e->ts_ns - s->t0) / 1e9, e->pid, e->comm, name, "fault",
		       (unsigned long long)e->address, tdax_fmt_bytes(e->size, sz, sizeof(sz)),
		       tdax_fault_outcome_name(e->outcome), tdax_fault_reason_name(e->reason));
	} else {
		printf("%-10.6f %-7u %-16.16s %-9s %-5s %#-16llx %-4s %-8d %s\n",
		       (e->ts_ns - s->t0) / 1e9, e->pid, e->comm, name, "mmap",
		       (unsigned long long)e->address, tdax_fmt_bytes(e->size, sz, sizeof(sz)),
		       e->result, tdax_mmap_reason_name(e->reason));
	}
	s->printed++;
	return 0;
}

static int run_events(const struct dt_opts *o)
{
	struct tdax_collector_opts co = { .sz = sizeof(co) };
	struct snoop_ctx s = { .o = o };
	struct tdax_collector *c;
	struct timespec ts;
	char err[320];
	double next = 0;
	long rounds = 0;
	int rc = 0;

	co.events = true;
	co.on_event = on_event;
	co.event_ctx = &s;
	co.force_raw_tp = o->raw_tp;
	co.no_share = o->no_share;
	co.verbose = o->verbose;
	co.max_procs = o->max_procs;
	co.source = o->source;
	co.stock_attach = o->stock_attach;
	tdax_snapshot_init(&s.names);
	c = tdax_collector_open(&co, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "daxtop: %s\n", err);
		return 1;
	}
	if (*tdax_collector_note(c))
		fprintf(stderr, "daxtop: %s\n", tdax_collector_note(c));
	s.c = c;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s.t0 = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	if (!o->json)
		printf("%-10s %-7s %-16s %-9s %-5s %-18s %-4s %-8s %s\n", "TIME(s)", "PID", "COMM",
		       "DEVICE", "KIND", "ADDRESS", "SIZE", "OUTCOME", "REASON");
	while (!dt_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (ts.tv_sec + ts.tv_nsec / 1e9 >= next) {
			if (take(c, &s.names)) {
				rc = 1;
				break;
			}
			next = ts.tv_sec + ts.tv_nsec / 1e9 + o->interval;
			if (o->count && rounds++ >= o->count)
				break;
		}
		if (tdax_collector_poll(c, 100) < 0) {
			fprintf(stderr, "daxtop: %s\n", tdax_collector_errmsg(c));
			rc = 1;
			break;
		}
		fflush(stdout);
	}
	/*
	 * Every record submitted before we decided to stop: consume the ring
	 * whatever epoll last said (a poll with timeout 0 only sees a ring
	 * whose wake-up was delivered), then report what the ring lost.
	 */
	if (tdax_collector_drain(c) < 0 && !rc) {
		fprintf(stderr, "daxtop: %s\n", tdax_collector_errmsg(c));
		rc = 1;
	}
	fflush(stdout);
	if (!take(c, &s.names) && s.names.counters[TDAX_CTR_EVENTS_LOST])
		fprintf(stderr, "daxtop: %llu events lost (ring buffer full)\n",
			(unsigned long long)s.names.counters[TDAX_CTR_EVENTS_LOST]);
	tdax_snapshot_free(&s.names);
	tdax_collector_close(c);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, args_doc, args_doc_text, NULL, NULL, NULL };
	struct dt_opts o = { .interval = 1.0, .sort = DT_SORT_FAULTS };
	struct tdax_collector_opts co = { .sz = sizeof(co) };
	struct tdax_collector *c;
	struct sigaction sa;
	char err[320];
	int rc;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, ARGP_NO_HELP, NULL, &o))
		return 2;
	if (o.json && view_given)
		usage_error("%s", "--view applies to text output, not to -J");
	if (!o.json && !o.batch && !o.events && !isatty(STDOUT_FILENO))
		o.batch = true;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (o.events)
		return run_events(&o);

	co.force_raw_tp = o.raw_tp;
	co.no_share = o.no_share;
	co.verbose = o.verbose;
	co.max_procs = o.max_procs;
	co.source = o.source;
	co.stock_attach = o.stock_attach;
	c = tdax_collector_open(&co, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "daxtop: %s\n", err);
		return 1;
	}
	if (*tdax_collector_note(c))
		fprintf(stderr, "daxtop: %s\n", tdax_collector_note(c));
	if (o.batch || o.json)
		rc = run_batch(c, &o);
	else
		rc = dt_tui_run(c, &o);
	tdax_collector_close(c);
	return rc;
}
