// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: HTTP request handling.  Each input is sent as the raw
 * bytes of one client connection to the real libmicrohttpd daemon set up as
 * daxcollect sets it up (same handler, limits and options), over a socket
 * pair; the daemon is driven with MHD_run() until it closes the connection
 * or a bounded number of rounds passed.  Must never crash or hang, and every
 * response must start with an HTTP status line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"

static struct http_server *srv;

static int render(void *ctx, struct expo *e)
{
	const char *l[] = { "device", "tdax0.0", NULL };

	(void)ctx;
	expo_family(e, "tdax_fuzz_total", "counter", "Fuzz.");
	expo_sample_u64(e, l, 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[1 << 16];
	size_t off = 0, got = 0;
	int sv[2], round;

	if (!srv) {
		struct http_opts o = { .render = render, .no_listen = 1 };
		char err[256];

		srv = http_start(&o, err, sizeof(err));
		if (!srv) {
			fprintf(stderr, "fuzz_http: %s\n", err);
			abort();
		}
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	if (http_add_connection(srv, sv[0])) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	for (round = 0; round < 200; round++) {
		ssize_t r;

		if (off < size) {
			r = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
			if (r > 0)
				off += (size_t)r;
			if (off == size)
				shutdown(sv[1], SHUT_WR);
		} else if (!size) {
			shutdown(sv[1], SHUT_WR);
		}
		http_run(srv);
		r = recv(sv[1], out + got, sizeof(out) - 1 - got, 0);
		if (r == 0)
			break;	/* the daemon closed the connection */
		if (r > 0) {
			got += (size_t)r;
			if (got >= sizeof(out) - 1)
				got = 0;	/* keep draining; we only check the start */
		}
	}
	out[got] = 0;
	if (getenv("FUZZ_HTTP_SHOW"))	/* debugging: show what the daemon said */
		fprintf(stderr, "---- response (%zu bytes)\n%s\n----\n", got, out);
	if (got >= 5 && strncmp(out, "HTTP/", 5))
		abort();	/* something that is not an HTTP response */
	close(sv[1]);
	/* let the daemon notice the close and release the connection */
	for (round = 0; round < 3; round++)
		http_run(srv);
	return 0;
}
