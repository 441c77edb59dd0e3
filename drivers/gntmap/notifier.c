// SPDX-License-Identifier: GPL-2.0
/*
 * The core calls us before any part of a mapped range changes: munmap,
 * mremap, MAP_FIXED, madvise, mprotect, exit.  The grants under the range
 * are unmapped before the core lets the mm free or reuse the page table.
 */
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "gntmap.h"

static bool gntmap_invalidate(struct itn_sub *sub,
			      const struct mmu_notifier_range *range,
			      unsigned long cur_seq)
{
	struct gntmap_map *map = container_of(sub, struct gntmap_map, sub);
	unsigned long start, end;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&map->lock);
	else if (!mutex_trylock(&map->lock))
		return false;

	itn_set_seq(sub, cur_seq);
	start = max(range->start, map->base);
	end = min(range->end, map->base + ((unsigned long)map->count << PAGE_SHIFT));
	if (start < end) {
		gntmap_count(GNTMAP_CNT_INVALIDATIONS, 1);
		gntmap_count(GNTMAP_CNT_INVALIDATED_PAGES,
			     (end - start) >> PAGE_SHIFT);
		gntmap_unmap_range(map, (start - map->base) >> PAGE_SHIFT,
				   (end - map->base + PAGE_SIZE - 1) >> PAGE_SHIFT);
	}
	mutex_unlock(&map->lock);
	return true;
}

const struct itn_sub_ops gntmap_sub_ops = {
	.invalidate = gntmap_invalidate,
};

/*
 * One anchor per mm that ever mmapped a map: an extra subscription that
 * lives until the mm is torn down, so that the core's per-mm registry
 * does too.  Without it the registry came and went with the last live
 * map of the process, and each map cycle of a process paid two
 * mmu_notifier registrations (each an mm_take_all_locks() walk of every
 * VMA) and two releases: 5-20x the rest of a one-page cycle.  Stock
 * gntdev's mmu_interval_notifier keeps its per-mm state for the mm's life
 * in the same way.  The anchor covers the top page of the address space,
 * which no VMA can hold, so only the RELEASE event of exit reaches it.
 */
struct gntmap_anchor {
	struct itn_sub sub;
	struct mm_struct *mm;
	struct list_head node;		/* on gntmap_anchors */
	bool released;			/* the mm is gone: reap it */
};

static LIST_HEAD(gntmap_anchors);
/*
 * Guards gntmap_anchors.  Taken under the mmap lock (mmap), never from a
 * callback and never across itn_sub_remove().
 */
static DEFINE_MUTEX(gntmap_anchors_lock);

static void gntmap_anchor_free(struct gntmap_anchor *a)
{
	itn_sub_remove(&a->sub);
	kfree(a);
}

/* Moves the anchors of the mms gone onto @dead. */
static void gntmap_anchors_take(struct list_head *dead, bool all)
{
	struct gntmap_anchor *a, *next;

	mutex_lock(&gntmap_anchors_lock);
	list_for_each_entry_safe(a, next, &gntmap_anchors, node)
		if (all || READ_ONCE(a->released))
			list_move(&a->node, dead);
	mutex_unlock(&gntmap_anchors_lock);
}

static void gntmap_anchors_reap(struct work_struct *work)
{
	struct gntmap_anchor *a, *next;
	LIST_HEAD(dead);

	gntmap_anchors_take(&dead, false);
	list_for_each_entry_safe(a, next, &dead, node)
		gntmap_anchor_free(a);
}

static DECLARE_WORK(gntmap_anchors_reaper, gntmap_anchors_reap);

/*
 * Never sleeps.  Only the RELEASE of exit reaches the top page, and
 * itn_sub_remove() may not run from the callback it would wait for, so
 * the removal goes to the reaper.
 */
static bool gntmap_anchor_invalidate(struct itn_sub *sub,
				     const struct mmu_notifier_range *range,
				     unsigned long cur_seq)
{
	struct gntmap_anchor *a = container_of(sub, struct gntmap_anchor, sub);

	itn_set_seq(sub, cur_seq);
	if (range->event == MMU_NOTIFY_RELEASE) {
		WRITE_ONCE(a->released, true);
		schedule_work(&gntmap_anchors_reaper);
	}
	return true;
}

static const struct itn_sub_ops gntmap_anchor_ops = {
	.invalidate = gntmap_anchor_invalidate,
};

/*
 * Make sure @mm has its anchor.  Called with the mmap lock held for write
 * (mmap).  Best effort: without an anchor every map still works, only
 * slower, so an allocation failure is not the caller's error.
 */
void gntmap_anchor_mm(struct mm_struct *mm)
{
	struct gntmap_anchor *a;

	mmap_assert_write_locked(mm);
	mutex_lock(&gntmap_anchors_lock);
	list_for_each_entry(a, &gntmap_anchors, node)
		if (a->mm == mm)
			goto unlock;
	a = kzalloc(sizeof(*a), GFP_KERNEL);
	if (!a)
		goto unlock;
	a->mm = mm;
	if (itn_sub_insert_locked(&a->sub, mm, ULONG_MAX & PAGE_MASK,
				  PAGE_SIZE, &gntmap_anchor_ops)) {
		kfree(a);
		goto unlock;
	}
	list_add(&a->node, &gntmap_anchors);
unlock:
	mutex_unlock(&gntmap_anchors_lock);
}

/*
 * Module exit: every anchor goes, those of live processes too.  Once all
 * are removed no callback can queue the reaper again, so one cancel after
 * them is enough.
 */
void gntmap_anchors_drain(void)
{
	struct gntmap_anchor *a, *next;
	LIST_HEAD(dead);

	gntmap_anchors_take(&dead, true);
	list_for_each_entry_safe(a, next, &dead, node)
		gntmap_anchor_free(a);
	cancel_work_sync(&gntmap_anchors_reaper);
}
