// SPDX-License-Identifier: GPL-2.0
/*
 * dmirror-grant: a device mirror of a grant mapping, in one process.
 *
 * The test domU shares pages; dom0 maps them through gntmap (or any device
 * with the gntdev ABI) and then points /dev/hmm_dmirror0 at the mapping.
 * On a PV dom0 hmm_range_fault() returns the grant PTEs as valid entries
 * with a PFN that is not the frame behind them; the mirror must refuse
 * them instead of copying through a random dom0 page.  Then the mapping is
 * unmapped, which runs gntmap's notifier and the mirror's, and the mirror
 * must have seen exactly that range go.  Checks:
 *   1. the CPU sees the domU's pattern (the mapping works at all);
 *   2. READ through the mirror fails with EFAULT and leaves the buffer
 *      alone; on PV it is the mirror's own PFN check that refused
 *      (DMIRROR_STATS), not hmm_range_fault();
 *   3. WRITE through the mirror fails with EFAULT and the domU's pages are
 *      unchanged (the domU checks them itself);
 *   4. SNAPSHOT reports every grant page as HMM_DMIRROR_PROT_ERROR;
 *   5. the mirror still serves ordinary memory of the same process;
 *   6. munmap: the mirror logs exactly the mapping's range as UNMAP;
 *   7. no grant leaked: the domU can end foreign access on every page.
 * Output is TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/sys/gntdev.h>

#include "dmirror_uapi.h"
#include "testdom.h"
#include "vmopt.h"

#define NPAGES	4
#define SEED	0x646d6972u

static int nres, nfail;
static long psz;

static void result(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++nres);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		nfail++;
}

static void skip_all(const char *why)
{
	printf("1..1\nok 1 - grant mirror # SKIP %s\n", why);
	exit(0);
}

static int mirror_cmd(int fd, unsigned long req, void *addr, void *ptr,
		      unsigned long npages)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr, .ptr = (uintptr_t)ptr,
		.npages = npages,
	};

	while (ioctl(fd, req, &cmd))
		if (errno != EINTR)
			return -errno;
	return 0;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

static unsigned int count_bad(const uint8_t *map, unsigned int n)
{
	unsigned int i, off, bad = 0;

	for (i = 0; i < n; i++)
		for (off = 0; off < psz; off++)
			if (map[i * psz + off] != testdom_pattern(SEED, i, off)) {
				bad++;
				break;
			}
	return bad;
}

static void drain(int fd)
{
	struct dmirror_inval ev[64];
	struct dmirror_inval_log log = { .ptr = (uintptr_t)ev, .max = 64 };

	do {
		if (ioctl(fd, DMIRROR_INVAL_LOG, &log))
			return;
	} while (log.count);
}

/* 6: what the mirror saw of the munmap of [lo, hi). */
static void check_unmap_log(int fd, uintptr_t lo, uintptr_t hi)
{
	struct dmirror_inval ev[128];
	struct dmirror_inval_log log = { .ptr = (uintptr_t)ev, .max = 128 };
	unsigned int i, seen = 0, exact = 0;

	if (ioctl(fd, DMIRROR_INVAL_LOG, &log)) {
		result(false, "munmap: invalidation log: %s", strerror(errno));
		return;
	}
	for (i = 0; i < log.count; i++) {
		if (ev[i].end <= lo || ev[i].start >= hi)
			continue;
		seen++;
		printf("# invalidation [+%#llx, +%#llx) event %u dropped %llu\n",
		       (unsigned long long)(ev[i].start - lo),
		       (unsigned long long)(ev[i].end - lo), ev[i].event,
		       (unsigned long long)ev[i].dropped);
		if (ev[i].start == lo && ev[i].end == hi &&
		    ev[i].event == DMIRROR_EVENT_UNMAP && ev[i].dropped == 0)
			exact++;
	}
	result(seen >= 1 && exact == seen,
	       "munmap: the mirror saw exactly the grant range unmapped, nothing to drop");
}

/*
 * Which layer refused: hmm_range_fault() itself (refused_pfns stays 0), or
 * the mirror's own check of an entry marked valid (refused_pfns > 0).  On
 * a PV dom0 it must be the latter: that is the bogus PFN being caught.
 */
static void check_refusal(int fd)
{
	struct dmirror_stats st;

	if (ioctl(fd, DMIRROR_STATS, &st)) {
		result(false, "DMIRROR_STATS: %s", strerror(errno));
		return;
	}
	printf("# %llu valid-marked PFNs refused by the mirror, %llu invalidations, %llu refused\n",
	       (unsigned long long)st.refused_pfns,
	       (unsigned long long)st.invalidations,
	       (unsigned long long)st.refusals);
	if (testdom_dom0_pvh()) {
		printf("ok %d - the mirror caught a valid-marked bogus PFN # SKIP not a PV dom0\n",
		       ++nres);
		return;
	}
	result(st.refused_pfns > 0,
	       "the mirror caught the valid-marked bogus PFN of a grant PTE");
}

