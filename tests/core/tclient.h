/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A test client of the core, shaped like lib/test_hmm.c: a subscription, a
 * mutex its callback takes, and a "device page table" (one pfn per page of
 * the sim window) that the callback clears and range faults fill.  Every
 * callback is logged, so tests check exactly which ones fired.
 */
#ifndef _TCLIENT_H
#define _TCLIENT_H

#include "sim_mm.h"

struct tclient;

struct tcall {
	int client;
	unsigned long start, end;
	enum mmu_notifier_event event;
	bool blockable;
	unsigned long cur_seq;
};

#define TLOG_MAX 4096
extern struct tcall tlog[TLOG_MAX];
extern int tlog_len;
void tlog_reset(void);
/* How many logged calls went to @client. */
int tlog_count(int client);

struct tclient {
	struct itn_sub sub;
	struct mutex lock;
	int id;
	/* Refuse non-blockable ranges, as a client whose trylock failed. */
	bool refuse_nonblock;
	/* Refuse everything (a buggy client). */
	bool refuse_always;
	/* Run inside the callback, before the client lock. */
	void (*in_callback)(struct tclient *c,
			    const struct mmu_notifier_range *range);
	/* Run in commit, with the client lock held, before the check. */
	void (*in_commit)(struct tclient *c);
	void *priv;
	int ncalls;
	/* Commits that saw a pfn other than the current pte. */
	int stale;
	int commits;
	unsigned long dev[SIM_MM_PAGES];
};

void tclient_init(struct tclient *c, int id);
int tclient_insert(struct tclient *c, struct mm_struct *mm,
		   unsigned long start, unsigned long len);
void tclient_remove(struct tclient *c);

/* Fault [start, end) of @c's mm into c->dev with itn_range_fault(). */
int tclient_fault(struct tclient *c, unsigned long start, unsigned long end,
		  bool write, unsigned long chunk_pages,
		  unsigned int max_retries, unsigned int *retries);
/* Device entries of [start, end) that are still set. */
int tclient_dev_count(struct tclient *c, unsigned long start,
		      unsigned long end);

/* A thread running one blocking call, watched from the test. */
struct probe {
	pthread_t thread;
	void (*fn)(struct probe *p);
	struct tclient *c;
	void *arg;
	unsigned long ret;
	int done;
};

/*
 * Start @fn in a thread and return once it either finished or went to
 * sleep in a wait queue.  Returns true if it is asleep.
 */
bool probe_start(struct probe *p, void (*fn)(struct probe *p),
		 struct tclient *c);
bool probe_done(struct probe *p);
/* Wait (bounded) for it to finish; false on timeout. */
bool probe_join(struct probe *p);
void probe_read_begin(struct probe *p);
void probe_remove(struct probe *p);

/* Poll @cond for up to 5 s. */
bool wait_until(bool (*cond)(void *), void *arg);

#endif /* _TCLIENT_H */
