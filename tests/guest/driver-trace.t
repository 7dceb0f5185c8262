#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The tdax tracepoints: every event fires with correct fields, reasons and
# outcomes print by name, perf stat / perf trace / perf script decode them,
# and the fault policy: strict (SIGBUS) vs fallback (4K faults with the
# reason the mm did not map the alignment).
# vm: --load --timeout 420
set -u
. tests/guest/lib/tdax.sh

field() { printf '%s\n' "$1" | grep -o "[ :]$2=[^ ]*" | head -n1 | cut -d= -f2; }
D0=$BUS/devices/tdax0.0
DEV0=$(cat $D0/dev)

n=$(perf list 'tdax:*' 2>/dev/null | grep -c 'tdax:tdax_[a-z_]* *\[Tracepoint event\]')
is "perf list shows the 12 tdax events" "$n" 12
for e in tdax_fault tdax_mmap tdax_bind tdax_unbind tdax_region_create \
	 tdax_region_destroy tdax_dev_create tdax_dev_destroy tdax_flush \
	 tdax_kmem_add tdax_kmem_remove tdax_kmem_block; do
	t "tracefs has events/tdax/$e" test -e $TR/events/tdax/$e/format
done

# --- tdax_fault fields ------------------------------------------------------
trace_on tdax_fault
dt fault -o 2M /dev/tdax0.0 2M >/dev/null
dt fault -r -o 4M /dev/tdax0.0 2M >/dev/null
trace_off
w=$(trace_lines | grep 'tdax_fault:' | grep ' write ' | head -n1)
r=$(trace_lines | grep 'tdax_fault:' | grep ' read ' | head -n1)
echo "# $w"
is "fault: dev is /dev/tdax0.0's ($DEV0)" "$(field "$w" dev)" "$DEV0"
is "fault: region 0" "$(field "$w" region)" 0
is "fault: pgoff of file offset 2M" "$(field "$w" pgoff)" 0x200
is "fault: size 2M" "$(field "$w" size)" 2M
is "fault: align 2M" "$(field "$w" align)" 2M
is "fault: result NOPAGE" "$(field "$w" result)" NOPAGE
is "fault: outcome mapped" "$(field "$w" outcome)" mapped
is "fault: reason ok" "$(field "$w" reason)" ok
is "fault: phys is region start + 2M" "$(field "$w" phys)" 0x100200000
t "fault: latency_ns measured (> 0) while enabled" test "$(field "$w" latency_ns)" -gt 0
addr=$(field "$w" address)
t "fault: address is 2M-aligned ($addr)" test $(( addr % 2097152 )) -eq 0
is "read fault: phys of file offset 4M" "$(field "$r" phys)" 0x100400000
t "read fault: flagged read" test -n "$r"

# --- tdax_mmap fields and refusal reasons -----------------------------------------
trace_on tdax_mmap
dt mmap /dev/tdax0.0 4M 2M shared >/dev/null
dt mmap /dev/tdax0.0 2M 0 private >/dev/null
dt mmap /dev/tdax0.0 2M 0 shared 4K >/dev/null
dt mmap /dev/tdax0.0 3M 0 shared >/dev/null
dt mmap /dev/tdax0.0 2M 4K shared >/dev/null
dt mmap /dev/tdax0.0 2M 1G shared >/dev/null
dt mremap /dev/tdax0.0 2M 1G >/dev/null
trace_off
ok=$(trace_lines | grep 'tdax_mmap:' | head -n1)
echo "# $ok"
is "mmap: dev" "$(field "$ok" dev)" "$DEV0"
is "mmap: pgoff 0x200" "$(field "$ok" pgoff)" 0x200
is "mmap: result 0" "$(field "$ok" result)" 0
is "mmap: reason ok" "$(field "$ok" reason)" ok
s=$(field "$ok" vm_start) e=$(field "$ok" vm_end)
is "mmap: vm_end - vm_start = 4M" "$(( e - s ))" 4194304
for rs in not_shared start_unaligned len_unaligned pgoff_unaligned beyond_device; do
	t "mmap refused with result -22 reason=$rs" sh -c "grep -v '^#' $TR/trace | grep -q 'tdax_mmap: .*result=-22 reason=$rs\$'"
