// SPDX-License-Identifier: GPL-2.0
/*
 * gntbench: figures 1-3, 7 and 9 of `make bench` (docs/performance.md), in
 * dom0.
 *
 * Two gntdev-ABI devices, ours (gntmap) and the baseline (stock
 * xen-gntdev), are driven through the raw ioctl ABI by the same code, each
 * from a worker process of its own, in the A/B rounds of benchlib.h.  The
 * figures of two workers take half their rounds with the workers started
 * in the reverse order (benchlib.h, struct bench_worker), in two or more
 * worker sets.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/sys/gntdev.h>

#include "testdom.h"
#include "benchlib.h"
#include "gntmap_counters.h"

/* Enough refs that N maps stay far below Xen's 64 pins per grant. */
#define NREFS		512u
#define MAX_LIVE	8192u

/*
 * Figure 9: WIN_LIVE windows of WIN_PAGES pages each, over WIN_REFS refs
 * (the test domain's largest share, docs/testdom.md): each ref is in at
 * most 13 live windows of a worker, 26 of both, within Xen's pin limit.
 */
#define WIN_PAGES	1024u
#define WIN_LIVE	50u
#define WIN_REFS	4096u

/* Figure 7: batches of segments, each on a page of its own. */
#define COPY_MAX	64u

enum wop { W_CYCLE = 1, W_GROW, W_PROBE, W_ANON, W_VMAS, W_COPY, W_WIN_SETUP,
	   W_WIN_CYCLE };

/* The steps of a map cycle (figure 1) and of a probe (figure 2). */
static const char *const f1_phase[] = { "map-ioctl", "mmap", "touch",
					"munmap", "unmap-ioctl" };
static const char *const f2_op[] = { "map-ioctl", "mmap", "munmap",
				     "unmap-ioctl" };

static size_t page_size;
static uint32_t domid;
static uint32_t refs[WIN_REFS];
static unsigned int nrefs = NREFS;
static unsigned int repeats = 5, probes = 16, budget_ms = 150, nsets = 8;
static bool probe_detail;
static const char *ours_path, *base_path;

/* ---- the raw ABI, as every gntdev client sees it ---- */

static int map_ioctl(int fd, const uint32_t *r, unsigned int n, uint64_t *off)
{
	struct ioctl_gntdev_map_grant_ref *m;
	unsigned int i;
	int ret = 0;

	m = calloc(1, sizeof(*m) + (n - 1) * sizeof(m->refs[0]));
	if (!m)
		return ENOMEM;
	m->count = n;
	for (i = 0; i < n; i++) {
		m->refs[i].domid = domid;
		m->refs[i].ref = r[i];
	}
	if (ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, m))
		ret = errno;
	else
		*off = m->index;
	free(m);
	return ret;
}

static int unmap_ioctl(int fd, uint64_t off, unsigned int n)
{
	struct ioctl_gntdev_unmap_grant_ref u = { .index = off, .count = n };

	return ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u) ? errno : 0;
}

/* mmap of the map at @off; 0, or an errno with the map unmapped. */
static int map_mmap(int fd, uint64_t off, unsigned int n, int prot, void **p)
{
	int err;

	*p = mmap(NULL, (size_t)n * page_size, prot, MAP_SHARED, fd, off);
	if (*p != MAP_FAILED)
		return 0;
	err = errno;
	unmap_ioctl(fd, off, n);
	return err;
}

/* ---- worker side ---- */

struct live {
	void *addr;
	uint64_t off;
};

static struct live *live;
static unsigned int nlive;

/*
 * Figure 1: map, mmap, touch, munmap, unmap of @n pages, whole cycles for
 * @ms.  v[0]: pages per second; v[1..5]: microseconds per cycle spent in
 * each step, to say where a driver's time goes.
 */
static int do_cycle(int fd, unsigned int n, unsigned int ms, double *v)
{
	double t0 = bench_now_ns(), s[6];
	unsigned long cycles = 0;
	volatile uint8_t *p;
	unsigned int i;
	uint64_t off = 0;
	int r;

	do {
		s[0] = bench_now_ns();
		r = map_ioctl(fd, refs, n, &off);
		s[1] = bench_now_ns();
		if (!r)
			r = map_mmap(fd, off, n, PROT_READ | PROT_WRITE,
				     (void **)&p);
		if (r)
			return r;
		s[2] = bench_now_ns();
		for (i = 0; i < n; i++)
			(void)p[(size_t)i * page_size];
		s[3] = bench_now_ns();
		munmap((void *)p, (size_t)n * page_size);
		s[4] = bench_now_ns();
		r = unmap_ioctl(fd, off, n);
		if (r)
			return r;
		cycles++;
		s[5] = bench_now_ns();
		for (i = 0; i < 5; i++)
			v[i + 1] += s[i + 1] - s[i];
	} while (cycles < 3 || s[5] - t0 < ms * 1e6);
	v[0] = cycles * n / ((s[5] - t0) / 1e9);
	for (i = 1; i <= 5; i++)
		v[i] /= cycles * 1e3;
	return 0;
}

