// SPDX-License-Identifier: GPL-2.0
/*
 * itn: the per-mm registry of interval subscriptions.
 *
 * Every client subscription of one mm hangs in one interval tree, behind
 * one base mmu_notifier registration shared by all clients and counted by
 * mmu_notifier_get()/mmu_notifier_put().  The base registration is in fact
 * a pair: start_mn carries invalidate_range_start and release, end_mn
 * carries invalidate_range_end.  The mm calls invalidate_range_end on every
 * notifier that has one when any start fails, and warns if the failing
 * notifier itself has an end; splitting the two keeps a non-blockable
 * refusal (-EAGAIN) balanced and free of that warning.  It is not silent:
 * the mm still logs one pr_info line per refusal.  end_mn is linked first
 * (see itn_reg_get()).
 *
 * A registry lives as long as its mm, not only while it has subscriptions,
 * as the kernel's own per-mm interval-notifier state does: registering the
 * pair walks and locks every VMA of the process (mm_take_all_locks()), and
 * a client that maps and unmaps in a loop paid for that on every cycle.
 * It is dropped by the mm's RELEASE, or by itn_core's module exit.
 */
#include "itn.h"

/*
 * The collision-retry lock
 * ------------------------
 * reg->invalidate_seq is the lock word, reg->lock (a spinlock, never held
 * across a callback) guards it with active_invalidate_ranges, the tree and
 * the deferred list.  The registry is in one of three states:
 *
 *   idle             seq even, active == 0.  Inserts and removes change the
 *                    tree at once; itn_read_begin() never waits.
 *   partly excluded  seq even, active > 0.  Invalidations run, but none hit
 *                    the tree when it started.  The tree is not being
 *                    walked, so removes still apply at once; an insert may
 *                    fall inside a running range we know nothing about, so
 *                    it makes seq odd and waits on the deferred list.
 *   fully excluded   seq odd.  At least one running invalidation hit the
 *                    tree.  The tree is frozen for its walkers: inserts and
 *                    removes go on the deferred list, and a reader of a
 *                    subscription that is being invalidated sleeps.
 *
 * Operations on the sequence, all under reg->lock:
 *
 *   inv_start   active++; seq |= 1 if the range hits the tree; the callbacks
 *               get cur_seq = seq and store it with itn_set_seq().
 *   inv_end     active--; when it reaches 0 with seq odd, seq++ (even and
 *               never seen before), apply the deferred list, wake readers.
 *   read_begin  s = sub->mni.invalidate_seq; if s == seq the sub is being
 *               invalidated right now (s is odd): sleep until seq moves.
 *   read_retry  sub->mni.invalidate_seq != s, under the client lock.
 *   insert      idle: sub seq = seq - 1, which no future seq equals;
 *               otherwise seq |= 1, sub seq = seq: readers wait for the end.
 *
 * Nested and parallel invalidate_range_start/end pairs only move `active';
 * the sequence advances once, when the last of them ends.
 *
 * The race, with the reader being a client's fault path:
 *
 *   reader                              writer (the mm)
 *   ----------------------------------  --------------------------------
 *   s = itn_read_begin(sub)
 *                                       inv_start: seq |= 1, now S (odd)
 *                                       invalidate(sub, range, S):
 *                                         lock(client)
 *                                         itn_set_seq(sub, S)
 *                                         unmap from device
 *                                         unlock(client)
 *   fault the pages (maybe stale)       change the page tables
 *   lock(client)
 *   itn_read_retry(sub, s): S != s,
 *     unlock(client), start over
 *   itn_read_begin(sub) sleeps, seq==S
 *                                       inv_end: seq = S + 1, wake_up_all
 *   s = S; fault again; lock(client)
 *   itn_read_retry(sub, S) false:
 *     program the device
 *   unlock(client)
 *
 * Had the reader taken the client lock before the callback did, it would
 * have programmed the device with pages still valid, and the callback would
 * then have torn them down under the same lock.  Either way no device
 * mapping outlives the page tables it was built from.
 *
 * Who may sleep: itn_sub_insert*(), itn_sub_remove() and itn_read_begin()
 * sleep and must not be called with a lock the callbacks take.  Callbacks
 * may sleep only if mmu_notifier_range_blockable(range).
 */

