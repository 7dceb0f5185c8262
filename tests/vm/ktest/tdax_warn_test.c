// SPDX-License-Identifier: GPL-2.0-only
/*
 * tdax_warn_test - raises one kernel WARNING when loaded.
 *
 * Used only by tests/host/vm-harness.t to prove that tests/vm/run fails a run
 * whose guest kernel logged a warning. Never load it anywhere else.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init tdax_warn_test_init(void)
{
	WARN(1, "tdax_warn_test: deliberate warning for the harness self-test\n");
	return 0;
}

static void __exit tdax_warn_test_exit(void)
{
}

module_init(tdax_warn_test_init);
module_exit(tdax_warn_test_exit);
MODULE_DESCRIPTION("tdax harness self-test: raises a WARNING on load");
MODULE_LICENSE("GPL");
