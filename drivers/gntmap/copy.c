// SPDX-License-Identifier: GPL-2.0
/*
 * GRANT_COPY: copy between grant references and this process's memory
 * without mapping anything.  One segment at a time: a segment becomes at
 * most two hypercall ops, because only its local side may cross a page.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <xen/grant_table.h>
#include <xen/page.h>

#include "gntmap.h"

#define GNTMAP_COPY_FLAGS (GNTCOPY_source_gref | GNTCOPY_dest_gref)

struct gntmap_copy_batch {
	struct gnttab_copy ops[2];
	struct page *pages[2];
	unsigned int nr;
	bool writable;
};

static int gntmap_copy_local(struct gntmap_copy_batch *b,
			     unsigned long addr, domid_t *domid,
			     xen_pfn_t *gfn, u16 *offset)
{
	struct page *page;
	int ret;

	ret = pin_user_pages_fast(addr & PAGE_MASK, 1,
				  b->writable ? FOLL_WRITE : 0, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	b->pages[b->nr] = page;
	*domid = DOMID_SELF;
	*gfn = xen_page_to_gfn(page);
	*offset = addr & ~PAGE_MASK;
	return 0;
}

static void gntmap_copy_release(struct gntmap_copy_batch *b,
				unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (b->writable)
			unpin_user_pages_dirty_lock(&b->pages[i], 1, true);
		else
			unpin_user_page(b->pages[i]);
	}
}

/*
 * Fill one side of a hypercall op from the same side of @seg, @done bytes
 * in: a grant reference as it is, or the local page under the address,
 * pinned.  A local side may cross a page, so it may shorten *@len.
 */
static int gntmap_copy_side(struct gntmap_copy_batch *b,
			    const struct gntdev_grant_copy_segment *seg,
			    bool dest, unsigned int done, unsigned int *len,
			    struct gnttab_copy_ptr *ptr)
{
	const typeof(seg->source) *side = dest ? &seg->dest : &seg->source;
	unsigned long local;

	if (seg->flags & (dest ? GNTCOPY_dest_gref : GNTCOPY_source_gref)) {
		ptr->u.ref = side->foreign.ref;
		ptr->domid = side->foreign.domid;
		ptr->offset = side->foreign.offset + done;
		return 0;
	}
	local = (unsigned long)side->virt + done;
	*len = min_t(unsigned int, *len, PAGE_SIZE - (local & ~PAGE_MASK));
	return gntmap_copy_local(b, local, &ptr->domid, &ptr->u.gmfn,
				 &ptr->offset);
}

/*
 * 0 with the segment's GNTST_* result in *status, or -errno for a bad
 * segment (then nothing was copied).
 */
static int gntmap_copy_seg(const struct gntdev_grant_copy_segment *seg,
			   s16 *status)
{
	const bool src_ref = seg->flags & GNTCOPY_source_gref;
	const bool dst_ref = seg->flags & GNTCOPY_dest_gref;
	struct gntmap_copy_batch b = { .writable = !dst_ref };
	unsigned int done = 0, i;
	int err = 0;

	if (seg->flags & ~GNTMAP_COPY_FLAGS || !(src_ref || dst_ref))
		return -EINVAL;
	if (src_ref && seg->source.foreign.offset + seg->len > XEN_PAGE_SIZE)
		return -EINVAL;
	if (dst_ref && seg->dest.foreign.offset + seg->len > XEN_PAGE_SIZE)
		return -EINVAL;

	while (done < seg->len) {
		struct gnttab_copy *op = &b.ops[b.nr];
		unsigned int len = seg->len - done;

		op->flags = seg->flags & GNTMAP_COPY_FLAGS;
		err = gntmap_copy_side(&b, seg, false, done, &len, &op->source);
		if (!err)
			err = gntmap_copy_side(&b, seg, true, done, &len,
					       &op->dest);
		if (err)
			break;
		op->len = len;
		b.nr++;
		done += len;
	}

	if (!err && b.nr)
		gnttab_batch_copy(b.ops, b.nr);
	gntmap_copy_release(&b, (src_ref && dst_ref) ? 0 : b.nr);
	if (err)
		return err;
	*status = GNTST_okay;
	for (i = 0; i < b.nr; i++) {
		if (b.ops[i].status != GNTST_okay) {
			*status = b.ops[i].status;
			break;
		}
	}
	return 0;
}

long gntmap_grant_copy(struct gntmap_file *priv, void __user *uarg)
{
	struct ioctl_gntdev_grant_copy copy;
	unsigned int i;

	if (copy_from_user(&copy, uarg, sizeof(copy)))
		return -EFAULT;

	for (i = 0; i < copy.count; i++) {
		struct gntdev_grant_copy_segment seg;
		s16 status;
		int ret;

		if (copy_from_user(&seg, &copy.segments[i], sizeof(seg)))
			return -EFAULT;
		ret = gntmap_copy_seg(&seg, &status);
		if (ret < 0)
			return ret;
		if (put_user(status, &copy.segments[i].status))
			return -EFAULT;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	return 0;
}
