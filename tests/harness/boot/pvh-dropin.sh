# SPDX-License-Identifier: GPL-2.0
# Boot profile "pvh-dropin": the "dropin" profile on a PVH dom0
# (tests/harness/run-vm.sh boots every pvh-* profile with dom0=pvh).
. /opt/gntmap/boot/dropin.sh
