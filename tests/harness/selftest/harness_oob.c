// SPDX-License-Identifier: GPL-2.0
/*
 * harness_oob: a module whose init writes one byte past a kmalloc()ed
 * buffer, for make check-harness on the checking kernel: KASAN must report
 * it and the runner's log check must turn the report into a failure.
 * Without KASAN nothing would notice the write, so init refuses to load.
 * Never loaded by the default test run.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/compiler.h>
#include <linux/slab.h>

/* A parameter, so the compiler cannot see the write is out of bounds. */
static unsigned int len = 32;
module_param(len, uint, 0444);
MODULE_PARM_DESC(len, "size of the buffer; init writes the byte after it");

static int __init harness_oob_init(void)
{
	char *buf;

	if (!IS_ENABLED(CONFIG_KASAN)) {
		pr_info("harness_oob: no KASAN in this kernel, nothing to check\n");
		return -EOPNOTSUPP;
	}
	buf = kmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	pr_info("harness_oob: writing byte %u of a %u-byte buffer\n", len, len);
	WRITE_ONCE(buf[len], 1);
	kfree(buf);
	return 0;
}

static void __exit harness_oob_exit(void)
{
}

module_init(harness_oob_init);
module_exit(harness_oob_exit);
MODULE_DESCRIPTION("gntmap test runner self-check: an out-of-bounds write");
MODULE_LICENSE("GPL");
