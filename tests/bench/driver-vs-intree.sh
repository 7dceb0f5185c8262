#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# driver-vs-intree.sh - tdax next to the in-tree device_dax, in one guest boot:
#   tests/vm/run --load --timeout 1800 -- sh tests/bench/driver-vs-intree.sh
# (or `make bench`; run on the host, the script boots that guest itself).
#
# Set-up: tests/vm/load gave hmem.0..2 to tdax_hmem.  hmem.2 is handed to the
# in-tree drivers (driver_override "hmem", unbind from tdax_hmem, modprobe
# device_dax dax_hmem) and becomes /dev/dax2.0; tdax keeps hmem.1 as
# /dev/tdax1.0.  Both are 1 GiB of soft-reserved guest RAM on a 1G-aligned
# address.  The alignment of both is changed through sysfs (unbind, write
# align, bind: /sys/bus/dax/... and /sys/bus/tdax/...).
#
# 1. For 4K, 2M and 1G alignment: fault-in of 1 GiB touched (read) at 4K
#    stride, after a warm-up pass, REPS interleaved rounds (order rotating) of
#      in-tree   /dev/dax2.0
#      tdax      /dev/tdax1.0, no tracing
#      tdax+tp   /dev/tdax1.0 with tdax:tdax_fault enabled in tracefs (the
#                tracepoint writing to the ftrace ring buffer, and the
#                driver's per-fault latency measurement it turns on)
#    Prints median and minimum time, faults (getrusage minor faults across
#    the touch loop), events written (tdax+tp), µs per fault and tdax/in-tree.
# 2. The correctness contrast on 2M devices: an aligned MAP_FIXED address
#    with file offset 4K.  The in-tree driver accepts it and maps other data
#    than the file offset names; tdax refuses the mmap with EINVAL.
#
# Figures, not pass/fail: docs/performance.md records them.  Exits 0 when it
# ran; non-zero, with one line saying what, when something could not be set up.
set -u
REPS=${REPS:-5}
SRC=tests/bench/daxcmp.c
CMP=build/tests/bin/daxcmp
TDEV=tdax1.0
HMEM=hmem.2
TR=/sys/kernel/tracing

die() { echo "driver-vs-intree: $*" >&2; exit 1; }

build_helper() {
	if [ ! -x $CMP ] || [ $SRC -nt $CMP ]; then
		mkdir -p "$(dirname $CMP)" &&
			cc -O2 -g -Wall -Wextra -o $CMP $SRC || die "cannot build $CMP from $SRC"
	fi
}

[ -f $SRC ] || die "run me from the repository root"
# On the host: build the helper here (fast), then run this script in a guest.
if [ "${TDAX_GUEST:-}" != 1 ]; then
	build_helper
	exec tests/vm/run --load --timeout 1800 -- sh "$0" "$@"
fi
build_helper

# --- set-up ------------------------------------------------------------------
[ -c /dev/$TDEV ] || die "/dev/$TDEV missing (run with tests/vm/run --load)"
[ -d $TR/events/tdax/tdax_fault ] || die "no tdax:tdax_fault in $TR"
if [ "$(readlink /sys/bus/platform/devices/$HMEM/driver 2>/dev/null | sed 's,.*/,,')" != hmem ]; then
	echo hmem > /sys/bus/platform/devices/$HMEM/driver_override ||
		die "cannot set driver_override of $HMEM"
	if [ -e /sys/bus/platform/devices/$HMEM/driver ]; then
		echo $HMEM > /sys/bus/platform/devices/$HMEM/driver/unbind ||
			die "cannot unbind $HMEM from $(readlink /sys/bus/platform/devices/$HMEM/driver)"
	fi
	modprobe device_dax || die "modprobe device_dax failed"
	modprobe dax_hmem || die "modprobe dax_hmem failed"
	[ -e /sys/bus/platform/devices/$HMEM/driver ] ||
		echo $HMEM > /sys/bus/platform/drivers/hmem/bind ||
		die "cannot bind $HMEM to the in-tree hmem driver"
