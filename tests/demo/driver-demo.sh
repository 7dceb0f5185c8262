#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Driver part of `make demo` (runs in the guest after tests/vm/load):
# lists regions and devices from sysfs, then runs a small workload under
# `perf trace -e 'tdax:*'` so every fault shows its size, outcome and reason.
cd "$(dirname "$0")/../.." || exit 1
DT=build/tests/guest/daxtest
BUS=/sys/bus/tdax
DRV=$BUS/drivers/tdax_device

banner() { printf '\n=== %s ===\n' "$*"; }

banner "regions (tdax_region/ on each provider device)"
printf '  %-8s %-18s %-12s %-10s %-10s %s\n' region provider start size align available
for r in /sys/devices/platform/*/tdax_region; do
	[ -d "$r" ] || continue
	p=$(basename "$(dirname "$r")")
	printf '  %-8s %-18s %-12s %-10s %-10s %s\n' "$(cat $r/id)" "$p" \
		"$(cat "$(dirname "$r")"/tdax*.0/resource)" "$(( $(cat $r/size) >> 20 ))M" \
		"$(( $(cat $r/align) >> 10 ))K" "$(( $(cat $r/available_size) >> 20 ))M"
done

banner "devices (/sys/bus/tdax/devices)"
printf '  %-9s %-7s %-8s %-10s %-9s %-12s %s\n' device dev size align policy driver node
for d in $BUS/devices/*; do
	n=$(basename "$d")
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	printf '  %-9s %-7s %-8s %-10s %-9s %-12s /dev/%s\n' "$n" "$(cat $d/dev)" \
		"$(( $(cat $d/size) >> 20 ))M" "$(( $(cat $d/align) >> 10 ))K" \
		"$(cat $d/fault_policy)" "${drv:-(none)}" "$n"
done

banner "tdax1.0 -> align 4K, tdax2.0 -> align 1G, tdax3.0 -> fault_policy fallback"
for spec in "tdax1.0 4096 strict" "tdax2.0 1073741824 strict" "tdax3.0 2097152 fallback"; do
	set -- $spec
	echo "$1" > $DRV/unbind
	echo "$2" > $BUS/devices/$1/align
	echo "$3" > $BUS/devices/$1/fault_policy
	echo "$1" > $DRV/bind
	echo "  $1: align $(cat $BUS/devices/$1/align), fault_policy $(cat $BUS/devices/$1/fault_policy)"
done

trace() { # DESCRIPTION FILTER CMD...: the events of CMD, FILTER (grep -E) picks lines
	d=$1 f=$2
	shift 2
	banner "$d"
	echo "  \$ perf trace --no-syscalls --libtraceevent_print -e 'tdax:*' -- $*"
	perf trace --no-syscalls --libtraceevent_print -e 'tdax:*' -- "$@" > /tmp/demo-trace.out 2>&1
	grep -E "$f" /tmp/demo-trace.out | awk '!seen[$0 ~ /tdax_fault/ ? $0 ~ /larger_than_align/ ? "l" : "f" : $0]++ || NR < 6' |
		head -n 6 | sed -e 's/^/  /' -e 's/\(.\{200\}\).*/\1.../'
	n=$(grep -c 'tdax:tdax_fault' /tmp/demo-trace.out)
	echo "  ($n tdax_fault events in all)"
}

trace "2M device: 8M in 4 faults of 2M" . $DT fault /dev/tdax0.0 8M
trace "4K device: 2M attempts fall back (larger_than_align), faults map 4K" \
	"tdax_mmap|size=2M|size=4K" $DT fault /dev/tdax1.0 8M
trace "1G device: one 1G fault" . $DT fault /dev/tdax2.0 1G
trace "strict policy + MADV_NOHUGEPAGE: SIGBUS, reason nohugepage" . $DT fault -n /dev/tdax0.0 2M
trace "fallback policy + MADV_NOHUGEPAGE: served at 4K, reason nohugepage" . \
	$DT fault -n /dev/tdax3.0 2M
trace "mmap refusals: MAP_PRIVATE, then an offset not aligned to 2M" . \
	sh -c "$DT mmap /dev/tdax0.0 2M 0 private; $DT mmap /dev/tdax0.0 2M 4K shared"

banner "perf stat -e tdax:tdax_fault: 64M on the 2M device (32 faults at 2M, plus PUD attempts that fall back)"
perf stat -e tdax:tdax_fault -- $DT fault /dev/tdax0.0 64M 2>&1 | grep -E 'minflt|tdax_fault' | sed 's/^/  /'

for spec in "tdax1.0 2097152 strict" "tdax2.0 2097152 strict" "tdax3.0 2097152 strict"; do
	set -- $spec
	echo "$1" > $DRV/unbind
	echo "$2" > $BUS/devices/$1/align
	echo "$3" > $BUS/devices/$1/fault_policy
	echo "$1" > $DRV/bind
done
exit 0
