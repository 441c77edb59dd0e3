// SPDX-License-Identifier: GPL-2.0
/*
 * itn_core.ko: the shared interval-tree notifier core.  It has no state of
 * its own beyond the per-mm registries, which die with their last
 * subscription; all that exit has to do is wait for SRCU callbacks.
 */
#include <linux/module.h>
#include "itn.h"

static void __exit itn_core_exit(void)
{
	itn_synchronize();
}
module_exit(itn_core_exit);

MODULE_DESCRIPTION("Interval-tree MMU notifier core shared by gntmap and dmirror");
MODULE_LICENSE("GPL");
