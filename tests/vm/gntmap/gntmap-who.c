// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap-who: the listing of who holds which grants
 * (/sys/kernel/debug/gntmap/maps, drivers/gntmap/who.c) and the CLI
 * built on it (tools/gntmap: ps, domain, watch), against real grants.
 *
 *  list    a map of the sharer's pages with an unmap notification: the
 *          listing names this process as opener and as the mm, the
 *          domain, count, refs, access, range and notify; `gntmap ps` and
 *          `gntmap domain` (text and --json) name it; an unknown domain
 *          is an empty answer with exit 0; `gntmap watch -n 2` prints
 *          two lines of rates.
 *  pin     pages pinned in a pipe (vmsplice) when the map is munmapped:
 *          the listing shows them pending, for the map and the domain,
 *          and they clear once the pipe is drained.
 *  trace   the tracepoints (events/gntmap in tracefs, mounted if it is
 *          not): a map cycle with an unmap notification, a GRANT_COPY
 *          and a deferred unmap, each event with its fields.
 *  zombie  the operator's case: a domain built paused (refs 0 and 1
 *          granted to dom0 by the builder), a dom0 process that maps its
 *          ref 0 and stays alive, `xl destroy`: the domain stays a zombie
 *          in `xl list`, `gntmap domain N` names the process (pid and
 *          comm); kill it, and the domain leaves `xl list` in a bounded
 *          wait.  The transcript is printed as TAP comments.
 *
 * Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gmtest.h"
#include "tap.h"
#include "testdom.h"
#include "vmopt.h"

#define WHO_PATH	"/sys/kernel/debug/gntmap/maps"
#define CLI		"/opt/gntmap/bin/gntmap"
#define NLIST		4
#define NPIN		8
#define ZOMBIE_NAME	"gm-zombie"
#define HOLDER_COMM	"gm-holder"

static struct gm_dev dev = { .name = "gntmap", .path = "/dev/xen/gntmap" };
static struct testdom *td;
static uint32_t domid;
static const char *zombie_cfg = "/etc/xen/configs/sharer.cfg";

#define T(cond, ...) tap_ok((cond), __VA_ARGS__)

/* The whole listing, NUL-terminated; NULL if it cannot be read. */
static char *who_read(void)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size);
	FILE *f = fopen(WHO_PATH, "r");
	size_t r;

	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	while ((r = fread(buf + len, 1, size - len - 1, f)) > 0) {
		len += r;
		if (len + 1 == size) {
			char *n = realloc(buf, size * 2);

			if (!n)
				break;
			buf = n;
			size *= 2;
		}
	}
	buf[len] = 0;
	fclose(f);
	return buf;
}

/* Does @line (up to its newline) hold the field " key=val"? */
static bool field_is(const char *line, const char *key, const char *val)
{
	const char *end = strchr(line, '\n');
	char pat[128];
	const char *p;
	size_t n;

	if (!end)
		end = line + strlen(line);
	n = snprintf(pat, sizeof(pat), " %s=%s", key, val);
	for (p = line; (p = strstr(p, pat)) && p < end; p++)
		if (p[n] == ' ' || p[n] == '\n' || p[n] == 0)
			return true;
	return false;
}

/*
 * The first line of kind @kind in @buf whose field @key is @val (and
 * @key2 is @val2, when given); NULL if none.
 */
static const char *who_line(const char *buf, const char *kind,
			    const char *key, const char *val,
			    const char *key2, const char *val2)
{
	size_t klen = strlen(kind);
	const char *l;

	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, kind, klen) || l[klen] != ' ')
			continue;
		if (field_is(l, key, val) && (!key2 || field_is(l, key2, val2)))
			return l;
	}
	return NULL;
}

/* The number in field @key of @line, or -1. */
static long field_num(const char *line, const char *key)
{
	const char *end = strchr(line, '\n');
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(line, pat);
	if (!p || (end && p > end))
		return -1;
	return strtol(p + strlen(pat), NULL, 10);
}

