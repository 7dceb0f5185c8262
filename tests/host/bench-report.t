#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/host/bench-report.t - the table generator of `make bench`
# (tests/bench/report.py) on a recorded runs.tsv with known figures:
# per-round paired ratios, targets met or not, the collector table,
# results.json, and a one-line error on a missing or bad file.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/guest/lib/tdax.sh"
rep="$here/tests/bench/report.py"

fx=$(mktemp -d)
trap 'rm -rf "$fx"' EXIT
cp "$here/tests/bench/testdata/runs-sample.tsv" "$fx/runs.tsv"

out=$(python3 "$rep" --no-plots "$fx" 2>&1)
is "report.py exits 0 on the recorded run" "$?" 0
row() { # NAME ALIGN -> the rest of that ratio line, blanks squeezed
	echo "$out" | grep -F "$(printf '%-30s %-5s ' "$1" "$2")" | cut -c39- | tr -s ' ' | sed 's/^ //'
}
# 4K in-tree 1.0, 2.0; tdax 1.1, 1.8: per-round 1.10, 0.90 -> median 1.000; min/min 1.1/1.0
is "tdax / in-tree 4K: paired and min/min" "$(row 'tdax / in-tree' 4K)" "1.000 1.100 <=1.00 yes"
is "tdax / in-tree 2M: over the target" "$(row 'tdax / in-tree' 2M)" "1.100 1.000 <=1.00 NO"
is "fault-around 16 / in-tree 4K" "$(row 'fault-around 16 / in-tree' 4K)" "0.200 0.200 <=0.25 yes"
is "both / unwatched 4K" "$(row 'both / unwatched' 4K)" "1.313 1.182 <=1.15 NO"
is "traced-disabled / no-trace 4K" "$(row 'traced-disabled / no-trace' 4K)" "1.000 1.100 <=1.01 yes"
is "collector row 16 devices 1000 processes storm" \
	"$(echo "$out" | awk '$1 == 16 && $2 == 1000 && $3 == "storm"' | tr -s ' ')" \
	" 16 1000 storm 1.50 11.7 0.75 29.3 4.00 0.50 1021 2 50000 NO (cpu rss)"
t "table.txt is what was printed" sh -c "[ \"\$(cat '$fx/table.txt')\" = \"\$1\" ]" _ "$out"
t "results.json: 20 ratios, 4 collector rows, the kernel" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["ratios"]) == 20, len(d["ratios"])
assert len(d["collector"]) == 4, len(d["collector"])
assert d["info"]["kernel"] == "6.1.0-57-amd64"
r = [x for x in d["ratios"] if x["ratio"] == "tdax / in-tree" and x["align"] == "2M"][0]
assert r["met"] is False and abs(r["paired"] - 1.1) < 1e-9, r
' "$fx/results.json"

printf 'fault\t4K\ttdax\tx\n' > "$fx/runs.tsv"
err=$(python3 "$rep" --no-plots "$fx" 2>&1)
is "a bad line: exit 1" "$?" 1
is "a bad line: one line naming it" "$(echo "$err" | wc -l) $(echo "$err" | grep -c 'runs.tsv:1: bad line')" "1 1"
rm -f "$fx/runs.tsv"
err=$(python3 "$rep" --no-plots "$fx" 2>&1)
is "no runs.tsv: exit 1" "$?" 1
is "no runs.tsv: says so" "$(echo "$err" | grep -c 'runs.tsv missing')" 1
done_testing
