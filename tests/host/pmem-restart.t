#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# A guest restarted on the same NVDIMM file finds its data and its
# configuration: one guest binds the namespace to tdax_pmem, sets align 1G
# and fault_policy fallback and writes data with write(2); a second guest,
# booted on the same file, gets them back from tdax_pmem's info block.
# Runs on the host; boots two guests.
set -u
cd "$(dirname "$0")/../.." || exit 1
IMG=build/pmem/restart-nv.img
rm -f "$IMG"
N=0 FAILED=0
is() {
	N=$((N + 1))
	if [ "$2" = "$3" ]; then echo "ok $N - $1"
	else FAILED=$((FAILED + 1)); echo "not ok $N - $1"; echo "#   got:  '$2'"; echo "#   want: '$3'"; fi
}
val() { sed -n "s/^$1=//p" <<<"$2" | tr -d '\r' | tail -n 1; }
run() { tests/vm/run --load --timeout 300 --nvdimm "$IMG:1026M" -- bash tests/guest/lib/pmem-restart.sh "$1" 2>&1; }

out=$(run first); rc=$?
is "first guest ran (status)" "$rc" 0
is "first guest: bound to tdax_pmem" "$(val bind "$out")" ok
is "first guest: align 1G and fault_policy fallback set" "$(val set "$out")" ok
is "first guest: 4M written with write(2)" "$(val write "$out")" ok
is "first guest: fsync" "$(val fsync "$out")" ok
[ "$FAILED" = 0 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'

out=$(run second); rc=$?
is "second guest ran (status)" "$rc" 0
is "second guest: bound to tdax_pmem" "$(val bind "$out")" ok
is "second guest: align restored" "$(val align "$out")" 1073741824
is "second guest: fault_policy restored" "$(val policy "$out")" fallback
is "second guest: the kernel says what it restored" "$(val restored_msg "$out")" 1
is "second guest: the data is there (wrong bytes through a 1G mapping)" "$(val check "$out")" 0
is "second guest: 1G touched in one 1G fault" "$(val faults_1g "$out")" 1
[ "$FAILED" = 0 ] || printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
rm -f "$IMG"
echo "1..$N"
[ "$FAILED" = 0 ]
