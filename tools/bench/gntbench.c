// SPDX-License-Identifier: GPL-2.0
/*
 * gntbench: figures 1-3 of `make bench` (docs/performance.md), in dom0.
 *
 * Two gntdev-ABI devices, ours (gntmap) and the baseline (stock
 * xen-gntdev), are driven through the raw ioctl ABI by the same code.  Each
 * device gets its own worker process, so that one driver's notifier never
 * sits in the mm the other one is timed in; the parent alternates the
 * workers (A B A B ...) and takes the median of the repeats.
 *
 * Output is TAP: one result per figure entry, preceded by its JSON line
 * as a "# BENCH {...}" diagnostic, which the harness keeps in the stage's
 * TAP file and tools/bench/collect.sh reads back on the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/sys/gntdev.h>

#include "testdom.h"
#include "benchout.h"
#include "gntmap_counters.h"

/* The system page: one grant per page of a mapping. */
static size_t page_size;
/* Enough refs that N maps stay far below Xen's 64 pins per grant. */
#define NREFS		512u
#define MAX_LIVE	8192u

enum wop { W_QUIT, W_CYCLE, W_GROW, W_PROBE, W_ANON, W_VMAS };

struct wcmd {
	int op;
	unsigned int arg;
	unsigned int budget_ms;
};

struct wreply {
	int err;		/* 0 or an errno */
	double v[6];
};

struct worker {
	const char *label;	/* for messages */
	const char *path;	/* NULL: a process with no device */
	pid_t pid;
	int to, from;		/* pipes */
};

/* The steps of a map cycle, timed apart in figure 1. */
#define F1_PHASES	5
static const char *const f1_phase[F1_PHASES] = { "map-ioctl", "mmap",
	"touch", "munmap", "unmap-ioctl" };

static uint32_t domid;
static uint32_t refs[NREFS];
static unsigned int repeats = 5;
static unsigned int probes = 16;
static unsigned int budget_ms = 150;

/* ---- the raw ABI, as every gntdev client sees it ---- */

static int map_ioctl(int fd, const uint32_t *r, unsigned int n, uint64_t *off)
{
	struct ioctl_gntdev_map_grant_ref *m;
	size_t sz = sizeof(*m) + (n - 1) * sizeof(m->refs[0]);
	unsigned int i;
	int ret = 0;

	m = calloc(1, sz);
	if (!m)
		return -ENOMEM;
	m->count = n;
	for (i = 0; i < n; i++) {
		m->refs[i].domid = domid;
		m->refs[i].ref = r[i];
	}
	if (ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, m))
		ret = -errno;
	else
		*off = m->index;
	free(m);
	return ret;
}

static int unmap_ioctl(int fd, uint64_t off, unsigned int n)
{
	struct ioctl_gntdev_unmap_grant_ref u = { .index = off, .count = n };

	return ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &u) ? -errno : 0;
}

/* ---- worker side ---- */

struct live {
	void *addr;
	uint64_t off;
};

static struct live *live;
static unsigned int nlive;

/*
 * Figure 1: map, mmap, touch, munmap, unmap of @n pages.  out[0]: pages
 * per second; out[1..5]: microseconds per cycle spent in each of the five
 * steps, in that order, to say where a driver's time goes.
 */
static int do_cycle(int fd, unsigned int n, unsigned int ms, double *out)
{
	double t0 = bench_now_ns(), t, ph[F1_PHASES] = { 0 }, s[F1_PHASES + 1];
	unsigned long cycles = 0;
	volatile uint8_t sink;
	unsigned int i;
	uint64_t off = 0;
	uint8_t *p;
	int r;

	do {
		s[0] = bench_now_ns();
		r = map_ioctl(fd, refs, n, &off);
		if (r)
			return -r;
		s[1] = bench_now_ns();
		p = mmap(NULL, (size_t)n * page_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, off);
		if (p == MAP_FAILED) {
			r = errno;
			unmap_ioctl(fd, off, n);
			return r;
		}
		s[2] = bench_now_ns();
		for (i = 0; i < n; i++)
			sink = p[(size_t)i * page_size];
		(void)sink;
		s[3] = bench_now_ns();
		munmap(p, (size_t)n * page_size);
		s[4] = bench_now_ns();
		r = unmap_ioctl(fd, off, n);
		if (r)
			return -r;
		cycles++;
		t = s[5] = bench_now_ns();
		for (i = 0; i < F1_PHASES; i++)
			ph[i] += s[i + 1] - s[i];
	} while (cycles < 3 || t - t0 < ms * 1e6);
	out[0] = cycles * n / ((t - t0) / 1e9);
	for (i = 0; i < F1_PHASES; i++)
		out[i + 1] = ph[i] / cycles / 1e3;
	return 0;
}

