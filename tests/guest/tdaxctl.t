#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tdaxctl against the real driver: every command, the exact JSON it prints
# (checked against sysfs), every failure path leaving the state exactly as
# it was (align the ranges cannot take, size too big, a size the kernel
# refuses, a busy device, device 0, a missing tdax_kmem), the --input
# round trip of a list, and the persistent configuration: the command the
# systemd unit runs and the one the udev rule's unit runs, across a reload
# of the modules (the guest has no systemd or udev).
# vm: --load --timeout 900
set -u
. tests/guest/lib/tdax.sh
T=build/bin/tdaxctl
READY=/tmp/tdaxctl-ready
W=/tmp/tdaxctl-t
rm -rf $W
mkdir -p $W

J() { "$T" "$@" 2>$W/err | jq -c .; }	# compact JSON of a tdaxctl command
tn() { local v; read -r v < $BUS/devices/$1/target_node; echo $v; }
# DEV SIZE ALIGN POLICY [STATE]: the object list prints for a device
# (numa_node and target_node only when the device has one, as daxctl;
# then the instance id the driver gave it)
djson() {
	local st="" t n i
	read -r t < $BUS/devices/$1/target_node
	read -r n < $BUS/devices/$1/numa_node
	read -r i < $BUS/devices/$1/instance
	[ -n "${5:-}" ] && st=",\"state\":\"$5\""
	[ "$t" -ge 0 ] && t=",\"target_node\":$t" || t=""
	[ "$n" -ge 0 ] && n=",\"numa_node\":$n" || n=""
	printf '{"chardev":"%s","size":%s%s,"align":%s,"mode":"devdax"%s,"fault_policy":"%s"%s,"instance":%s}' \
		"$1" "$2" "$t" "$3" "$st" "$4" "$n" "$i"
}
# R: the instance id of region R
rinst() { cat $BUS/devices/tdax$1.0/../tdax_region/instance; }
# without the instance ids (a re-created device, or one after a module
# reload, is a new instance)
noinst() { jq -c 'walk(if type == "object" then del(.instance) else . end)'; }
# every device and region as sysfs says (two processes: TCG makes each
# fork expensive): the state a failure must not change
state() {
	grep -H . $BUS/devices/*/size $BUS/devices/*/align $BUS/devices/*/fault_policy \
		$BUS/devices/*/mappings $BUS/devices/*.0/../tdax_region/available_size
	ls -l $BUS/devices/*/driver 2>/dev/null | sed 's/.* \([^ ]*\) -> .*\/\([^/]*\)$/\1 \2/'
}
# DESC REGEX CMD...: CMD exits 1 with exactly one line on stderr matching REGEX,
# nothing on stdout, and the state is what it was before
fails() {
	local desc=$1 re=$2 before out err rc
	shift 2
	before=$(state)
	out=$("$@" 2>$W/ferr)
	rc=$?
	err=$(cat $W/ferr)
	if [ $rc = 1 ] && [ -z "$out" ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] &&
	   printf '%s' "$err" | grep -Eq -- "$re"; then
		tap_ok "$desc"
	else
		tap_fail "$desc"
		echo "#   rc=$rc (want 1) stdout='$out'"
		echo "#   stderr: $err"
		echo "#   want one line matching: $re"
	fi
	is "$desc: state unchanged" "$(state)" "$before"
}
hold_start() { # DEV LEN
	rm -f $READY
	$DT hold "$1" "$2" $READY > $W/hold.out 2>&1 &
	HOLD=$!
	for _ in $(seq 200); do [ -e $READY ] && return 0; sleep 0.05; done
	return 1
}
hold_finish() { rm -f $READY; wait $HOLD; cat $W/hold.out; }

G=1073741824 M2=2097152
# The provider device of the soft-reserved regions 0-2: hmem.N up to 6.3;
# from 6.4 the kernel makes one hmem_platform.0 and tdax_hmem adds a
# tdax_soft.N under it per range (driver/hmem.c).
if [ -d /sys/devices/platform/hmem_platform.0 ]; then
	SOFT=/platform/hmem_platform.0/tdax_soft.
else
	SOFT=/platform/hmem.
fi

