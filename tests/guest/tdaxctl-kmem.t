#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tdaxctl with the real tdax_kmem (guest --numa: the device of the CPU-less
# node 1, shrunk to 512M = 4 memory blocks): reconfigure-device -m
# system-ram and back, -N, --no-movable, -f, online-memory and
# offline-memory, each with the exact JSON printed (blocks online/total,
# movable, node) and MemTotal / node 1 growing and shrinking by the
# device's size.  Failure paths leave everything exactly as it was (mode,
# driver, size, every block's state and zone, MemTotal): memory online
# without -f; the kernel's auto-online policy; offlining while pages are
# pinned (vmsplice) with -f and with offline-memory; a size tdax_kmem
# refuses (no whole memory block: the size comes back too); a device whose
# memory a failed tdax_kmem unbind kept online (system-ram-kept), which
# only -m system-ram takes back; a bad mode.
# vm: --numa --load --timeout 1200
set -u
. tests/guest/lib/tdax.sh
KMEM_SIZE=$((512 << 20))	# 4 memory blocks of 128M
. tests/guest/lib/kmem.sh
T=build/bin/tdaxctl
W=/tmp/tdaxctl-kmem
rm -rf $W
mkdir -p $W
echo "# guest uptime at the start: $(cut -d" " -f1 /proc/uptime)s"

POLICY=$(cat $MEM/auto_online_blocks)
echo offline > $MEM/auto_online_blocks
BASE=$(memtotal)
ALIGN=$(cat $DEV/align)
TN=$(cat $DEV/target_node)
NN=$(cat $DEV/numa_node)
echo "# $D: $(printf '%#x' $START) size $SIZE align $ALIGN, blocks $FIRST-$((FIRST + NBLK - 1)); MemTotal $BASE kB"

J() { "$T" "$@" 2>$W/err | jq -c .; }	# compact JSON of a tdaxctl command
# the object tdaxctl prints for $D: MODE [ONLINE [MOVABLE]] [STATE]
kjson() {
	local mode=$1 mb="" st=""
	if [ "$mode" != devdax ]; then
		mb=",\"online_memblocks\":$2,\"total_memblocks\":$NBLK"
		[ -n "${3:-}" ] && mb="$mb,\"movable\":$3"
	fi
	[ -n "${4:-}" ] && st=",\"state\":\"$4\""
	printf '{"chardev":"%s","size":%s,"target_node":%s,"align":%s,"mode":"%s"%s%s,"fault_policy":"strict","numa_node":%s,"instance":%s}' \
		"$D" "$SIZE" "$TN" "$ALIGN" "$mode" "$mb" "$st" "$NN" "$(cat $DEV/instance)"
}
# everything a failure must leave as it was: mode, driver, size, each
# block's state and zone, MemTotal and node 1's
kstate() {
	local b s="$(mode) $(driver) $(cat $DEV/size) mem=$(memtotal) node1=$(node_kb 1)"
	for b in $(seq $FIRST $((FIRST + NBLK - 1))); do
		if [ -e $MEM/memory$b ]; then
			s="$s $b:$(cat $MEM/memory$b/state):$(cat $MEM/memory$b/valid_zones)"
		else
			s="$s $b:absent"
		fi
	done
	echo "$s"
}
# DESC RC REGEX CMD...: CMD exits RC with exactly one line on stderr
# matching REGEX, nothing on stdout, and kstate is what it was before
fails() {
	local desc=$1 want=$2 re=$3 before out err rc
	shift 3
	before=$(kstate)
	out=$("$@" 2>$W/ferr)
	rc=$?
	err=$(cat $W/ferr)
	if [ $rc = "$want" ] && [ -z "$out" ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] &&
	   printf '%s' "$err" | grep -Eq -- "$re"; then
		tap_ok "$desc"
	else
		tap_fail "$desc"
		echo "#   rc=$rc (want $want) stdout='$out'"
		echo "#   stderr: $err"
		echo "#   want one line matching: $re"
	fi
	is "$desc: state unchanged" "$(kstate)" "$before"
}
pin_start() { # SIZE: pages of node 1, the first 64K pinned by a pipe
	rm -f $READY
	$KT pin 1 "$1" $READY > $W/pin.out 2>&1 &
	PIN=$!
}
pin_finish() { rm -f $READY; wait $PIN; PRC=$?; }	# not in $(): PIN is our child

