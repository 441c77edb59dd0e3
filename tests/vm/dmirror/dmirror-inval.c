// SPDX-License-Identifier: GPL-2.0
/*
 * dmirror-inval: which ranges the notifier core invalidates, and what the
 * mirror drops, after munmap, mremap, mprotect, madvise and fork.
 *
 * Each case maps a small anonymous region between two PROT_NONE guards (so
 * that it never merges with a neighbour), mirrors all of it through
 * /dev/hmm_dmirror0, drains the device's invalidation log, does one VMA
 * operation, and then checks:
 *  - every logged invalidation that touches the region has exactly the
 *    expected range and event, and together they dropped exactly the
 *    expected number of device page table entries;
 *  - pages outside that range are still mirrored (READ needs no fault);
 *  - pages inside it fault again, or fail as the new mapping requires.
 *
 * Output is TAP.  With --transcript FILE every observation is also written
 * there, with addresses relative to the region, so that two runs (one per
 * back end of the core) can be compared line by line by dmirror-agree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dmirror_uapi.h"
#include "vmopt.h"

#define NPAGES	8

static long psz;
static int failures, ntests;
static FILE *transcript;
static const char *device = "/dev/hmm_dmirror0";

struct region {
	char *guard;	/* NPAGES + 2 pages reserved */
	char *buf;	/* the NPAGES mirrored ones */
	int fd;
	int ok;		/* no check of the current case failed yet */
	const char *name;
};

static const char *event_name(unsigned int ev)
{
	static const char *const names[] = {
		"unmap", "clear", "protection_vma", "protection_page",
		"soft_dirty", "release", "migrate", "exclusive",
	};

	return ev < sizeof(names) / sizeof(names[0]) ? names[ev] : "other";
}

static void note(struct region *r, const char *fmt, ...)
{
	va_list ap;

	if (!transcript)
		return;
	fprintf(transcript, "%s: ", r->name);
	va_start(ap, fmt);
	vfprintf(transcript, fmt, ap);
	va_end(ap);
	fputc('\n', transcript);
}

