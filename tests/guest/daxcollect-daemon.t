#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# daxcollect as a daemon: --once (tp_btf/raw_tp), exact counts over HTTP,
# hostile HTTP requests (4xx, still serving), SIGUSR1 release -> rmmod ->
# reload -> re-attach with counting resumed (and a second daxcollect started
# while the driver is absent attaching by itself), device and region
# lifetimes, release by itself when the bus is empty (rmmod without signal),
# SIGHUP rules reload (bad file kept out), port already in use, SIGINT exit 0.
# vm: --load --timeout 240
set -u
. tests/guest/lib/tdax.sh

W=/tmp/dcd
DC=${DAXCOLLECT:-build/bin/daxcollect}
PORT=9477
mkdir -p $W
ip link set lo up 2>/dev/null

scrape() { curl -s --max-time 10 http://127.0.0.1:${1:-$PORT}/metrics; }
# value of a series in a scrape file: metric{labels} as exported, without the
# device_instance label (summed over the instances of a device name)
val() { awk -v k="$2" '{ s = $1; gsub(/,device_instance="[0-9]+"/, "", s) } s == k { v += $2; n++ } END { print n ? v : 0 }' "$1"; }
wait_for() {
	local end=$(( $(date +%s) + $1 ))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.5
	done
}
# raw HTTP request through bash's /dev/tcp; prints the status line
raw() {
	exec 3<>/dev/tcp/127.0.0.1/$PORT || return 1
	printf '%b' "$1" >&3
	timeout 5 head -n 1 <&3 | tr -d '\r'
	exec 3<&- 3>&-
}

# ---- --once ----------------------------------------------------------------------
$DC --once >$W/once.prom 2>$W/once.err
is "--once exits 0" "$?" 0
t "--once: promtool check metrics" sh -c "promtool check metrics <$W/once.prom"
t "--once: attached" grep -qx 'tdax_collector_up 1' $W/once.prom
t "--once: all four devices listed" sh -c "[ \$(grep -c '^tdax_device_info{' $W/once.prom) -eq 4 ]"
t "--once: all four regions listed" grep -qx 'tdax_regions 4' $W/once.prom
$DC --once --raw-tp >$W/once-raw.prom 2>&1
t "--once --raw-tp: attached with raw_tp" grep -qx 'tdax_collector_attach_mode{mode="raw_tp"} 1' $W/once-raw.prom

# ---- daemon, exact counts -------------------------------------------------------
$DC --listen 127.0.0.1:$PORT --interval 1 --process-metrics=pid >$W/dc.log 2>&1 &
DCPID=$!
t "daemon attached" wait_for 30 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"
scrape >$W/a.prom
dt fault /dev/tdax2.0 32M >/dev/null
scrape >$W/b.prom
K='tdax_fault_hits_total{device="tdax2.0"}'
is "32M on a 2M device: exactly 16 hits" "$(( $(val $W/b.prom "$K") - $(val $W/a.prom "$K") ))" 16
"$DT" hold /dev/tdax2.0 2M $W/holding >/dev/null &
HOLD=$!
t "a process holding a mapping" wait_for 10 test -e $W/holding
scrape >$W/p.prom
is "per-process: the live process has its 1 hit on tdax2.0, with pid and comm" \
	"$(val $W/p.prom "tdax_process_fault_hits_total{pid=\"$HOLD\",comm=\"daxtest\",device=\"tdax2.0\"}")" 1
rm -f $W/holding
wait $HOLD

# ---- hostile HTTP -----------------------------------------------------------------
code=$(raw 'GARBAGE\r\n\r\n' | cut -d' ' -f2)
t "garbage request line: 400 or closed (got '$code')" sh -c "case '$code' in 400|'') exit 0;; *) exit 1;; esac"
is "HTTP/1.1 without Host: 400" "$(raw 'GET /metrics HTTP/1.1\r\n\r\n' | cut -d' ' -f2)" 400
is "POST: 405" "$(raw 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc' | cut -d' ' -f2)" 405
is "unknown path: 404" "$(raw 'GET /etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n' | cut -d' ' -f2)" 404
long=$(head -c 70000 /dev/zero | tr '\0' a)
code=$(raw "GET /$long HTTP/1.1\r\nHost: x\r\n\r\n" 2>/dev/null | cut -d' ' -f2)
# libmicrohttpd answers 414/431 or, when the client is still sending, resets the connection
t "70 KB request line: 4xx or connection closed (got '$code')" sh -c "case '$code' in 4??|'') exit 0;; *) exit 1;; esac"
# 40 idle connections at once (limit 16 per address): the excess is dropped, nothing hangs
for i in $(seq 40); do exec {fd}<>/dev/tcp/127.0.0.1/$PORT 2>/dev/null && fds+=($fd); done
for fd in "${fds[@]}"; do exec {fd}<&-; done
t "still serving after hostile requests" wait_for 15 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"
kill -0 $DCPID
is "daemon still running" "$?" 0

# ---- release, rmmod, reload, re-attach ----------------------------------------------
kill -USR1 $DCPID
t "SIGUSR1: daxcollect detaches and says so" wait_for 10 grep -q "detached on SIGUSR1" $W/dc.log
t "rmmod tdax_hmem tdax_device tdax succeeds while daxcollect runs" \
	sh -c "rmmod tdax_hmem && rmmod tdax_device && rmmod tdax"
t "daxcollect logs the unload" wait_for 10 grep -q "tdax driver unloaded" $W/dc.log
scrape >$W/c.prom
t "while unloaded: /metrics still answers, tdax_collector_up 0" grep -qx 'tdax_collector_up 0' $W/c.prom
t "while unloaded: released 1" grep -qx 'tdax_collector_released 1' $W/c.prom
# a second collector started while the driver is absent
$DC --listen 127.0.0.1:9478 --interval 1 >$W/dc2.log 2>&1 &
DC2=$!
t "second daxcollect starts without the driver and waits" wait_for 15 grep -q "waiting for the tdax driver" $W/dc2.log
t "reload the driver (tests/vm/load)" tests/vm/load
t "daxcollect re-attaches and says so" wait_for 20 grep -q "loaded again; re-attaching" $W/dc.log
t "tdax_collector_up back to 1" wait_for 20 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"
t "the second daxcollect attached by itself" wait_for 20 sh -c "curl -s http://127.0.0.1:9478/metrics | grep -qx 'tdax_collector_up 1'"
scrape >$W/d.prom
dt fault /dev/tdax2.0 32M >/dev/null
scrape >$W/e.prom
K='tdax_fault_hits_total{device="tdax2.0"}'
is "after the reload: counting resumes exactly (16 more hits)" "$(( $(val $W/e.prom "$K") - $(val $W/d.prom "$K") ))" 16
t "attach changes counted" grep -q '^tdax_collector_attach_changes_total [1-9]' $W/e.prom
kill -INT $DC2
wait $DC2
is "second daxcollect: SIGINT exits 0" "$?" 0

# ---- lifetimes: a device created and deleted, regions destroyed and re-created ----
EV='tdax_collector_events_total{event='
R=$BUS/devices/tdax3.0/../tdax_region
scrape >$W/f.prom
sysfs_write $DRV/unbind tdax3.0 >/dev/null
sysfs_write $BUS/devices/tdax3.0/size 536870912 >/dev/null
is "region 3: create a device" "$(sysfs_write $R/create 1)" ok
NEW=$(cat $R/create)
is "region 3: new device size 256M" "$(sysfs_write $BUS/devices/$NEW/size 268435456)" ok
is "bind $NEW" "$(sysfs_write $DRV/bind $NEW)" ok
scrape >$W/g.prom
t "$NEW exported while present" grep -q "^tdax_device_info{device=\"$NEW\",device_instance=\"[0-9]*\",region=\"3\",driver=\"tdax_device\"" $W/g.prom
is "one dev_create event" "$(( $(val $W/g.prom "${EV}\"dev_create\"}") - $(val $W/f.prom "${EV}\"dev_create\"}") ))" 1
t "$NEW: its bind was seen" test "$(val $W/g.prom "tdax_device_binds_total{device=\"$NEW\"}")" -ge 1
sleep 1
sysfs_write $DRV/unbind $NEW >/dev/null
sysfs_write $BUS/devices/$NEW/size 0 >/dev/null
is "delete $NEW" "$(sysfs_write $R/delete $NEW)" ok
scrape >$W/h.prom
is "one dev_destroy event" "$(( $(val $W/h.prom "${EV}\"dev_destroy\"}") - $(val $W/g.prom "${EV}\"dev_destroy\"}") ))" 1
is "one more device lifetime observed" \
	"$(( $(val $W/h.prom tdax_device_lifetime_seconds_count) - $(val $W/g.prom tdax_device_lifetime_seconds_count) ))" 1
