// SPDX-License-Identifier: GPL-2.0
/*
 * gntfuzz: a seeded, multi-process fuzzer of the gntdev ABI and of the
 * address-space changes around its maps (docs/gntfuzz.md).
 *
 * Each round, P processes of T threads share one open device (gntmap or
 * stock xen-gntdev) and run random operations over a fresh share of the
 * test domain: ioctls with right and wrong arguments, mmap/munmap/mremap/
 * mprotect/madvise of the maps, reads through /proc/self/mem, process_vm_
 * readv, O_DIRECT and vmsplice, fork, close/dup, exit and SIGKILL.  After
 * every round, once every process is gone: gntmap's counters are back to
 * zero, the domU ends foreign access on every page, and no oops or warning
 * reached dom0's, Xen's or the domU's log.  Every read of a mapped page
 * must find the domU's pattern.  --diff runs one process against two
 * devices op by op and reports where their results differ.
 *
 * Every random choice comes from the seed, the round, the process and the
 * thread; a finding prints them, and --seed S --round R replays the round.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenctrl.h>

#include "cli.h"
#include "gmtest.h"
#include "tap.h"
#include "testdom.h"
#include "vmopt.h"

#define PG GM_PAGE
#define HALF (PG / 2)		/* writes below, checks above */
#define NREFS 48u		/* share pages per round */
#define NRO 24u			/* [0, NRO) never written */
#define MAXPG 8u		/* pages of a valid map */
#define NSLOT 8u		/* maps a process tracks */
#define WPG (2 * MAXPG)		/* window pages of a slot */
#define MAXFD 4u
#define LOGMAX 256u
#define MAXRINGS 256u
#define MAXPROCS 64u
#define W_NONE (-1)		/* nothing of ours there */
#define W_UNKNOWN (-2)		/* a device map, content not known */
#define W_ANY (-3)		/* some page of the share, which one not known */
#define PENDING 0x7fffffff

enum op {
	OP_MAP, OP_UNMAP, OP_MMAP, OP_MUNMAP, OP_MREMAP, OP_MPROTECT,
	OP_MADVISE, OP_TOUCH, OP_WRITE, OP_GETOFF, OP_MAXGR, OP_NOTIFY,
	OP_COPY, OP_BADIOCTL, OP_PROCMEM, OP_VMREAD, OP_DIO, OP_PIN, OP_DRAIN,
	OP_FDOPEN, OP_FDDUP, OP_FDCLOSE, OP_FORK, OP_EXIT, OP_KILL, NOPS
};

static const char *const op_name[NOPS] = {
	"map", "unmap", "mmap", "munmap", "mremap", "mprotect", "madvise",
	"touch", "write", "get-offset", "set-max-grants", "unmap-notify",
	"grant-copy", "bad-ioctl", "proc-mem", "vm-readv", "o-direct",
	"vmsplice", "drain", "open", "dup", "close", "fork", "exit", "kill",
};

/* Per mille of the draw; the diff mode skips the process events. */
static const unsigned int op_weight[NOPS] = {
	[OP_MAP] = 120, [OP_UNMAP] = 80, [OP_MMAP] = 120, [OP_MUNMAP] = 50,
	[OP_MREMAP] = 40, [OP_MPROTECT] = 25, [OP_MADVISE] = 35,
	[OP_TOUCH] = 120, [OP_WRITE] = 40, [OP_GETOFF] = 40, [OP_MAXGR] = 8,
	[OP_NOTIFY] = 40, [OP_COPY] = 60, [OP_BADIOCTL] = 25,
	[OP_PROCMEM] = 25, [OP_VMREAD] = 25, [OP_DIO] = 30, [OP_PIN] = 25,
	[OP_DRAIN] = 25, [OP_FDOPEN] = 10, [OP_FDDUP] = 10, [OP_FDCLOSE] = 8,
	[OP_FORK] = 4, [OP_EXIT] = 1, [OP_KILL] = 2,
};

struct oplog {
	uint32_t seq;
	uint16_t op, var;
	int32_t res;
	uint64_t a, b;
	uint64_t g;		/* ops of the run started before this one */
};

struct ring {
	char who[24];
	atomic_uint n;
	struct oplog e[LOGMAX];
};

/* Shared by every process of a run (MAP_SHARED). */
struct shared {
	/* unmap_done trails unmap_epoch while an UNMAP_GRANT_REF runs. */
	atomic_ulong ops, unmap_epoch, unmap_done, wild_epoch;
	atomic_uint findings, nrings, nprocs;
	atomic_int pids[MAXPROCS];
	atomic_ulong pub_addr[MAXPROCS];
	atomic_ulong opcount[NOPS], opok[NOPS];
	uint32_t share_seed, domid, refs[NREFS];
	struct ring rings[MAXRINGS];
};

struct slot {
	atomic_int lock;	/* >0 readers, -1 writer */
	atomic_uint gen;	/* bumped by every change of the window */
	bool valid;		/* MAP_GRANT_REF gave it, not unmapped yet */
	bool good;		/* the sharer's refs and domid */
	bool mmapped;		/* mmap tried at its right offset and length */
	bool mprot;		/* mprotect succeeded on it */
	bool priv;		/* the window's last mmap was MAP_PRIVATE */
	int prot;		/* and its protection */
	uint64_t wild;		/* wild_epoch at MAP_GRANT_REF */
	uint8_t region;		/* of the slot's map: 0 never written, 1 scratch */
	uint8_t fdi;
	unsigned int fdgen;
	uint64_t off;
	uint32_t count;
	uint16_t page[MAXPG];
	int16_t wmap[WPG];	/* share page at each window page, or W_* */
	uint64_t mapep;		/* unmap_epoch before its MAP_GRANT_REF, or ~0 */
};

/* One device as seen by one process: its fds, its maps, its windows. */
struct ctx {
	const char *name, *path;
	bool stock;
	atomic_int fdlock;
	int fds[MAXFD];
	/*
	 * A new value from fdseq at every change of fds[i] (open, dup, close),
	 * never 0: a slot's map is on fds[i]'s file only while fdgen[i] is
	 * the value read before its MAP_GRANT_REF.
	 */
	unsigned int fdgen[MAXFD];
	unsigned int fdseq;
	struct slot slots[NSLOT];
	uint8_t *arena;
};

struct rng {
	uint64_t s;
};

/* The result of one operation, for the log and for --diff. */
struct res {
	int r;			/* 0, -errno, or a signal number + 1000 */
	int expect;		/* what docs/gntmap.md promises, or PENDING */
	unsigned int var;
	uint64_t a, b;
};

static struct shared *sh;
static struct gm_dev dev;
static const char *domain = "sharer", *dio_path;
static uint64_t seed;
static unsigned int nprocs_opt = 3, nthreads = 2, nops = 250, log_n = 24;
static unsigned int round_ms_max = 30000, max_procs = 8;
static bool control, verbose, stop, avoid_dofork, stock_unsafe;
static bool avoid_op[NOPS];
static int pipes[2][2] = { { -1, -1 }, { -1, -1 } }, dio_fd = -1, mem_fd = -1;
static int proc_idx;
static uint32_t cur_round;

static __thread sigjmp_buf probe_env;
static __thread volatile int probing;
static __thread struct ring *my_ring;
static __thread uint8_t *tbuf;	/* 4 pages, page aligned */
static __thread unsigned int thr_idx;

/* ---- random numbers ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t rnd(struct rng *r)
{
	r->s = mix(r->s);
	return r->s;
}

static unsigned int below(struct rng *r, unsigned int n)
{
	return n ? (unsigned int)(rnd(r) % n) : 0;
}

static bool chance(struct rng *r, unsigned int per_mille)
{
	return below(r, 1000) < per_mille;
}

static uint64_t stream(uint32_t round, unsigned int proc, unsigned int thr)
{
	return mix(seed ^ mix((uint64_t)round << 32 | proc << 8 | thr));
}

/* ---- small helpers ---- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: lines of several processes never interleave. */
	if (write(1, line, n) < 0)
		return;
}

static void finding(const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void finding(const char *kind, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&sh->findings, 1);
	say("# FINDING seed=%llu round=%u %s %s: %s: %s",
	    (unsigned long long)seed, cur_round, dev.name,
	    my_ring ? my_ring->who : "main", kind, msg);
}

static void lock_rd(atomic_int *l)
{
	for (;;) {
		int v = atomic_load(l);

		if (v >= 0 && atomic_compare_exchange_weak(l, &v, v + 1))
			return;
		sched_yield();
	}
}

static void lock_wr(atomic_int *l)
{
	for (;;) {
		int v = 0;

		if (atomic_compare_exchange_weak(l, &v, -1))
			return;
		sched_yield();
	}
}

static void unlock_rd(atomic_int *l)
{
	atomic_fetch_sub(l, 1);
}

static void unlock_wr(atomic_int *l)
{
	atomic_store(l, 0);
}

static uint8_t *win(struct ctx *c, unsigned int s, unsigned int p)
{
	return c->arena + ((size_t)s * WPG + p) * PG;
}

