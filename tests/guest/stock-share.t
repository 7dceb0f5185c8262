#!/bin/bash
# vm: --debug --timeout 600
# SPDX-License-Identifier: GPL-2.0-only
#
# stock-share.t - one program set for every tool on a stock kernel (#9 item
# 5): tdax is NOT loaded, the in-tree device_dax serves dax0.0..2.0, and the
# stock source's programs (fentry/fexit or kprobes on device_dax) are pinned
# under /sys/fs/bpf/tdax like the tdax source's:
#  - daxcollect makes the set (owner), daxtop joins it (follower): one set of
#    stock programs loaded, and a fault runs one program once;
#  - both report the ground truth of a known workload (256 faults at 4K);
#  - --no-share loads a second set beside it;
#  - the owner leaves, daxtop takes over: a device destroyed then (hmem.1
#    unbound) is retired with its final counts and leaves the pinned maps;
#  - the last consumer unpins the set: no stock program is left, and
#    device_dax can be unloaded.
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/stock.sh
. tests/guest/lib/tools.sh
DAXTOP=${DAXTOP:-build/bin/daxtop}
DC=${DAXCOLLECT:-build/bin/daxcollect}
LOAD=build/tests/bin/daxload
OUT=/tmp/stock-share
PIN=/sys/fs/bpf/tdax
PORT=9478
mkdir -p $OUT
ip link set lo up 2>/dev/null
sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null 2>&1

# stock programs loaded now (st_* of tdax_stock.bpf.c)
nstock() {
	bpftool -j prog show 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for p in json.load(sys.stdin) if p.get("name", "").startswith("st_")))'
}
# runs of the stock fault entry programs (fentry or kprobe), in total
stock_fault_runs() {
	bpftool -j prog show 2>/dev/null | python3 -c '
import json, sys
print(sum(p.get("run_cnt", 0) for p in json.load(sys.stdin) if p.get("name") in ("st_fentry_fault", "st_kp_fault")))'
}
hits_dc() { # DEV: daxcollect's hits of DEV, all instances
	scrape | awk -v d="$1" '$1 ~ "^tdax_fault_hits_total\\{device=\"" d "\"" { s += $2 } END { print s + 0 }'
}

t "tdax is not loaded" test ! -e /sys/bus/tdax
t "in-tree dax_hmem + device_dax bound: /dev/dax0.0..2.0" stock_setup
t "dax0.0 set to align 4K" stock_align dax0.0 4096
is "no set pinned before any consumer" "$(ls $PIN 2>/dev/null | wc -l)" 0
is "no stock program loaded" "$(nstock)" 0

# ---- the first consumer makes and pins the set ----------------------------------
$DC --source stock --listen localhost:$PORT --interval 1 --verbose >$OUT/dc.log 2>&1 &
DCPID=$!
t "daxcollect attached" wait_attached $DCPID 4
t "daxcollect made the set (owner)" grep -q "made the program set pinned under $PIN (owner)" $OUT/dc.log
t "stock links and the maps pinned under $PIN" \
	sh -c "[ -e $PIN/link_stock_fault_entry ] && [ -e $PIN/link_stock_mmap_exit ] && [ -e $PIN/fault_counts ] && [ -e $PIN/ctl ]"
N1=$(nstock)
t "4 to 6 stock programs loaded ($N1: fault and mmap entry/exit, lifetimes)" \
	sh -c "[ $N1 -ge 4 ] && [ $N1 -le 6 ]"
t "daxcollect serves" until_ok 30 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"
# the runs of a known workload with one consumer, for the same with two
R0=$(stock_fault_runs)
t "daxload: 1 MiB of dax0.0 at 4K (daxcollect alone)" sh -c "$LOAD -s 1M /dev/dax0.0 >$OUT/l0.out"
RA=$(( $(stock_fault_runs) - R0 ))
t "at least one program run per fault with one consumer ($RA for 256 faults)" test $RA -ge 256
is "daxcollect: dax0.0 has the 256 hits" "$(wait_eq 10 256 hits_dc dax0.0)" 256

