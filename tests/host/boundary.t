#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tests/host/boundary.t - the front ends (daxtop, daxcollect, snapbench)
# build against the collector library's public header only: `make -C tools
# check-boundary` passes on the tree and fails on a source that reaches the
# BPF map layout through the library's internal header.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/guest/lib/tdax.sh"

out=$(make -s -C "$here/tools" check-boundary 2>&1)
is "check-boundary passes on the front ends" "$?" 0
fx=$(mktemp -d)
trap 'rm -rf "$fx"' EXIT
printf '#include "tdax_collector.h"\n#include "collector_int.h"\nint main(void) { return 0; }\n' >"$fx/bad.c"
out=$(make -s -C "$here/tools" check-boundary BOUNDARY_SRCS="$fx/bad.c" 2>&1)
is "check-boundary fails on a source including collector_int.h" "$?" 2
t "and names tdax_maps.h" sh -c 'echo "$1" | grep -q "bpf/tdax_maps.h"' _ "$out"
done_testing
