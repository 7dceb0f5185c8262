#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Bad blocks on a tdax_pmem device: a bad range recorded on the NFIT bus
# (tdax_pmem_poison.ko, as ACPI ARS would report poison) is read when the
# namespace binds; it is never mapped (a fault whose 4K or 2M entry covers it
# is SIGBUS, reason badblock), read(2)/write(2) stop there with EIO, and
# everything before it works.
# vm: --load --timeout 300 --nvdimm build/pmem/bad-nv.img:1026M
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/pmem.sh
MODDIR=$(sh tests/vm/load --dir)

if pmem_setup; then tap_ok "nfit, nd_pmem and tdax_pmem load ($NV)"; else tap_fail "pmem setup"; done_testing; fi
dd if=/dev/zero of=/tmp/zero4k bs=4096 count=1 2>/dev/null
ns_poke $NV $(ns_info_off $NV) /tmp/zero4k
is "bind $NV to tdax_pmem" "$(ns_bind $NV tdax_pmem)" ok
D=$(ns_tdax $NV)
t "/dev/$D appears" wait_for test -c /dev/$D
is "fill 4M through a mapping" "$(pt fill /dev/$D 0 4M 2)" ok

dmesg -C
insmod $MODDIR/tdax_pmem_poison.ko dev=$D offset=$((5 * 1048576 + 512)) len=512 2>/dev/null
t "a bad sector is recorded at device offset 5M+512" sh -c "dmesg | grep -q 'tdax_pmem_poison: $D: bad range .*: 0$'"
is "bind the namespace again (bad blocks are read at bind)" "$(ns_bind $NV nd_pmem)" ok
dmesg -C
is "... to tdax_pmem" "$(ns_bind $NV tdax_pmem)" ok
t "/dev/$D is back" wait_for test -c /dev/$D
t "tdax_pmem reports the bad range" sh -c "dmesg | grep -q 'namespace has 1 bad block range'"

# (counted with tdax_fault: getrusage may count one more minor fault around the signal)
is "2M faults: touching 8M maps two 2M entries" "$(tp_count tdax_fault 'size == 0x200000 && outcome == 0' dt fault /dev/$D 8M -r)" 2
is "... then stops at the 2M entry holding the bad block" "$(grep -o 'sigbus=1 at=0x[0-9a-f]*' $TDAX_OUT)" "sigbus=1 at=0x400000"
is "one fault refused, reason badblock" "$(tp_count tdax_fault 'reason == 12 && outcome == 2 && size == 0x200000' dt fault /dev/$D 8M -r)" 1
is "the 4M before it fault normally" "$(dt fault /dev/$D 4M -r | grep -o 'sigbus=[01]')" "sigbus=0"
t "set align 4K" set_dev $D 4096
is "4K faults: 1280 pages mapped before the bad one" "$(tp_count tdax_fault 'size == 0x1000 && outcome == 0' dt fault /dev/$D 8M -r)" 1280
is "... SIGBUS exactly at the bad page (5M)" "$(grep -o 'sigbus=1 at=0x[0-9a-f]*' $TDAX_OUT)" "sigbus=1 at=0x500000"
is "the data before it is intact" "$(pt check /dev/$D 0 4M 2)" 0
is "read(2) of the bad page is EIO" "$(dd if=/dev/$D bs=4096 skip=1280 count=1 2>&1 >/dev/null | grep -o 'Input/output error' | head -n 1)" "Input/output error"
is "a read across it stops short before it" "$(dd if=/dev/$D bs=2M skip=2 count=1 2>/dev/null | wc -c)" 1048576
is "the page after it reads" "$(dd if=/dev/$D bs=4096 skip=1281 count=1 2>/dev/null | wc -c)" 4096
is "write(2) to the bad page is EIO" "$(dd if=/tmp/zero4k of=/dev/$D bs=4096 seek=1280 count=1 conv=notrunc 2>&1 | grep -o 'Input/output error' | head -n 1)" "Input/output error"
is "fsync of the device still succeeds" "$(pt fsync /dev/$D)" ok

done_testing
