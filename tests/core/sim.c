// SPDX-License-Identifier: GPL-2.0
/*
 * The simulated kernel under the userspace build of drivers/core: tracked
 * locks, a leak-counting allocator, and an mm whose writers call the base
 * mmu_notifiers with the kernel's rules (see sim_mm.h).  The notifier
 * semantics follow mm/mmu_notifier.c of 6.1: get/put by ops with
 * alloc/free_notifier, SRCU-deferred free, release before teardown, and on
 * a refused start every end is called and the refusing notifier must not
 * have one.
 */
#include <stdio.h>
#include <sched.h>
#include <string.h>
#include "sim_mm.h"

__thread int sim_atomic_depth;
__thread int sim_non_block;
__thread struct task_struct sim_current;
struct sim_hooks sim_hooks;
int sim_quiet;

static long allocs_live, mms_live, warnings, sleeps, fail_allocs;
static unsigned long next_pfn = 1;

/* ---- assertions ---- */

void sim_bug(const char *file, int line, const char *what)
{
	if (!sim_quiet)
		fprintf(stderr, "BUG: %s:%d: %s\n", file, line, what);
	abort();
}

bool sim_warn(bool cond, const char *file, int line, const char *what)
{
	if (cond) {
		__atomic_add_fetch(&warnings, 1, __ATOMIC_SEQ_CST);
		if (!sim_quiet)
			fprintf(stderr, "WARNING: %s:%d: %s\n", file, line,
				what);
	}
	return cond;
}

long sim_warnings(void)
{
	return __atomic_load_n(&warnings, __ATOMIC_SEQ_CST);
}

static void dep_take(struct sim_dep *dep)
{
	__atomic_store_n(&dep->owner, pthread_self(), __ATOMIC_RELAXED);
	__atomic_store_n(&dep->held, 1, __ATOMIC_RELAXED);
}

static void dep_drop(struct sim_dep *dep)
{
	SIM_ASSERT(sim_dep_mine(dep), "unlock of a lock not held");
	__atomic_store_n(&dep->held, 0, __ATOMIC_RELAXED);
}

bool sim_dep_mine(const struct sim_dep *dep)
{
	return __atomic_load_n(&dep->held, __ATOMIC_RELAXED) &&
	       pthread_equal(__atomic_load_n(&dep->owner, __ATOMIC_RELAXED),
			     pthread_self());
}

/* ---- locks ---- */

void spin_lock_init(spinlock_t *l)
{
	l->v = 0;
	l->dep.held = 0;
}

void spin_lock(spinlock_t *l)
{
	int spins = 0;

	SIM_ASSERT(!sim_dep_mine(&l->dep), "spinlock recursion");
	while (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE)) {
		/* Two cores, many threads: let a preempted holder run. */
		while (__atomic_load_n(&l->v, __ATOMIC_RELAXED))
			if (++spins > 64)
				sched_yield();
	}
	dep_take(&l->dep);
	sim_atomic_depth++;
}

void spin_unlock(spinlock_t *l)
{
	dep_drop(&l->dep);
	sim_atomic_depth--;
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

void mutex_init(struct mutex *l)
{
	pthread_mutex_init(&l->m, NULL);
	l->dep.held = 0;
}

void mutex_lock(struct mutex *l)
{
	might_sleep();
	SIM_ASSERT(!sim_dep_mine(&l->dep), "mutex recursion");
	pthread_mutex_lock(&l->m);
	dep_take(&l->dep);
}

int mutex_trylock(struct mutex *l)
{
	if (pthread_mutex_trylock(&l->m))
		return 0;
	dep_take(&l->dep);
	return 1;
}

void mutex_unlock(struct mutex *l)
{
	dep_drop(&l->dep);
	pthread_mutex_unlock(&l->m);
}

void mutex_destroy(struct mutex *l)
{
	pthread_mutex_destroy(&l->m);
}

void init_waitqueue_head(wait_queue_head_t *wq)
{
	pthread_mutex_init(&wq->m, NULL);
	pthread_cond_init(&wq->c, NULL);
	wq->sleepers = 0;
}

/* The kernel's: a full barrier, then whether anyone is queued. */
bool wq_has_sleeper(wait_queue_head_t *wq)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&wq->sleepers, __ATOMIC_SEQ_CST) != 0;
}

