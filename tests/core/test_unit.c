// SPDX-License-Identifier: GPL-2.0
/*
 * One test per API call and per state of the lock: idle, invalidating with
 * and without a hit, nested, parallel; deferred insert and remove; release;
 * the non-blockable refusal; the range-fault helper and its errors; and
 * the sleep/lock assertions the userspace build checks.
 */
#include <string.h>
#include "tclient.h"
#include "tap.h"

#define A(n)	(SIM_MM_BASE + (unsigned long)(n) * PAGE_SIZE)

static struct tclient c1, c2, c3;

static void setup(void)
{
	tlog_reset();
	tclient_init(&c1, 1);
	tclient_init(&c2, 2);
	tclient_init(&c3, 3);
}

static void inv_start(struct mmu_notifier_range *r, struct mm_struct *mm,
		      unsigned long start, unsigned long end)
{
	sim_range_init(r, mm, start, end, MMU_NOTIFY_CLEAR, true);
	if (sim_range_start(r))
		abort();
}

/* True if itn_read_begin() on @c blocks now; it is then joined later. */
static bool read_begin_blocks(struct probe *p, struct tclient *c)
{
	return probe_start(p, probe_read_begin, c);
}

TEST(insert_rejects_bad_arguments)
{
	struct mm_struct *mm = sim_mm_new();
	const struct itn_sub_ops none = { 0 };

	setup();
	EXPECT(tclient_insert(&c1, mm, A(0), 0) == -EINVAL);
	EXPECT(tclient_insert(&c1, mm, ULONG_MAX - PAGE_SIZE + 1,
			      2 * PAGE_SIZE) == -EINVAL);
	EXPECT(itn_sub_insert(&c1.sub, mm, A(0), PAGE_SIZE, NULL) == -EINVAL);
	EXPECT(itn_sub_insert(&c1.sub, mm, A(0), PAGE_SIZE, &none) == -EINVAL);
	EXPECT(itn_sub_insert(&c1.sub, NULL, A(0), PAGE_SIZE, &none) ==
	       -EINVAL);
	/* The very last byte of the address space is a valid range. */
	EXPECT(tclient_insert(&c1, mm, ULONG_MAX, 1) == 0);
	EXPECT(itn_sub_start(&c1.sub) == ULONG_MAX);
	EXPECT(itn_sub_last(&c1.sub) == ULONG_MAX);
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

TEST(insert_reports_enomem_without_leak)
{
	struct mm_struct *mm = sim_mm_new();
	unsigned int users;

	setup();
	sim_fail_allocs(1);
	EXPECT(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == -ENOMEM);
	sim_fail_allocs(0);
	EXPECT(sim_mm_notifier_count(mm, &users) == 0);
	EXPECT(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

TEST(idle_insert_read_begin_remove)
{
	struct mm_struct *mm = sim_mm_new();
	unsigned long seq;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), 4 * PAGE_SIZE) == 0);
	EXPECT(itn_sub_start(&c1.sub) == A(0));
	EXPECT(itn_sub_last(&c1.sub) == A(4) - 1);
	EXPECT(itn_sub_mm(&c1.sub) == mm);
	seq = itn_read_begin(&c1.sub);
	EXPECT(seq & 1);
	EXPECT(!itn_read_retry(&c1.sub, seq));
	EXPECT(!itn_check_retry(&c1.sub, seq));
	tclient_remove(&c1);
	EXPECT(tlog_len == 0);
	EXPECT(strcmp(itn_backend_name(), "itn") == 0);
	sim_mm_exit(mm);
}

TEST(one_base_registration_per_mm_kept_until_exit)
{
	struct mm_struct *mm = sim_mm_new(), *mm2 = sim_mm_new();
	unsigned int users;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c2, mm, A(8), PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c3, mm2, A(0), PAGE_SIZE) == 0);
	/* start_mn and end_mn, registered once per mm whatever the subs. */
	EXPECT(sim_mm_notifier_count(mm, &users) == 2 && users == 2);
	EXPECT(sim_mm_notifier_count(mm2, &users) == 2 && users == 2);
	tclient_remove(&c1);
	tclient_remove(&c2);
	/* No subscription left: the registry stays for the next one. */
	EXPECT(sim_mm_notifier_count(mm, &users) == 2 && users == 2);
	CHECK(tclient_insert(&c1, mm, A(4), PAGE_SIZE) == 0);
	EXPECT(sim_mm_notifier_count(mm, &users) == 2 && users == 2);
	EXPECT(sim_mm_zap(mm, A(4), PAGE_SIZE) == 0);
	EXPECT(tlog_len == 1 && tlog[0].client == c1.id);
	tclient_remove(&c1);
	tclient_remove(&c3);
	/* RELEASE drops it (sim_mm_exit() asserts nothing stays linked). */
	sim_mm_exit(mm);
	/* Module exit drops those of the mms still alive. */
	itn_reg_drain();
	EXPECT(sim_mm_notifier_count(mm2, &users) == 0);
	sim_mm_exit(mm2);
}

