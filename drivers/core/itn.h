/* SPDX-License-Identifier: GPL-2.0 */
/*
 * itn - the interval-tree notifier core shared by gntmap and dmirror.
 *
 * A client subscribes to a range of a process address space and is told,
 * through its invalidate callback, whenever the mm is about to change any
 * part of that range.  The collision-retry sequence (read_begin /
 * read_retry) lets a client build a device mapping of the range without
 * holding any lock across the fault, and know reliably whether it raced an
 * invalidation.  itn_range_fault() runs that whole recipe for a client.
 *
 * The locking rules, the states of the sequence and the race diagram are
 * documented once, in notifier.c above the interval-tree code.
 *
 * Two back ends implement this API:
 *  - notifier.c: our own registry, one base mmu_notifier per mm shared by
 *    every client, with its own interval tree and sequence.  It also builds
 *    in userspace on the simulated mm of tests/core/.
 *  - kernel_backend.c: a thin mapping onto the kernel's
 *    mmu_interval_notifier, for side-by-side comparison (see itn_kern.h).
 */
#ifndef _ITN_H
#define _ITN_H

#include "itn_port.h"

/* The comparison build renames the API; clients never see the difference. */
#ifdef ITN_BACKEND_KERNEL
#include "itn_kern.h"
#endif

struct itn_sub;
struct itn_registry;

struct itn_sub_ops {
	/*
	 * Called when any part of [range->start, range->end) that overlaps
	 * the subscription is about to change, and once with
	 * range->event == MMU_NOTIFY_RELEASE when the mm is torn down.
	 *
	 * The callback must take the client's own lock, call
	 * itn_set_seq(sub, cur_seq) under it, and stop the device from using
	 * the overlapping part before returning.  If
	 * !mmu_notifier_range_blockable(range) it must not sleep: it may
	 * trylock, and return false if it would have to sleep; the mm then
	 * gets -EAGAIN (the OOM reaper retries later).  Returning false on a
	 * blockable range is a bug.
	 */
	bool (*invalidate)(struct itn_sub *sub,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq);
};

/*
 * One subscription.  Embedded in the client's own object; all fields are
 * private to the core.  mni is a real mmu_interval_notifier: the kernel
 * back end registers it, our back end keeps its tree node, deferred-list
 * link and sequence in it, and in both hmm_range_fault() polls its
 * sequence and stops early when an invalidation collides.
 */
struct itn_sub {
	struct mmu_interval_notifier mni;
	const struct itn_sub_ops *ops;
	struct itn_registry *reg;	/* our back end only */
};

/*
 * Subscribe [start, start + length) of @mm.  Takes a reference on @mm (the
 * mm_struct, not its address space) until itn_sub_remove().  May sleep.
 * itn_sub_insert() takes the mmap lock for write itself (our back end
 * always, the kernel back end only if the mm has no notifier yet);
 * itn_sub_insert_locked() is for callers already holding it for write,
 * such as a driver's mmap handler.
 *
 * Returns 0, -EINVAL for an empty or wrapping range, -ENOMEM, or the error
 * of the base notifier registration.
 */
int itn_sub_insert(struct itn_sub *sub, struct mm_struct *mm,
		   unsigned long start, unsigned long length,
		   const struct itn_sub_ops *ops);
int itn_sub_insert_locked(struct itn_sub *sub, struct mm_struct *mm,
			  unsigned long start, unsigned long length,
			  const struct itn_sub_ops *ops);

/*
 * Unsubscribe.  May sleep: returns only when no invalidate callback can
 * still be running for @sub, so the caller may free it at once.  Must not
 * be called from the sub's own invalidate callback.  Safe after the mm has
 * been torn down (after the RELEASE event).
 */
void itn_sub_remove(struct itn_sub *sub);

/*
 * Begin a read side critical section.  Sleeps while an invalidation that
 * overlaps @sub is running, then returns a sequence to hand to
 * itn_read_retry().  Never call with the client lock held that the
 * invalidate callback takes.
 */
unsigned long itn_read_begin(struct itn_sub *sub);

/*
 * Wait for every base-notifier SRCU callback of the core to finish; call
 * from a client's module exit after its last itn_sub_remove().
 */
void itn_synchronize(void);

/* "itn" or "kernel": which back end this build links against. */
const char *itn_backend_name(void);

/*
 * Not for clients: itn_core's own module exit (and the host tests) drop
 * the registries that the mms still alive keep.
 */
void itn_reg_drain(void);

/*
 * Called by the invalidate callback, under the client lock, with the
 * cur_seq it was given.  The next itn_read_retry() of any reader that
 * started before it then fails.
 */
static inline void itn_set_seq(struct itn_sub *sub, unsigned long cur_seq)
{
	mmu_interval_set_seq(&sub->mni, cur_seq);
}

/*
 * True if the reader that got @seq from itn_read_begin() must retry.  The
 * caller holds the client lock that the invalidate callback takes, so the
 * answer is stable until that lock is dropped.
 */
