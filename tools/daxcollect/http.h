/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * http.h - the daxcollect HTTP endpoint (libmicrohttpd).
 *
 * Serves GET/HEAD of /metrics (the exposition produced by a callback), / (a
 * small index) and /-/healthy; 404 for other paths, 405 for other methods.
 * Limits: connection count, per-IP connections, connection timeout and
 * per-connection memory (over-long request lines and headers get a 4xx
 * from libmicrohttpd itself).
 */
#ifndef DAXCOLLECT_HTTP_H
#define DAXCOLLECT_HTTP_H

#include <stdint.h>
#include <sys/socket.h>

#include "expo.h"

#define HTTP_DEFAULT_LISTEN	"127.0.0.1:9477"
#define HTTP_MAX_CONNECTIONS	64
#define HTTP_MAX_PER_IP		16
#define HTTP_TIMEOUT_SECS	10
#define HTTP_MEMORY_LIMIT	(32 * 1024)

/* Fill e with the exposition; return 0 or a negative errno (-> 500). */
typedef int (*http_render_fn)(void *ctx, struct expo *e);

/**
 * struct http_opts - how to run the endpoint
 * @listen:     "ADDR:PORT" ("127.0.0.1:9477", "[::1]:9477", "0.0.0.0:9477")
 * @render:     produces /metrics
 * @ctx:        passed to @render
 * @no_listen:  no socket and no thread: connections are added with
 *              http_add_connection() and run by http_run() (fuzzing)
 * @timeout:    idle connection timeout in seconds (0: HTTP_TIMEOUT_SECS)
 */
struct http_opts {
	const char *listen;
	http_render_fn render;
	void *ctx;
	int no_listen;
	unsigned int timeout;
};

/**
 * struct http_counters - requests served, by status class
 */
struct http_counters {
	uint64_t ok;		/* 2xx */
	uint64_t not_found;	/* 404 */
	uint64_t bad_method;	/* 405 */
	uint64_t error;		/* 5xx */
};

struct http_server;

/* Parse "ADDR:PORT" (port 0: any free port) into a socket address; 0 or -EINVAL. */
int http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len);

struct http_server *http_start(const struct http_opts *o, char *err, size_t errlen);
void http_stop(struct http_server *h);
void http_get_counters(struct http_server *h, struct http_counters *out);
/* Port actually bound (useful with port 0). */
unsigned int http_port(struct http_server *h);

/* no_listen mode */
int http_add_connection(struct http_server *h, int fd);
int http_run(struct http_server *h);

#endif