static void check(struct region *r, int cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return;
	r->ok = 0;
	printf("# %s: ", r->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int mirror_cmd(struct region *r, unsigned long req, char *addr,
		      void *ptr, unsigned long npages,
		      struct hmm_dmirror_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->addr = (uintptr_t)addr;
	cmd->ptr = (uintptr_t)ptr;
	cmd->npages = npages;
	for (;;) {
		if (!ioctl(r->fd, req, cmd))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* READ pages [first, first + n) of the region and record the outcome. */
static int mirror_read(struct region *r, long first, long n, char *out)
{
	struct hmm_dmirror_cmd cmd;
	int ret;

	ret = mirror_cmd(r, HMM_DMIRROR_READ, r->buf + first * psz, out, n,
			 &cmd);
	note(r, "read %ld+%ld: ret=%d cpages=%llu faults=%llu", first, n, ret,
	     (unsigned long long)cmd.cpages, (unsigned long long)cmd.faults);
	return ret ? ret : (int)cmd.faults;
}

static int mirror_write(struct region *r, long first, long n, char *in)
{
	struct hmm_dmirror_cmd cmd;
	int ret;

	ret = mirror_cmd(r, HMM_DMIRROR_WRITE, r->buf + first * psz, in, n,
			 &cmd);
	note(r, "write %ld+%ld: ret=%d cpages=%llu faults=%llu", first, n, ret,
	     (unsigned long long)cmd.cpages, (unsigned long long)cmd.faults);
	return ret ? ret : (int)cmd.faults;
}

static int drain_log(struct region *r, struct dmirror_inval *ev, int max)
{
	struct dmirror_inval_log log = {
		.ptr = (uintptr_t)ev, .max = max,
	};

	if (ioctl(r->fd, DMIRROR_INVAL_LOG, &log))
		return -errno;
	return log.count;
}

static int region_setup(struct region *r, const char *name)
{
	struct hmm_dmirror_cmd cmd;
	struct dmirror_inval ev[64];
	long i;

	memset(r, 0, sizeof(*r));
	r->name = name;
	r->ok = 1;
	r->fd = open(device, O_RDWR);
	if (r->fd < 0) {
		printf("# %s: open %s: %s\n", name, device, strerror(errno));
		return -1;
	}
	r->guard = mmap(NULL, (NPAGES + 2) * psz, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->guard == MAP_FAILED)
		return -1;
	r->buf = mmap(r->guard + psz, NPAGES * psz, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (r->buf == MAP_FAILED)
		return -1;
	for (i = 0; i < NPAGES * psz; i++)
		r->buf[i] = (char)(i / psz + 1);

	/* Mirror every page writable, then forget what that logged. */
	if (mirror_cmd(r, HMM_DMIRROR_WRITE, r->buf, r->buf, NPAGES, &cmd) ||
	    cmd.cpages != NPAGES) {
		printf("# %s: initial mirror failed\n", name);
		return -1;
	}
	while (drain_log(r, ev, 64) > 0)
		;
	return 0;
}

static void region_teardown(struct region *r)
{
	if (r->guard && r->guard != MAP_FAILED)
		munmap(r->guard, (NPAGES + 2) * psz);
	if (r->fd >= 0)
		close(r->fd);
}

/*
 * Check the log against one expected invalidation [first, first + n)
 * pages of the region, by @event, dropping @dropped entries in all.
 */
static void expect_inval(struct region *r, long first, long n,
			 unsigned int event, long dropped)
{
	uintptr_t lo = (uintptr_t)r->buf, hi = lo + NPAGES * psz;
	uintptr_t want_s = lo + first * psz, want_e = want_s + n * psz;
	struct dmirror_inval ev[128];
	long total = 0, seen = 0;
	int i, cnt;

	cnt = drain_log(r, ev, 128);
	check(r, cnt >= 0, "DMIRROR_INVAL_LOG: %s", strerror(-cnt));
	for (i = 0; i < cnt; i++) {
		if (ev[i].end <= lo || ev[i].start >= hi)
			continue;
		seen++;
		total += ev[i].dropped;
		note(r, "inval %+lld..%+lld pages %s dropped=%llu",
		     (long long)((intptr_t)(ev[i].start - lo) / psz),
		     (long long)((intptr_t)(ev[i].end - lo) / psz),
		     event_name(ev[i].event),
		     (unsigned long long)ev[i].dropped);
		check(r, ev[i].start == want_s && ev[i].end == want_e,
		      "invalidation [%#llx, %#llx), expected [%#lx, %#lx)",
		      (unsigned long long)ev[i].start,
		      (unsigned long long)ev[i].end,
		      (unsigned long)want_s, (unsigned long)want_e);
		check(r, ev[i].event == event, "event %s, expected %s",
		      event_name(ev[i].event), event_name(event));
	}
	check(r, seen > 0, "no invalidation touched the region");
	check(r, total == dropped, "%ld entries dropped, expected %ld",
	      total, dropped);
}

/* Pages [first, first + n) are still mirrored: READ needs no fault. */
static void expect_mirrored(struct region *r, long first, long n)
{
	char *out = malloc(n * psz);
	int ret = mirror_read(r, first, n, out);

	check(r, ret == 0, "pages %ld+%ld: READ gave %d, expected no fault",
	      first, n, ret);
	free(out);
}

static void report(struct region *r)
{
	ntests++;
	if (!r->ok)
		failures++;
	printf("%sok %d - %s\n", r->ok ? "" : "not ", ntests, r->name);
	fflush(stdout);
}

static void case_munmap(void)
{
	struct region r;
	char *out = malloc(psz);

	if (region_setup(&r, "munmap_middle") == 0) {
		check(&r, munmap(r.buf + 2 * psz, 2 * psz) == 0, "munmap");
		expect_inval(&r, 2, 2, DMIRROR_EVENT_UNMAP, 2);
		expect_mirrored(&r, 0, 2);
		expect_mirrored(&r, 4, 4);
		check(&r, mirror_read(&r, 2, 1, out) == -EFAULT,
		      "READ of an unmapped page must fail with EFAULT");
	} else {
		r.ok = 0;
	}
	report(&r);
	region_teardown(&r);
	free(out);
}

static void case_mremap(void)
{
	struct region r;
	char *dst, *moved, *out = malloc(2 * psz);
	struct hmm_dmirror_cmd cmd;

	dst = mmap(NULL, 2 * psz, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (region_setup(&r, "mremap_move") == 0 && dst != MAP_FAILED) {
		moved = mremap(r.buf + 2 * psz, 2 * psz, 2 * psz,
			       MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		check(&r, moved == dst, "mremap: %s", strerror(errno));
		expect_inval(&r, 2, 2, DMIRROR_EVENT_UNMAP, 2);
		expect_mirrored(&r, 0, 2);
		expect_mirrored(&r, 4, 4);
		/* The moved pages are new to the mirror, same data. */
		check(&r, mirror_cmd(&r, HMM_DMIRROR_READ, dst, out, 2,
				     &cmd) == 0 && cmd.faults == 1,
		      "READ at the new address: faults %llu",
		      (unsigned long long)cmd.faults);
		note(&r, "read moved: cpages=%llu faults=%llu",
		     (unsigned long long)cmd.cpages,
		     (unsigned long long)cmd.faults);
		check(&r, out[0] == 3 && out[psz] == 4,
		      "moved data %d %d, expected 3 4", out[0], out[psz]);
	} else {
		r.ok = 0;
	}
	report(&r);
	region_teardown(&r);
	if (dst != MAP_FAILED)
		munmap(dst, 2 * psz);
	free(out);
}

static void case_mprotect(void)
{
	struct region r;
	char *out = malloc(psz);

	if (region_setup(&r, "mprotect_readonly") == 0) {
		check(&r, mprotect(r.buf + 2 * psz, 2 * psz, PROT_READ) == 0,
		      "mprotect");
		expect_inval(&r, 2, 2, DMIRROR_EVENT_PROTECTION_VMA, 2);
		expect_mirrored(&r, 0, 2);
		expect_mirrored(&r, 4, 4);
		check(&r, mirror_read(&r, 2, 1, out) == 1,
		      "READ of a read-only page must fault once");
		check(&r, out[0] == 3, "read %d, expected 3", out[0]);
		check(&r, mirror_write(&r, 2, 1, out) == -EPERM,
		      "WRITE of a read-only page must fail with EPERM");
	} else {
		r.ok = 0;
	}
	report(&r);
	region_teardown(&r);
	free(out);
}

static void case_madvise(void)
{
	struct region r;
	char *out = malloc(psz);

	if (region_setup(&r, "madvise_dontneed") == 0) {
		check(&r, madvise(r.buf + psz, psz, MADV_DONTNEED) == 0,
		      "madvise");
		expect_inval(&r, 1, 1, DMIRROR_EVENT_CLEAR, 1);
		expect_mirrored(&r, 0, 1);
		expect_mirrored(&r, 2, 6);
		/* The page is gone: the mirror faults in a zero page. */
		check(&r, mirror_read(&r, 1, 1, out) == 1,
		      "READ of a dropped page must fault once");
		check(&r, out[0] == 0, "read %d, expected 0", out[0]);
	} else {
		r.ok = 0;
	}
	report(&r);
	region_teardown(&r);
	free(out);
}

static void case_fork(void)
{
	struct region r;
	char *in = malloc(psz);
	pid_t pid;
	int status;

	if (region_setup(&r, "fork_cow") == 0) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		check(&r, pid > 0 && waitpid(pid, &status, 0) == pid,
		      "fork");
		/* Write-protected for copy-on-write: the whole VMA. */
		expect_inval(&r, 0, NPAGES, DMIRROR_EVENT_PROTECTION_PAGE,
			     NPAGES);
		memset(in, 0x5a, psz);
		check(&r, mirror_write(&r, 0, 1, in) == 1,
		      "WRITE after fork must fault once (COW)");
		check(&r, r.buf[0] == 0x5a, "CPU sees %#x, expected 0x5a",
		      r.buf[0]);
	} else {
		r.ok = 0;
	}
	report(&r);
	region_teardown(&r);
	free(in);
}

/* --transcript FILE: every range the mirror saw, written to FILE. */
static int open_transcript(const char *path)
{
	transcript = fopen(path, "w");
	if (!transcript) {
		fprintf(stderr, "dmirror-inval: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct vmopt opts[] = {
		VMOPT_STR("device", 'd', "PATH", "the mirror's node", NULL,
			  &device),
		VMOPT_FN("transcript", 't', "FILE",
			 "also write every observation to FILE", "",
			 open_transcript),
		{ }
	};

	vmopt_parse(argc, argv, opts,
		"Check the invalidation ranges dmirror sees after munmap,\n"
		"mremap, mprotect, madvise and fork; TAP on stdout.\n");
	psz = sysconf(_SC_PAGESIZE);

	printf("TAP version 13\n1..5\n");
	case_munmap();
	case_mremap();
	case_mprotect();
	case_madvise();
	case_fork();
	if (transcript)
		fclose(transcript);
	return failures ? 1 : 0;
}
