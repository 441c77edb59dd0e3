#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kver.sh PLATFORM: the Debian kernel release (uname -r form) of a platform
# (or of KERNEL=6.1|6.12), resolved from its meta package so that security
# updates are followed.  See platform.sh.
exec "$(dirname "$0")/platform.sh" kver "${1:-deb12}"
