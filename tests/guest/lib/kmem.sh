# SPDX-License-Identifier: GPL-2.0-only
# tests/guest/lib/kmem.sh - helpers for the tdax_kmem guest tests (sourced
# after tdax.sh, in a tests/vm/run --numa guest): D is the device of the
# CPU-less node 1 (shrunk to $KMEM_SIZE when set), DEV its sysfs directory,
# FIRST/NBLK its memory blocks.
KT=build/tests/guest/kmemtest
KDRV=$BUS/drivers/tdax_kmem
# the device of node 1 (6.1: hmem.0 -> tdax0.0; 6.12: tdax_soft.3 -> tdax3.0)
D=$(for d in $BUS/devices/tdax*; do [ "$(cat $d/target_node)" = 1 ] && basename $d; done | head -n 1)
[ -n "$D" ] || { echo "Bail out! no device of node 1 (run with tests/vm/run --numa)"; exit 1; }
DEV=$BUS/devices/$D
# KMEM_SIZE (set by the test): shrink the device first, so that every
# online, offline and migration of the test costs less guest time
if [ -n "${KMEM_SIZE:-}" ]; then
	echo $D > $DEV/driver/unbind && echo $KMEM_SIZE > $DEV/size && echo $D > $DRV/bind ||
		{ echo "Bail out! cannot resize $D to $KMEM_SIZE"; exit 1; }
fi
MEM=/sys/devices/system/memory
TIERS=/sys/devices/virtual/memory_tiering
MODDIR=$(sh tests/vm/load --dir)
READY=/tmp/kmem-ready
BSZ=$((0x$(cat $MEM/block_size_bytes)))
START=$(cat $DEV/resource)
SIZE=$(cat $DEV/size)
KB=$((SIZE / 1024))
FIRST=$((START / BSZ))
NBLK=$((SIZE / BSZ))

memtotal() { awk '/^MemTotal:/ {print $2}' /proc/meminfo; }
node_kb() { awk '/MemTotal:/ {print $4}' /sys/devices/system/node/node$1/meminfo 2>/dev/null || echo 0; }
# "online=N movable=M" over the device's memory blocks
blocks() {
	local b on=0 mov=0
	for b in $(seq $FIRST $((FIRST + NBLK - 1))); do
		[ -e $MEM/memory$b ] || continue
		[ "$(cat $MEM/memory$b/state)" = online ] || continue
		on=$((on + 1))
		[ "$(cat $MEM/memory$b/valid_zones)" = Movable ] && mov=$((mov + 1))
	done
	echo "online=$on movable=$mov"
}
nblocks_present() {
	local b n=0
	for b in $(seq $FIRST $((FIRST + NBLK - 1))); do [ -e $MEM/memory$b ] && n=$((n + 1)); done
	echo $n
}
online_movable() { # the per-device choice, as daxctl makes it
	local b
	for b in $(seq $FIRST $((FIRST + NBLK - 1))); do
		[ "$(cat $MEM/memory$b/state)" = online ] || echo online_movable > $MEM/memory$b/state || return 1
	done
}
tier_of() { # NODE: N of the memory_tierN listing the node, or none
	local d
	for d in $TIERS/memory_tier*; do
		grep -qx "$1" $d/nodelist 2>/dev/null && { echo "${d##*memory_tier}"; return; }
	done
	echo none
}
wait_file() { local i; for i in $(seq 600); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
KTRACE=/tmp/kmem-trace
tr_off() { trace_off; trace_lines > $KTRACE; }
field() { # EVENT KEY: KEY=value of the last EVENT line of the last trace
	grep " $1: " $KTRACE | tail -n 1 | grep -o " $2=[^ ]*" | cut -d= -f2
}
mode() { cat $DEV/mode; }
driver() { local l; l=$(readlink $DEV/driver) && basename "$l" || echo none; }
