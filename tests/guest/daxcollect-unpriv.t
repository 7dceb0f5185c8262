#!/bin/bash
# vm: --load --timeout 600
# SPDX-License-Identifier: GPL-2.0-only
#
# daxcollect-unpriv.t - the packaged daxcollect (an unprivileged user of
# the group tdax with CAP_BPF and CAP_PERFMON, as daxcollect.service runs
# it) shares the one program set of the host with root's daxtop (#9):
#  - the directories made as tools/daxcollect/tdax.tmpfiles says (the file
#    make install puts in tmpfiles.d; group tdax = gid 990 here), on a
#    bpffs root made 0700 as systemd mounts it;
#  - (a) unprivileged daxcollect first: it makes the set (owner), every
#    pin and lock file 0660 of the group; root's daxtop follows: 12
#    programs, not 24, one program run per fault, both count 256 faults;
#    a device deleted is reported once with its final counts by both;
#  - (c) the owner leaves, root's daxtop takes over; an unprivileged
#    daxcollect joins it (follower) and reads root's archive: a device
#    deleted then is reported by both; root leaves, daxcollect takes over;
#  - (e) the unprivileged last leaver unpins everything (pin dir empty,
#    no program left);
#  - (b) root's daxtop first, unprivileged daxcollect follows: root's pins
#    are the group's (0660), both count the same 256 faults;
#  - (d) a user outside the group (uid 991, same capabilities) gets a
#    private set, says so, and exits 0.
set -u
. tests/guest/lib/tdax.sh
. tests/guest/lib/tools.sh
DAXTOP=${DAXTOP:-build/bin/daxtop}
DC=${DAXCOLLECT:-build/bin/daxcollect}
LOAD=build/tests/bin/daxload
TMPFILES=tools/daxcollect/tdax.tmpfiles
OUT=/tmp/daxcollect-unpriv
PIN=/sys/fs/bpf/tdax
RUN=/run/tdax
GID=990			# the group tdax
PORT=9480
CAPS="--inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon"
AS_DC="setpriv --reuid=990 --regid=$GID --clear-groups $CAPS"	# user daxcollect
AS_OTHER="setpriv --reuid=991 --regid=991 --clear-groups $CAPS"	# not in tdax
mkdir -p $OUT
ip link set lo up 2>/dev/null
sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null 2>&1

# a scrape once daxcollect has begun a snapshot after now
scrape_settled() { dc_settle; scrape; }
role_dc() { scrape | awk '$1 ~ /^tdax_collector_program_set\{/ && $2 == 1 { sub(/.*role="/, "", $1); sub(/".*/, "", $1); print $1 }'; }
hits_dc() { scrape_settled | awk -v d="$1" '$1 ~ "^tdax_fault_hits_total\\{device=\"" d "\"" { s += $2 } END { print s + 0 }'; }
hits_top() { jq_ $OUT/top.json "sum(x['hits'] for x in d['devices'] if x['name'] == '$1')"; }
modes() { stat -c '%a %u:%g' "$@" | sort | uniq -c | awk '{ $1 = $1; print }' | tr '\n' ';'; }
start_dc() { # LOG: the unprivileged daxcollect in the background (DCPID)
	$AS_DC $DC --listen localhost:$PORT --interval 1 --verbose >$1 2>&1 &
	DCPID=$!
}
dc_ready() { wait_attached $DCPID && until_ok 30 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_up 1'"; }
start_top() { # root's daxtop, JSON to $OUT/top.json (TOPPID)
	$DAXTOP -J --cumulative --verbose 1 >$OUT/top.json 2>$OUT/top.err &
	TOPPID=$!
}
top_ready() { wait_attached $TOPPID && settle $OUT/top.json; }

# ---- the directories, as tmpfiles.d makes them ----------------------------------
chmod 1700 /sys/fs/bpf			# systemd mounts it mode=700
n=0
while read -r type path mode user group age; do
	case "$type" in d|z) ;; *) continue ;; esac
	[ "$group" = tdax ] && group=$GID
	[ "$user" = root ] && user=0
	[ "$type" = d ] && mkdir -p "$path"
	chown "$user:$group" "$path" && chmod "$mode" "$path" && n=$((n + 1))
