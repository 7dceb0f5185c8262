#!/bin/bash
# vm: --load --debug --timeout 600
# SPDX-License-Identifier: GPL-2.0-only
#
# daxtop-shared.t - one program set for every tool on the host (#9 item 5):
#  - the first consumer (daxcollect) pins its maps and links under
#    /sys/fs/bpf/tdax; daxtop joins them: 12 tdax programs loaded, not 24,
#    and a fault runs one program (run_cnt grows by the number of faults);
#  - both report the same ground truth (256 faults at 4K of one daxload),
#    per-process rows are switched on while daxtop wants them and off after;
#  - an exited process is reported by the follower (daxtop) with its final
#    counts before the owner folds it into "exited";
#  - the owner leaves: daxtop takes over; a device deleted then is retired
#    with its final counts and its rows leave the pinned maps;
#  - --no-share loads a private set (24 programs while it runs);
#  - the last consumer to leave unpins the set (rmmod tdax succeeds); one
#    killed with SIGKILL leaves the set pinned until the next one leaves.
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/tools.sh
DAXTOP=${DAXTOP:-build/bin/daxtop}
DC=${DAXCOLLECT:-build/bin/daxcollect}
LOAD=build/tests/bin/daxload
OUT=/tmp/daxtop-shared
PIN=/sys/fs/bpf/tdax
PORT=9478
mkdir -p $OUT
ip link set lo up 2>/dev/null
sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null 2>&1

ctl_want_procs() { # value of ctl[TDAX_CTL_WANT_PROCS]
	bpftool -j map lookup pinned $PIN/ctl key 0 0 0 0 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
v = d.get("formatted", {}).get("value", d.get("value"))
print(v if isinstance(v, int) else int.from_bytes(bytes(int(x, 16) for x in v), "little"))'
}

t "tdax0.0 set to align 4K" set_dev tdax0.0 4096
is "no set pinned before any consumer" "$(ls $PIN 2>/dev/null | wc -l)" 0

# ---- the first consumer makes and pins the set --------------------------------
$DC --listen localhost:$PORT --interval 1 --verbose >$OUT/dc.log 2>&1 &
DCPID=$!
t "daxcollect attached" wait_attached $DCPID
t "daxcollect made the set (owner)" grep -q "made the program set pinned under $PIN (owner)" $OUT/dc.log
t "links and maps pinned under $PIN" \
	sh -c "[ -e $PIN/link_fault ] && [ -e $PIN/link_kmem_block ] && [ -e $PIN/fault_counts ] && [ -e $PIN/ctl ]"
is "12 tdax programs loaded" "$(nprogs)" 12
t "daxcollect serves" until_ok 30 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"
is "no per-process updates wanted yet (daxcollect has no process metrics)" \
	"$(wait_eq 10 0 ctl_want_procs)" 0

# ---- daxtop joins: nothing more per fault ---------------------------------------
$DAXTOP -J --cumulative --verbose 1 >$OUT/top.json 2>$OUT/top.err &
TOPPID=$!
t "daxtop attached" wait_attached $TOPPID
t "daxtop joined the set (follower)" grep -q "joined the program set pinned under $PIN (follower)" $OUT/top.err
is "still 12 tdax programs with two consumers" "$(nprogs)" 12
settle $OUT/top.json
is "daxtop's JSON: program_set follower" "$(jq_ $OUT/top.json "d['program_set']")" follower
is "daxcollect: tdax_collector_program_set{role=\"owner\"} 1" \
	"$(scrape | grep '^tdax_collector_program_set{' | tr '\n' ' ')" \
	'tdax_collector_program_set{role="private"} 0 tdax_collector_program_set{role="owner"} 1 tdax_collector_program_set{role="follower"} 0 '

