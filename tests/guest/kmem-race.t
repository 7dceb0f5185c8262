#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tdax_kmem races, under slab debugging and page poisoning (a use-after-free
# or a stale page becomes a kernel report that fails the run): the node-1
# device switched devdax -> system-ram -> devdax three times (one round with
# its memory online movable) while one process reads its sysfs attributes,
# /proc/iomem and node 1's meminfo in a loop and another opens, maps and
# faults /dev/tdaxR.N in a loop.  At the end the device is devdax with
# MemTotal as at the start, and faults work.
# vm: --numa --debug --load --timeout 900
set -u
. tests/guest/lib/tdax.sh
KMEM_SIZE=$((256 << 20))	# 2 memory blocks of 128M
. tests/guest/lib/kmem.sh
echo "# guest uptime at the start: $(cut -d" " -f1 /proc/uptime)s"
# blocks come online only where the test says (6.12's default policy is
# "online", into ZONE_NORMAL, which might not offline again)
POLICY=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
BASE=$(memtotal)
t "insmod tdax_kmem" insmod $MODDIR/tdax_kmem.ko

# --- races: bind/unbind while others read sysfs and open/mmap ------------------------
# switching as daxctl does: devdax -> system-ram: unbind tdax_device, new_id
# on tdax_kmem (binds); back: unbind tdax_kmem, remove_id, bind tdax_device
STOP=/tmp/kmem-stop
rm -f $STOP
( while [ ! -e $STOP ]; do
	for a in mode size resource target_node numa_node memmap_on_memory mappings align; do cat $DEV/$a > /dev/null 2>&1; done
	cat /proc/iomem /sys/devices/system/node/node1/meminfo > /dev/null 2>&1
done ) &
R1=$!
( while [ ! -e $STOP ]; do $DT mmap /dev/$D 2M 0 shared > /dev/null 2>&1; $DT fault /dev/$D 2M > /dev/null 2>&1; done ) &
R2=$!
bad=0
step() { # DESC WANT GOT
	[ "$3" = "$2" ] || { bad=$((bad + 1)); echo "# round $i: $1: got '$3', want '$2'"; }
}
for i in 1 2 3; do
	step "unbind tdax_device" ok "$(sysfs_write $DRV/unbind $D)"
	step "new_id on tdax_kmem" ok "$(sysfs_write $KDRV/new_id $D)"
	[ $i = 2 ] && { online_movable; step "online movable" "online=$NBLK movable=$NBLK" "$(blocks)"; }
	step "mode" system-ram "$(mode)"
	step "unbind tdax_kmem" ok "$(sysfs_write $KDRV/unbind $D)"
	step "remove_id" ok "$(sysfs_write $KDRV/remove_id $D)"
	step "bind tdax_device" ok "$(sysfs_write $DRV/bind $D)"
	step "mode" devdax "$(mode)"
done
touch $STOP; wait $R1 $R2
is "3 devdax/system-ram round trips under concurrent readers and openers" $bad 0
is "devdax, MemTotal and blocks as at the start" "$(mode) $(memtotal) $(nblocks_present)" "devdax $BASE 0"
t "faults work on /dev/$D again" dt fault /dev/$D 8M -e 4
echo "$POLICY" > $MEM/auto_online_blocks
t "rmmod tdax_kmem" rmmod tdax_kmem
echo "# guest uptime at the end: $(cut -d" " -f1 /proc/uptime)s"
done_testing
