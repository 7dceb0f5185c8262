# SPDX-License-Identifier: GPL-2.0-only
# tests/guest/lib/pmem.sh - helpers of the tdax pmem guest tests (sourced
# after tdax.sh; the guest has --nvdimm and usually --virtio-pmem).
#
#   pmem_setup [virtio] modprobe nd_pmem and nfit (and virtio_pmem), insmod
#                       tdax_pmem; sets NV (the NFIT namespace) and VP (the
#                       virtio-pmem one, or empty)
#   ns_driver NS        driver the namespace is bound to (or "none")
#   ns_bind NS DRIVER   unbind NS from its driver, bind it to DRIVER
#                       (prints ok or the errno name)
#   ns_blk NS           /dev/pmemN of a namespace bound to nd_pmem
#   ns_info_off NS      byte offset of tdax_pmem's info block in NS
#   ns_tdax NS          tdaxR.0 of a namespace bound to tdax_pmem
PT=${PT:-build/tests/guest/pmemtest}
ND=/sys/bus/nd
PMEM_MOD=${PMEM_MOD:-$(sh tests/vm/load --dir)/tdax_pmem.ko}

pt() { "$PT" "$@"; }

wait_for() { # CMD...: poll up to 10 s
	local i
	for i in $(seq 100); do "$@" && return 0; sleep 0.1; done
	return 1
}

ns_list() { ls $ND/devices | grep '^namespace' | sort; }

pmem_setup() { # [virtio]
	local before
	modprobe nd_pmem && modprobe nfit || return 1
	wait_for sh -c "ls $ND/devices | grep -q '^namespace'" || return 1
	NV=$(ns_list | head -n 1)
	VP=
	if [ "${1:-}" = virtio ]; then
		before=$(ns_list)
		modprobe virtio_pmem || return 1
		wait_for sh -c "[ \$(ls $ND/devices | grep -c '^namespace') -gt $(echo "$before" | wc -l) ]" || return 1
		VP=$(ns_list | grep -vxF "$before" | head -n 1)
	fi
	grep -q '^tdax_pmem ' /proc/modules || insmod "$PMEM_MOD" || return 1
	wait_for test -e "$ND/devices/$NV/driver" || return 1
	[ -z "$VP" ] || wait_for test -e "$ND/devices/$VP/driver"
}

ns_driver() { local l; l=$(readlink "$ND/devices/$1/driver") && basename "$l" || echo none; }

ns_bind() { # NS DRIVER
	local cur
	cur=$(ns_driver "$1")
	[ "$cur" = none ] || "$DT" write "$ND/drivers/$cur/unbind" "$1" >/dev/null
	"$DT" write "$ND/drivers/$2/bind" "$1"
}

ns_blk() { echo "/dev/$(ls "$ND/devices/$1/block" 2>/dev/null | head -n 1)"; }

ns_size() { cat "$ND/devices/$1/size"; }

ns_info_off() { echo $(( $(ns_size "$1") / 2097152 * 2097152 - 2097152 )); }

ns_tdax() { echo "tdax$(cat "$ND/devices/$1/tdax_region/id").0"; }

# the 4K info block of NS, read through nd_pmem (NS must be bound to it)
ns_info_sum() {
	dd if="$(ns_blk "$1")" bs=4096 skip=$(( $(ns_info_off "$1") / 4096 )) count=1 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1
}

# write BYTES (a file) at offset OFF of NS through nd_pmem
ns_poke() { # NS OFF FILE
	dd if="$3" of="$(ns_blk "$1")" bs=4096 seek=$(( $2 / 4096 )) oflag=direct,sync conv=notrunc 2>/dev/null
}

flush_lines() { trace_lines | grep -c 'tdax_flush:'; }
