#!/bin/bash
# vm: --load --timeout 400
# SPDX-License-Identifier: GPL-2.0-only
#
# daxtop-truth.t - daxtop -J reports a known workload exactly.
#
# Devices (tests/vm/load brings up tdax0.0..tdax3.0, 2M, strict):
#   tdax0.0 align 4K   16 MiB touched at 4K         -> 4096 4K hits
#   tdax1.0 align 2M   64 MiB touched               -> 32 2M hits
#                      4 MiB under MADV_NOHUGEPAGE  -> 1024 4K SIGBUS (strict)
#                      5 MAP_PRIVATE mmaps          -> 5 refusals not_shared
#   tdax2.0 align 1G   1 GiB touched at 2M stride   -> 1 1G hit
#   tdax3.0 align 2M, fault_policy fallback
#                      8 MiB under MADV_NOHUGEPAGE  -> 2048 4K PTE fallbacks
# then region 2 (its provider, hmem.2 on 6.1) is destroyed and re-created at
# measured times by unbinding and binding the provider device.
# Counts must be equal per device and per process; latency histogram totals
# equal the fault attempts; lifetimes and ages within the sampling interval.
set -u
. tests/guest/lib/tdax.sh
DAXTOP=build/bin/daxtop
LOAD=build/tests/bin/daxload
OUT=/tmp/daxtop-truth
mkdir -p $OUT
# Region 2's provider device and its driver (hmem.2 / tdax_hmem on 6.1).
PROV=$(basename "$(readlink -f $BUS/devices/tdax2.0/..)")
PDRV=$(readlink -f $BUS/devices/tdax2.0/../driver)

now() { date +%s.%N; }

t "tdax0.0 set to align 4K" set_dev tdax0.0 4096
t "tdax2.0 set to align 1G" set_dev tdax2.0 1073741824
t "tdax3.0 set to fallback policy" set_dev tdax3.0 2097152 fallback

# Region 2 is re-created before daxtop starts (T1): its destruction later
# (T2) has a lifetime we know.
T1A=$(now)
echo $PROV > $PDRV/unbind && echo $PROV > $PDRV/bind
T1B=$(now)
for i in $(seq 50); do [ -c /dev/tdax2.0 ] && break; sleep 0.1; done
t "tdax2.0 back after rebinding $PROV" test -c /dev/tdax2.0
t "tdax2.0 set to align 1G again" set_dev tdax2.0 1073741824

$DAXTOP -J --cumulative 0.5 >$OUT/docs.json 2>$OUT/daxtop.err &
DTPID=$!
# a second instance reports per interval: its documents must add up
$DAXTOP -J 0.7 >$OUT/intervals.json 2>&1 &
DIPID=$!
for i in $(seq 100); do [ -s $OUT/docs.json ] && [ -s $OUT/intervals.json ] && break; sleep 0.1; done
t "daxtop -J printed its first document" test -s $OUT/docs.json
t "daxtop -J (per interval) printed its first document" test -s $OUT/intervals.json

run() { # NAME ARGS...: run daxload, keep its pid
	local name=$1
	shift
	$LOAD "$@" >$OUT/$name.out 2>&1
	echo "$name $(sed -n 's/^pid=\([0-9]*\).*/\1/p' $OUT/$name.out)" >>$OUT/pids
}
: >$OUT/pids
run a4k -s 16M /dev/tdax0.0
run b2m -s 64M /dev/tdax1.0
run e_sigbus -s 4M -N /dev/tdax1.0
run f_private -P 5 -s 2M -t 2M /dev/tdax1.0
run c1g -s 1G -t 2M /dev/tdax2.0
run d_fallback -s 8M -N /dev/tdax3.0
is "strict + MADV_NOHUGEPAGE: workload saw 1024 SIGBUS" \
	"$(sed -n 's/.*sigbus=\([0-9]*\).*/\1/p' $OUT/e_sigbus.out)" 1024
is "fallback + MADV_NOHUGEPAGE: workload saw no SIGBUS" \
	"$(sed -n 's/.*sigbus=\([0-9]*\).*/\1/p' $OUT/d_fallback.out)" 0