TEST(exit_with_live_subs_keeps_registry_until_last_remove)
{
	struct mm_struct *mm = sim_mm_new();
	unsigned int users;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c2, mm, A(8), PAGE_SIZE) == 0);
	mmgrab(mm);
	sim_mm_exit(mm);
	EXPECT(tlog_len == 2);
	/* Unlinked by the exit, still counted by the two subs. */
	EXPECT(sim_mm_notifier_count(mm, &users) == 0);
	tclient_remove(&c1);
	tclient_remove(&c2);
	itn_reg_drain();
	mmdrop(mm);
}

TEST(insert_locked_with_mmap_lock_held)
{
	struct mm_struct *mm = sim_mm_new();
	int ret;

	setup();
	mmap_write_lock(mm);
	ret = itn_sub_insert_locked(&c1.sub, mm, A(0), PAGE_SIZE, NULL);
	mmap_write_unlock(mm);
	EXPECT(ret == -EINVAL);
	CHECK(tclient_insert(&c2, mm, A(0), PAGE_SIZE) == 0);
	mmap_write_lock(mm);
	ret = itn_sub_insert_locked(&c1.sub, mm, A(0), PAGE_SIZE,
				    c2.sub.ops);
	mmap_write_unlock(mm);
	CHECK(ret == 0);
	EXPECT(sim_mm_zap(mm, A(0), PAGE_SIZE) == 0);
	EXPECT(c1.ncalls == 1 && c2.ncalls == 1);
	tclient_remove(&c1);
	tclient_remove(&c2);
	sim_mm_exit(mm);
}

static void insert_locked_unlocked(void *arg)
{
	struct mm_struct *mm = sim_mm_new();

	(void)arg;
	setup();
	CHECK(tclient_insert(&c2, mm, A(0), PAGE_SIZE) == 0);
	itn_sub_insert_locked(&c1.sub, mm, A(0), PAGE_SIZE, c2.sub.ops);
}

static struct mm_struct *window_mm;
static int window_links;

/*
 * Reclaim on another CPU needs no mmap lock, only the rmap locks that
 * each registration's mm_take_all_locks() waits out: a whole range can
 * run between the linking of the registry's two base notifiers.
 */
static void range_in_registration_window(struct mmu_notifier *mn)
{
	struct mmu_notifier_range r;

	(void)mn;
	if (window_links++)
		return;
	sim_range_init(&r, window_mm, A(0), A(1), MMU_NOTIFY_CLEAR, true);
	if (sim_range_start(&r))
		abort();
	sim_range_end(&r);
}

TEST(range_between_the_two_registrations_leaves_no_imbalance)
{
	struct probe p;

	setup();
	window_mm = sim_mm_new();
	window_links = 0;
	sim_hooks.after_link = range_in_registration_window;
	CHECK(tclient_insert(&c1, window_mm, A(0), PAGE_SIZE) == 0);
	sim_hooks.after_link = NULL;
	EXPECT(window_links == 2);
	/* Idle: a reader returns, an insert goes straight in. */
	CHECK(!read_begin_blocks(&p, &c1));
	EXPECT(probe_join(&p));
	CHECK(tclient_insert(&c2, window_mm, A(4), PAGE_SIZE) == 0);
	CHECK(!read_begin_blocks(&p, &c2));
	EXPECT(probe_join(&p));
	EXPECT(sim_mm_zap(window_mm, A(0), 8 * PAGE_SIZE) == 0);
	EXPECT(c1.ncalls == 1 && c2.ncalls == 1);
	tclient_remove(&c1);
	tclient_remove(&c2);
	sim_mm_exit(window_mm);
}

TEST(insert_locked_asserts_the_mmap_lock)
{
	EXPECT(tap_dies(insert_locked_unlocked, NULL));
}

