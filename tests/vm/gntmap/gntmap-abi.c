// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap-abi: one test body, run against every grant-mapping device of the
 * boot (stock xen-gntdev at /dev/xen/gntdev, gntmap at /dev/xen/gntmap, or
 * gntmap alone at /dev/xen/gntdev in the drop-in boot), with real grants of
 * the test domain.  Each case checks what the process sees, then that the
 * domU can end access on every page (no leaked grant).  Where gntmap
 * differs from stock on purpose (docs/gntmap.md), the result says so.
 * Warnings in the logs are caught by the harness for the whole run.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenevtchn.h>

#include "gmrun.h"
#include "gmtest.h"
#include "tap.h"
#include "testdom.h"

#define P GM_PAGE

static struct testdom *td;
static uint32_t domid;
static const struct gm_dev *dev;

#define T(pass, fmt, ...) tap_ok(pass, "%s: " fmt, dev->name, ##__VA_ARGS__)
/* An expectation that holds for gntmap only; stock is reported. */
#define T_GNTMAP(pass, fmt, ...)					\
	do {								\
		if (dev->is_gntmap)					\
			T(pass, fmt, ##__VA_ARGS__);			\
		else							\
			tap_diag("%s: " fmt " (stock differs on purpose, "	\
				 "not checked)", dev->name, ##__VA_ARGS__); \
	} while (0)

static const char *sig_name(int sig)
{
	return sig ? strsignal(sig) : "no fault";
}

static void leak_check(const char *what)
{
	int r = testdom_end_all_wait(td, 10000);

	T(r == 0, "%s: no grant leaked (%d left)", what, r);
}

/* Share @n pages; false (and a failed result) if the domU refused. */
static bool share(const char *what, unsigned int n, bool writable,
		  uint32_t seed, uint32_t *refs)
{
	int r = testdom_share(td, n, writable, seed, refs);

	if (r)
		T(false, "%s: domU shares %u pages (%s)", what, n, strerror(-r));
	return !r;
}

static void t_data(int fd, unsigned int n, bool writable)
{
	uint32_t seed = 0x100 + n * 2 + writable, seed2 = seed ^ 0x5a5a;
	uint32_t *refs = calloc(n, sizeof(*refs));
	char what[32];
	uint64_t off;
	uint8_t *m;
	int r;

	snprintf(what, sizeof(what), "data %s %u", writable ? "rw" : "ro", n);
	if (!refs || !share(what, n, writable, seed, refs))
		goto out;
	if (!writable) {
		m = gm_map(fd, domid, refs, n, PROT_READ | PROT_WRITE, &off);
		T(!m, "%s: writable mmap of read-only grants refused (%s)",
		  what, m ? "mapped" : strerror(errno));
		if (m)
			gm_unmap(fd, m, n, off);
	}
	m = gm_map(fd, domid, refs, n,
		   writable ? PROT_READ | PROT_WRITE : PROT_READ, &off);
	if (!T(m, "%s: map (%s)", what, m ? "ok" : strerror(errno)))
		goto leak;
	T(gm_count_bad(m, n, seed, 0) == 0, "%s: dom0 reads the domU's data",
	  what);
	if (writable) {
		gm_fill(m, n, seed2);
		r = testdom_verify(td, seed2);
		T(r == 0, "%s: domU reads dom0's data (%d bad pages)", what, r);
	}
	r = testdom_end_all(td);
	T(r == (int)n, "%s: grants in use while mapped (%d of %u)", what, r, n);
	T(gm_unmap(fd, m, n, off) == 0, "%s: unmap", what);
leak:
	leak_check(what);
out:
	free(refs);
}

/* Map 4 rw pages for a VMA case. */
static uint8_t *map4(int fd, const char *what, uint32_t seed, uint64_t *off)
{
	uint32_t refs[4];
	uint8_t *m;

	if (!share(what, 4, true, seed, refs))
		return NULL;
	m = gm_map(fd, domid, refs, 4, PROT_READ | PROT_WRITE, off);
	if (!T(m, "%s: map 4 pages (%s)", what, m ? "ok" : strerror(errno)))
		leak_check(what);
	return m;
}

static void t_partial_munmap(int fd)
{
	const char *what = "partial munmap";
	long inv = gm_counter(dev, "invalidations");
	uint64_t off;
	uint8_t *m = map4(fd, what, 0x201, &off);

	if (!m)
		return;
	T(munmap(m + 2 * P, 2 * P) == 0, "%s: munmap of the last 2 pages", what);
	T(gm_probe_read(m + 3 * P) == SIGSEGV, "%s: unmapped part faults",
	  what);
	T(gm_count_bad(m, 2, 0x201, 0) == 0, "%s: first 2 pages still mapped",
	  what);
	T(testdom_end_all_until(td, 2, 10000) == 2,
	  "%s: domU ends the 2 unmapped grants only",
	  what);
	if (dev->is_gntmap)
		T(gm_counter(dev, "invalidations") > inv,
		  "%s: invalidations counter moved", what);
	T(munmap(m, 2 * P) == 0 && gm_unmap_refs(fd, off, 4) == 0,
	  "%s: unmap the rest", what);
	leak_check(what);
}

static void t_middle_munmap(int fd)
{
	const char *what = "middle munmap";
	uint64_t off;
	uint8_t *m = map4(fd, what, 0x202, &off);

	if (!m)
		return;
	T(munmap(m + P, 2 * P) == 0, "%s: munmap of pages 1-2", what);
	T(gm_probe_read(m + P) == SIGSEGV, "%s: hole faults", what);
	T(gm_count_bad(m, 1, 0x202, 0) == 0 &&
	  gm_count_bad(m + 3 * P, 1, 0x202, 3) == 0,
	  "%s: pages 0 and 3 still mapped", what);
	T(testdom_end_all_until(td, 2, 10000) == 2,
	  "%s: domU ends the 2 unmapped grants only",
	  what);
	T(munmap(m, P) == 0 && munmap(m + 3 * P, P) == 0,
	  "%s: munmap both ends", what);
	T(gm_unmap_refs(fd, off, 4) == 0, "%s: UNMAP_GRANT_REF", what);
	leak_check(what);
}

/* An address range nobody uses, for MAP_FIXED and mremap targets. */
static uint8_t *free_range(size_t len)
{
	void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len);
	return p;
}

static void t_mremap(int fd)
{
	const char *what = "mremap";
	uint64_t off;
	uint8_t *m = map4(fd, what, 0x203, &off), *dst;
	void *r;
	int sig;

	if (!m)
		return;
	r = mremap(m, 4 * P, 8 * P, MREMAP_MAYMOVE);
	T(r == MAP_FAILED && errno == EFAULT, "%s: grow refused with EFAULT (%s)",
	  what, r == MAP_FAILED ? strerror(errno) : "grew");
	T(gm_count_bad(m, 4, 0x203, 0) == 0, "%s: map intact after grow", what);
	r = mremap(m, 4 * P, 3 * P, 0);
	T(r == m, "%s: shrink to 3 pages (%s)", what,
	  r == MAP_FAILED ? strerror(errno) : "ok");
	T(gm_count_bad(m, 3, 0x203, 0) == 0, "%s: 3 pages still mapped", what);
	T(testdom_end_all_until(td, 3, 10000) == 3,
	  "%s: shrink released the last grant", what);

	dst = free_range(3 * P);
	if (!dev->is_gntmap) {
		tap_skip("stock moves the VMA and leaves it empty; not run",
			 "%s: %s: move", dev->name, what);
		munmap(m, 3 * P);
	} else {
		r = mremap(m, 3 * P, 3 * P, MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst);
		T(r == MAP_FAILED && errno == EINVAL,
		  "%s: move refused with EINVAL (%s)", what,
		  r == MAP_FAILED ? strerror(errno) : "moved");
		/*
		 * docs/gntmap.md: PVH keeps the PTEs the kernel moved back;
		 * PV lost its grants to the move's invalidation and a touch
		 * maps them again.  Either way the data is there.
		 */
		sig = gm_probe_read(m);
		T(sig == 0 && !gm_count_bad(m, 3, 0x203, 0),
		  "%s: %s: the pages still read at the old address (%s)",
		  what, testdom_dom0_pvh() ? "PVH" : "PV", sig_name(sig));
		T(munmap(m, 3 * P) == 0, "%s: munmap", what);
		T(testdom_end_all_wait(td, 10000) == 0,
		  "%s: domU ends every grant after the munmap", what);
	}
	T(gm_unmap_refs(fd, off, 4) == 0, "%s: UNMAP_GRANT_REF", what);
	leak_check(what);
}

static void t_map_fixed(int fd)
{
	const char *what = "MAP_FIXED over a map";
	uint64_t off;
	uint8_t *m = map4(fd, what, 0x204, &off);
	void *a;

	if (!m)
		return;
	a = mmap(m + P, 2 * P, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	T(a == m + P, "%s: anonymous MAP_FIXED over pages 1-2 (%s)", what,
	  a == MAP_FAILED ? strerror(errno) : "ok");
	T(m[P] == 0 && m[3 * P - 1] == 0, "%s: new pages read zero", what);
	T(gm_count_bad(m, 1, 0x204, 0) == 0 &&
	  gm_count_bad(m + 3 * P, 1, 0x204, 3) == 0,
	  "%s: pages 0 and 3 still mapped", what);
	T(testdom_end_all_until(td, 2, 10000) == 2,
	  "%s: covered grants released", what);
	munmap(m, 4 * P);
	T(gm_unmap_refs(fd, off, 4) == 0, "%s: UNMAP_GRANT_REF", what);
	leak_check(what);
}

static void t_mprotect(int fd)
{
	const char *what = "mprotect";
	uint32_t ref;
	uint64_t off;
	uint8_t *m;
	int r, sig;

	if (!dev->is_gntmap) {
		tap_skip("stock lets mprotect rewrite Xen's grant PTEs; not run",
			 "%s: %s", dev->name, what);
		return;
	}
	if (!share(what, 1, false, 0x205, &ref))
		return;
	m = gm_map(fd, domid, &ref, 1, PROT_READ, &off);
	if (!T(m, "%s: read-only map (%s)", what, m ? "ok" : strerror(errno)))
		goto leak;
	r = mprotect(m, P, PROT_READ | PROT_WRITE);
	T(r == -1 && errno == EACCES,
	  "%s: write on a read-only grant refused with EACCES", what);
	sig = gm_probe_write(m);
	T(sig != 0, "%s: a write still faults (%s)", what, sig_name(sig));
	gm_unmap(fd, m, 1, off);
leak:
	leak_check(what);

	m = map4(fd, "mprotect rw", 0x206, &off);
	if (!m)
		return;
	r = mprotect(m, P, PROT_READ);
	T(r == -1 && errno == EINVAL,
	  "%s: changing a map's protection refused with EINVAL", what);
	T(gm_count_bad(m, 4, 0x206, 0) == 0,
	  "%s: map intact after the refusal", what);
	gm_unmap(fd, m, 4, off);
	leak_check("mprotect rw");
}

static void t_madvise(int fd)
{
	const char *what = "MADV_DONTNEED";
	uint64_t off;
	uint8_t *m = map4(fd, what, 0x207, &off);
	int sig;

	if (!m)
		return;
	T(madvise(m, 2 * P, MADV_DONTNEED) == 0, "%s: on pages 0-1", what);
	sig = gm_probe_read(m);
	if (sig == SIGBUS && !dev->is_gntmap) {
		tap_skip("stock gntdev has no fault handler: dropped pages read SIGBUS, a deliberate difference",
			 "%s: %s: the data is still there", dev->name, what);
	} else {
		T(sig == 0 && gm_count_bad(m, 2, 0x207, 0) == 0,
		  "%s: the data is still there (%s)", what, sig_name(sig));
		T(testdom_end_all(td) == 4,
		  "%s: the grants stay mapped while the VMA does", what);
	}
	T(gm_count_bad(m + 2 * P, 2, 0x207, 2) == 0,
	  "%s: pages 2-3 still mapped", what);
	gm_unmap(fd, m, 4, off);
	leak_check(what);
}

static void t_fork(int fd)
{
	const char *what = "fork";
	uint64_t off;
	uint8_t *m = map4(fd, what, 0x208, &off);
	pid_t pid;
	int st = 0;

	if (!m)
		return;
	pid = fork();
	if (pid == 0)
		_exit(gm_probe_read(m));
	waitpid(pid, &st, 0);
	T(WIFEXITED(st) && WEXITSTATUS(st) == SIGSEGV,
	  "%s: the child has no mapping (%s)", what,
	  sig_name(WIFEXITED(st) ? WEXITSTATUS(st) : 0));
	T(gm_count_bad(m, 4, 0x208, 0) == 0, "%s: parent still mapped", what);

	/* docs/gntfuzz.md finding 1: MADV_DOFORK, then fork. */
	if (!dev->is_gntmap) {
		tap_skip("stock copies grant PTEs into the child and breaks a PV dom0; not run",
			 "%s: %s: after MADV_DOFORK", dev->name, what);
	} else {
		/*
		 * 6.x lets MADV_DOFORK clear VM_DONTCOPY and the child gets
		 * an empty copy (SIGBUS); 7.x refuses it on this VMA and the
		 * child gets no VMA at all (SIGSEGV).  Either way no grant.
		 */
		int err = madvise(m, 4 * P, MADV_DOFORK) ? errno : 0;
		int want = err ? SIGSEGV : SIGBUS;

		T(err == 0 || err == EINVAL || err == EPERM,
		  "%s: MADV_DOFORK taken, or refused with EINVAL/EPERM (%s)",
		  what, err ? strerror(err) : "taken");
		pid = fork();
		if (pid == 0)
			_exit(gm_probe_read(m));
		waitpid(pid, &st, 0);
		T(WIFEXITED(st) && WEXITSTATUS(st) == want,
		  "%s: after MADV_DOFORK the child's copy holds no grant (%s, want %s)",
		  what, sig_name(WIFEXITED(st) ? WEXITSTATUS(st) : 0),
		  sig_name(want));
		T(gm_count_bad(m, 4, 0x208, 0) == 0,
		  "%s: parent still mapped after the DOFORK fork", what);
	}
	gm_unmap(fd, m, 4, off);
	leak_check(what);
}

static void t_exit(const char *path)
{
	const char *what = "exit while mapped";
	uint32_t refs[16];
	pid_t pid;
	int st = 0;

	if (!share(what, 16, true, 0x209, refs))
		return;
	pid = fork();
	if (pid == 0) {
		int cfd = open(path, O_RDWR | O_CLOEXEC);
		uint64_t off;
		uint8_t *m = cfd < 0 ? NULL :
			gm_map(cfd, domid, refs, 16, PROT_READ | PROT_WRITE,
			       &off);

		_exit(m && gm_count_bad(m, 16, 0x209, 0) == 0 ? 0 : 1);
	}
	waitpid(pid, &st, 0);
	T(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	  "%s: child mapped and exited", what);
	leak_check(what);
}

static void t_kill(const char *path)
{
	const char *what = "kill -9 while mapping";
	uint32_t refs[16];
	unsigned int round;
	int bad = 0;

	if (!share(what, 16, true, 0x20a, refs))
		return;
	for (round = 0; round < 8; round++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			int cfd = open(path, O_RDWR | O_CLOEXEC);

			for (;;) {
				uint64_t off;
				uint8_t *m = gm_map(cfd, domid, refs, 16,
						    PROT_READ | PROT_WRITE,
						    &off);

				if (m)
					gm_unmap(cfd, m, 16, off);
			}
		}
		usleep(20000 + round * 37000);
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		if (!WIFSIGNALED(st))
			bad++;
	}
	T(bad == 0, "%s: 8 children killed at different points", what);
	leak_check(what);
}

static void t_second_mmap(int fd)
{
	const char *what = "second mmap";
	uint64_t off;
	uint8_t *m = map4(fd, what, 0x20b, &off);
	void *m2;

	if (!m)
		return;
	m2 = mmap(NULL, 4 * P, PROT_READ, MAP_SHARED, fd, off);
	T(m2 == MAP_FAILED && errno == EINVAL,
	  "%s: of the same index refused with EINVAL (%s)", what,
	  m2 == MAP_FAILED ? strerror(errno) : "mapped");
	if (m2 != MAP_FAILED)
		munmap(m2, 4 * P);
	gm_unmap(fd, m, 4, off);
	leak_check(what);
}

static void t_close_mapped(const char *path)
{
	const char *what = "close while mapped";
	int cfd = open(path, O_RDWR | O_CLOEXEC);
	uint32_t refs[4];
	uint64_t off;
	uint8_t *m;

	if (!T(cfd >= 0, "%s: open", what) ||
	    !share(what, 4, true, 0x20c, refs))
		return;
	m = gm_map(cfd, domid, refs, 4, PROT_READ | PROT_WRITE, &off);
	if (!T(m, "%s: map (%s)", what, m ? "ok" : strerror(errno))) {
		close(cfd);
		leak_check(what);
		return;
	}
	close(cfd);
	T(gm_count_bad(m, 4, 0x20c, 0) == 0, "%s: map still valid", what);
	T(testdom_end_all(td) == 4, "%s: grants still in use", what);
	munmap(m, 4 * P);
	leak_check(what);
}

static void t_bad_input(int fd)
{
	const char *what = "bad input";
	struct ioctl_gntdev_get_offset_for_vaddr go = { 0 };
	struct ioctl_gntdev_unmap_notify un = { 0 };
	uint32_t refs[2], bogus = 0x7ffff;
	uint64_t off, off2;
	int r, e;
	void *m;

	r = ioctl(fd, _IOC(_IOC_NONE, 'G', 99, 8), &go);
	T(r == -1 && errno == ENOTTY, "%s: unknown ioctl -> ENOTTY", what);
	r = gm_map_refs(fd, domid, refs, 0, &off);
	T(r == -EINVAL, "%s: count 0 -> EINVAL (%s)", what, strerror(-r));
	{
		/* Only the header: the count must be refused before refs. */
		struct ioctl_gntdev_map_grant_ref huge = { .count = 0xffffffffu };

		r = ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, &huge) ? -errno : 0;
		T(r == -EINVAL, "%s: count 2^32-1 (over the limit, "
		  "count*PAGE_SIZE overflows 32 bits) -> EINVAL (%s)", what,
		  strerror(-r));
	}
	r = gm_unmap_refs(fd, 0x40000000ull, 1);
	T(r == -ENOENT, "%s: UNMAP of an index never returned -> ENOENT (%s)",
	  what, strerror(-r));
	r = gm_unmap_refs(fd, ~0ull << 12, 0xffffffffu);
	T(r == -ENOENT, "%s: UNMAP of huge index and count -> ENOENT (%s)",
	  what, strerror(-r));
	m = mmap(NULL, P, PROT_READ, MAP_SHARED, fd, 0x40000000);
	e = errno;
	T(m == MAP_FAILED && e == EINVAL,
	  "%s: mmap of an index never returned -> EINVAL (%s)", what,
	  m == MAP_FAILED ? strerror(e) : "mapped");
	un.index = ~0ull;
	un.action = UNMAP_NOTIFY_CLEAR_BYTE;
	r = ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) ? -errno : 0;
	T(r == -ENOENT, "%s: SET_UNMAP_NOTIFY outside any map -> ENOENT (%s)",
	  what, strerror(-r));
	go.vaddr = (uintptr_t)&go;
	r = ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &go) ? -errno : 0;
	T(r == -EINVAL, "%s: GET_OFFSET of a non-grant address -> EINVAL (%s)",
	  what, strerror(-r));

	if (!share(what, 2, true, 0x300, refs))
		return;
	r = gm_map_refs(fd, domid, refs, 2, &off);
	if (!T(r == 0, "%s: map 2 refs (%s)", what, strerror(-r)))
		goto leak;
	m = mmap(NULL, P, PROT_READ, MAP_SHARED, fd, off);
	T(m == MAP_FAILED && errno == EINVAL,
	  "%s: mmap shorter than the map -> EINVAL", what);
	m = mmap(NULL, P, PROT_READ, MAP_SHARED, fd, off + P);
	T(m == MAP_FAILED && errno == EINVAL,
	  "%s: mmap at an offset inside the map -> EINVAL", what);
	m = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, off);
	T(m == MAP_FAILED && errno == EINVAL,
	  "%s: writable private mmap -> EINVAL", what);
	r = gm_unmap_refs(fd, off + 1, 2);
	T_GNTMAP(r == -EINVAL, "%s: UNMAP at an unaligned offset -> EINVAL",
		 what);
	if (!dev->is_gntmap)
		tap_diag("%s: stock UNMAP at an unaligned offset: %s",
			 dev->name, r ? strerror(-r) : "accepted");
	if (!dev->is_gntmap && r == 0) {
		r = gm_map_refs(fd, domid, refs, 2, &off);
		T(r == 0, "%s: map 2 refs again (%s)", what, strerror(-r));
	}
	r = gm_unmap_refs(fd, off, 1);
	T(r == -ENOENT, "%s: UNMAP with the wrong count -> ENOENT (%s)", what,
	  strerror(-r));
	m = mmap(NULL, 2 * P, PROT_READ, MAP_SHARED, fd, off);
	if (T(m != MAP_FAILED, "%s: mmap (%s)", what,
	      m == MAP_FAILED ? strerror(errno) : "ok")) {
		go.vaddr = (uintptr_t)m + P + 123;
		r = ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &go);
		T(r == 0 && go.offset == off && go.count == 2,
		  "%s: GET_OFFSET of an unaligned address inside the map", what);
		munmap(m, 2 * P);
	}
	T(gm_unmap_refs(fd, off, 2) == 0, "%s: UNMAP_GRANT_REF", what);
	T(gm_unmap_refs(fd, off, 2) == -ENOENT, "%s: second UNMAP -> ENOENT",
	  what);

	m = gm_map(fd, domid, &bogus, 1, PROT_READ, &off2);
	T(!m && errno == EINVAL, "%s: invalid ref fails at mmap -> EINVAL (%s)",
	  what, m ? "mapped" : strerror(errno));
	m = gm_map(fd, DOMID_FIRST_RESERVED, refs, 1, PROT_READ, &off2);
	T(!m && errno == EINVAL, "%s: invalid domid fails at mmap -> EINVAL (%s)",
	  what, m ? "mapped" : strerror(errno));
	m = gm_map(fd, domid + 1000, refs, 1, PROT_READ, &off2);
	T(!m && errno == EINVAL,
	  "%s: domid of no live domain fails at mmap -> EINVAL (%s)", what,
	  m ? "mapped" : strerror(errno));