is "per-process updates switched on for daxtop" "$(ctl_want_procs)" 1
R0=$(fault_runs)
NF=$(tp_count tdax_fault "size != 0" $LOAD -s 1M /dev/tdax0.0)	# 256 pages at 4K
cp $TDAX_OUT $OUT/l1.out
LPID=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' $OUT/l1.out)
R1=$(fault_runs)
is "one program run per tdax_fault event (perf stat counted $NF)" "$((R1 - R0))" "$NF"
settle $OUT/top.json
settle $OUT/top.json
hits_dc() { scrape | awk -v d="tdax0.0" '$1 ~ "^tdax_fault_hits_total\\{device=\"" d "\"" { s += $2 } END { print s + 0 }'; }
is "daxtop: tdax0.0 has the 256 hits" \
	"$(jq_ $OUT/top.json "sum(x['hits'] for x in d['devices'] if x['name'] == 'tdax0.0')")" 256
is "daxcollect: tdax0.0 has the same 256 hits" "$(hits_dc)" 256
is "daxtop (a follower) reported daxload's row once exited, with its 256 hits" \
	"$(jq_ $OUT/top.json "sorted(set((p['hits'], p['alive']) for dd in docs for p in dd['processes'] if p['pid'] == $LPID and not p['exited']))")" \
	"[(256, False)]"
t "then it is folded into the exited row of tdax0.0 (256 hits)" until_ok 20 sh -c \
	"python3 -c \"
import json
d = [json.loads(l) for l in open('$OUT/top.json').read().split(chr(10))[:-1] if l.strip()][-1]
assert [p['hits'] for p in d['processes'] if p['exited'] and p['device'] == 'tdax0.0'] == [256]
assert not [p for p in d['processes'] if p['pid'] == $LPID]
\""

R3=$BUS/devices/tdax3.0/../tdax_region
echo tdax3.0 > $DRV/unbind
echo $((512 << 20)) > $BUS/devices/tdax3.0/size
echo tdax3.0 > $DRV/bind
# a device created, faulted (4 x 2M), deleted: WHO retires it
device_cycle() { # WHO
	local n inst
	echo 1 > $R3/create
	n=$(cat $R3/create)
	echo $((256 << 20)) > $BUS/devices/$n/size
	echo $n > $DRV/bind
	until_ok 10 test -c /dev/$n
	$LOAD -q -s 8M /dev/$n			# 4 faults at 2M
	settle $OUT/top.json
	inst=$(jq_ $OUT/top.json "[x['instance'] for x in d['devices'] if x['name'] == '$n' and x['present']][0]")
	is "$1: the new device $n has its 4 hits" \
		"$(jq_ $OUT/top.json "[x['hits'] for x in d['devices'] if x['instance'] == $inst]")" "[4]"
	is "$1: its rows are in the pinned fault_counts" "$( [ "$(rows_of $PIN fault_counts $inst)" -ge 1 ] && echo yes)" yes
	echo $n > $DRV/unbind; echo 0 > $BUS/devices/$n/size; echo $n > $R3/delete
	settle $OUT/top.json
	settle $OUT/top.json
	is "$1: deleted, daxtop shows the retired instance with its 4 hits" \
		"$(jq_ $OUT/top.json "[(x['hits'], x['present'], x['retired']) for x in d['devices'] if x['instance'] == $inst]")" \
		"[(4, False, True)]"
	is "$1: its rows left the pinned maps" "$(wait_eq 10 0 rows_of $PIN fault_counts $inst)" 0
	if kill -0 $DCPID 2>/dev/null; then
		is "$1: daxcollect keeps the final 4 hits of instance $inst" \
			"$(scrape | awk -v k="tdax_fault_hits_total{device=\"$n\",device_instance=\"$inst\"}" '$1 == k { print $2 }')" 4
	fi
	settle $OUT/top.json
	is "$1: and daxtop still shows its final 4 hits" \
		"$(jq_ $OUT/top.json "[(x['hits'], x['present'], x['retired']) for x in d['devices'] if x['instance'] == $inst]")" \
		"[(4, False, True)]"
}
device_cycle "daxcollect the owner, daxtop a follower"

