#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tdax_kmem: a device of a CPU-less NUMA node with HMAT (tests/vm/run --numa:
# node 1 is soft reserved and served as a tdax device, tdax0.0 on 6.1) switched from devdax to
# system-ram and back.  MemTotal and node 1 grow and shrink by exactly the
# device's size; blocks online in ZONE_MOVABLE (per device from userspace,
# or by the auto-online policy); node 1 lands in the memory tier that
# tdax_kmem_add reports; memory of node 1 really used and migrated away
# with its data intact at unbind; an offline refused while pages are pinned
# (vmsplice) leaves the memory online and the device system-ram-kept, and
# a later bind adopts and removes it; memmap_on_memory per device; old
# /dev files SIGBUS/ENXIO after the switch; rmmod refused while memory is
# added.  Races under slab debugging: kmem-race.t.
# vm: --numa --load --timeout 900
set -u
. tests/guest/lib/tdax.sh
KMEM_SIZE=$((512 << 20))	# 4 memory blocks of 128M
. tests/guest/lib/kmem.sh
echo "# guest uptime at the start: $(cut -d" " -f1 /proc/uptime)s"

# the per-device choice first: the kernel adds the blocks offline (Debian's
# 6.1 default; 6.12's is "online", into ZONE_NORMAL)
POLICY=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
BASE=$(memtotal)
echo "# $D: $START size $SIZE, memory blocks $FIRST-$((FIRST + NBLK - 1)) of $BSZ bytes; MemTotal $BASE kB"

# --- the CPU-less HMAT node and the device ---------------------------------------
is "$D serves node 1: target_node" "$(cat $DEV/target_node)" 1
is "$D numa_node is the nearest online node (node 1 has no memory yet)" "$(cat $DEV/numa_node)" 0
is "node 1 has no CPU" "$(cat /sys/devices/system/node/has_cpu)" 0
t "node 1 has no memory before the switch" sh -c "! grep -q 1 /sys/devices/system/node/has_memory"
t "the guest kernel read HMAT for node 1 (40 ns)" sh -c "dmesg | grep -q 'Initiator-Target\[0-1\]:40 nsec'"
is "$D starts as devdax" "$(mode)/$(driver)" devdax/tdax_device
is "$D memmap_on_memory defaults to 0" "$(cat $DEV/memmap_on_memory)" 0
is "memory_hotplug.memmap_on_memory is on in the --numa guest" \
	"$(cat /sys/module/memory_hotplug/parameters/memmap_on_memory)" Y

# --- tdax_kmem is not bound by default ------------------------------------------
t "insmod tdax_kmem" insmod $MODDIR/tdax_kmem.ko
is "tdax_kmem binds nothing by itself" "$(ls $KDRV | grep -c '^tdax')" 0
is "$D stays devdax" "$(mode)" devdax

# --- devdax -> system-ram, old files --------------------------------------------
rm -f $READY ${READY}2
$KT oldfd /dev/$D $READY > /tmp/kmem-oldfd.out 2>&1 &
OLD=$!
t "a process maps /dev/$D while devdax" wait_file $READY
$KT oldfd /dev/$D ${READY}2 > /tmp/kmem-oldfd2.out 2>&1 &
OLD2=$!
t "another one, kept until the device is devdax again" wait_file ${READY}2
trace_on
is "unbind tdax_device" "$(sysfs_write $DRV/unbind $D)" ok
is "new_id $D on tdax_kmem binds it" "$(sysfs_write $KDRV/new_id $D)" ok
is "$D is system-ram, bound to tdax_kmem" "$(mode)/$(driver)" system-ram/tdax_kmem
rm -f $READY; wait $OLD
is "the old mapping SIGBUSes and the old file's mmap is ENXIO" "$(cat /tmp/kmem-oldfd.out)" "touch=sigbus mmap=ENXIO"
is "a new open of /dev/$D is refused" "$($DT mmap /dev/$D 2M 0 shared 2>&1 | grep -o 'No such device or address' | head -1)" "No such device or address"
t "dax operations from inside the kernel fail in system-ram mode (tdax_selftest dead=1)" \
	sh -c "insmod $MODDIR/tdax_selftest.ko dev=$D dead=1; rc=\$?; rmmod tdax_selftest 2>/dev/null; exit \$rc"
t "/proc/iomem: System RAM (tdax_kmem) nested in the $D claim" \
	sh -c "grep -A1 ' : $D\$' /proc/iomem | grep -q 'System RAM (tdax_kmem)'"
is "all $NBLK memory blocks added" "$(nblocks_present)" $NBLK
is "auto_online_blocks offline: the blocks stay offline" "$(blocks)" "online=0 movable=0"
is "MemTotal unchanged while offline" "$(memtotal)" $BASE
trace_lines > $KTRACE
is "tdax_kmem_add: range" "$(field tdax_kmem_add start) $(field tdax_kmem_add size)" "$(printf '0x%x 0x%x' $START $SIZE)"
is "tdax_kmem_add: node, blocks, zone, result, reason" \
	"$(field tdax_kmem_add node) $(field tdax_kmem_add blocks) $(field tdax_kmem_add online) $(field tdax_kmem_add zone) $(field tdax_kmem_add result) $(field tdax_kmem_add reason)" \
	"1 $NBLK 0 offline 0 ok"
