/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dmirror ABI.
 *
 * The first part is the ABI of Linux 6.1's lib/test_hmm_uapi.h, value for
 * value, so that the upstream selftest tools/testing/selftests/vm/hmm-tests.c
 * runs unchanged against /dev/hmm_dmirror0 and /dev/hmm_dmirror1.  The
 * second part is dmirror's own: an invalidation log that the project's tests
 * read to check which ranges the notifier core delivered.
 */
#ifndef _DMIRROR_UAPI_H
#define _DMIRROR_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * @addr:   (in) first mirrored address, page aligned
 * @ptr:    (in) caller buffer the data (or the SNAPSHOT bytes) go to/from
 * @npages: (in) pages to transfer
 * @cpages: (out) pages transferred
 * @faults: (out) device faults the transfer needed
 */
struct hmm_dmirror_cmd {
	__u64 addr;
	__u64 ptr;
	__u64 npages;
	__u64 cpages;
	__u64 faults;
};

#define HMM_DMIRROR_READ		_IOWR('H', 0x00, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_WRITE		_IOWR('H', 0x01, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_DEV	_IOWR('H', 0x02, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_SYS	_IOWR('H', 0x03, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_SNAPSHOT		_IOWR('H', 0x04, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_EXCLUSIVE		_IOWR('H', 0x05, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_CHECK_EXCLUSIVE	_IOWR('H', 0x06, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_RELEASE		_IOWR('H', 0x07, struct hmm_dmirror_cmd)

/* One byte per page in the SNAPSHOT output. */
enum {
	HMM_DMIRROR_PROT_ERROR			= 0xFF,
	HMM_DMIRROR_PROT_NONE			= 0x00,
	HMM_DMIRROR_PROT_READ			= 0x01,
	HMM_DMIRROR_PROT_WRITE			= 0x02,
	HMM_DMIRROR_PROT_PMD			= 0x04,
	HMM_DMIRROR_PROT_PUD			= 0x08,
	HMM_DMIRROR_PROT_ZERO			= 0x10,
	HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL	= 0x20,
	HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE	= 0x30,
	HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL	= 0x40,
	HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE	= 0x50,
};

/* dmirror's own extension, numbered far from the upstream range. */

/* Why the mm invalidated a range (the kernel's enum mmu_notifier_event). */
enum {
	DMIRROR_EVENT_UNMAP		= 0,
	DMIRROR_EVENT_CLEAR		= 1,
	DMIRROR_EVENT_PROTECTION_VMA	= 2,
	DMIRROR_EVENT_PROTECTION_PAGE	= 3,
	DMIRROR_EVENT_SOFT_DIRTY	= 4,
	DMIRROR_EVENT_RELEASE		= 5,
	DMIRROR_EVENT_MIGRATE		= 6,
	DMIRROR_EVENT_EXCLUSIVE		= 7,
	DMIRROR_EVENT_OTHER		= 255,
};

/*
 * A refused invalidation (trylock failed) has no entry: it is counted in
 * dmirror_stats.refusals.
 */
#define DMIRROR_INVAL_BLOCKABLE		0x1	/* the callback could sleep */

/* One invalidation, as the mm described it: [start, end). */
struct dmirror_inval {
	__u64 start;
	__u64 end;
	__u32 event;
	__u32 flags;
	__u64 dropped;	/* device page table entries it removed */
};

/*
 * DMIRROR_INVAL_LOG: move the oldest logged invalidations of this open
 * file (at most @max) to the array at @ptr and forget them.
 *
 * @ptr:   (in) array of struct dmirror_inval
 * @max:   (in) its length
 * @count: (out) entries written
 * @lost:  (out) entries that overflowed the log since the last call
 */
struct dmirror_inval_log {
	__u64 ptr;
	__u32 max;
	__u32 count;
	__u32 lost;
	__u32 pad;	/* must be zero */
};

#define DMIRROR_INVAL_LOG	_IOWR('H', 0x40, struct dmirror_inval_log)

/*
 * DMIRROR_STATS: counters of this open file since it was opened.
 * @refused_pfns:  hmm_range_fault() entries marked valid that the mirror
 *                 refused to map (no memmap, reserved, device memory)
 * @invalidations: invalidate callbacks that reached the mirror
 * @refusals:      non-blockable invalidations refused (trylock failed)
 */
struct dmirror_stats {
	__u64 refused_pfns;
	__u64 invalidations;
	__u64 refusals;
};

#define DMIRROR_STATS		_IOR('H', 0x41, struct dmirror_stats)

#endif /* _DMIRROR_UAPI_H */
