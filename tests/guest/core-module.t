#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The tdax core module on Debian's kernel: loads, registers the tdax bus,
# carries module BTF, exposes its tracepoints to perf, and unloads cleanly.
# vm: --timeout 180
set -u
echo "1..6"
t() { if eval "$2" >/dev/null 2>&1; then echo "ok - $1"; else echo "not ok - $1"; fi; }

# the modules built for the running kernel (driver/, or build/kmod/<release>/driver)
D=$(sh tests/vm/load --dir)
t "insmod $D/tdax.ko" "insmod $D/tdax.ko"
t "/sys/bus/tdax exists with drivers/ and devices/" "test -d /sys/bus/tdax/devices && test -d /sys/bus/tdax/drivers"
t "module BTF: /sys/kernel/btf/tdax exists" "test -s /sys/kernel/btf/tdax"
events=$(perf list 'tdax:*' 2>/dev/null | grep -c 'tdax:tdax_[a-z_]* *\[Tracepoint event\]')
t "perf list 'tdax:*' shows the tdax tracepoints ($events)" "[ $events -ge 8 ]"
t "rmmod tdax succeeds" "rmmod tdax"
t "after rmmod the bus and module are gone" "! test -e /sys/bus/tdax && ! grep -q '^tdax ' /proc/modules"
