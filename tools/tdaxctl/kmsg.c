// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmsg.c - the driver's reason for a refused sysfs write.
 *
 * Every refusal in tdax logs one line (e.g. "tdax tdax1.0: align: range
 * 0x180000000-0x19fffffff is not aligned to 0x40000000").  kmsg_start()
 * opens /dev/kmsg positioned at its end when the operation starts; after a
 * failed write kmsg_reason() reads what was logged since and returns the
 * last tdax line of level warning or worse.  Without /dev/kmsg (not root,
 * or another sysfs root in tests) the reason is simply left out.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tdaxctl.h"

static int kmsg_fd = -1;

void kmsg_start(void)
{
	const char *root = getenv("TDAX_SYSFS_ROOT");

	if (kmsg_fd >= 0 || (root && *root && strcmp(root, "/sys")))
		return;
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

void kmsg_reason(char *buf, size_t len)
{
	char rec[2048];
	ssize_t n;

	buf[0] = 0;
	if (kmsg_fd < 0)
		return;
	for (;;) {
		char *msg, *nl;
		int pri;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg || sscanf(rec, "%d", &pri) != 1)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if ((pri & 7) > 4 || !strstr(msg, "tdax"))
			continue;
		/*
		 * the driver core's echo of a probe error ("probe of X failed with
		 * error -22" on 6.1, "probe with driver X failed with error -22"
		 * on 6.12): the driver said why before
		 */
		if ((strstr(msg, "probe of ") || strstr(msg, "probe with driver ")) &&
		    strstr(msg, " failed with error "))
			continue;
		snprintf(buf, len, "%s", msg);
	}
}
