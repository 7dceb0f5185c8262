#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/host/runner.t - tests/run itself: counts, plans, skips, exit statuses,
# and the diagnostics of a failing check ("got"/"want") shown right after it
# in the runner's output, however long the test's output is.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/guest/lib/tdax.sh"

fx=$(mktemp -d)
trap 'rm -rf "$fx"' EXIT
mkdir -p "$fx/tests/host" "$fx/tests/guest/lib"
cp "$here/tests/run" "$fx/tests/run"
cp "$here/tests/guest/lib/tdax.sh" "$fx/tests/guest/lib/tdax.sh"

cat >"$fx/tests/host/a.t" <<'T'
#!/bin/bash
. "$(dirname "$0")/../guest/lib/tdax.sh"
is "first" 1 1
is "faults counted" 511 512
for i in $(seq 200); do echo "noise line $i"; done
t "a command that fails" sh -c 'echo it said no; exit 3'
echo "ok 99 - skipped thing # SKIP no device"
done_testing
T
cat >"$fx/tests/host/b.t" <<'T'
#!/bin/sh
echo "1..3"
echo "ok 1 - one"
T
cat >"$fx/tests/host/c.t" <<'T'
#!/bin/sh
echo "ok 1 - fine"
exit 4
T
chmod +x "$fx"/tests/host/*.t

out=$("$fx/tests/run" --host-only 2>&1)
rc=$?
is "runner exits non-zero when a test failed" "$rc" 1
is "last line counts passed, failed and skipped" "$(tail -n1 <<<"$out")" "3 passed, 4 failed, 1 skipped"
is "got of a failing 'is' right after its result" \
	"$(grep -A1 'not ok .*a.t: faults counted' <<<"$out" | sed -n 2p)" "#   got:  '511'"
is "want of a failing 'is' right after it" \
	"$(grep -A2 'not ok .*a.t: faults counted' <<<"$out" | sed -n 3p)" "#   want: '512'"
is "output of a failing command follows its result" \
	"$(grep -A1 'not ok .*a.t: a command that fails' <<<"$out" | sed -n 2p)" "#   it said no"
is "noise is not shown among the diagnostics" "$(grep -c '^noise line' <<<"$out")" 0
is "a skip is reported as a skip" "$(grep -c 'a.t: skipped thing  *# SKIP' <<<"$out")" 1
is "a short plan fails" "$(grep -c 'not ok .*b.t: planned 3 results, ran 1' <<<"$out")" 1
is "a non-zero exit without a failed result fails" "$(grep -c 'not ok .*c.t: exited with status 4' <<<"$out")" 1

# --- guest tests: parallel jobs, reported in list order, per-kernel images ---
mkdir -p "$fx/tests/vm" "$fx/cc"
# a fake tests/vm/run: runs CMD here, records how many ran at once
cat >"$fx/tests/vm/run" <<'T'
#!/bin/bash
opts=()
while [ "$1" != -- ]; do opts+=("$1"); shift; done
shift
cc=$(dirname "$0")/../../cc
touch "$cc/$$"
ls "$cc" | wc -l >>"$cc/../concurrency"
echo "# kernel=$TDAX_KERNEL opts=${opts[*]}"
"$@"
rc=$?
rm -f "$cc/$$"
exit $rc
T
chmod +x "$fx/tests/vm/run"
for n in 1 2 3; do
	cat >"$fx/tests/guest/g$n.t" <<T
#!/bin/bash
# vm: --load --timeout $((n * 100)) --nvdimm build/pmem/g$n.img
sleep \$(( (4 - $n) ))
echo "ok 1 - g$n ran"
T
done
echo 'echo "not ok 1 - g2 says no"' >>"$fx/tests/guest/g2.t"
chmod +x "$fx"/tests/guest/g*.t
rm -f "$fx"/tests/host/*.t
out=$(cd "$fx" && TDAX_JOBS=2 TDAX_KERNELS="6.1 6.12" tests/run --guest-only -v 2>&1)
is "guest jobs: the tally" "$(tail -n1 <<<"$out")" "6 passed, 2 failed"
is "guest jobs: results in the order of the list" \
	"$(grep -E '^(not )?ok' <<<"$out" | sed -E 's/^(not )?ok [0-9]+ - //' | tr '\n' '|')" \
	"tests/guest/g1.t [6.1]: g1 ran|tests/guest/g2.t [6.1]: g2 ran|tests/guest/g2.t [6.1]: g2 says no|tests/guest/g3.t [6.1]: g3 ran|tests/guest/g1.t [6.12]: g1 ran|tests/guest/g2.t [6.12]: g2 ran|tests/guest/g2.t [6.12]: g2 says no|tests/guest/g3.t [6.12]: g3 ran|"
is "guest jobs: two at a time, never more" "$(sort -n "$fx/concurrency" | tail -n1)" 2
is "guest jobs: each kernel gets its own pmem image" \
	"$(grep -o 'kernel=[0-9.]* opts=.*g1.img' <<<"$out" | sed 's/opts=.*nvdimm //' | sort | tr '\n' ' ')" \
	"kernel=6.1 build/pmem/6.1/g1.img kernel=6.12 build/pmem/6.12/g1.img "
rm "$fx"/tests/guest/g*.t

printf '#!/bin/sh\necho "ok 1 - x"\n' >"$fx/tests/host/a.t"
chmod +x "$fx/tests/host/a.t"
rm -f "$fx/tests/host/b.t" "$fx/tests/host/c.t"
out=$("$fx/tests/run" --host-only 2>&1)
is "an all-passing run exits 0" "$?" 0
is "its last line" "$(tail -n1 <<<"$out")" "1 passed, 0 failed"
done_testing