fi
IDEV=$(ls -d /sys/devices/platform/$HMEM/dax*.* 2>/dev/null | sed -n 's,.*/,,;1p')
[ -n "$IDEV" ] || die "in-tree dax_hmem made no daxR.N under $HMEM"
i=0
while [ ! -c /dev/$IDEV ]; do
	i=$((i + 1))
	[ $i -gt 50 ] && die "/dev/$IDEV did not appear (driver: $(readlink /sys/bus/dax/devices/$IDEV/driver || echo none))"
	sleep 0.1
done

set_tdax() { # ALIGN
	D=/sys/bus/tdax/devices/$TDEV
	[ -e $D/driver ] && { echo $TDEV > $D/driver/unbind || die "cannot unbind $TDEV"; }
	echo "$1" > $D/align || die "cannot set $TDEV align $1"
	echo $TDEV > /sys/bus/tdax/drivers/tdax_device/bind || die "cannot bind $TDEV"
	wait_node $TDEV
}

set_intree() { # ALIGN (the in-tree align_store also refuses while bound)
	D=/sys/bus/dax/devices/$IDEV
	[ -e $D/driver ] && { echo $IDEV > $D/driver/unbind || die "cannot unbind $IDEV"; }
	echo "$1" > $D/align || die "cannot set $IDEV align $1"
	echo $IDEV > /sys/bus/dax/drivers/device_dax/bind || die "cannot bind $IDEV to device_dax"
	[ "$(cat $D/align)" = "$1" ] || die "$IDEV align is $(cat $D/align), wanted $1"
	wait_node $IDEV
}

wait_node() {
	i=0
	while [ ! -c /dev/$1 ]; do
		i=$((i + 1))
		[ $i -gt 50 ] && die "/dev/$1 did not appear"
		sleep 0.1
	done
}

# events written to the ftrace ring buffer since it was cleared
tr_events() {
	cat $TR/per_cpu/cpu*/stats | awk '/^entries:/ || /^overrun:/ { n += $2 } END { print n + 0 }'
}

# one run: MODE DEVICE -> "MODE faults seconds events"
run() {
	ev=-
	if [ "$1" = tdax+tp ]; then
		: > $TR/trace
		echo 1 > $TR/events/tdax/tdax_fault/enable || die "cannot enable tdax:tdax_fault"
	fi
	out=$($CMP fault -s 1G -t 4K /dev/$2) || die "$CMP fault /dev/$2 failed"
	if [ "$1" = tdax+tp ]; then
		echo 0 > $TR/events/tdax/tdax_fault/enable
		ev=$(tr_events)
	fi
	echo "$out" | awk -v m="$1" -v e="$ev" '{
		split($1, f, "="); split($2, t, "=");
		printf "%s %s %.4f %s\n", m, f[2], t[2] / 1e9, e }'
}

R=/tmp/driver-vs-intree.runs
: > $R
echo "# in-tree: /dev/$IDEV ($HMEM, $(sed -n 1p /sys/bus/dax/devices/$IDEV/mapping0/start 2>/dev/null || cat /sys/bus/dax/devices/$IDEV/resource)); tdax: /dev/$TDEV; $REPS rounds"
for A in 4K 2M 1G; do
	case $A in 4K) B=4096 ;; 2M) B=2097152 ;; 1G) B=1073741824 ;; esac
	set_intree $B
	set_tdax $B
	# warm-up: the first write to guest memory makes QEMU allocate it
	$CMP fault -w -s 1G -t 4K /dev/$IDEV >/dev/null || die "warm-up of /dev/$IDEV failed"
	$CMP fault -w -s 1G -t 4K /dev/$TDEV >/dev/null || die "warm-up of /dev/$TDEV failed"
	r=0
	while [ $r -lt "$REPS" ]; do
		# the order rotates each round, so no mode always follows the same one
		case $((r % 3)) in
		0) order="in-tree tdax tdax+tp" ;;
		1) order="tdax tdax+tp in-tree" ;;
		2) order="tdax+tp in-tree tdax" ;;
		esac
		for m in $order; do
			case $m in in-tree) d=$IDEV ;; *) d=$TDEV ;; esac
			echo "$A $(run $m $d)" >> $R
		done
		r=$((r + 1))
	done
	if [ $A = 2M ]; then
		MIS_IN=$($CMP misalign -a 2M /dev/$IDEV) || die "misalign check on /dev/$IDEV failed"
		: > $TR/trace
		echo 1 > $TR/events/tdax/tdax_mmap/enable || die "cannot enable tdax:tdax_mmap"
		MIS_TD=$($CMP misalign -a 2M /dev/$TDEV) || die "misalign check on /dev/$TDEV failed"
		echo 0 > $TR/events/tdax/tdax_mmap/enable
		WHY=$(grep -o 'result=-[0-9]* reason=[a-z_]*' $TR/trace | tail -n 1)
	fi
