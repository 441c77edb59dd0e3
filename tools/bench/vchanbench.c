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
#include <getopt.h>
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
#include "benchout.h"

#define CHUNK		65536
#define MAX_REPEATS	64

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

/* One connection in a child, through @dev if not NULL; 0 or -errno. */
static int stream_child(const char *dev, uint32_t domid, const uint8_t *data,
			uint32_t len, uint32_t seed, double *mibs)
{
	int p[2], r = -EIO, st;
	struct xs_handle *xs;
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct { int r; double v; } out = { -EIO, 0 };

		close(p[0]);
		out.r = dev ? use_device(dev) : 0;
		xs = out.r ? NULL : xs_open(0);
		if (!out.r && !xs)
			out.r = -errno;
		if (!out.r)
			out.r = stream_once(xs, domid, data, len, seed, &out.v);
		if (xs)
			xs_close(xs);
		if (write(p[1], &out, sizeof(out)) != sizeof(out))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	{
		struct { int r; double v; } in;

		if (read(p[0], &in, sizeof(in)) == sizeof(in)) {
			r = in.r;
			*mibs = in.v;
		}
	}
	close(p[0]);
	waitpid(pid, &st, 0);
	return r;
}

/*
 * Figure 5 in one boot: gntmap through the bind mount and stock, the first
 * of each pair alternating (A B B A ...); the ratio is the median of the
 * per-pair ratios.
 */
static int same_boot(const char *dev, uint32_t domid, const uint8_t *data,
		     uint32_t len, uint32_t seed, unsigned long repeats)
{
	const char *name = "fig5-vchan-64k-sameboot";
	double va[MAX_REPEATS], vb[MAX_REPEATS];
	unsigned long i;
	int r = 0;

	for (i = 0; i < repeats && !r; i++) {
		bool ours_first = !(i & 1);

		r = stream_child(ours_first ? dev : NULL, domid, data, len,
				 seed, ours_first ? &va[i] : &vb[i]);
		if (!r)
			r = stream_child(ours_first ? NULL : dev, domid, data,
					 len, seed, ours_first ? &vb[i] : &va[i]);
	}
	if (r == -EPERM || r == -EINVAL || r == -ENOENT) {
		bench_missing(name, "MiB/s", "cannot bind %s over /dev/xen/gntdev: %s",
			      dev, strerror(-r));
		return 0;
	}
	if (r) {
		bench_fail(name, "connection %lu: %s", i, strerror(-r));
		return r;
	}
	bench_emit_paired(name, "MiB/s", va, vb, repeats, true, -1, NULL);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vchanbench --driver stock|gntmap [options]\n"
		"Figure 5 of make bench: libxenvchan throughput dom0 -> domU\n"
		"with 64 KiB rings, through whatever serves /dev/xen/gntdev in\n"
		"this boot (--driver names it: stock is the baseline side).\n"
		"  -d, --domain NAME  domain running vchan-peer (sharer)\n"
		"  -r, --repeats N    connections, median taken (5)\n"
		"      --mb MB        stream size per connection (16)\n"
		"      --same-boot DEV  also: DEV (gntmap) bound over\n"
		"                     /dev/xen/gntdev in a private mount namespace,\n"
		"                     alternated with stock in this boot\n"
		"Prints TAP; the figure's half follows '# BENCH-PART '.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "driver", required_argument, NULL, 'D' },
		{ "domain", required_argument, NULL, 'd' },
		{ "repeats", required_argument, NULL, 'r' },
		{ "mb", required_argument, NULL, 'm' },
		{ "same-boot", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *domain = "sharer", *side = NULL, *name = "fig5-vchan-64k";
	const char *same = NULL;
	unsigned long repeats = 5, mb = 16;
	double v[MAX_REPEATS];
	struct xs_handle *xs;
	uint32_t domid, seed = 0x76636862, i, len;
	uint8_t *data;
	char *end;
	int c, r;

	while ((c = getopt_long(argc, argv, "d:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			if (!strcmp(optarg, "stock"))
				side = "baseline";
			else if (!strcmp(optarg, "gntmap"))
				side = "ours";
			else
				goto bad;
			break;
		case 'd':
			domain = optarg;
			break;
		case 's':
			same = optarg;
			break;
		case 'r':
			repeats = strtoul(optarg, &end, 10);
			if (*end || !repeats || repeats > MAX_REPEATS)
				goto bad;
			break;
		case 'm':
			mb = strtoul(optarg, &end, 10);
			if (*end || !mb || (mb << 20) > VCHAN_MAX_LEN)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !side) {
		fprintf(stderr, "vchanbench: need --driver stock|gntmap and no other argument\n");
		return 2;
	}
	bench_env();
	len = mb << 20;
	data = malloc(len);
	if (!data) {
		bench_fail(name, "cannot allocate %lu MiB", mb);
		return bench_done();
	}
	/* Generated once, outside the clock. */
	for (i = 0; i < len; i++)
		data[i] = vchan_byte(seed, i);
	r = testdom_lookup(domain, 120000, &domid);
	if (r) {
		bench_fail(name, "domain %s: %s", domain, strerror(-r));
		return bench_done();
	}
	xs = xs_open(0);
	if (!xs) {
		bench_fail(name, "xenstore: %s", strerror(errno));
		return bench_done();
	}
	for (i = 0; i < repeats; i++) {
		r = stream_once(xs, domid, data, len, seed, &v[i]);
		if (r) {
			bench_fail(name, "connection %u: %s", i + 1,
				   strerror(-r));
			break;
		}
	}
	xs_close(xs);
	if (!r)
		bench_part(name, "MiB/s", side, bench_median(v, repeats), true,
			   repeats);
	if (!r && same)
		same_boot(same, domid, data, len, seed, repeats);
	free(data);
	return bench_done();
bad:
	fprintf(stderr, "vchanbench: bad value '%s' for an option\n", optarg);
	return 2;
}
