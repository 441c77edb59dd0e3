// SPDX-License-Identifier: GPL-2.0
/*
 * The core calls us before any part of a mapped range changes: munmap,
 * mremap, MAP_FIXED, madvise, mprotect, exit, a huge-PMD split.  The user
 * half of every grant under the range goes before the core lets the mm
 * free or reuse the page table.  The grant itself goes only when the
 * event ends the VMA's use of the range (munmap and everything built on
 * it, the OOM reaper, exit); otherwise the page stays MAPPED and the next
 * access faults it back in (vma.c, docs/gntmap.md "VMA behaviours").
 */
#include <linux/mmu_notifier.h>

#include "gntmap.h"

/*
 * A non-blockable range comes only from the OOM reaper, whose mm is dying:
 * nothing faults there again.  It says UNMAP up to 6.x and CLEAR on 7.x,
 * so the event alone would keep the grants of a reaped map until exit.
 */
static bool gntmap_event_ends_use(const struct mmu_notifier_range *range)
{
	return range->event == MMU_NOTIFY_UNMAP ||
	       range->event == MMU_NOTIFY_RELEASE ||
	       !mmu_notifier_range_blockable(range);
}

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
		unsigned int first = (start - map->base) >> PAGE_SHIFT;
		unsigned int last = (end - map->base + PAGE_SIZE - 1) >>
				    PAGE_SHIFT;

		gntmap_count(GNTMAP_CNT_INVALIDATIONS, 1);
		gntmap_count(GNTMAP_CNT_INVALIDATED_PAGES,
			     (end - start) >> PAGE_SHIFT);
		if (gntmap_event_ends_use(range))
			gntmap_unmap_range(map, first, last);
		else
			gntmap_unmap_user_range(map, first, last);
	}
	mutex_unlock(&map->lock);
	return true;
}

const struct itn_sub_ops gntmap_sub_ops = {
	.invalidate = gntmap_invalidate,
};
