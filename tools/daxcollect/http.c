// SPDX-License-Identifier: GPL-2.0-only
/*
 * http.c - the daxcollect HTTP endpoint (see http.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

#include "http.h"

struct http_server {
	struct MHD_Daemon *d;
	http_render_fn render;
	void *ctx;
	pthread_mutex_t lock;	/* counters */
	struct http_counters cnt;
};

static const char index_html[] =
	"<!DOCTYPE html>\n<html><head><title>daxcollect</title></head><body>\n"
	"<h1>daxcollect</h1>\n"
	"<p>tdax device-DAX metrics exporter.</p>\n"
	"<ul><li><a href=\"/metrics\">/metrics</a> - Prometheus exposition</li>\n"
	"<li><a href=\"/-/healthy\">/-/healthy</a> - liveness</li></ul>\n"
	"</body></html>\n";

int http_parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon, *h, *p;
	char *end;
	unsigned long port;
	size_t hl;

	if (!s)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = rb - h;
		p = rb + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL;
		h = s;
		hl = colon - s;
		p = colon + 1;
	}
	if (!hl || hl >= sizeof(host) || !*p || *p == '-' || *p == '+' || *p == ' ')
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	errno = 0;
	port = strtoul(p, &end, 10);
	if (errno || *end || port > 65535)
		return -EINVAL;
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			return -EINVAL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
			/* a host name (localhost:9477): its first address */
			struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
						  .ai_flags = AI_ADDRCONFIG };
			struct addrinfo *ai = NULL;

			if (getaddrinfo(host, NULL, &hints, &ai) || !ai) {
				/* AI_ADDRCONFIG hides loopback-only hosts: try without */
				hints.ai_flags = 0;
				if (getaddrinfo(host, NULL, &hints, &ai) || !ai)
					return -EINVAL;
			}
			if (ai->ai_addrlen > sizeof(*ss)) {
				freeaddrinfo(ai);
				return -EINVAL;
			}
			memcpy(ss, ai->ai_addr, ai->ai_addrlen);
			*len = ai->ai_addrlen;
			freeaddrinfo(ai);
			if (ss->ss_family == AF_INET6)
				((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
			else
				((struct sockaddr_in *)ss)->sin_port = htons(port);
			return 0;
		}
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
	}
	return 0;
}

static void count(struct http_server *h, unsigned int status)
{
	pthread_mutex_lock(&h->lock);
	if (status < 300)
		h->cnt.ok++;
	else if (status == 404)
		h->cnt.not_found++;
	else if (status == 405)
		h->cnt.bad_method++;
	else
		h->cnt.error++;
	pthread_mutex_unlock(&h->lock);
}

void http_get_counters(struct http_server *h, struct http_counters *out)
{
	pthread_mutex_lock(&h->lock);
	*out = h->cnt;
	pthread_mutex_unlock(&h->lock);
}

static enum MHD_Result reply(struct http_server *h, struct MHD_Connection *conn,
			     unsigned int status, const char *ctype,
			     const char *body, size_t len, int copy)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body,
					    copy ? MHD_RESPMEM_MUST_COPY
						 : MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	count(h, status);
	return ret;
}

#define TEXT(s) "text/plain; charset=utf-8", s, sizeof(s) - 1, 0

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_data_size, void **req_cls)
{
	struct http_server *h = cls;
	struct expo e;
	enum MHD_Result ret;
	int err;

	(void)version;
	(void)upload_data;
	(void)req_cls;
	/* Answer on the first call; a request body is never read. */
	*upload_data_size = 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(h, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			     TEXT("method not allowed: use GET\n"));
	if (!strcmp(url, "/"))
		return reply(h, conn, MHD_HTTP_OK, "text/html; charset=utf-8",
			     index_html, sizeof(index_html) - 1, 0);
	if (!strcmp(url, "/-/healthy"))
		return reply(h, conn, MHD_HTTP_OK, TEXT("OK\n"));
	if (strcmp(url, "/metrics"))
		return reply(h, conn, MHD_HTTP_NOT_FOUND, TEXT("not found\n"));

	expo_init(&e);
	err = h->render ? h->render(h->ctx, &e) : 0;
	if (!err)
		err = expo_error(&e);
	if (err)
		ret = reply(h, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			    TEXT("cannot produce the metrics; see the daxcollect log\n"));
	else
		ret = reply(h, conn, MHD_HTTP_OK, EXPO_CONTENT_TYPE,
			    e.buf ? e.buf : "", e.len, 1);
	expo_free(&e);
	return ret;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap;
	/* libmicrohttpd reports each malformed request; a hostile client must
	 * not be able to flood our log, so these are dropped. */
}

struct http_server *http_start(const struct http_opts *o, char *err, size_t errlen)
{
	struct http_server *h = calloc(1, sizeof(*h));
	struct sockaddr_storage ss;
	socklen_t sl;
	unsigned int flags = MHD_USE_ERROR_LOG;
	unsigned int timeout = o->timeout ? o->timeout : HTTP_TIMEOUT_SECS;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	h->render = o->render;
	h->ctx = o->ctx;
	if (o->no_listen) {
		flags |= MHD_USE_NO_LISTEN_SOCKET;
		h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
					MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
					MHD_OPTION_CONNECTION_TIMEOUT, timeout,
					MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
					MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
					MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
					MHD_OPTION_END);
	} else {
		if (http_parse_listen(o->listen, &ss, &sl)) {
			snprintf(err, errlen, "bad --listen '%s': expected ADDR:PORT (e.g. 127.0.0.1:9477 or [::1]:9477)",
				 o->listen);
			free(h);
			return NULL;
		}
		if (ss.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		flags |= MHD_USE_AUTO_INTERNAL_THREAD;
		h->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
					MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
					MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_CONNECTIONS,
					MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_MAX_PER_IP,
					MHD_OPTION_CONNECTION_TIMEOUT, timeout,
					MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY_LIMIT,
					MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
					MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
					MHD_OPTION_END);
	}
	if (!h->d) {
		snprintf(err, errlen, "cannot listen on %s: %s",
			 o->no_listen ? "(none)" : o->listen,
			 errno ? strerror(errno) : "libmicrohttpd refused");
		free(h);
		return NULL;
	}
	return h;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

unsigned int http_port(struct http_server *h)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

int http_add_connection(struct http_server *h, int fd)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(40000);
	return MHD_add_connection(h->d, fd, (struct sockaddr *)&sin, sizeof(sin)) == MHD_YES ? 0 : -EIO;
}

int http_run(struct http_server *h)
{
	return MHD_run(h->d) == MHD_YES ? 0 : -EIO;
}