void wake_up_all(wait_queue_head_t *wq)
{
	pthread_mutex_lock(&wq->m);
	pthread_cond_broadcast(&wq->c);
	pthread_mutex_unlock(&wq->m);
}

void sim_will_sleep(wait_queue_head_t *wq)
{
	__atomic_add_fetch(&sleeps, 1, __ATOMIC_SEQ_CST);
	if (sim_hooks.will_sleep)
		sim_hooks.will_sleep(wq);
}

long sim_sleeps(void)
{
	return __atomic_load_n(&sleeps, __ATOMIC_SEQ_CST);
}

/* ---- memory ---- */

void sim_fail_allocs(int n)
{
	__atomic_store_n(&fail_allocs, n, __ATOMIC_SEQ_CST);
}

void *kzalloc(size_t size, int gfp)
{
	void *p;

	(void)gfp;
	might_sleep();
	if (__atomic_load_n(&fail_allocs, __ATOMIC_SEQ_CST) > 0 &&
	    __atomic_sub_fetch(&fail_allocs, 1, __ATOMIC_SEQ_CST) >= 0)
		return NULL;
	p = calloc(1, size);
	if (p)
		__atomic_add_fetch(&allocs_live, 1, __ATOMIC_SEQ_CST);
	return p;
}

void kfree(const void *p)
{
	if (!p)
		return;
	__atomic_sub_fetch(&allocs_live, 1, __ATOMIC_SEQ_CST);
	free((void *)p);
}

long sim_allocs_live(void)
{
	return __atomic_load_n(&allocs_live, __ATOMIC_SEQ_CST);
}

long sim_mms_live(void)
{
	return __atomic_load_n(&mms_live, __ATOMIC_SEQ_CST);
}

/* ---- the gate of sim_mm.h ---- */

static void gate_init(struct sim_gate *g)
{
	g->readers = 0;
	g->writer = 0;
	pthread_mutex_init(&g->m, NULL);
	pthread_cond_init(&g->c, NULL);
}

/*
 * Readers announce themselves, then look for a writer; writers raise the
 * flag, then look for readers.  Sequentially consistent, so one of the two
 * always sees the other (Dekker), and the slow paths meet under g->m.
 */
static void gate_read_lock(struct sim_gate *g)
{
	for (;;) {
		__atomic_add_fetch(&g->readers, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&g->writer, __ATOMIC_SEQ_CST))
			return;
		if (!__atomic_sub_fetch(&g->readers, 1, __ATOMIC_SEQ_CST)) {
			pthread_mutex_lock(&g->m);
			pthread_cond_broadcast(&g->c);
			pthread_mutex_unlock(&g->m);
		}
		pthread_mutex_lock(&g->m);
		while (__atomic_load_n(&g->writer, __ATOMIC_SEQ_CST))
			pthread_cond_wait(&g->c, &g->m);
		pthread_mutex_unlock(&g->m);
	}
}

static void gate_read_unlock(struct sim_gate *g)
{
	if (!__atomic_sub_fetch(&g->readers, 1, __ATOMIC_SEQ_CST) &&
	    __atomic_load_n(&g->writer, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&g->m);
		pthread_cond_broadcast(&g->c);
		pthread_mutex_unlock(&g->m);
	}
}

static void gate_write_lock(struct sim_gate *g)
{
	pthread_mutex_lock(&g->m);
	while (__atomic_load_n(&g->writer, __ATOMIC_SEQ_CST))
		pthread_cond_wait(&g->c, &g->m);
	__atomic_store_n(&g->writer, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&g->readers, __ATOMIC_SEQ_CST))
		pthread_cond_wait(&g->c, &g->m);
	pthread_mutex_unlock(&g->m);
}

static void gate_write_unlock(struct sim_gate *g)
{
	pthread_mutex_lock(&g->m);
	__atomic_store_n(&g->writer, 0, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&g->c);
	pthread_mutex_unlock(&g->m);
}

/* ---- mm lifetime and mmap lock ---- */

