/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * actions.h - what daxcollect does when an alert fires or resolves:
 * a log line, a JSON line appended to a file, an exec hook.
 */
#ifndef DAXCOLLECT_ACTIONS_H
#define DAXCOLLECT_ACTIONS_H

#include <stdint.h>

#include "alert.h"

#define ACTIONS_MAX_CHILDREN	16
#define ACTIONS_EXEC_TIMEOUT	30.0	/* seconds before a hook is killed */
#define ACTIONS_ORDER_WAIT	5.0	/* seconds a hook waits for the previous one of its action */

/**
 * struct actions - state of the action runner
 * @transitions: firing + resolved transitions seen (index: 1 firing, 0 resolved)
 * @failures:    actions that could not be carried out (file, fork, exec)
 * @children:    pids of running hooks (0: free slot)
 * @started:     monotonic start time of each child
 * @owner:       the action each child runs (compared, never dereferenced):
 *               hooks of one action start in transition order, each after
 *               the previous one ended (or ACTIONS_ORDER_WAIT passed)
 */
struct actions {
	uint64_t transitions[2];
	uint64_t failures;
	pid_t children[ACTIONS_MAX_CHILDREN];
	double started[ACTIONS_MAX_CHILDREN];
	const void *owner[ACTIONS_MAX_CHILDREN];
};

void actions_init(struct actions *a);
/* alert_notify_fn: runs the rule's actions for one transition. */
void actions_notify(const struct alert_event *ev, void *ctx);
/* Reap finished hooks, kill overdue ones; wait for all when final. */
void actions_reap(struct actions *a, int final);

/* Exported for the tests: fills "NAME=value" strings (count returned). */
int actions_env(const struct alert_event *ev, char env[][512], int max);
/* One JSON object (no newline) describing ev; caller frees. */
char *actions_json(const struct alert_event *ev);

#endif
