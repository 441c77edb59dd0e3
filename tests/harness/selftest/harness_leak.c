// SPDX-License-Identifier: GPL-2.0
/*
 * harness_leak: a module whose init allocates and forgets a few buffers,
 * for make check-harness on the checking kernel: kmemleak's scan at the
 * end of the suite must find them unreferenced and the runner must turn
 * that into a failure.  Never loaded by the default test run.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>

#define HARNESS_LEAKS 8

/* Where the pointers pass through, so the allocations are not elided. */
static void *harness_last;

static int __init harness_leak_init(void)
{
	void *p;
	int i;

	for (i = 0; i < HARNESS_LEAKS; i++) {
		p = kmalloc(1024, GFP_KERNEL);
		if (!p)
			return -ENOMEM;
		memset(p, 0x5a, 1024);
		WRITE_ONCE(harness_last, p);
	}
	/* The last pointer goes too: nothing refers to any buffer now. */
	WRITE_ONCE(harness_last, NULL);
	pr_info("harness_leak: leaked %d buffers of 1024 bytes\n",
		HARNESS_LEAKS);
	return 0;
}

static void __exit harness_leak_exit(void)
{
}

module_init(harness_leak_init);
module_exit(harness_leak_exit);
MODULE_DESCRIPTION("gntmap test runner self-check: a memory leak");
MODULE_LICENSE("GPL");
