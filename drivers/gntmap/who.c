// SPDX-License-Identifier: GPL-2.0
/*
 * Who holds which grants: /sys/kernel/debug/gntmap/maps, root only.
 *
 * Every open file and every live map (from MAP_GRANT_REF until its last
 * reference, so also a map already unmapped by UNMAP_GRANT_REF or whose
 * file is closed while a VMA or a deferred unmap still holds it) is on a
 * list under gntmap_who_lock.  The reader takes that lock, then each
 * map's lock in turn, only while it prints: nothing is counted or
 * collected when nobody reads.  The format is in docs/gntmap.md ("Finding
 * who holds a domain's grants"); it prints no kernel pointer, only user
 * addresses of the VMAs, which is why it is root only.
 *
 * debugfs rather than sysfs: the listing has no size bound (one line per
 * map), which sysfs's one-value-per-file and one-page rule forbid.
 */
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "gntmap.h"

/* Refs printed per map before the list is cut short. */
#define GNTMAP_WHO_REFS		4
/* Distinct domids printed per map (a map may mix domains). */
#define GNTMAP_WHO_DOMS		4

static DEFINE_MUTEX(gntmap_who_lock);
static LIST_HEAD(gntmap_who_files);
static LIST_HEAD(gntmap_who_maps);
static u64 gntmap_who_next_file;
static struct dentry *gntmap_who_dir;

static void gntmap_who_me(pid_t *pid, char (*comm)[TASK_COMM_LEN])
{
	*pid = task_tgid_nr(current);
	get_task_comm(*comm, current);
}

void gntmap_who_open(struct gntmap_file *priv)
{
	gntmap_who_me(&priv->who.pid, &priv->who.comm);
	mutex_lock(&gntmap_who_lock);
	priv->who.id = ++gntmap_who_next_file;
	list_add_tail(&priv->who.node, &gntmap_who_files);
	mutex_unlock(&gntmap_who_lock);
}

void gntmap_who_release(struct gntmap_file *priv)
{
	mutex_lock(&gntmap_who_lock);
	list_del(&priv->who.node);
	mutex_unlock(&gntmap_who_lock);
}

/* MAP_GRANT_REF, once the grants are in the map. */
void gntmap_who_add(struct gntmap_map *map, struct gntmap_file *priv)
{
	map->who.file = priv->who.id;
	gntmap_who_me(&map->who.pid, &map->who.comm);
	map->who.mm_pid = 0;
	map->who.mm_comm[0] = 0;
	mutex_lock(&gntmap_who_lock);
	list_add_tail(&map->who.node, &gntmap_who_maps);
	mutex_unlock(&gntmap_who_lock);
}

/* mmap, map->lock held. */
void gntmap_who_mmap(struct gntmap_map *map)
{
	gntmap_who_me(&map->who.mm_pid, &map->who.mm_comm);
}

/* The last reference; also for a map that never got listed. */
void gntmap_who_del(struct gntmap_map *map)
{
	if (!map->who.node.next)
		return;		/* a new map, never listed */
	mutex_lock(&gntmap_who_lock);
	list_del_init(&map->who.node);
	mutex_unlock(&gntmap_who_lock);
}

/* A comm as one token: blanks, '=', '\' and controls as \ooo. */
static void gntmap_who_comm(struct seq_file *m, const char *key,
			    const char *comm)
{
	const char *c;

	seq_printf(m, " %s=", key);
	for (c = comm; *c; c++) {
		if (*c <= ' ' || *c == '=' || *c == '\\' || *c >= 0x7f)
			seq_printf(m, "\\%03o", (unsigned char)*c);
		else
			seq_putc(m, *c);
	}
}

struct gntmap_who_dom {
	unsigned long maps, pages, mapped, pending;
	unsigned long round;	/* the last map counted in maps */
};

/* The totals of @domid, allocated on first use; NULL if out of memory. */
static struct gntmap_who_dom *gntmap_who_dom(struct xarray *doms, u32 domid)
{
	struct gntmap_who_dom *d = xa_load(doms, domid);

	if (d)
		return d;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	if (xa_err(xa_store(doms, domid, d, GFP_KERNEL))) {
		kfree(d);
		return NULL;
	}
	return d;
}

static bool gntmap_who_file_open(u64 id)
{
	struct gntmap_file *priv;

	list_for_each_entry(priv, &gntmap_who_files, who.node)
		if (priv->who.id == id)
			return true;
	return false;
}

/*
 * The domains of one map's grants, which never change once it is listed:
 * each one's totals count the map and its pages, and the first few go to
 * @seen.  No map->lock: it allocates.  -ENOMEM, or the number in @seen.
 */
static int gntmap_who_map_doms(struct gntmap_map *map, struct xarray *doms,
			       unsigned long round, u32 *seen, bool *more)
{
	unsigned int i, nseen = 0;

	*more = false;
	for (i = 0; i < map->count; i++) {
		u32 domid = map->grants[i].domid;
		struct gntmap_who_dom *d = gntmap_who_dom(doms, domid);

		if (!d)
			return -ENOMEM;
		d->pages++;
		if (d->round == round)
			continue;
		/* The map's first page of this domain. */
		d->round = round;
		d->maps++;
		if (nseen < GNTMAP_WHO_DOMS)
			seen[nseen++] = domid;
		else
			*more = true;
	}
	return nseen;
}

/* One map's line, and its pages' states in the domains' totals. */
static int gntmap_who_show_map(struct seq_file *m, struct gntmap_map *map,
			       struct xarray *doms, unsigned long round)
{
	u32 seen[GNTMAP_WHO_DOMS];
	unsigned int i, j, mapped = 0, pending = 0;
	struct gntmap_who_dom *d;
	bool more_doms;
	int nseen;

