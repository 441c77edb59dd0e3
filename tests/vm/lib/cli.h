/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line checks shared by the in-VM programs and tools.  A bad value
 * or a stray operand is one line on stderr and exit status 2, as for every
 * tool of the project; atoi() and strtoul() alone took "5x" as 5 and
 * "abc" as 0.
 */
#ifndef VMTEST_CLI_H
#define VMTEST_CLI_H

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

/* @arg, all of it, as a number in [@lo, @hi] in @base (0: C's rules). */
static inline int cli_parse(const char *arg, int base, unsigned long lo,
			    unsigned long hi, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(arg, &end, base);
	if (errno || end == arg || *end || *arg == '-' || *v < lo || *v > hi)
		return -1;
	return 0;
}

/* The value of --@opt, a number in [@lo, @hi] (decimal, 0x hex). */
static inline unsigned long cli_number(const char *prog, const char *opt,
				       const char *arg, unsigned long lo,
				       unsigned long hi)
{
	unsigned long v;

	if (cli_parse(arg, 0, lo, hi, &v)) {
		fprintf(stderr, "%s: bad --%s '%s' (want %lu..%lu)\n", prog,
			opt, arg, lo, hi);
		exit(2);
	}
	return v;
}

/* After getopt_long(): the programs take options only. */
static inline void cli_no_operands(const char *prog, int argc, char **argv)
{
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		exit(2);
	}
}

#endif /* VMTEST_CLI_H */
