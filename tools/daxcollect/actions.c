// SPDX-License-Identifier: GPL-2.0-only
/*
 * actions.c - carry out the actions of an alert transition (see actions.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "actions.h"
#include "log.h"

extern char **environ;

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Convert a time of the engine's clock (monotonic) into Unix time. */
static double to_unix(double mono, double now_mono)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9 - (now_mono - mono);
}

static void iso8601(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	int ms = (int)((t - (double)s) * 1000);

	gmtime_r(&s, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 ms < 0 ? 0 : ms > 999 ? 999 : ms);
}

static void fmt_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "NaN");
	else
		snprintf(buf, len, "%.6g", v);
}

void actions_init(struct actions *a)
{
	memset(a, 0, sizeof(*a));
}

int actions_env(const struct alert_event *ev, char env[][512], int max)
{
	const struct rule *r = ev->rule;
	char v[64], t[64];
	double now = to_unix(ev->now, ev->now);
	int n = 0;

#define ENV(...) do { if (n < max) snprintf(env[n++], 512, __VA_ARGS__); } while (0)
	fmt_num(v, sizeof(v), ev->value);
	fmt_num(t, sizeof(t), r->threshold);
	ENV("TDAX_ALERT=%s", r->name);
	ENV("TDAX_STATE=%s", ev->firing ? "firing" : "resolved");
	ENV("TDAX_SEVERITY=%s", r->severity);
	ENV("TDAX_SCOPE=%s", rule_scope_name(r->scope));
	ENV("TDAX_DEVICE=%s", ev->key->device);
	ENV("TDAX_DEVICE_INSTANCE=%llu", (unsigned long long)ev->key->instance);
	ENV("TDAX_PID=%d", (int)ev->key->pid);
	ENV("TDAX_COMM=%s", ev->key->comm);
	ENV("TDAX_MEASURE=%s", rule_measure_name(r->measure));
	ENV("TDAX_OP=%s", rule_op_name(r->op));
	ENV("TDAX_THRESHOLD=%s", t);
	ENV("TDAX_VALUE=%s", v);
	ENV("TDAX_WINDOW=%g", r->window);
	ENV("TDAX_FOR=%g", r->hold);
	ENV("TDAX_REASON=%s", ev->reason ? ev->reason : "");
	ENV("TDAX_REASONS=%s", ev->reasons ? ev->reasons : "");
	ENV("TDAX_SUMMARY=%s", r->summary ? r->summary : "");
	ENV("TDAX_SINCE=%.3f", to_unix(ev->active_at, ev->now));
	ENV("TDAX_TIME=%.3f", now);
#undef ENV
	return n;
}

