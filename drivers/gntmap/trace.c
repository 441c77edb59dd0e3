// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap's tracepoints (gntmap_trace.h), and the summary of a GRANT_COPY
 * that only a reader of its event pays for.
 */
#include <linux/uaccess.h>

#include "gntmap.h"

#define CREATE_TRACE_POINTS
#include "gntmap_trace.h"

/*
 * The gntmap_grant_copy event, while it is enabled: the statuses as the
 * caller reads them after the ioctl (a segment after a failed one keeps
 * what the caller put there).
 */
void gntmap_trace_copy(void __user *uarg, long result)
{
	struct ioctl_gntdev_grant_copy copy;
	unsigned int i, okay = 0;
	int first_error = 0;
	s16 status;

	if (copy_from_user(&copy, uarg, sizeof(copy))) {
		trace_gntmap_grant_copy(0, 0, 0, result);
		return;
	}
	for (i = 0; i < copy.count; i++) {
		if (get_user(status, &copy.segments[i].status))
			break;
		if (status == GNTST_okay)
			okay++;
		else if (!first_error)
			first_error = status;
	}
	trace_gntmap_grant_copy(copy.count, okay, first_error, result);
}
