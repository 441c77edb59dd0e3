# SPDX-License-Identifier: GPL-2.0
# Boot profile "dropin": gntmap serves /dev/xen/gntdev from boot, in place
# of Linux's xen-gntdev, which is never loaded.  Sourced by the dom0 init
# before xenstored starts (docs/build.md, docs/gntmap.md).
insmod /lib/modules/gntmap/core/itn_core.ko || return 1
insmod /lib/modules/gntmap/gntmap/gntmap.ko dropin=1 || return 1
kmod_load xen-gntalloc || return 1
