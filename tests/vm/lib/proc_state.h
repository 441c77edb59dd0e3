/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state letter of a process ('R', 'S', 'D', 'Z', ...) from
 * /proc/PID/stat, or 0 when it cannot be read: how the in-VM tests see
 * that a child is held in the kernel (D) before they reap it.
 */
#ifndef PROC_STATE_H
#define PROC_STATE_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

static inline char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* The command name may hold spaces and ')': the last ')' ends it. */
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] ? p[2] : 0;
}

#endif /* PROC_STATE_H */
