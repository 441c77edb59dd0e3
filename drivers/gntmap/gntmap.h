/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gntmap - grant-mapping driver on the itn core, with the ABI of
 * include/uapi/xen/gntdev.h.  docs/gntmap.md describes the behaviours.
 *
 * Object lifetime:
 *
 *   struct gntmap_file   one per open; owns its maps through a maple tree
 *                        keyed by each map's page-offset range, so every
 *                        lookup and the search for a free range cost
 *                        O(log n) in the number of maps.
 *   struct gntmap_map    one per MAP_GRANT_REF.  References (users):
 *                        one while it is in the file's tree, one per VMA
 *                        that maps it, one per pending asynchronous
 *                        unmap run.  The last put frees the pages, sends
 *                        the unmap event and may sleep.
 *
 * Each page of a map is in one of three states, changed under map->lock
 * except for the last transition, which the asynchronous unmap makes:
 *
 *   UNMAPPED --mmap/fault--> MAPPED --unmap/close--> KPENDING --done--> UNMAPPED
 *
 * MAPPED: the grant is mapped at the kernel address of map->pages[i] (the
 * kernel half).  The user's page table may or may not show it: on a PV
 * dom0 Xen also maps it at the user PTE (GNTMAP_contains_pte, the user
 * half, whose handle is unmap_ops[i].handle, INVALID_GRANT_HANDLE when
 * absent); on an auto-translated dom0 the page itself is inserted into the
 * VMA (struct gntmap_path_ops).  Every invalidation removes the user half
 * synchronously, so no page-table page is ever freed or reused while Xen
 * still holds it; one that ends the VMA's use of the range (munmap, exit)
 * also leaves MAPPED.  A fault on a MAPPED page puts the user half back
 * (vma.c, through the core's itn_retry_run()).  Leaving MAPPED hands the
 * kernel half to gnttab_unmap_refs_async(), which waits without blocking
 * anyone while the page is still in use (Qubes issue 7481).
 */
#ifndef _GNTMAP_H
#define _GNTMAP_H

#include <linux/indirect_call_wrapper.h>
#include <linux/maple_tree.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <xen/grant_table.h>
#include <xen/interface/event_channel.h>
#include <xen/gntdev.h>

#include "itn.h"
#include "gntmap_who.h"

enum gntmap_page_state {
	GNTMAP_UNMAPPED,
	GNTMAP_MAPPED,
	GNTMAP_KPENDING,
};

/*
 * The build on the kernel's mmu_interval_notifier (gntmap_kern.ko, which
 * make bench sets against gntmap.ko) takes names of its own, so that both
 * load in one boot.
 */
#ifdef ITN_BACKEND_KERNEL
#define GNTMAP_NAME "gntmap_kern"
#else
#define GNTMAP_NAME "gntmap"
#endif

struct gntmap_copy_batch;

struct gntmap_file {
	/*
	 * Serialises every change of maps with reserved, max_grants and
	 * mmapped; the tree's own spinlock only guards its nodes.
	 */
	struct mutex lock;
	struct maple_tree maps;		/* [index, index + count - 1] -> map */
	unsigned long reserved;		/* pages of the maps in the tree */
	unsigned long max_grants;	/* SET_MAX_GRANTS, ULONG_MAX if unset */
	struct gntmap_who_file who;	/* who.c */
	/*
	 * GRANT_COPY batches kept for reuse (copy.c): a backend copies many
	 * small batches, each would otherwise allocate one.  A caller takes
	 * one off the list for the whole ioctl, so concurrent callers on the
	 * file each have their own; copy_lock only guards the list.
	 */
	spinlock_t copy_lock;
	struct gntmap_copy_batch *copy_free;
};

struct gntmap_unmap_notify {
	u32 flags;			/* UNMAP_NOTIFY_* */
	u32 addr;			/* byte offset into the map */
	evtchn_port_t event;
};

struct gntmap_map {
	/*
	 * gntmap_map_reset() sets every field but count and the arrays when
	 * a map is handed out, new or kept (cache.c).
	 */
	refcount_t users;
	unsigned long index;		/* in pages */
	unsigned int count;
	bool mmapped;			/* mmap() happened, never again */
	bool readonly;

	/* Serialises the page faults of the map (vma.c); before lock. */
	struct mutex fault_lock;
	/* Everything below: under lock, see the state comment above. */
	struct mutex lock;
	struct itn_sub sub;
	bool sub_live;
	unsigned long base;		/* vm_start at mmap time */
	unsigned int vmas;		/* VMAs still pointing at the map */
	struct gntmap_unmap_notify notify;
	/* A grant op failed: the pages go back to the balloon, not to reuse. */
	bool failed;
	struct list_head cache_node;	/* in the cache, under its lock */

	struct ioctl_gntdev_grant_ref *grants;
	struct page **pages;
	u8 *state;
	struct gnttab_map_grant_ref *map_ops;	/* user PTE */
	struct gnttab_map_grant_ref *kmap_ops;	/* kernel address */
	struct gnttab_unmap_grant_ref *unmap_ops;
	struct gnttab_unmap_grant_ref *kunmap_ops;
	/* One slot per page, in chunks: use gntmap_run(). */
	struct gntab_unmap_queue_data **runs;
	struct gntmap_who_map who;	/* who.c */
};

/* arrays.c: the per-page arrays; calls nothing else of ours */
struct gntmap_map *gntmap_map_new(unsigned int count);
void gntmap_map_destroy(struct gntmap_map *map);
struct gntab_unmap_queue_data *gntmap_run(struct gntmap_map *map,
					  unsigned int i);

/* cache.c */
struct gntmap_map *gntmap_cache_get(unsigned int count);
bool gntmap_cache_put(struct gntmap_map *map);
void gntmap_cache_drain(void);

/* main.c */
extern unsigned int gntmap_limit;
extern bool gntmap_enforce_max_grants;

/* map.c */
struct gntmap_map *gntmap_map_alloc(unsigned int count);
void gntmap_map_get(struct gntmap_map *map);
void gntmap_map_put(struct gntmap_map *map);
int gntmap_map_grants(struct gntmap_map *map, bool user_ptes);
void gntmap_unmap_range(struct gntmap_map *map, unsigned int first,
			unsigned int end);
void gntmap_unmap_user_range(struct gntmap_map *map, unsigned int first,
			     unsigned int end);
int gntmap_map_kernel_page(struct gntmap_map *map, unsigned int i);
void gntmap_unmap_kernel_page(struct gntmap_map *map, unsigned int i);
void gntmap_commit_kernel_page(struct gntmap_map *map, unsigned int i);
void gntmap_drain(void);

/*
 * What differs between the two dom0 paths.  gntmap_path_init() picks one
 * at load from XENFEAT_auto_translated_physmap: map_pv.c for a PV dom0,
 * where Xen writes the user PTEs; map_hvm.c for an auto-translated one
 * (PVH, HVM, Arm), where our own pages are inserted into the VMA.
 */
struct gntmap_path_ops {
	/* MAP_GRANT_REF: refuse grants this path cannot map, before mmap. */
	int (*check_grants)(struct gntmap_map *map);
	/*
	 * apply_to_page_range() callback of mmap's one walk of the range,
	 * which allocates the page tables outside map->lock (data: the map):
	 * whatever the path needs of each PTE it takes here.
	 */
	pte_fn_t prepare_pte;
	/* mmap: map every grant into @vma; map->lock held, sub inserted. */
	int (*mmap)(struct gntmap_map *map, struct vm_area_struct *vma);
	/*
	 * Unmap the user half of the pages of [first, end) that have one;
	 * map->lock held, no sleep.
	 */
	void (*unmap_user)(struct gntmap_map *map, unsigned int first,
			   unsigned int end);
	/*
	 * Page fault: show page @i, MAPPED, at @addr of @vma again.
	 * map->lock held, the core's sequence checked; 0 or -errno.
	 */
	int (*map_user)(struct gntmap_map *map, struct vm_area_struct *vma,
			unsigned long addr, unsigned int i);
	/* VMA close, after the unmap; no map->lock, a reference held. */
	void (*close)(struct gntmap_map *map);
};

extern const struct gntmap_path_ops *gntmap_path;
extern const struct gntmap_path_ops gntmap_pv_path;
extern const struct gntmap_path_ops gntmap_xlat_path;
void gntmap_path_init(void);
void gntmap_pv_unmap_user(struct gntmap_map *map, unsigned int first,
			  unsigned int end);
void gntmap_pv_close(struct gntmap_map *map);
void gntmap_xlat_unmap_user(struct gntmap_map *map, unsigned int first,
			    unsigned int end);
void gntmap_xlat_close(struct gntmap_map *map);

/*
 * The two path ops every munmap calls, as direct calls: on a retpoline
 * kernel each indirect call goes through a thunk, and PV's close is empty.
 */
static inline void gntmap_path_unmap_user(struct gntmap_map *map,
					  unsigned int first, unsigned int end)
{
	INDIRECT_CALL_2(gntmap_path->unmap_user, gntmap_pv_unmap_user,
			gntmap_xlat_unmap_user, map, first, end);
}

static inline void gntmap_path_close(struct gntmap_map *map)
{
	INDIRECT_CALL_2(gntmap_path->close, gntmap_pv_close,
			gntmap_xlat_close, map);
}

/* vma.c */
int gntmap_mmap(struct file *file, struct vm_area_struct *vma);
struct gntmap_map *gntmap_vma_map(struct vm_area_struct *vma);

/* notifier.c */
extern const struct itn_sub_ops gntmap_sub_ops;

/* notify.c */
int gntmap_set_notify(struct gntmap_map *map, u32 action, u32 addr,
		      evtchn_port_t port);
void gntmap_notify_clear_byte(struct gntmap_map *map, unsigned int first,
			      unsigned int end);
void gntmap_notify_release(struct gntmap_map *map);

/* ioctl.c */
long gntmap_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* copy.c */
long gntmap_grant_copy(struct gntmap_file *priv, void __user *uarg);
void gntmap_copy_free_batches(struct gntmap_file *priv);

/* counters.c */
enum gntmap_counter {
	GNTMAP_CNT_LIVE_MAPS,
	GNTMAP_CNT_MAPPED_PAGES,
	GNTMAP_CNT_INVALIDATIONS,
	GNTMAP_CNT_INVALIDATED_PAGES,
	GNTMAP_CNT_MAP_FAILED,
	GNTMAP_CNT_UNMAP_DEFERRED,
	GNTMAP_CNT_UNMAP_FAILED,
	GNTMAP_CNT_PENDING_UNMAPS,
	GNTMAP_CNT_CACHED_PAGES,
	GNTMAP_NR_COUNTERS
};

/*
 * Per CPU, so that the munmap and unmap paths of backends on different
 * CPUs never share a cache line for their statistics; this_cpu_add() is
 * safe from any context, the unmap done callback's included.
 */
DECLARE_PER_CPU(long [GNTMAP_NR_COUNTERS], gntmap_counters);

static inline void gntmap_count(enum gntmap_counter c, long delta)
{
	this_cpu_add(gntmap_counters[c], delta);
}

long gntmap_counter_read(enum gntmap_counter c);
extern const struct attribute_group *gntmap_attr_groups[];

#endif /* _GNTMAP_H */
