#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# stock-overhead.sh - what daxtop's stock source costs on the in-tree
# device_dax of Debian's kernel (tdax not loaded).  Run on the host:
#   tests/bench/stock-overhead.sh            (boots the guest itself)
#   TDAX_KERNELS=6.12 ... / STOCK_ATTACH=kprobe ...
#
# Fault-in of 1 GiB touched at 4K stride on dax0.0 (4K), dax1.0 (2M) and
# dax2.0 (1G), REPS interleaved rounds without and with daxtop -b 1
# attached (--stock-attach $STOCK_ATTACH, default auto); prints medians and
# the ratio.  Figures, not pass/fail: docs/stock-kernel.md records them.
set -u
REPS=${REPS:-3}
DAXTOP=build/bin/daxtop
LOAD=build/tests/bin/daxload
if [ "${TDAX_GUEST:-}" != 1 ]; then
	exec tests/vm/run ${TDAX_KERNELS:+--kernel $TDAX_KERNELS} --timeout 1800 -- \
		env REPS=$REPS STOCK_ATTACH=${STOCK_ATTACH:-auto} sh "$0" "$@"
fi
. tests/guest/lib/tdax.sh
. tests/guest/lib/stock.sh
die() { echo "stock-overhead: $*" >&2; exit 1; }
stock_setup || die "cannot bind the in-tree dax_hmem/device_dax"
stock_align dax0.0 4096 || die "cannot set dax0.0 to 4K"
stock_align dax2.0 1073741824 || die "cannot set dax2.0 to 1G"
echo "# warm-up (first touch of guest memory is slow under TCG)"
for d in dax0.0 dax1.0 dax2.0; do $LOAD -q -w -s 1G -t 4K /dev/$d || die "warm-up of $d"; done

faultin() {
	$LOAD -s 1G -t 4K "/dev/$1" | sed -n 's/.*elapsed_ns=\([0-9]*\).*/\1/p' |
		awk '{ printf "%.4f\n", $1 / 1e9 }'
}
attached() { [ "$(grep -l '^link_type' /proc/$1/fdinfo/* 2>/dev/null | wc -l)" -ge 4 ]; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

R=/tmp/stock-runs
: >$R
r=0
while [ $r -lt "$REPS" ]; do
	for d in dax0.0 dax1.0 dax2.0; do echo "none $d $(faultin $d)" >>$R; done
	$DAXTOP -b --source stock --stock-attach "$STOCK_ATTACH" 1 >/dev/null 2>/tmp/stock-dt.err &
	DT=$!
	wait_for 60 attached $DT || die "daxtop did not attach: $(cat /tmp/stock-dt.err)"
	for d in dax0.0 dax1.0 dax2.0; do echo "daxtop $d $(faultin $d)" >>$R; done
	kill -INT $DT
	wait $DT
	r=$((r + 1))
done
med() { awk -v m=$1 -v d=$2 '$1 == m && $2 == d { print $3 }' $R | median; }
echo
echo "Fault-in of 1 GiB at 4K stride on the in-tree device_dax ($(uname -r), stock attach $STOCK_ATTACH), median of $REPS rounds (s)"
printf '%-5s %-7s %7s %9s %9s %7s\n' ALIGN DEVICE FAULTS NOTHING DAXTOP DT/NO
for x in "4K dax0.0 262144" "2M dax1.0 512" "1G dax2.0 1"; do
	set -- $x
	a=$(med none $2) b=$(med daxtop $2)
	printf '%-5s %-7s %7s %9s %9s %7s\n' $1 $2 $3 $a $b $(awk "BEGIN { printf \"%.3f\", $b / $a }")
done
