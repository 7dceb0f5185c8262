/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rules.h - daxcollect alert rules: the in-memory form and its YAML parser.
 *
 * The file format is documented in docs/alerts.md.  A bad file is refused as
 * a whole with "FILE:LINE: reason"; nothing is half-loaded.
 */
#ifndef DAXCOLLECT_RULES_H
#define DAXCOLLECT_RULES_H

#include <stddef.h>
#include <stdint.h>

#define RULE_NAME_LEN		64
#define RULE_SEVERITY_LEN	16
#define RULES_MAX		256
#define RULE_ACTIONS_MAX	16
#define RULE_WINDOW_MAX		86400.0	/* one day */

/* What a rule measures over its window, per device or per process. */
enum rule_measure {
	RM_FALLBACK_RATE,	/* faults/s that ended mapped below the device alignment */
	RM_SIGBUS_RATE,		/* faults/s ended in SIGBUS */
	RM_MISS_RATE,		/* granularity misses/s (fallback + SIGBUS) */
	RM_HIT_RATIO,		/* hits / (hits + misses), 0..1 */
	RM_MISS_RATIO,		/* misses / (hits + misses), 0..1 */
	RM_BYTE_COVERAGE,	/* bytes mapped at the alignment / bytes mapped, 0..1 */
	RM_FAULT_RATE,		/* faults/s that ended (mapped or SIGBUS), at any size */
	RM_NR
};

enum rule_scope {
	RS_DEVICE,
	RS_PROCESS,
};

enum rule_op {
	RO_GT,
	RO_GE,
	RO_LT,
	RO_LE,
};

enum action_kind {
	ACT_LOG,		/* one line to stderr or syslog */
	ACT_JSON,		/* one JSON object per line appended to a file */
	ACT_EXEC,		/* run a command with the alert in its environment */
};

/**
 * struct rule_action - one action of a rule
 * @kind:   what to do
 * @syslog: ACT_LOG: 1 for syslog, 0 for stderr
 * @path:   ACT_JSON: file appended to
 * @argv:   ACT_EXEC: NULL-terminated argument vector (a string is run by
 *          /bin/sh -c, a list directly)
 * @line:   line of the action in the rules file
 */
struct rule_action {
	enum action_kind kind;
	int syslog;
	char *path;
	char **argv;
	int line;
};

/**
 * struct rule - one alert rule
 * @name:        alert name ([A-Za-z_][A-Za-z0-9_]*), unique in the file
 * @summary:     optional free text, passed to actions
 * @measure:     what is compared
 * @scope:       one alert instance per device or per (process, device)
 * @op:          comparison of the measure with @threshold
 * @threshold:   limit (faults/s for rates, 0..1 for ratios)
 * @window:      seconds over which rates and ratios are computed
 * @hold:        seconds the condition must hold before firing ("for")
 * @severity:    free word (e.g. info, warning, critical)
 * @min_faults:  ratios: the window must hold at least this many faults
 * @reason_mask: rates (fallback/sigbus/miss/fault): bit per tdax fault
 *               reason counted; all reasons when 0
 * @match_device: fnmatch(3) pattern on the device name, or NULL
 * @match_comm:   fnmatch(3) pattern on the process name, or NULL
 * @actions:     what happens on firing and resolved transitions
 * @nactions:    number of @actions
 * @line:        line of the rule in the file
 */
struct rule {
	char name[RULE_NAME_LEN];
	char *summary;
	enum rule_measure measure;
	enum rule_scope scope;
	enum rule_op op;
	double threshold;
	double window;
	double hold;
	char severity[RULE_SEVERITY_LEN];
	uint64_t min_faults;
	uint32_t reason_mask;
	char *match_device;
	char *match_comm;
	struct rule_action *actions;
	size_t nactions;
	int line;
};

/**
 * struct rule_set - all rules of one file
 * @rules:      the rules
 * @n:          how many
 * @max_window: longest window (history the engine keeps)
 */
struct rule_set {
	struct rule *rules;
	size_t n;
	double max_window;
};

int rules_load_file(const char *path, struct rule_set *rs, char *err,
		    size_t errlen);
int rules_load_buffer(const char *buf, size_t len, const char *name,
		      struct rule_set *rs, char *err, size_t errlen);
void rules_free(struct rule_set *rs);

const char *rule_measure_name(enum rule_measure m);
const char *rule_op_name(enum rule_op op);
const char *rule_scope_name(enum rule_scope s);
/* Parse "500ms", "30s", "5m", "1h" or a plain number of seconds. */
int rules_parse_duration(const char *s, double *out);

#endif
