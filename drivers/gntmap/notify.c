// SPDX-License-Identifier: GPL-2.0
/*
 * SET_UNMAP_NOTIFY: tell the granting domain that we let go of a map,
 * by clearing a byte of it, by signalling an event channel, or both.  The
 * byte is cleared while the page is still mapped, and the event is sent
 * only once every page is unmapped, so a peer woken by the event always
 * sees the cleared byte and can end access at once.
 */
#include <linux/mm.h>
#include <xen/events.h>

#include "gntmap.h"
#include "gntmap_trace.h"

int gntmap_set_notify(struct gntmap_map *map, u32 action, u32 addr,
		      evtchn_port_t port)
{
	struct gntmap_unmap_notify old;
	int err;

	if (action & ~(UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT))
		return -EINVAL;
	if (action & UNMAP_NOTIFY_SEND_EVENT) {
		/* Hold the port so it cannot be rebound before we send. */
		err = evtchn_get(port);
		if (err)
			return err;
	}

	mutex_lock(&map->lock);
	/* Under the lock: mmap sets readonly under it, then checks the flags. */
	if ((action & UNMAP_NOTIFY_CLEAR_BYTE) && map->readonly) {
		mutex_unlock(&map->lock);
		if (action & UNMAP_NOTIFY_SEND_EVENT)
			evtchn_put(port);
		return -EINVAL;
	}
	old = map->notify;
	map->notify.flags = action;
	map->notify.addr = addr;
	map->notify.event = port;
	mutex_unlock(&map->lock);

	if (old.flags & UNMAP_NOTIFY_SEND_EVENT)
		evtchn_put(old.event);
	return 0;
}

/* Called with map->lock held, before [first, end) is unmapped. */
void gntmap_notify_clear_byte(struct gntmap_map *map, unsigned int first,
			      unsigned int end)
{
	unsigned int page = map->notify.addr >> PAGE_SHIFT;
	u8 *kaddr;

	if (!(map->notify.flags & UNMAP_NOTIFY_CLEAR_BYTE) ||
	    page < first || page >= end || map->readonly)
		return;
	/* The kernel half of the grant is still mapped at this address. */
	kaddr = pfn_to_kaddr(page_to_pfn(map->pages[page]));
	WRITE_ONCE(kaddr[map->notify.addr & ~PAGE_MASK], 0);
	trace_gntmap_notify(map->grants[page].domid, false, map->notify.addr, 0);
	map->notify.flags &= ~UNMAP_NOTIFY_CLEAR_BYTE;
}

/* Called when the map is freed: all its grants are unmapped. */
void gntmap_notify_release(struct gntmap_map *map)
{
	if (!(map->notify.flags & UNMAP_NOTIFY_SEND_EVENT))
		return;
	notify_remote_via_evtchn(map->notify.event);
	trace_gntmap_notify(map->grants[0].domid, true, 0, map->notify.event);
	evtchn_put(map->notify.event);
}
