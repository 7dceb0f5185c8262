#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# deb-dkms.t - the Debian packages on this (bookworm) host, as root: `make deb`
# builds tdax-dkms and tdax-tools from a clean copy and lintian finds nothing;
# apt installs both, every file is in place and DKMS built the modules for
# each installed Debian header set (6.1 and 6.12: the host's own kernel has no
# headers); explicit `dkms build` for each of TDAX_KERNELS (default both), with
# module BTF (6.1 from the guest
# kernel's vmlinux via TDAX_BTF_BASE, 6.12 from its headers' vmlinux); the
# modules are kept in build/dkms/<release>/ for tests/guest/dkms-modules.t;
# `dpkg --purge` leaves nothing behind. Nothing is loaded into the host kernel.
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/guest/lib/tdax.sh
OUT=build/deb-test
rm -rf "$OUT" && mkdir -p "$OUT"
export DEBIAN_FRONTEND=noninteractive
VER=$(dpkg-parsechangelog -l debian/changelog -S Version)

if [ "$(id -u)" != 0 ]; then
	echo "not ok 1 - deb-dkms.t runs as root (installs packages)"; exit 1
fi
# The packages and DKMS are the host's, shared by every checkout: one run at a
# time (a second checkout's make check waits here instead of breaking both).
exec 9>/run/lock/tdax-deb-dkms.lock
if ! flock -w 1500 9; then
	echo "not ok 1 - deb-dkms.t: /run/lock/tdax-deb-dkms.lock still held after 25 min"; exit 1
fi
# a previous run that stopped half-way
if dpkg-query -W tdax-dkms tdax-tools >/dev/null 2>&1; then
	echo "# purging tdax packages left by an earlier run"
	dpkg --purge tdax-tools tdax-dkms >/dev/null 2>&1
fi

# --- build and lint ------------------------------------------------------------------
make -s deb >$OUT/make-deb.txt 2>&1
rc=$?
is "make deb builds the packages from a clean copy (lintian: no warning)" $rc 0
[ $rc = 0 ] || tail -n 20 $OUT/make-deb.txt | sed 's/^/#   /'
for p in tdax-dkms_${VER}_all tdax-tools_${VER}_amd64; do
	t "build/deb/$p.deb exists" test -s build/deb/$p.deb
done
is "lintian (run by make deb): no error or warning" "$(grep -E '^[EW]: ' $OUT/make-deb.txt)" ""

# --- install -------------------------------------------------------------------------
apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends \
	./build/deb/tdax-dkms_${VER}_all.deb ./build/deb/tdax-tools_${VER}_amd64.deb >$OUT/install.txt 2>&1
rc=$?
is "apt-get install ./tdax-dkms ./tdax-tools succeeds" $rc 0
[ $rc = 0 ] || tail -n 20 $OUT/install.txt | sed 's/^/#   /'
FILES="/usr/src/tdax-$VER/dkms.conf /usr/src/tdax-$VER/driver/dkms-build /usr/src/tdax-$VER/driver/Makefile
/usr/src/tdax-$VER/driver/fault.c /usr/src/tdax-$VER/include/tdax_abi.h
/usr/bin/daxtop /usr/sbin/daxcollect /usr/sbin/daxsnoop
/usr/share/man/man1/daxtop.1.gz /usr/share/man/man8/daxcollect.8.gz /usr/share/man/man8/daxsnoop.8.gz
/lib/systemd/system/daxcollect.service /etc/default/daxcollect /etc/tdax/alerts.yaml
/usr/lib/sysusers.d/tdax.conf /usr/lib/tmpfiles.d/tdax.conf
/usr/share/tdax/dashboards/grafana/tdax-overview.json /usr/share/tdax/dashboards/prometheus/tdax-alerts.yml
/usr/share/tdax/bpftrace/tdax-fallbacks.bt /usr/share/tdax/bpftrace/tdax-faultlat.bt
/usr/share/tdax/bpftrace/tdax-mmap-refused.bt /usr/share/tdax/bpftrace/tdax-lifetimes.bt"
missing=$(for f in $FILES; do [ -e "$f" ] || echo "$f"; done)
is "installed files in place" "$missing" ""
is "postinst made the user daxcollect in the group tdax (sysusers.d/tdax.conf)" "$(id -gn daxcollect 2>/dev/null)" tdax
is "dkms.conf carries the package version" "$(grep '^PACKAGE_VERSION=' /usr/src/tdax-$VER/dkms.conf)" "PACKAGE_VERSION=\"$VER\""
is "the unit runs the installed daxcollect" "$(grep -c '^ExecStart=/usr/sbin/daxcollect ' /lib/systemd/system/daxcollect.service)" 1
t "daxtop --version runs" /usr/bin/daxtop --version
t "daxcollect --help runs" /usr/sbin/daxcollect --help
t "daxsnoop --help runs" /usr/sbin/daxsnoop --help
if [ -n "$(command -v tdaxctl 2>/dev/null)" ] || [ -e tools/tdaxctl ]; then
	t "tdaxctl is packaged when the tree has it" test -x /usr/sbin/tdaxctl -o -x /usr/bin/tdaxctl
fi

