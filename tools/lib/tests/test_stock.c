// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * test_stock.c - unit tests of the stock-kernel source (source_stock.c) on
 * a fake /sys/bus/dax tree: names, source choice, the in-tree sysfs scan
 * (no BPF, no root).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collector_int.h"
#include "tdax_stock.h"

#include "fakesys.h"

/* in-tree layout: hmem.1 carries dax_region/, dax1.0 bound to device_dax */
static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/tdax-stock-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	put("devices/platform/hmem.1/dax_region/id", "1\n");
	put("devices/platform/hmem.1/dax_region/size", "2147483648\n");
	put("devices/platform/hmem.1/dax_region/align", "2097152\n");
	put("devices/platform/hmem.1/dax_region/available_size", "0\n");
	put("devices/platform/hmem.1/dax1.0/dev", "252:3\n");
	put("devices/platform/hmem.1/dax1.0/size", "1073741824\n");
	put("devices/platform/hmem.1/dax1.0/align", "2097152\n");
	put("devices/platform/hmem.1/dax1.0/resource", "0x180000000\n");
	put("bus/dax/drivers/device_dax/bind", "");
	link_to("../../../../bus/dax/drivers/device_dax", "devices/platform/hmem.1/dax1.0/driver");
	put("bus/dax/devices/.keep", "");
	link_to("../../../devices/platform/hmem.1/dax1.0", "bus/dax/devices/dax1.0");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_names(void **state)
{
	struct tdax_snap_dev d = {};
	enum tdax_source s;

	(void)state;
	assert_string_equal(tdax_attach_mode_name(TDAX_ATTACH_FENTRY), "fentry");
	assert_string_equal(tdax_attach_mode_name(TDAX_ATTACH_KPROBE), "kprobe");
	assert_string_equal(tdax_fault_reason_name(TDAX_FR_OFFSET_MISALIGNED), "offset_misaligned");
	assert_string_equal(tdax_source_name(TDAX_SOURCE_TDAX), "tdax");
	assert_string_equal(tdax_source_name(TDAX_SOURCE_STOCK), "stock");
	assert_string_equal(tdax_source_name(TDAX_SOURCE_BOTH), "both");
	assert_string_equal(tdax_source_name(0), "none");
	assert_int_equal(tdax_parse_source("stock", &s), 0);
	assert_int_equal(s, TDAX_SOURCE_STOCK);
	assert_int_equal(tdax_parse_source("auto", &s), 0);
	assert_int_equal(s, TDAX_SOURCE_AUTO);
	assert_int_equal(tdax_parse_source("tdax", &s), 0);
	assert_int_equal(s, TDAX_SOURCE_TDAX);
	assert_int_equal(tdax_parse_source("both", &s), -EINVAL);
	/* a device's source: its instance id, else its name */
	d.instance = TDAX_STOCK_INSTANCE | (1ULL << 32) | 3;
	assert_string_equal(tdax_dev_source(&d), "stock");
	d.instance = 7;
	assert_string_equal(tdax_dev_source(&d), "tdax");
	d.instance = 0;
	snprintf(d.name, sizeof(d.name), "dax1.0");
	assert_string_equal(tdax_dev_source(&d), "stock");
	snprintf(d.name, sizeof(d.name), "tdax1.0");
	assert_string_equal(tdax_dev_source(&d), "tdax");
}

