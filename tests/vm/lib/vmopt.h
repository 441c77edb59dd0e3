/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The options of an in-VM test program, as one table: each entry names the
 * option, its value, its default and its help line; vmopt_parse() runs
 * getopt_long over it and prints --help from it.  A bad option, a bad
 * value or an operand is one line on stderr and exit status 2.
 */
#ifndef VMOPT_H
#define VMOPT_H

#include <stdbool.h>
#include <stddef.h>

enum vmopt_kind {
	VMOPT_KSTR,	/* any string */
	VMOPT_KNUM,	/* a number in [lo, hi]: decimal, 0x hex */
	VMOPT_KCASE,	/* one of the words of @choices ("a|b|c") */
	VMOPT_KFLAG,	/* no value: sets a bool */
	VMOPT_KFN,	/* @fn(value): 0, or -1 once it has said why */
};

struct vmopt {
	const char *name;	/* --name */
	int key;		/* -k */
	const char *arg;	/* the value's name in --help */
	const char *help;	/* wrapped; a '\n' starts a new line */
	/*
	 * The default --help shows: NULL for the variable's value (a
	 * number's, a string's if set), "" for none, else this text.  A
	 * case option shows its choices, and the variable's value if set.
	 */
	const char *def;
	enum vmopt_kind kind;
	void *p;		/* the variable */
	unsigned int size;	/* sizeof of a number's variable (4 or 8) */
	unsigned long lo, hi;
	const char *choices;	/* a case option's words: "a|b|c" */
	int (*fn)(const char *arg);
};

#define VMOPT_STR(nm, k, a, h, d, var) \
	{ .name = nm, .key = k, .arg = a, .help = h, .def = d, \
	  .kind = VMOPT_KSTR, .p = (var) }
/* A number's variable is 4 or 8 bytes: anything else does not compile. */
#define VMOPT_SIZE(var) \
	(sizeof(*(var)) + \
	 0 * sizeof(char[sizeof(*(var)) == 4 || sizeof(*(var)) == 8 ? 1 : -1]))
#define VMOPT_NUM(nm, k, a, h, d, var, l, u) \
	{ .name = nm, .key = k, .arg = a, .help = h, .def = d, \
	  .kind = VMOPT_KNUM, .p = (var), .size = VMOPT_SIZE(var), \
	  .lo = l, .hi = u }
#define VMOPT_CASE(nm, k, a, c, h, var) \
	{ .name = nm, .key = k, .arg = a, .help = h, .def = "", \
	  .kind = VMOPT_KCASE, .p = (var), .choices = c }
#define VMOPT_FLAG(nm, k, h, var) \
	{ .name = nm, .key = k, .help = h, .def = "", .kind = VMOPT_KFLAG, \
	  .p = (var) }
#define VMOPT_FN(nm, k, a, h, d, f) \
	{ .name = nm, .key = k, .arg = a, .help = h, .def = d, \
	  .kind = VMOPT_KFN, .fn = f }

/* The common ones. */
#define VMOPT_DOMAIN(var) \
	VMOPT_STR("domain", 'd', "NAME", "xl name of the test domain", \
		  NULL, var)

/*
 * getopt_long over @opts (ended by { NULL }) and -h/--help: @about (one or
 * more lines) after the usage line, then a line per option.  Returns only
 * if every option parsed and no operand is left.
 */
void vmopt_parse(int argc, char **argv, const struct vmopt *opts,
		 const char *about);

/* True if @word is one of @choices ("a|b|c"). */
bool vmopt_case(const char *choices, const char *word);

#endif /* VMOPT_H */
