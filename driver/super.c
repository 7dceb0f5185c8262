// SPDX-License-Identifier: GPL-2.0-only
/*
 * super.c - tdax dax_device objects: operations, alive/kill, and the
 * pseudo filesystem that gives each device one inode.
 *
 * Every open of /dev/tdaxR.N is pointed at that inode's address_space, so
 * all mappings of a device share one mapping: unmap_mapping_range() on it
 * zaps every mapping at kill time, and S_DAX on the host inode is what
 * makes the mm attempt PMD/PUD faults on the vma (vma_is_dax()).
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/pseudo_fs.h>
#include <linux/mount.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/hash.h>
#include <linux/magic.h>
#include <linux/pagemap.h>
#include <linux/percpu.h>
#include "tdax_private.h"
#include "tdax_core.h"

#define TDAXFS_MAGIC	0x74646178	/* "tdax" */

/**
 * struct tdax_dax - a dax_device
 * @inode: the device inode; its i_mapping is shared by all open files
 * @ops: data-access operations (provider or core defaults)
 * @private: owner's data (the struct tdax_dev)
 * @owner: the driver of the current binding (tdax_run()), NULL before any
 * @binding: id of the current binding, 0 while none is alive.  Written by
 *	tdax_run() (release: everything the driver set up before is visible
 *	to whoever sees the id) and tdax_kill(); read under tdax_srcu with
 *	acquire.  Ids come from one 64-bit counter and are never reused, so
 *	a file or mapping that recorded the id of a dead binding never
 *	matches a later one.
 *
 * tdax_run()/tdax_kill() of one device are serialised by the caller (the
 * driver's probe and remove run under the bus device's lock).
 */
struct tdax_dax {
	struct inode inode;
	const struct tdax_operations *ops;
	void *private;
	const void *owner;
	u64 binding;
};

DEFINE_STATIC_SRCU(tdax_srcu);
static atomic64_t tdax_binding_seq = ATOMIC64_INIT(0);
static struct kmem_cache *tdax_cache;
static struct vfsmount *tdax_mnt;

/*
 * Readers of tdax_srcu, per CPU (a section may end on another CPU than it
 * began, so one CPU's count may be negative; the sum is the number of open
 * sections).  Only used by tdax_read_lock_held() on kernels without
 * lockdep, where it is a cheap necessary condition.
 */
static DEFINE_PER_CPU(long, tdax_readers);

/**
 * tdax_read_lock() - enter a section during which no binding can end
 *
 * tdax_kill() waits for every section that may have seen the binding
 * alive.  Sections may sleep.  Whatever a binding owns (the pages, the
 * device's ranges and pgmap, a kernel address from tdax_direct_access())
 * may only be used inside the section in which the binding was seen alive.
 *
 * Return: cookie for tdax_read_unlock().
 */
int tdax_read_lock(void)
{
	int id = srcu_read_lock(&tdax_srcu);

	this_cpu_inc(tdax_readers);
	return id;
}
EXPORT_SYMBOL_GPL(tdax_read_lock);

/**
 * tdax_read_unlock() - leave a tdax_read_lock() section
 * @id: cookie from tdax_read_lock()
 */
void tdax_read_unlock(int id)
{
	this_cpu_dec(tdax_readers);
	srcu_read_unlock(&tdax_srcu, id);
}
EXPORT_SYMBOL_GPL(tdax_read_unlock);

/**
 * tdax_read_lock_held() - whether the caller may be in a tdax_read_lock()
 *	section
 *
 * Exact with lockdep (CONFIG_DEBUG_LOCK_ALLOC).  Without it (Debian's
 * kernels) a cheap necessary condition: false when no task at all is in a
 * section, which catches a caller that never took the lock unless another
 * task happens to hold it at that moment.  Never false for a caller that
 * holds it.
 */
bool tdax_read_lock_held(void)
{
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	return srcu_read_lock_held(&tdax_srcu);
#else
	long n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(tdax_readers, cpu);
	return n > 0;
#endif
}
EXPORT_SYMBOL_GPL(tdax_read_lock_held);