/* Figure 2/3: keep @n one-page maps live, spread over every ref. */
static int do_grow(int fd, unsigned int n)
{
	uint64_t off = 0;
	void *p;
	int r;

	while (nlive < n) {
		r = map_ioctl(fd, &refs[nlive % NREFS], 1, &off);
		if (r)
			return -r;
		p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, off);
		if (p == MAP_FAILED) {
			r = errno;
			unmap_ioctl(fd, off, 1);
			return r;
		}
		live[nlive].addr = p;
		live[nlive].off = off;
		nlive++;
	}
	return 0;
}

/*
 * Figure 2: @probes extra one-page maps next to the live ones, each step
 * timed over the whole batch: MAP ioctl, mmap, munmap, UNMAP, in
 * microseconds per operation.  Batches, not single calls: in a PV dom0
 * under TCG the TSCs are unsynchronized and the xen clocksource clamps a
 * read that would go backwards to the last value returned, so a short
 * interval often reads as 0 (docs/performance.md).
 */
static int do_probe(int fd, double out[4])
{
	struct live *p = calloc(probes, sizeof(*p));
	unsigned int i, k, mapped = 0, mm = 0;
	double t[5];
	int r = 0;

	if (!p)
		return ENOMEM;
	t[0] = bench_now_ns();
	for (i = 0; i < probes && !r; i++) {
		/* Refs the live maps use least: the pin limit never bites. */
		r = -map_ioctl(fd, &refs[(nlive + i) % NREFS], 1, &p[i].off);
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
	t[2] = bench_now_ns();
	for (i = 0; i < mm; i++)
		munmap(p[i].addr, page_size);
	t[3] = bench_now_ns();
	for (i = 0; i < mapped; i++)
		if (unmap_ioctl(fd, p[i].off, 1) && !r)
			r = errno;
	t[4] = bench_now_ns();
	for (k = 0; k < 4 && !r; k++)
		out[k] = (t[k + 1] - t[k]) / 1e3 / probes;
	free(p);
	return r;
}

/*
 * Figure 3's control: @n one-page anonymous VMAs that cannot merge (the
 * protection alternates), so the mm has as many VMAs as with @n grant
 * maps but no notifier at all.
 */
static int do_vmas(unsigned int n)
{
	unsigned int i;
	uint8_t *p;

	p = mmap(NULL, (size_t)n * page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return errno;
	for (i = 0; i < n; i += 2)
		if (mprotect(p + (size_t)i * page_size, page_size, PROT_READ | PROT_WRITE))
			return errno;
	return 0;
}

/*
 * Figure 3: mmap, touch and munmap of 4 anonymous pages; ns per round.
 * The pages go into a hole of a PROT_NONE reservation of the worker's
 * own, so that in every worker they have the same neighbours: with
 * mmap(NULL) they merged with whatever anonymous VMA happened to be next
 * to them in one worker and not in another, and each munmap then split
 * a VMA or did not, a difference of layout, not of drivers.
 */
static int do_anon(unsigned int ms, double *out)
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
	*out = (t - t0) / rounds;
	return 0;
}

static void worker_main(const char *path, int in, int outfd)
{
	struct wcmd c;
	struct wreply rep;
	int fd = -1;

	live = calloc(MAX_LIVE, sizeof(*live));
	if (path)
		fd = open(path, O_RDWR | O_CLOEXEC);
	while (read(in, &c, sizeof(c)) == sizeof(c)) {
		memset(&rep, 0, sizeof(rep));
		if (c.op == W_QUIT)
			break;
		if (!live || (path && fd < 0)) {
			rep.err = live ? ENODEV : ENOMEM;
		} else {
			switch (c.op) {
			case W_CYCLE:
				rep.err = do_cycle(fd, c.arg, c.budget_ms,
						   &rep.v[0]);
				break;
			case W_GROW:
				rep.err = c.arg > MAX_LIVE ? E2BIG :
					  do_grow(fd, c.arg);
				break;
			case W_PROBE:
				rep.err = do_probe(fd, rep.v);
				break;
			case W_ANON:
				rep.err = do_anon(c.budget_ms, &rep.v[0]);
				break;
			case W_VMAS:
				rep.err = do_vmas(c.arg);
				break;
			default:
				rep.err = EINVAL;
			}
		}
		if (write(outfd, &rep, sizeof(rep)) != sizeof(rep))
			break;
	}
	/* Exit unmaps everything: the driver's release path is not timed. */
	_exit(0);
}

/* ---- parent side ---- */

static int worker_start(struct worker *w)
{
	int a[2], b[2];

	if (pipe(a) || pipe(b))
		return -errno;
	w->pid = fork();
	if (w->pid < 0)
		return -errno;
	if (!w->pid) {
		close(a[1]);
		close(b[0]);
		worker_main(w->path, a[0], b[1]);
	}
	close(a[0]);
	close(b[1]);
	w->to = a[1];
	w->from = b[0];
	return 0;
}

static void worker_stop(struct worker *w)
{
	struct wcmd c = { .op = W_QUIT };

	if (w->pid <= 0)
		return;
	if (write(w->to, &c, sizeof(c)) != sizeof(c))
		kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	close(w->to);
	close(w->from);
	w->pid = 0;
}

/* One command; 0 and @rep, or an errno. */
static int worker_do(struct worker *w, int op, unsigned int arg,
		     struct wreply *rep)
{
	struct wcmd c = { .op = op, .arg = arg, .budget_ms = budget_ms };

	if (write(w->to, &c, sizeof(c)) != sizeof(c) ||
	    read(w->from, rep, sizeof(*rep)) != sizeof(*rep))
		return EPIPE;
	return rep->err;
}

static const char *ours_path, *base_path;

static bool dev_ok(const char *path, const char **why)
{
	static char buf[160];
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		snprintf(buf, sizeof(buf), "%s: %s", path, strerror(errno));
		*why = buf;
		return false;
	}
	close(fd);
	return true;
}

