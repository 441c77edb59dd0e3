// SPDX-License-Identifier: GPL-2.0
/*
 * Counters a dom0 operator can read, as attributes of the misc device:
 * /sys/class/misc/xen!gntmap/ (or xen!gntdev/ in drop-in mode).  One
 * value per file; the meaning of each is in docs/gntmap.md.
 */
#include <linux/device.h>
#include <linux/percpu.h>
#include <linux/sysfs.h>

#include "gntmap.h"

DEFINE_PER_CPU(long [GNTMAP_NR_COUNTERS], gntmap_counters);

/*
 * A gauge's share on one CPU may be negative (a map made on one CPU and
 * freed on another); the sum is exact whenever nothing is in flight, and
 * a read never waits for a writer.
 */
long gntmap_counter_read(enum gntmap_counter c)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(gntmap_counters, cpu)[c];
	return sum;
}

#define GNTMAP_COUNTER_ATTR(_name, _counter)				\
static ssize_t _name##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%ld\n", gntmap_counter_read(_counter));	\
}									\
static DEVICE_ATTR_RO(_name)

GNTMAP_COUNTER_ATTR(live_maps, GNTMAP_CNT_LIVE_MAPS);
GNTMAP_COUNTER_ATTR(mapped_pages, GNTMAP_CNT_MAPPED_PAGES);
GNTMAP_COUNTER_ATTR(invalidations, GNTMAP_CNT_INVALIDATIONS);
GNTMAP_COUNTER_ATTR(invalidated_pages, GNTMAP_CNT_INVALIDATED_PAGES);
GNTMAP_COUNTER_ATTR(map_failed, GNTMAP_CNT_MAP_FAILED);
GNTMAP_COUNTER_ATTR(unmap_deferred, GNTMAP_CNT_UNMAP_DEFERRED);
GNTMAP_COUNTER_ATTR(unmap_failed, GNTMAP_CNT_UNMAP_FAILED);
GNTMAP_COUNTER_ATTR(pending_unmaps, GNTMAP_CNT_PENDING_UNMAPS);
GNTMAP_COUNTER_ATTR(cached_pages, GNTMAP_CNT_CACHED_PAGES);

static struct attribute *gntmap_attrs[] = {
	&dev_attr_live_maps.attr,
	&dev_attr_mapped_pages.attr,
	&dev_attr_invalidations.attr,
	&dev_attr_invalidated_pages.attr,
	&dev_attr_map_failed.attr,
	&dev_attr_unmap_deferred.attr,
	&dev_attr_unmap_failed.attr,
	&dev_attr_pending_unmaps.attr,
	&dev_attr_cached_pages.attr,
	NULL
};

static const struct attribute_group gntmap_attr_group = {
	.name = "counters",
	.attrs = gntmap_attrs,
};

const struct attribute_group *gntmap_attr_groups[] = {
	&gntmap_attr_group,
	NULL
};