/* Print one line of the listing as a TAP comment. */
static void diag_line(const char *what, const char *l)
{
	int n = l ? (int)strcspn(l, "\n") : 0;

	tap_diag("%s: %.*s", what, n, l ? l : "(none)");
}

/* Run @cmd; its output (also as TAP comments) into @out; exit status. */
static int run(const char *cmd, char *out, size_t size)
{
	size_t len = 0;
	char line[512];
	FILE *p;
	int st;

	tap_diag("# %s", cmd);
	out[0] = 0;
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		tap_diag("%s", strtok(line, "\n") ? line : "");
		len += snprintf(out + len, len < size ? size - len : 0,
				"%s\n", line);
		if (len >= size)
			len = size - 1;
	}
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * A kernel address as %px or %lx prints it: 16 hex digits from ffff.  A
 * user address is shorter, though it may hold "ffff" (0x7f...ffff1000).
 */
static bool kernel_address_in(const char *buf)
{
	const char *p;
	size_t n;

	for (p = buf; *p; p += n ? n : 1) {
		n = strspn(p, "0123456789abcdefABCDEF");
		if (n >= 16 && !strncasecmp(p, "ffff", 4))
			return true;
	}
	return false;
}

/* Lines in @s. */
static unsigned int nlines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * `gntmap ps` as user nobody: its stdout and stderr into @out; exit
 * status, or -1.
 */