/*
 * Rounds of short samples for figures 1 and 3: five per repeat, at least
 * 40 (ratios near 1 need them; a round costs well under a second) and at
 * most the 64 the arrays hold.
 */
static unsigned int short_rounds(void)
{
	unsigned int n = repeats * 5;

	return n < 40 ? 40 : n > 64 ? 64 : n;
}

/*
 * Figure 1: pages per second of a full map cycle, 1, 16, 256 pages, and
 * the time of each step of the cycle (fig1-phase-*, no target).  As in
 * figure 3, many short samples: the host's load swings on a scale of
 * seconds, and an A B pair must fall inside one swing to compare.
 */
static void figure1(void)
{
	static const unsigned int sizes[] = { 1, 16, 256 };
	struct worker a = { .label = "ours", .path = ours_path };
	struct worker b = { .label = "base", .path = base_path };
	unsigned int n1 = short_rounds();
	double va[F1_PHASES + 1][64], vb[F1_PHASES + 1][64];
	unsigned int saved_budget = budget_ms;
	struct wreply ra, rb;
	char name[64];
	unsigned int s, r, k;
	int err = 0;

	if (worker_start(&a) || worker_start(&b)) {
		bench_fail("fig1", "cannot start workers");
		return;
	}
	budget_ms = budget_ms / 3 ? budget_ms / 3 : 1;
	for (s = 0; s < 3; s++) {
		snprintf(name, sizeof(name), "fig1-map-cycle-%up", sizes[s]);
		for (r = 0; r < n1; r++) {
			/* Who goes first alternates too. */
			struct worker *x = r % 2 ? &b : &a, *y = r % 2 ? &a : &b;
			struct wreply *rx = r % 2 ? &rb : &ra;
			struct wreply *ry = r % 2 ? &ra : &rb;

			err = worker_do(x, W_CYCLE, sizes[s], rx);
			if (err)
				break;
			err = worker_do(y, W_CYCLE, sizes[s], ry);
			if (err)
				break;
			for (k = 0; k <= F1_PHASES; k++) {
				va[k][r] = ra.v[k];
				vb[k][r] = rb.v[k];
			}
		}
		if (err) {
			bench_missing(name, "pages/s", "map cycle failed: %s",
				      strerror(err));
			continue;
		}
		bench_emit_paired(name, "pages/s", va[0], vb[0], n1, true, -1,
				  NULL);
		for (k = 0; k < F1_PHASES; k++) {
			snprintf(name, sizeof(name), "fig1-phase-%s-%up",
				 f1_phase[k], sizes[s]);
			bench_emit_paired(name, "us", va[k + 1], vb[k + 1], n1,
					  false, sizes[s], f1_phase[k]);
		}
	}
	budget_ms = saved_budget;
	worker_stop(&a);
	worker_stop(&b);
}

