#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tdaxctl list on persistent memory (tdax_pmem on an emulated NFIT NVDIMM
# and a virtio-pmem device): the exact JSON of the regions and devices,
# with provider, instance ids and persistence_domain (the region's,
# shown on its device too), an override of the domain, and a
# reconfigure-device of a pmem device.
# vm: --load --timeout 400 --nvdimm build/pmem/ctl-nv.img:1026M --virtio-pmem build/pmem/ctl-vp.img:514M
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/pmem.sh
T=build/bin/tdaxctl

if pmem_setup virtio && [ -n "$VP" ]; then tap_ok "nfit, nd_pmem, virtio_pmem and tdax_pmem load ($NV, $VP)"
else tap_fail "nfit, nd_pmem, virtio_pmem and tdax_pmem load (got '${NV:-}' '${VP:-}')"; done_testing; fi
# a clean info area (an earlier run used the same files)
dd if=/dev/zero of=/tmp/zero4k bs=4096 count=1 2>/dev/null
for ns in $NV $VP; do ns_poke $ns $(ns_info_off $ns) /tmp/zero4k; done
is "bind $NV to tdax_pmem" "$(ns_bind $NV tdax_pmem)" ok
is "bind $VP to tdax_pmem" "$(ns_bind $VP tdax_pmem)" ok
NVD=$(ns_tdax $NV) VPD=$(ns_tdax $VP)
t "/dev/$NVD and /dev/$VPD appear" wait_for sh -c "test -c /dev/$NVD && test -c /dev/$VPD"

# REGION-DIR: the object list -R prints for a pmem region
rjson() {
	local d=$1/tdax_region p
	p=$(realpath $1)
	printf '{"path":"%s","id":%s,"size":%s,"align":%s,"provider":"tdax_pmem","instance":%s,"persistence_domain":"%s"}' \
		"${p#/sys/devices}" "$(cat $d/id)" "$(cat $d/size)" "$(cat $d/align)" "$(cat $d/instance)" \
		"$(cat $d/persistence_domain)"
}
# DEV: the object list prints for a pmem device
djson() {
	local d=$BUS/devices/$1 t n
	t=$(cat $d/target_node) n=$(cat $d/numa_node)
	[ "$t" -ge 0 ] && t=",\"target_node\":$t" || t=""
	[ "$n" -ge 0 ] && n=",\"numa_node\":$n" || n=""	# virtio-pmem: none
	printf '{"chardev":"%s","size":%s%s,"align":%s,"mode":"devdax","fault_policy":"%s"%s,"instance":%s,"persistence_domain":"%s"}' \
		"$1" "$(cat $d/size)" "$t" "$(cat $d/align)" "$(cat $d/fault_policy)" "$n" \
		"$(cat $d/instance)" "$(cat $d/../tdax_region/persistence_domain)"
}
RNV=$(cat $ND/devices/$NV/tdax_region/id) RVP=$(cat $ND/devices/$VP/tdax_region/id)

is "list -R -r $RNV: the NVDIMM region, provider tdax_pmem, memory_controller" \
	"$($T list -R -r $RNV | jq -c .)" "[$(rjson $ND/devices/$NV)]"
is "list -R -r $RVP: the virtio-pmem region, virtio_host" \
	"$($T list -R -r $RVP | jq -c .)" "[$(rjson $ND/devices/$VP)]"
is "  the domains are the driver's" "$($T list -R | jq -c "[.[] | select(.id == $RNV or .id == $RVP) | .persistence_domain]")" \
	'["memory_controller","virtio_host"]'
is "list -d $NVD: the device carries its region's domain" "$($T list -d $NVD | jq -c .)" "[$(djson $NVD)]"
is "list -d $VPD" "$($T list -d $VPD | jq -c .)" "[$(djson $VPD)]"
t "hmem regions have no persistence_domain in the list" \
	sh -c "$T list -R -r 0 | jq -e '.[0] | has(\"persistence_domain\") | not'"
is "override: persistence_domain cpu_cache on the NVDIMM region" \
	"$("$DT" write $ND/devices/$NV/tdax_region/persistence_domain cpu_cache)" ok
is "  list shows it on region and device" \
	"$($T list -R -D -r $RNV | jq -c '[.[0].persistence_domain, .[0].devices[0].persistence_domain]')" \
	'["cpu_cache","cpu_cache"]'
"$DT" write $ND/devices/$NV/tdax_region/persistence_domain auto > /dev/null
is "reconfigure-device $NVD -a 4K --fault-policy fallback" \
	"$($T reconfigure-device $NVD -a 4K --fault-policy fallback 2>/dev/null | jq -c .)" "[$(djson $NVD)]"
is "  sysfs says so" "$(cat $BUS/devices/$NVD/align) $(cat $BUS/devices/$NVD/fault_policy)" "4096 fallback"
t "  4K faults on /dev/$NVD" dt fault /dev/$NVD 64K -e 16
is "reconfigure-device $NVD back to 2M strict" \
	"$($T reconfigure-device $NVD -a 2M --fault-policy strict 2>/dev/null | jq -c '.[0] | [.align, .fault_policy]')" \
	'[2097152,"strict"]'
is "give $NV back to nd_pmem" "$(ns_bind $NV nd_pmem)" ok
is "  its region is gone from the list" "$($T list -R | jq -c "[.[] | select(.id == $RNV)] | length")" 0
done_testing
