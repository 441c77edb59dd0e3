/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The comparison back end's names.  Built with ITN_BACKEND_KERNEL defined
 * (as foo_kern.o, see drivers/kern_variant.mk, or kernel_backend.c itself),
 * a source links against itn_core_kern.ko, which maps the itn API straight
 * onto the kernel's mmu_interval_notifier.  Its symbols carry an itn_kern_
 * prefix so that both cores load in one boot; itn.h includes this header
 * and nothing else changes for a client.
 */
#ifndef _ITN_KERN_H
#define _ITN_KERN_H

#define itn_sub_insert		itn_kern_sub_insert
#define itn_sub_insert_locked	itn_kern_sub_insert_locked
#define itn_sub_remove		itn_kern_sub_remove
#define itn_read_begin		itn_kern_read_begin
#define itn_synchronize		itn_kern_synchronize
#define itn_range_fault		itn_kern_range_fault
#define itn_retry_run		itn_kern_retry_run
#define itn_backend_name	itn_kern_backend_name

#endif /* _ITN_KERN_H */