TIER=$(field tdax_kmem_add tier)
is "rmmod tdax_kmem is refused while memory is added" "$(rmmod tdax_kmem 2>&1 | grep -c 'in use')" 1
is "tdax_device does not match a device listed on tdax_kmem" "$(sysfs_write $DRV/bind $D)" ENODEV

# --- online movable (the per-device choice) ---------------------------------------
t "online the blocks movable" online_movable
tr_off
is "all blocks online in ZONE_MOVABLE" "$(blocks)" "online=$NBLK movable=$NBLK"
is "MemTotal grew by the device size" "$(( $(memtotal) - BASE ))" $KB
is "node 1 MemTotal is the device size" "$(node_kb 1)" $KB
t "node 1 has memory now" grep -q 1 /sys/devices/system/node/has_memory
is "tdax_kmem_block: $NBLK online events in zone movable on node 1" \
	"$(grep -c "tdax_kmem_block: device=$D .*node=1 op=online zone=movable" $KTRACE)" $NBLK
is "node 1 is in the memory tier tdax_kmem_add reported" "$(tier_of 1)" "$TIER"
t "node 1's tier is below node 0's ($(tier_of 0))" test "$(tier_of 1)" -gt "$(tier_of 0)"
if [ "$(uname -r | cut -d. -f1-2)" = 6.1 ]; then
	is "6.1 (no HMAT tiers): the default dax tier, adistance 2880" "$TIER/$(field tdax_kmem_add adistance)" 22/2880
fi
is "HMAT read latency of node 1 from node 0" "$(cat /sys/devices/system/node/node1/access0/initiators/read_latency 2>/dev/null)" 40

# --- node memory really used, then offlined with its data -------------------------
rm -f $READY
$KT hold 1 64M $READY > /tmp/kmem-hold.out 2>&1 &
HOLD=$!
t "64M allocated on node 1 (mbind)" wait_file $READY
is "all 16384 pages on node 1" "$(cat $READY 2>/dev/null)" pages=16384
USED=$(awk '/MemUsed:/ {print $4}' /sys/devices/system/node/node1/meminfo)
t "node 1 MemUsed shows them ($USED kB >= 65536)" test "$USED" -ge 65536
trace_on
is "unbind tdax_kmem while the pages are in use" "$(sysfs_write $KDRV/unbind $D)" ok
tr_off
rm -f $READY; wait $HOLD; HRC=$?
is "the process' data survived, migrated off node 1" "$HRC $(cat /tmp/kmem-hold.out)" "0 intact=1 on_node=0 elsewhere=16384"
is "$D is unbound" "$(mode)/$(driver)" unbound/none
is "MemTotal is back" "$(memtotal)" $BASE
is "node 1 MemTotal is 0" "$(node_kb 1)" 0
is "the memory blocks are gone" "$(nblocks_present)" 0
t "no System RAM (tdax_kmem) left in /proc/iomem" sh -c "! grep -q 'tdax_kmem' /proc/iomem"
is "tdax_kmem_remove: node, blocks, online after, zone, result, reason" \
	"$(field tdax_kmem_remove node) $(field tdax_kmem_remove blocks) $(field tdax_kmem_remove online) $(field tdax_kmem_remove zone) $(field tdax_kmem_remove result) $(field tdax_kmem_remove reason)" \
	"1 $NBLK 0 offline 0 ok"
is "tdax_kmem_block: $NBLK offline events" "$(grep -c "tdax_kmem_block: device=$D .*op=offline zone=movable" $KTRACE)" $NBLK
is "node 1 left its memory tier" "$(tier_of 1)" none

# --- the auto-online policy -----------------------------------------------------
echo online_movable > $MEM/auto_online_blocks
trace_on tdax_kmem_add
is "bind with auto_online_blocks=online_movable" "$(sysfs_write $KDRV/bind $D)" ok
tr_off
echo offline > $MEM/auto_online_blocks
is "the kernel onlined every block movable" "$(blocks)" "online=$NBLK movable=$NBLK"
is "tdax_kmem_add says so" "$(field tdax_kmem_add online) $(field tdax_kmem_add zone)" "$NBLK movable"
is "MemTotal grew by the device size" "$(( $(memtotal) - BASE ))" $KB

# --- pinned pages: offline refused, memory kept, adopted later -----------------------
rm -f $READY
$KT pin 1 16M $READY > /tmp/kmem-pin.out 2>&1 &
PIN=$!
t "16M on node 1, the first 64K pinned by a pipe (vmsplice)" wait_file $READY
echo 2 > /sys/module/tdax_kmem/parameters/offline_timeout
dmesg -C
trace_on tdax_kmem_remove tdax_unbind
is "unbind tdax_kmem while pages are pinned" "$(sysfs_write $KDRV/unbind $D)" ok
tr_off
is "the device says its memory was kept" "$(mode)/$(driver)" system-ram-kept/none
t "the kernel log says why and what stays" sh -c "dmesg | grep -q '$D: tdax_kmem: .*could not be offlined (timeout, -4): $NBLK of $NBLK memory blocks stay online on node 1'"
is "tdax_kmem_remove: result, reason, blocks still online, zone" \
	"$(field tdax_kmem_remove result) $(field tdax_kmem_remove reason) $(field tdax_kmem_remove online) $(field tdax_kmem_remove zone)" \
	"-4 timeout $NBLK movable"
