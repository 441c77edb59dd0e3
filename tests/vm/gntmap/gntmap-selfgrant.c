// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap-selfgrant: dom0 grants a page to itself (gntalloc) and maps it
 * through a gntdev device.  On a PV dom0 this must work: the mapping shows
 * the page and a write through it lands in the granted page.  On an
 * auto-translated (PVH) dom0 the stock drivers read garbage and oops at
 * exit (design.md), so gntmap must refuse it with EINVAL, and dom0 must
 * survive a process that tried and exited.  Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <xengnttab.h>

#include "gmtest.h"
#include "tap.h"
#include "testdom.h"
#include "vmopt.h"

#define NPAGES 4

/*
 * The map, checks and exit run in a child, so the teardown at process
 * exit (where the stock drivers oops) is part of the test.  The child
 * prints nothing on stdout; its exit status has one bit per failed check
 * (the C_* below), which the parent reports.
 */
enum { C_OPEN = 1, C_REFUSED = 2, C_MAPS = 4, C_SHOWS = 8, C_WRITES = 16 };

static int child(const struct gm_dev *dev, const uint32_t *refs,
		 uint8_t *shared, bool pvh)
{
	uint64_t off;
	uint8_t *m;
	int fd, bad = 0, r;

	fd = open(dev->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return C_OPEN;
	if (pvh) {
		r = gm_map_refs(fd, 0, refs, NPAGES, &off);
		if (r != -EINVAL) {
			fprintf(stderr, "MAP_GRANT_REF: %s\n", strerror(-r));
			bad |= C_REFUSED;
		}
		/* If it was not refused, exit with it mapped: that must not crash. */
		if (!r && mmap(NULL, NPAGES * GM_PAGE, PROT_READ | PROT_WRITE,
			       MAP_SHARED, fd, off) == MAP_FAILED)
			fprintf(stderr, "mmap: %s\n", strerror(errno));
		return bad;
	}
	m = gm_map(fd, 0, refs, NPAGES, PROT_READ | PROT_WRITE, &off);
	if (!m) {
		fprintf(stderr, "map: %s\n", strerror(errno));
		return C_MAPS;
	}
	if (gm_count_bad(m, NPAGES, 0x5e1f, 0))
		bad |= C_SHOWS;
	m[GM_PAGE + 7] ^= 0xff;
	if (shared[GM_PAGE + 7] != m[GM_PAGE + 7])
		bad |= C_WRITES;
	m[GM_PAGE + 7] ^= 0xff;
	/* Exit with the map still mmapped: the teardown is part of the test. */
	return bad;
}

static int run(const struct gm_dev *dev)
{
	xengntshr_handle *xgs;
	uint32_t refs[NPAGES];
	uint8_t *shared;
	bool pvh = testdom_dom0_pvh();
	int st;
	pid_t pid;

	tap_diag("dom0 is %s, device %s (%s)", pvh ? "PVH" : "PV", dev->path,
		 dev->is_gntmap ? "gntmap" : "not gntmap");
	if (pvh && !dev->is_gntmap) {
		tap_skip("the stock drivers oops and hang dom0 on a PVH self-grant",
			 "%s: PVH self-grant", dev->name);
		return 0;
	}
	xgs = xengntshr_open(NULL, 0);
	if (!xgs) {
		tap_ok(false, "%s: open gntalloc (%s)", dev->name,
		       strerror(errno));
		return 1;
	}
	shared = xengntshr_share_pages(xgs, 0, NPAGES, refs, 1);
	if (!tap_ok(shared != NULL, "%s: dom0 shares %d pages with itself",
		    dev->name, NPAGES)) {
		xengntshr_close(xgs);
		return 1;
	}
	gm_fill(shared, NPAGES, 0x5e1f);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		_exit(child(dev, refs, shared, pvh));
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid) {
		tap_ok(false, "%s: fork/wait (%s)", dev->name, strerror(errno));
		return 1;
	}
	if (!tap_ok(WIFEXITED(st), "%s: the mapping process exited (status %#x)",
		    dev->name, st))
		return 1;
	st = WEXITSTATUS(st);
	tap_ok(!(st & C_OPEN), "%s: open %s", dev->name, dev->path);
	if (pvh) {
		tap_ok(!(st & C_REFUSED),
		       "%s: PVH self-grant MAP_GRANT_REF -> EINVAL", dev->name);
	} else {
		tap_ok(!(st & C_MAPS), "%s: PV self-grant maps", dev->name);
		tap_ok(!(st & (C_MAPS | C_SHOWS)),
		       "%s: the mapping shows the granted pages", dev->name);
		tap_ok(!(st & (C_MAPS | C_WRITES)),
		       "%s: a write through the mapping lands in the grant",
		       dev->name);
	}
	tap_ok(!gm_count_bad(shared, NPAGES, 0x5e1f, 0),
	       "%s: the granted pages are intact after exit", dev->name);
	if (xengntshr_unshare(xgs, shared, NPAGES))
		tap_ok(false, "%s: the self-grants can be ended after exit (%s)",
		       dev->name, strerror(errno));
	else
		tap_ok(true, "%s: the self-grants can be ended after exit",
		       dev->name);
	xengntshr_close(xgs);
	return 0;
}

int main(int argc, char **argv)
{
	struct gm_dev dev = { .name = "selfgrant", .path = "/dev/xen/gntdev" };
	const struct vmopt opts[] = {
		VMOPT_STR("device", 'D', "PATH", "the node to map through",
			  NULL, &dev.path),
		{ }
	};

	vmopt_parse(argc, argv, opts,
		"Dom0 grants pages to itself and maps them through PATH;\n"
		"prints TAP.\n");
	if (!gm_dev_probe(&dev)) {
		fprintf(stderr, "gntmap-selfgrant: no device %s\n", dev.path);
		return 1;
	}
	run(&dev);
	return tap_done();
}