/* The data-access calls refuse to run outside a section (a caller bug). */
#define tdax_check_read_locked()	WARN_ON_ONCE(!tdax_read_lock_held())

/**
 * tdax_alive() - whether any binding of the device is alive
 * @dax: the device; call under tdax_read_lock()
 *
 * For in-kernel users of the data-access operations.  Files and mappings
 * check the binding they were opened under instead: tdax_binding_alive().
 */
bool tdax_alive(struct tdax_dax *dax)
{
	return smp_load_acquire(&dax->binding) != 0;
}
EXPORT_SYMBOL_GPL(tdax_alive);

/**
 * tdax_binding() - the id of the live binding of @owner
 * @dax: the device; call under tdax_read_lock()
 * @owner: the driver asking (the cookie it passed to tdax_run())
 *
 * A driver records the id in each file it opens (tdax_device's open) and
 * checks it with tdax_binding_alive() before every use, so a file opened
 * during one binding never works during a later one, of this driver or of
 * another (tdax_kmem).
 *
 * Return: the id, or 0 when no binding is alive or another driver's is.
 */
u64 tdax_binding(struct tdax_dax *dax, const void *owner)
{
	u64 id = smp_load_acquire(&dax->binding);

	return id && READ_ONCE(dax->owner) == owner ? id : 0;
}
EXPORT_SYMBOL_GPL(tdax_binding);

/**
 * tdax_binding_alive() - whether the binding @id is still the live one
 * @dax: the device; call under tdax_read_lock(), and keep holding it while
 *	using anything the binding owns (pages, ranges, pgmap)
 * @id: a binding id from tdax_binding() or tdax_run()
 */
bool tdax_binding_alive(struct tdax_dax *dax, u64 id)
{
	return id && smp_load_acquire(&dax->binding) == id;
}
EXPORT_SYMBOL_GPL(tdax_binding_alive);

/**
 * tdax_kill() - end the current binding: operations fail, faults SIGBUS
 * @dax: the device (may be NULL)
 *
 * Waits for every tdax_read_lock() section that may have seen the binding
 * alive, then zaps every user mapping of the device, so the next access
 * faults and finds it dead.  A later tdax_run() starts a new binding;
 * files and mappings of this one stay dead.
 */
void tdax_kill(struct tdax_dax *dax)
{
	if (!dax)
		return;
	WRITE_ONCE(dax->binding, 0);
	synchronize_srcu(&tdax_srcu);
	unmap_mapping_range(dax->inode.i_mapping, 0, 0, 1);
}
EXPORT_SYMBOL_GPL(tdax_kill);

/**
 * tdax_run() - start a new binding of the device (a driver bound)
 * @dax: the device, not alive (after tdax_alloc() or tdax_kill())
 * @owner: cookie naming the driver (e.g. its struct tdax_driver); only
 *	tdax_binding() with the same cookie finds this binding
 *
 * Call it last in probe: whatever the driver set up before is visible to
 * every reader that sees the binding alive.
 *
 * Return: the new binding's id (never 0, never reused).
 */
u64 tdax_run(struct tdax_dax *dax, const void *owner)
{
	u64 id = atomic64_inc_return(&tdax_binding_seq);

	WARN_ON_ONCE(READ_ONCE(dax->binding));
	WRITE_ONCE(dax->owner, owner);
	smp_store_release(&dax->binding, id);
	return id;
}
EXPORT_SYMBOL_GPL(tdax_run);

/**
 * tdax_inode() - the inode whose mapping all files of the device share
 * @dax: the device
 */
struct inode *tdax_inode(struct tdax_dax *dax)
{
	return &dax->inode;
}
EXPORT_SYMBOL_GPL(tdax_inode);

/**
 * tdax_get_private() - owner data of a live device, NULL once killed
 * @dax: the device; call under tdax_read_lock()
 */
void *tdax_get_private(struct tdax_dax *dax)
{
	return tdax_alive(dax) ? dax->private : NULL;
}
EXPORT_SYMBOL_GPL(tdax_get_private);

