// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap-upstream: the gntdev fixes upstream took after 6.1, each as a case
 * against every grant-mapping device of the boot (stock xen-gntdev and
 * gntmap), with the test domain's grants.  docs/gntmap.md ("Upstream
 * fixes after 6.1") lists each fix and the case that holds it.  Where a
 * stock kernel may predate a fix, stock's answer is printed, not checked;
 * a stock case that would corrupt a grant mapping without the fix (a write
 * through a private mapping) is not run on stock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gmrun.h"
#include "gmtest.h"
#include "tap.h"
#include "testdom.h"

#define P GM_PAGE
#define NSEG 10000u
#define BADSEG 5000u
#define SEGLEN 16u
/* A status no GNTST_* takes: the segment was never reported. */
#define UNSET 0x1234

static struct testdom *td;
static uint32_t domid;
static const struct gm_dev *dev;

#define T(pass, fmt, ...) tap_ok(pass, "%s: " fmt, dev->name, ##__VA_ARGS__)
/* Checked on gntmap; stock's answer is printed. */
#define T_GNTMAP(pass, fmt, ...)					\
	do {								\
		if (dev->is_gntmap)					\
			T(pass, fmt, ##__VA_ARGS__);			\
		else							\
			tap_diag("%s: " fmt " [%s] (stock: not checked)",	\
				 dev->name, ##__VA_ARGS__,		\
				 (pass) ? "holds" : "does not hold");	\
	} while (0)

static void leak_check(const char *what)
{
	int r = testdom_end_all_wait(td, 10000);

	T(r == 0, "%s: no grant leaked (%d left)", what, r);
}

static bool share(const char *what, unsigned int n, bool writable,
		  uint32_t seed, uint32_t *refs)
{
	int r = testdom_share(td, n, writable, seed, refs);

	if (r)
		T(false, "%s: domU shares %u pages (%s)", what, n, strerror(-r));
	return !r;
}

/* gntmap's counters that must be back where they were. */
struct gm_snap {
	long live_maps, mapped_pages, pending_unmaps;
};

static void snap(struct gm_snap *s)
{
	s->live_maps = gm_counter(dev, "live_maps");
	s->mapped_pages = gm_counter(dev, "mapped_pages");
	s->pending_unmaps = gm_counter(dev, "pending_unmaps");
}

static bool snap_same(const struct gm_snap *a, int timeout_ms)
{
	struct gm_snap b;

	for (;;) {
		snap(&b);
		if (!memcmp(a, &b, sizeof(b)) || timeout_ms <= 0)
			break;
		usleep(10000);
		timeout_ms -= 10;
	}
	if (memcmp(a, &b, sizeof(b)))
		tap_diag("%s: counters live_maps %ld->%ld mapped_pages "
			 "%ld->%ld pending_unmaps %ld->%ld", dev->name,
			 a->live_maps, b.live_maps, a->mapped_pages,
			 b.mapped_pages, a->pending_unmaps, b.pending_unmaps);
	return !memcmp(a, &b, sizeof(b));
}

/*
 * 1. "xen/gntdev: fix error handling in ioctl": MAP_GRANT_REF whose
 * result cannot be copied back must release the map and its offsets.
 */
static void t_map_efault(const char *path)
{
	const char *what = "MAP_GRANT_REF, result not writable";
	struct ioctl_gntdev_map_grant_ref *op;
	uint32_t refs[4];
	struct gm_snap s;
	uint64_t off = ~0ull;
	unsigned int i;
	int fd, r;

	fd = open(path, O_RDWR | O_CLOEXEC);
	op = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		  -1, 0);
	if (!T(fd >= 0 && op != MAP_FAILED, "%s: open and buffer", what) ||
	    !share(what, 4, true, 0x601, refs))
		goto out;
	op->count = 4;
	for (i = 0; i < 4; i++) {
		op->refs[i].domid = domid;
		op->refs[i].ref = refs[i];
	}
	snap(&s);
	mprotect(op, P, PROT_READ);
	r = ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, op) ? -errno : 0;
	T(r == -EFAULT, "%s: EFAULT (%s)", what, strerror(-r));
	if (dev->is_gntmap)
		T(snap_same(&s, 2000), "%s: the map is released (counters)",
		  what);
	/* On a fresh file the first map gets offset 0: nothing kept it. */
	r = gm_map_refs(fd, domid, refs, 4, &off);
	T(r == 0, "%s: the same grants map again (%s)", what, strerror(-r));
	T_GNTMAP(r == 0 && off == 0,
		 "%s: its offset range was returned (next map at 0x%llx)", what,
		 (unsigned long long)off);
	if (!r)
		gm_unmap_refs(fd, off, 4);
	close(fd);
	fd = -1;
	if (dev->is_gntmap)
		T(snap_same(&s, 2000), "%s: counters back after close", what);
	leak_check(what);
