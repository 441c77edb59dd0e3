// SPDX-License-Identifier: GPL-2.0
/*
 * domu-qdisk: the test domU's end of the stock-qdisk check (qdisk-proto.h).
 * Writes a fresh pattern to its disk with O_DIRECT, reads it back the same
 * way, and reports through xenstore.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "qdisk-proto.h"
#include "vmopt.h"

static int run(const char *dev, uint32_t seed, unsigned int *bad)
{
	uint8_t *wbuf, *rbuf;
	uint64_t size = 0;
	unsigned int i, off;
	int fd, err = 0;

	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, &size) < 0 ||
	    size < (uint64_t)QDISK_OFFSET + QDISK_BYTES) {
		close(fd);
		return size ? -ENOSPC : -errno;
	}
	if (posix_memalign((void **)&wbuf, 4096, QDISK_BYTES) ||
	    posix_memalign((void **)&rbuf, 4096, QDISK_BYTES)) {
		close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < QDISK_BYTES / 4096; i++)
		for (off = 0; off < 4096; off++)
			wbuf[i * 4096 + off] = testdom_pattern(seed, i, off);
	memset(rbuf, 0, QDISK_BYTES);
	if (pwrite(fd, wbuf, QDISK_BYTES, QDISK_OFFSET) != QDISK_BYTES ||
	    fsync(fd) ||
	    pread(fd, rbuf, QDISK_BYTES, QDISK_OFFSET) != QDISK_BYTES)
		err = errno ? -errno : -EIO;
	*bad = 0;
	for (i = 0; !err && i < QDISK_BYTES / 4096; i++)
		if (memcmp(wbuf + i * 4096, rbuf + i * 4096, 4096))
			(*bad)++;
	free(wbuf);
	free(rbuf);
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/xvda";
	const struct vmopt opts[] = {
		VMOPT_STR("device", 'D', "DEV", "block device to use", NULL,
			  &dev),
		{ }
	};
	char about[200];
	uint32_t seed = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	struct xs_handle *xs;
	unsigned int bad = 0;
	char val[96];
	int err;

	snprintf(about, sizeof(about),
		 "Write a pattern to DEV at %u, read it back and report in\n"
		 "xenstore data/" QDISK_NODE " (test domU side of stock-qdisk).\n",
		 QDISK_OFFSET);
	vmopt_parse(argc, argv, opts, about);
	err = run(dev, seed, &bad);
	if (err)
		snprintf(val, sizeof(val), "error %d", -err);
	else
		snprintf(val, sizeof(val), "%u %u %u %u", seed, QDISK_OFFSET,
			 QDISK_BYTES, bad);
	xs = xs_open(0);
	if (!xs || !xs_write(xs, XBT_NULL, "data/" QDISK_NODE, val, strlen(val))) {
		fprintf(stderr, "domu-qdisk: cannot report in xenstore: %s\n",
			strerror(errno));
		return 1;
	}
	xs_close(xs);
	printf("domu-qdisk: %s: %s\n", dev, err ? strerror(-err) : val);
	return err || bad ? 1 : 0;
}