TEST(invalidate_without_hit_calls_nobody)
{
	struct mm_struct *mm = sim_mm_new();
	struct mmu_notifier_range r;
	struct probe p;
	unsigned long seq;

	setup();
	CHECK(tclient_insert(&c1, mm, A(4), 4 * PAGE_SIZE) == 0);
	seq = itn_read_begin(&c1.sub);
	/* Ranges are [start, end): A(8) is past the sub, A(4)-1 before. */
	inv_start(&r, mm, A(8), A(12));
	EXPECT(!read_begin_blocks(&p, &c1));
	EXPECT(probe_join(&p) && p.ret == seq);
	sim_range_end(&r);
	inv_start(&r, mm, A(0), A(4));
	sim_range_end(&r);
	EXPECT(c1.ncalls == 0);
	EXPECT(!itn_read_retry(&c1.sub, seq));
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

TEST(invalidate_hit_calls_exactly_the_overlapping_subs)
{
	struct mm_struct *mm = sim_mm_new();
	struct mmu_notifier_range r;
	unsigned long seq1, seq3;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), 4 * PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c2, mm, A(4), 4 * PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c3, mm, A(3), 2 * PAGE_SIZE) == 0);
	seq1 = itn_read_begin(&c1.sub);
	seq3 = itn_read_begin(&c3.sub);
	/* Last byte of c1 and c3's first page: c1 and c3, not c2. */
	inv_start(&r, mm, A(3), A(4));
	EXPECT(c1.ncalls == 1 && c2.ncalls == 0 && c3.ncalls == 1);
	EXPECT(tlog_len == 2);
	EXPECT(tlog[0].start == A(3) && tlog[0].end == A(4));
	EXPECT(tlog[0].event == MMU_NOTIFY_CLEAR && tlog[0].blockable);
	EXPECT(tlog[0].cur_seq & 1);
	EXPECT(tlog[0].cur_seq == tlog[1].cur_seq);
	EXPECT(itn_check_retry(&c1.sub, seq1));
	EXPECT(itn_read_retry(&c3.sub, seq3));
	sim_range_end(&r);
	EXPECT(itn_read_retry(&c1.sub, seq1));
	tclient_remove(&c1);
	tclient_remove(&c2);
	tclient_remove(&c3);
	sim_mm_exit(mm);
}

TEST(read_begin_sleeps_only_on_a_sub_being_invalidated)
{
	struct mm_struct *mm = sim_mm_new();
	struct mmu_notifier_range r;
	struct probe p1, p2;
	unsigned long cur;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c2, mm, A(8), PAGE_SIZE) == 0);
	inv_start(&r, mm, A(0), A(1));
	cur = tlog[0].cur_seq;
	EXPECT(read_begin_blocks(&p1, &c1));
	/* c2 is not in the range: the registry is busy but c2 is not. */
	EXPECT(!read_begin_blocks(&p2, &c2));
	EXPECT(probe_join(&p2));
	EXPECT(!probe_done(&p1));
	sim_range_end(&r);
	EXPECT(probe_join(&p1));
	EXPECT(p1.ret == cur);
	EXPECT(!itn_read_retry(&c1.sub, p1.ret));
	tclient_remove(&c1);
	tclient_remove(&c2);
	sim_mm_exit(mm);
}

TEST(nested_invalidations_end_with_the_last)
{
	struct mm_struct *mm = sim_mm_new();
	struct mmu_notifier_range outer, inner;
	struct probe p;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), 8 * PAGE_SIZE) == 0);
	inv_start(&outer, mm, A(0), A(8));
	inv_start(&inner, mm, A(2), A(3));
	EXPECT(c1.ncalls == 2);
	EXPECT(tlog[0].cur_seq == tlog[1].cur_seq);
	EXPECT(read_begin_blocks(&p, &c1));
	sim_range_end(&inner);
	EXPECT(!probe_done(&p));
	sim_range_end(&outer);
	EXPECT(probe_join(&p));
	/* The next invalidation gets a new sequence. */
	inv_start(&outer, mm, A(0), A(1));
	EXPECT(tlog[2].cur_seq != tlog[0].cur_seq);
	sim_range_end(&outer);
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

