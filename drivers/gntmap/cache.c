// SPDX-License-Identifier: GPL-2.0
/*
 * Recycled maps.  A backend maps and unmaps grants of the same few sizes
 * over and over (qdisk: one map per request), and each MAP_GRANT_REF then
 * paid for its arrays and for taking its pages out of the balloon, each
 * UNMAP_GRANT_REF for giving them back.  A map whose last reference goes
 * is kept here instead, with its arrays and its (now unmapped, unpopulated)
 * pages, for the next MAP_GRANT_REF of the same size.
 *
 * Bounded by the cache_pages parameter (0 turns it off and empties it)
 * and by GNTMAP_CACHE_ENTRIES maps, so a lookup scans a short list.  Nothing
 * here holds a grant: a map only gets here once every page is unmapped,
 * and never after any grant operation on it failed.
 */
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/spinlock.h>

#include "gntmap.h"

#define GNTMAP_CACHE_ENTRIES 64

/* Guards gntmap_cache and its two counts; never held across a call out. */
static DEFINE_SPINLOCK(gntmap_cache_lock);
static LIST_HEAD(gntmap_cache);		/* most recently kept first */
static unsigned int gntmap_cache_maps;
static unsigned long gntmap_cache_pages_held;

static unsigned int gntmap_cache_max = 4096;

static void gntmap_cache_trim(unsigned long max_pages);

/* A lower limit applies at once: the oldest kept maps go. */
static int gntmap_cache_max_set(const char *val, const struct kernel_param *kp)
{
	int err = param_set_uint(val, kp);

	if (!err)
		gntmap_cache_trim(READ_ONCE(gntmap_cache_max));
	return err;
}

static const struct kernel_param_ops gntmap_cache_max_ops = {
	.set = gntmap_cache_max_set,
	.get = param_get_uint,
};

module_param_cb(cache_pages, &gntmap_cache_max_ops, &gntmap_cache_max, 0644);
MODULE_PARM_DESC(cache_pages,
		 "Most pages kept in unmapped maps for reuse (0: none)");

/* A kept map of exactly @count pages, or NULL. */
struct gntmap_map *gntmap_cache_get(unsigned int count)
{
	struct gntmap_map *map;

	spin_lock(&gntmap_cache_lock);
	list_for_each_entry(map, &gntmap_cache, cache_node) {
		if (map->count != count)
			continue;
		list_del(&map->cache_node);
		gntmap_cache_maps--;
		gntmap_cache_pages_held -= count;
		spin_unlock(&gntmap_cache_lock);
		gntmap_count(GNTMAP_CNT_CACHED_PAGES, -(long)count);
		return map;
	}
	spin_unlock(&gntmap_cache_lock);
	return NULL;
}

/* Keep @map if there is room; false: the caller frees it. */
bool gntmap_cache_put(struct gntmap_map *map)
{
	unsigned int max = READ_ONCE(gntmap_cache_max);

	if (READ_ONCE(map->failed) || map->count > max)
		return false;
	spin_lock(&gntmap_cache_lock);
	if (gntmap_cache_maps == GNTMAP_CACHE_ENTRIES ||
	    gntmap_cache_pages_held + map->count > max) {
		spin_unlock(&gntmap_cache_lock);
		return false;
	}
	list_add(&map->cache_node, &gntmap_cache);
	gntmap_cache_maps++;
	gntmap_cache_pages_held += map->count;
	spin_unlock(&gntmap_cache_lock);
	gntmap_count(GNTMAP_CNT_CACHED_PAGES, map->count);
	return true;
}

/* Free the oldest kept maps until at most @max_pages pages are kept. */
static void gntmap_cache_trim(unsigned long max_pages)
{
	struct gntmap_map *map, *next;
	LIST_HEAD(gone);

	spin_lock(&gntmap_cache_lock);
	list_for_each_entry_safe_reverse(map, next, &gntmap_cache,
					 cache_node) {
		if (gntmap_cache_pages_held <= max_pages)
			break;
		list_move(&map->cache_node, &gone);
		gntmap_cache_maps--;
		gntmap_cache_pages_held -= map->count;
	}
	spin_unlock(&gntmap_cache_lock);

	list_for_each_entry_safe(map, next, &gone, cache_node) {
		gntmap_count(GNTMAP_CNT_CACHED_PAGES, -(long)map->count);
		gntmap_map_destroy(map);
	}
}

/* Module exit: every kept map goes, its pages back to the balloon. */
void gntmap_cache_drain(void)
{
	gntmap_cache_trim(0);
}
