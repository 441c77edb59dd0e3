// SPDX-License-Identifier: GPL-2.0
/*
 * READ, WRITE and SNAPSHOT: the device using its mirror.
 *
 * The device copies only through device page table entries, under
 * dm->lock, into or out of a kernel bounce window; the user side of the
 * copy happens after the lock is dropped, because a user page fault may
 * itself invalidate the mirror and wait for dm->lock.  A missing entry
 * costs one fault of the rest of the range (counted in cmd->faults, as the
 * upstream selftests expect), then the copy resumes.
 */
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dmirror.h"

/* Faults in a row at one address before giving up on a livelock. */
#define DMIRROR_REFAULTS	16

struct dmirror_xfer {
	struct dmirror *dm;
	struct hmm_dmirror_cmd *cmd;
	bool write;
	void *bounce;		/* DMIRROR_CHUNK_PAGES pages */
};

/*
 * Copy the window [addr, end) between the mirror and the bounce buffer,
 * page by page, stopping at the first page the mirror lacks.  Returns the
 * number of pages copied.
 */
static unsigned long dmirror_copy_window(struct dmirror_xfer *x,
					 unsigned long addr, unsigned long end)
{
	struct dmirror *dm = x->dm;
	unsigned long n = 0;

	mutex_lock(&dm->lock);
	for (; addr < end; addr += PAGE_SIZE, n++) {
		struct page *page = dmirror_pt_lookup(dm, addr, x->write);
		void *buf = x->bounce + n * PAGE_SIZE;
		void *kaddr;

		if (!page)
			break;
		kaddr = kmap_local_page(page);
		if (x->write)
			memcpy(kaddr, buf, PAGE_SIZE);
		else
			memcpy(buf, kaddr, PAGE_SIZE);
		kunmap_local(kaddr);
	}
	mutex_unlock(&dm->lock);
	return n;
}

static int dmirror_xfer(struct dmirror_xfer *x)
{
	struct hmm_dmirror_cmd *cmd = x->cmd;
	unsigned long start = cmd->addr;
	unsigned long end = start + (cmd->npages << PAGE_SHIFT);
	unsigned long addr = start, faulted_at = 0;
	unsigned int refaults = 0;
	int ret;

	while (addr < end) {
		unsigned long wend = min(end, addr +
					 (DMIRROR_CHUNK_PAGES << PAGE_SHIFT));
		void __user *uptr = u64_to_user_ptr(cmd->ptr + (addr - start));
		unsigned long len = wend - addr, n;

		if (x->write && copy_from_user(x->bounce, uptr, len))
			return -EFAULT;
		n = dmirror_copy_window(x, addr, wend);
		if (!x->write && n &&
		    copy_to_user(uptr, x->bounce, n << PAGE_SHIFT))
			return -EFAULT;
		cmd->cpages += n;
		addr += n << PAGE_SHIFT;
		if (addr == wend)
			continue;

		/*
		 * The mirror lacks @addr: fault everything still to come in
		 * one go.  Faulting the same address over and over means
		 * something invalidates it as fast as we map it.
		 */
		if (addr == faulted_at && ++refaults > DMIRROR_REFAULTS)
			return -EBUSY;
		if (addr != faulted_at)
			refaults = 0;
		faulted_at = addr;
		ret = dmirror_fault(x->dm, addr, end, x->write);
		if (ret)
			return ret;
		cmd->faults++;
	}
	return 0;
}

static int dmirror_rw(struct dmirror *dm, struct hmm_dmirror_cmd *cmd,
		      bool write)
{
	struct dmirror_xfer x = { .dm = dm, .cmd = cmd, .write = write };
	int ret;

	x.bounce = kvmalloc(DMIRROR_CHUNK_PAGES << PAGE_SHIFT, GFP_KERNEL);
	if (!x.bounce)
		return -ENOMEM;
	ret = dmirror_xfer(&x);
	kvfree(x.bounce);
	return ret;
}

int dmirror_read(struct dmirror *dm, struct hmm_dmirror_cmd *cmd)
{
	return dmirror_rw(dm, cmd, false);
}

int dmirror_write(struct dmirror *dm, struct hmm_dmirror_cmd *cmd)
{
	return dmirror_rw(dm, cmd, true);
}

/* The SNAPSHOT byte of one hmm_range_fault() output entry. */
static u8 dmirror_prot(unsigned long hmm_pfn)
{
	unsigned int shift;
	u8 prot;

	if (hmm_pfn & HMM_PFN_ERROR)
		return HMM_DMIRROR_PROT_ERROR;
	if (!(hmm_pfn & HMM_PFN_VALID))
		return HMM_DMIRROR_PROT_NONE;
	if (!dmirror_hmm_pfn_ok(hmm_pfn))
		return HMM_DMIRROR_PROT_ERROR;

	prot = is_zero_pfn(hmm_pfn & ~HMM_PFN_FLAGS) ?
		HMM_DMIRROR_PROT_ZERO : HMM_DMIRROR_PROT_NONE;
	prot |= (hmm_pfn & HMM_PFN_WRITE) ? HMM_DMIRROR_PROT_WRITE :
					    HMM_DMIRROR_PROT_READ;
	shift = hmm_pfn_to_map_order(hmm_pfn) + PAGE_SHIFT;
	if (shift == PMD_SHIFT)
		prot |= HMM_DMIRROR_PROT_PMD;
	else if (shift == PUD_SHIFT)
		prot |= HMM_DMIRROR_PROT_PUD;
	return prot;
}

static int dmirror_snapshot_commit(struct itn_fault *fault,
				   const struct itn_fault_chunk *chunk)
{
	u8 *perm = fault->private;
	unsigned long i, n = (chunk->end - chunk->start) >> PAGE_SHIFT;

	perm += (chunk->start - fault->start) >> PAGE_SHIFT;
	for (i = 0; i < n; i++)
		perm[i] = dmirror_prot(chunk->hmm_pfns[i]);
	return 0;
}

/*
 * Report the CPU page table state of each page without faulting anything
 * in and without touching the device page table.
 */
int dmirror_snapshot(struct dmirror *dm, struct hmm_dmirror_cmd *cmd)
{
	u8 perm[DMIRROR_CHUNK_PAGES];
	unsigned long start = cmd->addr;
	unsigned long end = start + (cmd->npages << PAGE_SHIFT);
	unsigned long addr;
	int ret;

	for (addr = start; addr < end;) {
		unsigned long wend = min(end, addr +
					 (DMIRROR_CHUNK_PAGES << PAGE_SHIFT));
		unsigned long n = (wend - addr) >> PAGE_SHIFT;

		/* No fault flags: only what the page table holds now. */
		ret = dmirror_range_fault(dm, addr, wend, 0,
					  dmirror_snapshot_commit, perm);
		if (ret)
			return ret;
		if (copy_to_user(u64_to_user_ptr(cmd->ptr + cmd->cpages),
				 perm, n))
			return -EFAULT;
		cmd->cpages += n;
		addr = wend;
	}
	return 0;
}
