#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the Debian kernel release (uname -r form) that KERNEL=6.1|6.12 means,
# resolved from the meta package so that security updates are followed;
# KERNEL=6.1-debug is the checking kernel (debug-kernel.sh).
set -eu
case "${1:-6.1}" in
6.1-debug) exec "$(dirname "$0")/debug-kernel.sh" kver ;;
6.1)	meta=linux-image-amd64 ;;
6.12)	meta=linux-image-6.12-amd64 ;;
*)	echo "kver: KERNEL must be 6.1, 6.12 or 6.1-debug, not '$1'" >&2; exit 2 ;;
esac
pkg=$(apt-cache depends "$meta" 2>/dev/null |
	sed -n 's/^ *Depends: linux-image-\(.*\)$/\1/p' | head -n1)
if [ -z "$pkg" ]; then
	echo "kver: cannot resolve $meta (run 'apt-get update' first)" >&2
	exit 1
fi
echo "$pkg"
