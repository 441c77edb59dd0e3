/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel as drivers/core sees it, in userspace: included by
 * drivers/core/itn_port.h when __KERNEL__ is not defined.  Locks are
 * pthread locks that remember their owner, so lockdep_assert_held(),
 * might_sleep() and mmap_assert_write_locked() are checked for real; the
 * mm is the simulated one of sim.c.  The rbtree and interval tree are the
 * kernel's own (tools/include + lib/interval_tree.c from linux-source).
 */
#ifndef _ITN_SIM_KERNEL_H
#define _ITN_SIM_KERNEL_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/types.h>
#include <linux/list.h>
#include <linux/err.h>
#include <linux/overflow.h>
#include <linux/export.h>
#include <linux/rbtree.h>
#include <linux/interval_tree.h>
#include <linux/hashtable.h>

/* Marked accesses, visible to TSan as the atomics they stand for. */
#undef READ_ONCE
#undef WRITE_ONCE
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* ---- assertions ---- */

/* Prints the broken rule and aborts: a test that trips it fails. */
void sim_bug(const char *file, int line, const char *what)
	__attribute__((noreturn));
#define SIM_ASSERT(cond, what)						\
	do {								\
		if (!(cond))						\
			sim_bug(__FILE__, __LINE__, what);		\
	} while (0)

/* Counts WARN_ON()s; the tests require zero unless they provoke one. */
bool sim_warn(bool cond, const char *file, int line, const char *what);
#undef WARN_ON
#undef WARN_ON_ONCE
#define WARN_ON(c)	sim_warn(!!(c), __FILE__, __LINE__, #c)
#define WARN_ON_ONCE(c)	sim_warn(!!(c), __FILE__, __LINE__, #c)

/* Spinlocks held plus non-blockable sections entered, per thread. */
extern __thread int sim_atomic_depth;
extern __thread int sim_non_block;

#define might_sleep()							\
	SIM_ASSERT(!sim_atomic_depth && !sim_non_block,			\
		   "might_sleep() in atomic or non-blockable context")
#define non_block_start()	(sim_non_block++)
#define non_block_end()		(sim_non_block--)

struct sim_dep {
	pthread_t owner;
	int held;
};

bool sim_dep_mine(const struct sim_dep *dep);
#define lockdep_assert_held(l)						\
	SIM_ASSERT(sim_dep_mine(&(l)->dep), "lock not held: " #l)

/* ---- locks and wait queues ---- */

typedef struct {
	int v;
	struct sim_dep dep;
} spinlock_t;

struct mutex {
	pthread_mutex_t m;
	struct sim_dep dep;
};

#define DEFINE_MUTEX(name) struct mutex name = { PTHREAD_MUTEX_INITIALIZER }

void spin_lock_init(spinlock_t *l);
void spin_lock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
void mutex_init(struct mutex *l);
void mutex_lock(struct mutex *l);
int mutex_trylock(struct mutex *l);
void mutex_unlock(struct mutex *l);
void mutex_destroy(struct mutex *l);

typedef struct {
	pthread_mutex_t m;
	pthread_cond_t c;
	int sleepers;		/* waiters past their first check */
} wait_queue_head_t;

void init_waitqueue_head(wait_queue_head_t *wq);
void wake_up_all(wait_queue_head_t *wq);
bool wq_has_sleeper(wait_queue_head_t *wq);
/* Called with wq->m held, just before a waiter blocks (test hook). */
void sim_will_sleep(wait_queue_head_t *wq);

/*
 * The condition is rechecked under wq.m, and wake_up_all() broadcasts under
 * it, so a wake-up between check and sleep cannot be lost.  A waiter counts
 * itself in sleepers, with a full barrier, before that recheck, as the
 * kernel's wait_event() queues itself and sets its state: a waker that
 * skips an empty queue (wq_has_sleeper()) is tested against that order.
 */
#define wait_event(wq, cond)						\
	do {								\
		might_sleep();						\
		if (cond)						\
			break;						\
		pthread_mutex_lock(&(wq).m);				\
		__atomic_add_fetch(&(wq).sleepers, 1, __ATOMIC_SEQ_CST);	\
		while (!(cond)) {					\
			sim_will_sleep(&(wq));				\
			pthread_cond_wait(&(wq).c, &(wq).m);		\
		}							\
		__atomic_sub_fetch(&(wq).sleepers, 1, __ATOMIC_SEQ_CST);	\
		pthread_mutex_unlock(&(wq).m);				\
	} while (0)

static inline void atomic_set(atomic_t *a, int v)
{
	__atomic_store_n(&a->counter, v, __ATOMIC_SEQ_CST);
}

static inline int atomic_read(const atomic_t *a)
{
	return __atomic_load_n(&a->counter, __ATOMIC_SEQ_CST);
}

static inline void atomic_inc(atomic_t *a)
{
	__atomic_add_fetch(&a->counter, 1, __ATOMIC_SEQ_CST);
}

static inline bool atomic_dec_and_test(atomic_t *a)
{
	return __atomic_sub_fetch(&a->counter, 1, __ATOMIC_SEQ_CST) == 0;
}

/* ---- memory ---- */

#define GFP_KERNEL 0
void *kzalloc(size_t size, int gfp);
void kfree(const void *p);

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PAGE_ALIGNED(a)	(((unsigned long)(a) & (PAGE_SIZE - 1)) == 0)

/* ---- tasks ---- */

struct task_struct {
	bool fatal_signal;
};

extern __thread struct task_struct sim_current;
#define current (&sim_current)

static inline bool fatal_signal_pending(struct task_struct *t)
{
	return __atomic_load_n(&t->fatal_signal, __ATOMIC_RELAXED);
}

/* ---- the mm (struct mm_struct is in sim_mm.h, for the tests) ---- */

struct mm_struct;

void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);
void mmap_write_lock(struct mm_struct *mm);
void mmap_write_unlock(struct mm_struct *mm);
void mmap_read_lock(struct mm_struct *mm);
int mmap_read_lock_killable(struct mm_struct *mm);
void mmap_read_unlock(struct mm_struct *mm);
bool sim_mmap_write_locked(struct mm_struct *mm);
bool sim_mmap_locked(struct mm_struct *mm);
#define mmap_assert_write_locked(mm)					\
	SIM_ASSERT(sim_mmap_write_locked(mm), "mmap lock not held for write")