out:
	if (fd >= 0)
		close(fd);
	if (op != MAP_FAILED)
		munmap(op, P);
}

/* 10,000 segments of SEGLEN bytes from the shared page into @buf. */
static void fill_segs(struct ioctl_gntdev_grant_copy_segment *seg,
		      uint8_t *buf, uint32_t ref, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(&seg[i], 0, sizeof(seg[i]));
		seg[i].source.foreign.ref = ref;
		seg[i].source.foreign.domid = domid;
		seg[i].source.foreign.offset = (i % (P / SEGLEN)) * SEGLEN;
		seg[i].dest.virt = buf + (size_t)i * SEGLEN;
		seg[i].len = SEGLEN;
		seg[i].flags = GNTCOPY_source_gref;
		seg[i].status = UNSET;
	}
}

/* Segments [0, n) reported okay with the right bytes, the rest untouched. */
static void check_segs(const char *what, const char *how,
		       const struct ioctl_gntdev_grant_copy_segment *seg,
		       const uint8_t *buf, unsigned int n, unsigned int total,
		       uint32_t seed)
{
	unsigned int i, k, okay = 0, data = 0, untouched = 0;

	for (i = 0; i < n; i++) {
		unsigned int o = (i % (P / SEGLEN)) * SEGLEN;

		okay += seg[i].status == GNTST_okay;
		for (k = 0; k < SEGLEN; k++)
			if (buf[(size_t)i * SEGLEN + k] !=
			    testdom_pattern(seed, 0, o + k))
				break;
		data += k == SEGLEN;
	}
	for (i = n + 1; i < total; i++)
		untouched += seg[i].status == UNSET;
	T_GNTMAP(okay == n && data == n,
		 "%s, %s: all %u segments before it reported okay "
		 "(%u okay, %u with the data)", what, how, n, okay, data);
	T_GNTMAP(untouched == total - n - 1,
		 "%s, %s: none after it reported (%u of %u untouched)", what,
		 how, untouched, total - n - 1);
}

/*
 * 2. 70045cf6593c "remove struct gntdev_copy_batch from stack": a long
 * GRANT_COPY with a fault in the middle releases every pinned page.
 */
