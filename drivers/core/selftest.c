// SPDX-License-Identifier: GPL-2.0
/*
 * itn_selftest.ko: a test client of the core that lets a program watch its
 * own mm.  The program subscribes ranges through the misc device, changes
 * its address space (munmap, mremap, mprotect, madvise, fork, exit,
 * process_mrelease), then reads the log of every invalidate callback with
 * its range and event.  Built twice from this file: on itn_core.ko, and as
 * itn_selftest_kern.ko on the kernel back end, so that one test program
 * checks both.  ABI: itn_selftest.h.  Never loaded outside the tests.
 */
#include <linux/highmem.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include "itn.h"
#include "itn_selftest.h"

#define ST_FAULT_CHUNK	64

struct st_sub {
	struct itn_sub sub;
	struct mutex lock;	/* the client lock the callback takes */
	bool used;
	bool refuse_nonblock;
	u32 id;
};

struct st_file {
	struct mutex lock;	/* serialises the ioctls of one open */
	struct st_sub subs[ITN_ST_MAX_SUBS];
};

static DEFINE_SPINLOCK(st_log_lock);
static struct itn_st_call st_log[ITN_ST_LOG_MAX];
static unsigned int st_log_n, st_log_lost;

static DECLARE_WAIT_QUEUE_HEAD(st_block_wq);
static unsigned long st_unblock_gen;

static void st_record(struct st_sub *s, const struct mmu_notifier_range *r,
		      bool blockable, bool refused)
{
	struct itn_st_call *c;

	spin_lock(&st_log_lock);
	if (st_log_n == ITN_ST_LOG_MAX) {
		st_log_lost++;
	} else {
		c = &st_log[st_log_n++];
		c->start = r->start;
		c->end = r->end;
		c->id = s->id;
		c->event = r->event;
		c->blockable = blockable;
		c->refused = refused;
		c->pid = task_pid_nr(current);
		c->pad = 0;
	}
	spin_unlock(&st_log_lock);
}

static bool st_invalidate(struct itn_sub *isub,
			  const struct mmu_notifier_range *range,
			  unsigned long cur_seq)
{
	struct st_sub *s = container_of(isub, struct st_sub, sub);
	bool blockable = mmu_notifier_range_blockable(range);

	if (!blockable) {
		/* As a real client: trylock, or ask the mm to come back. */
		if (READ_ONCE(s->refuse_nonblock) || !mutex_trylock(&s->lock)) {
			st_record(s, range, blockable, true);
			return false;
		}
	} else {
		mutex_lock(&s->lock);
	}
	itn_set_seq(isub, cur_seq);
	st_record(s, range, blockable, false);
	mutex_unlock(&s->lock);
	return true;
}

static const struct itn_sub_ops st_ops = {
	.invalidate = st_invalidate,
};

static struct st_sub *st_find(struct st_file *f, u32 id)
{
	if (id >= ITN_ST_MAX_SUBS || !f->subs[id].used)
		return NULL;
	return &f->subs[id];
}

static long st_subscribe(struct st_file *f, void __user *arg)
{
	struct itn_st_sub req;
	struct st_sub *s = NULL;
	int i, ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (!current->mm)
		return -EINVAL;
	for (i = 0; i < ITN_ST_MAX_SUBS && !s; i++)
		if (!f->subs[i].used)
			s = &f->subs[i];
	if (!s)
		return -ENOSPC;
	s->id = s - f->subs;
	s->refuse_nonblock = req.refuse_nonblock;
	ret = itn_sub_insert(&s->sub, current->mm, req.start, req.len,
			     &st_ops);
	if (ret)
		return ret;
	s->used = true;
	req.id = s->id;
	if (copy_to_user(arg, &req, sizeof(req))) {
		itn_sub_remove(&s->sub);
		s->used = false;
		return -EFAULT;
	}
	return 0;
}

static long st_unsubscribe(struct st_file *f, void __user *arg)
{
	struct st_sub *s;
	u32 id;

	if (get_user(id, (u32 __user *)arg))
		return -EFAULT;
	s = st_find(f, id);
	if (!s)
		return -EINVAL;
	itn_sub_remove(&s->sub);
	s->used = false;
	return 0;
}