	nseen = gntmap_who_map_doms(map, doms, round, seen, &more_doms);
	if (nseen < 0)
		return nseen;

	mutex_lock(&map->lock);
	for (i = 0; i < map->count; i++) {
		u8 state = READ_ONCE(map->state[i]);

		if (state == GNTMAP_UNMAPPED)
			continue;
		d = xa_load(doms, map->grants[i].domid);
		if (state == GNTMAP_MAPPED) {
			d->mapped++;
			mapped++;
		} else {
			d->pending++;
			pending++;
		}
	}

	seq_printf(m, "map file=%llu%s pid=%d", map->who.file,
		   gntmap_who_file_open(map->who.file) ? "" : "(closed)",
		   map->who.pid);
	gntmap_who_comm(m, "comm", map->who.comm);
	seq_puts(m, " domid=");
	for (j = 0; j < nseen; j++)
		seq_printf(m, "%s%u", j ? "," : "", seen[j]);
	if (more_doms)
		seq_puts(m, ",+");
	seq_printf(m, " count=%u refs=", map->count);
	for (i = 0; i < map->count && i < GNTMAP_WHO_REFS; i++)
		seq_printf(m, "%s%u", i ? "," : "", map->grants[i].ref);
	if (map->count > GNTMAP_WHO_REFS)
		seq_printf(m, ",+%u", map->count - GNTMAP_WHO_REFS);
	seq_printf(m, " access=%s mapped=%u pending=%u",
		   map->mmapped ? (map->readonly ? "ro" : "rw") : "-",
		   mapped, pending);
	if (map->vmas && map->who.mm_pid) {
		seq_printf(m, " mm_pid=%d", map->who.mm_pid);
		gntmap_who_comm(m, "mm_comm", map->who.mm_comm);
		seq_printf(m, " range=0x%lx-0x%lx vmas=%u", map->base,
			   map->base + ((unsigned long)map->count << PAGE_SHIFT),
			   map->vmas);
	} else {
		seq_puts(m, " mm_pid=- range=- vmas=0");
	}
	seq_puts(m, " notify=");
	if (!(map->notify.flags &
	      (UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT)))
		seq_puts(m, "-");
	if (map->notify.flags & UNMAP_NOTIFY_CLEAR_BYTE)
		seq_printf(m, "clear@%u", map->notify.addr);
	if ((map->notify.flags & UNMAP_NOTIFY_CLEAR_BYTE) &&
	    (map->notify.flags & UNMAP_NOTIFY_SEND_EVENT))
		seq_putc(m, ',');
	if (map->notify.flags & UNMAP_NOTIFY_SEND_EVENT)
		seq_printf(m, "event:%u", map->notify.event);
	seq_putc(m, '\n');
	mutex_unlock(&map->lock);
	return 0;
}

static int gntmap_who_show(struct seq_file *m, void *v)
{
	struct gntmap_who_dom *d;
	struct gntmap_file *priv;
	struct gntmap_map *map;
	unsigned long domid;
	unsigned long round = 0;
	struct xarray doms;
	int err = 0;

	xa_init(&doms);
	mutex_lock(&gntmap_who_lock);
	list_for_each_entry(priv, &gntmap_who_files, who.node) {
		seq_printf(m, "file id=%llu pid=%d", priv->who.id,
			   priv->who.pid);
		gntmap_who_comm(m, "comm", priv->who.comm);
		seq_printf(m, " reserved=%lu\n", READ_ONCE(priv->reserved));
	}
	list_for_each_entry(map, &gntmap_who_maps, who.node) {
		err = gntmap_who_show_map(m, map, &doms, ++round);
		if (err)
			break;
	}
	mutex_unlock(&gntmap_who_lock);

	xa_for_each(&doms, domid, d) {
		if (!err)
			seq_printf(m, "domain id=%lu maps=%lu pages=%lu mapped=%lu pending=%lu\n",
				   domid, d->maps, d->pages, d->mapped,
				   d->pending);
		kfree(d);
	}
	xa_destroy(&doms);
	if (err)
		pr_warn_ratelimited("gntmap: listing: no memory for the domain totals\n");
	return err;
}

static int gntmap_who_open_file(struct inode *inode, struct file *file)
{
	/* User addresses of other processes' VMAs: root only. */
	if (!capable(CAP_SYS_ADMIN)) {
		pr_info_ratelimited("gntmap: listing: %s[%d] lacks CAP_SYS_ADMIN\n",
				    current->comm, task_tgid_nr(current));
		return -EPERM;
	}
	return single_open(file, gntmap_who_show, NULL);
}

static const struct file_operations gntmap_who_fops = {
	.owner = THIS_MODULE,
	.open = gntmap_who_open_file,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

/* A missing listing never stops the driver: it says why and goes on. */
void gntmap_who_init(void)
{
	struct dentry *f;

	gntmap_who_dir = debugfs_create_dir(GNTMAP_NAME, NULL);
	if (IS_ERR(gntmap_who_dir)) {
		pr_info("gntmap: no listing in debugfs (error %ld: debugfs disabled or locked down)\n",
			PTR_ERR(gntmap_who_dir));
		gntmap_who_dir = NULL;
		return;
	}
	f = debugfs_create_file("maps", 0400, gntmap_who_dir, NULL,
				&gntmap_who_fops);
	if (IS_ERR(f))
		pr_info("gntmap: no listing in debugfs (maps: error %ld)\n",
			PTR_ERR(f));
}

void gntmap_who_exit(void)
{
	debugfs_remove_recursive(gntmap_who_dir);
	gntmap_who_dir = NULL;
}
