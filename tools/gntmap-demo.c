// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap-demo: the story of `make demo`, told in dom0.  The test domain
 * grants 8 pages; dom0 maps them through gntmap and reads them; a munmap
 * of half the map makes the interval notifier unmap those grants (seen in
 * the counters); at the end the domU ends access to every page.  Each step
 * is a TAP line, so a failure says which step broke.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/sys/gntdev.h>

#include "cli.h"
#include "testdom.h"

/* The system page: one grant per page of a mapping. */
static size_t page_size;
#define NPAGES 8u

static unsigned int steps, failed;
static char sysfs[128];

static bool step(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %u - ", ok ? "ok" : "not ok", ++steps);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failed += !ok;
	return ok;
}

static long counter(const char *name)
{
	char path[192];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sysfs, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static unsigned int bad_pages(const uint8_t *m, unsigned int first,
			      unsigned int n, uint32_t seed)
{
	unsigned int i, off, bad = 0;

	for (i = first; i < first + n; i++) {
		for (off = 0; off < page_size; off++)
			if (m[i * page_size + off] != testdom_pattern(seed, i, off))
				break;
		bad += off < page_size;
	}
	return bad;
}

static int demo(const char *domain, const char *dev)
{
	struct ioctl_gntdev_map_grant_ref *op;
	struct ioctl_gntdev_unmap_grant_ref un = { 0 };
	uint32_t refs[NPAGES], seed = 0xd3e0, seed2 = 0xd3e1;
	long inv0, pages0;
	struct testdom *td;
	unsigned int i, off;
	uint8_t *m;
	int fd, r;

	td = testdom_open(domain, 120000);
	if (!step(td, "test domain '%s' is up and its sharer ready (%s)",
		  domain, td ? "ok" : strerror(errno)))
		return 1;
	r = testdom_share(td, NPAGES, true, seed, refs);
	if (!step(!r, "domU %u grants %u writable pages to dom0: refs %u..%u",
		  testdom_domid(td), NPAGES, refs[0], refs[NPAGES - 1]))
		goto out;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	op = calloc(1, sizeof(*op) + NPAGES * sizeof(op->refs[0]));
	if (!step(fd >= 0 && op, "open %s (%s)", dev,
		  fd >= 0 ? "ok" : strerror(errno)))
		goto leak;
	op->count = NPAGES;
	for (i = 0; i < NPAGES; i++) {
		op->refs[i].domid = testdom_domid(td);
		op->refs[i].ref = refs[i];
	}
	r = ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, op);
	m = r ? MAP_FAILED : mmap(NULL, NPAGES * page_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, op->index);
	if (!step(m != MAP_FAILED, "dom0 maps the %u grants at %p (%s)",
		  NPAGES, (void *)m, m != MAP_FAILED ? "ok" : strerror(errno)))
		goto leak;
	step(counter("live_maps") >= 1 && counter("mapped_pages") >= NPAGES,
	     "counters: live_maps %ld, mapped_pages %ld",
	     counter("live_maps"), counter("mapped_pages"));
	step(bad_pages(m, 0, NPAGES, seed) == 0,
	     "dom0 reads exactly what the domU wrote, on all %u pages "
	     "(page 0 starts %02x %02x %02x %02x %02x %02x %02x %02x)", NPAGES,
	     m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7]);
	for (i = 0; i < NPAGES; i++)
		for (off = 0; off < page_size; off++)
			m[i * page_size + off] = testdom_pattern(seed2, i, off);
	r = testdom_verify(td, seed2);
	step(r == 0, "dom0 writes new data; the domU reads it back (%d bad pages)",
	     r);

	inv0 = counter("invalidations");
	pages0 = counter("mapped_pages");
	munmap(m + 4 * page_size, 4 * page_size);
	step(counter("invalidations") > inv0 &&
	     counter("mapped_pages") == pages0 - 4,
	     "munmap of pages 4-7: the interval notifier unmapped them "
	     "(invalidations %ld -> %ld, mapped_pages %ld -> %ld)",
	     inv0, counter("invalidations"), pages0, counter("mapped_pages"));
	step(bad_pages(m, 0, 4, seed2) == 0, "pages 0-3 are still mapped and intact");
	r = testdom_end_all(td);
	step(r == 4, "the domU ends access to pages 4-7; pages 0-3 are still "
	     "in use (%d)", r);
	munmap(m, 4 * page_size);
	un.index = op->index;
	un.count = NPAGES;
	step(!ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &un),
	     "dom0 unmaps the rest and releases the index");
leak:
	r = testdom_end_all_wait(td, 10000);
	step(r == 0, "the domU ended access to every page: no grant leaked (%d)",
	     r);
	step(counter("unmap_failed") == 0, "counters: unmap_failed %ld, "
	     "unmap_deferred %ld", counter("unmap_failed"),
	     counter("unmap_deferred"));
	free(op);
	if (fd >= 0)
		close(fd);
out:
	testdom_close(td);
	return failed ? 1 : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gntmap-demo [--domain NAME] [--device PATH]\n"
		"Map a test domain's grants through gntmap, munmap half, show\n"
		"the counters, and check that no grant leaked; prints TAP.\n"
		"  -d, --domain NAME   sharer domain (default sharer)\n"
		"  -D, --device PATH   gntmap device (default /dev/xen/gntmap,\n"
		"                      else /dev/xen/gntdev)\n"
		"  -h, --help          this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "device", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *domain = "sharer", *dev = NULL, *base;
	int c, r;

	page_size = sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "d:D:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			domain = optarg;
			break;
		case 'D':
			dev = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	cli_no_operands("gntmap-demo", argc, argv);
	if (!dev)
		dev = access("/dev/xen/gntmap", F_OK) ? "/dev/xen/gntdev" :
							"/dev/xen/gntmap";
	base = strrchr(dev, '/');
	snprintf(sysfs, sizeof(sysfs), "/sys/class/misc/xen!%s/counters",
		 base ? base + 1 : dev);
	if (access(sysfs, R_OK)) {
		fprintf(stderr, "gntmap-demo: %s is not served by gntmap "
			"(no %s)\n", dev, sysfs);
		return 1;
	}
	r = demo(domain, dev);
	printf("1..%u\n", steps);
	return r;
}