/* Figures 2 and 3: keep @n one-page maps live, spread over every ref. */
static int do_grow(int fd, unsigned int n)
{
	int r;

	if (n > MAX_LIVE)
		return E2BIG;
	for (; nlive < n; nlive++) {
		r = map_ioctl(fd, &refs[nlive % NREFS], 1, &live[nlive].off);
		if (!r)
			r = map_mmap(fd, live[nlive].off, 1, PROT_READ,
				     &live[nlive].addr);
		if (r)
			return r;
	}
	return 0;
}

/*
 * --probe-detail: where a batch of munmaps spent its wall time, from the
 * worker's own view: running (the scheduler's runtime, which leaves out
 * what Xen stole when the kernel accounts steal time), waiting on dom0's
 * runqueue, and the rest (asleep, or stolen).  One "#" line per batch,
 * which a slow worker set can be read from.
 */
struct detail {
	unsigned long long run, wait;
	struct rusage ru;
	int cpu;
};

static const char *worker_dev;

static void schedstat(unsigned long long *run, unsigned long long *wait)
{
	FILE *f = fopen("/proc/self/schedstat", "r");

	*run = *wait = 0;
	if (f) {
		if (fscanf(f, "%llu %llu", run, wait) != 2)
			*run = *wait = 0;
		fclose(f);
	}
}

static void detail_begin(struct detail *d)
{
	getrusage(RUSAGE_SELF, &d->ru);
	d->cpu = sched_getcpu();
	schedstat(&d->run, &d->wait);
}

static void detail_end(const struct detail *d, unsigned int n, double ns)
{
	unsigned long long run, wait;
	struct rusage ru;
	int cpu = sched_getcpu();

	schedstat(&run, &wait);
	getrusage(RUSAGE_SELF, &ru);
	run -= d->run;
	wait -= d->wait;
	printf("# probe-detail %s pid %d live %u cpu %d-%d: munmap %.1f us/op; run %.1f, runq %.1f, other %.1f us/op; switches %ld voluntary, %ld involuntary\n",
	       worker_dev ? worker_dev : "?", (int)getpid(), nlive, d->cpu,
	       cpu, ns / 1e3 / n, run / 1e3 / n, wait / 1e3 / n,
	       (ns - run - wait) / 1e3 / n, ru.ru_nvcsw - d->ru.ru_nvcsw,
	       ru.ru_nivcsw - d->ru.ru_nivcsw);
	fflush(stdout);
}

/*
 * Figure 2: @probes extra one-page maps next to the live ones, each step
 * timed over the whole batch: MAP ioctl, mmap, munmap, UNMAP, in
 * microseconds per operation.  Batches, not single calls: in a PV dom0
 * under TCG the xen clocksource often reads a short interval as 0
 * (docs/performance.md).
 */
static int do_probe(int fd, double *v)
{
	struct live *p = calloc(probes, sizeof(*p));
	struct detail d;
	unsigned int i, k, mapped = 0, mm = 0;
	double t[5];
	int r = 0;

	if (!p)
		return ENOMEM;
	t[0] = bench_now_ns();
	/* Refs the live maps use least: the pin limit never bites. */
	for (i = 0; i < probes && !r; i++) {
		r = map_ioctl(fd, &refs[(nlive + i) % NREFS], 1, &p[i].off);
		mapped += !r;
	}
	t[1] = bench_now_ns();
	for (i = 0; i < mapped && !r; i++) {
		p[i].addr = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd,
				 p[i].off);
		if (p[i].addr == MAP_FAILED)
			r = errno;
		else
			mm++;
	}
	if (probe_detail)
		detail_begin(&d);
	t[2] = bench_now_ns();
	for (i = 0; i < mm; i++)
		munmap(p[i].addr, page_size);
	t[3] = bench_now_ns();
	if (probe_detail)
		detail_end(&d, mm, t[3] - t[2]);
	for (i = 0; i < mapped; i++)
		if (unmap_ioctl(fd, p[i].off, 1) && !r)
			r = errno;
	t[4] = bench_now_ns();
	for (k = 0; k < 4; k++)
		v[k] = (t[k + 1] - t[k]) / 1e3 / probes;
	free(p);
	return r;
}

/*
 * Figure 3's control: @n one-page anonymous VMAs that cannot merge (the
 * protection alternates): as many VMAs as @n grant maps, no notifier.
 */
