/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testdom: dom0 side of the test domain's grant sharer.
 *
 * The test domU (xen-configs/sharer.cfg) loads tests/vm/domu/grantshare.ko,
 * which grants pages to dom0 from the kernel, so that it can tell exactly
 * whether gnttab_try_end_foreign_access() succeeded on every one: the
 * grant-leak check.  dom0 drives it through xenstore, under the domU's
 * /local/domain/<domid>/data/grantshare/ directory; the protocol is in
 * docs/testdom.md.
 */
#ifndef TESTDOM_H
#define TESTDOM_H

#include <stdbool.h>
#include <stdint.h>

struct testdom;

/* Find a running domain by xl name and wait until its sharer is ready. */
struct testdom *testdom_open(const char *name, int timeout_ms);
void testdom_close(struct testdom *td);
uint32_t testdom_domid(const struct testdom *td);

/*
 * Ask the domU to grant @npages fresh pages to dom0, read-only or writable,
 * each filled with testdom_pattern(seed, i, ...).  Refs go to @refs.
 * Replaces any earlier share (which must have been ended).  0 or -errno.
 */
int testdom_share(struct testdom *td, unsigned int npages, bool writable,
		  uint32_t seed, uint32_t *refs);

/*
 * Ask the domU to check that page i holds testdom_pattern(seed, i, ...)
 * (dom0 wrote it through a mapping).  Returns the number of pages that do
 * not match, or -errno.
 */
int testdom_verify(struct testdom *td, uint32_t seed);

/*
 * Grant-leak check: ask the domU to end foreign access on every page of
 * the current share.  Returns how many it could NOT end (still mapped by
 * someone), 0 when nothing leaked, or -errno.  Pages that could not be
 * ended are retried by the domU on the next call, so a test can wait for
 * deferred unmaps by calling it again.
 */
int testdom_end_all(struct testdom *td);

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

#endif /* TESTDOM_H */
