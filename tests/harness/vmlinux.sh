#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmlinux.sh BZIMAGE OUT: unpack the ELF vmlinux inside a bzImage (xz, zstd
# or gzip payload), the way the kernel's scripts/extract-vmlinux does.  xl
# loads an uncompressed ELF about twice as fast as it decompresses a bzImage
# under TCG, and every test domain pays that at each start.
set -euo pipefail
in=${1:?usage: vmlinux.sh BZIMAGE OUT}
out=${2:?usage: vmlinux.sh BZIMAGE OUT}
tmp=$out.tmp

is_elf() { [ "$(head -c4 "$1" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; }

try() {	# magic(hex, as grep -P escapes) decompressor
	local off
	for off in $(LC_ALL=C grep -obUaP "$1" "$in" | cut -d: -f1); do
		tail -c +$((off + 1)) "$in" | $2 >"$tmp" 2>/dev/null || true
		if [ -s "$tmp" ] && is_elf "$tmp"; then
			mv "$tmp" "$out"
			return 0
		fi
	done
	return 1
}

try '\xfd\x37\x7a\x58\x5a\x00' 'xz -dcq' ||
try '\x28\xb5\x2f\xfd' 'zstd -dcq' ||
try '\x1f\x8b\x08' 'gzip -dcq' || {
	rm -f "$tmp"
	echo "vmlinux: no ELF kernel found in $in" >&2
	exit 1
}