static int do_vmas(unsigned int n)
{
	uint8_t *p = mmap(NULL, (size_t)n * page_size, PROT_READ,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int i;

	if (p == MAP_FAILED)
		return errno;
	for (i = 0; i < n; i += 2)
		if (mprotect(p + (size_t)i * page_size, page_size,
			     PROT_READ | PROT_WRITE))
			return errno;
	return 0;
}

/*
 * Figure 3: mmap, touch and munmap of 4 anonymous pages, ns per round,
 * rounds for @ms.  The pages go into a hole of a PROT_NONE reservation
 * of the worker's own, so that in every worker they have the same
 * neighbours: with mmap(NULL) they merged with whatever anonymous VMA lay
 * next to them in one worker and not in another, a difference of layout,
 * not of drivers.
 */
static int do_anon(unsigned int ms, double *v)
{
	static uint8_t *hole;
	double t0 = bench_now_ns(), t;
	unsigned long rounds = 0;
	unsigned int i;
	uint8_t *p;

	if (!hole) {
		p = mmap(NULL, 64 * page_size, PROT_NONE, MAP_PRIVATE |
			 MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		hole = p + 30 * page_size;
	}
	do {
		p = mmap(hole, 4 * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED)
			return errno;
		for (i = 0; i < 4; i++)
			p[i * page_size] = 1;
		munmap(p, 4 * page_size);
		rounds++;
		t = bench_now_ns();
	} while (rounds < 16 || t - t0 < ms * 1e6);
	*v = (t - t0) / rounds;
	return 0;
}

/*
 * Figure 7: GRANT_COPY of @arg's batch (COPY_ARG) for @ms: one ioctl per
 * batch, segment i between ref i and a local page of its own, every
 * status checked.  v[0]: segments per second, v[1]: MiB/s.
 */
#define COPY_ARG(nseg, len, out) ((nseg) | (len) << 8 | (out) << 24)

static int do_copy(int fd, unsigned int arg, unsigned int ms, double *v)
{
	static struct ioctl_gntdev_grant_copy_segment seg[COPY_MAX];
	static uint8_t *buf;
	unsigned int nseg = arg & 0xff, len = (arg >> 8) & 0xffff;
	bool out = arg >> 24;
	struct ioctl_gntdev_grant_copy c = { .count = nseg, .segments = seg };
	unsigned long batches = 0;
	double t0, t;
	unsigned int i;

	if (!nseg || nseg > COPY_MAX || !len || len > page_size)
		return EINVAL;
	if (!buf) {
		buf = mmap(NULL, COPY_MAX * page_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (buf == MAP_FAILED) {
			buf = NULL;
			return errno;
		}
		memset(buf, 0x5a, COPY_MAX * page_size);
	}
	memset(seg, 0, sizeof(seg));
	for (i = 0; i < nseg; i++) {
		struct ioctl_gntdev_grant_copy_segment *g = &seg[i];

		g->len = len;
		if (out) {
			g->source.virt = buf + (size_t)i * page_size;
			g->dest.foreign.ref = refs[i];
			g->dest.foreign.domid = domid;
			g->flags = GNTCOPY_dest_gref;
		} else {
			g->source.foreign.ref = refs[i];
			g->source.foreign.domid = domid;
			g->dest.virt = buf + (size_t)i * page_size;
			g->flags = GNTCOPY_source_gref;
		}
	}
	t0 = bench_now_ns();
	do {
		for (i = 0; i < nseg; i++)
			seg[i].status = GNTST_general_error;
		if (ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &c))
			return errno;
		for (i = 0; i < nseg; i++)
			if (seg[i].status != GNTST_okay)
				return EIO;
		batches++;
		t = bench_now_ns();
	} while (batches < 3 || t - t0 < ms * 1e6);
	v[0] = batches * nseg / ((t - t0) / 1e9);
	v[1] = v[0] * len / (1024.0 * 1024.0);
	return 0;
}

/* Figure 9: the live windows, oldest first, and where the next one starts. */
static struct live wins[WIN_LIVE + 1];
static unsigned int win_first, win_count, win_serial;

/* Open a window: MAP_GRANT_REF of WIN_PAGES refs, mmap, a read of each page. */
static int win_open(int fd)
{
	static uint32_t r[WIN_PAGES];
	struct live *w = &wins[(win_first + win_count) % (WIN_LIVE + 1)];
	unsigned int start = (win_serial * WIN_PAGES) % WIN_REFS, i;
	volatile uint8_t *p;
	int err;

	if (win_count > WIN_LIVE)
		return ENOSPC;
	for (i = 0; i < WIN_PAGES; i++)
		r[i] = refs[(start + i) % WIN_REFS];
	err = map_ioctl(fd, r, WIN_PAGES, &w->off);
	if (!err)
		err = map_mmap(fd, w->off, WIN_PAGES, PROT_READ | PROT_WRITE,
			       &w->addr);
	if (err)
		return err;
	p = w->addr;
	for (i = 0; i < WIN_PAGES; i++)
		(void)p[(size_t)i * page_size];
	win_serial++;
	win_count++;
	return 0;
}

/* Close the oldest window: munmap, UNMAP_GRANT_REF. */
static int win_close(int fd)
{
	struct live *w = &wins[win_first];

	if (!win_count)
		return ENOENT;
	if (munmap(w->addr, (size_t)WIN_PAGES * page_size))
		return errno;
	win_first = (win_first + 1) % (WIN_LIVE + 1);
	win_count--;
	return unmap_ioctl(fd, w->off, WIN_PAGES);
}

/*
 * Figure 9: open a window and close the oldest, whole cycles for @ms and
 * at least four.
 * v[0..2]: milliseconds per cycle to open, to close, and both.
 */
static int do_win_cycle(int fd, unsigned int ms, double *v)
{
	double t0 = bench_now_ns(), s[3], o = 0, c = 0;
	unsigned long cycles = 0;
	int r;

	do {
		s[0] = bench_now_ns();
		r = win_open(fd);
		s[1] = bench_now_ns();
		if (!r)
			r = win_close(fd);
		s[2] = bench_now_ns();
		if (r)
			return r;
		o += s[1] - s[0];
		c += s[2] - s[1];
		cycles++;
	} while (cycles < 4 || s[2] - t0 < ms * 1e6);
	v[0] = o / cycles / 1e6;
	v[1] = c / cycles / 1e6;
	v[2] = v[0] + v[1];
	return 0;
}

/*
 * A worker on device @ctx (NULL: none).  Figures 1 and 3 take many short
 * samples, a third of the budget each: the host's load swings on a scale
 * of seconds, and a round must fall inside one swing to compare.
 */
static int serve(void *ctx, int op, unsigned int arg, double *v)
{
	unsigned int ms = budget_ms / 3 ? budget_ms / 3 : 1;
	static int fd = -1;

	if (!live)
		live = calloc(MAX_LIVE, sizeof(*live));
	if (!live)
		return ENOMEM;
	if (ctx && fd < 0)
		fd = open(ctx, O_RDWR | O_CLOEXEC);
	worker_dev = ctx;
	if (ctx && fd < 0)
		return errno;
	switch (op) {
	case W_CYCLE:
		return do_cycle(fd, arg, ms, v);
	case W_GROW:
		return do_grow(fd, arg);
	case W_PROBE:
		return do_probe(fd, v);
	case W_ANON:
		return do_anon(ms, v);
	case W_VMAS:
		return do_vmas(arg);
	case W_COPY:
		return do_copy(fd, arg, ms, v);
	case W_WIN_SETUP:
		while (win_count < arg) {
			int r = win_open(fd);

			if (r)
				return r;
		}
		return 0;
	case W_WIN_CYCLE:
		return do_win_cycle(fd, ms, v);
	}
	return EINVAL;
}

/* ---- parent side ---- */

/*
 * Start worker w[i] on paths[i], each of the @n in index order, or with
 * @reverse the last first: the side a worker serves is its index, the
 * order only says which of them is started first.
 */
static int start(struct bench_worker *w, const char *const *paths,
		 unsigned int n, const char *fig, bool reverse)
{
	unsigned int k, i;

	for (k = 0; k < n; k++) {
		i = reverse ? n - 1 - k : k;
		if (bench_worker_start(&w[i], serve, (void *)paths[i])) {
			bench_check(false, "%s: cannot start workers", fig);
			while (k--)
				bench_worker_stop(&w[reverse ? n - 1 - k : k]);
			return -1;
		}
	}
	return 0;
}

static void stop(struct bench_worker *w, unsigned int n)
{
	while (n--)
		bench_worker_stop(&w[n]);
}

/*
 * A figure of two workers (and figure 2's third) takes its @n rounds in
 * sets(n) worker sets: set k takes rounds [n k / sets, n (k + 1) / sets)
 * from workers of its own, started in index order when k is even and in
 * the reverse order when it is odd, so that whatever makes the
 * first-started worker slower (benchlib.h) hits each side in half of the
 * rounds.  A set's workers are stopped before the next set's start: a
 * figure's maps never coexist across sets, within Xen's pin limit as with
 * one set.  Many sets, because worker processes differ in speed beyond
 * the round-to-round noise, up to 3 times on the same driver under TCG
 * (docs/performance.md, figure 2): a ratio from one pair of processes is
 * partly that pair's, not the drivers'.
 */
static unsigned int sets(unsigned int n)
{
	unsigned int k = nsets < n ? nsets : n & ~1u;

	return k ? k : 1;
}

static unsigned int set_r0(unsigned int n, unsigned int set)
{
	return bench_set_r0(n, set, sets(n));
}

static unsigned int set_len(unsigned int n, unsigned int set)
{
	return set_r0(n, set + 1) - set_r0(n, set);
}

/*
 * bench_emit_paired() of a figure's @n rounds taken in worker sets, and
 * each set's ratio apart.
 */
static void emit(const char *name, const char *unit, const double *ours,
		 const double *baseline, unsigned int n, bool higher_better,
		 long nval, const char *op)
{
	bench_emit_paired(name, unit, ours, baseline, n, higher_better, nval,
			  op);
	bench_note_sets(name, ours, baseline, n, sets(n), higher_better);
}

/*
 * The @n rounds of @nent entries of a two-worker figure in sets, entry
 * i being op @op with args[i], into s[i]; err[i] is an entry's first
 * errno, after which its rounds are not taken.  -1 if the workers of a
 * set did not start (start() has said so).
 */
static int rounds_in_sets(const char *fig, unsigned int n, int op,
			  const unsigned int *args, unsigned int nent,
			  struct bench_samples (*s)[2], int *err)
{
	const char *paths[2] = { ours_path, base_path };
	struct bench_worker w[2];
	unsigned int h, i;

	for (h = 0; h < sets(n); h++) {
		if (!set_len(n, h))
			continue;
		if (start(w, paths, 2, fig, h & 1))
			return -1;
		for (i = 0; i < nent; i++)
			if (!err[i])
				err[i] = bench_worker_rounds_at(w, 2,
						set_r0(n, h), set_len(n, h),
						op, args[i], s[i], NULL);
		stop(w, 2);
	}
	return 0;
}

/* Rounds of short samples: five per repeat, at least 40, at most 64. */
static unsigned int short_rounds(void)
{
	unsigned int n = repeats * 5;

	return n < 40 ? 40 : n > 64 ? 64 : n;
}

/* Figure 1: pages/s of a full map cycle of 1, 16, 256 pages, and its steps. */
static void figure1(void)
{
	static const unsigned int sizes[] = { 1, 16, 256 };
	static struct bench_samples s[3][2];
	unsigned int n1 = short_rounds(), i, k;
	int err[3] = { 0 };
	char name[64];

	if (rounds_in_sets("fig1", n1, W_CYCLE, sizes, 3, s, err))
		return;
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "fig1-map-cycle-%up", sizes[i]);
		if (err[i]) {
			bench_missing(name, "pages/s", "map cycle failed: %s",
				      strerror(err[i]));
			continue;
		}
		emit(name, "pages/s", s[i][0].v[0], s[i][1].v[0], n1, true, -1,
		     NULL);
		for (k = 0; k < 5; k++) {
			snprintf(name, sizeof(name), "fig1-phase-%s-%up",
				 f1_phase[k], sizes[i]);
			emit(name, "us", s[i][0].v[k + 1], s[i][1].v[k + 1],
			     n1, false, sizes[i], f1_phase[k]);
		}
	}
}

