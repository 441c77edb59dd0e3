#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# collect.sh [--merge OLD.json] RESULTS_DIR OUT_DIR: the report of
# `make bench` (docs/performance.md).
#
# Reads the "# BENCH" lines the in-VM benchmarks left in the stages' TAP
# files under RESULTS_DIR (figures 1-4 whole, figure 5 as one half per
# boot) and the core-bench JSON documents fig6-*.json (figure 6, one per
# repeat), and writes:
#   - the table, on stdout, with each target and whether it is met;
#   - OUT_DIR/results.json: one entry per figure (name, unit, ours,
#     baseline, ratio > 1 = ours better, repeats, kernel, xen, qemu);
#   - OUT_DIR/fig2.png and OUT_DIR/fig6.png, drawn by gnuplot.
# A figure that was not measured stays in the report as missing, with the
# reason its benchmark gave.
# --merge OLD.json keeps every entry of an earlier report whose name this
# run did not produce (marked "earlier_run": true; each keeps its own
# versions), so that a run of one boot or one figure adds to the report
# instead of replacing it.  Entries of this run win by name.
set -euo pipefail

usage() { sed -n '4,21s/^# \{0,1\}//p' "$0"; }
merge=
case ${1:-} in
-h|--help) usage; exit 0 ;;
--merge) [ $# -ge 2 ] || { usage >&2; exit 2; }; merge=$2; shift 2 ;;
esac
[ $# -eq 2 ] || { usage >&2; exit 2; }
res=$1 out=$2
if [ -n "$merge" ] && [ ! -f "$merge" ]; then merge=; fi
[ -d "$res" ] || { echo "collect: no results directory $res (run make bench)" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

qemu=$(qemu-system-x86_64 --version 2>/dev/null | head -n1 |
	sed 's/^QEMU emulator version //') || qemu=unknown
host_kernel=$(uname -r)

# The VM's own versions, from the first stage that reported them.
env_line=$(cat "$res"/*.tap 2>/dev/null | tr -d '\r' |
	sed -n 's/^# BENCH-ENV //p' | head -n1) || true
vm_kernel=$(echo "$env_line" | sed -n 's/.*"kernel":"\([^"]*\)".*/\1/p')
vm_xen=$(echo "$env_line" | sed -n 's/.*"xen":"\([^"]*\)".*/\1/p')
# A run that reported none (the host part alone) keeps the earlier ones.
if [ -z "$vm_kernel" ] && [ -n "$merge" ]; then
	vm_kernel=$(sed -n 's/^  "kernel": "\([^"]*\)".*/\1/p' "$merge")
	vm_xen=$(sed -n 's/^  "xen": "\([^"]*\)".*/\1/p' "$merge")
fi
vm_kernel=${vm_kernel:-unknown} vm_xen=${vm_xen:-unknown}

cat "$res"/*.tap 2>/dev/null | tr -d '\r' | sed -n 's/^# BENCH //p' \
	>"$tmp/vm.jsonl" || true
cat "$res"/*.tap 2>/dev/null | tr -d '\r' | sed -n 's/^# BENCH-PART //p' \
	>"$tmp/parts.jsonl" || true
cat "$res"/fig6-*.json 2>/dev/null | grep '"op"' >"$tmp/fig6.jsonl" || true
# The earlier report, one entry per line as this script writes it.
: >"$tmp/old.jsonl"
[ -z "$merge" ] || grep '^ *{"name": ' "$merge" | sed 's/^ *//; s/,$//' \
	>"$tmp/old.jsonl" || true

# One awk does the arithmetic: pairing, medians, derived entries, targets.
awk -v vk="$vm_kernel" -v vx="$vm_xen" -v q="$qemu" -v hk="$host_kernel" \
	-v parts="$tmp/parts.jsonl" -v f6="$tmp/fig6.jsonl" -v old="$tmp/old.jsonl" \
	-v json="$out/results.json" -v d2="$tmp/fig2.dat" -v d6="$tmp/fig6.dat" '
# The value of key @k in one flat JSON object, without quotes.
function get(s, k,   m) {
	if (match(s, "\"" k "\": *(\"[^\"]*\"|[^,}]*)")) {
		m = substr(s, RSTART, RLENGTH)
		sub(/^"[^"]*": */, "", m)
		gsub(/^"|"$/, "", m)
		return m
	}
	return ""
}
function num(x) { return x == "" || x == "null" ? "null" : x + 0 }
function add(name, unit, ours, base, ratio, reps, n, op, miss, where, note) {
	nf++
	N[nf] = name; U[nf] = unit; O[nf] = ours; B[nf] = base; R[nf] = ratio
	P[nf] = reps; NN[nf] = n; OP[nf] = op; M[nf] = miss; W[nf] = where
	NT[nf] = note
	idx[name] = nf
}
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# Figures 1-4: whole entries from the stock boot.
{
	add(get($0, "name"), get($0, "unit"), get($0, "ours"),
	    get($0, "baseline"), get($0, "ratio"), get($0, "repeats"),
	    get($0, "n"), get($0, "op"), get($0, "missing"), "vm", "")
}
END {
	# Figure 5: one half per boot.
	while ((getline l < parts) > 0) {
		nm = get(l, "name"); side = get(l, "side")
		half[nm, side] = get(l, "value"); hb[nm] = get(l, "higher_better")
		hr[nm, side] = get(l, "repeats"); hu[nm] = get(l, "unit")
		if (!(nm in names5)) n5++
		names5[nm] = 1
	}
	if (!n5) names5["fig5-vchan-64k"] = 1
	for (nm in names5) {
		o = half[nm, "ours"]; b = half[nm, "baseline"]
		note = "two boots: ours = gntmap as /dev/xen/gntdev (dropin), baseline = stock"
		if (o == "" || b == "") {
			add(nm, hu[nm] == "" ? "MiB/s" : hu[nm], "null", "null", "null", 0,
			    "", "", (o == "" ? "the dropin boot" : "the stock boot") \
			    " reported no figure (see its TAP file)", "vm", note)
			if (!n5) PH[nf] = "fig5-"
			continue
		}
		r = hb[nm] == "true" ? o / b : b / o
		reps = hr[nm, "ours"] < hr[nm, "baseline"] ? hr[nm, "ours"] : hr[nm, "baseline"]
		add(nm, hu[nm], o, b, sprintf("%.4f", r), reps, "", "", "", "vm", note)
	}
	# Figure 2: the gntmap scaling target, N max against N=1, per op.
	for (i = 1; i <= nf; i++) {
		if (N[i] !~ /^fig2-/ || M[i] != "") continue
		printf "%s %s %s %s\n", OP[i], NN[i], O[i], B[i] > d2
		if (NN[i] + 0 == 1) lo[OP[i]] = O[i]
		if (NN[i] + 0 > maxn[OP[i]] + 0) { maxn[OP[i]] = NN[i]; hi[OP[i]] = O[i] }
	}
	close(d2)
	for (op in lo) if (maxn[op] + 0 > 1) {
		add("fig2-scaling-" op, "us", hi[op], lo[op],
		    sprintf("%.4f", lo[op] / hi[op]), "", maxn[op], op, "", "vm",
		    "gntmap against itself: ours = N=" maxn[op] ", baseline = N=1")
	}
	if (!(("fig2-scaling-munmap") in idx))
		add("fig2-scaling", "us", "null", "null", "null", 0, "", "",
		    "figure 2 did not reach N > 1 (see the stage TAP)", "vm", "")
	if (!(("fig2-scaling-munmap") in idx)) PH[nf] = "fig2-"
	# Figure 6: medians over the repeated core-bench runs.
	while ((getline l < f6) > 0) {
		k = get(l, "op") SUBSEP get(l, "subs")
		if (!(k in c6)) n6++
		c6[k]++; iv[k, c6[k]] = get(l, "itn_ns"); lv[k, c6[k]] = get(l, "list_ns")
	}
	no = split("insert remove invalidate-miss invalidate-hit", ops6, " ")
	ns = 0
	for (k in c6) {
		split(k, kk, SUBSEP)
		if (!(kk[2] in seen6)) { seen6[kk[2]] = 1; sz[++ns] = kk[2] + 0 }
	}
	median(sz, ns)
	for (oi = 1; oi <= no; oi++) for (si = 1; si <= ns; si++) {
		k = ops6[oi] SUBSEP sz[si]
		if (!(k in c6)) continue
		split(k, kk, SUBSEP); n = c6[k]
		for (i = 1; i <= n; i++) { a[i] = iv[k, i] + 0 }
		mi = median(a, n)
		for (i = 1; i <= n; i++) { a[i] = lv[k, i] + 0 }
		ml = median(a, n)
		printf "%s %s %s %s\n", kk[1], kk[2], mi, ml > d6
		add("fig6-" kk[1] "-n" kk[2], "ns", mi, ml, sprintf("%.4f", ml / mi),
		    n, kk[2], kk[1], "", "host", "userspace core against a linked-list registry")
	}
	close(d6)
	if (!n6)
		add("fig6", "ns", "null", "null", "null", 0, "", "",
		    "no core-bench results (make bench-host)", "host", "")
	if (!n6) PH[nf] = "fig6-"
	# The earlier report: what this run did not produce stays.  A
	# placeholder that only says "this run had no figure N" gives way to
	# that figure'"'"'s earlier entries.
	while ((getline l < old) > 0) {
		nm = get(l, "name")
		if (nm == "" || (nm in idx && PH[idx[nm]] == "")) continue
		for (i = 1; i <= nf; i++)
			if (PH[i] != "" && index(nm, PH[i]) == 1) dead[i] = 1
		add(nm, get(l, "unit"), get(l, "ours"), get(l, "baseline"),
		    get(l, "ratio"), get(l, "repeats"), get(l, "n"), get(l, "op"),
		    get(l, "missing"), get(l, "xen") == "null" ? "host" : "vm",
		    get(l, "note"))
		RAW[nf] = l
	}
	# Where a figure was measured on a PVH dom0.
	for (i = 1; i <= nf; i++)
		if (N[i] ~ /^fig[0-9]-pvh-/ && NT[i] == "")
			NT[i] = "PVH dom0 (both drivers on their auto-translated path), PV sharer domU, one boot"
	# Targets of the issue: the ratio each entry must reach.
	for (i = 1; i <= nf; i++) {
		t = ""
		if (N[i] ~ /^fig1-(pvh-)?map-cycle-/) t = 1.0
		else if (N[i] ~ /^fig2-scaling-/) t = 1 / 1.5
		else if (N[i] == "fig3-anon-tax" || N[i] == "fig3-anon-vs-vmas") t = 1 / 1.05
		else if (N[i] ~ /^fig4-|^fig5-/) t = 0.95
		else if (N[i] == "fig6-invalidate-miss-n100000") t = 100
		T[i] = t
	}
	# Reports list the figures in their order, each in measured order.
	no = 0
	for (f = 1; f <= 6; f++)
		for (i = 1; i <= nf; i++)
			if (index(N[i], "fig" f) == 1 && !(i in dead)) ord[++no] = i
	# The JSON report.
	printf "{\n  \"kernel\": \"%s\",\n  \"xen\": \"%s\",\n  \"qemu\": \"%s\",\n", vk, vx, q > json
	printf "  \"host_kernel\": \"%s\",\n  \"figures\": [", hk > json
	for (j = 1; j <= no; j++) {
		i = ord[j]
		host = W[i] == "host"
		if (RAW[i] != "") {
			# Verbatim, with its own versions and target verdict.
			if (RAW[i] !~ /"earlier_run"/)
				sub(/}$/, ", \"earlier_run\": true}", RAW[i])
			printf "%s\n    %s", (j > 1 ? "," : ""), RAW[i] > json
			continue
		}
		printf "%s\n    {\"name\": \"%s\", \"unit\": \"%s\", \"ours\": %s, \"baseline\": %s, \"ratio\": %s, \"repeats\": %s, \"kernel\": \"%s\", \"xen\": %s, \"qemu\": %s", \
		    (j > 1 ? "," : ""), N[i], U[i], num(O[i]), num(B[i]), num(R[i]), \
		    P[i] == "" ? 0 : P[i], host ? hk : vk, host ? "null" : "\"" vx "\"", \
		    host ? "null" : "\"" q "\"" > json
		if (NN[i] != "") printf ", \"n\": %d", NN[i] > json
		if (OP[i] != "") printf ", \"op\": \"%s\"", OP[i] > json
		if (T[i] != "") printf ", \"target_ratio\": %.4f, \"target_met\": %s", T[i], \
		    (R[i] != "" && R[i] != "null" && R[i] + 0 >= T[i] - 1e-9) ? "true" : "false" > json
		if (N[i] == "fig6-invalidate-miss-n1000000" && M[i] == "")
			printf ", \"target_ns\": 200, \"target_met\": %s", O[i] + 0 <= 200 ? "true" : "false" > json
		if (M[i] != "") printf ", \"missing\": \"%s\"", M[i] > json
		if (NT[i] != "") printf ", \"note\": \"%s\"", NT[i] > json
		printf "}" > json
	}
	printf "\n  ]\n}\n" > json
	close(json)
	# The table.
	printf "make bench: dom0 %s, Xen %s, QEMU %s (TCG: only ratios mean anything)\n", vk, vx, q
	printf "%-30s %-8s %12s %12s %8s  %s\n", "figure", "unit", "ours", "baseline", "ratio", "target"
	for (j = 1; j <= no; j++) {
		i = ord[j]
		if (M[i] != "") {
			printf "%-30s %-8s %12s %12s %8s  missing: %s\n", N[i], U[i], "-", "-", "-", M[i]
			continue
		}
		v = ""
		if (T[i] != "")
			v = sprintf("ratio >= %.3g: %s", T[i], R[i] + 0 >= T[i] - 1e-9 ? "met" : "MISSED")
		if (N[i] == "fig6-invalidate-miss-n1000000")
			v = sprintf("<= 200 ns: %s", O[i] + 0 <= 200 ? "met" : "MISSED")
		if (RAW[i] != "") v = v (v == "" ? "" : " ") "(earlier run)"
		printf "%-30s %-8s %12.4g %12.4g %8.3f  %s\n", N[i], U[i], O[i], B[i], R[i], v
	}
	printf "ratio > 1: ours better. fig5 compares two boots; fig6 runs on the host.\n"
}' "$tmp/vm.jsonl"

# The plots, when there is something to draw.
if ! command -v gnuplot >/dev/null; then
	echo "collect: gnuplot not installed, no PNGs (apt-get install gnuplot-nox)" >&2
	exit 0
fi
plot4() {	# DATA PNG TITLE YLABEL XLABEL OURS BASE OPS...
	local data=$1 png=$2 title=$3 ylabel=$4 xlabel=$5 ours=$6 base=$7 op
	shift 7
	{
		echo "set terminal png size 1200,900 noenhanced"
		echo "set output '$png'"
		echo "set multiplot layout 2,2 title '$title'"
		echo "set logscale xy; set grid; set key top left"
		echo "set xlabel '$xlabel'; set ylabel '$ylabel'"
		for op in "$@"; do
			if ! grep -q "^$op " "$data"; then
				echo "set title '$op (not measured)'; unset logscale"
				echo "plot [1:10] 0 notitle"
				continue
			fi
			sort -k2,2n "$data" | grep "^$op " >"$tmp/$op.dat"
			echo "set title '$op'; set logscale xy"
			echo "plot '$tmp/$op.dat' using 2:3 with linespoints title '$ours'," \
				"'' using 2:4 with linespoints title '$base'"
		done
		echo "unset multiplot"
	} >"$tmp/plot.gp"
	gnuplot "$tmp/plot.gp" 2>"$tmp/gnuplot.err" ||
		{ echo "collect: gnuplot failed for $png:" >&2; cat "$tmp/gnuplot.err" >&2; }
}
if [ -s "$tmp/fig2.dat" ]; then
	plot4 "$tmp/fig2.dat" "$out/fig2.png" \
		"Figure 2: latency against live maps N on one file (TCG: compare the curves, not the numbers)" \
		"us (median)" "N live maps" "gntmap" "stock xen-gntdev" \
		map-ioctl mmap munmap unmap-ioctl
	echo "plot: $out/fig2.png"
fi
if [ -s "$tmp/fig6.dat" ]; then
	plot4 "$tmp/fig6.dat" "$out/fig6.png" \
		"Figure 6: userspace core against a linked-list registry (host, ns per op)" \
		"ns per op" "subscriptions" "itn core (interval tree)" "linked list" \
		insert remove invalidate-miss invalidate-hit
	echo "plot: $out/fig6.png"
fi