/* Figure 2: latencies next to N live one-page maps on one file. */
static void figure2(const unsigned int *ns, unsigned int nn)
{
	static const char *const ops[4] = { "map-ioctl", "mmap", "munmap",
					    "unmap-ioctl" };
	struct worker a = { .label = "ours", .path = ours_path };
	struct worker b = { .label = "base", .path = base_path };
	double va[4][64], vb[4][64];
	struct wreply ra, rb;
	char name[64];
	unsigned int i, r, k;
	int err = 0;

	if (worker_start(&a) || worker_start(&b)) {
		bench_fail("fig2", "cannot start workers");
		return;
	}
	for (i = 0; i < nn; i++) {
		/* Grow each by one less: the probe itself is the N-th map. */
		unsigned int keep = ns[i] - 1;
		const char *who = "ours";

		err = worker_do(&a, W_GROW, keep, &ra);
		if (!err) {
			who = "baseline";
			err = worker_do(&b, W_GROW, keep, &rb);
		}
		for (r = 0; r < repeats && !err; r++) {
			who = "ours";
			err = worker_do(&a, W_PROBE, 0, &ra);
			if (err)
				break;
			who = "baseline";
			err = worker_do(&b, W_PROBE, 0, &rb);
			for (k = 0; k < 4 && !err; k++) {
				va[k][r] = ra.v[k];
				vb[k][r] = rb.v[k];
			}
		}
		for (k = 0; k < 4; k++) {
			snprintf(name, sizeof(name), "fig2-%s-n%u", ops[k],
				 ns[i]);
			if (err)
				bench_missing(name, "us", "%s at N=%u: %s",
					      who, ns[i], strerror(err));
			else
				bench_emit(name, "us", bench_median(va[k], repeats),
					   bench_median(vb[k], repeats), false,
					   repeats, ns[i], ops[k]);
		}
		if (err)
			break;
	}
	worker_stop(&a);
	worker_stop(&b);
}

/*
 * Figure 3: anonymous mmap+munmap in a process with 1024 live grant maps,
 * against the same program with none.  Three more workers tell the
 * causes apart: one holds 1024 stock maps, one 1024 plain anonymous VMAs
 * (as many VMAs, no notifier), one 1023 plain VMAs and one gntmap map (as
 * many VMAs, our notifier registered, one subscription in its tree).
 * Ours against the last is what the 1023 other subscriptions cost: the
 * notifier lookup, the part of the tax that is gntmap's own.
 */
static void figure3(void)
{
	struct worker w[5] = { { .label = "ours", .path = ours_path },
			       { .label = "base", .path = base_path },
			       { .label = "none" }, { .label = "vmas" },
			       { .label = "vmas+1", .path = ours_path } };
	unsigned int n3 = short_rounds();
	unsigned int saved_budget = budget_ms;
	double v[5][64];
	struct wreply rep;
	unsigned int r, i, j;
	int err = 0;

	for (i = 0; i < 5; i++)
		if (worker_start(&w[i])) {
			bench_fail("fig3", "cannot start workers");
			return;
		}
	err = worker_do(&w[0], W_GROW, 1024, &rep);
	if (!err)
		err = worker_do(&w[1], W_GROW, 1024, &rep);
	if (!err)
		err = worker_do(&w[3], W_VMAS, 1024, &rep);
	if (!err)
		err = worker_do(&w[4], W_VMAS, 1023, &rep);
	if (!err)
		err = worker_do(&w[4], W_GROW, 1, &rep);
	/*
	 * Short samples, many rounds, the first worker of a round rotating:
	 * the host's load changes on a scale of seconds, and a round of five
	 * workers must fit well inside it.
	 */
	budget_ms = budget_ms / 3 ? budget_ms / 3 : 1;
	for (r = 0; r < n3 && !err; r++)
		for (j = 0; j < 5 && !err; j++) {
			i = (r + j) % 5;
			err = worker_do(&w[i], W_ANON, 0, &rep);
			v[i][r] = rep.v[0];
		}
	budget_ms = saved_budget;
	if (err) {
		bench_missing("fig3-anon-tax", "ns", "%s", strerror(err));
	} else {
		/* Each pair was measured in the same round. */
		bench_emit_paired("fig3-anon-tax", "ns", v[0], v[2], n3, false,
				  1024, NULL);
		bench_emit_paired("fig3-anon-vs-stock", "ns", v[0], v[1], n3,
				  false, 1024, NULL);
		bench_emit_paired("fig3-anon-vs-vmas", "ns", v[0], v[3], n3,
				  false, 1024, NULL);
		bench_emit_paired("fig3-vmas-only-tax", "ns", v[3], v[2], n3,
				  false, 1024, NULL);
		bench_emit_paired("fig3-lookup-tax", "ns", v[0], v[4], n3,
				  false, 1024, NULL);
		bench_emit_paired("fig3-notifier-tax", "ns", v[4], v[3], n3,
				  false, 1024, NULL);
	}
	for (i = 0; i < 5; i++)
		worker_stop(&w[i]);
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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gntbench [options] OURS_DEV BASELINE_DEV\n"
		"Figures 1-3 of make bench: map cycles, latency against the\n"
		"number of live maps, and the tax on anonymous mmap, for two\n"
		"gntdev-ABI devices in the same boot (e.g. /dev/xen/gntmap\n"
		"/dev/xen/gntdev), over grants of the test domain's sharer.\n"
		"  -d, --domain NAME    sharer domain (default sharer)\n"
		"  -r, --repeats N      repeats per figure, median taken (5)\n"
		"  -p, --probes N       maps per latency batch (16)\n"
		"  -b, --budget-ms MS   time per throughput sample (150)\n"
		"  -f, --figures LIST   figures to run, e.g. 1,2,3 (all)\n"
		"  -n, --scale LIST     N values of figure 2 (1,64,1024,8192)\n"
		"  -t, --tag TAG        name results figN-TAG-... (e.g. pvh: a\n"
		"                       second boot's figure 1 next to the first's)\n"
		"Prints TAP; each figure's JSON follows '# BENCH '.\n");
}