# --- DKMS, for each Debian kernel the tests boot ------------------------------
# the modules dkms.conf installs (not the test-only tdax_selftest, tdax_pmem_poison)
MODS="tdax tdax_device tdax_hmem tdax_kmem tdax_pmem"
for v in ${TDAX_KERNELS:-6.1 6.12}; do
	env=$(tests/vm/kernel --kernel $v --quiet env) || { tap_fail "kernel $v prepared (make deps KERNEL=$v)"; continue; }
	KABI=$(sed -n 's/^KABI=//p' <<<"$env") VMLINUX=$(sed -n 's/^VMLINUX=//p' <<<"$env")
	mdir=/var/lib/dkms/tdax/$VER/$KABI/x86_64
	st=$(dkms status -m tdax -v $VER -k $KABI 2>/dev/null | sed 's/.*: //')
	is "$v: postinst built and installed tdax for $KABI" "${st%% *}" installed
	[ "$st" = installed ] || echo "# dkms status: $st"
	t "$v: installed under /lib/modules/$KABI/updates/dkms" sh -c "ls /lib/modules/$KABI/updates/dkms/tdax.ko* /lib/modules/$KABI/updates/dkms/tdax_device.ko* /lib/modules/$KABI/updates/dkms/tdax_hmem.ko* /lib/modules/$KABI/updates/dkms/tdax_kmem.ko* /lib/modules/$KABI/updates/dkms/tdax_pmem.ko*"
	if [ $v = 6.1 ]; then
		# the 6.1 headers have no vmlinux and this is not a 6.1 host: no BTF, said clearly
		is "6.1: postinst build says it has no module BTF, and why" \
			"$(grep -c '^tdax-dkms: building WITHOUT module BTF: no BTF found for' $mdir/log/make.log)" 1
		base=$VMLINUX; want="module BTF against $VMLINUX"
	else
		base=; want="module BTF against /lib/modules/$KABI/build/vmlinux"
	fi
	TDAX_BTF_BASE=$base dkms build -m tdax -v $VER -k $KABI --force >$OUT/dkms-$v.txt 2>&1
	rc=$?
	is "$v: dkms build -m tdax -v $VER -k $KABI succeeds" $rc 0
	[ $rc = 0 ] || tail -n 20 $mdir/log/make.log | sed 's/^/#   /'
	is "$v: the build log names its BTF base" "$(grep -c "^tdax-dkms: $want\$" $mdir/log/make.log)" 1
	rm -rf build/dkms/$KABI && mkdir -p build/dkms/$KABI
	for m in $MODS; do
		f=$(ls $mdir/module/$m.ko* 2>/dev/null | head -n1)
		case "$f" in
		*.xz) xz -dc "$f" >build/dkms/$KABI/$m.ko ;;
		*.zst) zstd -qdc "$f" >build/dkms/$KABI/$m.ko ;;
		?*) cp "$f" build/dkms/$KABI/$m.ko ;;
		esac
	done
	is "$v: five modules built for $KABI (vermagic)" \
		"$(for m in $MODS; do modinfo -F vermagic build/dkms/$KABI/$m.ko 2>/dev/null | cut -d' ' -f1; done | sort | uniq -c | awk '{print $1, $2}')" "5 $KABI"
	is "$v: each carries module BTF" \
		"$(for m in $MODS; do readelf -S build/dkms/$KABI/$m.ko 2>/dev/null | grep -c ' \.BTF '; done | tr '\n' ' ')" "1 1 1 1 1 "
	t "$v: the test-only modules are not installed" sh -c "! ls /lib/modules/$KABI/updates/dkms/tdax_selftest.ko* /lib/modules/$KABI/updates/dkms/tdax_pmem_poison.ko* 2>/dev/null"
done
# a bad base, on a copy of the installed source (a failed dkms build of an
# installed module would leave a stale link in the DKMS tree)
rm -rf $OUT/src && cp -r /usr/src/tdax-$VER $OUT/src
(cd $OUT/src && TDAX_BTF_BASE=/etc/hostname sh driver/dkms-build build $KABI /lib/modules/$KABI/build) >$OUT/dkms-bad.txt 2>&1
is "a TDAX_BTF_BASE that is not BTF fails the build" $? 1
is "... with one line naming it" "$(cat $OUT/dkms-bad.txt)" \
	"dkms-build: TDAX_BTF_BASE=/etc/hostname is not BTF nor an ELF file with .BTF"

# --- purge ---------------------------------------------------------------------------
dpkg --purge tdax-tools tdax-dkms >$OUT/purge.txt 2>&1
rc=$?
is "dpkg --purge tdax-tools tdax-dkms succeeds" $rc 0
[ $rc = 0 ] || tail -n 20 $OUT/purge.txt | sed 's/^/#   /'
left=$(for f in $FILES /usr/src/tdax-$VER /var/lib/dkms/tdax /etc/tdax \
	/etc/systemd/system/multi-user.target.wants/daxcollect.service \
	/lib/modules/*/updates/dkms/tdax*.ko*; do [ -e "$f" ] && echo "$f"; done)
is "nothing left after purge" "$left" ""
is "dpkg knows neither package" "$(dpkg-query -W -f='${Status}\n' tdax-dkms tdax-tools 2>/dev/null | grep -c installed)" 0
is "dkms knows no tdax" "$(dkms status -m tdax 2>/dev/null)" ""
done_testing
