// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap-stress: worker threads map, read and munmap (in random pieces)
 * grants of the test domain through one fd, while another thread keeps
 * mapping, mremapping and unmapping anonymous memory in the gaps between
 * their slots, so invalidations of neighbouring ranges race the mapping.
 * Runs for a bounded time, then checks every byte read, the driver's
 * counters and that the domU can end access on every page.  Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "gmtest.h"
#include "tap.h"
#include "testdom.h"
#include "vmopt.h"

#define P GM_PAGE
#define NREFS 32u
#define SLOT_PAGES 4u			/* a map */
#define GAP_PAGES 4u			/* the disturber's room */
#define SLOTS_PER_WORKER 4u

static int fd;
static uint32_t domid, seed = 0x600, refs[NREFS];
static uint8_t *arena;
static unsigned int workers = 3;
static atomic_bool stop;
static atomic_ulong maps, bad_data, map_errors, disturbs, disturb_errors;

static uint8_t *slot_addr(unsigned int slot)
{
	return arena + (size_t)slot * (SLOT_PAGES + GAP_PAGES) * P;
}

/* Put the arena's PROT_NONE placeholder back over [addr, addr + len). */
static int reserve(void *addr, size_t len)
{
	void *p = mmap(addr, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		       -1, 0);

	return p == addr ? 0 : -1;
}

static void one_map(unsigned int slot, unsigned int first, unsigned int *rnd)
{
	uint32_t r[SLOT_PAGES];
	uint8_t *want = slot_addr(slot), *m;
	uint64_t off;
	unsigned int i, cut;

	for (i = 0; i < SLOT_PAGES; i++)
		r[i] = refs[(first + i) % NREFS];
	if (gm_map_refs(fd, domid, r, SLOT_PAGES, &off)) {
		map_errors++;
		return;
	}
	m = mmap(want, SLOT_PAGES * P, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
		 off);
	if (m != want) {
		map_errors++;
		reserve(want, SLOT_PAGES * P);
		gm_unmap_refs(fd, off, SLOT_PAGES);
		return;
	}
	maps++;
	for (i = 0; i < SLOT_PAGES; i++) {
		unsigned int pg = (first + i) % NREFS;

		if (m[i * P] != testdom_pattern(seed, pg, 0) ||
		    m[i * P + P - 1] != testdom_pattern(seed, pg, P - 1))
			bad_data++;
	}
	/* Unmap in two random pieces, so some invalidations split the map. */
	cut = rand_r(rnd) % (SLOT_PAGES + 1);
	if (cut)
		reserve(m, (size_t)cut * P);
	if (cut < SLOT_PAGES)
		reserve(m + (size_t)cut * P, (size_t)(SLOT_PAGES - cut) * P);
	if (gm_unmap_refs(fd, off, SLOT_PAGES))
		map_errors++;
}

static void *worker(void *arg)
{
	unsigned int w = (uintptr_t)arg, rnd = w * 7919 + 1, n = 0;

	while (!stop) {
		unsigned int slot = w * SLOTS_PER_WORKER +
				    n % SLOTS_PER_WORKER;

		one_map(slot, w * 5 + n, &rnd);
		n++;
	}
	return NULL;
}

/* mmap, mremap and munmap anonymous memory in the gaps between slots. */
static void *disturber(void *arg)
{
	unsigned int rnd = 4242, nslots = workers * SLOTS_PER_WORKER;

	(void)arg;
	while (!stop) {
		uint8_t *gap = slot_addr(rand_r(&rnd) % nslots) +
			       SLOT_PAGES * P;
		void *a, *b;

		a = mmap(gap, 2 * P, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (a != gap) {
			disturb_errors++;
			continue;
		}
		memset(a, 1, 2 * P);
		/* Move it up by one page inside the gap, then shrink it. */
		b = mremap(a, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED,
			   gap + 2 * P);
		if (b != gap + 2 * P)
			disturb_errors++;
		else if (mremap(b, 2 * P, P, 0) != b)
			disturb_errors++;
		if (reserve(gap, GAP_PAGES * P))
			disturb_errors++;
		disturbs++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct gm_dev dev = { .name = "gntmap", .path = "/dev/xen/gntmap" };
	const char *domain = "sharer", *path = NULL;
	long failed0 = 0, seconds = 20;
	const struct vmopt opts[] = {
		VMOPT_STR("device", 'D', "PATH", "device",
			  "/dev/xen/gntmap, else /dev/xen/gntdev if gntmap serves it",
			  &path),
		VMOPT_DOMAIN(&domain),
		VMOPT_NUM("seconds", 's', "N", "how long to run", NULL,
			  &seconds, 1, 3600),
		VMOPT_NUM("threads", 't', "N", "mapping threads, 1-8", NULL,
			  &workers, 1, 8),
		{ }
	};
	pthread_t th[9];
	struct testdom *td;
	unsigned int i;
	size_t len;
	int r;

	vmopt_parse(argc, argv, opts,
		"Race mapping threads against mremap/munmap of neighbouring\n"
		"ranges on one fd, with the test domain's grants; prints TAP.\n");
	if (!gm_dev_pick(&dev, path)) {
		tap_skip("gntmap serves no device in this boot", "stress %s",
			 dev.path);
		return tap_done();
	}

	td = testdom_open(domain, 120000);
	if (!tap_ok(td, "domain %s: sharer ready", domain))
		return tap_done();
	domid = testdom_domid(td);
	r = testdom_share(td, NREFS, true, seed, refs);
	if (!tap_ok(r == 0, "domU shares %u pages (%s)", NREFS, strerror(-r)))
		goto out;
	fd = open(dev.path, O_RDWR | O_CLOEXEC);
	len = (size_t)workers * SLOTS_PER_WORKER * (SLOT_PAGES + GAP_PAGES) * P;
	arena = mmap(NULL, len, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!tap_ok(fd >= 0 && arena != MAP_FAILED, "open %s and an arena",
		    dev.path))
		goto leak;
	failed0 = gm_counter(&dev, "unmap_failed");

	for (i = 0; i < workers; i++)
		pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i);
	pthread_create(&th[workers], NULL, disturber, NULL);
	sleep(seconds);
	stop = true;
	for (i = 0; i <= workers; i++)
		pthread_join(th[i], NULL);

	tap_diag("%lu maps, %lu disturbances in %ld s with %u threads",
		 (unsigned long)maps, (unsigned long)disturbs, seconds,
		 workers);
	tap_ok(maps > 0 && disturbs > 0, "both sides made progress");
	tap_ok(map_errors == 0, "no map or unmap failed (%lu)",
	       (unsigned long)map_errors);
	tap_ok(disturb_errors == 0, "every neighbour mremap/munmap worked (%lu)",
	       (unsigned long)disturb_errors);
	tap_ok(bad_data == 0, "every page read the domU's data (%lu bad)",
	       (unsigned long)bad_data);
	tap_ok(gm_counter(&dev, "unmap_failed") == failed0,
	       "no failed unmap in the driver");
	munmap(arena, len);
	close(fd);
leak:
	r = testdom_end_all_wait(td, 10000);
	tap_ok(r == 0, "no grant leaked (%d left)", r);
out:
	testdom_close(td);
	return tap_done();
}
