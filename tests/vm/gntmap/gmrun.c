// SPDX-License-Identifier: GPL-2.0
/* The two-device run of the gntmap in-VM tests (gmrun.h). */
#include <errno.h>
#include <string.h>

#include "gmrun.h"
#include "tap.h"
#include "testdom.h"

int gm_run_devices(const char *domain, const char *only, gm_dev_fn *fn)
{
	struct gm_dev devs[2] = {
		{ .name = "stock", .path = "/dev/xen/gntdev" },
		{ .name = "gntmap", .path = "/dev/xen/gntmap" },
	};
	struct testdom *td;
	unsigned int i, ran = 0;
	int orphans;

	td = testdom_open(domain, 120000);
	if (!tap_ok(td, "domain %s: sharer ready (%s)", domain,
		    td ? "ok" : strerror(errno)))
		return tap_done();

	for (i = 0; i < 2; i++) {
		struct gm_dev *d = &devs[i];

		if (only && strcmp(only, strrchr(d->path, '/') + 1))
			continue;
		if (!gm_dev_probe(d)) {
			tap_skip("device not present in this boot", "%s: %s",
				 d->name, d->path);
			continue;
		}
		/* Drop-in boot: gntmap serves /dev/xen/gntdev. */
		if (i == 0 && d->is_gntmap)
			d->name = "gntmap-dropin";
		fn(td, testdom_domid(td), d);
		ran++;
	}
	if (!ran)
		tap_ok(false, "no grant-mapping device to test");
	orphans = testdom_orphans(td);
	tap_ok(orphans == 0, "no orphaned grants in the domU (%d)", orphans);
	testdom_close(td);
	return tap_done();
}

int gm_run_main(int argc, char **argv, const char *about, gm_dev_fn *fn)
{
	const char *domain = "sharer", *only = NULL;
	const struct vmopt opts[] = {
		VMOPT_DOMAIN(&domain),
		GM_OPT_ONLY('o', "only", &only),
		{ }
	};

	vmopt_parse(argc, argv, opts, about);
	return gm_run_devices(domain, only, fn);
}
