/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The byte-stream check between stock-vchan (dom0, client) and vchan-peer
 * (test domU, server); see docs/testdom.md.
 *
 * The peer serves a vchan at /local/domain/<domU>/data/VCHAN_NODE and then
 * writes data/VCHAN_NODE-ready.  dom0 removes the ready node, connects and
 * sends a header and @len stream bytes; the peer answers with a 32-bit count
 * of the 4 KiB blocks that arrived wrong, then @len bytes of its own stream,
 * and serves a fresh vchan once dom0 closes.
 */
#ifndef VCHAN_PROTO_H
#define VCHAN_PROTO_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

/* libxenvchan.h has no include guard: its users take it from here. */
#include <libxenvchan.h>
#include <xenstore.h>

#include "testdom_pattern.h"

#define VCHAN_NODE	"gntmap-vchan"
#define VCHAN_MAGIC	0x43564d47u	/* "GMVC" */
#define VCHAN_MAX_LEN	(64u << 20)
/* Ring sizes: 16 pages each way, so dom0 maps a multi-page grant set. */
#define VCHAN_RING	65536

struct vchan_hdr {
	uint32_t magic;
	uint32_t len;
	uint32_t seed;
	uint32_t reserved;
};

/* The stream byte at @pos: the testdom pattern, one 4 KiB "page" per block. */
static inline uint8_t vchan_byte(uint32_t seed, uint64_t pos)
{
	return testdom_pattern(seed, (unsigned int)(pos >> 12), pos & 4095);
}

/* The peer's stream is seeded apart from dom0's, so an echo cannot pass. */
static inline uint32_t vchan_reply_seed(uint32_t seed)
{
	return seed ^ 0x5a5a5a5au;
}

/* All @len bytes of @buf out through @c, or in: 0 or -EIO. */
static inline int vchan_xfer(struct libxenvchan *c, void *buf, size_t len,
			     bool out)
{
	size_t done = 0;
	int n;

	while (done < len) {
		n = out ? libxenvchan_write(c, (char *)buf + done, len - done) :
			  libxenvchan_read(c, (char *)buf + done, len - done);
		if (n <= 0)
			return -EIO;
		done += n;
	}
	return 0;
}

static inline int vchan_read_full(struct libxenvchan *c, void *buf,
				  size_t len)
{
	return vchan_xfer(c, buf, len, false);
}

static inline int vchan_write_full(struct libxenvchan *c, const void *buf,
				   size_t len)
{
	return vchan_xfer(c, (void *)buf, len, true);
}

/*
 * dom0's side: wait up to @timeout_s for the peer's ready node and take
 * it, so that the server is ours.  0 or -errno.
 */
static inline int vchan_take_ready(struct xs_handle *xs, const char *ready,
				   int timeout_s)
{
	unsigned int len;
	char *v;
	int i;

	for (i = 0; i < timeout_s * 20; i++) {
		v = xs_read(xs, XBT_NULL, ready, &len);
		free(v);
		if (v)
			return xs_rm(xs, XBT_NULL, ready) ? 0 : -EIO;
		usleep(50 * 1000);
	}
	return -ETIMEDOUT;
}

#endif /* VCHAN_PROTO_H */
