#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dkms-modules.t - the modules DKMS built from the tdax-dkms package (kept by
# tests/host/deb-dkms.t in build/dkms/<release>/) load on this kernel, carry
# module BTF the kernel accepts, and pass the driver smoke test
# (tests/guest/driver-basic.t) instead of the tree's modules.
# vm: --timeout 400
set -u
. tests/guest/lib/tdax.sh
rel=$(uname -r)
D=build/dkms/$rel

if ! t "DKMS-built modules for $rel in $D (made by tests/host/deb-dkms.t)" \
	test -f $D/tdax.ko -a -f $D/tdax_device.ko -a -f $D/tdax_hmem.ko; then
	done_testing
fi
is "they were built for this kernel (vermagic)" "$(modinfo -F vermagic $D/tdax.ko | cut -d' ' -f1)" "$rel"
t "they load and bring up the default devices (tests/vm/load)" env TDAX_DRIVER_DIR=$D sh tests/vm/load
is "the loaded tdax is the DKMS build (srcversion)" \
	"$(cat /sys/module/tdax/srcversion 2>&1)" "$(modinfo -F srcversion $D/tdax.ko)"
is "the loaded tdax_device is the DKMS build (srcversion)" \
	"$(cat /sys/module/tdax_device/srcversion 2>&1)" "$(modinfo -F srcversion $D/tdax_device.ko)"
t "the kernel accepted their module BTF (/sys/kernel/btf/tdax, tdax_device)" \
	test -s /sys/kernel/btf/tdax -a -s /sys/kernel/btf/tdax_device
echo "# driver smoke test on the DKMS-built modules:"
TDAX_DRIVER_DIR=$D bash tests/guest/driver-basic.t >/tmp/dkms-smoke.out 2>&1
rc=$?
sed -n 's/^\(not \)\{0,1\}ok [0-9]* - /&driver-basic: /p' /tmp/dkms-smoke.out | sed 's/^\(not \)\{0,1\}ok [0-9]* - /# /'
is "driver-basic.t passes on them ($(grep -c '^ok' /tmp/dkms-smoke.out) ok, $(grep -c '^not ok' /tmp/dkms-smoke.out) not ok)" \
	"$rc $(grep -c '^not ok' /tmp/dkms-smoke.out)" "0 0"
grep '^not ok' /tmp/dkms-smoke.out | sed 's/^/#   /'
is "driver-basic.t ran all four device specs (at least 50 checks)" "$(( $(grep -c "^ok" /tmp/dkms-smoke.out) >= 50 ))" 1
done_testing
