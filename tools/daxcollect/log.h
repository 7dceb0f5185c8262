/* SPDX-License-Identifier: GPL-2.0-only */
/* log.h - daxcollect's log: one line per message, to stderr or syslog. */
#ifndef DAXCOLLECT_LOG_H
#define DAXCOLLECT_LOG_H

#include <syslog.h>

void log_open(int use_syslog, int verbose);
int log_uses_syslog(void);
__attribute__((format(printf, 2, 3)))
void logmsg(int prio, const char *fmt, ...);

#endif