done
for rs in split_unaligned move_unaligned; do
	t "refused mremap recorded as reason=$rs" sh -c "grep -v '^#' $TR/trace | grep -q 'tdax_mmap: .*result=-22 reason=$rs\$'"
done

# --- fault policy: strict vs fallback, and the reasons ------------------------------
out=$(dt fault -n /dev/tdax0.0 4M)
is "strict + MADV_NOHUGEPAGE: SIGBUS at the first access" "${out#* }" "sigbus=1 at=0"
got=$(tp_count tdax_fault "outcome == 2 && reason == 2 && size == 4096" dt fault -n /dev/tdax0.0 4M)
is "strict: one 4K fault with outcome sigbus reason nohugepage" "$got" 1
got=$(tp_count tdax_fault "outcome == 2 && reason == 3" dt fault -t /dev/tdax0.0 4M)
is "strict + PR_SET_THP_DISABLE: SIGBUS with reason thp_disabled" "$got" 1
t "tdax0.0: fault_policy fallback" set_dev tdax0.0 2097152 fallback
is "fault_policy reads fallback" "$(cat $D0/fault_policy)" fallback
t "fallback + MADV_NOHUGEPAGE: 4M in 1024 faults, no SIGBUS" dt fault -n /dev/tdax0.0 4M -e 1024
got=$(tp_count tdax_fault "outcome == 0 && reason == 2 && size == 4096" dt fault -n /dev/tdax0.0 4M)
is "fallback: 1024 4K faults mapped with reason nohugepage" "$got" 1024
got=$(tp_count tdax_fault "outcome == 0 && reason == 3 && size == 4096" dt fault -t /dev/tdax0.0 4M)
is "fallback + PR_SET_THP_DISABLE: 1024 faults with reason thp_disabled" "$got" 1024
got=$(tp_count tdax_fault "outcome == 0 && reason == 6 && size == 4096" dt populated /dev/tdax0.0 2M)
is "4K fault under an existing page table: reason table_populated" "$got" 1
t "fallback data is still right at 4K" dt data /dev/tdax0.0 2M 1G
t "tdax0.0: back to strict" set_dev tdax0.0 2097152 strict
t "tdax1.0: align 4K" set_dev tdax1.0 4096
got=$(tp_count tdax_fault "outcome == 1 && reason == 1 && size == 2097152" dt fault /dev/tdax1.0 8M)
t "4K device: 2M attempts fall back with reason larger_than_align ($got)" test "$got" -gt 0
got=$(tp_count tdax_fault "size == 2097152 && (outcome != 1 || reason != 1)" dt fault /dev/tdax1.0 8M)
is "4K device: no 2M attempt ends otherwise" "$got" 0
trace_on tdax_fault
dt fault /dev/tdax1.0 8M >/dev/null
trace_off
t "fallback events of the 4K device carry a sane pgoff (< device size)" \
	sh -c "grep -v '^#' $TR/trace | grep 'reason=larger_than_align' | grep -qv 'pgoff=0x[0-3]\?[0-9a-f]\{1,5\} ' && exit 1; grep -q larger_than_align $TR/trace"
got=$(tp_count tdax_fault "outcome == 2 && reason == 8" dt pastend /dev/tdax1.0 1G 4096)
is "past the end: SIGBUS with reason beyond_device" "$got" 1