struct itn_registry {
	struct mmu_notifier start_mn;
	struct mmu_notifier end_mn;
	/* Base notifiers of this registry not yet freed by SRCU. */
	atomic_t nr_base;
	/*
	 * Under itn_reg_mutex: the registry's subscriptions, plus one while
	 * it is in itn_reg_hash (from creation until the mm's RELEASE or
	 * module exit).  Zero puts the two base notifiers.
	 */
	unsigned int users;
	/* In itn_reg_hash under the mutex, keyed by end_mn.mm. */
	struct hlist_node hash_node;
	spinlock_t lock;
	unsigned long invalidate_seq;
	unsigned long active_invalidate_ranges;
	struct rb_root_cached itree;
	wait_queue_head_t wq;
	struct hlist_head deferred_list;
};

/*
 * Serialises the get and put of the two base notifiers, so that an mm never
 * sees start_mn of one registry paired with end_mn of another, and guards
 * itn_reg_hash and every reg->users.  Taken after the mmap lock, and by
 * RELEASE with no mmap lock held.
 */
static DEFINE_MUTEX(itn_reg_mutex);
static struct itn_registry *itn_reg_pending;

/* The registry of each live mm, keyed by the mm. */
#define ITN_REG_HASH_BITS 6
static DEFINE_HASHTABLE(itn_reg_hash, ITN_REG_HASH_BITS);

static struct itn_registry *start_to_reg(struct mmu_notifier *mn)
{
	return container_of(mn, struct itn_registry, start_mn);
}

static struct itn_registry *end_to_reg(struct mmu_notifier *mn)
{
	return container_of(mn, struct itn_registry, end_mn);
}

static bool itn_is_invalidating(struct itn_registry *reg)
{
	lockdep_assert_held(&reg->lock);
	return reg->invalidate_seq & 1;
}

/*
 * True once the invalidation that had @seq has ended.  Read under the lock,
 * not with READ_ONCE(): whatever that invalidation did to the tree and to
 * the subscriptions it walked must happen before the waiter goes on to free
 * or reuse them, and the lock is what orders the two.
 */
static bool itn_seq_moved(struct itn_registry *reg, unsigned long seq)
{
	bool moved;

	spin_lock(&reg->lock);
	moved = reg->invalidate_seq != seq;
	spin_unlock(&reg->lock);
	return moved;
}

static struct itn_sub *
itn_inv_start_range(struct itn_registry *reg,
		    const struct mmu_notifier_range *range,
		    unsigned long *cur_seq)
{
	struct interval_tree_node *node;
	struct itn_sub *first = NULL;

	spin_lock(&reg->lock);
	reg->active_invalidate_ranges++;
	node = interval_tree_iter_first(&reg->itree, range->start,
					range->end - 1);
	if (node) {
		WRITE_ONCE(reg->invalidate_seq, reg->invalidate_seq | 1);
		first = container_of(node, struct itn_sub, mni.interval_tree);
	}
	*cur_seq = reg->invalidate_seq;
	spin_unlock(&reg->lock);
	return first;
}

/* Lockless: the tree cannot change while the sequence is odd. */
static struct itn_sub *itn_inv_next(struct itn_sub *sub,
				    const struct mmu_notifier_range *range)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_next(&sub->mni.interval_tree, range->start,
				       range->end - 1);
	if (!node)
		return NULL;
	return container_of(node, struct itn_sub, mni.interval_tree);
}

static void itn_apply_deferred(struct itn_registry *reg)
{
	struct itn_sub *sub;
	struct hlist_node *next;

	lockdep_assert_held(&reg->lock);
	hlist_for_each_entry_safe(sub, next, &reg->deferred_list,
				  mni.deferred_item) {
		struct interval_tree_node *node = &sub->mni.interval_tree;

		if (RB_EMPTY_NODE(&node->rb))
			interval_tree_insert(node, &reg->itree);
		else
			interval_tree_remove(node, &reg->itree);
		hlist_del(&sub->mni.deferred_item);
	}
}

static void itn_inv_end(struct itn_registry *reg)
{
	spin_lock(&reg->lock);
	/* The end of a range that began before start_mn was linked. */
	if (!reg->active_invalidate_ranges) {
		spin_unlock(&reg->lock);
		return;
	}
	if (--reg->active_invalidate_ranges || !itn_is_invalidating(reg)) {
		spin_unlock(&reg->lock);
		return;
	}
	/* Sleepers poll it without reg->lock: a marked store. */
	WRITE_ONCE(reg->invalidate_seq, reg->invalidate_seq + 1);
	itn_apply_deferred(reg);
	spin_unlock(&reg->lock);

	/*
	 * Nearly every end finds nobody waiting (a sleeper is a fault or
	 * a remove that met this very invalidation), and an empty
	 * wake_up_all() still takes the queue's lock with interrupts off:
	 * a cost on every munmap of a subscribed range.  wq_has_sleeper()'s
	 * barrier pairs with the one wait_event() sets before it rechecks
	 * the sequence, so a sleeper either sees it move or is seen here.
	 */
	if (wq_has_sleeper(&reg->wq))
		wake_up_all(&reg->wq);
}

