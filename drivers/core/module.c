// SPDX-License-Identifier: GPL-2.0
/*
 * itn_core.ko: the shared interval-tree notifier core.  Its only state is
 * the per-mm registries, which live until their mm exits; at module exit
 * the clients have removed every subscription, and the registries of the
 * processes still alive are dropped here.
 */
#include <linux/module.h>
#include "itn.h"

static void __exit itn_core_exit(void)
{
	itn_reg_drain();
}
module_exit(itn_core_exit);

MODULE_DESCRIPTION("Interval-tree MMU notifier core shared by gntmap and dmirror");
MODULE_LICENSE("GPL");