/*
 * Figure 2's worker set @h (set_r0()): its rounds of ns[0] .. ns[@upto - 1]
 * of the @nn, into ss[i]: its workers, started afresh, grow to each N in
 * turn.  How many N were measured (the next failed with *@err, on side
 * *@who), or -1 if the workers did not start.
 */
static int fig2_set(const unsigned int *ns, unsigned int nn,
		    unsigned int upto, unsigned int h,
		    struct bench_samples (*ss)[3], int *err,
		    unsigned int *who)
{
	const char *paths[3] = { ours_path, base_path, ours_path };
	double v[BENCH_MAX_VALUES];
	struct bench_worker w[3];
	unsigned int i, nw, r0 = set_r0(repeats, h), nh = set_len(repeats, h);

	*err = 0;
	if (start(w, paths, 3, "fig2", h & 1))
		return -1;
	for (i = 0; i < upto; i++) {
		/* Grow each by one less: the probe itself is the N-th map. */
		for (*who = 0; *who < 2; ++*who) {
			*err = bench_worker_do(&w[*who], W_GROW, ns[i] - 1, v);
			if (*err)
				break;
		}
		nw = i == nn - 1 && ns[i] > 1 ? 3 : 2;
		if (!*err)
			*err = bench_worker_rounds_at(w, nw, r0, nh, W_PROBE, 0,
						      ss[i], who);
		if (*err)
			break;
	}
	stop(w, 3);
	return i;
}

