/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The run shared by the tests that take stock xen-gntdev and gntmap through
 * the same body: wait for the sharer domain, run the body once per device
 * this boot has, then check that the domain can end access on every grant.
 */
#ifndef GMRUN_H
#define GMRUN_H

#include <stdint.h>

#include "gmtest.h"
#include "vmopt.h"

struct testdom;

/* One device's run; @td and @domid stay valid until gm_run_devices returns. */
typedef void gm_dev_fn(struct testdom *td, uint32_t domid,
		       struct gm_dev *dev);

/*
 * Open the test domain @domain, call @fn for /dev/xen/gntdev (named
 * "stock", or "gntmap-dropin" when gntmap serves it) and /dev/xen/gntmap,
 * or only for /dev/xen/@only when @only is "gntdev" or "gntmap".  A device
 * this boot lacks is a SKIP; no device at all, or a grant the domain
 * cannot end afterwards, is a failure.  Returns tap_done()'s exit status.
 */
int gm_run_devices(const char *domain, const char *only, gm_dev_fn *fn);

/*
 * The main() of a test that takes only --domain and --only NODE: parse
 * them (--help shows @about), then gm_run_devices(@fn).
 */
int gm_run_main(int argc, char **argv, const char *about, gm_dev_fn *fn);

/* The option that names the one node gm_run_devices() tests. */
#define GM_OPT_ONLY(k, nm, var) \
	VMOPT_CASE(nm, k, "NODE", "gntdev|gntmap", \
		   "test /dev/xen/NODE only", var)

#endif /* GMRUN_H */
