#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tdax_pmem on an emulated NFIT NVDIMM and a virtio-pmem device: binding
# namespaces between nd_pmem and tdax_pmem, the layout (data at the
# namespace start, seen the same through /dev/pmemN), 4K/2M/1G faults,
# read/write/mmap data in both directions (hmem too), flushes per
# persistence domain (tdax_flush), MAP_SYNC, sysfs, and the damaged/foreign
# info block refused and left untouched.
# vm: --load --timeout 500 --nvdimm build/pmem/basic-nv.img:1026M --virtio-pmem build/pmem/basic-vp.img:514M
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/pmem.sh

if pmem_setup virtio && [ -n "$VP" ]; then tap_ok "nfit, nd_pmem, virtio_pmem and tdax_pmem load; two namespaces ($NV, $VP)"
else tap_fail "nfit, nd_pmem, virtio_pmem and tdax_pmem load; two namespaces (got '${NV:-}' '${VP:-}')"; done_testing; fi
is "the NVDIMM namespace starts bound to nd_pmem" "$(ns_driver $NV)" nd_pmem
is "the virtio-pmem namespace starts bound to nd_pmem" "$(ns_driver $VP)" nd_pmem

# a clean info area on both (earlier runs of this test used the same files)
dd if=/dev/zero of=/tmp/zero4k bs=4096 count=1 2>/dev/null
for ns in $NV $VP; do ns_poke $ns $(ns_info_off $ns) /tmp/zero4k; done

# --- bind ------------------------------------------------------------------
is "bind $NV to tdax_pmem" "$(ns_bind $NV tdax_pmem)" ok
is "bind $VP to tdax_pmem" "$(ns_bind $VP tdax_pmem)" ok
NVD=$(ns_tdax $NV) VPD=$(ns_tdax $VP)
t "/dev/$NVD appears" wait_for test -c /dev/$NVD
t "/dev/$VPD appears" wait_for test -c /dev/$VPD
is "$NVD: 1 GiB (1026M namespace minus the 2M info area)" "$(cat $BUS/devices/$NVD/size)" 1073741824
is "$VPD: 512 MiB" "$(cat $BUS/devices/$VPD/size)" 536870912
is "$NVD starts at the namespace start" "$(cat $BUS/devices/$NVD/resource)" "$(cat $ND/devices/$NV/resource)"
is "$NV persistence_domain (QEMU declares none: caches written back)" \
	"$(cat $ND/devices/$NV/tdax_region/persistence_domain)" memory_controller
is "$VP persistence_domain" "$(cat $ND/devices/$VP/tdax_region/persistence_domain)" virtio_host
is "$NVD is synchronous" "$(cat $BUS/devices/$NVD/synchronous)" 1
is "$VPD is not synchronous" "$(cat $BUS/devices/$VPD/synchronous)" 0
is "hmem tdax0.0 is synchronous" "$(cat $BUS/devices/tdax0.0/synchronous)" 1
P0=$(readlink -f $BUS/devices/tdax0.0/..)	# hmem.0 (tdax_soft.0 from 6.4 on)
t "hmem regions have no persistence_domain" sh -c "test -d $P0/tdax_region && test ! -e $P0/tdax_region/persistence_domain"
t "the info area is a busy 'tdax_pmem info' resource" grep -q 'tdax_pmem info' /proc/iomem

# --- faults at 4K, 2M, 1G ------------------------------------------------------
is "2M faults on $NVD: 8M touched in 4 faults" \
	"$(tp_count tdax_fault 'size == 0x200000 && outcome == 0' dt fault /dev/$NVD 8M -e 4)" 4
t "set $NVD align 4K" set_dev $NVD 4096
is "4K faults on $NVD: 1M touched in 256 faults" \
	"$(tp_count tdax_fault 'size == 0x1000 && outcome == 0' dt fault /dev/$NVD 1M -e 256)" 256
t "set $NVD align 1G" set_dev $NVD 1073741824
is "1G fault on $NVD: 1G touched in 1 fault" \
	"$(tp_count tdax_fault 'size == 0x40000000 && outcome == 0' dt fault /dev/$NVD 1G -s 2M -e 1)" 1
t "set $NVD back to align 2M" set_dev $NVD 2097152
is "2M faults on virtio $VPD" \
	"$(tp_count tdax_fault 'size == 0x200000 && outcome == 0' dt fault /dev/$VPD 4M -e 2)" 2

