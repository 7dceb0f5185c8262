#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Hostile input: garbage, huge and overflowing numbers and wrong names to
# every writable tdax sysfs file, and hostile mmap() arguments (offsets,
# lengths, flags) to /dev/tdaxR.N.  Each is refused with its errno and
# leaves the device working; refused sysfs writes log their reason.
# vm: --load --debug --timeout 600
set -u
. tests/guest/lib/tdax.sh
DS=build/tests/guest/daxstress
D1=$BUS/devices/tdax1.0
R=$D1/../tdax_region
HMEM=/sys/bus/platform/drivers/tdax_hmem
LONG=$(printf 'x%.0s' $(seq 300))

w() { # DESC FILE VALUE WANT
	is "$1: '$(printf '%.24s' "$3")' -> $4" "$(sysfs_write "$2" "$3")" "$4"
}

# --- a bound device ----------------------------------------------------------
w "size of a bound device" $D1/size 536870912 EBUSY
w "align of a bound device" $D1/align 4096 EBUSY
w "bind of a bound device" $DRV/bind tdax1.0 EBUSY
echo tdax1.0 > $DRV/unbind

# --- size -----------------------------------------------------------------------
w "size" $D1/size abc EINVAL
w "size" $D1/size -1 EINVAL
w "size" $D1/size 99999999999999999999999 ERANGE
w "size" $D1/size 4096 EINVAL
w "size" $D1/size 18446744073709551615 EINVAL
w "size" $D1/size 0xffffffffffe00000 ENOSPC
w "size" $D1/size 0x80000000 ENOSPC
w "size" $D1/size "$LONG" EINVAL
is "size unchanged by the refused writes" "$(cat $D1/size)" 1073741824
t "the refused unaligned size logged its reason" sh -c "dmesg | grep -q 'size 0x1000 is not a multiple of 0x200000'"

# --- align, fault_policy -----------------------------------------------------------
w "align" $D1/align 0 EINVAL
w "align" $D1/align 3 EINVAL
w "align" $D1/align 8192 EINVAL
w "align" $D1/align 0x10000000000000000 ERANGE
w "align" $D1/align junk EINVAL
w "fault_policy" $D1/fault_policy bogus EINVAL
w "fault_policy" $D1/fault_policy "$LONG" EINVAL
is "align unchanged" "$(cat $D1/align)" 2097152
is "tdax1.0 shrinks to 512M" "$(sysfs_write $D1/size 536870912)" ok
w "align 1G of a 512M device" $D1/align 1073741824 EINVAL
t "the refused align logged its reason" sh -c "dmesg | grep -q 'align: range .* is not aligned to 0x40000000'"

# --- create, delete ---------------------------------------------------------------
for v in 0 2 1abc -1 99999999999999999999 "$LONG"; do w "create" $R/create "$v" EINVAL; done
is "create makes the seed" "$(sysfs_write $R/create 1)" ok
is "seed is tdax1.1" "$(cat $R/seed)" tdax1.1
w "create a second seed" $R/create 1 ok
D2=$BUS/devices/tdax1.2
is "tdax1.2 takes the rest" "$(sysfs_write $D2/size 536870912)" ok
w "create with no space left" $R/create 1 ENOSPC
w "delete" $R/delete tdax9.9 ENODEV
w "delete" $R/delete ../../tdax1.1 ENODEV
w "delete" $R/delete "$LONG" EINVAL
w "delete" $R/delete "" ok
w "delete of device 0" $R/delete tdax1.0 EBUSY
w "delete of a sized device" $R/delete tdax1.2 EBUSY
t "the refused delete logged its reason" sh -c "dmesg | grep -q 'tdax1.2 has a size, write 0 to its size first'"
w "delete" $R/delete tdax1.1 ok
w "delete twice" $R/delete tdax1.1 ENODEV
w "size 0 of tdax1.2" $D2/size 0 ok
w "delete" $R/delete tdax1.2 ok
w "size back to 1G" $D1/size 1073741824 ok

# --- bind, unbind, new_id, remove_id ------------------------------------------------
w "bind" $DRV/bind nonexistent ENODEV
w "bind" $DRV/bind "$LONG" ENODEV
w "unbind" $DRV/unbind nonexistent ENODEV
for v in garbage tdax1.1x tdax1 "tdax1.1 tdax1.2" "$LONG" tdax99999999999999999999999.0; do
	w "new_id" $DRV/new_id "$v" EINVAL
done
w "new_id" $DRV/new_id tdax9.9 ok
w "new_id twice" $DRV/new_id tdax9.9 EEXIST
w "remove_id" $DRV/remove_id tdax9.9 ok
w "remove_id twice" $DRV/remove_id tdax9.9 ENODEV
w "remove_id" $DRV/remove_id "$LONG" ENODEV
w "provider bind" $HMEM/bind nonexistent ENODEV
# new_id attached the driver to every unbound device it matches: tdax1.0
is "tdax1.0 is bound after all that (new_id attached it)" "$(basename "$(readlink $D1/driver)")" tdax_device

# --- mmap ------------------------------------------------------------------------------
m() { # DESC LEN OFF FLAGS WANT
	is "mmap $1 (len $2 off $3 $4) -> $5" "$($DS mmap tdax3.0 "$2" "$3" "$4")" "$5"
}
m "control" 0x200000 0 shared ok
m "zero length" 0 0 shared EINVAL
m "unaligned length" 0x1000 0 shared EINVAL
m "page-unaligned offset" 0x200000 0x1001 shared EINVAL
m "2M-unaligned offset" 0x200000 0x1000 shared EINVAL
m "offset at the end" 0x200000 0x40000000 shared EINVAL
m "huge offset" 0x200000 0x4000000000000000 shared EINVAL
m "negative offset (pgoff wraps)" 0x200000 0xffffffffffe00000 shared EOVERFLOW
m "length beyond the address space" 0x800000000000 0 shared ENOMEM
m "length near 2^64" 0xffffffffffe00000 0 shared ENOMEM
m "past the end" 0x400000 0x3fe00000 shared ok
m "private" 0x200000 0 private EINVAL
m "private read-only" 0x200000 0 private,ro EINVAL
m "read-only shared" 0x200000 0 shared,ro ok
m "executable" 0x200000 0 shared,exec ok
m "MAP_SYNC" 0x200000 0 validate,sync ok
m "undefined flag, validated" 0x200000 0 validate,bogus EOPNOTSUPP
m "undefined flag, not validated" 0x200000 0 shared,bogus ok
m "MAP_FIXED 4K past 1G" 0x200000 0 shared,fixed EINVAL
t "tdax3.0 still faults and holds data" dt data /dev/tdax3.0 2M 8M
done_testing
