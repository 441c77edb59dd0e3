// SPDX-License-Identifier: GPL-2.0
/*
 * harness_warn: a module that misbehaves on purpose, for make check-harness.
 * It reports one passing and one failing KTAP case and fires a WARN, so the
 * self-check can prove that run-ktap keeps both results and that the
 * runner's log check turns the WARN into a failure.  Never loaded by the
 * default test run.
 */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

static int __init harness_warn_init(void)
{
	pr_info("KTAP version 1\n");
	pr_info("1..2\n");
	pr_info("ok 1 harness_pass\n");
	pr_info("not ok 2 harness_fail\n");
	WARN(1, "harness_warn: deliberate warning for the runner self-check\n");
	return 0;
}

static void __exit harness_warn_exit(void)
{
}

module_init(harness_warn_init);
module_exit(harness_warn_exit);
MODULE_DESCRIPTION("gntmap test runner self-check: prints KTAP and WARNs");
MODULE_LICENSE("GPL");
