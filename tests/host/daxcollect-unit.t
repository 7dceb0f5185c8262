#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# daxcollect-unit.t - what make install gives systemd for daxcollect (#9):
# the unit verifies and keeps its sandbox score (systemd-analyze security
# --offline, at most 1.9: the score it had as a DynamicUser), runs as the
# static user daxcollect of the group tdax with CAP_BPF and CAP_PERFMON
# only, and may write the shared set's two directories and nothing else;
# sysusers.d and tmpfiles.d, applied to an empty root, make the group, the
# user and the directories 2770 root:tdax (the bpffs root 1710 root:tdax).
set -u
cd "$(dirname "$0")/../.."
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
is() { [ "$2" = "$3" ]; ok $? "$1"; [ "$2" = "$3" ] || { echo "#   got:  '$2'"; echo "#   want: '$3'"; }; }
D=$(mktemp -d)
R=$(mktemp -d)
trap 'rm -rf $D $R' EXIT
U=$D/lib/systemd/system/daxcollect.service

make -s -C tools/daxcollect install DESTDIR=$D PREFIX=/usr >/dev/null 2>&1; ok $? "make install into a DESTDIR"
for f in usr/sbin/daxcollect lib/systemd/system/daxcollect.service usr/lib/sysusers.d/tdax.conf \
	usr/lib/tmpfiles.d/tdax.conf; do
	test -f $D/$f; ok $? "installed $f"
done
key() { sed -n "s/^$1=//p" $U | tr '\n' '|'; }
is "User=daxcollect, Group=tdax, no DynamicUser" "$(key User) $(key Group) $(key DynamicUser)" "daxcollect| tdax| "
is "CAP_BPF and CAP_PERFMON only" "$(key CapabilityBoundingSet) $(key AmbientCapabilities)" \
	"CAP_BPF CAP_PERFMON| CAP_BPF CAP_PERFMON|"
is "writable: the pin and run directories only" "$(key ReadWritePaths)" "-/sys/fs/bpf/tdax -/run/tdax|"
is "ProtectSystem=strict, ProtectKernelTunables=yes kept" "$(key ProtectSystem) $(key ProtectKernelTunables)" "strict| yes|"

if command -v systemd-analyze >/dev/null; then
	# the binary path of the installed unit, in the DESTDIR
	sed "s|^ExecStart=/usr/sbin/|ExecStart=$D/usr/sbin/|" $U >$R/daxcollect.service
	out=$(systemd-analyze verify --man=no $R/daxcollect.service 2>&1)
	is "systemd-analyze verify: no complaint" "$out" ""
	score=$(systemd-analyze security --offline=true $R/daxcollect.service 2>/dev/null |
		sed -n 's/.*Overall exposure level for daxcollect.service: \([0-9.]*\).*/\1/p')
	echo "# systemd-analyze security --offline=true: $score"
	is "sandbox score at most 1.9" "$(awk -v s="$score" 'BEGIN { print (s != "" && s <= 1.9) ? "yes" : s }')" yes
else
	echo "ok $((n += 1)) - systemd-analyze # SKIP not installed"
fi

if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	mkdir -p $R/root/etc $R/root/usr/lib/sysusers.d $R/root/usr/lib/tmpfiles.d $R/root/sys/fs/bpf $R/root/run
	cp $D/usr/lib/sysusers.d/tdax.conf $R/root/usr/lib/sysusers.d/
	cp $D/usr/lib/tmpfiles.d/tdax.conf $R/root/usr/lib/tmpfiles.d/
	systemd-sysusers --root=$R/root tdax.conf >/dev/null 2>&1; ok $? "systemd-sysusers applies tdax.conf"
	gid=$(awk -F: '$1 == "tdax" { print $3 }' $R/root/etc/group)
	is "user daxcollect, primary group tdax" \
		"$(awk -F: -v g="$gid" '$1 == "daxcollect" && $4 == g { print "yes" }' $R/root/etc/passwd)" yes
	systemd-tmpfiles --root=$R/root --create tdax.conf >/dev/null 2>&1; ok $? "systemd-tmpfiles applies tdax.conf"
	is "the directories: setgid, the group's" \
		"$(stat -c '%a %u:%g' $R/root/sys/fs/bpf $R/root/sys/fs/bpf/tdax $R/root/run/tdax | tr '\n' ';')" \
		"1710 0:$gid;2770 0:$gid;2770 0:$gid;"
else
	echo "ok $((n += 1)) - systemd-sysusers, systemd-tmpfiles # SKIP not installed"
fi

echo "1..$n"
[ $fails = 0 ]
