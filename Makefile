# SPDX-License-Identifier: GPL-2.0-only
#
# tdax top-level Makefile.
#
#   make deps     install the Debian packages and the guest kernel (as root)
#   make          build modules (with module BTF), BPF objects and tools
#   make check    run every test: host tests, then guest tests; last line
#                 "N passed, N failed"
#   make demo     boot the guest, load tdax, show it working
#   make bench    benchmarks in the guest (figures, not pass/fail)
#   make install  install the tools, man pages, units and dashboards
#
# The guest kernel is Debian's (tests/vm/kernel resolves it; KERNEL=6.12 uses
# bookworm-backports). Its environment (KDIR, VMLINUX, ...) is written to
# build/kernel-$(KERNEL).env; `make -s print-KDIR` prints one value.

KERNEL ?= 6.1
PREFIX ?= /usr/local
DESTDIR ?=
export PREFIX DESTDIR
# guest tests boot the kernel the modules were built for
export TDAX_KERNEL := $(KERNEL)

KENV := build/kernel-$(KERNEL).env
# Run a command with the guest kernel's environment (KDIR, VMLINUX, ...).
WITH_KENV = set -a && . ./$(KENV) && set +a &&

# Debian packages the project needs on the host (build, guest, tests).
DEB_PACKAGES := make gcc pkg-config clang llvm lld binutils dwarves bpftool \
	libbpf-dev libelf-dev zlib1g-dev libncurses-dev libmicrohttpd-dev \
	libjson-c-dev libcmocka-dev libyaml-dev libclang-rt-14-dev \
	qemu-system-x86 busybox-static cpio xz-utils zstd kmod util-linux \
	linux-perf tmux prometheus curl procps python3 \
	dpkg-dev debhelper dh-dkms dkms lintian bpftrace python3-bpfcc gnuplot-nox systemd

.PHONY: all deps kernel modules bpf tools check check-build test demo bench bench-helpers \
	fuzz install deb clean distclean print-%

all: modules bpf tools

# --- dependencies -----------------------------------------------------------
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing" $$missing; \
		apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing \
			>/dev/null || { echo "make deps: apt-get install failed (are you root?)" >&2; exit 1; }; \
	fi
	@$(MAKE) --no-print-directory kernel

# Resolve, download and prepare the guest kernel (idempotent).
kernel:
	@mkdir -p build
	@tests/vm/kernel --kernel $(KERNEL) setup >$(KENV).tmp && \
		{ cmp -s $(KENV).tmp $(KENV) && rm -f $(KENV).tmp || mv $(KENV).tmp $(KENV); }

$(KENV):
	@$(MAKE) --no-print-directory kernel

print-%: $(KENV)
	@$(WITH_KENV) eval echo \$${$*}

# --- build ------------------------------------------------------------------
# Modules of another kernel in the tree are cleaned first (kbuild would keep them).
modules: $(KENV)
	@$(WITH_KENV) if [ -f build/modules.kabi ] && [ "$$(cat build/modules.kabi)" != "$$KABI" ]; then \
		echo "modules were built for $$(cat build/modules.kabi): cleaning for $$KABI"; \
		$(MAKE) -s -C driver clean KDIR="$$KDIR"; $(MAKE) -s -C tests/vm/ktest clean KDIR="$$KDIR"; \
	fi; echo "$$KABI" >build/modules.kabi
	@if [ -f driver/Makefile ]; then $(WITH_KENV) $(MAKE) -C driver KDIR="$$KDIR"; fi
	@$(WITH_KENV) $(MAKE) -s -C tests/vm/ktest KDIR="$$KDIR"

bpf: $(KENV)
	@if [ -f bpf/Makefile ]; then $(WITH_KENV) $(MAKE) -C bpf VMLINUX="$$VMLINUX"; fi

tools: bpf
	@if [ -f tools/Makefile ]; then $(WITH_KENV) $(MAKE) -C tools VMLINUX="$$VMLINUX"; fi
	@$(MAKE) -s -C tools/bpftrace

check-build: all
	@mkdir -p build/tests/host build/tests/guest
	@for d in driver bpf tools; do \
		if [ -f $$d/Makefile ] && grep -q '^check-build:' $$d/Makefile; then \
			$(WITH_KENV) $(MAKE) -C $$d check-build KDIR="$$KDIR" VMLINUX="$$VMLINUX" || exit 1; \
		fi; \
	done

# --- tests ------------------------------------------------------------------
# `make check` installs what it needs, builds, then runs every test: host
# tests, then the guest suite on each of CHECK_KERNELS (one tally).
# TESTS="pattern ..." restricts the run; RUNFLAGS="--host-only" etc.;
# CHECK_KERNELS: Debian's 6.1 (bookworm) and 6.12 (bookworm-backports) by
# default; the guest tests of both run as parallel jobs (TDAX_JOBS, one per
# CPU), so a failure on either kernel fails make check (docs/testing.md).
CHECK_KERNELS ?= 6.1 6.12
check: deps
	@$(MAKE) --no-print-directory check-build
	@for k in $(filter-out $(KERNEL),$(CHECK_KERNELS)); do \
		$(MAKE) --no-print-directory kmod-$$k || exit 1; done
	@TDAX_KERNELS="$(CHECK_KERNELS)" tests/run $(RUNFLAGS) $(TESTS)

