// SPDX-License-Identifier: GPL-2.0-only
/*
 * daxcollect - headless tdax collector: Prometheus exporter and alerts on
 * PTE fallback.  See docs/daxcollect.md and docs/alerts.md.
 *
 * Threads: the main thread evaluates alerts every --interval and handles
 * signals (signalfd); libmicrohttpd's thread answers scrapes.  The collector
 * library is not thread-safe, so every use of it holds `lock`.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <argp.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tdax_collector.h"
#include "actions.h"
#include "alert.h"
#include "expo.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "rules.h"

#define RELEASE_TIMEOUT	60.0	/* seconds detached when the driver stays loaded */
#define BUS_POLL	0.5	/* seconds between checks of /sys/bus/tdax */

static struct env {
	const char *listen;
	const char *rules;
	double interval;
	int once;
	int check_rules;
	int process_metrics;	/* 0, METRICS_PROC_COMM, METRICS_PROC_PID */
	int use_syslog;
	int raw_tp;
	int no_share;
	int source;		/* enum tdax_source */
	int stock_attach;	/* enum tdax_attach_mode, 0 auto */
	int verbose;
	const char *sysfs;
} env = {
	.listen = HTTP_DEFAULT_LISTEN,
	.interval = 5,
	.sysfs = "/sys",
};

const char *argp_program_version = "daxcollect " DAXCOLLECT_VERSION;
const char *argp_program_bug_address = "the tdax issue tracker";
static const char doc[] =
"daxcollect: collect tdax device-DAX fault measures, serve them to Prometheus\n"
"and evaluate alert rules on PTE fallback and hit ratio.\n"
"\n"
"Serves http://127.0.0.1:9477/metrics by default.  Runs as root (loads BPF\n"
"programs).  Signals: SIGTERM/SIGINT exit 0; SIGHUP reloads the rules file;\n"
"SIGUSR1 detaches from the driver so `rmmod tdax` can proceed (daxcollect\n"
"also detaches by itself once no driver or device is left on the tdax bus),\n"
"and re-attaches when the driver is loaded again.\n"
"\n"
"EXAMPLES:\n"
"    daxcollect                          # serve 127.0.0.1:9477/metrics\n"
"    daxcollect --listen 0.0.0.0:9477 -r /etc/tdax/alerts.yaml\n"
"    daxcollect --once                   # print one exposition and exit\n"
"    daxcollect --check-rules -r FILE    # validate a rules file\n"
"\n"
"See docs/daxcollect.md (metrics) and docs/alerts.md (rules format).\n";

enum {
	OPT_ONCE = 1000,
	OPT_CHECK,
	OPT_NO_PROC,
	OPT_PROC,
	OPT_SYSLOG,
	OPT_RAW_TP,
	OPT_NO_SHARE,
	OPT_SOURCE,
	OPT_STOCK_ATTACH,
	OPT_SYSFS,
};

