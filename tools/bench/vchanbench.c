// SPDX-License-Identifier: GPL-2.0
/*
 * vchanbench: figure 5 of `make bench` (docs/performance.md), in dom0.
 *
 * libxenvchan streaming from dom0 to the test domU over 64 KiB rings; the
 * dom0 end maps the domU's ring grants through whatever serves
 * /dev/xen/gntdev in this boot (stock xen-gntdev, or gntmap in the drop-in
 * boot), so this is the one figure whose two sides come from two boots.
 * The domU end is vchan-peer (tests/vm/stock/vchan-proto.h): it checks
 * every byte and answers with the count of bad blocks, which is when the
 * clock stops.  Its reply stream is drained, not timed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenstore.h>

#include "testdom.h"
#include "vchan-proto.h"
#include "benchlib.h"

#define CHUNK		65536

/* One connection: MiB/s of @len bytes dom0 -> domU, checked by the peer. */
static int stream_once(struct xs_handle *xs, uint32_t domid,
		       const uint8_t *data, uint32_t len, uint32_t seed,
		       double *mibs)
{
	char path[96], ready[112];
	static uint8_t sink[CHUNK];
	struct libxenvchan *c;
	struct vchan_hdr h = { .magic = VCHAN_MAGIC, .len = len, .seed = seed };
	uint32_t bad = 0, pos, n;
	double t0, t1;
	int r;

	snprintf(path, sizeof(path), "/local/domain/%u/data/" VCHAN_NODE,
		 domid);
	snprintf(ready, sizeof(ready), "%s-ready", path);
	/* The peer serves again after each close; its ready node says when. */
	r = vchan_take_ready(xs, ready, 60);
	if (r)
		return r;
	c = libxenvchan_client_init(NULL, domid, path);
	if (!c)
		return errno ? -errno : -EIO;
	c->blocking = 1;
	t0 = bench_now_ns() / 1e9;
	r = vchan_xfer(c, &h, sizeof(h), true);
	if (!r)
		r = vchan_xfer(c, (void *)data, len, true);
	if (!r)
		r = vchan_xfer(c, &bad, sizeof(bad), false);
	t1 = bench_now_ns() / 1e9;
	for (pos = 0; !r && pos < len; pos += n) {
		n = len - pos < CHUNK ? len - pos : CHUNK;
		r = vchan_xfer(c, sink, n, false);
	}
	libxenvchan_close(c);
	if (!r && bad)
		r = -EILSEQ;	/* a corrupt stream is no figure */
	*mibs = len / (1024.0 * 1024) / (t1 - t0);
	return r;
}

/*
 * The same-boot variant: in a private mount namespace, bind @dev (gntmap)
 * over /dev/xen/gntdev, so that this process's libxengnttab maps through
 * gntmap while xenstored and everyone else keep stock xen-gntdev.  0 or
 * -errno.
 */
static int use_device(const char *dev)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount(dev, "/dev/xen/gntdev", NULL, MS_BIND, NULL))
		return -errno;
	return 0;
}

struct conn {
	const char *dev;	/* bound over /dev/xen/gntdev, or NULL */
	uint32_t domid, len, seed;
	const uint8_t *data;
};

/*
 * A worker's connection: v[0] in MiB/s; 0 or an errno.  The worker enters
 * its mount namespace before its first connection.
 */
static int serve(void *ctx, int op, unsigned int arg, double *v)
{
	static bool entered;
	struct conn *c = ctx;
	struct xs_handle *xs;
	int r;

	(void)op;	/* one command: a connection */
	(void)arg;
	if (c->dev && !entered) {
		r = use_device(c->dev);
		if (r)
			return -r;
		entered = true;
	}
	xs = xs_open(0);
	if (!xs)
		return errno;
	r = stream_once(xs, c->domid, c->data, c->len, c->seed, v);
	xs_close(xs);
	return -r;
}

/*
 * Figure 5 in one boot: a worker through the bind mount (gntmap) and one
 * on stock, in the A/B rounds of benchlib.h.
 */