sleep 1
T2A=$(now)
echo $PROV > $PDRV/unbind
T2B=$(now)
sleep 0.3
T3A=$(now)
echo $PROV > $PDRV/bind
T3B=$(now)
sleep 1.5
kill -INT $DTPID $DIPID
wait $DTPID
is "daxtop exits 0 on SIGINT" $? 0
wait $DIPID
is "daxtop wrote nothing on stderr" "$(cat $OUT/daxtop.err)" ""

PROV=$PROV T1A=$T1A T1B=$T1B T2A=$T2A T2B=$T2B T3A=$T3A T3B=$T3B OUT=$OUT N0=$TDAX_N python3 - <<'PY'
import json, os, sys

out = os.environ["OUT"]
docs = [json.loads(l) for l in open(out + "/docs.json") if l.strip()]
doc = docs[-1]
pids = dict(l.split() for l in open(out + "/pids"))
n = int(os.environ["N0"])
failed = 0

def ok(cond, desc, detail=""):
    global n, failed
    n += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n, desc))
    if not cond:
        failed += 1
        if detail:
            print("#   " + str(detail))

def eq(got, want, desc):
    ok(got == want, desc, "got %r, want %r" % (got, want))

# One row per device instance: the present instance of each name; a device
# re-created under the same name is another row (the old one: present false,
# retired, its final counts).
devs = {d["name"]: d for d in doc["devices"] if d["present"]}
gone = [d for d in doc["devices"] if not d["present"]]
btf = os.path.exists("/sys/kernel/btf/tdax")
eq(doc["attach"], "tp_btf" if btf else "raw_tp", "attach mode follows module BTF")
eq(doc["cumulative"], True, "document is cumulative (-C)")

def dev(name):
    return devs.get(name, {"faults": {k: {} for k in ("4K", "2M", "1G")}})

# Device rows
expect = {
    "tdax0.0": dict(size="4K", mapped=4096, hits=4096, misses=0, pte=0, sigbus=0, align=4096),
    # re-created (hmem.2 rebound) after the workload: a new instance, align
    # back to the 2M default, starting at zero (the old one is checked below)
    "tdax2.0": dict(size="1G", mapped=0, hits=0, misses=0, pte=0, sigbus=0, align=2 << 20),
    "tdax3.0": dict(size="4K", mapped=2048, hits=0, misses=2048, pte=2048, sigbus=0, align=2 << 20),
}
for name, e in expect.items():
    d = dev(name)
    eq(d.get("align"), e["align"], "%s align %d" % (name, e["align"]))
    eq(d["faults"][e["size"]].get("mapped"), e["mapped"], "%s: %d faults mapped at %s" % (name, e["mapped"], e["size"]))
    eq(d.get("hits"), e["hits"], "%s: %d hits" % (name, e["hits"]))
    eq(d.get("misses"), e["misses"], "%s: %d misses" % (name, e["misses"]))
    eq(d.get("below_align"), e["pte"], "%s: %d faults below the alignment" % (name, e["pte"]))
    eq(d.get("sigbus"), e["sigbus"], "%s: %d SIGBUS" % (name, e["sigbus"]))

# the tdax2.0 instance destroyed at T2 keeps its final counts
old = [d for d in gone if d["name"] == "tdax2.0"]
eq([(d["retired"], d["hits"], d["faults"]["1G"]["mapped"], d["align"]) for d in old],
   [(True, 1, 1, 1 << 30)], "old tdax2.0 instance: retired, its 1 hit at 1G kept")
eq(len(set(d["instance"] for d in doc["devices"] if d["name"] == "tdax2.0")), 2,
   "tdax2.0 re-created: two instances, two rows")
eq(old[0]["instance"] < devs["tdax2.0"]["instance"] if old and "tdax2.0" in devs else None, True,
   "the re-created tdax2.0 has a newer instance id")
eq(sorted(d["name"] for d in gone), ["tdax2.0"], "no other device is gone")
# byte coverage: bytes mapped at the alignment / bytes mapped
eq(dev("tdax3.0").get("byte_coverage"), 0.0, "tdax3.0: 8M all at 4K: byte coverage 0")
eq(dev("tdax0.0").get("byte_coverage"), 1.0, "tdax0.0 (align 4K): byte coverage 1")
eq((dev("tdax3.0").get("bytes_mapped"), dev("tdax3.0").get("bytes_aligned")), (8 << 20, 0),
   "tdax3.0: 8M mapped, none at the alignment")

