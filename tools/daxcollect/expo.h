/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * expo.h - Prometheus text exposition format (version 0.0.4) writer.
 *
 * Builds one exposition in a growable memory buffer.  Every metric family is
 * announced once with expo_family() (# HELP and # TYPE lines) and then gets
 * its samples.  Label values and help texts are escaped as the format
 * requires; metric and label names are validated and a bad one poisons the
 * buffer (expo_error() then reports it) instead of emitting invalid text.
 */
#ifndef DAXCOLLECT_EXPO_H
#define DAXCOLLECT_EXPO_H

#include <stddef.h>
#include <stdint.h>

/**
 * struct expo - an exposition being built
 * @buf:    text, NUL-terminated, @len bytes long
 * @len:    bytes used
 * @cap:    bytes allocated
 * @err:    0, or the first error (-ENOMEM, -EINVAL) met while writing
 * @family: name of the family announced last (samples must belong to it)
 * @type:   its type ("counter", "gauge", "histogram")
 */
struct expo {
	char *buf;
	size_t len;
	size_t cap;
	int err;
	char family[128];
	char type[16];
};

void expo_init(struct expo *e);
void expo_reset(struct expo *e);
void expo_free(struct expo *e);
static inline int expo_error(const struct expo *e) { return e->err; }

/* Content type of the format written here. */
#define EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/*
 * Labels are passed as a NULL-terminated array of name/value pairs:
 *   const char *l[] = { "device", "tdax0.0", "size", "2M", NULL };
 * A NULL array means no labels.
 */

/* Announce a family: type is "counter", "gauge", "histogram" or "untyped". */
void expo_family(struct expo *e, const char *name, const char *type,
		 const char *help);
/* One sample of the current counter/gauge family. */
void expo_sample(struct expo *e, const char **labels, double value);
/* Same, for a value that is an exact integer. */
void expo_sample_u64(struct expo *e, const char **labels, uint64_t value);

/**
 * expo_histogram() - one histogram series of the current histogram family
 * @e:       exposition
 * @labels:  labels of the series (without "le")
 * @bounds:  upper bounds of the buckets, increasing, in the family's unit
 * @counts:  NON-cumulative count of each bucket (observations <= bounds[i]
 *           and > bounds[i-1]); @counts[@n] is the overflow bucket (+Inf)
 * @n:       number of finite bounds
 * @sum:     sum of the observations
 *
 * Writes the cumulative _bucket series (with "+Inf"), _sum and _count.
 */
void expo_histogram(struct expo *e, const char **labels, const double *bounds,
		    const uint64_t *counts, size_t n, double sum);

/* Helpers, exported for the tests. */
int expo_valid_metric_name(const char *name);
int expo_valid_label_name(const char *name);
/* Format a sample value as Prometheus reads it (NaN, +Inf, shortest exact). */
void expo_format_value(char *out, size_t outlen, double v);

#endif
