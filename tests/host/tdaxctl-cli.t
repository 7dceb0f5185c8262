#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# tdaxctl-cli.t - tdaxctl on the host (no tdax module here): --help for the
# tool and every command, one-line usage errors with exit 2, list's exact
# JSON and apply-config's checks against a fake sysfs tree
# (TDAX_SYSFS_ROOT), the man page and the bash completion.
set -u
cd "$(dirname "$0")/../.."
T=$PWD/build/bin/tdaxctl
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }
is() { [ "$2" = "$3" ]; ok $? "$1"; [ "$2" = "$3" ] || { echo "#   got:  '$2'"; echo "#   want: '$3'"; }; }

# ERR DESC WANT_RC REGEX CMD...: CMD prints exactly one line on stderr matching REGEX
err() {
	local desc=$1 want=$2 re=$3 out rc
	shift 3
	out=$("$@" 2>&1 >/dev/null </dev/null)
	rc=$?
	[ "$rc" = "$want" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -Eq -- "$re"
	ok $? "$desc"
	[ "$rc" = "$want" ] && printf '%s' "$out" | grep -Eq -- "$re" || echo "#   rc=$rc (want $want) out=$out"
}

test -x $T; ok $? "tdaxctl is built"
out=$($T --help); ok $? "--help exits 0"
for c in list create-device destroy-device enable-device disable-device reconfigure-device \
	 online-memory offline-memory apply-config; do
	printf '%s' "$out" | grep -q -- "  $c "; ok $? "--help lists $c"
	h=$($T $c --help); ok $? "$c --help exits 0"
	printf '%s' "$h" | grep -q "^Usage: tdaxctl $c"; ok $? "$c --help starts with its usage"
	is "help $c is $c --help" "$($T help $c)" "$h"
done
for o in --regions --devices --mappings --region --dev --idle --human; do
	$T list --help | grep -q -- "$o"; ok $? "list --help documents $o"
done
$T offline-memory --help | grep -q -- "--offline-timeout=SECS"; ok $? "offline-memory --help documents --offline-timeout"
for o in --align --size --fault-policy --mode --no-online --no-movable --force --offline-timeout; do
	$T reconfigure-device --help | grep -q -- "$o"; ok $? "reconfigure-device --help documents $o"
done
$T create-device --help | grep -q -- "--input=FILE"; ok $? "create-device --help documents --input"
is "--version" "$($T --version)" "tdaxctl 1.0"

err "no command" 2 '^tdaxctl: no command given \(see tdaxctl --help\)$' $T
err "unknown command" 2 "^tdaxctl: unknown command 'frobnicate' \(see tdaxctl --help\)$" $T frobnicate
err "unknown global option" 2 "^tdaxctl: unknown option '--frob'" $T --frob
err "unknown list option" 2 "^tdaxctl list: unknown option '--bogus' \(see tdaxctl list --help\)$" $T list --bogus
err "unknown short option" 2 "^tdaxctl list: unknown option '-Z'" $T list -Z
err "list with a parameter" 2 "^tdaxctl list: unknown parameter 'extra'" $T list extra
err "missing option value" 2 "^tdaxctl list: option '-r' needs a value" $T list -r
err "bad region" 2 "^tdaxctl list: bad region 'x1'" $T list -r x1
err "create without a region" 2 '^tdaxctl create-device: specify the region \(-r REGION\), or --input FILE$' $T create-device -s 1G
err "bad size" 2 "^tdaxctl create-device: bad size '12X'" $T create-device -r 0 -s 12X
err "bad align" 2 "^tdaxctl reconfigure-device: bad align 'huge'" $T reconfigure-device -a huge tdax0.0
err "bad fault policy" 2 "^tdaxctl reconfigure-device: bad fault policy 'lenient' \(strict or fallback\)$" \
	$T reconfigure-device --fault-policy lenient tdax0.0
err "bad mode" 2 "^tdaxctl reconfigure-device: bad mode 'fsdax' \(devdax or system-ram\)$" \
	$T reconfigure-device -m fsdax tdax0.0
err "reconfigure without a change" 2 "^tdaxctl reconfigure-device: an 'align', 'size', 'fault-policy' or 'mode' option is required$" \
	$T reconfigure-device tdax0.0
err "--no-online without system-ram" 2 '^tdaxctl reconfigure-device: --no-online and --no-movable go with --mode=system-ram$' \
	$T reconfigure-device -m devdax -N tdax0.0
err "reconfigure without a device" 2 '^tdaxctl reconfigure-device: specify a device' $T reconfigure-device -s 1G
err "destroy without a device" 2 '^tdaxctl destroy-device: specify a device \(tdaxR.N\), or "all"' $T destroy-device
err "--force is not an enable-device option" 2 "^tdaxctl enable-device: unknown option '-f'" $T enable-device -f tdax0.0
err "--no-movable is not an offline-memory option" 2 "^tdaxctl offline-memory: unknown option '--no-movable'" \
	$T offline-memory --no-movable tdax0.0
err "bad offline timeout" 2 "^tdaxctl offline-memory: bad offline timeout 'soon' \(seconds, 0 for no limit\)$" \
	$T offline-memory --offline-timeout soon tdax0.0
err "--offline-timeout is not an online-memory option" 2 \
	'^tdaxctl online-memory: --offline-timeout goes with offline-memory and reconfigure-device$' \
	$T online-memory --offline-timeout 3 tdax0.0
err "apply-config: bad device name" 2 "^tdaxctl apply-config: bad device name 'dax0.0'" $T apply-config dax0.0

# --- a fake sysfs tree ---------------------------------------------------------
F=$(mktemp -d /tmp/tdaxctl-cli.XXXXXX)
trap 'rm -rf $F' EXIT
export TDAX_SYSFS_ROOT=$F/sys TDAXCTL_LOCK=$F/lock
S=$F/sys
mkdir -p $S/bus/tdax/devices $S/bus/tdax/drivers/tdax_device $S/bus/platform/drivers/tdax_hmem
P=$S/devices/platform/hmem.1
mkdir -p $P/tdax_region $P/tdax1.0 $P/tdax1.1
ln -s ../../../bus/platform/drivers/tdax_hmem $P/driver
echo 1 > $P/tdax_region/id; echo 1073741824 > $P/tdax_region/size; echo 2097152 > $P/tdax_region/align
echo 268435456 > $P/tdax_region/available_size; echo > $P/tdax_region/seed
for d in tdax1.0 tdax1.1; do
	echo 0 > $P/$d/numa_node; echo 0 > $P/$d/target_node; echo strict > $P/$d/fault_policy
	ln -s ../../../devices/platform/hmem.1/$d $S/bus/tdax/devices/$d
done
echo 536870912 > $P/tdax1.0/size; echo 2097152 > $P/tdax1.0/align
echo 0x180000000-0x19fffffff 0x0 > $P/tdax1.0/mappings
ln -s ../../../../bus/tdax/drivers/tdax_device $P/tdax1.0/driver
echo 268435456 > $P/tdax1.1/size; echo 4096 > $P/tdax1.1/align; echo fallback > $P/tdax1.1/fault_policy
printf '0x1a0000000-0x1a7ffffff 0x0\n0x1b8000000-0x1bfffffff 0x8000\n' > $P/tdax1.1/mappings

d10='{"chardev":"tdax1.0","size":536870912,"target_node":0,"align":2097152,"mode":"devdax","fault_policy":"strict","numa_node":0}'
d11='{"chardev":"tdax1.1","size":268435456,"target_node":0,"align":4096,"mode":"devdax","state":"disabled","fault_policy":"fallback","numa_node":0}'
is "fake tree: list" "$($T list | jq -c .)" "[$d10,$d11]"
is "fake tree: list -R -D" "$($T list -R -D | jq -c .)" \
	"[{\"path\":\"/platform/hmem.1\",\"id\":1,\"size\":1073741824,\"available_size\":268435456,\"align\":2097152,\"provider\":\"tdax_hmem\",\"devices\":[$d10,$d11]}]"
is "fake tree: list -M -d tdax1.1, two ranges" "$($T list -M -d tdax1.1 | jq -c '.[0].mappings')" \
	'[{"page_offset":0,"start":6979321856,"end":7113539583,"size":134217728},{"page_offset":32768,"start":7381975040,"end":7516192767,"size":134217728}]'
is "fake tree: list -u -d tdax1.1 -M (human)" "$($T list -u -d tdax1.1 -M | jq -c '[.size, .align, .mappings[1].start, .mappings[1].page_offset]')" \
	'["256.00 MiB (268.44 MB)",4096,"0x1b8000000","0x8000"]'
echo memory_controller > $P/tdax_region/persistence_domain
is "persistence_domain shows only where the attribute exists" "$($T list -R | jq -c '.[0].persistence_domain')" '"memory_controller"'
is "  devices of the region show the region's" "$($T list | jq -c '[.[].persistence_domain]')" '["memory_controller","memory_controller"]'
rm $P/tdax_region/persistence_domain
is "  and none without it" "$($T list | jq -c '[.[].persistence_domain]')" '[null,null]'
echo 7 > $P/tdax_region/instance; echo 12 > $P/tdax1.0/instance
is "instance: the region's and the device's, where sysfs has it" \
	"$($T list -R -D -i | jq -c '[.[0].instance, [.[0].devices[].instance]]')" '[7,[12,null]]'
rm $P/tdax_region/instance $P/tdax1.0/instance
echo memory_controller > $P/tdax_region/persistence_domain
err "system-ram without tdax_kmem: one line, exit 1" 1 \
	'^tdaxctl reconfigure-device: tdax1.0: mode system-ram needs the tdax_kmem driver, which is not loaded \(modprobe tdax_kmem\)$' \
	$T reconfigure-device -m system-ram tdax1.0
err "unknown device: exit 1" 1 '^tdaxctl enable-device: tdax4.2: no such device$' $T enable-device tdax4.2


# system-ram paths on the fake tree: a device bound to tdax_kmem, two 128M
# memory blocks (memory56, memory57); the tree does not play the kernel, so
# only what tdaxctl writes and reads is checked
mkdir -p $S/bus/tdax/drivers/tdax_kmem $P/tdax1.2 $S/devices/system/memory/memory56 $S/devices/system/memory/memory57
for a in bind unbind new_id remove_id; do : > $S/bus/tdax/drivers/tdax_kmem/$a; done
echo 0 > $P/tdax1.2/numa_node; echo 1 > $P/tdax1.2/target_node; echo strict > $P/tdax1.2/fault_policy
echo 268435456 > $P/tdax1.2/size; echo 134217728 > $P/tdax1.2/align; echo 0x1c0000000 > $P/tdax1.2/resource
echo 0x1c0000000-0x1cfffffff 0x0 > $P/tdax1.2/mappings
ln -s ../../../../bus/tdax/drivers/tdax_kmem $P/tdax1.2/driver
ln -s ../../../devices/platform/hmem.1/tdax1.2 $S/bus/tdax/devices/tdax1.2
echo 8000000 > $S/devices/system/memory/block_size_bytes
M=$S/devices/system/memory
echo offline > $M/memory56/state; echo offline > $M/memory57/state
is "system-ram device: mode and memory blocks" "$($T list -d tdax1.2 | jq -c '.[0] | [.mode, .online_memblocks, .total_memblocks, .movable]')" \
	'["system-ram",0,2,null]'
is "online-memory writes online_movable to each offline block" "$($T online-memory tdax1.2 2>&1; echo $(cat $M/memory56/state) $(cat $M/memory57/state))" \
	"onlined memory for 1 device
online_movable online_movable"
echo online > $M/memory56/state; echo online > $M/memory57/state
echo Movable > $M/memory56/valid_zones; echo Movable > $M/memory57/valid_zones
is "  list: both online, movable" "$($T list -d tdax1.2 | jq -c '.[0] | [.online_memblocks, .movable]')" '[2,true]'
err "reconfigure -m devdax with the memory online, no -f: refused" 1 \
	'^tdaxctl reconfigure-device: tdax1.2: 2 of 2 memory blocks are online: offline them first \(offline-memory, or --force\); tdax1.2 left as it was$' \
	$T reconfigure-device -m devdax tdax1.2
err "destroy-device of system-ram with memory online: refused" 1 \
	'^tdaxctl destroy-device: tdax1.2: 2 of 2 memory blocks are online: offline them first \(offline-memory\); tdax1.2 left as it was$' \
	$T destroy-device -f tdax1.2
err "disable-device of a system-ram device: refused" 1 \
	'^tdaxctl disable-device: tdax1.2: in system-ram mode: use reconfigure-device -m devdax; tdax1.2 left as it was$' \
	$T disable-device tdax1.2
is "offline-memory writes offline to each online block" "$($T offline-memory tdax1.2 2>&1; echo $(cat $M/memory56/state) $(cat $M/memory57/state))" \
	"offlined memory for 1 device
offline offline"
# memory57 refuses (its state is /dev/full: ENOSPC): memory56 is put back
ln -sf /dev/full $M/memory57/state
err "online-memory: a block refuses, the one onlined is offlined again" 1 \
	'^tdaxctl online-memory: tdax1.2: online_movable memory57 \(1 of 2 blocks done\): No space left on device; tdax1.2 left as it was$' \
	$T online-memory tdax1.2
is "  memory56 is offline again" "$(cat $M/memory56/state)" offline
err "online-memory of a devdax device" 1 '^tdaxctl online-memory: tdax1.0: memory operations are not applicable in devdax mode' \
	$T online-memory tdax1.0
rm -rf $P/tdax1.2 $S/bus/tdax/devices/tdax1.2

C=$F/conf.d
mkdir -p $C
printf '[device tdax1.0]\nsize = 256M\n\n[device tdax1.1]\nalign = 4K\nfault_policy = fallback\n' > $C/a.conf
is "apply-config -n: what would change" "$($T apply-config -n -C $C)" "tdax1.0: would reconfigure ($C/a.conf:1)"
printf '[{"chardev":"tdax1.2","size":134217728}]' > $C/b.json
is "apply-config -n reads list JSON too" "$(TDAXCTL_CONFDIR=$C $T apply-config -n | tail -1)" "tdax1.2: would create ($C/b.json: entry 0)"
rm $C/b.json
printf '[device tdax1.0]\nsize = lots\n' > $C/a.conf
err "config: bad size names file and line" 1 "^tdaxctl apply-config: $C/a.conf:2: bad size 'lots'$" $T apply-config -C $C
printf 'size = 1G\n' > $C/a.conf
err "config: key outside a section" 1 "^tdaxctl apply-config: $C/a.conf:1: expected 'key = value' inside a \[device tdaxR.N\] section$" $T apply-config -C $C
printf '[region 1]\n' > $C/a.conf
err "config: unknown section" 1 "^tdaxctl apply-config: $C/a.conf:1: expected a section \[device tdaxR.N\], got '\[region 1\]'$" $T apply-config -C $C
printf '[device tdax1.0]\nonline = maybe\n' > $C/a.conf
err "config: bad boolean" 1 "^tdaxctl apply-config: $C/a.conf:2: bad online 'maybe' \(true or false\)$" $T apply-config -C $C
printf '{"chardev":"tdax1.0","size":"1.00 GiB (1.07 GB)"}' > $C/a.json; rm $C/a.conf
err "config: list -u sizes are refused with a hint" 1 "^tdaxctl apply-config: $C/a.json: entry 0: bad size '1.00 GiB \(1.07 GB\)' \(list without -u gives bytes\)$" \
	$T apply-config -C $C
rm -f $C/*
is "apply-config with an empty directory changes nothing" "$($T apply-config -C $C 2>&1)" "applied $C: 0 devices changed"
is "apply-config with no directory changes nothing" "$($T apply-config -C $F/none 2>&1)" "applied $F/none: 0 devices changed"
err "no tdax bus: commands that need it say so" 1 "^tdaxctl enable-device: cannot read $F/empty/bus/tdax/devices: No such file or directory \(is tdax.ko loaded\?\)$" \
	env TDAX_SYSFS_ROOT=$F/empty $T enable-device tdax0.0
is "no tdax bus: list prints nothing" "$(TDAX_SYSFS_ROOT=$F/empty $T list 2>&1; echo rc=$?)" "rc=0"

# --- man page, completion, shipped units ---------------------------------------
if command -v groff > /dev/null; then
	m=$(groff -man -Tutf8 -ww tools/tdaxctl/tdaxctl.1 2>&1 >/dev/null); is "the man page renders without warnings" "$m" ""
else
	echo "ok $((n += 1)) - the man page renders # SKIP groff not installed"
fi
for c in list create-device destroy-device enable-device disable-device reconfigure-device \
	 online-memory offline-memory apply-config; do
	grep -q "^\.SS.*$c" tools/tdaxctl/tdaxctl.1; ok $? "the man page has a section for $c"
done
comp() { # WORDS...: what the completion offers for the last word
	bash -c '. tools/tdaxctl/tdaxctl.bash-completion; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tdaxctl; echo "${COMPREPLY[*]}"' _ "$@"
}
is "completion: commands" "$(comp tdaxctl rec)" "reconfigure-device"
is "completion: --mode values" "$(comp tdaxctl reconfigure-device -m s)" "system-ram"
is "completion: list options" "$(comp tdaxctl list --m)" "--mappings"
grep -q '^ExecStart=@BINDIR@/tdaxctl apply-config$' tools/tdaxctl/tdaxctl.service; ok $? "tdaxctl.service runs apply-config"
D=$F/dest
make -s -C tools install-tdaxctl DESTDIR=$D PREFIX=/usr > /dev/null 2>&1; ok $? "make install-tdaxctl into a DESTDIR"
for f in usr/bin/tdaxctl usr/share/man/man1/tdaxctl.1 lib/systemd/system/tdaxctl.service \
	 lib/systemd/system/tdaxctl-apply@.service lib/udev/rules.d/90-tdaxctl.rules \
	 usr/share/bash-completion/completions/tdaxctl etc/tdax/tdaxctl.conf.d/tdaxctl.example.conf; do
	test -f $D/$f; ok $? "installed $f"
done
grep -q '^ExecStart=/usr/bin/tdaxctl apply-config$' $D/lib/systemd/system/tdaxctl.service; ok $? "the installed unit names the installed binary"
is "the installed example config applies nothing (all commented)" "$($T apply-config -n -C $D/etc/tdax/tdaxctl.conf.d)" ""

echo "1..$n"
[ $fails = 0 ]
