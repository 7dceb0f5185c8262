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
#include "tdax_private.h"
#include "tdax_core.h"

#define TDAXFS_MAGIC	0x74646178	/* "tdax" */

/**
 * struct tdax_dax - a dax_device
 * @inode: the device inode; its i_mapping is shared by all open files
 * @ops: data-access operations (provider or core defaults)
 * @private: owner's data (the struct tdax_dev)
 * @alive: cleared by tdax_kill(); read under tdax_srcu
 */
struct tdax_dax {
	struct inode inode;
	const struct tdax_operations *ops;
	void *private;
	bool alive;
};

DEFINE_STATIC_SRCU(tdax_srcu);
static struct kmem_cache *tdax_cache;
static struct vfsmount *tdax_mnt;

/**
 * tdax_read_lock() - enter a section during which a device cannot die
 *
 * Return: cookie for tdax_read_unlock().
 */
int tdax_read_lock(void)
{
	return srcu_read_lock(&tdax_srcu);
}
EXPORT_SYMBOL_GPL(tdax_read_lock);

/**
 * tdax_read_unlock() - leave a tdax_read_lock() section
 * @id: cookie from tdax_read_lock()
 */
void tdax_read_unlock(int id)
{
	srcu_read_unlock(&tdax_srcu, id);
}
EXPORT_SYMBOL_GPL(tdax_read_unlock);

/**
 * tdax_alive() - whether a device accepts operations and faults
 * @dax: the device; call under tdax_read_lock()
 */
bool tdax_alive(struct tdax_dax *dax)
{
	return READ_ONCE(dax->alive);
}
EXPORT_SYMBOL_GPL(tdax_alive);

/**
 * tdax_kill() - stop a device: operations fail and faults SIGBUS
 * @dax: the device
 *
 * Waits for every tdax_read_lock() section that may have seen the device
 * alive, then zaps every user mapping of the device, so the next access
 * faults and finds it dead.
 */
void tdax_kill(struct tdax_dax *dax)
{
	if (!dax)
		return;
	WRITE_ONCE(dax->alive, false);
	synchronize_srcu(&tdax_srcu);
	unmap_mapping_range(dax->inode.i_mapping, 0, 0, 1);
}
EXPORT_SYMBOL_GPL(tdax_kill);

/**
 * tdax_run() - make a device alive (again), e.g. when a driver binds
 * @dax: the device
 */
void tdax_run(struct tdax_dax *dax)
{
	WRITE_ONCE(dax->alive, true);
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
 * @dax: the device
 */
void *tdax_get_private(struct tdax_dax *dax)
{
	return tdax_alive(dax) ? dax->private : NULL;
}
EXPORT_SYMBOL_GPL(tdax_get_private);

/**
 * tdax_direct_access() - kernel address and pfn of device pages
 * @dax: the device
 * @pgoff: page offset in the device
 * @nr_pages: pages wanted
 * @kaddr: out, kernel virtual address (may be NULL)
 * @pfn: out, pfn (may be NULL)
 *
 * Return: contiguous pages available at @pgoff (<= @nr_pages) or -errno;
 * -ENXIO once the device is dead.
 */
long tdax_direct_access(struct tdax_dax *dax, pgoff_t pgoff, long nr_pages,
			void **kaddr, pfn_t *pfn)
{
	long avail;
	int id;

	if (nr_pages < 0)
		return -EINVAL;
	id = tdax_read_lock();
	if (!tdax_alive(dax) || !dax->ops || !dax->ops->direct_access)
		avail = -ENXIO;
	else
		avail = dax->ops->direct_access(dax, pgoff, nr_pages, kaddr, pfn);
	tdax_read_unlock(id);
	return avail > nr_pages ? nr_pages : avail;
}
EXPORT_SYMBOL_GPL(tdax_direct_access);

/**
 * tdax_zero_page_range() - zero device pages
 * @dax: the device
 * @pgoff: first page
 * @nr_pages: number of pages
 *
 * Return: 0 or -errno (-ENXIO once dead).
 */
int tdax_zero_page_range(struct tdax_dax *dax, pgoff_t pgoff, size_t nr_pages)
{
	int id, rc;

	id = tdax_read_lock();
	if (!tdax_alive(dax) || !dax->ops)
		rc = -ENXIO;
	else
		rc = dax->ops->zero_page_range(dax, pgoff, nr_pages);
	tdax_read_unlock(id);
	return rc;
}
EXPORT_SYMBOL_GPL(tdax_zero_page_range);

/**
 * tdax_copy_from_iter() - copy data into the device
 * @dax: the device
 * @pgoff: page offset of @addr
 * @addr: kernel address from tdax_direct_access()
 * @bytes: length
 * @i: source
 *
 * Uses the provider's copy operation when it has one, a plain copy
 * otherwise. Return: bytes copied (0 once dead).
 */
size_t tdax_copy_from_iter(struct tdax_dax *dax, pgoff_t pgoff, void *addr,
			   size_t bytes, struct iov_iter *i)
{
	size_t done = 0;
	int id;

	id = tdax_read_lock();
	if (tdax_alive(dax)) {
		if (dax->ops && dax->ops->copy_from_iter)
			done = dax->ops->copy_from_iter(dax, pgoff, addr, bytes, i);
		else
			done = copy_from_iter(addr, bytes, i);
	}
	tdax_read_unlock(id);
	return done;
}
EXPORT_SYMBOL_GPL(tdax_copy_from_iter);

/**
 * tdax_copy_to_iter() - copy data out of the device
 * @dax: the device
 * @pgoff: page offset of @addr
 * @addr: kernel address from tdax_direct_access()
 * @bytes: length
 * @i: destination
 *
 * Return: bytes copied (0 once dead).
 */
size_t tdax_copy_to_iter(struct tdax_dax *dax, pgoff_t pgoff, void *addr,
			 size_t bytes, struct iov_iter *i)
{
	size_t done = 0;
	int id;

	id = tdax_read_lock();
	if (tdax_alive(dax)) {
		if (dax->ops && dax->ops->copy_to_iter)
			done = dax->ops->copy_to_iter(dax, pgoff, addr, bytes, i);
		else
			done = copy_to_iter(addr, bytes, i);
	}
	tdax_read_unlock(id);
	return done;
}
EXPORT_SYMBOL_GPL(tdax_copy_to_iter);

/**
 * tdax_flush() - make a range durable with the provider's flush, if any
 * @dax: the device
 * @pgoff: first page
 * @bytes: length
 */
void tdax_flush(struct tdax_dax *dax, pgoff_t pgoff, size_t bytes)
{
	int id;

	id = tdax_read_lock();
	if (tdax_alive(dax) && dax->ops && dax->ops->flush)
		dax->ops->flush(dax, pgoff, bytes);
	tdax_read_unlock(id);
}
EXPORT_SYMBOL_GPL(tdax_flush);

static struct inode *tdax_alloc_inode(struct super_block *sb)
{
	struct tdax_dax *dax = alloc_inode_sb(sb, tdax_cache, GFP_KERNEL);

	if (!dax)
		return NULL;
	dax->ops = NULL;
	dax->private = NULL;
	dax->alive = false;
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
	WARN_ON_ONCE(dax->alive);
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
