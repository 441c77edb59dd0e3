// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic interleavings.  Each test forces one order of a reader and
 * a writer with explicit steps (the hooks in the sim mm and in the test
 * client stop a thread at a named point), then checks the outcome the race
 * diagram in drivers/core/notifier.c promises for that order.
 */
#include <string.h>
#include <time.h>
#include "tclient.h"
#include "tap.h"

#define A(n)	(SIM_MM_BASE + (unsigned long)(n) * PAGE_SIZE)

static pthread_mutex_t step_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t step_cond = PTHREAD_COND_INITIALIZER;
static int step;

static void step_reset(void)
{
	pthread_mutex_lock(&step_lock);
	step = 0;
	pthread_mutex_unlock(&step_lock);
}

static void step_post(int n)
{
	pthread_mutex_lock(&step_lock);
	if (step < n)
		step = n;
	pthread_cond_broadcast(&step_cond);
	pthread_mutex_unlock(&step_lock);
}

/* Wait for step @n; a lost step is a hang, so give up after 10 s. */
static void step_wait(int n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&step_lock);
	while (step < n)
		if (pthread_cond_timedwait(&step_cond, &step_lock, &ts))
			sim_bug(__FILE__, __LINE__, "step never came");
	pthread_mutex_unlock(&step_lock);
}

static struct tclient c1;
static struct mm_struct *mm;
static unsigned long stale_pfns[4];
static int faults;

static void setup(void)
{
	tlog_reset();
	step_reset();
	tclient_init(&c1, 1);
	mm = sim_mm_new();
	faults = 0;
	if (sim_mm_map(mm, A(0), 4 * PAGE_SIZE, SIM_PROT_WRITE) ||
	    tclient_insert(&c1, mm, A(0), 4 * PAGE_SIZE))
		abort();
}

static void teardown(void)
{
	sim_hooks.after_fault = NULL;
	sim_hooks.will_sleep = NULL;
	c1.in_callback = NULL;
	c1.in_commit = NULL;
	tclient_remove(&c1);
	sim_mm_exit(mm);
}

struct fault_job {
	pthread_t thread;
	int ret;
	unsigned int retries;
};

static void *fault_thread(void *arg)
{
	struct fault_job *j = arg;

	j->ret = tclient_fault(&c1, A(0), A(4), true, 4, 5, &j->retries);
	return NULL;
}

static void fault_run(struct fault_job *j)
{
	if (pthread_create(&j->thread, NULL, fault_thread, j))
		abort();
}

/* Reader, step 1: the pages are faulted; hold here until the writer ran. */
static void park_after_first_fault(struct hmm_range *range)
{
	if (faults++)
		return;
	memcpy(stale_pfns, range->hmm_pfns, sizeof(stale_pfns));
	step_post(1);
	step_wait(2);
}

static void note_sleep(wait_queue_head_t *wq)
{
	(void)wq;
	step_post(3);
}

/*
 * The diagram of notifier.c, line by line: read_begin, the writer's
 * start and callback, the stale fault, the failed retry, read_begin
 * sleeping, the end waking it, the clean second pass.
 */
TEST(race_diagram_reader_retries_after_stale_fault)
{
	struct mmu_notifier_range r;
	struct fault_job j;
	int i;

	setup();
	sim_hooks.after_fault = park_after_first_fault;
	sim_hooks.will_sleep = note_sleep;
	fault_run(&j);

	step_wait(1);
	sim_range_init(&r, mm, A(0), A(4), MMU_NOTIFY_CLEAR, true);
	CHECK(sim_range_start(&r) == 0);
	EXPECT(c1.ncalls == 1);
	sim_pt_clear(mm, A(0), A(4));
	step_post(2);

	/* The reader fails read_retry and sleeps in read_begin. */
	step_wait(3);
	EXPECT(c1.commits == 0);
	sim_range_end(&r);
	pthread_join(j.thread, NULL);

	EXPECT(j.ret == 0 && j.retries == 1 && faults == 2);
	EXPECT(c1.commits == 1 && c1.stale == 0);
	for (i = 0; i < 4; i++) {
		unsigned long now = sim_pte_pfn(sim_pte(mm, A(i)));

		EXPECT(c1.dev[i] == now);
		EXPECT((stale_pfns[i] & ~HMM_PFN_FLAGS) != now);
	}
	teardown();
}

