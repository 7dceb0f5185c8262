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
for o in --batch --delay --iterations --json --cumulative --pid --device --sort --view --events --raw-tp; do
	printf '%s' "$out" | grep -q -- "$o"; ok $? "--help documents $o"
done
printf '%s' "$out" | grep -q 'Hit rate = faults served at the device alignment'; ok $? "--help defines the hit rate"
$D --version | grep -q '^daxtop '; ok $? "--version"
if command -v man >/dev/null; then
	MANWIDTH=80 man -l tools/daxtop/daxtop.1 2>&1 | grep -q 'JSON'; ok $? "man page renders"
else
	grep -q '^\.TH DAXTOP 1' tools/daxtop/daxtop.1; ok $? "man page header"
fi
err "bad interval" 2 "^daxtop: invalid interval 'x'" $D -d x
err "interval too small" 2 "^daxtop: invalid interval '0.01'" $D -d 0.01
err "bad count" 2 "^daxtop: invalid count '-3'" $D -n -3
err "bad pid" 2 "^daxtop: invalid pid '12x'" $D -p 12x
err "bad device" 2 "^daxtop: invalid device '/dev/sda'" $D -D /dev/sda
err "bad sort" 2 "^daxtop: invalid sort key 'size'" $D -s size
err "bad view" 2 "^daxtop: invalid view 'x'" $D -V x
err "--view with -J" 2 "^daxtop: --view applies to text output" $D -J -V regions
err "stray argument" 2 "^daxtop: unexpected argument 'foo'" $D foo
err "no tdax module on the host" 1 "^daxtop: (must run as root|tdax module not loaded)" $D -b -n 1
err "no tdax module on the host (--events)" 1 "^daxtop: (must run as root|tdax module not loaded)" $D --events
echo "1..$n"
[ $fails = 0 ]