struct mm_struct *sim_mm_new(void)
{
	struct mm_struct *mm = calloc(1, sizeof(*mm));

	if (!mm)
		abort();
	pthread_rwlock_init(&mm->mmap_lock, NULL);
	pthread_mutex_init(&mm->pt_lock, NULL);
	spin_lock_init(&mm->notifiers.lock);
	INIT_HLIST_HEAD(&mm->notifiers.list);
	gate_init(&mm->notifiers.srcu);
	gate_init(&mm->notifiers.ranges);
	mm->mm_users = 1;
	mm->mm_count = 1;
	__atomic_add_fetch(&mms_live, 1, __ATOMIC_SEQ_CST);
	return mm;
}

void mmgrab(struct mm_struct *mm)
{
	__atomic_add_fetch(&mm->mm_count, 1, __ATOMIC_SEQ_CST);
}

void mmdrop(struct mm_struct *mm)
{
	if (__atomic_sub_fetch(&mm->mm_count, 1, __ATOMIC_SEQ_CST))
		return;
	SIM_ASSERT(hlist_empty(&mm->notifiers.list),
		   "mm freed with notifiers linked");
	pthread_rwlock_destroy(&mm->mmap_lock);
	free(mm);
	__atomic_sub_fetch(&mms_live, 1, __ATOMIC_SEQ_CST);
}

void mmap_write_lock(struct mm_struct *mm)
{
	might_sleep();
	pthread_rwlock_wrlock(&mm->mmap_lock);
	dep_take(&mm->mmap_writer);
}

void mmap_write_unlock(struct mm_struct *mm)
{
	dep_drop(&mm->mmap_writer);
	pthread_rwlock_unlock(&mm->mmap_lock);
}

void mmap_read_lock(struct mm_struct *mm)
{
	might_sleep();
	pthread_rwlock_rdlock(&mm->mmap_lock);
	__atomic_add_fetch(&mm->mmap_readers, 1, __ATOMIC_SEQ_CST);
}

int mmap_read_lock_killable(struct mm_struct *mm)
{
	if (fatal_signal_pending(current))
		return -EINTR;
	mmap_read_lock(mm);
	return 0;
}

void mmap_read_unlock(struct mm_struct *mm)
{
	__atomic_sub_fetch(&mm->mmap_readers, 1, __ATOMIC_SEQ_CST);
	pthread_rwlock_unlock(&mm->mmap_lock);
}

bool sim_mmap_write_locked(struct mm_struct *mm)
{
	return sim_dep_mine(&mm->mmap_writer);
}

bool sim_mmap_locked(struct mm_struct *mm)
{
	return sim_dep_mine(&mm->mmap_writer) ||
	       __atomic_load_n(&mm->mmap_readers, __ATOMIC_SEQ_CST) > 0;
}

/* ---- base notifiers ---- */

struct mmu_notifier *mmu_notifier_get_locked(const struct mmu_notifier_ops *ops,
					     struct mm_struct *mm)
{
	struct mmu_notifier_subscriptions *subs = &mm->notifiers;
	struct mmu_notifier *mn;

	mmap_assert_write_locked(mm);
	spin_lock(&subs->lock);
	hlist_for_each_entry(mn, &subs->list, hlist) {
		if (mn->ops == ops && mn->users != UINT_MAX) {
			mn->users++;
			spin_unlock(&subs->lock);
			return mn;
		}
	}
	spin_unlock(&subs->lock);

	mn = ops->alloc_notifier(mm);
	if (IS_ERR(mn))
		return mn;
	mn->ops = ops;
	mn->mm = mm;
	mn->users = 1;
	mmgrab(mm);
	/* mm_take_all_locks(): no invalidation is between start and end. */
	gate_write_lock(&subs->ranges);
	gate_write_lock(&subs->srcu);
	spin_lock(&subs->lock);
	hlist_add_head(&mn->hlist, &subs->list);
	spin_unlock(&subs->lock);
	gate_write_unlock(&subs->srcu);
	gate_write_unlock(&subs->ranges);
	if (sim_hooks.after_link)
		sim_hooks.after_link(mn);
	return mn;
}

