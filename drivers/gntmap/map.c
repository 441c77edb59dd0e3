// SPDX-License-Identifier: GPL-2.0
/*
 * Grant map objects: allocation, reference counting, and the two-step
 * map and unmap of each page's grant (user PTE, kernel address).
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <xen/grant_table.h>
#include <asm/xen/hypercall.h>

#include "gntmap.h"

/* Module exit waits here; only then is there anyone to wake. */
static DECLARE_WAIT_QUEUE_HEAD(gntmap_idle_wq);

static void gntmap_wake_idle(void)
{
	/* Orders the counters' updates before the check for a waiter. */
	if (wq_has_sleeper(&gntmap_idle_wq))
		wake_up_all(&gntmap_idle_wq);
}

/*
 * Bytes per page of the arrays of a map.  A small map's arrays share one
 * allocation: a one-page map cycle made eight allocations and eight frees
 * here, a tenth of its MAP and UNMAP ioctls under TCG.  A large map keeps
 * one allocation per array: as one block, 256 pages took 68 KiB from the
 * page allocator (or vmalloc) and both ioctls got slower than with eight
 * slab allocations.  Nothing is zeroed that is written before it is read
 * (gntmap_map_alloc() says what is read first).
 */
#define GNTMAP_PAGE_BYTES (sizeof(struct gntab_unmap_queue_data) + \
	2 * sizeof(struct gnttab_map_grant_ref) + \
	2 * sizeof(struct gnttab_unmap_grant_ref) + \
	sizeof(struct page *) + sizeof(struct ioctl_gntdev_grant_ref) + 1)
#define GNTMAP_BLOCK_MAX (2 * PAGE_SIZE)

/*
 * The run slots (136 bytes a page) come in chunks that a kmalloc cache
 * serves: as one array, 256 pages took an order-4 compound page from the
 * page allocator and back, and that alone made our MAP and UNMAP ioctls
 * 15-25 % slower than stock gntdev's at that size.
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
 * A map as MAP_GRANT_REF hands it out: one reference, every page
 * UNMAPPED.  What may be read before it is written: the state of every
 * page, the handles, and whether a page starts a run
 * (gntmap_xlat_flush()).  The grants come from the caller, the ops are
 * filled at mmap.
 */
static void gntmap_map_reset(struct gntmap_map *map)
{
	unsigned int count = map->count, i;

	memset(map, 0, offsetof(struct gntmap_map, grants));
	map->count = count;
	memset(map->state, GNTMAP_UNMAPPED, count);
	for (i = 0; i < count; i++) {
		map->unmap_ops[i].handle = INVALID_GRANT_HANDLE;
		map->kunmap_ops[i].handle = INVALID_GRANT_HANDLE;
		gntmap_run(map, i)->data = NULL;
	}
	refcount_set(&map->users, 1);
	mutex_init(&map->lock);
	gntmap_count(GNTMAP_CNT_LIVE_MAPS, 1);
}

struct gntmap_map *gntmap_map_alloc(unsigned int count)
{
	struct gntmap_map *map;
	int err;

	map = gntmap_cache_get(count);
	if (map)
		goto reset;

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
reset:
	gntmap_map_reset(map);
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

void gntmap_map_get(struct gntmap_map *map)
{
	refcount_inc(&map->users);
}

/*
 * Drops a reference; the last one frees the map and may sleep.  Every
 * caller that can reach the last reference runs in process or work
 * context: the invalidate callback never does, because the VMA it serves
 * still holds a reference.
 */
void gntmap_map_put(struct gntmap_map *map)
{
	if (!refcount_dec_and_test(&map->users))
		return;

	/* The event goes out only now that every grant is unmapped. */
	gntmap_notify_release(map);
	if (!gntmap_cache_put(map))
		gntmap_map_destroy(map);
	/* After the cache took it: module exit drains the cache once idle. */
	gntmap_count(GNTMAP_CNT_LIVE_MAPS, -1);
	gntmap_wake_idle();
}

/*
 * Module exit: every map freed, every asynchronous unmap finished, the
 * kept maps freed too.
 */
void gntmap_wait_idle(void)
{
	wait_event(gntmap_idle_wq,
		   !gntmap_counter_read(GNTMAP_CNT_LIVE_MAPS) &&
		   !gntmap_counter_read(GNTMAP_CNT_PENDING_UNMAPS));
	gntmap_cache_drain();
}

/* Undo the half of a page's mapping that worked when the other did not. */
static void gntmap_undo_half(struct gnttab_map_grant_ref *op)
{
	struct gnttab_unmap_grant_ref unmap;

	gnttab_set_unmap_op(&unmap, op->host_addr, op->flags, op->handle);
	unmap.status = GNTST_general_error;
	if (HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, &unmap, 1) ||
	    unmap.status != GNTST_okay)
		gntmap_count(GNTMAP_CNT_UNMAP_FAILED, 1);
}

/*
 * Map every page, both halves.  map_ops[] already holds the user PTE
 * addresses (vma.c).  Called with map->lock held.  Each page is judged on
 * its own two statuses (CVE-2021-26932): a page is MAPPED only when both
 * halves worked, and a half that worked alone is undone at once.  Returns
 * 0, or -EINVAL if any page failed; the caller then unmaps the others.
 */
