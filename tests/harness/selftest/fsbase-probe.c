// SPDX-License-Identifier: GPL-2.0
/*
 * fsbase-probe: does every thread keep its FS base and its FPU/SSE state
 * across context switches, signals and system calls?
 *
 * A stability probe for the emulated CPU models of the harness
 * (docs/harness.md, "CPU model"): under some models dom0 processes lost
 * their FS base now and then (GPF on a %fs: read) or died in rt_sigreturn.
 * Each thread keeps a thread-local canary and its FS base as read at start,
 * raises a signal now and then and checks an SSE value across it, and
 * yields so that the kernel switches it out as often as it can.  Prints TAP,
 * one result per process.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmopt.h"

static __thread volatile uint64_t canary;
static __thread volatile double sse_seen;
static int seconds = 60, nprocs = 4, nthreads = 2;

struct result {
	unsigned long loops;
	unsigned long signals;
	int bad;
	char why[160];
};

static void on_usr1(int sig)
{
	/* Clobber xmm7 in the handler: rt_sigreturn must restore it. */
	asm volatile("pxor %%xmm7, %%xmm7" : : : "xmm7");
	sse_seen = sig;
}

static unsigned long get_fs(void)
{
	unsigned long fs = 0;

	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &fs))
		return 0;
	return fs;
}

static void *worker(void *arg)
{
	struct result *r = arg;
	uint64_t mine = ((uint64_t)getpid() << 32) ^ (uintptr_t)r ^ 0x5a5a5a5aULL;
	unsigned long fs0 = get_fs();
	time_t end = time(NULL) + seconds;
	double acc = 1.0;

	canary = mine;
	while (time(NULL) < end) {
		for (int i = 0; i < 2000; i++) {
			acc = acc * 1.0000001 + 0.5;
			if (canary != mine) {
				snprintf(r->why, sizeof(r->why),
					 "TLS canary %#llx, expected %#llx",
					 (unsigned long long)canary,
					 (unsigned long long)mine);
				r->bad = 1;
				return NULL;
			}
		}
		if (get_fs() != fs0) {
			snprintf(r->why, sizeof(r->why),
				 "FS base %#lx, was %#lx", get_fs(), fs0);
			r->bad = 1;
			return NULL;
		}
		if ((r->loops & 7) == 0) {
			long pid = getpid(), tid = gettid(), ret;
			uint64_t back;

			/*
			 * xmm7 holds our value across the signal: the kernel
			 * saves it in the signal frame and rt_sigreturn must
			 * put it back.  One asm block, so that nothing of
			 * ours can touch xmm7 in between.
			 */
			asm volatile("movq %[v], %%xmm7\n\t"
				     "syscall\n\t"
				     "movq %%xmm7, %[b]"
				     : [b] "=r"(back), "=a"(ret)
				     : [v] "r"(mine), "a"((long)SYS_tgkill),
				       "D"(pid), "S"(tid), "d"((long)SIGUSR1)
				     : "rcx", "r11", "xmm7", "memory");
			(void)ret;
			r->signals++;
			if (back != mine) {
				snprintf(r->why, sizeof(r->why),
					 "xmm7 %#llx after a signal, expected %#llx",
					 (unsigned long long)back,
					 (unsigned long long)mine);
				r->bad = 1;
				return NULL;
			}
		}
		sched_yield();
		r->loops++;
	}
	return NULL;
}

static int child(void)
{
	pthread_t tid[64];
	struct result res[64];
	struct sigaction sa;
	int bad = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	memset(res, 0, sizeof(res));
	for (int i = 1; i < nthreads; i++)
		if (pthread_create(&tid[i], NULL, worker, &res[i])) {
			fprintf(stderr, "fsbase-probe: pthread_create failed\n");
			return 2;
		}
	worker(&res[0]);
	for (int i = 1; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	for (int i = 0; i < nthreads; i++)
		if (res[i].bad) {
			printf("# pid %d thread %d: %s\n", getpid(), i,
			       res[i].why);
			bad = 1;
		}
	printf("# pid %d: %lu loops, %lu signals in %d threads\n", getpid(),
	       res[0].loops, res[0].signals, nthreads);
	fflush(stdout);
	return bad;
}

int main(int argc, char **argv)
{
	const struct vmopt opts[] = {
		VMOPT_NUM("seconds", 's', "N", "run time", NULL, &seconds, 1,
			  86400),
		VMOPT_NUM("procs", 'p', "N", "processes", NULL, &nprocs, 1,
			  256),
		VMOPT_NUM("threads", 't', "N", "threads per process, 1-64",
			  NULL, &nthreads, 1, 64),
		{ }
	};
	pid_t pids[256];
	int failed = 0;

	vmopt_parse(argc, argv, opts,
		"Check that threads keep their FS base, TLS and SSE state.\n");
	printf("1..%d\n", nprocs);
	fflush(stdout);
	for (int i = 0; i < nprocs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			fprintf(stderr, "fsbase-probe: fork: %s\n",
				strerror(errno));
			return 2;
		}
		if (pids[i] == 0)
			_exit(child());
	}
	for (int i = 0; i < nprocs; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) < 0) {
			printf("not ok %d - process %d: waitpid: %s\n", i + 1,
			       i, strerror(errno));
			failed++;
		} else if (WIFSIGNALED(st)) {
			printf("not ok %d - process %d killed by signal %d\n",
			       i + 1, i, WTERMSIG(st));
			failed++;
		} else if (WEXITSTATUS(st)) {
			printf("not ok %d - process %d: state lost\n", i + 1, i);
			failed++;
		} else {
			printf("ok %d - process %d kept FS base, TLS and SSE\n",
			       i + 1, i);
		}
	}
	return failed ? 1 : 0;
}
