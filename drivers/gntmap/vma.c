// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of a map, and what each later change of the VMA does to it.  The
 * choices, and why, are in docs/gntmap.md ("VMA behaviours"):
 *
 *  - split (partial munmap, MAP_FIXED over part, mremap shrink): allowed;
 *    the invalidation unmaps the grants of the part that goes, the rest
 *    stays mapped.  Every piece holds a reference on the map.  A page
 *    still in a VMA whose user half an invalidation took (the 2 MiB range
 *    of a huge-PMD split, MADV_DONTNEED) is faulted back in.
 *  - mremap grow: refused by VM_DONTEXPAND.  mremap move: refused; the
 *    kernel has already invalidated the old range when it asks us, so
 *    those grants are gone, but nothing leaks and no PTE moves; a touch
 *    at the old address maps the grant again.
 *  - mprotect: refused unless nothing changes, because Xen owns the PTEs;
 *    write on a read-only map fails earlier (VM_MAYWRITE is clear).
 *  - fork: VM_DONTCOPY, the child has no mapping.
 */
#include <linux/mm.h>

#include "gntmap.h"
#include "gntmap_trace.h"

#ifndef GNTMAP_HAVE_VM_FLAGS_SET
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * A copy of our VMA in another mm: fork after madvise(MADV_DOFORK) cleared
 * VM_DONTCOPY.  Our subscription does not cover that mm, so the copy must
 * never hold a grant: it gets no PTEs (VM_WIPEONFORK, set here because
 * dup_mmap() calls ->open on the child's VMA before its VM_WIPEONFORK
 * test in front of copy_page_range(): so since 6.10's "fork: defer
 * linking file vma until vma is fully initialized", which Debian's 6.1
 * has too), a fault in it is SIGBUS, and it does not count among the
 * map's VMAs.
 */
static bool gntmap_vma_foreign(struct gntmap_map *map,
			       struct vm_area_struct *vma)
{
	return vma->vm_mm != itn_sub_mm(&map->sub);
}

static void gntmap_vma_open(struct vm_area_struct *vma)
{
	struct gntmap_map *map = vma->vm_private_data;

	mutex_lock(&map->lock);
	if (gntmap_vma_foreign(map, vma))
		vm_flags_set(vma, VM_WIPEONFORK | VM_DONTCOPY);
	else
		map->vmas++;
	mutex_unlock(&map->lock);
	gntmap_map_get(map);
}

/*
 * The last VMA of a map unmaps what is left.  The mmap lock is held, but
 * munmap may have downgraded it to read before the close (6.1 and 6.12
 * do), so an invalidation of the range, the OOM reaper's for one, may
 * still be running: map->lock orders it against the unmap here.  The
 * subscription stays until the map's last reference (gntmap_map_put()),
 * as stock keeps its notifier until the map is freed: removing it here
 * made every munmap pay for the core's tree and registry (figure 2 of
 * docs/performance.md).  Until then an invalidation of the old range only
 * finds pages that are no longer MAPPED.
 */
static void gntmap_vma_close(struct vm_area_struct *vma)
{
	struct gntmap_map *map = vma->vm_private_data;
	bool last;

	mutex_lock(&map->lock);
	if (gntmap_vma_foreign(map, vma)) {
		mutex_unlock(&map->lock);
		gntmap_map_put(map);
		return;
	}
	last = !--map->vmas;
	if (last)
		gntmap_unmap_range(map, 0, map->count);
	mutex_unlock(&map->lock);

	gntmap_path_close(map);
	gntmap_map_put(map);
}

/*
 * One page fault of a map, as the steps of the core's itn_retry_run():
 * prepare maps the kernel half if an ended grant must come back (no
 * lock), commit records it and puts the user half back (map->lock, the
 * sequence checked), undo ends the kernel half again after a collision.
 */
