// SPDX-License-Identifier: GPL-2.0
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "sim_mm.h"
#include "tap.h"

#define TAP_MAX 256

static struct {
	const char *name;
	tap_fn fn;
} tests[TAP_MAX];
static int ntests;
static int failed;
static long warn_allowed;

void tap_register(const char *name, tap_fn fn)
{
	if (ntests == TAP_MAX)
		abort();
	tests[ntests].name = name;
	tests[ntests++].fn = fn;
}

void tap_fail(const char *file, int line, const char *what)
{
	printf("# %s:%d: check failed: %s\n", file, line, what);
	fflush(stdout);
	__atomic_store_n(&failed, 1, __ATOMIC_SEQ_CST);
}

bool tap_failed(void)
{
	return __atomic_load_n(&failed, __ATOMIC_SEQ_CST);
}

void tap_expect_warnings(long n)
{
	warn_allowed += n;
}

bool tap_dies(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		sim_quiet = 1;
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

int tap_main(int argc, char **argv)
{
	int i, n = 0, bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ntests; i++)
		if (argc < 2 || strstr(tests[i].name, argv[1]))
			n++;
	printf("TAP version 13\n1..%d\n", n);
	n = 0;
	for (i = 0; i < ntests; i++) {
		long allocs, mms, warns;

		if (argc >= 2 && !strstr(tests[i].name, argv[1]))
			continue;
		allocs = sim_allocs_live();
		mms = sim_mms_live();
		warns = sim_warnings();
		failed = 0;
		warn_allowed = 0;
		tests[i].fn();
		if (sim_warnings() - warns != warn_allowed)
			tap_fail(__FILE__, __LINE__, "WARN count as expected");
		if (sim_allocs_live() != allocs)
			tap_fail(__FILE__, __LINE__, "no leaked allocation");
		if (sim_mms_live() != mms)
			tap_fail(__FILE__, __LINE__, "no leaked mm");
		printf("%sok %d - %s\n", failed ? "not " : "", ++n,
		       tests[i].name);
		bad += failed;
	}
	return bad ? 1 : 0;
}
