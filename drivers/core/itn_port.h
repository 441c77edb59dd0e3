/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one porting header of the core.  notifier.c and range_fault.c see the
 * kernel only through the names below; the userspace build of tests/core/
 * provides the same names on top of a simulated mm, so that the very lines
 * that ship are the ones the host tests run.
 */
#ifndef _ITN_PORT_H
#define _ITN_PORT_H

#ifdef __KERNEL__
#include <linux/err.h>
#include <linux/export.h>
#include <linux/hashtable.h>
#include <linux/hmm.h>
#include <linux/interval_tree.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#else
#include "itn_sim_kernel.h"
#endif

#endif /* _ITN_PORT_H */
