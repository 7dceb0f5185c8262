// SPDX-License-Identifier: GPL-2.0-only
/*
 * kmem.c - tdax_kmem.ko: hot-add a tdax device's memory to the page
 * allocator ("system-ram" mode), the second driver on the tdax bus.
 *
 * Not bound by default: a device is given to tdax_kmem through its new_id
 * (the device then prefers tdax_kmem at its next bind) or bind:
 *
 *   echo tdax0.0 > /sys/bus/tdax/drivers/tdax_device/unbind
 *   echo tdax0.0 > /sys/bus/tdax/drivers/tdax_kmem/new_id
 *
 * Bind, per device range:
 *  - trim the range to whole memory blocks (memory_block_size_bytes());
 *  - claim it as upstream's kmem does: request_mem_region() named after
 *    the device, then made a non-busy IORESOURCE_SYSTEM_RAM parent so the
 *    driver-managed "System RAM (tdax_kmem)" resource nests inside.  The
 *    tdax_device driver's busy request of the same range then fails: the
 *    two drivers can never own the memory at the same time;
 *  - register the target node in a memory tier (the abstract distance the
 *    kernel derives from HMAT where it can, >= 6.10; the default dax tier
 *    otherwise) before the memory can come online;
 *  - add_memory_driver_managed() on the device's target node, in one
 *    static memory group per range; with the device's memmap_on_memory one
 *    memory block at a time with MHP_MEMMAP_ON_MEMORY (6.1 supports the
 *    memmap on memory only for single-block additions).  The blocks come
 *    online per the system's auto-online policy (auto_online_blocks); the
 *    kernel offers modules no way to online a block in a zone of their own
 *    choosing, so a per-device choice is userspace's (memoryN/state), as
 *    with daxctl.
 *
 * Unbind offlines and removes each range with offline_and_remove_memory()
 * in a helper thread, bounded by the offline_timeout parameter (the
 * kernel retries a page it cannot migrate until the offlining task gets a
 * fatal signal).  When it fails, the kernel has put the blocks back online
 * as they were; the range is "kept": it stays in the page allocator with
 * its claim, the device reads mode system-ram-kept, tdax_device cannot
 * bind it (its claim fails), and the next tdax_kmem bind of the same
 * physical range adopts it and retries at its unbind.  No page is lost.
 *
 * Files of /dev/tdaxR.N: tdax_device's unbind ended its dax binding (old
 * mappings SIGBUS, old files ENXIO) and tdax_kmem never starts one, so the
 * device's dax operations stay dead while the page allocator owns the
 * memory; a later tdax_device bind starts a new binding that old files do
 * not belong to.
 *
 * Lifetimes: each range holds a reference on this module while any of its
 * memory is added, so rmmod is refused while memory is added (bound or
 * kept).  Ranges are on one list, read by the memory notifier (per-block
 * tdax_kmem_block events) under a spinlock; tdax_kmem_mutex serialises
 * adoption and the per-node tier counts.  Lock order: device_lock(tdev) >
 * tdax_kmem_mutex > tdax_kmem_list_lock; the memory hotplug locks are
 * taken (by the kernel) with only device_lock(tdev) held.
 */
#include <linux/module.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/memory-tiers.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/bitmap.h>
#include <linux/spinlock.h>
#include "tdax_private.h"
#include "tdax_trace.h"

#define TDAX_KMEM_RES_NAME	"System RAM (tdax_kmem)"

#ifndef MEMTIER_DEFAULT_DAX_ADISTANCE
/* as upstream's kmem: five times the DRAM distance (memory_tier22) */
#define MEMTIER_DEFAULT_DAX_ADISTANCE	(MEMTIER_ADISTANCE_DRAM * 5)
#endif

static unsigned int offline_timeout = 120;
module_param(offline_timeout, uint, 0644);
MODULE_PARM_DESC(offline_timeout, "seconds an unbind waits for a range to go offline before keeping it online (0: until the unbinding task is killed)");