TEST(parallel_invalidations_hit_and_miss)
{
	struct mm_struct *mm = sim_mm_new();
	struct mmu_notifier_range miss, hit;
	struct probe p;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	/* Partly excluded: active, even sequence. */
	inv_start(&miss, mm, A(100), A(101));
	EXPECT(!read_begin_blocks(&p, &c1));
	EXPECT(probe_join(&p));
	inv_start(&hit, mm, A(0), A(1));
	EXPECT(read_begin_blocks(&p, &c1));
	/* The hit ends first; the miss keeps the sequence odd. */
	sim_range_end(&hit);
	EXPECT(!probe_done(&p));
	sim_range_end(&miss);
	EXPECT(probe_join(&p));
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

TEST(insert_while_invalidating_is_deferred)
{
	struct mm_struct *mm = sim_mm_new();
	struct mmu_notifier_range r, r2;
	struct probe p;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	inv_start(&r, mm, A(0), A(1));
	CHECK(tclient_insert(&c2, mm, A(4), PAGE_SIZE) == 0);
	/* Not in the tree yet: a second invalidation misses it... */
	inv_start(&r2, mm, A(4), A(5));
	EXPECT(c2.ncalls == 0);
	sim_range_end(&r2);
	/* ...and its readers wait for the running one to end. */
	EXPECT(read_begin_blocks(&p, &c2));
	sim_range_end(&r);
	EXPECT(probe_join(&p));
	EXPECT(sim_mm_zap(mm, A(4), PAGE_SIZE) == 0);
	EXPECT(c2.ncalls == 1);
	tclient_remove(&c1);
	tclient_remove(&c2);
	sim_mm_exit(mm);
}

TEST(insert_during_a_miss_waits_for_its_end)
{
	struct mm_struct *mm = sim_mm_new();
	struct mmu_notifier_range miss;
	struct probe p;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	inv_start(&miss, mm, A(4), A(5));
	/* The running range may cover the new sub: it must wait. */
	CHECK(tclient_insert(&c2, mm, A(4), PAGE_SIZE) == 0);
	EXPECT(read_begin_blocks(&p, &c2));
	sim_range_end(&miss);
	EXPECT(probe_join(&p));
	EXPECT(c1.ncalls == 0 && c2.ncalls == 0);
	tclient_remove(&c1);
	tclient_remove(&c2);
	sim_mm_exit(mm);
}

TEST(remove_while_invalidating_waits_for_the_end)
{
	struct mm_struct *mm = sim_mm_new();
	struct mmu_notifier_range r;
	struct probe p;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c2, mm, A(4), PAGE_SIZE) == 0);
	inv_start(&r, mm, A(0), A(1));
	EXPECT(probe_start(&p, probe_remove, &c2));
	sim_range_end(&r);
	EXPECT(probe_join(&p));
	EXPECT(sim_mm_zap(mm, A(0), A(8) - A(0)) == 0);
	EXPECT(c2.ncalls == 0 && c1.ncalls == 2);
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

TEST(remove_of_a_deferred_insert_does_not_wait)
{
	struct mm_struct *mm = sim_mm_new();
	struct mmu_notifier_range r;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	inv_start(&r, mm, A(0), A(1));
	CHECK(tclient_insert(&c2, mm, A(0), PAGE_SIZE) == 0);
	tclient_remove(&c2);
	sim_range_end(&r);
	EXPECT(sim_mm_zap(mm, A(0), PAGE_SIZE) == 0);
	EXPECT(c2.ncalls == 0 && c1.ncalls == 2);
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

TEST(remove_during_a_miss_applies_at_once)
{
	struct mm_struct *mm = sim_mm_new();
	struct mmu_notifier_range miss;
	long sleeps;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c2, mm, A(8), PAGE_SIZE) == 0);
	inv_start(&miss, mm, A(4), A(5));
	sleeps = sim_sleeps();
	tclient_remove(&c2);
	EXPECT(sim_sleeps() == sleeps);
	sim_range_end(&miss);
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

TEST(release_reaches_every_live_sub_once)
{
	struct mm_struct *mm = sim_mm_new();
	int i;

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c2, mm, ULONG_MAX - PAGE_SIZE + 1,
			     PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c3, mm, A(3), PAGE_SIZE) == 0);
	tclient_remove(&c3);
	/* The mm_struct outlives its address space: the subs hold it. */
	sim_mm_exit(mm);
	EXPECT(sim_mms_live() > 0);
	EXPECT(tlog_len == 2);
	for (i = 0; i < tlog_len; i++) {
		EXPECT(tlog[i].event == MMU_NOTIFY_RELEASE);
		EXPECT(tlog[i].start == 0 && tlog[i].end == ULONG_MAX);
		EXPECT(tlog[i].blockable);
	}
	EXPECT(c1.ncalls == 1 && c2.ncalls == 1 && c3.ncalls == 0);
	/* Still usable after the mm is gone: nothing is ever called. */
	EXPECT(!itn_read_retry(&c1.sub, itn_read_begin(&c1.sub)));
	tclient_remove(&c1);
	tclient_remove(&c2);
	EXPECT(tlog_len == 2);
}

