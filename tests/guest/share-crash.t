#!/bin/bash
# vm: --load --debug --timeout 500
# SPDX-License-Identifier: GPL-2.0-only
#
# share-crash.t - the owner of the shared program set killed between writing
# its archive and deleting the rows it archived (#9 item 5).  Its successor
# makes the deletions the archive lists when it takes over, so a row is
# counted once, not again as a late row:
#  - a process row folded into "exited" (daxcollect the owner, daxtop the
#    follower that takes over);
#  - a device instance retired (daxcollect the owner again, daxtop taking
#    over).
# TDAX_TEST_CRASH_COMMIT=N (tools/lib/share.c) kills the owner with SIGKILL
# right after it wrote its N-th archive.
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/tools.sh
DAXTOP=${DAXTOP:-build/bin/daxtop}
DC=${DAXCOLLECT:-build/bin/daxcollect}
LOAD=build/tests/bin/daxload
OUT=/tmp/share-crash
PIN=/sys/fs/bpf/tdax
PORT=9478
mkdir -p $OUT
ip link set lo up 2>/dev/null

died() { ! kill -0 "$1" 2>/dev/null; }

# ---- 1: a process row: daxcollect killed after folding it ---------------------------
t "tdax0.0 set to align 4K" set_dev tdax0.0 4096
TDAX_TEST_CRASH_COMMIT=1 $DC --listen localhost:$PORT --interval 1 --verbose >$OUT/dc.log 2>&1 &
DCPID=$!
t "daxcollect attached" wait_attached $DCPID
t "daxcollect made the set (owner)" grep -q "(owner)" $OUT/dc.log
$DAXTOP -J --cumulative --verbose 1 >$OUT/top.json 2>$OUT/top.err &
TOPPID=$!
t "daxtop attached" wait_attached $TOPPID
t "daxtop joined the set (follower)" grep -q "(follower)" $OUT/top.err
settle $OUT/top.json
$LOAD -s 1M /dev/tdax0.0 >$OUT/l1.out			# 256 faults at 4K
LPID=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' $OUT/l1.out)
t "daxload ran (pid $LPID)" test -n "$LPID"
t "daxcollect (the owner) killed right after its first archive" until_ok 60 died $DCPID
wait $DCPID
is "... by SIGKILL (exit status)" "$?" 137
t "daxtop took over as the owner" until_ok 20 grep -q "now the owner of the program set" $OUT/top.err
t "... and made the deletions its predecessor left undone" \
	grep -q "made [0-9]* deletions the last owner left undone" $OUT/top.err
settle $OUT/top.json
settle $OUT/top.json
is "daxload's 256 hits are in tdax0.0's exited row once, not twice" \
	"$(jq_ $OUT/top.json "[p['hits'] for p in d['processes'] if p['exited'] and p['device'] == 'tdax0.0']")" "[256]"
is "no row of daxload's pid is left" "$(jq_ $OUT/top.json "[p for p in d['processes'] if p['pid'] == $LPID]")" "[]"
INST0=$(jq_ $OUT/top.json "[x['instance'] for x in d['devices'] if x['name'] == 'tdax0.0'][0]")
is "tdax0.0's process rows left the pinned proc_stats" "$(wait_eq 10 0 rows_of $PIN proc_stats $INST0)" 0
is "tdax0.0 still has its 256 hits" \
	"$(jq_ $OUT/top.json "sum(x['hits'] for x in d['devices'] if x['name'] == 'tdax0.0')")" 256
kill -INT $TOPPID; wait $TOPPID
is "daxtop, the last consumer, unpinned the set" "$(ls $PIN 2>/dev/null | wc -l)" 0

# ---- 2: a device instance: the owner killed after retiring it -----------------------
# daxcollect A owns the set and daxtop follows (it wants process rows): A's
# first archive with deletions folds daxload's row, its second retires the
# device, and A is killed after writing that one.
R3=$BUS/devices/tdax3.0/../tdax_region
echo tdax3.0 > $DRV/unbind
echo $((512 << 20)) > $BUS/devices/tdax3.0/size
echo tdax3.0 > $DRV/bind
TDAX_TEST_CRASH_COMMIT=2 $DC --listen localhost:$PORT --interval 1 --verbose >$OUT/a.log 2>&1 &
APID=$!
t "daxcollect A attached" wait_attached $APID
t "daxcollect A made the set (owner)" grep -q "(owner)" $OUT/a.log
$DAXTOP -J --cumulative --verbose 1 >$OUT/top2.json 2>$OUT/top2.err &
TOPPID=$!
t "daxtop attached" wait_attached $TOPPID
t "daxtop joined the set (follower)" grep -q "(follower)" $OUT/top2.err
settle $OUT/top2.json
echo 1 > $R3/create
N=$(cat $R3/create)
echo $((256 << 20)) > $BUS/devices/$N/size
echo $N > $DRV/bind
until_ok 10 test -c /dev/$N
$LOAD -q -s 8M /dev/$N					# 4 faults at 2M
settle $OUT/top2.json
INST=$(jq_ $OUT/top2.json "[x['instance'] for x in d['devices'] if x['name'] == '$N' and x['present']][0]")
is "daxtop: the new device $N (instance $INST) has its 4 hits" \
	"$(jq_ $OUT/top2.json "[x['hits'] for x in d['devices'] if x['instance'] == $INST]")" "[4]"
is "A folded daxload's row: it left the pinned proc_stats" "$(wait_eq 20 0 rows_of $PIN proc_stats $INST)" 0
t "A is still running after that archive" kill -0 $APID
echo $N > $DRV/unbind; echo 0 > $BUS/devices/$N/size; echo $N > $R3/delete
t "daxcollect A (the owner) killed right after archiving $N" until_ok 60 died $APID
wait $APID
is "... by SIGKILL (exit status)" "$?" 137
t "daxtop took over as the owner" until_ok 20 grep -q "now the owner of the program set" $OUT/top2.err
t "... and made the deletions A left undone" \
	grep -q "made [0-9]* deletions the last owner left undone" $OUT/top2.err
is "$N's rows left the pinned fault_counts" "$(wait_eq 10 0 rows_of $PIN fault_counts $INST)" 0
settle $OUT/top2.json
settle $OUT/top2.json
is "daxtop: the retired instance keeps its final 4 hits, not 8" \
	"$(jq_ $OUT/top2.json "[(x['hits'], x['present'], x['retired']) for x in d['devices'] if x['instance'] == $INST]")" \
	"[(4, False, True)]"
is "... and its exited row the same 4" \
	"$(jq_ $OUT/top2.json "[p['hits'] for p in d['processes'] if p['exited'] and p['instance'] == $INST]")" "[4]"
kill -INT $TOPPID; wait $TOPPID
is "daxtop, the last consumer, unpinned the set" "$(ls $PIN 2>/dev/null | wc -l)" 0
rmmod tdax_hmem tdax_device 2>/dev/null
t "rmmod tdax succeeds" rmmod tdax

done_testing
