// SPDX-License-Identifier: GPL-2.0
/*
 * dmirror: misc devices hmm_dmirror0 and hmm_dmirror1, each open a mirror
 * of the opener's address space.  The ABI is Linux 6.1's
 * lib/test_hmm_uapi.h for the mirroring ioctls; this file only checks the
 * arguments and dispatches to mirror.c and copy.c.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dmirror.h"

/*
 * Two units, as the selftest's hmm2 fixture needs.  The selftest takes
 * units 2 and 3 for DEVICE_COHERENT memory, which this mirror does not
 * have; their absence is what makes those variants skip.
 */
#define DMIRROR_NDEVICES	2

unsigned int dmirror_max_retries = 128;
module_param_named(max_retries, dmirror_max_retries, uint, 0644);
MODULE_PARM_DESC(max_retries,
		 "Retries of one fault chunk that races invalidations before -EBUSY");

static int dmirror_open(struct inode *inode, struct file *file)
{
	struct dmirror *dm;
	int ret;

	/* A kernel thread has no address space to mirror. */
	if (!current->mm)
		return -EINVAL;
	dm = kzalloc(sizeof(*dm), GFP_KERNEL);
	if (!dm)
		return -ENOMEM;
	ret = dmirror_mirror_init(dm, current->mm);
	if (ret) {
		kfree(dm);
		return ret;
	}
	file->private_data = dm;
	return 0;
}

static int dmirror_release(struct inode *inode, struct file *file)
{
	struct dmirror *dm = file->private_data;

	dmirror_mirror_fini(dm);
	kfree(dm);
	return 0;
}

/* Range checks shared by READ, WRITE and SNAPSHOT. */
static int dmirror_check_cmd(const struct hmm_dmirror_cmd *cmd)
{
	u64 size;

	if (!PAGE_ALIGNED(cmd->addr))
		return -EINVAL;
	if (cmd->npages > (TASK_SIZE >> PAGE_SHIFT))
		return -EINVAL;
	size = cmd->npages << PAGE_SHIFT;
	if (cmd->addr > TASK_SIZE || size > TASK_SIZE - cmd->addr)
		return -EINVAL;
	return 0;
}

static long dmirror_cmd(struct dmirror *dm, unsigned int op,
			struct hmm_dmirror_cmd *cmd)
{
	int ret;

	ret = dmirror_check_cmd(cmd);
	if (ret)
		return ret;
	cmd->cpages = 0;
	cmd->faults = 0;

	/* The core needs the address space alive for hmm_range_fault(). */
	if (!mmget_not_zero(dm->mm))
		return -ESRCH;
	switch (op) {
	case HMM_DMIRROR_READ:
		ret = dmirror_read(dm, cmd);
		break;
	case HMM_DMIRROR_WRITE:
		ret = dmirror_write(dm, cmd);
		break;
	default:
		ret = dmirror_snapshot(dm, cmd);
		break;
	}
	mmput(dm->mm);
	return ret;
}

static long dmirror_ioctl(struct file *file, unsigned int op,
			  unsigned long arg)
{
	struct dmirror *dm = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct hmm_dmirror_cmd cmd;
	struct dmirror_inval_log log;
	struct dmirror_stats stats;
	long ret;

	switch (op) {
	case HMM_DMIRROR_READ:
	case HMM_DMIRROR_WRITE:
	case HMM_DMIRROR_SNAPSHOT:
		break;
	case HMM_DMIRROR_MIGRATE_TO_DEV:
	case HMM_DMIRROR_MIGRATE_TO_SYS:
	case HMM_DMIRROR_EXCLUSIVE:
	case HMM_DMIRROR_CHECK_EXCLUSIVE:
	case HMM_DMIRROR_RELEASE:
		/*
		 * These need device private memory (CONFIG_DEVICE_PRIVATE)
		 * or exclusive access entries; the mirror has neither.
		 */
		return -EOPNOTSUPP;
	case DMIRROR_INVAL_LOG:
		if (copy_from_user(&log, uarg, sizeof(log)))
			return -EFAULT;
		ret = dmirror_inval_log(dm, &log);
		if (!ret && copy_to_user(uarg, &log, sizeof(log)))
			ret = -EFAULT;
		return ret;
	case DMIRROR_STATS:
		dmirror_get_stats(dm, &stats);
		return copy_to_user(uarg, &stats, sizeof(stats)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}

	/* The mirror is of the opener's mm; the data moves in the caller's. */
	if (current->mm != dm->mm)
		return -EPERM;
	if (copy_from_user(&cmd, uarg, sizeof(cmd)))
		return -EFAULT;
	ret = dmirror_cmd(dm, op, &cmd);
	if (ret)
		return ret;
	if (copy_to_user(uarg, &cmd, sizeof(cmd)))
		return -EFAULT;
	return 0;
}

/* A device mapping is plain zeroed memory, inserted page by page. */
static int dmirror_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long addr;
	int ret;

	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		struct page *page;

		/* A big mapping can take a while: let a kill end it. */
		if (fatal_signal_pending(current))
			return -EINTR;
		/* Charged to the caller: it can ask for a lot of memory. */
		page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
		ret = vm_insert_page(vma, addr, page);
		/* The mapping holds its own reference now, or failed. */
		put_page(page);
		if (ret)
			return ret;
	}
	return 0;
}

static const struct file_operations dmirror_fops = {
	.owner = THIS_MODULE,
	.open = dmirror_open,
	.release = dmirror_release,
	.unlocked_ioctl = dmirror_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = dmirror_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice dmirror_misc[DMIRROR_NDEVICES] = {
	{ MISC_DYNAMIC_MINOR, "hmm_dmirror0", &dmirror_fops },
	{ MISC_DYNAMIC_MINOR, "hmm_dmirror1", &dmirror_fops },
};

static int __init dmirror_init(void)
{
	int i, ret;

	for (i = 0; i < DMIRROR_NDEVICES; i++) {
		ret = misc_register(&dmirror_misc[i]);
		if (ret)
			goto fail;
	}
	pr_info("dmirror: %d devices on the %s notifier core\n",
		DMIRROR_NDEVICES, itn_backend_name());
	return 0;
fail:
	while (i--)
		misc_deregister(&dmirror_misc[i]);
	return ret;
}

static void __exit dmirror_exit(void)
{
	int i;

	for (i = 0; i < DMIRROR_NDEVICES; i++)
		misc_deregister(&dmirror_misc[i]);
	/* Every file is closed, so every sub removed; drain the core. */
	itn_synchronize();
}

module_init(dmirror_init);
module_exit(dmirror_exit);
MODULE_DESCRIPTION("HMM device mirror on the itn notifier core");
MODULE_LICENSE("GPL");