leak:
	leak_check(what);
}

/* An interdomain channel dom0 -> dom0, to observe SEND_EVENT. */
static void t_notify(int fd)
{
	const char *what = "unmap notify";
	struct ioctl_gntdev_unmap_notify un = { 0 };
	xenevtchn_handle *a, *b;
	xenevtchn_port_or_error_t pa, pb;
	unsigned int byte = 100;
	uint32_t ref, seed = 0x400;
	uint64_t off;
	uint8_t *m;
	int r;

	while (testdom_pattern(seed, 0, byte) == 0)
		byte++;
	if (!share(what, 1, true, seed, &ref))
		return;
	m = gm_map(fd, domid, &ref, 1, PROT_READ | PROT_WRITE, &off);
	if (!T(m, "%s: map (%s)", what, m ? "ok" : strerror(errno)))
		goto leak;
	un.index = off + byte;
	un.action = 0x80;
	r = ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) ? -errno : 0;
	T(r == -EINVAL, "%s: unknown action bit -> EINVAL (%s)", what,
	  strerror(-r));

	a = xenevtchn_open(NULL, 0);
	b = xenevtchn_open(NULL, 0);
	pa = a ? xenevtchn_bind_unbound_port(a, 0) : -1;
	pb = (b && pa >= 0) ? xenevtchn_bind_interdomain(b, 0, pa) : -1;
	if (pb < 0) {
		tap_skip("no event channel device", "%s: SEND_EVENT", what);
		un.action = UNMAP_NOTIFY_CLEAR_BYTE;
	} else {
		/*
		 * Xen marks a freshly bound interdomain port pending: consume
		 * that, or it would pass for the driver's event below.
		 */
		struct pollfd pfd = { .fd = xenevtchn_fd(b), .events = POLLIN };

		if (poll(&pfd, 1, 200) == 1 && xenevtchn_pending(b) == pb)
			xenevtchn_unmask(b, pb);
		un.action = UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT;
		un.event_channel_port = pa;
	}
	r = ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) ? -errno : 0;
	T(r == 0, "%s: CLEAR_BYTE%s at byte %u (%s)", what,
	  pb < 0 ? "" : "|SEND_EVENT", byte, strerror(-r));
	T(gm_unmap(fd, m, 1, off) == 0, "%s: unmap", what);
	if (pb >= 0) {
		/* The event comes after the last unmap; the byte before it. */
		struct pollfd pfd = { .fd = xenevtchn_fd(b), .events = POLLIN };
		bool got = poll(&pfd, 1, 5000) == 1 &&
			   xenevtchn_pending(b) == pb;

		T(got, "%s: event received", what);
		if (got)
			xenevtchn_unmask(b, pb);
	}
	r = testdom_verify(td, seed);
	T(r == 1, "%s: the domU sees the cleared byte (%d pages differ)", what,
	  r);
	if (a)
		xenevtchn_close(a);
	if (b)
		xenevtchn_close(b);
