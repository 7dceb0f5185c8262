#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/guest/lib/pmem-restart.sh first|second - the two guests of
# tests/host/pmem-restart.t on one NVDIMM file.  Prints KEY=VALUE lines the
# host test checks.
#   first:  bind the namespace to tdax_pmem, set align 1G and fault_policy
#           fallback, write 4M of pattern at byte 1M+123 with write(2), fsync
#   second: bind again: what was restored, and the data read through a 1G
#           mapping
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/pmem.sh
pmem_setup || { echo "setup=failed"; exit 1; }
echo "setup=ok"
echo "bind=$(ns_bind $NV tdax_pmem)"
D=$(ns_tdax $NV)
wait_for test -c /dev/$D || { echo "dev=missing"; exit 1; }
echo "dev=ok"
case "${1:-}" in
first)
	if set_dev $D 1073741824 fallback; then echo "set=ok"; else echo "set=failed"; fi
	pt gen $((1048576 + 123)) 4M 42 > /tmp/p
	dd if=/tmp/p of=/dev/$D bs=1M seek=$((1048576 + 123)) oflag=seek_bytes conv=notrunc 2>/dev/null &&
		echo "write=ok" || echo "write=failed"
	echo "fsync=$(pt fsync /dev/$D)"
	;;
second)
	echo "align=$(cat $BUS/devices/$D/align)"
	echo "policy=$(cat $BUS/devices/$D/fault_policy)"
	echo "restored_msg=$(dmesg | grep -c 'restored align 0x40000000, fault_policy 1')"
	echo "check=$(PMEMTEST_MAPLEN=1G pt check /dev/$D $((1048576 + 123)) 4M 42)"
	echo "faults_1g=$(tp_count tdax_fault 'size == 0x40000000 && outcome == 0' dt fault /dev/$D 1G -s 2M -e 1)"
	;;
esac
