/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * tdax_stock.h - what the stock-kernel programs (bpf/tdax_stock.bpf.c) and
 * the collector library (tools/lib/source_stock.c) agree on.
 *
 * The stock programs probe the in-tree device_dax driver (no tracepoints)
 * and write the SAME maps as bpf/tdax_collect.bpf.c (tdax_maps.h): the
 * library loads the stock object reusing the map fds of the tdax object, so
 * snapshots, measures and every front end are unchanged.
 *
 * Instances: the in-tree driver has no instance ids.  A stock device gets
 * one the first time a program sees its struct dev_dax:
 *	TDAX_STOCK_INSTANCE | (sequence << 32) | dev_t
 * Bit 62 never appears in a tdax instance id (a counter from 1), so rows of
 * both sources never collide and tdax_instance_is_stock() tells them apart.
 */
#ifndef _TDAX_STOCK_H
#define _TDAX_STOCK_H

#define TDAX_STOCK_INSTANCE	(1ULL << 62)
#define tdax_instance_is_stock(inst)	(((inst) & TDAX_STOCK_INSTANCE) != 0)

/* Entries of the per-thread entry stash and of the dev_dax -> instance map. */
#define TDAX_STOCK_MAX_INFLIGHT	4096
#define TDAX_STOCK_MAX_DEVS	256

/* Functions of device_dax probed (same names on 6.1 and 6.12). */
#define TDAX_STOCK_FN_FAULT	"dev_dax_huge_fault"
#define TDAX_STOCK_FN_MMAP	"dax_mmap"

#endif /* _TDAX_STOCK_H */
