// SPDX-License-Identifier: GPL-2.0-only
/*
 * promql-check - check that every PromQL expression of the Grafana
 * dashboards and Prometheus rules names only metrics daxcollect exports,
 * and that the dashboards are well formed (datasource variable, every
 * panel and target on it, an expression in every target, a latency
 * heatmap, fallback reasons, a red wrong-memory panel by device).
 *
 *   promql-check --scrape FILE  DASHBOARD.json... RULES.yml...
 *       names must appear in FILE, a real scrape of daxcollect
 *   promql-check --self DASHBOARD.json... RULES.yml...
 *       names must be families daxcollect renders (every optional family on)
 *   promql-check --rules-of DASHBOARD.json
 *       print the dashboard's expressions (Grafana variables replaced) as a
 *       Prometheus rules file, for `promtool check rules` to parse them
 *   promql-check --exprs-of DASHBOARD.json
 *       the same expressions, one per line (queried in the guest test)
 *
 * Prints TAP: one result per file.  Metric names are what is left of an
 * expression once strings, label matchers, ranges, Grafana variables,
 * numbers, keywords, functions and aggregation clauses are removed.
 * Besides daxcollect's names, the rules' own recording names and
 * Prometheus' ALERTS / ALERTS_FOR_STATE / up are allowed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include <yaml.h>

#include "metrics.h"

#define MAX_NAMES 4096

struct names {
	char *v[MAX_NAMES];
	int n;
};

static int names_has(const struct names *s, const char *x)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], x))
			return 1;
	return 0;
}

static void names_add(struct names *s, const char *x, size_t len)
{
	char *d = strndup(x, len);

	if (!d || names_has(s, d) || s->n >= MAX_NAMES) {
		free(d);
		return;
	}
	s->v[s->n++] = d;
}

static struct names exported, recorded;
static int failures, tap_n;

/* Known names from an exposition: samples, and F_bucket/_sum/_count of histograms. */
static void load_exposition(const char *text)
{
	const char *l = text;

	while (l && *l) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);
		char name[256], type[32];

		if (sscanf(l, "# TYPE %255s %31s", name, type) == 2) {
			names_add(&exported, name, strlen(name));
			if (!strcmp(type, "histogram") || !strcmp(type, "summary")) {
				static const char *const suf[] = { "_bucket", "_sum", "_count" };

				for (int i = 0; i < 3; i++) {
					char full[300];

					snprintf(full, sizeof(full), "%s%s", name, suf[i]);
					names_add(&exported, full, strlen(full));
				}
			}
		} else if (len && l[0] != '#') {
			size_t k = 0;

			while (k < len && (isalnum((unsigned char)l[k]) || l[k] == '_' || l[k] == ':'))
				k++;
			if (k)
				names_add(&exported, l, k);
		}
		l = end ? end + 1 : NULL;
	}
}

static const char *const keywords[] = {
	"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
	"and", "or", "unless", "offset", "inf", "nan", "Inf", "NaN",
	"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
	"count_values", "bottomk", "topk", "quantile", "atan2", NULL,
};

static int is_keyword(const char *s, size_t n)
{
	for (int i = 0; keywords[i]; i++)
		if (strlen(keywords[i]) == n && !strncmp(keywords[i], s, n))
			return 1;
	return 0;
}

static int label_list_keyword(const char *s, size_t n)
{
	static const char *const kw[] = { "by", "without", "on", "ignoring",
					  "group_left", "group_right", NULL };

	for (int i = 0; kw[i]; i++)
		if (strlen(kw[i]) == n && !strncmp(kw[i], s, n))
			return 1;
	return 0;
}

static size_t skip_string(const char *e, size_t i)
{
	char q = e[i++];

	while (e[i] && e[i] != q) {
		if (e[i] == '\\' && q != '`' && e[i + 1])
			i++;
		i++;
	}
	return e[i] ? i + 1 : i;
}

/* Collect the metric names of one PromQL expression into out. */
static void extract(const char *e, struct names *out)
{
	size_t i = 0;
	int brace = 0;

	while (e[i]) {
		char c = e[i];

		if (c == '"' || c == '\'' || c == '`') {
			i = skip_string(e, i);
		} else if (c == '{') {
			brace++;
			i++;
		} else if (c == '}') {
			brace--;
			i++;
		} else if (c == '[') {
			while (e[i] && e[i] != ']')
				i++;
		} else if (c == '$') {
			i++;
			if (e[i] == '{') {
				while (e[i] && e[i] != '}')
					i++;
			} else {
				while (isalnum((unsigned char)e[i]) || e[i] == '_')
					i++;
			}
		} else if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)e[i + 1]))) {
			while (isalnum((unsigned char)e[i]) || e[i] == '.' ||
			       ((e[i] == '+' || e[i] == '-') && (e[i - 1] == 'e' || e[i - 1] == 'E')))
				i++;
		} else if (isalpha((unsigned char)c) || c == '_' || c == ':') {
			size_t s = i, j;

			while (isalnum((unsigned char)e[i]) || e[i] == '_' || e[i] == ':')
				i++;
			if (brace)
				continue;	/* a label name */
			for (j = i; isspace((unsigned char)e[j]); j++)
				;
			if (label_list_keyword(e + s, i - s)) {
				if (e[j] == '(') {	/* (label, label) */
					while (e[j] && e[j] != ')')
						j++;
					i = e[j] ? j + 1 : j;
				}
				continue;
			}
			if (e[j] == '(' || is_keyword(e + s, i - s))
				continue;	/* function, aggregation, operator */
			names_add(out, e + s, i - s);
		} else {
			i++;
		}
	}
}

