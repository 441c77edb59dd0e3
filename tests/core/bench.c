// SPDX-License-Identifier: GPL-2.0
/*
 * core-bench: the userspace build of the core against a naive registry
 * that keeps its subscriptions on a plain linked list (same sequence
 * scheme, same base-notifier plumbing, linear walk), in the same run.
 * Operations: insert, remove, invalidate with no hit, invalidate with one
 * hit, at 1, 1e3, 1e5 and 1e6 subscriptions.  Both go through the sim mm's
 * notifier calls, so the figures include what the mm pays to reach them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sim_mm.h"
#include "benchlib.h"

/* Subscriptions live above the sim window: one page every two. */
#define BASE		(1UL << 32)
#define SUB_ADDR(i)	(BASE + (unsigned long)(i) * 2 * PAGE_SIZE)

static struct mutex client_lock;

static bool bench_invalidate(struct itn_sub *sub,
			     const struct mmu_notifier_range *range,
			     unsigned long cur_seq)
{
	mutex_lock(&client_lock);
	itn_set_seq(sub, cur_seq);
	mutex_unlock(&client_lock);
	return true;
}

static const struct itn_sub_ops bench_ops = { .invalidate = bench_invalidate };

/* ---- the naive list registry ---- */

struct lsub {
	struct list_head node;
	unsigned long start, last;
	unsigned long invalidate_seq;
};

struct listreg {
	struct mmu_notifier mn;
	spinlock_t lock;
	unsigned long invalidate_seq;
	unsigned long active;
	struct list_head subs;
};

static struct listreg *lr_of(struct mmu_notifier *mn)
{
	return container_of(mn, struct listreg, mn);
}

static int lr_start(struct mmu_notifier *mn,
		    const struct mmu_notifier_range *r)
{
	struct listreg *lr = lr_of(mn);
	struct lsub *s;
	bool hit = false;

	spin_lock(&lr->lock);
	lr->active++;
	list_for_each_entry(s, &lr->subs, node) {
		if (s->start < r->end && r->start <= s->last) {
			hit = true;
			break;
		}
	}
	if (hit)
		lr->invalidate_seq |= 1;
	spin_unlock(&lr->lock);
	if (!hit)
		return 0;
	/* Frozen while odd, as the tree is. */
	list_for_each_entry(s, &lr->subs, node) {
		if (s->start < r->end && r->start <= s->last) {
			mutex_lock(&client_lock);
			s->invalidate_seq = lr->invalidate_seq;
			mutex_unlock(&client_lock);
		}
	}
	return 0;
}

static void lr_end(struct mmu_notifier *mn,
		   const struct mmu_notifier_range *r)
{
	struct listreg *lr = lr_of(mn);

	spin_lock(&lr->lock);
	if (!--lr->active && (lr->invalidate_seq & 1))
		lr->invalidate_seq++;
	spin_unlock(&lr->lock);
}

static struct mmu_notifier *lr_alloc(struct mm_struct *mm)
{
	struct listreg *lr = kzalloc(sizeof(*lr), GFP_KERNEL);

	if (!lr)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&lr->lock);
	lr->invalidate_seq = 2;
	INIT_LIST_HEAD(&lr->subs);
	return &lr->mn;
}

static void lr_free(struct mmu_notifier *mn)
{
	kfree(lr_of(mn));
}

static const struct mmu_notifier_ops lr_ops = {
	.invalidate_range_start = lr_start,
	.invalidate_range_end = lr_end,
	.alloc_notifier = lr_alloc,
	.free_notifier = lr_free,
};

static struct listreg *lr_insert(struct lsub *s, struct mm_struct *mm,
				 unsigned long start, unsigned long len)
{
	struct mmu_notifier *mn;
	struct listreg *lr;

	mmap_write_lock(mm);
	mn = mmu_notifier_get_locked(&lr_ops, mm);
	mmap_write_unlock(mm);
	if (IS_ERR(mn))
		return NULL;
	lr = lr_of(mn);
	s->start = start;
	s->last = start + len - 1;
	spin_lock(&lr->lock);
	s->invalidate_seq = lr->invalidate_seq - 1;
	list_add(&s->node, &lr->subs);
	spin_unlock(&lr->lock);
	return lr;
}

static void lr_remove(struct listreg *lr, struct lsub *s)
{
	spin_lock(&lr->lock);
	list_del(&s->node);
	spin_unlock(&lr->lock);
	mmu_notifier_put(&lr->mn);
}

/* ---- timing ---- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define BATCH 256
static unsigned int max_reps = 1000000, budget_ms = 50;

enum op { OP_INSERT, OP_REMOVE, OP_MISS, OP_HIT, NOPS };
static const char *const op_names[NOPS] = {
	"insert", "remove", "invalidate-miss", "invalidate-hit",
};

struct bench {
	struct mm_struct *mm;
	unsigned long n;
	struct itn_sub *subs;
	struct lsub *lsubs;
	struct listreg *lr;
};

static void invalidate(struct mm_struct *mm, unsigned long start)
{
	struct mmu_notifier_range r;

	sim_range_init(&r, mm, start, start + PAGE_SIZE, MMU_NOTIFY_CLEAR,
		       true);
	if (sim_range_start(&r))
		abort();
	sim_range_end(&r);
}

/*
 * ns per operation of @op on the registry holding b->n subscriptions: the
 * best batch of several, in thread CPU time, so that the other loads of a
 * shared machine count as little as they can.
 */