static void t_copy_fault(int fd)
{
	const char *what = "GRANT_COPY of 10000 segments, fault at 5000";
	size_t seglen = (size_t)NSEG * sizeof(struct ioctl_gntdev_grant_copy_segment);
	size_t head = (size_t)BADSEG * sizeof(struct ioctl_gntdev_grant_copy_segment);
	size_t area = (seglen + 2 * P + P - 1) & ~(size_t)(P - 1);
	struct ioctl_gntdev_grant_copy_segment *seg;
	struct ioctl_gntdev_grant_copy op;
	uint8_t *buf = NULL, *segarea;
	uint32_t ref, seed = 0x602;
	long pins;
	struct gm_snap s;
	int r;

	segarea = mmap(NULL, area, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = aligned_alloc(P, (size_t)NSEG * SEGLEN);
	if (!T(segarea != MAP_FAILED && buf, "%s: buffers", what) ||
	    !share(what, 1, false, seed, &ref))
		goto out;
	snap(&s);
	pins = gm_pins_held();

	/* a: the local side of segment 5000 is not mapped */
	seg = (void *)segarea;
	memset(buf, 0, (size_t)NSEG * SEGLEN);
	fill_segs(seg, buf, ref, NSEG);
	seg[BADSEG].dest.virt = (void *)8;
	op.count = NSEG;
	op.segments = seg;
	r = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;
	T(r == -EFAULT, "%s, bad local address: EFAULT (%s)", what,
	  strerror(-r));
	check_segs(what, "bad local address", seg, buf, BADSEG, NSEG, seed);
	/* Stock writes GNTST_okay into a status before it tries the segment. */
	T_GNTMAP(seg[BADSEG].status == UNSET,
		 "%s, bad local address: the bad segment has no status (%d)",
		 what, seg[BADSEG].status);

	/* b: segment 5000 itself is not readable (a PROT_NONE page) */
	seg = (void *)(segarea + ((head + P - 1) & ~(size_t)(P - 1)) - head);
	memset(buf, 0, (size_t)NSEG * SEGLEN);
	fill_segs(seg, buf, ref, BADSEG);
	mprotect((uint8_t *)&seg[BADSEG], P, PROT_NONE);
	op.segments = seg;
	r = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;
	T(r == -EFAULT, "%s, segment unreadable: EFAULT (%s)", what,
	  strerror(-r));
	check_segs(what, "segment unreadable", seg, buf, BADSEG, BADSEG + 1,
		   seed);

	if (pins < 0)
		tap_skip("no nr_foll_pin_* in /proc/vmstat",
			 "%s: %s: no page left pinned", dev->name, what);
	else	/* system-wide: another task's short pin may overlap */
		T_GNTMAP(gm_pins_settled(pins, 3000),
			 "%s: no page left pinned (pins held %ld -> %ld)", what,
			 pins, gm_pins_held());
	if (dev->is_gntmap)
		T(snap_same(&s, 2000), "%s: counters unchanged", what);
	leak_check(what);
out:
	free(buf);
	if (segarea != MAP_FAILED)
		munmap(segarea, area);
}

/* Write one byte at @p through /proc/self/mem (FOLL_FORCE): 0 or -errno. */
static int force_write(void *p)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	uint8_t b = 0xa5;
	ssize_t n;
	int e;

	if (fd < 0)
		return -errno;
	n = pwrite(fd, &b, 1, (off_t)(uintptr_t)p);
	e = errno;
	close(fd);
	return n == 1 ? 0 : -e;
}

/* Whether the VMA at @p may ever become writable ("mw" in VmFlags). */
static int may_write(const void *p)
{
	unsigned long a = (unsigned long)p, start, end;
	char line[512];
	bool in = false;
	int r = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start <= a && a < end;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			r = strstr(line, " mw") != NULL;
			break;
		}
	}
	fclose(f);
	return r;
}

/*
 * One read-only mapping: it may never become writable (VM_MAYWRITE
 * clear), no mprotect order makes it writable, no write reaches the
 * grant, forced or not.
 */
