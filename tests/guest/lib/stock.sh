# SPDX-License-Identifier: GPL-2.0-only
# tests/guest/lib/stock.sh - the in-tree device_dax of Debian's kernel for the
# stock-kernel tests (sourced after tdax.sh).  The guest must be booted
# without --load: tdax is NOT loaded, hmem.0..2 (1 GiB each, soft reserved)
# are unclaimed.
#
#   stock_setup             modprobe device_dax + dax_hmem, bind hmem.0..2:
#                           /dev/dax0.0 .. /dev/dax2.0 (2M, the default)
#   stock_align DEV ALIGN   unbind from device_dax, write align, bind again
#   wait_for SECS CMD...    poll CMD every 0.1 s until it succeeds (1) or
#                           SECS pass (returns 1)
SBUS=/sys/bus/dax

wait_for() { # SECS CMD...
	local end=$(( $(date +%s) + $1 ))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge $end ] && return 1
		sleep 0.1
	done
	return 0
}

stock_setup() {
	local h
	[ -d /sys/bus/tdax ] && { echo "stock_setup: tdax is loaded (boot without --load)" >&2; return 1; }
	modprobe device_dax || return 1
	modprobe dax_hmem || return 1
	for h in 0 1 2; do
		[ -e /sys/bus/platform/devices/hmem.$h/driver ] ||
			echo hmem.$h > /sys/bus/platform/drivers/hmem/bind 2>/dev/null
		wait_for 30 test -c /dev/dax$h.0 || { echo "stock_setup: no /dev/dax$h.0" >&2; return 1; }
	done
}

stock_align() { # DEV ALIGN
	local d=$SBUS/devices/$1
	[ -e "$d/driver" ] && { echo "$1" > "$d/driver/unbind" || return 1; }
	echo "$2" > "$d/align" || return 1
	# 6.12 flags hmem regions for kmem: device_dax binds them only by id
	echo "$1" > $SBUS/drivers/device_dax/bind 2>/dev/null ||
		echo "$1" > $SBUS/drivers/device_dax/new_id 2>/dev/null
	[ -e "$d/driver" ] || echo "$1" > $SBUS/drivers/device_dax/bind || return 1
	[ "$(cat "$d/align")" = "$2" ] || return 1
	wait_for 30 test -c "/dev/$1"
}
