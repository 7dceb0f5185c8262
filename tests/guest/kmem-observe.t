#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kmem-observe.t - tdax_kmem seen by the tools with ground truth: the
# device of the CPU-less node 1 switched devdax -> system-ram (blocks added
# offline, then onlined movable by hand), an unbind refused by pinned pages
# (kept, counted by reason, adopted by the next bind) -> devdax shows the right mode,
# memory blocks online/total, online bytes, node, zone and tier in
# `daxtop -J`, in daxtop's memory view and in daxcollect's tdax_kmem_*
# series, each compared with sysfs (/sys/devices/system/memory, the memory
# tiers) at the same step.
# vm: --numa --load --timeout 700
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/tools.sh
KMEM_SIZE=$((512 << 20))	# 4 memory blocks of 128M
. tests/guest/lib/kmem.sh
DAXTOP=build/bin/daxtop
DC=build/bin/daxcollect
PORT=9479
W=/tmp/kmem-observe
mkdir -p $W
ip link set lo up 2>/dev/null

jlast() { last_doc $W/daxtop.json; }
# a field of the present row of $D in daxtop's last document
jf() { jlast | jq -r --arg d "$D" "[.devices[] | select(.name == \$d and .present)][0] | $1"; }
jfc() { jlast | jq -c --arg d "$D" "[.devices[] | select(.name == \$d and .present)][0] | $1"; }
# the numbers of the row of $D in daxtop's memory view (last report)
memrow() { grep -E "^$D +" $W/mem.out | tail -n 1 | awk '{print $2, $3, $4, $5, $7}'; }

POLICY=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
is "$D starts as devdax" "$(mode)/$(driver)" devdax/tdax_device

$DAXTOP -J --cumulative 0.5 >$W/daxtop.json 2>$W/daxtop.err &
DTPID=$!
$DAXTOP -b --view memory --cumulative 0.5 >$W/mem.out 2>&1 &
MVPID=$!
$DC --listen 127.0.0.1:$PORT --interval 1 >$W/daxcollect.log 2>&1 &
DCPID=$!
t "daxtop -J printed its first document" until_ok 60 test -s $W/daxtop.json
t "daxtop --view memory printed its first report" until_ok 60 grep -q '^DEVICE  *MODE  *BLOCKS' $W/mem.out
t "daxcollect serves /metrics and is attached" \
	until_ok 60 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"
is "daxtop: $D devdax, no tdax_kmem state yet" "$(jf .mode) $(jf .kmem)" "devdax null"
t "insmod tdax_kmem" insmod $MODDIR/tdax_kmem.ko

# --- devdax -> system-ram, blocks added offline -------------------------------------
is "unbind tdax_device" "$(sysfs_write $DRV/unbind $D)" ok
is "new_id $D on tdax_kmem binds it" "$(sysfs_write $KDRV/new_id $D)" ok
is "sysfs: $D system-ram, $NBLK blocks present, none online" "$(mode) $(nblocks_present) $(blocks)" \
	"system-ram $NBLK online=0 movable=0"
t "daxtop -J sees the hot-add" until_ok 30 sh -c "[ \"\$(tail -n 1 $W/daxtop.json | jq -r --arg d $D '[.devices[] | select(.name == \$d and .present)][0].kmem.adds')\" = 1 ]"
is "daxtop: mode, blocks total/online, zone, node (offline)" \
	"$(jf .mode) $(jf .kmem.blocks) $(jf .kmem.blocks_online) $(jf .kmem.zone) $(jf .kmem.node)" \
	"system-ram $NBLK 0 offline 1"
is "daxtop: bytes added, none online" "$(jf .kmem.bytes) $(jf .kmem.online_bytes)" "$SIZE 0"
is "daxtop: the add was ok" "$(jf .kmem.last_result) $(jf .kmem.last_reason) $(jf .kmem.add_errors)" "0 ok 0"

# --- online movable (the per-device choice) ------------------------------------------
t "online the blocks movable" online_movable
is "sysfs: all blocks online in ZONE_MOVABLE" "$(blocks)" "online=$NBLK movable=$NBLK"
TIER=$(tier_of 1)
t "node 1 is in a memory tier ($TIER)" test "$TIER" != none
t "daxtop -J counts the $NBLK blocks online" \
	until_ok 30 sh -c "[ \"\$(tail -n 1 $W/daxtop.json | jq -r --arg d $D '[.devices[] | select(.name == \$d and .present)][0].kmem.blocks_online')\" = $NBLK ]"
is "daxtop: blocks online/total, zone, node, tier" \
	"$(jf .kmem.blocks_online)/$(jf .kmem.blocks) $(jf .kmem.zone) $(jf .kmem.node) $(jf .kmem.tier)" \
	"$NBLK/$NBLK movable 1 $TIER"