/* Put the PROT_NONE placeholder back: the window is ours again. */
static void reserve(void *addr, size_t len)
{
	mmap(addr, len, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

static void probe_handler(int sig)
{
	if (probing)
		siglongjmp(probe_env, sig);
	/* A fault outside a probe: the fuzzer itself, or a map gone bad. */
	say("# FINDING seed=%llu round=%u %s %s: crash: signal %d outside a probe",
	    (unsigned long long)seed, cur_round, dev.name,
	    my_ring ? my_ring->who : "?", sig);
	atomic_fetch_add(&sh->findings, 1);
	_exit(3);
}

/*
 * Copy @n bytes from @src to @dst, either of which may be a map's page:
 * 0, or the signal + 1000.
 */
static int probe_copy(volatile void *dst, const volatile void *src, size_t n)
{
	int sig;
	size_t i;

	sig = sigsetjmp(probe_env, 1);
	if (sig) {
		probing = 0;
		return 1000 + sig;
	}
	probing = 1;
	for (i = 0; i < n; i++)
		((volatile uint8_t *)dst)[i] = ((const volatile uint8_t *)src)[i];
	probing = 0;
	return 0;
}

static int probe_write(volatile uint8_t *p, uint8_t v)
{
	return probe_copy(p, &v, 1);
}

/*
 * Does @buf, bytes [@from, @to) of a page, hold page @want of the share
 * (exact), or any page of it (@want < 0)?  Returns the page it holds, or -1.
 */
static int which_page(const uint8_t *buf, unsigned int from, unsigned int to,
		      int want)
{
	unsigned int i, o, step = (to - from) / 7 ? (to - from) / 7 : 1;

	for (i = 0; i < NREFS; i++) {
		unsigned int pg = want >= 0 ? (unsigned int)want : i;

		for (o = from; o < to; o += step)
			if (buf[o - from] != testdom_pattern(sh->share_seed, pg, o))
				break;
		if (o >= to && buf[to - 1 - from] ==
		    testdom_pattern(sh->share_seed, pg, to - 1))
			return pg;
		if (want >= 0)
			return -1;
	}
	return -1;
}

/*
 * Check the upper half of a page read from window page @p of slot @s: it
 * must be the page the window says, or any page of the share when another
 * process's unmap may have moved an offset meanwhile.
 */
static void check_page(struct ctx *c, unsigned int s, unsigned int p,
		       const uint8_t *half, const char *how)
{
	struct slot *sl = &c->slots[s];
	int want = sl->wmap[p], got;

	if (want == W_ANY)
		want = -1;
	else if (want < 0)
		return;
	got = which_page(half, HALF, PG, want);
	if (got >= 0)
		return;
	if (want >= 0 && which_page(half, HALF, PG, -1) >= 0)
		got = which_page(half, HALF, PG, -1);
	/*
	 * The slot's map is the latest MAP_GRANT_REF's; the window may show
	 * an earlier one, and a window page from MAXPG on is its second half.
	 */
	finding("data", "%s of slot %u window page %u (slot's map now: off 0x%llx, %u pages) "
		"holds %s%d, want share page %d; bytes %02x %02x %02x %02x",
		how, s, p, (unsigned long long)sl->off, sl->count,
		got >= 0 ? "share page " : "no share page ", got,
		sl->wmap[p], half[0], half[1], half[HALF - 2], half[HALF - 1]);
}

/* ---- the operations ---- */

static int fd_of(struct ctx *c, unsigned int i)
{
	return c->fds[i % MAXFD];
}

/* fds[i] = @fd, with a generation that index i never had. */
static void fd_put(struct ctx *c, unsigned int i, int fd)
{
	c->fds[i] = fd;
	c->fdgen[i] = ++c->fdseq;
}

/* A random window page of @s that holds a device map, or -1. */
static int mapped_page(struct ctx *c, unsigned int s, struct rng *r)
{
	struct slot *sl = &c->slots[s];
	unsigned int i, p = below(r, WPG);

	for (i = 0; i < WPG; i++, p = (p + 1) % WPG)
		if (sl->wmap[p] != W_NONE)
			return p;
	return -1;
}

/* The run of device pages around window page @p: [*lo, *hi). */
static void run_of(struct slot *sl, unsigned int p, unsigned int *lo,
		   unsigned int *hi)
{
	*lo = p;
	*hi = p + 1;
	while (*lo > 0 && sl->wmap[*lo - 1] != W_NONE)
		(*lo)--;
	while (*hi < WPG && sl->wmap[*hi] != W_NONE)
		(*hi)++;
}

/*
 * Write-lock slot @s and pick a mapped page and its run for an operation
 * that changes the address space; with nothing mapped, unlock and record
 * -ENODATA.  Returns the page, or -1.
 */
static int lock_mapped_run(struct ctx *c, unsigned int s, struct rng *r,
			   struct res *o, unsigned int *lo, unsigned int *hi)
{
	struct slot *sl = &c->slots[s];
	int p;

	lock_wr(&sl->lock);
	p = mapped_page(c, s, r);
	if (p < 0) {
		unlock_wr(&sl->lock);
		o->r = -ENODATA;
		return -1;
	}
	run_of(sl, p, lo, hi);
	return p;
}

static void op_map(struct ctx *c, unsigned int s, struct rng *r, struct res *o)
{
	struct slot *sl = &c->slots[s];
	struct ioctl_gntdev_map_grant_ref *op;
	static const uint32_t bad_dom[] = { 0x7ff0, 0x7fff, 0, 31999 };
	unsigned int i, n, first, region = below(r, 2), fdi = below(r, MAXFD);
	uint16_t page[MAXPG];
	uint32_t domid = sh->domid;
	uint64_t epoch;
	unsigned int gen;
	size_t alloc;
	bool good = true;

	o->var = below(r, 16);
	n = 1 + below(r, MAXPG);
	if (o->var == 0) {
		n = 0;
		o->expect = -EINVAL;
	} else if (o->var == 1) {
		n = 1u << 20;	/* beyond any limit; only MAXPG entries given */
	}
	first = region * NRO + below(r, NRO);
	alloc = sizeof(*op) + MAXPG * sizeof(op->refs[0]);
	op = (void *)(tbuf + 2 * PG);
	memset(op, 0, alloc);
	op->count = n;
	if (o->var == 2) {
		domid = bad_dom[below(r, 4)];
		good = false;
	}
	for (i = 0; i < MAXPG; i++) {
		unsigned int pg = region * NRO + (first - region * NRO + i) % NRO;

		if (o->var == 3 && chance(r, 300))
			pg = region * NRO + below(r, NRO);	/* repeats */
		op->refs[i].domid = domid;
		op->refs[i].ref = sh->refs[pg];
		page[i] = pg;
		if (o->var == 4 && i == n - 1) {
			op->refs[i].ref = 0x7fff0000u + below(r, 1000);
			good = false;
		}
	}
	o->a = n;
	o->b = (uint64_t)domid << 32 | first << 8 | fdi;
	lock_wr(&sl->lock);
	/*
	 * An unmap that started before and is still running may free the
	 * offset this map gets: then no epoch is this map's.  Done is read
	 * after started, so an unmap that started meanwhile moves the epoch
	 * and op_mmap sees it.
	 */
	epoch = atomic_load(&sh->unmap_epoch);
	if (atomic_load(&sh->unmap_done) < epoch)
		epoch = ~0ull;
	/*
	 * Read before the ioctl: if another thread closes, opens or dups
	 * index fdi meanwhile, the map may be on another file, and then no
	 * later generation of fdi is this one.
	 */
	gen = c->fdgen[fdi];
	o->r = ioctl(fd_of(c, fdi), IOCTL_GNTDEV_MAP_GRANT_REF, op) ? -errno : 0;
	if (!o->r) {
		sl->valid = true;
		sl->good = good;
		sl->mmapped = false;
		sl->mprot = false;
		sl->region = region;
		sl->fdi = fdi;
		sl->fdgen = gen == c->fdgen[fdi] ? gen : 0;
		sl->off = op->index;
		sl->count = n;
		memcpy(sl->page, page, sizeof(page));
		sl->mapep = epoch;
		sl->wild = atomic_load(&sh->wild_epoch);
		o->b = op->index << 8 | fdi;
	}
	unlock_wr(&sl->lock);
}

static void op_unmap(struct ctx *c, unsigned int s, struct rng *r,
		     struct res *o)
{
	struct slot *sl = &c->slots[s];
	struct ioctl_gntdev_unmap_grant_ref u;
	bool locked = !chance(r, 250), right = false;

	if (locked)
		lock_wr(&sl->lock);
	u.index = sl->off;
	u.count = sl->count;
	u.pad = 0;
	o->var = below(r, 8);
	switch (o->var) {
	case 0:
		u.count = sl->count + 1;
		break;
	case 1:
		u.index += 1 + below(r, PG - 1);
		o->expect = -EINVAL;
		break;
	case 2:
		u.index = (uint64_t)below(r, 64) * PG;
		break;
	case 3:
		u.count = below(r, 3);
		break;
	default:
		right = true;
	}
	o->a = u.index;
	o->b = u.count;
	/*
	 * Before the ioctl: an mmap that reads the epoch after its own call
	 * (op_mmap) then sees every unmap that could have freed its offset
	 * for another map by then.  Bumped after it, a MAP_GRANT_REF and an
	 * mmap of another process could both fit in between and the mmap
	 * would expect the old map's pages.
	 */
	atomic_fetch_add(&sh->unmap_epoch, 1);
	o->r = ioctl(fd_of(c, sl->fdi), IOCTL_GNTDEV_UNMAP_GRANT_REF, &u) ?
	       -errno : 0;
	atomic_fetch_add(&sh->unmap_done, 1);
	if (!o->r) {
		if (right && sl->fdgen == c->fdgen[sl->fdi])
			sl->valid = false;
		else
			atomic_fetch_add(&sh->wild_epoch, 1);
	}
	if (locked)
		unlock_wr(&sl->lock);
}

static void op_mmap(struct ctx *c, unsigned int s, struct rng *r,
		    struct res *o)
{
	unsigned int t = chance(r, 150) ? below(r, NSLOT) : s, pos, len, i;
	struct slot *sl = &c->slots[s], *tl = &c->slots[t];
	int prot = PROT_READ, flags = MAP_SHARED | MAP_FIXED;
	bool exact = true, right;
	uint64_t off, epoch;
	uint8_t *want, *p;

	/*
	 * Both windows locked, in order, before anything of the slot is
	 * read: this may be MAP_FIXED over t's map, and an op_map of s by
	 * another thread between a read of s's offset and count and the
	 * lock would have the window record the new map's pages over an
	 * mmap of the old offset.
	 */
	lock_wr(&c->slots[s < t ? s : t].lock);
	if (t != s)
		lock_wr(&c->slots[s < t ? t : s].lock);
	o->var = below(r, 16);
	pos = chance(r, 800) ? 0 : MAXPG;
	len = sl->count;
	off = sl->off;
	if (o->var == 0) {
		off += PG * (1 + below(r, 3));
		exact = false;
	} else if (o->var == 1) {
		len = 1 + below(r, MAXPG);
		exact = len == sl->count;
	} else if (o->var == 2) {
		off = (uint64_t)below(r, 32) * PG;
		exact = false;
	}
	if (len == 0 || len > MAXPG)
		len = 1 + below(r, MAXPG);
	if (sl->region == 1 && !chance(r, 200))
		prot |= PROT_WRITE;
	if (chance(r, 100)) {
		flags = MAP_PRIVATE | MAP_FIXED;
		if (prot & PROT_WRITE)
			o->expect = -EINVAL;
	}
	right = off == sl->off && len == sl->count;
	if (right && sl->valid && sl->mmapped && sl->fdgen == c->fdgen[sl->fdi] &&
	    c->fds[sl->fdi] >= 0 && sl->wild == atomic_load(&sh->wild_epoch))
		o->expect = -EINVAL;	/* a second mmap of one map */
	want = win(c, t, pos);
	o->a = off;
	o->b = (uint64_t)len << 32 | t << 8 | pos;
	p = mmap(want, (size_t)len * PG, prot, flags, fd_of(c, sl->fdi), off);
	o->r = p == MAP_FAILED ? -errno : 0;
	/* After the call: see op_unmap. */
	epoch = atomic_load(&sh->unmap_epoch);
	if (right && p != MAP_FAILED)
		sl->mmapped = true;
	atomic_fetch_add(&tl->gen, 1);
	for (i = 0; i < len; i++)
		tl->wmap[pos + i] = W_NONE;
	if (p == MAP_FAILED) {
		reserve(want, (size_t)len * PG);
	} else if (p != want) {
		finding("mmap", "MAP_FIXED mmap at %p returned %p", want, p);
		munmap(p, (size_t)len * PG);
		reserve(want, (size_t)len * PG);
	} else {
		/*
		 * Exact if no unmap anywhere since the MAP_GRANT_REF (the
		 * offset may since have been freed and given to another map:
		 * then it is still some page of the share).
		 */
		bool ours = exact && sl->valid && sl->good &&
			    sl->fdgen == c->fdgen[sl->fdi];
		bool known = ours && sl->mapep == epoch;

		for (i = 0; i < len; i++)
			tl->wmap[pos + i] = i >= sl->count || !ours ? W_UNKNOWN :
					    known ? (int16_t)sl->page[i] : W_ANY;
		tl->prot = prot;
		tl->priv = flags & MAP_PRIVATE;
		tl->mprot = false;
		/*
		 * region stays t's map's: it chooses the protection of t's
		 * next mmap, and which pages the window shows is in wmap.
		 */
	}
	if (t != s)
		unlock_wr(&tl->lock);
	unlock_wr(&sl->lock);
}

static void op_munmap(struct ctx *c, unsigned int s, struct rng *r,
		      struct res *o)
{
	struct slot *sl = &c->slots[s];
	unsigned int lo, hi, a, b, i;
	int p;

	lock_wr(&sl->lock);
	p = mapped_page(c, s, r);
	o->var = below(r, 5);
	if (p < 0) {
		lo = 0;
		hi = WPG;
		o->var = 4;
	} else {
		run_of(sl, p, &lo, &hi);
	}
	a = lo;
	b = hi;
	if (o->var == 1 && hi - lo > 1)		/* head */
		b = lo + 1 + below(r, hi - lo - 1);
	else if (o->var == 2 && hi - lo > 1)	/* tail */
		a = lo + 1 + below(r, hi - lo - 1);
	else if (o->var == 3 && hi - lo > 2) {	/* middle */
		a = lo + 1;
		b = hi - 1;
	}
	o->a = a;
	o->b = b;
	atomic_fetch_add(&sl->gen, 1);
	if (chance(r, 500)) {
		o->r = munmap(win(c, s, a), (size_t)(b - a) * PG) ? -errno : 0;
		reserve(win(c, s, a), (size_t)(b - a) * PG);
	} else {
		/* MAP_FIXED over it: the same unmap, seen by the driver. */
		reserve(win(c, s, a), (size_t)(b - a) * PG);
		o->r = 0;
		o->var += 8;
	}
	for (i = a; i < b; i++)
		sl->wmap[i] = W_NONE;
	unlock_wr(&sl->lock);
}

static void op_mremap(struct ctx *c, unsigned int s, struct rng *r,
		      struct res *o)
{
	struct slot *sl = &c->slots[s];
	unsigned int lo, hi, n, i;
	int16_t keep[WPG];
	void *q;
	int p;

	p = lock_mapped_run(c, s, r, o, &lo, &hi);
	if (p < 0)
		return;
	n = hi - lo;
	o->var = below(r, 4);
	o->a = lo;
	o->b = n;
	atomic_fetch_add(&sl->gen, 1);
	if (o->var == 0 && n > 1) {			/* shrink */
		unsigned int m = 1 + below(r, n - 1);

		q = mremap(win(c, s, lo), (size_t)n * PG, (size_t)m * PG, 0);
		o->r = q == MAP_FAILED ? -errno : 0;
		if (!o->r) {
			reserve(win(c, s, lo + m), (size_t)(n - m) * PG);
			for (i = lo + m; i < hi; i++)
				sl->wmap[i] = W_NONE;
		}
	} else if (o->var <= 1) {			/* grow */
		int fl = chance(r, 500) ? MREMAP_MAYMOVE : 0;

		o->var = 1 | (fl ? 4 : 0);
		o->expect = -EFAULT;	/* VM_DONTEXPAND */
		q = mremap(win(c, s, lo), (size_t)n * PG, (size_t)(n + 1) * PG,
			   fl);
		o->r = q == MAP_FAILED ? -errno : 0;
		if (!o->r && q != win(c, s, lo)) {
			finding("mremap", "grow of a map moved it to %p", q);
			munmap(q, (size_t)(n + 1) * PG);
			reserve(win(c, s, lo), (size_t)n * PG);
			for (i = lo; i < hi; i++)
				sl->wmap[i] = W_NONE;
		} else if (!o->r) {
			/* Grown in place over the placeholder? */
			finding("mremap", "grow of a map by a page succeeded");
			if (hi < WPG)
				sl->wmap[hi] = W_UNKNOWN;
		}
	} else {					/* move */
		unsigned int to = lo < MAXPG ? MAXPG : 0;

		if (lo < MAXPG && hi > MAXPG) {
			unlock_wr(&sl->lock);
			o->r = -ENODATA;
			return;
		}
		if (to == 0)
			n = n > MAXPG ? MAXPG : n;
		o->b = (uint64_t)to << 32 | n;
		if (n == 1 && sl->wmap[lo] >= 0)
			o->expect = -EINVAL;
		memcpy(keep, sl->wmap, sizeof(keep));
		q = mremap(win(c, s, lo), (size_t)n * PG, (size_t)n * PG,
			   MREMAP_MAYMOVE | MREMAP_FIXED, win(c, s, to));
		o->r = q == MAP_FAILED ? -errno : 0;
		if (!o->r) {
			reserve(win(c, s, lo), (size_t)n * PG);
			for (i = 0; i < n; i++) {
				sl->wmap[to + i] = keep[lo + i];
				if (lo + i < to || lo + i >= to + n)
					sl->wmap[lo + i] = W_NONE;
			}
		} else {
			/*
			 * With MREMAP_FIXED the kernel unmaps the destination
			 * before it asks the VMA (mremap_to() in mm/mremap.c),
			 * and gntmap refuses every move: a hole is left there,
			 * where the kernel may place anything.  The two halves
			 * never overlap.
			 */
			reserve(win(c, s, to), (size_t)n * PG);
			for (i = to; i < to + n; i++)
				sl->wmap[i] = W_NONE;
		}
	}
	unlock_wr(&sl->lock);
}

static void op_mprotect(struct ctx *c, unsigned int s, struct rng *r,
			struct res *o)
{
	static const int prots[] = { PROT_NONE, PROT_READ,
				     PROT_READ | PROT_WRITE, PROT_WRITE };
	struct slot *sl = &c->slots[s];
	unsigned int lo, hi;
	int p;

	if (c->stock && !stock_unsafe) {	/* finding 2 */
		o->r = PENDING;
		return;
	}
	p = lock_mapped_run(c, s, r, o, &lo, &hi);
	if (p < 0)
		return;
	if (chance(r, 500)) {
		lo = p;
		hi = p + 1;
	}
	o->var = below(r, 4);
	o->a = lo;
	o->b = hi;
	/* One page of a known shared map: what docs/gntmap.md promises. */
	if (hi == lo + 1 && sl->wmap[lo] >= 0 && !sl->priv && !sl->mprot) {
		if (prots[o->var] == sl->prot)
			o->expect = 0;
		else if ((prots[o->var] & PROT_WRITE) && !(sl->prot & PROT_WRITE))
			o->expect = -EACCES;	/* VM_MAYWRITE cleared */
		else
			o->expect = -EINVAL;
	}
	o->r = mprotect(win(c, s, lo), (size_t)(hi - lo) * PG, prots[o->var]) ?
	       -errno : 0;
	if (!o->r)
		sl->mprot = true;
	unlock_wr(&sl->lock);
}

static void op_madvise(struct ctx *c, unsigned int s, struct rng *r,
		       struct res *o)
{
	static const int adv[] = { MADV_DONTNEED, MADV_DONTFORK, MADV_DOFORK };
	struct slot *sl = &c->slots[s];
	unsigned int lo, hi;
	int p;

	p = lock_mapped_run(c, s, r, o, &lo, &hi);
	if (p < 0)
		return;
	if (chance(r, 500))
		lo = p, hi = p + 1;
	o->var = below(r, avoid_dofork ? 2 : 3);
	o->a = lo;
	o->b = hi;
	o->r = madvise(win(c, s, lo), (size_t)(hi - lo) * PG, adv[o->var]) ?
	       -errno : 0;
	atomic_fetch_add(&sl->gen, 1);
	unlock_wr(&sl->lock);
}

static void op_touch(struct ctx *c, unsigned int s, struct rng *r,
		     struct res *o)
{
	struct slot *sl = &c->slots[s];
	unsigned int k, faults = 0;
	int p;

	lock_rd(&sl->lock);
	for (k = 0; k < 3; k++) {
		p = mapped_page(c, s, r);
		if (p < 0)
			break;
		o->a = p;
		if (probe_copy(tbuf, win(c, s, p) + HALF, HALF))
			faults++;
		else
			check_page(c, s, p, tbuf, "read");
	}
	o->r = p < 0 ? -ENODATA : -(int)faults;
	unlock_rd(&sl->lock);
}

static void op_write(struct ctx *c, unsigned int s, struct rng *r,
		     struct res *o)
{
	struct slot *sl = &c->slots[s];
	int p;

	lock_rd(&sl->lock);
	p = mapped_page(c, s, r);
	o->r = -ENODATA;
	if (p >= 0 && sl->wmap[p] >= (int)NRO) {
		o->a = p;
		o->b = below(r, HALF);
		o->r = probe_write(win(c, s, p) + o->b, (uint8_t)rnd(r));
	}
	unlock_rd(&sl->lock);
}

static void op_getoff(struct ctx *c, unsigned int s, struct rng *r,
		      struct res *o)
{
	struct ioctl_gntdev_get_offset_for_vaddr g = { 0 };
	struct slot *sl = &c->slots[s];
	int p = mapped_page(c, s, r);

	o->var = below(r, 4);
	if (o->var == 0 && p >= 0) {
		g.vaddr = (uintptr_t)win(c, s, p) + below(r, PG);
	} else if (o->var == 1) {
		g.vaddr = (uintptr_t)&g;	/* the stack */
		o->expect = -EINVAL;
	} else if (o->var == 2) {
		g.vaddr = (uintptr_t)win(c, s, below(r, WPG));
	} else {
		g.vaddr = rnd(r);
	}
	o->a = g.vaddr;
	o->r = ioctl(fd_of(c, sl->fdi), IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &g) ?
	       -errno : 0;
	o->b = (uint64_t)g.offset << 16 | g.count;
}

static void op_maxgr(struct ctx *c, unsigned int s, struct rng *r,
		     struct res *o)
{
	static const uint32_t v[] = { 0, 1, 4, 16, 64, 1024, 1u << 20,
				      0xffffffffu };
	struct ioctl_gntdev_set_max_grants m;

	(void)s;
	o->var = below(r, 8);
	m.count = v[o->var];
	o->a = below(r, MAXFD);
	o->r = ioctl(fd_of(c, o->a), IOCTL_GNTDEV_SET_MAX_GRANTS, &m) ?
	       -errno : 0;
}

static void op_notify(struct ctx *c, unsigned int s, struct rng *r,
		      struct res *o)
{
	struct ioctl_gntdev_unmap_notify n;
	struct slot *sl = &c->slots[s];

	o->var = below(r, 4);
	n.index = sl->off + (uint64_t)below(r, sl->count ? sl->count : 1) * PG +
		  below(r, HALF);
	if (o->var == 3)	/* random, but in a page's lower half too */
		n.index = rnd(r) & 0xffffffffull & ~(uint64_t)HALF;
	n.action = below(r, 8);
	n.event_channel_port = chance(r, 300) ? 0xffffffffu : below(r, 48);
	/*
	 * Finding 3: stock takes CLEAR_BYTE on a map not mmapped yet, and
	 * oopses at unmap when the map was then mmapped read-only.
	 */
	if (c->stock && !stock_unsafe && (n.action & UNMAP_NOTIFY_CLEAR_BYTE)) {
		o->r = PENDING;
		return;
	}
	if ((n.action & ~3u) && o->var != 3 && sl->valid &&
	    sl->fdgen == c->fdgen[sl->fdi] &&
	    sl->wild == atomic_load(&sh->wild_epoch))
		o->expect = -EINVAL;
	o->a = n.index;
	o->b = (uint64_t)n.action << 32 | n.event_channel_port;
	o->r = ioctl(fd_of(c, sl->fdi), IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &n) ?
	       -errno : 0;
}

static void op_copy(struct ctx *c, unsigned int s, struct rng *r,
		    struct res *o)
{
	struct ioctl_gntdev_grant_copy_segment seg[4];
	struct ioctl_gntdev_grant_copy gc;
	unsigned int i, n = 1 + below(r, 4), pg[4];
	bool check[4];

	memset(seg, 0, sizeof(seg));
	o->var = 0;
	for (i = 0; i < n; i++) {
		unsigned int v = below(r, 10), len, off;

		check[i] = false;
		pg[i] = below(r, NREFS);
		off = HALF / 2 + below(r, HALF);	/* may cross HALF */
		len = 1 + below(r, PG - off);
		if (v == 9)
			len = PG - off + 1 + below(r, 64);	/* crosses */
		o->var |= v << (4 * i);
		if (v <= 3) {		/* grant -> local, checked */
			seg[i].source.foreign.ref = sh->refs[pg[i]];
			seg[i].source.foreign.domid = sh->domid;
			seg[i].source.foreign.offset = off;
			seg[i].flags = GNTCOPY_source_gref;
			seg[i].len = len;
			seg[i].dest.virt = tbuf + PG * i % (4 * PG);
			check[i] = true;
			if (v == 3) {
				static void *const bad[] = {
					NULL, (void *)0x1000,
					(void *)0xffff888000000000ull,
				};
				seg[i].dest.virt = bad[below(r, 3)];
				check[i] = false;
			}
		} else if (v <= 5) {	/* local -> scratch grant */
			unsigned int wpg = NRO + below(r, NREFS - NRO);

			off = below(r, HALF);
			seg[i].len = 1 + below(r, HALF - off);
			seg[i].dest.foreign.ref = sh->refs[wpg];
			seg[i].dest.foreign.domid = sh->domid;
			seg[i].dest.foreign.offset = off;
			seg[i].flags = GNTCOPY_dest_gref;
			seg[i].source.virt = v == 5 ?
				(void *)win(c, s, below(r, WPG)) : tbuf + 3 * PG;
		} else if (v == 6) {	/* grant -> scratch grant */
			unsigned int wpg = NRO + below(r, NREFS - NRO);

			seg[i].source.foreign.ref = sh->refs[pg[i]];
			seg[i].source.foreign.domid = sh->domid;
			seg[i].source.foreign.offset = below(r, PG - HALF);
			seg[i].dest.foreign.ref = sh->refs[wpg];
			seg[i].dest.foreign.domid = sh->domid;
			seg[i].dest.foreign.offset = 0;
			seg[i].len = 1 + below(r, HALF);
			seg[i].flags = GNTCOPY_source_gref | GNTCOPY_dest_gref;
		} else if (v == 7) {	/* neither side a grant */
			seg[i].source.virt = tbuf;
			seg[i].dest.virt = tbuf + PG;
			seg[i].len = 16;
			o->expect = -EINVAL;
		} else {		/* bad ref, domid or flags */
			seg[i].source.foreign.ref = chance(r, 500) ?
				0x7fff0000u + below(r, 100) : sh->refs[pg[i]];
			seg[i].source.foreign.domid = chance(r, 500) ?
				0x7ff0 + below(r, 16) : sh->domid;
			seg[i].source.foreign.offset = off;
			seg[i].flags = GNTCOPY_source_gref |
				       (chance(r, 300) ? 1u << (2 + below(r, 14)) : 0);
			seg[i].len = len;
			seg[i].dest.virt = tbuf + 3 * PG;
		}
		if (v == 9) {
			seg[i].len = len;
			o->expect = -EINVAL;
		}
		seg[i].status = 0x7777;
	}
	gc.count = n;
	gc.segments = seg;
	if (chance(r, 50)) {
		gc.segments = (void *)(uintptr_t)(chance(r, 500) ? 0 : 0x1000);
		o->expect = -EFAULT;
		memset(check, 0, sizeof(check));
	}
	if (n > 1 && o->expect != -EFAULT)
		o->expect = PENDING;	/* an earlier segment may fail first */
	o->a = n;
	o->r = ioctl(fd_of(c, c->slots[s].fdi), IOCTL_GNTDEV_GRANT_COPY, &gc) ?
	       -errno : 0;
	if (o->r)
		return;
	for (i = 0; i < n; i++) {
		unsigned int off = seg[i].source.foreign.offset, lo, k;
		uint8_t *d = seg[i].dest.virt;

		if (!check[i] || seg[i].status != GNTST_okay)
			continue;
		lo = off > HALF ? off : HALF;
		for (k = lo; k < off + seg[i].len; k++)
			if (d[k - off] != testdom_pattern(sh->share_seed, pg[i], k))
				break;
		if (k < off + seg[i].len)
			finding("copy", "GRANT_COPY segment %u of share page %u "
				"[%u, +%u) differs at page offset %u", i, pg[i],
				off, seg[i].len, k);
	}
}

static void op_badioctl(struct ctx *c, unsigned int s, struct rng *r,
			struct res *o)
{
	unsigned long cmd;
	void *arg = tbuf + 3 * PG;

	(void)s;
	memset(arg, 0, 256);
	o->var = below(r, 4);
	if (o->var == 0) {
		/* Around the DMABUF numbers: ENOTTY, as stock without them. */
		cmd = _IOC(_IOC_NONE, 'G', 9 + below(r, 4), below(r, 64));
		o->expect = -ENOTTY;
	} else if (o->var == 1) {
		static const unsigned int nr[] = { 4, 5, 6, 13, 64, 255 };

		cmd = _IOC(below(r, 4), 'G', nr[below(r, 6)], below(r, 256));
		o->expect = -ENOTTY;
	} else if (o->var == 2) {
		/* A known number with the wrong size. */
		cmd = _IOC(_IOC_NONE, 'G', below(r, 9), 1 + below(r, 7));
		o->expect = -ENOTTY;
	} else {
		cmd = (0xa0u + below(r, 0x50)) << 8 | below(r, 256) |
		      (unsigned long)below(r, 0x4000) << 16;
		o->expect = -ENOTTY;
	}
	if (chance(r, 300))
		arg = NULL;
	o->a = cmd;
	o->r = ioctl(fd_of(c, below(r, MAXFD)), cmd, arg) ? -errno : 0;
	if (o->r == -EBADF)
		o->expect = PENDING;
}

static void op_procmem(struct ctx *c, unsigned int s, struct rng *r,
		       struct res *o)
{
	struct slot *sl = &c->slots[s];
	int p;

	lock_rd(&sl->lock);
	p = mapped_page(c, s, r);
	o->var = below(r, 2);
	o->r = -ENODATA;
	if (p >= 0 && mem_fd >= 0) {
		uintptr_t a = (uintptr_t)win(c, s, p);

		o->a = p;
		if (o->var == 0) {
			ssize_t n = pread(mem_fd, tbuf, HALF, a + HALF);

			o->r = n < 0 ? -errno : 0;
			if (n == HALF)
				check_page(c, s, p, tbuf, "/proc/self/mem read");
		} else if (c->stock && sl->priv && !stock_unsafe) {
			o->r = PENDING;	/* finding 5 */
		} else {
			/* A write through a read-only map must fail. */
			ssize_t n;

			tbuf[0] = 0x5a;
			n = pwrite(mem_fd, tbuf, 1, a + below(r, HALF));
			o->r = n < 0 ? -errno : 0;
			if (n == 1 && sl->wmap[p] >= 0 && sl->wmap[p] < (int)NRO &&
			    !sl->mprot && !sl->priv)
				finding("write", "/proc/self/mem wrote through "
					"a read-only map (slot %u page %u)", s, p);
		}
	}
	unlock_rd(&sl->lock);
}

static void op_vmread(struct ctx *c, unsigned int s, struct rng *r,
		      struct res *o)
{
	struct slot *sl = &c->slots[s];
	struct iovec l = { tbuf, HALF }, rv;
	unsigned int who = below(r, MAXPROCS);
	pid_t pid = atomic_load(&sh->pids[who]);
	int p;

	o->var = chance(r, 500);
	if (o->var && pid > 0 && pid != getpid()) {
		rv.iov_base = (void *)(uintptr_t)atomic_load(&sh->pub_addr[who]);
		rv.iov_len = HALF;
		o->a = pid;
		o->r = process_vm_readv(pid, &l, 1, &rv, 1, 0) < 0 ? -errno : 0;
		return;
	}
	lock_rd(&sl->lock);
	p = mapped_page(c, s, r);
	o->r = -ENODATA;
	if (p >= 0) {
		ssize_t n;

		rv.iov_base = win(c, s, p) + HALF;
		rv.iov_len = HALF;
		n = process_vm_readv(getpid(), &l, 1, &rv, 1, 0);
		o->a = p;
		o->r = n < 0 ? -errno : 0;
		if (n == HALF)
			check_page(c, s, p, tbuf, "process_vm_readv");
		atomic_store(&sh->pub_addr[proc_idx % MAXPROCS],
			     (uintptr_t)win(c, s, p));
	}
	unlock_rd(&sl->lock);
}

static void op_dio(struct ctx *c, unsigned int s, struct rng *r,
		   struct res *o)
{
	struct slot *sl = &c->slots[s];
	/* A block of its own per thread: another's read-back would differ. */
	off_t blk = ((off_t)(proc_idx % 64) * 8 + thr_idx % 8) * PG;
	ssize_t n;
	int p;

	o->r = -ENODATA;
	if (dio_fd < 0)
		return;
	lock_rd(&sl->lock);
	p = mapped_page(c, s, r);
	o->var = below(r, 2);
	if (p < 0)
		goto out;
	o->a = p;
	o->b = blk;
	if (o->var == 0) {	/* map -> disk, read back, check */
		n = pwrite(dio_fd, win(c, s, p), PG, blk);
		o->r = n < 0 ? -errno : 0;
		if (n == PG && pread(dio_fd, tbuf, PG, blk) == PG)
			check_page(c, s, p, tbuf + HALF, "O_DIRECT write");
	} else {		/* disk -> the lower half of the map */
		memset(tbuf, 0xa5, PG);
		if (pwrite(dio_fd, tbuf, PG, blk) != PG) {
			o->r = -EIO;
			goto out;
		}
		n = pread(dio_fd, win(c, s, p), HALF, blk);
		o->r = n < 0 ? -errno : 0;
		if (n > 0 && sl->wmap[p] >= 0 && sl->wmap[p] < (int)NRO &&
		    !sl->mprot && !sl->priv)
			finding("write", "O_DIRECT read wrote into a read-only "
				"map (slot %u page %u)", s, p);
	}
out:
	unlock_rd(&sl->lock);
}

static void op_pin(struct ctx *c, unsigned int s, struct rng *r,
		   struct res *o)
{
	struct slot *sl = &c->slots[s];
	struct iovec v;
	int p, k = below(r, 2);

	lock_rd(&sl->lock);
	p = mapped_page(c, s, r);
	o->r = -ENODATA;
	if (p >= 0 && (sl->wmap[p] >= 0 || sl->wmap[p] == W_ANY) &&
	    pipes[k][1] >= 0) {
		v.iov_base = win(c, s, p);
		v.iov_len = PG;
		o->a = p;
		o->b = k;
		o->r = vmsplice(pipes[k][1], &v, 1, 0) < 0 ? -errno : 0;
	}
	unlock_rd(&sl->lock);
}

/* Read pinned pages back out of a pipe: each must be a page of the share. */
static void op_drain(struct ctx *c, unsigned int s, struct rng *r,
		     struct res *o)
{
	int k = below(r, 2);
	ssize_t n;

	(void)c;
	(void)s;
	o->b = k;
	o->r = 0;
	if (pipes[k][0] < 0)
		return;
	while ((n = read(pipes[k][0], tbuf, PG)) == PG) {
		o->a++;
		if (which_page(tbuf + HALF, HALF, PG, -1) < 0)
			finding("data", "a page pinned in a pipe reads back as "
				"no share page: %02x %02x %02x", tbuf[HALF],
				tbuf[HALF + 1], tbuf[PG - 1]);
	}
	if (n < 0 && errno != EAGAIN)
		o->r = -errno;
}

static void op_fd(struct ctx *c, enum op op, struct rng *r, struct res *o)
{
	unsigned int i = below(r, MAXFD), j = below(r, MAXFD);

	lock_wr(&c->fdlock);
	o->a = i;
	o->b = j;
	o->r = 0;
	if (op == OP_FDOPEN && c->fds[i] < 0) {
		fd_put(c, i, open(c->path, O_RDWR | O_CLOEXEC));
		o->r = c->fds[i] < 0 ? -errno : 0;
	} else if (op == OP_FDDUP && c->fds[j] >= 0 && c->fds[i] < 0) {
		fd_put(c, i, dup(c->fds[j]));
		o->r = c->fds[i] < 0 ? -errno : 0;
	} else if (op == OP_FDCLOSE && c->fds[i] >= 0) {
		o->r = close(c->fds[i]) ? -errno : 0;
		fd_put(c, i, -1);
	} else {
		o->r = -ENODATA;
	}
	unlock_wr(&c->fdlock);
}

/* ---- the loop of one thread ---- */

static struct ring *new_ring(const char *fmt, ...)
{
	unsigned int i = atomic_fetch_add(&sh->nrings, 1);
	struct ring *rg;
	va_list ap;

	if (i >= MAXRINGS)
		return NULL;
	rg = &sh->rings[i];
	va_start(ap, fmt);
	vsnprintf(rg->who, sizeof(rg->who), fmt, ap);
	va_end(ap);
	atomic_store(&rg->n, 0);
	return rg;
}

static struct oplog *log_op(unsigned int op, uint32_t seq)
{
	struct oplog *e;
	unsigned int n;

	if (!my_ring)
		return NULL;
	n = atomic_fetch_add(&my_ring->n, 1);
	e = &my_ring->e[n % log_n];
	e->seq = seq;
	e->op = op;
	e->var = 0;
	e->res = PENDING;
	e->a = e->b = 0;
	e->g = atomic_load(&sh->ops);
	return e;
}

static unsigned int pick_op(struct rng *r, bool events)
{
	unsigned int total = 0, i, x;

	for (i = 0; i < NOPS; i++)
		if ((events || i < OP_FDOPEN) && !avoid_op[i])
			total += op_weight[i];
	x = below(r, total);
	for (i = 0; i < NOPS; i++) {
		if (!events && i >= OP_FDOPEN)
			break;
		if (avoid_op[i])
			continue;
		if (x < op_weight[i])
			return i;
		x -= op_weight[i];
	}
	return OP_TOUCH;
}

/* Run @op on @c; the random draws come from @r. */
static void run_op(struct ctx *c, unsigned int op, unsigned int s,
		   struct rng *r, struct res *o)
{
	memset(o, 0, sizeof(*o));
	o->expect = PENDING;
	switch (op) {
	case OP_MAP:
		op_map(c, s, r, o);
		break;
	case OP_UNMAP:
		op_unmap(c, s, r, o);
		break;
	case OP_MMAP:
		op_mmap(c, s, r, o);
		break;
	case OP_MUNMAP:
		op_munmap(c, s, r, o);
		break;
	case OP_MREMAP:
		op_mremap(c, s, r, o);
		break;
	case OP_MPROTECT:
		op_mprotect(c, s, r, o);
		break;
	case OP_MADVISE:
		op_madvise(c, s, r, o);
		break;
	case OP_TOUCH:
		op_touch(c, s, r, o);
		break;
	case OP_WRITE:
		op_write(c, s, r, o);
		break;
	case OP_GETOFF:
		op_getoff(c, s, r, o);
		break;
	case OP_MAXGR:
		op_maxgr(c, s, r, o);
		break;
	case OP_NOTIFY:
		op_notify(c, s, r, o);
		break;
	case OP_COPY:
		op_copy(c, s, r, o);
		break;
	case OP_BADIOCTL:
		op_badioctl(c, s, r, o);
		break;
	case OP_PROCMEM:
		op_procmem(c, s, r, o);
		break;
	case OP_VMREAD:
		op_vmread(c, s, r, o);
		break;
	case OP_DIO:
		op_dio(c, s, r, o);
		break;
	case OP_PIN:
		op_pin(c, s, r, o);
		break;
	case OP_DRAIN:
		op_drain(c, s, r, o);
		break;
	default:
		op_fd(c, op, r, o);
		break;
	}
}

static struct ctx *proc_ctx;

/*
 * Every fd an op may use exists before the first op: no number of a
 * closed device fd can come back as a pipe or the disk meanwhile.
 */
static void proc_fds_open(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		if (pipe2(pipes[i], O_NONBLOCK | O_CLOEXEC))
			pipes[i][0] = pipes[i][1] = -1;
	mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (dio_path)
		dio_fd = open(dio_path, O_RDWR | O_DIRECT | O_CLOEXEC);
}

static void reset_locks(struct ctx *c)
{
	unsigned int i;

	atomic_store(&c->fdlock, 0);
	for (i = 0; i < NSLOT; i++)
		atomic_store(&c->slots[i].lock, 0);
}

static void register_pid(void)
{
	unsigned int i = atomic_fetch_add(&sh->nprocs, 1);

	proc_idx = i;
	if (i < MAXPROCS)
		atomic_store(&sh->pids[i], getpid());
}

static pid_t worker_pid;

/*
 * fork with every slot locked: no other thread of ours is in the middle
 * of changing a window, so the child's table matches its address space.
 */
static pid_t locked_fork(struct ctx *c)
{
	unsigned int i;
	pid_t pid;

	/*
	 * The fd table too: a close caught half done would leave the child
	 * an index naming a closed number with its old generation, and a
	 * later open could give that number to another file.
	 */
	lock_wr(&c->fdlock);
	for (i = 0; i < NSLOT; i++)
		lock_wr(&c->slots[i].lock);
	pid = fork();
	if (pid == 0)
		return 0;	/* the child resets its locks */
	for (i = 0; i < NSLOT; i++)
		unlock_wr(&c->slots[i].lock);
	unlock_wr(&c->fdlock);
	return pid;
}

static void fuzz_loop(struct rng *r, unsigned int left)
{
	struct ctx *c = proc_ctx;
	struct res o;
	uint32_t seq = 0;

	while (left--) {
		unsigned int op = pick_op(r, true), s = below(r, NSLOT);
		struct oplog *e = log_op(op, seq++);

		atomic_fetch_add(&sh->opcount[op], 1);
		atomic_fetch_add(&sh->ops, 1);
		if (op == OP_EXIT) {
			if (e)
				e->res = 0;
			_exit(0);
		} else if (op == OP_KILL) {
			unsigned int n = atomic_load(&sh->nprocs), w;
			pid_t pid;

			w = below(r, n < MAXPROCS ? n : MAXPROCS);
			pid = atomic_load(&sh->pids[w]);
			o.r = -ENODATA;
			if (pid > 0 && pid != getpid())
				o.r = kill(pid, SIGKILL) ? -errno : 0;
			o.var = 0;
			o.a = pid;
			o.b = 0;
		} else if (op == OP_FORK) {
			uint64_t child_seed = rnd(r);
			pid_t pid;

			o.var = 0;
			o.b = 0;
			if (atomic_load(&sh->nprocs) >= max_procs) {
				o.r = -EAGAIN;
				o.a = 0;
			} else if ((pid = locked_fork(c)) == 0) {
				/* The child carries on with this thread's ops. */
				reset_locks(c);
				register_pid();
				/* /proc/self/mem opened by the parent is its mm. */
				close(mem_fd);
				mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
				my_ring = new_ring("p%u.f%u", proc_idx,
						   (unsigned int)(child_seed % 1000));
				r->s = child_seed;
				seq = 0;
				continue;
			} else {
				o.r = pid < 0 ? -errno : 0;
				o.a = pid;
			}
		} else {
			run_op(c, op, s, r, &o);
		}
		if (o.r == 0)
			atomic_fetch_add(&sh->opok[op], 1);
		if (e) {
			e->var = o.var;
			e->a = o.a;
			e->b = o.b | (uint64_t)s << 60;
			e->res = o.r;
		}
	}
	/* A forked child has this thread only: nothing to join. */
	if (getpid() != worker_pid)
		_exit(0);
}

struct thr_arg {
	unsigned int proc, thr;
	uint32_t round;
	uint8_t *buf;
	pthread_t th;
};

/*
 * A thread's buffer is mapped before any op runs: mapped later, the
 * kernel could place it in a window's momentary hole, and the next
 * MAP_FIXED there would replace it.
 */
static uint8_t *thread_buf(void)
{
	uint8_t *b = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED) {
		say("# gntfuzz: no thread buffer: %s", strerror(errno));
		_exit(4);
	}
	return b;
}

static void thread_setup(unsigned int proc, unsigned int thr, uint8_t *buf)
{
	tbuf = buf;
	thr_idx = thr;
	my_ring = new_ring("p%u.t%u", proc, thr);
}

static void *thread_main(void *p)
{
	struct thr_arg *a = p;
	struct rng r = { stream(a->round, a->proc, a->thr) };

	thread_setup(a->proc, a->thr, a->buf);
	fuzz_loop(&r, nops);
	return NULL;
}

static void worker(unsigned int proc, int shared_fd)
{
	struct thr_arg ta[8];
	struct sigaction sa = { .sa_handler = probe_handler };
	struct ctx *c;
	unsigned int i;
	struct rng r = { stream(cur_round, proc, 99) };

	register_pid();
	worker_pid = getpid();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	c = proc_ctx;
	fd_put(c, 0, shared_fd);
	for (i = 1; i < MAXFD; i++)
		fd_put(c, i, chance(&r, 500) ?
			  open(c->path, O_RDWR | O_CLOEXEC) : -1);
	proc_fds_open();
	for (i = 0; i < nthreads && i < 8; i++)
		ta[i].buf = thread_buf();
	for (i = 1; i < nthreads && i < 8; i++) {
		ta[i].proc = proc;
		ta[i].thr = i;
		ta[i].round = cur_round;
		pthread_create(&ta[i].th, NULL, thread_main, &ta[i]);
	}
	ta[0].proc = proc;
	ta[0].thr = 0;
	ta[0].round = cur_round;
	thread_main(&ta[0]);
	for (i = 1; i < nthreads && i < 8; i++)
		pthread_join(ta[i].th, NULL);
	/*
	 * Half of the workers clean up; the others leave it to exit.  The
	 * other processes still run, and a slot may name an offset that is
	 * no longer its map's (a forked child or a wild unmap freed it, and
	 * a map of another process took it): these unmaps move the epoch as
	 * op_unmap's do, or another process's MAP_GRANT_REF and mmap around
	 * one would expect its own map where the offset's next map is.  A
	 * slot whose fd index now names another file has no map there.
	 */
	if (chance(&r, 500)) {
		for (i = 0; i < NSLOT; i++) {
			struct slot *sl = &c->slots[i];
			struct oplog *e;
			int res;

			reserve(win(c, i, 0), WPG * PG);
			if (!sl->valid || sl->fdgen != c->fdgen[sl->fdi])
				continue;
			e = log_op(OP_UNMAP, nops + i);
			atomic_fetch_add(&sh->unmap_epoch, 1);
			res = gm_unmap_refs(fd_of(c, sl->fdi), sl->off,
					    sl->count);
			atomic_fetch_add(&sh->unmap_done, 1);
			if (e) {
				e->var = 8;	/* the worker's cleanup */
				e->a = sl->off;
				e->b = sl->count | (uint64_t)i << 60;
				e->res = res;
			}
		}
	}
	_exit(0);
}

/* ---- the oracles of a round ---- */

static const char *const bad_words[] = {
	"WARNING:", "BUG:", "kernel BUG", "Oops", "general protection fault",
	"Bad page", "Kernel panic", "implicit", "crashed", "domain_crash",
	"Call Trace:", "cut here", "soft lockup", "blocked for more than",
	"hung_task", "KASAN", "circular locking", "recursive locking",
	"lockdep", "rcu_sched", "rcu_preempt", "detected stall", "Assertion",
	"FATAL", "refcount_t",
};

static int kmsg_fd = -1;
static xc_interface *xch;
static uint32_t xen_index;
static char domu_log[160];
static off_t domu_off;

static unsigned int scan_text(const char *where, char *text)
{
	unsigned int i, bad = 0;
	char *line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; i < sizeof(bad_words) / sizeof(bad_words[0]); i++)
			if (strstr(line, bad_words[i]))
				break;
		if (i == sizeof(bad_words) / sizeof(bad_words[0]))
			continue;
		if (bad++ < 20)
			finding("log", "%s: %.300s", where, line);
	}
	return bad;
}