done <$TMPFILES
is "tdax.tmpfiles: three paths applied" $n 3
is "/sys/fs/bpf: traversable by the group only" "$(stat -c '%a %u:%g' /sys/fs/bpf)" "1710 0:$GID"
is "$PIN and $RUN: setgid, the group's" "$(modes $PIN $RUN)" "2 2770 0:$GID;"
t "tdax0.0 set to align 4K" set_dev tdax0.0 4096
R3=$BUS/devices/tdax3.0/../tdax_region
echo tdax3.0 > $DRV/unbind
echo $((512 << 20)) > $BUS/devices/tdax3.0/size
echo tdax3.0 > $DRV/bind

# a device created, faulted (4 x 2M), deleted: both report it once, with 4 hits
device_cycle() { # WHO
	local n inst
	echo 1 > $R3/create
	n=$(cat $R3/create)
	echo $((256 << 20)) > $BUS/devices/$n/size
	echo $n > $DRV/bind
	until_ok 10 test -c /dev/$n
	$LOAD -q -s 8M /dev/$n
	settle $OUT/top.json
	inst=$(jq_ $OUT/top.json "[x['instance'] for x in d['devices'] if x['name'] == '$n' and x['present']][0]")
	is "$1: the new device $n has its 4 hits" \
		"$(jq_ $OUT/top.json "[x['hits'] for x in d['devices'] if x['instance'] == $inst]")" "[4]"
	echo $n > $DRV/unbind; echo 0 > $BUS/devices/$n/size; echo $n > $R3/delete
	settle $OUT/top.json
	settle $OUT/top.json
	is "$1: deleted, daxtop shows the retired instance once with its 4 hits" \
		"$(jq_ $OUT/top.json "[(x['hits'], x['present'], x['retired']) for x in d['devices'] if x['instance'] == $inst]")" \
		"[(4, False, True)]"
	is "$1: daxcollect exports its final 4 hits once" \
		"$(scrape_settled | grep -c "^tdax_fault_hits_total{device=\"$n\",device_instance=\"$inst\"} 4\$")" 1
}

# ---- (a) the unprivileged daxcollect first: it owns the set -------------------------
start_dc $OUT/dc1.log
t "unprivileged daxcollect attached and serving" dc_ready
t "it made the set (owner)" grep -q "made the program set pinned under $PIN (owner)" $OUT/dc1.log
is "it is not root" "$(stat -c %u /proc/$DCPID)" 990
is "its pins: maps, links and programs, 0660 of the group" \
	"$(modes $PIN/ctl $PIN/fault_counts $PIN/link_fault $PIN/link_kmem_block $PIN/prog_fault $PIN/prog_kmem_block)" "6 660 990:$GID;"
is "its lock files: 0660 of the group" "$(modes $RUN/lock $RUN/users $RUN/owner $RUN/consumer.0)" "4 660 990:$GID;"
is "12 tdax programs loaded" "$(nprogs)" 12
start_top
t "root's daxtop attached" top_ready
t "root's daxtop joined it (follower)" grep -q "joined the program set pinned under $PIN (follower)" $OUT/top.err
is "still 12 tdax programs with two consumers" "$(nprogs)" 12
is "daxtop: program_set follower; daxcollect: owner" "$(jq_ $OUT/top.json "d['program_set']") $(role_dc)" "follower owner"
R0=$(fault_runs)
NF=$(tp_count tdax_fault "size != 0" $LOAD -s 1M /dev/tdax0.0)	# 256 pages at 4K
R1=$(fault_runs)
is "one program run per tdax_fault event (perf counted $NF)" "$((R1 - R0))" "$NF"
settle $OUT/top.json
is "daxtop (root, follower): tdax0.0 has the 256 hits" "$(hits_top tdax0.0)" 256
is "daxcollect (unprivileged, owner): the same 256 hits" "$(hits_dc tdax0.0)" 256
t "daxcollect reads the run statistics of the pinned programs" sh -c \
	"curl -s http://127.0.0.1:$PORT/metrics | grep -q '^tdax_collector_bpf_runs_total [1-9]'"
device_cycle "unprivileged owner"
is "its archive: 0640 of the group" "$(modes $RUN/archive)" "1 640 990:$GID;"

