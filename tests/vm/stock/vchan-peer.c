// SPDX-License-Identifier: GPL-2.0
/*
 * vchan-peer: the test domU's end of the stock-vchan check.  Serves one
 * libxenvchan server after another (protocol in vchan-proto.h), so dom0
 * can connect as often as it likes.  Runs in the background from the domU
 * hook; logs to stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "vchan-proto.h"
#include "vmopt.h"

#define CHUNK 65536

/* One session: check dom0's stream, answer with ours.  0 or -1. */
static int serve(struct libxenvchan *c)
{
	static uint8_t buf[CHUNK];
	struct vchan_hdr h;
	uint64_t pos, n, i;
	uint32_t bad = 0, seed;
	int block_bad = 0;

	if (vchan_read_full(c, &h, sizeof(h)))
		return -1;
	if (h.magic != VCHAN_MAGIC || h.len > VCHAN_MAX_LEN) {
		fprintf(stderr, "vchan-peer: bad header\n");
		return -1;
	}
	for (pos = 0; pos < h.len; pos += n) {
		n = h.len - pos < CHUNK ? h.len - pos : CHUNK;
		if (vchan_read_full(c, buf, n))
			return -1;
		for (i = 0; i < n; i++) {
			if ((pos + i) % 4096 == 0)
				block_bad = 0;
			if (!block_bad && buf[i] != vchan_byte(h.seed, pos + i)) {
				block_bad = 1;
				bad++;
			}
		}
	}
	if (vchan_write_full(c, &bad, sizeof(bad)))
		return -1;
	seed = vchan_reply_seed(h.seed);
	for (pos = 0; pos < h.len; pos += n) {
		n = h.len - pos < CHUNK ? h.len - pos : CHUNK;
		for (i = 0; i < n; i++)
			buf[i] = vchan_byte(seed, pos + i);
		if (vchan_write_full(c, buf, n))
			return -1;
	}
	fprintf(stderr, "vchan-peer: served %u bytes each way, %u bad blocks in\n",
		h.len, bad);
	/* Let dom0 read everything and close first: its map goes before our grant. */
	while (libxenvchan_read(c, buf, sizeof(buf)) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	char path[96], ready[112], *domid;
	struct libxenvchan *c;
	long sessions = -1;
	const struct vmopt opts[] = {
		VMOPT_NUM("sessions", 'n', "N", "exit after N sessions",
			  "serve forever", &sessions, 1, 1000000),
		{ }
	};
	struct xs_handle *xs;
	unsigned int len;
	int fails = 0;

	vmopt_parse(argc, argv, opts,
		"Serve the stock-vchan stream check to dom0 (test domU side).\n");
	xs = xs_open(0);
	domid = xs ? xs_read(xs, XBT_NULL, "domid", &len) : NULL;
	if (!domid) {
		fprintf(stderr, "vchan-peer: cannot read my domid from xenstore: %s\n",
			strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "/local/domain/%s/data/" VCHAN_NODE, domid);
	snprintf(ready, sizeof(ready), "%s-ready", path);
	free(domid);

	while (sessions) {
		c = libxenvchan_server_init(NULL, 0, path, VCHAN_RING, VCHAN_RING);
		if (!c) {
			fprintf(stderr, "vchan-peer: server_init: %s\n",
				strerror(errno));
			if (++fails == 3)
				return 1;
			sleep(1);
			continue;
		}
		fails = 0;
		c->blocking = 1;
		if (!xs_write(xs, XBT_NULL, ready, "1", 1)) {
			fprintf(stderr, "vchan-peer: cannot write %s: %s\n",
				ready, strerror(errno));
			libxenvchan_close(c);
			return 1;
		}
		serve(c);
		libxenvchan_close(c);
		if (sessions > 0)
			sessions--;
	}
	xs_close(xs);
	return 0;
}
