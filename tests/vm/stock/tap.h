/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP 13 output for the in-VM test programs (docs/build.md): one
 * line per result, the plan at the end, exit status from the failures.
 */
#ifndef VMTEST_TAP_H
#define VMTEST_TAP_H

#include <stdbool.h>

/* Prints "ok N - name" or "not ok N - name"; returns @pass. */
bool tap_ok(bool pass, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints "ok N - name # SKIP reason". */
void tap_skip(const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A "# ..." diagnostic line. */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan; returns the exit status: 1 if anything failed. */
int tap_done(void);

#endif /* VMTEST_TAP_H */
