// SPDX-License-Identifier: GPL-2.0
/*
 * qdiskbench: figure 8 of `make bench` (docs/performance.md), in dom0.
 *
 * Disk I/O of a domU whose disk QEMU's qdisk backend serves from dom0's
 * tmpfs, with that QEMU on gntmap against one on stock xen-gntdev, in one
 * boot.  Each side is a test domain of its own (xen-configs/qdb-*.cfg)
 * whose device model the harness started with /dev/xen/gntmap or stock's
 * /dev/xen/gntdev behind /dev/xen/gntdev (run-suite's @domain NAME
 * gntdev=DEV); a third domain on stock is the control.  A sample is one
 * fio run in the side's domain (fio-peer, fio-proto.h): sequential read
 * and write of 1 MiB blocks, random read and write of 4 KiB, O_DIRECT,
 * one job after the other; the sides take turns in the rounds of
 * benchlib.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xenstore.h>

#include "testdom.h"
#include "benchlib.h"
#include "fio-proto.h"

#define MAX_SIDES	3

struct side {
	const char *name;	/* domain */
	const char *dev;	/* what its device model must have open */
	uint32_t domid;
};

struct ctx {
	struct xs_handle *xs;
	struct side side[MAX_SIDES];
	unsigned int mb, secs, seq;
	double io[MAX_SIDES][FIO_NJOBS];	/* MiB moved, last sample */
	char why[256];
};

static char *node(uint32_t domid, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "/local/domain/%u/%s", domid, rel);
	return buf;
}

/*
 * Wait up to @secs for @path to start with @want; 0, -ETIMEDOUT, or
 * -ESRCH if the domain went away.  The watch wakes us; the node is read
 * again every second in any case.
 */
static int wait_node(struct ctx *c, uint32_t domid, const char *path,
		     const char *want, unsigned int secs, char **val)
{
	double end = bench_now_ns() + secs * 1e9;
	struct pollfd p = { .fd = xs_fileno(c->xs), .events = POLLIN };
	char dom[64], **ev;
	unsigned int n;
	char *v;
	int r = -ETIMEDOUT;

	if (!xs_watch(c->xs, path, "qdiskbench"))
		return -errno;
	for (;;) {
		v = xs_read(c->xs, XBT_NULL, path, &n);
		if (v && !strncmp(v, want, strlen(want))) {
			*val = v;
			r = 0;
			break;
		}
		free(v);
		v = xs_read(c->xs, XBT_NULL, node(domid, "name", dom, sizeof(dom)),
			    &n);
		if (!v) {
			r = -ESRCH;
			break;
		}
		free(v);
		if (bench_now_ns() > end)
			break;
		if (poll(&p, 1, 1000) > 0) {
			ev = xs_read_watch(c->xs, &n);
			free(ev);
		}
	}
	xs_unwatch(c->xs, path, "qdiskbench");
	return r;
}

/*
 * One fio run in side @s's domain: @v[j] the MiB/s of job j.  0 or an
 * errno, with the reason in c->why.
 */
static int run_once(struct ctx *c, unsigned int s, unsigned int secs,
		    double *v)
{
	struct side *sd = &c->side[s];
	char path[96], req[64], want[32], *res = NULL, *p;
	double bw, io;
	unsigned int j;
	int r, off;

	c->seq++;
	snprintf(req, sizeof(req), "%u %u %u", c->seq, c->mb, secs);
	snprintf(want, sizeof(want), "%u ", c->seq);
	if (!xs_write(c->xs, XBT_NULL, node(sd->domid, FIO_NODE_REQ, path,
					    sizeof(path)), req, strlen(req))) {
		r = errno;
		snprintf(c->why, sizeof(c->why), "%s: cannot write %s: %s",
			 sd->name, path, strerror(r));
		return r;
	}
	/* Four jobs, fio's start, and a slow emulated domU: generous. */
	r = wait_node(c, sd->domid, node(sd->domid, FIO_NODE_RES, path,
					 sizeof(path)), want,
		      120 + 8 * FIO_NJOBS * secs, &res);
	if (r) {
		snprintf(c->why, sizeof(c->why), "%s: no answer from fio-peer: %s",
			 sd->name, strerror(-r));
		return -r;
	}
	p = res + strlen(want);
	if (strncmp(p, "ok ", 3)) {
		snprintf(c->why, sizeof(c->why), "%s: fio-peer: %s", sd->name, p);
		free(res);
		return EIO;
	}
	p += 3;
	for (j = 0; j < FIO_NJOBS; j++) {
		if (sscanf(p, "%lf %lf%n", &bw, &io, &off) != 2 || bw <= 0) {
			snprintf(c->why, sizeof(c->why), "%s: bad answer '%s'",
				 sd->name, res);
			free(res);
			return EPROTO;
		}
		p += off;
		v[j] = bw / (1 << 20);
		c->io[s][j] = io / (1 << 20);
	}
	free(res);
	return 0;
}