# The modules for another kernel, beside the tree's (build/kmod/<release>/driver,
# which tests/vm/load picks when the guest runs that kernel).
kmod-%:
	@$(MAKE) --no-print-directory kernel KERNEL=$*
	@. ./build/kernel-$*.env && $(MAKE) -s -C driver other-kernel KDIR="$$KDIR" >/dev/null

test: check

demo: deps
	@$(MAKE) --no-print-directory check-build
	@tests/vm/run --load --timeout 900 --nvdimm build/pmem/demo-nv.img:1026M -- sh tests/demo/demo.sh

# `make bench`: tests/bench/bench.sh in ONE guest boot per kernel of
# BENCH_KERNELS (fault-in tdax vs in-tree at 4K/2M/1G, fault-around, the
# no-trace build, daxtop/daxcollect attached; collector scaling), then
# tests/bench/report.py prints the ratio table and writes results.json and
# plots into build/bench/<kernel>/. BENCH_QUICK=1: one short round (a smoke
# run of a few minutes). Not part of `make check` (figures, not pass/fail).
# The older single-purpose scripts (tests/bench/driver-vs-intree.sh,
# daxtop-overhead.sh) still run by hand (docs/performance.md).
BENCH_KERNELS ?= 6.1
BENCH_QUICK ?= 0
BENCH_TIMEOUT ?= 3000
BENCH_BIN := build/tests/bin
bench: deps
	@$(MAKE) --no-print-directory check-build
	@$(MAKE) --no-print-directory bench-helpers
	@for k in $(BENCH_KERNELS); do \
		$(MAKE) --no-print-directory kernel KERNEL=$$k || exit 1; \
		if [ "$$k" != "$(KERNEL)" ]; then $(MAKE) --no-print-directory kmod-$$k || exit 1; fi; \
		( . ./build/kernel-$$k.env && $(MAKE) -s -C driver notrace KDIR="$$KDIR" >/dev/null ) || exit 1; \
		out=build/bench/$$k; rm -rf $$out; mkdir -p $$out; \
		echo "== make bench: kernel $$k, results in $$out"; \
		tests/vm/run --kernel $$k --load --timeout $(BENCH_TIMEOUT) -- \
			env BENCH_QUICK=$(BENCH_QUICK) sh tests/bench/bench.sh $$out || exit 1; \
		printf 'info\tdate\t%s\ninfo\tcalib_host_s\t%s\n' "$$(date -u +%Y-%m-%dT%H:%MZ)" \
			"$$(sh tests/bench/bench.sh --calibrate)" >> $$out/runs.tsv; \
		python3 tests/bench/report.py $$out || exit 1; \
	done

bench-helpers: $(BENCH_BIN)/daxcmp $(BENCH_BIN)/snapbench $(BENCH_BIN)/daxprocs

$(BENCH_BIN)/daxcmp: tests/bench/daxcmp.c
	@mkdir -p $(dir $@)
	cc -O2 -g -Wall -Wextra -o $@ $<

$(BENCH_BIN)/daxprocs: tests/bench/daxprocs.c
	@mkdir -p $(dir $@)
	cc -O2 -g -Wall -Wextra -o $@ $<

$(BENCH_BIN)/snapbench: tests/bench/snapbench.c build/lib/libtdax_collector.a
	@mkdir -p $(dir $@)
	cc -O2 -g -Wall -Wextra -Itools/lib -Ibpf -Iinclude -Ibuild/bpf -o $@ $< \
		build/lib/libtdax_collector.a -lbpf -lelf -lz -lm

fuzz: check-build
	@if [ -f tools/daxcollect/Makefile ]; then $(MAKE) -C tools/daxcollect fuzz; fi

install: all
	@for d in driver tools dashboards tools/bpftrace tools/bcc; do \
		if [ -f $$d/Makefile ] && grep -q '^install:' $$d/Makefile; then \
			$(WITH_KENV) $(MAKE) -C $$d install KDIR="$$KDIR" || exit 1; \
		fi; \
	done

# --- Debian packages --------------------------------------------------------
# `make deb`: tdax-dkms and tdax-tools built by dpkg-buildpackage from a clean
# copy of the tracked files (build/deb/tdax-VERSION), then checked by lintian;
# the .debs land in build/deb/. Install: apt install ./build/deb/tdax-*.deb
deb:
	@ver=$$(dpkg-parsechangelog -l debian/changelog -S Version) && src=build/deb/tdax-$$ver && \
	rm -rf build/deb && mkdir -p $$src && \
	if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -z | xargs -0 cp -P --parents -t $$src; \
	else tar -c --exclude=./build --exclude=./.vm --exclude=./.git . | tar -x -C $$src; fi && \
	(cd $$src && dpkg-buildpackage -us -uc -b) >build/deb/build.log 2>&1 || \
		{ tail -n 40 build/deb/build.log; echo "make deb: dpkg-buildpackage failed (build/deb/build.log)" >&2; exit 1; }; \
	lintian --fail-on error,warning --display-info build/deb/tdax_*.changes && \
	ls build/deb/*.deb

clean:
	@for d in driver bpf tools tests/vm/ktest; do \
		if [ -f $$d/Makefile ] && [ -f $(KENV) ]; then \
			$(WITH_KENV) $(MAKE) -s -C $$d clean KDIR="$$KDIR" || true; \
		fi; \
	done
	rm -rf build .vm

distclean: clean
	@echo "the guest kernel cache (/var/cache/tdax) is kept; remove it by hand if wanted"