/**
 * struct tdax_kmem_range - one hot-added range (the unit of lifetime)
 * @list: entry in tdax_kmem_ranges (under tdax_kmem_list_lock)
 * @range: the memory blocks used (device range trimmed to blocks)
 * @res: the claim: parent of the "System RAM (tdax_kmem)" resources
 * @name: device name, also the claim's name in /proc/iomem
 * @devt: dev_t of the device that added or adopted the range
 * @region_id: its region
 * @instance: instance id of that device (tracepoints)
 * @region_instance: instance id of its region
 * @idx: index of the range in the device
 * @node: numa node the memory was added to
 * @adistance: abstract distance of the memory type registered for @node
 * @mgid: static memory group of the range
 * @memmap_on_memory: added block by block with MHP_MEMMAP_ON_MEMORY
 * @nr_blocks: memory blocks in @range
 * @added: bitmap of the blocks currently added
 * @bound: owned by a binding; false: kept after a failed unbind
 */
struct tdax_kmem_range {
	struct list_head list;
	struct range range;
	struct resource *res;
	char name[TDAX_NAME_LEN];
	u32 devt;
	u32 region_id;
	u64 instance;
	u64 region_instance;
	u32 idx;
	int node;
	int adistance;
	int mgid;
	bool memmap_on_memory;
	unsigned int nr_blocks;
	unsigned long *added;
	bool bound;
};

/**
 * struct tdax_kmem - a device bound to tdax_kmem (its drvdata)
 * @nr: number of entries in @r (the device's nr_range)
 * @r: the ranges added or adopted; NULL where a range could not be used
 */
struct tdax_kmem {
	int nr;
	struct tdax_kmem_range *r[];
};

static LIST_HEAD(tdax_kmem_ranges);
static DEFINE_SPINLOCK(tdax_kmem_list_lock);
static DEFINE_MUTEX(tdax_kmem_mutex);

/* per node: ranges added on it and the memory type registered (mutex) */
static unsigned int tdax_kmem_node_users[MAX_NUMNODES];
static struct memory_dev_type *tdax_kmem_node_type[MAX_NUMNODES];

#ifdef TDAX_KMEM_HMAT_TIERS
static LIST_HEAD(tdax_kmem_types);

static int tdax_kmem_adistance(int node)
{
	int adist = MEMTIER_DEFAULT_DAX_ADISTANCE;

	/* HMAT (or another registered algorithm) may say better */
	mt_calc_adistance(node, &adist);
	return adist;
}

static struct memory_dev_type *tdax_kmem_find_type(int adist)
{
	return mt_find_alloc_memory_type(adist, &tdax_kmem_types);
}

static void tdax_kmem_put_types(void)
{
	mt_put_memory_types(&tdax_kmem_types);
}
#else
static struct memory_dev_type *tdax_kmem_dax_type;

static int tdax_kmem_adistance(int node)
{
	return MEMTIER_DEFAULT_DAX_ADISTANCE;
}

static struct memory_dev_type *tdax_kmem_find_type(int adist)
{
	if (!tdax_kmem_dax_type) {
		struct memory_dev_type *t = alloc_memory_type(adist);

		if (IS_ERR(t))
			return t;
		tdax_kmem_dax_type = t;
	}
	return tdax_kmem_dax_type;
}

static void tdax_kmem_put_types(void)
{
	if (tdax_kmem_dax_type)
		destroy_memory_type(tdax_kmem_dax_type);
	tdax_kmem_dax_type = NULL;
}
#endif

/* Register @node in the tier of @adist for its first range. */
static int tdax_kmem_node_get(int node, int adist)
{
	struct memory_dev_type *t;
	int rc = 0;

	mutex_lock(&tdax_kmem_mutex);
	if (!tdax_kmem_node_users[node]) {
		t = tdax_kmem_find_type(adist);
		if (IS_ERR(t)) {
			rc = PTR_ERR(t);
			goto out;
		}
		init_node_memory_type(node, t);
		tdax_kmem_node_type[node] = t;
	}
	tdax_kmem_node_users[node]++;
out:
	mutex_unlock(&tdax_kmem_mutex);
	return rc;
}

