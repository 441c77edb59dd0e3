// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of a map, and what each later change of the VMA does to it.  The
 * choices, and why, are in docs/gntmap.md ("VMA behaviours"):
 *
 *  - split (partial munmap, MAP_FIXED over part, mremap shrink): allowed;
 *    the invalidation unmaps the grants of the part that goes, the rest
 *    stays mapped.  Every piece holds a reference on the map.
 *  - mremap grow: refused by VM_DONTEXPAND.  mremap move: refused; the
 *    kernel has already invalidated the old range when it asks us, so
 *    those grants are gone, but nothing leaks and no PTE moves.
 *  - mprotect: refused unless nothing changes, because Xen owns the PTEs;
 *    write on a read-only map fails earlier (VM_MAYWRITE is clear).
 *  - fork: VM_DONTCOPY, the child has no mapping.
 */
#include <linux/mm.h>

#include "gntmap.h"

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

static void gntmap_vma_open(struct vm_area_struct *vma)
{
	struct gntmap_map *map = vma->vm_private_data;

	mutex_lock(&map->lock);
	map->vmas++;
	mutex_unlock(&map->lock);
	gntmap_map_get(map);
}

/*
 * The last VMA of a map unmaps what is left and unsubscribes.  The mmap
 * lock is held, but munmap may have downgraded it to read before the
 * close (6.1 and 6.12 do), so an invalidation of the range, the OOM
 * reaper's for one, may still be running: map->lock orders it against the
 * unmap here, and itn_sub_remove() waits for it to finish.
 */
static void gntmap_vma_close(struct vm_area_struct *vma)
{
	struct gntmap_map *map = vma->vm_private_data;
	bool last;

	mutex_lock(&map->lock);
	last = !--map->vmas;
	if (last)
		gntmap_unmap_range(map, 0, map->count);
	mutex_unlock(&map->lock);

	if (last && map->sub_live) {
		itn_sub_remove(&map->sub);
		map->sub_live = false;
	}
	gntmap_path->close(map);
	gntmap_map_put(map);
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
	err = itn_sub_insert_locked(&map->sub, vma->vm_mm, vma->vm_start, len,
				    &gntmap_sub_ops);
	if (err)
		goto unlock;
	map->sub_live = true;

	err = gntmap_path->mmap(map, vma);
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
