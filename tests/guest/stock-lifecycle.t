#!/bin/bash
# vm: --timeout 400
# SPDX-License-Identifier: GPL-2.0-only
#
# stock-lifecycle.t - device lifetimes on the in-tree device_dax (stock
# source, tdax NOT loaded): dax1.0 is destroyed and re-created by unbinding
# and binding its provider hmem.1 from the in-tree hmem driver while daxtop
# runs, twice.  Each instance keeps its counts (retired), the newest starts
# at zero with its own instance id and a known age, the lifetime of the one
# created while attached is within the measured bounds (the one created
# before has none: the in-tree driver records no creation time); daxtop
# --events prints the misaligned-offset faults.
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/stock.sh
DAXTOP=build/bin/daxtop
LOAD=build/tests/bin/daxload
OUT=/tmp/stock-lifecycle
mkdir -p $OUT
now() { date +%s.%N; }

t "in-tree dax_hmem + device_dax bound" stock_setup
$DAXTOP -J --cumulative 0.5 >$OUT/docs.json 2>$OUT/err &
DTPID=$!
t "daxtop -J printed its first document" wait_for 60 test -s $OUT/docs.json
t "2M workload on dax1.0 (old instance)" $LOAD -s 8M /dev/dax1.0
T1A=$(now)
echo hmem.1 > /sys/bus/platform/drivers/hmem/unbind
T1B=$(now)
t "dax1.0 gone after unbinding hmem.1" wait_for 30 test ! -e /sys/bus/dax/devices/dax1.0
sleep 0.5
T2A=$(now)
echo hmem.1 > /sys/bus/platform/drivers/hmem/bind
T2B=$(now)
t "dax1.0 back after binding hmem.1" wait_for 30 test -e /sys/bus/dax/devices/dax1.0
t "dax1.0 bound to device_dax" stock_bind dax1.0
t "2M workload on dax1.0 (new instance)" $LOAD -s 2M /dev/dax1.0
# the instance created while attached has a known lifetime: destroy it too
T3A=$(now)
echo hmem.1 > /sys/bus/platform/drivers/hmem/unbind
T3B=$(now)
t "dax1.0 gone again" wait_for 30 test ! -e /sys/bus/dax/devices/dax1.0
echo hmem.1 > /sys/bus/platform/drivers/hmem/bind
t "dax1.0 back again" wait_for 30 test -e /sys/bus/dax/devices/dax1.0
t "dax1.0 bound to device_dax again" stock_bind dax1.0
three_rows() {
	tail -n 1 $OUT/docs.json | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
r = [x for x in d["devices"] if x["name"] == "dax1.0"]
sys.exit(0 if len(r) == 3 and sum(x["hits"] for x in r) == 5 and
         d["lifetimes"]["device"]["count"] == 1 and any(x["present"] for x in r) else 1)'
}
t "daxtop has the three instances of dax1.0 and one lifetime" wait_for 60 three_rows
kill -INT $DTPID
wait $DTPID
is "daxtop exits 0" $? 0

# --events: each fault on the misaligned mapping is printed
# (and batch text marks the reason line)
$DAXTOP --events -J >$OUT/events.json 2>$OUT/ev.err &
EVPID=$!
$DAXTOP -b --cumulative 0.5 >$OUT/batch.txt 2>&1 &
BPID=$!
links() { [ "$(grep -l '^link_type' /proc/$1/fdinfo/* 2>/dev/null | wc -l)" -ge 4 ]; }
t "daxtop --events attached (BPF links open)" wait_for 60 links $EVPID
t "daxtop -b attached (BPF links open)" wait_for 60 links $BPID
t "misaligned mapping on dax1.0" $LOAD -s 4M -o 4K -A 2M /dev/dax1.0
t "--events printed the offset_misaligned faults" wait_for 60 grep -q offset_misaligned $OUT/events.json
t "daxtop -b marks offset_misaligned: WRONG MEMORY" \
	wait_for 60 grep -q "^dax1.0 .*offset_misaligned .*!! WRONG MEMORY" $OUT/batch.txt
kill -INT $EVPID $BPID
wait $EVPID
wait $BPID

T1A=$T1A T1B=$T1B T2A=$T2A T2B=$T2B T3A=$T3A T3B=$T3B OUT=$OUT N0=$TDAX_N python3 - <<'PY'
import json, os
out = os.environ["OUT"]; n = int(os.environ["N0"]); failed = 0
T = {k: float(os.environ[k]) for k in ("T1A", "T1B", "T2A", "T2B", "T3A", "T3B")}
def ok(c, desc, detail=""):
    global n, failed
    n += 1
    print(("ok %d - %s" if c else "not ok %d - %s") % (n, desc))
    if not c:
        failed += 1
        print("#   " + str(detail))
def eq(got, want, desc):
    ok(got == want, desc, "got %r, want %r" % (got, want))
doc = json.loads(open(out + "/docs.json").read().strip().splitlines()[-1])
rows = sorted((x for x in doc["devices"] if x["name"] == "dax1.0"), key=lambda x: x["instance"])
eq(len(rows), 3, "three dax1.0 rows (instances)")
if len(rows) == 3:
    old, mid, new = rows
    eq((old["present"], old["retired"], old["hits"]), (False, True, 4), "first instance: retired with its 4 hits")
    eq((mid["present"], mid["retired"], mid["hits"]), (False, True, 1), "second instance: retired with its 1 hit")
    eq((new["present"], new["hits"], new["age_known"]), (True, 0, True), "third instance: present, no fault, age known")
lt = doc["lifetimes"]["device"]
eq(lt["count"], 1, "one device lifetime (the instance created while attached)")
lo, hi = T["T3A"] - T["T2B"], T["T3B"] - T["T2A"]
got = lt["sum_ns"] / 1e9
# the fexit of devm_create_dev_dax runs inside the bind, the destroy inside the unbind
ok(lo - 0.05 <= got <= hi + 0.05, "lifetime %.3fs within [%.3f, %.3f] measured" % (got, lo, hi))
ev = [json.loads(l) for l in open(out + "/events.json") if l.strip()]
mis = [e for e in ev if e.get("reason") == "offset_misaligned"]
eq(len(mis), 2, "two offset_misaligned fault events")
print("# %d %d" % (n, failed))
open(out + "/tap", "w").write("%d %d\n" % (n, failed))
PY
read N F <$OUT/tap
TDAX_N=$N
TDAX_FAILED=$((TDAX_FAILED + F))
done_testing
