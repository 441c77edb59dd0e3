/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The byte pattern of a test-domain share.  Included by the domU's
 * grantshare.ko and by the dom0 programs, so both sides compute the very
 * same bytes from (seed, page, offset) and a share needs no data transfer
 * to be checked.
 */
#ifndef TESTDOM_PATTERN_H
#define TESTDOM_PATTERN_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

/* The byte at @off of page @page of a share made with @seed. */
static inline uint8_t testdom_pattern(uint32_t seed, unsigned int page,
				      unsigned int off)
{
	uint32_t x = seed * 2654435761u ^ (page << 12 | off);

	x ^= x >> 15;
	x *= 2246822519u;
	x ^= x >> 13;
	return (uint8_t)x;
}

#endif /* TESTDOM_PATTERN_H */
