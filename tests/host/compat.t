#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The driver's compat layer (docs/driver.md, "Kernel compatibility"):
#  - no kernel-version test (LINUX_VERSION_CODE, KERNEL_VERSION,
#    linux/version.h) anywhere in driver/ but tdax_compat.h;
#  - the page-table inserts (pfn_t, vmf_insert_*) only in the fault back end
#    (fault_pfn.c), the other files reach them through tdax_insert_entry();
#  - every TDAX_HAVE_* the sources test is a feature driver/Makefile probes
#    (a misspelt one would silently compile the fallback), and every probed
#    feature is used;
#  - the probes, run by driver/Makefile's own Kbuild part on the installed
#    Debian header sets of the kernels the project builds for (6.1 and 6.12,
#    skipped when not installed), find exactly the interfaces those kernels
#    have.
cd "$(dirname "$0")/../.." || exit 1
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
is() { [ "$2" = "$3" ]; ok $? "$1"; [ "$2" = "$3" ] || { echo "#   got:  '$2'"; echo "#   want: '$3'"; }; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# the driver's own sources (not Kbuild's generated *.mod.c)
src=$(find driver -maxdepth 1 -name '*.[ch]' ! -name '*.mod.c' | sort)
code() { grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*|//)'; }	# grep -n output minus comment lines
echo "1..8"

is "no LINUX_VERSION_CODE, KERNEL_VERSION or linux/version.h outside driver/tdax_compat.h" \
	"$(grep -nE 'LINUX_VERSION_CODE|KERNEL_VERSION|linux/version\.h' $src | grep -v '^driver/tdax_compat\.h:' | tr '\n' ' ')" ""
is "tdax_compat.h is the one header with version tests (it has some)" \
	"$(grep -lE 'LINUX_VERSION_CODE' $src | tr '\n' ' ')" "driver/tdax_compat.h "
is "page-table inserts only in the fault back end driver/fault_pfn.c" \
	"$(grep -nE 'vmf_insert_(mixed|pfn|folio|page)' $src | code | grep -vE '^driver/(fault_pfn\.c|tdax_compat\.h):' | tr '\n' ' ')" ""
is "pfn_t only in tdax_compat.h and the fault back end" \
	"$(grep -nwE 'pfn_t|phys_to_pfn_t|pfn_t_to_pfn|linux/pfn_t\.h' $src | code | grep -vE '^driver/(fault_pfn\.c|tdax_compat\.h):' | tr '\n' ' ')" ""

# TDAX_FEATURES := A B \ C ... (continuation lines) in driver/Makefile
features=$(sed -n '/^TDAX_FEATURES :=/,/[^\\]$/p' driver/Makefile |
	sed 's/^TDAX_FEATURES :=//; s/\\//g' | tr -s ' \t\n' '\n' | grep . | sort -u)
used=$(grep -ohE 'TDAX_HAVE_[A-Z0-9_]+' $src | sed 's/^TDAX_HAVE_//' | sort -u)
is "every TDAX_HAVE_* in the sources is probed by driver/Makefile" \
	"$(printf '%s\n' "$used" | grep -vxF "$features" | tr '\n' ' ')" ""
# PFN_T_INSERTS chooses the back end in the Makefile itself
is "every probed feature is used (tdax_compat.h, or the Makefile's back-end choice)" \
	"$(printf '%s\n' "$features" | grep -vxF "$(printf '%s\nPFN_T_INSERTS\n' "$used")" | tr '\n' ' ')" ""

# What driver/Makefile's Kbuild part finds in a header set: srctree as Kbuild
# sets it for Debian's split headers (the -common package).
probe() { # SRCTREE
	make -s --no-print-directory -C driver -f Makefile KERNELRELEASE=probe \
		srctree="$1" src=. --eval 'tdax-probe: ; @echo $(TDAX_HAVE)' tdax-probe 2>&1
}
for k in 6.1 6.12; do
	env=build/kernel-$k.env
	kh=$( [ -f $env ] && sed -n 's/^KHEADERS=//p' $env)
	common=${kh%-amd64}-common
	case $k in
	6.1) want="VM_FAULT_WRITE PFN_T_INSERTS" ;;
	6.12) want="BUS_MATCH_CONST BUS_UEVENT_CONST VM_FLAGS_SET MM_GET_UNMAPPED_AREA HUGE_FAULT_ORDER WALK_HMEM_RESOURCES MT_FIND_ALLOC_MEMORY_TYPE PFN_T_INSERTS" ;;
	esac
	if [ -n "$kh" ] && [ -f "$common/include/linux/mm.h" ]; then
		is "driver/Makefile's probes on the $k headers ($(basename "$common"))" "$(probe "$common")" "$want"
	else
		skip "driver/Makefile's probes on the $k headers" "no $k headers (make kernel KERNEL=$k)"
	fi
done
