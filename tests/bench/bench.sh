#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# bench.sh - the whole benchmark of issue #14 in ONE guest boot (run by
# `make bench`, one guest per kernel; by hand:
#   tests/vm/run --load --timeout 2400 -- sh tests/bench/bench.sh OUTDIR
# after `make check-build` and `make -C driver notrace KDIR=...`).
#
# Writes OUTDIR/runs.tsv (one measurement a line, tab-separated; the format
# is described in tests/bench/report.py, which turns it into the table,
# results.json and the plots on the host).  Figures, not pass/fail.
#
# A. Fault-in of SIZE (1G) read at 4K stride, after a warm-up, on 4K-, 2M-
#    and 1G-aligned devices, REPS rounds.  Each round, on guest RAM (up to
#    6.3 soft-reserved hmem.1 for tdax, hmem.2 for in-tree; from 6.4 on, see
#    setup_intree):
#      intree     /dev/daxR.N of the in-tree device_dax (hmem.2)
#      tdax       tdax, tracepoints compiled in, none enabled (fault_around 1)
#      fa16       tdax with fault_around 16 (4K only)
#      daxtop     daxtop -b 1 attached
#      both       daxtop and daxcollect attached
#      daxcollect daxcollect -i 1 attached, scraped every second
#      notrace    the modules built with TDAX_TRACE=0 (reloaded for it)
#    intree/tdax/fa16 rotate their order each round; the watched modes and
#    the no-trace build follow in that order (attaching costs seconds).
# B. Collector scaling on the ranges= region (RAM reserved with memmap=$):
#    1, 16 and 64 devices (16M each; hmem.0/1 unbound from tdax_hmem) and
#    PROCS live processes that each faulted one of them (daxprocs), idle and
#    under a 4K fault storm (daxload -L): daxtop (-b 1) and daxcollect
#    (-i 1, scraped every second) CPU % and RSS, and the snapshot time of
#    the collector library (snapbench, one snapshot a second).
#
# Environment: BENCH_QUICK=1 (one round of 256M (1G devices: 1G), shorter windows, fewer
# processes: a smoke run of a few minutes), REPS, SIZE, WINDOW (seconds per
# collector measurement), PROCS ("10 1000" by default), DEVS ("1 16 64").
set -u
# --calibrate: seconds of a fixed user-space loop (awk), run in the guest and
# on the host: their ratio is the TCG slowdown of plain user code, which
# report.py uses to put the guest's CPU % in proportion (an estimate).
calibrate() {
	t0=$(date +%s%N)
	awk 'BEGIN { for (i = 0; i < 2000000; i++) s += i * 2 }'
	t1=$(date +%s%N)
	awk "BEGIN { printf \"%.3f\\n\", ($t1 - $t0) / 1e9 }"
}
[ "${1:-}" = --calibrate ] && { calibrate; exit 0; }
OUT=${1:?usage: bench.sh OUTDIR}
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	REPS=${REPS:-1} INNER=${INNER:-2} SIZE=${SIZE:-256M} WINDOW=${WINDOW:-4} PROCS=${PROCS:-10 100} DEVS=${DEVS:-1 16}
else
	REPS=${REPS:-5} INNER=${INNER:-3} SIZE=${SIZE:-1G} WINDOW=${WINDOW:-10} PROCS=${PROCS:-10 1000} DEVS=${DEVS:-1 16 64}
fi
B=build/bin
T=build/tests/bin
CMP=$T/daxcmp LOAD=$T/daxload SNAP=$T/snapbench PROCBIN=$T/daxprocs
REL=$(uname -r)
NOTRACE=build/kmod-notrace/$REL/driver
TRACED=$(tests/vm/load --dir)
BUS=/sys/bus/tdax
HZ=$(getconf CLK_TCK)
R=$OUT/runs.tsv
TDAX_BASE=0x180000000	# hmem.1 (up to 6.3; from 6.4 on the ranges= region)
RANGE_BASE=0x280000000	# ranges= of tests/vm/load
HMEM=hmem.2		# the in-tree driver's (up to 6.3)
PIDS=""

die() { echo "bench: $*" >&2; stop_all; exit 1; }
log() { echo "bench: $(date +%T) $*"; }
rec() { printf '%s\n' "$*" | tr ' ' '\t' >> $R; }