is "list: $D starts devdax" "$(J list -d $D)" "[$(kjson devdax)]"
t "insmod tdax_kmem" insmod $MODDIR/tdax_kmem.ko

# --- refused before anything changes --------------------------------------------
fails "bad mode: usage error" 2 "^tdaxctl reconfigure-device: bad mode 'fsdax' \(devdax or system-ram\)$" \
	$T reconfigure-device -m fsdax $D
fails "online-memory of a devdax device" 1 \
	"^tdaxctl online-memory: $D: memory operations are not applicable in devdax mode" $T online-memory $D
echo online > $MEM/auto_online_blocks
fails "-m system-ram while auto_online_blocks=online (daxctl: refused without -f)" 1 \
	"^tdaxctl reconfigure-device: $D: the kernel's policy auto_online_blocks=online would online the memory in the kernel's zone, maybe ZONE_NORMAL \(which may never go offline again\): write offline to /sys/devices/system/memory/auto_online_blocks first, or use --force; $D left as it was$" \
	$T reconfigure-device -m system-ram $D
echo online_movable > $MEM/auto_online_blocks
fails "-m system-ram -N while auto_online_blocks=online_movable" 1 \
	"^tdaxctl reconfigure-device: $D: the kernel's policy auto_online_blocks=online_movable would online the memory although --no-online was given: .*; $D left as it was$" \
	$T reconfigure-device -m system-ram -N $D
echo offline > $MEM/auto_online_blocks

# --- devdax -> system-ram (online movable) ------------------------------------------
is "reconfigure-device -m system-ram: the JSON" "$(J reconfigure-device -m system-ram $D)" "[$(kjson system-ram $NBLK true)]"
is "  stderr" "$(cat $W/err)" "reconfigured 1 device"
is "  bound to tdax_kmem, mode attribute system-ram" "$(driver) $(mode)" "tdax_kmem system-ram"
is "  every block online in ZONE_MOVABLE" "$(blocks)" "online=$NBLK movable=$NBLK"
is "  MemTotal grew by the device size" "$(( $(memtotal) - BASE ))" $KB
is "  node 1 MemTotal is the device size" "$(node_kb 1)" $KB
is "list -d $D says the same" "$(J list -d $D)" "[$(kjson system-ram $NBLK true)]"
is "list -u: the one object, human size" "$($T list -u -d $D | jq -c '[.mode, .size, .online_memblocks, .movable]')" \
	'["system-ram","512.00 MiB (536.87 MB)",4,true]'
is "reconfigure-device -m system-ram again: nothing to do" "$(J reconfigure-device -m system-ram $D)" "[$(kjson system-ram $NBLK true)]"

# --- offline / online ----------------------------------------------------------------
is "offline-memory" "$($T offline-memory $D 2>&1)" "offlined memory for 1 device"
is "  list: 0 of $NBLK online, no movable field" "$(J list -d $D)" "[$(kjson system-ram 0)]"
is "  MemTotal back, node 1 empty" "$(memtotal) $(node_kb 1)" "$BASE 0"
is "  the blocks are still there (added, offline)" "$(nblocks_present) $(blocks)" "$NBLK online=0 movable=0"
fails "online-memory --offline-timeout: not an online option" 2 "^tdaxctl online-memory: --offline-timeout goes with offline-memory and reconfigure-device$" \
	$T online-memory --offline-timeout 3 $D
