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
