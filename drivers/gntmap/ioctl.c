// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI of include/uapi/xen/gntdev.h.  Arguments are copied in
 * once, at the boundary, and checked before anything is allocated.  The
 * errno of every refusal is listed in docs/gntmap.md.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "gntmap.h"
#include "gntmap_trace.h"

/*
 * Highest page index a map may end at: its byte offset must fit in the
 * u64 offset of the ABI and its pages in mmap's vm_pgoff.
 */
#define GNTMAP_INDEX_MAX	(ULONG_MAX >> PAGE_SHIFT)

/*
 * Put @add at the lowest free range of the file's index space that fits
 * it (first fit, as the offsets have always been given out).  The tree
 * tracks its gaps (MT_FLAGS_ALLOC_RANGE), so the search is O(log n).
 * mtree_alloc_range() is not used: on 6.1 it mishandles an empty tree.
 */
static int gntmap_add_map(struct gntmap_file *priv, struct gntmap_map *add)
{
	MA_STATE(mas, &priv->maps, 0, 0);
	int err;

	lockdep_assert_held(&priv->lock);
	if (add->count > priv->max_grants - priv->reserved ||
	    priv->reserved > priv->max_grants)
		return -ENOSPC;

	mtree_lock(&priv->maps);
	err = mas_empty_area(&mas, 0, GNTMAP_INDEX_MAX, add->count);
	mtree_unlock(&priv->maps);
	if (err)
		return -ENOSPC;

	/* priv->lock keeps the range free between the search and here. */
	add->index = mas.index;
	err = mtree_store_range(&priv->maps, add->index,
				add->index + add->count - 1, add, GFP_KERNEL);
	if (err)
		return err;
	priv->reserved += add->count;
	return 0;
}

/* Take @map out of the tree; priv->lock held. */
static void gntmap_del_map(struct gntmap_file *priv, struct gntmap_map *map)
{
	lockdep_assert_held(&priv->lock);
	mtree_erase(&priv->maps, map->index);
	priv->reserved -= map->count;
}

static long gntmap_ioctl_map(struct gntmap_file *priv,
			     struct ioctl_gntdev_map_grant_ref __user *u)
{
	struct ioctl_gntdev_map_grant_ref op;
	struct gntmap_map *map;
	int err;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;
	if (!op.count || op.count > gntmap_limit)
		return -EINVAL;

	map = gntmap_map_alloc(op.count);
	if (!map)
		return -ENOMEM;
	if (copy_from_user(map->grants, u->refs,
			   sizeof(map->grants[0]) * op.count)) {
		gntmap_map_put(map);
		return -EFAULT;
	}
	gntmap_who_add(map, priv);
	err = gntmap_path->check_grants(map);
	if (err) {
		gntmap_map_put(map);
		return err;
	}

	mutex_lock(&priv->lock);
	err = gntmap_add_map(priv, map);
	if (err) {
		mutex_unlock(&priv->lock);
		gntmap_map_put(map);
		return err;
	}
	op.index = (u64)map->index << PAGE_SHIFT;
	/*
	 * Not under priv->lock: the copy may fault and take the mmap lock,
	 * under which mmap takes priv->lock.  Our own reference keeps the
	 * map while another thread may already mmap or unmap it.
	 */
	gntmap_map_get(map);
	mutex_unlock(&priv->lock);
	err = 0;
	if (copy_to_user(u, &op, sizeof(op))) {
		err = -EFAULT;
		mutex_lock(&priv->lock);
		if (mtree_load(&priv->maps, map->index) == map) {
			gntmap_del_map(priv, map);
			gntmap_map_put(map);
		}
		mutex_unlock(&priv->lock);
	}
	gntmap_map_put(map);
	return err;
}

static long gntmap_ioctl_unmap(struct gntmap_file *priv,
			       struct ioctl_gntdev_unmap_grant_ref __user *u)
{
	struct ioctl_gntdev_unmap_grant_ref op;
	struct gntmap_map *map;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;
	if (op.index & ~PAGE_MASK)
		return -EINVAL;

