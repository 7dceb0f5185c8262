#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bpftrace.t - the tools/bpftrace scripts (built standalone into
# build/bpftrace/) on Debian's bpftrace, against workloads with known counts:
# fallbacks by reason and size, fault latency by size, refused mmaps with
# their caller, device and region lifetimes across a provider reload.
# vm: --load --timeout 900
set -u
. tests/guest/lib/tdax.sh
BT=build/bpftrace
LOAD=build/tests/bin/daxload
OUT=/tmp/bpftrace-t
mkdir -p $OUT
exec 3>&1

# bt_start NAME N: run build/bpftrace/NAME.bt with JSON output into $OUT/NAME.json;
# waits (bounded) until its N tracepoint probes are attached: bpftrace prints
# "attached_probes" before attaching and runs BEGIN first, so the test waits for
# the perf events holding its programs (bpftool perf).
bt_start() { # runs in the test's shell (sets BTPID)
	local i n
	bpftrace -f json "$BT/$1.bt" >"$OUT/$1.json" 2>"$OUT/$1.err" &
	BTPID=$!
	for i in $(seq 900); do
		n=$(bpftool perf list 2>/dev/null | grep -cE "^pid $BTPID +fd [0-9]+: prog_id [0-9]+ +tracepoint +tdax_")
		[ "$n" -ge "$2" ] && return 0
		kill -0 $BTPID 2>/dev/null || break
		sleep 0.2
	done
	echo "# bpftrace $1 did not attach its $2 probes ($n):"; sed 's/^/#   /' "$OUT/$1.err" | tail -n 10
	return 1
}
# stuck PID WHAT: a process that did not finish in time: its state and kernel
# stacks (every thread), the kernel log's tail; then SIGKILL, so the file goes
# on and fails instead of hanging until the guest's timeout.
stuck() {
	local t
	echo "# $2 (pid $1) did not finish: state and kernel stacks:"
	for t in /proc/$1/task/*; do
		echo "#   task ${t##*/}: $(cut -d' ' -f3 $t/stat 2>/dev/null) wchan $(cat $t/wchan 2>/dev/null)"
		sed 's/^/#     /' $t/stack 2>/dev/null | head -n 12
	done
	dmesg | tail -n 10 | sed 's/^/#   /'
	kill -KILL $1 2>/dev/null
} >&3	# the TAP stream, also when the caller's output goes to a file
# load ARGS...: build/tests/bin/daxload, bounded (120 s; a stall is reported)
load() {
	local pid i
	$LOAD "$@" &
	pid=$!
	for i in $(seq 1200); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $pid 2>/dev/null && stuck $pid "daxload $*"
	wait $pid
}
# bt_events NAME N: wait (bounded, 60 s) until bpftrace has written N printf
# events to its output. bpftrace 0.17 handles SIGINT by dropping the events it
# has not printed yet, and when one is pending it exits without printing its
# maps either; symbolizing a user stack takes it a second or more under TCG, so
# a script is stopped only once it has printed everything it was sent.
bt_events() {
	local i n
	for i in $(seq 600); do
		n=$(grep -c '^{"type": "printf"' "$OUT/$1.json")
		[ "$n" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "# bpftrace $1: $n of $2 printf events after 60 s" >&3
	return 1
}
# bt_stop NAME: SIGINT (bpftrace prints its maps and exits), wait; SIGINT once
# more after 30 s and SIGTERM (also a clean exit) after 60 s in case one was
# lost; a bpftrace still there after 120 s is reported. bpftrace's stderr when
# it failed.
bt_stop() {
	local rc i
	kill -INT $BTPID
	for i in $(seq 1200); do
		kill -0 $BTPID 2>/dev/null || break
		[ $i = 300 ] && { echo "# bpftrace $1: no exit 30 s after SIGINT, again" >&3; kill -INT $BTPID; }
		[ $i = 600 ] && { echo "# bpftrace $1: no exit 60 s after SIGINT, SIGTERM" >&3; kill -TERM $BTPID; }
		sleep 0.1
	done
	kill -0 $BTPID 2>/dev/null && stuck $BTPID "bpftrace $1 after SIGINT"
	wait $BTPID; rc=$?
	[ $rc = 0 ] || { echo "# bpftrace $1 exited $rc:"; tail -n 10 "$OUT/$1.err" | sed 's/^/#   /'; }
}

# jmap NAME MAP: the map's entries from the JSON output, one "key=value" per
# line, sorted (histograms: key=total count).
jmap() {
	python3 - "$OUT/$1.json" "$2" <<'PY'
import json, sys
out = []
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        if line.strip():
            print("# not JSON: %r" % line[:200], file=sys.stderr)
        continue
    if d.get("type") not in ("map", "hist") or sys.argv[2] not in d["data"]:
        continue
    m = d["data"][sys.argv[2]]
    if not isinstance(m, dict):
        m = {"": m}
    for k, v in m.items():
        if isinstance(v, list):
            v = sum(b["count"] for b in v)
        out.append("%s=%s" % (k, v))
print(" ".join(sorted(out)))
PY
}

t "bpftrace is installed (Debian's)" bpftrace --version
for s in tdax-fallbacks tdax-faultlat tdax-mmap-refused tdax-lifetimes; do
	t "$s.bt built, with a header comment" grep -q "^ \* $s.bt - " $BT/$s.bt
done

# --- fallbacks: 512 nohugepage (-N, 2M) + 1024 thp_disabled (-T, 4M), SIGBUS (strict)
bt_start tdax-fallbacks 1
is "tdax-fallbacks.bt attaches" $? 0
load -s 2M -N /dev/tdax1.0 >$OUT/fb1.out 2>&1
load -s 4M -T /dev/tdax1.0 >$OUT/fb2.out 2>&1
load -s 8M /dev/tdax0.0 >$OUT/fb3.out 2>&1	# 4 faults served at 2M: not counted
bt_stop tdax-fallbacks
is "fallbacks by reason and size" "$(jmap tdax-fallbacks @by_reason)" \
	"nohugepage,4K=512 thp_disabled,4K=1024"
STACKS=$(python3 - $OUT/tdax-fallbacks.json <<'PY'
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l) if l.strip() else {}
    if d.get("type") == "map" and "@fallbacks" in d["data"]:
        m = d["data"]["@fallbacks"]
        keys = [k for k in m if k.startswith("daxload,")]
        print(len(keys) > 0 and all(",\n" in k or "\n" in k for k in keys), sum(m[k] for k in keys))
PY
)
is "fallbacks by process with a user stack: all 1536 from daxload" "$STACKS" "True 1536"

