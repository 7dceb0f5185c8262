// SPDX-License-Identifier: GPL-2.0-only
/*
 * expo.c - Prometheus text exposition format writer.
 *
 * Format reference: "Exposition formats" in the Prometheus documentation
 * (text format 0.0.4): one "# HELP name text" and one "# TYPE name type" per
 * family, then "name{label="value",...} value" lines.  In HELP, backslash
 * and newline are escaped; in label values, backslash, double quote and
 * newline are.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"

void expo_init(struct expo *e)
{
	memset(e, 0, sizeof(*e));
}

void expo_reset(struct expo *e)
{
	e->len = 0;
	e->err = 0;
	e->family[0] = 0;
	e->type[0] = 0;
	if (e->buf)
		e->buf[0] = 0;
}

void expo_free(struct expo *e)
{
	free(e->buf);
	expo_init(e);
}

static void fail(struct expo *e, int err)
{
	if (!e->err)
		e->err = err;
}

static int reserve(struct expo *e, size_t more)
{
	size_t want = e->len + more + 1;
	char *nb;
	size_t ncap;

	if (e->err)
		return -1;
	if (want <= e->cap)
		return 0;
	ncap = e->cap ? e->cap : 4096;
	while (ncap < want)
		ncap *= 2;
	nb = realloc(e->buf, ncap);
	if (!nb) {
		fail(e, -ENOMEM);
		return -1;
	}
	e->buf = nb;
	e->cap = ncap;
	return 0;
}

static void put(struct expo *e, const char *s, size_t n)
{
	if (reserve(e, n))
		return;
	memcpy(e->buf + e->len, s, n);
	e->len += n;
	e->buf[e->len] = 0;
}

static void puts_(struct expo *e, const char *s)
{
	put(e, s, strlen(s));
}

static void putc_(struct expo *e, char c)
{
	put(e, &c, 1);
}

/* Escape for HELP (label == 0) or label values (label == 1). */
static void put_escaped(struct expo *e, const char *s, int label)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			puts_(e, "\\\\");
			break;
		case '\n':
			puts_(e, "\\n");
			break;
		case '"':
			if (label)
				puts_(e, "\\\"");
			else
				putc_(e, '"');
			break;
		default:
			putc_(e, *s);
		}
	}
}

static int is_alpha_(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int expo_valid_metric_name(const char *name)
{
	if (!name || !(is_alpha_(*name) || *name == ':'))
		return 0;
	for (name++; *name; name++)
		if (!is_alpha_(*name) && !is_digit(*name) && *name != ':')
			return 0;
	return 1;
}

int expo_valid_label_name(const char *name)
{
	if (!name || !is_alpha_(*name))
		return 0;
	if (name[0] == '_' && name[1] == '_')	/* reserved for internal use */
		return 0;
	for (name++; *name; name++)
		if (!is_alpha_(*name) && !is_digit(*name))
			return 0;
	return 1;
}

void expo_format_value(char *out, size_t outlen, double v)
{
	if (isnan(v)) {
		snprintf(out, outlen, "NaN");
	} else if (isinf(v)) {
		snprintf(out, outlen, v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(out, outlen, "%.0f", v);
	} else {
		/* the shortest of %.15g, %.16g, %.17g that reads back exactly */
		int prec;

		for (prec = 15; prec < 17; prec++) {
			snprintf(out, outlen, "%.*g", prec, v);
			if (strtod(out, NULL) == v)
				return;
		}
		snprintf(out, outlen, "%.17g", v);
	}
}

void expo_family(struct expo *e, const char *name, const char *type,
		 const char *help)
{
	if (!expo_valid_metric_name(name) || strlen(name) >= sizeof(e->family) ||
	    (strcmp(type, "counter") && strcmp(type, "gauge") &&
	     strcmp(type, "histogram") && strcmp(type, "untyped"))) {
		fail(e, -EINVAL);
		return;
	}
	snprintf(e->family, sizeof(e->family), "%s", name);
	snprintf(e->type, sizeof(e->type), "%s", type);
	puts_(e, "# HELP ");
	puts_(e, name);
	putc_(e, ' ');
	put_escaped(e, help ? help : "", 0);
	puts_(e, "\n# TYPE ");
	puts_(e, name);
	putc_(e, ' ');
	puts_(e, type);
	putc_(e, '\n');
}

static void put_labels(struct expo *e, const char **labels, const char *le)
{
	int first = 1;

	if ((!labels || !labels[0]) && !le)
		return;
	putc_(e, '{');
	for (; labels && labels[0]; labels += 2) {
		if (!labels[1] || !expo_valid_label_name(labels[0]) ||
		    !strcmp(labels[0], "le")) {
			fail(e, -EINVAL);
			return;
		}
		if (!first)
			putc_(e, ',');
		first = 0;
		puts_(e, labels[0]);
		puts_(e, "=\"");
		put_escaped(e, labels[1], 1);
		putc_(e, '"');
	}
	if (le) {
		if (!first)
			putc_(e, ',');
		puts_(e, "le=\"");
		puts_(e, le);
		putc_(e, '"');
	}
	putc_(e, '}');
}

static void put_line(struct expo *e, const char *suffix, const char **labels,
		     const char *le, const char *value)
{
	puts_(e, e->family);
	if (suffix)
		puts_(e, suffix);
	put_labels(e, labels, le);
	putc_(e, ' ');
	puts_(e, value);
	putc_(e, '\n');
}

/* The current family exists and is of one of the given types. */
static int family_is(struct expo *e, const char *t1, const char *t2,
		     const char *t3)
{
	if (e->family[0] && (!strcmp(e->type, t1) ||
			     (t2 && !strcmp(e->type, t2)) ||
			     (t3 && !strcmp(e->type, t3))))
		return 1;
	fail(e, -EINVAL);
	return 0;
}

static int scalar_family(struct expo *e)
{
	return family_is(e, "counter", "gauge", "untyped");
}

void expo_sample(struct expo *e, const char **labels, double value)
{
	char v[64];

	if (!scalar_family(e))
		return;
	expo_format_value(v, sizeof(v), value);
	put_line(e, NULL, labels, NULL, v);
}

void expo_sample_u64(struct expo *e, const char **labels, uint64_t value)
{
	char v[32];

	if (!scalar_family(e))
		return;
	snprintf(v, sizeof(v), "%" PRIu64, value);
	put_line(e, NULL, labels, NULL, v);
}

void expo_histogram(struct expo *e, const char **labels, const double *bounds,
		    const uint64_t *counts, size_t n, double sum)
{
	uint64_t cum = 0;
	char le[64], v[64];
	size_t i;

	if (!family_is(e, "histogram", NULL, NULL))
		return;
	for (i = 0; i < n; i++) {
		if (i && !(bounds[i] > bounds[i - 1])) {
			fail(e, -EINVAL);
			return;
		}
		cum += counts[i];
		expo_format_value(le, sizeof(le), bounds[i]);
		snprintf(v, sizeof(v), "%" PRIu64, cum);
		put_line(e, "_bucket", labels, le, v);
	}
	cum += counts[n];
	snprintf(v, sizeof(v), "%" PRIu64, cum);
	put_line(e, "_bucket", labels, "+Inf", v);
	expo_format_value(le, sizeof(le), sum);
	put_line(e, "_sum", labels, NULL, le);
	put_line(e, "_count", labels, NULL, v);
}
