// SPDX-License-Identifier: GPL-2.0
/*
 * The auto-translated path (PVH or HVM dom0, Arm): Xen maps each grant at
 * the guest-physical address of one of our own pages, and those pages are
 * then inserted into the user VMA like any other page.  No user PTE is
 * ever handed to Xen, so there is no "user half" to undo.
 *
 * The core subscription stays: an invalidation of a mapped range hands the
 * grants of that range to gnttab_unmap_refs_async() at once.  It runs
 * before the PTEs are zapped, but the asynchronous unmap waits until the
 * page's count drops back to our own reference, that is until the last
 * PTE (and any get_user_pages() pin) is gone.  So a grant is unmapped as
 * soon as nothing can reach it, never while something still can.
 * docs/gntmap.md ("The two dom0 paths") has the case-by-case table.
 */
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/workqueue.h>
#include <xen/grant_table.h>
#include <xen/xen.h>

#include "gntmap.h"

/*
 * A grant this domain gave itself, mapped into an unpopulated page of its
 * own physmap: with the stock drivers on PVH the mapping reads garbage and
 * tearing it down oopses.  Refuse it before anything is mapped.
 */
static int gntmap_xlat_check_grants(struct gntmap_map *map)
{
	unsigned int i;

	for (i = 0; i < map->count; i++) {
		domid_t d = map->grants[i].domid;

		if (d == DOMID_SELF || (xen_initial_domain() && d == 0)) {
			pr_info_ratelimited("gntmap: %s[%d]: refused a grant of dom%u to itself (auto-translated dom0)\n",
					    current->comm,
					    task_pid_nr(current), d);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Run now, in this thread, the deferred unmaps that were waiting for the
 * PTEs that a munmap or exit has just zapped: VMA close comes after the
 * zap, so a grant the process let go of is ended by the time munmap()
 * returns.  The retry is taken back from the workqueue and made here,
 * because waiting for a worker to run it made every map cycle wait for the
 * scheduler (docs/performance.md, figure 1 on PVH).  A run whose pages are
 * still in use (pinned) simply goes back to the workqueue.  Called
 * without map->lock, by a caller that holds a reference on the map.
 */
void gntmap_xlat_close(struct gntmap_map *map)
{
	struct gntab_unmap_queue_data *run;
	unsigned int i;

	for (i = 0; i < map->count; i++) {
		run = gntmap_run(map, i);
		/* Only a run's first page has its work item initialised. */
		if (READ_ONCE(map->state[i]) != GNTMAP_KPENDING ||
		    READ_ONCE(run->data) != map)
			continue;
		/*
		 * Once cancelled, the work is idle: a retry that was running
		 * either finished the run or had its requeue swallowed by the
		 * cancel, so the state, not the return value, says whether the
		 * run still needs us.
		 */
		cancel_delayed_work_sync(&run->gnttab_work);
		if (READ_ONCE(map->state[i]) == GNTMAP_KPENDING)
			gnttab_unmap_refs_async(run);
	}
}

/*
 * mmap's walk: the page tables are all this path wants of it, so that
 * vm_map_pages_zero() under map->lock finds them in place.
 */
static int gntmap_xlat_prepare_pte(pte_t *pte, unsigned long addr, void *data)
{
	return 0;
}

/*
 * mmap on the auto-translated path: map the grants, then insert the pages.
 * Called with map->lock held and the subscription inserted; on error the
 * caller unmaps whatever was mapped (the async unmap waits for any page
 * that vm_map_pages_zero() managed to insert to be zapped again).
 */
static int gntmap_xlat_mmap(struct gntmap_map *map, struct vm_area_struct *vma)
{
	int err;

	/* One batched hypercall maps every grant at its page's address. */
	err = gntmap_map_grants(map, false);
	if (err)
		return err;
	return vm_map_pages_zero(vma, map->pages, map->count);
}

/*
 * No user PTE was handed to Xen: there is no user half to unmap.  The mm
 * zaps the PTEs itself, which only drops their references on our pages.
 */
void gntmap_xlat_unmap_user(struct gntmap_map *map, unsigned int first,
			    unsigned int end)
{
}

/*
 * Page fault: insert page @i, still granted, into @vma again.  Under
 * map->lock with the core's sequence checked; -EBUSY means the PTE is
 * already there, which is what the fault wanted.
 */
static int gntmap_xlat_map_user(struct gntmap_map *map,
				struct vm_area_struct *vma, unsigned long addr,
				unsigned int i)
{
	int err = vm_insert_page(vma, addr, map->pages[i]);

	return err == -EBUSY ? 0 : err;
}

const struct gntmap_path_ops gntmap_xlat_path = {
	.check_grants = gntmap_xlat_check_grants,
	.prepare_pte = gntmap_xlat_prepare_pte,
	.mmap = gntmap_xlat_mmap,
	.unmap_user = gntmap_xlat_unmap_user,
	.map_user = gntmap_xlat_map_user,
	.close = gntmap_xlat_close,
};