static int itn_invalidate_range_start(struct mmu_notifier *mn,
				      const struct mmu_notifier_range *range)
{
	struct itn_registry *reg = start_to_reg(mn);
	bool blockable = mmu_notifier_range_blockable(range);
	unsigned long cur_seq;
	struct itn_sub *sub;

	for (sub = itn_inv_start_range(reg, range, &cur_seq); sub;
	     sub = itn_inv_next(sub, range)) {
		if (sub->ops->invalidate(sub, range, cur_seq))
			continue;
		/* Only a non-blockable range may be refused. */
		if (WARN_ON_ONCE(blockable))
			continue;
		/*
		 * The mm gives up on this range and calls every end, ours
		 * included (end_mn), so the sequence stays balanced.
		 */
		return -EAGAIN;
	}
	return 0;
}

static void itn_invalidate_range_end(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	itn_inv_end(end_to_reg(mn));
}

/* Drop one reference; the last one unlinks the two base notifiers. */
static void itn_reg_put_locked(struct itn_registry *reg)
{
	lockdep_assert_held(&itn_reg_mutex);
	if (--reg->users)
		return;
	mmu_notifier_put(&reg->start_mn);
	mmu_notifier_put(&reg->end_mn);
}

/* Drop the mm's own reference, once: at RELEASE or at module exit. */
static void itn_reg_forget_locked(struct itn_registry *reg)
{
	lockdep_assert_held(&itn_reg_mutex);
	if (hlist_unhashed(&reg->hash_node))
		return;
	hash_del(&reg->hash_node);
	itn_reg_put_locked(reg);
}

/*
 * The mm is being torn down: every live subscription gets one RELEASE
 * event, blockable, over the whole address space.  The tree stays; the
 * subscriptions are removed later by their owners.
 */
static void itn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct itn_registry *reg = start_to_reg(mn);
	struct mmu_notifier_range range = {
		.mm = mm,
		.start = 0,
		.end = ULONG_MAX,
		.flags = MMU_NOTIFIER_RANGE_BLOCKABLE,
		.event = MMU_NOTIFY_RELEASE,
	};
	unsigned long cur_seq;
	struct itn_sub *sub;

	for (sub = itn_inv_start_range(reg, &range, &cur_seq); sub;
	     sub = itn_inv_next(sub, &range))
		WARN_ON_ONCE(!sub->ops->invalidate(sub, &range, cur_seq));
	itn_inv_end(reg);

	/*
	 * mmu_notifier_put() may be called from release; the registry stays
	 * readable until this callback returns (SRCU).
	 */
	mutex_lock(&itn_reg_mutex);
	itn_reg_forget_locked(reg);
	mutex_unlock(&itn_reg_mutex);
}

static struct mmu_notifier *itn_alloc_end(struct mm_struct *mm)
{
	struct itn_registry *reg;

	reg = kzalloc(sizeof(*reg), GFP_KERNEL);
	if (!reg)
		return ERR_PTR(-ENOMEM);
	atomic_set(&reg->nr_base, 1);
	spin_lock_init(&reg->lock);
	/* Any even start will do; 2 keeps seq - 1 away from zero. */
	reg->invalidate_seq = 2;
	reg->itree = RB_ROOT_CACHED;
	init_waitqueue_head(&reg->wq);
	INIT_HLIST_HEAD(&reg->deferred_list);
	return &reg->end_mn;
}

static struct mmu_notifier *itn_alloc_start(struct mm_struct *mm)
{
	struct itn_registry *reg = itn_reg_pending;

	lockdep_assert_held(&itn_reg_mutex);
	if (!reg)
		return ERR_PTR(-EINVAL);
	atomic_inc(&reg->nr_base);
	return &reg->start_mn;
}

static void itn_reg_put_base(struct itn_registry *reg)
{
	if (atomic_dec_and_test(&reg->nr_base))
		kfree(reg);
}

static void itn_free_start(struct mmu_notifier *mn)
{
	itn_reg_put_base(start_to_reg(mn));
}

static void itn_free_end(struct mmu_notifier *mn)
{
	itn_reg_put_base(end_to_reg(mn));
}

static const struct mmu_notifier_ops itn_start_ops = {
	.release = itn_release,
	.invalidate_range_start = itn_invalidate_range_start,
	.alloc_notifier = itn_alloc_start,
	.free_notifier = itn_free_start,
};

