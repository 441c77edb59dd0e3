/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who holds which grants (who.c): the root-only listing in debugfs,
 * /sys/kernel/debug/gntmap/maps.  docs/gntmap.md, "Finding who holds a
 * domain's grants", gives its format.
 */
#ifndef _GNTMAP_WHO_H
#define _GNTMAP_WHO_H

#include <linux/list.h>
#include <linux/sched.h>
#include <linux/types.h>

/* Who opened a gntmap file: set at open, never changed. */
struct gntmap_who_file {
	struct list_head node;		/* in the list of open files */
	u64 id;				/* numbers the files of this load */
	pid_t pid;			/* tgid of the opener */
	char comm[TASK_COMM_LEN];
};

/* Who made a map and who mmapped it. */
struct gntmap_who_map {
	struct list_head node;		/* in the list of live maps */
	u64 file;			/* id of the file it was made on */
	pid_t pid;			/* tgid of the MAP_GRANT_REF caller */
	char comm[TASK_COMM_LEN];
	pid_t mm_pid;			/* tgid of the mmap caller, or 0 */
	char mm_comm[TASK_COMM_LEN];	/* under map->lock */
};

struct gntmap_file;
struct gntmap_map;

void gntmap_who_open(struct gntmap_file *priv);
void gntmap_who_release(struct gntmap_file *priv);
void gntmap_who_add(struct gntmap_map *map, struct gntmap_file *priv);
void gntmap_who_mmap(struct gntmap_map *map);
void gntmap_who_del(struct gntmap_map *map);
void gntmap_who_init(void);
void gntmap_who_exit(void);

/* trace.c: the gntmap_grant_copy event, only while it is enabled. */
void gntmap_trace_copy(void __user *uarg, long result);

#endif /* _GNTMAP_WHO_H */