static void tdax_kmem_node_put(int node)
{
	mutex_lock(&tdax_kmem_mutex);
	if (!--tdax_kmem_node_users[node]) {
		clear_node_memory_type(node, tdax_kmem_node_type[node]);
		tdax_kmem_node_type[node] = NULL;
	}
	mutex_unlock(&tdax_kmem_mutex);
}

static unsigned int tdax_kmem_zone_of(struct zone *zone)
{
	switch (zone_idx(zone)) {
	case ZONE_NORMAL:
		return TDAX_KZ_NORMAL;
	case ZONE_MOVABLE:
		return TDAX_KZ_MOVABLE;
	default:
		return TDAX_KZ_OTHER;
	}
}

static u64 tdax_kmem_block_start(struct tdax_kmem_range *r, unsigned int b)
{
	return r->range.start + (u64)b * memory_block_size_bytes();
}

/*
 * Count the online blocks of @r and summarise their zones; @per_zone
 * (indexed by enum tdax_kmem_zone) gets the online blocks of each zone.
 */
static unsigned int tdax_kmem_online(struct tdax_kmem_range *r, u8 *zone,
				     u32 per_zone[TDAX_KZ_NR])
{
	unsigned int b, n = 0, z = TDAX_KZ_OFFLINE;

	for_each_set_bit(b, r->added, r->nr_blocks) {
		u64 last = tdax_kmem_block_start(r, b) +
			   memory_block_size_bytes() - PAGE_SIZE;
		struct page *page = pfn_to_online_page(PHYS_PFN(last));
		unsigned int bz;

		if (!page)
			continue;
		n++;
		bz = tdax_kmem_zone_of(page_zone(page));
		per_zone[bz]++;
		z = z == TDAX_KZ_OFFLINE || z == bz ? bz : TDAX_KZ_MIXED;
	}
	*zone = z;
	return n;
}

static void tdax_kmem_rec_init(struct tdax_kmem_rec *rec, struct tdax_dev *tdev,
			       int idx, int node, int adist)
{
	*rec = (struct tdax_kmem_rec) {
		.dev = tdev->dev.devt,
		.region_id = tdev->region->id,
		.instance = tdev->instance,
		.region_instance = tdev->region->instance,
		.range_idx = idx,
		.block_size = memory_block_size_bytes(),
		.node = node,
		.adistance = adist,
		.tier = adist >= 0 ? adist >> MEMTIER_CHUNK_BITS : -1,
		.memmap_on_memory = tdev->memmap_on_memory,
		.zone = TDAX_KZ_OFFLINE,
	};
	strscpy(rec->name, dev_name(&tdev->dev), sizeof(rec->name));
}

static void tdax_kmem_rec_state(struct tdax_kmem_rec *rec,
				struct tdax_kmem_range *r)
{
	u32 per_zone[TDAX_KZ_NR] = {};

	rec->start = r->range.start;
	rec->size = range_len(&r->range);
	rec->blocks = r->nr_blocks;
	rec->blocks_online = tdax_kmem_online(r, &rec->zone, per_zone);
	rec->online_normal = per_zone[TDAX_KZ_NORMAL];
	rec->online_movable = per_zone[TDAX_KZ_MOVABLE];
}