static void writer_entered_callback(struct tclient *c,
				    const struct mmu_notifier_range *r)
{
	(void)c;
	(void)r;
	step_post(2);
}

static void *writer_zap(void *arg)
{
	(void)arg;
	if (sim_mm_zap(mm, A(0), 4 * PAGE_SIZE))
		abort();
	return NULL;
}

/* Reader, in commit with the client lock held: let the writer arrive. */
static void commit_waits_for_writer(struct tclient *c)
{
	(void)c;
	step_post(1);
	step_wait(2);
}

/*
 * The other order: the reader owns the client lock when the writer's
 * callback arrives.  The callback waits for the lock, so the reader
 * commits pages that are still valid, and the callback then tears them
 * down before the mm changes anything.
 */
TEST(race_reader_locks_first_callback_tears_down_after)
{
	pthread_t writer;
	struct fault_job j;

	setup();
	c1.in_commit = commit_waits_for_writer;
	c1.in_callback = writer_entered_callback;
	fault_run(&j);
	step_wait(1);
	if (pthread_create(&writer, NULL, writer_zap, NULL))
		abort();
	pthread_join(j.thread, NULL);
	pthread_join(writer, NULL);
	EXPECT(j.ret == 0 && j.retries == 0);
	EXPECT(c1.commits == 1 && c1.stale == 0 && c1.ncalls == 1);
	EXPECT(tclient_dev_count(&c1, A(0), A(4)) == 0);
	EXPECT(sim_pte(mm, A(0)) == 0);
	teardown();
}

TEST(race_read_begin_before_inv_start_retries)
{
	struct mmu_notifier_range r;
	unsigned long seq;
	long sleeps;

	setup();
	sleeps = sim_sleeps();
	seq = itn_read_begin(&c1.sub);
	sim_range_init(&r, mm, A(1), A(2), MMU_NOTIFY_CLEAR, true);
	CHECK(sim_range_start(&r) == 0);
	mutex_lock(&c1.lock);
	EXPECT(itn_read_retry(&c1.sub, seq));
	mutex_unlock(&c1.lock);
	sim_range_end(&r);
	EXPECT(sim_sleeps() == sleeps);
	teardown();
}

TEST(race_read_begin_after_inv_start_sleeps)
{
	struct mmu_notifier_range r;
	struct probe p;

	setup();
	sim_range_init(&r, mm, A(1), A(2), MMU_NOTIFY_CLEAR, true);
	CHECK(sim_range_start(&r) == 0);
	EXPECT(probe_start(&p, probe_read_begin, &c1));
	EXPECT(!probe_done(&p));
	sim_range_end(&r);
	EXPECT(probe_join(&p));
	EXPECT(p.ret == tlog[0].cur_seq);
	mutex_lock(&c1.lock);
	EXPECT(!itn_read_retry(&c1.sub, p.ret));
	mutex_unlock(&c1.lock);
	teardown();
}

static void park_in_callback(struct tclient *c,
			     const struct mmu_notifier_range *r)
{
	(void)c;
	(void)r;
	step_post(1);
	step_wait(2);
}

static int ncalls_seen_by_remove;

static void remove_and_look(struct probe *p)
{
	itn_sub_remove(&p->c->sub);
	ncalls_seen_by_remove = __atomic_load_n(&p->c->ncalls,
						 __ATOMIC_SEQ_CST);
}

TEST(race_remove_waits_for_a_running_callback)
{
	pthread_t writer;
	struct probe p;

	setup();
	c1.in_callback = park_in_callback;
	if (pthread_create(&writer, NULL, writer_zap, NULL))
		abort();
	step_wait(1);
	/* The callback is running: remove must not return under it. */
	EXPECT(probe_start(&p, remove_and_look, &c1));
	EXPECT(!probe_done(&p));
	step_post(2);
	pthread_join(writer, NULL);
	EXPECT(probe_join(&p));
	EXPECT(ncalls_seen_by_remove == 1);
	sim_mm_exit(mm);
}