void mmu_notifier_put(struct mmu_notifier *mn)
{
	struct mm_struct *mm = mn->mm;
	struct mmu_notifier_subscriptions *subs = &mm->notifiers;

	spin_lock(&subs->lock);
	if (WARN_ON(!mn->users) || --mn->users) {
		spin_unlock(&subs->lock);
		return;
	}
	/*
	 * From a release callback: the kernel unlinks now and frees after
	 * the SRCU grace period (call_srcu); here sim_mm_exit(), which holds
	 * the read side, unlinks and frees it once its callbacks are done.
	 */
	if (!__atomic_load_n(&mm->mm_users, __ATOMIC_SEQ_CST) &&
	    !hlist_unhashed(&mn->hlist)) {
		spin_unlock(&subs->lock);
		return;
	}
	spin_unlock(&subs->lock);
	/* Unlink, then wait out running callbacks (call_srcu). */
	gate_write_lock(&subs->srcu);
	spin_lock(&subs->lock);
	hlist_del_init(&mn->hlist);
	spin_unlock(&subs->lock);
	gate_write_unlock(&subs->srcu);
	mn->ops->free_notifier(mn);
	mmdrop(mm);
}

void mmu_notifier_synchronize(void)
{
	/* put() frees synchronously here: nothing is left in flight. */
}

void sim_range_init(struct mmu_notifier_range *range, struct mm_struct *mm,
		    unsigned long start, unsigned long end,
		    enum mmu_notifier_event event, bool blockable)
{
	memset(range, 0, sizeof(*range));
	range->mm = mm;
	range->start = start;
	range->end = end;
	range->event = event;
	range->flags = blockable ? MMU_NOTIFIER_RANGE_BLOCKABLE : 0;
}

static void call_ends(struct mmu_notifier_range *range)
{
	struct mmu_notifier_subscriptions *subs = &range->mm->notifiers;
	struct mmu_notifier *mn;

	gate_read_lock(&subs->srcu);
	hlist_for_each_entry(mn, &subs->list, hlist)
		if (mn->ops->invalidate_range_end)
			mn->ops->invalidate_range_end(mn, range);
	gate_read_unlock(&subs->srcu);
}

int sim_range_start(struct mmu_notifier_range *range)
{
	struct mmu_notifier_subscriptions *subs = &range->mm->notifiers;
	bool blockable = mmu_notifier_range_blockable(range);
	struct mmu_notifier *mn;
	int ret = 0;

	if (blockable)
		might_sleep();
	gate_read_lock(&subs->ranges);
	gate_read_lock(&subs->srcu);
	hlist_for_each_entry(mn, &subs->list, hlist) {
		int r;

		if (!mn->ops->invalidate_range_start)
			continue;
		if (!blockable)
			non_block_start();
		r = mn->ops->invalidate_range_start(mn, range);
		if (!blockable)
			non_block_end();
		if (r) {
			WARN_ON(blockable || r != -EAGAIN);
			/* A start that may fail cannot also have an end. */
			WARN_ON(mn->ops->invalidate_range_end);
			ret = r;
		}
	}
	gate_read_unlock(&subs->srcu);
	if (ret) {
		call_ends(range);
		gate_read_unlock(&subs->ranges);
	}
	return ret;
}

void sim_range_end(struct mmu_notifier_range *range)
{
	call_ends(range);
	gate_read_unlock(&range->mm->notifiers.ranges);
}

int sim_mm_notifier_count(struct mm_struct *mm, unsigned int *users)
{
	struct mmu_notifier *mn;
	int n = 0;

	*users = 0;
	spin_lock(&mm->notifiers.lock);
	hlist_for_each_entry(mn, &mm->notifiers.list, hlist) {
		n++;
		*users += mn->users;
	}
	spin_unlock(&mm->notifiers.lock);
	return n;
}

/* ---- page tables ---- */

static bool sim_in_window(unsigned long start, unsigned long len)
{
	return PAGE_ALIGNED(start) && PAGE_ALIGNED(len) && len &&
	       start >= SIM_MM_BASE && start < SIM_MM_END &&
	       len <= SIM_MM_END - start;
}

