// SPDX-License-Identifier: GPL-2.0
/*
 * itn_core_kern.ko: the itn API mapped straight onto the kernel's own
 * mmu_interval_notifier, for side-by-side runs against notifier.c.  Its
 * symbols are itn_kern_* (see itn_kern.h), so both cores load in one boot.
 */
#define ITN_BACKEND_KERNEL
#include <linux/module.h>
#include "itn.h"

static bool itn_kern_invalidate(struct mmu_interval_notifier *mni,
				const struct mmu_notifier_range *range,
				unsigned long cur_seq)
{
	struct itn_sub *sub = container_of(mni, struct itn_sub, mni);

	return sub->ops->invalidate(sub, range, cur_seq);
}

static const struct mmu_interval_notifier_ops itn_kern_ops = {
	.invalidate = itn_kern_invalidate,
};

/* Checks the arguments as notifier.c does; true: @sub is ready to insert. */
static bool itn_kern_prepare(struct itn_sub *sub, struct mm_struct *mm,
			     unsigned long start, unsigned long length,
			     const struct itn_sub_ops *ops)
{
	unsigned long last;

	if (!sub || !mm || !ops || !ops->invalidate || !length ||
	    check_add_overflow(start, length - 1, &last))
		return false;
	sub->ops = ops;
	return true;
}

int itn_sub_insert(struct itn_sub *sub, struct mm_struct *mm,
		   unsigned long start, unsigned long length,
		   const struct itn_sub_ops *ops)
{
	if (!itn_kern_prepare(sub, mm, start, length, ops))
		return -EINVAL;
	return mmu_interval_notifier_insert(&sub->mni, mm, start, length,
					    &itn_kern_ops);
}
EXPORT_SYMBOL_GPL(itn_sub_insert);

int itn_sub_insert_locked(struct itn_sub *sub, struct mm_struct *mm,
			  unsigned long start, unsigned long length,
			  const struct itn_sub_ops *ops)
{
	if (!itn_kern_prepare(sub, mm, start, length, ops))
		return -EINVAL;
	return mmu_interval_notifier_insert_locked(&sub->mni, mm, start,
						   length, &itn_kern_ops);
}
EXPORT_SYMBOL_GPL(itn_sub_insert_locked);

void itn_sub_remove(struct itn_sub *sub)
{
	mmu_interval_notifier_remove(&sub->mni);
}
EXPORT_SYMBOL_GPL(itn_sub_remove);

unsigned long itn_read_begin(struct itn_sub *sub)
{
	return mmu_interval_read_begin(&sub->mni);
}
EXPORT_SYMBOL_GPL(itn_read_begin);

void itn_synchronize(void)
{
	mmu_notifier_synchronize();
}
EXPORT_SYMBOL_GPL(itn_synchronize);

const char *itn_backend_name(void)
{
	return "kernel";
}
EXPORT_SYMBOL_GPL(itn_backend_name);

static void __exit itn_kern_exit(void)
{
	mmu_notifier_synchronize();
}
module_exit(itn_kern_exit);

MODULE_DESCRIPTION("itn API on the kernel's mmu_interval_notifier (comparison back end)");
MODULE_LICENSE("GPL");
