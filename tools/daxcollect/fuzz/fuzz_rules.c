// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the alert rules parser.  Any input must be either
 * accepted (and freed) or refused with a "NAME:LINE: reason" message; never
 * a crash, leak, hang or undefined behaviour.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rule_set rs;
	char err[512];

	err[0] = 0;
	if (rules_load_buffer((const char *)data, size, "fuzz", &rs, err, sizeof(err))) {
		if (strncmp(err, "fuzz:", 5))
			abort();	/* every refusal names the file and line */
		if (rs.n || rs.rules)
			abort();	/* nothing half-loaded */
		return 0;
	}
	rules_free(&rs);
	return 0;
}
