// SPDX-License-Identifier: GPL-2.0
/*
 * stock-vchan: a byte stream both ways between dom0 and the test domU
 * through libxenvchan, whose dom0 end maps the domU's ring grants through
 * /dev/xen/gntdev.  The domU end is vchan-peer (protocol in vchan-proto.h).
 * Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "tap.h"
#include "testdom.h"
#include "vmopt.h"
#include "vchan-proto.h"

#define CHUNK 65536

int main(int argc, char **argv)
{
	const char *domain = "sharer";
	unsigned long bytes = 1 << 20;
	static uint8_t buf[CHUNK];
	char path[96], ready[112];
	struct libxenvchan *c;
	struct vchan_hdr h;
	struct xs_handle *xs;
	uint64_t pos, n, i, bad_at = 0;
	int timeout_s = 120, r;
	uint32_t domid, bad_in;
	bool bad = false;
	double t0, t1, t2;
	const struct vmopt opts[] = {
		VMOPT_DOMAIN(&domain),
		VMOPT_NUM("bytes", 'b', "N", "bytes each way", NULL, &bytes, 1,
			  VCHAN_MAX_LEN),
		VMOPT_NUM("timeout", 't', "SECS", "wait this long for the peer",
			  NULL, &timeout_s, 1, 3600),
		{ }
	};

	vmopt_parse(argc, argv, opts,
		"Stream N bytes each way between dom0 and the domain's vchan-peer\n"
		"through libxenvchan and compare them; prints TAP.\n");

	r = testdom_lookup(domain, timeout_s * 1000, &domid);
	if (!tap_ok(!r, "domain %s exists (%s)", domain, strerror(-r)))
		return tap_done();
	xs = xs_open(0);
	if (!tap_ok(xs, "xenstore open (%s)", xs ? "ok" : strerror(errno)))
		return tap_done();
	snprintf(path, sizeof(path), "/local/domain/%u/data/" VCHAN_NODE, domid);
	snprintf(ready, sizeof(ready), "%s-ready", path);
	r = vchan_take_ready(xs, ready, timeout_s);
	if (!tap_ok(!r, "vchan-peer serving in domain %u (%s)", domid,
		    strerror(-r)))
		goto out;

	c = libxenvchan_client_init(NULL, domid, path);
	if (!tap_ok(c, "connect (%s)", c ? "ok" : strerror(errno)))
		goto out;
	c->blocking = 1;

	t0 = testdom_now_s();
	h = (struct vchan_hdr){ .magic = VCHAN_MAGIC, .len = bytes,
				.seed = (uint32_t)time(NULL) };
	r = vchan_write_full(c, &h, sizeof(h));
	for (pos = 0; !r && pos < bytes; pos += n) {
		n = bytes - pos < CHUNK ? bytes - pos : CHUNK;
		for (i = 0; i < n; i++)
			buf[i] = vchan_byte(h.seed, pos + i);
		r = vchan_write_full(c, buf, n);
	}
	tap_ok(!r, "dom0 -> domU: %lu bytes sent", bytes);
	r = r ? r : vchan_read_full(c, &bad_in, sizeof(bad_in));
	tap_ok(!r && !bad_in, "dom0 -> domU: peer got them intact (%d bad blocks)",
	       r ? -1 : (int)bad_in);
	t1 = testdom_now_s();
	for (pos = 0; !r && pos < bytes; pos += n) {
		n = bytes - pos < CHUNK ? bytes - pos : CHUNK;
		r = vchan_read_full(c, buf, n);
		for (i = 0; !r && !bad && i < n; i++)
			if (buf[i] != vchan_byte(vchan_reply_seed(h.seed), pos + i)) {
				bad = true;
				bad_at = pos + i;
			}
	}
	t2 = testdom_now_s();
	tap_ok(!r, "domU -> dom0: %lu bytes received", bytes);
	tap_ok(!r && !bad, "domU -> dom0: stream intact%s", bad ? " (first bad byte below)" : "");
	if (bad)
		tap_diag("first bad byte at %llu", (unsigned long long)bad_at);
	tap_diag("dom0->domU %.0f KiB/s, domU->dom0 %.0f KiB/s (emulated: ratios only)",
		 bytes / 1024.0 / (t1 - t0), bytes / 1024.0 / (t2 - t1));
	libxenvchan_close(c);
out:
	xs_close(xs);
	return tap_done();
}
