// SPDX-License-Identifier: GPL-2.0
/*
 * dmbench: figure 4 of `make bench` (docs/performance.md), in dom0.
 *
 * The same dmirror sources on our core (dmirror.ko over itn_core.ko) and on
 * the kernel's mmu_interval_notifier (dmirror_kern.ko over
 * itn_core_kern.ko).  Both register the same device names, so they cannot
 * be loaded together: each side of an A/B round (benchlib.h) loads one,
 * measures, and unloads it.  Figures:
 *   - READ of a cold mirror of MB MiB of anonymous memory: the range fault
 *     plus the copy, in MiB/s;
 *   - one invalidation (MADV_DONTNEED of a touched page) with SUBS open
 *     mirrors, each a subscription over the whole address space, in us.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dmirror_uapi.h"
#include "benchlib.h"

#define DEV		"/dev/hmm_dmirror0"

static const char *const mods[2] = { "dmirror", "dmirror_kern" };
static const char *const cores[2] = { "itn_core", "itn_core_kern" };
static const char *moddir = "/lib/modules/gntmap";
static size_t page_size;

/* A shell command, its output kept out of the TAP stream: 0 if it worked. */
static __attribute__((format(printf, 1, 2))) int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 12, fmt, ap);
	va_end(ap);
	strcat(cmd, " >/dev/null");
	return system(cmd);
}

/* Load the dmirror build of @side over its core; NULL or why not. */
static const char *load(unsigned int side)
{
	static char why[320];
	struct stat st;
	int i;

	why[0] = 0;
	if (sh("[ -d /sys/module/%s ] || insmod %s/core/%s.ko", cores[side],
	       moddir, cores[side]))
		snprintf(why, sizeof(why), "insmod %s failed", cores[side]);
	else if (sh("for m in %s %s; do [ ! -d /sys/module/$m ] || rmmod $m || exit 1; done",
		    mods[0], mods[1]))
		snprintf(why, sizeof(why), "rmmod of a dmirror build failed");
	else if (sh("insmod %s/dmirror/%s.ko", moddir, mods[side]))
		snprintf(why, sizeof(why), "insmod %s failed", mods[side]);
	else
		for (i = 0; i < 100; i++, usleep(20000))
			if (!stat(DEV, &st))
				return NULL;
	if (!why[0])
		snprintf(why, sizeof(why), "no %s after insmod %s", DEV,
			 mods[side]);
	return why;
}

/* MiB/s of one READ of a cold mirror over @src. */
static int read_once(const uint8_t *src, uint8_t *dst, size_t bytes,
		     double *mibs)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)src, .ptr = (uintptr_t)dst,
		.npages = bytes / page_size,
	};
	double t0, t1;
	int fd, r = 0;

	fd = open(DEV, O_RDWR);
	if (fd < 0)
		return errno;
	t0 = bench_now_ns();
	if (ioctl(fd, HMM_DMIRROR_READ, &cmd))
		r = errno;
	t1 = bench_now_ns();
	close(fd);
	if (!r && cmd.cpages != cmd.npages)
		r = EIO;
	if (!r && memcmp(src, dst, bytes))
		r = EILSEQ;	/* a wrong copy is no figure */
	*mibs = bytes / (1024.0 * 1024) / ((t1 - t0) / 1e9);
	return r;
}

/* us per invalidation with @subs mirrors open. */
static int inval_once(unsigned int subs, double *us)
{
	int *fds = calloc(subs, sizeof(int));
	unsigned int i, n = 0, k, rounds = 200;
	volatile uint8_t *p;
	double sum = 0, t;
	int r = 0;

	p = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!fds || p == MAP_FAILED) {
		r = ENOMEM;
		goto out;
	}
	for (n = 0; n < subs; n++) {
		fds[n] = open(DEV, O_RDWR);
		if (fds[n] < 0) {
			r = errno;
			goto out;
		}
	}
	for (k = 0; k < rounds; k++) {
		p[0] = k;
		t = bench_now_ns();
		if (madvise((void *)p, page_size, MADV_DONTNEED)) {
			r = errno;
			goto out;
		}
		sum += bench_now_ns() - t;
	}
	/* The mean, not the median of single calls: the clock of a PV
	 * dom0 under TCG can stand still for a short call. */
	*us = sum / rounds / 1e3;
