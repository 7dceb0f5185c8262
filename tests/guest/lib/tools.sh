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

# one scrape of daxcollect's endpoint
scrape() { curl -s --max-time 10 http://127.0.0.1:$PORT/metrics; }

# value of metric{labels} in a scrape file, labels as exported without
# device_instance (summed over the instances of a device name); "none"
val() { awk -v k="$2" '{ s = $1; gsub(/,device_instance="[0-9]+"/, "", s) } s == k { v += $2; n++ } END { print n ? v : "none" }' "$1"; }