/* Memory notifier: a tdax_kmem_block event per block of our ranges. */
static int tdax_kmem_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	struct memory_notify *mn = data;
	struct tdax_kmem_block_rec rec = {
		.start = PFN_PHYS(mn->start_pfn),
		.size = PFN_PHYS(mn->nr_pages),
	};
	struct tdax_kmem_range *r;
	bool found = false;

	switch (action) {
	case MEM_ONLINE:
		rec.op = TDAX_KB_ONLINE;
		break;
	case MEM_OFFLINE:
		rec.op = TDAX_KB_OFFLINE;
		break;
	case MEM_CANCEL_ONLINE:
		rec.op = TDAX_KB_ONLINE_FAILED;
		break;
	case MEM_CANCEL_OFFLINE:
		rec.op = TDAX_KB_OFFLINE_FAILED;
		break;
	default:
		return NOTIFY_OK;
	}
	spin_lock(&tdax_kmem_list_lock);
	list_for_each_entry(r, &tdax_kmem_ranges, list) {
		if (rec.start < r->range.start || rec.start > r->range.end)
			continue;
		rec.dev = r->devt;
		rec.region_id = r->region_id;
		rec.instance = r->instance;
		rec.region_instance = r->region_instance;
		rec.range_idx = r->idx;
		rec.node = r->node;
		memcpy(rec.name, r->name, sizeof(rec.name));
		found = true;
		break;
	}
	spin_unlock(&tdax_kmem_list_lock);
	if (!found)
		return NOTIFY_OK;
	/* the pages are linked to their zone at all four events */
	rec.zone = tdax_kmem_zone_of(page_zone(pfn_to_page(mn->start_pfn)));
	trace_tdax_kmem_block(&rec);
	return NOTIFY_OK;
}

static struct notifier_block tdax_kmem_nb = {
	.notifier_call = tdax_kmem_notify,
};

/* Take the names of the device that now owns @r (adoption). */
static void tdax_kmem_range_own(struct tdax_kmem_range *r,
				struct tdax_dev *tdev, int idx)
{
	spin_lock(&tdax_kmem_list_lock);
	strscpy(r->name, dev_name(&tdev->dev), sizeof(r->name));
	r->devt = tdev->dev.devt;
	r->region_id = tdev->region->id;
	r->instance = tdev->instance;
	r->region_instance = tdev->region->instance;
	r->idx = idx;
	spin_unlock(&tdax_kmem_list_lock);
}

static struct tdax_kmem_range *tdax_kmem_adopt(const struct range *want)
{
	struct tdax_kmem_range *r, *found = NULL;

	mutex_lock(&tdax_kmem_mutex);
	list_for_each_entry(r, &tdax_kmem_ranges, list) {
		if (!r->bound && r->range.start == want->start &&
		    r->range.end == want->end) {
			r->bound = true;
			found = r;
			break;
		}
	}
	mutex_unlock(&tdax_kmem_mutex);
	return found;
}

/* Last step of a range: everything removed, or nothing was ever added. */
static void tdax_kmem_range_free(struct tdax_kmem_range *r)
{
	spin_lock(&tdax_kmem_list_lock);
	list_del(&r->list);
	spin_unlock(&tdax_kmem_list_lock);
	if (r->res) {
		remove_resource(r->res);
		kfree(r->res);
	}
	if (r->mgid >= 0)
		memory_group_unregister(r->mgid);
	tdax_kmem_node_put(r->node);
	bitmap_free(r->added);
	kfree(r);
	module_put(THIS_MODULE);
}

/*
 * Add one range of @tdev (or adopt the kept one at the same place).
 * Fills @rec for the tdax_kmem_add event; returns the range or ERR_PTR().
 */
static struct tdax_kmem_range *tdax_kmem_add_range(struct tdax_dev *tdev,
						   int idx, int node, int adist,
						   struct tdax_kmem_rec *rec)
{
	struct device *dev = &tdev->dev;
	struct range *dr = &tdev->ranges[idx].range;
	u64 bsz = memory_block_size_bytes();
	struct range want = {
		.start = ALIGN(dr->start, bsz),
		.end = ALIGN_DOWN(dr->end + 1, bsz) - 1,
	};
	mhp_t flags = MHP_NID_IS_MGID;
	struct tdax_kmem_range *r;
	unsigned int b;
	int rc;

	if (want.start >= want.end) {
		dev_warn(dev, "tdax_kmem: range %#llx-%#llx holds no whole memory block of %#llx bytes\n",
			 dr->start, dr->end, bsz);
		rec->start = dr->start;
		rec->size = range_len(dr);
		rec->reason = TDAX_KR_TOO_SMALL;
		rec->result = -EINVAL;
		return ERR_PTR(-EINVAL);
	}
	rec->start = want.start;
	rec->size = range_len(&want);
	rec->blocks = range_len(&want) / bsz;

