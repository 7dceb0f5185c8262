# SPDX-License-Identifier: GPL-2.0-only
# tests/guest/lib/tools.sh - helpers of the guest tests that run daxtop and
# daxcollect (source after tdax.sh).  scrape uses $PORT (daxcollect's port).

# until_ok SECS CMD...: retry CMD every 0.2 s until it succeeds (1 after SECS)
until_ok() {
	local end=$(( $(date +%s) + $1 ))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.2
	done
}

# last_doc FILE: the last complete line of FILE (daxtop -J output). daxtop may
# be writing the next document: `tail -n 1` can return half a line, which jq
# reads as nothing (seen once in three full runs).
last_doc() {
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
i = d.rfind(b"\n")
sys.stdout.write(d[d.rfind(b"\n", 0, i) + 1:i + 1].decode())' "$1"
}

# one scrape of daxcollect's endpoint
scrape() { curl -s --max-time 10 http://127.0.0.1:$PORT/metrics; }

# value of metric{labels} in a scrape file, labels as exported without
# device_instance (summed over the instances of a device name); "none"
val() { awk -v k="$2" '{ s = $1; gsub(/,device_instance="[0-9]+"/, "", s) } s == k { v += $2; n++ } END { print n ? v : "none" }' "$1"; }

# dc_snapshots: daxcollect's snapshots so far (tdax_collector_scrapes_total)
dc_snapshots() { scrape | awk '$1 == "tdax_collector_scrapes_total" { print $2 }'; }
dc_snapshots_ge() { [ "$(dc_snapshots)" -ge "$1" ] 2>/dev/null; }
# dc_settle: until daxcollect has taken two more snapshots (so one begun after now)
dc_settle() { local n; n=$(dc_snapshots); until_ok 30 dc_snapshots_ge $(( ${n:-0} + 2 )); }

# ---- the shared program set (daxtop-shared.t, share-crash.t, ...) ------------

# wait_attached PID [N]: PID holds N BPF links (default 12: the tdax set), pinned or its own
wait_attached() {
	until_ok 60 sh -c "[ \$(grep -l '^link_type' /proc/$1/fdinfo/* 2>/dev/null | wc -l) -ge ${2:-12} ]"
}

# tdax programs loaded now (btf_* / raw_* of tdax_collect.bpf.c)
nprogs() {
	bpftool -j prog show 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for p in json.load(sys.stdin) if p.get("name", "").startswith(("btf_", "raw_"))))'
}

# runs of the tdax fault programs, in total (kernel.bpf_stats_enabled=1)
fault_runs() {
	bpftool -j prog show 2>/dev/null | python3 -c '
import json, sys
print(sum(p.get("run_cnt", 0) for p in json.load(sys.stdin) if p.get("name") in ("btf_fault", "raw_fault")))'
}

# jq_ FILE PYEXPR: PYEXPR of daxtop -J output; d is the last complete
# document, docs all of them
jq_() {
	python3 -c '
import json, sys
lines = open(sys.argv[1]).read().split("\n")[:-1]
docs = [json.loads(l) for l in lines if l.strip()]
d = docs[-1]
print(eval(sys.argv[2]))' "$@" 2>&1
}

# settle FILE: two more complete documents in FILE (daxtop -J output)
settle() { local n; n=$(wc -l <"$1"); until_ok 30 sh -c "[ \$(wc -l <$1) -ge $((n + 2)) ]"; }

# wait_eq SECS WANT FUNC...: print FUNC's output once it is WANT (or the last one)
wait_eq() {
	local end=$(( $(date +%s) + $1 )) want=$2 v
	shift 2
	while :; do
		v=$("$@")
		[ "$v" = "$want" ] || [ "$(date +%s)" -ge $end ] && break
		sleep 0.3
	done
	echo "$v"
}

# rows_of PIN_DIR MAP INSTANCE: entries of a pinned map keyed by that instance
rows_of() {
	bpftool -j map dump pinned "$1/$2" 2>/dev/null | python3 -c '
import json, sys
n = 0
for e in json.load(sys.stdin):
    k = e.get("formatted", e).get("key")
    inst = k["instance"] if isinstance(k, dict) else int.from_bytes(bytes(int(x, 16) for x in k[:8]), "little")
    n += inst == int(sys.argv[1])
print(n)' "$3"
}
