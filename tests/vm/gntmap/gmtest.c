// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the gntmap in-VM tests (gmtest.h). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gmtest.h"
#include "gntmap_counters.h"
#include "testdom.h"

bool gm_dev_probe(struct gm_dev *dev)
{
	struct stat st;

	dev->is_gntmap = false;
	dev->sysfs[0] = 0;
	if (stat(dev->path, &st) || !S_ISCHR(st.st_mode))
		return false;
	gntmap_counters_dir(dev->sysfs, sizeof(dev->sysfs), dev->path);
	dev->is_gntmap = !access(dev->sysfs, R_OK);
	return true;
}

bool gm_dev_pick(struct gm_dev *dev, const char *path)
{
	if (path)
		dev->path = path;
	else if (!gm_dev_probe(dev))
		dev->path = "/dev/xen/gntdev";
	return gm_dev_probe(dev) && dev->is_gntmap;
}

int gm_map_refs(int fd, uint32_t domid, const uint32_t *refs, unsigned int n,
		uint64_t *offset)
{
	struct ioctl_gntdev_map_grant_ref *op;
	unsigned int i;
	int r;

	op = calloc(1, sizeof(*op) + n * sizeof(op->refs[0]));
	if (!op)
		return -ENOMEM;
	op->count = n;
	for (i = 0; i < n; i++) {
		op->refs[i].domid = domid;
		op->refs[i].ref = refs[i];
	}
	r = ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, op) ? -errno : 0;
	if (!r)
		*offset = op->index;
	free(op);
	return r;
}

int gm_unmap_refs(int fd, uint64_t offset, uint32_t count)
{
	struct ioctl_gntdev_unmap_grant_ref op = {
		.index = offset, .count = count,
	};

	return ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &op) ? -errno : 0;
}

void *gm_map(int fd, uint32_t domid, const uint32_t *refs, unsigned int n,
	     int prot, uint64_t *offset)
{
	void *p;
	int r, e;

	r = gm_map_refs(fd, domid, refs, n, offset);
	if (r) {
		errno = -r;
		return NULL;
	}
	p = mmap(NULL, (size_t)n * GM_PAGE, prot, MAP_SHARED, fd, *offset);
	if (p == MAP_FAILED) {
		e = errno;
		gm_unmap_refs(fd, *offset, n);
		errno = e;
		return NULL;
	}
	return p;
}

int gm_unmap(int fd, void *addr, unsigned int n, uint64_t offset)
{
	if (addr && munmap(addr, (size_t)n * GM_PAGE))
		return -errno;
	return gm_unmap_refs(fd, offset, n);
}

static sigjmp_buf gm_probe_env;

static void gm_probe_handler(int sig)
{
	siglongjmp(gm_probe_env, sig);
}

static int gm_probe(const volatile uint8_t *rp, volatile uint8_t *wp)
{
	struct sigaction sa = { .sa_handler = gm_probe_handler }, osegv, obus;
	int sig;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &osegv);
	sigaction(SIGBUS, &sa, &obus);
	sig = sigsetjmp(gm_probe_env, 1);
	if (!sig) {
		if (rp)
			(void)*rp;
		if (wp)
			*wp = *wp;
	}
	sigaction(SIGSEGV, &osegv, NULL);
	sigaction(SIGBUS, &obus, NULL);
	return sig;
}

int gm_probe_read(const volatile uint8_t *p)
{
	return gm_probe(p, NULL);
}

int gm_probe_write(volatile uint8_t *p)
{
	return gm_probe(NULL, p);
}

unsigned int gm_count_bad(const uint8_t *map, unsigned int n, uint32_t seed,
			  unsigned int first_page)
{
	unsigned int i, off, bad = 0;

	for (i = 0; i < n; i++) {
		for (off = 0; off < GM_PAGE; off++)
			if (map[i * GM_PAGE + off] !=
			    testdom_pattern(seed, first_page + i, off))
				break;
		if (off < GM_PAGE)
			bad++;
	}
	return bad;
}

void gm_fill(uint8_t *map, unsigned int n, uint32_t seed)
{
	unsigned int i, off;

	for (i = 0; i < n; i++)
		for (off = 0; off < GM_PAGE; off++)
			map[i * GM_PAGE + off] = testdom_pattern(seed, i, off);
}

long gm_counter(const struct gm_dev *dev, const char *name)
{
	return dev->is_gntmap ? gntmap_counter_read(dev->sysfs, name) : -1;
}

long gm_pins_held(void)
{
	long acq = -1, rel = -1, v;
	char name[64];
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acq = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			rel = v;
	}
	fclose(f);
	return acq < 0 || rel < 0 ? -1 : acq - rel;
}

bool gm_pins_settled(long before, unsigned int ms)
{
	unsigned int waited;

	for (waited = 0;; waited += 100) {
		if (gm_pins_held() <= before)
			return true;
		if (waited >= ms)
			return false;
		usleep(100000);
	}
}

bool gm_pin_pages(int pipefd, void *p, unsigned int n)
{
	struct iovec iov = { .iov_base = p, .iov_len = (size_t)n * GM_PAGE };

	while (iov.iov_len) {
		ssize_t r = vmsplice(pipefd, &iov, 1, 0);

		if (r <= 0)
			return false;
		iov.iov_base = (char *)iov.iov_base + r;
		iov.iov_len -= r;
	}
	return true;
}
