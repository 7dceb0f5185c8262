// SPDX-License-Identifier: GPL-2.0-only
/*
 * json.c - regions, devices and mappings as JSON, with daxctl's field
 * names and order, plus what only tdax has (fault_policy, provider, the
 * instance id every tdax event of the device or region carries, and
 * persistence_domain where the provider has one: a device shows its
 * region's).
 *
 * --human: sizes print as "1024.00 MiB (1073.74 MB)" (plain below 5000K),
 * addresses as "0x..." strings, like daxctl's util/json.c.
 */
#include <stdio.h>
#include <string.h>
#include <json-c/printbuf.h>

#include "tdaxctl.h"

static int print_size(struct json_object *j, struct printbuf *pb, int level, int flags)
{
	unsigned long long b = (unsigned long long)json_object_get_int64(j);
	char buf[96];

	(void)level;
	(void)flags;
	if (b < 5000ULL * 1024) {
		snprintf(buf, sizeof(buf), "%llu", b);
	} else {
		int n;

		if (b < 2ULL << 30) {
			unsigned long long c = (b * 200 / (1ULL << 20) + 1) / 2;
			unsigned long long d = (b / (1000000ULL / 200) + 1) / 2;

			n = snprintf(buf, sizeof(buf), "\"%llu.%02llu MiB", c / 100, c % 100);
			snprintf(buf + n, sizeof(buf) - n, " (%llu.%02llu MB)\"", d / 100, d % 100);
		} else {
			unsigned long long c = (b * 200 / (1ULL << 30) + 1) / 2;
			unsigned long long d = (b / (1000000000ULL / 200) + 1) / 2;

			n = snprintf(buf, sizeof(buf), "\"%llu.%02llu GiB", c / 100, c % 100);
			snprintf(buf + n, sizeof(buf) - n, " (%llu.%02llu GB)\"", d / 100, d % 100);
		}
	}
	return printbuf_memappend(pb, buf, (int)strlen(buf));
}

static int print_hex(struct json_object *j, struct printbuf *pb, int level, int flags)
{
	char buf[32];

	(void)level;
	(void)flags;
	snprintf(buf, sizeof(buf), "\"%#llx\"", (unsigned long long)json_object_get_int64(j));
	return printbuf_memappend(pb, buf, (int)strlen(buf));
}

static struct json_object *jsize(uint64_t v, unsigned int flags)
{
	struct json_object *j = json_object_new_int64((int64_t)v);

	if (j && (flags & JF_HUMAN))
		json_object_set_serializer(j, print_size, NULL, NULL);
	return j;
}

static struct json_object *jhex(uint64_t v, unsigned int flags)
{
	struct json_object *j = json_object_new_int64((int64_t)v);

	if (j && (flags & JF_HUMAN))
		json_object_set_serializer(j, print_hex, NULL, NULL);
	return j;
}

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	if (v)
		json_object_object_add(o, k, v);
}

bool dev_filter_match(const struct tdax_device *dev, const char *filter)
{
	if (!filter || !strcmp(filter, "all"))
		return true;
	if (!strcmp(filter, dev->name))
		return true;
	/* "R.N" as daxctl accepts "0.0" for dax0.0 */
	return !strncmp(dev->name, "tdax", 4) && !strcmp(filter, dev->name + 4);
}