char *actions_json(const struct alert_event *ev)
{
	const struct rule *r = ev->rule;
	struct json_object *o = json_object_new_object();
	char ts[96], since[96];
	char *out;

	if (!o)
		return NULL;
	iso8601(to_unix(ev->now, ev->now), ts, sizeof(ts));
	iso8601(to_unix(ev->active_at, ev->now), since, sizeof(since));
	json_object_object_add(o, "time", json_object_new_string(ts));
	json_object_object_add(o, "alert", json_object_new_string(r->name));
	json_object_object_add(o, "state", json_object_new_string(ev->firing ? "firing" : "resolved"));
	json_object_object_add(o, "severity", json_object_new_string(r->severity));
	json_object_object_add(o, "scope", json_object_new_string(rule_scope_name(r->scope)));
	json_object_object_add(o, "device", json_object_new_string(ev->key->device));
	json_object_object_add(o, "device_instance", json_object_new_uint64(ev->key->instance));
	if (r->scope == RS_PROCESS) {
		json_object_object_add(o, "pid", json_object_new_int(ev->key->pid));
		json_object_object_add(o, "comm", json_object_new_string(ev->key->comm));
	}
	json_object_object_add(o, "measure", json_object_new_string(rule_measure_name(r->measure)));
	json_object_object_add(o, "op", json_object_new_string(rule_op_name(r->op)));
	json_object_object_add(o, "threshold", json_object_new_double(r->threshold));
	json_object_object_add(o, "value", isnan(ev->value) ? json_object_new_null()
							     : json_object_new_double(ev->value));
	json_object_object_add(o, "window_seconds", json_object_new_double(r->window));
	json_object_object_add(o, "for_seconds", json_object_new_double(r->hold));
	json_object_object_add(o, "reason", json_object_new_string(ev->reason ? ev->reason : ""));
	json_object_object_add(o, "reasons", json_object_new_string(ev->reasons ? ev->reasons : ""));
	json_object_object_add(o, "since", json_object_new_string(since));
	if (r->summary)
		json_object_object_add(o, "summary", json_object_new_string(r->summary));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

static void do_log(const struct alert_event *ev, const struct rule_action *act)
{
	const struct rule *r = ev->rule;
	char v[64], who[64] = "", line[1536];
	/* the summary's first line: a log entry is one line */
	int sumlen = r->summary ? (int)strcspn(r->summary, "\r\n") : 0;
	int prio;

	fmt_num(v, sizeof(v), ev->value);
	if (r->scope == RS_PROCESS)
		snprintf(who, sizeof(who), " pid=%d comm=%s", (int)ev->key->pid, ev->key->comm);
	if (!ev->firing)
		prio = LOG_NOTICE;
	else if (!strcmp(r->severity, "critical"))
		prio = LOG_CRIT;
	else if (!strcmp(r->severity, "info"))
		prio = LOG_INFO;
	else
		prio = LOG_WARNING;
	snprintf(line, sizeof(line),
		 "alert %s %s: device=%s%s reason=%s %s=%s (%s %g over %gs, for %gs) severity=%s device_instance=%llu%s%.*s",
		 r->name, ev->firing ? "firing" : "resolved", ev->key->device, who,
		 ev->reason[0] ? ev->reason : "-", rule_measure_name(r->measure), v,
		 rule_op_name(r->op), r->threshold, r->window, r->hold, r->severity,
		 (unsigned long long)ev->key->instance, r->summary ? ": " : "",
		 sumlen, r->summary ? r->summary : "");
	if (act->syslog && !log_uses_syslog()) {
		openlog("daxcollect", LOG_PID, LOG_DAEMON);
		syslog(prio, "%s", line);
		return;
	}
	logmsg(prio, "%s", line);
}

static int do_json(const struct alert_event *ev, const struct rule_action *act)
{
	char *line = actions_json(ev);
	size_t len;
	ssize_t w;
	int fd;

	if (!line)
		return -ENOMEM;
	len = strlen(line);
	line[len] = '\n';	/* strdup left room for the NUL: reuse it */
	fd = open(act->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		logmsg(LOG_ERR, "alert %s: cannot open %s: %s", ev->rule->name, act->path,
		       strerror(errno));
		free(line);
		return -errno;
	}
	w = write(fd, line, len + 1);	/* one write: lines never interleave */
	close(fd);
	free(line);
	if (w != (ssize_t)(len + 1)) {
		logmsg(LOG_ERR, "alert %s: cannot append to %s", ev->rule->name, act->path);
		return -EIO;
	}
	return 0;
}

/* A hook ended (r: its pid, or -1 if already reaped elsewhere): count failures. */
static void child_done(struct actions *a, int i, pid_t r, int status)
{
	if (r > 0 && (!WIFEXITED(status) || WEXITSTATUS(status))) {
		a->failures++;
		logmsg(LOG_WARNING, "alert hook (pid %d) %s %d", (int)r,
		       WIFEXITED(status) ? "exited with status" : "killed by signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	}
	a->children[i] = 0;
}

static int do_exec(struct actions *a, const struct alert_event *ev,
		   const struct rule_action *act)
{
	char env[24][512];
	char *envp[256 + 24];
	int i, n, slot = -1, ne = 0;
	pid_t pid;

	/* keep the order of transitions: let the previous hook of this action end */
	for (i = 0; i < ACTIONS_MAX_CHILDREN; i++) {
		double until = mono_now() + ACTIONS_ORDER_WAIT;
		int status;

		while (a->children[i] && a->owner[i] == act && mono_now() < until) {
			pid_t r = waitpid(a->children[i], &status, WNOHANG);

			if (r == a->children[i] || (r < 0 && errno == ECHILD)) {
				child_done(a, i, r, status);
				break;
			}
			usleep(5000);
		}
	}
	actions_reap(a, 0);
	for (i = 0; i < ACTIONS_MAX_CHILDREN; i++)
		if (!a->children[i]) {
			slot = i;
			break;
		}
	if (slot < 0) {
		logmsg(LOG_ERR, "alert %s: %d hooks still running; not starting %s",
		       ev->rule->name, ACTIONS_MAX_CHILDREN, act->argv[0]);
		return -EBUSY;
	}
	n = actions_env(ev, env, 24);
	/* inherited environment minus any TDAX_* of ours, then the alert's fields */
	for (i = 0; environ && environ[i] && ne < 256; i++)
		if (strncmp(environ[i], "TDAX_", 5))
			envp[ne++] = environ[i];
	for (i = 0; i < n; i++)
		envp[ne++] = env[i];
	envp[ne] = NULL;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		logmsg(LOG_ERR, "alert %s: fork: %s", ev->rule->name, strerror(errno));
		return -errno;
	}
	if (!pid) {
		int fd = open("/dev/null", O_RDONLY);
		sigset_t all;

		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		setpgid(0, 0);
		/* the service's CAP_BPF/CAP_PERFMON are ambient: not the hook's */
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		execve(act->argv[0], act->argv, envp);
		/* only async-signal-safe calls here: the parent has other threads */
		{
			static const char msg[] = "daxcollect: alert hook: execve failed\n";
			ssize_t w = write(2, msg, sizeof(msg) - 1);

			(void)w;
		}
		_exit(127);
	}
	a->children[slot] = pid;
	a->started[slot] = mono_now();
	a->owner[slot] = act;
	logmsg(LOG_DEBUG, "alert %s: hook %s started (pid %d)", ev->rule->name,
	       act->argv[0], (int)pid);
	return 0;
}

void actions_reap(struct actions *a, int final)
{
	double deadline = mono_now() + 5;
	int i, status, live;

	do {
		live = 0;
		for (i = 0; i < ACTIONS_MAX_CHILDREN; i++) {
			pid_t r;

			if (!a->children[i])
				continue;
			r = waitpid(a->children[i], &status, WNOHANG);
			if (r == a->children[i] || (r < 0 && errno == ECHILD)) {
				child_done(a, i, r, status);
				continue;
			}
			live++;
			if (mono_now() - a->started[i] > ACTIONS_EXEC_TIMEOUT ||
			    (final && mono_now() > deadline)) {
				logmsg(LOG_WARNING, "alert hook (pid %d) overdue: killed",
				       (int)a->children[i]);
				kill(-a->children[i], SIGKILL);
				kill(a->children[i], SIGKILL);
			}
		}
		if (final && live)
			usleep(10000);
	} while (final && live);
}

void actions_notify(const struct alert_event *ev, void *ctx)
{
	struct actions *a = ctx;
	size_t i;

	a->transitions[ev->firing ? 1 : 0]++;
	for (i = 0; i < ev->rule->nactions; i++) {
		const struct rule_action *act = &ev->rule->actions[i];
		int err = 0;

		switch (act->kind) {
		case ACT_LOG:
			do_log(ev, act);
			break;
		case ACT_JSON:
			err = do_json(ev, act);
			break;
		case ACT_EXEC:
			err = do_exec(a, ev, act);
			break;
		}
		if (err)
			a->failures++;
	}
}