struct gntmap_fault {
	struct itn_retry retry;
	struct gntmap_map *map;
	struct vm_area_struct *vma;
	unsigned long addr;
	unsigned int i;
	bool fresh;		/* prepare mapped the kernel half */
};

static int gntmap_fault_prepare(struct itn_retry *r)
{
	struct gntmap_fault *f = container_of(r, struct gntmap_fault, retry);
	struct gntmap_map *map = f->map;

	f->fresh = false;
	switch (READ_ONCE(map->state[f->i])) {
	case GNTMAP_MAPPED:
		return 0;
	case GNTMAP_UNMAPPED:
		if (READ_ONCE(map->failed))
			return -EIO;
		if (gntmap_map_kernel_page(map, f->i))
			return -EIO;
		f->fresh = true;
		return 0;
	default:
		/* Its unmap waits for a pin (docs/gntmap.md). */
		return -EIO;
	}
}

static int gntmap_fault_commit(struct itn_retry *r)
{
	struct gntmap_fault *f = container_of(r, struct gntmap_fault, retry);
	struct gntmap_map *map = f->map;

	if (f->fresh) {
		/* Only faults, which we keep out, leave UNMAPPED. */
		gntmap_commit_kernel_page(map, f->i);
		f->fresh = false;
	}
	if (map->state[f->i] != GNTMAP_MAPPED)
		return -EIO;
	return gntmap_path->map_user(map, f->vma, f->addr, f->i);
}

static void gntmap_fault_undo(struct itn_retry *r)
{
	struct gntmap_fault *f = container_of(r, struct gntmap_fault, retry);

	if (f->fresh)
		gntmap_unmap_kernel_page(f->map, f->i);
	f->fresh = false;
}

/*
 * An access to a page of the map that has no PTE: its user half went in
 * an invalidation that left the VMA in place.  Runs with the mmap lock
 * held for read (on 6.12 too: without map_pages the mm never calls us
 * under the VMA lock alone).  Lock order: mmap lock, map->fault_lock, the
 * core's read_begin (which may wait for a running invalidation; that
 * never waits for the fault lock), map->lock.
 */
static vm_fault_t gntmap_vma_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct gntmap_map *map = vma->vm_private_data;
	unsigned long addr = vmf->address & PAGE_MASK;
	struct gntmap_fault f = {
		.retry = {
			.sub = &map->sub,
			.driver_lock = &map->lock,
			.max_retries = 16,
			.prepare = gntmap_fault_prepare,
			.commit = gntmap_fault_commit,
			.undo = gntmap_fault_undo,
		},
		.map = map,
		.vma = vma,
		.addr = addr,
		.i = (addr - map->base) >> PAGE_SHIFT,
	};
	int err;

	/* A VMA of another mm (a fork) is not covered by our subscription. */
	if (gntmap_vma_foreign(map, vma) || addr < map->base ||
	    f.i >= map->count)
		return VM_FAULT_SIGBUS;

	mutex_lock(&map->fault_lock);
	err = itn_retry_run(&f.retry);
	mutex_unlock(&map->fault_lock);
	switch (err) {
	case 0:
	case -EINTR:	/* dying: the access is never made again */
	case -EBUSY:	/* invalidated all along: the access faults again */
		return VM_FAULT_NOPAGE;
	case -ENOMEM:
		return VM_FAULT_OOM;
	default:
		return VM_FAULT_SIGBUS;
	}
}

static int gntmap_vma_mremap(struct vm_area_struct *vma)
{
	return -EINVAL;
}

static int gntmap_vma_mprotect(struct vm_area_struct *vma,
			       unsigned long start, unsigned long end,
			       unsigned long newflags)
{
	const unsigned long prot = VM_READ | VM_WRITE | VM_EXEC;

	return (newflags & prot) == (vma->vm_flags & prot) ? 0 : -EINVAL;
}

/*
 * Lets get_user_pages() find the page behind a grant PTE (pte_special).
 * 7.x calls the hook find_normal_page; its contract is unchanged.
 */
