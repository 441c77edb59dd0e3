#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# TAP: tools/bench/pool.py on boots made up here, whose pooled figures are
# known: what docs/performance.md's pooled ratios rest on.
set -u
. "$(dirname "$0")/tap.sh"
pool="$(dirname "$0")/../tools/bench/pool.py"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Boot a: sets 2 and 0.5 (geometric mean 1); boot b: 1.21 and 1.21.
mkdir "$tmp/a"
cat > "$tmp/a/bench.tap" <<'T'
ok 1 - figx-munmap-n1: ours 1 us, baseline 1 us, ratio 1.000
# figx-munmap-n1: ratio by worker set 2.0000 (rounds 0-1), 0.5000 (rounds 2-3)
# figx-munmap-n1: ratio by worker set 9.0000 (rounds 0-1)
# figx-munmap-n64: ratio by worker set 1.0000 (rounds 0-1)
T
printf '%s\n' '# figx-munmap-n1: ratio by worker set 1.2100 (rounds 0-1), 1.2100 (rounds 2-3)' > "$tmp/b.out"

out=$("$pool" --json --match '^figx-munmap-n1$' --group 'all=^figx-' "$tmp/a" "$tmp/b.out")
check() {
	# $1: python expression over the parsed document d; $2: test name
	if printf '%s' "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); e={x['name']: x for x in d['entries']}; sys.exit(0 if ($1) else 1)"; then
		tap ok "$2"
	else
		tap "not ok" "$2"
		printf '%s\n' "$out" | tap_note
	fi
}
check "e['figx-munmap-n1']['sets'] == 4 and e['figx-munmap-n1']['boots'] == 2" \
	"one boot's second line of an entry is ignored, every set of the first counted"
check "abs(e['figx-munmap-n1']['ratio'] - 1.1) < 1e-4" \
	"the pooled ratio is the geometric mean of every set's ratio"
check "e['figx-munmap-n1']['boot_ratios'] == [1.0, 1.21]" \
	"each boot's own ratio is the geometric mean of its sets"
check "abs(e['figx-munmap-n1']['ratio_of_boot_means'] - 1.1) < 1e-4 and e['figx-munmap-n1']['ci95_boots'][0] < 1.0 < e['figx-munmap-n1']['ci95_boots'][1]" \
	"the interval over two boots that disagree spans both"
check "e['all']['sets'] == 5 and e['all']['boots'] == 2" \
	"a group pools every entry it matches"

"$pool" --match nothing "$tmp/a" > /dev/null 2> "$tmp/err"
rc=$?
if [ $rc -ne 0 ] && grep -q "no worker-set ratios" "$tmp/err"; then
	tap ok "no matching entry is an error with its reason"
else
	tap "not ok" "no matching entry is an error with its reason (rc $rc)"
fi
"$pool" "$tmp/missing" > /dev/null 2> "$tmp/err"
rc=$?
if [ $rc -ne 0 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ]; then
	tap ok "a missing boot is a one-line error"
else
	tap "not ok" "a missing boot is a one-line error (rc $rc)"
fi
tap_plan
[ "$tap_failed" -eq 0 ]
