// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_attach.c - the choice of program set (tp_btf or raw_tp) at load and
 * at attach time, on a fake sysfs tree, with the three libbpf calls that
 * need the kernel replaced here: bpf_object__load_skeleton() (loads
 * nothing), bpf_program__attach() and bpf_link__destroy() (fake links).
 * The executable's definitions take precedence over libbpf.so's for the
 * library's calls.  Needs root (or CAP_BPF and CAP_PERFMON): the library
 * checks them before loading; skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/libbpf.h>

#include "collector_int.h"
#include "fakesys.h"

/* What the fake kernel does. */
static bool fail_load_btf, fail_attach_btf, fail_attach_raw;
/* What it saw: loads by set, links made by set. */
static int loads_btf, loads_raw, links_btf, links_raw;
static char fake_links[2 * TDAX_NEVENTS * 8];
static int nfake;

int bpf_object__load_skeleton(struct bpf_object_skeleton *s)
{
	struct bpf_program *p = bpf_object__find_program_by_name(*s->obj, "btf_fault");
	bool btf = p && bpf_program__autoload(p);

	if (btf)
		loads_btf++;
	else
		loads_raw++;
	return btf && fail_load_btf ? -EINVAL : 0;
}

struct bpf_link *bpf_program__attach(const struct bpf_program *p)
{
	bool btf = !strncmp(bpf_program__section_name(p), "tp_btf/", 7);

	if (btf ? fail_attach_btf : fail_attach_raw) {
		errno = btf ? EINVAL : ENOENT;
		return NULL;
	}
	if (btf)
		links_btf++;
	else
		links_raw++;
	return (struct bpf_link *)&fake_links[nfake++ % sizeof(fake_links)];
}

int bpf_link__destroy(struct bpf_link *l)
{
	return 0;
}

static char errpath[300];
static int saved_stderr = -1;

/* stderr into a file while the library runs (its --verbose lines) */
static void capture(void)
{
	int fd;

	fflush(stderr);
	saved_stderr = dup(2);
	fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, 2);
	close(fd);
}

/* stderr back; the number of lines written that contain pat */
static int captured(const char *pat)
{
	char line[1024];
	int n = 0;
	FILE *f;

	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	f = fopen(errpath, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, pat))
			n++;
	fclose(f);
	return n;
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/tdax-test-attach.XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(errpath, sizeof(errpath), "%s.err", root);
	put("bus/tdax/devices/.keep", "");
	put("module/tdax/.keep", "");
	put("kernel/btf/vmlinux", "");
	put("kernel/btf/tdax", "");
	fail_load_btf = fail_attach_btf = fail_attach_raw = false;
	loads_btf = loads_raw = links_btf = links_raw = 0;
	return 0;
}

static int teardown(void **state)
{
	char cmd[700];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", root, errpath);
	return system(cmd);
}

static struct tdax_collector *open_verbose(bool force_raw_tp, char *err, size_t len)
{
	struct tdax_collector_opts o = {
		.sz = sizeof(o), .sysfs_root = root, .verbose = true,
		.force_raw_tp = force_raw_tp,
	};

	return tdax_collector_open(&o, err, len);
}

static bool privileged(void)
{
	return geteuid() == 0;
}

/* Everything works: tp_btf, loaded once, 12 links. */
static void test_btf_attaches(void **state)
{
	struct tdax_collector *c;
	char err[320] = "";

	(void)state;
	if (!privileged())
		skip();
	capture();
	c = open_verbose(false, err, sizeof(err));
	assert_int_equal(captured("did not attach"), 0);
	assert_non_null(c);
	assert_int_equal(tdax_collector_mode(c), TDAX_ATTACH_TP_BTF);
	assert_int_equal(loads_btf, 1);
	assert_int_equal(loads_raw, 0);
	assert_int_equal(links_btf, TDAX_NEVENTS);
	assert_int_equal(links_raw, 0);
	tdax_collector_close(c);
}

/* tp_btf loads but the kernel refuses its links: raw_tp, and a line says why. */
static void test_btf_attach_fails(void **state)
{
	struct tdax_collector *c;
	char err[320] = "";

	(void)state;
	if (!privileged())
		skip();
	fail_attach_btf = true;
	capture();
	c = open_verbose(false, err, sizeof(err));
	assert_int_equal(captured("tdax: tp_btf programs loaded but did not attach "
				  "(cannot attach to tracepoint tdax:tdax_fault (tp_btf): "
				  "Invalid argument); using raw_tp programs"), 1);
	assert_non_null(c);
	assert_int_equal(tdax_collector_mode(c), TDAX_ATTACH_RAW_TP);
	assert_int_equal(loads_btf, 1);
	assert_int_equal(loads_raw, 1);
	assert_int_equal(links_btf, 0);
	assert_int_equal(links_raw, TDAX_NEVENTS);
	tdax_collector_close(c);
}

/* The same at a later attach (tdax_collector_attach, e.g. module back). */
static void test_btf_attach_fails_later(void **state)
{
	struct tdax_collector *c;
	char err[320] = "";

	(void)state;
	if (!privileged())
		skip();
	c = open_verbose(false, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(tdax_collector_mode(c), TDAX_ATTACH_TP_BTF);
	tdax_collector_detach(c);
	fail_attach_btf = true;
	capture();
	assert_int_equal(tdax_collector_attach(c), 0);
	assert_int_equal(captured("tdax: tp_btf programs loaded but did not attach"), 1);
	assert_int_equal(tdax_collector_mode(c), TDAX_ATTACH_RAW_TP);
	/* the first load, the reload after the refused attach, the raw_tp one */
	assert_int_equal(loads_btf, 2);
	assert_int_equal(loads_raw, 1);
	assert_int_equal(links_btf, TDAX_NEVENTS);
	assert_int_equal(links_raw, TDAX_NEVENTS);
	tdax_collector_close(c);
}

/* tp_btf does not load: raw_tp (the load-time fallback), no attach line. */
static void test_btf_load_fails(void **state)
{
	struct tdax_collector *c;
	char err[320] = "";

	(void)state;
	if (!privileged())
		skip();
	fail_load_btf = true;
	capture();
	c = open_verbose(false, err, sizeof(err));
	assert_int_equal(captured("did not attach"), 0);
	assert_non_null(c);
	assert_int_equal(tdax_collector_mode(c), TDAX_ATTACH_RAW_TP);
	assert_int_equal(links_raw, TDAX_NEVENTS);
	tdax_collector_close(c);
}

/* Neither set attaches: open fails, naming the raw_tp attach error. */
static void test_nothing_attaches(void **state)
{
	char err[320] = "";

	(void)state;
	if (!privileged())
		skip();
	fail_attach_btf = fail_attach_raw = true;
	capture();
	assert_null(open_verbose(false, err, sizeof(err)));
	assert_int_equal(captured("did not attach"), 1);
	assert_string_equal(err, "cannot attach to tracepoint tdax:tdax_fault (raw_tp): "
			    "No such file or directory");
}

/* --raw-tp: tp_btf is never tried. */
static void test_forced_raw_tp(void **state)
{
	struct tdax_collector *c;
	char err[320] = "";

	(void)state;
	if (!privileged())
		skip();
	fail_attach_btf = true;
	c = open_verbose(true, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(tdax_collector_mode(c), TDAX_ATTACH_RAW_TP);
	assert_int_equal(loads_btf, 0);
	assert_int_equal(loads_raw, 1);
	tdax_collector_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_btf_attaches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_btf_attach_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_btf_attach_fails_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_btf_load_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing_attaches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forced_raw_tp, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