static void same_boot(struct conn *c, unsigned int repeats)
{
	const char *name = "fig5-vchan-64k-sameboot";
	struct conn base = *c;
	struct bench_samples s[2];
	struct bench_worker w[2];
	int r;

	base.dev = NULL;
	if (bench_worker_start(&w[0], serve, c) ||
	    bench_worker_start(&w[1], serve, &base)) {
		bench_check(false, "%s: cannot start workers", name);
		return;
	}
	r = bench_worker_rounds(w, 2, repeats, 1, 0, s, NULL);
	bench_worker_stop(&w[0]);
	bench_worker_stop(&w[1]);
	if (r == EPERM || r == EINVAL || r == ENOENT)
		bench_missing(name, "MiB/s", "cannot bind %s over /dev/xen/gntdev: %s",
			      c->dev, strerror(r));
	else if (r)
		bench_check(false, "%s: %s", name, strerror(r));
	else
		bench_emit_paired(name, "MiB/s", s[0].v[0], s[1].v[0], repeats,
				  true, -1, NULL);
}

int main(int argc, char **argv)
{
	const char *domain = "sharer", *driver = NULL, *same = NULL;
	const char *side, *name = "fig5-vchan-64k";
	unsigned int repeats = 5, mb = 16, i;
	const struct bench_opt opts[] = {
		BENCH_STR("driver", 256 + 'D', "NAME",
			  "stock or gntmap: what serves /dev/xen/gntdev here",
			  &driver),
		BENCH_STR("domain", 'd', "NAME",
			  "domain running vchan-peer (sharer)", &domain),
		BENCH_NUM("repeats", 'r', "N", "connections, median taken",
			  &repeats, 1, BENCH_MAX_ROUNDS),
		BENCH_NUM("mb", 256 + 'm', "MB", "stream size per connection",
			  &mb, 1, VCHAN_MAX_LEN >> 20),
		BENCH_STR("same-boot", 256 + 's', "DEV",
			  "also DEV (gntmap) bound over /dev/xen/gntdev in a\n"
			  "                             private mount namespace, against stock",
			  &same),
		{ NULL },
	};
	struct conn c = { .seed = 0x76636862 };
	double v[BENCH_MAX_ROUNDS];
	struct xs_handle *xs;
	uint8_t *data;
	int r;

	bench_options(argc, argv, opts, "", 0,
		      "Figure 5 of make bench: libxenvchan throughput dom0 -> domU with\n"
		      "64 KiB rings, through whatever serves /dev/xen/gntdev in this boot\n"
		      "(--driver names it: stock is the baseline side).  Prints TAP; the\n"
		      "figure's half follows '# BENCH-PART '.\n");
	side = !driver ? NULL : !strcmp(driver, "stock") ? "baseline" :
	       !strcmp(driver, "gntmap") ? "ours" : NULL;
	if (!side) {
		fprintf(stderr, "vchanbench: need --driver stock|gntmap\n");
		return 2;
	}
	bench_env();
	c.len = mb << 20;
	c.data = data = malloc(c.len);
	if (!data) {
		bench_check(false, "%s: cannot allocate %u MiB", name, mb);
		return bench_done();
	}
	/* Generated once, outside the clock. */
	for (i = 0; i < c.len; i++)
		data[i] = vchan_byte(c.seed, i);
	r = testdom_lookup(domain, 120000, &c.domid);
	if (r) {
		bench_check(false, "%s: domain %s: %s", name, domain,
			    strerror(-r));
		return bench_done();
	}
	xs = xs_open(0);
	if (!xs) {
		bench_check(false, "%s: xenstore: %s", name, strerror(errno));
		return bench_done();
	}
	for (i = 0; i < repeats && !r; i++) {
		r = stream_once(xs, c.domid, data, c.len, c.seed, &v[i]);
		if (r)
			bench_check(false, "%s: connection %u: %s", name, i + 1,
				    strerror(-r));
	}
	xs_close(xs);
	if (!r)
		bench_part(name, "MiB/s", side, bench_median(v, repeats), true,
			   repeats);
	if (!r && same) {
		c.dev = same;
		same_boot(&c, repeats);
	}
	free(data);
	return bench_done();
}
