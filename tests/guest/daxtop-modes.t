#!/bin/bash
# vm: --load --timeout 400
# SPDX-License-Identifier: GPL-2.0-only
#
# daxtop-modes.t - daxtop's attach modes (tp_btf with module BTF, raw_tp
# without), snoop mode (--events), -p and -d filters, batch text, and its
# errors (not root, modules not loaded, bad arguments).
set -u
. tests/guest/lib/tdax.sh
DAXTOP=build/bin/daxtop
LOAD=build/tests/bin/daxload
OUT=/tmp/daxtop-modes
mkdir -p $OUT

# Wait until process PID has its 8 BPF links (one per tdax tracepoint).
wait_attached() {
	local i n
	for i in $(seq 300); do
		n=$(grep -l '^link_type' /proc/$1/fdinfo/* 2>/dev/null | wc -l)
		[ "$n" -ge 8 ] && return 0
		sleep 0.1
	done
	return 1
}

jget() { # FILE PYEXPR: evaluate on the last JSON document of FILE (as d)
	python3 -c 'import json,sys; d=[json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]; print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}
jlastproc() { # FILE PYEXPR: the same on the last document that lists a process
	python3 -c 'import json,sys; d=[x for x in (json.loads(l) for l in open(sys.argv[1]) if l.strip()) if x["processes"]][-1]; print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}
# wait_same WANT CMD...: poll (up to 60 s) until CMD prints WANT: a report
# is printed every interval, and a loaded machine may be late
wait_same() {
	local want=$1 i
	shift
	for i in $(seq 600); do
		[ "$("$@")" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}
# lines of FILE (JSON documents written so far)
nlines() { wc -l <"$1"; }

# --- attach modes with module BTF --------------------------------------------
t "module BTF present (/sys/kernel/btf/tdax)" test -e /sys/kernel/btf/tdax
$DAXTOP -J -n 1 0.2 >$OUT/btf.json 2>&1
is "daxtop attaches tp_btf programs with module BTF" "$(jget $OUT/btf.json 'd["attach"]')" tp_btf
$DAXTOP -J -n 1 --raw-tp 0.2 >$OUT/raw.json 2>&1
is "daxtop --raw-tp attaches raw_tp programs" "$(jget $OUT/raw.json 'd["attach"]')" raw_tp

# --- snoop mode ------------------------------------------------------------------
$DAXTOP --events -J >$OUT/events.json 2>$OUT/events.err &
EPID=$!
$DAXTOP --events >$OUT/events.txt 2>&1 &
TPID=$!
t "daxtop --events -J attached" wait_attached $EPID
t "daxtop --events attached" wait_attached $TPID
$LOAD -s 2M -N /dev/tdax1.0 >$OUT/ev-load.out 2>&1
$LOAD -s 2M -P 2 /dev/tdax1.0 >>$OUT/ev-load.out 2>&1
# the ring is read as it fills: wait for the 514 records (or 60 s)
for i in $(seq 600); do
	[ "$(nlines $OUT/events.json)" -ge 514 ] && [ "$(grep -c 'sigbus.*nohugepage' $OUT/events.txt)" -ge 512 ] && break
	sleep 0.1
done
kill -INT $EPID $TPID
wait $EPID
is "daxtop --events exits 0 on SIGINT" $? 0
wait $TPID
EV=$(python3 - $OUT/events.json <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
f = [e for e in ev if e["kind"] == "fault" and e["reason"] == "nohugepage" and e["outcome"] == "sigbus"
     and e["size"] == 4096 and e["device"] == "tdax1.0" and e["comm"] == "daxload"]
m = [e for e in ev if e["kind"] == "mmap" and e["reason"] == "not_shared" and e["result"] == -22]
print(len(f), len(m), len(ev))
PY
)
is "snoop: 512 SIGBUS nohugepage faults, 2 not_shared mmaps, nothing else" "$EV" "512 2 514"
is "snoop text: 512 nohugepage lines" "$(grep -c 'sigbus.*nohugepage' $OUT/events.txt)" 512
is "snoop text: header first" "$(head -1 $OUT/events.txt | awk '{print $1, $2, $3}')" "TIME(s) PID COMM"

# --- -p and -d filters ----------------------------------------------------------------
mkfifo $OUT/go
sh -c "read x <$OUT/go; exec $LOAD -s 8M /dev/tdax1.0" >$OUT/p1.out &
P1=$!
$DAXTOP -J --cumulative -p $P1 0.5 >$OUT/pid.json 2>&1 &
DPID=$!
$DAXTOP -b --cumulative -d /dev/tdax0.0 0.5 >$OUT/dev.txt 2>&1 &
BPID=$!
t "daxtop -p attached" wait_attached $DPID
t "daxtop -d attached" wait_attached $BPID
echo go >$OUT/go
$LOAD -s 16M /dev/tdax0.0 >$OUT/p2.out 2>&1
wait $P1
wait_same "[($P1, 4, False)]" jlastproc $OUT/pid.json '[(p["pid"], p["hits"], p["alive"]) for p in d["processes"]]'
for i in $(seq 600); do grep -q 'daxload .* tdax0.0 ' $OUT/dev.txt && break; sleep 0.1; done
kill -INT $DPID $BPID
wait $DPID $BPID
# The process exited: the last document that lists it has its final counts.
is "-p: only that process" "$(jlastproc $OUT/pid.json '[(p["pid"], p["device"], p["hits"], p["alive"]) for p in d["processes"]]')" "[($P1, 'tdax1.0', 4, False)]"
is "-p: device counts are the process's" "$(jlastproc $OUT/pid.json '[(x["name"], x["hits"], x["mmaps"], x["latency_scope"]) for x in d["devices"]]')" "[('tdax1.0', 4, 1, 'system')]"
is "-p: reasons are the process's (its 4 ended ok, size not kept per process)" \
	"$(jlastproc $OUT/pid.json '[r for x in d["devices"] for r in x["reasons"]]')" \
	"[{'size': None, 'outcome': 'mapped', 'reason': 'ok', 'count': 4}]"
is "-d: batch lists only tdax0.0" "$(awk '/^tdax[0-9]/ {print $1}' $OUT/dev.txt | sort -u | tr '\n' ' ')" "tdax0.0 "
t "-d: batch shows the 8 2M faults of tdax0.0 (cumulative)" grep -q 'daxload .* tdax0.0 ' $OUT/dev.txt
t "batch: device header" grep -q '^DEVICE *ALIGN POL *FAULT/s *HIT%' $OUT/dev.txt
t "batch: process header" grep -q '^PID *COMM *DEVICE' $OUT/dev.txt
t "batch: region header" grep -q '^REGION PROVIDER' $OUT/dev.txt
is "batch: lines fit 80 columns" "$(awk 'length > 80' $OUT/dev.txt | wc -l)" 0

# --- devices created and deleted while daxtop runs ----------------------------------------
REG=$BUS/devices/tdax3.0/../tdax_region
$DAXTOP -J --cumulative 0.5 >$OUT/life.json 2>&1 &
LPID=$!
t "daxtop attached (device lifetimes)" wait_attached $LPID
echo tdax3.0 > $DRV/unbind
echo $((512 << 20)) > $BUS/devices/tdax3.0/size
echo tdax3.0 > $DRV/bind
TC0=$(date +%s.%N)
echo 1 > $REG/create
TC1=$(date +%s.%N)
NEW=$(cat $REG/create)
is "a new device in region 3" "$NEW" tdax3.1
echo $((512 << 20)) > $BUS/devices/$NEW/size
echo $NEW > $DRV/bind
for i in $(seq 50); do [ -c /dev/$NEW ] && break; sleep 0.1; done
$LOAD -q -s 4M /dev/$NEW
wait_same "[('$NEW', 2)]" jget $OUT/life.json '[(x["name"], x["hits"]) for x in d["devices"] if x["name"] == "'$NEW'"]'
$DAXTOP -J -n 1 -d $NEW 0.3 >$OUT/new.json 2>&1
is "the new device is followed without a restart (name, present, age known)" \
	"$(jget $OUT/life.json '[(x["name"], x["present"], x["age_known"], x["hits"], x["binds"]) for x in d["devices"] if x["name"] == "'$NEW'"]')" \
	"[('$NEW', True, True, 2, 1)]"
TD0=$(date +%s.%N)
echo $NEW > $DRV/unbind
echo 0 > $BUS/devices/$NEW/size
echo $NEW > $REG/delete
TD1=$(date +%s.%N)
wait_same "[False]" jget $OUT/life.json '[x["present"] for x in d["devices"] if x["name"] == "'$NEW'"]'
kill -INT $LPID
wait $LPID
is "a deleted device stays listed, gone, with its counts" \
	"$(jget $OUT/life.json '[(x["name"], x["present"], x["hits"], x["unbinds"]) for x in d["devices"] if x["name"] == "'$NEW'"]')" \
	"[('$NEW', False, 2, 1)]"
is "its lifetime is within the measured bounds" \
	"$(jget $OUT/life.json 'd["lifetimes"]["device"]["count"] == 1 and '$TD0' - '$TC1' <= d["lifetimes"]["device"]["sum_ns"] / 1e9 <= '$TD1' - '$TC0'')" True

# --- a full map is counted and shown, other counts stay exact ------------------------
$DAXTOP -J --cumulative --max-procs 2 0.5 >$OUT/full.json 2>&1 &
FPID=$!
$DAXTOP -b --cumulative --max-procs 2 -V devices 0.5 >$OUT/full.txt 2>&1 &
FBPID=$!
t "daxtop --max-procs 2 attached (JSON)" wait_attached $FPID
t "daxtop --max-procs 2 attached (batch)" wait_attached $FBPID
# four processes that stay alive (an exited one would be folded and its row freed)
HOLDERS=
for i in 1 2 3 4; do
	"$DT" hold /dev/tdax1.0 2M $OUT/hold$i >/dev/null &
	HOLDERS="$HOLDERS $!"
	for j in $(seq 100); do [ -e $OUT/hold$i ] && break; sleep 0.1; done
done
t "four processes hold a mapping" sh -c "ls $OUT/hold1 $OUT/hold2 $OUT/hold3 $OUT/hold4"
N=$(nlines $OUT/full.json)
t "daxtop reports after the four" sh -c "for i in \$(seq 100); do [ \$(wc -l <$OUT/full.json) -ge $((N + 2)) ] && exit 0; sleep 0.1; done; exit 1"
kill -INT $FPID $FBPID
wait $FPID $FBPID
rm -f $OUT/hold1 $OUT/hold2 $OUT/hold3 $OUT/hold4
wait $HOLDERS
# 4 processes x (1 mmap + 1 fault): the last two find the map full, 4 failed inserts
is "proc_stats full: 4 failed inserts, 2 of 2 entries" \
	"$(jget $OUT/full.json '(d["health"]["maps"]["proc_stats"]["full"], d["health"]["maps"]["proc_stats"]["entries"], d["health"]["maps"]["proc_stats"]["max_entries"], len(d["processes"]))')" \
	"(4, 2, 2, 2)"
is "device counts stay exact when proc_stats is full" \
	"$(jget $OUT/full.json '[(x["hits"], x["mmaps"]) for x in d["devices"] if x["name"] == "tdax1.0"]')" "[(4, 4)]"
t "batch shows the map-full warning" grep -q '^WARNING: map full 4 ' $OUT/full.txt

# --- errors -------------------------------------------------------------------------
err_is() { # DESC WANT_RC WANT_PATTERN CMD...
	local desc=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc = "$want" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -q "$pat"; then
		tap_ok "$desc"
	else
		tap_fail "$desc"
		echo "#   rc=$rc out='$out'"
	fi
}
err_is "not root: one line, exit 1" 1 "^daxtop: must run as root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups $DAXTOP -b -n 1
err_is "bad device: one line, exit 2" 2 "^daxtop: invalid device 'sda'" $DAXTOP -d sda
err_is "bad interval: one line, exit 2" 2 "^daxtop: invalid interval" $DAXTOP abc
err_is "bad sort key: one line, exit 2" 2 "^daxtop: invalid sort key" $DAXTOP -s foo
err_is "stray argument: one line, exit 2" 2 "^daxtop: unexpected argument" $DAXTOP 1 1 foo
err_is "bad --max-procs: one line, exit 2" 2 "^daxtop: invalid --max-procs" $DAXTOP --max-procs x

# --- without module BTF: raw_tp fallback -----------------------------------------------
# While attached, the BPF links pin the module defining the tracepoints.
$DAXTOP -b 0.5 >$OUT/pin.txt 2>&1 &
PINPID=$!
t "daxtop attached (module pin)" wait_attached $PINPID
rmmod tdax_hmem tdax_device
t "daxtop follows all devices going away" sh -c "sleep 1.5; grep -q '^tdax[0-9.]*\\* ' $OUT/pin.txt"
t "rmmod tdax refused while daxtop is attached" sh -c '! rmmod tdax 2>/dev/null'
kill -INT $PINPID
wait $PINPID
is "daxtop exits 0 after its devices went away" $? 0
rmmod tdax
t "modules unloaded" sh -c '! grep -q "^tdax" /proc/modules'
err_is "modules not loaded: one line, exit 1" 1 "^daxtop: tdax module not loaded" $DAXTOP -b -n 1
mkdir -p $OUT/nobtf
MODDIR=$(sh tests/vm/load --dir)
for m in tdax tdax_device tdax_hmem; do
	objcopy --remove-section .BTF "$MODDIR/$m.ko" $OUT/nobtf/$m.ko
done
t "stripped modules load (tests/vm/load)" env TDAX_DRIVER_DIR=$OUT/nobtf tests/vm/load
t "no module BTF now" test ! -e /sys/kernel/btf/tdax
is "no module BTF: --verbose says why it attaches raw_tp" \
	"$($DAXTOP --verbose -b 0.2 1 2>&1 >/dev/null | grep -c '^tdax: the tdax module has no BTF')" 1
$DAXTOP -J --cumulative 0.5 >$OUT/nobtf.json 2>$OUT/nobtf.err &
DPID=$!
t "daxtop attached without BTF" wait_attached $DPID
$LOAD -s 8M /dev/tdax1.0 >$OUT/nb.out 2>&1
$LOAD -s 2M -N /dev/tdax2.0 >>$OUT/nb.out 2>&1
is "without BTF: the workloads ran (4 touches of 2M, 512 SIGBUS)" \
	"$(sed 's/.*\(touches=[0-9]* sigbus=[0-9]*\).*/\1/' $OUT/nb.out | tr '\n' ' ')" \
	"touches=2048 sigbus=0 touches=0 sigbus=512 "
NBX='[(x["name"], x["hits"], x["sigbus"]) for x in d["devices"] if x["name"] in ("tdax1.0", "tdax2.0")]'
NBW="[('tdax1.0', 4, 0), ('tdax2.0', 0, 512)]"
wait_same "$NBW" jget $OUT/nobtf.json "$NBX"
kill -INT $DPID
wait $DPID
is "without BTF: raw_tp" "$(jget $OUT/nobtf.json 'd["attach"]')" raw_tp
is "without BTF: exact counts" "$(jget $OUT/nobtf.json "$NBX")" "$NBW" ||
	echo "#   all devices: $(jget $OUT/nobtf.json '[(x["name"], x["instance"], x["present"], x["hits"], x["sigbus"]) for x in d["devices"]]')"
is "without BTF: nothing on stderr" "$(cat $OUT/nobtf.err)" ""
done_testing
