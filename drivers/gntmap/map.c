// SPDX-License-Identifier: GPL-2.0
/*
 * Grant map objects: allocation, reference counting, and the two-step
 * map and unmap of each page's grant (user PTE, kernel address).
 */
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <xen/grant_table.h>
#include <xen/features.h>
#include <asm/xen/hypercall.h>

#include "gntmap.h"
#include "gntmap_trace.h"

/* The dom0 path, chosen once at load by gntmap_path_init(). */
const struct gntmap_path_ops *gntmap_path __ro_after_init = &gntmap_pv_path;

void gntmap_path_init(void)
{
	if (xen_feature(XENFEAT_auto_translated_physmap))
		gntmap_path = &gntmap_xlat_path;
	else
		gntmap_path = &gntmap_pv_path;
}

/*
 * A map as MAP_GRANT_REF hands it out: one reference, every page
 * UNMAPPED.  Each live map, with its pending unmaps, holds a reference on
 * the module, so rmmod is refused while one exists instead of waiting for
 * userspace to let go of a pinned page; the caller is an ioctl of our own
 * file, which already holds one.  What may be read before it is written: the state of every
 * page, the handles, and whether a page starts a run
 * (the auto-translated path's close hook).  The grants come from the
 * caller, the ops are filled at mmap.
 */
static void gntmap_map_reset(struct gntmap_map *map)
{
	unsigned int i;

	refcount_set(&map->users, 1);
	map->index = 0;
	map->mmapped = false;
	map->readonly = false;
	mutex_init(&map->fault_lock);
	mutex_init(&map->lock);
	memset(&map->sub, 0, sizeof(map->sub));
	map->sub_live = false;
	map->base = 0;
	map->vmas = 0;
	memset(&map->notify, 0, sizeof(map->notify));
	map->failed = false;
	INIT_LIST_HEAD(&map->cache_node);

	memset(map->state, GNTMAP_UNMAPPED, map->count);
	for (i = 0; i < map->count; i++) {
		map->unmap_ops[i].handle = INVALID_GRANT_HANDLE;
		map->kunmap_ops[i].handle = INVALID_GRANT_HANDLE;
		gntmap_run(map, i)->data = NULL;
	}
	__module_get(THIS_MODULE);
	gntmap_count(GNTMAP_CNT_LIVE_MAPS, 1);
}

struct gntmap_map *gntmap_map_alloc(unsigned int count)
{
	struct gntmap_map *map;

	map = gntmap_cache_get(count);
	if (!map)
		map = gntmap_map_new(count);
	if (map)
		gntmap_map_reset(map);
	return map;
}

void gntmap_map_get(struct gntmap_map *map)
{
	refcount_inc(&map->users);
}

/*
 * Drops a reference; the last one unsubscribes, frees the map and may
 * sleep.  Every caller that can reach the last reference runs in process
 * or work context, with no lock an invalidate callback takes: the
 * callback itself never does, because it starts an unmap only of MAPPED
 * pages, and those exist only while a VMA, which holds a reference,
 * covers them.  The module reference goes last, so that nothing of the
 * map is touched once rmmod may go ahead.
 */
void gntmap_map_put(struct gntmap_map *map)
{
	if (!refcount_dec_and_test(&map->users))
		return;
	gntmap_who_del(map);

	/* Waits out a callback still running on the old range. */
	if (map->sub_live) {
		itn_sub_remove(&map->sub);
		map->sub_live = false;
	}

	/* The event goes out only now that every grant is unmapped. */
	gntmap_notify_release(map);
	if (!gntmap_cache_put(map))
		gntmap_map_destroy(map);
	gntmap_count(GNTMAP_CNT_LIVE_MAPS, -1);
	module_put(THIS_MODULE);
}

/*
 * Module exit: no map is alive (each holds the module) and no unmap is
 * pending (each holds its map), so only the kept maps are left to free.
 */