/*
 * Figure 2: latencies next to N live one-page maps on one file.  A third
 * worker, on our device with no map but the probe's, joins the rounds of
 * the largest N: fig2-scaling-<op> compares ours there with ours at N=1
 * under the same load, paired like every other ratio.  Each worker set
 * grows its workers through the N values anew, so an N's entries wait for
 * the last set; an N that failed in one set is not tried in the next.
 */
static void figure2(const unsigned int *ns, unsigned int nn)
{
	static const char *const side[3] = { "ours", "baseline", "ours at N=1" };
	static struct bench_samples ss[8][3];
	unsigned int h, i, k, who = 0, hwho = 0, nw, done = nn;
	struct bench_samples *s;
	char name[64];
	int err = 0, herr, e, m;

	/* ns[done], if any, failed with err on side who. */
	for (h = 0; h < sets(repeats) && done; h++) {
		if (!set_len(repeats, h))
			continue;
		m = fig2_set(ns, nn, done, h, ss, &herr, &hwho);
		if (m < 0)
			return;		/* start() has said why */
		if ((unsigned int)m < done) {
			done = m;
			err = herr;
			who = hwho;
		}
	}
	for (i = 0; i < nn && i <= done; i++) {
		s = ss[i];
		nw = i == nn - 1 && ns[i] > 1 ? 3 : 2;
		e = i == done ? err : 0;
		for (k = 0; k < 4; k++) {
			snprintf(name, sizeof(name), "fig2-%s-n%u", f2_op[k],
				 ns[i]);
			if (e)
				bench_missing(name, "us", "%s at N=%u: %s",
					      side[who], ns[i], strerror(e));
			else
				emit(name, "us", s[0].v[k], s[1].v[k], repeats,
				     false, ns[i], f2_op[k]);
		}
		for (k = 0; nw == 3 && k < 4; k++) {
			snprintf(name, sizeof(name), "fig2-scaling-%s",
				 f2_op[k]);
			if (e)
				bench_missing(name, "us", "%s at N=%u: %s",
					      side[who], ns[i], strerror(e));
			else
				emit(name, "us", s[0].v[k], s[2].v[k], repeats,
				     false, ns[i], f2_op[k]);
		}
	}
}

