#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# daxtop part of `make demo` (in the guest, tdax loaded): daxtop's live view
# over a sample workload with hits (2M and 4K devices), PTE fallbacks
# (fallback policy + MADV_NOHUGEPAGE), SIGBUS (strict + MADV_NOHUGEPAGE),
# refused mmaps, and a region destroyed and re-created (lifetimes).
# Interactive on a terminal (12 refreshes, or press q), batch text otherwise.
cd "$(dirname "$0")/../.." || exit 1
DAXTOP=build/bin/daxtop
LOAD=build/tests/bin/daxload
BUS=/sys/bus/tdax
HMEM=/sys/bus/platform/drivers/tdax_hmem

set_dev() { # DEV ALIGN [POLICY]
	echo "$1" > $BUS/devices/$1/driver/unbind
	echo "$2" > $BUS/devices/$1/align
	[ -n "${3:-}" ] && echo "$3" > $BUS/devices/$1/fault_policy
	echo "$1" > $BUS/drivers/tdax_device/bind
}

printf '\n=== daxtop: live view over a sample workload ===\n'
set_dev tdax0.0 4096
set_dev tdax3.0 2097152 fallback
cat <<'TXT'
  tdax0.0 align 4K        16 MiB touched at 4K: 4K hits
  tdax1.0 align 2M        64 MiB touched: 2M hits; 3 MAP_PRIVATE mmaps refused
  tdax2.0 align 2M strict 2 MiB under MADV_NOHUGEPAGE: SIGBUS (reason nohugepage)
  tdax3.0 align 2M fallback 8 MiB under MADV_NOHUGEPAGE: PTE fallbacks
  region 2 (hmem.2) destroyed and re-created after ~6 s: a lifetime, a new age
TXT

(
	i=0
	while [ $i -lt 10 ]; do
		$LOAD -q -s 16M /dev/tdax0.0
		$LOAD -q -s 64M -P 3 /dev/tdax1.0 2>/dev/null
		[ -c /dev/tdax2.0 ] && $LOAD -q -s 2M -N /dev/tdax2.0
		$LOAD -q -s 8M -N /dev/tdax3.0
		if [ $i = 5 ]; then
			echo hmem.2 > $HMEM/unbind
			echo hmem.2 > $HMEM/bind
		fi
		sleep 1
		i=$((i + 1))
	done
) &
WL=$!

if [ "${TDAX_TTY:-0}" = 1 ] && [ -t 1 ] && [ -t 0 ]; then
	$DAXTOP -n 12 1
else
	$DAXTOP -b -n 5 -V devices 2
	$DAXTOP -b -n 1 -V processes 1
	$DAXTOP -b -n 1 -V regions 1
fi
rc=$?
wait $WL
printf '\n=== daxtop --events: each fault not served at its size ===\n'
$DAXTOP --events -n 6 1 &
EV=$!
sleep 4
$LOAD -q -s 2M -t 512K -N /dev/tdax3.0
$LOAD -q -s 2M -P 1 /dev/tdax1.0 2>/dev/null
wait $EV
exit $rc
