// SPDX-License-Identifier: GPL-2.0-only
/*
 * tdaxctl - configure tdax regions and devices with daxctl's grammar.
 *
 * main.c: command dispatch, messages, the context every command opens.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdaxctl.h"

const char *tdaxctl_cmd = "";
bool tdaxctl_verbose;

static void vmsg(const char *fmt, va_list ap)
{
	char line[2048];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* one line, whatever the pieces contained */
	for (char *p = line; *p; p++)
		if (*p == '\n')
			*p = ' ';
	fprintf(stderr, "tdaxctl%s%s: %s\n", *tdaxctl_cmd ? " " : "", tdaxctl_cmd, line);
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	exit(EXIT_USAGE);
}

void op_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (!tdaxctl_verbose)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

struct tdax_ctx *open_ctx(bool need_bus)
{
	struct tdax_ctx *ctx = tdax_ctx_new(NULL);
	int rc;

	if (!ctx) {
		op_error("out of memory");
		exit(EXIT_OP);
	}
	rc = tdax_ctx_scan(ctx);
	if (rc == -ENOENT && !need_bus)
		return ctx;
	if (rc) {
		op_error("cannot read %s/bus/tdax/devices: %s%s", ctx->root, strerror(-rc),
			 rc == -ENOENT ? " (is tdax.ko loaded?)" : "");
		exit(EXIT_OP);
	}
	return ctx;
}

static const char main_help[] =
"Usage: tdaxctl [--version] [--help] COMMAND [ARGS]\n"
"\n"
"Configure tdax (instrumented device-DAX) regions and devices, with the\n"
"commands, options and JSON of daxctl(1).  Devices are /dev/tdaxR.N,\n"
"device N of region R; a region is the memory one provider registered.\n"
"\n"
"Commands:\n"
"  list                 regions, devices and mappings as JSON\n"
"  create-device        make a device in a region's free space (devdax)\n"
"  destroy-device       remove a device and give its memory back\n"
"  enable-device        bind a device to tdax_device (/dev/tdaxR.N works)\n"
"  disable-device       unbind a device\n"
"  reconfigure-device   change align, size, fault_policy or mode\n"
"  online-memory        online the memory of a system-ram device\n"
"  offline-memory       offline the memory of a system-ram device\n"
"  apply-config         apply /etc/tdax/tdaxctl.conf.d (at boot, from udev)\n"
"\n"
"Every command that changes something is all-or-nothing: when a step is\n"
"refused, what was done is undone, one line says what failed and why\n"
"(with the kernel's reason from its log), and the exit status is 1.\n"
"Usage errors exit with 2.  'tdaxctl COMMAND --help' explains a command.\n"
"\n"
"Environment: TDAX_SYSFS_ROOT (default /sys), TDAXCTL_CONFDIR.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "list", cmd_list },
	{ "create-device", cmd_create },
	{ "destroy-device", cmd_destroy },
	{ "enable-device", cmd_enable },
	{ "disable-device", cmd_disable },
	{ "reconfigure-device", cmd_reconfigure },
	{ "online-memory", cmd_online },
	{ "offline-memory", cmd_offline },
	{ "apply-config", cmd_apply_config },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		usage_error("no command given (see tdaxctl --help)");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		if (argc > 2 && strcmp(argv[1], "help") == 0) {
			char *hargv[] = { argv[2], "--help", NULL };

			for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
				if (!strcmp(argv[2], cmds[i].name)) {
					tdaxctl_cmd = cmds[i].name;
					return cmds[i].fn(2, hargv);
				}
			usage_error("unknown command '%s' (see tdaxctl --help)", argv[2]);
		}
		fputs(main_help, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v") ||
	    !strcmp(argv[1], "version")) {
		printf("tdaxctl %s\n", TDAXCTL_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			tdaxctl_cmd = cmds[i].name;
			return cmds[i].fn(argc - 1, argv + 1);
		}
	if (argv[1][0] == '-')
		usage_error("unknown option '%s' (see tdaxctl --help)", argv[1]);
	usage_error("unknown command '%s' (see tdaxctl --help)", argv[1]);
}
