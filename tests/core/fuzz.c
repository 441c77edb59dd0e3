// SPDX-License-Identifier: GPL-2.0
/*
 * Model-based fuzzer of the core (libFuzzer).  Each input is a program of
 * insert, remove, invalidate start/end (blockable or not, with refusing
 * subscriptions), read_begin, read_retry and mm exit over a few slots.  The
 * reference is a plain array of slots with the rules stated in notifier.c:
 * which subscriptions a range must call, when a subscription is visible,
 * when read_begin and remove must sleep and until when, and when
 * read_retry must say retry.  Calls the model says sleep run in a probe
 * thread that must be asleep; calls the model says do not sleep run on the
 * fuzzer's thread, where sleeping aborts.  Any difference aborts.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "sim_mm.h"

#define NSLOTS	6
#define NOPEN	4
#define PG(n)	(SIM_MM_BASE + (unsigned long)(n) * PAGE_SIZE)

enum slot_state { FREE, VISIBLE, DEFERRED, REMOVING };

struct slot {
	struct itn_sub sub;
	struct mutex lock;
	enum slot_state state;
	unsigned long start, last;
	bool refuse_nb;
	/* Model: a callback in the current odd period, or deferred. */
	bool blocked;
	unsigned long calls;
	/* A reader section: open, its seq and the calls it started at. */
	bool reading;
	unsigned long seq, calls_at_read;
	/* A probe thread sleeping in read_begin or remove. */
	pthread_t probe;
	int probe_kind;
	unsigned long probe_ret;
	int probe_done;
};

enum { PROBE_NONE, PROBE_READ, PROBE_REMOVE };

static struct slot slots[NSLOTS];
static struct mmu_notifier_range open_r[NOPEN];
static int nopen;
static bool odd, dead;
static unsigned int fired;
static struct mm_struct *mm;
static pthread_t fuzz_thread;

#define FCHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "model mismatch: %s (line %d)\n", \
				#c, __LINE__);				\
			abort();					\
		}							\
	} while (0)

static bool fz_invalidate(struct itn_sub *sub,
			  const struct mmu_notifier_range *range,
			  unsigned long cur_seq)
{
	struct slot *s = container_of(sub, struct slot, sub);

	if (!mmu_notifier_range_blockable(range) && s->refuse_nb)
		return false;
	if (!mmu_notifier_range_blockable(range)) {
		if (!mutex_trylock(&s->lock))
			return false;
	} else {
		mutex_lock(&s->lock);
	}
	itn_set_seq(sub, cur_seq);
	mutex_unlock(&s->lock);
	fired |= 1U << (s - slots);
	return true;
}

static const struct itn_sub_ops fz_ops = { .invalidate = fz_invalidate };

static void no_sleep_here(wait_queue_head_t *wq)
{
	(void)wq;
	FCHECK(!pthread_equal(pthread_self(), fuzz_thread));
}

