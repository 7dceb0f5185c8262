#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# daxtop-overhead.sh - what attaching daxtop costs (run in the guest:
#   tests/vm/run --load --timeout 1800 -- sh tests/bench/daxtop-overhead.sh
# or `make bench`).
#
# 1. Fault-in of 1 GiB touched at 4K stride on a 4K, a 2M and a 1G device,
#    without and with daxtop attached (daxtop -b 1 >/dev/null), REPS runs
#    each after a warm-up; prints the medians and the ratio with/without.
# 2. daxtop's own CPU time (user+sys, from /proc) per second of wall time,
#    idle and under a 4K fault storm (daxload -L), and the BPF programs' run
#    time per event (kernel.bpf_stats_enabled).
# Figures, not pass/fail: docs/performance.md records them.
set -u
DAXTOP=build/bin/daxtop
LOAD=build/tests/bin/daxload
REPS=${REPS:-5}
STORM=${STORM:-10}
BUS=/sys/bus/tdax
HZ=$(getconf CLK_TCK)

set_dev() { # DEV ALIGN
	echo "$1" > $BUS/devices/$1/driver/unbind
	echo "$2" > $BUS/devices/$1/align
	echo "$1" > $BUS/drivers/tdax_device/bind
}

wait_attached() {
	i=0
	while [ $i -lt 300 ]; do
		n=$(grep -l '^link_type' /proc/$1/fdinfo/* 2>/dev/null | wc -l)
		[ "$n" -ge 8 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "daxtop did not attach" >&2
	exit 1
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# one fault-in of 1 GiB at 4K stride: elapsed seconds
faultin() {
	$LOAD -s 1G -t 4K "/dev/$1" | sed -n 's/.*elapsed_ns=\([0-9]*\).*/\1/p' |
		awk '{ printf "%.4f\n", $1 / 1e9 }'
}

cpu_ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }

set_dev tdax0.0 4096
set_dev tdax2.0 1073741824
echo "# warm-up (first touch of guest memory is slow under TCG)"
for d in tdax0.0 tdax1.0 tdax2.0; do $LOAD -q -s 1G -t 4K /dev/$d; done

# Modes are interleaved in each round so that load from outside the guest
# (other VMs on the host) hits them alike:
#   none    nothing attached
#   tp      the tracepoint alone (perf stat counting tdax:tdax_fault, no BPF):
#           the driver measures fault latency while the event is enabled
#   daxtop  daxtop -b 1 attached
R=/tmp/bench-runs
: >$R
r=0
while [ $r -lt "$REPS" ]; do
	for d in tdax0.0 tdax1.0 tdax2.0; do echo "none $d $(faultin $d)" >>$R; done
	perf stat -e tdax:tdax_fault -a -o /tmp/bench-perf.txt &
	PERF=$!
	sleep 2
	for d in tdax0.0 tdax1.0 tdax2.0; do echo "tp $d $(faultin $d)" >>$R; done
	kill -INT $PERF
	wait $PERF
	$DAXTOP -b 1 >/dev/null 2>&1 &
	DT=$!
	wait_attached $DT
	for d in tdax0.0 tdax1.0 tdax2.0; do echo "daxtop $d $(faultin $d)" >>$R; done
	kill -INT $DT
	wait $DT
	r=$((r + 1))
done
med() { awk -v m=$1 -v d=$2 '$1 == m && $2 == d { print $3 }' $R | median; }

echo
echo "Fault-in of 1 GiB at 4K stride, median of $REPS interleaved rounds (s)"
printf '%-5s %-8s %7s %9s %9s %9s %7s %7s\n' ALIGN DEVICE FAULTS "NOTHING" "TP ONLY" "DAXTOP" "TP/NO" "DT/NO"
for x in "4K tdax0.0 262144" "2M tdax1.0 512" "1G tdax2.0 1"; do
	set -- $x
	a=$(med none $2) t=$(med tp $2) b=$(med daxtop $2)
	printf '%-5s %-8s %7s %9s %9s %9s %7s %7s\n' $1 $2 $3 $a $t $b \
		$(awk "BEGIN { printf \"%.3f\", $t / $a }") $(awk "BEGIN { printf \"%.3f\", $b / $a }")
done
echo "(TP ONLY: perf stat counting tdax:tdax_fault, no BPF; DAXTOP: daxtop -b 1 attached)"
echo "guest clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"

$DAXTOP -b 1 >/dev/null 2>&1 &
DT=$!
wait_attached $DT
echo
sysctl -q -w kernel.bpf_stats_enabled=1
t0=$(cpu_ticks $DT)
sleep $STORM
t1=$(cpu_ticks $DT)
idle=$(awk "BEGIN { printf \"%.4f\", ($t1 - $t0) / $HZ / $STORM }")

$DAXTOP -J --cumulative -n 1 $STORM >/tmp/bench-storm.json 2>&1 &
DJ=$!
wait_attached $DJ
t0=$(cpu_ticks $DT)
out=$($LOAD -L $STORM -s 64M -t 4K /dev/tdax0.0)
t1=$(cpu_ticks $DT)
wait $DJ
storm=$(awk "BEGIN { printf \"%.4f\", ($t1 - $t0) / $HZ / $STORM }")
faults=$(echo "$out" | sed -n 's/.*touches=\([0-9]*\).*/\1/p')
ns=$(echo "$out" | sed -n 's/.*elapsed_ns=\([0-9]*\).*/\1/p')
echo "daxtop CPU time per second (user+sys, interval 1): idle $idle s/s, 4K storm $storm s/s"
echo "4K storm: $faults faults in $(awk "BEGIN { printf \"%.2f\", $ns / 1e9 }") s = $(awk "BEGIN { printf \"%.0f\", $faults / ($ns / 1e9) }") faults/s"
python3 - /tmp/bench-storm.json <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
h = d["health"]
runs = h["bpf_run_count"]
# run time of this collector's programs (the batch daxtop runs its own copy too)
print("BPF programs: %d runs, %.0f ns per run, events lost %d, maps full %d"
      % (runs, h["bpf_run_ns"] / runs if runs else 0, h["events_lost"],
         sum(m["full"] for m in h["maps"].values())))
PY
sysctl -q -w kernel.bpf_stats_enabled=0
kill -INT $DT
wait $DT