# --- perf stat, perf trace, perf record/script ------------------------------------
perf stat -e tdax:tdax_fault -- $DT fault /dev/tdax1.0 4M > /tmp/stat.out 2>&1
t "perf stat -e tdax:tdax_fault counts the faults" grep -Eq '^ +1,?0[0-9]{2} +tdax:tdax_fault' /tmp/stat.out
# perf in a loaded TCG guest sometimes misses the few events of a short
# workload: each perf check gets up to 3 attempts (failures are shown).
ptrace_run() {
	perf trace --no-syscalls --libtraceevent_print -e 'tdax:*' -- $DT fault -n /dev/tdax0.0 2M > /tmp/ptrace.out 2>&1
	grep -q 'tdax:tdax_mmap(.*reason=ok' /tmp/ptrace.out &&
	grep -q 'tdax:tdax_fault(.*size=4K align=2M .*result=SIGBUS outcome=sigbus reason=nohugepage' /tmp/ptrace.out
}
precord_run() {
	timeout 60 perf record -a -q -o /tmp/perf.data -e 'tdax:*' -- $DT fault /dev/tdax0.0 4M > /dev/null 2>&1
	perf script -i /tmp/perf.data > /tmp/pscript.out 2>&1
	grep -q 'tdax_fault: .*size=2M align=2M write result=NOPAGE outcome=mapped reason=ok' /tmp/pscript.out
}
attempts() { # CMD: up to 3 tries; on failure print the last output
	local i
	for i in 1 2 3; do "$@" && return 0; done
	cat /tmp/ptrace.out /tmp/pscript.out 2>/dev/null | tail -n 8
	return 1
}
t "perf trace -e 'tdax:*' shows tdax_mmap (reason=ok) and the fault decoded (size=4K align=2M ... reason=nohugepage)" attempts ptrace_run
t "perf record -e 'tdax:*' + perf script decode faults (size=2M outcome=mapped reason=ok)" attempts precord_run

# --- bind/unbind, region and device lifetimes -------------------------------------
trace_on
sysfs_write $DRV/unbind tdax3.0 >/dev/null
sysfs_write $DRV/bind tdax3.0 >/dev/null
sleep 0.2
rmmod tdax_hmem
insmod "$(sh tests/vm/load --dir)/tdax_hmem.ko" ranges=0x280000000:1G
trace_off
L=$(trace_lines)
ub=$(printf '%s\n' "$L" | grep 'tdax_unbind: device=tdax3.0' | head -n1)
b=$(printf '%s\n' "$L" | grep 'tdax_bind: device=tdax3.0' | head -n1)
is "unbind: driver tdax_device" "$(field "$ub" driver)" tdax_device
is "bind: result 0" "$(field "$b" result)" 0
is "bind: dev is tdax3.0's" "$(field "$b" dev)" "$(cat $BUS/devices/tdax3.0/dev)"
rd=$(printf '%s\n' "$L" | grep 'tdax_region_destroy: region=0 ')
is "region_destroy: provider hmem.0" "$(field "$rd" provider)" hmem.0
is "region_destroy: start" "$(field "$rd" start)" 0x100000000
is "region_destroy: size 1G" "$(field "$rd" size)" 0x40000000
t "region_destroy: lifetime_ns > 1 ms" test "$(field "$rd" lifetime_ns)" -gt 1000000
rc=$(printf '%s\n' "$L" | grep 'tdax_region_create: region=3 ')
is "region_create: provider tdax_hmem.range0" "$(field "$rc" provider)" tdax_hmem.range0
is "region_create: start" "$(field "$rc" start)" 0x280000000
is "region_create: align 2M" "$(field "$rc" align)" 2M
is "region_create: lifetime_ns 0" "$(field "$rc" lifetime_ns)" 0
dd=$(printf '%s\n' "$L" | grep 'tdax_dev_destroy: device=tdax2.0 ')
is "dev_destroy: region 2" "$(field "$dd" region)" 2
is "dev_destroy: size 1G" "$(field "$dd" size)" 0x40000000
t "dev_destroy: lifetime_ns > 1 ms" test "$(field "$dd" lifetime_ns)" -gt 1000000
dc=$(printf '%s\n' "$L" | grep 'tdax_dev_create: device=tdax1.0 ')
is "dev_create: region 1, size 1G, align 2M" "$(field "$dc" region) $(field "$dc" size) $(field "$dc" align)" "1 0x40000000 2M"
is "dev_create: dev matches sysfs" "$(field "$dc" dev)" "$(cat $BUS/devices/tdax1.0/dev)"
is "4 regions destroyed and 4 created" "$(printf '%s\n' "$L" | grep -c 'tdax_region_destroy:') $(printf '%s\n' "$L" | grep -c 'tdax_region_create:')" "4 4"
is "4 binds on reload + 1 rebind" "$(printf '%s\n' "$L" | grep -c 'tdax_bind: .*result=0')" 5
done_testing
