#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# daxtop-cli.t - daxtop's command line on the host (no tdax module here):
# --help, man page, and one-line errors with the documented exit codes.
set -u
cd "$(dirname "$0")/../.."
D=build/bin/daxtop
n=0
fails=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi; }

# ERR DESC WANT_RC REGEX CMD...: CMD prints exactly one line on stderr matching REGEX
err() {
	local desc=$1 want=$2 re=$3 out rc
	shift 3
	out=$("$@" 2>&1 >/dev/null </dev/null)
	rc=$?
	[ "$rc" = "$want" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && printf '%s' "$out" | grep -Eq "$re"
	ok $? "$desc"
	[ "$rc" = "$want" ] || echo "#   rc=$rc out=$out"
}

test -x $D; ok $? "daxtop is built"
out=$($D --help); rc=$?
ok $rc "--help exits 0"
for o in --batch --noclear --iterations --json --cumulative --pid --device --sort --rows --view --events --raw-tp '\[interval \[count\]\]'; do
	printf '%s' "$out" | grep -q -- "$o"; ok $? "--help documents $o"
done
printf '%s' "$out" | grep -q 'HIT% = faults served at the device alignment'; ok $? "--help defines the hit rate"
printf '%s' "$out" | grep -q 'COVER% = bytes mapped at the alignment'; ok $? "--help defines the byte coverage"
h=$($D -h); rc=$?
ok $rc "-h exits 0 (libbpf-tools convention)"
[ "$h" = "$out" ]; ok $? "-h prints the same help as --help"
$D --version | grep -q '^daxtop '; ok $? "--version"
if command -v man >/dev/null; then
	MANWIDTH=80 man -l tools/daxtop/daxtop.1 2>&1 | grep -q 'JSON'; ok $? "man page renders"
else
	grep -q '^\.TH DAXTOP 1' tools/daxtop/daxtop.1; ok $? "man page header"
fi
err "bad interval" 2 "^daxtop: invalid interval 'x'" $D x
err "interval too small" 2 "^daxtop: invalid interval '0.01'" $D 0.01
err "bad positional count" 2 "^daxtop: invalid count '0'" $D 1 0
err "three positional arguments" 2 "^daxtop: unexpected argument '3'" $D 1 2 3
err "-d is the device (biolatency -d DISK)" 2 "^daxtop: invalid device '0.5'" $D -d 0.5
err "bad rows" 2 "^daxtop: invalid rows 'x'" $D -r x
err "bad count" 2 "^daxtop: invalid count '-3'" $D -n -3
err "bad pid" 2 "^daxtop: invalid pid '12x'" $D -p 12x
err "bad device" 2 "^daxtop: invalid device '/dev/sda'" $D -d /dev/sda
err "bad sort" 2 "^daxtop: invalid sort key 'size'" $D -s size
err "bad view" 2 "^daxtop: invalid view 'x': devices, processes, regions, memory" $D -V x
err "--view memory is a view (it then needs the module)" 1 "^daxtop: (must run as root|tdax module not loaded)" $D -b -V memory 1 1
err "-V m abbreviates memory" 1 "^daxtop: (must run as root|tdax module not loaded)" $D -b -V m 1 1
err "--view with -J" 2 "^daxtop: --view applies to text output" $D -J -V regions
err "stray argument" 2 "^daxtop: invalid interval 'foo'" $D foo
err "no tdax module on the host" 1 "^daxtop: (must run as root|tdax module not loaded)" $D -b 1 1
err "no tdax module on the host (--events)" 1 "^daxtop: (must run as root|tdax module not loaded)" $D --events
echo "1..$n"
[ $fails = 0 ]
