#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# daxcollect end to end, with a real Prometheus on loopback:
#  - a known workload (PTE fallbacks under MADV_NOHUGEPAGE on a fallback
#    device, 2M hits on another) shows the exact counts in a scrape;
#  - the scrape passes `promtool check metrics`, and every PromQL expression
#    of dashboards/ names only metrics found in it;
#  - during a fallback workload Prometheus' TdaxPteFallback alert (the rules
#    of dashboards/prometheus/tdax-alerts.yml, windows shortened for the test)
#    goes firing with the device and reason, and daxcollect's own rule runs
#    its exec hook with TDAX_DEVICE/TDAX_REASON; both resolve after the
#    workload stops;
#  - SIGTERM: exit 0.
# vm: --load --timeout 300
set -u
. tests/guest/lib/tdax.sh

W=/tmp/dce

DC=${DAXCOLLECT:-build/bin/daxcollect}
PORT=9477
PROM=127.0.0.1:9090
mkdir -p $W
ip link set lo up 2>/dev/null
sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null 2>&1

scrape() { curl -s --max-time 10 http://127.0.0.1:$PORT/metrics; }
# value of one series in a scrape file: metric{labels} exactly as exported
# value of a series in a scrape file: metric{labels} as exported, without the
# device_instance label (summed over the instances of a device name)
val() { awk -v k="$2" '{ s = $1; gsub(/,device_instance="[0-9]+"/, "", s) } s == k { v += $2; n++ } END { print n ? v : 0 }' "$1"; }
# Prometheus instant query: number of series in the result
pq_count() {
	curl -s --max-time 10 "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
		grep -o '"metric":' | wc -l
}
wait_for() { # SECS CMD... : retry CMD every 0.5 s
	local end=$(( $(date +%s) + $1 ))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.5
	done
}

t "tdax0.0: align 2M, fault_policy fallback" set_dev tdax0.0 2097152 fallback

cat >$W/hook.sh <<'HOOK'
#!/bin/sh
echo "$TDAX_STATE $TDAX_ALERT $TDAX_DEVICE $TDAX_REASON $TDAX_SEVERITY" >>/tmp/dce/hook.log
HOOK
chmod +x $W/hook.sh
cat >$W/rules.yaml <<RULES
rules:
  - name: TdaxPteFallback
    measure: fallback_rate
    scope: device
    threshold: 0
    window: 5s
    for: 2s
    severity: warning
    actions:
      - log: stderr
      - json: $W/alerts.jsonl
      - exec: [$W/hook.sh]
RULES

$DC --listen 127.0.0.1:$PORT --rules $W/rules.yaml --interval 1 >$W/daxcollect.log 2>&1 &
DCPID=$!
t "daxcollect serves /metrics and is attached" \
	wait_for 30 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"

# ---- exact counts of a known workload --------------------------------------
scrape >$W/before.prom
dt fault /dev/tdax0.0 4M -n >/dev/null	# 1024 PTE faults, reason nohugepage
dt fault /dev/tdax0.0 4M -n >/dev/null	# and 1024 more
dt fault /dev/tdax1.0 64M >/dev/null	# 32 faults at 2M (strict, align 2M)
scrape >$W/after.prom
K='tdax_faults_total{device="tdax0.0",size="4K",outcome="mapped",reason="nohugepage"}'
is "2 x 4M under MADV_NOHUGEPAGE: 2048 4K fallbacks, reason nohugepage" \
	"$(( $(val $W/after.prom "$K") - $(val $W/before.prom "$K") ))" 2048
K='tdax_fault_below_align_total{device="tdax0.0"}'
is "tdax0.0: 2048 faults below the alignment" "$(( $(val $W/after.prom "$K") - $(val $W/before.prom "$K") ))" 2048
K='tdax_fault_hits_total{device="tdax1.0"}'
is "tdax1.0: 64M at 2M = 32 hits" "$(( $(val $W/after.prom "$K") - $(val $W/before.prom "$K") ))" 32
K='tdax_faults_total{device="tdax1.0",size="2M",outcome="mapped",reason="ok"}'
is "tdax1.0: 32 faults mapped at 2M" \
	"$(( $(val $W/after.prom "$K") - $(val $W/before.prom "$K") ))" 32
K='tdax_fault_latency_seconds_count{device="tdax1.0",size="2M"}'
is "tdax1.0: 32 more 2M latency observations" \
	"$(( $(val $W/after.prom "$K") - $(val $W/before.prom "$K") ))" 32
is "tdax0.0 is known as a fallback-policy device" \
	"$(grep -c '^tdax_device_info{device="tdax0.0",device_instance="[0-9]*",region="0",driver="tdax_device",fault_policy="fallback"} 1$' $W/after.prom)" 1
K='tdax_fault_reasons_total{device="tdax0.0",outcome="mapped",reason="nohugepage"}'
is "reasons once per fault that ended: 2048 nohugepage" \
	"$(( $(val $W/after.prom "$K") - $(val $W/before.prom "$K") ))" 2048
K='tdax_fault_mapped_bytes_total{device="tdax0.0"}'
is "tdax0.0: 8M mapped" "$(( $(val $W/after.prom "$K") - $(val $W/before.prom "$K") ))" 8388608
K='tdax_fault_aligned_bytes_total{device="tdax1.0"}'
is "tdax1.0: 64M mapped at the alignment" "$(( $(val $W/after.prom "$K") - $(val $W/before.prom "$K") ))" 67108864

# The known workload lasted ~1 s: daxcollect's rule (window 5s, for 2s) fires
# and resolves once for it.
t "daxcollect rule: fired and resolved for the known workload" \
	wait_for 30 grep -qx "resolved TdaxPteFallback tdax0.0 nohugepage warning" $W/hook.log

# ---- the scrape against promtool and the dashboards ------------------------
t "promtool check metrics accepts the real scrape" sh -c "promtool check metrics <$W/after.prom"
t "every PromQL expression of dashboards/ names metrics of the real scrape" \
	build/daxcollect/promql-check --scrape $W/after.prom dashboards/grafana/tdax-overview.json \
		dashboards/prometheus/tdax-alerts.yml
t "BPF run time exported with kernel.bpf_stats_enabled=1" grep -q '^tdax_collector_bpf_runs_total [1-9]' $W/after.prom

# ---- Prometheus on loopback ---------------------------------------------------
# The project's alerting rules with the windows shortened: 5m/10m -> 10s, for -> 2s.
sed -e 's/\[5m\]/[10s]/g; s/offset 5m/offset 10s/g; s/\[10m\]/[10s]/g; s/for: [0-9]*m$/for: 2s/' \
	dashboards/prometheus/tdax-alerts.yml >$W/tdax-alerts.yml
cat >$W/prometheus.yml <<PCONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $W/tdax-alerts.yml
scrape_configs:
  - job_name: daxcollect
    static_configs:
      - targets: ["127.0.0.1:$PORT"]
PCONF
t "promtool check config of the test's Prometheus" promtool check config $W/prometheus.yml
prometheus --config.file=$W/prometheus.yml --storage.tsdb.path=$W/tsdb \
	--web.listen-address=$PROM --log.level=warn >$W/prometheus.log 2>&1 &
PPID_=$!
t "Prometheus is up and scrapes daxcollect" \
	wait_for 90 sh -c "curl -s 'http://$PROM/api/v1/query?query=up' | grep -q '\"value\":\[[0-9.]*,\"1\"\]'"

# ---- fallback workload: alerts fire --------------------------------------------
( while [ ! -e $W/stop ]; do "$DT" fault /dev/tdax0.0 2M -n >/dev/null; sleep 0.2; done ) &
WL=$!
FIRING='ALERTS{alertname="TdaxPteFallback",alertstate="firing",device="tdax0.0",reason="nohugepage",severity="warning"}'
t "Prometheus: TdaxPteFallback firing for tdax0.0, reason nohugepage" \
	wait_for 60 sh -c "[ \$(curl -s 'http://$PROM/api/v1/query' --data-urlencode 'query=$FIRING' | grep -o '\"metric\":' | wc -l) -eq 1 ]"
# The first workload above already fired and resolved once: wait for the second firing.
t "daxcollect rule: exec hook ran for firing, device tdax0.0, reason nohugepage" \
	wait_for 30 sh -c "[ \$(grep -cx 'firing TdaxPteFallback tdax0.0 nohugepage warning' $W/hook.log) -ge 2 ]"
t "daxcollect rule: JSON line appended" \
	wait_for 10 sh -c "[ \$(grep -c '\"state\":\"firing\".*\"device\":\"tdax0.0\"' $W/alerts.jsonl) -ge 2 ]"
t "daxcollect reports one firing alert" \
	wait_for 15 sh -c "[ \$(curl -s --max-time 10 http://127.0.0.1:$PORT/metrics | grep -c '^tdax_collector_alerts_firing{alert=\"TdaxPteFallback\",severity=\"warning\"} 1\$') -eq 1 ]"

# ---- every dashboard query against the live Prometheus ----------------------------
pquery() { curl -s --max-time 10 "http://$PROM/api/v1/query" --data-urlencode "query=$1"; }
build/daxcollect/promql-check --exprs-of dashboards/grafana/tdax-overview.json >$W/exprs
nq=0 nbad=0 nempty=0
while IFS= read -r q; do
	nq=$((nq + 1))
	r=$(pquery "$q")
	case "$r" in
	*'"status":"success"'*) case "$r" in *'"result":[]'*) nempty=$((nempty + 1)) ;; esac ;;
	*) nbad=$((nbad + 1)); echo "#   query failed: $q"; echo "#   $r" ;;
	esac
