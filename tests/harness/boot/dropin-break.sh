# SPDX-License-Identifier: GPL-2.0
# Boot profile "dropin-break": the drop-in boot (dropin.sh) with the gntmap
# that make fuzz-breaks broke on purpose, the break named by FUZZ_BREAK in
# /etc/gntmap/fuzz.env (tests/vm/fuzz/selfcheck.sh).  For the breaks only
# lockdep sees: on the checking kernel a stock boot has lockdep off before
# the fuzzer starts, since xenstored maps through xen-gntdev
# (docs/harness.md, "The checking kernel").
. /etc/gntmap/fuzz.env || return 1
[ -n "${FUZZ_BREAK:-}" ] || return 1
insmod /lib/modules/gntmap-breaks/$FUZZ_BREAK/core/itn_core.ko || return 1
insmod /lib/modules/gntmap-breaks/$FUZZ_BREAK/gntmap/gntmap.ko dropin=1 ||
	return 1
kmod_load xen-gntalloc || return 1
