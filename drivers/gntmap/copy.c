// SPDX-License-Identifier: GPL-2.0
/*
 * GRANT_COPY: copy between grant references and this process's memory
 * without mapping anything.  A segment becomes at most two hypercall ops,
 * because only its local side may cross a page; the ops of consecutive
 * segments are gathered into one GNTTABOP_copy of up to GNTMAP_COPY_OPS,
 * since under Xen the hypercall, not the copy, is what a small segment
 * costs (figure 7 of docs/performance.md).
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <xen/grant_table.h>
#include <xen/page.h>

#include "gntmap.h"

#define GNTMAP_COPY_FLAGS (GNTCOPY_source_gref | GNTCOPY_dest_gref)
#define GNTMAP_COPY_OPS 64

/*
 * The ops of whole segments, at most GNTMAP_COPY_OPS of each: segment k
 * of the batch owns the ops [first[k], first[k + 1]), first[nr_segs]
 * being nr_ops.  Op i pinned pages[i] when it has a local side (at most
 * one per op).
 */
struct gntmap_copy_batch {
	struct gnttab_copy ops[GNTMAP_COPY_OPS];
	struct page *pages[GNTMAP_COPY_OPS];
	bool dirty[GNTMAP_COPY_OPS];
	u8 first[GNTMAP_COPY_OPS + 1];
	unsigned int nr_ops;
	unsigned int nr_segs;
	unsigned int seg0;		/* index of the batch's first segment */
	struct gntmap_copy_batch *next;	/* in priv->copy_free */
};

static struct gntmap_copy_batch *gntmap_copy_batch_get(struct gntmap_file *priv)
{
	struct gntmap_copy_batch *b;

	spin_lock(&priv->copy_lock);
	b = priv->copy_free;
	if (b)
		priv->copy_free = b->next;
	spin_unlock(&priv->copy_lock);
	return b ?: kmalloc(sizeof(*b), GFP_KERNEL);
}

static void gntmap_copy_batch_put(struct gntmap_file *priv,
				  struct gntmap_copy_batch *b)
{
	spin_lock(&priv->copy_lock);
	b->next = priv->copy_free;
	priv->copy_free = b;
	spin_unlock(&priv->copy_lock);
}

/* The file is going away: no ioctl runs on it any more. */
void gntmap_copy_free_batches(struct gntmap_file *priv)
{
	struct gntmap_copy_batch *b;

	while ((b = priv->copy_free)) {
		priv->copy_free = b->next;
		kfree(b);
	}
}

static int gntmap_copy_local(struct gntmap_copy_batch *b, bool writable,
			     unsigned long addr, domid_t *domid,
			     xen_pfn_t *gfn, u16 *offset)
{
	struct page *page;
	int ret;

	ret = pin_user_pages_fast(addr & PAGE_MASK, 1,
				  writable ? FOLL_WRITE : 0, &page);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	b->pages[b->nr_ops] = page;
	b->dirty[b->nr_ops] = writable;
	*domid = DOMID_SELF;
	*gfn = xen_page_to_gfn(page);
	*offset = addr & ~PAGE_MASK;
	return 0;
}

