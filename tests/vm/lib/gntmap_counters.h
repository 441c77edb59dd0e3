/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gntmap's counters as userspace sees them: one file each under
 * /sys/class/misc/xen!NAME/counters/ (drivers/gntmap/counters.c, where
 * NAME is the device node's name under /dev/xen).  The one list of
 * their names for tools/gntmap, gntbench and the in-VM tests.
 */
#ifndef GNTMAP_COUNTERS_H
#define GNTMAP_COUNTERS_H

#include <stdio.h>
#include <string.h>

/* The counter names, in the driver's order; NULL after the last. */
static inline const char *gntmap_counter_name(unsigned int i)
{
	static const char *const names[] = {
		"live_maps", "mapped_pages", "invalidations",
		"invalidated_pages", "map_failed", "unmap_deferred",
		"unmap_failed", "pending_unmaps", "cached_pages",
	};

	return i < sizeof(names) / sizeof(names[0]) ? names[i] : NULL;
}

/*
 * The counters directory of device node @dev ("/dev/xen/gntmap" or just
 * "gntmap"): misc devices named "xen/x" appear in sysfs as "xen!x".
 */
static inline void gntmap_counters_dir(char *buf, size_t size, const char *dev)
{
	const char *base = strrchr(dev, '/');

	snprintf(buf, size, "/sys/class/misc/xen!%s/counters",
		 base ? base + 1 : dev);
}

/* Counter @name in directory @dir, or -1 when it cannot be read. */
static inline long gntmap_counter_read(const char *dir, const char *name)
{
	char path[384];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

#endif /* GNTMAP_COUNTERS_H */
