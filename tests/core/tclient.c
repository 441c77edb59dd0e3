// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <time.h>
#include "tclient.h"

struct tcall tlog[TLOG_MAX];
int tlog_len;
static pthread_mutex_t tlog_lock = PTHREAD_MUTEX_INITIALIZER;

void tlog_reset(void)
{
	pthread_mutex_lock(&tlog_lock);
	tlog_len = 0;
	pthread_mutex_unlock(&tlog_lock);
}

int tlog_count(int client)
{
	int i, n = 0;

	pthread_mutex_lock(&tlog_lock);
	for (i = 0; i < tlog_len; i++)
		n += tlog[i].client == client;
	pthread_mutex_unlock(&tlog_lock);
	return n;
}

static void tlog_add(struct tclient *c, const struct mmu_notifier_range *r,
		     unsigned long cur_seq)
{
	pthread_mutex_lock(&tlog_lock);
	if (tlog_len < TLOG_MAX) {
		struct tcall *t = &tlog[tlog_len++];

		t->client = c->id;
		t->start = r->start;
		t->end = r->end;
		t->event = r->event;
		t->blockable = mmu_notifier_range_blockable(r);
		t->cur_seq = cur_seq;
	}
	pthread_mutex_unlock(&tlog_lock);
}

static void dev_clear(struct tclient *c, unsigned long start,
		      unsigned long end)
{
	unsigned long a;

	if (start < SIM_MM_BASE)
		start = SIM_MM_BASE;
	if (end > SIM_MM_END || end < start)
		end = SIM_MM_END;
	for (a = start; a < end; a += PAGE_SIZE)
		c->dev[(a - SIM_MM_BASE) >> PAGE_SHIFT] = 0;
}

static bool tclient_invalidate(struct itn_sub *sub,
			       const struct mmu_notifier_range *range,
			       unsigned long cur_seq)
{
	struct tclient *c = container_of(sub, struct tclient, sub);

	if (c->in_callback)
		c->in_callback(c, range);
	if (c->refuse_always)
		return false;
	if (!mmu_notifier_range_blockable(range)) {
		if (c->refuse_nonblock || !mutex_trylock(&c->lock))
			return false;
	} else {
		mutex_lock(&c->lock);
	}
	itn_set_seq(sub, cur_seq);
	c->ncalls++;
	tlog_add(c, range, cur_seq);
	dev_clear(c, range->start, range->end);
	mutex_unlock(&c->lock);
	return true;
}

static const struct itn_sub_ops tclient_ops = {
	.invalidate = tclient_invalidate,
};

void tclient_init(struct tclient *c, int id)
{
	memset(c, 0, sizeof(*c));
	mutex_init(&c->lock);
	c->id = id;
}

int tclient_insert(struct tclient *c, struct mm_struct *mm,
		   unsigned long start, unsigned long len)
{
	return itn_sub_insert(&c->sub, mm, start, len, &tclient_ops);
}

void tclient_remove(struct tclient *c)
{
	itn_sub_remove(&c->sub);
}

static int tclient_commit(struct itn_fault *f,
			  const struct itn_fault_chunk *chunk)
{
	struct tclient *c = f->private;
	unsigned long a, i;

	lockdep_assert_held(&c->lock);
	if (c->in_commit)
		c->in_commit(c);
	for (a = chunk->start, i = 0; a < chunk->end; a += PAGE_SIZE, i++) {
		unsigned long pfn = chunk->hmm_pfns[i];

		if (!(pfn & HMM_PFN_VALID))
			continue;
		pfn &= ~HMM_PFN_FLAGS;
		if (sim_pte_pfn(sim_pte(itn_sub_mm(&c->sub), a)) != pfn)
			c->stale++;
		c->dev[(a - SIM_MM_BASE) >> PAGE_SHIFT] = pfn;
	}
	c->commits++;
	return 0;
}

int tclient_fault(struct tclient *c, unsigned long start, unsigned long end,
		  bool write, unsigned long chunk_pages,
		  unsigned int max_retries, unsigned int *retries)
{
	unsigned long pfns[64];
	struct itn_fault f = {
		.sub = &c->sub,
		.start = start,
		.end = end,
		.default_flags = HMM_PFN_REQ_FAULT |
				 (write ? HMM_PFN_REQ_WRITE : 0),
		.hmm_pfns = pfns,
		.chunk_pages = chunk_pages > 64 ? 64 : chunk_pages,
		.max_retries = max_retries,
		.driver_lock = &c->lock,
		.commit = tclient_commit,
		.private = c,
	};
	int ret = itn_range_fault(&f);

	if (retries)
		*retries = f.retries;
	return ret;
}

int tclient_dev_count(struct tclient *c, unsigned long start,
		      unsigned long end)
{
	unsigned long a;
	int n = 0;

	mutex_lock(&c->lock);
	for (a = start; a < end; a += PAGE_SIZE)
		n += !!c->dev[(a - SIM_MM_BASE) >> PAGE_SHIFT];
	mutex_unlock(&c->lock);
	return n;
}

bool wait_until(bool (*cond)(void *), void *arg)
{
	struct timespec ts = { 0, 100000 };
	int i;

	for (i = 0; i < 50000; i++) {
		if (cond(arg))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void *probe_thread(void *arg)
{
	struct probe *p = arg;

	p->fn(p);
	__atomic_store_n(&p->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

struct probe_wait {
	struct probe *p;
	long sleeps;
};

static bool probe_settled(void *arg)
{
	struct probe_wait *w = arg;

	return probe_done(w->p) || sim_sleeps() > w->sleeps;
}

bool probe_start(struct probe *p, void (*fn)(struct probe *p),
		 struct tclient *c)
{
	struct probe_wait w = { p, sim_sleeps() };

	p->fn = fn;
	p->c = c;
	p->done = 0;
	p->ret = 0;
	if (pthread_create(&p->thread, NULL, probe_thread, p))
		abort();
	if (!wait_until(probe_settled, &w))
		abort();
	return !probe_done(p);
}

bool probe_done(struct probe *p)
{
	return __atomic_load_n(&p->done, __ATOMIC_SEQ_CST);
}

static bool probe_done_cond(void *arg)
{
	return probe_done(arg);
}

bool probe_join(struct probe *p)
{
	if (!wait_until(probe_done_cond, p))
		return false;
	pthread_join(p->thread, NULL);
	return true;
}

void probe_read_begin(struct probe *p)
{
	p->ret = itn_read_begin(&p->c->sub);
}

void probe_remove(struct probe *p)
{
	itn_sub_remove(&p->c->sub);
}