for f in $CMP $LOAD $SNAP $PROCBIN $B/daxtop $B/daxcollect $B/tdaxctl "$NOTRACE/tdax.ko"; do
	[ -e "$f" ] || { echo "bench: $f missing (make bench builds it)" >&2; exit 1; }
done
mkdir -p "$OUT" && : > $R || { echo "bench: cannot write $R" >&2; exit 1; }

wait_for() { # SECONDS CMD... : poll until CMD succeeds
	n=$(($1 * 10)); shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1)); [ $n -le 0 ] && return 1
		sleep 0.1
	done
}

# the tdax device whose first range starts at PHYS (names move on reloads)
dev_at() {
	for d in $BUS/devices/tdax*; do
		[ "$(cat $d/resource 2>/dev/null)" = "$1" ] && { basename $d; return 0; }
	done
	return 1
}

attached() { # PID: its 8 BPF links are up
	[ "$(grep -l '^link_type' /proc/$1/fdinfo/* 2>/dev/null | wc -l)" -ge 8 ]
}

cpu_ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
# PID has finished starting: used under 0.1 s of CPU in the last second.
# Its tdax links are up before it is done: with the in-tree device_dax
# loaded the tools go on to load the stock source (the kernel verifying its
# programs), 3.5-5 s of CPU under TCG on 6.1 (2026-12-03).  The guest's
# vCPUs share one TCG thread, so that work landed in the first measurement
# after attach: "daxtop / unwatched" 4K read 2.5-3.3 instead of 1.3-1.4.
settled() {
	n=60
	while [ $n -gt 0 ]; do
		a=$(cpu_ticks $1); sleep 1; b=$(cpu_ticks $1)
		[ $((b - a)) -lt $((HZ / 10 + 1)) ] && return 0
		n=$((n - 1))
	done
	log "warning: $1 still busy after 60 s"
}