static int ps_as_nobody(char *out, size_t size)
{
	ssize_t len = 0, r;
	int p[2], st;
	pid_t pid;

	tap_diag("# (as uid 65534) " CLI " ps");
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (setgid(65534) || setuid(65534))
			_exit(99);
		execl(CLI, "gntmap", "ps", (char *)NULL);
		_exit(98);
	}
	close(p[1]);
	while (pid > 0 && len < (ssize_t)size - 1 &&
	       (r = read(p[0], out + len, size - 1 - len)) > 0)
		len += r;
	out[len] = 0;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	tap_diag("%.*s", (int)strcspn(out, "\n"), out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char mypid[16];

/* list: one map, the listing and the CLI name it. */
static void t_list(void)
{
	struct ioctl_gntdev_unmap_notify un = { 0 };
	uint32_t refs[NLIST];
	char want[64], out[8192], cmd[128], dom[16];
	const char *l;
	uint64_t off;
	uint8_t *m;
	char *buf;
	int fd, r;

	r = testdom_share(td, NLIST, true, 0x1900a001, refs);
	if (!T(r == 0, "list: domU shares %u pages (%s)", NLIST, strerror(-r)))
		return;
	fd = open(dev.path, O_RDWR | O_CLOEXEC);
	m = fd >= 0 ? gm_map(fd, domid, refs, NLIST, PROT_READ | PROT_WRITE,
			     &off) : NULL;
	if (!T(m, "list: map %u pages read-write (%s)", NLIST, strerror(errno)))
		goto out;
	un.index = off + 5;
	un.action = UNMAP_NOTIFY_CLEAR_BYTE;
	T(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == 0,
	  "list: SET_UNMAP_NOTIFY clear byte 5");

	snprintf(dom, sizeof(dom), "%u", domid);
	buf = who_read();
	if (!T(buf, "list: " WHO_PATH " reads (%s)", strerror(errno))) {
		gm_unmap(fd, m, NLIST, off);
		goto out;
	}
	l = who_line(buf, "file", "pid", mypid, NULL, NULL);
	diag_line("list", l);
	T(l, "list: a file line names this process as opener (pid %s)", mypid);
	l = who_line(buf, "map", "pid", mypid, "domid", dom);
	diag_line("list", l);
	T(l && field_is(l, "mm_pid", mypid) && field_is(l, "comm", "gntmap-who") &&
	  field_num(l, "count") == NLIST && field_num(l, "mapped") == NLIST &&
	  field_num(l, "pending") == 0 && field_is(l, "access", "rw") &&
	  field_is(l, "notify", "clear@5"),
	  "list: the map line: this pid and comm, mm, count %u, all mapped, rw, clear@5",
	  NLIST);
	snprintf(want, sizeof(want), "0x%lx-0x%lx", (unsigned long)m,
		 (unsigned long)m + NLIST * GM_PAGE);
	T(l && field_is(l, "range", want), "list: range %s", want);
	snprintf(want, sizeof(want), "%u,%u,%u,%u", refs[0], refs[1], refs[2],
		 refs[3]);
	T(l && field_is(l, "refs", want), "list: refs %s", want);
	l = who_line(buf, "domain", "id", dom, NULL, NULL);
	diag_line("list", l);
	T(l && field_num(l, "maps") >= 1 && field_num(l, "mapped") >= NLIST,
	  "list: the domain line counts the map and its pages");
	T(!kernel_address_in(buf), "list: no kernel address in the listing");
	free(buf);

	r = run(CLI " ps", out, sizeof(out));
	snprintf(want, sizeof(want), "\n%-8s gntmap-who ", mypid);
	T(r == 0 && strstr(out, want), "list: gntmap ps names this process (exit %d)", r);
	snprintf(cmd, sizeof(cmd), CLI " domain %u", domid);
	r = run(cmd, out, sizeof(out));
	snprintf(want, sizeof(want), "\n%-8s gntmap-who       mmap ", mypid);
	T(r == 0 && strstr(out, want), "list: gntmap domain %u names it (exit %d)",
	  domid, r);
	snprintf(cmd, sizeof(cmd), CLI " --json domain %u", domid);
	r = run(cmd, out, sizeof(out));
	snprintf(want, sizeof(want), "{\"pid\":%s,\"comm\":\"gntmap-who\",\"how\":\"mmap\"",
		 mypid);
	T(r == 0 && strstr(out, want), "list: --json domain names it (exit %d)", r);
	r = run(CLI " --json domain 32000", out, sizeof(out));
	T(r == 0 && strstr(out, "\"holders\":[]") && strstr(out, "\"maps\":0"),
	  "list: an unknown domain is an empty answer, exit 0 (exit %d)", r);
	r = run(CLI " watch -n 2", out, sizeof(out));
	T(r == 0 && strstr(out, "invalidations/s") && nlines(out) == 3,
	  "list: gntmap watch -n 2 prints a header and two lines (exit %d)", r);
	r = run(CLI " --json watch -n 1", out, sizeof(out));
	T(r == 0 && strstr(out, "{\"live_maps\":") && strstr(out, "\"invalidations_per_s\":"),
	  "list: gntmap --json watch -n 1 (exit %d)", r);
	r = ps_as_nobody(out, sizeof(out));
	T(r == 1 && strstr(out, "root only") && nlines(out) == 1,
	  "list: not root: one line, exit 1 (exit %d)", r);

	T(gm_unmap(fd, m, NLIST, off) == 0, "list: munmap and unmap");
	buf = who_read();
	T(buf && !who_line(buf, "map", "pid", mypid, "domid", dom),
	  "list: the map is gone from the listing");
	free(buf);
out:
	if (fd >= 0)
		close(fd);
	r = testdom_end_all_wait(td, 5000);
	T(r == 0, "list: the domU ends every grant (%d left)", r);
}

/* pin: the listing shows pinned pages pending until the pin goes. */
static void t_pin(void)
{
	static uint8_t sink[NPIN * GM_PAGE];
	uint32_t refs[NPIN];
	char dom[16], out[8192], cmd[128];
	const char *l;
	uint64_t off;
	uint8_t *m;
	char *buf;
	int fd, p[2] = { -1, -1 }, r, i;
	long pending = -1;

	r = testdom_share(td, NPIN, true, 0x1900b001, refs);
	if (!T(r == 0, "pin: domU shares %u pages (%s)", NPIN, strerror(-r)))
		return;
	snprintf(dom, sizeof(dom), "%u", domid);
	fd = open(dev.path, O_RDWR | O_CLOEXEC);
	m = fd >= 0 ? gm_map(fd, domid, refs, NPIN, PROT_READ | PROT_WRITE,
			     &off) : NULL;
	if (!T(m, "pin: map %u pages (%s)", NPIN, strerror(errno)))
		goto out;
	if (!T(!pipe2(p, O_CLOEXEC) &&
	       fcntl(p[1], F_SETPIPE_SZ, 2 * NPIN * GM_PAGE) >= 0 &&
	       gm_pin_pages(p[1], m, NPIN),
	       "pin: vmsplice() pins the %u pages (%s)", NPIN, strerror(errno))) {
		gm_unmap(fd, m, NPIN, off);
		goto out;
	}
	T(munmap(m, NPIN * GM_PAGE) == 0, "pin: munmap returns");
	buf = who_read();
	l = buf ? who_line(buf, "map", "pid", mypid, "domid", dom) : NULL;
	diag_line("pin", l);
	T(l && field_num(l, "pending") == NPIN && field_is(l, "mm_pid", "-"),
	  "pin: the listing shows the %u pages pending, no mm", NPIN);
	l = buf ? who_line(buf, "domain", "id", dom, NULL, NULL) : NULL;
	diag_line("pin", l);
	T(l && field_num(l, "pending") >= NPIN,
	  "pin: the domain's total shows them pending");
	free(buf);
	snprintf(cmd, sizeof(cmd), CLI " domain %u", domid);
	r = run(cmd, out, sizeof(out));
	T(r == 0 && strstr(out, " file "), "pin: gntmap domain shows the pending map (exit %d)", r);

	/* Drain: the deferred unmap retries within milliseconds. */
	T(read(p[0], sink, sizeof(sink)) == (ssize_t)sizeof(sink),
	  "pin: the pipe is drained");
	close(p[0]);
	close(p[1]);
	p[0] = p[1] = -1;
	for (i = 0; i < 50; i++) {
		buf = who_read();
		l = buf ? who_line(buf, "map", "pid", mypid, "domid", dom) : NULL;
		pending = l ? field_num(l, "pending") : -1;
		if (pending == 0)
			diag_line("pin", l);
		free(buf);
		if (pending == 0)
			break;
		usleep(100000);
	}
	T(pending == 0, "pin: the pending pages clear once the pin goes (%ld)",
	  pending);
	T(gm_unmap_refs(fd, off, NPIN) == 0, "pin: UNMAP_GRANT_REF");
out:
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	if (fd >= 0)
		close(fd);
	r = testdom_end_all_wait(td, 5000);
	T(r == 0, "pin: the domU ends every grant (%d left)", r);
}

/* tracefs: where it is mounted, mounting it if nobody did. */
static const char *tracefs(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
	}
	if (mount("nodev", dirs[0], "tracefs", 0, NULL))
		return NULL;
	tap_diag("mounted tracefs on %s", dirs[0]);
	return dirs[0];
}