is "$NEW gone from tdax_device_info" "$(grep -c "^tdax_device_info{device=\"$NEW\"" $W/h.prom)" 0
sysfs_write $BUS/devices/tdax3.0/size 1073741824 >/dev/null
is "tdax3.0 restored and bound" "$(sysfs_write $DRV/bind tdax3.0)" ok
t "rmmod tdax_hmem while daxcollect is attached (regions destroyed)" rmmod tdax_hmem
t "tdax_hmem loaded again (tests/vm/load)" tests/vm/load
scrape >$W/i.prom
is "4 region lifetimes observed" \
	"$(( $(val $W/i.prom tdax_region_lifetime_seconds_count) - $(val $W/h.prom tdax_region_lifetime_seconds_count) ))" 4
is "4 region_create events" "$(( $(val $W/i.prom "${EV}\"region_create\"}") - $(val $W/h.prom "${EV}\"region_create\"}") ))" 4
is "4 regions present again" "$(val $W/i.prom tdax_regions)" 4
t "the 4 re-created regions are young (created < 30 s ago)" \
	awk -v now="$(date +%s)" '$1 ~ /^tdax_region_created_timestamp_seconds/ { n++; if (now - $2 >= 30 || now - $2 < -1) bad = 1 } END { exit bad || n != 4 }' $W/i.prom

