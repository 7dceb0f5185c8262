// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sysfs.c - names of devices and regions from /sys/bus/tdax, for the
 * collector: a copy of the fields it keeps from one scan of the shared
 * sysfs model (tdax_sysfs.c, also tdaxctl's), so both read the tdax ABI
 * in one place.
 *
 * Per device: "dev" (MAJ:MIN), size, align, fault_policy, the bound
 * driver; per region (the tdax_region/ group on the provider device, as
 * upstream): id, size, align, available_size, the provider device's name,
 * its device count and the lowest physical start of its devices.
 *
 * A scan reads a dozen attributes per device; tdax_sysfs_refresh() does
 * it only when the bus may have changed since the last one: the kernel's
 * uevent sequence number (/sys/kernel/uevent_seqnum) moved (every device
 * add, remove, rename, bind and unbind sends a uevent), or a device is
 * unbound (its size, align, fault_policy, fault_around, memmap_on_memory
 * are written only while unbound, without a uevent; resizing it changes
 * its region's available_size), or the bus was absent, or the counter
 * cannot be read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>
#include <sys/stat.h>

#include "collector_int.h"
#include "tdax_sysfs.h"

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

bool tdax_module_present(const char *sysfs_root)
{
	char p[PATH_MAX + 64];
	struct stat st;

	if (!sysfs_root)
		sysfs_root = "/sys";
	snprintf(p, sizeof(p), "%s/bus/tdax", sysfs_root);
	if (stat(p, &st) == 0)
		return true;
	snprintf(p, sizeof(p), "%s/module/tdax", sysfs_root);
	return stat(p, &st) == 0;
}

int tdax_bus_state(const char *sysfs_root, struct tdax_bus_state *out)
{
	int n, err = 0;

	if (!sysfs_root)
		sysfs_root = "/sys";
	memset(out, 0, sizeof(*out));
	out->module = tdax_module_present(sysfs_root);
	if (!out->module)
		return 0;
	n = tdax_bus_entries(sysfs_root, "devices");
	if (n >= 0)
		out->devices = n;
	else if (n != -ENOENT)
		err = n;
	n = tdax_bus_entries(sysfs_root, "drivers");
	if (n >= 0)
		out->drivers = n;
	else if (n != -ENOENT && !err)
		err = n;
	return err;
}

/* The collector's view of one scan of the shared model (tdax_sysfs.c). */
static int copy_scan(const struct tdax_ctx *ctx, struct tdax_sysfs *out)
{
	size_t dcap = 0, rcap = 0, i, j;

	for (i = 0; i < ctx->nregions; i++) {
		const struct tdax_region *mr = &ctx->regions[i];
		struct tdax_sysfs_region *r = tdax_grow(out->regions, &rcap, out->nregions, sizeof(*r));

		if (!r)
			return -ENOMEM;
		out->regions = r;
		r = &out->regions[out->nregions++];
		memset(r, 0, sizeof(*r));
		r->id = (__u32)mr->id;
		/* the provider device (hmem.0, namespace3.0), as the metrics name it */
		snprintf(r->provider, sizeof(r->provider), "%s", mr->provider_dev);
		r->size = mr->size;
		r->align = mr->align;
		r->available_size = mr->available_size;
		for (j = 0; j < mr->ndevices; j++) {
			const struct tdax_device *md = &mr->devices[j];
			struct tdax_sysfs_dev *d = tdax_grow(out->devs, &dcap, out->ndevs, sizeof(*d));

			if (!d)
				return -ENOMEM;
			out->devs = d;
			d = &out->devs[out->ndevs++];
			memset(d, 0, sizeof(*d));
			snprintf(d->name, sizeof(d->name), "%s", md->name);
			if (md->devt[0])
				tdax_parse_devt(md->devt, &d->dev);
			d->region_id = md->region_id;
			d->size = md->size;
			d->align = md->align;
			snprintf(d->driver, sizeof(d->driver), "%s", md->driver);
			snprintf(d->fault_policy, sizeof(d->fault_policy), "%s", md->fault_policy);
			snprintf(d->mode, sizeof(d->mode), "%.*s", (int)sizeof(d->mode) - 1, md->mode);
			r->ndevs++;
			if (md->resource && md->size && (!r->start || md->resource < r->start))
				r->start = md->resource;
		}
	}
	return 0;
}

int tdax_sysfs_scan(const char *root, struct tdax_sysfs *out)
{
	struct tdax_ctx *ctx;
	int err;

	memset(out, 0, sizeof(*out));
	ctx = tdax_ctx_new(root ? root : "/sys");
	if (!ctx)
		return -ENOMEM;
	err = tdax_ctx_scan(ctx);
	if (err == -ENOENT) {
		tdax_ctx_free(ctx);
		return 0;	/* no tdax bus: bus_present stays false */
	}
	if (!err) {
		out->bus_present = true;
		err = copy_scan(ctx, out);
	}
	tdax_ctx_free(ctx);
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

static int read_seqnum(const char *root, __u64 *out)
{
	char path[PATH_MAX + 32], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/kernel/uevent_seqnum", root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = 0;
	*out = strtoull(buf, NULL, 10);
	return 0;
}

int tdax_sysfs_refresh(const char *root, struct tdax_sysfs *s, struct tdax_sysfs_gen *g)
{
	bool have_seq;
	__u64 seq = 0;
	size_t i;
	int err;

	if (!root)
		root = "/sys";
	have_seq = read_seqnum(root, &seq) == 0;	/* before the scan: no change lost */
	if (g->valid && have_seq && seq == g->seqnum && (s->bus_present || g->no_bus_ok)) {
		for (i = 0; i < s->ndevs; i++)
			if (!s->devs[i].driver[0])
				break;
		if (i == s->ndevs)
			return 0;
	}
	g->valid = false;
	tdax_sysfs_free(s);
	err = tdax_sysfs_scan(root, s);
	if (err)
		return err;
	g->valid = have_seq;
	g->seqnum = seq;
	g->scans++;
	return 1;
}
