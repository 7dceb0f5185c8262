#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The provider and the unbound device under concurrent users:
#  - size and align writes on an unbound device while other processes hold
#    files opened under its earlier binding and call mmap() on them all
#    along (ENXIO every time after the unbind, even after the rebind);
#  - the provider (tdax_hmem) unbound from hmem.0 (tdax_soft.0 from 6.4)
#    and bound again, while
#    tdax0.0 is mapped by several processes (they SIGBUS), with rmmod
#    attempts throughout (refused while files are open);
#  - rmmod tdax_hmem while devices are mapped, and a reload;
#  - afterwards every module unloads and /proc/iomem has no tdax claim.
# Slab debugging is on; the harness fails the run on any kernel report.
# STRESS=long: 10 times the rounds.
# vm: --load --debug --timeout 1200
set -u
. tests/guest/lib/tdax.sh
DS=build/tests/guest/daxstress
HMEM=/sys/bus/platform/drivers/tdax_hmem
ROUNDS=${STRESS_ROUNDS:-6}
WRITES=${STRESS_WRITES:-40}
[ "${STRESS:-}" = long ] && { ROUNDS=60; WRITES=600; }
STOP=/tmp/stress-stop
# The provider device of tdax0.0 (its region's parent): hmem.0 up to 6.3,
# tdax_soft.0 under hmem_platform.0 from 6.4 (driver/hmem.c).
PROV0=$(basename "$(readlink -f $BUS/devices/tdax0.0/..)")
READY=/tmp/tdax-ready

# --- size/align writes on an unbound device while stale files call mmap() --------
D1=$BUS/devices/tdax1.0
rm -f $STOP
pids=
for i in 1 2 3 4; do
	$DS mmaploop tdax1.0 $STOP > /tmp/mmaploop.$i 2>&1 &
	pids="$pids $!"
done
# let every process map at least once under the first binding
for _ in $(seq 200); do
	n=0
	for i in 1 2 3 4; do grep -q '^mapped' /tmp/mmaploop.$i && n=$((n + 1)); done
	[ $n -eq 4 ] && break
	sleep 0.05
done
is "4 processes map tdax1.0 in a loop" "$n" 4
is "unbind tdax1.0 under 4 mmap() loops" "$(sysfs_write $DRV/unbind tdax1.0)" ok
bad=0
for ((i = 0; i < WRITES; i++)); do
	case $((i % 4)) in	# the shell's echo: no fork per write
	0) f=size v=536870912 ;;
	1) f=align v=4096 ;;
	2) f=align v=2097152 ;;
	3) f=size v=1073741824 ;;
	esac
	echo $v 2>/dev/null > $D1/$f || { bad=$((bad + 1)); echo "# write $i: $f $v failed"; }
done
is "$WRITES size/align writes on the unbound device succeed" "$bad" 0
is "tdax1.0 binds again" "$(sysfs_write $DRV/bind tdax1.0)" ok
sleep 1
touch $STOP
wait $pids
for i in 1 2 3 4; do
	out=$(tail -n 1 /tmp/mmaploop.$i)
	ok=$(echo "$out" | sed -n 's/^ok=\([0-9]*\) .*/\1/p')
	t "mmap loop $i mapped under the first binding (${out})" test "${ok:-0}" -gt 0
	is "mmap loop $i: its file stayed dead after the rebind" "$(echo "$out" | sed -n 's/.*last=//p')" ENXIO
done
rm -f $STOP

# --- provider unbind/bind while tdax0.0 is mapped ---------------------------------
hold() { # N: start a holder of tdax0.0 that waits for $READY.N to go
	rm -f $READY.$1
	$DT hold /dev/tdax0.0 2M $READY.$1 > /tmp/hold.$1 2>&1 &
	HOLDS="$HOLDS $!"
}
bad=0
for ((r = 1; r <= ROUNDS; r++)); do
	HOLDS=
	for i in 1 2 3; do hold $i; done
	for _ in $(seq 200); do
		[ -e $READY.1 ] && [ -e $READY.2 ] && [ -e $READY.3 ] && break
		sleep 0.05
	done
	if ! [ -e $READY.1 ] || ! [ -e $READY.2 ] || ! [ -e $READY.3 ]; then
		echo "# round $r: holders did not map"; bad=$((bad + 1))
	fi
	rmmod tdax_device 2>/dev/null && { echo "# round $r: rmmod tdax_device succeeded while mapped"; bad=$((bad + 1)); }
	rmmod tdax 2>/dev/null && { echo "# round $r: rmmod tdax succeeded"; bad=$((bad + 1)); }
	w=$(sysfs_write $HMEM/unbind $PROV0)
	[ "$w" = ok ] || { echo "# round $r: provider unbind: $w"; bad=$((bad + 1)); }
	[ -e $BUS/devices/tdax0.0 ] && { echo "# round $r: tdax0.0 still on the bus"; bad=$((bad + 1)); }
	grep -q tdax0.0 /proc/iomem &&
		{ echo "# round $r: tdax0.0 still claims iomem"; bad=$((bad + 1)); }
	rmmod tdax_device 2>/dev/null && { echo "# round $r: rmmod tdax_device succeeded while files are open"; bad=$((bad + 1)); }
	rm -f $READY.1 $READY.2 $READY.3
	wait $HOLDS
	for i in 1 2 3; do
		[ "$(cat /tmp/hold.$i)" = sigbus ] || { echo "# round $r: holder $i: $(cat /tmp/hold.$i)"; bad=$((bad + 1)); }
	done
	w=$(sysfs_write $HMEM/bind $PROV0)
	[ "$w" = ok ] || { echo "# round $r: provider bind: $w"; bad=$((bad + 1)); }
	for _ in $(seq 100); do [ -c /dev/tdax0.0 ] && break; sleep 0.05; done
	dt fault /dev/tdax0.0 4M -e 2 > /dev/null || { echo "# round $r: tdax0.0 does not fault after the rebind"; bad=$((bad + 1)); }
done
is "$ROUNDS provider unbind/bind rounds under 3 mappings each: SIGBUS, no rmmod, clean rebind" "$bad" 0

# --- rmmod tdax_hmem while mapped ---------------------------------------------------
HOLDS=
hold 1
for _ in $(seq 200); do [ -e $READY.1 ] && break; sleep 0.05; done
t "rmmod tdax_hmem while tdax0.0 is mapped" rmmod tdax_hmem
t "no tdax device left on the bus" sh -c "! ls $BUS/devices | grep -q ."
rm -f $READY.1
wait $HOLDS
is "the mapping SIGBUSes" "$(cat /tmp/hold.1)" sigbus
t "the stack loads again" sh tests/vm/load
t "tdax0.0 faults after the reload" dt fault /dev/tdax0.0 4M -e 2

t "every module unloads" sh -c 'rmmod tdax_hmem && rmmod tdax_device && rmmod tdax'
t "no tdax claim left in /proc/iomem" sh -c '! grep -q tdax /proc/iomem'
t "no tdax bus or module left" sh -c '! test -e /sys/bus/tdax && ! grep -q "^tdax" /proc/modules'
done_testing
