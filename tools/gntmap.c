// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap: look at the gntmap driver from dom0.
 *
 *   gntmap counters            print the device's counters
 *   gntmap map DOMID REF...    map grants read-only, print the first bytes
 *                              of each page, unmap
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xen/xen.h>
#include <xen/sys/gntdev.h>

#include "gntmap_counters.h"

/* The system page: one grant per page of a mapping. */
static size_t page_size;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gntmap [--device PATH] counters\n"
		"       gntmap [--device PATH] [--bytes N] map DOMID REF...\n"
		"Inspect the gntmap grant-mapping driver from dom0.\n"
		"  counters          print the device's counters (sysfs)\n"
		"  map DOMID REF...  map the grants read-only, show the first\n"
		"                    bytes of each page, unmap\n"
		"  -D, --device PATH device node (default: /dev/xen/gntmap, or\n"
		"                    /dev/xen/gntdev when gntmap serves it)\n"
		"  -b, --bytes N     bytes to show per page, 1-64 (default 16)\n"
		"  -h, --help        this text\n");
}

static int die(const char *what, int err)
{
	fprintf(stderr, "gntmap: %s: %s\n", what, strerror(err));
	return 1;
}

static int cmd_counters(const char *dev)
{
	const char *name;
	char dir[256];
	unsigned int i;

	gntmap_counters_dir(dir, sizeof(dir), dev);
	if (access(dir, R_OK))
		return die(dir, errno);
	for (i = 0; (name = gntmap_counter_name(i)); i++)
		printf("%-18s %ld\n", name, gntmap_counter_read(dir, name));
	return 0;
}

/*
 * gntmap serves /dev/xen/gntmap, or /dev/xen/gntdev in drop-in mode: the
 * first of the two with gntmap's counters in sysfs.
 */
static const char *default_device(void)
{
	static const char *const names[] = { "gntmap", "gntdev" };
	char path[64];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path),
			 "/sys/class/misc/xen!%s/counters", names[i]);
		if (!access(path, F_OK))
			return i ? "/dev/xen/gntdev" : "/dev/xen/gntmap";
	}
	return "/dev/xen/gntmap";
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 0);
	if (errno || *end || end == s || x > UINT32_MAX)
		return -1;
	*v = x;
	return 0;
}

static int cmd_map(const char *dev, unsigned int bytes, int argc,
		   char **argv)
{
	struct ioctl_gntdev_map_grant_ref *op;
	struct ioctl_gntdev_unmap_grant_ref un = { 0 };
	unsigned int n = argc - 1, i, j;
	uint32_t domid;
	uint8_t *m;
	int fd, err = 0;

	if (argc < 2 || parse_u32(argv[0], &domid)) {
		fprintf(stderr, "gntmap: map needs DOMID and at least one REF\n");
		return 2;
	}
	op = calloc(1, sizeof(*op) + n * sizeof(op->refs[0]));
	if (!op)
		return die("calloc", ENOMEM);
	op->count = n;
	for (i = 0; i < n; i++) {
		op->refs[i].domid = domid;
		if (parse_u32(argv[i + 1], &op->refs[i].ref)) {
			fprintf(stderr, "gntmap: bad grant ref '%s'\n",
				argv[i + 1]);
			free(op);
			return 2;
		}
	}
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		free(op);
		return die(dev, errno);
	}
	if (ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, op)) {
		err = die("MAP_GRANT_REF", errno);
		goto out;
	}
	m = mmap(NULL, (size_t)n * page_size, PROT_READ, MAP_SHARED, fd, op->index);
	if (m == MAP_FAILED) {
		err = die("mmap", errno);
	} else {
		for (i = 0; i < n; i++) {
			printf("page %u (ref %u):", i, op->refs[i].ref);
			for (j = 0; j < bytes; j++)
				printf(" %02x", m[i * page_size + j]);
			putchar('\n');
		}
		munmap(m, (size_t)n * page_size);
	}
	un.index = op->index;
	un.count = n;
	if (ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &un) && !err)
		err = die("UNMAP_GRANT_REF", errno);
out:
	close(fd);
	free(op);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'D' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *dev = NULL;
	uint32_t bytes = 16;
	int c;

	page_size = sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "+D:b:h", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			dev = optarg;
			break;
		case 'b':
			if (parse_u32(optarg, &bytes) || !bytes || bytes > 64) {
				fprintf(stderr, "gntmap: --bytes must be 1-64\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "gntmap: no command (see --help)\n");
		return 2;
	}
	if (!dev)
		dev = default_device();
	if (!strcmp(argv[optind], "counters") && optind + 1 == argc)
		return cmd_counters(dev);
	if (!strcmp(argv[optind], "map"))
		return cmd_map(dev, bytes, argc - optind - 1, argv + optind + 1);
	fprintf(stderr, "gntmap: unknown command '%s' (see --help)\n",
		argv[optind]);
	return 2;
}
