// SPDX-License-Identifier: GPL-2.0
/*
 * The device page table of dmirror and its two writers: the fault commit,
 * which fills it from hmm_range_fault() output, and the invalidate
 * callback, which empties exactly the range the mm is about to change.
 * Both run under dm->lock; the core's sequence tells the commit whether an
 * invalidation slipped in between the fault and the lock.
 */
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dmirror.h"

static u32 dmirror_event(enum mmu_notifier_event event)
{
	switch (event) {
	case MMU_NOTIFY_UNMAP:
		return DMIRROR_EVENT_UNMAP;
	case MMU_NOTIFY_CLEAR:
		return DMIRROR_EVENT_CLEAR;
	case MMU_NOTIFY_PROTECTION_VMA:
		return DMIRROR_EVENT_PROTECTION_VMA;
	case MMU_NOTIFY_PROTECTION_PAGE:
		return DMIRROR_EVENT_PROTECTION_PAGE;
	case MMU_NOTIFY_SOFT_DIRTY:
		return DMIRROR_EVENT_SOFT_DIRTY;
	case MMU_NOTIFY_RELEASE:
		return DMIRROR_EVENT_RELEASE;
	case MMU_NOTIFY_MIGRATE:
		return DMIRROR_EVENT_MIGRATE;
	case MMU_NOTIFY_EXCLUSIVE:
		return DMIRROR_EVENT_EXCLUSIVE;
	}
	return DMIRROR_EVENT_OTHER;
}

static void dmirror_log(struct dmirror *dm,
			const struct mmu_notifier_range *range,
			u32 flags, u64 dropped)
{
	struct dmirror_inval *e;

	lockdep_assert_held(&dm->lock);
	if (dm->log_len == DMIRROR_LOG_SIZE) {
		dm->log_head = (dm->log_head + 1) % DMIRROR_LOG_SIZE;
		dm->log_len--;
		dm->log_lost++;
	}
	e = &dm->log[(dm->log_head + dm->log_len) % DMIRROR_LOG_SIZE];
	e->start = range->start;
	e->end = range->end;
	e->event = dmirror_event(range->event);
	e->flags = flags;
	e->dropped = dropped;
	dm->log_len++;
}

static bool dmirror_invalidate(struct itn_sub *sub,
			       const struct mmu_notifier_range *range,
			       unsigned long cur_seq)
{
	struct dmirror *dm = container_of(sub, struct dmirror, sub);
	bool blockable = mmu_notifier_range_blockable(range);
	unsigned long first, last, index;
	u64 dropped = 0;
	void *entry;

	if (blockable) {
		mutex_lock(&dm->lock);
	} else if (!mutex_trylock(&dm->lock)) {
		/* Nothing to log into without the lock; the mm retries. */
		atomic64_inc(&dm->refusals);
		return false;
	}
	dm->invalidations++;

	itn_set_seq(sub, cur_seq);

	/* Only the overlap: the subscription may not cover all of it. */
	first = max(range->start, itn_sub_start(sub)) >> PAGE_SHIFT;
	last = (min(range->end - 1, itn_sub_last(sub))) >> PAGE_SHIFT;
	xa_for_each_range(&dm->pt, index, entry, first, last) {
		xa_erase(&dm->pt, index);
		dropped++;
	}

	dmirror_log(dm, range, blockable ? DMIRROR_INVAL_BLOCKABLE : 0,
		    dropped);
	mutex_unlock(&dm->lock);
	return true;
}

static const struct itn_sub_ops dmirror_sub_ops = {
	.invalidate = dmirror_invalidate,
};

/*
 * hmm_range_fault() may hand back a PFN that has no business being
 * mirrored.  On a Xen PV dom0 a grant mapping of a foreign frame is the
 * known case: the PTE holds the other domain's machine frame, the m2p
 * translation of it fails, and pte_pfn() reads as PFN 0 while the entry is
 * still marked valid.  Copying through that would read or write whatever
 * dom0 keeps at the bogus frame.  Accept only PFNs with a memmap, and of
 * the reserved pages (firmware, kernel image, PFN 0) only the zero page,
 * which every private mapping may legitimately point at.
 */
bool dmirror_hmm_pfn_ok(unsigned long hmm_pfn)
{
	unsigned long pfn = hmm_pfn & ~HMM_PFN_FLAGS;
	struct page *page;

	if (!(hmm_pfn & HMM_PFN_VALID) || (hmm_pfn & HMM_PFN_ERROR))
		return false;
	if (!pfn_valid(pfn))
		return false;
	if (is_zero_pfn(pfn))
		return true;
	page = pfn_to_page(pfn);
	return !PageReserved(page) && !is_zone_device_page(page);
}

