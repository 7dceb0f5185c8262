// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_tdax_sysfs.c - the sysfs model library against a fake sysfs tree
 * built in a temporary directory (TDAX_SYSFS_ROOT): scan, fields, modes,
 * writes, seed/create, memory blocks, size and name parsing.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tdax_sysfs.h"

static char root[PATH_MAX];

static void mkdirs(const char *fmt, ...)
{
	char path[PATH_MAX], cmd[PATH_MAX + 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	assert_int_equal(system(cmd), 0);
}

static void put(const char *val, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(val, f);
	fclose(f);
}

static char *get(const char *fmt, ...)
{
	static char buf[256];
	char path[PATH_MAX];
	va_list ap;
	FILE *f;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

static void lnk(const char *target, const char *fmt, ...)
{
	char path[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	assert_int_equal(symlink(target, path), 0);
}

/* DEV under provider PDEV: attributes as the driver prints them */
static void fake_dev(const char *pdev, const char *name, const char *size, const char *align,
		     const char *policy, const char *maps, const char *drv)
{
	mkdirs("%s/devices/platform/%s/%s", root, pdev, name);
	put(size, "%s/devices/platform/%s/%s/size", root, pdev, name);
	put(align, "%s/devices/platform/%s/%s/align", root, pdev, name);
	put(policy, "%s/devices/platform/%s/%s/fault_policy", root, pdev, name);
	put(maps, "%s/devices/platform/%s/%s/mappings", root, pdev, name);
	put("0\n", "%s/devices/platform/%s/%s/numa_node", root, pdev, name);
	put("0\n", "%s/devices/platform/%s/%s/target_node", root, pdev, name);
	put("0x180000000\n", "%s/devices/platform/%s/%s/resource", root, pdev, name);
	put("250:1\n", "%s/devices/platform/%s/%s/dev", root, pdev, name);
	if (drv) {
		char t[PATH_MAX];

		snprintf(t, sizeof(t), "%s/bus/tdax/drivers/%s", root, drv);
		lnk(t, "%s/devices/platform/%s/%s/driver", root, pdev, name);
	}
	{
		char t[PATH_MAX];

		snprintf(t, sizeof(t), "../../../devices/platform/%s/%s", pdev, name);
		lnk(t, "%s/bus/tdax/devices/%s", root, name);
	}
}

static void fake_region(const char *pdev, int id, const char *avail, const char *seed)
{
	char b[32], t[PATH_MAX];

	mkdirs("%s/devices/platform/%s/tdax_region", root, pdev);
	snprintf(b, sizeof(b), "%d\n", id);
	put(b, "%s/devices/platform/%s/tdax_region/id", root, pdev);
	put("1073741824\n", "%s/devices/platform/%s/tdax_region/size", root, pdev);
	put("2097152\n", "%s/devices/platform/%s/tdax_region/align", root, pdev);
	put(avail, "%s/devices/platform/%s/tdax_region/available_size", root, pdev);
	put(seed, "%s/devices/platform/%s/tdax_region/seed", root, pdev);
	put("\n", "%s/devices/platform/%s/tdax_region/create", root, pdev);
	put("", "%s/devices/platform/%s/tdax_region/delete", root, pdev);
	snprintf(t, sizeof(t), "%s/bus/platform/drivers/tdax_hmem", root);
	lnk(t, "%s/devices/platform/%s/driver", root, pdev);
}

static int setup(void **state)
{
	const char *drv[] = { "tdax_device", "tdax_kmem" };
	int i;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/tdax-sysfs-XXXXXX");
	assert_non_null(mkdtemp(root));
	mkdirs("%s/bus/tdax/devices", root);
	mkdirs("%s/bus/platform/drivers/tdax_hmem", root);
	for (i = 0; i < 2; i++) {
		mkdirs("%s/bus/tdax/drivers/%s", root, drv[i]);
		put("", "%s/bus/tdax/drivers/%s/bind", root, drv[i]);
		put("", "%s/bus/tdax/drivers/%s/unbind", root, drv[i]);
		put("", "%s/bus/tdax/drivers/%s/new_id", root, drv[i]);
		put("", "%s/bus/tdax/drivers/%s/remove_id", root, drv[i]);
	}
	/* region 1 (hmem.1): tdax1.0 512M at 2M, tdax1.1 two ranges at 4K
	 * fallback, unbound; tdax1.2 the seed.  Region 0: one device in
	 * system-ram mode, with a persistence_domain. */
	fake_region("hmem.1", 1, "268435456\n", "tdax1.2\n");
	fake_dev("hmem.1", "tdax1.0", "536870912\n", "2097152\n", "strict\n",
		 "0x180000000-0x19fffffff 0x0\n", "tdax_device");
	fake_dev("hmem.1", "tdax1.1", "268435456\n", "4096\n", "fallback\n",
		 "0x1a0000000-0x1a7ffffff 0x0\n0x1b8000000-0x1bfffffff 0x8000\n", NULL);
	fake_dev("hmem.1", "tdax1.2", "0\n", "2097152\n", "strict\n", "", NULL);
	fake_region("hmem.0", 0, "0\n", "\n");
	put("cpu_cache\n", "%s/devices/platform/hmem.0/tdax_region/persistence_domain", root);
	fake_dev("hmem.0", "tdax0.0", "1073741824\n", "2097152\n", "strict\n",
		 "0x100000000-0x13fffffff 0x0\n", "tdax_kmem");
	put("memory_controller\n", "%s/devices/platform/hmem.0/tdax0.0/persistence_domain", root);
	/* memory blocks of 128M: tdax0.0 covers memory32..39 */
	mkdirs("%s/devices/system/memory", root);
	put("8000000\n", "%s/devices/system/memory/block_size_bytes", root);
	for (i = 32; i < 40; i++) {
		mkdirs("%s/devices/system/memory/memory%d", root, i);
		put(i < 35 ? "online\n" : "offline\n", "%s/devices/system/memory/memory%d/state",
		    root, i);
		put(i < 34 ? "Movable\n" : i < 35 ? "Normal\n" : "Normal Movable\n",
		    "%s/devices/system/memory/memory%d/valid_zones", root, i);
	}
	/* a block outside every device */
	mkdirs("%s/devices/system/memory/memory1", root);
	put("online\n", "%s/devices/system/memory/memory1/state", root);
	setenv("TDAX_SYSFS_ROOT", root, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static struct tdax_ctx *scanned(void)
{
	struct tdax_ctx *ctx = tdax_ctx_new(NULL);

	assert_non_null(ctx);
	assert_string_equal(ctx->root, root);
	assert_int_equal(tdax_ctx_scan(ctx), 0);
	return ctx;
}

static void test_scan_regions(void **state)
{
	struct tdax_ctx *ctx = scanned();
	struct tdax_region *r;

	(void)state;
	assert_int_equal(ctx->nregions, 2);
	assert_int_equal(ctx->regions[0].id, 0);	/* sorted by id */
	assert_int_equal(ctx->regions[1].id, 1);
	r = tdax_region_find(ctx, 1);
	assert_non_null(r);
	assert_string_equal(r->provider_dev, "hmem.1");
	assert_string_equal(r->provider, "tdax_hmem");
	assert_int_equal(r->size, 1073741824ULL);
	assert_int_equal(r->align, 2097152);
	assert_int_equal(r->available_size, 268435456);
	assert_string_equal(r->seed, "tdax1.2");
	assert_false(r->has_persistence);
	assert_int_equal(r->ndevices, 3);
	assert_string_equal(r->devices[0].name, "tdax1.0");
	assert_string_equal(r->devices[2].name, "tdax1.2");
	r = tdax_region_find(ctx, 0);
	assert_true(r->has_persistence);
	assert_string_equal(r->persistence_domain, "cpu_cache");
	assert_null(tdax_region_find(ctx, 5));
	tdax_ctx_free(ctx);
}

static void test_scan_devices(void **state)
{
	struct tdax_ctx *ctx = scanned();
	struct tdax_device *d;

	(void)state;
	d = tdax_device_find(ctx, "tdax1.1");
	assert_non_null(d);
	assert_int_equal(d->region_id, 1);
	assert_int_equal(d->id, 1);
	assert_int_equal(d->size, 268435456);
	assert_int_equal(d->align, 4096);
	assert_string_equal(d->fault_policy, "fallback");
	assert_string_equal(d->driver, "");
	assert_false(tdax_device_enabled(d));
	assert_int_equal(d->nmappings, 2);
	assert_int_equal(d->mappings[0].start, 0x1a0000000ULL);
	assert_int_equal(d->mappings[0].end, 0x1a7ffffffULL);
	assert_int_equal(d->mappings[1].start, 0x1b8000000ULL);
	assert_int_equal(d->mappings[1].pgoff, 0x8000);
	assert_int_equal(d->numa_node, 0);
	assert_string_equal(d->devt, "250:1");
	assert_false(d->has_persistence);
	assert_ptr_equal(tdax_device_region(ctx, d), tdax_region_find(ctx, 1));
	d = tdax_device_find(ctx, "tdax0.0");
	assert_true(d->has_persistence);
	assert_string_equal(d->persistence_domain, "memory_controller");
	assert_null(tdax_device_find(ctx, "tdax9.0"));
	tdax_ctx_free(ctx);
}

static void test_modes(void **state)
{
	struct tdax_ctx *ctx = scanned();
	struct tdax_device other = { .driver = "vfio_tdax" };

	(void)state;
	assert_string_equal(tdax_device_mode(tdax_device_find(ctx, "tdax1.0")), "devdax");
	assert_string_equal(tdax_device_mode(tdax_device_find(ctx, "tdax1.1")), "devdax");
	assert_string_equal(tdax_device_mode(tdax_device_find(ctx, "tdax0.0")), "system-ram");
	assert_string_equal(tdax_device_mode(&other), "vfio_tdax");
	assert_true(tdax_driver_present(ctx, "tdax_kmem"));
	assert_false(tdax_driver_present(ctx, "tdax_nope"));
	tdax_ctx_free(ctx);
}

static void test_writes(void **state)
{
	struct tdax_ctx *ctx = scanned();
	char drv[32];

	(void)state;
	assert_int_equal(tdax_device_write_u64(ctx, "tdax1.1", "size", 134217728), 0);
	assert_string_equal(get("%s/devices/platform/hmem.1/tdax1.1/size", root), "134217728");
	assert_int_equal(tdax_device_write(ctx, "tdax1.1", "fault_policy", "strict"), 0);
	assert_string_equal(get("%s/devices/platform/hmem.1/tdax1.1/fault_policy", root), "strict");
	assert_int_equal(tdax_device_write(ctx, "tdax1.1", "nope", "1"), -ENOENT);
	/* unbind goes to the bound driver's unbind file */
	assert_int_equal(tdax_device_driver(ctx, "tdax1.0", drv, sizeof(drv)), 0);
	assert_string_equal(drv, "tdax_device");
	assert_int_equal(tdax_device_unbind(ctx, "tdax1.0"), 0);
	assert_string_equal(get("%s/bus/tdax/drivers/tdax_device/unbind", root), "tdax1.0");
	/* unbound: nothing to do */
	put("", "%s/bus/tdax/drivers/tdax_device/unbind", root);
	assert_int_equal(tdax_device_unbind(ctx, "tdax1.1"), 0);
	assert_string_equal(get("%s/bus/tdax/drivers/tdax_device/unbind", root), "");
	/* bind: to the named driver; bound elsewhere is EBUSY; unknown driver ENOENT */
	assert_int_equal(tdax_device_bind(ctx, "tdax1.1", "tdax_device"), 0);
	assert_string_equal(get("%s/bus/tdax/drivers/tdax_device/bind", root), "tdax1.1");
	assert_int_equal(tdax_device_bind(ctx, "tdax1.0", "tdax_kmem"), -EBUSY);
	assert_int_equal(tdax_device_bind(ctx, "tdax1.0", "tdax_device"), 0);
	assert_int_equal(tdax_device_bind(ctx, "tdax1.1", "tdax_nope"), -ENOENT);
	assert_int_equal(tdax_device_driver(ctx, "tdax9.9", drv, sizeof(drv)), -ENODEV);
	assert_int_equal(tdax_driver_write(ctx, "tdax_kmem", "new_id", "tdax1.1"), 0);
	assert_string_equal(get("%s/bus/tdax/drivers/tdax_kmem/new_id", root), "tdax1.1");
	tdax_ctx_free(ctx);
}

static void test_region_create_delete(void **state)
{
	struct tdax_ctx *ctx = scanned();
	char name[32];
	bool created = true;

	(void)state;
	/* a seed exists: it is used, nothing is written to create */
	assert_int_equal(tdax_region_new_device(ctx, 1, name, sizeof(name), &created), 0);
	assert_string_equal(name, "tdax1.2");
	assert_false(created);
	assert_string_equal(get("%s/devices/platform/hmem.1/tdax_region/create", root), "\n");
	/* no seed: write 1 to create, read back the name the region gives */
	assert_int_equal(tdax_region_new_device(ctx, 0, name, sizeof(name), &created), 0);
	assert_true(created);
	assert_string_equal(get("%s/devices/platform/hmem.0/tdax_region/create", root), "1");
	assert_string_equal(name, "1");	/* a plain file reads back what was written */
	assert_int_equal(tdax_region_new_device(ctx, 7, name, sizeof(name), &created), -ENODEV);
	assert_int_equal(tdax_region_delete_device(ctx, 1, "tdax1.2"), 0);
	assert_string_equal(get("%s/devices/platform/hmem.1/tdax_region/delete", root), "tdax1.2");
	assert_int_equal(tdax_region_delete_device(ctx, 7, "tdax7.1"), -ENODEV);
	tdax_ctx_free(ctx);
}

static void test_memblocks(void **state)
{
	struct tdax_ctx *ctx = scanned();
	struct tdax_memblocks mb;
	long changed[16];
	int done = -1, i;

	(void)state;
	assert_int_equal(tdax_device_memblocks(ctx, tdax_device_find(ctx, "tdax0.0"), &mb), 0);
	assert_int_equal(mb.block_size, 0x8000000);
	assert_int_equal(mb.total, 8);
	assert_int_equal(mb.online, 3);
	assert_int_equal(mb.movable, 2);
	/* devdax device: its range has no memory blocks */
	assert_int_equal(tdax_device_memblocks(ctx, tdax_device_find(ctx, "tdax1.0"), &mb), 0);
	assert_int_equal(mb.total, 0);
	/* online the offline ones: exactly memory35..39, in order */
	assert_int_equal(tdax_device_memblocks_set(ctx, tdax_device_find(ctx, "tdax0.0"),
						   "online_movable", changed, 16, &done), 0);
	assert_int_equal(done, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(changed[i], 35 + i);
		assert_string_equal(get("%s/devices/system/memory/memory%d/state", root, 35 + i),
				    "online_movable");
	}
	assert_string_equal(get("%s/devices/system/memory/memory32/state", root), "online\n");
	/* offline: the blocks reading "online" (32..34; the fake files of
	 * 35..39 now read "online_movable", which is not a state) */
	assert_int_equal(tdax_device_memblocks_set(ctx, tdax_device_find(ctx, "tdax0.0"),
						   "offline", changed, 16, &done), 0);
	assert_int_equal(done, 3);
	assert_int_equal(changed[0], 32);
	assert_int_equal(tdax_memblock_write(ctx, 1, "offline"), 0);
	assert_string_equal(get("%s/devices/system/memory/memory1/state", root), "offline");
	tdax_ctx_free(ctx);
}

static void test_parse_size(void **state)
{
	static const struct { const char *s; uint64_t v; int rc; } t[] = {
		{ "4096", 4096, 0 }, { "4K", 4096, 0 }, { "2m", 2097152, 0 },
		{ "2M", 2097152, 0 }, { "1G", 1073741824ULL, 0 }, { "1GiB", 1073741824ULL, 0 },
		{ "512MB", 536870912, 0 }, { "0x200000", 2097152, 0 }, { "1T", 1ULL << 40, 0 },
		{ "0", 0, 0 }, { "", 0, -EINVAL }, { "-1", 0, -EINVAL }, { "12X", 0, -EINVAL },
		{ "M", 0, -EINVAL }, { " 4K", 0, -EINVAL }, { "4K ", 0, -EINVAL },
		{ "99999999999999T", 0, -EINVAL }, { "1.5G", 0, -EINVAL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 0;
		int rc = tdax_parse_size(t[i].s, &v);

		if (rc != t[i].rc || (rc == 0 && v != t[i].v))
			fail_msg("tdax_parse_size(\"%s\") = %d, %llu; want %d, %llu", t[i].s, rc,
				 (unsigned long long)v, t[i].rc, (unsigned long long)t[i].v);
	}
}

static void test_parse_name(void **state)
{
	int r = -1, n = -1;

	(void)state;
	assert_int_equal(tdax_parse_name("tdax12.3", &r, &n), 0);
	assert_int_equal(r, 12);
	assert_int_equal(n, 3);
	assert_int_equal(tdax_parse_name("tdax1.0x", &r, &n), -EINVAL);
	assert_int_equal(tdax_parse_name("dax1.0", &r, &n), -EINVAL);
	assert_int_equal(tdax_parse_name("tdax1", &r, &n), -EINVAL);
	assert_int_equal(tdax_parse_name(NULL, &r, &n), -EINVAL);
}

static void test_no_bus(void **state)
{
	struct tdax_ctx *ctx = tdax_ctx_new("/nonexistent-tdax-root");

	(void)state;
	assert_string_equal(ctx->root, "/nonexistent-tdax-root");
	assert_int_equal(tdax_ctx_scan(ctx), -ENOENT);
	assert_int_equal(ctx->nregions, 0);
	tdax_ctx_free(ctx);
	unsetenv("TDAX_SYSFS_ROOT");
	ctx = tdax_ctx_new(NULL);
	assert_string_equal(ctx->root, "/sys");
	tdax_ctx_free(ctx);
	setenv("TDAX_SYSFS_ROOT", root, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan_regions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_region_create_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memblocks, setup, teardown),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_name),
		cmocka_unit_test_setup_teardown(test_no_bus, setup, teardown),
	};

	return cmocka_run_group_tests_name("tdax_sysfs", tests, NULL, NULL);
}
