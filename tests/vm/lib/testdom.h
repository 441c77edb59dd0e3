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

#include "testdom_pattern.h"

struct testdom;

/*
 * Find a domain by xl name and wait up to @timeout_ms until it exists and
 * its sharer is ready.  NULL with errno set (ENOENT: no such domain, ETIMEDOUT:
 * the sharer never said ready) on failure.  One testdom drives a domain at a
 * time: commands are numbered, not locked.
 */
struct testdom *testdom_open(const char *name, int timeout_ms);

/*
 * Just the domid of domain @name, waiting up to @timeout_ms for it to
 * appear: for tests that talk to the domU without the sharer.  0 or -errno
 * (ENOENT when it never appeared).
 */
int testdom_lookup(const char *name, int timeout_ms, uint32_t *domid);

/*
 * Every command below waits for the domU's answer: -ESRCH if the domain
 * went away meanwhile, -ETIMEDOUT after three minutes without one.
 */
void testdom_close(struct testdom *td);
uint32_t testdom_domid(const struct testdom *td);

/*
 * Ask the domU to grant @npages fresh pages to dom0, read-only or writable,
 * each filled with testdom_pattern(seed, i, ...).  Refs go to @refs.
 * Replaces any earlier share: end it first (testdom_end_all() == 0), or its
 * pages still in use become orphans.  0 or -errno (E2BIG: more than
 * testdom_max_pages(); ENOMEM/ENOSPC: the domU ran out of memory or refs).
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

/*
 * Like testdom_end_all(), but calls it again every few milliseconds until it
 * returns 0 or @timeout_ms passes (an unmap that the kernel defers, e.g. to
 * the exit of a process, needs a moment).  Returns the last count or -errno.
 */
int testdom_end_all_wait(struct testdom *td, int timeout_ms);

/*
 * The same, but stops as soon as at most @want pages are left: for a test
 * that expects exactly @want grants to stay mapped.
 */
int testdom_end_all_until(struct testdom *td, int want, int timeout_ms);

/*
 * Pages of earlier shares that the domU still could not end (they were
 * replaced by a new share while mapped), or -errno.  The domU retries them
 * at every command; a clean test run ends with 0.
 */
int testdom_orphans(struct testdom *td);

/*
 * Send one raw command line (docs/testdom.md, without the sequence number)
 * and return the domU's result: for tests of the protocol itself.
 */
long testdom_command(struct testdom *td, const char *cmd);

/* CLOCK_MONOTONIC in seconds: the tests' time limits and diagnostics. */
double testdom_now_s(void);

/*
 * Whether this dom0 is PVH (auto-translated): its grant maps then live in
 * its own pages through the p2m, not in PTEs naming the domU's frames
 * (docs/gntmap.md).  False on a PV dom0 and when Xen's sysfs is absent.
 */
bool testdom_dom0_pvh(void);

/* The largest share the domU accepts (its max_pages), or -errno. */
int testdom_max_pages(struct testdom *td);

#endif /* TESTDOM_H */
