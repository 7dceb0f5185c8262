/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fakesys.h - a fake sysfs tree under a temporary directory, for the
 * library's unit tests (include after <cmocka.h>).  root is the tree's
 * directory; put() writes a file, making its directories; link_to() makes
 * a symbolic link.
 */
#ifndef TDAX_TESTS_FAKESYS_H
#define TDAX_TESTS_FAKESYS_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char root[256];

static inline void put(const char *rel, const char *val)
{
	char p[512], cmd[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", p);
	assert_int_equal(system(cmd), 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(val, f);
	fclose(f);
}

static inline void link_to(const char *target, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

#endif
