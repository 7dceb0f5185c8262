// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tdax_sysfs.c - read and write the tdax sysfs model (see tdax_sysfs.h).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tdax_sysfs.h"

struct tdax_ctx *tdax_ctx_new(const char *root)
{
	struct tdax_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	if (!root || !*root)
		root = getenv("TDAX_SYSFS_ROOT");
	if (!root || !*root)
		root = "/sys";
	snprintf(ctx->root, sizeof(ctx->root), "%s", root);
	return ctx;
}

static void free_regions(struct tdax_ctx *ctx)
{
	size_t i, j;

	for (i = 0; i < ctx->nregions; i++) {
		for (j = 0; j < ctx->regions[i].ndevices; j++)
			free(ctx->regions[i].devices[j].mappings);
		free(ctx->regions[i].devices);
	}
	free(ctx->regions);
	ctx->regions = NULL;
	ctx->nregions = 0;
}

void tdax_ctx_free(struct tdax_ctx *ctx)
{
	if (!ctx)
		return;
	free_regions(ctx);
	free(ctx);
}

int tdax_read_attr(const char *dir, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

static int read_u64(const char *dir, const char *attr, uint64_t *out)
{
	char buf[64], *end;
	unsigned long long v;
	int rc = tdax_read_attr(dir, attr, buf, sizeof(buf));

	if (rc)
		return rc;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	*out = v;
	return 0;
}

static int read_int(const char *dir, const char *attr, int *out)
{
	char buf[32], *end;
	long v;
	int rc = tdax_read_attr(dir, attr, buf, sizeof(buf));

	if (rc)
		return rc;
	v = strtol(buf, &end, 0);
	if (end == buf)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static void link_base(const char *link, char *out, size_t len)
{
	char real[PATH_MAX];
	const char *b;
	ssize_t n = readlink(link, real, sizeof(real) - 1);

	out[0] = 0;
	if (n <= 0)
		return;
	real[n] = 0;
	b = strrchr(real, '/');
	snprintf(out, len, "%s", b ? b + 1 : real);
}

int tdax_parse_name(const char *name, int *region_id, int *id)
{
	unsigned int r, n;
	int len = 0;

	if (!name || sscanf(name, "tdax%u.%u%n", &r, &n, &len) != 2 || name[len])
		return -EINVAL;
	if (region_id)
		*region_id = (int)r;
	if (id)
		*id = (int)n;
	return 0;
}

static void parse_mappings(struct tdax_device *d)
{
	char buf[8192], *line, *save = NULL;
	size_t cap = 0;

	if (tdax_read_attr(d->path, "mappings", buf, sizeof(buf)))
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long s, e, o;
		struct tdax_mapping *m;

		if (sscanf(line, "%llx-%llx %llx", &s, &e, &o) != 3)
			continue;
		if (d->nmappings == cap) {
			cap = cap ? cap * 2 : 4;
			m = realloc(d->mappings, cap * sizeof(*m));
			if (!m)
				return;
			d->mappings = m;
		}
		d->mappings[d->nmappings++] = (struct tdax_mapping){ s, e, o };
	}
}

static struct tdax_region *region_get(struct tdax_ctx *ctx, int id, const char *pdir,
				      size_t *cap)
{
	struct tdax_region *r = tdax_region_find(ctx, id);
	char rdir[PATH_MAX + 16], link[PATH_MAX + 16];
	const char *b;

	if (r)
		return r;
	if (ctx->nregions == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		r = realloc(ctx->regions, ncap * sizeof(*r));
		if (!r)
			return NULL;
		ctx->regions = r;
		*cap = ncap;
	}
	r = &ctx->regions[ctx->nregions++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	snprintf(r->path, sizeof(r->path), "%s", pdir);
	b = strrchr(pdir, '/');
	snprintf(r->provider_dev, sizeof(r->provider_dev), "%s", b ? b + 1 : pdir);
	snprintf(link, sizeof(link), "%s/driver", pdir);
	link_base(link, r->provider, sizeof(r->provider));
	snprintf(rdir, sizeof(rdir), "%s/tdax_region", pdir);
	read_u64(rdir, "size", &r->size);
	read_u64(rdir, "align", &r->align);
	read_u64(rdir, "available_size", &r->available_size);
	tdax_read_attr(rdir, "seed", r->seed, sizeof(r->seed));
	r->has_instance = !read_u64(rdir, "instance", &r->instance);
	r->has_persistence = !tdax_read_attr(rdir, "persistence_domain", r->persistence_domain,
					     sizeof(r->persistence_domain));
	return r;
}

static int add_device(struct tdax_region *r, const struct tdax_device *d)
{
	struct tdax_device *nd = realloc(r->devices, (r->ndevices + 1) * sizeof(*nd));

	if (!nd)
		return -ENOMEM;
	r->devices = nd;
	r->devices[r->ndevices++] = *d;
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct tdax_device *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int cmp_region(const void *a, const void *b)
{
	const struct tdax_region *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static int scan_one(struct tdax_ctx *ctx, const char *devdir, const char *name, size_t *cap)
{
	char link[PATH_MAX + 16], real[PATH_MAX], pdir[PATH_MAX + 16];
	struct tdax_device d = { 0 };
	struct tdax_region *r;
	uint64_t v;
	char *slash;
	int rid;

	if (tdax_parse_name(name, &d.region_id, &d.id))
		return 0;
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(link, sizeof(link), "%s/%s", devdir, name);
	if (!realpath(link, real))
		return 0;	/* went away meanwhile */
	snprintf(d.path, sizeof(d.path), "%s", real);
	read_u64(real, "size", &d.size);
	read_u64(real, "align", &d.align);
	read_u64(real, "resource", &d.resource);
	d.numa_node = d.target_node = -1;
	read_int(real, "numa_node", &d.numa_node);
	read_int(real, "target_node", &d.target_node);
	tdax_read_attr(real, "fault_policy", d.fault_policy, sizeof(d.fault_policy));
	tdax_read_attr(real, "dev", d.devt, sizeof(d.devt));
	tdax_read_attr(real, "mode", d.mode, sizeof(d.mode));
	d.memmap_on_memory = -1;
	read_int(real, "memmap_on_memory", &d.memmap_on_memory);
	d.has_instance = !read_u64(real, "instance", &d.instance);
	d.has_persistence = !tdax_read_attr(real, "persistence_domain", d.persistence_domain,
					    sizeof(d.persistence_domain));
	snprintf(link, sizeof(link), "%s/driver", real);
	link_base(link, d.driver, sizeof(d.driver));
	parse_mappings(&d);

	snprintf(pdir, sizeof(pdir), "%s", real);
	slash = strrchr(pdir, '/');
	if (slash)
		*slash = 0;
	rid = d.region_id;
	{
		char rdir[PATH_MAX + 32];

		snprintf(rdir, sizeof(rdir), "%s/tdax_region", pdir);
		if (!read_u64(rdir, "id", &v))
			rid = (int)v;
	}
	d.region_id = rid;
	r = region_get(ctx, rid, pdir, cap);
	if (!r || add_device(r, &d)) {
		free(d.mappings);
		return -ENOMEM;
	}
	return 0;
}

static bool listed(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

int tdax_bus_entries(const char *root, const char *sub)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *dp;
	int n = 0;

	if (!root || !*root)
		root = getenv("TDAX_SYSFS_ROOT");
	if (!root || !*root)
		root = "/sys";
	snprintf(dir, sizeof(dir), "%s/bus/tdax/%s", root, sub);
	dp = opendir(dir);
	if (!dp)
		return -errno;
	while ((de = readdir(dp)))
		n += listed(de);
	closedir(dp);
	return n;
}

int tdax_ctx_scan(struct tdax_ctx *ctx)
{
	char devdir[PATH_MAX];
	size_t cap = 0, i;
	struct dirent *de;
	DIR *dp;
	int rc = 0;

	free_regions(ctx);
	snprintf(devdir, sizeof(devdir), "%s/bus/tdax/devices", ctx->root);
	dp = opendir(devdir);
	if (!dp)
		return -errno;
	while ((de = readdir(dp)) && !rc)
		if (listed(de))
			rc = scan_one(ctx, devdir, de->d_name, &cap);
	closedir(dp);
	qsort(ctx->regions, ctx->nregions, sizeof(*ctx->regions), cmp_region);
	for (i = 0; i < ctx->nregions; i++)
		qsort(ctx->regions[i].devices, ctx->regions[i].ndevices,
		      sizeof(struct tdax_device), cmp_dev);
	return rc;
}

struct tdax_region *tdax_region_find(struct tdax_ctx *ctx, int id)
{
	size_t i;

	for (i = 0; i < ctx->nregions; i++)
		if (ctx->regions[i].id == id)
			return &ctx->regions[i];
	return NULL;
}

struct tdax_device *tdax_device_find(struct tdax_ctx *ctx, const char *name)
{
	size_t i, j;

	for (i = 0; i < ctx->nregions; i++)
		for (j = 0; j < ctx->regions[i].ndevices; j++)
			if (!strcmp(ctx->regions[i].devices[j].name, name))
				return &ctx->regions[i].devices[j];
	return NULL;
}

struct tdax_region *tdax_device_region(struct tdax_ctx *ctx, const struct tdax_device *dev)
{
	return tdax_region_find(ctx, dev->region_id);
}

const char *tdax_device_mode(const struct tdax_device *dev)
{
	if (!dev->driver[0] && !strcmp(dev->mode, "system-ram-kept"))
		return "system-ram-kept";
	if (!dev->driver[0] || !strcmp(dev->driver, TDAX_DRV_DEVICE))
		return "devdax";
	if (!strcmp(dev->driver, TDAX_DRV_KMEM))
		return "system-ram";
	return dev->driver;
}

int tdax_write(struct tdax_ctx *ctx, const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd;

	(void)ctx;
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);	/* O_TRUNC as echo: fake trees in tests */
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	if (close(fd))
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int tdax_device_write(struct tdax_ctx *ctx, const char *name, const char *attr,
		      const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/tdax/devices/%s/%s", ctx->root, name, attr);
	return tdax_write(ctx, path, val);
}

int tdax_device_write_u64(struct tdax_ctx *ctx, const char *name, const char *attr,
			  uint64_t val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)val);
	return tdax_device_write(ctx, name, attr, buf);
}

bool tdax_driver_present(struct tdax_ctx *ctx, const char *drv)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/tdax/drivers/%s", ctx->root, drv);
	return access(path, F_OK) == 0;
}

int tdax_driver_write(struct tdax_ctx *ctx, const char *drv, const char *attr,
		      const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/tdax/drivers/%s/%s", ctx->root, drv, attr);
	return tdax_write(ctx, path, name);
}

int tdax_device_driver(struct tdax_ctx *ctx, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/tdax/devices/%s", ctx->root, name);
	if (access(path, F_OK))
		return -ENODEV;
	snprintf(path, sizeof(path), "%s/bus/tdax/devices/%s/driver", ctx->root, name);
	link_base(path, buf, len);
	return 0;
}

int tdax_device_unbind(struct tdax_ctx *ctx, const char *name)
{
	char drv[TDAX_SYSFS_NAME_LEN];
	int rc = tdax_device_driver(ctx, name, drv, sizeof(drv));

	if (rc)
		return rc;
	if (!drv[0])
		return 0;
	return tdax_driver_write(ctx, drv, "unbind", name);
}

int tdax_device_bind(struct tdax_ctx *ctx, const char *name, const char *drv)
{
	char cur[TDAX_SYSFS_NAME_LEN];
	int rc = tdax_device_driver(ctx, name, cur, sizeof(cur));

	if (rc)
		return rc;
	if (!strcmp(cur, drv))
		return 0;
	if (cur[0])
		return -EBUSY;
	if (!tdax_driver_present(ctx, drv))
		return -ENOENT;
	return tdax_driver_write(ctx, drv, "bind", name);
}

static void region_dir(struct tdax_ctx *ctx, int region_id, char *out, size_t len)
{
	struct tdax_region *r = tdax_region_find(ctx, region_id);

	snprintf(out, len, "%s/tdax_region", r ? r->path : "/nonexistent");
}

int tdax_region_new_device(struct tdax_ctx *ctx, int region_id, char *name, size_t len,
			   bool *created)
{
	char rdir[PATH_MAX + 16], path[PATH_MAX + 32];
	int rc;

	*created = false;
	if (!tdax_region_find(ctx, region_id))
		return -ENODEV;
	region_dir(ctx, region_id, rdir, sizeof(rdir));
	rc = tdax_read_attr(rdir, "seed", name, len);
	if (rc)
		return rc;
	if (name[0])
		return 0;
	snprintf(path, sizeof(path), "%s/create", rdir);
	rc = tdax_write(ctx, path, "1");
	if (rc)
		return rc;
	rc = tdax_read_attr(rdir, "create", name, len);
	if (rc)
		return rc;
	if (!name[0])
		return -EIO;
	*created = true;
	return 0;
}

int tdax_region_delete_device(struct tdax_ctx *ctx, int region_id, const char *name)
{
	char rdir[PATH_MAX + 16], path[PATH_MAX + 32];

	if (!tdax_region_find(ctx, region_id))
		return -ENODEV;
	region_dir(ctx, region_id, rdir, sizeof(rdir));
	snprintf(path, sizeof(path), "%s/delete", rdir);
	return tdax_write(ctx, path, name);
}

static int memblock_dir(struct tdax_ctx *ctx, char *out, size_t len, uint64_t *bs)
{
	char buf[32], *end;

	snprintf(out, len, "%s/devices/system/memory", ctx->root);
	if (tdax_read_attr(out, "block_size_bytes", buf, sizeof(buf)))
		return -ENOENT;
	*bs = strtoull(buf, &end, 16);	/* hex without 0x, as the kernel prints it */
	if (end == buf || !*bs)
		return -EINVAL;
	return 0;
}

/* Call @fn for every memory block of @dev present in sysfs. */
static int memblocks_walk(struct tdax_ctx *ctx, const struct tdax_device *dev,
			  int (*fn)(const char *bdir, long blk, void *arg), void *arg)
{
	char mdir[PATH_MAX], bdir[PATH_MAX + 32];
	uint64_t bs;
	size_t i;
	int rc = memblock_dir(ctx, mdir, sizeof(mdir), &bs);

	if (rc)
		return rc;
	for (i = 0; i < dev->nmappings; i++) {
		uint64_t b, first = (dev->mappings[i].start + bs - 1) / bs;
		uint64_t end = (dev->mappings[i].end + 1) / bs;	/* exclusive */

		for (b = first; b < end; b++) {
			snprintf(bdir, sizeof(bdir), "%s/memory%llu", mdir, (unsigned long long)b);
			if (access(bdir, F_OK))
				continue;
			rc = fn(bdir, (long)b, arg);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int count_fn(const char *bdir, long blk, void *arg)
{
	struct tdax_memblocks *mb = arg;
	char st[32], zones[64];

	(void)blk;
	mb->total++;
	if (!tdax_read_attr(bdir, "state", st, sizeof(st)) && !strcmp(st, "online")) {
		mb->online++;
		if (!tdax_read_attr(bdir, "valid_zones", zones, sizeof(zones)) &&
		    !strncmp(zones, "Movable", 7))
			mb->movable++;
	}
	return 0;
}

int tdax_device_memblocks(struct tdax_ctx *ctx, const struct tdax_device *dev,
			  struct tdax_memblocks *mb)
{
	char mdir[PATH_MAX];

	memset(mb, 0, sizeof(*mb));
	if (memblock_dir(ctx, mdir, sizeof(mdir), &mb->block_size))
		return -ENOENT;
	return memblocks_walk(ctx, dev, count_fn, mb);
}

int tdax_memblock_write(struct tdax_ctx *ctx, long block, const char *state)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/devices/system/memory/memory%ld/state", ctx->root, block);
	return tdax_write(ctx, path, state);
}

static volatile sig_atomic_t alarm_fired;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_fired = 1;
}

int tdax_memblock_write_timeout(struct tdax_ctx *ctx, long block, const char *state,
				unsigned int secs)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int rc;

	if (!secs)
		return tdax_memblock_write(ctx, block, state);
	/* no SA_RESTART: the signal must end the kernel's retry loop */
	sigemptyset(&sa.sa_mask);
	alarm_fired = 0;
	sigaction(SIGALRM, &sa, &old);
	alarm(secs);
	rc = tdax_memblock_write(ctx, block, state);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	if (rc == -EINTR && alarm_fired)
		rc = -ETIMEDOUT;
	return rc;
}

int tdax_memblock_state(struct tdax_ctx *ctx, long block, bool *movable)
{
	char dir[PATH_MAX], st[32], zones[64];
	int rc;

	snprintf(dir, sizeof(dir), "%s/devices/system/memory/memory%ld", ctx->root, block);
	rc = tdax_read_attr(dir, "state", st, sizeof(st));
	if (rc)
		return rc;
	/* the kernel's states: online, offline, going-offline */
	if (strncmp(st, "online", 6) && strcmp(st, "going-offline"))
		return 0;
	if (movable)
		*movable = !tdax_read_attr(dir, "valid_zones", zones, sizeof(zones)) &&
			   !strncmp(zones, "Movable", 7);
	return 1;
}

int tdax_device_memblock_list(struct tdax_ctx *ctx, const struct tdax_device *dev,
			      long *blocks, int max, int *n)
{
	char mdir[PATH_MAX];
	uint64_t bs;
	size_t i;
	int rc = memblock_dir(ctx, mdir, sizeof(mdir), &bs);

	*n = 0;
	if (rc)
		return rc;
	for (i = 0; i < dev->nmappings; i++) {
		uint64_t b, first = (dev->mappings[i].start + bs - 1) / bs;
		uint64_t end = (dev->mappings[i].end + 1) / bs;

		for (b = first; b < end; b++) {
			if (*n >= max)
				return -E2BIG;
			blocks[(*n)++] = (long)b;
		}
	}
	return 0;
}

int tdax_memory_auto_online(struct tdax_ctx *ctx, char *buf, size_t len)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/devices/system/memory", ctx->root);
	return tdax_read_attr(dir, "auto_online_blocks", buf, len);
}

struct set_arg {
	struct tdax_ctx *ctx;
	const char *state;
	bool want_online;
	long *changed;
	int max;
	int done;
};

static int set_fn(const char *bdir, long blk, void *arg)
{
	struct set_arg *a = arg;
	char st[32];
	int rc;

	if (tdax_read_attr(bdir, "state", st, sizeof(st)))
		return -EIO;
	if (!strcmp(st, "online") == a->want_online)
		return 0;
	rc = tdax_memblock_write(a->ctx, blk, a->state);
	if (rc)
		return rc;
	if (a->changed && a->done < a->max)
		a->changed[a->done] = blk;
	a->done++;
	return 0;
}

int tdax_device_memblocks_set(struct tdax_ctx *ctx, const struct tdax_device *dev,
			      const char *state, long *changed, int max, int *done)
{
	struct set_arg a = {
		.ctx = ctx, .state = state, .want_online = strncmp(state, "online", 6) == 0,
		.changed = changed, .max = max,
	};
	int rc = memblocks_walk(ctx, dev, set_fn, &a);

	if (done)
		*done = a.done;
	return rc;
}

int tdax_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && (*end == 'i' || *end == 'I') && (end[1] == 'b' || end[1] == 'B'))
		end += 2;
	else if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}