static void *probe_thread(void *arg)
{
	struct slot *s = arg;

	if (s->probe_kind == PROBE_READ)
		s->probe_ret = itn_read_begin(&s->sub);
	else
		itn_sub_remove(&s->sub);
	__atomic_store_n(&s->probe_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Start a call that must sleep, and see it asleep. */
static void probe_start(struct slot *s, int kind)
{
	long sleeps = sim_sleeps();
	struct timespec ts = { 0, 20000 };
	int i;

	s->probe_kind = kind;
	s->probe_done = 0;
	FCHECK(!pthread_create(&s->probe, NULL, probe_thread, s));
	for (i = 0; i < 250000 && sim_sleeps() == sleeps; i++) {
		FCHECK(!__atomic_load_n(&s->probe_done, __ATOMIC_SEQ_CST));
		nanosleep(&ts, NULL);
	}
	FCHECK(sim_sleeps() != sleeps);
}

static bool registry_exists(void)
{
	int i;

	for (i = 0; i < NSLOTS; i++)
		if (slots[i].state != FREE)
			return true;
	return false;
}

/* The last end of an odd period: the deferred lists and sleepers go. */
static void period_end(void)
{
	int i;

	odd = false;
	for (i = 0; i < NSLOTS; i++) {
		struct slot *s = &slots[i];

		s->blocked = false;
		if (s->state == DEFERRED)
			s->state = VISIBLE;
		if (s->probe_kind == PROBE_NONE)
			continue;
		pthread_join(s->probe, NULL);
		if (s->probe_kind == PROBE_REMOVE) {
			s->state = FREE;
			s->reading = false;
		} else {
			s->reading = true;
			s->seq = s->probe_ret;
			s->calls_at_read = s->calls;
		}
		s->probe_kind = PROBE_NONE;
	}
}

static bool overlaps(struct slot *s, unsigned long start, unsigned long end)
{
	return s->start < end && start <= s->last;
}

static void op_insert(struct slot *s, const uint8_t *a)
{
	unsigned long first = a[0] % 32, n = 1 + a[1] % 8;

	if (s->state != FREE || dead)
		return;
	/* A new registry waits for running invalidations (all-locks). */
	if (nopen && !registry_exists())
		return;
	FCHECK(itn_sub_insert(&s->sub, mm, PG(first), n * PAGE_SIZE,
			      &fz_ops) == 0);
	s->start = PG(first);
	s->last = PG(first + n) - 1;
	s->reading = false;
	s->calls = 0;
	if (nopen) {
		s->state = DEFERRED;
		s->blocked = true;
		odd = true;
	} else {
		s->state = VISIBLE;
		s->blocked = false;
	}
}

static void op_remove(struct slot *s)
{
	if ((s->state != VISIBLE && s->state != DEFERRED) ||
	    s->probe_kind != PROBE_NONE)
		return;
	if (odd && s->state == VISIBLE) {
		s->state = REMOVING;
		probe_start(s, PROBE_REMOVE);
		return;
	}
	itn_sub_remove(&s->sub);
	s->state = FREE;
	s->reading = false;
	if (!registry_exists())
		odd = false;
}

static void op_start(const uint8_t *a)
{
	unsigned long first = a[0] % 40, n = 1 + a[1] % 16;
	bool blockable = a[2] & 1;
	struct mmu_notifier_range *r = &open_r[nopen];
	unsigned int expect = 0, refusers = 0;
	int i, ret;

	if (nopen == NOPEN || dead)
		return;
	for (i = 0; i < NSLOTS; i++) {
		struct slot *s = &slots[i];

		if ((s->state == VISIBLE || s->state == REMOVING) &&
		    overlaps(s, PG(first), PG(first + n))) {
			expect |= 1U << i;
			if (!blockable && s->refuse_nb)
				refusers |= 1U << i;
		}
	}
	fired = 0;
	sim_range_init(r, mm, PG(first), PG(first + n), MMU_NOTIFY_CLEAR,
		       blockable);
	ret = sim_range_start(r);
	FCHECK((fired & ~expect) == 0);
	FCHECK(!(fired & refusers));
	for (i = 0; i < NSLOTS; i++) {
		if (fired & (1U << i)) {
			slots[i].calls++;
			slots[i].blocked = true;
		}
	}
	if (expect && registry_exists())
		odd = true;
	if (refusers) {
		/* Refused: the mm already called every end. */
		FCHECK(ret == -EAGAIN);
		if (!nopen && odd)
			period_end();
		return;
	}
	FCHECK(ret == 0);
	FCHECK(fired == expect);
	nopen++;
}

static void op_end(const uint8_t *a)
{
	int i = a[0] % (nopen ? nopen : 1);

	if (!nopen)
		return;
	sim_range_end(&open_r[i]);
	open_r[i] = open_r[--nopen];
	if (!nopen && odd)
		period_end();
}

static void op_read_begin(struct slot *s)
{
	if ((s->state != VISIBLE && s->state != DEFERRED) ||
	    s->probe_kind != PROBE_NONE)
		return;
	if (s->blocked) {
		probe_start(s, PROBE_READ);
		return;
	}
	s->seq = itn_read_begin(&s->sub);
	s->reading = true;
	s->calls_at_read = s->calls;
}

static void op_read_retry(struct slot *s)
{
	bool retry;

	if (!s->reading || s->state == FREE || s->probe_kind != PROBE_NONE)
		return;
	mutex_lock(&s->lock);
	retry = itn_read_retry(&s->sub, s->seq);
	mutex_unlock(&s->lock);
	FCHECK(retry == (s->calls != s->calls_at_read));
	FCHECK(itn_check_retry(&s->sub, s->seq) == retry);
}

static void op_exit(void)
{
	int i;

	if (dead || nopen || odd)
		return;
	fired = 0;
	dead = true;
	sim_mm_exit(mm);
	for (i = 0; i < NSLOTS; i++) {
		bool live = slots[i].state == VISIBLE;

		FCHECK(!!(fired & (1U << i)) == live);
		if (live)
			slots[i].calls++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	long allocs = sim_allocs_live(), mms = sim_mms_live();
	long warns = sim_warnings();
	size_t pos = 0;
	int i;

	fuzz_thread = pthread_self();
	sim_hooks.will_sleep = no_sleep_here;
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < NSLOTS; i++)
		mutex_init(&slots[i].lock);
	nopen = 0;
	odd = false;
	dead = false;
	mm = sim_mm_new();

	while (pos + 4 <= size) {
		const uint8_t *op = data + pos;
		struct slot *s = &slots[op[1] % NSLOTS];

		pos += 4;
		switch (op[0] % 8) {
		case 0:
			op_insert(s, op + 2);
			break;
		case 1:
			op_remove(s);
			break;
		case 2:
			op_start(op + 1);
			break;
		case 3:
			op_end(op + 1);
			break;
		case 4:
			op_read_begin(s);
			break;
		case 5:
			op_read_retry(s);
			break;
		case 6:
			s->refuse_nb = op[2] & 1;
			break;
		case 7:
			if (op[2] == 0xee)
				op_exit();
			break;
		}
	}

	/* Wind down: end every range, then remove every subscription. */
	while (nopen) {
		uint8_t zero = 0;

		op_end(&zero);
	}
	if (odd)
		period_end();
	for (i = 0; i < NSLOTS; i++) {
		if (slots[i].state != FREE)
			itn_sub_remove(&slots[i].sub);
		slots[i].state = FREE;
	}
	if (!dead)
		sim_mm_exit(mm);
	sim_hooks.will_sleep = NULL;
	FCHECK(sim_allocs_live() == allocs);
	FCHECK(sim_mms_live() == mms);
	FCHECK(sim_warnings() == warns);
	return 0;
}