# --source tdax: the in-tree device_dax is loaded for the comparison runs,
# and a tool that also watches it loads a private program set (the stock
# source is not shared): the tdax tools of one host share one set
# (docs/design.md), and the "both" runs measure that.
start_daxtop() {
	$B/daxtop --source tdax -b 1 >/dev/null 2>&1 &
	DT=$!; PIDS="$PIDS $DT"
	wait_for 60 attached $DT || die "daxtop did not attach"
	settled $DT
}
start_daxcollect() {
	$B/daxcollect --source tdax -i 1 -l 127.0.0.1:9477 >/dev/null 2>/tmp/bench-dc.err &
	DC=$!; PIDS="$PIDS $DC"
	wait_for 60 attached $DC || die "daxcollect did not attach: $(cat /tmp/bench-dc.err)"
	settled $DC
	( while :; do curl -s -o /dev/null http://127.0.0.1:9477/metrics; sleep 1; done ) &
	SCR=$!; PIDS="$PIDS $SCR"
}
stop_pid() { [ -n "${1:-}" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null; }
stop_all() {
	for p in $PIDS; do kill $p 2>/dev/null; done
	for p in $PIDS; do wait $p 2>/dev/null; done
	PIDS=""
}

# --- the in-tree driver ---------------------------------------------------------
# Up to 6.3 the kernel makes one hmem.N platform device per soft-reserved
# range: hmem.2 goes to the in-tree hmem driver (driver_override), tdax keeps
# hmem.1.  From 6.4 on one hmem_platform device stands for all of them
# (tdax_hmem then adds tdax_soft.N): hmem_platform.0 goes to the in-tree
# driver, which makes its own hmem.0..2 and dax devices, and tdax keeps the
# ranges= region (RAM reserved with memmap=$: guest RAM all the same).
claim_for() { # PLATFORM-DEVICE DRIVER
	P=/sys/bus/platform/devices/$1
	[ "$(readlink $P/driver 2>/dev/null | sed 's,.*/,,')" = "$2" ] && return 0
	echo $2 > $P/driver_override || die "cannot set driver_override of $1"
	[ -e $P/driver ] && { echo $1 > $P/driver/unbind || die "cannot unbind $1"; }
	modprobe device_dax || die "modprobe device_dax failed"
	modprobe dax_hmem || die "modprobe dax_hmem failed"
	[ -e $P/driver ] || echo $1 > /sys/bus/platform/drivers/$2/bind ||
		die "cannot bind $1 to the in-tree $2 driver"
}
# the in-tree dax device whose range starts at PHYS
intree_at() {
	for d in /sys/bus/dax/devices/dax*; do
		[ "$(cat $d/resource 2>/dev/null)" = "$1" ] && { basename $d; return 0; }
	done
	return 1
}
setup_intree() {
	if [ -e /sys/bus/platform/devices/$HMEM ] || [ ! -e /sys/bus/platform/devices/hmem_platform.0 ]; then
		claim_for $HMEM hmem
		IDEV=$(ls -d /sys/devices/platform/$HMEM/dax*.* 2>/dev/null | sed -n 's,.*/,,;1p')
	else
		claim_for hmem_platform.0 hmem_platform
		wait_for 20 intree_at 0x200000000 >/dev/null
		IDEV=$(intree_at 0x200000000)
		TDAX_BASE=$RANGE_BASE
		rec info layout "in-tree on soft-reserved 0x200000000 (hmem_platform), tdax on ranges= $RANGE_BASE"
	fi
	[ -n "$IDEV" ] || die "in-tree dax_hmem made no daxR.N"
	wait_for 10 test -c /dev/$IDEV || die "/dev/$IDEV did not appear"
	set_intree $(cat /sys/bus/dax/devices/$IDEV/align)	# bound to device_dax
}
set_intree() { # ALIGN (bytes)
	D=/sys/bus/dax/devices/$IDEV
	[ "$(cat $D/align)" = "$1" ] && [ "$(readlink $D/driver | sed 's,.*/,,')" = device_dax ] &&
		return 0
	[ -e $D/driver ] && { echo $IDEV > $D/driver/unbind || die "cannot unbind $IDEV"; }
	echo "$1" > $D/align || die "cannot set $IDEV align $1"
	# from 6.3 on, soft-reserved dax devices match only kmem by default:
	# new_id makes device_dax match this one (and may bind it already)
	echo $IDEV > /sys/bus/dax/drivers/device_dax/new_id 2>/dev/null
	[ -e $D/driver ] || echo $IDEV > /sys/bus/dax/drivers/device_dax/bind ||
		die "cannot bind $IDEV to device_dax"
	wait_for 10 test -c /dev/$IDEV || die "/dev/$IDEV did not appear"
}
set_tdax() { # DEV ALIGN FAULT_AROUND
	D=$BUS/devices/$1
	[ "$(cat $D/align)" = "$2" ] && [ "$(cat $D/fault_around 2>/dev/null || echo 1)" = "$3" ] &&
		[ -e $D/driver ] && return 0
	[ -e $D/driver ] && { echo $1 > $D/driver/unbind || die "cannot unbind $1"; }
	echo "$2" > $D/align || die "cannot set $1 align $2"
	if [ -e $D/fault_around ]; then
		echo "$3" > $D/fault_around || die "cannot set $1 fault_around $3"
	elif [ "$3" != 1 ]; then
		die "$1 has no fault_around attribute"
	fi
	echo $1 > $BUS/drivers/tdax_device/bind || die "cannot bind $1"
	wait_for 10 test -c /dev/$1 || die "/dev/$1 did not appear"
}

# Reload the tdax modules from DIR (nothing may be attached). hmem.2 stays
# with the in-tree driver (driver_override).
reload() {
	for m in tdax_hmem tdax_device tdax; do
		grep -q "^$m " /proc/modules && { rmmod $m || die "rmmod $m failed"; }
	done
	insmod $1/tdax.ko || die "insmod $1/tdax.ko failed"
	insmod $1/tdax_device.ko || die "insmod $1/tdax_device.ko failed"
	insmod $1/tdax_hmem.ko ranges=$RANGE_BASE:1G || die "insmod $1/tdax_hmem.ko failed"
	wait_for 20 dev_at $TDAX_BASE >/dev/null || die "no tdax device at $TDAX_BASE after loading $1"
	TDEV=$(dev_at $TDAX_BASE)
	wait_for 10 test -c /dev/$TDEV || die "/dev/$TDEV did not appear"
}

bytes() { case $1 in 4K) echo 4096 ;; 2M) echo 2097152 ;; 1G) echo 1073741824 ;; esac; }

