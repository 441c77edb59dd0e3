// SPDX-License-Identifier: GPL-2.0
/*
 * sharer-proto: the test domain's grant sharer itself.  Bad commands must
 * get their errno and leave the sharer working, and a share replaced while
 * still mapped must keep its pages (as orphans) until dom0 lets go.
 * Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xengnttab.h>

#include "tap.h"
#include "testdom.h"
#include "vmopt.h"

static const struct {
	const char *cmd;
	long want;
} bad_cmds[] = {
	{ "", -EINVAL },
	{ "frob", -EOPNOTSUPP },
	{ "share", -EINVAL },
	{ "share 0 rw 1", -EINVAL },
	{ "share 1 rx 1", -EINVAL },
	{ "share -1 rw 1", -EINVAL },
	{ "share 1 rw 99999999999", -EINVAL },
	{ "share 1 rw 1 extra", -EINVAL },
	{ "share 4294967295 rw 1", -E2BIG },
	{ "verify", -EINVAL },
	{ "verify x", -EINVAL },
	{ "end now", -EINVAL },
	{ "verify 1", -ENOENT },
	{ "share 1 ro 0x10 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
	  -EINVAL },
};

static void test_bad_commands(struct testdom *td)
{
	unsigned int i;
	long r;

	/* Start from no share, so that "verify" has nothing to check. */
	testdom_end_all(td);
	for (i = 0; i < sizeof(bad_cmds) / sizeof(bad_cmds[0]); i++) {
		r = testdom_command(td, bad_cmds[i].cmd);
		tap_ok(r == bad_cmds[i].want, "command '%.24s' answers %ld (got %ld)",
		       bad_cmds[i].cmd, bad_cmds[i].want, r);
	}
	r = testdom_max_pages(td);
	tap_ok(r >= 2048, "sharer takes shares of 2048 pages and more (max %ld)",
	       r);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The largest share the tests rely on: 2048 distinct refs, all ended. */
static void test_big_share(struct testdom *td)
{
	const unsigned int n = 2048;
	uint32_t *refs = calloc(n, sizeof(*refs));
	unsigned int i, dup = 0;
	int r = -ENOMEM;

	if (refs)
		r = testdom_share(td, n, false, 11, refs);
	if (!tap_ok(!r, "share of %u pages (%s)", n, strerror(-r))) {
		free(refs);
		return;
	}
	qsort(refs, n, sizeof(*refs), cmp_u32);
	for (i = 1; i < n; i++)
		if (refs[i] == refs[i - 1])
			dup++;
	tap_ok(!dup, "share of %u pages: every ref distinct (%u repeats)", n,
	       dup);
	r = testdom_verify(td, 11);
	tap_ok(r == 0, "share of %u pages: filled (%d bad)", n, r);
	r = testdom_end_all(td);
	tap_ok(r == 0, "share of %u pages: all ended (%d left)", n, r);
	free(refs);
}

/* Pages replaced while mapped stay granted until unmapped, then go. */
static void test_orphans(struct testdom *td, xengnttab_handle *xgt)
{
	uint32_t refs[2], ref2;
	uint8_t *map;
	int r;

	r = testdom_share(td, 2, true, 7, refs);
	if (!tap_ok(!r, "orphans: first share (%s)", strerror(-r)))
		return;
	map = xengnttab_map_domain_grant_refs(xgt, 2, testdom_domid(td), refs,
					      PROT_READ | PROT_WRITE);
	if (!tap_ok(map, "orphans: map (%s)", map ? "ok" : strerror(errno)))
		return;
	r = testdom_share(td, 1, true, 8, &ref2);
	tap_ok(!r, "orphans: a new share while the old one is mapped (%s)",
	       strerror(-r));
	r = testdom_orphans(td);
	tap_ok(r == 2, "orphans: the mapped pages are kept (%d of 2)", r);
	/* The orphans stay readable and keep their data. */
	tap_ok(map[0] == testdom_pattern(7, 0, 0) &&
	       map[4096 + 4095] == testdom_pattern(7, 1, 4095),
	       "orphans: still hold their data");
	tap_ok(xengnttab_unmap(xgt, map, 2) == 0, "orphans: unmap");
	r = testdom_end_all_wait(td, 5000);
	tap_ok(r == 0, "orphans: new share ends (%d left)", r);
	r = testdom_orphans(td);
	tap_ok(r == 0, "orphans: ended once unmapped (%d left)", r);
}

int main(int argc, char **argv)
{
	const char *domain = "sharer";
	const struct vmopt opts[] = {
		VMOPT_DOMAIN(&domain),
		{ }
	};
	xengnttab_handle *xgt;
	struct testdom *td;
	uint32_t ref;
	int r;

	vmopt_parse(argc, argv, opts,
		"Check the test domain's grant sharer: bad commands and orphans.\n");
	td = testdom_open(domain, 120000);
	if (!tap_ok(td, "domain %s: sharer ready (%s)", domain,
		    td ? "ok" : strerror(errno)))
		return tap_done();
	test_bad_commands(td);
	/* After all that, the sharer still works. */
	r = testdom_share(td, 1, true, 9, &ref);
	tap_ok(!r && testdom_end_all(td) == 0, "sharer still works (%s)",
	       strerror(-r));
	test_big_share(td);
	xgt = xengnttab_open(NULL, 0);
	if (tap_ok(xgt, "open gntdev (%s)", xgt ? "ok" : strerror(errno))) {
		test_orphans(td, xgt);
		xengnttab_close(xgt);
	}
	testdom_close(td);
	return tap_done();
}
