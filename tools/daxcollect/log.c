// SPDX-License-Identifier: GPL-2.0-only
/* log.c - daxcollect's log (see log.h). */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static int to_syslog;
static int verbose;

void log_open(int use_syslog, int verb)
{
	to_syslog = use_syslog;
	verbose = verb;
	if (to_syslog)
		openlog("daxcollect", LOG_PID, LOG_DAEMON);
}

int log_uses_syslog(void)
{
	return to_syslog;
}

void logmsg(int prio, const char *fmt, ...)
{
	va_list ap;

	if (prio >= LOG_DEBUG && !verbose)
		return;
	va_start(ap, fmt);
	if (to_syslog) {
		vsyslog(prio, fmt, ap);
	} else {
		flockfile(stderr);
		fputs("daxcollect: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		funlockfile(stderr);
	}
	va_end(ap);
}