static long st_read_log(void __user *arg)
{
	struct itn_st_call *copy;
	struct itn_st_log req;
	unsigned int n;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (req.max > ITN_ST_LOG_MAX)
		return -EINVAL;
	copy = kcalloc(ITN_ST_LOG_MAX, sizeof(*copy), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	spin_lock(&st_log_lock);
	n = st_log_n;
	memcpy(copy, st_log, n * sizeof(*copy));
	req.lost = st_log_lost + (n > req.max ? n - req.max : 0);
	st_log_n = 0;
	st_log_lost = 0;
	spin_unlock(&st_log_lock);
	req.n = min(n, req.max);
	if (copy_to_user(u64_to_user_ptr(req.calls), copy,
			 req.n * sizeof(*copy)) ||
	    copy_to_user(arg, &req, sizeof(req))) {
		kfree(copy);
		return -EFAULT;
	}
	kfree(copy);
	return 0;
}

struct st_fault {
	struct itn_fault f;
	unsigned int pages;
	unsigned int mismatches;
};

/* Read each page through its pfn: the device's view of the mirror. */
static int st_commit(struct itn_fault *f, const struct itn_fault_chunk *chunk)
{
	struct st_fault *sf = container_of(f, struct st_fault, f);
	unsigned long addr, i;

	for (addr = chunk->start, i = 0; addr < chunk->end;
	     addr += PAGE_SIZE, i++) {
		unsigned long hpfn = chunk->hmm_pfns[i];
		u64 *p, v;

		if (!(hpfn & HMM_PFN_VALID))
			continue;
		p = kmap_local_page(hmm_pfn_to_page(hpfn));
		v = *p;
		kunmap_local(p);
		if (v != addr)
			sf->mismatches++;
		sf->pages++;
	}
	return 0;
}

static long st_fault(struct st_file *f, void __user *arg)
{
	struct itn_st_fault req;
	struct st_fault sf = { };
	struct st_sub *s;
	int ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	s = st_find(f, req.id);
	if (!s || itn_sub_mm(&s->sub) != current->mm)
		return -EINVAL;
	sf.f.hmm_pfns = kcalloc(ST_FAULT_CHUNK, sizeof(unsigned long),
				GFP_KERNEL);
	if (!sf.f.hmm_pfns)
		return -ENOMEM;
	sf.f.sub = &s->sub;
	sf.f.start = req.start;
	sf.f.end = req.end;
	sf.f.default_flags = HMM_PFN_REQ_FAULT |
			     (req.write ? HMM_PFN_REQ_WRITE : 0);
	sf.f.chunk_pages = ST_FAULT_CHUNK;
	sf.f.max_retries = 16;
	sf.f.driver_lock = &s->lock;
	sf.f.commit = st_commit;
	if (!mmget_not_zero(current->mm)) {
		kfree(sf.f.hmm_pfns);
		return -ESRCH;
	}
	ret = itn_range_fault(&sf.f);
	mmput(current->mm);
	kfree(sf.f.hmm_pfns);
	if (ret)
		return ret;
	req.pages = sf.pages;
	req.mismatches = sf.mismatches;
	req.retries = sf.f.retries;
	return copy_to_user(arg, &req, sizeof(req)) ? -EFAULT : 0;
}

static long st_set_refuse(struct st_file *f, void __user *arg)
{
	struct itn_st_refuse req;
	struct st_sub *s;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	s = st_find(f, req.id);
	if (!s)
		return -EINVAL;
	WRITE_ONCE(s->refuse_nonblock, !!req.refuse_nonblock);
	return 0;
}

/*
 * Hold the caller in TASK_UNINTERRUPTIBLE, so that a SIGKILL leaves it a
 * dying task whose mm is still there: what process_mrelease() and the OOM
 * reaper work on.  Bounded, so a lost UNBLOCK costs a minute, not a boot.
 */
static long st_block(void)
{
	unsigned long gen = READ_ONCE(st_unblock_gen);

	if (!wait_event_timeout(st_block_wq,
				READ_ONCE(st_unblock_gen) != gen, 60 * HZ))
		return -ETIMEDOUT;
	return 0;
}

static long st_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct st_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	char name[16] = { };
	long ret;

	switch (cmd) {
	case ITN_ST_BLOCK:
		return st_block();
	case ITN_ST_UNBLOCK:
		WRITE_ONCE(st_unblock_gen, st_unblock_gen + 1);
		wake_up_all(&st_block_wq);
		return 0;
	case ITN_ST_LOG:
		return st_read_log(uarg);
	case ITN_ST_BACKEND:
		strscpy(name, itn_backend_name(), sizeof(name));
		return copy_to_user(uarg, name, sizeof(name)) ? -EFAULT : 0;
	}

	mutex_lock(&f->lock);
	switch (cmd) {
	case ITN_ST_SUBSCRIBE:
		ret = st_subscribe(f, uarg);
		break;
	case ITN_ST_UNSUBSCRIBE:
		ret = st_unsubscribe(f, uarg);
		break;
	case ITN_ST_FAULT:
		ret = st_fault(f, uarg);
		break;
	case ITN_ST_SET_REFUSE:
		ret = st_set_refuse(f, uarg);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&f->lock);
	return ret;
}

static int st_open(struct inode *inode, struct file *file)
{
	struct st_file *f = kzalloc(sizeof(*f), GFP_KERNEL);
	int i;

	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	for (i = 0; i < ITN_ST_MAX_SUBS; i++)
		mutex_init(&f->subs[i].lock);
	file->private_data = f;
	return 0;
}

/* Also after the mm is gone (exit): the subs stay safe to remove. */
static int st_release(struct inode *inode, struct file *file)
{
	struct st_file *f = file->private_data;
	int i;

	for (i = 0; i < ITN_ST_MAX_SUBS; i++)
		if (f->subs[i].used)
			itn_sub_remove(&f->subs[i].sub);
	kfree(f);
	return 0;
}

static const struct file_operations st_fops = {
	.owner = THIS_MODULE,
	.open = st_open,
	.release = st_release,
	.unlocked_ioctl = st_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice st_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KBUILD_MODNAME,
	.fops = &st_fops,
	.mode = 0600,
};

static int __init st_init(void)
{
	return misc_register(&st_dev);
}

static void __exit st_exit(void)
{
	misc_deregister(&st_dev);
	itn_synchronize();
}

module_init(st_init);
module_exit(st_exit);
MODULE_DESCRIPTION("Self-test client of the itn core (tests only)");
MODULE_LICENSE("GPL");