	mutex_lock(&priv->lock);
	map = mtree_load(&priv->maps, op.index >> PAGE_SHIFT);
	if (!map || map->index != op.index >> PAGE_SHIFT ||
	    map->count != op.count) {
		mutex_unlock(&priv->lock);
		return -ENOENT;
	}
	gntmap_del_map(priv, map);
	mutex_unlock(&priv->lock);
	/* Still mmapped: the VMA keeps it until munmap. */
	gntmap_map_put(map);
	return 0;
}

static long gntmap_ioctl_get_offset(struct gntmap_file *priv,
			struct ioctl_gntdev_get_offset_for_vaddr __user *u)
{
	struct ioctl_gntdev_get_offset_for_vaddr op;
	struct vm_area_struct *vma;
	struct gntmap_map *map;
	long err = -EINVAL;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;

	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, op.vaddr);
	map = vma ? gntmap_vma_map(vma) : NULL;
	if (map) {
		op.offset = (u64)map->index << PAGE_SHIFT;
		op.count = map->count;
		err = 0;
	}
	mmap_read_unlock(current->mm);

	if (!err && copy_to_user(u, &op, sizeof(op)))
		err = -EFAULT;
	return err;
}

static long gntmap_ioctl_max_grants(struct gntmap_file *priv,
			struct ioctl_gntdev_set_max_grants __user *u)
{
	struct ioctl_gntdev_set_max_grants op;

	/*
	 * Off by default: stock gntdev has no handler (ENOTTY), which
	 * libxengnttab swallows, so the counts real callers pass were never
	 * enforced and some are too small (docs/gntmap.md).
	 */
	if (!READ_ONCE(gntmap_enforce_max_grants))
		return -ENOTTY;
	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;
	mutex_lock(&priv->lock);
	priv->max_grants = op.count;
	mutex_unlock(&priv->lock);
	return 0;
}

static long gntmap_ioctl_notify(struct gntmap_file *priv,
				struct ioctl_gntdev_unmap_notify __user *u)
{
	struct ioctl_gntdev_unmap_notify op;
	struct gntmap_map *map, *found = NULL;
	u32 addr = 0;
	long err;

	if (copy_from_user(&op, u, sizeof(op)))
		return -EFAULT;

	mutex_lock(&priv->lock);
	map = mtree_load(&priv->maps, op.index >> PAGE_SHIFT);
	if (map) {
		found = map;
		addr = op.index - ((u64)map->index << PAGE_SHIFT);
		gntmap_map_get(found);
	}
	mutex_unlock(&priv->lock);
	if (!found)
		return -ENOENT;

	err = gntmap_set_notify(found, op.action, addr, op.event_channel_port);
	gntmap_map_put(found);
	return err;
}

long gntmap_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct gntmap_file *priv = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	switch (cmd) {
	case IOCTL_GNTDEV_MAP_GRANT_REF:
		return gntmap_ioctl_map(priv, uarg);
	case IOCTL_GNTDEV_UNMAP_GRANT_REF:
		return gntmap_ioctl_unmap(priv, uarg);
	case IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR:
		return gntmap_ioctl_get_offset(priv, uarg);
	case IOCTL_GNTDEV_SET_MAX_GRANTS:
		return gntmap_ioctl_max_grants(priv, uarg);
	case IOCTL_GNTDEV_SET_UNMAP_NOTIFY:
		return gntmap_ioctl_notify(priv, uarg);
	case IOCTL_GNTDEV_GRANT_COPY:
		ret = gntmap_grant_copy(priv, uarg);
		if (trace_gntmap_grant_copy_enabled())
			gntmap_trace_copy(uarg, ret);
		return ret;
	default:
		/*
		 * The four DMABUF ioctls end here too: stock gntdev built
		 * without CONFIG_XEN_GNTDEV_DMABUF, as Debian's is, does not
		 * know them either.
		 */
		return -ENOTTY;
	}
}
