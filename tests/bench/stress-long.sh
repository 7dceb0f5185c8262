#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# stress-long.sh - the driver stress suite (tests/guest/stress-*.t) with
# STRESS=long (about ten times the iterations of make check), one guest:
#   tests/vm/run --load --debug --timeout 7200 -- sh tests/bench/stress-long.sh
# (make bench runs it without --debug).  Prints each test's TAP and exits
# non-zero when one failed.  Each test unloads the stack at its end; it is
# loaded again before the next.
rc=0
for t in tests/guest/stress-*.t; do
	echo "== $t (STRESS=long)"
	sh tests/vm/load || { echo "not ok - tests/vm/load before $t"; rc=1; continue; }
	STRESS=long bash "$t" || rc=1
done
exit $rc