# ---- (c) the owner leaves: root takes over; an unprivileged one follows ---------------
kill -TERM $DCPID; wait $DCPID
t "root's daxtop took over as the owner" until_ok 15 grep -q "now the owner of the program set" $OUT/top.err
is "still pinned, 12 programs" "$(ls $PIN/link_fault 2>/dev/null) $(nprogs)" "$PIN/link_fault 12"
start_dc $OUT/dc2.log
t "a second unprivileged daxcollect attached" dc_ready
t "it joined root's set (follower)" grep -q "joined the program set pinned under $PIN (follower)" $OUT/dc2.log
is "12 tdax programs" "$(nprogs)" 12
is "daxcollect: role follower" "$(role_dc)" follower
is "the follower reads the 256 hits of tdax0.0 made before it joined" "$(hits_dc tdax0.0)" 256
device_cycle "root the owner, unprivileged follower"
is "root's archive: 0640 of the group" "$(modes $RUN/archive)" "1 640 0:$GID;"
kill -INT $TOPPID; wait $TOPPID
t "root left: the unprivileged daxcollect took over" until_ok 15 grep -q "now the owner of the program set" $OUT/dc2.log
is "daxcollect: role owner" "$(until_ok 10 sh -c "curl -s http://127.0.0.1:$PORT/metrics | grep -qx 'tdax_collector_program_set{role=\"owner\"} 1'"; role_dc)" owner
$LOAD -q -s 1M /dev/tdax0.0
is "the new owner counts on: 512 hits" "$(hits_dc tdax0.0)" 512
# a device deleted under the unprivileged owner that took over from root
echo 1 > $R3/create
n=$(cat $R3/create)
echo $((256 << 20)) > $BUS/devices/$n/size
echo $n > $DRV/bind
until_ok 10 test -c /dev/$n
$LOAD -q -s 8M /dev/$n
inst=$(scrape_settled | sed -n "s/^tdax_device_info{device=\"$n\",device_instance=\"\([0-9]*\)\".*/\1/p")
hits_inst() { scrape_settled | grep -c "^tdax_fault_hits_total{device=\"$n\",device_instance=\"$inst\"} 4\$"; }
is "new owner: the new device $n (instance $inst) has its 4 hits" "$(hits_inst)" 1
echo $n > $DRV/unbind; echo 0 > $BUS/devices/$n/size; echo $n > $R3/delete
scrape_settled >/dev/null
is "new owner: deleted, exported once with its final 4 hits" "$(hits_inst)" 1
is "new owner: and no longer present" "$(scrape | grep -c "^tdax_device_info{device=\"$n\",device_instance=\"$inst\"")" 0
is "new owner: it replaced root's archive with its own (0640 of the group)" "$(modes $RUN/archive)" "1 640 990:$GID;"

# ---- (e) the unprivileged last leaver unpins -------------------------------------------
kill -TERM $DCPID; wait $DCPID
t "it says it unpinned" grep -q "unpinned the program set under $PIN" $OUT/dc2.log
is "the pin dir is empty" "$(ls -A $PIN | wc -l)" 0
is "no tdax program left" "$(nprogs)" 0
is "no archive left" "$(ls $RUN/archive 2>/dev/null)" ""

# ---- (b) root first, the unprivileged daxcollect follows -----------------------------
start_top
t "root's daxtop attached" top_ready
t "root's daxtop made the set (owner)" grep -q "made the program set pinned under $PIN (owner)" $OUT/top.err
is "root's pins: 0660 of the group" \
	"$(modes $PIN/ctl $PIN/fault_counts $PIN/link_fault $PIN/prog_fault)" "4 660 0:$GID;"
start_dc $OUT/dc3.log
t "unprivileged daxcollect attached" dc_ready
t "it joined root's set (follower)" grep -q "joined the program set pinned under $PIN (follower)" $OUT/dc3.log
is "12 tdax programs" "$(nprogs)" 12
$LOAD -q -s 1M /dev/tdax0.0
settle $OUT/top.json
is "daxtop (root, owner): 256 hits on tdax0.0" "$(hits_top tdax0.0)" 256
is "daxcollect (unprivileged, follower): 256 hits" "$(hits_dc tdax0.0)" 256

# ---- (d) a user outside the group: a private set, not an error ------------------------
$AS_OTHER $DC --once --verbose >$OUT/other.txt 2>$OUT/other.err
is "uid 991 (not in tdax): daxcollect --once exits 0" $? 0
t "it says why it loads a private set" grep -q "a private program set" $OUT/other.err
grep "private program set" $OUT/other.err | sed 's/^/# /'
is "its exposition: role private" "$(grep '^tdax_collector_program_set{role="private"}' $OUT/other.txt)" \
	'tdax_collector_program_set{role="private"} 1'
is "the shared set is untouched: 12 programs, daxcollect still a follower" "$(nprogs) $(role_dc)" "12 follower"

kill -INT $DCPID; wait $DCPID
kill -INT $TOPPID; wait $TOPPID
is "root, the last one, unpinned it" "$(ls -A $PIN | wc -l) $(nprogs)" "0 0"
done_testing
