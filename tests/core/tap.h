/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small TAP 13 runner for the host tests.  TEST(name) registers a test;
 * CHECK() fails it and returns; EXPECT() fails it and goes on (threads).
 * After each test the runner also fails it on a WARN it did not ask for,
 * a leaked allocation or a leaked mm.
 */
#ifndef _TAP_H
#define _TAP_H

#include <stdbool.h>

typedef void (*tap_fn)(void);
void tap_register(const char *name, tap_fn fn);
void tap_fail(const char *file, int line, const char *what);
bool tap_failed(void);
void tap_expect_warnings(long n);
/* Run @fn in a child; true if it died of SIGABRT (a sim BUG). */
bool tap_dies(void (*fn)(void *), void *arg);
int tap_main(int argc, char **argv);

#define TEST(name)							\
	static void name(void);						\
	__attribute__((constructor)) static void tap_reg_##name(void)	\
	{								\
		tap_register(#name, name);				\
	}								\
	static void name(void)

#define EXPECT(cond)							\
	do {								\
		if (!(cond))						\
			tap_fail(__FILE__, __LINE__, #cond);		\
	} while (0)

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			tap_fail(__FILE__, __LINE__, #cond);		\
			return;						\
		}							\
	} while (0)

#endif /* _TAP_H */
