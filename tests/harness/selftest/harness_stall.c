// SPDX-License-Identifier: GPL-2.0
/*
 * harness_stall: a module whose init sleeps where no signal reaches it, for
 * make check-harness.  The runner's watchdog kills a test past its limit;
 * insmod of this module outlives that kill, as a test stuck in a driver
 * would, and only the host's no-progress check can end the boot.  Never
 * loaded by the default test run.
 */
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static unsigned int seconds = 600;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "how long init sleeps uninterruptibly");

static int __init harness_stall_init(void)
{
	pr_info("harness_stall: sleeping %u s where signals cannot wake us\n",
		seconds);
	msleep(seconds * 1000);
	/* Nothing to keep: the sleep was the whole point. */
	return -EAGAIN;
}

module_init(harness_stall_init);
MODULE_DESCRIPTION("gntmap test runner self-check: a step that cannot be killed");
MODULE_LICENSE("GPL");