static void test_scan(void **state)
{
	struct tdax_collector *c = calloc(1, sizeof(*c));
	struct tdax_sysfs_dev *d;

	(void)state;
	assert_non_null(c);
	snprintf(c->root, sizeof(c->root), "%s", root);
	assert_int_equal(tdax_stock_scan(c), 0);
	assert_int_equal(c->sysfs.ndevs, 1);
	d = &c->sysfs.devs[0];
	assert_string_equal(d->name, "dax1.0");
	assert_int_equal(d->dev, TDAX_KDEV(252, 3));
	assert_int_equal(d->align, 2097152);
	assert_int_equal(d->size, 1073741824);
	assert_int_equal(d->region_id, 1);
	assert_string_equal(d->driver, "device_dax");
	assert_int_equal(c->sysfs.nregions, 1);
	assert_int_equal(c->sysfs.regions[0].id, 1);
	assert_string_equal(c->sysfs.regions[0].provider, "hmem.1");
	assert_int_equal(c->sysfs.regions[0].start, 0x180000000ULL);
	assert_int_equal(c->sysfs.regions[0].ndevs, 1);
	/* region size less its devices', not the file (its show() can deadlock) */
	assert_int_equal(c->sysfs.regions[0].available_size, 1073741824);
	/* appended after what is there (the tdax scan runs first) */
	assert_int_equal(tdax_stock_scan(c), 0);
	assert_int_equal(c->sysfs.ndevs, 2);
	assert_int_equal(c->sysfs.nregions, 1);
	tdax_sysfs_free(&c->sysfs);
	free(c);
}

/*
 * tdax_bus_rescan() with the stock source and no tdax bus: the in-tree
 * devices are scanned once per uevent (not appended again each time), and
 * at every call while one of them is unbound.
 */
static void test_rescan(void **state)
{
	struct tdax_collector *c = calloc(1, sizeof(*c));

	(void)state;
	assert_non_null(c);
	snprintf(c->root, sizeof(c->root), "%s", root);
	c->want = TDAX_SOURCE_STOCK;
	put("kernel/uevent_seqnum", "5\n");
	assert_int_equal(tdax_bus_rescan(c), 1);
	assert_int_equal(c->sysfs.ndevs, 1);
	assert_int_equal(c->sysfs.nregions, 1);
	assert_int_equal(c->sysfs_gen.scans, 1);
	/* no uevent: nothing read, nothing appended */
	assert_int_equal(tdax_bus_rescan(c), 0);
	assert_int_equal(tdax_bus_rescan(c), 0);
	assert_int_equal(c->sysfs.ndevs, 1);
	assert_int_equal(c->sysfs.nregions, 1);
	assert_int_equal(c->sysfs_gen.scans, 1);
	/* a uevent: one scan, the same one device */
	put("kernel/uevent_seqnum", "6\n");
	assert_int_equal(tdax_bus_rescan(c), 1);
	assert_int_equal(c->sysfs.ndevs, 1);
	assert_int_equal(c->sysfs_gen.scans, 2);
	/* unbound: read again each time (its attributes may change) */
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/devices/platform/hmem.1/dax1.0/driver", root);
		assert_int_equal(unlink(p), 0);
	}
	put("kernel/uevent_seqnum", "7\n");
	assert_int_equal(tdax_bus_rescan(c), 1);
	assert_string_equal(c->sysfs.devs[0].driver, "");
	assert_int_equal(tdax_bus_rescan(c), 1);
	assert_int_equal(c->sysfs.ndevs, 1);
	assert_int_equal(c->sysfs_gen.scans, 4);
	tdax_sysfs_free(&c->sysfs);
	free(c);
}

static void test_present_and_open(void **state)
{
	struct tdax_collector_opts o = { .sz = sizeof(o) };
	char err[320] = "";

	(void)state;
	assert_false(tdax_stock_present(root));
	o.sysfs_root = root;
	o.source = TDAX_SOURCE_STOCK;
	assert_null(tdax_collector_open(&o, err, sizeof(err)));
	assert_null(strchr(err, '\n'));
	if (geteuid() == 0)
		assert_non_null(strstr(err, "in-tree device_dax not loaded"));
	o.source = TDAX_SOURCE_AUTO;
	assert_null(tdax_collector_open(&o, err, sizeof(err)));
	if (geteuid() == 0) {
		assert_non_null(strstr(err, "tdax module not loaded"));
		assert_non_null(strstr(err, "device_dax"));
	}
	put("module/device_dax/refcnt", "0\n");
	assert_true(tdax_stock_present(root));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rescan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_present_and_open, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
