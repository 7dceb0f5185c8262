// SPDX-License-Identifier: GPL-2.0-only
/*
 * ops.c - the device operations, each all-or-nothing.
 *
 * An operation records the device's state (driver, size, align,
 * fault_policy, memory blocks it changed), performs its steps, and on the
 * first refused step undoes the ones done, in reverse: offline the memory
 * it onlined, unbind, drop the new_id it added, restore size, align and
 * fault_policy, rebind the original driver, re-online the memory it
 * offlined.  Then it prints one line: the step, the errno text, the
 * kernel's reason (kmsg.c), and whether the device is as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "tdaxctl.h"

#define MAX_BLOCKS 4096

struct op {
	struct tdax_ctx *ctx;
	const char *name;
	bool failed;
	int rc;
	char msg[1024];
	/* saved state */
	char driver[TDAX_SYSFS_NAME_LEN];
	uint64_t size, align;
	char policy[16];
	/* what was done, to undo */
	bool unbound, attrs_changed, kmem_id_added, kmem_id_removed, created;
	long onl[MAX_BLOCKS], offl[MAX_BLOCKS];
	bool offl_movable[MAX_BLOCKS];	/* the zone to put offl[i] back in */
	int nonl, noffl;
	unsigned int timeout;		/* seconds per block offline, 0: none */
};

/*
 * How long one memory block may take to go offline: --offline-timeout,
 * else tdax_kmem's own bound for its unbind (offline_timeout parameter),
 * else 120 s.  The kernel retries pages it cannot migrate (pinned) until
 * the writer gets a signal.
 */
static int offline_timeout_opt = -1;

void set_offline_timeout(int secs)
{
	offline_timeout_opt = secs;
}

static unsigned int offline_timeout(struct tdax_ctx *ctx)
{
	char dir[TDAX_SYSFS_PATH_LEN + 64], buf[32];

	if (offline_timeout_opt >= 0)
		return (unsigned int)offline_timeout_opt;
	snprintf(dir, sizeof(dir), "%s/module/tdax_kmem/parameters", ctx->root);
	if (!tdax_read_attr(dir, "offline_timeout", buf, sizeof(buf)))
		return (unsigned int)strtoul(buf, NULL, 10);
	return 120;
}

void tdaxctl_lock(void)
{
	const char *path = getenv("TDAXCTL_LOCK");
	int fd;

	if (!path || !*path)
		path = "/run/tdaxctl.lock";
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;	/* no /run (tests, non-root): no lock */
	if (flock(fd, LOCK_EX))
		close(fd);
	/* held until exit */
}