void gntmap_drain(void)
{
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
 * Map every page.  The kernel half (at the kernel address of the page) is
 * set up here; with @user_ptes (PV), map_ops[] already holds the user PTE
 * half (map_pv.c) and both go to Xen in one batch.  Called with map->lock
 * held.  Each page is judged on its own statuses (CVE-2021-26932): a page
 * is MAPPED only when every half worked, and a half that worked alone is
 * undone at once.  Returns 0, or -EINVAL if any page failed; the caller
 * then unmaps the others.
 */
int gntmap_map_grants(struct gntmap_map *map, bool user_ptes)
{
	unsigned int kflags = GNTMAP_host_map;
	unsigned int i, mapped = 0, failed = 0;

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
	if (user_ptes)
		gnttab_map_refs(map->map_ops, map->kmap_ops, map->pages,
				map->count);
	else
		gnttab_map_refs(map->kmap_ops, NULL, map->pages, map->count);

	for (i = 0; i < map->count; i++) {
		bool user_ok = !user_ptes ||
			       map->map_ops[i].status == GNTST_okay;
		bool kern_ok = map->kmap_ops[i].status == GNTST_okay;

		if (user_ok && kern_ok) {
			if (user_ptes)
				map->unmap_ops[i].handle =
					map->map_ops[i].handle;
			map->kunmap_ops[i].handle = map->kmap_ops[i].handle;
			map->state[i] = GNTMAP_MAPPED;
			mapped++;
			continue;
		}
		failed++;
		if (!user_ptes)
			continue;
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
	trace_gntmap_unmap_done(map->grants[first].domid, first, run->count,
				result);
	gntmap_map_put(map);
}

/*
 * Unmap the pages [first, end) that are still MAPPED: [first, end) of one
 * run of MAPPED pages.  The user half goes now (the path's unmap_user), so
 * the page table can be freed as soon as we return; the kernel half goes
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

	gntmap_path_unmap_user(map, first, end);
	for (i = first; i < end; i++) {
		map->unmap_ops[i].handle = INVALID_GRANT_HANDLE;
		map->kunmap_ops[i].status = GNTST_general_error;
		map->state[i] = GNTMAP_KPENDING;
		if (page_count(map->pages[i]) > 1)
			busy = true;
	}
	if (busy)
		gntmap_count(GNTMAP_CNT_UNMAP_DEFERRED, 1);
	trace_gntmap_unmap(map->grants[first].domid, first, n, busy);

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

/*
 * Remove the user half of every MAPPED page of [first, end) that has one,
 * and keep the grant: an invalidation that does not end the VMA's use of
 * the range (the 2 MiB one of a huge-PMD split, MADV_DONTNEED).  The next
 * access faults it back in (vma.c).  map->lock held; never sleeps.
 */
void gntmap_unmap_user_range(struct gntmap_map *map, unsigned int first,
			     unsigned int end)
{
	lockdep_assert_held(&map->lock);
	gntmap_path_unmap_user(map, first, end);
}

/*
 * Fault path, before map->lock: map the kernel half of UNMAPPED page @i
 * again (one whose grant an earlier invalidation ended while a VMA still
 * covers it: after a refused mremap move).  Nothing is recorded until
 * gntmap_commit_kernel_page(); gntmap_unmap_kernel_page() undoes it.  The
 * map's fault_lock keeps every other fault away from the page.
 */
int gntmap_map_kernel_page(struct gntmap_map *map, unsigned int i)
{
	unsigned int kflags = GNTMAP_host_map;
	unsigned long kaddr = (unsigned long)
		pfn_to_kaddr(page_to_pfn(map->pages[i]));

	if (map->readonly)
		kflags |= GNTMAP_readonly;
	gnttab_set_map_op(&map->kmap_ops[i], kaddr, kflags,
			  map->grants[i].ref, map->grants[i].domid);
	gnttab_set_unmap_op(&map->kunmap_ops[i], kaddr, kflags,
			    INVALID_GRANT_HANDLE);
	if (gnttab_map_refs(&map->kmap_ops[i], NULL, &map->pages[i], 1) ||
	    map->kmap_ops[i].status != GNTST_okay) {
		gntmap_count(GNTMAP_CNT_MAP_FAILED, 1);
		return -EIO;
	}
	return 0;
}

/* Take back gntmap_map_kernel_page() after a collision; nothing uses it. */
void gntmap_unmap_kernel_page(struct gntmap_map *map, unsigned int i)
{
	map->kunmap_ops[i].handle = map->kmap_ops[i].handle;
	map->kunmap_ops[i].status = GNTST_general_error;
	if (gnttab_unmap_refs(&map->kunmap_ops[i], NULL, &map->pages[i], 1) ||
	    map->kunmap_ops[i].status != GNTST_okay) {
		WRITE_ONCE(map->failed, true);
		gntmap_count(GNTMAP_CNT_UNMAP_FAILED, 1);
	}
	map->kunmap_ops[i].handle = INVALID_GRANT_HANDLE;
}

/* Record gntmap_map_kernel_page()'s mapping: page @i is MAPPED. */
void gntmap_commit_kernel_page(struct gntmap_map *map, unsigned int i)
{
	lockdep_assert_held(&map->lock);
	map->kunmap_ops[i].handle = map->kmap_ops[i].handle;
	map->state[i] = GNTMAP_MAPPED;
	gntmap_count(GNTMAP_CNT_MAPPED_PAGES, 1);
}