/*
 * The data-access operations.  Contract: the caller holds tdax_read_lock()
 * across the call AND across every use of what it returns (the kernel
 * address and pfn of tdax_direct_access() are valid only until the section
 * ends: the binding may be killed and the pages memunmap'ed right after).
 * Each call checks the lock is held (WARN_ON_ONCE and refuses otherwise)
 * and that the device is alive.
 */

/**
 * tdax_direct_access() - kernel address and pfn of device pages
 * @dax: the device
 * @pgoff: page offset in the device
 * @nr_pages: pages wanted
 * @kaddr: out, kernel virtual address (may be NULL)
 * @pfn: out, pfn (may be NULL)
 *
 * Context: the caller holds tdax_read_lock(), and keeps holding it while it
 * uses @kaddr or @pfn.
 * Return: contiguous pages available at @pgoff (<= @nr_pages) or -errno:
 * -ENXIO once the device is dead, -EINVAL for a negative @nr_pages or when
 * called without the read lock.
 */
long tdax_direct_access(struct tdax_dax *dax, pgoff_t pgoff, long nr_pages,
			void **kaddr, tdax_pfn_t *pfn)
{
	long avail;

	if (tdax_check_read_locked() || nr_pages < 0)
		return -EINVAL;
	if (!tdax_alive(dax) || !dax->ops || !dax->ops->direct_access)
		return -ENXIO;
	avail = dax->ops->direct_access(dax, pgoff, nr_pages, kaddr, pfn);
	return avail > nr_pages ? nr_pages : avail;
}
EXPORT_SYMBOL_GPL(tdax_direct_access);

/**
 * tdax_zero_page_range() - zero device pages
 * @dax: the device
 * @pgoff: first page
 * @nr_pages: number of pages
 *
 * Context: the caller holds tdax_read_lock().
 * Return: 0 or -errno (-ENXIO once dead, -EINVAL without the read lock).
 */
int tdax_zero_page_range(struct tdax_dax *dax, pgoff_t pgoff, size_t nr_pages)
{
	if (tdax_check_read_locked())
		return -EINVAL;
	if (!tdax_alive(dax) || !dax->ops)
		return -ENXIO;
	return dax->ops->zero_page_range(dax, pgoff, nr_pages);
}
EXPORT_SYMBOL_GPL(tdax_zero_page_range);

/**
 * tdax_copy_from_iter() - copy data into the device
 * @dax: the device
 * @pgoff: page offset of @addr
 * @addr: kernel address from tdax_direct_access() in the same section
 * @bytes: length
 * @i: source
 *
 * Uses the provider's copy operation when it has one, a plain copy
 * otherwise.
 * Context: the caller holds tdax_read_lock() since tdax_direct_access().
 * Return: bytes copied (0 once dead or without the read lock).
 */
size_t tdax_copy_from_iter(struct tdax_dax *dax, pgoff_t pgoff, void *addr,
			   size_t bytes, struct iov_iter *i)
{
	if (tdax_check_read_locked() || !tdax_alive(dax))
		return 0;
	if (dax->ops && dax->ops->copy_from_iter)
		return dax->ops->copy_from_iter(dax, pgoff, addr, bytes, i);
	/* no usercopy check: a range may span compound pages */
	return _copy_from_iter(addr, bytes, i);
}
EXPORT_SYMBOL_GPL(tdax_copy_from_iter);

/**
 * tdax_copy_to_iter() - copy data out of the device
 * @dax: the device
 * @pgoff: page offset of @addr
 * @addr: kernel address from tdax_direct_access() in the same section
 * @bytes: length
 * @i: destination
 *
 * Context: the caller holds tdax_read_lock() since tdax_direct_access().
 * Return: bytes copied (0 once dead or without the read lock).
 */
size_t tdax_copy_to_iter(struct tdax_dax *dax, pgoff_t pgoff, void *addr,
			 size_t bytes, struct iov_iter *i)
{
	if (tdax_check_read_locked() || !tdax_alive(dax))
		return 0;
	if (dax->ops && dax->ops->copy_to_iter)
		return dax->ops->copy_to_iter(dax, pgoff, addr, bytes, i);
	return _copy_to_iter(addr, bytes, i);
}
EXPORT_SYMBOL_GPL(tdax_copy_to_iter);