struct json_object *dev_to_json(struct tdax_ctx *ctx, const struct tdax_device *dev,
				unsigned int flags)
{
	struct json_object *j = json_object_new_object();
	const char *mode = tdax_device_mode(dev);
	size_t i;

	if (!j)
		return NULL;
	add(j, "chardev", json_object_new_string(dev->name));
	add(j, "size", jsize(dev->size, flags));
	if (dev->target_node >= 0)
		add(j, "target_node", json_object_new_int(dev->target_node));
	if (dev->align)
		add(j, "align", jsize(dev->align, flags));
	add(j, "mode", json_object_new_string(mode));
	if (!strncmp(mode, "system-ram", 10) && dev->resource) {
		struct tdax_memblocks mb;

		if (!tdax_device_memblocks(ctx, dev, &mb)) {
			add(j, "online_memblocks", json_object_new_int(mb.online));
			add(j, "total_memblocks", json_object_new_int(mb.total));
			if (mb.online)
				add(j, "movable", json_object_new_boolean(mb.movable == mb.online));
		}
	}
	if (!tdax_device_enabled(dev))
		add(j, "state", json_object_new_string("disabled"));
	if (dev->fault_policy[0])
		add(j, "fault_policy", json_object_new_string(dev->fault_policy));
	if (dev->numa_node >= 0)
		add(j, "numa_node", json_object_new_int(dev->numa_node));
	if (dev->has_instance)
		add(j, "instance", json_object_new_int64((int64_t)dev->instance));
	if (dev->has_persistence) {
		add(j, "persistence_domain", json_object_new_string(dev->persistence_domain));
	} else {
		/* a device of a pmem region persists as its region does */
		const struct tdax_region *r = tdax_device_region(ctx, dev);

		if (r && r->has_persistence)
			add(j, "persistence_domain", json_object_new_string(r->persistence_domain));
	}
	if (!(flags & JF_MAPPINGS) || !dev->nmappings)
		return j;
	{
		struct json_object *arr = json_object_new_array();

		for (i = 0; arr && i < dev->nmappings; i++) {
			const struct tdax_mapping *m = &dev->mappings[i];
			struct json_object *jm = json_object_new_object();

			if (!jm)
				continue;
			add(jm, "page_offset", jhex(m->pgoff, flags));
			add(jm, "start", jhex(m->start, flags));
			add(jm, "end", jhex(m->end, flags));
			add(jm, "size", jsize(m->end - m->start + 1, flags));
			json_object_array_add(arr, jm);
		}
		add(j, "mappings", arr);
	}
	return j;
}

struct json_object *region_to_json(struct tdax_ctx *ctx, const struct tdax_region *r,
				   const char *dev_filter, unsigned int flags)
{
	struct json_object *j = json_object_new_object(), *devs = NULL;
	char devroot[TDAX_SYSFS_PATH_LEN + 16];
	size_t n, i;

	if (!j)
		return NULL;
	snprintf(devroot, sizeof(devroot), "%s/devices", ctx->root);
	n = strlen(devroot);
	add(j, "path", json_object_new_string(strncmp(r->path, devroot, n) ? r->path
					      : r->path + n));
	add(j, "id", json_object_new_int(r->id));
	add(j, "size", jsize(r->size, flags));
	if (r->available_size)
		add(j, "available_size", jsize(r->available_size, flags));
	add(j, "align", json_object_new_int64((int64_t)r->align));
	if (r->provider[0])
		add(j, "provider", json_object_new_string(r->provider));
	if (r->has_instance)
		add(j, "instance", json_object_new_int64((int64_t)r->instance));
	if (r->has_persistence)
		add(j, "persistence_domain", json_object_new_string(r->persistence_domain));
	if (!(flags & JF_DEVS))
		return j;
	for (i = 0; i < r->ndevices; i++) {
		const struct tdax_device *d = &r->devices[i];

		if (!dev_filter_match(d, dev_filter))
			continue;
		if (!(flags & JF_IDLE) && !d->size)
			continue;
		if (!devs)
			devs = json_object_new_array();
		if (devs)
			json_object_array_add(devs, dev_to_json(ctx, d, flags));
	}
	add(j, "devices", devs);
	return j;
}

void display_json_array(struct json_object *arr, unsigned int flags)
{
	int jflag = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE;

	/* as daxctl: --human and a single entry print the object alone */
	if (json_object_array_length(arr) == 1 && (flags & JF_HUMAN))
		printf("%s\n", json_object_to_json_string_ext(json_object_array_get_idx(arr, 0),
							       jflag));
	else if (json_object_array_length(arr))
		printf("%s\n", json_object_to_json_string_ext(arr, jflag));
	json_object_put(arr);
}
