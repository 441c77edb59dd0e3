// SPDX-License-Identifier: GPL-2.0
/*
 * harness_kfence: a module whose init writes one byte past a buffer that
 * KFENCE guards, for make check-harness on the checking kernel: KFENCE must
 * report it and the runner's log check must turn the report into a failure.
 * KFENCE guards one allocation per sample interval, so init allocates until
 * it gets one of KFENCE's, within a time limit.  Never loaded by the default
 * test run.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/compiler.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kfence.h>
#include <linux/slab.h>

/* A parameter, so the compiler cannot see the write is out of bounds. */
static unsigned int len = 32;
module_param(len, uint, 0444);
MODULE_PARM_DESC(len, "size of the buffer; init writes the byte after it");

static unsigned int seconds = 20;
module_param(seconds, uint, 0444);
MODULE_PARM_DESC(seconds, "how long to wait for an allocation of KFENCE's");

static int __init harness_kfence_init(void)
{
	unsigned long end = jiffies + seconds * HZ;
	unsigned long tries = 0;
	char *buf;

	if (!IS_ENABLED(CONFIG_KFENCE)) {
		pr_info("harness_kfence: no KFENCE in this kernel, nothing to check\n");
		return -EOPNOTSUPP;
	}
	for (;;) {
		buf = kmalloc(len, GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
		tries++;
		if (is_kfence_address(buf))
			break;
		kfree(buf);
		if (time_after(jiffies, end)) {
			pr_info("harness_kfence: no KFENCE allocation in %u s (%lu tries)\n",
				seconds, tries);
			return -ETIMEDOUT;
		}
		usleep_range(500, 1000);
	}
	pr_info("harness_kfence: writing byte %u of a %u-byte KFENCE buffer (try %lu)\n",
		len, len, tries);
	WRITE_ONCE(buf[len], 1);
	/* KFENCE checks the canary bytes around the object when it is freed. */
	kfree(buf);
	return 0;
}

static void __exit harness_kfence_exit(void)
{
}

module_init(harness_kfence_init);
module_exit(harness_kfence_exit);
MODULE_DESCRIPTION("gntmap test runner self-check: an out-of-bounds write KFENCE sees");
MODULE_LICENSE("GPL");
