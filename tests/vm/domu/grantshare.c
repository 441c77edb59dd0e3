// SPDX-License-Identifier: GPL-2.0
/*
 * grantshare: the test domU's grant sharer.
 *
 * dom0 tests need a foreign domain that grants pages to them and that can
 * tell, page by page, whether the grant could be ended afterwards: that is
 * the grant-leak check (an ended grant is one nobody maps any more).  Doing
 * it from the kernel gives the exact answer of
 * gnttab_try_end_foreign_access(), which userspace gntalloc hides.
 *
 * dom0 drives the module through xenstore under our data/grantshare/
 * directory; docs/testdom.md is the protocol.  Every command runs on one
 * ordered workqueue, so the share state below needs no lock: the xenbus
 * watch only queues the work, and module exit stops both before touching
 * the state.
 *
 * A page is freed only once its grant has been ended.  Pages whose grant is
 * still in use stay ours: they are retried at the next "end", and a new
 * "share" moves them to the orphan list, which every command retries too.
 * At unload the remaining ones are handed to gnttab_end_foreign_access(),
 * which frees each page once the mapping side lets go.
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <xen/xen.h>
#include <xen/xenbus.h>
#include <xen/grant_table.h>
#include <xen/page.h>

#include "../lib/testdom_pattern.h"

#define GS_DIR		"data/grantshare"
#define GS_CMD_NODE	GS_DIR "/cmd"
#define GS_REFS_DIR	GS_DIR "/refs"
/*
 * Refs per refs/<k> node.  An unprivileged domain's xenstore node is capped
 * at 2048 bytes (xenstored quota-maxsize); 128 refs of up to 10 digits and a
 * separator stay well below that.
 */
#define GS_REFS_PER_NODE 128
#define GS_CMD_MAX	128

static unsigned int max_pages = 4096;
module_param(max_pages, uint, 0444);
MODULE_PARM_DESC(max_pages, "Largest share dom0 may ask for, in pages (default 4096)");

static unsigned int backend_domid;
module_param(backend_domid, uint, 0444);
MODULE_PARM_DESC(backend_domid, "Domain the pages are granted to (default 0, dom0)");

/* A granted page; page == NULL once its grant was ended and it was freed. */
struct gs_grant {
	struct page *page;
	grant_ref_t ref;
};

struct gs_share {
	struct gs_grant *grants;
	unsigned int npages;
	u32 seed;
};

static struct gs_share share;
static struct gs_grant *orphans;
static unsigned int norphans;
static u32 last_seq;
static bool have_seq;

static struct workqueue_struct *gs_wq;
static struct work_struct gs_work;

/* Ends the grant of @g if nobody maps it any more; true once it is gone. */
static bool gs_try_end(struct gs_grant *g)
{
	if (!g->page)
		return true;
	if (!gnttab_try_end_foreign_access(g->ref))
		return false;
	__free_page(g->page);
	g->page = NULL;
	return true;
}

static unsigned int gs_end_array(struct gs_grant *grants, unsigned int n)
{
	unsigned int i, left = 0;

	for (i = 0; i < n; i++)
		if (!gs_try_end(&grants[i]))
			left++;
	return left;
}

/* Retries the orphans and packs the survivors at the front of the array. */
static void gs_retry_orphans(void)
{
	unsigned int i, kept = 0;

	for (i = 0; i < norphans; i++)
		if (!gs_try_end(&orphans[i]))
			orphans[kept++] = orphans[i];
	norphans = kept;
	if (!norphans) {
		kvfree(orphans);
		orphans = NULL;
	}
}

/*
 * Moves the grants of the current share that are still in use to the
 * orphan list and forgets the share.  On allocation failure the share is
 * kept and -ENOMEM returned: a page still mapped is never dropped.
 */
static int gs_orphan_share(void)
{
	unsigned int left = gs_end_array(share.grants, share.npages);
	struct gs_grant *o;
	unsigned int i;

	if (left) {
		o = kvmalloc_array(norphans + left, sizeof(*o), GFP_KERNEL);
		if (!o)
			return -ENOMEM;
		if (norphans)
			memcpy(o, orphans, norphans * sizeof(*o));
		for (i = 0; i < share.npages; i++)
			if (share.grants[i].page)
				o[norphans++] = share.grants[i];
		kvfree(orphans);
		orphans = o;
	}
	kvfree(share.grants);
	share.grants = NULL;
	share.npages = 0;
	return 0;
}