static void ro_case(int fd, const char *what, bool writable_grant,
		    int flags, uint32_t seed)
{
	static const int order[][2] = {
		{ PROT_READ | PROT_WRITE, 0 },
		{ PROT_NONE, PROT_READ | PROT_WRITE },
		{ PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE | PROT_EXEC },
		{ PROT_WRITE, 0 },
	};
	unsigned int i, writable = 0;
	uint32_t ref;
	uint64_t off;
	uint8_t *m;
	int r, sig;

	if (!share(what, 1, writable_grant, seed, &ref))
		return;
	r = gm_map_refs(fd, domid, &ref, 1, &off);
	m = r ? MAP_FAILED : mmap(NULL, P, PROT_READ, flags, fd, off);
	if (!T(m != MAP_FAILED, "%s: read-only mmap (%s)", what,
	       m != MAP_FAILED ? "ok" : strerror(r ? -r : errno))) {
		if (!r)
			gm_unmap_refs(fd, off, 1);
		goto leak;
	}
	r = may_write(m);
	T_GNTMAP(r == 0, "%s: VM_MAYWRITE clear (VmFlags %s)", what,
		 r < 0 ? "not found" : r ? "has mw" : "without mw");
	if (!dev->is_gntmap) {
		/* On a PV dom0 that rewrites Xen's grant PTEs. */
		tap_skip("stock: mprotect of a grant mapping not run",
			 "%s: %s: mprotect orders", dev->name, what);
		goto check;
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int e1 = mprotect(m, P, order[i][0]) ? errno : 0;
		int e2 = 0;

		if (order[i][1])
			e2 = mprotect(m, P, order[i][1]) ? errno : 0;
		if ((order[i][0] & PROT_WRITE && !e1) ||
		    (order[i][1] & PROT_WRITE && !e1 && !e2)) {
			writable++;
			tap_diag("%s: %s: mprotect order %u made it writable",
				 dev->name, what, i);
		}
		mprotect(m, P, PROT_READ);
	}
	T(!writable, "%s: no mprotect order makes it writable (%u of 4 did)",
	  what, writable);
	sig = gm_probe_write(m);
	T(sig != 0, "%s: a write faults", what);
	r = force_write(m);
	T(r != 0, "%s: a forced write (/proc/self/mem) fails (%s)", what,
	  r ? strerror(-r) : "written");
check:
	r = testdom_verify(td, seed);
	T(r == 0, "%s: the domU's page is unchanged (%d differ)", what, r);
	T(gm_count_bad(m, 1, seed, 0) == 0, "%s: still reads the data", what);
	munmap(m, P);
	gm_unmap_refs(fd, off, 1);
leak:
	leak_check(what);
}

/*
 * 3. "xen/gntdev: prevent private mappings from becoming writable".
 */
static void t_private_ro(int fd)
{
	const char *what = "writable mmap of a read-only grant";
	uint32_t ref;
	uint64_t off;
	void *m;

	ro_case(fd, "MAP_PRIVATE read-only of a writable grant", true,
		MAP_PRIVATE, 0x603);
	ro_case(fd, "MAP_SHARED read-only of a writable grant", true,
		MAP_SHARED, 0x604);
	ro_case(fd, "MAP_SHARED read-only of a read-only grant", false,
		MAP_SHARED, 0x605);

	if (!share(what, 1, false, 0x606, &ref))
		return;
	m = gm_map(fd, domid, &ref, 1, PROT_READ | PROT_WRITE, &off);
	T(!m, "%s: refused (%s)", what, m ? "mapped" : strerror(errno));
	if (m)
		gm_unmap(fd, m, 1, off);
	T(testdom_verify(td, 0x606) == 0, "%s: the domU's page is unchanged",
	  what);
	leak_check(what);
}

/* 4. QEMU's probe: xengnttab_grant_copy(xgt, 0, NULL) must succeed. */
static void t_copy_probe(int fd)
{
	struct ioctl_gntdev_grant_copy op = { .count = 0, .segments = NULL };
	int r = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;

	T(r == 0, "GRANT_COPY probe (count 0, NULL segments) returns 0 (%s)",
	  strerror(-r));
}

