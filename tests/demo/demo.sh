#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# `make demo`: runs in the guest after tests/vm/load brought tdax up.
# Shows the modules, regions and devices, faults traced with perf, and
# daxtop over a sample workload, and a pmem device (NVDIMM) with its flushes.
cd "$(dirname "$0")/../.." || exit 1

banner() { printf '\n=== %s ===\n' "$*"; }

banner "kernel $(uname -r), tdax modules"
grep '^tdax' /proc/modules | awk '{print "  " $1 " (" $2 " bytes, used by " $3 ")"}'

for part in tests/demo/driver-demo.sh tests/demo/daxtop-demo.sh tests/demo/pmem-demo.sh; do
	[ -f "$part" ] || continue
	sh "$part" || { echo "demo: $part failed" >&2; exit 1; }
done
banner "done"