static void check_expr(const char *file, const char *where, const char *expr, int *bad)
{
	struct names used = { 0 };

	extract(expr, &used);
	for (int i = 0; i < used.n; i++) {
		const char *m = used.v[i];

		if (!strcmp(m, "ALERTS") || !strcmp(m, "ALERTS_FOR_STATE") || !strcmp(m, "up") ||
		    names_has(&recorded, m) || names_has(&exported, m))
			continue;
		printf("# %s: %s: metric '%s' is not exported by daxcollect\n", file, where, m);
		(*bad)++;
	}
	if (!used.n) {
		printf("# %s: %s: no metric in '%s'\n", file, where, expr);
		(*bad)++;
	}
	for (int i = 0; i < used.n; i++)
		free(used.v[i]);
}

static void result(int ok, const char *fmt, const char *arg)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, arg);
	printf("%s %d - %s\n", ok ? "ok" : "not ok", ++tap_n, msg);
	if (!ok)
		failures++;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
	       ? json_object_get_string(v) : NULL;
}

static int ds_ok(struct json_object *o)
{
	struct json_object *ds;
	const char *uid;

	if (!json_object_object_get_ex(o, "datasource", &ds))
		return 0;
	uid = jstr(ds, "uid");
	return uid && !strcmp(uid, "${datasource}");
}

/* A threshold step of the panel's defaults is red (the wrong-memory panel). */
static int has_red_step(struct json_object *p)
{
	struct json_object *fc, *def, *th, *steps;
	size_t i;

	if (!json_object_object_get_ex(p, "fieldConfig", &fc) ||
	    !json_object_object_get_ex(fc, "defaults", &def) ||
	    !json_object_object_get_ex(def, "thresholds", &th) ||
	    !json_object_object_get_ex(th, "steps", &steps))
		return 0;
	for (i = 0; i < json_object_array_length(steps); i++) {
		const char *c = jstr(json_object_array_get_idx(steps, i), "color");

		if (c && !strcmp(c, "red"))
			return 1;
	}
	return 0;
}

