# SPDX-License-Identifier: GPL-2.0
# Boot profile "stock": Linux's own xen-gntdev serves /dev/xen/gntdev.
# Sourced by the dom0 init before xenstored starts (docs/build.md).
kmod_load xen-gntdev || return 1
kmod_load xen-gntalloc || return 1