done

# --- report -------------------------------------------------------------------
col() { # ALIGN MODE FIELD -> values
	awk -v a="$1" -v m="$2" -v f="$3" '$1 == a && $2 == m { print $f }' $R | sort -n
}
median() { awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo
echo "Fault-in of 1 GiB read at 4K stride after warm-up; median (and minimum) of $REPS interleaved rounds"
printf '%-5s %-17s %7s %8s %9s %9s %9s %7s %7s\n' ALIGN DRIVER FAULTS EVENTS "TIME(s)" "MIN(s)" "us/FAULT" "/INTREE" "MIN/MIN"
for A in 4K 2M 1G; do
	base=$(col $A in-tree 4 | median)
	bmin=$(col $A in-tree 4 | sed -n 1p)
	for M in in-tree tdax tdax+tp; do
		t=$(col $A $M 4 | median)
		mn=$(col $A $M 4 | sed -n 1p)
		f=$(col $A $M 3 | median)
		e=$(col $A $M 5 | median)
		case $M in in-tree) name="in-tree $IDEV" ;; tdax) name="tdax $TDEV" ;; *) name="tdax+tracepoint" ;; esac
		printf '%-5s %-17s %7s %8s %9s %9s %9s %7s %7s\n' $A "$name" $f $e $t $mn \
			$(awk "BEGIN { printf \"%.2f\", $f ? $t * 1e6 / $f : 0 }") \
			$(awk "BEGIN { printf \"%.2f\", $t / $base }") \
			$(awk "BEGIN { printf \"%.2f\", $mn / $bmin }")
	done
done
echo "(FAULTS: minor faults of the touch loop (getrusage); EVENTS: tdax_fault records"
echo " written to the ftrace buffer, including fallback attempts; us/FAULT: TIME/FAULTS,"
echo " which at 2M and 1G is mostly the 262144 touches of mapped memory; /INTREE: median"
echo " time over the in-tree median; MIN/MIN: the same with the fastest runs, the least"
echo " disturbed by other load on the host)"
echo "all runs (s), in round order:"
for A in 4K 2M 1G; do
	for M in in-tree tdax tdax+tp; do
		printf '  %-3s %-8s %s\n' $A $M "$(awk -v a=$A -v m=$M '$1 == a && $2 == m { printf "%s ", $4 }' $R)"
	done
done
t4=$(col 4K tdax 4 | median) p4=$(col 4K tdax+tp 4 | median) e4=$(col 4K tdax+tp 5 | median)
echo "tracepoint + latency measurement at 4K: $(awk "BEGIN { printf \"%.2f\", ($p4 - $t4) * 1e6 / $e4 }") us per event (median difference / events)"
echo "guest clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"

echo
echo "Correctness: 2M devices, MAP_FIXED at a 2M-aligned address, file offset 4K (512 pages)"
echo "  in-tree $IDEV: $MIS_IN"
echo "  tdax $TDEV:  $MIS_TD"
nw=$(echo "$MIS_IN" | sed -n 's/.* wrong=\([0-9]*\).*/\1/p')
nd=$(echo "$MIS_IN" | sed -n 's/.* rounded_down=\([0-9]*\).*/\1/p')
case "$MIS_IN" in
mmap=refused*) echo "  -> in-tree: refused the mmap too" ;;
*) if [ "${nw:-0}" -gt 0 ]; then
	echo "  -> in-tree: mmap succeeds and $nw of 512 pages show other data than the file offset names ($nd show the data of the 2M-rounded-down offset)"
   else
	echo "  -> in-tree: mmap succeeds and all 512 pages are right"
   fi ;;
esac
case "$MIS_TD" in
"mmap=refused errno=EINVAL") echo "  -> tdax: refused with EINVAL (tdax_mmap event: ${WHY:-none seen})" ;;
*) echo "  -> tdax: NOT refused: $MIS_TD" ;;
esac
exit 0