/*
 * Figure 3: anonymous mmap+munmap in a process with 1024 live grant maps,
 * against the same program with none.  Three more workers tell the
 * causes apart: 1024 stock maps, 1024 plain anonymous VMAs (as many VMAs,
 * no notifier), and 1023 plain VMAs plus one gntmap map (as many VMAs, our
 * notifier registered, one subscription in its tree).  Ours against the
 * last is what the 1023 other subscriptions cost: the notifier lookup,
 * the part of the tax that is gntmap's own.
 */
static void figure3(void)
{
	enum { OURS, BASE, NONE, VMAS, VMAS1 };
	static const struct { const char *name; int a, b; } pairs[] = {
		{ "fig3-anon-tax", OURS, NONE },
		{ "fig3-anon-vs-stock", OURS, BASE },
		{ "fig3-anon-vs-vmas", OURS, VMAS },
		{ "fig3-vmas-only-tax", VMAS, NONE },
		{ "fig3-lookup-tax", OURS, VMAS1 },
		{ "fig3-notifier-tax", VMAS1, VMAS },
	};
	static const struct { int w, op; unsigned int arg; } setup[] = {
		{ OURS, W_GROW, 1024 }, { BASE, W_GROW, 1024 },
		{ VMAS, W_VMAS, 1024 }, { VMAS1, W_VMAS, 1023 },
		{ VMAS1, W_GROW, 1 },
	};
	const char *paths[5] = { ours_path, base_path, NULL, NULL, ours_path };
	unsigned int n3 = short_rounds(), i;
	struct bench_samples s[5];
	struct bench_worker w[5];
	double *v = s[0].v[0];
	int err;

	if (start(w, paths, 5, "fig3", false))
		return;
	for (i = 0, err = 0; i < 5 && !err; i++)
		err = bench_worker_do(&w[setup[i].w], setup[i].op, setup[i].arg,
				      v);
	if (!err)
		err = bench_worker_rounds(w, 5, n3, W_ANON, 0, s, NULL);
	if (err)
		bench_missing("fig3-anon-tax", "ns", "%s", strerror(err));
	for (i = 0; i < 6 && !err; i++)
		bench_emit_paired(pairs[i].name, "ns", s[pairs[i].a].v[0],
				  s[pairs[i].b].v[0], n3, false, 1024, NULL);
	stop(w, 5);
}

/*
 * Figure 7: GRANT_COPY, segments per second and MiB/s, for batches of 1,
 * 16 and 64 segments of 512 B and 4 KiB, from the domU (a ref to a local
 * page: "in") and to it ("out"), in the rounds of figure 1.
 */
