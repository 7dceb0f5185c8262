#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# pmem-observe.t - flushes (tdax_flush) seen by the tools with ground truth:
# a known number of msync(MS_SYNC)/fsync calls of known bytes on an NVDIMM
# device (memory_controller: written back), the same device overridden to
# cpu_cache (skipped) and a volatile hmem device (none: skipped) show the
# exact flush counts, bytes, skipped counts and latency-histogram totals in
# `daxtop -J` and in a daxcollect scrape.
# vm: --load --timeout 500 --nvdimm build/pmem/observe-nv.img:1026M
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/tools.sh
. tests/guest/lib/pmem.sh
DAXTOP=build/bin/daxtop
DC=build/bin/daxcollect
PORT=9478
W=/tmp/pmem-observe
mkdir -p $W
ip link set lo up 2>/dev/null

if pmem_setup; then tap_ok "nfit, nd_pmem and tdax_pmem load; namespace $NV"
else tap_fail "nfit, nd_pmem and tdax_pmem load (got '${NV:-}')"; done_testing; fi
dd if=/dev/zero of=$W/zero4k bs=4096 count=1 2>/dev/null
ns_poke $NV $(ns_info_off $NV) $W/zero4k
is "bind $NV to tdax_pmem" "$(ns_bind $NV tdax_pmem)" ok
NVD=$(ns_tdax $NV)
t "/dev/$NVD appears" wait_for test -c /dev/$NVD
is "$NV persistence_domain" "$(cat $ND/devices/$NV/tdax_region/persistence_domain)" memory_controller
NVSIZE=$(cat $BUS/devices/$NVD/size)
HSIZE=$(cat $BUS/devices/tdax0.0/size)

$DAXTOP -J --cumulative 0.5 >$W/daxtop.json 2>$W/daxtop.err &
DTPID=$!
$DC --listen 127.0.0.1:$PORT --interval 1 >$W/daxcollect.log 2>&1 &
DCPID=$!
t "daxtop -J printed its first document" until_ok 60 test -s $W/daxtop.json
t "daxcollect serves /metrics and is attached" \
	until_ok 60 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"

# --- the known workload -----------------------------------------------------------
# memory_controller: 5 msync of 8K at 4K and 1 fsync of the whole device
ok=0
for i in 1 2 3 4 5; do [ "$(pt msync /dev/$NVD 4M 4096 8192)" = ok ] && ok=$((ok + 1)); done
is "5 x msync(MS_SYNC) of 8K on $NVD" $ok 5
is "fsync $NVD" "$(pt fsync /dev/$NVD)" ok
# cpu_cache override: 3 msync of 4K, all skipped
is "override $NV to cpu_cache" "$(sysfs_write $ND/devices/$NV/tdax_region/persistence_domain cpu_cache)" ok
ok=0
for i in 1 2 3; do [ "$(pt msync /dev/$NVD 4M 0 4096)" = ok ] && ok=$((ok + 1)); done
is "3 x msync(MS_SYNC) of 4K on $NVD under cpu_cache" $ok 3
is "back to auto" "$(sysfs_write $ND/devices/$NV/tdax_region/persistence_domain auto)" ok
# volatile hmem: 2 fsync, nothing to flush
ok=0
for i in 1 2; do [ "$(pt fsync /dev/tdax0.0)" = ok ] && ok=$((ok + 1)); done
is "2 x fsync of hmem tdax0.0" $ok 2

MC_N=6 MC_B=$((5 * 8192 + NVSIZE)) CC_N=3 CC_B=$((3 * 4096)) NO_N=2 NO_B=$((2 * HSIZE))

