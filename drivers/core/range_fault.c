// SPDX-License-Identifier: GPL-2.0
/*
 * itn_retry_run(): the collision-retry loop, written once for every client,
 * and itn_range_fault(), the HMM driver recipe on top of it.  The order of
 * the steps is the whole point; see the diagrams in itn.h and the race in
 * notifier.c.
 */
#include "itn.h"

/**
 * itn_retry_run - the collision-retry loop, written once for every client
 * @r: the subscription, the client lock and the steps (itn.h)
 *
 * Context: may sleep; the caller does not hold @r->driver_lock.
 * Return: the commit's result, -EBUSY when out of retries, -EINTR on a
 * fatal signal, or the error of @r->prepare.
 */
int itn_retry_run(struct itn_retry *r)
{
	unsigned int tries = 0;
	int ret;

	might_sleep();
	r->retries = 0;
	for (;;) {
		if (fatal_signal_pending(current))
			return -EINTR;

		r->seq = itn_read_begin(r->sub);
		ret = r->prepare(r);
		if (ret && ret != -EBUSY)
			return ret;

		if (!ret) {
			mutex_lock(r->driver_lock);
			if (!itn_read_retry(r->sub, r->seq)) {
				ret = r->commit(r);
				mutex_unlock(r->driver_lock);
				return ret;
			}
			mutex_unlock(r->driver_lock);
			if (r->undo)
				r->undo(r);
		}

		if (tries++ >= r->max_retries)
			return -EBUSY;
		r->retries++;
	}
}
EXPORT_SYMBOL_GPL(itn_retry_run);

/* One chunk of itn_range_fault(), as the steps of itn_retry_run(). */
struct itn_fault_ctx {
	struct itn_retry retry;
	struct itn_fault *fault;
	const struct itn_fault_chunk *chunk;
	struct hmm_range range;
};

static int itn_fault_prepare(struct itn_retry *r)
{
	struct itn_fault_ctx *ctx = container_of(r, struct itn_fault_ctx,
						 retry);
	struct mm_struct *mm = itn_sub_mm(r->sub);
	int ret;

	/*
	 * 7.x carries some output bits (HMM_PFN_INOUT_FLAGS) over from the
	 * input: start every try from a clean array, not from stack garbage
	 * or the last try's output.
	 */
	memset(ctx->range.hmm_pfns, 0,
	       ((ctx->range.end - ctx->range.start) >> PAGE_SHIFT) *
	       sizeof(*ctx->range.hmm_pfns));
	/* hmm_range_fault() returns -EBUSY once seq is stale. */
	ctx->range.notifier_seq = r->seq;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	ret = hmm_range_fault(&ctx->range);
	mmap_read_unlock(mm);
	return ret;
}

static int itn_fault_commit(struct itn_retry *r)
{
	struct itn_fault_ctx *ctx = container_of(r, struct itn_fault_ctx,
						 retry);

	return ctx->fault->commit(ctx->fault, ctx->chunk);
}

static int itn_fault_chunk(struct itn_fault *fault,
			   const struct itn_fault_chunk *chunk)
{
	struct itn_sub *sub = fault->sub;
	struct itn_fault_ctx ctx = {
		.retry = {
			.sub = sub,
			.driver_lock = fault->driver_lock,
			.max_retries = fault->max_retries,
			.prepare = itn_fault_prepare,
			.commit = itn_fault_commit,
		},
		.fault = fault,
		.chunk = chunk,
		.range = {
			.notifier = &sub->mni,
			.start = chunk->start,
			.end = chunk->end,
			.hmm_pfns = chunk->hmm_pfns,
			.default_flags = fault->default_flags,
			.pfn_flags_mask = fault->pfn_flags_mask,
			.dev_private_owner = fault->dev_private_owner,
		},
	};
	int ret;

	ret = itn_retry_run(&ctx.retry);
	fault->retries += ctx.retry.retries;
	return ret;
}

static bool itn_fault_valid(const struct itn_fault *fault)
{
	const struct itn_sub *sub = fault->sub;

	if (!sub || !fault->commit || !fault->driver_lock ||
	    !fault->hmm_pfns || !fault->chunk_pages)
		return false;
	if (fault->start >= fault->end || !PAGE_ALIGNED(fault->start) ||
	    !PAGE_ALIGNED(fault->end))
		return false;
	/* The retry check only covers what the subscription covers. */
	return fault->start >= itn_sub_start(sub) &&
	       fault->end - 1 <= itn_sub_last(sub);
}

/**
 * itn_range_fault - fault a range and hand it to the device, race free
 * @fault: what to fault, where to put the pfns and how to commit them
 *
 * Context: may sleep.  The caller holds mmget() on the subscription's mm
 * and neither the mmap lock nor @fault->driver_lock.
 * Return: 0, -EINVAL for a malformed @fault, -EBUSY when a chunk ran out of
 * retries, -EINTR on a fatal signal, an hmm_range_fault() error, or the
 * commit callback's error.
 */
int itn_range_fault(struct itn_fault *fault)
{
	struct itn_fault_chunk chunk;
	unsigned long addr, left;
	int ret;

	might_sleep();
	if (!fault || !itn_fault_valid(fault))
		return -EINVAL;

	fault->retries = 0;
	for (addr = fault->start; addr < fault->end; addr = chunk.end) {
		left = (fault->end - addr) >> PAGE_SHIFT;
		chunk.start = addr;
		if (fault->chunk_pages < left)
			chunk.end = addr + (fault->chunk_pages << PAGE_SHIFT);
		else
			chunk.end = fault->end;
		chunk.hmm_pfns = fault->hmm_pfns;
		ret = itn_fault_chunk(fault, &chunk);
		if (ret)
			return ret;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(itn_range_fault);