static const struct argp_option opts[] = {
	{ "listen", 'l', "ADDR:PORT", 0, "Address to serve /metrics on (default 127.0.0.1:9477; [::1]:PORT for IPv6)", 0 },
	{ "rules", 'r', "FILE", 0, "Alert rules file (YAML, see docs/alerts.md)", 0 },
	{ "interval", 'i', "SECS", 0, "Alert evaluation and driver check interval (default 5)", 0 },
	{ "once", OPT_ONCE, NULL, 0, "Print one exposition on stdout and exit", 0 },
	{ "check-rules", OPT_CHECK, NULL, 0, "Validate the rules file (-r) and exit", 0 },
	{ "process-metrics", OPT_PROC, "BY", OPTION_ARG_OPTIONAL,
	  "Export per-process series, aggregated by comm (BY=comm, the default) or per pid (BY=pid: one series per process, churns); off by default", 0 },
	{ "no-process-metrics", OPT_NO_PROC, NULL, OPTION_HIDDEN, "No per-process series (the default)", 0 },
	{ "syslog", OPT_SYSLOG, NULL, 0, "Log to syslog instead of stderr", 0 },
	{ "raw-tp", OPT_RAW_TP, NULL, 0, "Attach raw_tp programs even if module BTF exists", 0 },
	{ "no-share", OPT_NO_SHARE, NULL, 0, "Load a private program set instead of joining the one "
	  "pinned under /sys/fs/bpf/tdax that other tdax tools share", 0 },
	{ "source", OPT_SOURCE, "SRC", 0, "tdax (the tdax tracepoints), stock (BPF on the in-tree device_dax) or auto (default: what is loaded, both if both)", 0 },
	{ "stock-attach", OPT_STOCK_ATTACH, "MODE", 0, "Stock source: fentry, kprobe or auto (default; env TDAX_STOCK_ATTACH)", 0 },
	{ "sysfs", OPT_SYSFS, "DIR", OPTION_HIDDEN, "sysfs root (tests)", 0 },
	{ "verbose", 'v', NULL, 0, "Log more (and libbpf messages)", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char *end;

	switch (key) {
	case 'l': {
		struct sockaddr_storage ss;
		socklen_t sl;

		if (http_parse_listen(arg, &ss, &sl))
			argp_error(state, "--listen: '%s' is not ADDR:PORT (e.g. 127.0.0.1:9477 or [::1]:9477)",
				   arg);
		env.listen = arg;
		break;
	}
	case 'r':
		env.rules = arg;
		break;
	case 'i':
		errno = 0;
		env.interval = strtod(arg, &end);
		if (errno || *end || end == arg || !(env.interval >= 0.1) || env.interval > 3600)
			argp_error(state, "--interval: '%s' is not a number of seconds in 0.1..3600", arg);
		break;
	case OPT_ONCE:
		env.once = 1;
		break;
	case OPT_CHECK:
		env.check_rules = 1;
		break;
	case OPT_NO_PROC:
		env.process_metrics = 0;
		break;
	case OPT_PROC:
		if (!arg || !strcmp(arg, "comm"))
			env.process_metrics = METRICS_PROC_COMM;
		else if (!strcmp(arg, "pid"))
			env.process_metrics = METRICS_PROC_PID;
		else
			argp_error(state, "--process-metrics: '%s' is not comm or pid", arg);
		break;
	case OPT_SYSLOG:
		env.use_syslog = 1;
		break;
	case OPT_RAW_TP:
		env.raw_tp = 1;
		break;
	case OPT_NO_SHARE:
		env.no_share = 1;
		break;
	case OPT_SOURCE: {
		enum tdax_source src;

		if (tdax_parse_source(arg, &src)) {
			fprintf(stderr, "daxcollect: invalid --source '%s': tdax, stock or auto\n", arg);
			exit(2);
		}
		env.source = src;
		break;
	}
	case OPT_STOCK_ATTACH:
		if (!strcmp(arg, "fentry"))
			env.stock_attach = TDAX_ATTACH_FENTRY;
		else if (!strcmp(arg, "kprobe"))
			env.stock_attach = TDAX_ATTACH_KPROBE;
		else if (strcmp(arg, "auto")) {
			fprintf(stderr, "daxcollect: invalid --stock-attach '%s': fentry, kprobe or auto\n", arg);
			exit(2);
		}
		break;
	case OPT_SYSFS:
		env.sysfs = arg;
		break;
	case 'v':
		env.verbose = 1;
		break;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (env.check_rules && !env.rules)
			argp_error(state, "--check-rules needs --rules FILE");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* Everything shared by the main thread and the HTTP thread. */
static struct state {
	pthread_mutex_t lock;
	struct tdax_collector *col;
	struct tdax_snapshot snap;	/* latest good snapshot */
	int have_snap;
	struct daxcollect_health health;
	struct http_server *http;
	struct rule_set *rules;		/* heap; the engine points into it */
	struct alert_engine *engine;
	struct actions actions;
	double released_at;
	int saw_absent;
	int release_why;
	bool no_procs;			/* collector opened without per-process rows */
} st = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Tell systemd (Type=notify) that we serve, or that we stop, through
 * libsystemd's sd_notify(3), loaded at run time: no build dependency, and
 * nothing to do where there is no libsystemd or no $NOTIFY_SOCKET.
 */
static void notify(const char *state)
{
	static int (*sd_notify_fn)(int, const char *);
	static int tried;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	if (!tried) {
		void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);

		tried = 1;
		if (h)
			*(void **)&sd_notify_fn = dlsym(h, "sd_notify");
		if (!sd_notify_fn)
			logmsg(LOG_WARNING, "Type=notify but libsystemd.so.0 has no sd_notify: %s",
			       h ? "symbol missing" : dlerror());
	}
	if (sd_notify_fn)
		sd_notify_fn(0, state);
}

static int bpf_stats_on(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v == 1;
}

/* Log attach state changes. Caller holds the lock. */
static void note_mode(void)
{
	enum tdax_attach_mode m = tdax_collector_mode(st.col);
	int attached = m != TDAX_ATTACH_NONE;

	if (attached == st.health.attached && (!attached || m == st.health.mode))
		return;
	if (attached)
		logmsg(LOG_NOTICE, "attached to the %s (%s)%s",
		       tdax_collector_sources(st.col) == TDAX_SOURCE_STOCK ?
		       "in-tree device_dax" : "tdax tracepoints",
		       tdax_attach_mode_name(m),
		       st.health.scrapes ? ": driver back, collecting again" : "");
	else
		logmsg(LOG_WARNING, "not attached: %s; waiting for the tdax driver",
		       *tdax_collector_errmsg(st.col) ? tdax_collector_errmsg(st.col)
						      : "tdax module not loaded");
	if (st.health.scrapes)
		st.health.attach_changes++;
	st.health.attached = attached;
	st.health.mode = m;
}

/* Take a snapshot into st.snap. Caller holds the lock. */
static int take_snapshot(void)
{
	struct tdax_snapshot tmp;
	int err;

	if (st.health.released)
		return st.have_snap ? 0 : -EAGAIN;
	tdax_snapshot_init(&tmp);
	err = tdax_collector_snapshot(st.col, &tmp);
	note_mode();
	if (err) {
		st.health.scrape_errors++;
		logmsg(LOG_DEBUG, "snapshot failed: %s", tdax_collector_errmsg(st.col));
		tdax_snapshot_free(&tmp);
		return st.have_snap ? 0 : err;
	}
	tdax_snapshot_free(&st.snap);
	st.snap = tmp;
	st.have_snap = 1;
	st.health.scrapes++;
	/* every snapshot, so an exit reported once is never missed */
	metrics_account(&st.snap);
	return 0;
}

static void fill_health(void)
{
	st.health.bpf_stats = bpf_stats_on();
	st.health.process_metrics = env.process_metrics;
	if (st.http) {
		http_get_counters(st.http, &st.health.http);
		st.health.have_http = 1;
	}
	st.health.rules = st.engine ? st.rules : NULL;
	st.health.engine = st.engine;
	st.health.transitions[0] = st.actions.transitions[0];
	st.health.transitions[1] = st.actions.transitions[1];
	st.health.action_failures = st.actions.failures;
}

/* http_render_fn: runs in the HTTP thread. */
static int render(void *ctx, struct expo *e)
{
	double t0 = mono();
	int err;

	(void)ctx;
	pthread_mutex_lock(&st.lock);
	err = st.col ? take_snapshot() : -EAGAIN;
	if (!err) {
		fill_health();
		metrics_render(e, &st.snap, &st.health);
	} else {
		logmsg(LOG_ERR, "cannot answer a scrape: %s",
		       st.col ? tdax_collector_errmsg(st.col) : "collector not open");
	}
	st.health.last_scrape_seconds = mono() - t0;
	pthread_mutex_unlock(&st.lock);
	return err;
}

enum release_why {
	REL_SIGNAL,	/* SIGUSR1 */
	REL_EMPTY,	/* no driver and no device left on the bus */
};

/* Detach so the tdax module can be unloaded. Caller holds the lock. */
static void release_driver_locked(enum release_why why)
{
	if (st.health.released)
		return;
	if (tdax_collector_detach(st.col)) {
		logmsg(LOG_ERR, "cannot detach: %s", tdax_collector_errmsg(st.col));
		return;
	}
	if (why == REL_SIGNAL)
		logmsg(LOG_NOTICE, "detached on SIGUSR1: the tdax driver can be unloaded now");
	else
		logmsg(LOG_NOTICE, "no tdax driver or device left on the bus: detached so the tdax module can be unloaded");
	st.health.released = 1;
	st.health.attached = 0;
	st.health.mode = TDAX_ATTACH_NONE;
	st.health.attach_changes++;
	st.released_at = mono();
	st.saw_absent = 0;
	st.release_why = why;
}

/*
 * Called every BUS_POLL seconds: release the module when the bus is empty
 * (providers and tdax_device unloaded: `rmmod tdax` is next), notice the
 * unload, and re-attach when the driver is back.
 */
static void watch_bus(void)
{
	struct tdax_bus_state bus;
	int present, busy, back;

	pthread_mutex_lock(&st.lock);
	tdax_bus_state(env.sysfs, &bus);	/* a directory it cannot read counts as empty */
	present = bus.module;
	busy = bus.devices || bus.drivers;
	if (!st.health.released) {
		if (st.health.attached && present && !busy)
			release_driver_locked(REL_EMPTY);
	} else if (!present && (env.source == TDAX_SOURCE_TDAX || !tdax_stock_present(env.sysfs))) {
		/* neither source can come back yet (the stock one needs device_dax) */
		if (!st.saw_absent)
			logmsg(LOG_NOTICE, "tdax driver unloaded; will re-attach when it is back");
		st.saw_absent = 1;
	} else {
		if (st.release_why == REL_SIGNAL && !st.saw_absent)
			back = mono() - st.released_at > RELEASE_TIMEOUT;
		else
			back = busy;
		if (back) {
			logmsg(LOG_NOTICE, "tdax driver %s; re-attaching",
			       st.saw_absent ? "loaded again" :
			       st.release_why == REL_EMPTY ? "has drivers or devices again"
							   : "still loaded after the release period");
			st.health.released = 0;
			take_snapshot();	/* attaches; note_mode() logs and counts it */
		}
	}
	pthread_mutex_unlock(&st.lock);
}

static void evaluate(void)
{
	pthread_mutex_lock(&st.lock);
	if (!st.health.released && !take_snapshot() && st.engine && st.health.attached)
		metrics_feed_alerts(st.engine, &st.snap, mono());
	pthread_mutex_unlock(&st.lock);
	actions_reap(&st.actions, 0);
}

static void release_driver(void)
{
	pthread_mutex_lock(&st.lock);
	release_driver_locked(REL_SIGNAL);
	pthread_mutex_unlock(&st.lock);
}

/* A rule of the set alerts per process: it needs per-process attribution. */
static bool rules_per_process(const struct rule_set *rs)
{
	size_t i;

	for (i = 0; rs && i < rs->n; i++)
		if (rs->rules[i].scope == RS_PROCESS)
			return true;
	return false;
}

static void reload_rules(void)
{
	struct rule_set *nrs, *old;
	struct alert_engine *ne;
	char err[512];

	if (!env.rules) {
		logmsg(LOG_NOTICE, "SIGHUP: no rules file to reload");
		return;
	}
	nrs = calloc(1, sizeof(*nrs));
	if (!nrs) {
		logmsg(LOG_ERR, "SIGHUP: out of memory; keeping the old rules");
		return;
	}
	if (rules_load_file(env.rules, nrs, err, sizeof(err))) {
		logmsg(LOG_ERR, "SIGHUP: keeping the old rules: %s", err);
		free(nrs);
		return;
	}
	if (st.no_procs && rules_per_process(nrs)) {
		logmsg(LOG_ERR, "SIGHUP: keeping the old rules: %s has process-scope rules, and daxcollect started without per-process attribution (no such rule, no --process-metrics): restart it",
		       env.rules);
		rules_free(nrs);
		free(nrs);
		return;
	}
	/* the engine keeps a pointer to its rule set: both live on the heap */
	ne = alert_engine_new(nrs, actions_notify, &st.actions);
	if (!ne) {
		rules_free(nrs);
		free(nrs);
		logmsg(LOG_ERR, "SIGHUP: out of memory; keeping the old rules");
		return;
	}
	pthread_mutex_lock(&st.lock);
	if (st.engine)
		alert_engine_resolve_all(st.engine);
	alert_engine_free(st.engine);
	old = st.rules;
	st.rules = nrs;
	st.engine = ne;
	pthread_mutex_unlock(&st.lock);
	rules_free(old);
	free(old);
	logmsg(LOG_NOTICE, "SIGHUP: reloaded %zu rules from %s", nrs->n, env.rules);
}

static int open_collector(int wait_module)
{
	struct tdax_collector_opts o = { .sz = sizeof(o) };
	char err[256];

	/*
	 * Per-process rows cost a second map update per fault: only when
	 * the per-process series or a process-scope rule use them.
	 */
	o.no_procs = !env.process_metrics && !rules_per_process(st.rules);
	st.no_procs = o.no_procs;

	o.force_raw_tp = env.raw_tp;
	o.no_share = env.no_share;
	o.source = env.source;
	o.stock_attach = env.stock_attach;
	o.wait_module = wait_module;
	o.verbose = env.verbose;
	o.sysfs_root = env.sysfs;
	/* a destroyed device's final counts stay exported this long */
	o.retired_keep_ns = 600ULL * 1000000000ULL;
	st.col = tdax_collector_open(&o, err, sizeof(err));
	if (!st.col) {
		fprintf(stderr, "daxcollect: %s\n", err);
		return -1;
	}
	if (*tdax_collector_note(st.col))
		logmsg(LOG_WARNING, "%s", tdax_collector_note(st.col));
	return 0;
}

static int run_once(void)
{
	struct expo e;
	int err;

	if (open_collector(0))
		return 1;
	st.health.start_time = time(NULL);
	expo_init(&e);
	err = render(NULL, &e);
	if (!err)
		err = expo_error(&e);
	if (err) {
		fprintf(stderr, "daxcollect: cannot produce the metrics: %s\n",
			*tdax_collector_errmsg(st.col) ? tdax_collector_errmsg(st.col)
						       : strerror(-err));
		expo_free(&e);
		return 1;
	}
	fwrite(e.buf, 1, e.len, stdout);
	expo_free(&e);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "daxcollect: cannot write the exposition: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { .options = opts, .parser = parse_arg, .doc = doc };
	char err[512];
	struct http_opts ho = { 0 };
	sigset_t set;
	int sfd, rc = 0;
	double next;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	log_open(env.use_syslog, env.verbose);

	st.rules = calloc(1, sizeof(*st.rules));
	if (!st.rules) {
		fprintf(stderr, "daxcollect: out of memory\n");
		return 1;
	}
	if (env.rules && rules_load_file(env.rules, st.rules, err, sizeof(err))) {
		fprintf(stderr, "daxcollect: %s\n", err);
		free(st.rules);
		return 2;
	}
	if (env.check_rules) {
		printf("%s: %zu rule%s OK\n", env.rules, st.rules->n, st.rules->n == 1 ? "" : "s");
		rules_free(st.rules);
		free(st.rules);
		return 0;
	}
	if (env.once) {
		rc = run_once();
		tdax_snapshot_free(&st.snap);
		tdax_collector_close(st.col);
		rules_free(st.rules);
		free(st.rules);
		return rc;
	}

	/* Signals go to the main thread's signalfd; block them before threads start. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		fprintf(stderr, "daxcollect: signalfd: %s\n", strerror(errno));
		return 1;
	}

	/* Listen first: a bad or busy address fails before any BPF loading. */
	st.health.start_time = time(NULL);
	ho.listen = env.listen;
	ho.render = render;
	st.http = http_start(&ho, err, sizeof(err));
	if (!st.http) {
		fprintf(stderr, "daxcollect: %s\n", err);
		return 1;
	}
	pthread_mutex_lock(&st.lock);
	if (open_collector(1)) {
		pthread_mutex_unlock(&st.lock);
		http_stop(st.http);
		return 1;
	}
	actions_init(&st.actions);
	if (env.rules) {
		st.engine = alert_engine_new(st.rules, actions_notify, &st.actions);
		if (!st.engine) {
			fprintf(stderr, "daxcollect: out of memory\n");
			return 1;
		}
	}
	note_mode();
	if (!st.health.attached)
		logmsg(LOG_WARNING, "not attached yet (%s); waiting for the tdax driver",
		       *tdax_collector_errmsg(st.col) ? tdax_collector_errmsg(st.col)
						      : "tdax module not loaded");
	pthread_mutex_unlock(&st.lock);

	logmsg(LOG_NOTICE, "serving http://%s/metrics%s%s (%zu alert rules)", env.listen,
	       env.rules ? ", rules " : "", env.rules ? env.rules : "", st.rules->n);
	notify("READY=1\nSTATUS=serving /metrics");

	next = mono();
	for (;;) {
		struct signalfd_siginfo si;
		struct pollfd pfd = { .fd = sfd, .events = POLLIN };
		double now = mono(), wait;
		int stop = 0;

		watch_bus();
		if (now >= next) {
			evaluate();
			next = now + env.interval;
		}
		wait = next - mono();
		if (wait > BUS_POLL)
			wait = BUS_POLL;
		poll(&pfd, 1, wait > 0 ? (int)ceil(wait * 1000) : 0);
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGTERM:
			case SIGINT:
				logmsg(LOG_NOTICE, "%s: exiting", strsignal(si.ssi_signo));
				stop = 1;
				break;
			case SIGHUP:
				notify("RELOADING=1");
				reload_rules();
				notify("READY=1");
				break;
			case SIGUSR1:
				release_driver();
				next = mono();
				break;
			case SIGCHLD:
				actions_reap(&st.actions, 0);
				break;
			}
		}
		if (stop)
			break;
	}

	notify("STOPPING=1");
	http_stop(st.http);
	st.http = NULL;
	if (st.engine)
		alert_engine_resolve_all(st.engine);
	actions_reap(&st.actions, 1);
	alert_engine_free(st.engine);
	rules_free(st.rules);
	free(st.rules);
	tdax_snapshot_free(&st.snap);
	tdax_collector_close(st.col);
	close(sfd);
	return 0;
}
