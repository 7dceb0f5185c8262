#!/bin/bash
# vm: --load --timeout 500
# SPDX-License-Identifier: GPL-2.0-only
#
# daxtop-identity.t - numbers you can alert on, with ground truth:
#  - a device deleted and re-created under the same name (and a device of
#    another region that got the freed minor in between) while daxtop and
#    daxcollect run: each instance is its own row / series, the new one
#    starts at zero, the old ones keep their final counts, per-interval
#    reports never show a dead instance's counts as new;
#  - pid reuse (forced with ns_last_pid) starts a new process row; an exited
#    process is reported once with its final counts, then folded into the
#    device's "exited" row; comm is the process's, not the faulting thread's;
#  - 99 ranges served at 2M and 1 served at 4K read >= 99 % byte coverage
#    and the default alert (byte coverage) stays quiet, while 1 good range
#    and 99 fallen back read 1 % and fire it.
set -u
. tests/guest/lib/tdax.sh
DAXTOP=${DAXTOP:-build/bin/daxtop}
DC=${DAXCOLLECT:-build/bin/daxcollect}
LOAD=build/tests/bin/daxload
OUT=/tmp/daxtop-identity
PORT=9477
mkdir -p $OUT
ip link set lo up 2>/dev/null

wait_attached() { # PID: its 8 BPF links (one per tdax tracepoint)
	local i n
	for i in $(seq 300); do
		n=$(grep -l '^link_type' /proc/$1/fdinfo/* 2>/dev/null | wc -l)
		[ "$n" -ge 8 ] && return 0
		sleep 0.1
	done
	return 1
}
wait_for() { # SECS CMD...
	local end=$(( $(date +%s) + $1 ))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.5
	done
}
scrape() { curl -s --max-time 10 http://127.0.0.1:$PORT/metrics; }
# PYEXPR over the JSON documents of FILE: d (the last), docs (all: only the
# lines that contain PATTERN, when given; the documents pile up).  Only
# complete lines: a document longer than daxtop's stdio buffer (8K) reaches
# the file in pieces, and a read between two of them sees half a line.
jq_() {
	python3 -c '
import json, sys
lines = open(sys.argv[1]).read().split("\n")[:-1]
d = json.loads(lines[-1])
pat = sys.argv[3] if len(sys.argv) > 3 else None
docs = [json.loads(l) for l in lines if l.strip() and (pat is None or pat in l)] if "docs" in sys.argv[2] else []
print(eval(sys.argv[2]))' "$@" 2>&1
}
ndocs() { wc -l <"$1"; }
# wait until daxtop wrote 2 more documents than now (so it saw what happened)
settle() { local n; n=$(ndocs "$1"); wait_for 30 sh -c "[ \$(wc -l <$1) -ge $((n + 2)) ]"; }

# The default alert rules, windows shortened, actions into files.
sed -e 's/window: 5m/window: 10s/; s/for: 1m/for: 2s/' \
    -e "s|json: /var/log/daxcollect/alerts.jsonl|json: $OUT/alerts.jsonl|; s|log: syslog|log: stderr|" \
	tools/daxcollect/alerts.example.yaml >$OUT/rules.yaml
t "daxcollect accepts the shortened default rules" $DC --check-rules -r $OUT/rules.yaml

$DAXTOP -J --cumulative 1 >$OUT/cum.json 2>$OUT/cum.err &
CPID=$!
$DAXTOP -J 1 >$OUT/iv.json 2>&1 &
IPID=$!
$DC --listen localhost:$PORT -r $OUT/rules.yaml --interval 1 >$OUT/dc.log 2>&1 &
DCPID=$!
t "daxtop --cumulative attached" wait_attached $CPID
t "daxtop (per interval) attached" wait_attached $IPID
t "daxcollect --listen localhost:$PORT serves and is attached" \
	wait_for 30 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"

# ---- identity: delete and re-create ----------------------------------------------
R3=$BUS/devices/tdax3.0/../tdax_region
R2=$BUS/devices/tdax2.0/../tdax_region
for d in tdax3.0 tdax2.0; do
	echo $d > $DRV/unbind
	echo $((512 << 20)) > $BUS/devices/$d/size
	echo $d > $DRV/bind
done
mkdev() { # REGION_DIR: create a 256M device, bind it, print its name
	local n
	echo 1 > $1/create
	n=$(cat $1/create)
	echo $((256 << 20)) > $BUS/devices/$n/size
	echo $n > $DRV/bind
	for i in $(seq 50); do [ -c /dev/$n ] && break; sleep 0.1; done
	echo $n
}
deldev() { # NAME REGION_DIR
	echo $1 > $DRV/unbind
	echo 0 > $BUS/devices/$1/size
	echo $1 > $2/delete
}
A=$(mkdev $R3)
is "a new device tdax3.1" "$A" tdax3.1
DEV_A=$(cat $BUS/devices/$A/dev)
$LOAD -q -s 16M /dev/$A		# 8 faults at 2M
settle $OUT/cum.json
scrape >$OUT/s1.prom
deldev $A $R3
B=$(mkdev $R2)
is "a device of another region gets the freed minor" "$B $(cat $BUS/devices/$B/dev)" "tdax2.1 $DEV_A"
$LOAD -q -s 4M /dev/$B		# 2 faults
deldev $B $R2
C=$(mkdev $R3)
is "tdax3.1 re-created, same dev_t again" "$C $(cat $BUS/devices/$C/dev)" "tdax3.1 $DEV_A"
settle $OUT/cum.json
scrape >$OUT/s2.prom
$LOAD -q -s 8M /dev/$C		# 4 faults
settle $OUT/cum.json
settle $OUT/iv.json
scrape >$OUT/s3.prom

rows() { # NAME: (present, retired, hits, mmaps) of every instance of NAME, oldest first
	jq_ $OUT/cum.json "[(x['present'], x['retired'], x['hits'], x['mmaps']) for x in sorted(d['devices'], key=lambda x: x['instance']) if x['name'] == '$1']"
}
is "daxtop: tdax3.1 twice: the old instance keeps its 8, the new one counts its own 4" \
	"$(rows tdax3.1)" "[(False, True, 8, 1), (True, False, 4, 1)]"
is "daxtop: tdax2.1 (same dev_t in between) has its own 2, nothing inherited" \
	"$(rows tdax2.1)" "[(False, True, 2, 1)]"
is "daxtop: three instances, three ids, all on one dev_t" \
	"$(jq_ $OUT/cum.json "(len(set(x['instance'] for x in d['devices'] if x['name'] in ('tdax3.1', 'tdax2.1'))), sorted(set(x['dev'] for x in d['devices'] if x['name'] in ('tdax3.1', 'tdax2.1'))))")" \
	"(3, ['$DEV_A'])"
# per interval: the sums are the three workloads, no interval ever shows more than one
is "daxtop per interval: hits of tdax3.1 add up to 8 + 4, of tdax2.1 to 2" \
	"$(jq_ $OUT/iv.json "(sum(x['hits'] for dd in docs for x in dd['devices'] if x['name'] == 'tdax3.1'), sum(x['hits'] for dd in docs for x in dd['devices'] if x['name'] == 'tdax2.1'))")" \
	"(12, 2)"
is "daxtop per interval: no interval shows a dead instance's counts as new" \
	"$(jq_ $OUT/iv.json "max([x['hits'] for dd in docs for x in dd['devices'] if x['name'] in ('tdax3.1', 'tdax2.1')] + [0]) <= 8")" True
IA=$(jq_ $OUT/cum.json "min(x['instance'] for x in d['devices'] if x['name'] == 'tdax3.1')")
IC=$(jq_ $OUT/cum.json "max(x['instance'] for x in d['devices'] if x['name'] == 'tdax3.1')")
IB=$(jq_ $OUT/cum.json "[x['instance'] for x in d['devices'] if x['name'] == 'tdax2.1'][0]")
hits() { awk -v k="tdax_fault_hits_total{device=\"$2\",device_instance=\"$3\"}" '$1 == k { print $2 }' $1; }
is "daxcollect: tdax3.1 instance $IA: 8 hits while it lived" "$(hits $OUT/s1.prom tdax3.1 $IA)" 8
is "daxcollect: after its deletion the old series keeps its final 8" "$(hits $OUT/s2.prom tdax3.1 $IA)" 8
is "daxcollect: tdax2.1 instance $IB: its own 2" "$(hits $OUT/s2.prom tdax2.1 $IB)" 2
is "daxcollect: the re-created tdax3.1 (instance $IC) is a new series at zero before its first fault" \
	"$(hits $OUT/s2.prom tdax3.1 $IC)" 0
is "daxcollect: the re-created tdax3.1 counts from zero: 4" "$(hits $OUT/s3.prom tdax3.1 $IC)" 4
is "daxcollect: the old tdax3.1 series still 8" "$(hits $OUT/s3.prom tdax3.1 $IA)" 8
is "daxcollect: tdax_device_info lists only the live tdax3.1" \
	"$(grep -c "^tdax_device_info{device=\"tdax3.1\"" $OUT/s3.prom) $(grep -c "^tdax_device_info{device=\"tdax3.1\",device_instance=\"$IC\"" $OUT/s3.prom)" "1 1"

# ---- processes: pid reuse, exited, comm ------------------------------------------
$LOAD -s 4M /dev/tdax1.0 >$OUT/p1.out	# 2 faults at 2M
P=$(sed -n 's/^pid=\([0-9]*\).*/\1/p' $OUT/p1.out)
settle $OUT/cum.json
# the same pid again: the kernel hands out ns_last_pid + 1
for i in 1 2 3 4 5; do
	echo $((P - 1)) > /proc/sys/kernel/ns_last_pid
	$LOAD -s 8M /dev/tdax1.0 >$OUT/p2.out	# 4 faults
	[ "$(sed -n 's/^pid=\([0-9]*\).*/\1/p' $OUT/p2.out)" = "$P" ] && break
	settle $OUT/cum.json
done
is "the second daxload got the same pid $P" "$(sed -n 's/^pid=\([0-9]*\).*/\1/p' $OUT/p2.out)" "$P"
# a thread with its own name faults: the row's comm is the process's
cat >$OUT/thread.py <<'PY'
import ctypes, mmap, os, threading
libc = ctypes.CDLL(None)
def work():
    libc.prctl(15, b"dax-worker", 0, 0, 0)	# PR_SET_NAME: this thread only
    fd = os.open("/dev/tdax0.0", os.O_RDWR)
    m = mmap.mmap(fd, 1 << 20, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
    for i in range(0, 1 << 20, 4096):
        m[i]
    m.close()
    os.close(fd)
t = threading.Thread(target=work)
t.start()
t.join()
print(os.getpid())
PY
t "tdax0.0 set to align 4K" set_dev tdax0.0 4096
TP=$(python3 $OUT/thread.py)
settle $OUT/cum.json
settle $OUT/cum.json
# every (pid, start) row as last reported, not the exited aggregate
prow() { # PID DEVICE
	jq_ $OUT/cum.json "sorted(set((p['start_ns'], p['hits'], p['alive'], p['comm']) for dd in docs for p in dd['processes'] if p['pid'] == $1 and p['device'] == '$2' and not p['alive']))" "\"pid\":$1,"
}
is "pid $P reused: two rows (two start times), each its own final hits, exited" \
	"$(prow $P tdax1.0 | python3 -c 'import sys, ast; r = ast.literal_eval(sys.stdin.read()); print([(h, a, c) for s, h, a, c in r], len(set(s for s, *_ in r)))')" \
	"[(2, False, 'daxload'), (4, False, 'daxload')] 2"
is "exited processes are folded: no row of their own in the last document" \
	"$(jq_ $OUT/cum.json "[p['pid'] for p in d['processes'] if p['pid'] in ($P, $TP)]")" "[]"
is "the exited row of tdax1.0 holds both: 6 hits" \
	"$(jq_ $OUT/cum.json "[p['hits'] for p in d['processes'] if p['exited'] and p['device'] == 'tdax1.0']")" "[6]"
is "comm is the process's (python3), not the faulting thread's (dax-worker)" \
	"$(prow $TP tdax0.0 | python3 -c 'import sys, ast; print([(h, c) for s, h, a, c in ast.literal_eval(sys.stdin.read())])')" \
	"[(256, 'python3')]"

# ---- byte coverage and the default alert ------------------------------------------
t "tdax2.0: fallback policy" set_dev tdax2.0 2097152 fallback
t "tdax3.0: fallback policy" set_dev tdax3.0 2097152 fallback
: >$OUT/alerts.jsonl
# tdax2.0: 99 ranges at 2M, 1 range served as 512 4K faults
$LOAD -q -s 198M /dev/tdax2.0
$LOAD -q -s 2M -N /dev/tdax2.0
# tdax3.0: 1 range at 2M, 99 ranges at 4K
$LOAD -q -s 2M /dev/tdax3.0
$LOAD -q -s 198M -N /dev/tdax3.0
settle $OUT/cum.json
cov() { # NAME: (hits, misses, byte_coverage, hit_ratio) of the present instance
	jq_ $OUT/cum.json "[(x['hits'], x['misses'], x['byte_coverage'], x['hit_ratio']) for x in d['devices'] if x['name'] == '$1' and x['present']]"
}
is "99 good + 1 fallen-back range: byte coverage 99 % (hit rate by faults 16 %)" \
	"$(cov tdax2.0)" "[(99, 512, 0.99, $(python3 -c 'print(round(99 / 611, 6))'))]"
is "1 good + 99 fallen-back ranges: byte coverage 1 %" \
	"$(cov tdax3.0)" "[(1, 50688, 0.01, $(python3 -c 'print(round(1 / 50689, 6))'))]"
t "the default alert fires for the mostly fallen-back device" \
	wait_for 60 grep -q '"alert":"TdaxLowByteCoverage","state":"firing".*"device":"tdax3.0"' $OUT/alerts.jsonl
# it resolves once the 10 s window holds no more faults; by then the window of
# the well covered device has been evaluated all along
t "and resolves when the workload is over" \
	wait_for 60 grep -q '"alert":"TdaxLowByteCoverage","state":"resolved".*"device":"tdax3.0"' $OUT/alerts.jsonl
is "the default alert stayed quiet for the 99 % device" \
	"$(grep -c '"alert":"TdaxLowByteCoverage".*"device":"tdax2.0"' $OUT/alerts.jsonl)" 0
scrape >$OUT/s4.prom
# the stock-kernel rule of the same file: tdax refuses misaligned offsets
is "the default TdaxWrongMemory rule stayed quiet on tdax devices" \
	"$(grep -c '"alert":"TdaxWrongMemory"' $OUT/alerts.jsonl) $(grep -cx 'tdax_collector_alerts_firing{alert="TdaxWrongMemory",severity="critical"} 0' $OUT/s4.prom)" "0 1"
is "daxcollect: tdax2.0 bytes mapped 200M, at the alignment 198M" \
	"$(awk '$1 ~ /^tdax_fault_(mapped|aligned)_bytes_total\{device="tdax2.0",/ { printf "%s ", $2 }' $OUT/s4.prom)" \
	"209715200 207618048 "

kill -INT $CPID $IPID
wait $CPID
is "daxtop exits 0" $? 0
wait $IPID
is "daxtop wrote nothing on stderr" "$(cat $OUT/cum.err)" ""
is "no map full, no event lost" \
	"$(jq_ $OUT/cum.json "(sum(m['full'] for m in d['health']['maps'].values()), d['health']['events_lost'])")" "(0, 0)"
kill -TERM $DCPID
wait $DCPID
is "daxcollect: SIGTERM exits 0" $? 0

# --- a device's first records racing the snapshots -------------------------------
# The first records of four devices race the reports (every 100 ms), fifteen
# times over (a daxtop each): every row of every report is a named, live device, never a
# retired "dev:0:0" (a row first seen in a map read before the mmap_counts /
# fault_counts that name it was once retired as gone), and the counts are exact.
race_done() { [ -s $OUT/race.json ] && [ "$(jq_ $OUT/race.json "sorted((x['name'], x['mmaps']) for x in d['devices'] if x['mmaps'])")" = "[('tdax0.0', 1), ('tdax1.0', 1), ('tdax2.0', 1), ('tdax3.0', 1)]" ]; }
bad=0
for i in $(seq 15); do
	$DAXTOP -J --cumulative 0.1 >$OUT/race.json 2>$OUT/race.err &
	RPID=$!
	if ! wait_attached $RPID; then
		bad=$((bad + 1))
		echo "#   iteration $i: daxtop did not attach: $(cat $OUT/race.err)"
		kill -INT $RPID 2>/dev/null
		wait $RPID
		break
	fi
	for d in 1 0 2 3; do $LOAD -q -s 4M /dev/tdax$d.0; done
	wait_for 30 race_done
	kill -INT $RPID
	wait $RPID
	r=$(jq_ $OUT/race.json "(sorted(set(x['name'] for dd in docs for x in dd['devices'] if x['retired'] or not x['present'])), [(x['hits'], x['mmaps']) for x in d['devices'] if x['name'] == 'tdax1.0'], sum(x['mmaps'] for x in d['devices']))")
	if [ "$r" != "([], [(2, 1)], 4)" ]; then
		bad=$((bad + 1))
		echo "#   iteration $i: (rows not live in any report, tdax1.0 (hits, mmaps), mmaps at the end): $r"
		break
	fi
done
is "first records racing snapshots: every row named and live, counts exact (15 runs)" $bad 0
is "daxtop (racing snapshots) wrote nothing on stderr" "$(cat $OUT/race.err)" ""
if [ "$TDAX_FAILED" -ne 0 ]; then
	echo "# daxcollect log:"; tail -n 20 $OUT/dc.log | sed 's/^/#   /'
	echo "# alerts:"; sed 's/^/#   /' $OUT/alerts.jsonl
fi
done_testing
