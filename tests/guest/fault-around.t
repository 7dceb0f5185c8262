#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# fault_around (4K fault-around, opt-in per device): the attribute's rules,
# exactly LEN/4K/N faults for N pages around, windows clipped to the vma and
# to the device's end, read and write faults, the fallback policy on a 2M
# device, data written through fault-around mappings read back through plain
# 4K mappings and the reverse, pages mapped only by fault-around gone after
# unbind, and the tdax_fault tracepoint's count of pages mapped around.
# vm: --load --timeout 300
set -u
. tests/guest/lib/tdax.sh

D=$BUS/devices/tdax1.0
set_fa() { # DEV N: unbind, write fault_around, bind
	echo "$1" > $DRV/unbind && echo "$2" > $BUS/devices/$1/fault_around && echo "$1" > $DRV/bind
}

is "fault_around defaults to 1 (off)" "$(cat $D/fault_around)" 1
is "fault_around while bound is EBUSY" "$(sysfs_write $D/fault_around 16)" EBUSY
echo tdax1.0 > $DRV/unbind
for bad in 0 3 1024 x -1; do
	is "fault_around '$bad' is EINVAL" "$(sysfs_write $D/fault_around "$bad")" EINVAL
done
is "fault_around beyond 32 bits is ERANGE" "$(sysfs_write $D/fault_around 4294967296)" ERANGE
t "the kernel log names the reason" sh -c "dmesg | grep -q 'fault_around: 3 is not a power of two from 1 to 512'"
is "fault_around 512 (unbound) is taken" "$(sysfs_write $D/fault_around 512)" ok
is "it reads back" "$(cat $D/fault_around)" 512
echo 4096 > $D/align && echo 16 > $D/fault_around && echo tdax1.0 > $DRV/bind

# 4K device, 16 pages around
t "4K, around 16: 64M written in 1024 faults (16384 pages)" dt fault /dev/tdax1.0 64M -e 1024
t "4K, around 16: 16M read in 256 faults" dt fault /dev/tdax1.0 16M -r -e 256
t "4K, around 16: 12K (3 pages) in 1 fault: clipped to the vma" dt fault /dev/tdax1.0 12K -e 1
t "4K, around 16: 128K at offset 4K in 3 faults (windows of the file's 16-page groups)" \
	dt fault /dev/tdax1.0 128K -o 4K -e 3
# (counted by the tracepoint: delivering SIGBUS may fault in a stack page)
trace_on tdax_fault
out=$(dt fault /dev/tdax1.0 64K -o $((1073741824 - 8192)))
trace_off
is "4K, around 16: 64K at 8K before the end: SIGBUS at the end (offset 8K)" "${out#* }" "sigbus=1 at=0x2000"
is "  the first fault maps the device's last 2 pages (around=1), never past the end" \
	"$(trace_lines | grep -c 'pgoff=0x3fffe size=4K .*outcome=mapped reason=ok phys=0x1bfffe000 .*around=1$')" 1
is "  the next fault is at the end: SIGBUS beyond_device" \
	"$(trace_lines | grep 'size=4K' | grep -c 'pgoff=0x40000 size=4K .*outcome=sigbus reason=beyond_device')" 1
is "  and nothing else faulted at 4K" "$(trace_lines | grep -c 'size=4K')" 2

# the tracepoint counts the pages mapped around
trace_on tdax_fault
dt fault /dev/tdax1.0 64K -e 1 >/dev/null
dt fault /dev/tdax1.0 12K -e 1 >/dev/null
trace_off
t "tdax_fault records around=15 for a full window" grep -q "size=4K .*outcome=mapped reason=ok .*around=15" $TR/trace
t "tdax_fault records around=2 for a 3-page vma" grep -q "size=4K .*outcome=mapped reason=ok .*around=2$" $TR/trace

# data: written with fault-around, read without it, and the reverse
t "tags written through fault-around mappings (64M)" dt tags /dev/tdax1.0 64M write 0x5eed
t "fault_around 1" set_fa tdax1.0 1
t "read back through plain 4K faults: every page its own" dt tags /dev/tdax1.0 64M check 0x5eed
t "4K, around 1: 16M in 4096 faults (upstream behaviour)" dt fault /dev/tdax1.0 16M -e 4096
t "tags written through plain 4K faults" dt tags /dev/tdax1.0 64M write 0xfeed
t "fault_around 512" set_fa tdax1.0 512
t "read back through 512-page windows: every page its own" dt tags /dev/tdax1.0 64M check 0xfeed
t "4K, around 512: 64M in 32 faults (one page table each)" dt fault /dev/tdax1.0 64M -e 32

# pages mapped only by fault-around are zapped at unbind
t "fault_around 16" set_fa tdax1.0 16
rm -f /tmp/fa-hold
dt around /dev/tdax1.0 /tmp/fa-hold >/tmp/fa.out &
pid=$!
for i in $(seq 300); do [ -e /tmp/fa-hold ] && break; sleep 0.1; done
echo tdax1.0 > $DRV/unbind
rm -f /tmp/fa-hold
wait $pid
is "page 15 mapped with page 0; after unbind it is SIGBUS" "$(cat /tmp/fa.out)" "faults=1,0 after=sigbus"
echo tdax1.0 > $DRV/bind

# a 2M device: strict never maps 4K; the fallback policy maps 4K with around
t "tdax0.0: fault_around 16 on a 2M strict device" set_fa tdax0.0 16
t "2M strict: 8M in 4 faults (fault_around unused at 2M)" dt fault /dev/tdax0.0 8M -e 4
# (minflt not compared: delivering SIGBUS may fault in a stack page)
out=$(dt fault /dev/tdax0.0 2M -n)
is "2M strict: a MADV_NOHUGEPAGE 4K fault is still SIGBUS, at the first page" "${out#* }" "sigbus=1 at=0"
echo tdax0.0 > $DRV/unbind && echo fallback > $BUS/devices/tdax0.0/fault_policy && echo tdax0.0 > $DRV/bind
t "2M fallback + nohugepage: 4M in 64 faults (16 pages each)" dt fault /dev/tdax0.0 4M -n -e 64
done_testing
