// SPDX-License-Identifier: GPL-2.0
/*
 * harness_lockdep: a module whose init takes two mutexes in one order, then
 * in the other, for make check-harness on the checking kernel: one thread
 * cannot deadlock on it, but lockdep must report the inversion and the
 * runner's log check must turn the report into a failure.  Never loaded by
 * the default test run.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>

static DEFINE_MUTEX(harness_a);
static DEFINE_MUTEX(harness_b);

static int __init harness_lockdep_init(void)
{
	pr_info("harness_lockdep: taking a then b, then b then a\n");
	mutex_lock(&harness_a);
	mutex_lock(&harness_b);
	mutex_unlock(&harness_b);
	mutex_unlock(&harness_a);

	mutex_lock(&harness_b);
	mutex_lock(&harness_a);
	mutex_unlock(&harness_a);
	mutex_unlock(&harness_b);
	return 0;
}

static void __exit harness_lockdep_exit(void)
{
}

module_init(harness_lockdep_init);
module_exit(harness_lockdep_exit);
MODULE_DESCRIPTION("gntmap test runner self-check: a lock-order inversion");
MODULE_LICENSE("GPL");