static unsigned long sim_idx(unsigned long addr)
{
	return (addr - SIM_MM_BASE) >> PAGE_SHIFT;
}

unsigned long sim_pte(struct mm_struct *mm, unsigned long addr)
{
	unsigned long pte = 0;

	if (addr < SIM_MM_BASE || addr >= SIM_MM_END)
		return 0;
	pthread_mutex_lock(&mm->pt_lock);
	pte = mm->pte[sim_idx(addr)];
	pthread_mutex_unlock(&mm->pt_lock);
	return pte;
}

enum sim_change { SIM_CLEAR, SIM_WRPROTECT };

static void sim_apply(struct mm_struct *mm, unsigned long start,
		      unsigned long end, enum sim_change how);


void sim_pt_clear(struct mm_struct *mm, unsigned long start,
		  unsigned long end)
{
	sim_apply(mm, start, end, SIM_CLEAR);
}

static void sim_apply(struct mm_struct *mm, unsigned long start,
		      unsigned long end, enum sim_change how)
{
	unsigned long i;

	pthread_mutex_lock(&mm->pt_lock);
	for (i = sim_idx(start); i < sim_idx(end); i++)
		mm->pte[i] = how == SIM_CLEAR ? 0 : mm->pte[i] & ~SIM_PTE_WRITE;
	pthread_mutex_unlock(&mm->pt_lock);
}

/* One mm writer: notify, change the page tables, notify the end. */
static int sim_change(struct mm_struct *mm, unsigned long start,
		      unsigned long len, enum mmu_notifier_event event,
		      bool blockable, enum sim_change how)
{
	struct mmu_notifier_range range;
	int ret;

	sim_range_init(&range, mm, start, start + len, event, blockable);
	ret = sim_range_start(&range);
	if (ret)
		return ret;
	sim_apply(mm, start, start + len, how);
	sim_range_end(&range);
	return 0;
}

static void sim_set_prot(struct mm_struct *mm, unsigned long start,
			 unsigned long len, int prot)
{
	unsigned long i;

	pthread_mutex_lock(&mm->pt_lock);
	for (i = sim_idx(start); i < sim_idx(start + len); i++)
		mm->prot[i] = prot;
	pthread_mutex_unlock(&mm->pt_lock);
}

int sim_mm_map(struct mm_struct *mm, unsigned long start, unsigned long len,
	       int prot)
{
	if (!sim_in_window(start, len))
		return -EINVAL;
	mmap_write_lock(mm);
	sim_set_prot(mm, start, len, prot | SIM_PROT_READ);
	mmap_write_unlock(mm);
	return 0;
}

int sim_mm_munmap(struct mm_struct *mm, unsigned long start,
		  unsigned long len)
{
	int ret;

	if (!sim_in_window(start, len))
		return -EINVAL;
	mmap_write_lock(mm);
	ret = sim_change(mm, start, len, MMU_NOTIFY_UNMAP, true, SIM_CLEAR);
	sim_set_prot(mm, start, len, 0);
	mmap_write_unlock(mm);
	return ret;
}

int sim_mm_mprotect(struct mm_struct *mm, unsigned long start,
		    unsigned long len, int prot)
{
	int ret;

	if (!sim_in_window(start, len))
		return -EINVAL;
	mmap_write_lock(mm);
	ret = sim_change(mm, start, len, MMU_NOTIFY_PROTECTION_VMA, true,
			 SIM_WRPROTECT);
	sim_set_prot(mm, start, len, prot | SIM_PROT_READ);
	mmap_write_unlock(mm);
	return ret;
}

int sim_mm_dontneed(struct mm_struct *mm, unsigned long start,
		    unsigned long len)
{
	int ret;

	if (!sim_in_window(start, len))
		return -EINVAL;
	mmap_read_lock(mm);
	ret = sim_change(mm, start, len, MMU_NOTIFY_CLEAR, true, SIM_CLEAR);
	mmap_read_unlock(mm);
	return ret;
}

int sim_mm_zap(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	if (!sim_in_window(start, len))
		return -EINVAL;
	return sim_change(mm, start, len, MMU_NOTIFY_CLEAR, true, SIM_CLEAR);
}