#define mmap_assert_locked(mm)						\
	SIM_ASSERT(sim_mmap_locked(mm), "mmap lock not held")

/* ---- the base mmu_notifier, as in include/linux/mmu_notifier.h ---- */

enum mmu_notifier_event {
	MMU_NOTIFY_UNMAP = 0,
	MMU_NOTIFY_CLEAR,
	MMU_NOTIFY_PROTECTION_VMA,
	MMU_NOTIFY_PROTECTION_PAGE,
	MMU_NOTIFY_SOFT_DIRTY,
	MMU_NOTIFY_RELEASE,
	MMU_NOTIFY_MIGRATE,
	MMU_NOTIFY_EXCLUSIVE,
};

#define MMU_NOTIFIER_RANGE_BLOCKABLE (1 << 0)

struct mmu_notifier_range {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	unsigned int flags;
	enum mmu_notifier_event event;
	void *owner;
};

static inline bool
mmu_notifier_range_blockable(const struct mmu_notifier_range *range)
{
	return range->flags & MMU_NOTIFIER_RANGE_BLOCKABLE;
}

struct mmu_notifier;

struct mmu_notifier_ops {
	void (*release)(struct mmu_notifier *mn, struct mm_struct *mm);
	int (*invalidate_range_start)(struct mmu_notifier *mn,
				      const struct mmu_notifier_range *range);
	void (*invalidate_range_end)(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range);
	struct mmu_notifier *(*alloc_notifier)(struct mm_struct *mm);
	void (*free_notifier)(struct mmu_notifier *mn);
};

struct mmu_notifier {
	struct hlist_node hlist;
	const struct mmu_notifier_ops *ops;
	struct mm_struct *mm;
	unsigned int users;
};

struct mmu_notifier *mmu_notifier_get_locked(const struct mmu_notifier_ops *ops,
					     struct mm_struct *mm);
void mmu_notifier_put(struct mmu_notifier *mn);
void mmu_notifier_synchronize(void);

/* ---- HMM, as in include/linux/hmm.h ---- */

/* As in include/linux/mmu_notifier.h; the core never sets ops. */
struct mmu_interval_notifier_ops;

struct mmu_interval_notifier {
	struct interval_tree_node interval_tree;
	const struct mmu_interval_notifier_ops *ops;
	struct mm_struct *mm;
	struct hlist_node deferred_item;
	unsigned long invalidate_seq;
};

static inline void mmu_interval_set_seq(struct mmu_interval_notifier *mni,
					unsigned long cur_seq)
{
	WRITE_ONCE(mni->invalidate_seq, cur_seq);
}

static inline bool mmu_interval_read_retry(struct mmu_interval_notifier *mni,
					   unsigned long seq)
{
	return mni->invalidate_seq != seq;
}

static inline bool mmu_interval_check_retry(struct mmu_interval_notifier *mni,
					    unsigned long seq)
{
	return READ_ONCE(mni->invalidate_seq) != seq;
}

#define HMM_PFN_VALID		(1UL << 63)
#define HMM_PFN_WRITE		(1UL << 62)
#define HMM_PFN_ERROR		(1UL << 61)
#define HMM_PFN_FLAGS		(HMM_PFN_VALID | HMM_PFN_WRITE | HMM_PFN_ERROR)
#define HMM_PFN_REQ_FAULT	HMM_PFN_VALID
#define HMM_PFN_REQ_WRITE	HMM_PFN_WRITE

struct hmm_range {
	struct mmu_interval_notifier *notifier;
	unsigned long notifier_seq;
	unsigned long start;
	unsigned long end;
	unsigned long *hmm_pfns;
	unsigned long default_flags;
	unsigned long pfn_flags_mask;
	void *dev_private_owner;
};

int hmm_range_fault(struct hmm_range *range);

#endif /* _ITN_SIM_KERNEL_H */
