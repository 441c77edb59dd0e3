// SPDX-License-Identifier: GPL-2.0
/*
 * The per-page arrays of a map (grants, pages, states, the four grant op
 * arrays and the run slots), allocated once per map and kept with it in
 * the cache.  Nothing here knows about mapping: map.c and cache.c call in,
 * this file calls nobody.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <xen/grant_table.h>

#include "gntmap.h"

/*
 * Bytes per page of the arrays of a map.  A small map's arrays share one
 * allocation, so a one-page map cycle makes one allocation and one free
 * instead of eight of each.  A large map keeps one allocation per array:
 * as one block it would take a high-order page from the page allocator
 * (or vmalloc), which costs more than eight slab allocations.  Nothing is
 * zeroed that is written before it is read (gntmap_map_reset() says what
 * is read first).
 */
#define GNTMAP_PAGE_BYTES (sizeof(struct gntab_unmap_queue_data) + \
	2 * sizeof(struct gnttab_map_grant_ref) + \
	2 * sizeof(struct gnttab_unmap_grant_ref) + \
	sizeof(struct page *) + sizeof(struct ioctl_gntdev_grant_ref) + 1)
#define GNTMAP_BLOCK_MAX (2 * PAGE_SIZE)

/*
 * The run slots come in chunks that a kmalloc cache serves: as one array,
 * a large map's slots would take a high-order compound page from the page
 * allocator and give it back on every map cycle.
 */
#define GNTMAP_RUNS_PER_CHUNK \
	(KMALLOC_MAX_CACHE_SIZE / sizeof(struct gntab_unmap_queue_data))

static bool gntmap_map_one_block(unsigned int count)
{
	return count <= (GNTMAP_BLOCK_MAX - sizeof(void *)) / GNTMAP_PAGE_BYTES;
}

static unsigned int gntmap_run_chunks(unsigned int count)
{
	return DIV_ROUND_UP(count, GNTMAP_RUNS_PER_CHUNK);
}

/* The run slot of page @i: a run uses the slot of its first page. */
struct gntab_unmap_queue_data *gntmap_run(struct gntmap_map *map,
					  unsigned int i)
{
	return &map->runs[i / GNTMAP_RUNS_PER_CHUNK][i % GNTMAP_RUNS_PER_CHUNK];
}

/* The arrays of a map and the map itself; the pages are the caller's. */
static void gntmap_map_free(struct gntmap_map *map)
{
	unsigned int c;

	if (!gntmap_map_one_block(map->count)) {
		for (c = 0; map->runs && c < gntmap_run_chunks(map->count); c++)
			kfree(map->runs[c]);
		kvfree(map->kunmap_ops);
		kvfree(map->unmap_ops);
		kvfree(map->kmap_ops);
		kvfree(map->map_ops);
		kvfree(map->state);
		kvfree(map->pages);
		kvfree(map->grants);
	}
	/* In one block, the block starts with the run chunk's pointer. */
	kfree(map->runs);
	kfree(map);
}

/* Carves the arrays out of one block, most aligned first. */
static int gntmap_map_block(struct gntmap_map *map)
{
	unsigned int count = map->count;
	struct gntab_unmap_queue_data *chunk;

	BUILD_BUG_ON(sizeof(struct gntab_unmap_queue_data) % 8 ||
		     sizeof(struct gnttab_map_grant_ref) % 8 ||
		     sizeof(struct gnttab_unmap_grant_ref) % 8);
	map->runs = kmalloc(sizeof(chunk) + count * GNTMAP_PAGE_BYTES,
			    GFP_KERNEL);
	if (!map->runs)
		return -ENOMEM;
	chunk = (void *)(map->runs + 1);
	map->runs[0] = chunk;
	map->map_ops = (void *)(chunk + count);
	map->kmap_ops = map->map_ops + count;
	map->unmap_ops = (void *)(map->kmap_ops + count);
	map->kunmap_ops = map->unmap_ops + count;
	map->pages = (void *)(map->kunmap_ops + count);
	map->grants = (void *)(map->pages + count);
	map->state = (void *)(map->grants + count);
	return 0;
}

static int gntmap_map_run_chunks(struct gntmap_map *map)
{
	unsigned int c, n, left = map->count;

	map->runs = kcalloc(gntmap_run_chunks(map->count), sizeof(*map->runs),
			    GFP_KERNEL);
	if (!map->runs)
		return -ENOMEM;
	for (c = 0; left; c++, left -= n) {
		n = min_t(unsigned int, left, GNTMAP_RUNS_PER_CHUNK);
		map->runs[c] = kmalloc_array(n, sizeof(*map->runs[c]),
					     GFP_KERNEL);
		if (!map->runs[c])
			return -ENOMEM;
	}
	return 0;
}

static int gntmap_map_arrays(struct gntmap_map *map)
{
	unsigned int count = map->count;

	map->grants = kvmalloc_array(count, sizeof(*map->grants), GFP_KERNEL);
	map->pages = kvmalloc_array(count, sizeof(*map->pages), GFP_KERNEL);
	map->state = kvmalloc_array(count, sizeof(*map->state), GFP_KERNEL);
	map->map_ops = kvmalloc_array(count, sizeof(*map->map_ops),
				      GFP_KERNEL);
	map->kmap_ops = kvmalloc_array(count, sizeof(*map->kmap_ops),
				       GFP_KERNEL);
	map->unmap_ops = kvmalloc_array(count, sizeof(*map->unmap_ops),
					GFP_KERNEL);
	map->kunmap_ops = kvmalloc_array(count, sizeof(*map->kunmap_ops),
					 GFP_KERNEL);
	if (!map->grants || !map->pages || !map->state || !map->map_ops ||
	    !map->kmap_ops || !map->unmap_ops || !map->kunmap_ops)
		return -ENOMEM;
	return gntmap_map_run_chunks(map);
}

/*
 * A new map of @count pages with its arrays and its pages (out of the
 * balloon), or NULL.  Only count and the arrays are set up:
 * gntmap_map_reset() does the rest.
 */
struct gntmap_map *gntmap_map_new(unsigned int count)
{
	struct gntmap_map *map;
	int err;

	map = kzalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return NULL;

	map->count = count;
	err = gntmap_map_one_block(count) ? gntmap_map_block(map) :
					    gntmap_map_arrays(map);
	if (err)
		goto free;
	if (gnttab_alloc_pages(count, map->pages))
		goto free;
	return map;

free:
	gntmap_map_free(map);
	return NULL;
}

/* A map no one uses any more, with its pages, not kept for reuse. */
void gntmap_map_destroy(struct gntmap_map *map)
{
	gnttab_free_pages(map->count, map->pages);
	gntmap_map_free(map);
}
