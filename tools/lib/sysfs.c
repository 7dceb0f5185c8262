// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sysfs.c - names of devices and regions from /sys/bus/tdax.
 *
 * For each /sys/bus/tdax/devices/tdaxR.N: "dev" (MAJ:MIN), size, align,
 * fault_policy, resource, the bound driver (the "driver" link); its
 * region from the provider device (the parent directory), which carries
 * the tdax_region/ group (id, size, align, available_size), as upstream.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector_int.h"

int tdax_parse_devt(const char *s, __u32 *out)
{
	unsigned int ma, mi;
	char extra;

	if (sscanf(s, "%u:%u%c", &ma, &mi, &extra) != 2 &&
	    !(sscanf(s, "%u:%u%c", &ma, &mi, &extra) == 3 && extra == '\n'))
		return -EINVAL;
	if (ma >= (1U << (32 - TDAX_KDEV_MINORBITS)) || mi >= (1U << TDAX_KDEV_MINORBITS))
		return -EINVAL;
	*out = TDAX_KDEV(ma, mi);
	return 0;
}

static int read_str(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = 0;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

static int read_u64(const char *dir, const char *file, __u64 *out)
{
	char buf[64], *end;
	unsigned long long v;

	if (read_str(dir, file, buf, sizeof(buf)))
		return -ENOENT;
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	*out = v;
	return 0;
}

static void base_name(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');

	snprintf(out, len, "%s", b ? b + 1 : path);
}

static struct tdax_sysfs_region *region_add(struct tdax_sysfs *s, size_t *cap, __u32 id)
{
	struct tdax_sysfs_region *r;
	size_t i;

	for (i = 0; i < s->nregions; i++)
		if (s->regions[i].id == id)
			return &s->regions[i];
	r = tdax_grow(s->regions, cap, s->nregions, sizeof(*r));
	if (!r)
		return NULL;
	s->regions = r;
	r = &s->regions[s->nregions++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	return r;
}

static int scan_dev(struct tdax_sysfs *s, size_t *rcap, const char *path,
		    struct tdax_sysfs_dev *d)
{
	char real[PATH_MAX], parent[PATH_MAX], link[PATH_MAX], buf[64], rdir[PATH_MAX + 16];
	struct tdax_sysfs_region *r;
	unsigned int rid, did;
	__u64 v, res = 0;
	ssize_t n;
	char *slash;

	d->region_id = -1;
	if (!read_str(path, "dev", buf, sizeof(buf)))
		tdax_parse_devt(buf, &d->dev);
	read_u64(path, "size", &d->size);
	read_u64(path, "align", &d->align);
	read_u64(path, "resource", &res);
	read_str(path, "fault_policy", d->fault_policy, sizeof(d->fault_policy));
	read_str(path, "mode", d->mode, sizeof(d->mode));
	snprintf(link, sizeof(link), "%s/driver", path);
	n = readlink(link, real, sizeof(real) - 1);
	if (n > 0) {
		real[n] = 0;
		base_name(real, d->driver, sizeof(d->driver));
	}
	if (sscanf(d->name, "tdax%u.%u", &rid, &did) == 2)
		d->region_id = rid;

	if (!realpath(path, real))
		return 0;
	snprintf(parent, sizeof(parent), "%s", real);
	slash = strrchr(parent, '/');
	if (!slash)
		return 0;
	*slash = 0;
	snprintf(rdir, sizeof(rdir), "%s/tdax_region", parent);
	if (!read_u64(rdir, "id", &v))
		d->region_id = (__s32)v;
	if (d->region_id < 0)
		return 0;
	r = region_add(s, rcap, d->region_id);
	if (!r)
		return -ENOMEM;
	r->ndevs++;
	if (!r->provider[0])
		base_name(parent, r->provider, sizeof(r->provider));
	read_u64(rdir, "size", &r->size);
	read_u64(rdir, "align", &r->align);
	read_u64(rdir, "available_size", &r->available_size);
	if (res && d->size && (!r->start || res < r->start))
		r->start = res;
	return 0;
}

int tdax_sysfs_scan(const char *root, struct tdax_sysfs *out)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	size_t dcap = 0, rcap = 0;
	struct dirent *de;
	DIR *dp;
	int err = 0;

	memset(out, 0, sizeof(*out));
	snprintf(dir, sizeof(dir), "%s/bus/tdax/devices", root ? root : "/sys");
	dp = opendir(dir);
	if (!dp)
		return errno == ENOENT ? 0 : -errno;
	out->bus_present = true;
	while ((de = readdir(dp))) {
		struct tdax_sysfs_dev *d;

		if (de->d_name[0] == '.')
			continue;
		d = tdax_grow(out->devs, &dcap, out->ndevs, sizeof(*d));
		if (!d) {
			err = -ENOMEM;
			break;
		}
		out->devs = d;
		d = &out->devs[out->ndevs++];
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", de->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		err = scan_dev(out, &rcap, path, d);
		if (err)
			break;
	}
	closedir(dp);
	if (err)
		tdax_sysfs_free(out);
	return err;
}

void tdax_sysfs_free(struct tdax_sysfs *s)
{
	free(s->devs);
	free(s->regions);
	memset(s, 0, sizeof(*s));
}
