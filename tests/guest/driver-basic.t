#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# /dev/tdaxR.N mmap and faults at 4K, 2M and 1G alignment: MAP_SHARED only,
# aligned lengths only, exactly range/align faults (getrusage and the
# tdax_fault tracepoint), data coherent across mappings and offsets, an
# unaligned offset never showing wrong data, past-the-end refused or SIGBUS,
# fork, and mremap of part of a mapping.
# vm: --load --timeout 240
set -u
. tests/guest/lib/tdax.sh

t "tdax1.0: align 4K (unbind, write align, bind)" set_dev tdax1.0 4096
t "tdax2.0: align 1G (unbind, write align, bind)" set_dev tdax2.0 1073741824

# device  align  name  range to fault  device size
for spec in "tdax1.0 4096 4K 16M 1G" "tdax0.0 2097152 2M 64M 1G" \
	    "tdax2.0 1073741824 1G 1G 1G" "tdax3.0 2097152 2M(range) 16M 1G"; do
	set -- $spec
	dev=/dev/$1 A=$2 name=$3 len=$4 size=$5
	is "$name: align attribute reads $A" "$(cat $BUS/devices/$1/align)" "$A"
	is "$name: MAP_SHARED works" "$(dt mmap $dev $A 0 shared)" ok
	is "$name: MAP_PRIVATE is EINVAL" "$(dt mmap $dev $A 0 private)" EINVAL
	if [ "$A" -gt 4096 ]; then
		is "$name: length align+4K is EINVAL" "$(dt mmap $dev $((A + 4096)) 0 shared)" EINVAL
		is "$name: length align/2 is EINVAL" "$(dt mmap $dev $((A / 2)) 0 shared)" EINVAL
		is "$name: offset 4K is EINVAL" "$(dt mmap $dev $A 4096 shared)" EINVAL
	fi
	want=$(( $(numfmt --from=iec $len) / A ))
	t "$name: $len faulted in $want minor faults (getrusage)" dt fault $dev $len -e $want
	got=$(tp_count tdax_fault "outcome == 0 && size == $A" dt fault $dev $len)
	is "$name: tdax_fault counts $want faults mapped at $name for $len" "$got" "$want"
	got=$(tp_count tdax_fault "outcome == 0 && size != $A" dt fault $dev $len)
	is "$name: no fault mapped at another size" "$got" 0
	t "$name: data written through one mapping reads back through another" dt data $dev $A $size
	t "$name: an unaligned file offset never shows the wrong data" dt misaligned $dev $A $size
	t "$name: past the end of the device is refused or SIGBUS" dt pastend $dev $size $A
	t "$name: fork: the child sees and changes the same memory" dt fork $dev $A
	t "$name: mremap: aligned move of part works, unaligned split/move refused" dt mremap $dev $A $size
done
done_testing
