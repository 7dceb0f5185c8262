#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Lifetimes and sysfs of the tdax stack: unbind while mapped (SIGBUS),
# rmmod refused while a file or mapping holds a module and clean after,
# region create/delete/resize, align changes, and a clear errno for every
# bad sysfs write.  The harness fails the run on any kernel warning.
# vm: --load --timeout 240
set -u
. tests/guest/lib/tdax.sh
READY=/tmp/tdax-ready

hold_start() { # DEV LEN: a process that maps DEV and waits
	rm -f $READY
	$DT hold "$1" "$2" $READY > /tmp/tdax-hold.out 2>&1 &
	HOLD=$!
	for _ in $(seq 100); do [ -e $READY ] && return 0; sleep 0.05; done
	return 1
}
hold_finish() { rm -f $READY; wait $HOLD; cat /tmp/tdax-hold.out; }
mods_loaded() { grep -c -E '^(tdax|tdax_device|tdax_hmem) ' /proc/modules; }

# --- unbind while mapped ------------------------------------------------------
if hold_start /dev/tdax0.0 2M; then tap_ok "a process maps /dev/tdax0.0 and touches it"; else tap_fail "a process maps /dev/tdax0.0 and touches it"; fi
trace_on tdax_fault tdax_unbind tdax_bind
is "unbind tdax0.0 while mapped" "$(sysfs_write $DRV/unbind tdax0.0)" ok
is "the mapping's next access is SIGBUS" "$(hold_finish)" sigbus
t "tdax_unbind event names tdax0.0 and tdax_device" \
	grep -q "tdax_unbind: device=tdax0.0 driver=tdax_device .*result=0" $TR/trace
t "the SIGBUS fault is recorded with reason dead" \
	grep -q "tdax_fault: .*outcome=sigbus reason=dead" $TR/trace
is "open of an unbound device is ENXIO" "$($DT mmap /dev/tdax0.0 2M 0 shared 2>&1 | grep -o 'No such device or address' | head -1)" "No such device or address"
is "rebind tdax0.0" "$(sysfs_write $DRV/bind tdax0.0)" ok
trace_off
# liveness is per binding: a file opened before an unbind stays dead after
# the rebind (its old mapping SIGBUS, a new mmap of it ENXIO)
stale_start() {
	rm -f $READY
	$DT stale /dev/tdax0.0 2M $READY > /tmp/tdax-hold.out 2>&1 &
	HOLD=$!
	for _ in $(seq 100); do [ -e $READY ] && return 0; sleep 0.05; done
	return 1
}
t "a process opens and maps /dev/tdax0.0 (binding 1)" stale_start
sysfs_write $DRV/unbind tdax0.0 >/dev/null
is "tdax0.0 binds again (binding 2)" "$(sysfs_write $DRV/bind tdax0.0)" ok
is "the binding-1 file: old mapping SIGBUS, new mmap ENXIO" "$(hold_finish)" "sigbus ENXIO"
t "a file opened under binding 2 works" dt fault /dev/tdax0.0 2M -e 1
t "tdax_bind event with result 0" grep -q "tdax_bind: device=tdax0.0 driver=tdax_device .*result=0" $TR/trace
t "after rebind, faults work again" dt fault /dev/tdax0.0 8M -e 4

# --- dax operations from inside the kernel (tdax_selftest.ko) ---------------------
MODDIR=$(sh tests/vm/load --dir)
selftest() { # ARGS...: insmod the selftest (its status is the result), show its lines
	local rc=0
	insmod $MODDIR/tdax_selftest.ko "$@" || rc=1
	rmmod tdax_selftest 2>/dev/null
	dmesg | grep 'tdax_selftest: not ok' | tail -n 5
	return $rc
}
t "live tdax3.0: direct_access, copy in/out, flush, zero_page_range" selftest dev=tdax3.0
sysfs_write $DRV/unbind tdax3.0 >/dev/null
t "killed tdax3.0: every operation fails with -ENXIO" selftest dev=tdax3.0 dead=1
t "the selftest notices a live device is not dead (negative check)" sh -c "echo tdax3.0 > $DRV/bind && ! insmod $MODDIR/tdax_selftest.ko dev=tdax3.0 dead=1"
rmmod tdax_selftest 2>/dev/null

