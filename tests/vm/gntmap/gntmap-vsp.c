// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap-vsp: a byte stream dom0 <-> domU through vchan-socket-proxy, the
 * Xen tool, unchanged.  In the domU (hook 55-gntmap-vsp) it serves a vchan
 * and hands the stream to vsp-echo, which returns every byte XORed with
 * 0x5a; here it runs as the vchan client on a pipe, so the ring it maps
 * comes through /dev/xen/gntdev.  Prints TAP.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>

#include "tap.h"
#include "testdom.h"
#include "vmopt.h"

static const char *proxy = "/usr/lib/xen/bin/vchan-socket-proxy";

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 131 + (i >> 12) * 7 + 1);
}

/* Wait for the domU's proxy to write "running" at its state path. */
static bool peer_ready(uint32_t domid, int timeout_s)
{
	struct xs_handle *xs = xs_open(0);
	char path[96];
	bool ok = false;
	int i;

	if (!xs)
		return false;
	snprintf(path, sizeof(path), "/local/domain/%u/data/gntmap-vsp-ready",
		 domid);
	for (i = 0; i < timeout_s * 10 && !ok; i++) {
		unsigned int len;
		char *v = xs_read(xs, XBT_NULL, path, &len);

		ok = v && !strcmp(v, "running");
		free(v);
		if (!ok)
			usleep(100000);
	}
	xs_close(xs);
	return ok;
}

/* Write @len pattern bytes into @to while reading the answer from @from. */
static size_t pump(int to, int from, size_t len, int timeout_s,
		   size_t *bad)
{
	unsigned char buf[4096];
	size_t sent = 0, got = 0, i;

	*bad = 0;
	while (got < len) {
		struct pollfd p[2] = {
			{ .fd = from, .events = POLLIN },
			{ .fd = sent < len ? to : -1, .events = POLLOUT },
		};
		ssize_t n;

		if (poll(p, 2, timeout_s * 1000) <= 0)
			break;
		if (p[1].revents & POLLOUT) {
			size_t k = len - sent < sizeof(buf) ? len - sent :
							      sizeof(buf);

			for (i = 0; i < k; i++)
				buf[i] = pattern(sent + i);
			n = write(to, buf, k);
			if (n <= 0)
				break;
			sent += n;
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			n = read(from, buf, sizeof(buf));
			if (n <= 0)
				break;
			for (i = 0; i < (size_t)n; i++)
				*bad += buf[i] != (pattern(got + i) ^ 0x5a);
			got += n;
		}
	}
	/*
	 * Only now: the proxy ends the vchan at EOF on its input, and would
	 * drop what the domU has not sent back yet.
	 */
	close(to);
	return got;
}

int main(int argc, char **argv)
{
	const char *domain = "sharer";
	size_t len = 1 << 20, got, bad;
	const struct vmopt opts[] = {
		VMOPT_DOMAIN(&domain),
		VMOPT_NUM("bytes", 'b', "N", "bytes each way", NULL, &len, 1,
			  1u << 30),
		{ }
	};
	int in[2], out[2], c, st = 0;
	double t0 = testdom_now_s(), t1;
	char id[16], node[96];
	uint32_t domid;
	pid_t pid;

	vmopt_parse(argc, argv, opts,
		"Stream bytes to the test domain and back through\n"
		"vchan-socket-proxy; prints TAP.\n");
	signal(SIGPIPE, SIG_IGN);
	c = testdom_lookup(domain, 120000, &domid);
	if (!tap_ok(!c, "domain %s exists (%s)", domain, strerror(-c)))
		return tap_done();
	if (!tap_ok(peer_ready(domid, 120), "domU's vchan-socket-proxy serves"))
		return tap_done();
	t1 = testdom_now_s();
	tap_diag("domU's proxy ready after %.1f s", t1 - t0);
	if (pipe(in) || pipe(out)) {
		tap_ok(false, "pipes (%s)", strerror(errno));
		return tap_done();
	}
	snprintf(id, sizeof(id), "%u", domid);
	snprintf(node, sizeof(node), "/local/domain/%u/data/gntmap-vsp", domid);
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(proxy, proxy, id, node, "-", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	got = pump(in[1], out[0], len, 60, &bad);
	/* Emulated time: for finding where a slow run went, not a figure. */
	tap_diag("%zu bytes each way in %.1f s", got, testdom_now_s() - t1);
	tap_ok(got == len, "%zu bytes came back of %zu", got, len);
	tap_ok(got && !bad, "every byte came back transformed by the domU "
	       "(%zu bad)", bad);
	close(out[0]);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, &st, 0);
	}
	return tap_done();
}
