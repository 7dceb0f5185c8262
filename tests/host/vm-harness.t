#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Self-test of the guest harness (tests/vm/run): it boots Debian's kernel,
# returns the command's status, times out with 124 and fails a run whose
# guest kernel logged a WARNING. Runs on the host; boots four guests.
set -u
cd "$(dirname "$0")/../.." || exit 1
. <(tests/vm/kernel --quiet env)
echo "1..8"

out=$(tests/vm/run -- uname -r 2>&1); rc=$?
[ "$rc" = 0 ] && [ "$out" = "$KRELEASE" ] && echo "ok 1 - uname -r in the guest prints Debian's release $KRELEASE" ||
	echo "not ok 1 - uname -r in the guest printed '$out' (status $rc), expected $KRELEASE"

tests/vm/run -- sh -c 'exit 7' >/dev/null 2>&1; rc=$?
[ "$rc" = 7 ] && echo "ok 2 - the command's exit status (7) is returned" ||
	echo "not ok 2 - exit 7 in the guest returned $rc"

out=$(tests/vm/run -- sh -c 'id -u; pwd; touch .vm-harness-probe && echo rw; touch /usr/.probe 2>/dev/null || echo ro; ls /sys/bus/platform/devices | grep -c "^hmem\."' 2>&1)
want=$(printf '0\n%s\nrw\nro\n3' "$PWD")
[ -f .vm-harness-probe ] && rm -f .vm-harness-probe && [ "$out" = "$want" ] &&
	echo "ok 3 - runs as root in the repo root, repo read-write, host root read-only, three hmem ranges" ||
	echo "not ok 3 - guest environment wrong: got '$(echo $out)' want '$(echo $want)'"

start=$(date +%s)
tests/vm/run --timeout 15 -- sleep 600 >/dev/null 2>&1; rc=$?
el=$(( $(date +%s) - start ))
[ "$rc" = 124 ] && [ "$el" -lt 60 ] && echo "ok 4 - a command outliving --timeout exits 124 (after ${el}s)" ||
	echo "not ok 4 - timeout gave status $rc after ${el}s"

out=$(tests/vm/run -- insmod tests/vm/ktest/tdax_warn_test.ko 2>&1); rc=$?
[ "$rc" != 0 ] && grep -q 'WARNING:.*tdax_warn_test' <<<"$out" &&
	echo "ok 5 - a kernel WARNING in the guest fails the run (status $rc) and prints the log" ||
	echo "not ok 5 - a kernel WARNING gave status $rc"

out=$(tests/vm/run -- sh -c 'cat /sys/kernel/btf/tdax_warn_test >/dev/null 2>&1; insmod tests/vm/ktest/tdax_warn_test.ko 2>/dev/null; test -e /sys/kernel/btf/tdax_warn_test && echo btf' 2>&1)
grep -q '^btf$' <<<"$out" && echo "ok 6 - modules built by make carry module BTF (/sys/kernel/btf/<module>)" ||
	echo "not ok 6 - no module BTF for a module built by make"

tests/vm/run --bogus -- true >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && echo "ok 7 - an unknown option is refused with status 2" ||
	echo "not ok 7 - unknown option gave status $rc"

out=$(tests/vm/run -- sh -c 'seq 1 2000' 2>/dev/null | tail -n 1)
[ "$out" = 2000 ] && echo "ok 8 - the command's output arrives complete (last of 2000 lines)" ||
	echo "not ok 8 - output truncated: last line '$out' of 2000"
