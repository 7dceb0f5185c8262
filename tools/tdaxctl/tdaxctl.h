/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tdaxctl.h - what the tdaxctl commands share: JSON, errors with the
 * kernel's reason, the device operations (all-or-nothing), the lock.
 */
#ifndef TDAXCTL_H
#define TDAXCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "tdax_sysfs.h"

#define TDAXCTL_VERSION		"1.0"
#define TDAXCTL_CONFDIR		"/etc/tdax/tdaxctl.conf.d"

/* exit codes: 0 ok, 1 an operation failed, 2 usage error */
#define EXIT_OP		1
#define EXIT_USAGE	2

/* JSON flags, as daxctl's */
#define JF_DEVS		(1u << 0)	/* regions: include their devices */
#define JF_MAPPINGS	(1u << 1)
#define JF_IDLE		(1u << 2)	/* include devices of size 0 */
#define JF_HUMAN	(1u << 3)

extern const char *tdaxctl_cmd;		/* the command running, for messages */

/* One-line messages on stderr: "tdaxctl CMD: ...". */
void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void op_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern bool tdaxctl_verbose;

/* json.c */
struct json_object *dev_to_json(struct tdax_ctx *ctx, const struct tdax_device *dev,
				unsigned int flags);
struct json_object *region_to_json(struct tdax_ctx *ctx, const struct tdax_region *r,
				   const char *dev_filter, unsigned int flags);
void display_json_array(struct json_object *arr, unsigned int flags);
bool dev_filter_match(const struct tdax_device *dev, const char *filter);

/* kmsg.c: the kernel's reason for the last refusal (since kmsg_start) */
void kmsg_start(void);
void kmsg_reason(char *buf, size_t len);

/* ops.c: one mutating tdaxctl at a time (flock on /run/tdaxctl.lock) */
void tdaxctl_lock(void);

/*
 * The desired configuration of a device: what create-device,
 * reconfigure-device and apply-config change.  has_* say what is set.
 */
struct dev_conf {
	char name[TDAX_SYSFS_NAME_LEN];	/* tdaxR.N, or "" (create: any) */
	int region_id;
	bool has_size, has_align, has_policy, has_mode;
	uint64_t size, align;
	char policy[16];
	char mode[16];			/* "devdax" | "system-ram" */
	bool no_online;			/* system-ram: leave memory offline */
	bool no_movable;		/* system-ram: online to ZONE_NORMAL */
	struct tdax_mapping *mappings;	/* create --input: expected ranges */
	size_t nmappings;
	char origin[128];		/* "file:line" for messages */
};

/* device.c: each 0 or -errno; on failure the device is as it was and one
 * line was printed. */
int do_reconfigure(struct tdax_ctx *ctx, const char *name, const struct dev_conf *c,
		   bool force);
int do_create(struct tdax_ctx *ctx, const struct dev_conf *c, char *name, size_t len);
int do_destroy(struct tdax_ctx *ctx, const char *name, bool force);
/* does @dev already match @c? */
bool dev_conf_matches(struct tdax_ctx *ctx, const struct tdax_device *dev,
		      const struct dev_conf *c);
int op_enable(struct tdax_ctx *ctx, const char *name);
int op_disable(struct tdax_ctx *ctx, const char *name, bool force);
int op_memory(struct tdax_ctx *ctx, const char *name, bool online, bool no_movable);
/* --offline-timeout SECS (0: wait as long as it takes); default tdax_kmem's */
void set_offline_timeout(int secs);
int dev_conf_from_json(struct json_object *j, struct dev_conf *c, const char *origin);

/* commands */
int cmd_list(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_enable(int argc, char **argv);
int cmd_disable(int argc, char **argv);
int cmd_reconfigure(int argc, char **argv);
int cmd_online(int argc, char **argv);
int cmd_offline(int argc, char **argv);
int cmd_apply_config(int argc, char **argv);

/* common start of every command: context + scan, exits on failure */
struct tdax_ctx *open_ctx(bool need_bus);

#endif /* TDAXCTL_H */