# --- rmmod while open or mapped ---------------------------------------------
exec 3</dev/tdax0.0
t "rmmod tdax_device refused while a file is open" sh -c '! rmmod tdax_device 2>/dev/null'
exec 3<&-
if hold_start /dev/tdax0.0 2M; then tap_ok "a process maps /dev/tdax0.0 again"; else tap_fail "a process maps /dev/tdax0.0 again"; fi
for m in tdax_device tdax; do
	t "rmmod $m refused while mapped" sh -c "! rmmod $m 2>/dev/null"
done
is "all three modules still loaded" "$(mods_loaded)" 3
is "unbind while mapped, then rmmod still refused" "$(sysfs_write $DRV/unbind tdax0.0)" ok
t "rmmod tdax_device refused while the dead mapping exists" sh -c '! rmmod tdax_device 2>/dev/null'
# the provider is not pinned by files: its regions and devices go, the
# structures stay referenced by the open file until it closes
t "rmmod tdax_hmem while a dead mapping exists" rmmod tdax_hmem
t "tdax0.0 left the bus with its provider" sh -c "! test -e $BUS/devices/tdax0.0"
is "the held mapping gets SIGBUS" "$(hold_finish)" sigbus
t "rmmod tdax_device tdax once unmapped" sh -c 'rmmod tdax_device && rmmod tdax'
t "bus, modules and iomem claims are gone" sh -c '! test -e /sys/bus/tdax && ! grep -q tdax /proc/iomem && ! grep -q "^tdax" /proc/modules'
is "the firmware's ranges stay in /proc/iomem (3 Soft Reserved, Reserved at 0x280000000)" \
	"$(grep -c ' : Soft Reserved$' /proc/iomem) $(grep -c '^280000000-2bfffffff : Reserved$' /proc/iomem)" "3 1"
t "the stack loads again (tests/vm/load)" sh tests/vm/load

