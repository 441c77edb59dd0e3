// SPDX-License-Identifier: GPL-2.0
/* The in-VM test programs' option table (vmopt.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* program_invocation_short_name */
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vmopt.h"

#define VMOPT_MAX	32

static const char *prog(void)
{
	return program_invocation_short_name;
}

bool vmopt_case(const char *choices, const char *word)
{
	size_t n = strlen(word);
	const char *c = choices;

	if (strchr(word, '|'))
		return false;
	while (n && (c = strstr(c, word))) {
		if ((c == choices || c[-1] == '|') && (!c[n] || c[n] == '|'))
			return true;
		c += n;
	}
	return false;
}

static unsigned long num_get(const struct vmopt *o)
{
	uint32_t v32;
	uint64_t v64;

	if (o->size == sizeof(v32)) {
		memcpy(&v32, o->p, sizeof(v32));
		return v32;
	}
	memcpy(&v64, o->p, sizeof(v64));
	return v64;
}

static void num_set(const struct vmopt *o, unsigned long v)
{
	uint32_t v32 = v;
	uint64_t v64 = v;

	if (o->size == sizeof(v32))
		memcpy(o->p, &v32, sizeof(v32));
	else
		memcpy(o->p, &v64, sizeof(v64));
}

/* "-k, --name ARG" */
static int left(const struct vmopt *o, char *buf, size_t len)
{
	return snprintf(buf, len, "-%c, --%s%s%s", o->key, o->name,
			o->arg ? " " : "", o->arg ? o->arg : "");
}

#define VMOPT_COLS	79

/*
 * @s in the help column, which starts at @w + 4; words that would pass
 * VMOPT_COLS, and those after a '\n', start a new line there.  Returns
 * the column reached, from @col.
 */
static int put(const char *s, int w, int col)
{
	size_t n;

	while (*s) {
		if (*s == '\n' || *s == ' ') {
			n = strcspn(s + 1, "\n ");
			if (*s == '\n' || col + 1 + (int)n > VMOPT_COLS)
				col = printf("\n%*s", w + 4, "") - 1;
			else
				col += printf(" ");
			s++;
			continue;
		}
		n = strcspn(s, "\n ");
		col += printf("%.*s", (int)n, s);
		s += n;
	}
	return col;
}

static void help(const struct vmopt *opts, const char *about)
{
	const struct vmopt *o;
	char buf[96], def[128];
	int w = 10, col, n;	/* "-h, --help" */
	const char *arg;

	n = printf("usage: %s", prog());
	col = n;
	for (o = opts; o->name; o++) {
		arg = o->kind == VMOPT_KCASE ? o->choices : o->arg;
		n = snprintf(buf, sizeof(buf), " [--%s%s%s]", o->name,
			     arg ? " " : "", arg ? arg : "");
		if (col + n > 78)
			col = printf("\n%*s", (int)strlen(prog()) + 6, "") - 1;
		col += printf("%s", buf);
		n = left(o, buf, sizeof(buf));
		if (n > w)
			w = n;
	}
	printf("\n%s", about);
	for (o = opts; o->name; o++) {
		left(o, buf, sizeof(buf));
		col = printf("  %-*s  ", w, buf);
		col = put(o->help, w, col);
		*def = 0;
		if (o->kind == VMOPT_KCASE && *(const char **)o->p)
			snprintf(def, sizeof(def), " (%s; default %s)",
				 o->choices, *(const char **)o->p);
		else if (o->kind == VMOPT_KCASE)
			snprintf(def, sizeof(def), " (%s)", o->choices);
		else if (o->def && *o->def)
			snprintf(def, sizeof(def), " (default %s)", o->def);
		else if (o->kind == VMOPT_KNUM && !o->def)
			snprintf(def, sizeof(def), " (default %lu)", num_get(o));
		else if (o->kind == VMOPT_KSTR && !o->def &&
			 *(const char **)o->p)
			snprintf(def, sizeof(def), " (default %s)",
				 *(const char **)o->p);
		put(def, w, col);
		printf("\n");
	}
	printf("  %-*s  this text\n", w, "-h, --help");
}

static int parse_one(const struct vmopt *o, const char *arg)
{
	unsigned long v;

	switch (o->kind) {
	case VMOPT_KSTR:
		*(const char **)o->p = arg;
		return 0;
	case VMOPT_KNUM:
		if (cli_parse(arg, 0, o->lo, o->hi, &v)) {
			fprintf(stderr, "%s: bad --%s '%s' (want %lu..%lu)\n",
				prog(), o->name, arg, o->lo, o->hi);
			return -1;
		}
		num_set(o, v);
		return 0;
	case VMOPT_KCASE:
		if (!vmopt_case(o->choices, arg)) {
			fprintf(stderr, "%s: bad --%s '%s' (want %s)\n",
				prog(), o->name, arg, o->choices);
			return -1;
		}
		*(const char **)o->p = arg;
		return 0;
	case VMOPT_KFLAG:
		*(bool *)o->p = true;
		return 0;
	case VMOPT_KFN:
		return o->fn(arg);
	}
	return -1;
}

void vmopt_parse(int argc, char **argv, const struct vmopt *opts,
		 const char *about)
{
	struct option lo[VMOPT_MAX + 2] = {
		{ "help", no_argument, NULL, 'h' },
	};
	char so[3 * VMOPT_MAX + 2] = "h";
	unsigned int n, len = 1;
	int c, i;

	for (n = 0; opts[n].name; n++) {
		if (n == VMOPT_MAX) {
			fprintf(stderr, "%s: too many options\n", prog());
			exit(2);
		}
		lo[n + 1] = (struct option){
			opts[n].name,
			opts[n].kind == VMOPT_KFLAG ? no_argument :
						      required_argument,
			NULL, opts[n].key };
		so[len++] = opts[n].key;
		if (opts[n].kind != VMOPT_KFLAG)
			so[len++] = ':';
	}
	so[len] = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			help(opts, about);
			exit(0);
		}
		for (i = 0; opts[i].name && opts[i].key != c; i++)
			;
		if (!opts[i].name)
			exit(2);	/* getopt_long() has said why */
		if (parse_one(&opts[i], optarg))
			exit(2);
	}
	cli_no_operands(prog(), argc, argv);
}
