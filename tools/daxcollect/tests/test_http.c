// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the HTTP endpoint (http.c) over real loopback sockets:
 * the routes, methods, hostile requests (garbage, huge headers, idle and
 * too many connections) and --listen parsing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "http.h"

static int fail_render;

static int render(void *ctx, struct expo *e)
{
	(void)ctx;
	if (fail_render)
		return -EIO;
	expo_family(e, "tdax_test", "gauge", "A test.");
	expo_sample(e, NULL, 7);
	return 0;
}

static struct http_server *srv;
static unsigned int port;

static int setup(void **state)
{
	struct http_opts o = { .listen = "127.0.0.1:0", .render = render, .timeout = 1 };
	char err[256];

	(void)state;
	srv = http_start(&o, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "# http_start: %s\n", err);
		return -1;
	}
	port = http_port(srv);
	return port ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	http_stop(srv);
	return 0;
}

static int connect_srv(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Read until EOF or timeout_ms of silence; returns bytes read. */
static size_t read_all(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t off = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		r = read(fd, buf + off, len - 1 - off);
		if (r <= 0)
			break;
		off += (size_t)r;
		if (off >= len - 1)
			break;
	}
	buf[off] = 0;
	return off;
}

/* 1 if the server closed fd (EOF or reset) within ms, 0 if it stayed open. */
static int closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return read(fd, &c, 1) <= 0;
}

/* Send raw bytes, return the response (status line first). */
static char *request(const char *raw, size_t len)
{
	static char resp[65536];
	int fd = connect_srv();
	size_t off = 0;

	while (off < len) {
		ssize_t w = send(fd, raw + off, len - off, MSG_NOSIGNAL);

		if (w <= 0)
			break;	/* server may close early on hostile input */
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	read_all(fd, resp, sizeof(resp), 3000);
	close(fd);
	return resp;
}

static char *req(const char *raw)
{
	return request(raw, strlen(raw));
}

static void test_metrics(void **state)
{
	char *r;

	(void)state;
	r = req("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200", 12));
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4"));
	assert_non_null(strstr(r, "\r\n\r\n# HELP tdax_test A test.\n# TYPE tdax_test gauge\ntdax_test 7\n"));
	/* query strings are ignored */
	r = req("GET /metrics?x=1&y HTTP/1.0\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.0 200", 12) || !strncmp(r, "HTTP/1.1 200", 12));
	r = req("HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200", 12));
	assert_null(strstr(r, "tdax_test 7"));
}

static void test_routes(void **state)
{
	char *r;

	(void)state;
	r = req("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200", 12));
	assert_non_null(strstr(r, "href=\"/metrics\""));
	r = req("GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200", 12));
	r = req("GET /metricsx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 404", 12));
	r = req("GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 404", 12));
	r = req("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
	assert_true(!strncmp(r, "HTTP/1.1 405", 12));
	assert_non_null(strstr(r, "Allow: GET, HEAD"));
	r = req("DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 405", 12));
}

static void test_hostile(void **state)
{
	static char big[200000];
	char *r;
	size_t n;

	(void)state;
	r = req("HELLO\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 4", 10) || !*r);
	r = req("GET /metrics HTTP/9.9\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 4", 10) || !strncmp(r, "HTTP/1.1 5", 10));
	r = req("GET /metrics HTTP/1.1\r\n\r\n");	/* HTTP/1.1 without Host */
	assert_true(!strncmp(r, "HTTP/1.1 400", 12));
	r = request("GET /\0metrics HTTP/1.1\r\nHost: x\r\n\r\n", 32);
	assert_true(!*r || !strncmp(r, "HTTP/1.1 4", 10));

	/* a request line far over the memory limit */
	n = snprintf(big, sizeof(big), "GET /");
	memset(big + n, 'a', 100000);
	n += 100000;
	n += snprintf(big + n, sizeof(big) - n, " HTTP/1.1\r\nHost: x\r\n\r\n");
	r = request(big, n);
	assert_true(!strncmp(r, "HTTP/1.1 4", 10) || !*r);

	/* a huge header */
	n = snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(big + n, 'b', 100000);
	n += 100000;
	n += snprintf(big + n, sizeof(big) - n, "\r\n\r\n");
	r = request(big, n);
	assert_true(!strncmp(r, "HTTP/1.1 4", 10) || !*r);

	/* and the server still answers */
	r = req("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200", 12));
}

static void test_render_error(void **state)
{
	char *r;

	(void)state;
	fail_render = 1;
	r = req("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	fail_render = 0;
	assert_true(!strncmp(r, "HTTP/1.1 500", 12));
}

static void test_idle_and_many(void **state)
{
	int fds[HTTP_MAX_PER_IP + 4];
	char buf[256];
	struct timespec t0, t1;
	size_t i;
	char *r;

	(void)state;
	/* an idle connection is closed after the timeout (1 s here) */
	fds[0] = connect_srv();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	read_all(fds[0], buf, sizeof(buf), 5000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fds[0]);
	assert_true(t1.tv_sec - t0.tv_sec < 4);

	/* more idle connections from one address than allowed: the excess is
	 * closed at once, the allowed ones stay open until the idle timeout */
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		fds[i] = connect_srv();
	assert_false(closed_within(fds[0], 100));
	assert_true(closed_within(fds[sizeof(fds) / sizeof(fds[0]) - 1], 700));
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close(fds[i]);
	usleep(200000);
	r = req("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_true(!strncmp(r, "HTTP/1.1 200", 12));
}

static void test_counters(void **state)
{
	struct http_counters c;

	(void)state;
	http_get_counters(srv, &c);
	assert_true(c.ok >= 5);
	assert_true(c.not_found >= 2);
	assert_true(c.bad_method >= 2);
	assert_true(c.error >= 1);
}

static void test_listen_parse(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	assert_int_equal(http_parse_listen("127.0.0.1:9477", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9477);
	assert_int_equal(http_parse_listen("[::1]:80", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(http_parse_listen("0.0.0.0:1", &ss, &len), 0);
	/* host names resolve (localhost is in /etc/hosts) */
	assert_int_equal(http_parse_listen("localhost:9477", &ss, &len), 0);
	assert_true(ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
	assert_int_equal(ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						       : ((struct sockaddr_in6 *)&ss)->sin6_port), 9477);
	assert_int_not_equal(http_parse_listen("no-such-host.invalid:9477", &ss, &len), 0);
	assert_int_not_equal(http_parse_listen("127.0.0.1", &ss, &len), 0);
	assert_int_not_equal(http_parse_listen("127.0.0.1:65536", &ss, &len), 0);
	assert_int_not_equal(http_parse_listen("127.0.0.1:-1", &ss, &len), 0);
	assert_int_not_equal(http_parse_listen("127.0.0.1:", &ss, &len), 0);
	assert_int_not_equal(http_parse_listen("::1:80", &ss, &len), 0);
	assert_int_not_equal(http_parse_listen("[::1]80", &ss, &len), 0);
	assert_int_not_equal(http_parse_listen(":9477", &ss, &len), 0);
	assert_int_not_equal(http_parse_listen("1.2.3.4:9x", &ss, &len), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_render_error),
		cmocka_unit_test(test_idle_and_many),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_listen_parse),
	};

	return cmocka_run_group_tests_name("daxcollect http", tests, setup, teardown);
}
