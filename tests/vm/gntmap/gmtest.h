/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the gntmap in-VM tests: the raw gntdev ABI (the same
 * calls against stock xen-gntdev and gntmap), a fault probe, the pattern
 * check and the driver's counters.
 */
#ifndef GMTEST_H
#define GMTEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/sys/gntdev.h>

#define GM_PAGE 4096u

/* One device under test: a FIXTURE_VARIANT in kselftest terms. */
struct gm_dev {
	const char *name;	/* "stock" or "gntmap", prefixes every result */
	const char *path;	/* /dev/xen/gntdev or /dev/xen/gntmap */
	bool is_gntmap;		/* served by gntmap (checked in sysfs) */
	char sysfs[128];	/* its counters directory if is_gntmap */
};

/* Fill in is_gntmap/sysfs for @dev->path; false if the node is missing. */
bool gm_dev_probe(struct gm_dev *dev);
/*
 * The node gntmap serves: @path if given, else /dev/xen/gntmap, else
 * /dev/xen/gntdev (drop-in).  False, with @dev->path the last one tried,
 * if gntmap does not serve it.
 */
bool gm_dev_pick(struct gm_dev *dev, const char *path);

/* MAP_GRANT_REF of @n refs of @domid; 0 and *offset, or -errno. */
int gm_map_refs(int fd, uint32_t domid, const uint32_t *refs, unsigned int n,
		uint64_t *offset);
int gm_unmap_refs(int fd, uint64_t offset, uint32_t count);
/* MAP_GRANT_REF then mmap; NULL with errno set (and nothing left behind). */
void *gm_map(int fd, uint32_t domid, const uint32_t *refs, unsigned int n,
	     int prot, uint64_t *offset);
/* munmap then UNMAP_GRANT_REF; 0 or -errno. */
int gm_unmap(int fd, void *addr, unsigned int n, uint64_t offset);

/* 0 if the byte at @p can be read, else the signal it raised. */
int gm_probe_read(const volatile uint8_t *p);
/* 0 if a byte can be written at @p, else the signal it raised. */
int gm_probe_write(volatile uint8_t *p);

/* Pages of [map, map + n pages) that differ from the pattern of @seed. */
unsigned int gm_count_bad(const uint8_t *map, unsigned int n, uint32_t seed,
			  unsigned int first_page);
void gm_fill(uint8_t *map, unsigned int n, uint32_t seed);

/* Pages pinned (FOLL_PIN) system-wide and not released, or -1. */
long gm_pins_held(void);
/*
 * True once the pins held are back at or below @before, within @ms.  The
 * count is the system's, and its per-CPU parts are folded in about once a
 * second, so a single reading can be one step behind, or include another
 * task's short pin.
 */
bool gm_pins_settled(long before, unsigned int ms);

/*
 * vmsplice() all of [p, p + n pages) into @pipefd: the pipe then holds a
 * pin on every page, as a backend's zero-copy I/O would.  False on a
 * short or failed splice (errno set).
 */
bool gm_pin_pages(int pipefd, void *p, unsigned int n);

/* A gntmap counter by file name, or -1 when unavailable. */
long gm_counter(const struct gm_dev *dev, const char *name);

#endif /* GMTEST_H */