/* The device model of @domid: the process run with "-xen-domid N". */
static pid_t dm_pid(uint32_t domid)
{
	char path[300], cmd[4096], id[16];
	DIR *d = opendir("/proc");
	const char *prev, *arg;
	struct dirent *e;
	pid_t pid = 0;
	ssize_t n;
	int fd;

	snprintf(id, sizeof(id), "%u", domid);
	while (d && !pid && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (n <= 0)
			continue;
		cmd[n] = 0;
		/* NUL-separated arguments: "-xen-domid" then the id. */
		for (prev = "", arg = cmd; arg < cmd + n;
		     prev = arg, arg += strlen(arg) + 1)
			if (!strcmp(prev, "-xen-domid") && !strcmp(arg, id))
				pid = atoi(e->d_name);
	}
	if (d)
		closedir(d);
	return pid;
}

/*
 * Check that side @s's device model maps through its device: one of its
 * open files is the character device @sd->dev is here (gntmap's for ours,
 * stock's /dev/xen/gntdev for the others), and none is the other one's.
 */
static void check_dm(struct ctx *c, unsigned int s, const char *other)
{
	struct side *sd = &c->side[s];
	struct stat want, no, st;
	char path[64], fd[400];
	bool has = false, wrong = false;
	struct dirent *e;
	pid_t pid;
	DIR *d;

	pid = dm_pid(sd->domid);
	if (!pid || stat(sd->dev, &want) || stat(other, &no)) {
		bench_check(false, "fig8: %s's device model maps through %s (%s)",
			    sd->name, sd->dev, pid ? strerror(errno) :
			    "no process with -xen-domid");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		snprintf(fd, sizeof(fd), "%s/%s", path, e->d_name);
		if (stat(fd, &st) || !S_ISCHR(st.st_mode))
			continue;
		has |= st.st_rdev == want.st_rdev;
		wrong |= st.st_rdev == no.st_rdev;
	}
	if (d)
		closedir(d);
	bench_check(has && !wrong, "fig8: %s's device model (pid %d) maps through %s%s",
		    sd->name, pid, sd->dev, wrong ? ", but has the other device open" :
		    has ? "" : ", but has it not open");
}

static int sample(void *ctx, unsigned int s, double *v)
{
	struct ctx *c = ctx;

	return run_once(c, s, c->secs, v);
}

/* Job j of each round: MiB/s, and IOPS (the same samples over its bs). */
static void emit(const char *fmt, const struct fio_job *j, const double *ours,
		 const double *base, unsigned int rounds)
{
	double o[BENCH_MAX_ROUNDS], b[BENCH_MAX_ROUNDS];
	double per = (double)(1 << 20) / j->bs;
	unsigned int r;
	char name[64];

	snprintf(name, sizeof(name), fmt, "qdisk", j->name);
	bench_emit_paired(name, "MiB/s", ours, base, rounds, true, -1, j->name);
	for (r = 0; r < rounds; r++) {
		o[r] = ours[r] * per;
		b[r] = base[r] * per;
	}
	snprintf(name, sizeof(name), fmt, "iops", j->name);
	bench_emit_paired(name, "IOPS", o, b, rounds, true, -1, j->name);
}

