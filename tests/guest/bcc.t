#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bcc.t - daxsnoop (tools/bcc, python3-bpfcc) against workloads with known
# counts: one line per fault not served at the alignment, user stacks (-s),
# refused mmaps (-m), -p filter, argdist-style summaries (-S), bad arguments.
# vm: --load --timeout 900
set -u
. tests/guest/lib/tdax.sh
SNOOP=tools/bcc/daxsnoop
LOAD=build/tests/bin/daxload
OUT=/tmp/bcc-t
mkdir -p $OUT

# snoop_start NAME ARGS...: daxsnoop ARGS >$OUT/NAME.out; waits (bounded) for its
# header line, printed once the BPF program is attached. snoop_stop: SIGINT, wait.
snoop_start() {
	local name=$1 i
	shift
	$SNOOP "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
	SPID=$!
	for i in $(seq 900); do
		grep -q '^TIME(s)\|^Tracing tdax' "$OUT/$name.out" 2>/dev/null && return 0
		kill -0 $SPID 2>/dev/null || break
		sleep 0.2
	done
	echo "# daxsnoop $* did not start:"; tail -n 10 "$OUT/$name.err" | sed 's/^/#   /'
	return 1
}
snoop_stop() { kill -INT $SPID; wait $SPID; }

t "python3-bpfcc is installed" /usr/bin/python3 -c 'import bcc'
# bcc compiles against /lib/modules/$(uname -r)/build (+ source), which the host's
# linux-headers package provides; the guest's /lib/modules is the kernel cache's,
# bound over the host's: unbind it (this test needs no in-tree module).
rel=$(uname -r)
if [ ! -e /lib/modules/$rel/build ]; then
	umount /lib/modules 2>/dev/null
	t "kernel headers for $rel (/lib/modules/$rel/build)" test -e /lib/modules/$rel/build/Makefile
fi

# --- lines with stacks: 512 nohugepage SIGBUS faults + 3 refused mmaps -------
snoop_start lines -s -m
is "daxsnoop -s -m attaches" $? 0
$LOAD -s 2M -N -P 3 /dev/tdax1.0 >$OUT/l1.out 2>&1
$LOAD -s 8M /dev/tdax0.0 >$OUT/l2.out 2>&1		# 4 faults at 2M: not shown
snoop_stop
is "daxsnoop exits 0 on SIGINT" $? 0
is "512 lines: daxload, 4K on a 2M device, sigbus, nohugepage" \
	"$(awk '$3 == "daxload" && $5 == "4K" && $6 == "2M" && $7 == "sigbus" && $8 == "nohugepage"' $OUT/lines.out | wc -l)" 512
is "3 refused mmaps: not_shared, result -22" \
	"$(awk '$3 == "daxload" && $7 == "refused" && $8 == "not_shared" && /result=-22/' $OUT/lines.out | wc -l)" 3
is "nothing else traced (header + 515 events + their stacks)" \
	"$(grep -c '^[0-9]' $OUT/lines.out)" 515
is "every one of the 515 events is followed by its user stack" \
	"$(awk '/^[0-9]/ { if (ev && !st) bad++; ev = 1; st = 0; n++; next } /^    / { st = 1 } END { if (ev && !st) bad++; print n + 0, bad + 0 }' $OUT/lines.out)" "515 0"

# --- -p: only that process -------------------------------------------------------
mkfifo $OUT/go
sh -c "read x <$OUT/go; exec $LOAD -s 2M -N /dev/tdax1.0" >$OUT/p1.out 2>&1 &
P1=$!
snoop_start pid -p $P1
is "daxsnoop -p attaches" $? 0
echo go >$OUT/go
$LOAD -s 4M -N /dev/tdax1.0 >$OUT/p2.out 2>&1	# another process: not shown
wait $P1
snoop_stop
is "-p: the 512 faults of that process only" "$(awk -v p=$P1 '$2 == p' $OUT/pid.out | wc -l) $(grep -c '^[0-9]' $OUT/pid.out)" "512 512"

# --- summaries (argdist style) -------------------------------------------------------
t "tdax2.0: align 4K" set_dev tdax2.0 4096
snoop_start sum -S -a -m
is "daxsnoop -S -a -m attaches" $? 0
$LOAD -s 1M /dev/tdax2.0 >$OUT/s1.out 2>&1	# 256 x 4K mapped ok
$LOAD -s 2M -T /dev/tdax1.0 >$OUT/s2.out 2>&1	# 512 x 4K sigbus thp_disabled
$LOAD -s 16M -P 2 /dev/tdax0.0 >$OUT/s3.out 2>&1	# 8 x 2M mapped ok, 2 not_shared
snoop_stop
row() { awk -v c="$1" -v e="$2" -v r="$3" -v s="$4" -v o="$5" \
	'$2 == c && $3 == e && $4 == r && $5 == s && $6 == o { print $1 }' $OUT/sum.out; }
is "summary: 256 4K faults mapped ok (daxload)" "$(row daxload fault ok 4K mapped)" 256
is "summary: 512 4K thp_disabled sigbus" "$(row daxload fault thp_disabled 4K sigbus)" 512
is "summary: 8 2M faults mapped ok" "$(row daxload fault ok 2M mapped)" 8
is "summary: 2 refused mmaps not_shared" "$(row daxload mmap not_shared - refused)" 2
HIST=$(awk '/^size = / { s = $3 } /\|/ && s { split($0, a, ":"); split(a[2], b, "|"); n[s] += b[1] + 0 }
	END { printf "2M=%d 4K=%d\n", n["2M"], n["4K"] }' $OUT/sum.out)
is "latency histograms per size: 8 at 2M, 256 at 4K" "$HIST" "2M=8 4K=256"

# --- errors ------------------------------------------------------------------------
$SNOOP -i 5 >$OUT/e1.out 2>&1
is "--interval without --summary: exit 2" $? 2
is "... one line naming the problem" "$(wc -l <$OUT/e1.out) $(grep -c 'needs --summary' $OUT/e1.out)" "1 1"
$SNOOP -D /dev/nonexistent >$OUT/e2.out 2>&1
is "a device that does not exist: exit 2" $? 2
done_testing
