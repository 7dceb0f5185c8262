# SPDX-License-Identifier: GPL-2.0-only
# tools/tdaxctl/tdaxctl.mk - tdaxctl and the sysfs-model library it is
# built on (tools/lib/tdax_sysfs.c -> build/lib/libtdax_sysfs.a), included
# by tools/Makefile.  Paths are relative to tools/.

SYSFS_LIB	:= $(LIBDIR)/libtdax_sysfs.a
SYSFS_OBJ	:= $(OBJ)/lib/tdax_sysfs.o
TDAXCTL_SRCS	:= $(wildcard tdaxctl/*.c)
TDAXCTL_OBJS	:= $(patsubst tdaxctl/%.c,$(OBJ)/tdaxctl/%.o,$(TDAXCTL_SRCS))
TDAXCTL		:= $(BINDIR)/tdaxctl
TDAXCTL_TESTS	:= $(TESTDIR)/test_tdax_sysfs

SYSTEMDDIR	?= /lib/systemd/system
UDEVRULESDIR	?= /lib/udev/rules.d
BASHCOMPDIR	?= /usr/share/bash-completion/completions
SYSCONFDIR	?= /etc

tdaxctl: $(TDAXCTL)

$(OBJ)/tdaxctl:
	mkdir -p $@

$(SYSFS_OBJ): lib/tdax_sysfs.c lib/tdax_sysfs.h | $(OBJ)/lib
	$(CC) $(CFLAGS) -c $< -o $@

$(SYSFS_LIB): $(SYSFS_OBJ) | $(LIBDIR)
	rm -f $@
	$(AR) rcs $@ $^

$(OBJ)/tdaxctl/%.o: tdaxctl/%.c tdaxctl/tdaxctl.h lib/tdax_sysfs.h | $(OBJ)/tdaxctl
	$(CC) $(CFLAGS) -c $< -o $@

$(TDAXCTL): $(TDAXCTL_OBJS) $(SYSFS_LIB) | $(BINDIR)
	$(CC) $(LDFLAGS) -o $@ $(TDAXCTL_OBJS) $(SYSFS_LIB) -ljson-c

$(TESTDIR)/test_tdax_sysfs: lib/tests/test_tdax_sysfs.c $(SYSFS_LIB) | $(TESTDIR)
	$(CC) $(CFLAGS) -o $@ $< $(SYSFS_LIB) -lcmocka

install-tdaxctl: $(TDAXCTL)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(SYSTEMDDIR) $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(SYSCONFDIR)/tdax/tdaxctl.conf.d
	install -m 0755 $(TDAXCTL) $(DESTDIR)$(PREFIX)/bin/tdaxctl
	install -m 0644 tdaxctl/tdaxctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/tdaxctl.1
	for u in tdaxctl.service tdaxctl-apply@.service; do \
		sed 's|@BINDIR@|$(PREFIX)/bin|g' tdaxctl/$$u > $(DESTDIR)$(SYSTEMDDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/$$u || exit 1; done
	install -m 0644 tdaxctl/90-tdaxctl.rules $(DESTDIR)$(UDEVRULESDIR)/90-tdaxctl.rules
	install -m 0644 tdaxctl/tdaxctl.bash-completion $(DESTDIR)$(BASHCOMPDIR)/tdaxctl
	@# a commented example; an existing one (perhaps edited) is kept
	@if [ ! -e $(DESTDIR)$(SYSCONFDIR)/tdax/tdaxctl.conf.d/tdaxctl.example.conf ]; then \
		install -m 0644 tdaxctl/tdaxctl.example.conf \
			$(DESTDIR)$(SYSCONFDIR)/tdax/tdaxctl.conf.d/tdaxctl.example.conf; fi

clean-tdaxctl:
	rm -rf $(OBJ)/tdaxctl $(SYSFS_OBJ) $(SYSFS_LIB) $(TDAXCTL) $(TDAXCTL_TESTS)

.PHONY: tdaxctl install-tdaxctl clean-tdaxctl