/**
 * tdax_flush() - make a range durable with the provider's flush, if any
 * @dax: the device
 * @pgoff: first page
 * @bytes: length
 *
 * Context: the caller holds tdax_read_lock().
 *
 * Return: 0 (also when the provider has no flush: volatile memory), the
 * provider's -errno, or -ENXIO once the device is dead.
 */
int tdax_flush(struct tdax_dax *dax, pgoff_t pgoff, size_t bytes)
{
	if (tdax_check_read_locked() || !tdax_alive(dax))
		return -ENXIO;
	if (dax->ops && dax->ops->flush)
		return dax->ops->flush(dax, pgoff, bytes);
	return 0;
}
EXPORT_SYMBOL_GPL(tdax_flush);

static struct inode *tdax_alloc_inode(struct super_block *sb)
{
	struct tdax_dax *dax = alloc_inode_sb(sb, tdax_cache, GFP_KERNEL);

	if (!dax)
		return NULL;
	dax->ops = NULL;
	dax->private = NULL;
	dax->owner = NULL;
	dax->binding = 0;
	return &dax->inode;
}

static void tdax_free_inode(struct inode *inode)
{
	kmem_cache_free(tdax_cache, container_of(inode, struct tdax_dax, inode));
}

static const struct super_operations tdax_sops = {
	.statfs = simple_statfs,
	.alloc_inode = tdax_alloc_inode,
	.free_inode = tdax_free_inode,
	.drop_inode = generic_delete_inode,
};

static int tdax_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, TDAXFS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->ops = &tdax_sops;
	return 0;
}

static struct file_system_type tdax_fs_type = {
	.name = "tdax",
	.init_fs_context = tdax_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * tdax_alloc() - make a dax_device (initially not alive)
 * @private: owner data returned by tdax_get_private()
 * @ops: data-access operations
 * @devt: char device number the inode stands for
 *
 * Return: the device or ERR_PTR(); release with tdax_put().
 */
struct tdax_dax *tdax_alloc(void *private, const struct tdax_operations *ops,
			    dev_t devt)
{
	struct inode *inode;
	struct tdax_dax *dax;

	if (ops && !ops->zero_page_range)
		return ERR_PTR(-EINVAL);
	inode = new_inode(tdax_mnt->mnt_sb);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	dax = container_of(inode, struct tdax_dax, inode);
	inode->i_ino = get_next_ino();
	inode->i_rdev = devt;
	inode->i_mode = S_IFCHR;
	inode->i_flags = S_DAX;
	mapping_set_gfp_mask(&inode->i_data, GFP_USER);
	dax->ops = ops;
	dax->private = private;
	return dax;
}
EXPORT_SYMBOL_GPL(tdax_alloc);

/**
 * tdax_put() - drop the reference from tdax_alloc()
 * @dax: the device (may be NULL); must not be alive
 */
void tdax_put(struct tdax_dax *dax)
{
	if (!dax)
		return;
	WARN_ON_ONCE(READ_ONCE(dax->binding));
	iput(&dax->inode);
}
EXPORT_SYMBOL_GPL(tdax_put);

static void tdax_init_once(void *p)
{
	struct tdax_dax *dax = p;

	memset(dax, 0, sizeof(*dax));
	inode_init_once(&dax->inode);
}

int tdax_fs_init(void)
{
	tdax_cache = kmem_cache_create("tdax_cache", sizeof(struct tdax_dax), 0,
				       SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT,
				       tdax_init_once);
	if (!tdax_cache)
		return -ENOMEM;
	tdax_mnt = kern_mount(&tdax_fs_type);
	if (IS_ERR(tdax_mnt)) {
		kmem_cache_destroy(tdax_cache);
		return PTR_ERR(tdax_mnt);
	}
	return 0;
}

void tdax_fs_exit(void)
{
	kern_unmount(tdax_mnt);
	rcu_barrier();
	kmem_cache_destroy(tdax_cache);
}