static void figure7(void)
{
	static const unsigned int batch[] = { 1, 16, 64 }, len[] = { 512, 4096 };
	static const char *const dir[] = { "in", "out" };
	static struct bench_samples s[12][2];
	unsigned int n7 = short_rounds(), d, l, b, i, args[12];
	char name[64], op[16];
	int err[12] = { 0 };

	/* Entry i is direction d, length l, batch b: i = 6d + 3l + b. */
	for (i = 0; i < 12; i++)
		args[i] = COPY_ARG(batch[i % 3], len[i / 3 % 2], i / 6);
	if (rounds_in_sets("fig7", n7, W_COPY, args, 12, s, err))
		return;
	for (i = 0; i < 12; i++) {
		d = i / 6;
		l = i / 3 % 2;
		b = i % 3;
		snprintf(op, sizeof(op), "%s-%u", dir[d], len[l]);
		snprintf(name, sizeof(name), "fig7-copy-%s-%ub-x%u", dir[d],
			 len[l], batch[b]);
		if (err[i]) {
			bench_missing(name, "segments/s",
				      "grant copy failed: %s",
				      strerror(err[i]));
			continue;
		}
		emit(name, "segments/s", s[i][0].v[0], s[i][1].v[0], n7, true,
		     batch[b], op);
		snprintf(name, sizeof(name), "fig7-mibs-%s-%ub-x%u", dir[d],
			 len[l], batch[b]);
		emit(name, "MiB/s", s[i][0].v[1], s[i][1].v[1], n7, true,
		     batch[b], op);
	}
}

/*
 * Figure 9: WIN_LIVE live windows of WIN_PAGES pages in each worker, then
 * cycles of opening a new one and closing the oldest, in the rounds of
 * figure 1: the latency of open, of close, and of the whole cycle.
 */
static void figure9(void)
{
	static const char *const what[3] = { "open", "close", "cycle" };
	const char *paths[2] = { ours_path, base_path };
	unsigned int n9 = short_rounds(), h, k, who = 0;
	double v[BENCH_MAX_VALUES];
	struct bench_samples s[2];
	struct bench_worker w[2];
	char name[64];
	int err = 0;

	for (h = 0; h < sets(n9) && !err; h++) {
		if (!set_len(n9, h))
			continue;
		if (start(w, paths, 2, "fig9", h & 1))
			return;
		for (who = 0; who < 2; who++) {
			err = bench_worker_do(&w[who], W_WIN_SETUP, WIN_LIVE,
					      v);
			if (err)
				break;
		}
		if (!err)
			err = bench_worker_rounds_at(w, 2, set_r0(n9, h),
						     set_len(n9, h),
						     W_WIN_CYCLE, 0, s, &who);
		stop(w, 2);
	}
	for (k = 0; k < 3; k++) {
		snprintf(name, sizeof(name), "fig9-window-%s", what[k]);
		if (err)
			bench_missing(name, "ms", "%s: %s",
				      who ? "baseline" : "ours", strerror(err));
		else
			emit(name, "ms", s[0].v[k], s[1].v[k], n9, false,
			     WIN_LIVE, what[k]);
	}
}

/* NULL if both devices open, else why not. */
static const char *dev_missing(void)
{
	const char *p[2] = { ours_path, base_path };
	static char why[160];
	int i, fd;

	for (i = 0; i < 2; i++) {
		fd = open(p[i], O_RDWR);
		if (fd < 0) {
			snprintf(why, sizeof(why), "%s: %s", p[i],
				 strerror(errno));
			return why;
		}
		close(fd);
	}
	return NULL;
}

/*
 * How often back-to-back clock reads return the same time, and what a
 * read costs: the reason short calls are never timed alone here.
 */
static void clock_check(void)
{
	double prev = bench_now_ns(), t, t0 = prev;
	unsigned int same = 0, i;

	for (i = 0; i < 10000; i++) {
		t = bench_now_ns();
		same += t == prev;
		prev = t;
	}
	printf("# clock: %u of 10000 back-to-back CLOCK_MONOTONIC reads repeated "
	       "the previous value; %.1f ns per read\n", same,
	       (prev - t0) / 10000);
}