d1 = dev("tdax1.0")
# 32 (b2m) + 1 (f_private maps and touches 2M after its refusals)
eq(d1["faults"]["2M"].get("mapped"), 33, "tdax1.0: 33 faults mapped at 2M")
eq(d1.get("hits"), 33, "tdax1.0: 33 hits")
eq(d1["faults"]["4K"].get("sigbus"), 1024, "tdax1.0: 1024 SIGBUS at 4K (strict)")
eq(d1.get("misses"), 1024, "tdax1.0: 1024 misses")
eq(d1.get("hit_ratio"), round(33 / 1057, 6), "tdax1.0: hit ratio 33/1057")
# SIGBUS maps nothing: coverage is over what was mapped (33 x 2M, all aligned)
eq((d1.get("byte_coverage"), d1.get("bytes_mapped")), (1.0, 33 << 21), "tdax1.0: byte coverage 1 over 33 x 2M")
eq(d1.get("mmaps"), 3, "tdax1.0: 3 successful mmaps")
eq(d1.get("mmap_errors"), 5, "tdax1.0: 5 refused mmaps")
eq([(m["result"], m["reason"], m["count"]) for m in d1.get("mmap_outcomes", []) if m["result"]],
   [(-22, "not_shared", 5)], "tdax1.0: refusals are EINVAL not_shared x5")

def reason(d, size, outcome, why):
    return sum(r["count"] for r in d.get("reasons", [])
               if r["size"] == size and r["outcome"] == outcome and r["reason"] == why)

eq(reason(d1, "4K", "sigbus", "nohugepage"), 1024, "tdax1.0: reason nohugepage x1024 (sigbus)")
eq(reason(dev("tdax3.0"), "4K", "mapped", "nohugepage"), 2048, "tdax3.0: reason nohugepage x2048 (mapped)")
eq(reason(dev("tdax0.0"), "4K", "mapped", "ok"), 4096, "tdax0.0: 4096 ok faults at 4K")

# Latency histograms: one entry per handler call
for d in doc["devices"]:
    name = d["name"] + ("" if d["present"] else " (old)")
    for size in ("4K", "2M", "1G"):
        lat = d.get("latency", {}).get(size, {})
        att = d["faults"][size].get("attempts")
        eq(lat.get("count"), att, "%s %s: latency histogram total = %s attempts" % (name, size, att))
        eq(sum(b[1] for b in lat.get("buckets", [])), att, "%s %s: bucket sum = attempts" % (name, size))
    eq(sum(r["count"] for r in d.get("reasons", [])), d.get("faults_attempted"),
       "%s: reason rows add up to attempts" % name)
    ended = sum(r["count"] for r in d.get("reasons", []) if r["outcome"] in ("mapped", "sigbus"))
    eq(ended, d.get("faults_ended"), "%s: one reason per fault that ended" % name)

# Processes: each daxload exited; the last document that lists it has its
# final counts (reported once, alive false); later ones fold it into the
# device's "exited" row.
procs = {}
for dd in docs:
    for p in dd["processes"]:
        if not p["exited"]:
            procs.setdefault(str(p["pid"]), {})[p["device"]] = p
pexp = [("a4k", "tdax0.0", "hits", 4096), ("b2m", "tdax1.0", "hits", 32),
        ("e_sigbus", "tdax1.0", "sigbus", 1024), ("f_private", "tdax1.0", "mmap_errors", 5),
        ("c1g", "tdax2.0", "hits", 1), ("d_fallback", "tdax3.0", "below_align", 2048)]
for name, devname, key, want in pexp:
    p = procs.get(pids.get(name, "?"), {}).get(devname, {})
    eq(p.get(key), want, "process %s (%s) on %s: %s = %d" % (name, pids.get(name), devname, key, want))
    eq(p.get("comm"), "daxload", "process %s comm is daxload" % name)
    eq(p.get("alive"), False, "process %s reported exited with its final counts" % name)