# one fault-in: ALIGN MODE DEV ROUND -> "fault" lines.  At 2M and 1G (a few
# faults, the time is mostly touching mapped memory: 10-50 ms, noisy) INNER
# runs, of which report.py takes the fastest of the round.
faultin() {
	sz=$SIZE n=1
	[ $1 = 1G ] && sz=1G	# a mapping must be a multiple of the alignment
	[ $1 = 4K ] || n=$INNER
	while [ $n -gt 0 ]; do
		out=$($CMP fault -s $sz -t 4K /dev/$3) || die "$CMP fault /dev/$3 failed"
		v=$(echo "$out" | sed -n 's/^faults=\([0-9]*\) elapsed_ns=\([0-9]*\).*/\1 \2/p')
		[ -n "$v" ] || die "unexpected daxcmp output: $out"
		rec fault $1 $2 $4 $(echo $v | awk '{ printf "%.5f %d", $2 / 1e9, $1 }')
		n=$((n - 1))
	done
}

# tdax on ALIGN with the current module build: MODE ROUND [FA]
tdax_run() { # ALIGN MODE ROUND FAULT_AROUND
	set_tdax $TDEV $(bytes $1) $4
	faultin $1 $2 $TDEV $3
}

# ============================================================================
log "kernel $REL, $REPS rounds of $SIZE, traced modules $TRACED, no-trace $NOTRACE"
rec info kernel $REL
rec info guest_date "$(date -u +%Y-%m-%dT%H:%MZ)"	# the host date: make bench adds it
rec info size $SIZE
rec info reps $REPS
rec info quick ${BENCH_QUICK:-0}
rec info clocksource "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
rec info cpus "$(nproc)"
rec info calib_guest_s "$(calibrate)"

setup_intree
TDEV=$(dev_at $TDAX_BASE) || die "no tdax device at $TDAX_BASE (run with tests/vm/run --load)"
[ -e $BUS/devices/$TDEV/fault_around ] || die "$TDEV has no fault_around attribute"
log "in-tree /dev/$IDEV, tdax /dev/$TDEV"
rec info intree_dev $IDEV
rec info tdax_dev $TDEV
# warm-up: the first write to guest memory makes QEMU allocate it
$CMP fault -w -s $SIZE -t 4K /dev/$IDEV >/dev/null || die "warm-up of /dev/$IDEV failed"
$CMP fault -w -s $SIZE -t 4K /dev/$TDEV >/dev/null || die "warm-up of /dev/$TDEV failed"

r=0
while [ $r -lt "$REPS" ]; do
	log "round $((r + 1))/$REPS"
	for A in 4K 2M 1G; do
		set_intree $(bytes $A)
		case $A in 4K) modes="intree tdax fa16" ;; *) modes="intree tdax" ;; esac
		# rotate the order of the unwatched modes
		i=0
		while [ $i -lt $((r % 3)) ]; do modes="${modes#* } ${modes%% *}"; i=$((i + 1)); done
		for m in $modes; do
			case $m in
			intree) faultin $A intree $IDEV $r ;;
			tdax) tdax_run $A tdax $r 1 ;;
			fa16) tdax_run $A fa16 $r 16 ;;
			esac
		done
	done
	start_daxtop
	for A in 4K 2M 1G; do tdax_run $A daxtop $r 1; done
	start_daxcollect
	for A in 4K 2M 1G; do tdax_run $A both $r 1; done
	stop_pid $DT
	for A in 4K 2M 1G; do tdax_run $A daxcollect $r 1; done
	stop_all
	reload $NOTRACE
	[ -d /sys/kernel/tracing/events/tdax ] && die "the no-trace build still has tdax events"
	for A in 4K 2M 1G; do tdax_run $A notrace $r 1; done
	reload $TRACED
	r=$((r + 1))
done

# ============================================================================
# B. collector scaling
log "collector scaling: devices $DEVS, processes $PROCS, ${WINDOW}s windows"
for h in hmem.0 hmem.1; do
	[ "$(readlink /sys/bus/platform/devices/$h/driver 2>/dev/null | sed 's,.*/,,')" = tdax_hmem ] &&
		{ echo $h > /sys/bus/platform/drivers/tdax_hmem/unbind || die "cannot unbind $h from tdax_hmem"; }