TEST(oom_reaper_refusal_is_eagain_and_balanced)
{
	struct mm_struct *mm = sim_mm_new();
	unsigned long pte;
	unsigned int tries;
	struct probe p;

	setup();
	CHECK(sim_mm_map(mm, A(0), 4 * PAGE_SIZE, SIM_PROT_WRITE) == 0);
	CHECK(tclient_insert(&c1, mm, A(0), 4 * PAGE_SIZE) == 0);
	CHECK(tclient_insert(&c2, mm, A(0), 4 * PAGE_SIZE) == 0);
	CHECK(tclient_fault(&c1, A(0), A(4), true, 4, 0, &tries) == 0);
	pte = sim_pte(mm, A(1));
	c2.refuse_nonblock = true;
	EXPECT(sim_mm_oom_reap(mm, A(0), 4 * PAGE_SIZE) == -EAGAIN);
	EXPECT(sim_pte(mm, A(1)) == pte);
	EXPECT(c2.ncalls == 0);
	/* Balanced: nothing left invalidating. */
	EXPECT(!read_begin_blocks(&p, &c2));
	EXPECT(probe_join(&p));
	/* A client whose trylock fails refuses too. */
	c2.refuse_nonblock = false;
	mutex_lock(&c2.lock);
	EXPECT(sim_mm_oom_reap(mm, A(0), 4 * PAGE_SIZE) == -EAGAIN);
	mutex_unlock(&c2.lock);
	EXPECT(sim_mm_oom_reap(mm, A(0), 4 * PAGE_SIZE) == 0);
	EXPECT(sim_pte(mm, A(1)) == 0);
	EXPECT(tclient_dev_count(&c1, A(0), A(4)) == 0);
	EXPECT(!tlog[tlog_len - 1].blockable);
	tclient_remove(&c1);
	tclient_remove(&c2);
	sim_mm_exit(mm);
}