leak:
	leak_check(what);
}

/*
 * One ioctl of 100 segments of length 0 and then 100 of 64 bytes of
 * foreign page @ref, more than one hypercall's worth of either: every
 * segment gets GNTST_okay and every byte arrives.  @buf: 3 pages.
 */
static void t_copy_many(int fd, uint32_t ref, uint32_t seed, uint8_t *buf)
{
	const char *what = "grant copy";
	struct ioctl_gntdev_grant_copy_segment *seg = calloc(200, sizeof(*seg));
	struct ioctl_gntdev_grant_copy op = { .count = 200, .segments = seg };
	unsigned int i, j, bad = 0, wrong = 0;
	int r;

	if (!T(seg != NULL, "%s: 200 segments allocated", what))
		return;
	memset(buf, 0, 3 * P);
	for (i = 0; i < 200; i++) {
		seg[i].source.foreign.ref = ref;
		seg[i].source.foreign.domid = domid;
		seg[i].source.foreign.offset = i < 100 ? 0 : 64 * (i % 64);
		seg[i].dest.virt = buf + (i < 100 ? 0 : 64 * (i - 100));
		seg[i].len = i < 100 ? 0 : 64;
		seg[i].flags = GNTCOPY_source_gref;
		seg[i].status = GNTST_general_error;
	}
	r = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;
	for (i = 0; i < 200; i++)
		bad += seg[i].status != GNTST_okay;
	for (i = 100; i < 200; i++)
		for (j = 0; j < 64; j++)
			wrong += buf[64 * (i - 100) + j] !=
				 testdom_pattern(seed, 0, 64 * (i % 64) + j);
	T(r == 0 && !bad && !wrong,
	  "%s: 100 empty and 100 64-byte segments in one call (%s, %u statuses not okay, %u bytes wrong)",
	  what, strerror(-r), bad, wrong);
	free(seg);
}

