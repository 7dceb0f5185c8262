#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Brief libFuzzer runs of daxcollect's rules parser and HTTP request
# handling (built by `make check-build` into build/fuzz/).  Longer runs:
# `make fuzz` (FUZZ_SECS=300 per target by default).
#
# Each target runs DAXCOLLECT_FUZZ_SECS seconds (default 10) from the seed
# corpus in tools/daxcollect/fuzz/corpus/; a crash, leak, hang or sanitizer
# report fails the test and leaves the reproducer in the temporary
# directory printed below.
cd "$(dirname "$0")/../.." || exit 1
secs=${DAXCOLLECT_FUZZ_SECS:-10}
echo "1..2"
n=0
for t in rules http; do
	n=$((n + 1))
	bin=build/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "not ok $n - fuzz_$t: $bin missing (make check-build; needs libclang-rt-14-dev)"
		continue
	fi
	work=$(mktemp -d /tmp/daxcollect-fuzz-$t.XXXXXX)
	mkdir -p "$work/corpus"
	cp tools/daxcollect/fuzz/corpus/$t/* "$work/corpus/"
	if "$bin" -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 \
		-artifact_prefix="$work/" "$work/corpus" >"$work/log" 2>&1; then
		runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/log")
		echo "ok $n - fuzz_$t: ${runs:-?} inputs in ${secs}s, no crash"
		rm -rf "$work"
	else
		echo "not ok $n - fuzz_$t: failure, reproducer and log in $work"
		grep -E 'ERROR|SUMMARY|artifact' "$work/log" | head -5 | sed 's/^/# /'
	fi
done