/* Unpin the local pages of ops [from, to). */
static void gntmap_copy_release(struct gntmap_copy_batch *b,
				unsigned int from, unsigned int to)
{
	unsigned int i;

	for (i = from; i < to; i++) {
		if (!b->pages[i])
			continue;
		if (b->dirty[i])
			unpin_user_pages_dirty_lock(&b->pages[i], 1, true);
		else
			unpin_user_page(b->pages[i]);
		b->pages[i] = NULL;
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
	return gntmap_copy_local(b, dest, local, &ptr->domid, &ptr->u.gmfn,
				 &ptr->offset);
}

/*
 * Add the ops of @seg to the batch, which has room for two.  -errno for a
 * bad segment: then none of its ops stay in the batch.
 */
static int gntmap_copy_add(struct gntmap_copy_batch *b,
			   const struct gntdev_grant_copy_segment *seg)
{
	const bool src_ref = seg->flags & GNTCOPY_source_gref;
	const bool dst_ref = seg->flags & GNTCOPY_dest_gref;
	unsigned int done = 0, start = b->nr_ops;
	int err = 0;

	if (seg->flags & ~GNTMAP_COPY_FLAGS || !(src_ref || dst_ref))
		return -EINVAL;
	if (src_ref && seg->source.foreign.offset + seg->len > XEN_PAGE_SIZE)
		return -EINVAL;
	if (dst_ref && seg->dest.foreign.offset + seg->len > XEN_PAGE_SIZE)
		return -EINVAL;

	while (done < seg->len) {
		struct gnttab_copy *op = &b->ops[b->nr_ops];
		unsigned int len = seg->len - done;

		op->flags = seg->flags & GNTMAP_COPY_FLAGS;
		b->pages[b->nr_ops] = NULL;
		err = gntmap_copy_side(b, seg, false, done, &len, &op->source);
		if (!err)
			err = gntmap_copy_side(b, seg, true, done, &len,
					       &op->dest);
		if (err)
			break;
		op->len = len;
		b->nr_ops++;
		done += len;
	}
	if (err) {
		/* The op that failed pinned at most its own page. */
		gntmap_copy_release(b, start, b->nr_ops + 1);
		b->nr_ops = start;
		return err;
	}
	b->first[++b->nr_segs] = b->nr_ops;
	return 0;
}

/*
 * One hypercall for the whole batch, then each segment's status: the
 * first op of it that failed, else GNTST_okay.
 */
static int gntmap_copy_flush(struct gntmap_copy_batch *b,
			     struct gntdev_grant_copy_segment __user *segs)
{
	unsigned int k, i;
	int err = 0;

	if (b->nr_ops)
		gnttab_batch_copy(b->ops, b->nr_ops);
	gntmap_copy_release(b, 0, b->nr_ops);
	for (k = 0; k < b->nr_segs; k++) {
		s16 status = GNTST_okay;

		for (i = b->first[k]; i < b->first[k + 1]; i++) {
			if (b->ops[i].status != GNTST_okay) {
				status = b->ops[i].status;
				break;
			}
		}
		if (!err && put_user(status, &segs[b->seg0 + k].status))
			err = -EFAULT;
	}
	b->seg0 += b->nr_segs;
	b->nr_ops = 0;
	b->nr_segs = 0;
	return err;
}

long gntmap_grant_copy(struct gntmap_file *priv, void __user *uarg)
{
	struct ioctl_gntdev_grant_copy copy;
	struct gntmap_copy_batch *b;
	unsigned int i;
	int err = 0, ret;

	if (copy_from_user(&copy, uarg, sizeof(copy)))
		return -EFAULT;
	if (!copy.count)
		return 0;
	b = gntmap_copy_batch_get(priv);
	if (!b)
		return -ENOMEM;
	b->nr_ops = 0;
	b->nr_segs = 0;
	b->seg0 = 0;
	b->first[0] = 0;

	/*
	 * A bad segment ends the ioctl with its error: the segments before
	 * it are copied and have their status, it and those after are not
	 * touched.
	 */
	for (i = 0; i < copy.count; i++) {
		struct gntdev_grant_copy_segment seg;

		/* A segment of length 0 has no op but still a status. */
		if (b->nr_ops + 2 > GNTMAP_COPY_OPS ||
		    b->nr_segs == GNTMAP_COPY_OPS) {
			err = gntmap_copy_flush(b, copy.segments);
			if (err)
				break;
			if (fatal_signal_pending(current)) {
				err = -EINTR;
				break;
			}
			cond_resched();
		}
		if (copy_from_user(&seg, &copy.segments[i], sizeof(seg))) {
			err = -EFAULT;
			break;
		}
		err = gntmap_copy_add(b, &seg);
		if (err)
			break;
	}
	ret = gntmap_copy_flush(b, copy.segments);
	gntmap_copy_batch_put(priv, b);
	return err ?: ret;
}