TEST(refusing_a_blockable_range_is_a_warned_bug)
{
	struct mm_struct *mm = sim_mm_new();

	setup();
	CHECK(tclient_insert(&c1, mm, A(0), PAGE_SIZE) == 0);
	c1.refuse_always = true;
	tap_expect_warnings(1);
	EXPECT(sim_mm_zap(mm, A(0), PAGE_SIZE) == 0);
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

static void sleep_in_nonblock(struct tclient *c,
			      const struct mmu_notifier_range *r)
{
	(void)c;
	if (!mmu_notifier_range_blockable(r))
		mutex_lock(&c->lock);
}

static void nonblock_sleeper(void *arg)
{
	struct mm_struct *mm = sim_mm_new();

	(void)arg;
	setup();
	sim_mm_map(mm, A(0), PAGE_SIZE, 0);
	if (tclient_insert(&c1, mm, A(0), PAGE_SIZE))
		return;
	c1.in_callback = sleep_in_nonblock;
	sim_mm_oom_reap(mm, A(0), PAGE_SIZE);
}

TEST(sleeping_in_a_nonblockable_callback_is_caught)
{
	EXPECT(tap_dies(nonblock_sleeper, NULL));
}

static void read_begin_under_spinlock(void *arg)
{
	struct mm_struct *mm = sim_mm_new();
	spinlock_t l;

	(void)arg;
	setup();
	spin_lock_init(&l);
	if (tclient_insert(&c1, mm, A(0), PAGE_SIZE))
		return;
	spin_lock(&l);
	itn_read_begin(&c1.sub);
}

TEST(read_begin_in_atomic_context_is_caught)
{
	EXPECT(tap_dies(read_begin_under_spinlock, NULL));
}

TEST(range_fault_commits_fresh_pfns_in_chunks)
{
	struct mm_struct *mm = sim_mm_new();
	unsigned int tries;
	unsigned long a;

	setup();
	CHECK(sim_mm_map(mm, A(0), 10 * PAGE_SIZE, SIM_PROT_WRITE) == 0);
	CHECK(tclient_insert(&c1, mm, A(0), 10 * PAGE_SIZE) == 0);
	EXPECT(tclient_fault(&c1, A(0), A(10), false, 3, 2, &tries) == 0);
	EXPECT(c1.commits == 4 && tries == 0 && c1.stale == 0);
	for (a = A(0); a < A(10); a += PAGE_SIZE)
		EXPECT(c1.dev[(a - SIM_MM_BASE) >> PAGE_SHIFT] ==
		       sim_pte_pfn(sim_pte(mm, a)));
	EXPECT(sim_mm_munmap(mm, A(2), 2 * PAGE_SIZE) == 0);
	EXPECT(tclient_dev_count(&c1, A(0), A(10)) == 8);
	EXPECT(tlog[0].event == MMU_NOTIFY_UNMAP);
	EXPECT(tlog[0].start == A(2) && tlog[0].end == A(4));
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

static int failing_commit(struct itn_fault *f,
			  const struct itn_fault_chunk *chunk)
{
	(void)f;
	(void)chunk;
	return -ENOSPC;
}

TEST(range_fault_reports_errors)
{
	struct mm_struct *mm = sim_mm_new();
	unsigned long pfns[4];
	struct mutex lock;
	struct itn_fault f = {
		.sub = &c1.sub, .start = A(0), .end = A(4),
		.default_flags = HMM_PFN_REQ_FAULT, .hmm_pfns = pfns,
		.chunk_pages = 4, .driver_lock = &lock,
		.commit = failing_commit,
	};
	struct itn_fault bad;

	setup();
	mutex_init(&lock);
	CHECK(sim_mm_map(mm, A(0), 4 * PAGE_SIZE, 0) == 0);
	CHECK(tclient_insert(&c1, mm, A(0), 8 * PAGE_SIZE) == 0);
	EXPECT(itn_range_fault(&f) == -ENOSPC);
	EXPECT(itn_range_fault(NULL) == -EINVAL);
	bad = f, bad.start = A(0) + 1;
	EXPECT(itn_range_fault(&bad) == -EINVAL);
	bad = f, bad.end = A(9);
	EXPECT(itn_range_fault(&bad) == -EINVAL);
	bad = f, bad.end = bad.start;
	EXPECT(itn_range_fault(&bad) == -EINVAL);
	bad = f, bad.chunk_pages = 0;
	EXPECT(itn_range_fault(&bad) == -EINVAL);
	bad = f, bad.commit = NULL;
	EXPECT(itn_range_fault(&bad) == -EINVAL);
	/* Unmapped pages and writes to read-only pages. */
	EXPECT(tclient_fault(&c1, A(0), A(8), false, 8, 0, NULL) == -EFAULT);
	EXPECT(tclient_fault(&c1, A(0), A(4), true, 4, 0, NULL) == -EPERM);
	/* A pending fatal signal ends the loop. */
	current->fatal_signal = true;
	EXPECT(tclient_fault(&c1, A(0), A(4), false, 4, 0, NULL) == -EINTR);
	current->fatal_signal = false;
	EXPECT(c1.commits == 0);
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

static int zaps_left;

static void zap_after_fault(struct hmm_range *range)
{
	if (zaps_left > 0) {
		zaps_left--;
		/* Reclaim needs no mmap lock: it can race any fault. */
		if (sim_mm_zap(range->notifier->mm, range->start,
			       range->end - range->start))
			abort();
	}
}

TEST(range_fault_retries_within_its_budget)
{
	struct mm_struct *mm = sim_mm_new();
	unsigned int tries;

	setup();
	CHECK(sim_mm_map(mm, A(0), 4 * PAGE_SIZE, SIM_PROT_WRITE) == 0);
	CHECK(tclient_insert(&c1, mm, A(0), 4 * PAGE_SIZE) == 0);
	sim_hooks.after_fault = zap_after_fault;
	zaps_left = 1;
	EXPECT(tclient_fault(&c1, A(0), A(4), true, 4, 3, &tries) == 0);
	EXPECT(tries == 1 && c1.stale == 0 && c1.commits == 1);
	zaps_left = 100;
	EXPECT(tclient_fault(&c1, A(0), A(4), true, 2, 3, &tries) == -EBUSY);
	EXPECT(tries == 3 && c1.commits == 1);
	sim_hooks.after_fault = NULL;
	tclient_remove(&c1);
	sim_mm_exit(mm);
}
