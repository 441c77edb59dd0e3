// SPDX-License-Identifier: GPL-2.0
/*
 * stock-qdisk: the qdisk test domain's disk is served by QEMU in dom0,
 * which maps the domU's I/O pages through /dev/xen/gntdev.  The domU wrote
 * a fresh pattern to its disk and read it back (domu-qdisk); here dom0
 * checks that the same bytes reached the image file.  Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#include "qdisk-proto.h"
#include "tap.h"
#include "testdom.h"
#include "vmopt.h"

static char *xs_get(struct xs_handle *xs, const char *fmt, const char *a,
		    const char *b)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), fmt, a, b);
	return xs_read(xs, XBT_NULL, path, &len);
}

/* The domU's report, waiting for its hook to write it. */
static char *wait_report(struct xs_handle *xs, uint32_t domid, int timeout_s)
{
	char path[96];
	unsigned int len;
	char *v;
	int i;

	snprintf(path, sizeof(path), "/local/domain/%u/data/" QDISK_NODE, domid);
	for (i = 0; i < timeout_s * 10; i++) {
		v = xs_read(xs, XBT_NULL, path, &len);
		if (v)
			return v;
		usleep(100 * 1000);
	}
	return NULL;
}

/* The backend path of the domain's first vbd, or NULL. */
static char *first_vbd_backend(struct xs_handle *xs, uint32_t domid)
{
	char dom[16], path[64], *be = NULL;
	unsigned int n;
	char **devs;

	snprintf(dom, sizeof(dom), "%u", domid);
	snprintf(path, sizeof(path), "/local/domain/%s/device/vbd", dom);
	devs = xs_directory(xs, XBT_NULL, path, &n);
	if (devs && n)
		be = xs_get(xs, "/local/domain/%s/device/vbd/%s/backend", dom,
			    devs[0]);
	free(devs);
	return be;
}

/* Says what a page that differs holds instead, for the log. */
static void describe_bad(const uint8_t *page, unsigned long i, uint32_t seed)
{
	unsigned long o, zero = 0, same = 0, j;

	for (o = 0; o < 4096; o++) {
		zero += !page[o];
		same += page[o] == testdom_pattern(seed, i, o);
	}
	/* Data that landed at the wrong place shows as another page's. */
	for (j = 0; j < 1024; j++) {
		for (o = 0; o < 64; o++)
			if (page[o] != testdom_pattern(seed, j, o))
				break;
		if (o == 64)
			tap_diag("page %lu holds the start of page %lu", i, j);
	}
	tap_diag("page %lu: %lu of 4096 bytes right, %lu zero; first bytes %02x %02x %02x %02x, want %02x %02x %02x %02x",
		 i, same, zero, page[0], page[1], page[2], page[3],
		 testdom_pattern(seed, i, 0), testdom_pattern(seed, i, 1),
		 testdom_pattern(seed, i, 2), testdom_pattern(seed, i, 3));
}

/* Pages of the image at @off that differ from the pattern; -errno. */
static long check_image(const char *file, uint32_t seed, unsigned long off,
			unsigned long bytes)
{
	uint8_t page[4096];
	unsigned long i, o, bad = 0;
	int fd = open(file, O_RDONLY);

	if (fd < 0)
		return -errno;
	for (i = 0; i < bytes / 4096; i++) {
		if (pread(fd, page, 4096, off + i * 4096) != 4096) {
			close(fd);
			return -EIO;
		}
		for (o = 0; o < 4096; o++)
			if (page[o] != testdom_pattern(seed, i, o))
				break;
		if (o < 4096 && bad++ < 4)
			describe_bad(page, i, seed);
	}
	close(fd);
	return bad;
}

int main(int argc, char **argv)
{
	const char *domain = "qdisk";
	char *report = NULL, *be = NULL, *params = NULL, *file;
	unsigned long seed, off, bytes, bad;
	int timeout_s = 60, r;
	struct xs_handle *xs;
	uint32_t domid;
	long got;
	const struct vmopt opts[] = {
		VMOPT_DOMAIN(&domain),
		VMOPT_NUM("timeout", 't', "SECS",
			  "wait this long for its report", NULL, &timeout_s, 1,
			  3600),
		{ }
	};

	vmopt_parse(argc, argv, opts,
		"Check that what the qdisk test domain wrote to its disk reached\n"
		"the image file in dom0; prints TAP.\n");

	r = testdom_lookup(domain, timeout_s * 1000, &domid);
	if (!tap_ok(!r, "domain %s exists (%s)", domain, strerror(-r)))
		return tap_done();
	xs = xs_open(0);
	if (!tap_ok(xs, "xenstore open (%s)", xs ? "ok" : strerror(errno)))
		return tap_done();

	be = first_vbd_backend(xs, domid);
	tap_ok(be && strstr(be, "/backend/qdisk/"), "disk served by qdisk (%s)",
	       be ? be : "no vbd");
	report = wait_report(xs, domid, timeout_s);
	if (!tap_ok(report, "domU reported its disk check"))
		goto out;
	if (sscanf(report, "%lu %lu %lu %lu", &seed, &off, &bytes, &bad) != 4 ||
	    bytes % 4096) {
		tap_ok(false, "domU wrote and read back its disk (%s)", report);
		goto out;
	}
	tap_ok(!bad, "domU wrote %lu bytes and read them back (%lu bad pages)",
	       bytes, bad);

	params = be ? xs_get(xs, "%s/%s", be, "params") : NULL;
	if (!tap_ok(params, "backend names the image (%s)",
		    params ? params : "no params"))
		goto out;
	/* libxl writes "<format>:<path>" for qdisk, e.g. "aio:/path". */
	file = strchr(params, ':');
	file = file && file[1] == '/' ? file + 1 : params;
	got = check_image(file, seed, off, bytes);
	tap_ok(got == 0, "dom0 reads the domU's pattern from %s (%ld bad pages%s)",
	       file, got < 0 ? 0 : got, got < 0 ? ", read failed" : "");
out:
	free(report);
	free(be);
	free(params);
	xs_close(xs);
	return tap_done();
}
