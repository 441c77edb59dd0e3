#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The packages' version, from the tree (docs/package.md): a tag vX.Y gives
# X.Y, commits after it +N.gHASH; without a tag, 0~gitDATE.TIME.gHASH from
# the commit's time, so that later commits sort higher.  Local changes add
# +dirty.
set -eu
cd "$(dirname "$0")/.."
dirty=
git diff --quiet HEAD -- 2>/dev/null || dirty=+dirty
if d=$(git describe --tags --long --match 'v[0-9]*' 2>/dev/null); then
	n=${d%-g*}; n=${n##*-}; tag=${d%-*-g*}
	v=${tag#v}
	[ "$n" = 0 ] || v="$v+$n.g${d##*-g}"
else
	v=0~git$(TZ=UTC git log -1 --date=format-local:%Y%m%d.%H%M%S \
		--format=%cd).g$(git rev-parse --short=7 HEAD)
fi
echo "$v$dirty"
