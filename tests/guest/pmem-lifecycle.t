#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tdax_pmem lifetimes: unbinding the namespace while /dev/tdaxR.0 is mapped
# (SIGBUS, never the memory of someone else), rmmod of tdax_pmem and of
# nfit (the libnvdimm bus provider) while mapped, rebinding after each, and
# legacy e820 pmem (memmap=SIZE!OFFSET, nd_e820) as a second kind of
# namespace.  The harness fails the run on any kernel warning.
# vm: --load --timeout 400 --nvdimm build/pmem/life-nv.img:1026M --e820-pmem 514M!0x300000000
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/pmem.sh
READY=/tmp/tdax-ready

hold_start() { # DEV LEN
	rm -f $READY
	$DT hold "$1" "$2" $READY > /tmp/tdax-hold.out 2>&1 &
	HOLD=$!
	wait_for test -e $READY
}
hold_finish() { rm -f $READY; wait $HOLD; cat /tmp/tdax-hold.out; }

if pmem_setup; then tap_ok "nfit, nd_pmem and tdax_pmem load ($NV)"; else tap_fail "pmem setup"; done_testing; fi
dd if=/dev/zero of=/tmp/zero4k bs=4096 count=1 2>/dev/null
ns_poke $NV $(ns_info_off $NV) /tmp/zero4k
is "bind $NV to tdax_pmem" "$(ns_bind $NV tdax_pmem)" ok
D=$(ns_tdax $NV)
t "/dev/$D appears" wait_for test -c /dev/$D
is "fill 1M at 4K through a mapping" "$(pt fill /dev/$D 4096 1M 1)" ok

# --- unbind the namespace while mapped -------------------------------------------
if hold_start /dev/$D 2M; then tap_ok "a process maps /dev/$D"; else tap_fail "a process maps /dev/$D"; fi
trace_on tdax_unbind tdax_fault
is "unbind $NV from tdax_pmem while mapped" "$(sysfs_write $ND/drivers/tdax_pmem/unbind $NV)" ok
is "the mapping's next access is SIGBUS" "$(hold_finish)" sigbus
trace_off
t "the fault is recorded with reason dead" grep -q "tdax_fault: .*outcome=sigbus reason=dead" $TR/trace
t "the tdax device is gone" test ! -e $BUS/devices/$D
t "the namespace's range is free again (no tdax_pmem resource)" sh -c "! grep -q tdax_pmem /proc/iomem"
is "bind $NV to nd_pmem" "$(ns_bind $NV nd_pmem)" ok
is "and back to tdax_pmem" "$(ns_bind $NV tdax_pmem)" ok
t "/dev/$D is back" wait_for test -c /dev/$D
is "the data survived the rebinds" "$(pt check /dev/$D 4096 1M 1)" 0

# --- rmmod tdax_pmem while mapped -------------------------------------------------
if hold_start /dev/$D 2M; then tap_ok "a process maps /dev/$D"; else tap_fail "a process maps /dev/$D"; fi
t "rmmod tdax_pmem while mapped" rmmod tdax_pmem
is "the mapping's next access is SIGBUS" "$(hold_finish)" sigbus
is "$NV is unbound" "$(ns_driver $NV)" none
t "insmod tdax_pmem again" insmod "$PMEM_MOD"
is "bind $NV to tdax_pmem" "$(ns_bind $NV tdax_pmem)" ok
t "/dev/$D is back" wait_for test -c /dev/$D
is "the data is still there" "$(pt check /dev/$D 4096 1M 1)" 0

# --- the bus side: nfit pinned, the region unbound while mapped ---------------------
R=$(basename "$(readlink -f $ND/devices/$NV/..)")
if hold_start /dev/$D 2M; then tap_ok "a process maps /dev/$D"; else tap_fail "a process maps /dev/$D"; fi
t "rmmod nfit is refused while its namespace is bound (libnvdimm pins the bus provider)" sh -c "! rmmod nfit 2>/dev/null"
is "unbind $R (the nd region driver) while mapped" "$(sysfs_write $ND/drivers/nd_region/unbind $R)" ok
is "the mapping's next access is SIGBUS" "$(hold_finish)" sigbus
t "the namespace is gone" test ! -e $ND/devices/$NV
t "the tdax device is gone" test ! -e $BUS/devices/$D
is "bind $R again" "$(sysfs_write $ND/drivers/nd_region/bind $R)" ok
t "the namespace is back" wait_for test -e $ND/devices/$NV
wait_for test -e $ND/devices/$NV/driver
is "bind it to tdax_pmem" "$(ns_bind $NV tdax_pmem)" ok
t "/dev/$D is back" wait_for test -c /dev/$D
is "the data is still there" "$(pt check /dev/$D 4096 1M 1)" 0

# --- legacy e820 pmem -------------------------------------------------------------
before=$(ns_list)
t "modprobe nd_e820" modprobe nd_e820
t "an e820 namespace appears" wait_for sh -c "ns_list() { ls $ND/devices | grep '^namespace' | sort; }; [ \$(ns_list | wc -l) -gt $(echo "$before" | wc -l) ]"
E=$(ns_list | grep -vxF "$before" | head -n 1)
t "it is bound to nd_pmem ($E)" wait_for test -e $ND/devices/$E/driver
ns_poke $E $(ns_info_off $E) /tmp/zero4k
is "bind $E to tdax_pmem" "$(ns_bind $E tdax_pmem)" ok
ED=$(ns_tdax $E)
t "/dev/$ED appears" wait_for test -c /dev/$ED
is "$ED: 512 MiB" "$(cat $BUS/devices/$ED/size)" 536870912
is "$ED starts at 0x300000000 (memmap=514M!0x300000000)" "$(cat $BUS/devices/$ED/resource)" 0x300000000
is "2M faults on $ED" "$(tp_count tdax_fault 'size == 0x200000 && outcome == 0' dt fault /dev/$ED 8M -e 4)" 4
is "$E persistence_domain" "$(cat $ND/devices/$E/tdax_region/persistence_domain)" memory_controller
is "unbind $E" "$(sysfs_write $ND/drivers/tdax_pmem/unbind $E)" ok

done_testing