	r = tdax_kmem_adopt(&want);
	if (r) {
		tdax_kmem_range_own(r, tdev, idx);
		dev_info(dev, "tdax_kmem: %#llx-%#llx: taking over the memory a failed unbind left online\n",
			 want.start, want.end);
		rec->node = r->node;
		rec->adistance = r->adistance;
		rec->tier = r->adistance >> MEMTIER_CHUNK_BITS;
		rec->memmap_on_memory = r->memmap_on_memory;
		rec->reason = TDAX_KR_ADOPTED;
		return r;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		goto nomem;
	r->nr_blocks = range_len(&want) / bsz;
	r->added = bitmap_zalloc(r->nr_blocks, GFP_KERNEL);
	if (!r->added) {
		kfree(r);
		goto nomem;
	}
	r->range = want;
	r->node = node;
	r->adistance = adist;
	r->memmap_on_memory = tdev->memmap_on_memory;
	r->bound = true;
	r->mgid = -1;
	strscpy(r->name, dev_name(dev), sizeof(r->name));
	r->devt = dev->devt;
	r->region_id = tdev->region->id;
	r->instance = tdev->instance;
	r->region_instance = tdev->region->instance;
	r->idx = idx;
	INIT_LIST_HEAD(&r->list);

	rc = tdax_kmem_node_get(node, adist);
	if (rc) {
		bitmap_free(r->added);
		kfree(r);
		rec->reason = TDAX_KR_ADD_FAILED;
		rec->result = rc;
		return ERR_PTR(rc);
	}
	/* from here on, tdax_kmem_range_free() undoes everything */
	__module_get(THIS_MODULE);
	spin_lock(&tdax_kmem_list_lock);
	list_add_tail(&r->list, &tdax_kmem_ranges);
	spin_unlock(&tdax_kmem_list_lock);

	rc = memory_group_register_static(node, PHYS_PFN(range_len(&want)));
	if (rc < 0) {
		rec->reason = TDAX_KR_ADD_FAILED;
		goto err;
	}
	r->mgid = rc;

	r->res = request_mem_region(want.start, range_len(&want), r->name);
	if (!r->res) {
		dev_warn(dev, "tdax_kmem: %#llx-%#llx is busy (still claimed, see /proc/iomem): not adding it\n",
			 want.start, want.end);
		rc = -EBUSY;
		rec->reason = TDAX_KR_RANGE_BUSY;
		goto err;
	}
	/* a non-busy parent: the driver-managed System RAM nests inside */
	r->res->flags = IORESOURCE_SYSTEM_RAM;

	if (!r->memmap_on_memory) {
		rc = add_memory_driver_managed(r->mgid, want.start,
					       range_len(&want),
					       TDAX_KMEM_RES_NAME, flags);
		if (!rc)
			bitmap_fill(r->added, r->nr_blocks);
	} else {
		for (b = 0; b < r->nr_blocks; b++) {
			rc = add_memory_driver_managed(r->mgid,
						       tdax_kmem_block_start(r, b),
						       bsz, TDAX_KMEM_RES_NAME,
						       flags | MHP_MEMMAP_ON_MEMORY);
			if (rc)
				break;
			set_bit(b, r->added);
		}
	}
	if (rc) {
		rec->reason = TDAX_KR_ADD_FAILED;
		rec->result = rc;
		if (bitmap_empty(r->added, r->nr_blocks)) {
			dev_warn(dev, "tdax_kmem: adding %#llx-%#llx to node %d failed: %d\n",
				 want.start, want.end, node, rc);
			goto err;
		}
		/* keep the blocks that made it; they are removed at unbind */
		dev_warn(dev, "tdax_kmem: adding %#llx-%#llx to node %d stopped at block %u of %u: %d\n",
			 want.start, want.end, node, b, r->nr_blocks, rc);
	}
	return r;

err:
	rec->result = rc;
	tdax_kmem_range_free(r);
	return ERR_PTR(rc);
nomem:
	rec->reason = TDAX_KR_ADD_FAILED;
	rec->result = -ENOMEM;
	return ERR_PTR(-ENOMEM);
}

static int tdax_kmem_probe(struct tdax_dev *tdev)
{
	struct device *dev = &tdev->dev;
	int node = tdev->target_node;
	struct tdax_kmem_rec rec;
	struct tdax_kmem *km;
	int i, adist, rc = 0, used = 0;

	if (node < 0 || node >= MAX_NUMNODES || !node_possible(node)) {
		dev_warn(dev, "tdax_kmem: target_node %d is not a valid node: not adding the memory\n",
			 node);
		tdax_kmem_rec_init(&rec, tdev, 0, node, -1);
		rec.reason = TDAX_KR_NO_NODE;
		rec.result = -EINVAL;
		trace_tdax_kmem_add(&rec);
		return -EINVAL;
	}
	adist = tdax_kmem_adistance(node);
	km = kzalloc(struct_size(km, r, tdev->nr_range), GFP_KERNEL);
	if (!km)
		return -ENOMEM;
	km->nr = tdev->nr_range;
	for (i = 0; i < tdev->nr_range; i++) {
		struct tdax_kmem_range *r;

		tdax_kmem_rec_init(&rec, tdev, i, node, adist);
		r = tdax_kmem_add_range(tdev, i, node, adist, &rec);
		if (IS_ERR(r)) {
			if (!rc)
				rc = PTR_ERR(r);
		} else {
			km->r[i] = r;
			used++;
			tdax_kmem_rec_state(&rec, r);
		}
		trace_tdax_kmem_add(&rec);
	}
	if (!used) {
		kfree(km);
		return rc;
	}
	dev_set_drvdata(dev, km);
	return 0;
}

/**
 * struct tdax_kmem_offline_op - an offline_and_remove_memory() call
 * @start: physical start
 * @size: bytes
 * @rc: its result
 * @done: completed by the thread once @rc is set
 */
struct tdax_kmem_offline_op {
	u64 start;
	u64 size;
	int rc;
	struct completion done;
};

static int tdax_kmem_offline_fn(void *data)
{
	struct tdax_kmem_offline_op *op = data;

	/* the waiter stops a retry loop on unmovable pages with SIGKILL */
	allow_signal(SIGKILL);
	op->rc = offline_and_remove_memory(op->start, op->size);
	complete(&op->done);
	return 0;
}

/*
 * Offline and remove [start, start + size): 0, or -errno with *reason set;
 * on failure the kernel has put the blocks back online as they were.
 */
static int tdax_kmem_offline(u64 start, u64 size, unsigned int *reason)
{
	struct tdax_kmem_offline_op op = { .start = start, .size = size };
	unsigned int tmo = READ_ONCE(offline_timeout);
	struct task_struct *task;
	bool killed = false;
	long left;

	init_completion(&op.done);
	task = kthread_create(tdax_kmem_offline_fn, &op, "tdax_kmem_offline");
	if (IS_ERR(task)) {
		*reason = TDAX_KR_REMOVE_FAILED;
		return PTR_ERR(task);
	}
	get_task_struct(task);
	wake_up_process(task);
	left = wait_for_completion_killable_timeout(&op.done,
			tmo ? (long)tmo * HZ : MAX_SCHEDULE_TIMEOUT);
	if (left <= 0) {
		killed = left < 0;
		send_sig(SIGKILL, task, 1);
		wait_for_completion(&op.done);
	}
	put_task_struct(task);
	if (!op.rc)
		*reason = TDAX_KR_OK;
	else if (op.rc == -EINTR)
		*reason = killed ? TDAX_KR_INTERRUPTED : TDAX_KR_TIMEOUT;
	else if (op.rc == -EBUSY)
		*reason = TDAX_KR_PAGES_IN_USE;
	else
		*reason = TDAX_KR_REMOVE_FAILED;
	return op.rc;
}

static const char * const tdax_kmem_reason_names[] = {
#define TDAX_X_NAME(name, val, str) [val] = str,
	TDAX_KMEM_REASONS(TDAX_X_NAME)
#undef TDAX_X_NAME
};

/* Remove what is added of @r: 0 when nothing is left, else -errno. */
static int tdax_kmem_remove_range(struct tdax_kmem_range *r,
				  unsigned int *reason)
{
	u64 bsz = memory_block_size_bytes();
	unsigned int b, why, removed = 0;
	int rc = 0, err;

	*reason = TDAX_KR_OK;
	if (!r->memmap_on_memory &&
	    bitmap_full(r->added, r->nr_blocks)) {
		rc = tdax_kmem_offline(r->range.start, range_len(&r->range), reason);
		if (!rc)
			bitmap_zero(r->added, r->nr_blocks);
		return rc;
	}
	/* block by block (memmap on memory, or a partial add) */
	for_each_set_bit(b, r->added, r->nr_blocks) {
		err = tdax_kmem_offline(tdax_kmem_block_start(r, b), bsz, &why);
		if (err) {
			rc = err;
			*reason = why;
			continue;
		}
		clear_bit(b, r->added);
		removed++;
	}
	if (rc && removed)
		*reason = TDAX_KR_PARTIAL;
	return rc;
}

static void tdax_kmem_remove(struct tdax_dev *tdev)
{
	struct tdax_kmem *km = dev_get_drvdata(&tdev->dev);
	struct device *dev = &tdev->dev;
	bool kept = false;
	int i;

	for (i = 0; i < km->nr; i++) {
		struct tdax_kmem_range *r = km->r[i];
		struct tdax_kmem_rec rec;
		unsigned int reason;
		int rc;

		if (!r)
			continue;
		rc = tdax_kmem_remove_range(r, &reason);
		tdax_kmem_rec_init(&rec, tdev, i, r->node, r->adistance);
		rec.memmap_on_memory = r->memmap_on_memory;
		tdax_kmem_rec_state(&rec, r);
		rec.result = rc;
		rec.reason = reason;
		trace_tdax_kmem_remove(&rec);
		if (!rc) {
			tdax_kmem_range_free(r);
			continue;
		}
		dev_err(dev, "tdax_kmem: %#llx-%#llx could not be offlined (%s, %d): %u of %u memory blocks stay online on node %d; the device is system-ram-kept until tdax_kmem binds it again and unbinds (free or unpin the pages first)\n",
			r->range.start, r->range.end,
			tdax_kmem_reason_names[reason], rc, rec.blocks_online,
			r->nr_blocks, r->node);
		mutex_lock(&tdax_kmem_mutex);
		r->bound = false;
		mutex_unlock(&tdax_kmem_mutex);
		kept = true;
	}
	if (kept)
		WRITE_ONCE(tdev->mode, TDAX_MODE_KEPT);
	dev_set_drvdata(dev, NULL);
	kfree(km);
}

static struct tdax_driver tdax_kmem_driver = {
	.drv = {
		.name = "tdax_kmem",
	},
	.probe = tdax_kmem_probe,
	.remove = tdax_kmem_remove,
	.mode = TDAX_MODE_SYSTEM_RAM,
};

static int __init tdax_kmem_init(void)
{
	int rc;

	rc = register_memory_notifier(&tdax_kmem_nb);
	if (rc)
		return rc;
	rc = tdax_driver_register(&tdax_kmem_driver);
	if (rc)
		unregister_memory_notifier(&tdax_kmem_nb);
	return rc;
}

/* Only once no range holds the module: nothing is added any more. */
static void __exit tdax_kmem_exit(void)
{
	tdax_driver_unregister(&tdax_kmem_driver);
	unregister_memory_notifier(&tdax_kmem_nb);
	tdax_kmem_put_types();
}

module_init(tdax_kmem_init);
module_exit(tdax_kmem_exit);
MODULE_DESCRIPTION("tdax: hot-add tdax device memory to the page allocator (system-ram mode)");
MODULE_LICENSE("GPL");
