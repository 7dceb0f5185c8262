#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# pmem part of `make demo` (the guest has an emulated NVDIMM, --nvdimm):
# moves the NVDIMM's namespace from nd_pmem to tdax_pmem, shows the region's
# persistence domain, writes with dd and reads through a mapping, and traces
# the flushes of msync/fsync per persistence domain (tdax:tdax_flush).
cd "$(dirname "$0")/../.." || exit 1
PT=build/tests/guest/pmemtest
ND=/sys/bus/nd
banner() { printf '\n=== %s ===\n' "$*"; }

modprobe nd_pmem 2>/dev/null && modprobe nfit 2>/dev/null || { echo "  (no libnvdimm: pmem demo skipped)"; exit 0; }
for _ in $(seq 50); do ls $ND/devices 2>/dev/null | grep -q '^namespace' && break; sleep 0.1; done
NS=$(ls $ND/devices 2>/dev/null | grep '^namespace' | head -n 1)
[ -n "$NS" ] || { echo "  (no NVDIMM namespace: run with tests/vm/run --nvdimm FILE)"; exit 0; }
grep -q '^tdax_pmem ' /proc/modules || insmod "$(sh tests/vm/load --dir)/tdax_pmem.ko" || exit 1

banner "NVDIMM $NS ($(cat $ND/devices/$NS/resource), $(( $(cat $ND/devices/$NS/size) >> 20 ))M): nd_pmem -> tdax_pmem"
for _ in $(seq 50); do [ -e $ND/devices/$NS/driver ] && break; sleep 0.1; done
drv=$(basename "$(readlink $ND/devices/$NS/driver)")
echo "  bound to $drv; \$ echo $NS > $ND/drivers/$drv/unbind; echo $NS > $ND/drivers/tdax_pmem/bind"
echo "$NS" > $ND/drivers/$drv/unbind
echo "$NS" > $ND/drivers/tdax_pmem/bind || { dmesg | grep tdax_pmem | tail -n 3; exit 1; }
D=tdax$(cat $ND/devices/$NS/tdax_region/id).0
for _ in $(seq 50); do [ -c /dev/$D ] && break; sleep 0.1; done
dmesg | grep "tdax_pmem $NS" | tail -n 2 | sed 's/^/  /'
echo "  /dev/$D: size $(( $(cat /sys/bus/tdax/devices/$D/size) >> 20 ))M, align $(( $(cat /sys/bus/tdax/devices/$D/align) >> 10 ))K," \
	"persistence_domain $(cat $ND/devices/$NS/tdax_region/persistence_domain), synchronous $(cat /sys/bus/tdax/devices/$D/synchronous)"

banner "dd writes 2M at byte 4096 (write(2), non-temporal stores); a mapping reads it back"
$PT gen 4096 2M 1 > /tmp/demo-p
dd if=/tmp/demo-p of=/dev/$D bs=64K seek=4096 oflag=seek_bytes conv=notrunc 2>&1 | tail -n 1 | sed 's/^/  /'
echo "  wrong bytes through mmap: $($PT check /dev/$D 4096 2M 1)"

banner "flushes: msync(MS_SYNC) of 8K, fsync, then msync with the cpu_cache override"
echo "  \$ perf trace --no-syscalls -e tdax:tdax_flush -- ..."
perf trace --no-syscalls --libtraceevent_print -e tdax:tdax_flush -- $PT msync /dev/$D 2M 4096 8192 2>&1 | grep tdax_flush | sed 's/^/  /'
perf trace --no-syscalls --libtraceevent_print -e tdax:tdax_flush -- $PT fsync /dev/$D 2>&1 | grep tdax_flush | sed 's/^/  /'
echo cpu_cache > $ND/devices/$NS/tdax_region/persistence_domain
perf trace --no-syscalls --libtraceevent_print -e tdax:tdax_flush -- $PT msync /dev/$D 2M 0 4096 2>&1 | grep tdax_flush | sed 's/^/  /'
echo auto > $ND/devices/$NS/tdax_region/persistence_domain
perf trace --no-syscalls --libtraceevent_print -e tdax:tdax_flush -- $PT fsync /dev/tdax0.0 2>&1 | grep tdax_flush | sed 's/^/  /;s/$/   (hmem: volatile)/'
echo "  MAP_SYNC on /dev/$D: $($PT mapsync /dev/$D 2M)"
exit 0