static int set_enforce(const char *v)
{
	int fd = open("/sys/module/gntmap/parameters/enforce_max_grants",
		      O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, v, strlen(v)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/*
 * 5. SET_MAX_GRANTS: off by default, as stock (ENOTTY, which
 * libxengnttab ignores); with enforce_max_grants=1 a cap with ENOSPC.
 */
static void t_max_grants(const char *path)
{
	struct ioctl_gntdev_set_max_grants mg = { .count = 1 };
	const char *what = "SET_MAX_GRANTS";
	uint32_t refs[4];
	uint64_t a = 0, b = 0;
	int fd = open(path, O_RDWR | O_CLOEXEC), r, r2;

	if (!T(fd >= 0, "%s: open", what) || !share(what, 4, true, 0x607, refs))
		goto out;
	r = ioctl(fd, IOCTL_GNTDEV_SET_MAX_GRANTS, &mg) ? -errno : 0;
	T(r == -ENOTTY, "%s: answered ENOTTY, as stock (%s)", what,
	  strerror(-r));
	/* xenstored sets its count and maps one page per domain. */
	r = gm_map_refs(fd, domid, refs, 1, &a);
	r2 = gm_map_refs(fd, domid, refs + 1, 1, &b);
	T(!r && !r2, "%s: set to 1, two maps still work (%s, %s)", what,
	  strerror(-r), strerror(-r2));
	if (!r)
		gm_unmap_refs(fd, a, 1);
	if (!r2)
		gm_unmap_refs(fd, b, 1);
	close(fd);
	fd = -1;
	if (!dev->is_gntmap)
		goto leak;

	r = set_enforce("1");
	if (!T(r == 0, "%s: enforce_max_grants=1 (%s)", what, strerror(-r)))
		goto leak;
	fd = open(path, O_RDWR | O_CLOEXEC);
	mg.count = 3;
	r = ioctl(fd, IOCTL_GNTDEV_SET_MAX_GRANTS, &mg) ? -errno : 0;
	T(r == 0, "%s: enforced: set to 3 (%s)", what, strerror(-r));
	r = gm_map_refs(fd, domid, refs, 2, &a);
	T(r == 0, "%s: enforced: 2 grants fit (%s)", what, strerror(-r));
	r2 = gm_map_refs(fd, domid, refs + 2, 2, &b);
	T(r2 == -ENOSPC, "%s: enforced: 2 more -> ENOSPC (%s)", what,
	  strerror(-r2));
	if (!r2)
		gm_unmap_refs(fd, b, 2);
	if (!r)
		gm_unmap_refs(fd, a, 2);
	r = gm_map_refs(fd, domid, refs, 3, &a);
	T(r == 0, "%s: enforced: 3 fit after UNMAP (%s)", what, strerror(-r));
	if (!r)
		gm_unmap_refs(fd, a, 3);
	r = set_enforce("0");
	T(r == 0, "%s: enforce_max_grants=0 again (%s)", what, strerror(-r));
leak:
	leak_check(what);
out:
	if (fd >= 0)
		close(fd);
}

/* 6. The dma-buf ioctls: ENOTTY, as stock without XEN_GNTDEV_DMABUF. */
static void t_dmabuf(int fd)
{
	static const struct {
		unsigned long cmd;
		const char *name;
	} io[] = {
		{ IOCTL_GNTDEV_DMABUF_EXP_FROM_REFS, "EXP_FROM_REFS" },
		{ IOCTL_GNTDEV_DMABUF_EXP_WAIT_RELEASED, "EXP_WAIT_RELEASED" },
		{ IOCTL_GNTDEV_DMABUF_IMP_TO_REFS, "IMP_TO_REFS" },
		{ IOCTL_GNTDEV_DMABUF_IMP_RELEASE, "IMP_RELEASE" },
	};
	uint8_t arg[256];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		int r;

		memset(arg, 0, sizeof(arg));
		r = ioctl(fd, io[i].cmd, arg) ? errno : 0;
		T(r == ENOTTY, "DMABUF_%s: ENOTTY (%s)", io[i].name,
		  strerror(r));
	}
}

static void run(struct testdom *t, uint32_t id, struct gm_dev *d)
{
	int fd;

	td = t;
	domid = id;
	dev = d;
	tap_diag("%s: %s, served by %s", d->name, d->path,
		 d->is_gntmap ? "gntmap" : "stock xen-gntdev");
	fd = open(d->path, O_RDWR | O_CLOEXEC);
	if (!T(fd >= 0, "open %s (%s)", d->path,
	       fd >= 0 ? "ok" : strerror(errno)))
		return;
	t_map_efault(d->path);
	t_copy_fault(fd);
	t_private_ro(fd);
	t_copy_probe(fd);
	t_max_grants(d->path);
	t_dmabuf(fd);
	close(fd);
}

int main(int argc, char **argv)
{
	return gm_run_main(argc, argv,
		"Check the gntdev fixes upstream took after 6.1 against every\n"
		"grant-mapping device of this boot; prints TAP.\n",
		run);
}
