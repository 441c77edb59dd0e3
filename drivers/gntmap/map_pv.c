// SPDX-License-Identifier: GPL-2.0
/*
 * The PV dom0 path: Xen writes each grant straight into the user PTE
 * (GNTMAP_contains_pte) as well as at the kernel address of our page, so
 * every page is mapped, and unmapped, in two halves.  map_hvm.c is the
 * other path; gntmap_path_init() picks one at load.
 */
#include <linux/mm.h>
#include <xen/grant_table.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/page.h>

#include "gntmap.h"

/* Every grant a PV dom0 can name, it can map. */
static int gntmap_pv_check_grants(struct gntmap_map *map)
{
	return 0;
}

/*
 * apply_to_page_range() callback: hand Xen the machine address of each
 * user PTE.  _GNTMAP_guest_avail0 makes Xen set the PTE's software bit
 * that Linux reads as pte_special, so the mm never treats the foreign
 * frame as one of its own pages.
 *
 * As the path's prepare_pte it runs in mmap's walk that allocates the
 * tables, so the range is walked once, outside map->lock.  That is safe:
 * gntmap_claim() made the map this mmap's alone, and no callback reaches
 * a page before it is mapped.  If the walk or mmap fails the ops are
 * never used, since every page is still UNMAPPED.
 */
static int gntmap_find_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct gntmap_map *map = data;
	unsigned int i = (addr - map->base) >> PAGE_SHIFT;
	unsigned int flags = GNTMAP_host_map | GNTMAP_application_map |
			     GNTMAP_contains_pte | (1 << _GNTMAP_guest_avail0);
	u64 maddr = arbitrary_virt_to_machine(pte).maddr;

	if (map->readonly)
		flags |= GNTMAP_readonly;
	gnttab_set_map_op(&map->map_ops[i], maddr, flags,
			  map->grants[i].ref, map->grants[i].domid);
	gnttab_set_unmap_op(&map->unmap_ops[i], maddr, flags,
			    INVALID_GRANT_HANDLE);
	return 0;
}

/* map_ops[] holds the user PTEs already (gntmap_find_pte()). */
static int gntmap_pv_mmap(struct gntmap_map *map, struct vm_area_struct *vma)
{
	return gntmap_map_grants(map, true);
}

static bool gntmap_pv_has_user(struct gntmap_map *map, unsigned int i)
{
	return map->unmap_ops[i].handle != INVALID_GRANT_HANDLE;
}

/* The user PTEs of [first, end), one hypercall per run of them. */
void gntmap_pv_unmap_user(struct gntmap_map *map, unsigned int first,
				 unsigned int end)
{
	unsigned int i = first, run;

	while (i < end) {
		if (!gntmap_pv_has_user(map, i)) {
			i++;
			continue;
		}
		for (run = i; i < end && gntmap_pv_has_user(map, i); i++)
			map->unmap_ops[i].status = GNTST_general_error;
		HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref,
					  &map->unmap_ops[run], i - run);
		for (; run < i; run++) {
			if (map->unmap_ops[run].status != GNTST_okay) {
				map->failed = true;
				gntmap_count(GNTMAP_CNT_UNMAP_FAILED, 1);
			}
			map->unmap_ops[run].handle = INVALID_GRANT_HANDLE;
		}
	}
}

/*
 * Page fault: Xen writes the grant of page @i into the user PTE of @addr
 * again.  Under map->lock with the core's sequence checked, so an
 * invalidation that starts now waits for us in its callback and then
 * finds the handle to unmap.  The PTE is empty: every invalidation took
 * the user half away before the mm zapped it, and the fault lock keeps
 * any other fault of the map out.
 */
static int gntmap_pv_map_user(struct gntmap_map *map,
			      struct vm_area_struct *vma, unsigned long addr,
			      unsigned int i)
{
	struct gnttab_map_grant_ref *op = &map->map_ops[i];
	int err;

	if (gntmap_pv_has_user(map, i))
		return 0;
	err = apply_to_page_range(vma->vm_mm, addr, PAGE_SIZE,
				  gntmap_find_pte, map);
	if (err)
		return err;
	op->status = GNTST_general_error;
	if (HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, op, 1) ||
	    op->status != GNTST_okay) {
		gntmap_count(GNTMAP_CNT_MAP_FAILED, 1);
		return -EIO;
	}
	map->unmap_ops[i].handle = op->handle;
	return 0;
}

/* The kernel halves were handed to the async unmap; nothing to add. */
void gntmap_pv_close(struct gntmap_map *map)
{
}

const struct gntmap_path_ops gntmap_pv_path = {
	.check_grants = gntmap_pv_check_grants,
	.prepare_pte = gntmap_find_pte,
	.mmap = gntmap_pv_mmap,
	.unmap_user = gntmap_pv_unmap_user,
	.map_user = gntmap_pv_map_user,
	.close = gntmap_pv_close,
};