static void check_dashboard(const char *file)
{
	struct json_object *root = json_object_from_file(file), *panels, *tl, *list;
	int bad = 0, exprs = 0, have_ds_var = 0, have_heatmap = 0, have_stacked_reason = 0;
	int have_wrong_memory = 0;
	size_t i, j;

	if (!root) {
		printf("# %s: %s\n", file, json_util_get_last_err());
		result(0, "%s: valid JSON", file);
		return;
	}
	if (json_object_object_get_ex(root, "templating", &tl) &&
	    json_object_object_get_ex(tl, "list", &list)) {
		for (i = 0; i < json_object_array_length(list); i++) {
			struct json_object *v = json_object_array_get_idx(list, i), *q;
			const char *type = jstr(v, "type"), *name = jstr(v, "name");

			if (type && !strcmp(type, "datasource") && jstr(v, "query") &&
			    !strcmp(jstr(v, "query"), "prometheus") && name && !strcmp(name, "datasource"))
				have_ds_var = 1;
			if (type && !strcmp(type, "query") && json_object_object_get_ex(v, "query", &q)) {
				const char *qs = json_object_is_type(q, json_type_string)
						 ? json_object_get_string(q) : jstr(q, "query");
				char buf[1024], where[128];
				char *comma;

				if (!ds_ok(v)) {
					printf("# %s: variable %s not on ${datasource}\n", file, name);
					bad++;
				}
				if (!qs)
					continue;
				/* label_values(METRIC_SELECTOR, label) */
				snprintf(buf, sizeof(buf), "%s", qs);
				if (!strncmp(buf, "label_values(", 13) && (comma = strrchr(buf, ',')))
					*comma = 0;
				snprintf(where, sizeof(where), "variable %s", name ? name : "?");
				check_expr(file, where, buf + (strncmp(buf, "label_values(", 13) ? 0 : 13), &bad);
				exprs++;
			}
		}
	}
	if (!have_ds_var) {
		printf("# %s: no datasource variable named 'datasource' (type datasource, prometheus)\n", file);
		bad++;
	}
	if (!json_object_object_get_ex(root, "panels", &panels)) {
		printf("# %s: no panels\n", file);
		bad++;
	}
	for (i = 0; panels && i < json_object_array_length(panels); i++) {
		struct json_object *p = json_object_array_get_idx(panels, i), *targets;
		const char *type = jstr(p, "type"), *title = jstr(p, "title");
		char where[256];

		if (type && !strcmp(type, "row"))
			continue;
		if (!ds_ok(p)) {
			printf("# %s: panel '%s' not on ${datasource}\n", file, title);
			bad++;
		}
		if (type && !strcmp(type, "heatmap"))
			have_heatmap = 1;
		if (!json_object_object_get_ex(p, "targets", &targets) ||
		    !json_object_array_length(targets)) {
			printf("# %s: panel '%s' has no target\n", file, title);
			bad++;
			continue;
		}
		for (j = 0; j < json_object_array_length(targets); j++) {
			struct json_object *t = json_object_array_get_idx(targets, j);
			const char *expr = jstr(t, "expr");

			snprintf(where, sizeof(where), "panel '%s' target %zu", title ? title : "?", j);
			if (!ds_ok(t)) {
				printf("# %s: %s not on ${datasource}\n", file, where);
				bad++;
			}
			if (!expr || !*expr) {
				printf("# %s: %s has no expr\n", file, where);
				bad++;
				continue;
			}
			if (strstr(expr, "by (reason)") && strstr(expr, "tdax_fault_reasons_total"))
				have_stacked_reason = 1;
			/* stock kernels: the wrong memory, per device, in red */
			if (strstr(expr, "tdax_offset_misaligned_faults_total") &&
			    strstr(expr, "device)") && has_red_step(p) && type &&
			    (!strcmp(type, "stat") || !strcmp(type, "timeseries")))
				have_wrong_memory = 1;
			check_expr(file, where, expr, &bad);
			exprs++;
		}
	}
	if (!have_heatmap) {
		printf("# %s: no latency heatmap panel\n", file);
		bad++;
	}
	if (!have_stacked_reason) {
		printf("# %s: no panel of fallback reasons\n", file);
		bad++;
	}
	if (!have_wrong_memory) {
		printf("# %s: no red wrong-memory panel by device on tdax_offset_misaligned_faults_total\n",
		       file);
		bad++;
	}
	json_object_put(root);
	{
		char msg[300];

		snprintf(msg, sizeof(msg), "%%s: %d expressions, datasource variable, panels well formed%s",
			 exprs, "");
		result(!bad, msg, file);
	}
}

/* Walk a rules YAML document: collect record names (pass 0) or check exprs (pass 1). */
static void walk_rules(yaml_document_t *d, yaml_node_t *n, const char *file, int pass, int *bad,
		       int *exprs)
{
	if (!n)
		return;
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
			walk_rules(d, yaml_document_get_node(d, *it), file, pass, bad, exprs);
	} else if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(d, p->key);
			yaml_node_t *v = yaml_document_get_node(d, p->value);
			const char *key = k && k->type == YAML_SCALAR_NODE ? (char *)k->data.scalar.value : "";

			if (v && v->type == YAML_SCALAR_NODE && !strcmp(key, "record") && pass == 0) {
				names_add(&recorded, (char *)v->data.scalar.value, v->data.scalar.length);
			} else if (v && v->type == YAML_SCALAR_NODE && !strcmp(key, "expr") && pass == 1) {
				char where[64];

				snprintf(where, sizeof(where), "line %zu", v->start_mark.line + 1);
				check_expr(file, where, (char *)v->data.scalar.value, bad);
				(*exprs)++;
			} else {
				walk_rules(d, v, file, pass, bad, exprs);
			}
		}
	}
}

static void check_rules(const char *file, int pass)
{
	FILE *f = fopen(file, "r");
	yaml_parser_t p;
	yaml_document_t d;
	int bad = 0, exprs = 0;

	if (!f || !yaml_parser_initialize(&p)) {
		if (pass)
			result(0, "%s: readable", file);
		if (f)
			fclose(f);
		return;
	}
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &d)) {
		if (pass)
			result(0, "%s: valid YAML", file);
	} else {
		walk_rules(&d, yaml_document_get_root_node(&d), file, pass, &bad, &exprs);
		yaml_document_delete(&d);
		if (pass) {
			char msg[300];

			snprintf(msg, sizeof(msg), "%%s: %d rule expressions name only exported metrics", exprs);
			result(!bad && exprs, msg, file);
		}
	}
	yaml_parser_delete(&p);
	fclose(f);
}