# --- daxtop -J ------------------------------------------------------------------
jlast() { last_doc $W/daxtop.json; }
done_in_daxtop() {
	jlast | jq -e --arg d $NVD "([.devices[] | select(.name == \$d and .present)][0].flush.flushes == $((MC_N + CC_N))) and
		([.devices[] | select(.name == \"tdax0.0\" and .present)][0].flush.flushes == $NO_N)" >/dev/null
}
t "daxtop -J counts the flushes of $NVD and tdax0.0" until_ok 30 done_in_daxtop
kill -INT $DTPID
wait $DTPID
is "daxtop exits 0 on SIGINT" $? 0
is "daxtop wrote nothing on stderr" "$(cat $W/daxtop.err)" ""
jlast >$W/last.json
jf() { jq -r --arg d "$1" "[.devices[] | select(.name == \$d and .present)][0] | $2" $W/last.json; }
MC=".flush.domains.memory_controller" CC=".flush.domains.cpu_cache" NO=".flush.domains.none"
is "daxtop: $NVD memory_controller flushes" "$(jf $NVD "$MC.flushes")" $MC_N
is "daxtop: $NVD memory_controller bytes" "$(jf $NVD "$MC.bytes")" $MC_B
is "daxtop: $NVD memory_controller bytes written back" "$(jf $NVD "$MC.bytes_flushed")" $MC_B
is "daxtop: $NVD memory_controller skipped" "$(jf $NVD "$MC.skipped")" 0
is "daxtop: $NVD memory_controller latency histogram counts each flush" \
	"$(jf $NVD "$MC.latency.count") $(jf $NVD "[$MC.latency.buckets[][1]] | add")" "$MC_N $MC_N"
t "daxtop: $NVD memory_controller latency p50 > 0" \
	test "$(jf $NVD "$MC.latency.p50_ns // 0 | floor")" -gt 0
is "daxtop: $NVD cpu_cache flushes, skipped" "$(jf $NVD "$CC.flushes") $(jf $NVD "$CC.skipped")" "$CC_N $CC_N"
is "daxtop: $NVD cpu_cache bytes, skipped bytes, written back" \
	"$(jf $NVD "$CC.bytes") $(jf $NVD "$CC.skipped_bytes") $(jf $NVD "$CC.bytes_flushed")" "$CC_B $CC_B 0"
is "daxtop: $NVD cpu_cache: no latency (nothing done)" "$(jf $NVD "$CC.latency.count")" 0
is "daxtop: $NVD total flushes, skipped, done" \
	"$(jf $NVD .flush.flushes) $(jf $NVD .flush.skipped) $(jf $NVD .flush.flushes_done)" \
	"$((MC_N + CC_N)) $CC_N $MC_N"
is "daxtop: tdax0.0 (hmem) flushes in domain none, all skipped" \
	"$(jf tdax0.0 "$NO.flushes") $(jf tdax0.0 "$NO.skipped") $(jf tdax0.0 "$NO.bytes")" "$NO_N $NO_N $NO_B"
is "daxtop: tdax0.0 has no other domain" "$(jf tdax0.0 '.flush.domains | keys | join(",")')" none
is "daxtop: tdax1.0 has no flush" "$(jf tdax1.0 .flush.flushes)" 0
is "daxtop: health counts the flush events" "$(jq -r .health.events.flush $W/last.json)" $((MC_N + CC_N + NO_N))
is "daxtop: $NVD mode devdax" "$(jf $NVD .mode)" devdax

# --- daxcollect ---------------------------------------------------------------------
done_in_scrape() {
	scrape >$W/s.prom
	[ "$(val $W/s.prom "tdax_flush_total{device=\"tdax0.0\",domain=\"none\"}")" = $NO_N ]
}
t "daxcollect's scrape counts the hmem flushes" until_ok 30 done_in_scrape
S=$W/s.prom
l() { echo "{device=\"$1\",domain=\"$2\"}"; }
is "tdax_flush_total $NVD memory_controller" "$(val $S "tdax_flush_total$(l $NVD memory_controller)")" $MC_N
is "tdax_flush_bytes_total $NVD memory_controller" "$(val $S "tdax_flush_bytes_total$(l $NVD memory_controller)")" $MC_B
is "tdax_flush_skipped_total $NVD memory_controller" "$(val $S "tdax_flush_skipped_total$(l $NVD memory_controller)")" 0
is "tdax_flush_latency_seconds_count $NVD memory_controller" \
	"$(val $S "tdax_flush_latency_seconds_count$(l $NVD memory_controller)")" $MC_N
is "tdax_flush_latency_seconds_bucket +Inf $NVD memory_controller" \
	"$(val $S "tdax_flush_latency_seconds_bucket{device=\"$NVD\",domain=\"memory_controller\",le=\"+Inf\"}")" $MC_N
is "tdax_flush_total $NVD cpu_cache" "$(val $S "tdax_flush_total$(l $NVD cpu_cache)")" $CC_N
is "tdax_flush_skipped_total $NVD cpu_cache" "$(val $S "tdax_flush_skipped_total$(l $NVD cpu_cache)")" $CC_N
is "tdax_flush_bytes_total $NVD cpu_cache" "$(val $S "tdax_flush_bytes_total$(l $NVD cpu_cache)")" $CC_B
is "tdax_flush_skipped_bytes_total $NVD cpu_cache" "$(val $S "tdax_flush_skipped_bytes_total$(l $NVD cpu_cache)")" $CC_B
is "no latency series for cpu_cache (nothing done)" \
	"$(val $S "tdax_flush_latency_seconds_count$(l $NVD cpu_cache)")" none
is "tdax_flush_skipped_total tdax0.0 none" "$(val $S "tdax_flush_skipped_total$(l tdax0.0 none)")" $NO_N
is "tdax_collector_events_total{event=\"flush\"}" "$(val $S 'tdax_collector_events_total{event="flush"}')" $((MC_N + CC_N + NO_N))
t "promtool check metrics accepts the scrape" sh -c "promtool check metrics <$S"
t "every rule expression names metrics of the scrape" \
	build/daxcollect/promql-check --scrape $S dashboards/prometheus/tdax-alerts.yml
for m in tdax_flush_total tdax_flush_bytes_total tdax_flush_skipped_total \
	 tdax_flush_skipped_bytes_total tdax_flush_errors_total tdax_flush_latency_seconds; do
	t "the scrape has the family $m (dashboard flush row)" grep -q "^# TYPE $m " $S
done
# the text view: a flush during its first interval shows in the FLUSH table
$DAXTOP -b --cumulative 0.5 >$W/text.out 2>&1 &
TXPID=$!
t "daxtop -b printed its first report" until_ok 60 grep -q '^daxtop ' $W/text.out
pt msync /dev/$NVD 4M 4096 8192 >/dev/null
t "daxtop -b: the FLUSH table lists $NVD memory_controller" \
	until_ok 30 grep -Eq "^$NVD +memory_controller +[0-9.]+ " $W/text.out
kill -INT $TXPID
wait $TXPID
is "daxtop -b exits 0 on SIGINT" $? 0

kill -TERM $DCPID
wait $DCPID
is "daxcollect exits 0 on SIGTERM" $? 0
is "unbind $NV from tdax_pmem" "$(ns_bind $NV nd_pmem)" ok
done_testing