/*
 * Processes sharing one open file copy at once: each call gets a batch of
 * its own, however many run on the file, and every byte lands where its
 * segment says.  Every tenth call ends in a segment with bad flags, which
 * fails that call alone with EINVAL.  A child's exit status: its calls,
 * statuses or bytes that went wrong (at most 100).
 */
#define COPY_PROCS 4
#define COPY_CALLS 150

static int copy_child(int fd, uint32_t ref, uint32_t seed, unsigned int id)
{
	struct ioctl_gntdev_grant_copy_segment seg[17];
	struct ioctl_gntdev_grant_copy op = { .segments = seg };
	uint8_t *buf = aligned_alloc(P, P);
	unsigned int call, i, j, n, wrong = 0;
	int r;

	if (!buf)
		return 1;
	for (call = 0; call < COPY_CALLS && wrong < 100; call++) {
		n = 1 + (call * 7 + id) % 16;
		memset(buf, 0, P);
		memset(seg, 0, sizeof(seg));
		for (i = 0; i < n; i++) {
			seg[i].source.foreign.ref = ref;
			seg[i].source.foreign.domid = domid;
			seg[i].source.foreign.offset = 64 * ((i + call + id) % 64);
			seg[i].dest.virt = buf + 64 * i;
			seg[i].len = 64;
			seg[i].flags = GNTCOPY_source_gref;
			seg[i].status = GNTST_general_error;
		}
		op.count = n;
		if (call % 10 == 9) {
			seg[n].flags = 0x80;
			seg[n].len = 64;
			op.count = n + 1;
		}
		r = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;
		/* What a failed call left behind differs: stock copies none. */
		if (call % 10 == 9) {
			wrong += r != -EINVAL;
			continue;
		}
		wrong += r != 0;
		for (i = 0; i < n; i++) {
			wrong += seg[i].status != GNTST_okay;
			for (j = 0; j < 64; j++)
				wrong += buf[64 * i + j] !=
					 testdom_pattern(seed, 0,
						seg[i].source.foreign.offset + j);
		}
	}
	free(buf);
	return wrong > 100 ? 100 : wrong;
}