int main(int argc, char **argv)
{
	const char *gpath = "/dev/xen/gntmap", *dom = "sharer";
	const struct vmopt opts[] = {
		VMOPT_STR("gntdev", 'g', "PATH",
			  "the grant-mapping node to map through", NULL, &gpath),
		VMOPT_DOMAIN(&dom),
		{ }
	};
	struct ioctl_gntdev_map_grant_ref *mr;
	struct ioctl_gntdev_unmap_grant_ref ur;
	uint32_t refs[NPAGES];
	uint8_t *map, *buf, *anon;
	struct testdom *td;
	int gfd, mfd, ret, bad;
	unsigned int i;

	vmopt_parse(argc, argv, opts,
		"Mirror a domU's grant mapped through PATH with\n"
		"/dev/hmm_dmirror0; TAP on stdout.\n");
	psz = sysconf(_SC_PAGESIZE);

	gfd = open(gpath, O_RDWR);
	if (gfd < 0) {
		char why[160];

		snprintf(why, sizeof(why), "%s: %s", gpath, strerror(errno));
		skip_all(why);
	}
	mfd = open("/dev/hmm_dmirror0", O_RDWR);
	if (mfd < 0) {
		fprintf(stderr, "dmirror-grant: /dev/hmm_dmirror0: %s\n",
			strerror(errno));
		return 1;
	}
	td = testdom_open(dom, 60000);
	if (!td) {
		fprintf(stderr, "dmirror-grant: domain %s: %s\n", dom,
			strerror(errno));
		return 1;
	}
	printf("1..8\n");
	ret = testdom_share(td, NPAGES, true, SEED, refs);
	if (ret) {
		result(false, "domU shares %d pages: %s", NPAGES,
		       strerror(-ret));
		return 1;
	}

	mr = calloc(1, sizeof(*mr) + NPAGES * sizeof(mr->refs[0]));
	buf = malloc(NPAGES * psz);
	anon = mmap(NULL, psz, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!mr || !buf || anon == MAP_FAILED) {
		fprintf(stderr, "dmirror-grant: out of memory\n");
		return 1;
	}
	mr->count = NPAGES;
	for (i = 0; i < NPAGES; i++) {
		mr->refs[i].domid = testdom_domid(td);
		mr->refs[i].ref = refs[i];
	}
	if (ioctl(gfd, IOCTL_GNTDEV_MAP_GRANT_REF, mr)) {
		result(false, "MAP_GRANT_REF: %s", strerror(errno));
		return 1;
	}
	map = mmap(NULL, NPAGES * psz, PROT_READ | PROT_WRITE, MAP_SHARED,
		   gfd, mr->index);
	if (map == MAP_FAILED) {
		result(false, "mmap of the grants: %s", strerror(errno));
		return 1;
	}

	bad = count_bad(map, NPAGES);
	result(bad == 0, "the CPU sees the domU's pages (%d bad)", bad);

	memset(buf, 0xaa, NPAGES * psz);
	ret = mirror_cmd(mfd, HMM_DMIRROR_READ, map, buf, NPAGES);
	result(ret == -EFAULT && all_bytes(buf, NPAGES * psz, 0xaa),
	       "READ of grant pages fails with EFAULT, copies nothing (got %d)",
	       ret);

	check_refusal(mfd);
	memset(buf, 0x55, NPAGES * psz);
	ret = mirror_cmd(mfd, HMM_DMIRROR_WRITE, map, buf, NPAGES);
	bad = testdom_verify(td, SEED);
	result(ret == -EFAULT && bad == 0 && count_bad(map, NPAGES) == 0,
	       "WRITE to grant pages fails with EFAULT, domU pages intact (got %d, %d bad)",
	       ret, bad);

	memset(buf, 0, NPAGES);
	ret = mirror_cmd(mfd, HMM_DMIRROR_SNAPSHOT, map, buf, NPAGES);
	printf("# snapshot: %02x %02x %02x %02x\n", buf[0], buf[1], buf[2],
	       buf[3]);
	result(ret == 0 && all_bytes(buf, NPAGES, HMM_DMIRROR_PROT_ERROR),
	       "SNAPSHOT reports the grant pages as ERROR (ret %d)", ret);

	memset(anon, 0x3c, psz);
	ret = mirror_cmd(mfd, HMM_DMIRROR_READ, anon, buf, 1);
	result(ret == 0 && all_bytes(buf, psz, 0x3c),
	       "the mirror still reads ordinary memory (ret %d)", ret);

	drain(mfd);
	ret = munmap(map, NPAGES * psz);
	if (ret)
		result(false, "munmap: %s", strerror(errno));
	else
		check_unmap_log(mfd, (uintptr_t)map,
				(uintptr_t)map + NPAGES * psz);

	ur.index = mr->index;
	ur.count = NPAGES;
	ur.pad = 0;
	if (ioctl(gfd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &ur))
		printf("# UNMAP_GRANT_REF: %s\n", strerror(errno));
	close(mfd);
	close(gfd);
	ret = testdom_end_all_wait(td, 10000);
	result(ret == 0, "no grant leaked (%d still mapped)", ret);
	testdom_close(td);
	free(mr);
	free(buf);
	return nfail ? 1 : 0;
}