done <$W/exprs
t "all $nq dashboard queries succeed in Prometheus ($nempty empty now)" test "$nbad" -eq 0 -a "$nq" -gt 20
t "dashboard 'PTE fallback by reason' shows nohugepage" \
	sh -c "curl -s 'http://$PROM/api/v1/query' --data-urlencode \"query=\$(grep -m1 'sum by (reason) (rate(tdax_fault_reasons_total' $W/exprs)\" | grep -q '\"reason\":\"nohugepage\"'"
t "dashboard 'Hit rate per device' has tdax0.0" \
	sh -c "curl -s 'http://$PROM/api/v1/query' --data-urlencode \"query=\$(grep -m1 'rate(tdax_fault_hits_total' $W/exprs)\" | grep -q '\"device\":\"tdax0.0\"'"
t "dashboard latency heatmap has buckets" \
	sh -c "curl -s 'http://$PROM/api/v1/query' --data-urlencode \"query=\$(grep -m1 'sum by (le) (increase(tdax_fault_latency_seconds_bucket' $W/exprs)\" | grep -q '\"le\":'"

# ---- the workload stops: both resolve -------------------------------------------
touch $W/stop
wait $WL
t "daxcollect rule: exec hook ran for resolved" \
	wait_for 60 sh -c "[ \$(grep -cx 'resolved TdaxPteFallback tdax0.0 nohugepage warning' $W/hook.log) -ge 2 ]"