# ---- a private set beside it ----------------------------------------------------
$DAXTOP --no-share -b 1 >$OUT/private.txt 2>&1 &
PRIV=$!
t "daxtop --no-share attached" wait_attached $PRIV
is "--no-share: a second set (24 programs)" "$(nprogs)" 24
kill -INT $PRIV; wait $PRIV
is "the private set is gone with it (12)" "$(nprogs)" 12

# ---- the owner leaves: daxtop takes over ---------------------------------------
kill -USR1 $DCPID	# daxcollect releases: it leaves the set, daxtop keeps it
t "daxcollect released (SIGUSR1)" until_ok 15 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_released 1'"
is "released while daxtop uses the set: still pinned, 12 programs" "$(ls $PIN/link_fault 2>/dev/null) $(nprogs)" "$PIN/link_fault 12"
kill -TERM $DCPID; wait $DCPID
t "daxtop took over as the owner" until_ok 15 grep -q "now the owner of the program set" $OUT/top.err
settle $OUT/top.json
is "daxtop's JSON: program_set owner" "$(jq_ $OUT/top.json "d['program_set']")" owner
is "the set stays pinned while daxtop uses it" "$(ls $PIN/link_fault 2>/dev/null)" "$PIN/link_fault"
device_cycle "daxtop the owner"

# ---- racing consumers: joins, leaves and kills while faults come -----------------
# daxtop (the owner now) keeps running; followers come and go (some killed),
# a daxload faults 2 x 2M on tdax1.0 each time: the owner's count is exact.
H0=$(jq_ $OUT/top.json "sum(x['hits'] for x in d['devices'] if x['name'] == 'tdax1.0')")
LOADS=0
RPIDS=""
for round in $(seq 12); do
	$DAXTOP -b 0.2 >/dev/null 2>&1 &
	RPIDS="$RPIDS $!"
	$DC --once >/dev/null 2>&1 &
	RPIDS="$RPIDS $!"
	$LOAD -q -s 4M /dev/tdax1.0 && LOADS=$((LOADS + 1))
	sleep 0.$((RANDOM % 5))
	set -- $RPIDS
	if [ $# -ge 4 ]; then
		[ $((round % 3)) = 0 ] && kill -KILL $1 2>/dev/null || kill -INT $1 2>/dev/null
		wait $1 2>/dev/null
		shift
		RPIDS="$*"
	fi
done
for p in $RPIDS; do kill -INT $p 2>/dev/null; wait $p 2>/dev/null; done
settle $OUT/top.json
settle $OUT/top.json
is "racing followers: the owner counted every fault ($LOADS loads x 2)" \
	"$(jq_ $OUT/top.json "sum(x['hits'] for x in d['devices'] if x['name'] == 'tdax1.0') - $H0")" "$((LOADS * 2))"
is "still 12 tdax programs: no second set, none lost" "$(nprogs)" 12
t "daxtop (the owner) still running" kill -0 $TOPPID

# ---- the last one leaves: unpinned ------------------------------------------------
kill -INT $TOPPID; wait $TOPPID
is "the last consumer unpinned the set" "$(ls $PIN 2>/dev/null | wc -l)" 0
is "no tdax program left" "$(nprogs)" 0

# ---- SIGKILL: pinned until the next one leaves -------------------------------------
$DAXTOP -b 1 >$OUT/k.txt 2>&1 &
KPID=$!
t "daxtop attached again" wait_attached $KPID
kill -KILL $KPID; wait $KPID 2>/dev/null
is "killed: the set stays pinned (links attached)" "$(nprogs)" 12
t "... and rmmod tdax is refused meanwhile" sh -c '! rmmod tdax 2>/dev/null'
t "the next daxtop joins it and leaves: one report" sh -c "$DAXTOP -b 1 1 >$OUT/k2.txt 2>&1"
is "unpinned after it" "$(ls $PIN 2>/dev/null | wc -l) $(nprogs)" "0 0"
rmmod tdax_hmem tdax_device 2>/dev/null
t "rmmod tdax succeeds" rmmod tdax

done_testing