static void gs_fill(struct page *page, u32 seed, unsigned int idx)
{
	u8 *p = page_address(page);
	unsigned int off;

	for (off = 0; off < PAGE_SIZE; off++)
		p[off] = testdom_pattern(seed, idx, off);
}

/* Publishes the refs of the current share as refs/0, refs/1, ... */
static int gs_publish_refs(void)
{
	const size_t size = GS_REFS_PER_NODE * 11 + 1;
	unsigned int i, k, end;
	char node[16];
	size_t len;
	char *buf;
	int err = 0;

	xenbus_rm(XBT_NIL, GS_DIR, "refs");
	buf = kmalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (k = 0; !err && k * GS_REFS_PER_NODE < share.npages; k++) {
		end = min(share.npages, (k + 1) * GS_REFS_PER_NODE);
		len = 0;
		for (i = k * GS_REFS_PER_NODE; i < end; i++)
			len += scnprintf(buf + len, size - len, "%s%u",
					 len ? " " : "", share.grants[i].ref);
		snprintf(node, sizeof(node), "%u", k);
		err = xenbus_write(XBT_NIL, GS_REFS_DIR, node, buf);
	}
	kfree(buf);
	return err;
}

static long gs_share_pages(unsigned int npages, bool writable, u32 seed)
{
	struct gs_grant *g;
	unsigned int i;
	int ret;

	if (!npages)
		return -EINVAL;
	if (npages > max_pages)
		return -E2BIG;
	ret = gs_orphan_share();
	if (ret)
		return ret;

	g = kvcalloc(npages, sizeof(*g), GFP_KERNEL);
	if (!g)
		return -ENOMEM;
	share.grants = g;
	share.seed = seed;
	for (i = 0; i < npages; i++) {
		g[i].page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!g[i].page) {
			ret = -ENOMEM;
			goto undo;
		}
		share.npages = i + 1;
		gs_fill(g[i].page, seed, i);
		ret = gnttab_grant_foreign_access(backend_domid,
						  xen_page_to_gfn(g[i].page),
						  !writable);
		if (ret < 0) {
			__free_page(g[i].page);
			g[i].page = NULL;
			share.npages = i;
			goto undo;
		}
		g[i].ref = ret;
		cond_resched();
	}
	ret = gs_publish_refs();
	if (ret)
		goto undo;
	return npages;

undo:
	/* Not yet published, but a guessing peer may map them: orphan, never free. */
	if (gs_orphan_share()) {
		/* No memory even for the orphan list: keep the share itself. */
		return ret;
	}
	xenbus_rm(XBT_NIL, GS_DIR, "refs");
	return ret;
}

static long gs_verify(u32 seed)
{
	unsigned int i, off, bad = 0;
	const u8 *p;

	if (!share.npages)
		return -ENOENT;
	for (i = 0; i < share.npages; i++) {
		if (!share.grants[i].page)
			return -ENOENT;
		p = page_address(share.grants[i].page);
		for (off = 0; off < PAGE_SIZE; off++)
			if (p[off] != testdom_pattern(seed, i, off))
				break;
		if (off < PAGE_SIZE)
			bad++;
		cond_resched();
	}
	return bad;
}

static long gs_end(void)
{
	unsigned int left = gs_end_array(share.grants, share.npages);

	if (!left) {
		kvfree(share.grants);
		share.grants = NULL;
		share.npages = 0;
		xenbus_rm(XBT_NIL, GS_DIR, "refs");
	}
	return left;
}

/* Splits off the next space-separated word of *@s, or returns NULL. */
static char *gs_word(char **s)
{
	char *w;

	do {
		w = strsep(s, " ");
	} while (w && !*w);
	return w;
}

static long gs_run(char *args)
{
	char *verb = gs_word(&args), *a1, *a2, *a3;
	unsigned int n;
	u32 seed;

	if (!verb)
		return -EINVAL;
	a1 = gs_word(&args);
	a2 = gs_word(&args);
	a3 = gs_word(&args);
	if (gs_word(&args))
		return -EINVAL;

	if (!strcmp(verb, "share")) {
		if (!a3 || kstrtouint(a1, 10, &n) || kstrtou32(a3, 0, &seed))
			return -EINVAL;
		if (strcmp(a2, "rw") && strcmp(a2, "ro"))
			return -EINVAL;
		return gs_share_pages(n, !strcmp(a2, "rw"), seed);
	}
	if (!strcmp(verb, "verify")) {
		if (!a1 || a2 || kstrtou32(a1, 0, &seed))
			return -EINVAL;
		return gs_verify(seed);
	}
	if (!strcmp(verb, "end")) {
		if (a1)
			return -EINVAL;
		return gs_end();
	}
	return -EOPNOTSUPP;
}

