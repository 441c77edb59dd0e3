/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The simulated mm behind the userspace build of drivers/core: what the
 * tests drive.  An mm is a window of SIM_MM_PAGES pages starting at
 * SIM_MM_BASE with a protection byte (the VMAs) and a pte (a pfn, never
 * reused) per page, an mmap rwsem, and the list of base mmu_notifiers.
 * The operations below are the mm's writers, each calling the notifiers the
 * way the kernel does around its page-table change.
 */
#ifndef _SIM_MM_H
#define _SIM_MM_H

#include "itn.h"

#define SIM_MM_BASE	(1UL << 20)
#define SIM_MM_PAGES	(1UL << 12)
#define SIM_MM_END	(SIM_MM_BASE + SIM_MM_PAGES * PAGE_SIZE)

#define SIM_PROT_READ	1
#define SIM_PROT_WRITE	2

/* A pte: pfn << 1 | writable. */
#define SIM_PTE_WRITE	1UL

/*
 * A reader-writer gate with an atomic fast path for readers: the mm's
 * invalidations pass it on every call, and the benchmark should time the
 * core, not a pthread rwlock.
 */
struct sim_gate {
	int readers;
	int writer;
	pthread_mutex_t m;
	pthread_cond_t c;
};

struct mmu_notifier_subscriptions {
	spinlock_t lock;
	struct hlist_head list;
	/* Read side: a running callback.  Write side: unlink and free. */
	struct sim_gate srcu;
	/*
	 * mm_take_all_locks(): read side from start to end; linking a new
	 * notifier is the write side, so it waits out running ranges.
	 */
	struct sim_gate ranges;
};

struct mm_struct {
	pthread_rwlock_t mmap_lock;
	struct sim_dep mmap_writer;
	int mmap_readers;
	int mm_users;
	int mm_count;
	struct mmu_notifier_subscriptions notifiers;
	pthread_mutex_t pt_lock;
	unsigned long pte[SIM_MM_PAGES];
	unsigned char prot[SIM_MM_PAGES];
};

struct mm_struct *sim_mm_new(void);
/* The last mmput: RELEASE to every notifier, unlink them, zap, mmdrop. */
void sim_mm_exit(struct mm_struct *mm);

/* mmap of a fresh range: no notifier is called. */
int sim_mm_map(struct mm_struct *mm, unsigned long start, unsigned long len,
	       int prot);
int sim_mm_munmap(struct mm_struct *mm, unsigned long start,
		  unsigned long len);
int sim_mm_mprotect(struct mm_struct *mm, unsigned long start,
		    unsigned long len, int prot);
int sim_mm_dontneed(struct mm_struct *mm, unsigned long start,
		    unsigned long len);
/* Reclaim-style zap: no mmap lock, blockable. */
int sim_mm_zap(struct mm_struct *mm, unsigned long start, unsigned long len);
/* The OOM reaper: mmap read lock, non-blockable; -EAGAIN if refused. */
int sim_mm_oom_reap(struct mm_struct *mm, unsigned long start,
		    unsigned long len);

/* The raw notifier calls, for tests that hold an invalidation open. */
int sim_range_start(struct mmu_notifier_range *range);
void sim_range_end(struct mmu_notifier_range *range);
void sim_range_init(struct mmu_notifier_range *range, struct mm_struct *mm,
		    unsigned long start, unsigned long end,
		    enum mmu_notifier_event event, bool blockable);

/* Clear the ptes of [start, end), as a writer between start and end. */
void sim_pt_clear(struct mm_struct *mm, unsigned long start,
		  unsigned long end);

/* Current pte of @addr (0 if none), read under the page-table lock. */
unsigned long sim_pte(struct mm_struct *mm, unsigned long addr);
static inline unsigned long sim_pte_pfn(unsigned long pte)
{
	return pte >> 1;
}

/* Base notifiers linked on @mm, and their users summed. */
int sim_mm_notifier_count(struct mm_struct *mm, unsigned int *users);

/* Test hooks; NULL when unused. */
struct sim_hooks {
	void (*will_sleep)(wait_queue_head_t *wq);
	void (*after_fault)(struct hmm_range *range);
	/* After a new base notifier is linked, outside mm_take_all_locks. */
	void (*after_link)(struct mmu_notifier *mn);
	void *priv;
};
extern struct sim_hooks sim_hooks;

/* Make the next @n kzalloc()s fail. */
void sim_fail_allocs(int n);
long sim_allocs_live(void);
long sim_mms_live(void);
long sim_warnings(void);
long sim_sleeps(void);
/* Silence the WARN and BUG messages (the fuzzer and death tests). */
extern int sim_quiet;

#endif /* _SIM_MM_H */
