#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Host checks of daxcollect's rules, dashboards and command line:
# promtool check/test of the Prometheus rules, the scrape config example,
# the Grafana dashboard's structure and metric names (against the families
# daxcollect renders; the guest test repeats the names check against a
# real scrape), and daxcollect's refusal of bad rules files and options.
cd "$(dirname "$0")/../.." || exit 1
P=dashboards/prometheus
DC=build/bin/daxcollect
tmp=$(mktemp -d /tmp/daxcollect-dash.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
n=0
t() { # t "description" command...
	desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/out" | head -20
	fi
}
echo "1..14"
t "promtool check rules $P/tdax-alerts.yml" promtool check rules $P/tdax-alerts.yml
t "promtool test rules $P/tdax-alerts.test.yml" sh -c "cd $P && promtool test rules tdax-alerts.test.yml"
t "promtool check config $P/prometheus-scrape.example.yml" \
	sh -c "cd $P && promtool check config prometheus-scrape.example.yml"
# promql-check prints its own TAP; fold it into two results here
build/daxcollect/promql-check --self dashboards/grafana/tdax-overview.json $P/tdax-alerts.yml \
	>"$tmp/pq" 2>&1
for f in dashboards/grafana/tdax-overview.json $P/tdax-alerts.yml; do
	n=$((n + 1))
	if grep -q "^ok .* - $f:" "$tmp/pq"; then
		echo "ok $n - metric names and structure of $f"
	else
		echo "not ok $n - metric names and structure of $f"
		grep -v '^ok' "$tmp/pq" | sed 's/^/# /'
	fi
done
t "every dashboard expression parses as PromQL (promtool check rules)" sh -c \
	"build/daxcollect/promql-check --rules-of dashboards/grafana/tdax-overview.json >'$tmp/dash-rules.yml' &&
	 grep -q 'record: dashboard:expr_20' '$tmp/dash-rules.yml' && promtool check rules '$tmp/dash-rules.yml'"
# the stock-kernel wrong-memory panel: in the Granularity row, per device, red,
# on the metric daxcollect exports (a misspelt name is refused by promql-check)
t "dashboard: red 'wrong memory' panel per device in the Granularity row" python3 -c '
import json, sys
d = json.load(open("dashboards/grafana/tdax-overview.json"))
rows = sorted((p["gridPos"]["y"], p["title"]) for p in d["panels"] if p["type"] == "row")
wm = [p for p in d["panels"] if any("tdax_offset_misaligned_faults_total" in t.get("expr", "") for t in p.get("targets", []))]
if len(wm) != 1:
    sys.exit("want one panel on tdax_offset_misaligned_faults_total, got %d" % len(wm))
p = wm[0]
row = [t for y, t in rows if y <= p["gridPos"]["y"]][-1]
steps = p["fieldConfig"]["defaults"]["thresholds"]["steps"]
checks = {
    "title says wrong memory": "WRONG MEMORY" in p["title"].upper(),
    "stat or timeseries": p["type"] in ("stat", "timeseries"),
    "row Granularity (got %s)" % row: row == "Granularity",
    "on ${datasource}": p["datasource"]["uid"] == "${datasource}" and all(t["datasource"]["uid"] == "${datasource}" for t in p["targets"]),
    "by device, on $instance/$device": all("device)" in t["expr"] and "$instance" in t["expr"] and "$device" in t["expr"] for t in p["targets"]),
    "legend names the device": all("{{device}}" in t.get("legendFormat", "") for t in p["targets"]),
    "green at 0, red from 1": [(s["color"], s["value"]) for s in steps] == [("green", None), ("red", 1)],
    "unit short (a count)": p["fieldConfig"]["defaults"].get("unit") == "short",
}
bad = [k for k, v in checks.items() if not v]
sys.exit("panel %r: %s" % (p["title"], ", ".join(bad)) if bad else 0)'
sed 's/tdax_offset_misaligned_faults_total/tdax_offset_misaligned_fault_total/' \
	dashboards/grafana/tdax-overview.json >"$tmp/misspelt.json"
t "the wrong-memory panel names an exported metric (promql-check refuses a misspelt one)" sh -c \
	"build/daxcollect/promql-check --self dashboards/grafana/tdax-overview.json | grep -q '^ok ' &&
	 ! build/daxcollect/promql-check --self '$tmp/misspelt.json' >'$tmp/ms.out' &&
	 grep -q \"metric 'tdax_offset_misaligned_fault_total' is not exported\" '$tmp/ms.out' &&
	 grep -q 'no red wrong-memory panel' '$tmp/ms.out'"
t "daxcollect --check-rules accepts the example rules" \
	$DC --check-rules -r tools/daxcollect/alerts.example.yaml

printf 'rules:\n  - name: A\n    measure: fallback_rate\n    threshold: 1\n    windw: 30s\n' >"$tmp/bad.yaml"
n=$((n + 1))
$DC --check-rules -r "$tmp/bad.yaml" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "^daxcollect: $tmp/bad.yaml:5: unknown key 'windw' in rule" "$tmp/out"; then
	echo "ok $n - bad rules file refused with FILE:LINE and reason, exit 2"
else
	echo "not ok $n - bad rules file refused with FILE:LINE and reason, exit 2 (rc $rc)"
	sed 's/^/# /' "$tmp/out"
fi

n=$((n + 1))
$DC -r "$tmp/bad.yaml" --once >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/out")" -eq 1 ]; then
	echo "ok $n - daemon start refuses a bad rules file before anything else (one line, exit 2)"
else
	echo "not ok $n - daemon start refuses a bad rules file (rc $rc)"
	sed 's/^/# /' "$tmp/out"
fi

n=$((n + 1))
$DC --bogus >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ]; then
	echo "ok $n - unknown option: exit 2"
else
	echo "not ok $n - unknown option: exit 2 (rc $rc)"
fi

n=$((n + 1))
$DC --listen localhost:http >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "^daxcollect: --listen: 'localhost:http' is not ADDR:PORT" "$tmp/out"; then
	echo "ok $n - bad --listen: one clear line, exit 2"
else
	echo "not ok $n - bad --listen: one clear line, exit 2 (rc $rc)"
	sed 's/^/# /' "$tmp/out"
fi

n=$((n + 1))
if $DC --help >"$tmp/out" 2>&1 && grep -q -- '--listen' "$tmp/out" && grep -q 'SIGUSR1' "$tmp/out"; then
	echo "ok $n - --help explains options and signals"
else
	echo "not ok $n - --help explains options and signals"
fi