# --- regions: resize, create, delete ---------------------------------------
D1=$BUS/devices/tdax1.0
R=$D1/../tdax_region
is "region 1 id" "$(cat $R/id)" 1
is "region 1 size" "$(cat $R/size)" 1073741824
is "region 1 align" "$(cat $R/align)" 2097152
is "region 1 available_size with tdax1.0 spanning it" "$(cat $R/available_size)" 0
is "size of a bound device cannot change (EBUSY)" "$(sysfs_write $D1/size 536870912)" EBUSY
is "align of a bound device cannot change (EBUSY)" "$(sysfs_write $D1/align 4096)" EBUSY
is "fault_policy of a bound device cannot change (EBUSY)" "$(sysfs_write $D1/fault_policy fallback)" EBUSY
sysfs_write $DRV/unbind tdax1.0 >/dev/null
is "shrink unbound tdax1.0 to 512M" "$(sysfs_write $D1/size 536870912)" ok
is "available_size is 512M" "$(cat $R/available_size)" 536870912
is "create: writing 2 is EINVAL" "$(sysfs_write $R/create 2)" EINVAL
is "create a device" "$(sysfs_write $R/create 1)" ok
is "create reads the new device" "$(cat $R/create)" tdax1.1
is "seed is the new size-0 device" "$(cat $R/seed)" tdax1.1
D2=$BUS/devices/tdax1.1
is "tdax1.1 has size 0" "$(cat $D2/size)" 0
t "tdax1.1 is not bound while its size is 0" test ! -e $D2/driver
is "size beyond available_size is ENOSPC" "$(sysfs_write $D2/size 1073741824)" ENOSPC
is "size not a multiple of 2M is EINVAL" "$(sysfs_write $D2/size 3145728)" EINVAL
is "size 'big' is EINVAL" "$(sysfs_write $D2/size big)" EINVAL
is "tdax1.1 size 256M" "$(sysfs_write $D2/size 268435456)" ok
is "tdax1.1 starts after tdax1.0" "$(cat $D2/resource)" 0x1a0000000
is "align 1G refused: range not 1G-aligned (EINVAL)" "$(sysfs_write $D2/align 1073741824)" EINVAL
is "align 3000 (not a power of two) is EINVAL" "$(sysfs_write $D2/align 3000)" EINVAL
is "align 8192 (unsupported) is EINVAL" "$(sysfs_write $D2/align 8192)" EINVAL
is "fault_policy 'sometimes' is EINVAL" "$(sysfs_write $D2/fault_policy sometimes)" EINVAL
is "align 4K on tdax1.1" "$(sysfs_write $D2/align 4096)" ok
is "bind tdax1.1" "$(sysfs_write $DRV/bind tdax1.1)" ok
t "/dev/tdax1.1 appears" sh -c 'for i in $(seq 50); do [ -c /dev/tdax1.1 ] && exit 0; sleep 0.1; done; exit 1'
t "tdax1.1 faults at 4K" dt fault /dev/tdax1.1 4M -e 1024
t "tdax1.1 data" dt data /dev/tdax1.1 4096 268435456
is "seed is empty once the seed is sized and bound" "$(cat $R/seed)" ""
is "available_size is 256M" "$(cat $R/available_size)" 268435456
is "delete of a bound device is EBUSY" "$(sysfs_write $R/delete tdax1.1)" EBUSY
sysfs_write $DRV/unbind tdax1.1 >/dev/null
is "delete of a sized device is EBUSY" "$(sysfs_write $R/delete tdax1.1)" EBUSY
is "tdax1.1 size 0" "$(sysfs_write $D2/size 0)" ok
is "delete of device 0 is EBUSY" "$(sysfs_write $R/delete tdax1.0)" EBUSY
is "delete of an unknown device is ENODEV" "$(sysfs_write $R/delete tdax1.9)" ENODEV
is "delete tdax1.1" "$(sysfs_write $R/delete tdax1.1)" ok
t "tdax1.1 is gone from the bus and /dev" sh -c '! test -e /sys/bus/tdax/devices/tdax1.1 && sleep 0.2 && ! test -e /dev/tdax1.1'
is "available_size back to 512M" "$(cat $R/available_size)" 536870912
is "grow tdax1.0 back to 1G" "$(sysfs_write $D1/size 1073741824)" ok
is "tdax1.0 is one range again" "$(cat $D1/mappings)" "0x180000000-0x1bfffffff 0x0"
is "bind tdax1.0" "$(sysfs_write $DRV/bind tdax1.0)" ok
t "tdax1.0 faults at 2M after the resize" dt fault /dev/tdax1.0 16M -e 8

# --- a device of two ranges ------------------------------------------------------
sysfs_write $DRV/unbind tdax1.0 >/dev/null
sysfs_write $D1/size 536870912 >/dev/null
sysfs_write $R/create 1 >/dev/null
sysfs_write $D2/size 268435456 >/dev/null
sysfs_write $R/create 1 >/dev/null
is "tdax1.2 takes 2M after tdax1.1" "$(sysfs_write $BUS/devices/tdax1.2/size 2097152)" ok
sysfs_write $D2/size 0 >/dev/null
is "tdax1.0 grows to 896M around tdax1.2" "$(sysfs_write $D1/size 939524096)" ok
is "tdax1.0 has two ranges" "$(cat $D1/mappings | tr '\n' ' ')" "0x180000000-0x1afffffff 0x0 0x1b0200000-0x1b81fffff 0x30000 "
is "mapping0: start end page_offset" "$(cat $D1/mapping0/start $D1/mapping0/end $D1/mapping0/page_offset | tr '\n' ' ')" "0x180000000 0x1afffffff 0x0 "
is "mapping1: start end page_offset" "$(cat $D1/mapping1/start $D1/mapping1/end $D1/mapping1/page_offset | tr '\n' ' ')" "0x1b0200000 0x1b81fffff 0x30000 "
is "bind the two-range tdax1.0" "$(sysfs_write $DRV/bind tdax1.0)" ok
trace_on tdax_fault
dt fault -o 768M /dev/tdax1.0 4M >/dev/null
dt fault -o 766M /dev/tdax1.0 2M >/dev/null
trace_off
t "file offset 768M maps the second range (phys 0x1b0200000)" grep -q "pgoff=0x30000 size=2M .*outcome=mapped reason=ok phys=0x1b0200000" $TR/trace
t "file offset 766M maps the end of the first range (phys 0x1afe00000)" grep -q "pgoff=0x2fe00 size=2M .*outcome=mapped reason=ok phys=0x1afe00000" $TR/trace
t "data across the two ranges" dt data /dev/tdax1.0 2M 939524096
sysfs_write $DRV/unbind tdax1.0 >/dev/null
sysfs_write $BUS/devices/tdax1.2/size 0 >/dev/null
sysfs_write $R/delete tdax1.2 >/dev/null
sysfs_write $R/delete tdax1.1 >/dev/null
is "tdax1.0 back to 1G in one range (shrink to 512M, grow)" "$(sysfs_write $D1/size 536870912; sysfs_write $D1/size 1073741824 >/dev/null; cat $D1/mappings)" "ok
0x180000000-0x1bfffffff 0x0"
t "mapping1 is gone" test ! -e $D1/mapping1
sysfs_write $DRV/bind tdax1.0 >/dev/null

