// SPDX-License-Identifier: GPL-2.0-only
/*
 * rules.c - parse the daxcollect alert rules file (YAML, via libyaml).
 *
 * The whole file is loaded as a libyaml document; every node carries its
 * line, so each refusal names FILE:LINE and the reason.  Unknown keys are
 * refused too: a misspelt "threshhold" must not silently become a default.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "tdax_abi.h"
#include "rules.h"

#define RULES_FILE_MAX	(1 << 20)

static const char *const measure_names[RM_NR] = {
	[RM_FALLBACK_RATE] = "fallback_rate",
	[RM_SIGBUS_RATE] = "sigbus_rate",
	[RM_MISS_RATE] = "miss_rate",
	[RM_HIT_RATIO] = "hit_ratio",
	[RM_BYTE_COVERAGE] = "byte_coverage",
	[RM_MISS_RATIO] = "miss_ratio",
	[RM_FAULT_RATE] = "fault_rate",
};

static const char *const reason_names[TDAX_FR_NR] = {
#define X(name, val, str) [val] = str,
	TDAX_FAULT_REASONS(X)
#undef X
};

const char *rule_measure_name(enum rule_measure m)
{
	return m < RM_NR ? measure_names[m] : "?";
}

const char *rule_op_name(enum rule_op op)
{
	switch (op) {
	case RO_GT: return ">";
	case RO_GE: return ">=";
	case RO_LT: return "<";
	case RO_LE: return "<=";
	}
	return "?";
}

const char *rule_scope_name(enum rule_scope s)
{
	return s == RS_PROCESS ? "process" : "device";
}

struct pctx {
	yaml_document_t *doc;
	const char *name;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4)))
static int perr(struct pctx *p, yaml_node_t *n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%zu: %s", p->name,
		 n ? n->start_mark.line + 1 : 1, msg);
	return -EINVAL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_string(struct pctx *p, yaml_node_t *n, const char *key,
		      const char **out)
{
	const char *s = scalar(n);

	if (!s)
		return perr(p, n, "'%s' must be a string", key);
	if (strlen(s) != n->data.scalar.length)
		return perr(p, n, "'%s' contains a NUL byte", key);
	*out = s;
	return 0;
}

int rules_parse_duration(const char *s, double *out)
{
	char *end;
	double v, mult = 1;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		mult = 1;
	else if (!strcmp(end, "ms"))
		mult = 0.001;
	else if (!strcmp(end, "m"))
		mult = 60;
	else if (!strcmp(end, "h"))
		mult = 3600;
	else
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int get_duration(struct pctx *p, yaml_node_t *n, const char *key,
			double *out)
{
	const char *s = NULL;
	int err = get_string(p, n, key, &s);

	if (err)
		return err;
	if (rules_parse_duration(s, out) || *out > RULE_WINDOW_MAX)
		return perr(p, n, "'%s': bad duration '%.40s' (use e.g. 500ms, 30s, 5m, 1h; at most 24h)",
			    key, s);
	return 0;
}

static int get_number(struct pctx *p, yaml_node_t *n, const char *key,
		      double *out)
{
	const char *s;
	char *end;
	int err = get_string(p, n, key, &s);

	if (err)
		return err;
	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*out) || *s == ' ')
		return perr(p, n, "'%s': not a finite number: '%.40s'", key, s);
	return 0;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d) {
		fprintf(stderr, "daxcollect: out of memory\n");
		exit(1);
	}
	return d;
}

static int valid_name(const char *s)
{
	size_t i;

	if (!s[0] || strlen(s) >= RULE_NAME_LEN)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '_' || (i && c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

static int parse_reason_one(struct pctx *p, yaml_node_t *n, uint32_t *mask)
{
	const char *s;
	int i, err = get_string(p, n, "reason", &s);

	if (err)
		return err;
	for (i = 0; i < TDAX_FR_NR; i++) {
		if (!strcmp(s, reason_names[i])) {
			if (i == TDAX_FR_OK)
				return perr(p, n, "reason 'ok' is not a fallback reason");
			*mask |= 1u << i;
			return 0;
		}
	}
	return perr(p, n, "unknown fault reason '%.40s' (see docs/tracepoints.md)", s);
}

static int parse_match(struct pctx *p, yaml_node_t *n, struct rule *r)
{
	yaml_node_pair_t *pr;
	int err;

	if (n->type != YAML_MAPPING_NODE)
		return perr(p, n, "'match' must be a mapping");
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *key = scalar(k), *s;

		if (!key || !v)
			return perr(p, k, "match keys must be strings");
		if (!strcmp(key, "device") || !strcmp(key, "comm")) {
			char **dst = key[0] == 'd' ? &r->match_device : &r->match_comm;

			if (*dst)
				return perr(p, k, "duplicate key '%s'", key);
			err = get_string(p, v, key, &s);
			if (err)
				return err;
			if (!*s)
				return perr(p, v, "'%s' pattern is empty", key);
			*dst = xstrdup(s);
		} else if (!strcmp(key, "reason")) {
			if (r->reason_mask)
				return perr(p, k, "duplicate key 'reason'");
			if (v->type == YAML_SEQUENCE_NODE) {
				yaml_node_item_t *it;

				if (v->data.sequence.items.start == v->data.sequence.items.top)
					return perr(p, v, "'reason' list is empty");
				for (it = v->data.sequence.items.start;
				     it < v->data.sequence.items.top; it++) {
					err = parse_reason_one(p, yaml_document_get_node(p->doc, *it),
							       &r->reason_mask);
					if (err)
						return err;
				}
			} else {
				err = parse_reason_one(p, v, &r->reason_mask);
				if (err)
					return err;
			}
		} else {
			return perr(p, k, "unknown key '%.40s' in match (device, comm, reason)", key);
		}
	}
	return 0;
}

static int parse_action(struct pctx *p, yaml_node_t *n, struct rule_action *a)
{
	yaml_node_t *k, *v;
	const char *key, *s;
	int err;

	a->line = n->start_mark.line + 1;
	if (n->type != YAML_MAPPING_NODE ||
	    n->data.mapping.pairs.top - n->data.mapping.pairs.start != 1)
		return perr(p, n, "an action is a mapping with one key: log, json or exec");
	k = yaml_document_get_node(p->doc, n->data.mapping.pairs.start->key);
	v = yaml_document_get_node(p->doc, n->data.mapping.pairs.start->value);
	key = scalar(k);
	if (!key || !v)
		return perr(p, n, "an action is a mapping with one key: log, json or exec");
	if (!strcmp(key, "log")) {
		a->kind = ACT_LOG;
		err = get_string(p, v, "log", &s);
		if (err)
			return err;
		if (!strcmp(s, "stderr"))
			a->syslog = 0;
		else if (!strcmp(s, "syslog"))
			a->syslog = 1;
		else
			return perr(p, v, "log target must be 'stderr' or 'syslog', not '%.40s'", s);
	} else if (!strcmp(key, "json")) {
		a->kind = ACT_JSON;
		err = get_string(p, v, "json", &s);
		if (err)
			return err;
		if (s[0] != '/')
			return perr(p, v, "json: path must be absolute, not '%.60s'", s);
		a->path = xstrdup(s);
	} else if (!strcmp(key, "exec")) {
		a->kind = ACT_EXEC;
		if (v->type == YAML_SEQUENCE_NODE) {
			size_t i = 0, cnt = v->data.sequence.items.top - v->data.sequence.items.start;
			yaml_node_item_t *it;

			if (!cnt || cnt > 64)
				return perr(p, v, "exec: the command list needs 1 to 64 words");
			a->argv = calloc(cnt + 1, sizeof(char *));
			if (!a->argv)
				return perr(p, v, "out of memory");
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
				err = get_string(p, yaml_document_get_node(p->doc, *it), "exec", &s);
				if (err)
					return err;
				a->argv[i++] = xstrdup(s);
			}
			if (a->argv[0][0] != '/')
				return perr(p, v, "exec: program must be an absolute path, not '%.60s'",
					    a->argv[0]);
		} else {
			err = get_string(p, v, "exec", &s);
			if (err)
				return err;
			if (!*s)
				return perr(p, v, "exec: empty command");
			a->argv = calloc(4, sizeof(char *));
			if (!a->argv)
				return perr(p, v, "out of memory");
			a->argv[0] = xstrdup("/bin/sh");
			a->argv[1] = xstrdup("-c");
			a->argv[2] = xstrdup(s);
		}
	} else {
		return perr(p, k, "unknown action '%.40s' (log, json, exec)", key);
	}
	return 0;
}

static int parse_actions(struct pctx *p, yaml_node_t *n, struct rule *r)
{
	yaml_node_item_t *it;
	size_t cnt;
	int err;

	if (n->type != YAML_SEQUENCE_NODE)
		return perr(p, n, "'actions' must be a list");
	cnt = n->data.sequence.items.top - n->data.sequence.items.start;
	if (!cnt || cnt > RULE_ACTIONS_MAX)
		return perr(p, n, "'actions' needs 1 to %d entries", RULE_ACTIONS_MAX);
	r->actions = calloc(cnt, sizeof(*r->actions));
	if (!r->actions)
		return perr(p, n, "out of memory");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *an = yaml_document_get_node(p->doc, *it);

		err = parse_action(p, an, &r->actions[r->nactions++]);
		if (err)
			return err;
	}
	return 0;
}

enum {
	K_NAME = 1 << 0, K_SUMMARY = 1 << 1, K_MEASURE = 1 << 2, K_SCOPE = 1 << 3,
	K_OP = 1 << 4, K_THRESHOLD = 1 << 5, K_WINDOW = 1 << 6, K_FOR = 1 << 7,
	K_SEVERITY = 1 << 8, K_MIN = 1 << 9, K_MATCH = 1 << 10, K_ACTIONS = 1 << 11,
};

static const struct { const char *key; unsigned int bit; } rule_keys[] = {
	{ "name", K_NAME }, { "summary", K_SUMMARY }, { "measure", K_MEASURE },
	{ "scope", K_SCOPE }, { "op", K_OP }, { "threshold", K_THRESHOLD },
	{ "window", K_WINDOW }, { "for", K_FOR }, { "severity", K_SEVERITY },
	{ "min_faults", K_MIN }, { "match", K_MATCH }, { "actions", K_ACTIONS },
};

static int parse_rule(struct pctx *p, yaml_node_t *n, struct rule *r)
{
	unsigned int seen = 0;
	yaml_node_pair_t *pr;
	const char *s;
	double d;
	size_t i;
	int err;

	r->line = n->start_mark.line + 1;
	r->window = 60;
	r->hold = 0;
	r->min_faults = 1;
	snprintf(r->severity, sizeof(r->severity), "warning");
	if (n->type != YAML_MAPPING_NODE)
		return perr(p, n, "a rule must be a mapping");

	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *key = scalar(k);
		unsigned int bit = 0;

		if (!key || !v)
			return perr(p, k ? k : n, "rule keys must be strings");
		for (i = 0; i < sizeof(rule_keys) / sizeof(rule_keys[0]); i++)
			if (!strcmp(key, rule_keys[i].key))
				bit = rule_keys[i].bit;
		if (!bit)
			return perr(p, k, "unknown key '%.40s' in rule", key);
		if (seen & bit)
			return perr(p, k, "duplicate key '%s'", key);
		seen |= bit;

		switch (bit) {
		case K_NAME:
			err = get_string(p, v, key, &s);
			if (err)
				return err;
			if (!valid_name(s))
				return perr(p, v, "bad rule name '%.40s' (letters, digits, _; at most %d)",
					    s, RULE_NAME_LEN - 1);
			snprintf(r->name, sizeof(r->name), "%s", s);
			break;
		case K_SUMMARY:
			err = get_string(p, v, key, &s);
			if (err)
				return err;
			if (strlen(s) > 1024)
				return perr(p, v, "summary longer than 1024 bytes");
			r->summary = xstrdup(s);
			break;
		case K_MEASURE:
			err = get_string(p, v, key, &s);
			if (err)
				return err;
			for (i = 0; i < RM_NR; i++)
				if (!strcmp(s, measure_names[i]))
					break;
			if (i == RM_NR)
				return perr(p, v, "unknown measure '%.40s' (fallback_rate, sigbus_rate, miss_rate, fault_rate, hit_ratio, miss_ratio, byte_coverage)",
					    s);
			r->measure = i;
			break;
		case K_SCOPE:
			err = get_string(p, v, key, &s);
			if (err)
				return err;
			if (!strcmp(s, "device"))
				r->scope = RS_DEVICE;
			else if (!strcmp(s, "process"))
				r->scope = RS_PROCESS;
			else
				return perr(p, v, "scope must be 'device' or 'process', not '%.40s'", s);
			break;
		case K_OP:
			err = get_string(p, v, key, &s);
			if (err)
				return err;
			if (!strcmp(s, ">"))
				r->op = RO_GT;
			else if (!strcmp(s, ">="))
				r->op = RO_GE;
			else if (!strcmp(s, "<"))
				r->op = RO_LT;
			else if (!strcmp(s, "<="))
				r->op = RO_LE;
			else
				return perr(p, v, "op must be one of > >= < <=, not '%.10s'", s);
			break;
		case K_THRESHOLD:
			err = get_number(p, v, key, &r->threshold);
			if (err)
				return err;
			break;
		case K_WINDOW:
			err = get_duration(p, v, key, &r->window);
			if (err)
				return err;
			if (r->window < 0.001)
				return perr(p, v, "window must be positive");
			break;
		case K_FOR:
			err = get_duration(p, v, key, &r->hold);
			if (err)
				return err;
			break;
		case K_SEVERITY:
			err = get_string(p, v, key, &s);
			if (err)
				return err;
			if (!valid_name(s) || strlen(s) >= RULE_SEVERITY_LEN)
				return perr(p, v, "bad severity '%.40s' (one word, e.g. warning)", s);
			snprintf(r->severity, sizeof(r->severity), "%s", s);
			break;
		case K_MIN:
			err = get_number(p, v, key, &d);
			if (err)
				return err;
			if (d < 0 || d != floor(d) || d > 1e15)
				return perr(p, v, "min_faults must be a whole number >= 0");
			r->min_faults = (uint64_t)d;
			break;
		case K_MATCH:
			err = parse_match(p, v, r);
			if (err)
				return err;
			break;
		case K_ACTIONS:
			err = parse_actions(p, v, r);
			if (err)
				return err;
			break;
		}
	}

	if (!(seen & K_NAME))
		return perr(p, n, "rule without 'name'");
	if (!(seen & K_MEASURE))
		return perr(p, n, "rule '%s' without 'measure'", r->name);
	if (!(seen & K_THRESHOLD))
		return perr(p, n, "rule '%s' without 'threshold'", r->name);
	if (!(seen & K_OP))
		r->op = r->measure == RM_HIT_RATIO || r->measure == RM_BYTE_COVERAGE ? RO_LT : RO_GT;
	if ((r->measure == RM_HIT_RATIO || r->measure == RM_MISS_RATIO ||
	     r->measure == RM_BYTE_COVERAGE) &&
	    (r->threshold < 0 || r->threshold > 1))
		return perr(p, n, "rule '%s': a ratio threshold lies in 0..1", r->name);
	if (r->threshold < 0)
		return perr(p, n, "rule '%s': a rate threshold is >= 0", r->name);
	if (r->reason_mask && (r->measure == RM_HIT_RATIO || r->measure == RM_MISS_RATIO ||
			       r->measure == RM_BYTE_COVERAGE))
		return perr(p, n, "rule '%s': match.reason applies to rates, not ratios", r->name);
	if (r->match_comm && r->scope != RS_PROCESS)
		return perr(p, n, "rule '%s': match.comm needs scope: process", r->name);
	if (!r->nactions) {
		r->actions = calloc(1, sizeof(*r->actions));
		if (!r->actions)
			return perr(p, n, "out of memory");
		r->actions[0].kind = ACT_LOG;
		r->actions[0].line = r->line;
		r->nactions = 1;
	}
	return 0;
}

static int parse_root(struct pctx *p, yaml_node_t *root, struct rule_set *rs)
{
	yaml_node_t *rules = NULL;
	yaml_node_pair_t *pr;
	yaml_node_item_t *it;
	size_t cnt, i, j;
	int err;

	if (!root)
		return perr(p, NULL, "empty rules file (expected a mapping with 'rules:')");
	if (root->type != YAML_MAPPING_NODE)
		return perr(p, root, "expected a mapping with a 'rules:' list at the top");
	for (pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		const char *key = scalar(k);

		if (!key)
			return perr(p, k ? k : root, "top-level keys must be strings");
		if (strcmp(key, "rules"))
			return perr(p, k, "unknown top-level key '%.40s' (only 'rules')", key);
		if (rules)
			return perr(p, k, "duplicate key 'rules'");
		rules = yaml_document_get_node(p->doc, pr->value);
	}
	if (!rules)
		return perr(p, root, "no 'rules:' list");
	if (rules->type != YAML_SEQUENCE_NODE)
		return perr(p, rules, "'rules' must be a list");
	cnt = rules->data.sequence.items.top - rules->data.sequence.items.start;
	if (cnt > RULES_MAX)
		return perr(p, rules, "more than %d rules", RULES_MAX);
	rs->rules = calloc(cnt ? cnt : 1, sizeof(*rs->rules));
	if (!rs->rules)
		return perr(p, rules, "out of memory");
	for (it = rules->data.sequence.items.start; it < rules->data.sequence.items.top; it++) {
		struct rule *r = &rs->rules[rs->n++];

		err = parse_rule(p, yaml_document_get_node(p->doc, *it), r);
		if (err)
			return err;
		for (j = 0; j + 1 < rs->n; j++)
			if (!strcmp(rs->rules[j].name, r->name))
				return perr(p, yaml_document_get_node(p->doc, *it),
					    "duplicate rule name '%s' (first at line %d)",
					    r->name, rs->rules[j].line);
		if (r->window > rs->max_window)
			rs->max_window = r->window;
	}
	for (i = 0; i < rs->n; i++)
		if (rs->rules[i].window > rs->max_window)
			rs->max_window = rs->rules[i].window;
	return 0;
}

int rules_load_buffer(const char *buf, size_t len, const char *name,
		      struct rule_set *rs, char *err, size_t errlen)
{
	struct pctx p = { .name = name, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int ret;

	memset(rs, 0, sizeof(*rs));
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: cannot initialise the YAML parser", name);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%zu: YAML syntax error: %s%s%s", name,
			 (parser.problem_mark.line ? parser.problem_mark.line
						   : parser.context_mark.line) + 1,
			 parser.problem ? parser.problem : "unknown",
			 parser.context ? " " : "",
			 parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	p.doc = &doc;
	ret = parse_root(&p, yaml_document_get_root_node(&doc), rs);
	if (!ret) {
		/* a second document is a mistake, not something to ignore */
		if (!yaml_parser_load(&parser, &extra)) {
			snprintf(err, errlen, "%s:%zu: YAML syntax error: %s", name,
				 parser.problem_mark.line + 1,
				 parser.problem ? parser.problem : "unknown");
			ret = -EINVAL;
		} else {
			yaml_node_t *r2 = yaml_document_get_root_node(&extra);

			if (r2) {
				snprintf(err, errlen, "%s:%zu: more than one YAML document",
					 name, r2->start_mark.line + 1);
				ret = -EINVAL;
			}
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (ret)
		rules_free(rs);
	return ret;
}

int rules_load_file(const char *path, struct rule_set *rs, char *err,
		    size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t len;
	int ret;

	memset(rs, 0, sizeof(*rs));
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	buf = malloc(RULES_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	len = fread(buf, 1, RULES_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		ret = -EIO;
	} else if (len > RULES_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, RULES_FILE_MAX);
		ret = -EFBIG;
	} else {
		ret = rules_load_buffer(buf, len, path, rs, err, errlen);
	}
	free(buf);
	fclose(f);
	return ret;
}

void rules_free(struct rule_set *rs)
{
	size_t i, j, k;

	for (i = 0; i < rs->n; i++) {
		struct rule *r = &rs->rules[i];

		for (j = 0; j < r->nactions; j++) {
			free(r->actions[j].path);
			for (k = 0; r->actions[j].argv && r->actions[j].argv[k]; k++)
				free(r->actions[j].argv[k]);
			free(r->actions[j].argv);
		}
		free(r->actions);
		free(r->summary);
		free(r->match_device);
		free(r->match_comm);
	}
	free(rs->rules);
	memset(rs, 0, sizeof(*rs));
}
