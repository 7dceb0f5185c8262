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
	test -f $D/tdax.ko -a -f $D/tdax_device.ko -a -f $D/tdax_hmem.ko -a \
	     -f $D/tdax_kmem.ko -a -f $D/tdax_pmem.ko; then
	done_testing
fi
is "they were built for this kernel (vermagic)" "$(modinfo -F vermagic $D/tdax.ko | cut -d' ' -f1)" "$rel"
t "they load and bring up the default devices (tests/vm/load)" env TDAX_DRIVER_DIR=$D sh tests/vm/load
is "tests/vm/load took them from $D" "$(TDAX_DRIVER_DIR=$D sh tests/vm/load --dir)" "$D"
is "the three modules are loaded" "$(grep -c '^tdax\(_device\|_hmem\)\? ' /proc/modules)" 3
for m in tdax tdax_device tdax_hmem; do
	t "the kernel accepted $m's module BTF (/sys/kernel/btf/$m)" test -s /sys/kernel/btf/$m
done
# the second driver and the pmem provider: they load beside the others, with BTF
t "tdax_kmem.ko from $D loads" insmod $D/tdax_kmem.ko
t "tdax_pmem.ko from $D loads (after libnvdimm)" sh -c "modprobe libnvdimm && insmod $D/tdax_pmem.ko"
for m in tdax_kmem tdax_pmem; do
	t "the kernel accepted $m's module BTF (/sys/kernel/btf/$m)" test -s /sys/kernel/btf/$m
	is "$m is the DKMS build (srcversion)" "$(cat /sys/module/$m/srcversion 2>/dev/null)" \
		"$(modinfo -F srcversion $D/$m.ko)"
done
t "tdax_kmem and tdax_pmem unload again" sh -c "rmmod tdax_pmem && rmmod tdax_kmem"
echo "# driver smoke test on the DKMS-built modules:"
TDAX_DRIVER_DIR=$D bash tests/guest/driver-basic.t >/tmp/dkms-smoke.out 2>&1
rc=$?
sed -n 's/^\(not \)\{0,1\}ok [0-9]* - /&driver-basic: /p' /tmp/dkms-smoke.out | sed 's/^\(not \)\{0,1\}ok [0-9]* - /# /'
is "driver-basic.t passes on them ($(grep -c '^ok' /tmp/dkms-smoke.out) ok, $(grep -c '^not ok' /tmp/dkms-smoke.out) not ok)" \
	"$rc $(grep -c '^not ok' /tmp/dkms-smoke.out)" "0 0"
grep '^not ok' /tmp/dkms-smoke.out | sed 's/^/#   /'
is "driver-basic.t ran all four device specs (at least 50 checks)" "$(( $(grep -c "^ok" /tmp/dkms-smoke.out) >= 50 ))" 1
done_testing