static const struct mmu_notifier_ops itn_end_ops = {
	.invalidate_range_end = itn_invalidate_range_end,
	.alloc_notifier = itn_alloc_end,
	.free_notifier = itn_free_end,
};

/*
 * Find or create the registry of @mm and take one reference on it.
 *
 * Each registration waits out the running ranges (mm_take_all_locks()),
 * but a range that needs no mmap lock (reclaim, migration) can run whole
 * between the two.  Linking end_mn first makes such a range show us an end
 * without a start, which itn_inv_end() ignores while nothing is active;
 * the other order would show a start without an end and leave the
 * registry busy for ever.
 */
static struct itn_registry *itn_reg_get(struct mm_struct *mm)
{
	struct mmu_notifier *start, *end;
	struct itn_registry *reg;

	mmap_assert_write_locked(mm);
	mutex_lock(&itn_reg_mutex);
	hash_for_each_possible(itn_reg_hash, reg, hash_node, (unsigned long)mm)
		if (reg->end_mn.mm == mm) {
			reg->users++;
			goto out;
		}

	end = mmu_notifier_get_locked(&itn_end_ops, mm);
	if (IS_ERR(end)) {
		reg = ERR_CAST(end);
		goto out;
	}
	reg = end_to_reg(end);
	itn_reg_pending = reg;
	start = mmu_notifier_get_locked(&itn_start_ops, mm);
	itn_reg_pending = NULL;
	if (IS_ERR(start) || WARN_ON_ONCE(start != &reg->start_mn)) {
		if (!IS_ERR(start))
			mmu_notifier_put(start);
		mmu_notifier_put(end);
		reg = IS_ERR(start) ? ERR_CAST(start) : ERR_PTR(-EBUSY);
		goto out;
	}
	/* The caller's reference and the mm's. */
	reg->users = 2;
	hash_add(itn_reg_hash, &reg->hash_node, (unsigned long)mm);
out:
	mutex_unlock(&itn_reg_mutex);
	return reg;
}

static void itn_reg_put(struct itn_registry *reg)
{
	mutex_lock(&itn_reg_mutex);
	itn_reg_put_locked(reg);
	mutex_unlock(&itn_reg_mutex);
}

/**
 * itn_reg_drain - drop the registries of the mms still alive
 *
 * For itn_core's module exit, after every client has removed its
 * subscriptions: the base notifiers call into this module, so none may
 * stay linked to an mm that outlives it.
 *
 * Context: may sleep.
 */
void itn_reg_drain(void)
{
	struct itn_registry *reg;
	struct hlist_node *next;
	int bkt;

	mutex_lock(&itn_reg_mutex);
	hash_for_each_safe(itn_reg_hash, bkt, next, reg, hash_node)
		itn_reg_forget_locked(reg);
	mutex_unlock(&itn_reg_mutex);
	mmu_notifier_synchronize();
}

static void itn_sub_add(struct itn_registry *reg, struct itn_sub *sub)
{
	spin_lock(&reg->lock);
	if (reg->active_invalidate_ranges) {
		/*
		 * A running invalidation may cover the new range without our
		 * knowing which: make readers of the new sub wait for it.
		 */
		WRITE_ONCE(reg->invalidate_seq, reg->invalidate_seq | 1);
		hlist_add_head(&sub->mni.deferred_item, &reg->deferred_list);
		sub->mni.invalidate_seq = reg->invalidate_seq;
	} else {
		sub->mni.invalidate_seq = reg->invalidate_seq - 1;
		interval_tree_insert(&sub->mni.interval_tree, &reg->itree);
	}
	spin_unlock(&reg->lock);
}

/**
 * itn_sub_insert_locked - subscribe a range, mmap lock held for write
 * @sub: the subscription, embedded in the caller's object
 * @mm: the mm to watch; gets an mmgrab() until itn_sub_remove()
 * @start: first address
 * @length: size in bytes, not zero
 * @ops: the callbacks
 *
 * Context: may sleep; the caller holds mmap_write_lock(@mm).
 * Return: 0, -EINVAL for bad arguments, or an allocation error.
 */