is "the blocks are back online, movable" "$(blocks)" "online=$NBLK movable=$NBLK"
is "MemTotal still counts the memory" "$(( $(memtotal) - BASE ))" $KB
t "the claim and System RAM (tdax_kmem) stay in /proc/iomem" sh -c "grep -A1 ' : $D\$' /proc/iomem | grep -q 'System RAM (tdax_kmem)'"
is "rmmod tdax_kmem is refused while memory is kept" "$(rmmod tdax_kmem 2>&1 | grep -c 'in use')" 1
is "a size change is refused while kept" "$(sysfs_write $DEV/size 0)" EBUSY
is "remove_id $D from tdax_kmem" "$(sysfs_write $KDRV/remove_id $D)" ok
is "tdax_device cannot bind while the memory is kept" "$(sysfs_write $DRV/bind $D)" EBUSY
is "still system-ram-kept" "$(mode)" system-ram-kept
rm -f $READY; wait $PIN; PRC=$?
# the offline migrated what it could before giving up: the 16 pinned pages
# certainly stayed on node 1, how many others moved depends on the time
read -r P_INTACT P_ON P_OFF <<< "$(sed 's/[a-z_]*=//g' /tmp/kmem-pin.out)"
is "the pinned process' data intact" "$PRC ${P_INTACT:-}" "0 1"
t "the 16 pinned pages are still on node 1 (on node 1: ${P_ON:-?}, moved: ${P_OFF:-?})" \
	test "${P_ON:-0}" -ge 16 -a $(( ${P_ON:-0} + ${P_OFF:-0} )) -eq 4096
echo 120 > /sys/module/tdax_kmem/parameters/offline_timeout
trace_on tdax_kmem_add
is "new_id $D on tdax_kmem again" "$(sysfs_write $KDRV/new_id $D)" ok
tr_off
is "tdax_kmem_add: the kept memory is adopted" "$(field tdax_kmem_add reason) $(field tdax_kmem_add online)" "adopted $NBLK"
is "system-ram again" "$(mode)/$(driver)" system-ram/tdax_kmem
is "unbind now succeeds" "$(sysfs_write $KDRV/unbind $D)" ok
is "unbound, memory gone" "$(mode) $(memtotal) $(nblocks_present)" "unbound $BASE 0"

# --- memmap_on_memory per device --------------------------------------------------
is "memmap_on_memory=1 while unbound" "$(sysfs_write $DEV/memmap_on_memory 1)" ok
trace_on tdax_kmem_add
is "bind" "$(sysfs_write $KDRV/bind $D)" ok
tr_off
is "memmap_on_memory is refused while bound" "$(sysfs_write $DEV/memmap_on_memory 0)" EBUSY
is "one System RAM (tdax_kmem) per block" "$(grep -c 'System RAM (tdax_kmem)' /proc/iomem)" $NBLK
t "online the blocks movable" online_movable
VMEMMAP_KB=$(( NBLK * BSZ / 4096 * 64 / 1024 ))
is "MemTotal grew by the device size less its memmap ($VMEMMAP_KB kB)" "$(( $(memtotal) - BASE ))" $((KB - VMEMMAP_KB))
is "tdax_kmem_add: memmap_on_memory=1" "$(field tdax_kmem_add memmap_on_memory) $(field tdax_kmem_add result)" "1 0"
is "unbind" "$(sysfs_write $KDRV/unbind $D)" ok
is "unbound, memory gone" "$(mode) $(memtotal) $(nblocks_present)" "unbound $BASE 0"
is "memmap_on_memory=0" "$(sysfs_write $DEV/memmap_on_memory 0)" ok

# --- back to devdax: old files stay dead ------------------------------------------
is "remove_id $D" "$(sysfs_write $KDRV/remove_id $D)" ok
is "bind tdax_device" "$(sysfs_write $DRV/bind $D)" ok
is "devdax, MemTotal and blocks as at the start" "$(mode) $(memtotal) $(nblocks_present)" "devdax $BASE 0"
t "faults work on /dev/$D again" dt fault /dev/$D 8M -e 4
rm -f ${READY}2; wait $OLD2
is "a file of the first devdax binding stays dead in a later one" "$(cat /tmp/kmem-oldfd2.out)" "touch=sigbus mmap=ENXIO"

echo "$POLICY" > $MEM/auto_online_blocks

# --- rmmod once nothing is added -------------------------------------------------
t "rmmod tdax_kmem once no memory is added" rmmod tdax_kmem
echo "# guest uptime at the end: $(cut -d" " -f1 /proc/uptime)s"
done_testing