static int dmirror_commit(struct itn_fault *fault,
			  const struct itn_fault_chunk *chunk)
{
	struct dmirror *dm = fault->private;
	unsigned long addr, i;

	lockdep_assert_held(&dm->lock);
	for (addr = chunk->start, i = 0; addr < chunk->end;
	     addr += PAGE_SIZE, i++) {
		unsigned long hmm_pfn = chunk->hmm_pfns[i];
		void *entry, *old;

		if (!dmirror_hmm_pfn_ok(hmm_pfn)) {
			dm->refused_pfns++;
			return -EFAULT;
		}
		entry = hmm_pfn_to_page(hmm_pfn);
		if (hmm_pfn & HMM_PFN_WRITE)
			entry = xa_tag_pointer(entry, DMIRROR_PT_WRITE);
		/*
		 * Atomic: reclaim entered from here could call our own
		 * invalidate callback, which waits for dm->lock.
		 */
		old = xa_store(&dm->pt, addr >> PAGE_SHIFT, entry, GFP_ATOMIC);
		if (xa_is_err(old))
			return xa_err(old);
	}
	return 0;
}

/*
 * itn_range_fault() over [start, end) of the mirrored mm, in chunks of
 * DMIRROR_CHUNK_PAGES: @flags are the HMM_PFN_REQ_* to ask for, @commit
 * gets each chunk under dm->lock with fault->private = @priv.  The caller
 * holds an mmget() reference and no lock.
 */
int dmirror_range_fault(struct dmirror *dm, unsigned long start,
			unsigned long end, unsigned long flags,
			int (*commit)(struct itn_fault *fault,
				      const struct itn_fault_chunk *chunk),
			void *priv)
{
	unsigned long pfns[DMIRROR_CHUNK_PAGES];
	struct itn_fault fault = {
		.sub = &dm->sub,
		.start = start,
		.end = end,
		.default_flags = flags,
		.pfn_flags_mask = 0,
		.dev_private_owner = dm,
		.hmm_pfns = pfns,
		.chunk_pages = ARRAY_SIZE(pfns),
		.max_retries = dmirror_max_retries,
		.driver_lock = &dm->lock,
		.commit = commit,
		.private = priv,
	};

	return itn_range_fault(&fault);
}

/* Fault [start, end) into the device page table, writable if @write. */
int dmirror_fault(struct dmirror *dm, unsigned long start, unsigned long end,
		  bool write)
{
	return dmirror_range_fault(dm, start, end, HMM_PFN_REQ_FAULT |
				   (write ? HMM_PFN_REQ_WRITE : 0),
				   dmirror_commit, dm);
}

/*
 * The page the device may use at @addr, or NULL if it must fault first.
 * Valid only until dm->lock is dropped.
 */
struct page *dmirror_pt_lookup(struct dmirror *dm, unsigned long addr,
			       bool write)
{
	void *entry;

	lockdep_assert_held(&dm->lock);
	entry = xa_load(&dm->pt, addr >> PAGE_SHIFT);
	if (!entry)
		return NULL;
	if (write && !(xa_pointer_tag(entry) & DMIRROR_PT_WRITE))
		return NULL;
	return xa_untag_pointer(entry);
}

int dmirror_inval_log(struct dmirror *dm, struct dmirror_inval_log *arg)
{
	struct dmirror_inval __user *uptr = u64_to_user_ptr(arg->ptr);
	struct dmirror_inval *buf;
	unsigned int n, i;

	if (arg->pad)
		return -EINVAL;
	n = min_t(unsigned int, arg->max, DMIRROR_LOG_SIZE);
	buf = kcalloc(max(n, 1U), sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	/* Copy out only after the lock: a user fault may invalidate. */
	mutex_lock(&dm->lock);
	n = min(n, dm->log_len);
	for (i = 0; i < n; i++)
		buf[i] = dm->log[(dm->log_head + i) % DMIRROR_LOG_SIZE];
	dm->log_head = (dm->log_head + n) % DMIRROR_LOG_SIZE;
	dm->log_len -= n;
	arg->lost = dm->log_lost;
	dm->log_lost = 0;
	mutex_unlock(&dm->lock);

	arg->count = n;
	if (n && copy_to_user(uptr, buf, n * sizeof(*buf))) {
		kfree(buf);
		return -EFAULT;
	}
	kfree(buf);
	return 0;
}

void dmirror_get_stats(struct dmirror *dm, struct dmirror_stats *st)
{
	mutex_lock(&dm->lock);
	st->refused_pfns = dm->refused_pfns;
	st->invalidations = dm->invalidations;
	mutex_unlock(&dm->lock);
	st->refusals = atomic64_read(&dm->refusals);
}

int dmirror_mirror_init(struct dmirror *dm, struct mm_struct *mm)
{
	mutex_init(&dm->lock);
	xa_init(&dm->pt);
	atomic64_set(&dm->refusals, 0);
	dm->mm = mm;
	/* The whole user address space, as one subscription. */
	return itn_sub_insert(&dm->sub, mm, 0, ULONG_MAX & PAGE_MASK,
			      &dmirror_sub_ops);
}

void dmirror_mirror_fini(struct dmirror *dm)
{
	itn_sub_remove(&dm->sub);
	xa_destroy(&dm->pt);
	mutex_destroy(&dm->lock);
}
