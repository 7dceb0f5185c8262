#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Unbind/bind churn under load: 1000 unbind/bind cycles of tdax2.0, 32M
# (align changed every 7th cycle between 2M and 4K; every 5th cycle the
# unbound device is shrunk to 16M and grown back) while 8 threads open,
# map, check and unmap it (every word holds its own file offset's tag, so
# a wrong mapping is caught), a thread tries rmmod tdax_device / tdax all
# along (always refused: a file is open), and a holder file opened under
# the first binding must stay dead through all later ones.
# build/tests/guest/daxstress (tests/guest/lib/daxstress.c) does the work.
# Slab debugging is on; the harness fails the run on any kernel report.
# STRESS=long: 10000 cycles of the whole 1G device, 1G alignment included.
# vm: --load --debug --timeout 1500
set -u
. tests/guest/lib/tdax.sh
DS=build/tests/guest/daxstress
DEV=tdax2.0
D=$BUS/devices/$DEV
CYCLES=${STRESS_CYCLES:-1000}
SIZE_MB=32
[ "${STRESS:-}" = long ] && { CYCLES=10000; SIZE_MB=1024; }

echo $DEV > $DRV/unbind
is "$DEV: fault_policy fallback while unbound" "$(sysfs_write $D/fault_policy fallback)" ok
is "$DEV: size ${SIZE_MB}M" "$(sysfs_write $D/size $((SIZE_MB << 20)))" ok
is "$DEV binds" "$(sysfs_write $DRV/bind $DEV)" ok

SPAN_MB=$((SIZE_MB / 4))
out=$($DS churn $DEV $CYCLES 8 $SPAN_MB $SIZE_MB 2>&1)
echo "$out" | sed 's/^/# /'
is "daxstress: $CYCLES cycles with 8 mapping threads, no wrong data, holder dead" "$(echo "$out" | tail -n 1)" ok
cycles=$(echo "$out" | sed -n 's/.*cycles=\([0-9]*\).*/\1/p')
is "all $CYCLES unbind/bind cycles ran" "$cycles" "$CYCLES"
sigbus=$(echo "$out" | sed -n 's/.* sigbus=\([0-9]*\).*/\1/p')
enxio=$(echo "$out" | sed -n 's/.* enxio=\([0-9]*\).*/\1/p')
t "the threads met dead bindings (SIGBUS or ENXIO: got ${sigbus:-?} + ${enxio:-?})" test $((${sigbus:-0} + ${enxio:-0})) -gt 0
refused=$(echo "$out" | sed -n 's/.*rmmod_refused=\([0-9]*\).*/\1/p')
t "rmmod was attempted and refused throughout (${refused:-0} times)" test "${refused:-0}" -gt 0

is "$DEV is bound at the end" "$(basename "$(readlink $D/driver)")" tdax_device
t "$DEV faults after the churn" dt fault /dev/$DEV 4M
is "$DEV size is ${SIZE_MB}M" "$(cat $D/size)" $((SIZE_MB << 20))
ndev=$(ls $BUS/devices | wc -l)
is "no device leaked on the bus" "$ndev" 4
t "every module unloads" sh -c 'rmmod tdax_hmem && rmmod tdax_device && rmmod tdax'
t "no tdax claim left in /proc/iomem" sh -c '! grep -q tdax /proc/iomem'
t "no tdax bus or module left" sh -c '! test -e /sys/bus/tdax && ! grep -q "^tdax" /proc/modules'
done_testing