static void logs_start(void)
{
	char buf[4096];
	unsigned int size;
	struct stat st;
	uint32_t did;

	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	xch = xc_interface_open(NULL, NULL, 0);
	if (xch) {
		/* Skip what Xen logged before us. */
		do {
			size = sizeof(buf) - 1;
			if (xc_readconsolering(xch, buf, &size, 0, 1, &xen_index))
				break;
		} while (size > 0);
	}
	if (!testdom_lookup(domain, 1000, &did)) {
		snprintf(domu_log, sizeof(domu_log),
			 "/var/log/xen/console/guest-%s.log", domain);
		if (!stat(domu_log, &st))
			domu_off = st.st_size;
	}
}

/* Findings in what dom0, Xen and the domU logged since the last call. */
static unsigned int logs_scan(void)
{
	static char buf[65536];
	unsigned int bad = 0, size;
	ssize_t n;
	int fd;

	while (kmsg_fd >= 0) {
		n = read(kmsg_fd, buf, sizeof(buf) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		buf[n] = 0;
		bad += scan_text("dom0", strchr(buf, ';') ? strchr(buf, ';') + 1 :
				 buf);
	}
	while (xch) {
		size = sizeof(buf) - 1;
		if (xc_readconsolering(xch, buf, &size, 0, 1, &xen_index) ||
		    !size)
			break;
		buf[size] = 0;
		bad += scan_text("xen", buf);
	}
	if (domu_log[0] && (fd = open(domu_log, O_RDONLY | O_CLOEXEC)) >= 0) {
		while ((n = pread(fd, buf, sizeof(buf) - 1, domu_off)) > 0) {
			buf[n] = 0;
			domu_off += n;
			bad += scan_text("domU", buf);
		}
		close(fd);
	}
	return bad;
}

static long ctr(const char *name)
{
	return gm_counter(&dev, name);
}

/*
 * Counters back to their level from before the round once every process
 * is gone: in a drop-in boot xenstored's and xenconsoled's maps of the
 * test domain count too, and stay.
 */
static long live_before, pages_before, pend_before;

static void counters_before(void)
{
	if (!dev.is_gntmap)
		return;
	live_before = ctr("live_maps");
	pages_before = ctr("mapped_pages");
	pend_before = ctr("pending_unmaps");
}

static void check_counters(long failed0)
{
	long live = -1, pages = -1, pend = -1;
	int i;

	if (!dev.is_gntmap)
		return;
	for (i = 0; i < 200; i++) {
		live = ctr("live_maps");
		pages = ctr("mapped_pages");
		pend = ctr("pending_unmaps");
		if (live == live_before && pages == pages_before &&
		    pend == pend_before)
			break;
		usleep(50000);
	}
	if (live != live_before || pages != pages_before ||
	    pend != pend_before)
		finding("counters", "after 10 s live_maps %ld mapped_pages %ld "
			"pending_unmaps %ld, %ld %ld %ld before the round",
			live, pages, pend, live_before, pages_before,
			pend_before);
	if (ctr("unmap_failed") != failed0)
		finding("counters", "unmap_failed went from %ld to %ld", failed0,
			ctr("unmap_failed"));
}

/*
 * Pages pinned system-wide (nr_foll_pin_*) back at their level from before
 * the round: GRANT_COPY pins its local pages and must release every pin,
 * whatever the round did to the process in between.
 */
static long pins_before = -1;

static void check_pins(void)
{
	if (pins_before < 0 || gm_pins_settled(pins_before, 10000))
		return;
	finding("pins", "pages pinned: %ld before the round, %ld 10 s after "
		"its last process", pins_before, gm_pins_held());
}

static void dump_logs(void)
{
	unsigned int i, k, n = atomic_load(&sh->nrings);

	say("# op log of seed=%llu round=%u (last %u ops per thread; "
	    "slot in the top bits of b, res PENDING = died in it):",
	    (unsigned long long)seed, cur_round, log_n);
	for (i = 0; i < n && i < MAXRINGS; i++) {
		struct ring *rg = &sh->rings[i];
		unsigned int cnt = atomic_load(&rg->n);
		unsigned int from = cnt > log_n ? cnt - log_n : 0;

		for (k = from; k < cnt; k++) {
			struct oplog *e = &rg->e[k % log_n];

			if (e->res == PENDING)
				say("#   %s #%u g%llu %s v%u a=0x%llx b=0x%llx -> PENDING",
				    rg->who, e->seq, (unsigned long long)e->g,
				    op_name[e->op], e->var,
				    (unsigned long long)e->a,
				    (unsigned long long)e->b);
			else
				say("#   %s #%u g%llu %s v%u a=0x%llx b=0x%llx -> %d",
				    rg->who, e->seq, (unsigned long long)e->g,
				    op_name[e->op], e->var,
				    (unsigned long long)e->a,
				    (unsigned long long)e->b, e->res);
		}
	}
}

static void report_stuck(pid_t pid)
{
	char p[64], stk[2048] = "";
	ssize_t k;
	int f;

	snprintf(p, sizeof(p), "/proc/%d/stack", pid);
	f = open(p, O_RDONLY | O_CLOEXEC);
	if (f >= 0) {
		k = read(f, stk, sizeof(stk) - 1);
		stk[k > 0 ? k : 0] = 0;
		close(f);
	}
	for (k = 0; stk[k]; k++)
		if (stk[k] == '\n')
			stk[k] = ' ';
	finding("stuck", "pid %d survived SIGKILL for 30 s; stack: %s", pid,
		stk);
}

/*
 * One round: a fresh share, P workers on one fd, SIGKILLs from the parent
 * at random moments, then the oracles.  Returns the round's findings, or
 * -1 if the test domain stopped answering.
 */
static int one_round(struct testdom *td, uint32_t round, long failed0)
{
	struct rng r = { stream(round, 255, 255) };
	double t0, kill_at = -1, deadline = round_ms_max / 1000.0;
	unsigned int killed = 0;
	unsigned int i;
	int fd, st;
	pid_t pid;

	cur_round = round;
	atomic_store(&sh->findings, 0);
	atomic_store(&sh->nrings, 0);
	atomic_store(&sh->nprocs, 0);
	/* A process killed inside an unmap left done behind. */
	atomic_store(&sh->unmap_done, atomic_load(&sh->unmap_epoch));
	for (i = 0; i < MAXPROCS; i++) {
		atomic_store(&sh->pids[i], 0);
		atomic_store(&sh->pub_addr[i], 0);
	}
	sh->share_seed = (uint32_t)mix(seed ^ round);
	if (testdom_share(td, NREFS, true, sh->share_seed, sh->refs)) {
		say("# gntfuzz: round %u: the domU shares no pages", round);
		return -1;
	}
	fd = open(dev.path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		say("# gntfuzz: open %s: %s", dev.path, strerror(errno));
		return -1;
	}
	fflush(stdout);
	for (i = 0; i < nprocs_opt; i++) {
		pid = fork();
		if (pid == 0)
			worker(i, fd);
	}
	close(fd);
	if (chance(&r, 500))
		kill_at = (double)below(&r, 1500) / 1000;
	t0 = testdom_now_s();
	for (;;) {
		double t = testdom_now_s() - t0;

		pid = waitpid(-1, &st, WNOHANG);
		if (pid > 0) {
			if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
				finding("crash", "pid %d died of signal %d", pid,
					WTERMSIG(st));
			else if (WIFEXITED(st) && WEXITSTATUS(st))
				finding("crash", "pid %d exited with %d", pid,
					WEXITSTATUS(st));
			continue;
		}
		if (pid < 0 && errno == ECHILD)
			break;
		if (kill_at >= 0 && t >= kill_at) {
			unsigned int n = atomic_load(&sh->nprocs);

			n = n < MAXPROCS ? n : MAXPROCS;
			pid = n ? atomic_load(&sh->pids[below(&r, n)]) : 0;
			if (pid > 0)
				kill(pid, SIGKILL);
			kill_at = -1;
		}
		if (t > deadline) {
			/* The round's time is up: SIGKILL whatever still runs;
			 * a process that survives that for 30 s is stuck. */
			unsigned int n = atomic_load(&sh->nprocs);

			for (i = 0; i < n && i < MAXPROCS; i++) {
				pid = atomic_load(&sh->pids[i]);
				if (pid <= 0 || kill(pid, 0))
					continue;
				if (killed)
					report_stuck(pid);
				kill(pid, SIGKILL);
			}
			killed++;
			deadline += 30;
		}
		usleep(2000);
	}
	check_counters(failed0);
	check_pins();
	st = testdom_end_all_wait(td, 10000);
	if (st)
		finding("leak", "the domU could not end foreign access on %d "
			"of %u pages", st, NREFS);
	logs_scan();
	if (atomic_load(&sh->findings))
		dump_logs();
	return atomic_load(&sh->findings);
}

/* ---- --diff: one process, two devices, op by op ---- */

struct diffkey {
	unsigned int op, var;
	int ra, rb;
	unsigned long n;
};

static struct ctx *ctx_new(const char *name, const char *path)
{
	struct ctx *c = calloc(1, sizeof(*c));
	unsigned int i, k;

	if (!c)
		return NULL;
	c->name = name;
	c->path = path;
	c->stock = !strcmp(name, "stock");
	c->arena = mmap(NULL, (size_t)NSLOT * WPG * PG, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	for (i = 0; i < NSLOT; i++)
		for (k = 0; k < WPG; k++)
			c->slots[i].wmap[k] = W_NONE;
	for (i = 0; i < MAXFD; i++)
		fd_put(c, i, -1);
	return c;
}

static void ctx_reset(struct ctx *c)
{
	unsigned int i, k;

	for (i = 0; i < MAXFD; i++) {
		if (c->fds[i] >= 0)
			close(c->fds[i]);
		fd_put(c, i, -1);
	}
	reserve(c->arena, (size_t)NSLOT * WPG * PG);
	memset(c->slots, 0, sizeof(c->slots));
	for (i = 0; i < NSLOT; i++)
		for (k = 0; k < WPG; k++)
			c->slots[i].wmap[k] = W_NONE;
	fd_put(c, 0, open(c->path, O_RDWR | O_CLOEXEC));
	fd_put(c, 1, open(c->path, O_RDWR | O_CLOEXEC));
}

static const char *errname(int r, char *buf, size_t n)
{
	if (r == 0)
		return "0";
	if (r >= 1000)
		snprintf(buf, n, "signal %d", r - 1000);
	else if (r == PENDING)
		return "?";
	else
		snprintf(buf, n, "-%s", strerrorname_np(-r) ? strerrorname_np(-r) : "?");
	return buf;
}

/*
 * Both devices get the same op with the same random draws (each ctx
 * replays the rng from the same state).  A result that differs is
 * remembered by (op, variant, results) and printed once with its count;
 * a result of gntmap's that breaks docs/gntmap.md is a finding.
 */
static int diff_run(struct testdom *td, struct ctx *a, struct ctx *b,
		    uint32_t round, struct diffkey *keys, unsigned int *nkeys,
		    unsigned int maxkeys)
{
	struct rng r = { stream(round, 254, 0) }, ra;
	struct oplog *e;
	struct res oa, ob;
	unsigned int k, i;
	char e1[32], e2[32], e3[32];

	cur_round = round;
	atomic_store(&sh->findings, 0);
	atomic_store(&sh->nrings, 0);
	my_ring = new_ring("diff");
	sh->share_seed = (uint32_t)mix(seed ^ round);
	if (testdom_share(td, NREFS, true, sh->share_seed, sh->refs))
		return -1;
	ctx_reset(a);
	ctx_reset(b);
	for (k = 0; k < nops * nthreads; k++) {
		unsigned int op = pick_op(&r, false), s = below(&r, NSLOT);

		/*
		 * Stock ignores SET_MAX_GRANTS (ENOTTY); gntmap enforces it
		 * when enforce_max_grants is set, and then every later map
		 * would differ.
		 */
		if (op == OP_MAXGR)
			continue;
		e = log_op(op, k);
		ra = r;
		run_op(a, op, s, &ra, &oa);
		ra = r;
		run_op(b, op, s, &ra, &ob);
		r = ra;
		if (e) {	/* gntmap's result; stock's is in the diff line */
			e->var = ob.var;
			e->a = ob.a;
			e->b = ob.b | (uint64_t)s << 60;
			e->res = ob.r;
		}
		atomic_fetch_add(&sh->ops, 2);
		atomic_fetch_add(&sh->opcount[op], 2);
		if (ob.expect != PENDING && ob.r != ob.expect && ob.r != -EBADF)
			finding("promise", "%s v%u a=0x%llx b=0x%llx: gntmap %s, "
				"docs/gntmap.md says %s", op_name[op], ob.var,
				(unsigned long long)ob.a, (unsigned long long)ob.b,
				errname(ob.r, e1, sizeof(e1)),
				errname(ob.expect, e2, sizeof(e2)));
		if (oa.r == ob.r || op == OP_TOUCH || oa.r == PENDING)
			continue;
		for (i = 0; i < *nkeys; i++)
			if (keys[i].op == op && keys[i].var == oa.var &&
			    keys[i].ra == oa.r && keys[i].rb == ob.r)
				break;
		if (i < *nkeys) {
			keys[i].n++;
			continue;
		}
		if (*nkeys >= maxkeys)
			continue;
		keys[i] = (struct diffkey){ op, oa.var, oa.r, ob.r, 1 };
		(*nkeys)++;
		say("# difference seed=%llu round=%u op %u: %s v%u a=0x%llx "
		    "b=0x%llx: stock %s, gntmap %s%s%s",
		    (unsigned long long)seed, round, k, op_name[op], oa.var,
		    (unsigned long long)oa.a, (unsigned long long)oa.b,
		    errname(oa.r, e1, sizeof(e1)), errname(ob.r, e2, sizeof(e2)),
		    ob.expect != PENDING ? ", documented " : "",
		    ob.expect != PENDING ? errname(ob.expect, e3, sizeof(e3)) : "");
	}
	ctx_reset(a);
	ctx_reset(b);
	/* Pages pinned in the pipes are the fuzzer's: let them go. */
	for (i = 0; i < 2; i++) {
		close(pipes[i][0]);
		close(pipes[i][1]);
		if (pipe2(pipes[i], O_NONBLOCK | O_CLOEXEC))
			pipes[i][0] = pipes[i][1] = -1;
	}
	for (i = 0; i < MAXFD; i++) {
		close(a->fds[i]);
		close(b->fds[i]);
		fd_put(a, i, -1);
		fd_put(b, i, -1);
	}
	reserve(a->arena, (size_t)NSLOT * WPG * PG);
	reserve(b->arena, (size_t)NSLOT * WPG * PG);
	return 0;
}

/* ---- main ---- */

static int parse_avoid(const char *arg)
{
	char *list = strdup(arg), *w, *save = NULL;
	unsigned int i;

	for (w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "dofork")) {
			avoid_dofork = true;
			continue;
		}
		for (i = 0; i < NOPS; i++)
			if (!strcmp(w, op_name[i]))
				break;
		if (i == NOPS || i == OP_TOUCH) {
			fprintf(stderr, "gntfuzz: bad --avoid '%s'\n", w);
			free(list);
			return -1;
		}
		avoid_op[i] = true;
	}
	free(list);
	return 0;
}

