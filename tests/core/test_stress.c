// SPDX-License-Identifier: GPL-2.0
/*
 * Readers fault ranges through itn_range_fault() while writers change the
 * page tables every way the sim mm can (reclaim zaps without the mmap
 * lock, MADV_DONTNEED, mprotect, the OOM reaper, raw invalidations) and a
 * churn thread inserts and removes subscriptions.  Two invariants, checked
 * all the time:
 *   - no reader ever commits a pfn other than the current pte (the commit
 *     compares under the client lock: tclient.c);
 *   - between a writer's start and end, no device entry of the range is
 *     left in any client.
 * ITN_STRESS_MS sets how long it runs (make check bounds it); the run must
 * have seen retries, or it raced nothing and proves nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "tclient.h"
#include "tap.h"

#define A(n)		(SIM_MM_BASE + (unsigned long)(n) * PAGE_SIZE)
#define NPAGES		256
#define NCLIENTS	4
#define NREADERS	3
#define NWRITERS	2

static struct mm_struct *mm;
static struct tclient clients[NCLIENTS + 1];
static int stop;
static long busy, faults_ok, refusals, writes, retries;

/* A client's subscription: overlapping windows of 96 pages. */
static unsigned long sub_start(int i)
{
	return A(i * 48);
}

static unsigned int rnd(unsigned int *seed, unsigned int n)
{
	return rand_r(seed) % n;
}

static void *reader(void *arg)
{
	unsigned int seed = (unsigned int)(unsigned long)arg;
	unsigned int tries;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int ci = rnd(&seed, NCLIENTS);
		struct tclient *c = &clients[ci];
		unsigned long first = rnd(&seed, 96);
		unsigned long n = 1 + rnd(&seed, 96 - first);
		unsigned long start = sub_start(ci) + first * PAGE_SIZE;
		int ret;

		ret = tclient_fault(c, start, start + n * PAGE_SIZE,
				    rnd(&seed, 2), 1 + rnd(&seed, 16), 50,
				    &tries);
		__atomic_add_fetch(&retries, tries, __ATOMIC_RELAXED);
		if (ret == -EBUSY)
			__atomic_add_fetch(&busy, 1, __ATOMIC_RELAXED);
		else if (ret == 0)
			__atomic_add_fetch(&faults_ok, 1, __ATOMIC_RELAXED);
		else
			EXPECT(ret == 0);
	}
	return NULL;
}

/* Between start and end, every client's device must be clear there. */
static void check_torn_down(unsigned long start, unsigned long end)
{
	int i;

	for (i = 0; i < NCLIENTS; i++)
		EXPECT(tclient_dev_count(&clients[i], start, end) == 0);
}

static void *writer(void *arg)
{
	unsigned int seed = (unsigned int)(unsigned long)arg;
	struct timespec pause = { 0, 20000 };

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		unsigned long first = rnd(&seed, NPAGES);
		unsigned long len = (1 + rnd(&seed, NPAGES - first)) *
				    PAGE_SIZE;
		unsigned long start = A(first);
		struct mmu_notifier_range r;

		switch (rnd(&seed, 5)) {
		case 0:
			EXPECT(sim_mm_zap(mm, start, len) == 0);
			break;
		case 1:
			EXPECT(sim_mm_dontneed(mm, start, len) == 0);
			break;
		case 2:
			EXPECT(sim_mm_mprotect(mm, start, len,
					       SIM_PROT_WRITE) == 0);
			break;
		case 3:
			if (sim_mm_oom_reap(mm, start, len) == -EAGAIN)
				__atomic_add_fetch(&refusals, 1,
						   __ATOMIC_RELAXED);
			break;
		default:
			sim_range_init(&r, mm, start, start + len,
				       MMU_NOTIFY_CLEAR, true);
			EXPECT(sim_range_start(&r) == 0);
			check_torn_down(start, start + len);
			sim_pt_clear(mm, start, start + len);
			sched_yield();
			check_torn_down(start, start + len);
			sim_range_end(&r);
			break;
		}
		__atomic_add_fetch(&writes, 1, __ATOMIC_RELAXED);
		/* Let the readers in: a writer-only run proves nothing. */
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/* Insert, fault, remove, over and over: deferred paths under load. */
static void *churn(void *arg)
{
	unsigned int seed = (unsigned int)(unsigned long)arg;
	struct tclient *c = &clients[NCLIENTS];

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		unsigned long first = rnd(&seed, NPAGES - 8);
		int ret;

		EXPECT(tclient_insert(c, mm, A(first), 8 * PAGE_SIZE) == 0);
		ret = tclient_fault(c, A(first), A(first + 8), true, 8, 50,
				    NULL);
		EXPECT(ret == 0 || ret == -EBUSY);
		tclient_remove(c);
	}
	return NULL;
}

TEST(stress_readers_never_commit_stale_pages)
{
	pthread_t r[NREADERS], w[NWRITERS], ch;
	const char *env = getenv("ITN_STRESS_MS");
	struct timespec run;
	long stale = 0, commits = 0;
	int i;

	run.tv_sec = (env ? atol(env) : 1000) / 1000;
	run.tv_nsec = (env ? atol(env) : 1000) % 1000 * 1000000;
	tlog_reset();
	stop = 0;
	mm = sim_mm_new();
	CHECK(sim_mm_map(mm, A(0), NPAGES * PAGE_SIZE, SIM_PROT_WRITE) == 0);
	for (i = 0; i <= NCLIENTS; i++)
		tclient_init(&clients[i], i + 1);
	for (i = 0; i < NCLIENTS; i++)
		CHECK(tclient_insert(&clients[i], mm, sub_start(i),
				     96 * PAGE_SIZE) == 0);

	for (i = 0; i < NWRITERS; i++)
		pthread_create(&w[i], NULL, writer, (void *)(long)(i + 100));
	pthread_create(&ch, NULL, churn, (void *)200L);
	for (i = 0; i < NREADERS; i++)
		pthread_create(&r[i], NULL, reader, (void *)(long)(i + 1));
	nanosleep(&run, NULL);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < NREADERS; i++)
		pthread_join(r[i], NULL);
	for (i = 0; i < NWRITERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(ch, NULL);

	for (i = 0; i <= NCLIENTS; i++) {
		stale += clients[i].stale;
		commits += clients[i].commits;
	}
	printf("# stress: %ld faults, %ld retries, %ld busy, %ld commits, "
	       "%ld writes, %ld oom refusals, %ld stale\n", faults_ok, retries,
	       busy, commits, writes, refusals, stale);
	EXPECT(stale == 0);
	EXPECT(faults_ok > 0 && commits > 0 && writes > 0 && retries > 0);
	for (i = 0; i < NCLIENTS; i++)
		tclient_remove(&clients[i]);
	sim_mm_exit(mm);
}
