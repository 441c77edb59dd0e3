/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gntmap's tracepoints (events/gntmap/ in tracefs), defined by trace.c.
 * Each is a static key: nothing runs while it is off.  Fields and when
 * each fires: docs/gntmap.md, "Tracepoints".
 */
#undef TRACE_SYSTEM
#ifdef ITN_BACKEND_KERNEL
#define TRACE_SYSTEM gntmap_kern	/* gntmap_kern.ko: see GNTMAP_NAME */
#else
#define TRACE_SYSTEM gntmap
#endif

#if !defined(_GNTMAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _GNTMAP_TRACE_H

#include <linux/mmu_notifier.h>
#include <linux/tracepoint.h>

/* mmap of a map: every grant mapped (result 0) or none (-errno). */
TRACE_EVENT(gntmap_map,
	TP_PROTO(u32 domid, unsigned int count, bool readonly, int result),
	TP_ARGS(domid, count, readonly, result),
	TP_STRUCT__entry(
		__field(u32, domid)
		__field(unsigned int, count)
		__field(bool, readonly)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->domid = domid;
		__entry->count = count;
		__entry->readonly = readonly;
		__entry->result = result;
	),
	TP_printk("domid=%u count=%u access=%s result=%d", __entry->domid,
		  __entry->count, __entry->readonly ? "ro" : "rw",
		  __entry->result)
);

/*
 * The unmap of a run of pages: the user half is gone, the kernel half is
 * handed to the asynchronous unmap, deferred when a page is still in use.
 */
TRACE_EVENT(gntmap_unmap,
	TP_PROTO(u32 domid, unsigned int first, unsigned int count,
		 bool deferred),
	TP_ARGS(domid, first, count, deferred),
	TP_STRUCT__entry(
		__field(u32, domid)
		__field(unsigned int, first)
		__field(unsigned int, count)
		__field(bool, deferred)
	),
	TP_fast_assign(
		__entry->domid = domid;
		__entry->first = first;
		__entry->count = count;
		__entry->deferred = deferred;
	),
	TP_printk("domid=%u first=%u count=%u deferred=%d", __entry->domid,
		  __entry->first, __entry->count, __entry->deferred)
);

/*
 * The kernel half of a run is unmapped, at once or after a pin went:
 * result is what gnttab_unmap_refs_async() reported (0 or -errno).
 */
TRACE_EVENT(gntmap_unmap_done,
	TP_PROTO(u32 domid, unsigned int first, unsigned int count,
		 int result),
	TP_ARGS(domid, first, count, result),
	TP_STRUCT__entry(
		__field(u32, domid)
		__field(unsigned int, first)
		__field(unsigned int, count)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->domid = domid;
		__entry->first = first;
		__entry->count = count;
		__entry->result = result;
	),
	TP_printk("domid=%u first=%u count=%u result=%d", __entry->domid,
		  __entry->first, __entry->count, __entry->result)
);

/*
 * An invalidation that hit a map: the user range it covers, the event
 * (MMU_NOTIFY_*, as a number: the enum differs between kernels), the
 * pages hit, whether it may sleep and whether it ends the grants.
 */
TRACE_EVENT(gntmap_invalidate,
	TP_PROTO(unsigned long start, unsigned long end, int event,
		 unsigned long pages, bool blockable, bool ends_use),
	TP_ARGS(start, end, event, pages, blockable, ends_use),
	TP_STRUCT__entry(
		__field(unsigned long, start)
		__field(unsigned long, end)
		__field(int, event)
		__field(unsigned long, pages)
		__field(bool, blockable)
		__field(bool, ends_use)
	),
	TP_fast_assign(
		__entry->start = start;
		__entry->end = end;
		__entry->event = event;
		__entry->pages = pages;
		__entry->blockable = blockable;
		__entry->ends_use = ends_use;
	),
	TP_printk("range=0x%lx-0x%lx event=%d pages=%lu blockable=%d unmap=%d",
		  __entry->start, __entry->end, __entry->event,
		  __entry->pages, __entry->blockable, __entry->ends_use)
);

/* SET_UNMAP_NOTIFY's action: the byte cleared, or the event sent. */
TRACE_EVENT(gntmap_notify,
	TP_PROTO(u32 domid, bool event, u32 addr, u32 port),
	TP_ARGS(domid, event, addr, port),
	TP_STRUCT__entry(
		__field(u32, domid)
		__field(bool, event)
		__field(u32, addr)
		__field(u32, port)
	),
	TP_fast_assign(
		__entry->domid = domid;
		__entry->event = event;
		__entry->addr = addr;
		__entry->port = port;
	),
	TP_printk("domid=%u action=%s addr=%u port=%u", __entry->domid,
		  __entry->event ? "event" : "clear_byte", __entry->addr,
		  __entry->port)
);

/*
 * GRANT_COPY: the segments asked for, how many have GNTST_okay, the
 * first other status (0 if none) and the ioctl's result.
 */
TRACE_EVENT(gntmap_grant_copy,
	TP_PROTO(unsigned int segments, unsigned int okay, int first_error,
		 long result),
	TP_ARGS(segments, okay, first_error, result),
	TP_STRUCT__entry(
		__field(unsigned int, segments)
		__field(unsigned int, okay)
		__field(int, first_error)
		__field(long, result)
	),
	TP_fast_assign(
		__entry->segments = segments;
		__entry->okay = okay;
		__entry->first_error = first_error;
		__entry->result = result;
	),
	TP_printk("segments=%u okay=%u first_error=%d result=%ld",
		  __entry->segments, __entry->okay, __entry->first_error,
		  __entry->result)
);

#endif /* _GNTMAP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE gntmap_trace
#include <trace/define_trace.h>
