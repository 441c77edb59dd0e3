// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap-refault: a live map never turns into SIGBUS (docs/gntmap.md,
 * "VMA behaviours").  Against every grant-mapping device of the boot, with
 * real grants of the test domain:
 *
 *  split   maps of 1024, 2048 and 4096 pages: MADV_DONTNEED of one page
 *          and of the whole map, writes that must reach the domU, an
 *          mremap shrink, munmaps of random sub-ranges and MAP_FIXED over
 *          one page (each splits a 2 MiB huge-PMD range, which the kernel
 *          invalidates as a whole); then every page still inside a VMA
 *          must read the domU's data and take writes, and after munmap and
 *          UNMAP the domU must end access on every page.  Stock gntdev has
 *          no fault handler: its SIGBUS is a SKIP with that reason.
 *  stress  threads touching a large map while others split it with
 *          munmap, MAP_FIXED and MADV_DONTNEED, for --seconds.
 *  unload  rmmod with a pinned pending unmap is refused at once (the map
 *          holds the module) and succeeds once the pin goes.  Leaves
 *          gntmap unloaded: the suite loads it again.
 *
 * Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "gmrun.h"
#include "gmtest.h"
#include "tap.h"
#include "testdom.h"

#define P GM_PAGE

static struct testdom *td;
static uint32_t domid;
static const struct gm_dev *dev;
/* The options: --only's case (NULL: split and stress), --seconds. */
static const char *only;
static unsigned long stress_seconds = 20;

#define T(pass, fmt, ...) tap_ok(pass, "%s: " fmt, dev->name, ##__VA_ARGS__)

/* A thread-safe probe: each thread has its own jump buffer. */
static __thread sigjmp_buf probe_env;
static __thread volatile int probe_armed;