# ---- unload without a signal: daxcollect lets go once the bus is empty ------------
t "rmmod tdax_hmem tdax_device (no signal to daxcollect)" sh -c "rmmod tdax_hmem && rmmod tdax_device"
t "daxcollect detaches by itself once no driver or device is left" \
	wait_for 10 grep -q "no tdax driver or device left on the bus: detached" $W/dc.log
t "rmmod tdax then succeeds" rmmod tdax
t "reload the driver again (tests/vm/load)" tests/vm/load
t "daxcollect re-attached by itself" \
	wait_for 20 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"
scrape >$W/j.prom
dt fault /dev/tdax2.0 32M >/dev/null
scrape >$W/k.prom
K='tdax_fault_hits_total{device="tdax2.0"}'
is "and counts exactly again (16 more hits)" "$(( $(val $W/k.prom "$K") - $(val $W/j.prom "$K") ))" 16

# ---- SIGHUP reload ---------------------------------------------------------------------
# start a third collector with rules to exercise the reload
printf 'rules:\n  - {name: A, measure: fallback_rate, threshold: 1}\n' >$W/rules.yaml
$DC --listen 127.0.0.1:9479 -r $W/rules.yaml --interval 1 >$W/dc3.log 2>&1 &
DC3=$!
t "third daxcollect serves alert state" wait_for 20 sh -c "curl -s http://127.0.0.1:9479/metrics | grep -q '^tdax_collector_alerts_firing{alert=\"A\"'"
printf 'rules:\n  - {name: A, measure: fallback_rate, threshhold: 1}\n' >$W/rules.yaml
kill -HUP $DC3
t "SIGHUP with a bad file: old rules kept, line and reason logged" \
	wait_for 10 grep -q "SIGHUP: keeping the old rules: $W/rules.yaml:2: unknown key 'threshhold'" $W/dc3.log
printf 'rules:\n  - {name: B, measure: hit_ratio, threshold: 0.5}\n  - {name: C, measure: miss_rate, threshold: 9}\n' >$W/rules.yaml
kill -HUP $DC3
t "SIGHUP with a good file: reloaded" wait_for 10 grep -q "SIGHUP: reloaded 2 rules" $W/dc3.log
t "new rules exported" wait_for 10 sh -c "curl -s http://127.0.0.1:9479/metrics | grep -q '^tdax_collector_alerts_firing{alert=\"C\"'"
kill -TERM $DC3
wait $DC3
is "third daxcollect: SIGTERM exits 0" "$?" 0

# ---- port in use, then SIGINT ---------------------------------------------------------------
timeout 10 $DC --listen 127.0.0.1:$PORT >$W/dup.out 2>&1
rc=$?
is "port already in use: exit 1" "$rc" 1
t "port already in use: one clear line" grep -q "cannot listen on 127.0.0.1:$PORT" $W/dup.out
kill -INT $DCPID
wait $DCPID
is "SIGINT: daxcollect exits 0" "$?" 0
if [ "$TDAX_FAILED" -ne 0 ]; then
	echo "# daxcollect log:"; tail -n 20 $W/dc.log | sed 's/^/#   /'
fi
done_testing
