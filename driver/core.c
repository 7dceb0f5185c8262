// SPDX-License-Identifier: GPL-2.0-only
/*
 * core.c - tdax.ko: module init/exit and the tracepoint definitions.
 */
#include <linux/module.h>
#include "tdax_private.h"
#include "tdax_core.h"

#define CREATE_TRACE_POINTS
#include "tdax_trace.h"

/* fired from tdax_device.ko */
EXPORT_TRACEPOINT_SYMBOL_GPL(tdax_fault);
EXPORT_TRACEPOINT_SYMBOL_GPL(tdax_mmap);
EXPORT_TRACEPOINT_SYMBOL_GPL(tdax_flush);
/* fired from tdax_kmem.ko */
EXPORT_TRACEPOINT_SYMBOL_GPL(tdax_kmem_add);
EXPORT_TRACEPOINT_SYMBOL_GPL(tdax_kmem_remove);
EXPORT_TRACEPOINT_SYMBOL_GPL(tdax_kmem_block);

static int __init tdax_core_init(void)
{
	int rc;

	rc = tdax_fs_init();
	if (rc)
		return rc;
	rc = tdax_devt_init();
	if (rc)
		goto err_devt;
	rc = tdax_bus_init();
	if (rc)
		goto err_bus;
	return 0;

err_bus:
	tdax_devt_exit();
err_devt:
	tdax_fs_exit();
	return rc;
}

static void __exit tdax_core_exit(void)
{
	tdax_bus_exit();
	tdax_devt_exit();
	tdax_fs_exit();
}

module_init(tdax_core_init);
module_exit(tdax_core_exit);
MODULE_DESCRIPTION("tdax: instrumented device-DAX core (dax devices, regions, bus)");
MODULE_LICENSE("GPL");