is "daxtop: online bytes = device size, all movable" \
	"$(jf .kmem.online_bytes) $(jf .kmem.online_by_zone.movable) $(jf .kmem.online_by_zone.normal)" "$SIZE $NBLK 0"
is "daxtop: $NBLK block online events" "$(jf .kmem.block_ops.online)" $NBLK
t "daxtop's memory view shows $D system-ram $NBLK/$NBLK movable" \
	until_ok 30 sh -c "grep -Eq '^$D +system-ram +$NBLK/$NBLK +[0-9]+M +1 +$TIER +movable ' $W/mem.out"

on_in_scrape() {
	scrape >$W/on.prom
	[ "$(val $W/on.prom "tdax_kmem_blocks{device=\"$D\",state=\"online\"}")" = $NBLK ]
}
t "daxcollect's scrape counts the blocks online" until_ok 30 on_in_scrape
S=$W/on.prom
is "tdax_kmem_online_bytes node 1 movable" "$(val $S "tdax_kmem_online_bytes{device=\"$D\",node=\"1\",zone=\"movable\"}")" $SIZE
is "tdax_kmem_online_bytes node 1 normal" "$(val $S "tdax_kmem_online_bytes{device=\"$D\",node=\"1\",zone=\"normal\"}")" 0
is "tdax_kmem_blocks offline" "$(val $S "tdax_kmem_blocks{device=\"$D\",state=\"offline\"}")" 0
is "tdax_kmem_bytes node 1" "$(val $S "tdax_kmem_bytes{device=\"$D\",node=\"1\"}")" $SIZE
is "tdax_kmem_info: mode, node, tier, zone" \
	"$(val $S "tdax_kmem_info{device=\"$D\",mode=\"system-ram\",node=\"1\",tier=\"$TIER\",zone=\"movable\"}")" 1
is "tdax_kmem_operations_total add ok" "$(val $S "tdax_kmem_operations_total{device=\"$D\",op=\"add\",result=\"ok\"}")" 1
is "tdax_kmem_block_events_total online" "$(val $S "tdax_kmem_block_events_total{device=\"$D\",op=\"online\"}")" $NBLK

# --- an offline refused (pinned pages): kept, counted by reason, adopted --------------
rm -f $READY
$KT pin 1 16M $READY > $W/pin.out 2>&1 &
PIN=$!
t "16M on node 1, the first 64K pinned by a pipe (vmsplice)" wait_file $READY
echo 2 > /sys/module/tdax_kmem/parameters/offline_timeout
is "unbind tdax_kmem while pages are pinned" "$(sysfs_write $KDRV/unbind $D)" ok
is "sysfs: system-ram-kept, all blocks still online" "$(mode) $(blocks)" "system-ram-kept online=$NBLK movable=$NBLK"
t "daxtop -J counts the failed offline" until_ok 30 sh -c "[ \"\$(tail -n 1 $W/daxtop.json | jq -r --arg d $D '[.devices[] | select(.name == \$d and .present)][0].kmem.remove_errors')\" = 1 ]"
is "daxtop: mode, last reason, failed offlines by reason" \
	"$(jf .mode) $(jf .kmem.mode) $(jf .kmem.last_reason) $(jfc .kmem.offline_failures)" \
	'system-ram-kept system-ram-kept timeout {"timeout":1}'
is "daxtop: the blocks stay online" "$(jf .kmem.blocks_online)/$(jf .kmem.blocks) $(jf .kmem.zone)" "$NBLK/$NBLK movable"
t "daxtop: the kernel's cancelled offline is a block event (offline_failed >= 1)" \
	test "$(jf .kmem.block_ops.offline_failed)" -ge 1
kept_in_scrape() {
	scrape >$W/kept.prom
	[ "$(val $W/kept.prom "tdax_kmem_offline_failures_total{device=\"$D\",reason=\"timeout\"}")" = 1 ]
}
t "daxcollect: tdax_kmem_offline_failures_total{reason=timeout} 1" until_ok 30 kept_in_scrape
is "daxcollect: the failed remove, mode system-ram-kept, blocks online" \
	"$(val $W/kept.prom "tdax_kmem_operations_total{device=\"$D\",op=\"remove\",result=\"error\"}") $(grep -c "^tdax_kmem_info{device=\"$D\",device_instance=\"[0-9]*\",mode=\"system-ram-kept\"" $W/kept.prom) $(val $W/kept.prom "tdax_kmem_blocks{device=\"$D\",state=\"online\"}")" \
	"1 1 $NBLK"
rm -f $READY; wait $PIN
echo 120 > /sys/module/tdax_kmem/parameters/offline_timeout
is "remove_id, new_id $D on tdax_kmem again: adopts the kept memory" \
	"$(sysfs_write $KDRV/remove_id $D) $(sysfs_write $KDRV/new_id $D) $(mode)" "ok ok system-ram"
t "daxtop -J: system-ram again, reason adopted" until_ok 30 sh -c "[ \"\$(tail -n 1 $W/daxtop.json | jq -r --arg d $D '[.devices[] | select(.name == \$d and .present)][0].kmem.last_reason')\" = adopted ]"

# --- back to devdax ---------------------------------------------------------------
is "unbind tdax_kmem" "$(sysfs_write $KDRV/unbind $D)" ok
is "remove_id $D" "$(sysfs_write $KDRV/remove_id $D)" ok
is "bind tdax_device" "$(sysfs_write $DRV/bind $D)" ok
is "sysfs: devdax, no memory block left" "$(mode) $(nblocks_present)" "devdax 0"
t "daxtop -J sees the hot-remove" until_ok 30 sh -c "[ \"\$(tail -n 1 $W/daxtop.json | jq -r --arg d $D '[.devices[] | select(.name == \$d and .present)][0].kmem.removes')\" = 2 ]"
t "daxtop -J: mode devdax again" until_ok 30 sh -c "[ \"\$(tail -n 1 $W/daxtop.json | jq -r --arg d $D '[.devices[] | select(.name == \$d and .present)][0].mode')\" = devdax ]"
is "daxtop: no blocks, none online, zone offline" \
	"$(jf .kmem.blocks) $(jf .kmem.blocks_online) $(jf .kmem.online_bytes) $(jf .kmem.zone)" "0 0 0 offline"
is "daxtop: the last remove was ok; the one failed offline stays counted" \
	"$(jf .kmem.last_result) $(jf .kmem.removes) $(jf .kmem.remove_errors) $(jfc .kmem.offline_failures)" \
	'0 2 1 {"timeout":1}'
is "daxtop: every block that went offline came back or was removed (offline = online events)" \
	"$(jf .kmem.block_ops.offline)" "$(jf .kmem.block_ops.online)"
t "daxtop: at least $NBLK block offline events" test "$(jf .kmem.block_ops.offline)" -ge $NBLK
t "daxtop's memory view shows $D devdax 0/0" \
	until_ok 30 sh -c "grep -Eq '^$D +devdax +0/0 ' $W/mem.out"
off_in_scrape() {
	scrape >$W/off.prom
	[ "$(val $W/off.prom "tdax_kmem_operations_total{device=\"$D\",op=\"remove\",result=\"ok\"}")" = 1 ]
}
t "daxcollect's scrape counts the hot-remove" until_ok 30 off_in_scrape
S=$W/off.prom
is "tdax_kmem_online_bytes node 1 movable is 0" "$(val $S "tdax_kmem_online_bytes{device=\"$D\",node=\"1\",zone=\"movable\"}")" 0
is "tdax_kmem_blocks online, offline" \
	"$(val $S "tdax_kmem_blocks{device=\"$D\",state=\"online\"}") $(val $S "tdax_kmem_blocks{device=\"$D\",state=\"offline\"}")" "0 0"
is "tdax_kmem_info says devdax" "$(grep -c "^tdax_kmem_info{device=\"$D\",device_instance=\"[0-9]*\",mode=\"devdax\"" $S)" 1
is "the failed offline stays counted" "$(val $S "tdax_kmem_offline_failures_total{device=\"$D\",reason=\"timeout\"}")" 1
is "tdax_kmem_operations_total add ok, remove ok, remove error" \
	"$(val $S "tdax_kmem_operations_total{device=\"$D\",op=\"add\",result=\"ok\"}") $(val $S "tdax_kmem_operations_total{device=\"$D\",op=\"remove\",result=\"ok\"}") $(val $S "tdax_kmem_operations_total{device=\"$D\",op=\"remove\",result=\"error\"}")" "2 1 1"
is "tdax_collector_events_total kmem_add, kmem_remove" \
	"$(val $S 'tdax_collector_events_total{event="kmem_add"}') $(val $S 'tdax_collector_events_total{event="kmem_remove"}')" "2 2"
t "promtool check metrics accepts the scrape" sh -c "promtool check metrics <$S"
for m in tdax_kmem_online_bytes tdax_kmem_blocks tdax_kmem_info tdax_kmem_offline_failures_total \
	 tdax_kmem_operations_total; do
	t "the scrape has the family $m (dashboard system-ram row)" grep -q "^# TYPE $m " $S
done

kill -INT $DTPID $MVPID
wait $DTPID
is "daxtop -J exits 0 on SIGINT" $? 0
wait $MVPID
is "daxtop --view memory exits 0 on SIGINT" $? 0
is "daxtop wrote nothing on stderr" "$(cat $W/daxtop.err)" ""
kill -TERM $DCPID
wait $DCPID
is "daxcollect exits 0 on SIGTERM" $? 0
t "rmmod tdax_kmem" rmmod tdax_kmem
echo $POLICY > $MEM/auto_online_blocks
done_testing