static int parse_list(const char *s, unsigned int lo, unsigned int hi,
		      unsigned int *v, unsigned int max)
{
	char buf[128], *tok, *save = NULL;
	unsigned int n = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == max || bench_parse_uint(tok, lo, hi, &v[n]))
			return -1;
		n++;
	}
	return n ? (int)n : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "probes", required_argument, NULL, 'p' },
		{ "budget-ms", required_argument, NULL, 'b' },
		{ "figures", required_argument, NULL, 'f' },
		{ "scale", required_argument, NULL, 'n' },
		{ "tag", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int ns[8] = { 1, 64, 1024, 8192 }, nn = 4, figs[8], nf = 0;
	bool want[4] = { false, true, true, true };
	const char *domain = "sharer", *why;
	struct testdom *td;
	int c, r, i;

	page_size = sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "d:r:p:b:f:n:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			domain = optarg;
			break;
		case 'r':
			if (bench_parse_uint(optarg, 1, 64, &repeats))
				goto bad;
			break;
		case 'p':
			if (bench_parse_uint(optarg, 1, 10000, &probes))
				goto bad;
			break;
		case 'b':
			if (bench_parse_uint(optarg, 1, 60000, &budget_ms))
				goto bad;
			break;
		case 'f':
			r = parse_list(optarg, 1, 3, figs, 8);
			if (r < 0)
				goto bad;
			nf = r;
			memset(want, 0, sizeof(want));
			for (i = 0; i < (int)nf; i++)
				want[figs[i]] = true;
			break;
		case 'n':
			r = parse_list(optarg, 1, MAX_LIVE, ns, 8);
			if (r < 0)
				goto bad;
			nn = r;
			break;
		case 't':
			/* It lands in JSON and in file names: keep it plain. */
			if (!*optarg || strlen(optarg) > 16 ||
			    optarg[strspn(optarg, "abcdefghijklmnopqrstuvwxyz0123456789")])
				goto bad;
			bench_set_tag(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "gntbench: need OURS_DEV and BASELINE_DEV (see --help)\n");
		return 2;
	}
	ours_path = argv[optind];
	base_path = argv[optind + 1];
	bench_env();
	clock_check();

	if (!dev_ok(ours_path, &why) || !dev_ok(base_path, &why)) {
		/* Nothing to compare: say why for every figure asked. */
		if (want[1])
			bench_missing("fig1", "pages/s", "%s", why);
		if (want[2])
			bench_missing("fig2", "us", "%s", why);
		if (want[3])
			bench_missing("fig3", "ns", "%s", why);
		return bench_done();
	}
	td = testdom_open(domain, 120000);
	if (!td) {
		bench_fail("sharer", "testdom_open(%s): %s", domain,
			   strerror(errno));
		return bench_done();
	}
	domid = testdom_domid(td);
	r = testdom_share(td, NREFS, true, 0x6e7b, refs);
	if (r) {
		bench_fail("sharer", "share %u pages: %s", NREFS,
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
	gntmap_counters("at the end");
	/* Every worker has exited: the domU must get every page back. */
	r = testdom_end_all_wait(td, 30000);
	bench_check(r == 0, "gntbench: no grant leaked (%d still mapped)", r);
	testdom_close(td);
	return bench_done();
bad:
	fprintf(stderr, "gntbench: bad value '%s' for an option\n", optarg);
	return 2;
}