/* --seed N: also tells that the seed is not the clock's. */
static bool seeded;

static int parse_seed(const char *arg)
{
	seed = cli_number("gntfuzz", "seed", arg, 0, ~0ul);
	seeded = true;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *diff_path = NULL;
	unsigned long seconds = 60, rounds = 0, progress = 10;
	long first_round = -1, failed0 = -1;
	unsigned long total_findings = 0, round_findings = 0, nrounds = 0;
	bool json = false;
	double t0, last;
	struct testdom *td;
	struct diffkey keys[256];
	unsigned int nkeys = 0, i;
	uint32_t round;
	const struct vmopt opts[] = {
		VMOPT_STR("device", 'D', "PATH", "device",
			  "/dev/xen/gntmap, else /dev/xen/gntdev", &path),
		VMOPT_FLAG("control", 'c',
			   "the device is stock's: findings are reported, not failures",
			   &control),
		VMOPT_STR("diff", 'x', "PATH",
			  "one process, each op on PATH (stock) and on --device (gntmap): report differences",
			  "", &diff_path),
		VMOPT_DOMAIN(&domain),
		VMOPT_FN("seed", 'S', "N", "seed",
			 "from the clock, printed", parse_seed),
		VMOPT_NUM("round", 'r', "N", "replay round N only", "",
			  &first_round, 0, 0xffffffffu),
		VMOPT_NUM("rounds", 'n', "N", "run N rounds",
			  "until --seconds", &rounds, 1, 1ul << 30),
		VMOPT_NUM("seconds", 's', "N",
			  "stop starting rounds after N s", NULL, &seconds, 1,
			  30 * 86400),
		VMOPT_NUM("procs", 'p', "N", "processes per round, 1-16", NULL,
			  &nprocs_opt, 1, 16),
		VMOPT_NUM("threads", 't', "N", "threads per process, 1-8",
			  NULL, &nthreads, 1, 8),
		VMOPT_NUM("ops", 'o', "N", "ops per thread per round", NULL,
			  &nops, 1, 1000000),
		VMOPT_NUM("log", 'l', "N", "ops per thread in the dump, 1-256",
			  NULL, &log_n, 1, LOGMAX),
		VMOPT_STR("dio", 'I', "PATH",
			  "block device for O_DIRECT ops", "none", &dio_path),
		VMOPT_FN("avoid", 'A', "LIST",
			 "leave out these ops (names as in the summary) and 'dofork' (madvise DOFORK), comma-separated: for known findings",
			 "", parse_avoid),
		VMOPT_FLAG("stock-unsafe", 'U',
			   "on stock, also mprotect and CLEAR_BYTE on read-only maps (findings 2 and 3: they break stock's maps or oops dom0)",
			   &stock_unsafe),
		VMOPT_NUM("max-procs", 'm', "N",
			  "processes a round may fork up to", NULL, &max_procs,
			  1, MAXPROCS),
		VMOPT_NUM("progress", 'P', "N", "progress line every N s", NULL,
			  &progress, 1, 3600),
		VMOPT_FLAG("json", 'j', "a JSON summary line at the end", &json),
		VMOPT_FLAG("verbose", 'v', "a line per round", &verbose),
		VMOPT_FLAG("stop", 'X', "end after the first round with a finding",
			   &stop),
		{ }
	};

	vmopt_parse(argc, argv, opts,
		"Fuzz the gntdev ABI and the maps' address-space changes with\n"
		"the test domain's grants; oracles after every round (docs/gntfuzz.md).\n");
	if (!seeded)
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;

	dev.name = control ? "stock" : "gntmap";
	if (control) {
		dev.path = path ? path : "/dev/xen/gntdev";
		if (!gm_dev_probe(&dev)) {
			tap_skip("no such device", "fuzz %s", dev.path);
			return tap_done();
		}
		if (dev.is_gntmap) {
			fprintf(stderr, "gntfuzz: --control, but gntmap serves %s\n",
				dev.path);
			return 2;
		}
	} else {
		dev.path = "/dev/xen/gntmap";
		if (!gm_dev_pick(&dev, path)) {
			tap_skip("gntmap serves no device in this boot", "fuzz %s",
				 dev.path);
			return tap_done();
		}
	}

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		fprintf(stderr, "gntfuzz: shared memory: %s\n", strerror(errno));
		return 1;
	}
	memset(sh, 0, sizeof(*sh));
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);

	td = testdom_open(domain, 120000);
	if (!tap_ok(td, "domain %s: sharer ready", domain))
		return tap_done();
	sh->domid = testdom_domid(td);
	logs_start();
	failed0 = ctr("unmap_failed");
	tap_diag("seed %llu, device %s (%s), %u procs x %u threads x %u ops "
		 "a round", (unsigned long long)seed, dev.path, dev.name,
		 nprocs_opt, nthreads, nops);
	{
		char cmd[512] = "gntfuzz";
		int k;

		for (k = 1; k < argc; k++)
			if (strlen(cmd) + strlen(argv[k]) + 2 < sizeof(cmd))
				strcat(strcat(cmd, " "), argv[k]);
		tap_diag("replay a round R: %s%s --round R", cmd,
			 seeded ? "" : " --seed <the seed above>");
	}
	if (dio_path)
		tap_diag("O_DIRECT device %s", dio_path);
	if (avoid_dofork)
		tap_diag("avoiding madvise(MADV_DOFORK): docs/gntfuzz.md, finding 1");

	struct ctx *ca = NULL, *cb = NULL;

	if (diff_path) {
		ca = ctx_new("stock", diff_path);
		cb = ctx_new("gntmap", dev.path);
		thread_setup(0, 0, thread_buf());
		my_ring = NULL;
		proc_fds_open();
		if (!ca || !cb) {
			fprintf(stderr, "gntfuzz: out of memory\n");
			return 1;
		}
	} else {
		proc_ctx = ctx_new(dev.name, dev.path);
		if (!proc_ctx) {
			fprintf(stderr, "gntfuzz: out of memory\n");
			return 1;
		}
	}

	t0 = last = testdom_now_s();
	round = first_round >= 0 ? (uint32_t)first_round : 0;
	for (;;) {
		int f;

		pins_before = gm_pins_held();
		counters_before();
		if (diff_path) {
			struct sigaction sa = { .sa_handler = probe_handler };

			sigemptyset(&sa.sa_mask);
			sa.sa_flags = SA_NODEFER;
			sigaction(SIGSEGV, &sa, NULL);
			sigaction(SIGBUS, &sa, NULL);
			f = diff_run(td, ca, cb, round, keys, &nkeys,
				     sizeof(keys) / sizeof(keys[0]));
			if (!f) {
				check_counters(failed0);
				check_pins();
				f = testdom_end_all_wait(td, 10000);
				if (f)
					finding("leak", "the domU could not end "
						"foreign access on %d pages", f);
				logs_scan();
				f = atomic_load(&sh->findings);
				if (f)
					dump_logs();
			}
		} else {
			f = one_round(td, round, failed0);
		}
		if (f < 0) {
			tap_ok(false, "round %u: the test domain answers", round);
			break;
		}
		nrounds++;
		total_findings += f;
		round_findings += f > 0;
		if (verbose)
			say("# round %u: %d findings, %lu ops so far", round, f,
			    (unsigned long)atomic_load(&sh->ops));
		if (testdom_now_s() - last >= progress) {
			double t = testdom_now_s() - t0;

			char line[160];
			int con;

			last = testdom_now_s();
			snprintf(line, sizeof(line), "progress %.0f s: %lu ops "
				 "(%.0f ops/s), %lu rounds, %lu findings", t,
				 (unsigned long)atomic_load(&sh->ops),
				 atomic_load(&sh->ops) / t, nrounds, total_findings);
			say("# %s", line);
			/* The host sees a test's output only when it ends;
			 * the console shows the progress as it comes. */
			con = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
			if (con >= 0) {
				dprintf(con, "gntfuzz: %s\n", line);
				close(con);
			}
		}
		round++;
		if (first_round >= 0 && !rounds)
			break;
		if (stop && f > 0) {
			tap_diag("first finding in round %u, %.0f s into the run",
				 round - 1, testdom_now_s() - t0);
			break;
		}
		if (rounds ? nrounds >= rounds : testdom_now_s() - t0 >= seconds)
			break;
	}

	double t = testdom_now_s() - t0;
	unsigned long ops = atomic_load(&sh->ops);

	tap_diag("%lu ops in %lu rounds, %.0f s: %.0f ops/s", ops, nrounds, t,
		 t > 0 ? ops / t : 0);
	for (i = 0; i < NOPS; i++)
		if (atomic_load(&sh->opcount[i]))
			tap_diag("  %-15s %8lu (%lu returned 0)", op_name[i],
				 (unsigned long)atomic_load(&sh->opcount[i]),
				 (unsigned long)atomic_load(&sh->opok[i]));
	if (diff_path) {
		tap_diag("%u distinct differences between %s and %s", nkeys,
			 diff_path, dev.path);
		for (i = 0; i < nkeys; i++)
			tap_diag("  %s v%u: stock %d, gntmap %d (%lu times)",
				 op_name[keys[i].op], keys[i].var, keys[i].ra,
				 keys[i].rb, keys[i].n);
	}
	if (json)
		say("{\"tool\":\"gntfuzz\",\"device\":\"%s\",\"kind\":\"%s\","
		    "\"seed\":%llu,\"rounds\":%lu,\"ops\":%lu,\"seconds\":%.1f,"
		    "\"ops_per_s\":%.0f,\"findings\":%lu,\"rounds_with_findings\":%lu,"
		    "\"differences\":%u}", dev.path,
		    diff_path ? "diff" : dev.name, (unsigned long long)seed,
		    nrounds, ops, t, t > 0 ? ops / t : 0, total_findings,
		    round_findings, nkeys);
	tap_ok(ops > 0 && nrounds > 0, "%lu ops in %lu rounds made progress",
	       ops, nrounds);
	if (control && total_findings)
		tap_diag("stock: %lu findings in %lu rounds (a control: "
			 "reported, not failed; see docs/gntfuzz.md)",
			 total_findings, round_findings);
	else
		tap_ok(total_findings == 0, "seed %llu: no finding in %lu rounds "
		       "(%lu findings in %lu rounds)", (unsigned long long)seed,
		       nrounds, total_findings, round_findings);
	testdom_close(td);
	return tap_done();
}