static int step_fail(struct op *op, int rc, const char *fmt, ...)
{
	char what[512], reason[512];
	va_list ap;

	if (op->failed || rc >= 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	kmsg_reason(reason, sizeof(reason));
	snprintf(op->msg, sizeof(op->msg), "%s: %s%s%s%s", what, strerror(-rc),
		 reason[0] ? " (kernel: " : "", reason, reason[0] ? ")" : "");
	op->failed = true;
	op->rc = rc;
	return rc;
}

/* A failure found by tdaxctl itself (no kernel write involved). */
static int check_fail(struct op *op, int rc, const char *fmt, ...)
{
	va_list ap;

	if (op->failed)
		return rc;
	va_start(ap, fmt);
	vsnprintf(op->msg, sizeof(op->msg), fmt, ap);
	va_end(ap);
	op->failed = true;
	op->rc = rc;
	return rc;
}

static struct tdax_device *rescan(struct op *op)
{
	tdax_ctx_scan(op->ctx);
	return tdax_device_find(op->ctx, op->name);
}

static int save_state(struct op *op)
{
	struct tdax_device *d = rescan(op);

	if (!d)
		return -ENODEV;
	snprintf(op->driver, sizeof(op->driver), "%s", d->driver);
	op->size = d->size;
	op->align = d->align;
	snprintf(op->policy, sizeof(op->policy), "%s", d->fault_policy);
	return 0;
}

/* A process that has NAME open or mapped (not us), or 0. */
static int in_use(const char *name, char *comm, size_t len)
{
	char want[64], path[300], buf[PATH_MAX];
	struct dirent *de;
	DIR *proc = opendir("/proc");
	int self = getpid(), found = 0;

	if (!proc)
		return 0;
	snprintf(want, sizeof(want), "/dev/%s", name);
	while (!found && (de = readdir(proc))) {
		int pid = atoi(de->d_name);
		struct dirent *fe;
		FILE *f;
		DIR *fds;

		if (pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		fds = opendir(path);
		while (fds && !found && (fe = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, fe->d_name);
			n = readlink(path, buf, sizeof(buf) - 1);
			if (n > 0) {
				buf[n] = 0;
				found = !strcmp(buf, want) ? pid : 0;
			}
		}
		if (fds)
			closedir(fds);
		snprintf(path, sizeof(path), "/proc/%d/maps", pid);
		f = found ? NULL : fopen(path, "re");
		while (f && !found && fgets(buf, sizeof(buf), f)) {
			size_t l = strlen(buf), w = strlen(want);

			if (l && buf[l - 1] == '\n')
				buf[--l] = 0;
			if (l > w && !strcmp(buf + l - w, want) && buf[l - w - 1] == ' ')
				found = pid;
		}
		if (f)
			fclose(f);
		if (found) {
			snprintf(path, sizeof(path), "/proc/%d", pid);
			if (tdax_read_attr(path, "comm", comm, len))
				snprintf(comm, len, "?");
		}
	}
	closedir(proc);
	return found;
}

static int check_not_in_use(struct op *op)
{
	char comm[64];
	int pid = in_use(op->name, comm, sizeof(comm));

	if (!pid)
		return 0;
	return check_fail(op, -EBUSY, "in use by pid %d (%s): stop it first, or use --force (its mappings then get SIGBUS)",
			  pid, comm);
}

static int do_unbind(struct op *op)
{
	char cur[TDAX_SYSFS_NAME_LEN];
	int rc = tdax_device_driver(op->ctx, op->name, cur, sizeof(cur));

	if (rc)
		return step_fail(op, rc, "read driver");
	if (!cur[0])
		return 0;
	rc = tdax_device_unbind(op->ctx, op->name);
	if (rc)
		return step_fail(op, rc, "unbind from %s", cur);
	op->unbound = true;
	return 0;
}

/* Bind to @drv; @undo: a rollback step (records nothing, keeps op->msg). */
static int bind_driver(struct op *op, const char *drv, bool undo)
{
	char cur[TDAX_SYSFS_NAME_LEN], sink[256];
	int rc;

	tdax_device_driver(op->ctx, op->name, cur, sizeof(cur));
	if (!strcmp(cur, drv))
		return 0;
	if (!strcmp(drv, TDAX_DRV_KMEM)) {
		rc = tdax_driver_write(op->ctx, drv, "new_id", op->name);
		if (rc && rc != -EEXIST)
			return undo ? rc : step_fail(op, rc, "%s/new_id %s", drv, op->name);
		if (!rc && !undo)
			op->kmem_id_added = true;
	}
	tdax_device_driver(op->ctx, op->name, cur, sizeof(cur));
	if (!strcmp(cur, drv))
		return 0;	/* new_id attached it */
	rc = tdax_device_bind(op->ctx, op->name, drv);
	if (rc == -ENODEV && !strcmp(drv, TDAX_DRV_DEVICE) &&
	    tdax_driver_present(op->ctx, TDAX_DRV_KMEM)) {
		/* tdax_kmem listed the device: the default driver yields to it */
		if (!tdax_driver_write(op->ctx, TDAX_DRV_KMEM, "remove_id", op->name) && !undo)
			op->kmem_id_removed = true;
		kmsg_reason(sink, sizeof(sink));
		rc = tdax_device_bind(op->ctx, op->name, drv);
	}
	if (!rc) {
		tdax_device_driver(op->ctx, op->name, cur, sizeof(cur));
		if (strcmp(cur, drv))
			rc = -ENXIO;
	}
	if (rc && !undo)
		return step_fail(op, rc, "bind to %s", drv);
	return rc;
}

static int write_attr(struct op *op, const char *attr, const char *val)
{
	int rc = tdax_device_write(op->ctx, op->name, attr, val);

	if (rc)
		return step_fail(op, rc, "%s %s", attr, val);
	op->attrs_changed = true;
	return 0;
}

static int write_u64(struct op *op, const char *attr, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return write_attr(op, attr, buf);
}

/* Put size, align, fault_policy back; used by rollback. */
static int restore_attrs(struct op *op, char *err, size_t len)
{
	struct tdax_device *d = rescan(op);
	char buf[32];
	int rc = 0;

	if (!d)
		return -ENODEV;
	if (d->size != op->size) {
		rc = tdax_device_write_u64(op->ctx, op->name, "size", op->size);
		if (rc == -EINVAL && d->align != op->align) {
			/* the new align's granule refuses the old size: align first */
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)op->align);
			if (!tdax_device_write(op->ctx, op->name, "align", buf))
				rc = tdax_device_write_u64(op->ctx, op->name, "size", op->size);
		}
		if (rc) {
			snprintf(err, len, "size %llu: %s", (unsigned long long)op->size,
				 strerror(-rc));
			return rc;
		}
		d = rescan(op);
		if (!d)
			return -ENODEV;
	}
	if (d->align != op->align) {
		rc = tdax_device_write_u64(op->ctx, op->name, "align", op->align);
		if (rc) {
			snprintf(err, len, "align %llu: %s", (unsigned long long)op->align,
				 strerror(-rc));
			return rc;
		}
	}
	if (strcmp(d->fault_policy, op->policy) && op->policy[0]) {
		rc = tdax_device_write(op->ctx, op->name, "fault_policy", op->policy);
		if (rc) {
			snprintf(err, len, "fault_policy %s: %s", op->policy, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void rollback(struct op *op)
{
	char err[256] = "", sink[512], cur[TDAX_SYSFS_NAME_LEN];
	struct tdax_device *d;
	int i, rc = 0;

	kmsg_reason(sink, sizeof(sink));	/* the reason is already in op->msg */
	for (i = op->nonl - 1; i >= 0 && !rc; i--) {
		if (tdax_memblock_state(op->ctx, op->onl[i], NULL) <= 0)
			continue;	/* gone or offline already */
		rc = tdax_memblock_write_timeout(op->ctx, op->onl[i], "offline", op->timeout);
		if (rc)
			snprintf(err, sizeof(err), "offline memory%ld: %s", op->onl[i],
				 strerror(-rc));
	}
	if (!rc && !tdax_device_driver(op->ctx, op->name, cur, sizeof(cur)) && cur[0] &&
	    (strcmp(cur, op->driver) || op->attrs_changed)) {
		rc = tdax_device_unbind(op->ctx, op->name);
		if (rc)
			snprintf(err, sizeof(err), "unbind from %s: %s", cur, strerror(-rc));
	}
	if (!rc && op->kmem_id_added)
		tdax_driver_write(op->ctx, TDAX_DRV_KMEM, "remove_id", op->name);
	if (!rc && op->created) {
		rc = tdax_device_write(op->ctx, op->name, "size", "0");
		if (!rc)
			rc = tdax_region_delete_device(op->ctx, tdax_device_find(op->ctx, op->name) ?
						       tdax_device_find(op->ctx, op->name)->region_id : -1,
						       op->name);
		if (rc)
			snprintf(err, sizeof(err), "delete the new %s: %s", op->name, strerror(-rc));
		goto out;
	}
	if (!rc && op->attrs_changed)
		rc = restore_attrs(op, err, sizeof(err));
	if (!rc && op->kmem_id_removed)
		tdax_driver_write(op->ctx, TDAX_DRV_KMEM, "new_id", op->name);
	if (!rc && op->driver[0]) {
		rc = bind_driver(op, op->driver, true);
		if (rc)
			snprintf(err, sizeof(err), "bind to %s: %s", op->driver, strerror(-rc));
	}
	for (i = op->noffl - 1; i >= 0 && !rc; i--) {
		if (tdax_memblock_state(op->ctx, op->offl[i], NULL) == 1)
			continue;	/* online again already (a kept range) */
		rc = tdax_memblock_write(op->ctx, op->offl[i],
					 op->offl_movable[i] ? "online_movable" : "online_kernel");
		if (rc)
			snprintf(err, sizeof(err), "online memory%ld: %s", op->offl[i],
				 strerror(-rc));
	}
out:
	kmsg_reason(sink, sizeof(sink));
	d = rescan(op);
	if (rc)
		op_error("%s: %s; rollback failed at %s: %s is now %s, size %llu, align %llu",
			 op->name, op->msg, err, op->name,
			 d && d->driver[0] ? d->driver : "unbound",
			 d ? (unsigned long long)d->size : 0ULL,
			 d ? (unsigned long long)d->align : 0ULL);
	else if (op->created)
		op_error("%s: %s; %s removed again, region unchanged", op->name, op->msg, op->name);
	else
		op_error("%s: %s; %s left as it was", op->name, op->msg, op->name);
}

static int finish(struct op *op)
{
	if (!op->failed)
		return 0;
	rollback(op);
	return op->rc ? op->rc : -EIO;
}

/*
 * op_begin - a new operation on device @name, its state saved for rollback.
 * NULL, with *rc set, when it cannot start (no memory, no such device: said).
 */
static struct op *op_begin(struct tdax_ctx *ctx, const char *name, int *rc)
{
	struct op *op = calloc(1, sizeof(*op));

	if (!op) {
		*rc = -ENOMEM;
		return NULL;
	}
	op->ctx = ctx;
	op->name = name;
	kmsg_start();
	if (save_state(op)) {
		op_error("%s: no such device", name);
		free(op);
		*rc = -ENODEV;
		return NULL;
	}
	return op;
}

/* op_refuse - refused before any change: one line naming @why, then @rc. */
static int op_refuse(struct op *op, int rc, const char *why)
{
	op_error("%s: %s; %s left as it was", op->name, why, op->name);
	free(op);
	return rc;
}

/*
 * op_end - the operation's result. @untouched: nothing was changed, so a
 * failure is reported as a refusal; otherwise a failure is rolled back.
 */
static int op_end(struct op *op, bool untouched)
{
	int rc;

	if (op->failed && untouched)
		return op_refuse(op, op->rc, op->msg);
	rc = finish(op);
	free(op);
	return rc;
}

static const char *mode_driver(const char *mode)
{
	return !strcmp(mode, "system-ram") ? TDAX_DRV_KMEM : TDAX_DRV_DEVICE;
}

static int kmem_missing(const char *name, const char *what)
{
	op_error("%s: %s needs the tdax_kmem driver, which is not loaded (modprobe tdax_kmem)",
		 name, what);
	return -ENOENT;
}

/* Why a block refused to go offline, for the one-line message. */
static const char *offline_why(int rc, char *buf, size_t len, unsigned int secs)
{
	switch (rc) {
	case -ETIMEDOUT:
		snprintf(buf, len, "pages still in use after %u s (pinned, or not migratable: free or unpin them first, or give --offline-timeout more time)",
			 secs);
		break;
	case -EBUSY:
		snprintf(buf, len, "%s (unmovable pages: kernel memory in a block onlined with --no-movable, which may stay until reboot)",
			 strerror(-rc));
		break;
	default:
		snprintf(buf, len, "%s", strerror(-rc));
	}
	return buf;
}

/*
 * Online (or offline) the memory blocks of the device that are not in that
 * state yet, recording each one changed in @op (with its zone when it goes
 * offline, so rollback puts it back where it was).
 */
static int set_memory(struct op *op, bool online, bool no_movable)
{
	struct tdax_device *d = rescan(op);
	const char *state = !online ? "offline" : no_movable ? "online_kernel" : "online_movable";
	static long blocks[MAX_BLOCKS];
	static int states[MAX_BLOCKS];
	int rc, i, n, present = 0, todo = 0, done = 0;

	if (!d)
		return step_fail(op, -ENODEV, "rescan");
	rc = tdax_device_memblock_list(op->ctx, d, blocks, MAX_BLOCKS, &n);
	if (rc)
		return step_fail(op, rc, "read %s/devices/system/memory", op->ctx->root);
	for (i = 0; i < n; i++) {
		states[i] = tdax_memblock_state(op->ctx, blocks[i], NULL);
		if (states[i] < 0 && states[i] != -ENOENT)
			return step_fail(op, states[i], "read memory%ld/state", blocks[i]);
		present += states[i] >= 0;
		todo += states[i] >= 0 && states[i] != online;
	}
	if (!present)
		return check_fail(op, -ENXIO, "no memory blocks of %s in %s/devices/system/memory",
				  op->name, op->ctx->root);
	for (i = 0; i < n; i++) {
		bool movable = false;

		if (states[i] < 0 || states[i] == online)
			continue;
		tdax_memblock_state(op->ctx, blocks[i], &movable);
		if (online) {
			rc = tdax_memblock_write(op->ctx, blocks[i], state);
			if (rc)
				return step_fail(op, rc, "%s memory%ld (%d of %d blocks done)", state,
						 blocks[i], done, todo);
			op->onl[op->nonl++] = blocks[i];
		} else {
			char why[256];

			rc = tdax_memblock_write_timeout(op->ctx, blocks[i], state, op->timeout);
			if (rc == -ETIMEDOUT || rc == -EBUSY) {
				char sink[256];

				kmsg_reason(sink, sizeof(sink));
				return check_fail(op, rc, "offline memory%ld (%d of %d blocks done): %s",
						  blocks[i], done, todo,
						  offline_why(rc, why, sizeof(why), op->timeout));
			}
			if (rc)
				return step_fail(op, rc, "offline memory%ld (%d of %d blocks done)",
						 blocks[i], done, todo);
			op->offl_movable[op->noffl] = movable;
			op->offl[op->noffl++] = blocks[i];
		}
		done++;
	}
	return 0;
}

static const char kept_msg[] =
	"its memory stayed online when tdax_kmem could not offline it (mode system-ram-kept): 'reconfigure-device -m system-ram' takes it back, then offline-memory and -m devdax";

static bool is_kept(struct op *op)
{
	struct tdax_device *d = rescan(op);

	return d && !strcmp(tdax_device_mode(d), "system-ram-kept");
}

/*
 * Before memory is added: the kernel's auto-online policy would online it
 * at once, maybe not as asked.  Refused unless --force (as daxctl), except
 * for online_movable when movable online memory is what was asked.
 */
static int check_auto_online(struct op *op, const struct dev_conf *c)
{
	char pol[32];

	if (tdax_memory_auto_online(op->ctx, pol, sizeof(pol)) || !strcmp(pol, "offline"))
		return 0;
	if (!strcmp(pol, "online_movable") && !c->no_online && !c->no_movable)
		return 0;
	return check_fail(op, -EBUSY, "the kernel's policy auto_online_blocks=%s would online the memory %s: write offline to %s/devices/system/memory/auto_online_blocks first, or use --force",
			  pol, c->no_online ? "although --no-online was given" :
			  !strcmp(pol, "online_movable") ? "movable, not in ZONE_NORMAL as --no-movable asks" :
			  "in the kernel's zone, maybe ZONE_NORMAL (which may never go offline again)",
			  op->ctx->root);
}

/* After an unbind from tdax_kmem: the driver may have kept the memory. */
static int check_unbind_kept(struct op *op)
{
	if (op->failed || !op->unbound || strcmp(op->driver, TDAX_DRV_KMEM) || !is_kept(op))
		return 0;
	return step_fail(op, -EBUSY, "unbind from tdax_kmem: its memory could not be offlined");
}

bool dev_conf_matches(struct tdax_ctx *ctx, const struct tdax_device *d,
		      const struct dev_conf *c)
{
	(void)ctx;
	if (c->has_size && d->size != c->size)
		return false;
	if (c->has_align && d->align != c->align)
		return false;
	if (c->has_policy && strcmp(d->fault_policy, c->policy))
		return false;
	if (c->has_mode && (strcmp(d->driver, mode_driver(c->mode))))
		return false;
	if (c->has_mode && !strcmp(c->mode, "system-ram") && !c->no_online) {
		struct tdax_memblocks mb;

		if (tdax_device_memblocks(ctx, d, &mb) || mb.online < mb.total)
			return false;
	}
	return true;
}

int do_reconfigure(struct tdax_ctx *ctx, const char *name, const struct dev_conf *c,
		   bool force)
{
	struct op *op;
	bool ch_size, ch_align, ch_policy, ch_drv, need_unbind, need_bind, size_done = false;
	const char *target;
	struct tdax_device *d;
	int rc;

	op = op_begin(ctx, name, &rc);
	if (!op)
		return rc;
	op->timeout = offline_timeout(ctx);
	target = c->has_mode ? mode_driver(c->mode) : op->driver;
	if ((!strcmp(target, TDAX_DRV_KMEM) || !strcmp(op->driver, TDAX_DRV_KMEM)) &&
	    !tdax_driver_present(ctx, TDAX_DRV_KMEM)) {
		free(op);
		return kmem_missing(name, "mode system-ram");
	}
	if (is_kept(op) && strcmp(target, TDAX_DRV_KMEM))
		return op_refuse(op, -EBUSY, kept_msg);
	ch_size = c->has_size && c->size != op->size;
	ch_align = c->has_align && c->align != op->align;
	ch_policy = c->has_policy && strcmp(c->policy, op->policy);
	ch_drv = strcmp(target, op->driver) != 0;
	need_unbind = op->driver[0] && (ch_size || ch_align || ch_policy || ch_drv);
	need_bind = target[0] && (need_unbind || !op->driver[0]);

	if (need_unbind && !strcmp(op->driver, TDAX_DRV_KMEM)) {
		struct tdax_memblocks mb;

		d = rescan(op);
		if (d && !tdax_device_memblocks(ctx, d, &mb) && mb.online) {
			if (!force)
				check_fail(op, -EBUSY, "%d of %d memory blocks are online: offline them first (offline-memory, or --force)",
					   mb.online, mb.total);
			else
				set_memory(op, false, false);
		}
	}
	if (!op->failed && need_unbind && !strcmp(op->driver, TDAX_DRV_DEVICE) && !force)
		check_not_in_use(op);
	if (!op->failed && !force && !strcmp(target, TDAX_DRV_KMEM) &&
	    strcmp(op->driver, TDAX_DRV_KMEM) && !is_kept(op))
		check_auto_online(op, c);
	if (!op->failed && need_unbind)
		do_unbind(op);
	check_unbind_kept(op);
	if (!op->failed && ch_align) {
		rc = tdax_device_write_u64(ctx, name, "align", c->align);
		if (rc == -EINVAL && ch_size) {
			/* the current ranges do not fit the new align: resize first */
			char sink[512];

			kmsg_reason(sink, sizeof(sink));
			if (!write_u64(op, "size", c->size)) {
				size_done = true;
				write_u64(op, "align", c->align);
			}
		} else if (rc) {
			step_fail(op, rc, "align %llu", (unsigned long long)c->align);
		} else {
			op->attrs_changed = true;
		}
	}
	if (!op->failed && ch_policy)
		write_attr(op, "fault_policy", c->policy);
	if (!op->failed && ch_size && !size_done)
		write_u64(op, "size", c->size);
	if (!op->failed && need_bind)
		bind_driver(op, target, false);
	if (!op->failed && !strcmp(target, TDAX_DRV_KMEM) && !c->no_online)
		set_memory(op, true, c->no_movable);
	return op_end(op, false);
}

int do_create(struct tdax_ctx *ctx, const struct dev_conf *c, char *name, size_t len)
{
	struct op *op = calloc(1, sizeof(*op));
	struct tdax_region *r;
	struct tdax_device *d;
	uint64_t size;
	bool created;
	int rc;

	if (!op)
		return -ENOMEM;
	op->ctx = ctx;
	op->name = name;
	kmsg_start();
	tdax_ctx_scan(ctx);
	r = tdax_region_find(ctx, c->region_id);
	if (!r) {
		op_error("region %d: no such region", c->region_id);
		free(op);
		return -ENODEV;
	}
	size = c->has_size ? c->size : r->available_size;
	if (!size || size > r->available_size) {
		op_error("region %d: %s%llu bytes available%s", c->region_id,
			 size ? "size too big: " : "no space available: ",
			 (unsigned long long)r->available_size,
			 size ? "" : " (shrink or destroy a device first)");
		free(op);
		return -ENOSPC;
	}
	rc = tdax_region_new_device(ctx, c->region_id, name, len, &created);
	if (rc) {
		char reason[512];

		kmsg_reason(reason, sizeof(reason));
		op_error("region %d: create a device: %s%s%s%s; region unchanged", c->region_id,
			 strerror(-rc), reason[0] ? " (kernel: " : "", reason,
			 reason[0] ? ")" : "");
		free(op);
		return rc;
	}
	op->created = created;
	save_state(op);
	if (c->name[0] && strcmp(c->name, name))
		check_fail(op, -EEXIST, "the region's next device is %s, not %s (create the devices in order)",
			   name, c->name);
	if (!op->failed && c->has_align && c->align != op->align)
		write_u64(op, "align", c->align);
	if (!op->failed && c->has_policy && strcmp(c->policy, op->policy))
		write_attr(op, "fault_policy", c->policy);
	if (!op->failed)
		write_u64(op, "size", size);
	if (!op->failed)
		bind_driver(op, TDAX_DRV_DEVICE, false);
	if (!op->failed && c->nmappings) {
		size_t i;

		d = rescan(op);
		if (!d || d->nmappings != c->nmappings)
			check_fail(op, -EINVAL, "got %zu ranges, the input lists %zu",
				   d ? d->nmappings : 0, c->nmappings);
		for (i = 0; !op->failed && i < c->nmappings; i++)
			if (d->mappings[i].start != c->mappings[i].start ||
			    d->mappings[i].end != c->mappings[i].end ||
			    d->mappings[i].pgoff != c->mappings[i].pgoff)
				check_fail(op, -EINVAL, "range %zu is %#llx-%#llx, the input lists %#llx-%#llx (the region's free space differs)",
					   i, (unsigned long long)d->mappings[i].start,
					   (unsigned long long)d->mappings[i].end,
					   (unsigned long long)c->mappings[i].start,
					   (unsigned long long)c->mappings[i].end);
	}
	rc = finish(op);
	free(op);
	return rc;
}

int do_destroy(struct tdax_ctx *ctx, const char *name, bool force)
{
	struct op *op;
	struct tdax_device *d;
	int rc, region_id;
	bool kept;

	op = op_begin(ctx, name, &rc);
	if (!op)
		return rc;
	kept = is_kept(op);	/* rescans: look the device up after it */
	d = tdax_device_find(ctx, name);
	region_id = d->region_id;
	if (kept)
		check_fail(op, -EBUSY, "%s", kept_msg);
	else if (d->id == 0)
		check_fail(op, -EBUSY, "device 0 stays while its region exists: shrink it with reconfigure-device -s instead");
	else if (op->driver[0] && !force)
		check_fail(op, -EBUSY, "active, specify --force for deletion");
	else if (!strcmp(op->driver, TDAX_DRV_KMEM)) {
		struct tdax_memblocks mb;

		if (!tdax_device_memblocks(ctx, d, &mb) && mb.online)
			check_fail(op, -EBUSY, "%d of %d memory blocks are online: offline them first (offline-memory)",
				   mb.online, mb.total);
	}
	if (!op->failed)
		check_not_in_use(op);
	if (!op->failed)
		do_unbind(op);
	check_unbind_kept(op);
	if (!op->failed && op->size)
		write_attr(op, "size", "0");
	if (!op->failed) {
		rc = tdax_region_delete_device(ctx, region_id, name);
		if (rc)
			step_fail(op, rc, "tdax_region/delete %s", name);
	}
	return op_end(op, !op->unbound && !op->attrs_changed);
}

/* enable/disable/online/offline: small operations with the same rollback */
int op_enable(struct tdax_ctx *ctx, const char *name)
{
	struct op *op;
	int rc;

	op = op_begin(ctx, name, &rc);
	if (!op)
		return rc;
	if (!strcmp(op->driver, TDAX_DRV_KMEM))
		check_fail(op, -EBUSY, "in system-ram mode: use reconfigure-device -m devdax");
	else if (is_kept(op))
		check_fail(op, -EBUSY, "%s", kept_msg);
	else if (!op->driver[0] && !op->size)
		check_fail(op, -ENXIO, "size is 0: give it a size first (reconfigure-device -s)");
	if (!op->failed)
		bind_driver(op, TDAX_DRV_DEVICE, false);
	return op_end(op, !op->unbound);
}

int op_disable(struct tdax_ctx *ctx, const char *name, bool force)
{
	struct op *op;
	int rc;

	op = op_begin(ctx, name, &rc);
	if (!op)
		return rc;
	if (!strcmp(op->driver, TDAX_DRV_KMEM))
		check_fail(op, -EBUSY, "in system-ram mode: use reconfigure-device -m devdax");
	else if (op->driver[0] && !force)
		check_not_in_use(op);
	if (!op->failed)
		do_unbind(op);
	return op_end(op, !op->unbound);
}

int op_memory(struct tdax_ctx *ctx, const char *name, bool online, bool no_movable)
{
	struct op *op;
	int rc;

	op = op_begin(ctx, name, &rc);
	if (!op)
		return rc;
	if (!tdax_driver_present(ctx, TDAX_DRV_KMEM)) {
		free(op);
		return kmem_missing(name, online ? "online-memory" : "offline-memory");
	}
	if (is_kept(op))
		return op_refuse(op, -EBUSY, kept_msg);
	if (strcmp(op->driver, TDAX_DRV_KMEM)) {
		op_error("%s: memory operations are not applicable in devdax mode (reconfigure-device -m system-ram first)",
			 name);
		free(op);
		return -ENXIO;
	}
	op->timeout = offline_timeout(ctx);
	set_memory(op, online, no_movable);
	return op_end(op, !op->nonl && !op->noffl);
}