p = procs.get(pids.get("e_sigbus", "?"), {}).get("tdax1.0", {})
eq((p.get("hits"), p.get("misses")), (0, 1024), "process e_sigbus: 0 hits, 1024 misses")
p = procs.get(pids.get("b2m", "?"), {}).get("tdax1.0", {})
eq((p.get("misses"), p.get("mmaps")), (0, 1), "process b2m: no miss, one mmap")
# the exited rows of the last document: every daxload folded in
ex = {p["device"]: p for p in doc["processes"] if p["exited"]}
eq([p for p in doc["processes"] if not p["exited"] and str(p["pid"]) in pids.values()], [],
   "no exited daxload left as a row of its own")
eq((ex.get("tdax1.0", {}).get("hits"), ex.get("tdax1.0", {}).get("sigbus"), ex.get("tdax1.0", {}).get("mmap_errors")),
   (33, 1024, 5), "tdax1.0 exited row: 33 hits, 1024 SIGBUS, 5 refused mmaps")
eq(ex.get("tdax3.0", {}).get("below_align"), 2048, "tdax3.0 exited row: 2048 below the alignment")

# Lifetimes: region 2 and tdax2.0 lived from T1 to T2
T = {k: float(os.environ[k]) for k in ("T1A", "T1B", "T2A", "T2B", "T3A", "T3B")}
lo, hi = T["T2A"] - T["T1B"], T["T2B"] - T["T1A"]
lt = doc["lifetimes"]
eq(lt["region"]["count"], 1, "one region destroyed")
eq(lt["device"]["count"], 1, "one device destroyed")
for kind in ("region", "device"):
    got = lt[kind]["sum_ns"] / 1e9
    ok(lo <= got <= hi, "%s lifetime %.3fs within [%.3f, %.3f] measured" % (kind, got, lo, hi))
regs = {r["id"]: r for r in doc["regions"]}
r2 = regs.get(2, {})
alo, ahi = doc["timestamp"] - T["T3B"] - 0.05, doc["timestamp"] - T["T3A"] + 0.05
prov = os.environ["PROV"]
eq((r2.get("present"), r2.get("age_known"), r2.get("provider")), (True, True, prov),
   "region 2 re-created while attached, provider %s" % prov)
ok(alo <= r2.get("age_s", -9) <= ahi, "region 2 age %.3fs within [%.3f, %.3f] measured" % (r2.get("age_s", -1), alo, ahi))
eq(doc["health"]["events"]["region_create"], 1, "one region_create event")
eq(doc["health"]["events"]["region_destroy"], 1, "one region_destroy event")
eq(sum(m["full"] for m in doc["health"]["maps"].values()), 0, "no map full")
eq(doc["health"]["events_lost"], 0, "no event lost")

# Per-interval documents add up to the cumulative one
iv = [json.loads(l) for l in open(out + "/intervals.json") if l.strip()]
eq(all(not d["cumulative"] for d in iv), True, "interval documents are not cumulative")
def all_inst(name, key):
    return sum(x.get(key, 0) for x in doc["devices"] if x["name"] == name)
for name in ("tdax0.0", "tdax1.0", "tdax2.0", "tdax3.0"):
    for key in ("hits", "misses", "below_align", "sigbus", "faults_attempted", "mmaps", "mmap_errors",
                "bytes_mapped", "bytes_aligned"):
        tot = sum(x.get(key, 0) for d in iv for x in d["devices"] if x["name"] == name)
        eq(tot, all_inst(name, key), "%s: per-interval %s add up to the cumulative count" % (name, key))
    lat = sum(x["latency"][s]["count"] for d in iv for x in d["devices"] if x["name"] == name
              for s in ("4K", "2M", "1G"))
    eq(lat, all_inst(name, "faults_attempted"), "%s: per-interval latency counts add up" % name)
for what in ("region", "device"):
    eq(sum(d["lifetimes"][what]["count"] for d in iv), 1, "one %s lifetime over the intervals" % what)
ok(all(d["interval_s"] > 0 for d in iv), "every interval has a duration")
print("# %d documents" % len(docs))
open(out + "/n", "w").write(str(n))
open(out + "/failed", "w").write(str(failed))
PY
TDAX_N=$(cat $OUT/n)
[ "$(cat $OUT/failed)" = 0 ] || TDAX_FAILED=$((TDAX_FAILED + $(cat $OUT/failed)))
done_testing
