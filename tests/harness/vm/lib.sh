# SPDX-License-Identifier: GPL-2.0
# Shell helpers shared by the dom0 and domU init scripts and the in-VM test
# runner.  Sourced, never run: /etc/gntmap/lib.sh inside the images.

GM_LOG=/var/log/gntmap
# Messages that mean the kernel or the hypervisor went wrong, whatever the
# test printed: the run fails on any of them (docs/build.md).
GM_BAD='WARNING: CPU|-----[[] cut here []]-----|BUG:|kernel BUG|Oops|general protection fault|Bad page|Kernel panic|implicit(ly)? unmap|Domain [0-9]+ .*crashed|domain_crash|Call Trace:'
# The checking kernel's reports (docs/harness.md); run-vm.sh's console check
# takes them from here too.  KASAN's, KFENCE's and a sleep in atomic context
# open with "BUG:", lockdep's with "WARNING:" and no CPU; each is named
# anyway.  Lockdep stops after its first report and kmemleak when it runs
# out of memory: either leaves the rest of the run unchecked.  kmemleak's
# "N new suspected memory leaks" is not here: a scan prints it for objects
# that a moment later are referenced or freed again, and a real leak stays
# unreferenced, so run-suite's kmemleak_check judges by the listing.
GM_CHECKERS="KASAN:|KFENCE:|possible circular locking dependency|possible recursive locking|inconsistent lock state|irq lock inversion|suspicious RCU usage|sleeping function called from invalid context|bad unlock balance|held lock freed|lock held when returning to user space|turning off the locking correctness validator|kmemleak: .*(disabled|Cannot allocate|pool empty)"
GM_BAD="$GM_BAD|$GM_CHECKERS"
# gm_early_crash_re ID...: what Xen prints of the early-boot crash of test
# domains ID... that run-suite's domain_up started once more; the log
# checks in dom0 and run-vm.sh's console check do not fail on it.  Prints
# nothing without an ID.
gm_early_crash_re() {
	local id re="domain_crash called from"
	[ $# -gt 0 ] || return 0
	for id in "$@"; do
		re="$re|Domain $id ([(]vcpu#[0-9]+[)] crashed|reported crashed)"
	done
	echo "$re"
}

# kmod_load NAME: insmod a kernel module of the image with its dependencies
# (the list mkimage.sh wrote), tolerating the ones already loaded.
kmod_load() {
	local f list=/etc/gntmap/kmod/$1 err
	[ -f "$list" ] || { echo "kmod_load: no module $1 in image" >&2; return 1; }
	for f in $(cat "$list"); do
		err=$(insmod "$f" 2>&1) && continue
		case $err in
		*"File exists"*|*"exists"*) ;;
		*) echo "kmod_load: $f: $err" >&2; return 1 ;;
		esac
	done
}

# klog_drain: print what the kernel logged since the last drain, and keep
# it in $GM_LOG/kernel.pending, where run-suite's log check will see it.
klog_drain() {
	mkdir -p "$GM_LOG"
	dmesg -c 2>/dev/null | tee -a "$GM_LOG/kernel.pending"
}

# bad_lines: the lines of stdin that match GM_BAD.
bad_lines() {
	grep -E "$GM_BAD"
}

# cmdline_arg KEY: the value of gntmap.KEY= on the kernel command line.
cmdline_arg() {
	local a
	for a in $(cat /proc/cmdline); do
		case $a in
		gntmap.$1=*) echo "${a#gntmap.$1=}"; return 0 ;;
		esac
	done
	return 1
}
