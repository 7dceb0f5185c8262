#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Concurrency stress of the region and device sysfs state: writers creating
# and deleting devices of one region at the same time, other writers
# resizing the seeds, and readers of every device and region attribute.
# Before the locking rework this oopsed in klist_put (delete of a device
# that create had put on the region's list before registering it).
# The guest boots with slab debugging; the harness fails on any report.
# STRESS=long runs ten times the iterations (by hand, make bench).
# vm: --load --debug --timeout 900
set -u
. tests/guest/lib/tdax.sh

N=${STRESS_N:-150}
[ "${STRESS:-}" = long ] && N=3000
REG=1
D0=$BUS/devices/tdax$REG.0
R=$D0/../tdax_region
STOP=/tmp/stress-stop

# free region 1: tdax1.0 shrinks to 256M, leaving 768M for the seeds
echo tdax$REG.0 > $DRV/unbind
is "tdax$REG.0 shrinks to 256M" "$(sysfs_write $D0/size $((256 << 20)))" ok
avail0=$(cat $R/available_size)
is "region $REG has 768M available" "$avail0" $((768 << 20))
ndev0=$(ls $BUS/devices | wc -l)

creator() {
	local i
	for ((i = 0; i < N; i++)); do echo 1 > $R/create; done 2>/dev/null
}
deleter() { # FIRST STEP: write names tdax1.FIRST, FIRST+STEP, ... in a loop
	local i n
	for ((i = 0; i < N; i++)); do
		n=$(( ($1 + i * $2) % 24 + 1 ))
		echo tdax$REG.$n > $R/delete
	done 2>/dev/null
}
sizer() { # grow and shrink whatever seed there is
	local i s
	for ((i = 0; i < N; i++)); do
		read -r s < $R/seed || continue
		[ -n "$s" ] || continue
		echo $((2 << 20)) > $BUS/devices/$s/size
		echo 0 > $BUS/devices/$s/size
	done 2>/dev/null
}
reader() { # every readable attribute, with the shell's read (no fork)
	local f x
	while [ ! -e $STOP ]; do
		for f in $R/* $BUS/devices/tdax$REG.*/* $BUS/devices/tdax$REG.*/mapping*/*; do
			[ -f "$f" ] && [ -r "$f" ] && read -r x < "$f"
		done 2>/dev/null
	done
}

rm -f $STOP
reader & R1=$!
reader & R2=$!
creator & C1=$!
creator & C2=$!
deleter 1 1 & X1=$!
deleter 7 5 & X2=$!
sizer & S1=$!
wait $C1 $C2 $X1 $X2 $S1
echo "# writers done"
touch $STOP
wait $R1 $R2
tap_ok "$N iterations of 2 creators, 2 deleters, a resizer and 2 readers finished"

# clean up: every created device must be deletable now
for d in $BUS/devices/tdax$REG.*; do
	n=${d##*/}
	[ "$n" = tdax$REG.0 ] && continue
	echo 0 > $d/size 2>/dev/null
	echo $n > $R/delete
done
is "only tdax$REG.0 is left in region $REG" "$(ls -d $BUS/devices/tdax$REG.* | xargs -n1 basename | tr '\n' ' ')" "tdax$REG.0 "
is "the bus holds as many devices as before" "$(ls $BUS/devices | wc -l)" "$ndev0"
is "region $REG has its 768M available again" "$(cat $R/available_size)" "$avail0"
is "seed is empty" "$(cat $R/seed)" ""
is "tdax$REG.0 grows back to 1G" "$(sysfs_write $D0/size $((1 << 30)))" ok
is "tdax$REG.0 binds again" "$(sysfs_write $DRV/bind tdax$REG.0)" ok
t "tdax$REG.0 faults after the stress" dt fault /dev/tdax$REG.0 4M -e 2
t "every module unloads" sh -c 'rmmod tdax_hmem && rmmod tdax_device && rmmod tdax'
t "no tdax claim left in /proc/iomem" sh -c '! grep -q tdax /proc/iomem'
t "no tdax bus left" sh -c '! test -e /sys/bus/tdax'
done_testing