int gntmap_map_grants(struct gntmap_map *map)
{
	unsigned int kflags = GNTMAP_host_map;
	unsigned int i, mapped = 0, failed = 0;

	if (gntmap_xlat)
		return gntmap_xlat_map_grants(map);
	if (map->readonly)
		kflags |= GNTMAP_readonly;

	for (i = 0; i < map->count; i++) {
		unsigned long kaddr = (unsigned long)
			pfn_to_kaddr(page_to_pfn(map->pages[i]));

		gnttab_set_map_op(&map->kmap_ops[i], kaddr, kflags,
				  map->grants[i].ref, map->grants[i].domid);
		gnttab_set_unmap_op(&map->kunmap_ops[i], kaddr, kflags,
				    INVALID_GRANT_HANDLE);
	}

	/*
	 * Statuses start non-zero (gnttab_set_map_op), so a hypercall that
	 * fails as a whole leaves every page failed.
	 */
	gnttab_map_refs(map->map_ops, map->kmap_ops, map->pages, map->count);

	for (i = 0; i < map->count; i++) {
		bool user_ok = map->map_ops[i].status == GNTST_okay;
		bool kern_ok = map->kmap_ops[i].status == GNTST_okay;

		if (user_ok && kern_ok) {
			map->unmap_ops[i].handle = map->map_ops[i].handle;
			map->kunmap_ops[i].handle = map->kmap_ops[i].handle;
			map->state[i] = GNTMAP_MAPPED;
			mapped++;
			continue;
		}
		failed++;
		if (user_ok) {
			gntmap_undo_half(&map->map_ops[i]);
			ClearPageForeign(map->pages[i]);
		}
		if (kern_ok)
			gntmap_undo_half(&map->kmap_ops[i]);
	}
	gntmap_count(GNTMAP_CNT_MAPPED_PAGES, mapped);
	if (failed) {
		map->failed = true;
		gntmap_count(GNTMAP_CNT_MAP_FAILED, failed);
		return -EINVAL;
	}
	return 0;
}

static void gntmap_run_done(int result, struct gntab_unmap_queue_data *run)
{
	struct gntmap_map *map = run->data;
	unsigned int first = run->pages - map->pages;
	unsigned int i;

	for (i = first; i < first + run->count; i++) {
		if (map->kunmap_ops[i].status != GNTST_okay) {
			WRITE_ONCE(map->failed, true);
			gntmap_count(GNTMAP_CNT_UNMAP_FAILED, 1);
		}
		map->kunmap_ops[i].handle = INVALID_GRANT_HANDLE;
		WRITE_ONCE(map->state[i], GNTMAP_UNMAPPED);
	}
	gntmap_count(GNTMAP_CNT_MAPPED_PAGES, -(long)run->count);
	gntmap_count(GNTMAP_CNT_PENDING_UNMAPS, -1);
	gntmap_map_put(map);
	gntmap_wake_idle();
}

/*
 * Unmap the pages [first, end) that are still MAPPED: [first, end) of one
 * run of MAPPED pages.  The user PTEs go now, in one hypercall, so the
 * page table can be freed as soon as we return; the kernel half goes
 * through gnttab_unmap_refs_async(), which retries later on its own while
 * a page is still referenced (I/O in flight) instead of blocking us.
 */
static void gntmap_unmap_run(struct gntmap_map *map, unsigned int first,
			     unsigned int end)
{
	struct gntab_unmap_queue_data *run = gntmap_run(map, first);
	unsigned int i, n = end - first;
	bool busy = false;

	gntmap_notify_clear_byte(map, first, end);

	for (i = first; i < end; i++)
		map->unmap_ops[i].status = GNTST_general_error;
	/* Auto-translated: no user PTE was handed to Xen, nothing to undo. */
	if (!gntmap_xlat)
		HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref,
					  &map->unmap_ops[first], n);
	for (i = first; i < end; i++) {
		if (!gntmap_xlat && map->unmap_ops[i].status != GNTST_okay) {
			map->failed = true;
			gntmap_count(GNTMAP_CNT_UNMAP_FAILED, 1);
		}
		map->unmap_ops[i].handle = INVALID_GRANT_HANDLE;
		map->kunmap_ops[i].status = GNTST_general_error;
		map->state[i] = GNTMAP_KPENDING;
		if (page_count(map->pages[i]) > 1)
			busy = true;
	}
	if (busy)
		gntmap_count(GNTMAP_CNT_UNMAP_DEFERRED, 1);

	/*
	 * gnttab_unmap_refs() on the kernel ops alone: it unmaps them,
	 * clears PageForeign and the p2m entries.
	 */
	run->data = map;
	run->done = gntmap_run_done;
	run->unmap_ops = &map->kunmap_ops[first];
	run->kunmap_ops = NULL;
	run->pages = &map->pages[first];
	run->count = n;
	gntmap_map_get(map);
	gntmap_count(GNTMAP_CNT_PENDING_UNMAPS, 1);
	gnttab_unmap_refs_async(run);
}

/*
 * Unmap every MAPPED page in [first, end).  Called with map->lock held,
 * by a caller that holds its own reference on the map (the done callback
 * may drop the run's reference before we return).  Never sleeps.
 */
void gntmap_unmap_range(struct gntmap_map *map, unsigned int first,
			unsigned int end)
{
	unsigned int i = first, run;

	lockdep_assert_held(&map->lock);
	while (i < end) {
		if (map->state[i] != GNTMAP_MAPPED) {
			i++;
			continue;
		}
		for (run = i; i < end && map->state[i] == GNTMAP_MAPPED; i++)
			;
		gntmap_unmap_run(map, run, i);
	}
}
