// SPDX-License-Identifier: GPL-2.0
/*
 * stock-map: dom0 maps the test domain's grants through libxengnttab
 * (whatever driver serves /dev/xen/gntdev) and checks data both ways and
 * the grant-leak rule.  Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <time.h>

#include <xengnttab.h>

#include "tap.h"
#include "testdom.h"
#include "vmopt.h"

/* The system page: one grant per page of a mapping. */
static size_t page_size;

static const char *domain = "sharer";
static unsigned int open_timeout_s = 120;

/* Pages of @map that differ from testdom_pattern(seed, ...). */
static unsigned int count_bad(const uint8_t *map, unsigned int n,
			      uint32_t seed)
{
	unsigned int i, off, bad = 0;

	for (i = 0; i < n; i++) {
		for (off = 0; off < page_size; off++)
			if (map[i * page_size + off] != testdom_pattern(seed, i, off))
				break;
		if (off < page_size)
			bad++;
	}
	return bad;
}

static void fill(uint8_t *map, unsigned int n, uint32_t seed)
{
	unsigned int i, off;

	for (i = 0; i < n; i++)
		for (off = 0; off < page_size; off++)
			map[i * page_size + off] = testdom_pattern(seed, i, off);
}

/* Share @n rw pages, map, check, write back, verify in the domU, unmap. */
static void test_rw(struct testdom *td, xengnttab_handle *xgt, unsigned int n)
{
	uint32_t seed = 0x1000 + n, seed2 = 0x2000 + n;
	uint32_t *refs = calloc(n, sizeof(*refs));
	double t0, t_share, t_verify;
	uint8_t *map;
	int r = -ENOMEM;

	t0 = testdom_now_s();
	if (!refs || (r = testdom_share(td, n, true, seed, refs))) {
		tap_ok(false, "rw %u pages: domU shares (%s)", n, strerror(-r));
		free(refs);
		return;
	}
	t_share = testdom_now_s() - t0;
	tap_ok(true, "rw %u pages: domU shares", n);
	map = xengnttab_map_domain_grant_refs(xgt, n, testdom_domid(td), refs,
					      PROT_READ | PROT_WRITE);
	if (!tap_ok(map, "rw %u pages: map (%s)", n, map ? "ok" :
		    strerror(errno))) {
		tap_ok(testdom_end_all(td) == 0, "rw %u pages: no grant leaked",
		       n);
		free(refs);
		return;
	}
	tap_ok(count_bad(map, n, seed) == 0, "rw %u pages: dom0 reads the pattern",
	       n);
	fill(map, n, seed2);
	t0 = testdom_now_s();
	r = testdom_verify(td, seed2);
	t_verify = testdom_now_s() - t0;
	tap_ok(r == 0, "rw %u pages: domU reads what dom0 wrote (%d bad)", n, r);
	r = testdom_verify(td, seed);
	/* Proves the check can fail: the old pattern is gone on every page. */
	tap_ok(r == (int)n, "rw %u pages: domU sees the old pattern gone (%d of %u)",
	       n, r, n);
	r = testdom_end_all(td);
	tap_ok(r == (int)n, "rw %u pages: grants in use while mapped (%d of %u)",
	       n, r, n);
	tap_ok(xengnttab_unmap(xgt, map, n) == 0, "rw %u pages: unmap", n);
	r = testdom_end_all_wait(td, 5000);
	tap_ok(r == 0, "rw %u pages: no grant leaked (%d left)", n, r);
	tap_diag("%u pages: share %.2f s, verify %.2f s (emulated: ratios only)",
		 n, t_share, t_verify);
	free(refs);
}

/* A read-only grant must refuse a writable map and allow a read-only one. */
static void test_ro(struct testdom *td, xengnttab_handle *xgt)
{
	uint32_t seed = 0x3000, ref;
	uint8_t *map;
	int r;

	r = testdom_share(td, 1, false, seed, &ref);
	if (!tap_ok(r == 0, "ro: domU shares (%s)", strerror(-r)))
		return;
	map = xengnttab_map_domain_grant_refs(xgt, 1, testdom_domid(td), &ref,
					      PROT_READ | PROT_WRITE);
	tap_ok(!map, "ro: writable map refused (%s)",
	       map ? "mapped!" : strerror(errno));
	if (map)
		xengnttab_unmap(xgt, map, 1);
	map = xengnttab_map_domain_grant_refs(xgt, 1, testdom_domid(td), &ref,
					      PROT_READ);
	if (tap_ok(map, "ro: read-only map (%s)", map ? "ok" : strerror(errno))) {
		tap_ok(count_bad(map, 1, seed) == 0, "ro: dom0 reads the pattern");
		tap_ok(xengnttab_unmap(xgt, map, 1) == 0, "ro: unmap");
	}
	r = testdom_end_all_wait(td, 5000);
	tap_ok(r == 0, "ro: no grant leaked (%d left)", r);
}

int main(int argc, char **argv)
{
	const struct vmopt opts[] = {
		VMOPT_DOMAIN(&domain),
		VMOPT_NUM("timeout", 't', "SECS",
			  "wait this long for its sharer", NULL,
			  &open_timeout_s, 1, 3600),
		{ }
	};
	static const unsigned int sizes[] = { 1, 16, 1024 };
	xengnttab_handle *xgt;
	struct testdom *td;
	unsigned int i;
	int r;

	page_size = sysconf(_SC_PAGESIZE);
	vmopt_parse(argc, argv, opts,
		"Map the test domain's grants through libxengnttab and check\n"
		"data both ways and the grant-leak rule; prints TAP.\n");

	td = testdom_open(domain, open_timeout_s * 1000);
	if (!tap_ok(td, "domain %s: sharer ready (%s)", domain,
		    td ? "ok" : strerror(errno)))
		return tap_done();
	xgt = xengnttab_open(NULL, 0);
	if (!tap_ok(xgt, "open gntdev (%s)", xgt ? "ok" : strerror(errno))) {
		testdom_close(td);
		return tap_done();
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		test_rw(td, xgt, sizes[i]);
	test_ro(td, xgt);
	r = testdom_orphans(td);
	tap_ok(r == 0, "no orphaned grants in the domU (%d)", r);
	xengnttab_close(xgt);
	testdom_close(td);
	return tap_done();
}