static int self_exposition(void)
{
	static const char rt[] = "rules:\n- {name: A, measure: fallback_rate, threshold: 0}\n";
	struct daxcollect_health h;
	struct tdax_snapshot s;
	struct rule_set rs;
	struct alert_engine *eng;
	struct expo e;
	char err[128];

	if (rules_load_buffer(rt, sizeof(rt) - 1, "self", &rs, err, sizeof(err)))
		return -1;
	eng = alert_engine_new(&rs, NULL, NULL);
	memset(&h, 0, sizeof(h));
	memset(&s, 0, sizeof(s));
	h.bpf_stats = 1;
	h.process_metrics = 1;
	h.have_http = 1;
	h.rules = &rs;
	h.engine = eng;
	expo_init(&e);
	metrics_render(&e, &s, &h);
	if (expo_error(&e))
		return -1;
	load_exposition(e.buf);
	expo_free(&e);
	alert_engine_free(eng);
	rules_free(&rs);
	return 0;
}

/* Grafana variables replaced by values PromQL accepts. */
static void substitute(const char *in, char *out, size_t len)
{
	static const struct { const char *var, *val; } subs[] = {
		{ "$__rate_interval", "1m" }, { "$__interval", "1m" }, { "$__range", "1h" },
		{ "${datasource}", "" }, { "$instance", ".*" }, { "$device", ".*" },
		{ "$size", ".*" },
	};
	size_t o = 0;

	while (*in && o + 8 < len) {
		size_t k, hit = 0;

		for (k = 0; k < sizeof(subs) / sizeof(subs[0]); k++) {
			size_t vl = strlen(subs[k].var);

			if (!strncmp(in, subs[k].var, vl)) {
				o += snprintf(out + o, len - o, "%s", subs[k].val);
				in += vl;
				hit = 1;
				break;
			}
		}
		if (!hit)
			out[o++] = *in++;
	}
	out[o] = 0;
}

/*
 * Print the dashboard's target expressions, Grafana variables replaced: as a
 * promtool rules file (as_rules), or one per line.
 */
static int print_rules(const char *file, int as_rules)
{
	struct json_object *root = json_object_from_file(file), *panels;
	size_t i, j, n = 0;

	if (!root || !json_object_object_get_ex(root, "panels", &panels)) {
		fprintf(stderr, "promql-check: %s: not a dashboard\n", file);
		return 1;
	}
	if (as_rules)
		printf("groups:\n  - name: dashboard\n    rules:\n");
	for (i = 0; i < json_object_array_length(panels); i++) {
		struct json_object *p = json_object_array_get_idx(panels, i), *targets;

		if (!json_object_object_get_ex(p, "targets", &targets))
			continue;
		for (j = 0; j < json_object_array_length(targets); j++) {
			const char *expr = jstr(json_object_array_get_idx(targets, j), "expr");
			char sub[4096];
			const char *c;

			if (!expr)
				continue;
			substitute(expr, sub, sizeof(sub));
			if (!as_rules) {
				for (c = sub; *c; c++)
					putchar(*c == '\n' ? ' ' : *c);
				putchar('\n');
				n++;
				continue;
			}
			printf("      - record: dashboard:expr_%zu\n        expr: '", n++);
			for (c = sub; *c; c++) {	/* YAML single quotes: '' is a quote */
				if (*c == '\'')
					putchar('\'');
				putchar(*c == '\n' ? ' ' : *c);
			}
			printf("'\n");
		}
	}
	json_object_put(root);
	return n ? 0 : 1;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc == 3 && !strcmp(argv[1], "--rules-of"))
		return print_rules(argv[2], 1);
	if (argc == 3 && !strcmp(argv[1], "--exprs-of"))
		return print_rules(argv[2], 0);

	if (argc < 3 || (strcmp(argv[1], "--self") && strcmp(argv[1], "--scrape"))) {
		fprintf(stderr, "usage: promql-check --self|--scrape FILE DASHBOARD.json... RULES.yml...\n");
		return 2;
	}
	if (!strcmp(argv[1], "--self")) {
		if (self_exposition()) {
			fprintf(stderr, "promql-check: cannot render the exposition\n");
			return 1;
		}
		i = 2;
	} else {
		FILE *f = fopen(argv[2], "r");
		static char buf[8 << 20];
		size_t n;

		if (!f) {
			fprintf(stderr, "promql-check: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = 0;
		fclose(f);
		load_exposition(buf);
		i = 3;
	}
	for (int k = i; k < argc; k++)	/* recording names first */
		if (!strstr(argv[k], ".json"))
			check_rules(argv[k], 0);
	printf("1..%d\n", argc - i);
	for (; i < argc; i++) {
		if (strstr(argv[i], ".json"))
			check_dashboard(argv[i]);
		else
			check_rules(argv[i], 1);
	}
	return failures ? 1 : 0;
}