# --- data: write(2) <-> mmap, read(2) ---------------------------------------------
pt gen 12345 3M 7 > /tmp/p7
t "dd (write(2)) 3M at byte 12345 of $NVD" dd if=/tmp/p7 of=/dev/$NVD bs=64K seek=12345 oflag=seek_bytes conv=notrunc
is "the mapping reads what write(2) wrote (wrong bytes)" "$(pt check /dev/$NVD 12345 3M 7)" 0
is "fill 2M at 5M+777 through a mapping" "$(pt fill /dev/$NVD $((5*1048576+777)) 2M 9)" ok
pt gen $((5*1048576+777)) 2M 9 > /tmp/p9
t "read(2) of that range matches" sh -c "dd if=/dev/$NVD bs=64K skip=$((5*1048576+777)) count=2M iflag=skip_bytes,count_bytes 2>/dev/null | cmp - /tmp/p9"
pt gen 0 2M 11 > /tmp/p11
t "cp a file onto the device (offset 0)" cp /tmp/p11 /dev/$NVD
is "... it reads back through a mapping" "$(pt check /dev/$NVD 0 2M 11)" 0
t "... and through read(2)" sh -c "head -c 2097152 /dev/$NVD | cmp - /tmp/p11"
is "read at the device end returns 0 bytes" "$(dd if=/dev/$NVD bs=4096 skip=1G iflag=skip_bytes count=1 2>/dev/null | wc -c)" 0
t "write at the device end fails with ENOSPC" sh -c "dd if=/tmp/p9 of=/dev/$NVD bs=4096 count=1 seek=1G oflag=seek_bytes conv=notrunc 2>&1 | grep -q 'No space left'"
t "dd onto hmem tdax0.0" dd if=/tmp/p7 of=/dev/tdax0.0 bs=64K seek=12345 oflag=seek_bytes conv=notrunc
is "hmem: the mapping reads what write(2) wrote" "$(pt check /dev/tdax0.0 12345 3M 7)" 0
is "virtio: fill through a mapping" "$(pt fill /dev/$VPD 4096 1M 3)" ok
pt gen 4096 1M 3 > /tmp/p3
t "virtio: read(2) matches" sh -c "dd if=/dev/$VPD bs=4096 skip=1 count=256 2>/dev/null | cmp - /tmp/p3"

# --- flushes per persistence domain (tdax_flush) -------------------------------------
trace_on tdax_flush
is "msync(MS_SYNC) of 8K at 4K on $NVD" "$(pt msync /dev/$NVD 4M 4096 8192)" ok
trace_off
is "one tdax_flush for the msync" "$(flush_lines)" 1
t "it flushed exactly 0x1000+8192, memory_controller, not skipped" \
	grep -q "tdax_flush: .*offset=0x1000 bytes=8192 domain=memory_controller skipped=0 result=0" $TR/trace
trace_on tdax_flush
is "fsync $NVD" "$(pt fsync /dev/$NVD)" ok
is "fdatasync $NVD" "$(pt fsync /dev/$NVD data)" ok
trace_off
is "fsync and fdatasync: two flushes of the whole device" \
	"$(grep -c 'tdax_flush: .*offset=0x0 bytes=1073741824 domain=memory_controller skipped=0 result=0' $TR/trace)" 2
trace_on tdax_flush
t "an O_DSYNC write of 4K at 8K" dd if=/tmp/p9 of=/dev/$NVD bs=4096 count=1 seek=2 oflag=dsync conv=notrunc
trace_off
is "it flushed what it wrote (0x2000+4096)" "$(grep -c 'tdax_flush: .*offset=0x2000 bytes=4096 domain=memory_controller skipped=0' $TR/trace)" 1
is "override $NV to cpu_cache" "$(sysfs_write $ND/devices/$NV/tdax_region/persistence_domain cpu_cache)" ok
trace_on tdax_flush
pt msync /dev/$NVD 4M 0 4096 >/dev/null
trace_off
is "cpu_cache: the msync flush is skipped" "$(grep -c 'tdax_flush: .*offset=0x0 bytes=4096 domain=cpu_cache skipped=1' $TR/trace)" 1
is "back to auto" "$(sysfs_write $ND/devices/$NV/tdax_region/persistence_domain auto)" ok
is "auto is memory_controller again" "$(cat $ND/devices/$NV/tdax_region/persistence_domain)" memory_controller
is "a bad override is EINVAL" "$(sysfs_write $ND/devices/$NV/tdax_region/persistence_domain adr 2>&1)" EINVAL
is "no override on virtio-pmem" "$(sysfs_write $ND/devices/$VP/tdax_region/persistence_domain cpu_cache 2>&1)" EOPNOTSUPP
trace_on tdax_flush
pt msync /dev/$VPD 2M 0 2M >/dev/null
pt fsync /dev/tdax0.0 >/dev/null
trace_off
is "virtio: msync asks the host (virtio_host, not skipped)" \
	"$(grep -c 'tdax_flush: .*offset=0x0 bytes=2097152 domain=virtio_host skipped=0 result=0' $TR/trace)" 1
