# SPDX-License-Identifier: GPL-2.0-only
# tests/guest/lib/tdax.sh - helpers for the tdax guest tests (sourced).
#
# TAP:   t DESC CMD...       run CMD; ok when it exits 0 (its output is
#                            shown as "# " lines when it fails)
#        is DESC GOT WANT    ok when GOT = WANT
#        done_testing        print the plan, exit 1 if anything failed
# tdax:  dt ...              build/tests/guest/daxtest
#        set_dev DEV ALIGN [POLICY]   unbind, set align (and policy), bind
#        sysfs_write FILE VALUE       prints ok or the errno name
#        tp_count EVENT FILTER CMD... count EVENT hits matching the ftrace
#                            FILTER while CMD runs (perf stat); CMD's output
#                            goes to $TDAX_OUT
#        trace_on EVENTS... / trace_off / trace_lines   ftrace buffer helpers
TDAX_N=0
TDAX_FAILED=0
DT=${DT:-build/tests/guest/daxtest}
TR=/sys/kernel/tracing
TDAX_OUT=/tmp/tdax-test.out
BUS=/sys/bus/tdax
DRV=$BUS/drivers/tdax_device

tap_ok() { TDAX_N=$((TDAX_N + 1)); echo "ok $TDAX_N - $*"; }
tap_fail() {
	TDAX_N=$((TDAX_N + 1)); TDAX_FAILED=$((TDAX_FAILED + 1))
	echo "not ok $TDAX_N - $*"
}

t() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		tap_ok "$desc"
	else
		tap_fail "$desc"
		printf '%s\n' "$out" | tail -n 15 | sed 's/^/#   /'
	fi
}

is() {
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
	else
		tap_fail "$1"
		echo "#   got:  '$2'"
		echo "#   want: '$3'"
		return 1
	fi
}

done_testing() {
	echo "1..$TDAX_N"
	[ "$TDAX_FAILED" -eq 0 ]
	exit $?
}

dt() { "$DT" "$@"; }

sysfs_write() { "$DT" write "$1" "$2"; }

set_dev() { # DEV ALIGN [POLICY]
	local d=$BUS/devices/$1
	[ -e "$d/driver" ] && echo "$1" > "$d/driver/unbind"
	echo "$2" > "$d/align" || return 1
	[ -n "${3:-}" ] && { echo "$3" > "$d/fault_policy" || return 1; }
	echo "$1" > "$DRV/bind"
}

tp_count() { # EVENT FILTER CMD...
	local ev=$1 filter=$2 n
	shift 2
	[ "$1" = dt ] && { shift; set -- "$DT" "$@"; }	# perf runs programs, not functions
	perf stat -x, -e "tdax:$ev" --filter "$filter" -o /tmp/tdax-perf.csv -- "$@" >"$TDAX_OUT" 2>&1 || true
	n=$(grep "tdax:$ev" /tmp/tdax-perf.csv | cut -d, -f1)
	echo "${n:-none}"
}

trace_on() { # EVENT... (default: all tdax events)
	echo 0 > $TR/tracing_on
	echo > $TR/trace
	echo 0 > $TR/events/tdax/enable
	if [ $# -eq 0 ]; then
		echo 1 > $TR/events/tdax/enable
	else
		for e in "$@"; do echo 1 > $TR/events/tdax/$e/enable; done
	fi
	echo 1 > $TR/tracing_on
}

trace_off() {
	echo 0 > $TR/events/tdax/enable
	echo 0 > $TR/tracing_on
}

trace_lines() { grep -v '^#' $TR/trace; }
