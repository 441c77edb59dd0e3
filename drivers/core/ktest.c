// SPDX-License-Identifier: GPL-2.0
/*
 * itn_ktest.ko: in-kernel KTAP self-test of the core, run at load time on
 * the mm of the process that loads it (insmod, under run-ktap).  It maps
 * anonymous memory into that mm with vm_mmap(), subscribes it, faults it
 * with itn_range_fault(), unmaps part of it with vm_munmap(), and checks
 * the callbacks and the sequence.  Built twice, like selftest.c:
 * itn_ktest_kern.ko runs the same cases on the kernel back end.  The
 * module stays loaded until run-ktap removes it; it holds nothing.
 */
#include <linux/highmem.h>
#include <linux/mman.h>
#include <linux/module.h>
#include "itn.h"

#define KT_PAGES	8
#ifdef ITN_BACKEND_KERNEL
#define KT_BACKEND	"kernel"
#else
#define KT_BACKEND	"itn"
#endif

struct kt_client {
	struct itn_sub sub;
	struct mutex lock;
	unsigned int calls;
	unsigned long start, end;
	enum mmu_notifier_event event;
	bool blockable;
	unsigned int committed;
};

static unsigned int kt_n, kt_failed;

static void kt_result(bool ok, const char *name)
{
	pr_info("%sok %u - %s\n", ok ? "" : "not ", ++kt_n, name);
	if (!ok)
		kt_failed++;
}

static bool kt_invalidate(struct itn_sub *sub,
			  const struct mmu_notifier_range *range,
			  unsigned long cur_seq)
{
	struct kt_client *c = container_of(sub, struct kt_client, sub);

	if (!mmu_notifier_range_blockable(range)) {
		if (!mutex_trylock(&c->lock))
			return false;
	} else {
		mutex_lock(&c->lock);
	}
	itn_set_seq(sub, cur_seq);
	c->calls++;
	c->start = range->start;
	c->end = range->end;
	c->event = range->event;
	c->blockable = mmu_notifier_range_blockable(range);
	mutex_unlock(&c->lock);
	return true;
}

static const struct itn_sub_ops kt_ops = { .invalidate = kt_invalidate };

static int kt_commit(struct itn_fault *f, const struct itn_fault_chunk *chunk)
{
	struct kt_client *c = f->private;
	unsigned long i, n = (chunk->end - chunk->start) >> PAGE_SHIFT;

	lockdep_assert_held(&c->lock);
	for (i = 0; i < n; i++)
		if (chunk->hmm_pfns[i] & HMM_PFN_VALID)
			c->committed++;
	return 0;
}

static void kt_bad_arguments(struct mm_struct *mm)
{
	struct kt_client c = { };
	static const struct itn_sub_ops none;

	kt_result(itn_sub_insert(&c.sub, mm, PAGE_SIZE, 0, &kt_ops) ==
		  -EINVAL, "insert of an empty range is EINVAL");
	kt_result(itn_sub_insert(&c.sub, mm, -PAGE_SIZE, 2 * PAGE_SIZE,
				 &kt_ops) == -EINVAL,
		  "insert of a wrapping range is EINVAL");
	kt_result(itn_sub_insert(&c.sub, mm, PAGE_SIZE, PAGE_SIZE, &none) ==
		  -EINVAL, "insert without a callback is EINVAL");
	kt_result(itn_sub_insert(&c.sub, NULL, PAGE_SIZE, PAGE_SIZE,
				 &kt_ops) == -EINVAL,
		  "insert without an mm is EINVAL");
}

static void kt_on_own_mm(struct mm_struct *mm)
{
	unsigned long len = KT_PAGES * PAGE_SIZE, addr, seq;
	struct kt_client c = { };
	unsigned long pfns[KT_PAGES];
	struct itn_fault f = {
		.sub = &c.sub,
		.default_flags = HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE,
		.hmm_pfns = pfns,
		.chunk_pages = 3,
		.max_retries = 8,
		.driver_lock = &c.lock,
		.commit = kt_commit,
		.private = &c,
	};
	bool retry;
	int ret;

	mutex_init(&c.lock);
	addr = vm_mmap(NULL, 0, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr)) {
		kt_result(false, "vm_mmap of the test range");
		return;
	}
	ret = itn_sub_insert(&c.sub, mm, addr, len, &kt_ops);
	kt_result(!ret, "insert on the loading process's mm");
	if (ret)
		goto out_unmap;
	kt_result(itn_sub_start(&c.sub) == addr &&
		  itn_sub_last(&c.sub) == addr + len - 1,
		  "start and last of the subscription");

	f.start = addr;
	f.end = addr + len;
	ret = itn_range_fault(&f);
	kt_result(!ret && c.committed == KT_PAGES,
		  "range fault commits every page, in chunks");
	kt_result(c.calls == 0, "faulting calls no callback");

	seq = itn_read_begin(&c.sub);
	vm_munmap(addr + 2 * PAGE_SIZE, PAGE_SIZE);
	kt_result(c.calls == 1 && c.start == addr + 2 * PAGE_SIZE &&
		  c.end == addr + 3 * PAGE_SIZE && c.event == MMU_NOTIFY_UNMAP &&
		  c.blockable, "munmap of one page: one blockable UNMAP of it");
	mutex_lock(&c.lock);
	retry = itn_read_retry(&c.sub, seq);
	mutex_unlock(&c.lock);
	kt_result(retry && itn_check_retry(&c.sub, seq),
		  "a reader from before the munmap must retry");

	f.start = addr + 2 * PAGE_SIZE;
	f.end = addr + 3 * PAGE_SIZE;
	kt_result(itn_range_fault(&f) == -EFAULT,
		  "range fault of the hole is EFAULT");

	itn_sub_remove(&c.sub);
	vm_munmap(addr, len);
	kt_result(c.calls == 1, "no callback after remove");
	return;

out_unmap:
	vm_munmap(addr, len);
}

static void kt_insert_locked(struct mm_struct *mm)
{
	struct kt_client c = { };
	int ret;

	mutex_init(&c.lock);
	mmap_write_lock(mm);
	ret = itn_sub_insert_locked(&c.sub, mm, PAGE_SIZE, PAGE_SIZE, &kt_ops);
	mmap_write_unlock(mm);
	kt_result(!ret, "insert_locked under the mmap write lock");
	if (!ret)
		itn_sub_remove(&c.sub);
}

static int __init kt_init(void)
{
	struct mm_struct *mm = current->mm;

	pr_info("KTAP version 1\n");
	pr_info("1..14\n");
	kt_result(!strcmp(itn_backend_name(), KT_BACKEND), "back end name");
	if (!mm) {
		pr_info("# no mm: loaded from a kernel thread\n");
		return -EINVAL;
	}
	kt_bad_arguments(mm);
	kt_on_own_mm(mm);
	kt_insert_locked(mm);
	pr_info("# %s: %u of %u passed\n", KBUILD_MODNAME, kt_n - kt_failed,
		kt_n);
	return 0;
}

static void __exit kt_exit(void)
{
	itn_synchronize();
}

module_init(kt_init);
module_exit(kt_exit);
MODULE_DESCRIPTION("KTAP self-test of the itn core (tests only)");
MODULE_LICENSE("GPL");
