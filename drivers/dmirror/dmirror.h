/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dmirror: a device that mirrors the address space of the process that
 * opened it, the second client of the itn core (see docs/dmirror.md).
 *
 * The "device page table" is an xarray indexed by virtual page number.
 * An entry is the struct page the CPU page table pointed to when the core
 * last faulted that address, tagged writable or not.  No page reference is
 * held: the invalidate callback drops the entry, under dmirror.lock, before
 * the mm may free or move the page, and every copy through an entry runs
 * under dmirror.lock.  That is the whole correctness argument of a mirror.
 */
#ifndef _DMIRROR_H
#define _DMIRROR_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/xarray.h>
#include <linux/types.h>

#include "itn.h"
#include "dmirror_uapi.h"

/* Pages per hmm_range_fault() call and per bounce window. */
#define DMIRROR_CHUNK_PAGES	64
/* Invalidations remembered for DMIRROR_INVAL_LOG. */
#define DMIRROR_LOG_SIZE	128

/* Entry tag: the CPU mapping allowed writes when it was faulted. */
#define DMIRROR_PT_WRITE	1UL

struct dmirror {
	struct itn_sub sub;
	struct mm_struct *mm;	/* the opener's; pinned by @sub */
	/* Taken by the invalidate callback; guards @pt and @log. */
	struct mutex lock;
	struct xarray pt;
	struct dmirror_inval log[DMIRROR_LOG_SIZE];
	unsigned int log_head;	/* oldest entry */
	unsigned int log_len;
	unsigned int log_lost;
	u64 refused_pfns;
	u64 invalidations;
	/* Counted without the lock: that is the point of a refusal. */
	atomic64_t refusals;
};

extern unsigned int dmirror_max_retries;

/* mirror.c: the device page table and the core client. */
int dmirror_mirror_init(struct dmirror *dm, struct mm_struct *mm);
void dmirror_mirror_fini(struct dmirror *dm);
int dmirror_range_fault(struct dmirror *dm, unsigned long start,
			unsigned long end, unsigned long flags,
			int (*commit)(struct itn_fault *fault,
				      const struct itn_fault_chunk *chunk),
			void *priv);
int dmirror_fault(struct dmirror *dm, unsigned long start, unsigned long end,
		  bool write);
struct page *dmirror_pt_lookup(struct dmirror *dm, unsigned long addr,
			       bool write);
bool dmirror_hmm_pfn_ok(unsigned long hmm_pfn);
int dmirror_inval_log(struct dmirror *dm, struct dmirror_inval_log *arg);
void dmirror_get_stats(struct dmirror *dm, struct dmirror_stats *st);

/* copy.c: the ioctls that move data. */
int dmirror_read(struct dmirror *dm, struct hmm_dmirror_cmd *cmd);
int dmirror_write(struct dmirror *dm, struct hmm_dmirror_cmd *cmd);
int dmirror_snapshot(struct dmirror *dm, struct hmm_dmirror_cmd *cmd);

#endif /* _DMIRROR_H */