is "online-memory --no-movable" "$($T online-memory --no-movable $D 2>&1)" "onlined memory for 1 device"
is "  list: online, movable false" "$(J list -d $D)" "[$(kjson system-ram $NBLK false)]"
is "  ZONE_NORMAL, MemTotal grew" "$(blocks) $(( $(memtotal) - BASE ))" "online=$NBLK movable=0 $KB"
fails "-m devdax with the memory online, no -f" 1 \
	"^tdaxctl reconfigure-device: $D: $NBLK of $NBLK memory blocks are online: offline them first \(offline-memory, or --force\); $D left as it was$" \
	$T reconfigure-device -m devdax $D
is "offline-memory (ZONE_NORMAL, nothing of the kernel's there)" "$($T offline-memory $D 2>&1)" "offlined memory for 1 device"
is "online-memory (movable)" "$($T online-memory $D 2>&1)" "onlined memory for 1 device"
is "  list: online, movable" "$(J list -d $D)" "[$(kjson system-ram $NBLK true)]"

# --- pinned pages: offline refused, every block back where it was ------------------------
pin_start 16M
t "16M on node 1, the first 64K pinned (vmsplice)" wait_file $READY
fails "reconfigure -m devdax -f while pages are pinned" 1 \
	"^tdaxctl reconfigure-device: $D: offline memory[0-9]+ \([0-9] of $NBLK blocks done\): pages still in use after 3 s \(pinned, or not migratable: .*\); $D left as it was$" \
	$T reconfigure-device -m devdax -f --offline-timeout 3 $D
is "  still movable, all online" "$(blocks)" "online=$NBLK movable=$NBLK"
fails "offline-memory while pages are pinned" 1 \
	"^tdaxctl offline-memory: $D: offline memory[0-9]+ \([0-9] of $NBLK blocks done\): pages still in use after 3 s .*; $D left as it was$" \
	$T offline-memory --offline-timeout 3 $D
pin_finish
is "the pinned process' data intact" "rc=$PRC $(cut -d' ' -f1 $W/pin.out)" "rc=0 intact=1"

# --- system-ram -> devdax with -f (the memory in use migrates) ---------------------------
rm -f $READY
$KT hold 1 32M $READY > $W/hold.out 2>&1 &
HOLD=$!
t "32M of a process on node 1" wait_file $READY
is "reconfigure-device -m devdax -f: the JSON" "$(J reconfigure-device -m devdax -f $D)" "[$(kjson devdax)]"
rm -f $READY; wait $HOLD
is "  the process' data survived, migrated off node 1" "$(cut -d' ' -f1-2 $W/hold.out)" "intact=1 on_node=0"
is "  tdax_device, blocks gone, MemTotal back" "$(driver) $(mode) $(nblocks_present) $(memtotal)" "tdax_device devdax 0 $BASE"
t "  /dev/$D faults again" dt fault /dev/$D 8M -e 4

# --- a size tdax_kmem refuses: mode and size both come back -----------------------------
fails "-m system-ram -s 64M: no whole memory block (tdax_kmem's reason)" 1 \
	"^tdaxctl reconfigure-device: $D: bind to tdax_kmem: Invalid argument \(kernel: tdax_kmem $D: tdax_kmem: range $(printf '%#x' $START)-$(printf '%#x' $((START + (64 << 20) - 1))) holds no whole memory block of $(printf '%#x' $BSZ) bytes\); $D left as it was$" \
	$T reconfigure-device -m system-ram -s 64M $D
t "  tdax_device binds it by default again (not left on tdax_kmem's new_id)" \
	sh -c "echo $D > $DRV/unbind && echo $D > $DRV/bind"