# ---- daxtop joins: nothing more per fault ------------------------------------------
$DAXTOP --source stock -J --cumulative --verbose 1 >$OUT/top.json 2>$OUT/top.err &
TOPPID=$!
t "daxtop attached" wait_attached $TOPPID 4
t "daxtop joined the set (follower)" grep -q "joined the program set pinned under $PIN (follower)" $OUT/top.err
is "still $N1 stock programs with two consumers" "$(nstock)" "$N1"
settle $OUT/top.json
is "daxtop's JSON: program_set follower, source stock" \
	"$(jq_ $OUT/top.json "(d['program_set'], d['source'], d['stock_attach'] is not None)")" \
	"('follower', 'stock', True)"
is "daxcollect: tdax_collector_program_set{role=\"owner\"} 1" \
	"$(scrape | grep '^tdax_collector_program_set{role="owner"}')" 'tdax_collector_program_set{role="owner"} 1'
H0=$(jq_ $OUT/top.json "sum(x['hits'] for x in d['devices'] if x['name'] == 'dax0.0')")
R0=$(stock_fault_runs)
t "daxload: 1 MiB of dax0.0 at 4K (two consumers)" sh -c "$LOAD -s 1M /dev/dax0.0 >$OUT/l1.out"
is "the same program runs with two consumers as with one" "$(( $(stock_fault_runs) - R0 ))" "$RA"
settle $OUT/top.json
settle $OUT/top.json
is "daxtop: dax0.0 has 256 more hits" \
	"$(jq_ $OUT/top.json "sum(x['hits'] for x in d['devices'] if x['name'] == 'dax0.0') - $H0")" 256
is "daxcollect: dax0.0 has the 512 hits of both loads" "$(wait_eq 10 512 hits_dc dax0.0)" 512

# ---- a private set beside it -------------------------------------------------------
$DAXTOP --source stock --no-share -b 1 >$OUT/private.txt 2>&1 &
PRIV=$!
t "daxtop --no-share attached" wait_attached $PRIV 4
is "--no-share: a second set ($((2 * N1)) stock programs)" "$(wait_eq 20 $((2 * N1)) nstock)" "$((2 * N1))"
kill -INT $PRIV; wait $PRIV
is "the private set is gone with it ($N1)" "$(wait_eq 20 $N1 nstock)" "$N1"

# ---- the owner leaves: daxtop takes over -------------------------------------------
kill -TERM $DCPID; wait $DCPID
t "daxtop took over as the owner" until_ok 15 grep -q "now the owner of the program set" $OUT/top.err
settle $OUT/top.json
is "daxtop's JSON: program_set owner" "$(jq_ $OUT/top.json "d['program_set']")" owner
is "the set stays pinned while daxtop uses it ($N1 programs)" \
	"$(ls $PIN/link_stock_fault_entry 2>/dev/null) $(nstock)" "$PIN/link_stock_fault_entry $N1"
t "daxload: 8 MiB of dax1.0 at 2M" sh -c "$LOAD -q -s 8M /dev/dax1.0"
settle $OUT/top.json
INST=$(jq_ $OUT/top.json "[x['instance'] for x in d['devices'] if x['name'] == 'dax1.0' and x['present']][0]")
is "dax1.0 (instance $INST) has its 4 hits" \
	"$(jq_ $OUT/top.json "[x['hits'] for x in d['devices'] if x['instance'] == $INST]")" "[4]"
is "its rows are in the pinned fault_counts" "$( [ "$(rows_of $PIN fault_counts $INST)" -ge 1 ] && echo yes)" yes
echo hmem.1 > /sys/bus/platform/drivers/hmem/unbind
t "dax1.0 gone after unbinding hmem.1" wait_for 30 test ! -e /sys/bus/dax/devices/dax1.0
settle $OUT/top.json
settle $OUT/top.json
is "daxtop (the owner) retired it with its 4 hits" \
	"$(jq_ $OUT/top.json "[(x['hits'], x['present'], x['retired']) for x in d['devices'] if x['instance'] == $INST]")" \
	"[(4, False, True)]"
is "its rows left the pinned maps" "$(wait_eq 10 0 rows_of $PIN fault_counts $INST)" 0
t "daxtop (the owner) still running" kill -0 $TOPPID

# ---- the last one leaves: unpinned --------------------------------------------------
kill -INT $TOPPID; wait $TOPPID
is "the last consumer unpinned the set" "$(ls $PIN 2>/dev/null | wc -l)" 0
is "no stock program left" "$(wait_eq 10 0 nstock)" 0
t "device_dax can be unloaded" modprobe -r device_dax

done_testing