static struct page *gntmap_vma_find_page(struct vm_area_struct *vma,
					 unsigned long addr)
{
	struct gntmap_map *map = vma->vm_private_data;

	return map->pages[(addr - map->base) >> PAGE_SHIFT];
}

static const struct vm_operations_struct gntmap_vm_ops = {
	.open = gntmap_vma_open,
	.close = gntmap_vma_close,
	.fault = gntmap_vma_fault,
	.mremap = gntmap_vma_mremap,
	.mprotect = gntmap_vma_mprotect,
#ifdef GNTMAP_HAVE_FIND_NORMAL_PAGE
	.find_normal_page = gntmap_vma_find_page,
#else
	.find_special_page = gntmap_vma_find_page,
#endif
};

static struct gntmap_map *gntmap_claim(struct gntmap_file *priv,
				       unsigned long index,
				       unsigned long count)
{
	struct gntmap_map *map;

	mutex_lock(&priv->lock);
	map = mtree_load(&priv->maps, index);
	if (!map || map->index != index || map->count != count ||
	    map->mmapped) {
		mutex_unlock(&priv->lock);
		return NULL;
	}
	map->mmapped = true;
	gntmap_map_get(map);
	mutex_unlock(&priv->lock);
	return map;
}

int gntmap_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct gntmap_file *priv = file->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;
	struct gntmap_map *map;
	int err;

	if ((vma->vm_flags & VM_WRITE) && !(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	map = gntmap_claim(priv, vma->vm_pgoff, vma_pages(vma));
	if (!map)
		return -EINVAL;

	mutex_lock(&map->lock);
	map->readonly = !(vma->vm_flags & VM_WRITE);
	if (map->readonly && (map->notify.flags & UNMAP_NOTIFY_CLEAR_BYTE)) {
		err = -EINVAL;
		goto unlock;
	}
	map->base = vma->vm_start;
	mutex_unlock(&map->lock);

	/*
	 * What may enter reclaim stays outside map->lock, which the
	 * invalidate callback takes: reclaim may invalidate (lockdep ties
	 * every such allocation to invalidate_range_start).  That is the
	 * mm's first subscription (the registry, the mmu_notifier) and the
	 * page tables of the range, allocated by the one walk in which the
	 * path also takes what it needs of each PTE.  Until the pages are
	 * mapped a callback has nothing to do, and the mmap write lock keeps
	 * munmap and the OOM reaper out.
	 */
	err = itn_sub_insert_locked(&map->sub, vma->vm_mm, vma->vm_start, len,
				    &gntmap_sub_ops);
	if (err) {
		gntmap_map_put(map);
		return err;
	}
	err = apply_to_page_range(vma->vm_mm, vma->vm_start, len,
				  gntmap_path->prepare_pte, map);
	mutex_lock(&map->lock);
	map->sub_live = true;
	if (!err)
		err = gntmap_path->mmap(map, vma);
	trace_gntmap_map(map->grants[0].domid, map->count, map->readonly, err);
	if (err) {
		gntmap_unmap_range(map, 0, map->count);
		mutex_unlock(&map->lock);
		itn_sub_remove(&map->sub);
		map->sub_live = false;
		gntmap_map_put(map);
		return err;
	}

	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY |
		     VM_MIXEDMAP);
	if (map->readonly)
		vm_flags_clear(vma, VM_MAYWRITE);
	vma->vm_ops = &gntmap_vm_ops;
	vma->vm_private_data = map;
	map->vmas = 1;
	gntmap_who_mmap(map);
unlock:
	mutex_unlock(&map->lock);
	if (err)
		gntmap_map_put(map);
	return err;
}

/* The map behind @vma if it is one of ours; mmap lock held. */
struct gntmap_map *gntmap_vma_map(struct vm_area_struct *vma)
{
	return vma->vm_ops == &gntmap_vm_ops ? vma->vm_private_data : NULL;
}
