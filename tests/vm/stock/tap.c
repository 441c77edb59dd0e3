// SPDX-License-Identifier: GPL-2.0
/* TAP 13 output for the in-VM test programs. */
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static unsigned int tap_n, tap_failed;

static void tap_line(const char *status, const char *fmt, va_list ap,
		     const char *skip)
{
	printf("%s %u - ", status, ++tap_n);
	vprintf(fmt, ap);
	if (skip)
		printf(" # SKIP %s", skip);
	putchar('\n');
	/* The runner may kill us on a timeout: keep what we printed. */
	fflush(stdout);
}

bool tap_ok(bool pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line(pass ? "ok" : "not ok", fmt, ap, NULL);
	va_end(ap);
	if (!pass)
		tap_failed++;
	return pass;
}

void tap_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_line("ok", fmt, ap, reason);
	va_end(ap);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int tap_done(void)
{
	printf("1..%u\n", tap_n);
	return tap_failed ? 1 : 0;
}