static inline bool itn_read_retry(struct itn_sub *sub, unsigned long seq)
{
	return mmu_interval_read_retry(&sub->mni, seq);
}

/*
 * Lockless hint that a retry will be needed; a false answer proves
 * nothing.  Use it to abandon long work early.
 */
static inline bool itn_check_retry(struct itn_sub *sub, unsigned long seq)
{
	return mmu_interval_check_retry(&sub->mni, seq);
}

static inline struct mm_struct *itn_sub_mm(const struct itn_sub *sub)
{
	return sub->mni.mm;
}

static inline unsigned long itn_sub_start(const struct itn_sub *sub)
{
	return sub->mni.interval_tree.start;
}

static inline unsigned long itn_sub_last(const struct itn_sub *sub)
{
	return sub->mni.interval_tree.last;
}

/*
 * The collision-retry loop itself, for a client whose "fault" step is not
 * hmm_range_fault() (gntmap's page fault handler maps a grant):
 *
 *	again:
 *		seq = itn_read_begin(sub)
 *		prepare(r)                  no client lock; -EBUSY -> again
 *		lock(driver_lock)
 *		itn_read_retry(sub, seq)    true -> unlock, undo(r), again
 *		commit(r)                   make the work visible
 *		unlock(driver_lock)
 *
 * @prepare builds what can be built without the client lock and must leave
 * nothing behind when it fails; @undo (optional, called without any lock)
 * takes back what @prepare built when the sequence moved.  After
 * @max_retries retries it gives up with -EBUSY; a pending fatal signal
 * ends it with -EINTR.  The caller must not hold driver_lock; it may hold
 * the mmap lock for read (a page fault handler) as long as @prepare does
 * not take it again.
 */
struct itn_retry {
	struct itn_sub *sub;
	struct mutex *driver_lock;
	unsigned int max_retries;
	/* No client lock.  0, -EBUSY (collided, try again) or an error. */
	int (*prepare)(struct itn_retry *r);
	/* Under driver_lock, the work since read_begin still valid. */
	int (*commit)(struct itn_retry *r);
	/* Optional, no lock: undo @prepare after a collision. */
	void (*undo)(struct itn_retry *r);
	void *private;
	/* For prepare: what itn_read_begin() returned this round. */
	unsigned long seq;
	/* Out: how many times the loop started over. */
	unsigned int retries;
};

/*
 * Returns the commit's result, -EBUSY after too many retries, -EINTR on a
 * fatal signal, or the error of @prepare.  May sleep.
 */
int itn_retry_run(struct itn_retry *r);

/*
 * The HMM driver recipe, run by itn_range_fault() on itn_retry_run():
 *
 *	again:
 *		seq = itn_read_begin(sub)
 *		mmap_read_lock(mm)
 *		hmm_range_fault(range of one chunk)   -EBUSY -> again
 *		mmap_read_unlock(mm)
 *		lock(driver_lock)
 *		itn_read_retry(sub, seq)              true -> unlock, again
 *		commit(fault, chunk)                  program the device
 *		unlock(driver_lock)
 *
 * The range is processed in chunks of at most @chunk_pages pages; each
 * chunk has its own retry budget of @max_retries.  A pending fatal signal
 * ends the loop with -EINTR.  The caller must hold a reference on the mm's
 * address space (mmget) and must not hold the mmap lock or driver_lock.
 */
struct itn_fault;

struct itn_fault_chunk {
	unsigned long start;	/* first address of this chunk */
	unsigned long end;	/* one past the last address */
	unsigned long *hmm_pfns;	/* (end - start) >> PAGE_SHIFT entries */
};

struct itn_fault {
	struct itn_sub *sub;
	unsigned long start;
	unsigned long end;
	/* As struct hmm_range: HMM_PFN_REQ_FAULT / HMM_PFN_REQ_WRITE. */
	unsigned long default_flags;
	unsigned long pfn_flags_mask;
	void *dev_private_owner;
	/* Storage for one chunk of output pfns, chunk_pages entries. */
	unsigned long *hmm_pfns;
	unsigned long chunk_pages;
	unsigned int max_retries;
	/* The client lock its invalidate callback takes. */
	struct mutex *driver_lock;
	/*
	 * Called with driver_lock held and the chunk's pfns known valid.
	 * A non-zero return ends the fault with that error.
	 */
	int (*commit)(struct itn_fault *fault,
		      const struct itn_fault_chunk *chunk);
	void *private;
	/* Out: how many times a chunk was retried in all. */
	unsigned int retries;
};

/*
 * Returns 0 when every chunk was committed; -EBUSY when a chunk ran out of
 * retries; -EINTR on a fatal signal; -EFAULT/-EPERM from hmm_range_fault;
 * or the commit callback's error.  May sleep.
 */
int itn_range_fault(struct itn_fault *fault);

#endif /* _ITN_H */