int sim_mm_oom_reap(struct mm_struct *mm, unsigned long start,
		    unsigned long len)
{
	int ret;

	if (!sim_in_window(start, len))
		return -EINVAL;
	mmap_read_lock(mm);
	ret = sim_change(mm, start, len, MMU_NOTIFY_UNMAP, false, SIM_CLEAR);
	mmap_read_unlock(mm);
	return ret;
}

void sim_mm_exit(struct mm_struct *mm)
{
	struct mmu_notifier_subscriptions *subs = &mm->notifiers;
	struct mmu_notifier *mn;
	struct hlist_node *next;
	HLIST_HEAD(put);

	__atomic_store_n(&mm->mm_users, 0, __ATOMIC_SEQ_CST);
	gate_read_lock(&subs->srcu);
	hlist_for_each_entry(mn, &subs->list, hlist)
		if (mn->ops->release)
			mn->ops->release(mn, mm);
	gate_read_unlock(&subs->srcu);

	gate_write_lock(&subs->srcu);
	spin_lock(&subs->lock);
	hlist_for_each_entry_safe(mn, next, &subs->list, hlist) {
		hlist_del_init(&mn->hlist);
		/* Put for the last time by a release callback. */
		if (!mn->users)
			hlist_add_head(&mn->hlist, &put);
	}
	spin_unlock(&subs->lock);
	gate_write_unlock(&subs->srcu);
	hlist_for_each_entry_safe(mn, next, &put, hlist) {
		hlist_del_init(&mn->hlist);
		mn->ops->free_notifier(mn);
		mmdrop(mm);
	}

	sim_apply(mm, SIM_MM_BASE, SIM_MM_END, SIM_CLEAR);
	sim_set_prot(mm, SIM_MM_BASE, SIM_MM_END - SIM_MM_BASE, 0);
	mmdrop(mm);
}

/* ---- hmm_range_fault ---- */

static int sim_fault_one(struct mm_struct *mm, unsigned long addr,
			 unsigned long req, unsigned long *out)
{
	unsigned long i = sim_idx(addr), pte;
	int prot = mm->prot[i];

	*out = 0;
	if (!prot)
		return req ? -EFAULT : 0;
	if ((req & HMM_PFN_REQ_WRITE) && !(prot & SIM_PROT_WRITE))
		return -EPERM;
	pte = mm->pte[i];
	if (!pte && !req)
		return 0;
	if (!pte)
		pte = __atomic_add_fetch(&next_pfn, 1, __ATOMIC_SEQ_CST) << 1;
	/* A write fault makes the pte writable (the COW break). */
	if ((req & HMM_PFN_REQ_WRITE) || (!mm->pte[i] && (prot & SIM_PROT_WRITE)))
		pte |= SIM_PTE_WRITE;
	mm->pte[i] = pte;
	*out = sim_pte_pfn(pte) | HMM_PFN_VALID |
	       ((pte & SIM_PTE_WRITE) ? HMM_PFN_WRITE : 0);
	return 0;
}

int hmm_range_fault(struct hmm_range *range)
{
	struct mm_struct *mm = range->notifier->mm;
	unsigned long addr, req;
	int ret = 0;

	mmap_assert_locked(mm);
	if (READ_ONCE(range->notifier->invalidate_seq) != range->notifier_seq)
		return -EBUSY;
	if (range->start < SIM_MM_BASE || range->end > SIM_MM_END ||
	    range->start >= range->end)
		return -EFAULT;
	pthread_mutex_lock(&mm->pt_lock);
	for (addr = range->start; addr < range->end; addr += PAGE_SIZE) {
		unsigned long *pfn = &range->hmm_pfns[(addr - range->start) >>
						     PAGE_SHIFT];

		req = (range->default_flags | (*pfn & range->pfn_flags_mask)) &
		      (HMM_PFN_REQ_FAULT | HMM_PFN_REQ_WRITE);
		ret = sim_fault_one(mm, addr, req, pfn);
		if (ret)
			break;
	}
	pthread_mutex_unlock(&mm->pt_lock);
	if (!ret && sim_hooks.after_fault)
		sim_hooks.after_fault(range);
	return ret;
}