# --- list ---------------------------------------------------------------------
want="[$(djson tdax0.0 $G $M2 strict),$(djson tdax1.0 $G $M2 strict),$(djson tdax2.0 $G $M2 strict),$(djson tdax3.0 $G $M2 strict)]"
is "list: the four default devices" "$(J list)" "$want"
is "list -D is the default" "$(J list -D)" "$want"
is "list -j is accepted and the same" "$(J list -j)" "$want"
rj() { printf '{"path":"/platform/%s","id":%s,"size":1073741824,"align":2097152,"provider":"tdax_hmem","instance":%s}' $2 $1 $(rinst $1); }
S=${SOFT#/platform/}
want="[$(rj 0 ${S}0),$(rj 1 ${S}1),$(rj 2 ${S}2),$(rj 3 tdax_range.0)]"
is "list -R: regions with path, id, size, align, provider, instance" "$(J list -R)" "$want"
is "  the instance ids are the regions' and devices' own: all different" \
	"$(J list -R -D | jq '[.[].instance, .[].devices[].instance] | unique | length')" 8
is "list -r 1 alone: region 1 without devices" "$(J list -r 1)" "[$(rj 1 ${S}1)]"
is "list -R -D -M -r 1: devices with mappings inside the region" "$(J list -R -D -M -r 1)" \
	"[{\"path\":\"${SOFT}1\",\"id\":1,\"size\":$G,\"align\":$M2,\"provider\":\"tdax_hmem\",\"instance\":$(rinst 1),\"devices\":[$(djson tdax1.0 $G $M2 strict | sed 's/}$//'),\"mappings\":[{\"page_offset\":0,\"start\":6442450944,\"end\":7516192767,\"size\":$G}]}]}]"
is "list -u -d tdax1.0 -M: one object, human sizes, hex addresses" "$(J list -u -d tdax1.0 -M)" \
	"{\"chardev\":\"tdax1.0\",\"size\":\"1024.00 MiB (1073.74 MB)\",\"target_node\":$(tn tdax1.0),\"align\":2097152,\"mode\":\"devdax\",\"fault_policy\":\"strict\",\"numa_node\":0,\"instance\":$(cat $BUS/devices/tdax1.0/instance),\"mappings\":[{\"page_offset\":\"0\",\"start\":\"0x180000000\",\"end\":\"0x1bfffffff\",\"size\":\"1024.00 MiB (1073.74 MB)\"}]}"
is "list -d 1.0 (daxctl's short name) finds tdax1.0" "$(J list -d 1.0 | jq -r '.[0].chardev')" tdax1.0
is "list -d of no device prints nothing" "$($T list -d tdax9.9)" ""
t "sysfs mappings agree with list -M" sh -c "grep -q '^0x180000000-0x1bfffffff 0x0$' $BUS/devices/tdax1.0/mappings"

# --- reconfigure-device: size, then create-device -----------------------------------
is "reconfigure-device tdax1.0 -s 512M prints the device" "$(J reconfigure-device tdax1.0 -s 512M)" \
	"[$(djson tdax1.0 536870912 $M2 strict)]"
is "  sysfs size 512M, bound to tdax_device" "$(cat $BUS/devices/tdax1.0/size) $(basename $(readlink $BUS/devices/tdax1.0/driver))" "536870912 tdax_device"
is "  the region has 512M available" "$(cat $BUS/devices/tdax1.0/../tdax_region/available_size)" 536870912
is "create-device -r 1 -s 256M -a 4K --fault-policy fallback" \
	"$(J create-device -r 1 -s 256M -a 4K --fault-policy fallback)" \
	"[$(djson tdax1.1 268435456 4096 fallback)]"
is "  stderr says created 1 device" "$(cat $W/err)" "created 1 device"
t "  /dev/tdax1.1 faults at 4K (64 faults for 256K)" dt fault /dev/tdax1.1 256K -e 64
is "  list -r 1 -D -M -i: both devices and their ranges" "$(J list -r 1 -D -M -i | jq -c '[.[] | [.chardev, .size, .align, .fault_policy, .mappings[0].start, .mappings[0].end]]')" \
	'[["tdax1.0",536870912,2097152,"strict",6442450944,6979321855],["tdax1.1",268435456,4096,"fallback",6979321856,7247757311]]'
is "  list -R -r 1 shows available_size 256M" "$(J list -R -r 1 | jq -c '.[0].available_size')" 268435456

# --- failures leave everything as it was ---------------------------------------
fails "reconfigure -a 1G: the range is not 1G-aligned (kernel's reason)" \
	'^tdaxctl reconfigure-device: tdax1.0: align 1073741824: Invalid argument \(kernel: tdax tdax1.0: align: range 0x180000000-0x19fffffff is not aligned to 0x40000000\); tdax1.0 left as it was$' \
	$T reconfigure-device tdax1.0 -a 1G
is "  tdax1.0 is bound again after the refused align" "$(basename $(readlink $BUS/devices/tdax1.0/driver))" tdax_device
fails "reconfigure -s 2G: beyond available (kernel's reason)" \
	'^tdaxctl reconfigure-device: tdax1.0: size 2147483648: No space left on device \(kernel: tdax tdax1.0: size 0x80000000: needs 0x60000000 more but region1 has 0x10000000 available\); tdax1.0 left as it was$' \
	$T reconfigure-device tdax1.0 -s 2G
fails "reconfigure -s 3M -a 4K: size refused after align changed: both undone" \
	'^tdaxctl reconfigure-device: tdax1.0: size 3145728: Invalid argument \(kernel: tdax tdax1.0: size 0x300000 is not a multiple of 0x200000 \(region and device alignment\)\); tdax1.0 left as it was$' \
	$T reconfigure-device tdax1.0 -s 3M -a 4K
fails "create-device -s 2G: more than available" \
	'^tdaxctl create-device: region 1: size too big: 268435456 bytes available$' \
	$T create-device -r 1 -s 2G
fails "create-device -s 3M: the kernel refuses the size, the new device is removed" \
	'^tdaxctl create-device: tdax1.2: size 3145728: Invalid argument \(kernel: tdax tdax1.2: size 0x300000 is not a multiple of 0x200000 \(region and device alignment\)\); tdax1.2 removed again, region unchanged$' \
	$T create-device -r 1 -s 3M
fails "create-device in a full region" \
	'^tdaxctl create-device: region 0: no space available: 0 bytes available \(shrink or destroy a device first\)$' \
	$T create-device -r 0
fails "destroy-device of an enabled device without --force" \
	'^tdaxctl destroy-device: tdax1.1: active, specify --force for deletion; tdax1.1 left as it was$' \
	$T destroy-device tdax1.1
fails "destroy-device of device 0" \
	'^tdaxctl destroy-device: tdax1.0: device 0 stays while its region exists' \
	$T destroy-device -f tdax1.0
fails "reconfigure -m system-ram without tdax_kmem" \
	'^tdaxctl reconfigure-device: tdax1.0: mode system-ram needs the tdax_kmem driver, which is not loaded \(modprobe tdax_kmem\)$' \
	$T reconfigure-device -m system-ram tdax1.0
fails "online-memory without tdax_kmem" \
	'^tdaxctl online-memory: tdax1.0: online-memory needs the tdax_kmem driver, which is not loaded' \
	$T online-memory tdax1.0
fails "offline-memory without tdax_kmem" \
	'^tdaxctl offline-memory: tdax1.0: offline-memory needs the tdax_kmem driver, which is not loaded' \
	$T offline-memory tdax1.0
fails "a device that does not exist" '^tdaxctl reconfigure-device: tdax7.7: no such device$' \
	$T reconfigure-device -s 2M tdax7.7

# --- a busy device ---------------------------------------------------------------
if hold_start /dev/tdax1.1 64K; then tap_ok "a process maps /dev/tdax1.1"; else tap_fail "a process maps /dev/tdax1.1"; fi
fails "disable-device of a mapped device" \
	"^tdaxctl disable-device: tdax1.1: in use by pid $HOLD \(daxtest\): stop it first, or use --force" \
	$T disable-device tdax1.1
fails "reconfigure-device of a mapped device" \
	"^tdaxctl reconfigure-device: tdax1.1: in use by pid $HOLD \(daxtest\)" \
	$T reconfigure-device tdax1.1 --fault-policy strict
fails "destroy-device -f of a mapped device" \
	"^tdaxctl destroy-device: tdax1.1: in use by pid $HOLD \(daxtest\)" \
	$T destroy-device -f tdax1.1
is "disable-device -f of a mapped device" "$($T disable-device -f tdax1.1 2>&1)" "disabled 1 device"
is "  the mapping's next access is SIGBUS" "$(hold_finish)" sigbus
is "  list shows it disabled" "$(J list -d tdax1.1)" "[$(djson tdax1.1 268435456 4096 fallback disabled)]"
is "  opening /dev/tdax1.1 fails with ENXIO" "$($DT mmap /dev/tdax1.1 64K 0 shared 2>&1 | grep -o 'No such device or address' | head -1)" "No such device or address"
is "enable-device tdax1.1" "$($T enable-device tdax1.1 2>&1)" "enabled 1 device"
t "  /dev/tdax1.1 is back and faults" dt fault /dev/tdax1.1 64K -e 16
is "reconfigure-device tdax1.1 --fault-policy strict -a 2M" \
	"$(J reconfigure-device tdax1.1 --fault-policy strict -a 2M)" "[$(djson tdax1.1 268435456 $M2 strict)]"

# --- --input round trip ---------------------------------------------------------
$T list -M -d tdax1.1 > $W/one.json
OLDINST=$(cat $BUS/devices/tdax1.1/instance)
is "destroy-device -f tdax1.1" "$($T destroy-device -f tdax1.1 2>&1)" "destroyed 1 device"
is "  the region has 512M available again" "$(cat $BUS/devices/tdax1.0/../tdax_region/available_size)" 536870912
t "  tdax1.1 is gone from sysfs" test ! -e $BUS/devices/tdax1.1
is "create-device --input (list -M of one device) re-creates it" \
	"$($T create-device --input $W/one.json 2>/dev/null | noinst)" "$(jq -c 'map(del(.mappings))' $W/one.json | noinst)"
is "  list -M -d tdax1.1 equals the saved list (but the instance)" "$($T list -M -d tdax1.1 | noinst)" "$(noinst < $W/one.json)"
t "  the new tdax1.1 is a new instance ($OLDINST before)" test "$(cat $BUS/devices/tdax1.1/instance)" -gt "$OLDINST"
J create-device -r 1 -s 128M --fault-policy fallback > /dev/null
$T list -M -r 1 -D | jq '[.[] | select(.chardev != "tdax1.0")]' > $W/two.json
is "two devices to re-create" "$(jq -c '[.[].chardev]' $W/two.json)" '["tdax1.1","tdax1.2"]'
is "destroy-device -f all -r 1 (skips device 0)" "$($T destroy-device -f -r 1 all 2>&1)" "destroyed 2 devices"
is "create-device --input of two devices re-creates both" \
	"$($T create-device --input $W/two.json 2>/dev/null | noinst)" "$(jq -c 'map(del(.mappings))' $W/two.json | noinst)"
is "  list -M equals the saved layout" "$($T list -M -r 1 -D | jq -c '[.[] | select(.chardev != "tdax1.0")]' | noinst)" "$(noinst < $W/two.json)"
$T destroy-device -f tdax1.2 2>/dev/null
jq '.[1].size = 1073741824' $W/two.json > $W/toobig.json
$T destroy-device -f tdax1.1 2>/dev/null
fails "create-device --input: the second too big, so neither is created" \
	'^tdaxctl create-device: region 1: size too big: 268435456 bytes available$' \
	$T create-device --input $W/toobig.json
echo '[{"chardev":"tdax1.1","size":134217728,"align":2097152,"mappings":[{"page_offset":0,"start":7247757312,"end":7381975039,"size":134217728}]}]' > $W/moved.json
fails "create-device --input whose ranges the region cannot give" \
	'^tdaxctl create-device: tdax1.1: range 0 is 0x1a0000000-0x1a7ffffff, the input lists 0x1b0000000-0x1b7ffffff \(the region.s free space differs\); tdax1.1 removed again, region unchanged$' \
	$T create-device --input $W/moved.json
echo 'not json {' > $W/bad.json
fails "create-device --input of a file that is not JSON" "^tdaxctl create-device: --input $W/bad.json: " \
	$T create-device --input $W/bad.json

# --- persistence: the unit's command, the udev unit's command, a module reload -----
unit_cmd() { # UNIT [INSTANCE]: the ExecStart of a shipped unit, as installed
	sed -n 's/^ExecStart=//p' tools/tdaxctl/$1 | sed "s|@BINDIR@|build/bin|; s|%I|${2:-}|"
}
is "tdaxctl.service runs tdaxctl apply-config" "$(unit_cmd tdaxctl.service)" "build/bin/tdaxctl apply-config"
is "tdaxctl-apply@.service runs it for the region's device" "$(unit_cmd tdaxctl-apply@.service tdax3.0)" "build/bin/tdaxctl apply-config tdax3.0"
t "the udev rule starts tdaxctl-apply@ for tdaxR.0 devices of the tdax bus" \
	grep -q '^ACTION=="add", SUBSYSTEM=="tdax", KERNEL=="tdax\*.0", .*SYSTEMD_WANTS.*tdaxctl-apply@%k.service' tools/tdaxctl/90-tdaxctl.rules
export TDAXCTL_CONFDIR=$W/conf.d
mkdir -p $TDAXCTL_CONFDIR
cat > $TDAXCTL_CONFDIR/10-region2.conf <<'EOF'
# region 2: 512M strict with fault fallback, 256M at 4K, 256M at 2M
[device tdax2.0]
size = 512M
fault_policy = fallback

[device tdax2.1]
size = 256M
align = 4K

[device tdax2.2]
size = 256M
mode = devdax
EOF
got=$($(unit_cmd tdaxctl.service) 2>$W/err | jq -c .)
want2="[$(djson tdax2.0 536870912 $M2 fallback),$(djson tdax2.1 268435456 4096 strict),$(djson tdax2.2 268435456 $M2 strict)]"
is "the unit's command applies the INI config" "$got" "$want2"
is "  stderr: 3 devices changed" "$(cat $W/err)" "applied $TDAXCTL_CONFDIR: 3 devices changed"
is "  list -r 2 -D shows the layout" "$(J list -r 2 -D)" "$want2"
is "  run again: nothing changes" "$($(unit_cmd tdaxctl.service) 2>&1 >/dev/null)" "applied $TDAXCTL_CONFDIR: 0 devices changed"
is "  --dry-run after a change says what it would do" \
	"$($T reconfigure-device tdax2.1 -a 2M >/dev/null 2>&1; $T apply-config -n)" "tdax2.1: would reconfigure ($TDAXCTL_CONFDIR/10-region2.conf:6)"
$T apply-config >/dev/null 2>&1
is "  apply-config puts the align back" "$(cat $BUS/devices/tdax2.1/align)" 4096
# region 3 from a list -M JSON file, as a user would save it
$T reconfigure-device tdax3.0 -s 256M -a 4K >/dev/null 2>&1
$T create-device -r 3 -s 512M --fault-policy fallback >/dev/null 2>&1
$T list -M -R -D -r 3 > $TDAXCTL_CONFDIR/20-region3.json
layout3=$($T list -M -r 3 -D | noinst)
is "region 3 saved: two devices" "$(jq -c '[.[0].devices[].chardev]' $TDAXCTL_CONFDIR/20-region3.json)" '["tdax3.0","tdax3.1"]'
r23() { $T list -M -i | jq -c '[.[] | select(.chardev | test("^tdax[23][.]"))]' | noinst; }
layout_all=$(r23)

# reboot: unload and reload the stack; every device is back to its default
t "rmmod tdax_hmem tdax_device tdax" sh -c 'rmmod tdax_hmem && rmmod tdax_device && rmmod tdax'
t "the stack loads again (tests/vm/load)" sh tests/vm/load
is "after the reload region 2 is one 1G device" "$(J list -r 2 -D)" "[$(djson tdax2.0 $G $M2 strict)]"
is "the udev unit's command for tdax3.0 configures only region 3" \
	"$($(unit_cmd tdaxctl-apply@.service tdax3.0) 2>/dev/null | jq -c '[.[].chardev]')" '["tdax3.0","tdax3.1"]'
is "  region 3 as saved" "$($T list -M -r 3 -D | noinst)" "$layout3"
is "  region 2 untouched" "$(J list -r 2 -D)" "[$(djson tdax2.0 $G $M2 strict)]"
$(unit_cmd tdaxctl.service) > /dev/null 2>&1
is "then the boot unit's command: every device as before the reload" "$(r23)" "$layout_all"

# config errors: one line naming file and line, nothing changed
printf '[device tdax2.0]\nsize = 512M\ncolour = blue\n' > $W/bad.conf
mkdir -p $W/bad.d && cp $W/bad.conf $W/bad.d/x.conf
fails "apply-config: an unknown key" \
	"^tdaxctl apply-config: $W/bad.d/x.conf:3: unknown key 'colour'" $T apply-config -C $W/bad.d
printf '[device tdax2.0]\nsize = 512M\n' > $W/bad.d/x.conf
printf '[device tdax2.0]\nsize = 256M\n' > $W/bad.d/y.conf
fails "apply-config: a device configured twice" \
	"^tdaxctl apply-config: tdax2.0 is configured twice: $W/bad.d/x.conf:1 and $W/bad.d/y.conf:1$" $T apply-config -C $W/bad.d
rm -f $W/bad.d/*
printf '[device tdax3.5]\nsize = 128M\n' > $W/bad.d/x.conf
fails "apply-config: a device that is not the region's next one" \
	'^tdaxctl apply-config: tdax3.2: the region.s next device is tdax3.2, not tdax3.5 \(create the devices in order\); tdax3.2 removed again, region unchanged$' \
	$T apply-config -C $W/bad.d

done_testing
