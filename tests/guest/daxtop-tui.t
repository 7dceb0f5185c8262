#!/bin/bash
# vm: --load --timeout 400
# SPDX-License-Identifier: GPL-2.0-only
#
# daxtop-tui.t - the interactive view in an 80x24 tmux terminal: start,
# device view with live numbers, switch views, sort, help, interval, quit.
set -u
. tests/guest/lib/tdax.sh
DAXTOP=$PWD/build/bin/daxtop
LOAD=build/tests/bin/daxload
OUT=/tmp/daxtop-tui
mkdir -p $OUT
export TERM=xterm-256color
S=daxtop-test

screen() { tmux capture-pane -p -t $S; }
# Wait until the screen shows PATTERN (egrep); keep the screen for diagnosis.
wait_screen() {
	local i
	for i in $(seq 60); do
		screen >$OUT/screen.txt 2>&1
		grep -Eq "$1" $OUT/screen.txt && return 0
		sleep 0.1
	done
	sed 's/^/  | /' $OUT/screen.txt
	return 1
}

START=$(date +%s)
t "tmux session with daxtop starts (80x24)" \
	tmux new-session -d -s $S -x 80 -y 24 "$DAXTOP 0.5; echo daxtop-exit=\$?; sleep 30"
t "device view header" wait_screen '^DEVICE +ALIGN POL +FAULT/s +HIT%'
t "devices listed" wait_screen '^tdax3\.0 +2M str'
t "status line names the view" wait_screen '^\[devices\] sort faults'
t "regions with age in the device view" wait_screen '^0 +[a-z_.0-9]+ +0x100000000 +1G +2M'

# live numbers: a 2M workload shows 100% hits on tdax1.0
$LOAD -L 6 -s 64M /dev/tdax1.0 >$OUT/load.out 2>&1 &
t "live: tdax1.0 at 100.0% hits while the workload runs" wait_screen '^tdax1\.0 +2M str +[0-9.k]+ +100\.0'
wait

tmux send-keys -t $S p
t "p: process view" wait_screen '^PID +COMM +DEVICE +FAULT/s'
t "p: status line" wait_screen '^\[processes\]'
tmux send-keys -t $S r
t "r: region view" wait_screen '^REGION PROVIDER +START'
t "r: four regions" wait_screen '^3 +[a-z_.0-9]+ +0x280000000 +1G'
tmux send-keys -t $S Tab
t "TAB: next, the memory view" wait_screen '^\[memory\]'
t "memory view header" wait_screen '^DEVICE +MODE +BLOCKS ON/ALL +ONLINE +NODE +TIER +ZONE'
tmux send-keys -t $S Tab
t "TAB: back to the device view" wait_screen '^\[devices\]'
tmux send-keys -t $S m
t "m: memory view" wait_screen '^\[memory\]'
tmux send-keys -t $S d
t "d: device view" wait_screen '^\[devices\]'
tmux send-keys -t $S s
t "s: next sort key (hit)" wait_screen 'sort hit'
tmux send-keys -t $S +
t "+: longer interval (0.5s -> 0.6s)" wait_screen 'every 0\.6s'
tmux send-keys -t $S h
t "h: help" wait_screen '^daxtop - keys'
tmux send-keys -t $S x
t "any key leaves help" wait_screen '^DEVICE +ALIGN'
is "no screen line wider than 80" "$(screen | awk 'length > 80' | wc -l)" 0
tmux send-keys -t $S q
t "q: daxtop exits 0" wait_screen '^daxtop-exit=0'
tmux kill-session -t $S 2>/dev/null

# a terminal too small still works (lines are cut, nothing breaks)
t "tmux 40x10 session" tmux new-session -d -s $S -x 40 -y 10 "$DAXTOP 0.5; echo daxtop-exit=\$?; sleep 30"
t "small terminal: device header shown" wait_screen '^DEVICE'
tmux send-keys -t $S q
t "small terminal: q exits 0" wait_screen '^daxtop-exit=0'
tmux kill-server 2>/dev/null
echo "# $(( $(date +%s) - START )) s"
done_testing