# --- -N, then the auto-online policy online_movable ----------------------------------------
is "reconfigure-device -m system-ram -N" "$(J reconfigure-device -m system-ram -N $D)" "[$(kjson system-ram 0)]"
is "  MemTotal unchanged, blocks added offline" "$(memtotal) $(nblocks_present) $(blocks)" "$BASE $NBLK online=0 movable=0"
is "-m devdax (memory offline: no -f needed)" "$(J reconfigure-device -m devdax $D)" "[$(kjson devdax)]"
echo online_movable > $MEM/auto_online_blocks
is "-m system-ram with auto_online_blocks=online_movable (as asked: allowed)" \
	"$(J reconfigure-device -m system-ram $D)" "[$(kjson system-ram $NBLK true)]"
echo offline > $MEM/auto_online_blocks

# --- system-ram-kept: a tdax_kmem unbind that could not offline ------------------------------
pin_start 16M
t "16M on node 1 pinned again" wait_file $READY
echo 2 > /sys/module/tdax_kmem/parameters/offline_timeout
t "another agent unbinds tdax_kmem while pages are pinned" sh -c "echo $D > $KDRV/unbind"
echo 120 > /sys/module/tdax_kmem/parameters/offline_timeout
is "list: mode system-ram-kept, its blocks online, disabled" "$(J list -d $D)" \
	"[$(kjson system-ram-kept $NBLK true disabled)]"
KEPT="its memory stayed online when tdax_kmem could not offline it \(mode system-ram-kept\): 'reconfigure-device -m system-ram' takes it back, then offline-memory and -m devdax; $D left as it was$"
fails "-m devdax -f of a kept device" 1 "^tdaxctl reconfigure-device: $D: $KEPT" $T reconfigure-device -m devdax -f $D
fails "offline-memory of a kept device" 1 "^tdaxctl offline-memory: $D: $KEPT" $T offline-memory $D
fails "enable-device of a kept device" 1 "^tdaxctl enable-device: $D: $KEPT" $T enable-device $D
fails "destroy-device of a kept device" 1 "^tdaxctl destroy-device: $D: $KEPT" $T destroy-device -f $D
pin_finish
is "  the pinned process' data intact" "rc=$PRC $(cut -d' ' -f1 $W/pin.out)" "rc=0 intact=1"
is "-m system-ram takes the kept memory back" "$(J reconfigure-device -m system-ram $D)" "[$(kjson system-ram $NBLK true)]"
t "  tdax_kmem adopted it (kernel log)" sh -c "dmesg | grep -q '$D: tdax_kmem: .*taking over the memory a failed unbind left online'"
is "  MemTotal counts it once" "$(( $(memtotal) - BASE ))" $KB
is "-m devdax -f" "$(J reconfigure-device -m devdax -f $D)" "[$(kjson devdax)]"
is "  back as at the start" "$(driver) $(mode) $(nblocks_present) $(memtotal) $(node_kb 1)" "tdax_device devdax 0 $BASE 0"

# --- persistence: a listed system-ram device, applied again -------------------------------
mkdir -p $W/conf.d
$T reconfigure-device -m system-ram --no-movable $D > /dev/null 2>&1
$T list -d $D > $W/conf.d/node1.json
$T reconfigure-device -m devdax -f $D > /dev/null 2>&1
is "apply-config of the saved list: system-ram, ZONE_NORMAL again" \
	"$($T apply-config -C $W/conf.d 2>$W/err | jq -c .)" "[$(kjson system-ram $NBLK false)]"
is "  stderr" "$(cat $W/err)" "applied $W/conf.d: 1 device changed"
is "  run again: nothing changes" "$($T apply-config -C $W/conf.d 2>&1 >/dev/null)" "applied $W/conf.d: 0 devices changed"
is "-m devdax -f" "$(J reconfigure-device -m devdax -f $D)" "[$(kjson devdax)]"
is "  MemTotal as at the start" "$(memtotal) $(nblocks_present)" "$BASE 0"

echo "$POLICY" > $MEM/auto_online_blocks
t "rmmod tdax_kmem: nothing of it is left" rmmod tdax_kmem
echo "# guest uptime at the end: $(cut -d" " -f1 /proc/uptime)s"
done_testing