int itn_sub_insert_locked(struct itn_sub *sub, struct mm_struct *mm,
			  unsigned long start, unsigned long length,
			  const struct itn_sub_ops *ops)
{
	struct itn_registry *reg;
	unsigned long last;

	might_sleep();
	if (!sub || !mm || !ops || !ops->invalidate || !length ||
	    check_add_overflow(start, length - 1, &last))
		return -EINVAL;
	mmap_assert_write_locked(mm);

	reg = itn_reg_get(mm);
	if (IS_ERR(reg))
		return PTR_ERR(reg);

	sub->reg = reg;
	sub->ops = ops;
	/* Only hmm_range_fault() reads mni, and only mm and the seq. */
	sub->mni.ops = NULL;
	sub->mni.mm = mm;
	sub->mni.interval_tree.start = start;
	sub->mni.interval_tree.last = last;
	RB_CLEAR_NODE(&sub->mni.interval_tree.rb);
	INIT_HLIST_NODE(&sub->mni.deferred_item);
	mmgrab(mm);
	itn_sub_add(reg, sub);
	return 0;
}
EXPORT_SYMBOL_GPL(itn_sub_insert_locked);

/**
 * itn_sub_insert - subscribe a range
 * @sub: the subscription, embedded in the caller's object
 * @mm: the mm to watch
 * @start: first address
 * @length: size in bytes, not zero
 * @ops: the callbacks
 *
 * As itn_sub_insert_locked(), but takes the mmap write lock itself.
 *
 * Context: may sleep; the caller must not hold the mmap lock.
 */
int itn_sub_insert(struct itn_sub *sub, struct mm_struct *mm,
		   unsigned long start, unsigned long length,
		   const struct itn_sub_ops *ops)
{
	int ret;

	might_sleep();
	if (!mm)
		return -EINVAL;
	mmap_write_lock(mm);
	ret = itn_sub_insert_locked(sub, mm, start, length, ops);
	mmap_write_unlock(mm);
	return ret;
}
EXPORT_SYMBOL_GPL(itn_sub_insert);

/**
 * itn_sub_remove - unsubscribe, waiting out any callback on @sub
 * @sub: a subscription made by itn_sub_insert*()
 *
 * Context: may sleep; not from @sub's own callback.  May be called with the
 * mmap lock held, and after the mm has been torn down.
 */
void itn_sub_remove(struct itn_sub *sub)
{
	struct itn_registry *reg = sub->reg;
	struct mm_struct *mm = sub->mni.mm;
	unsigned long wait_seq = 0;

	might_sleep();
	spin_lock(&reg->lock);
	if (itn_is_invalidating(reg)) {
		if (RB_EMPTY_NODE(&sub->mni.interval_tree.rb)) {
			/* Its insert is still deferred: nothing can call it. */
			hlist_del(&sub->mni.deferred_item);
		} else {
			hlist_add_head(&sub->mni.deferred_item,
				       &reg->deferred_list);
			wait_seq = reg->invalidate_seq;
		}
	} else {
		interval_tree_remove(&sub->mni.interval_tree, &reg->itree);
	}
	spin_unlock(&reg->lock);

	/* The invalidation that may be calling @sub ends when seq moves. */
	if (wait_seq)
		wait_event(reg->wq, itn_seq_moved(reg, wait_seq));

	itn_reg_put(reg);
	mmdrop(mm);
}
EXPORT_SYMBOL_GPL(itn_sub_remove);

/**
 * itn_read_begin - start a read side critical section of @sub
 * @sub: the subscription
 *
 * Context: may sleep, while an invalidation of @sub runs; the caller must
 * not hold the lock its invalidate callback takes.
 * Return: the sequence to check with itn_read_retry().
 */
unsigned long itn_read_begin(struct itn_sub *sub)
{
	struct itn_registry *reg = sub->reg;
	unsigned long seq;
	bool busy;

	might_sleep();
	/*
	 * Both sequences are read under the lock: inv_end moves reg's and
	 * the callbacks move sub's (under the client lock, not this one:
	 * hence READ_ONCE), and only a pair read together says whether
	 * @sub is inside the running invalidation.
	 */
	spin_lock(&reg->lock);
	seq = READ_ONCE(sub->mni.invalidate_seq);
	busy = seq == reg->invalidate_seq;
	spin_unlock(&reg->lock);

	if (busy)
		wait_event(reg->wq, itn_seq_moved(reg, seq));
	return seq;
}
EXPORT_SYMBOL_GPL(itn_read_begin);

/**
 * itn_synchronize - wait until no base-notifier callback of the core runs
 *
 * Context: may sleep.  For a client's module exit, after its last remove.
 */
void itn_synchronize(void)
{
	mmu_notifier_synchronize();
}
EXPORT_SYMBOL_GPL(itn_synchronize);

const char *itn_backend_name(void)
{
	return "itn";
}
EXPORT_SYMBOL_GPL(itn_backend_name);