static void probe_handler(int sig)
{
	if (probe_armed)
		siglongjmp(probe_env, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void probe_init(void)
{
	struct sigaction sa = { .sa_handler = probe_handler,
				.sa_flags = SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* 0, or the signal: the page at @p reads the pattern into *@bad. */
static int probe_page(const uint8_t *p, uint32_t seed, unsigned int idx,
		      bool *bad)
{
	int sig = sigsetjmp(probe_env, 1);

	if (sig) {
		probe_armed = 0;
		return sig;
	}
	probe_armed = 1;
	*bad = gm_count_bad(p, 1, seed, idx) != 0;
	probe_armed = 0;
	return 0;
}

static int probe_fill(uint8_t *p, uint32_t seed, unsigned int idx)
{
	int sig = sigsetjmp(probe_env, 1);
	unsigned int off;

	if (sig) {
		probe_armed = 0;
		return sig;
	}
	probe_armed = 1;
	for (off = 0; off < P; off++)
		p[off] = testdom_pattern(seed, idx, off);
	probe_armed = 0;
	return 0;
}

static unsigned int rnd(unsigned int n)
{
	return (unsigned int)random() % n;
}

/*
 * Every page of @live reads @seed's pattern.  Returns false after a stock
 * SIGBUS (reported as a SKIP with the reason), true otherwise.
 */
static bool check_live(const char *what, const char *step, uint8_t *m,
		       const bool *live, unsigned int n, uint32_t seed)
{
	unsigned int i, sigbus = 0, other = 0, bad = 0, first = n;

	for (i = 0; i < n; i++) {
		bool b = false;
		int sig;

		if (!live[i])
			continue;
		sig = probe_page(m + (size_t)i * P, seed, i, &b);
		if (sig == SIGBUS) {
			sigbus++;
			if (first == n)
				first = i;
		} else if (sig) {
			other++;
		} else if (b) {
			bad++;
		}
	}
	if (!dev->is_gntmap && sigbus) {
		tap_skip("stock gntdev has no fault handler: a page the kernel invalidated is gone (SIGBUS), a deliberate difference",
			 "%s: %s: %s: %u pages still in the VMA read SIGBUS (first %u)",
			 dev->name, what, step, sigbus, first);
		return false;
	}
	T(!sigbus && !other && !bad,
	  "%s: %s: every page still in the VMA reads the domU's data (%u SIGBUS, %u other faults, %u wrong)",
	  what, step, sigbus, other, bad);
	return true;
}

static void unmap_all(int fd, const char *what, uint8_t *m, unsigned int n,
		      uint64_t off)
{
	T(munmap(m, (size_t)n * P) == 0 && gm_unmap_refs(fd, off, n) == 0,
	  "%s: munmap and UNMAP_GRANT_REF", what);
	T(testdom_end_all_wait(td, 20000) == 0,
	  "%s: domU ends foreign access on every page", what);
}

/* MADV_DONTNEED over the whole map; holes in it only add ENOMEM. */
static bool dontneed_all(uint8_t *m, unsigned int n)
{
	return !madvise(m, (size_t)n * P, MADV_DONTNEED) || errno == ENOMEM;
}

/*
 * The steps run in this order so that stock, which loses pages at each of
 * them, reports each one: every check after a stock SIGBUS is a SKIP.
 */
static void t_split(int fd, unsigned int n)
{
	uint32_t seed = 0x700 + n, seed2 = seed ^ 0x3c3c;
	uint32_t *refs = calloc(n, sizeof(*refs));
	bool *live = calloc(n, sizeof(*live));
	unsigned int i, k, cut = 37, nlive, fixed;
	bool ok = true;
	uint8_t *m;
	uint64_t off;
	char what[32];
	int r;

	snprintf(what, sizeof(what), "split %u", n);
	if (!refs || !live)
		goto out;
	r = testdom_share(td, n, true, seed, refs);
	if (!T(r == 0, "%s: domU shares %u pages (%s)", what, n,
	       r ? strerror(-r) : "ok"))
		goto out;
	m = gm_map(fd, domid, refs, n, PROT_READ | PROT_WRITE, &off);
	if (!T(m, "%s: map (%s)", what, m ? "ok" : strerror(errno))) {
		testdom_end_all_wait(td, 10000);
		goto out;
	}
	for (i = 0; i < n; i++)
		live[i] = true;
	ok &= check_live(what, "mapped", m, live, n, seed);

	/* mremap shrink by a piece that is not 2 MiB aligned. */
	T(mremap(m, (size_t)n * P, (size_t)(n - cut) * P, 0) == m,
	  "%s: mremap shrink by %u pages", what, cut);
	for (i = n - cut; i < n; i++)
		live[i] = false;
	ok &= check_live(what, "after mremap shrink", m, live, n, seed);

	/* Random sub-ranges, at random (not aligned) places. */
	srandom(n);
	for (k = 0; k < 6; k++) {
		unsigned int a = rnd(n - cut), len = 1 + rnd(64);

		if (a + len > n - cut)
			len = n - cut - a;
		T(munmap(m + (size_t)a * P, (size_t)len * P) == 0,
		  "%s: munmap of pages %u-%u", what, a, a + len - 1);
		for (i = a; i < a + len; i++)
			live[i] = false;
	}
	ok &= check_live(what, "after random munmaps", m, live, n, seed);

	for (fixed = rnd(n - cut); !live[fixed]; fixed = (fixed + 1) % n)
		;
	T(mmap(m + (size_t)fixed * P, P, PROT_READ | PROT_WRITE,
	       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	  m + (size_t)fixed * P, "%s: anonymous MAP_FIXED over page %u", what,
	  fixed);
	live[fixed] = false;
	T(m[(size_t)fixed * P] == 0, "%s: the new page reads zero", what);
	ok &= check_live(what, "after MAP_FIXED over one page", m, live, n,
			 seed);

	for (i = n / 3 + 5; !live[i]; i = (i + 1) % n)
		;
	T(madvise(m + (size_t)i * P, P, MADV_DONTNEED) == 0,
	  "%s: MADV_DONTNEED of page %u", what, i);
	ok &= check_live(what, "after MADV_DONTNEED of one page", m, live, n,
			 seed);
	T(dontneed_all(m, n), "%s: MADV_DONTNEED of the whole map", what);
	ok &= check_live(what, "after MADV_DONTNEED of the whole map", m,
			 live, n, seed);

	/* Writes to the pages faulted back reach the domU, and stay. */
	if (!ok) {
		tap_skip("stock lost pages above (SIGBUS)",
			 "%s: %s: writes reach the domU", dev->name, what);
		goto teardown;
	}
	for (i = 0, nlive = 0; i < n; i++) {
		if (live[i]) {
			probe_fill(m + (size_t)i * P, seed2, i);
			nlive++;
		}
	}
	r = testdom_verify(td, seed2);
	T(r == (int)(n - nlive),
	  "%s: domU reads dom0's writes on the %u pages still mapped (%d of %u pages differ, want %u)",
	  what, nlive, r, n, n - nlive);
	T(dontneed_all(m, n), "%s: MADV_DONTNEED of the whole map again",
	  what);
	check_live(what, "written pages after MADV_DONTNEED", m, live, n,
		   seed2);

teardown:
	unmap_all(fd, what, m, n, off);
out:
	free(refs);
	free(live);
}

/* The running kernel's major version, 0 if unknown. */
static unsigned int kernel_major(void)
{
	struct utsname u;

	return uname(&u) ? 0 : (unsigned int)strtoul(u.release, NULL, 10);
}

/* ---- stress ---- */

#define ST_PAGES 2048u
#define ST_TOUCHERS 3

struct stress {
	uint8_t *m;
	atomic_bool gone[ST_PAGES];
	atomic_bool stop;
	uint32_t seed;
	atomic_ulong reads, sigbus, segv_live, wrong;
};

static void *st_toucher(void *arg)
{
	struct stress *s = arg;
	unsigned int seedp = (unsigned int)(uintptr_t)&seedp;

	while (!atomic_load(&s->stop)) {
		unsigned int i = (unsigned int)rand_r(&seedp) % ST_PAGES;
		bool bad = false;
		int sig;

		if (atomic_load(&s->gone[i]))
			continue;
		sig = probe_page(s->m + (size_t)i * P, s->seed, i, &bad);
		atomic_fetch_add(&s->reads, 1);
		/* A page munmapped meanwhile may SEGV; it is marked first. */
		if (sig == SIGBUS)
			atomic_fetch_add(&s->sigbus, 1);
		else if (sig && !atomic_load(&s->gone[i]))
			atomic_fetch_add(&s->segv_live, 1);
		else if (!sig && bad && !atomic_load(&s->gone[i]))
			atomic_fetch_add(&s->wrong, 1);
	}
	return NULL;
}

static void *st_splitter(void *arg)
{
	struct stress *s = arg;
	unsigned int seedp = (unsigned int)(uintptr_t)&seedp ^ 0x9e37;

	while (!atomic_load(&s->stop)) {
		unsigned int i = (unsigned int)rand_r(&seedp) % ST_PAGES;
		unsigned int op = (unsigned int)rand_r(&seedp) % 3;
		uint8_t *p = s->m + (size_t)i * P;

		if (op == 2) {
			/* Keeps the page: it must fault back. */
			madvise(p, P, MADV_DONTNEED);
			continue;
		}
		if (atomic_exchange(&s->gone[i], true))
			continue;
		if (op == 0)
			munmap(p, P);
		else
			mmap(p, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
			     MAP_FIXED, -1, 0);
		usleep(200);
	}
	return NULL;
}

static void t_stress(int fd, unsigned int seconds)
{
	const char *what = "stress";
	uint32_t *refs = calloc(ST_PAGES, sizeof(*refs));
	struct stress *s = calloc(1, sizeof(*s));
	unsigned int rounds = 0, failed_maps = 0, t;
	time_t end = time(NULL) + seconds;
	int r;

	if (!refs || !s)
		goto out;
	s->seed = 0x7f00;
	r = testdom_share(td, ST_PAGES, true, s->seed, refs);
	if (!T(r == 0, "%s: domU shares %u pages (%s)", what, ST_PAGES,
	       r ? strerror(-r) : "ok"))
		goto out;
	while (time(NULL) < end) {
		pthread_t th[ST_TOUCHERS + 2];
		uint64_t off;
		unsigned int i;

		s->m = gm_map(fd, domid, refs, ST_PAGES, PROT_READ, &off);
		if (!s->m) {
			failed_maps++;
			break;
		}
		for (i = 0; i < ST_PAGES; i++)
			atomic_store(&s->gone[i], false);
		atomic_store(&s->stop, false);
		for (t = 0; t < ST_TOUCHERS + 2; t++)
			pthread_create(&th[t], NULL, t < ST_TOUCHERS ?
				       st_toucher : st_splitter, s);
		usleep(700000);
		atomic_store(&s->stop, true);
		for (t = 0; t < ST_TOUCHERS + 2; t++)
			pthread_join(th[t], NULL);
		munmap(s->m, (size_t)ST_PAGES * P);
		if (gm_unmap_refs(fd, off, ST_PAGES))
			failed_maps++;
		rounds++;
	}
	T(rounds > 0 && !failed_maps,
	  "%s: %u rounds of map, split and unmap (%u failed)", what, rounds,
	  failed_maps);
	if (!dev->is_gntmap && atomic_load(&s->sigbus)) {
		tap_skip("stock gntdev has no fault handler: invalidated pages read SIGBUS, a deliberate difference",
			 "%s: %s: %lu of %lu reads SIGBUS", dev->name, what,
			 atomic_load(&s->sigbus), atomic_load(&s->reads));
	} else {
		T(!atomic_load(&s->sigbus) && !atomic_load(&s->segv_live),
		  "%s: no fault on a page still mapped (%lu reads, %lu SIGBUS, %lu SEGV)",
		  what, atomic_load(&s->reads), atomic_load(&s->sigbus),
		  atomic_load(&s->segv_live));
	}
	T(!atomic_load(&s->wrong), "%s: every read byte is the domU's (%lu wrong pages)",
	  what, atomic_load(&s->wrong));
	if (dev->is_gntmap)
		T(gm_counter(dev, "unmap_failed") == 0,
		  "%s: unmap_failed stays 0", what);
	T(testdom_end_all_wait(td, 20000) == 0,
	  "%s: domU ends foreign access on every page", what);
out:
	free(refs);
	free(s);
}

/* ---- unload ---- */

static int try_rmmod(void)
{
	return syscall(SYS_delete_module, "gntmap", O_NONBLOCK) ? -errno : 0;
}

static void t_unload(const char *path)
{
	const char *what = "unload";
	uint32_t refs[4];
	int pipefd[2], fd, r;
	struct iovec iov;
	uint64_t off;
	uint8_t *m, buf[4 * P];
	double t0, dt;
	long live = -1, pending = -1;
	int i;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (!T(fd >= 0, "%s: open %s", what, path))
		return;
	r = testdom_share(td, 4, true, 0x7e00, refs);
	if (!T(r == 0, "%s: domU shares 4 pages", what))
		return;
	m = gm_map(fd, domid, refs, 4, PROT_READ | PROT_WRITE, &off);
	if (!T(m && pipe(pipefd) == 0, "%s: map and pipe", what))
		return;
	iov.iov_base = m;
	iov.iov_len = 4 * P;
	T(vmsplice(pipefd[1], &iov, 1, 0) == 4 * P,
	  "%s: vmsplice pins the 4 pages", what);
	T(munmap(m, 4 * P) == 0 && gm_unmap_refs(fd, off, 4) == 0 &&
	  close(fd) == 0, "%s: munmap, UNMAP_GRANT_REF, close", what);
	T(gm_counter(dev, "pending_unmaps") > 0,
	  "%s: the unmap is pending (%ld)", what,
	  gm_counter(dev, "pending_unmaps"));

	t0 = testdom_now_s();
	r = try_rmmod();
	dt = testdom_now_s() - t0;
	T(r == -EWOULDBLOCK || r == -EBUSY,
	  "%s: rmmod refused while the unmap is pending (%s) in %.3f s",
	  what, r ? strerror(-r) : "unloaded", dt);
	T(dt < 1.0, "%s: the refusal did not wait (%.3f s)", what, dt);
	if (!r)
		return;

	T(read(pipefd[0], buf, sizeof(buf)) == (ssize_t)sizeof(buf),
	  "%s: drain the pipe", what);
	close(pipefd[0]);
	close(pipefd[1]);
	for (i = 0; i < 500; i++) {
		live = gm_counter(dev, "live_maps");
		pending = gm_counter(dev, "pending_unmaps");
		if (!live && !pending)
			break;
		usleep(10000);
	}
	T(!live && !pending, "%s: counters settle (live_maps %ld, pending_unmaps %ld)",
	  what, live, pending);
	T(testdom_end_all_wait(td, 10000) == 0,
	  "%s: domU ends foreign access on every page", what);
	for (i = 0; i < 100 && (r = try_rmmod()) == -EWOULDBLOCK; i++)
		usleep(20000);
	T(r == 0, "%s: rmmod succeeds once the pin is gone (%s)", what,
	  r ? strerror(-r) : "ok");
}

/* Every case --only selects, on one device. */
static void run(struct testdom *t, uint32_t id, struct gm_dev *d)
{
	static const unsigned int sizes[] = { 1024, 2048, 4096 };
	unsigned int k;
	int fd;

	td = t;
	domid = id;
	dev = d;
	if (only && !strcmp(only, "unload")) {
		if (d->is_gntmap)
			t_unload(d->path);
		return;
	}
	fd = open(d->path, O_RDWR | O_CLOEXEC);
	if (!T(fd >= 0, "open %s (%s)", d->path,
	       fd >= 0 ? "ok" : strerror(errno)))
		return;
	if (!only || !strcmp(only, "split"))
		for (k = 0; k < 3; k++)
			t_split(fd, sizes[k]);
	if ((!only || !strcmp(only, "stress")) &&
	    !d->is_gntmap && kernel_major() >= 7)
		tap_skip("stock gntdev on 7.x loses grants under this stress (514 the domU could not end) and corrupts the mm's rss counters: not run, it breaks the dom0 for the tests after it",
			 "%s: stress", d->name);
	else if (!only || !strcmp(only, "stress"))
		t_stress(fd, stress_seconds);
	close(fd);
}

int main(int argc, char **argv)
{
	const char *domain = "sharer", *device = NULL;
	const struct vmopt opts[] = {
		VMOPT_DOMAIN(&domain),
		GM_OPT_ONLY('D', "device", &device),
		VMOPT_CASE("only", 'o', "CASE", "split|stress|unload",
			   "one case, else split and stress",
			   &only),
		VMOPT_NUM("seconds", 's', "N", "length of the stress", NULL,
			  &stress_seconds, 1, 3600),
		{ }
	};

	vmopt_parse(argc, argv, opts,
		"Pages of a live map stay readable through the kernel's own\n"
		"invalidations; prints TAP.\n");
	probe_init();
	return gm_run_devices(domain, device, run);
}