# --- latency: tdax2.0 at 4K (256 faults for 1M), tdax0.0 at 2M (8 for 16M), 512 SIGBUS
t "tdax2.0: align 4K" set_dev tdax2.0 4096
bt_start tdax-faultlat 2
is "tdax-faultlat.bt attaches" $? 0
load -s 1M /dev/tdax2.0 >$OUT/lat1.out 2>&1
load -s 16M /dev/tdax0.0 >$OUT/lat2.out 2>&1
load -s 2M -N /dev/tdax1.0 >$OUT/lat3.out 2>&1
bt_stop tdax-faultlat
is "latency histograms: faults per mapped size" "$(jmap tdax-faultlat @latency_ns)" "2M=8 4K=256"
is "mapped counts per size" "$(jmap tdax-faultlat @mapped)" "2M=8 4K=256"
is "not mapped: the 512 SIGBUS faults" "$(jmap tdax-faultlat @not_mapped | tr ' ' '\n' | grep '^sigbus')" "sigbus,4K=512"
NZ=$(python3 - $OUT/tdax-faultlat.json <<'PY'
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l) if l.strip() else {}
    if d.get("type") == "hist":
        print(all(b.get("min", 0) > 0 for v in d["data"]["@latency_ns"].values() for b in v))
PY
)
is "latency_ns is measured while traced (no bucket at 0)" "$NZ" True

# --- refused mmaps: 3 MAP_PRIVATE, one unaligned length, one unaligned offset
bt_start tdax-mmap-refused 1
is "tdax-mmap-refused.bt attaches" $? 0
load -s 2M -P 3 /dev/tdax1.0 >$OUT/mm1.out 2>&1
is "daxtest: length 2M+4K is EINVAL" "$(dt mmap /dev/tdax0.0 $((2097152 + 4096)) 0 shared)" EINVAL
is "daxtest: offset 4K is EINVAL" "$(dt mmap /dev/tdax0.0 2097152 4096 shared)" EINVAL
is "daxtest: an aligned mmap works (not reported)" "$(dt mmap /dev/tdax0.0 2097152 0 shared)" ok
bt_events tdax-mmap-refused 6	# the header, 5 refusals
bt_stop tdax-mmap-refused
is "refused mmaps by caller and reason" "$(jmap tdax-mmap-refused @refused)" \
	"daxload,not_shared=3 daxtest,len_unaligned=1 daxtest,pgoff_unaligned=1"
LINES=$(python3 - $OUT/tdax-mmap-refused.json <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    d = json.loads(l) if l.strip() else {}
    if d.get("type") == "printf" and ("not_shared" in d["data"] or "_unaligned" in d["data"]):
        n += 1
print(n)
PY
)
is "one line per refused mmap" "$LINES" 5
STACKS=$(python3 - $OUT/tdax-mmap-refused.json <<'PY'
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l) if l.strip() else {}
    if d.get("type") == "map" and "@stacks" in d["data"]:
        m = d["data"]["@stacks"]
        print(sorted(set(k.split(",")[0] for k in m)), all("\n" in k for k in m), sum(m.values()))
PY
)
is "refused mmaps by caller, reason and user stack" "$STACKS" "['daxload', 'daxtest'] True 5"

# --- lifetimes: unload and reload the provider (4 regions, each with its device)
bt_start tdax-lifetimes 4
is "tdax-lifetimes.bt attaches" $? 0
t "rmmod tdax_hmem" rmmod tdax_hmem
t "tdax_hmem loaded again (tests/vm/load)" sh tests/vm/load
bt_events tdax-lifetimes 17	# the header, 16 lifetime events
bt_stop tdax-lifetimes
is "lifetime events" "$(jmap tdax-lifetimes @events)" \
	"dev_create=4 dev_destroy=4 region_create=4 region_destroy=4"
is "device lifetimes histogram: 4 destroyed devices" "$(jmap tdax-lifetimes @dev_lifetime_ms)" "=4"
is "region lifetimes histogram: 4 destroyed regions" "$(jmap tdax-lifetimes @region_lifetime_ms)" "=4"
done_testing