int main(int argc, char **argv)
{
	const char *control = NULL, *fig = "fig8";
	const char *ours_dev = "/dev/xen/gntmap", *base_dev = "/dev/xen/gntdev";
	unsigned int repeats = 5, mb = 256, secs = 5, warm = 1, i, j, n;
	unsigned int failed = 0;
	const struct bench_opt opts[] = {
		BENCH_NUM("repeats", 'r', "N", "rounds (one fio run per side each)",
			  &repeats, 1, BENCH_MAX_ROUNDS),
		BENCH_NUM("mb", 256 + 'm', "MB", "disk span of every job, MiB",
			  &mb, 1, 1 << 20),
		BENCH_NUM("secs", 's', "S", "at most S seconds per job", &secs,
			  1, 600),
		BENCH_NUM("warmup", 256 + 'w', "S",
			  "an untimed run of S seconds per job on each side first (0: none)",
			  &warm, 0, 600),
		BENCH_STR("control", 'c', "DOMAIN",
			  "a second baseline domain (stock): the control, in the same rounds",
			  &control),
		BENCH_STR("ours-dev", 256 + 'o', "DEV",
			  "what OURS's device model must have open (/dev/xen/gntmap)",
			  &ours_dev),
		BENCH_STR("base-dev", 256 + 'b', "DEV",
			  "what the others' must have open (/dev/xen/gntdev)",
			  &base_dev),
		{ NULL },
	};
	struct ctx c = { 0 };
	struct bench_samples s[MAX_SIDES];
	double v[BENCH_MAX_VALUES];
	char path[96], *val;
	int k, r = 0;

	k = bench_options(argc, argv, opts, "OURS BASELINE", 2,
			  "Figure 8 of make bench: fio in domain OURS (its qdisk backend on\n"
			  "gntmap) against domain BASELINE (on stock xen-gntdev), in rounds;\n"
			  "each domain runs fio-peer.  Prints TAP; each figure follows\n"
			  "'# BENCH '.\n");
	c.mb = mb;
	c.secs = secs;
	c.side[0].name = argv[k];
	c.side[1].name = argv[k + 1];
	c.side[2].name = control;
	c.side[0].dev = ours_dev;
	c.side[1].dev = c.side[2].dev = base_dev;
	n = control ? 3 : 2;
	bench_env();
	c.xs = xs_open(0);
	if (!c.xs) {
		bench_check(false, "%s: xenstore: %s", fig, strerror(errno));
		return bench_done();
	}
	for (i = 0; i < n && !r; i++) {
		r = testdom_lookup(c.side[i].name, 120000, &c.side[i].domid);
		if (r) {
			bench_check(false, "%s: domain %s: %s", fig, c.side[i].name,
				    strerror(-r));
			break;
		}
		r = wait_node(&c, c.side[i].domid,
			      node(c.side[i].domid, FIO_NODE_READY, path,
				   sizeof(path)), "ready", 120, &val);
		if (r) {
			bench_check(false, "%s: fio-peer in %s: %s", fig,
				    c.side[i].name, strerror(-r));
			break;
		}
		free(val);
		check_dm(&c, i, i ? ours_dev : base_dev);
	}
	for (i = 0; i < n && !r && warm; i++) {
		r = run_once(&c, i, warm, v);
		bench_check(!r, "%s: warm-up run in %s%s%s", fig, c.side[i].name,
			    r ? ": " : "", r ? c.why : "");
	}
	if (!r) {
		r = bench_rounds(n, repeats, sample, &c, s, &failed);
		if (r)
			bench_check(false, "%s: round failed: %s", fig, c.why);
	}
	if (!r) {
		printf("# %s: MiB moved in the last round, per job (%s, %s%s%s):",
		       fig, c.side[0].name, c.side[1].name, control ? ", " : "",
		       control ? control : "");
		for (j = 0; j < FIO_NJOBS; j++)
			for (i = 0; i < n; i++)
				printf(" %.0f", c.io[i][j]);
		printf("\n");
		for (j = 0; j < FIO_NJOBS; j++)
			emit("fig8-%s-%s", &fio_jobs[j], s[0].v[j], s[1].v[j],
			     repeats);
		if (control) {
			bench_set_tag("control");
			for (j = 0; j < FIO_NJOBS; j++)
				emit("fig8-%s-%s", &fio_jobs[j], s[2].v[j],
				     s[1].v[j], repeats);
			bench_set_tag(NULL);
		}
	}
	xs_close(c.xs);
	return bench_done();
}