is "hmem: fsync has nothing to flush (none, skipped)" \
	"$(grep -c 'tdax_flush: .*bytes=1073741824 domain=none skipped=1' $TR/trace)" 1

# --- MAP_SYNC ----------------------------------------------------------------------
is "MAP_SYNC on the NVDIMM is accepted" "$(pt mapsync /dev/$NVD 2M)" ok
is "MAP_SYNC on virtio-pmem is refused" "$(pt mapsync /dev/$VPD 2M)" EOPNOTSUPP

# --- the layout as nd_pmem sees it ------------------------------------------------
is "$NV back to nd_pmem" "$(ns_bind $NV nd_pmem)" ok
# 1M from byte 5M+4K: inside the 2M filled at 5M+777 (byte 3319 of /tmp/p9)
tail -c +3320 /tmp/p9 | head -c 1048576 > /tmp/p9sub
t "/dev/pmem shows the data tdax wrote at the same offset" \
	sh -c "dd if=$(ns_blk $NV) bs=4096 skip=$((5 * 256 + 1)) count=256 iflag=direct 2>/dev/null | cmp - /tmp/p9sub"

# --- damaged and foreign info blocks ---------------------------------------------------
OFF=$(ns_info_off $NV)
good=$(ns_info_sum $NV)
dd if=/dev/zero bs=1 count=8 2>/dev/null | tr '\0' '\377' > /tmp/junk8
dd if=$(ns_blk $NV) bs=4096 skip=$((OFF / 4096)) count=1 iflag=direct of=/tmp/info 2>/dev/null
dd if=/tmp/junk8 of=/tmp/info bs=1 seek=40 conv=notrunc 2>/dev/null
ns_poke $NV $OFF /tmp/info
bad=$(ns_info_sum $NV)
t "the info block was damaged (8 bytes of data_size)" test "$good" != "$bad"
dmesg -C
is "tdax_pmem refuses the damaged block" "$(ns_bind $NV tdax_pmem)" EINVAL
t "with a message naming it corrupt" sh -c "dmesg | grep -q 'info block at offset .* is corrupt'"
is "no tdax device for the refused namespace" "$(ls $ND/devices/$NV/tdax_region 2>/dev/null | wc -l)" 0
is "$NV back to nd_pmem" "$(ns_bind $NV nd_pmem)" ok
is "the damaged block is left as it was" "$(ns_info_sum $NV)" "$bad"
pt gen 0 4096 5 > /tmp/foreign
ns_poke $NV $OFF /tmp/foreign
dmesg -C
is "tdax_pmem refuses a foreign block" "$(ns_bind $NV tdax_pmem)" EINVAL
t "with a message naming it foreign" sh -c "dmesg | grep -q 'holds foreign data'"
is "$NV back to nd_pmem" "$(ns_bind $NV nd_pmem)" ok
is "the foreign data is left as it was" "$(ns_info_sum $NV)" "$(md5sum < /tmp/foreign | cut -d' ' -f1)"
ns_poke $NV $OFF /tmp/zero4k
dmesg -C
is "zeroed: tdax_pmem binds and writes a new block" "$(ns_bind $NV tdax_pmem)" ok
t "with a message saying so" sh -c "dmesg | grep -q 'new info block'"
t "/dev/$NVD is back" wait_for test -c /dev/$NVD
is "and the data is still there" "$(pt check /dev/$NVD $((5*1048576+777)) 2M 9)" 0

done_testing