static bool trace_write(const char *dir, const char *file, const char *v)
{
	char path[192];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, v, strlen(v)) == (ssize_t)strlen(v);
	close(fd);
	return ok;
}

/* The first line of @buf that holds every one of @n strings, or NULL. */
static const char *trace_find(const char *buf, unsigned int n,
			      const char *const *want)
{
	const char *l, *end;
	unsigned int i;

	for (l = buf; l && *l; l = end ? end + 1 : NULL) {
		char line[512];

		end = strchr(l, '\n');
		snprintf(line, sizeof(line), "%.*s",
			 (int)(end ? end - l : (long)strlen(l)), l);
		for (i = 0; i < n && strstr(line, want[i]); i++)
			;
		if (i == n)
			return l;
	}
	return NULL;
}

#define TRACE_HAS(what, ...)						\
	do {								\
		const char *const w_[] = { __VA_ARGS__ };		\
		const char *l_ = trace_find(buf, sizeof(w_) / sizeof(w_[0]), w_); \
		diag_line("trace", l_);					\
		T(l_, "trace: %s", what);				\
	} while (0)

/*
 * trace: the events of one map cycle, a GRANT_COPY and a deferred unmap,
 * with their fields, read back from tracefs.
 */
static void t_trace(void)
{
	struct ioctl_gntdev_unmap_notify un = { 0 };
	struct ioctl_gntdev_grant_copy_segment seg;
	struct ioctl_gntdev_grant_copy cp = { .count = 1, .segments = &seg };
	char dom[32], cnt[32], rng[80], path[192];
	static uint8_t sink[GM_PAGE];
	uint8_t local[16];
	uint32_t refs[NLIST];
	const char *dir;
	int fd = -1, r, p[2] = { -1, -1 };
	uint64_t off;
	uint8_t *m;
	char *buf = NULL;
	FILE *f;
	size_t len = 0;

	dir = tracefs();
	if (!dir) {
		tap_skip("tracefs is not available", "trace: tracefs (%s)",
			 strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/events/gntmap/enable", dir);
	if (!T(!access(path, W_OK), "trace: %s exists", path))
		return;
	r = testdom_share(td, NLIST, true, 0x1900c001, refs);
	if (!T(r == 0, "trace: domU shares %u pages (%s)", NLIST, strerror(-r)))
		return;
	T(trace_write(dir, "events/gntmap/enable", "1") &&
	  trace_write(dir, "trace", "") && trace_write(dir, "tracing_on", "1"),
	  "trace: enable events/gntmap and clear the buffer");

	fd = open(dev.path, O_RDWR | O_CLOEXEC);
	m = fd >= 0 ? gm_map(fd, domid, refs, NLIST, PROT_READ | PROT_WRITE,
			     &off) : NULL;
	if (!T(m, "trace: map %u pages (%s)", NLIST, strerror(errno)))
		goto off;
	snprintf(rng, sizeof(rng), "range=0x%lx-0x%lx", (unsigned long)m,
		 (unsigned long)m + NLIST * GM_PAGE);
	un.index = off + 5;
	un.action = UNMAP_NOTIFY_CLEAR_BYTE;
	T(ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) == 0,
	  "trace: SET_UNMAP_NOTIFY clear byte 5");
	T(gm_unmap(fd, m, NLIST, off) == 0, "trace: munmap and unmap");

	memset(&seg, 0, sizeof(seg));
	seg.source.foreign.ref = refs[0];
	seg.source.foreign.domid = domid;
	seg.dest.virt = local;
	seg.len = sizeof(local);
	seg.flags = GNTCOPY_source_gref;
	T(ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &cp) == 0 && seg.status == GNTST_okay,
	  "trace: GRANT_COPY of one segment");

	/* A deferred unmap: one page pinned in a pipe across munmap. */
	m = gm_map(fd, domid, refs + 1, 1, PROT_READ | PROT_WRITE, &off);
	if (T(m && !pipe2(p, O_CLOEXEC) && gm_pin_pages(p[1], m, 1),
	      "trace: one page mapped and pinned")) {
		munmap(m, GM_PAGE);
		usleep(100000);
		T(read(p[0], sink, sizeof(sink)) == GM_PAGE, "trace: pipe drained");
		usleep(300000);
		gm_unmap_refs(fd, off, 1);
	}
off:
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	if (fd >= 0)
		close(fd);
	trace_write(dir, "events/gntmap/enable", "0");
	snprintf(path, sizeof(path), "%s/trace", dir);
	f = fopen(path, "r");
	if (f) {
		buf = calloc(1, 1 << 20);
		if (buf)
			len = fread(buf, 1, (1 << 20) - 1, f);
		fclose(f);
	}
	if (!T(buf && len, "trace: %s reads (%zu bytes)", path, len))
		goto out;
	snprintf(dom, sizeof(dom), "domid=%u ", domid);
	snprintf(cnt, sizeof(cnt), "count=%u ", NLIST);
	TRACE_HAS("gntmap_map: domid, count, access, result 0",
		  "gntmap_map:", dom, cnt, "access=rw", "result=0");
	TRACE_HAS("gntmap_invalidate: the munmap's range, event 0 (UNMAP), 4 pages, blockable, unmap",
		  "gntmap_invalidate:", rng, "event=0 ", "pages=4 ",
		  "blockable=1", "unmap=1");
	TRACE_HAS("gntmap_notify: clear_byte at 5",
		  "gntmap_notify:", dom, "action=clear_byte", "addr=5 ");
	/*
	 * On an auto-translated dom0 the invalidation runs before the zap, so
	 * the VMA still holds each inserted page and the run counts as
	 * deferred even though it completes at once.
	 */
	if (testdom_dom0_pvh())
		TRACE_HAS("gntmap_unmap: 4 pages (PVH: deferred while the VMA holds them)",
			  "gntmap_unmap:", dom, "first=0 ", cnt);
	else
		TRACE_HAS("gntmap_unmap: 4 pages, not deferred",
			  "gntmap_unmap:", dom, "first=0 ", cnt, "deferred=0");
	TRACE_HAS("gntmap_unmap_done: 4 pages, result 0",
		  "gntmap_unmap_done:", dom, "first=0 ", cnt, "result=0");
	TRACE_HAS("gntmap_grant_copy: 1 segment, okay, result 0",
		  "gntmap_grant_copy:", "segments=1 ", "okay=1 ",
		  "first_error=0 ", "result=0");
	TRACE_HAS("gntmap_unmap: the pinned page, deferred",
		  "gntmap_unmap:", dom, "count=1 ", "deferred=1");
	TRACE_HAS("gntmap_unmap_done: the pinned page, once drained",
		  "gntmap_unmap_done:", dom, "count=1 ", "result=0");
out:
	free(buf);
	r = testdom_end_all_wait(td, 5000);
	T(r == 0, "trace: the domU ends every grant (%d left)", r);
}