t "Prometheus: TdaxPteFallback no longer firing" \
	wait_for 60 sh -c "[ \$(curl -s 'http://$PROM/api/v1/query' --data-urlencode 'query=$FIRING' | grep -o '\"metric\":' | wc -l) -eq 0 ]"
is "no duplicate transitions: firing, resolved once per workload" \
	"$(cut -d' ' -f1 $W/hook.log | tr '\n' ' ')" "firing resolved firing resolved "
wait_for 10 sh -c "[ \$(grep -c '\"alert\":\"TdaxPteFallback\"' $W/alerts.jsonl) -ge 4 ]"
is "JSON log: the same four transitions" "$(grep -c '"alert":"TdaxPteFallback"' $W/alerts.jsonl)" 4

kill $PPID_ 2>/dev/null
wait $PPID_ 2>/dev/null

# ---- clean exit -----------------------------------------------------------------
kill -TERM $DCPID
wait $DCPID
is "SIGTERM: daxcollect exits 0" "$?" 0
t "daxcollect logged the alert transitions" grep -q "alert TdaxPteFallback firing: device=tdax0.0 reason=nohugepage" $W/daxcollect.log
if [ "$TDAX_FAILED" -ne 0 ]; then
	echo "# daxcollect log:"; tail -n 20 $W/daxcollect.log | sed 's/^/#   /'
	echo "# prometheus log:"; tail -n 10 $W/prometheus.log | sed 's/^/#   /'
	[ -e $W/hook.log ] && sed 's/^/#   hook: /' $W/hook.log
fi
done_testing