/* gntmap's own counters (docs/gntmap.md), for profiling a figure. */
static void gntmap_counters(const char *when)
{
	const char *name;
	unsigned int i;
	char dir[160];
	long v;

	gntmap_counters_dir(dir, sizeof(dir), "gntmap");
	printf("# gntmap counters %s:", when);
	for (i = 0; (name = gntmap_counter_name(i)); i++) {
		v = gntmap_counter_read(dir, name);
		if (v >= 0)
			printf(" %s=%ld", name, v);
	}
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	unsigned int ns[8] = { 1, 64, 1024, 8192 }, nn = 4, figs[8], nf = 0;
	const char *domain = "sharer", *tag = NULL;
	const struct bench_opt opts[] = {
		BENCH_STR("domain", 'd', "NAME", "sharer domain", &domain),
		BENCH_NUM("repeats", 'r', "N",
			  "A/B rounds of figure 2; figures 1, 3, 7, 9: 5 x N in 40..64",
			  &repeats, 1, BENCH_MAX_ROUNDS),
		BENCH_NUM("probes", 'p', "N", "maps per latency batch", &probes,
			  1, 10000),
		BENCH_NUM("budget-ms", 'b', "MS", "3 x the time of a sample",
			  &budget_ms, 1, 60000),
		BENCH_LIST("figures", 'f', "LIST",
			   "figures to run (1,2,3,7,9)", figs, &nf, 8, 1, 9),
		BENCH_LIST("scale", 'n', "LIST",
			   "N values of figure 2 (1,64,1024,8192)", ns, &nn, 8,
			   1, MAX_LIVE),
		BENCH_NUM("sets", 's', "N",
			  "worker sets of figures 1, 2, 7, 9 (even)", &nsets,
			  2, 16),
		BENCH_FLAG("probe-detail", 256,
			   "figure 2: each worker prints its munmap batches' CPU time, runqueue wait and context switches",
			   &probe_detail),
		BENCH_STR("tag", 't', "TAG",
			  "name results figN-TAG-... (e.g. pvh)", &tag),
		{ NULL },
	};
	static const char *const unit[10] = { "", "pages/s", "us", "ns", NULL,
					      NULL, NULL, "segments/s", NULL,
					      "ms" };
	const char *why;
	struct testdom *td;
	bool want[10];
	char fig[8];
	int r, i;

	i = bench_options(argc, argv, opts, "OURS_DEV BASELINE_DEV", 2,
			  "Figures 1-3, 7 and 9 of make bench: map cycles, latency against\n"
			  "the number of live maps, the tax on anonymous mmap, grant copy\n"
			  "and window-sized maps, for two gntdev-ABI\n"
			  "devices in the same boot (e.g. /dev/xen/gntmap /dev/xen/gntdev),\n"
			  "over grants of the test domain's sharer.  Figures 1, 2, 7 and 9\n"
			  "take half their rounds with the workers started in the reverse\n"
			  "order (--sets worker sets, alternating).  Prints TAP; each\n"
			  "figure's JSON follows '# BENCH '.\n");
	ours_path = argv[i];
	base_path = argv[i + 1];
	/* The tag lands in JSON and in file names: keep it plain. */
	if (tag && (!*tag || strlen(tag) > 16 ||
		    tag[strspn(tag, "abcdefghijklmnopqrstuvwxyz0123456789")])) {
		fprintf(stderr, "gntbench: bad value '%s' for --tag\n", tag);
		return 2;
	}
	if (nsets % 2) {
		fprintf(stderr, "gntbench: bad value '%u' for --sets (even)\n",
			nsets);
		return 2;
	}
	bench_set_tag(tag);
	for (i = 0; i < 10; i++)
		want[i] = unit[i] && *unit[i] && !nf;
	for (i = 0; i < (int)nf; i++) {
		if (!unit[figs[i]]) {
			fprintf(stderr, "gntbench: no figure %u (1,2,3,7,9)\n",
				figs[i]);
			return 2;
		}
		want[figs[i]] = true;
	}
	page_size = sysconf(_SC_PAGESIZE);
	bench_env();
	clock_check();

	why = dev_missing();
	/* Nothing to compare: say why for every figure asked. */
	for (i = 1; why && i < 10; i++) {
		snprintf(fig, sizeof(fig), "fig%d", i);
		if (want[i])
			bench_missing(fig, unit[i], "%s", why);
	}
	if (why)
		return bench_done();
	td = testdom_open(domain, 120000);
	if (!td) {
		bench_check(false, "sharer: testdom_open(%s): %s", domain,
			    strerror(errno));
		return bench_done();
	}
	domid = testdom_domid(td);
	/* Figure 9 needs the domain's largest share; the others NREFS. */
	if (want[9])
		nrefs = WIN_REFS;
	r = testdom_share(td, nrefs, true, 0x6e7b, refs);
	if (r) {
		bench_check(false, "sharer: share %u pages: %s", nrefs,
			    strerror(-r));
		testdom_close(td);
		return bench_done();
	}
	gntmap_counters("before");
	if (want[1])
		figure1();
	gntmap_counters("after figure 1");
	if (want[2])
		figure2(ns, nn);
	if (want[3])
		figure3();
	if (want[7])
		figure7();
	if (want[9])
		figure9();
	gntmap_counters("at the end");
	/* Every worker has exited: the domU must get every page back. */
	r = testdom_end_all_wait(td, 30000);
	bench_check(r == 0, "gntbench: no grant leaked (%d still mapped)", r);
	testdom_close(td);
	return bench_done();
}