out:
	for (i = 0; i < n; i++)
		close(fds[i]);
	if (p != MAP_FAILED)
		munmap((void *)p, page_size);
	free(fds);
	return r;
}

struct dm {
	uint8_t *src, *dst;
	size_t bytes;
	unsigned int subs;
	const char *why;	/* a module that would not load */
};

/* One side: v[0] the READ in MiB/s, v[1] the invalidation in us. */
static int sample(void *ctx, unsigned int side, double *v)
{
	struct dm *d = ctx;
	int err;

	d->why = load(side);
	if (d->why)
		return ENODEV;
	err = read_once(d->src, d->dst, d->bytes, &v[0]);
	memset(d->dst, 0, d->bytes);
	if (!err && d->subs)
		err = inval_once(d->subs, &v[1]);
	sh("rmmod %s", mods[side]);
	return err;
}

int main(int argc, char **argv)
{
	unsigned int repeats = 5, mb = 64, subs = 1024, b = 0;
	const struct bench_opt opts[] = {
		BENCH_NUM("repeats", 'r', "N", "A/B rounds, median taken",
			  &repeats, 1, BENCH_MAX_ROUNDS),
		BENCH_NUM("mb", 256 + 'm', "MB", "size of the READ", &mb, 1, 1024),
		BENCH_NUM("subs", 256 + 's', "N",
			  "open mirrors for the invalidation", &subs, 1, 60000),
		BENCH_STR("moddir", 256 + 'd', "DIR",
			  "modules (/lib/modules/gntmap)", &moddir),
		{ NULL },
	};
	char name[64], inval_name[64];
	struct bench_samples s[2];
	struct dm d = { 0 };
	struct rlimit rl;
	size_t i;
	int err;

	bench_options(argc, argv, opts, "", 0,
		      "Figure 4 of make bench: dmirror on our core (dmirror.ko) against\n"
		      "the kernel's notifier (dmirror_kern.ko), loaded in turn.\n"
		      "Prints TAP; each figure's JSON follows '# BENCH '.\n");
	page_size = sysconf(_SC_PAGESIZE);
	bench_env();
	snprintf(name, sizeof(name), "fig4-dmirror-read-%umib", mb);
	snprintf(inval_name, sizeof(inval_name), "fig4-invalidate-%usubs",
		 subs);

	rl.rlim_cur = rl.rlim_max = subs + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		bench_missing(inval_name, "us", "RLIMIT_NOFILE %u: %s",
			      subs + 64, strerror(errno));
		subs = 0;
	}
	d.subs = subs;
	d.bytes = (size_t)mb << 20;
	d.src = mmap(NULL, d.bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	d.dst = mmap(NULL, d.bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d.src == MAP_FAILED || d.dst == MAP_FAILED) {
		bench_check(false, "%s: cannot allocate 2 x %u MiB", name, mb);
		return bench_done();
	}
	/* Present and distinct pages, so the mirror has real work. */
	for (i = 0; i < d.bytes; i += page_size)
		memset(d.src + i, (int)(i / page_size), 64);
	memset(d.dst, 0, d.bytes);

	err = bench_rounds(2, repeats, sample, &d, s, &b);
	if (err) {
		if (!d.why)
			d.why = strerror(err);
		bench_missing(name, "MiB/s", "%s: %s", mods[b], d.why);
		if (subs)
			bench_missing(inval_name, "us", "%s: %s", mods[b],
				      d.why);
		return bench_done();
	}
	bench_emit_paired(name, "MiB/s", s[0].v[0], s[1].v[0], repeats, true,
			  -1, NULL);
	if (subs)
		bench_emit_paired(inval_name, "us", s[0].v[1], s[1].v[1],
				  repeats, false, subs, NULL);
	return bench_done();
}
