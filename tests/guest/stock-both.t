#!/bin/bash
# vm: --load --timeout 400
# SPDX-License-Identifier: GPL-2.0-only
#
# stock-both.t - tdax and the in-tree device_dax side by side: hmem.2 is
# handed from tdax_hmem to the in-tree dax_hmem + device_dax (/dev/dax2.0),
# tdax keeps tdax0.0 and tdax1.0.  daxtop (source auto) attaches both
# sources; each device's counts come from its own driver, with its source.
# daxcollect (source auto) made the host's one program set first, with the
# links of both sources; daxtop joins it and loads nothing.
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/stock.sh
. tests/guest/lib/tools.sh
DAXTOP=build/bin/daxtop
DC=build/bin/daxcollect
LOAD=build/tests/bin/daxload
OUT=/tmp/stock-both
PIN=/sys/fs/bpf/tdax
PORT=9478
mkdir -p $OUT
ip link set lo up 2>/dev/null
# programs loaded now: tdax (btf_*/raw_*) and stock (st_*)
nall() {
	bpftool -j prog show 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for p in json.load(sys.stdin) if p.get("name", "").startswith(("btf_", "raw_", "st_"))))'
}
H=/sys/bus/platform/devices/hmem.2

if [ ! -e $H ]; then
	# 6.12: tdax_hmem registers its own tdax_soft.N under hmem_platform.0
	echo "ok 1 - both sources # SKIP no hmem.2 platform device to hand over on $(uname -r)"
	echo "1..1"
	exit 0
fi

give_hmem2() {
	echo hmem > $H/driver_override || return 1
	[ -e $H/driver ] && { echo hmem.2 > $H/driver/unbind || return 1; }
	modprobe device_dax && modprobe dax_hmem || return 1
	[ -e $H/driver ] || echo hmem.2 > /sys/bus/platform/drivers/hmem/bind || return 1
	wait_for 30 test -e $SBUS/devices/dax2.0 && stock_bind dax2.0
}
t "hmem.2 handed to the in-tree dax_hmem: /dev/dax2.0" give_hmem2
t "tdax0.0 still there" test -c /dev/tdax0.0

$DC --listen localhost:$PORT --interval 1 --verbose >$OUT/dc.log 2>&1 &
DCPID=$!
t "daxcollect attached both sources (16 links at least)" wait_attached $DCPID 16
t "daxcollect made the set (owner)" grep -q "made the program set pinned under $PIN (owner)" $OUT/dc.log
t "the links of both sources pinned" sh -c "[ -e $PIN/link_fault ] && [ -e $PIN/link_stock_fault_entry ]"
NP=$(nall)
$DAXTOP -J --cumulative 0.5 >$OUT/docs.json 2>$OUT/err &
DTPID=$!
t "daxtop -J printed its first document" wait_for 60 test -s $OUT/docs.json
is "daxtop loaded nothing: still $NP programs" "$(nall)" "$NP"
t "tdax0.0: 8M at 2M" $LOAD -s 8M /dev/tdax0.0
t "dax2.0: 16M at 2M" $LOAD -s 16M /dev/dax2.0
seen() {
	tail -n 1 $OUT/docs.json | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
v = {x["name"]: x for x in d["devices"] if x["present"]}
sys.exit(0 if v.get("tdax0.0", {}).get("hits") == 4 and v.get("dax2.0", {}).get("hits") == 8 else 1)'
}
t "daxtop saw both workloads" wait_for 60 seen
kill -INT $DTPID
wait $DTPID
is "daxtop exits 0" $? 0
is "daxtop wrote nothing on stderr" "$(cat $OUT/err)" ""
hits_dc() { scrape | awk -v d="$1" '$1 ~ "^tdax_fault_hits_total\\{device=\"" d "\"" { s += $2 } END { print s + 0 }'; }
is "daxcollect: tdax0.0 4 hits, dax2.0 8" "$(wait_eq 10 4 hits_dc tdax0.0) $(wait_eq 10 8 hits_dc dax2.0)" "4 8"
kill -TERM $DCPID; wait $DCPID
is "the last consumer unpinned the set" "$(ls $PIN 2>/dev/null | wc -l) $(nall)" "0 0"
doc=$(tail -n 1 $OUT/docs.json)
field() { echo "$doc" | python3 -c "import json,sys; d=json.load(sys.stdin); v={x['name']:x for x in d['devices'] if x['present']}; print($1)"; }
is "document source both" "$(field 'd["source"]')" both
is "daxtop followed daxcollect's set" "$(field 'd["program_set"]')" follower
is "stock attach fentry" "$(field 'd["stock_attach"]')" fentry
is "tdax0.0 source tdax, 4 hits" "$(field 'v["tdax0.0"]["source"], v["tdax0.0"]["hits"]')" "tdax 4"
is "dax2.0 source stock, 8 hits" "$(field 'v["dax2.0"]["source"], v["dax2.0"]["hits"]')" "stock 8"
is "tdax1.0 untouched" "$(field 'v["tdax1.0"]["hits"]')" 0
done_testing