done
SDEV=$(dev_at $RANGE_BASE) || die "no tdax device at $RANGE_BASE"
REG=${SDEV%%.*}; REG=${REG#tdax}
$B/tdaxctl reconfigure-device $SDEV -s 16M -a 4K >/dev/null 2>/tmp/bench-ctl.err ||
	die "cannot shrink $SDEV to 16M: $(cat /tmp/bench-ctl.err)"
wait_for 10 test -c /dev/$SDEV || die "/dev/$SDEV did not appear"
ndevs() { ls -d $BUS/devices/tdax* | wc -l; }
devlist() { for d in $BUS/devices/tdax*; do [ -c /dev/${d##*/} ] && echo /dev/${d##*/}; done; }

rss_kib() { awk '/^VmRSS:/ { print $2 }' /proc/$1/status; }

# one window: NDEVS NPROCS LOAD(idle|storm)
measure() {
	s0=$(wc -l < /tmp/bench-snap.out)
	a0=$(cpu_ticks $DT) b0=$(cpu_ticks $DC) t0=$(date +%s.%N)
	if [ $3 = storm ]; then
		st=$($LOAD -L $WINDOW -s 16M -t 4K /dev/$SDEV) || die "storm on /dev/$SDEV failed"
	else
		sleep $WINDOW
	fi
	a1=$(cpu_ticks $DT) b1=$(cpu_ticks $DC) t1=$(date +%s.%N)
	wall=$(awk "BEGIN { print $t1 - $t0 }")
	rec coll $1 $2 $3 daxtop $(awk "BEGIN { printf \"%.3f\", ($a1 - $a0) * 100 / $HZ / $wall }") $(rss_kib $DT)
	rec coll $1 $2 $3 daxcollect $(awk "BEGIN { printf \"%.3f\", ($b1 - $b0) * 100 / $HZ / $wall }") $(rss_kib $DC)
	tail -n +$((s0 + 1)) /tmp/bench-snap.out | awk -v d=$1 -v p=$2 -v l=$3 '
		/^snap / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			print "snap", d, p, l, v["ns"], v["devs"] + v["procs"] + v["faults"], v["changed"], v["cpu_ns"] }' |
		tr ' ' '\t' >> $R
	if [ $3 = storm ]; then
		t=$(echo "$st" | sed -n 's/.*touches=\([0-9]*\).*/\1/p')
		ns=$(echo "$st" | sed -n 's/.*elapsed_ns=\([0-9]*\).*/\1/p')
		rec storm $1 $2 $(awk "BEGIN { printf \"%.0f\", $t / ($ns / 1e9) }")
	fi
}

for nd in $DEVS; do
	while [ "$(ndevs)" -lt "$nd" ]; do
		$B/tdaxctl create-device -r $REG -s 16M -a 2M >/dev/null 2>/tmp/bench-ctl.err ||
			die "cannot create device $(($(ndevs) + 1)) in region $REG: $(cat /tmp/bench-ctl.err)"
	done
	[ "$(ndevs)" -eq "$nd" ] || die "$(ndevs) devices present, wanted $nd"
	wait_for 30 test "$(devlist | wc -l)" -eq "$nd" || die "not all $nd device nodes appeared"
	for np in $PROCS; do
		log "  $nd devices, $np processes"
		# fresh collectors for each configuration: rows from this one only
		$SNAP -i 1 -m 16384 > /tmp/bench-snap.out 2>/tmp/bench-snap.err &
		SB=$!; PIDS="$PIDS $SB"
		wait_for 60 grep -q ready /tmp/bench-snap.out || die "snapbench: $(cat /tmp/bench-snap.err)"
		start_daxtop
		start_daxcollect
		$PROCBIN -n $np $(devlist | grep -v "/dev/$SDEV\$" || echo /dev/$SDEV) > /tmp/bench-procs.out 2>&1 &
		PP=$!; PIDS="$PIDS $PP"
		wait_for 600 grep -q ready /tmp/bench-procs.out || die "daxprocs -n $np: $(cat /tmp/bench-procs.out)"
		sleep 2	# a snapshot or two with the new rows before measuring
		measure $nd $np idle
		measure $nd $np storm
		stop_all
	done
done
log "done: $R"
exit 0
