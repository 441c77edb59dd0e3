// SPDX-License-Identifier: GPL-2.0
/*
 * dmirror-life: the ends of a mirror that upstream's lib/test_hmm.c fixes
 * after 6.1 are about, as far as they apply to a mirror without device
 * memory (docs/dmirror.md, "Upstream test_hmm fixes after 6.1"):
 *
 *  - mm-gone: the opener exits while another process still holds the file.
 *    Its data ioctls answer EPERM, the device's own ioctls still work,
 *    and the last close, after the mm is gone, frees the mirror cleanly.
 *  - close-race: files are closed while another thread of the same mm
 *    keeps invalidating mirrored pages (munmap), and while READs fault.
 *  - exit-race: a process exits while a thread is inside a READ that
 *    faults; the exit must finish and the file close cleanly.
 *
 * A use-after-free here shows as an oops or a warning, which fails the
 * harness's log check; the results below check what userspace sees.
 * Output is TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dmirror_uapi.h"
#include "vmopt.h"

#define NPAGES 64

static const char *device = "/dev/hmm_dmirror0";
static long psz;
static int ntests, failures;

static void result(int pass, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void result(int pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!pass)
		failures++;
}

static int dm_cmd(int fd, unsigned long op, void *addr, void *buf,
		  unsigned long npages)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr, .ptr = (uintptr_t)buf,
		.npages = npages,
	};

	return ioctl(fd, op, &cmd) ? -errno : 0;
}

static void *anon(unsigned long npages)
{
	void *p = mmap(NULL, npages * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, npages * psz);
	return p;
}

/*
 * The holder's checks, as bits: 1 READ was not EPERM, 2 STATS failed,
 * 4 INVAL_LOG failed, 8 close failed.  @gone gives EOF once the opener
 * has exited (exit_mm runs before exit_files).
 */
static unsigned char mm_gone_holder(int fd, int gone)
{
	struct dmirror_inval_log log;
	struct dmirror_stats st;
	char buf[4096], c;
	unsigned char bad = 0;

	while (read(gone, &c, 1) > 0)
		;
	if (dm_cmd(fd, HMM_DMIRROR_READ, buf, buf, 1) != -EPERM)
		bad |= 1;
	if (ioctl(fd, DMIRROR_STATS, &st))
		bad |= 2;
	memset(&log, 0, sizeof(log));
	if (ioctl(fd, DMIRROR_INVAL_LOG, &log))
		bad |= 4;
	/* The last reference: the mirror is freed after its mm. */
	if (close(fd))
		bad |= 8;
	return bad;
}

static void t_mm_gone(void)
{
	int gone[2], res[2], st = 0;
	unsigned char bits = 0xff;
	pid_t a;

	if (pipe(gone) || pipe(res)) {
		result(0, "mm-gone: pipes (%s)", strerror(errno));
		return;
	}
	a = fork();
	if (a == 0) {
		/* The opener: mirror a range, hand the file on, exit. */
		char *buf = malloc(NPAGES * psz), *p = anon(NPAGES);
		int fd = open(device, O_RDWR);

		close(res[0]);
		if (fd < 0 || !buf || !p ||
		    dm_cmd(fd, HMM_DMIRROR_READ, p, buf, NPAGES))
			_exit(100);
		if (fork() == 0) {
			/* The holder: the file, not the opener's mm. */
			close(gone[1]);
			bits = mm_gone_holder(fd, gone[0]);
			_exit(write(res[1], &bits, 1) == 1 ? 0 : 1);
		}
		/* Exiting closes gone[1]: the holder's signal. */
		_exit(0);
	}
	close(gone[0]);
	close(gone[1]);
	close(res[1]);
	waitpid(a, &st, 0);
	result(WIFEXITED(st) && !WEXITSTATUS(st),
	       "mm-gone: the opener mirrored %d pages and exited (%d)", NPAGES,
	       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	if (read(res[0], &bits, 1) != 1)
		bits = 0xff;
	close(res[0]);
	result(!(bits & 1), "mm-gone: READ from another mm -> EPERM");
	result(!(bits & 6), "mm-gone: STATS and INVAL_LOG still answer");
	result(!(bits & 8), "mm-gone: the last close after the mm died");
}

struct churn {
	atomic_int stop;
	atomic_long rounds;
};

/* Map, touch and unmap anonymous memory: invalidations of every mirror. */
static void *churn_thread(void *arg)
{
	struct churn *c = arg;

	while (!atomic_load(&c->stop)) {
		char *p = anon(NPAGES);

		if (p)
			munmap(p, NPAGES * psz);
		atomic_fetch_add(&c->rounds, 1);
	}
	return NULL;
}

static void t_close_race(void)
{
	struct churn c = { 0 };
	char *buf = malloc(NPAGES * psz);
	unsigned int i, opened = 0, bad = 0;
	pthread_t th[2];

	if (!buf) {
		result(0, "close-race: buffer");
		return;
	}
	pthread_create(&th[0], NULL, churn_thread, &c);
	pthread_create(&th[1], NULL, churn_thread, &c);
	for (i = 0; i < 400; i++) {
		char *p = anon(NPAGES);
		int fd = open(device, O_RDWR), r;

		if (fd < 0 || !p) {
			bad++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		opened++;
		r = dm_cmd(fd, HMM_DMIRROR_READ, p, buf, NPAGES);
		if (r && r != -EBUSY)
			bad++;
		/* Close while the other threads invalidate. */
		if (close(fd))
			bad++;
		munmap(p, NPAGES * psz);
	}
	atomic_store(&c.stop, 1);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	result(opened == 400 && !bad,
	       "close-race: 400 mirrors read and closed during %ld munmaps "
	       "(%u errors)", atomic_load(&c.rounds), bad);
	free(buf);
}

struct reader {
	int fd;
	char *p, *buf;
};

static void *read_loop(void *arg)
{
	struct reader *r = arg;

	for (;;) {
		dm_cmd(r->fd, HMM_DMIRROR_READ, r->p, r->buf, 16 * NPAGES);
		madvise(r->p, 16 * NPAGES * psz, MADV_DONTNEED);
	}
	return NULL;
}

static void t_exit_race(void)
{
	unsigned int i, ok = 0;

	for (i = 0; i < 20; i++) {
		pid_t pid = fork();
		int st = 0;

		if (pid == 0) {
			struct reader r;
			pthread_t th;

			r.fd = open(device, O_RDWR);
			r.p = anon(16 * NPAGES);
			r.buf = malloc(16 * NPAGES * psz);
			if (r.fd < 0 || !r.p || !r.buf)
				_exit(1);
			pthread_create(&th, NULL, read_loop, &r);
			usleep(1000 + i * 1500);
			/* exit_group with the READ thread mid-fault. */
			_exit(0);
		}
		waitpid(pid, &st, 0);
		ok += WIFEXITED(st) && !WEXITSTATUS(st);
	}
	result(ok == 20, "exit-race: 20 processes exited with a READ in "
	       "flight (%u clean)", ok);
}

int main(int argc, char **argv)
{
	const struct vmopt opts[] = {
		VMOPT_STR("device", 'd', "PATH", "the mirror's node", NULL,
			  &device),
		{ }
	};

	vmopt_parse(argc, argv, opts,
		"Close, exit and mm-teardown races of a mirror; prints TAP.\n");
	psz = sysconf(_SC_PAGESIZE);
	printf("TAP version 13\n");
	t_mm_gone();
	t_close_race();
	t_exit_race();
	printf("1..%d\n", ntests);
	return failures ? 1 : 0;
}
