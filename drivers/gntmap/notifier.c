// SPDX-License-Identifier: GPL-2.0
/*
 * The core calls us before any part of a mapped range changes: munmap,
 * mremap, MAP_FIXED, madvise, mprotect, exit.  The grants under the range
 * are unmapped before the core lets the mm free or reuse the page table.
 */
#include <linux/mmu_notifier.h>

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