# --- the provider goes away while mapped ---------------------------------------------
P2=$(basename "$(readlink -f $BUS/devices/tdax2.0/..)")	# hmem.2 (tdax_soft.2 from 6.4 on)
if hold_start /dev/tdax2.0 2M; then tap_ok "a process maps /dev/tdax2.0"; else tap_fail "a process maps /dev/tdax2.0"; fi
is "unbind $P2 from tdax_hmem while mapped" "$(sysfs_write /sys/bus/platform/drivers/tdax_hmem/unbind $P2)" ok
t "region 2 and tdax2.0 are gone" sh -c "! test -e /sys/bus/tdax/devices/tdax2.0 && ! test -e /sys/bus/platform/devices/$P2/tdax_region"
is "the mapping gets SIGBUS" "$(hold_finish)" sigbus
is "bind $P2 to tdax_hmem again" "$(sysfs_write /sys/bus/platform/drivers/tdax_hmem/bind $P2)" ok
t "tdax2.0 is back and faults" sh -c 'sleep 0.2; '$DT' fault /dev/tdax2.0 4M -e 2'

# --- align changes ------------------------------------------------------------
for a in 4096 1073741824 2097152; do
	t "tdax2.0 align $a through unbind/align/bind" set_dev tdax2.0 $a
	is "tdax2.0 align reads $a" "$(cat $BUS/devices/tdax2.0/align)" $a
	t "tdax2.0 maps at $a: 2 pieces fault twice" dt fault -s $a /dev/tdax2.0 $((2 * a < 1073741824 ? 2 * a : 1073741824)) -e $((a == 1073741824 ? 1 : 2))
done

# --- bus: uevent, modalias, new_id/remove_id -----------------------------------
t "uevent carries MODALIAS=tdax:t0" grep -qx MODALIAS=tdax:t0 $BUS/devices/tdax0.0/uevent
is "new_id 'garbage' is EINVAL" "$(sysfs_write $DRV/new_id garbage)" EINVAL
is "new_id tdax0.0" "$(sysfs_write $DRV/new_id tdax0.0)" ok
is "new_id tdax0.0 twice is EEXIST" "$(sysfs_write $DRV/new_id tdax0.0)" EEXIST
is "remove_id tdax0.0" "$(sysfs_write $DRV/remove_id tdax0.0)" ok
is "remove_id of an id never added is ENODEV" "$(sysfs_write $DRV/remove_id tdax0.0)" ENODEV
t "bad writes were logged with their reason" sh -c 'dmesg | grep -q "not a power of two" && dmesg | grep -q "unknown policy" && dmesg | grep -q "is bound to tdax_device, unbind it first"'

# --- bind/unbind churn, then a clean unload --------------------------------------
t "20 unbind/bind cycles of tdax3.0" sh -c 'for i in $(seq 20); do echo tdax3.0 > '$DRV'/unbind && echo tdax3.0 > '$DRV'/bind || exit 1; done'
t "rmmod of the whole stack" sh -c 'rmmod tdax_hmem && rmmod tdax_device && rmmod tdax'
done_testing
