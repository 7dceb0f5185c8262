# SPDX-License-Identifier: GPL-2.0-only
# tests/guest/lib/stock.sh - the in-tree device_dax of Debian's kernel for the
# stock-kernel tests (sourced after tdax.sh).  The guest must be booted
# without --load: tdax is NOT loaded, hmem.0..2 (1 GiB each, soft reserved)
# are unclaimed.
#
#   stock_setup             modprobe device_dax + dax_hmem, bind hmem.0..2:
#                           /dev/dax0.0 .. /dev/dax2.0 (2M, the default)
#   stock_align DEV ALIGN   unbind from device_dax, write align, bind again
#   stock_bind DEV          bind DEV to device_dax (by new_id where needed)
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
		wait_for 30 test -e $SBUS/devices/dax$h.0 || { echo "stock_setup: no dax$h.0" >&2; return 1; }
		stock_bind dax$h.0 || { echo "stock_setup: cannot bind dax$h.0 to device_dax" >&2; return 1; }
	done
}

stock_align() { # DEV ALIGN
	local d=$SBUS/devices/$1
	[ -e "$d/driver" ] && { echo "$1" > "$d/driver/unbind" || return 1; }
	echo "$2" > "$d/align" || return 1
	stock_bind "$1" || return 1
	[ "$(cat "$d/align")" = "$2" ] || return 1
}

# Bind DEV to device_dax.  6.12 flags hmem regions for dax_kmem: device_dax
# matches them only by id (new_id), and does not claim them by itself.
stock_bind() { # DEV
	local d=$SBUS/devices/$1
	[ -e "$d/driver" ] && return 0
	echo "$1" > $SBUS/drivers/device_dax/bind 2>/dev/null ||
		echo "$1" > $SBUS/drivers/device_dax/new_id 2>/dev/null
	[ -e "$d/driver" ] || echo "$1" > $SBUS/drivers/device_dax/bind || return 1
	wait_for 30 test -c "/dev/$1"
}