static void t_copy_concurrent(int fd, uint32_t ref, uint32_t seed)
{
	const char *what = "grant copy";
	unsigned int i, started = 0, clean = 0;
	pid_t pid[COPY_PROCS];
	int st;

	for (i = 0; i < COPY_PROCS; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(copy_child(fd, ref, seed, i));
		started += pid[i] > 0;
	}
	for (i = 0; i < COPY_PROCS; i++)
		if (pid[i] > 0 && waitpid(pid[i], &st, 0) == pid[i] &&
		    WIFEXITED(st) && WEXITSTATUS(st) == 0)
			clean++;
	T(started == COPY_PROCS && clean == COPY_PROCS,
	  "%s: %u processes on one file, %u calls each at once: %u of them with every status and byte right",
	  what, COPY_PROCS, COPY_CALLS, clean);
}

static void t_copy(int fd)
{
	const char *what = "grant copy";
	struct ioctl_gntdev_grant_copy_segment seg[3];
	struct ioctl_gntdev_grant_copy op = { .segments = seg };
	uint32_t refs[2], seed = 0x500;
	uint8_t *buf = aligned_alloc(P, 3 * P), expect[P];
	unsigned int i;
	int r;

	if (!buf || !share(what, 2, true, seed, refs))
		goto out;
	/* foreign page 0 -> local, straddling a local page boundary */
	memset(seg, 0, sizeof(seg));
	seg[0].source.foreign.ref = refs[0];
	seg[0].source.foreign.domid = domid;
	seg[0].dest.virt = buf + P - 1000;
	seg[0].len = P;
	seg[0].flags = GNTCOPY_source_gref;
	op.count = 1;
	r = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;
	T(r == 0 && seg[0].status == GNTST_okay,
	  "%s: foreign -> local across a page (%s, status %d)", what,
	  strerror(-r), seg[0].status);
	for (i = 0; i < P; i++)
		expect[i] = testdom_pattern(seed, 0, i);
	T(!memcmp(buf + P - 1000, expect, P), "%s: local copy matches", what);

	/* local -> foreign page 1: fill with page 1 of seed ^ 1 */
	for (i = 0; i < P; i++)
		buf[i] = testdom_pattern(seed ^ 1, 1, i);
	memset(seg, 0, sizeof(seg));
	seg[0].source.virt = buf;
	seg[0].dest.foreign.ref = refs[1];
	seg[0].dest.foreign.domid = domid;
	seg[0].len = P;
	seg[0].flags = GNTCOPY_dest_gref;
	/* and a bad ref in a second segment: status, not errno */
	seg[1] = seg[0];
	seg[1].dest.foreign.ref = 0x7ffff;
	op.count = 2;
	r = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;
	T(r == 0 && seg[0].status == GNTST_okay,
	  "%s: local -> foreign (%s, status %d)", what, strerror(-r),
	  seg[0].status);
	T(seg[1].status == GNTST_bad_gntref,
	  "%s: bad ref -> GNTST_bad_gntref in the segment (%d)", what,
	  seg[1].status);
	/* Page 0 keeps seed, page 1 now has seed ^ 1: exactly 1 differs. */
	r = testdom_verify(td, seed);
	T(r == 1, "%s: the domU sees the copied page (%d differ)", what, r);

	memset(seg, 0, sizeof(seg));
	seg[0].source.virt = buf;
	seg[0].dest.virt = buf + P;
	seg[0].len = 16;
	op.count = 1;
	r = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;
	T(r == -EINVAL, "%s: local -> local -> EINVAL (%s)", what,
	  strerror(-r));
	seg[0].flags = GNTCOPY_source_gref;
	seg[0].source.foreign.ref = refs[0];
	seg[0].source.foreign.domid = domid;
	seg[0].source.foreign.offset = 4000;
	seg[0].len = 200;
	r = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;
	T(r == -EINVAL, "%s: foreign side crossing its page -> EINVAL (%s)",
	  what, strerror(-r));
	seg[0].source.foreign.offset = 0;
	seg[0].dest.virt = (void *)8;
	r = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op) ? -errno : 0;
	T(r == -EFAULT, "%s: unmapped local buffer -> EFAULT (%s)", what,
	  strerror(-r));
	t_copy_many(fd, refs[0], seed, buf);
	t_copy_concurrent(fd, refs[0], seed);
	leak_check(what);
out:
	free(buf);
}

static void run(struct testdom *t, uint32_t id, struct gm_dev *d)
{
	static const unsigned int sizes[] = { 1, 16, 1024 };
	unsigned int i;
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
	for (i = 0; i < 3; i++) {
		t_data(fd, sizes[i], true);
		t_data(fd, sizes[i], false);
	}
	t_partial_munmap(fd);
	t_middle_munmap(fd);
	t_mremap(fd);
	t_map_fixed(fd);
	t_mprotect(fd);
	t_madvise(fd);
	t_fork(fd);
	t_exit(d->path);
	t_kill(d->path);
	t_second_mmap(fd);
	t_close_mapped(d->path);
	t_bad_input(fd);
	t_notify(fd);
	t_copy(fd);
	close(fd);
}

int main(int argc, char **argv)
{
	return gm_run_main(argc, argv,
		"Run the gntdev ABI cases against every grant-mapping device of\n"
		"this boot, with the test domain's grants; prints TAP.\n",
		run);
}