/* Is domain @d in `xl list`? 1, 0, or -1 if xl failed. */
static int in_xl_list(uint32_t d, bool show)
{
	char line[256];
	unsigned int id;
	int found = 0;
	FILE *p = popen("xl list 2>&1", "r");

	if (!p)
		return -1;
	if (show)
		tap_diag("# xl list");
	while (fgets(line, sizeof(line), p)) {
		char name[128];

		if (show)
			tap_diag("%s", strtok(line, "\n") ? line : "");
		if (sscanf(line, "%127s %u", name, &id) == 2 && id == d)
			found = 1;
	}
	return pclose(p) ? -1 : found;
}

/* The holder: map ref 0 of @d, say so on @wfd, wait to be killed. */
static void holder(int wfd, uint32_t d)
{
	uint32_t ref = 0;
	uint64_t off;
	uint8_t *m;
	char ok = 1;
	int fd;

	prctl(PR_SET_NAME, HOLDER_COMM);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(dev.path, O_RDWR | O_CLOEXEC);
	m = fd >= 0 ? gm_map(fd, d, &ref, 1, PROT_READ, &off) : NULL;
	if (!m || gm_probe_read(m))
		ok = 0;
	if (write(wfd, &ok, 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

static void t_zombie(void)
{
	char cmd[256], out[8192], want[64];
	pid_t child = -1;
	int r, i, w[2] = { -1, -1 }, in = 1;
	uint32_t d;
	char ok = 0;

	snprintf(cmd, sizeof(cmd), "xl create -p %s 'name=\"" ZOMBIE_NAME "\"' >/dev/null 2>&1",
		 zombie_cfg);
	r = system(cmd);
	if (!T(r == 0, "zombie: xl create -p %s (status %d)", ZOMBIE_NAME, r))
		return;
	r = testdom_lookup(ZOMBIE_NAME, 60000, &d);
	if (!T(r == 0, "zombie: its domid (%s)", strerror(-r)))
		goto destroy;
	if (pipe2(w, O_CLOEXEC))
		goto destroy;
	child = fork();
	if (child == 0) {
		close(w[0]);
		holder(w[1], d);
	}
	close(w[1]);
	if (!T(child > 0 && read(w[0], &ok, 1) == 1 && ok,
	       "zombie: process %d (" HOLDER_COMM ") maps ref 0 of dom%u and stays",
	       child, d))
		goto destroy;
destroy:
	r = system("xl destroy " ZOMBIE_NAME " >/dev/null 2>&1");
	T(r == 0, "zombie: xl destroy %s (status %d)", ZOMBIE_NAME, r);
	if (child <= 0 || !ok)
		goto out;
	sleep(2);
	in = in_xl_list(d, true);
	T(in == 1, "zombie: dom%u is still in xl list (a zombie)", d);

	snprintf(cmd, sizeof(cmd), CLI " domain %u", d);
	r = run(cmd, out, sizeof(out));
	snprintf(want, sizeof(want), "\n%-8d " HOLDER_COMM " ", child);
	T(r == 0 && strstr(out, want),
	  "zombie: gntmap domain %u names pid %d " HOLDER_COMM " (exit %d)", d,
	  child, r);
	snprintf(cmd, sizeof(cmd), CLI " --json domain %u", d);
	r = run(cmd, out, sizeof(out));
	snprintf(want, sizeof(want), "{\"pid\":%d,\"comm\":\"" HOLDER_COMM "\"", child);
	T(r == 0 && strstr(out, want), "zombie: --json names it too (exit %d)", r);

	tap_diag("# kill -KILL %d", child);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	child = -1;
	for (i = 0; i < 300 && (in = in_xl_list(d, false)) == 1; i++)
		usleep(100000);
	in_xl_list(d, true);
	T(in == 0, "zombie: dom%u left xl list %.1f s after the kill", d,
	  i / 10.0);
	snprintf(cmd, sizeof(cmd), CLI " domain %u", d);
	r = run(cmd, out, sizeof(out));
	T(r == 0 && strstr(out, "total: 0 maps"),
	  "zombie: gntmap domain %u is now an empty answer (exit %d)", d, r);
out:
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	if (w[0] >= 0)
		close(w[0]);
}

int main(int argc, char **argv)
{
	const char *domain = "sharer", *path = NULL, *only = NULL;
	const struct vmopt opts[] = {
		VMOPT_STR("device", 'D', "PATH", "gntmap's node",
			  "/dev/xen/gntmap, else /dev/xen/gntdev if gntmap serves it",
			  &path),
		VMOPT_DOMAIN(&domain),
		VMOPT_STR("config", 'c', "CFG",
			  "xl config of the zombie case's domain", NULL,
			  &zombie_cfg),
		VMOPT_CASE("only", 'o', "CASE", "list|pin|trace|zombie",
			   "run that case only", &only),
		{ }
	};

	vmopt_parse(argc, argv, opts,
		"The listing of who holds which grants (" WHO_PATH ")\n"
		"and tools/gntmap's ps, domain and watch, against a test domain's\n"
		"grants.  TAP on stdout.\n");
	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_NAME, "gntmap-who");
	snprintf(mypid, sizeof(mypid), "%d", getpid());
	if (!gm_dev_pick(&dev, path)) {
		tap_skip("gntmap serves no device in this boot", "who %s",
			 dev.path);
		return tap_done();
	}
	if (access(WHO_PATH, R_OK)) {
		tap_skip("no listing in debugfs", "who " WHO_PATH);
		return tap_done();
	}
	td = testdom_open(domain, 120000);
	if (!T(td, "domain %s: sharer ready", domain))
		return tap_done();
	domid = testdom_domid(td);

	if (!only || !strcmp(only, "list"))
		t_list();
	if (!only || !strcmp(only, "pin"))
		t_pin();
	if (!only || !strcmp(only, "trace"))
		t_trace();
	if (!only || !strcmp(only, "zombie"))
		t_zombie();
	testdom_close(td);
	return tap_done();
}