static void gs_work_fn(struct work_struct *work)
{
	char *cmd, *args, *seqw;
	char status[32];
	bool toolong;
	long result;
	u32 seq;

	cmd = xenbus_read(XBT_NIL, GS_DIR, "cmd", NULL);
	if (IS_ERR(cmd))
		return;
	args = cmd;
	toolong = strlen(cmd) > GS_CMD_MAX;
	seqw = gs_word(&args);
	if (!seqw) {
		/* The empty node we create at load: no command yet. */
		kfree(cmd);
		return;
	}
	if (kstrtou32(seqw, 10, &seq) || !seq) {
		/* No sequence number to answer to: report under 0. */
		seq = 0;
		result = -EINVAL;
	} else if (have_seq && seq == last_seq) {
		/* A repeated event for a command already answered. */
		kfree(cmd);
		return;
	}
	if (seq) {
		have_seq = true;
		last_seq = seq;
		gs_retry_orphans();
		result = toolong ? -EINVAL : gs_run(args ? args : "");
	}
	kfree(cmd);

	xenbus_printf(XBT_NIL, GS_DIR, "orphans", "%u", norphans);
	snprintf(status, sizeof(status), "%u %ld", seq, result);
	xenbus_write(XBT_NIL, GS_DIR, "status", status);
}

static void gs_watch_fn(struct xenbus_watch *watch, const char *path,
			const char *token)
{
	queue_work(gs_wq, &gs_work);
}

static struct xenbus_watch gs_watch = {
	.node = GS_CMD_NODE,
	.callback = gs_watch_fn,
};

static void gs_release_all(void)
{
	unsigned int i;

	/* The hypervisor frees each page once the last mapping is gone. */
	for (i = 0; i < share.npages; i++)
		if (share.grants[i].page)
			gnttab_end_foreign_access(share.grants[i].ref,
						  share.grants[i].page);
	for (i = 0; i < norphans; i++)
		gnttab_end_foreign_access(orphans[i].ref, orphans[i].page);
	kvfree(share.grants);
	kvfree(orphans);
	share.grants = NULL;
	share.npages = 0;
	orphans = NULL;
	norphans = 0;
}

static int __init gs_init(void)
{
	int err;

	if (!xen_domain())
		return -ENODEV;
	if (backend_domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;

	gs_wq = alloc_ordered_workqueue("grantshare", 0);
	if (!gs_wq)
		return -ENOMEM;
	INIT_WORK(&gs_work, gs_work_fn);

	/* Start clean: a stale cmd from an earlier load must not be replayed. */
	xenbus_rm(XBT_NIL, "data", "grantshare");
	err = xenbus_write(XBT_NIL, GS_DIR, "cmd", "");
	if (!err)
		err = xenbus_printf(XBT_NIL, GS_DIR, "max", "%u", max_pages);
	if (!err)
		err = xenbus_write(XBT_NIL, GS_DIR, "orphans", "0");
	if (!err)
		err = register_xenbus_watch(&gs_watch);
	if (err)
		goto fail;
	err = xenbus_write(XBT_NIL, GS_DIR, "ready", "1");
	if (err) {
		unregister_xenbus_watch(&gs_watch);
		goto fail;
	}
	pr_info("grantshare: ready, up to %u pages to domain %u\n",
		max_pages, backend_domid);
	return 0;

fail:
	destroy_workqueue(gs_wq);
	xenbus_rm(XBT_NIL, "data", "grantshare");
	return err;
}

static void __exit gs_exit(void)
{
	xenbus_rm(XBT_NIL, GS_DIR, "ready");
	unregister_xenbus_watch(&gs_watch);
	destroy_workqueue(gs_wq);
	gs_release_all();
	xenbus_rm(XBT_NIL, "data", "grantshare");
}

module_init(gs_init);
module_exit(gs_exit);
MODULE_DESCRIPTION("gntmap test domU: grants pages to dom0 on xenstore command");
MODULE_LICENSE("GPL");
