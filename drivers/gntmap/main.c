// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap: map other domains' grants into dom0 processes, with the ioctl
 * ABI of xen-gntdev, on the shared interval-tree notifier core.
 *
 * On a PV dom0 the grants are mapped straight into the user's page table
 * (GNTMAP_contains_pte), which is what the core subscription protects; on
 * an auto-translated one (PVH) they are mapped into our own pages, which
 * are inserted into the VMA (map_hvm.c).
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <xen/xen.h>

#include "gntmap.h"

unsigned int gntmap_limit = 64 * 1024;
module_param_named(limit, gntmap_limit, uint, 0644);
MODULE_PARM_DESC(limit, "Most grants one MAP_GRANT_REF may ask for");

bool gntmap_enforce_max_grants;
module_param_named(enforce_max_grants, gntmap_enforce_max_grants, bool, 0644);
MODULE_PARM_DESC(enforce_max_grants,
		 "Honour SET_MAX_GRANTS (ENOSPC beyond it); off: ENOTTY, as stock");

static bool gntmap_dropin;
module_param_named(dropin, gntmap_dropin, bool, 0444);
MODULE_PARM_DESC(dropin,
		 "Register as xen/gntdev, replacing xen-gntdev (not loaded)");

static int gntmap_open(struct inode *inode, struct file *file)
{
	struct gntmap_file *priv;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	mutex_init(&priv->lock);
	spin_lock_init(&priv->copy_lock);
	mt_init_flags(&priv->maps, MT_FLAGS_ALLOC_RANGE);
	priv->max_grants = ULONG_MAX;
	file->private_data = priv;
	gntmap_who_open(priv);
	return 0;
}

/*
 * Every VMA holds the file, so no map is mmapped any more: dropping the
 * tree's references frees them (or leaves them to their pending unmaps).
 * No one else can reach the tree now, so it is walked without priv->lock.
 */
static int gntmap_release(struct inode *inode, struct file *file)
{
	struct gntmap_file *priv = file->private_data;
	struct gntmap_map *map;
	unsigned long index = 0;

	gntmap_who_release(priv);
	mt_for_each(&priv->maps, map, index, ULONG_MAX)
		gntmap_map_put(map);
	mtree_destroy(&priv->maps);
	gntmap_copy_free_batches(priv);
	kfree(priv);
	return 0;
}

static const struct file_operations gntmap_fops = {
	.owner = THIS_MODULE,
	.open = gntmap_open,
	.release = gntmap_release,
	.unlocked_ioctl = gntmap_ioctl,
	.mmap = gntmap_mmap,
};

static struct miscdevice gntmap_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.fops = &gntmap_fops,
	.groups = gntmap_attr_groups,
};

static int __init gntmap_init(void)
{
	int err;

	if (!xen_domain())
		return -ENODEV;
	gntmap_path_init();

	gntmap_miscdev.name = gntmap_dropin ? "xen/gntdev" : "xen/" GNTMAP_NAME;
	err = misc_register(&gntmap_miscdev);
	if (!err)
		gntmap_who_init();
	return err;
}

static void __exit gntmap_exit(void)
{
	gntmap_who_exit();
	misc_deregister(&gntmap_miscdev);
	gntmap_drain();
	itn_synchronize();
}

module_init(gntmap_init);
module_exit(gntmap_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Grant mapping driver on the itn notifier core");