static double time_op(struct bench *b, enum op op, bool list)
{
	static struct itn_sub extra[BATCH];
	static struct lsub lextra[BATCH];
	unsigned long batch = BATCH, reps = 0, i = 0, j;
	double t0 = now_ns(), best = 0, t, per;

	/* The list's invalidations are linear: keep its batches short. */
	if (list && b->n >= 100000 && (op == OP_MISS || op == OP_HIT))
		batch = 2;
	while (!reps || (reps < max_reps && now_ns() - t0 < budget_ms * 1e6)) {
		t = now_ns();
		for (j = 0; j < batch; j++, i = (i + 1) % b->n) {
			unsigned long gap = SUB_ADDR(i) + PAGE_SIZE;

			switch (op) {
			case OP_INSERT:
			case OP_REMOVE:
				if (list ? !lr_insert(&lextra[j], b->mm, gap,
						      PAGE_SIZE) :
				    itn_sub_insert(&extra[j], b->mm, gap,
						   PAGE_SIZE, &bench_ops))
					abort();
				break;
			case OP_MISS:
				invalidate(b->mm, gap);
				break;
			case OP_HIT:
				invalidate(b->mm, SUB_ADDR(i));
				break;
			default:
				abort();
			}
		}
		per = now_ns() - t;
		if (op == OP_INSERT || op == OP_REMOVE) {
			/* The pair keeps the registry at n; time one half. */
			t = now_ns();
			for (j = 0; j < batch; j++) {
				if (list)
					lr_remove(b->lr, &lextra[j]);
				else
					itn_sub_remove(&extra[j]);
			}
			if (op == OP_REMOVE)
				per = now_ns() - t;
		}
		per /= batch;
		if (!reps || per < best)
			best = per;
		reps += batch;
	}
	return best;
}

static void bench_fill(struct bench *b, bool list)
{
	unsigned long i;

	b->mm = sim_mm_new();
	for (i = 0; i < b->n; i++) {
		if (list) {
			b->lr = lr_insert(&b->lsubs[i], b->mm, SUB_ADDR(i),
					  PAGE_SIZE);
			if (!b->lr)
				abort();
		} else if (itn_sub_insert(&b->subs[i], b->mm, SUB_ADDR(i),
					  PAGE_SIZE, &bench_ops)) {
			abort();
		}
	}
}

static void bench_empty(struct bench *b, bool list)
{
	unsigned long i;

	for (i = 0; i < b->n; i++) {
		if (list)
			lr_remove(b->lr, &b->lsubs[i]);
		else
			itn_sub_remove(&b->subs[i]);
	}
	sim_mm_exit(b->mm);
}

int main(int argc, char **argv)
{
	static const unsigned long sizes[] = { 1, 1000, 100000, 1000000 };
	unsigned int max_subs = 1000000;
	bool json = false, first = true;
	const struct bench_opt opts[] = {
		BENCH_FLAG("json", 'j', "one JSON document instead of the table",
			   &json),
		BENCH_NUM("max-subs", 'm', "N", "skip sizes above N", &max_subs,
			  1, 1000000),
		BENCH_NUM("reps", 'r', "N", "at most N operations per figure",
			  &max_reps, 1, 1000000),
		BENCH_NUM("budget-ms", 'b', "MS",
			  "at most MS of CPU time per figure", &budget_ms, 1,
			  600000),
		{ NULL },
	};
	double fig[4][NOPS][2];
	int c, s, o, l;

	bench_options(argc, argv, opts, "", 0,
		      "Micro-benchmark of the userspace core (interval tree) against\n"
		      "a naive list registry: insert, remove, invalidate with no hit\n"
		      "and with one hit, at 1, 1e3, 1e5 and 1e6 subscriptions, in ns\n"
		      "of thread CPU time per operation, best batch.\n");
	mutex_init(&client_lock);

	for (s = 0; s < 4 && sizes[s] <= max_subs; s++) {
		struct bench b = { .n = sizes[s] };

		b.subs = calloc(b.n, sizeof(*b.subs));
		b.lsubs = calloc(b.n, sizeof(*b.lsubs));
		if (!b.subs || !b.lsubs) {
			fprintf(stderr, "core-bench: out of memory at %lu subscriptions\n",
				b.n);
			return 1;
		}
		for (l = 0; l < 2; l++) {
			bench_fill(&b, l);
			for (o = 0; o < NOPS; o++)
				fig[s][o][l] = time_op(&b, o, l);
			bench_empty(&b, l);
		}
		free(b.subs);
		free(b.lsubs);
	}

	if (json) {
		printf("{\"bench\": \"core\", \"backend\": \"%s\", \"unit\": \"ns/op\", \"results\": [",
		       itn_backend_name());
		for (c = 0; c < s; c++)
			for (o = 0; o < NOPS; o++, first = false)
				printf("%s\n  {\"op\": \"%s\", \"subs\": %lu, \"itn_ns\": %.1f, \"list_ns\": %.1f}",
				       first ? "" : ",", op_names[o], sizes[c],
				       fig[c][o][0], fig[c][o][1]);
		printf("\n]}\n");
		return 0;
	}
	printf("%-16s %9s %12s %12s %9s\n", "op", "subs", "itn ns/op",
	       "list ns/op", "list/itn");
	for (o = 0; o < NOPS; o++)
		for (c = 0; c < s; c++)
			printf("%-16s %9lu %12.1f %12.1f %9.2f\n", op_names[o],
			       sizes[c], fig[c][o][0], fig[c][o][1],
			       fig[c][o][1] / fig[c][o][0]);
	return 0;
}
