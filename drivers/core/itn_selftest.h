/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ABI of the core's self-test device (/dev/itn_selftest on itn_core.ko,
 * /dev/itn_selftest_kern on the kernel back end).  A test program
 * subscribes ranges of its own mm through it, changes its address space,
 * and reads back exactly which invalidate callbacks fired.  Test only: the
 * module is loaded by tests/core/vm/itn-vmtest and nowhere else.
 */
#ifndef _ITN_SELFTEST_H
#define _ITN_SELFTEST_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define ITN_ST_MAX_SUBS		16
#define ITN_ST_LOG_MAX		256

/* Subscribe [start, start + len) of the caller's mm; returns id. */
struct itn_st_sub {
	__u64 start;
	__u64 len;
	__u32 id;		/* out */
	__u32 refuse_nonblock;	/* refuse non-blockable ranges */
};

/* One invalidate callback, as the sub saw it. */
struct itn_st_call {
	__u64 start;
	__u64 end;
	__u32 id;
	__u32 event;		/* enum mmu_notifier_event */
	__u32 blockable;
	__u32 refused;
	__s32 pid;		/* whose context the callback ran in */
	__u32 pad;
};

/* Read and clear the callback log. */
struct itn_st_log {
	__u64 calls;		/* struct itn_st_call[max] */
	__u32 max;
	__u32 n;		/* out */
	__u32 lost;		/* out: calls beyond ITN_ST_LOG_MAX */
	__u32 pad;
};

/*
 * itn_range_fault() over [start, end) of sub id; the commit callback
 * checks that the first word of each page holds the page's own address.
 */
struct itn_st_fault {
	__u64 start;
	__u64 end;
	__u32 id;
	__u32 write;
	__u32 pages;		/* out: committed */
	__u32 mismatches;	/* out: pages whose first word was wrong */
	__u32 retries;		/* out */
	__u32 pad;
};

struct itn_st_refuse {
	__u32 id;
	__u32 refuse_nonblock;
};

#define ITN_ST_MAGIC	0xB7
#define ITN_ST_SUBSCRIBE	_IOWR(ITN_ST_MAGIC, 1, struct itn_st_sub)
#define ITN_ST_UNSUBSCRIBE	_IOW(ITN_ST_MAGIC, 2, __u32)
#define ITN_ST_LOG		_IOWR(ITN_ST_MAGIC, 3, struct itn_st_log)
#define ITN_ST_FAULT		_IOWR(ITN_ST_MAGIC, 4, struct itn_st_fault)
#define ITN_ST_SET_REFUSE	_IOW(ITN_ST_MAGIC, 5, struct itn_st_refuse)
/* Sleep uninterruptibly (at most 60 s) until ITN_ST_UNBLOCK. */
#define ITN_ST_BLOCK		_IO(ITN_ST_MAGIC, 6)
#define ITN_ST_UNBLOCK		_IO(ITN_ST_MAGIC, 7)
/* The back end's name ("itn" or "kernel") into a 16-byte buffer. */
#define ITN_ST_BACKEND		_IOR(ITN_ST_MAGIC, 8, char[16])

#endif /* _ITN_SELFTEST_H */
