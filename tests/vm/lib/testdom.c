// SPDX-License-Identifier: GPL-2.0
/*
 * testdom: dom0 side of the test domain's grant sharer (docs/testdom.md).
 *
 * A command is one xenstore write of "<seq> <verb> [args]" to the domU's
 * data/grantshare/cmd; the domU answers with "<seq> <result>" in
 * data/grantshare/status.  We watch the status node, so a command costs two
 * xenstore round trips and one wake-up, plus one read per 128 refs of a share.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>

#include "testdom.h"

#define TD_REFS_PER_NODE 128
/* A share of thousands of pages is filled byte by byte in an emulated domU. */
#define TD_CMD_TIMEOUT_MS 180000

struct testdom {
	struct xs_handle *xs;
	uint32_t domid;
	uint32_t seq;
	char dir[64];
	char status_path[80];
	char token[32];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads @dir/@node into a string; NULL (errno set) if missing. */
static char *td_read(struct testdom *td, const char *node)
{
	char path[128];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", td->dir, node);
	return xs_read(td->xs, XBT_NULL, path, &len);
}

static int find_domid(struct xs_handle *xs, const char *name, uint32_t *domid)
{
	unsigned int i, n, len;
	char path[64], *v, *end;
	char **ids;
	int found = 0;

	ids = xs_directory(xs, XBT_NULL, "/local/domain", &n);
	if (!ids)
		return 0;
	for (i = 0; i < n && !found; i++) {
		snprintf(path, sizeof(path), "/local/domain/%s/name", ids[i]);
		v = xs_read(xs, XBT_NULL, path, &len);
		if (v && !strcmp(v, name)) {
			*domid = strtoul(ids[i], &end, 10);
			found = !*end;
		}
		free(v);
	}
	free(ids);
	return found;
}

int testdom_lookup(const char *name, int timeout_ms, uint32_t *domid)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct xs_handle *xs = xs_open(0);
	int found;

	if (!xs)
		return errno ? -errno : -EIO;
	while (!(found = find_domid(xs, name, domid)) && now_ms() < deadline)
		usleep(100 * 1000);
	xs_close(xs);
	return found ? 0 : -ENOENT;
}

/* Parses "<seq> <result>"; false if @s is not one. */
static bool parse_status(const char *s, uint32_t *seq, long *result)
{
	char *end;

	errno = 0;
	*seq = strtoul(s, &end, 10);
	if (errno || end == s || *end != ' ')
		return false;
	s = end + 1;
	*result = strtol(s, &end, 10);
	return !errno && end != s && !*end;
}

struct testdom *testdom_open(const char *name, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct testdom *td;
	bool found = false;
	char *v;
	long result;
	int err;

	td = calloc(1, sizeof(*td));
	if (!td)
		return NULL;
	td->xs = xs_open(0);
	if (!td->xs) {
		err = errno ? errno : EIO;
		free(td);
		errno = err;
		return NULL;
	}
	/* xl create returns before the domU kernel has loaded the sharer. */
	for (;;) {
		if (!found)
			found = find_domid(td->xs, name, &td->domid);
		if (found) {
			snprintf(td->dir, sizeof(td->dir),
				 "/local/domain/%" PRIu32 "/data/grantshare",
				 td->domid);
			v = td_read(td, "ready");
			if (v && !strcmp(v, "1")) {
				free(v);
				break;
			}
			free(v);
		}
		if (now_ms() >= deadline) {
			xs_close(td->xs);
			free(td);
			errno = found ? ETIMEDOUT : ENOENT;
			return NULL;
		}
		usleep(100 * 1000);
	}

	snprintf(td->status_path, sizeof(td->status_path), "%s/status",
		 td->dir);
	snprintf(td->token, sizeof(td->token), "testdom-%d", (int)getpid());
	if (!xs_watch(td->xs, td->status_path, td->token)) {
		err = errno ? errno : EIO;
		xs_close(td->xs);
		free(td);
		errno = err;
		return NULL;
	}
	/* Number our commands after whatever an earlier user last sent. */
	v = td_read(td, "status");
	if (!v || !parse_status(v, &td->seq, &result))
		td->seq = 0;
	free(v);
	return td;
}

void testdom_close(struct testdom *td)
{
	if (!td)
		return;
	xs_unwatch(td->xs, td->status_path, td->token);
	xs_close(td->xs);
	free(td);
}

uint32_t testdom_domid(const struct testdom *td)
{
	return td->domid;
}

/* Drains pending watch events; waits up to @ms for one if none is queued. */
static void wait_watch(struct testdom *td, int ms)
{
	struct pollfd pfd = { .fd = xs_fileno(td->xs), .events = POLLIN };
	char **ev;

	if (pfd.fd >= 0 && ms > 0)
		poll(&pfd, 1, ms);
	while ((ev = xs_check_watch(td->xs)))
		free(ev);
}

/* A domain that died or was destroyed will never answer. */
static bool domain_alive(struct testdom *td)
{
	char path[48];
	unsigned int len;
	char *v;

	snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/name",
		 td->domid);
	v = xs_read(td->xs, XBT_NULL, path, &len);
	free(v);
	return v || errno != ENOENT;
}

/* Sends one command and waits for its answer: the result, or -errno. */
static long td_cmd(struct testdom *td, const char *fmt, ...)
{
	int64_t deadline = now_ms() + TD_CMD_TIMEOUT_MS;
	char cmd[160], path[96];
	uint32_t seq, got;
	long result;
	va_list ap;
	int n;
	char *v;

	seq = td->seq + 1;
	if (!seq)
		seq = 1;	/* 0 is the domU's answer to unnumbered input */
	td->seq = seq;
	n = snprintf(cmd, sizeof(cmd), "%" PRIu32 " ", seq);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);

	wait_watch(td, 0);
	snprintf(path, sizeof(path), "%s/cmd", td->dir);
	if (!xs_write(td->xs, XBT_NULL, path, cmd, strlen(cmd)))
		return errno ? -errno : -EIO;
	for (;;) {
		v = td_read(td, "status");
		if (v && parse_status(v, &got, &result) && got == seq) {
			free(v);
			return result;
		}
		free(v);
		if (!domain_alive(td))
			return -ESRCH;
		if (now_ms() >= deadline)
			return -ETIMEDOUT;
		/* The watch wakes us; the timeout only covers a lost event. */
		wait_watch(td, 200);
	}
}

static int read_refs(struct testdom *td, unsigned int npages, uint32_t *refs)
{
	unsigned int i = 0, k;
	char node[32], *v, *p, *end;
	unsigned long r;

	for (k = 0; i < npages; k++) {
		snprintf(node, sizeof(node), "refs/%u", k);
		v = td_read(td, node);
		if (!v)
			return errno ? -errno : -EIO;
		for (p = v; i < npages && (i < (k + 1) * TD_REFS_PER_NODE); i++) {
			errno = 0;
			r = strtoul(p, &end, 10);
			if (errno || end == p || r > UINT32_MAX ||
			    (*end && *end != ' ')) {
				free(v);
				return -EPROTO;
			}
			refs[i] = r;
			p = end;
		}
		/* A node must hold exactly its refs, no more. */
		if (*p && i < npages) {
			free(v);
			return -EPROTO;
		}
		free(v);
	}
	return 0;
}

int testdom_share(struct testdom *td, unsigned int npages, bool writable,
		  uint32_t seed, uint32_t *refs)
{
	long r;

	if (!npages || !refs)
		return -EINVAL;
	r = td_cmd(td, "share %u %s %" PRIu32, npages, writable ? "rw" : "ro",
		   seed);
	if (r < 0)
		return r;
	if (r != npages)
		return -EPROTO;
	return read_refs(td, npages, refs);
}

long testdom_command(struct testdom *td, const char *cmd)
{
	return td_cmd(td, "%s", cmd);
}

int testdom_verify(struct testdom *td, uint32_t seed)
{
	return td_cmd(td, "verify %" PRIu32, seed);
}

int testdom_end_all(struct testdom *td)
{
	return td_cmd(td, "end");
}

int testdom_end_all_until(struct testdom *td, int want, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	int r;

	while ((r = testdom_end_all(td)) > want && now_ms() < deadline)
		usleep(20 * 1000);
	return r;
}

int testdom_end_all_wait(struct testdom *td, int timeout_ms)
{
	return testdom_end_all_until(td, 0, timeout_ms);
}

static int read_uint(struct testdom *td, const char *node)
{
	char *v, *end;
	unsigned long n;

	v = td_read(td, node);
	if (!v)
		return errno ? -errno : -EIO;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || n > INT32_MAX) {
		free(v);
		return -EPROTO;
	}
	free(v);
	return n;
}

int testdom_orphans(struct testdom *td)
{
	return read_uint(td, "orphans");
}

int testdom_max_pages(struct testdom *td)
{
	return read_uint(td, "max");
}

double testdom_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

bool testdom_dom0_pvh(void)
{
	char buf[8] = "";
	FILE *f = fopen("/sys/hypervisor/guest_type", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = 0;
		fclose(f);
	}
	return !strncmp(buf, "PVH", 3);
}
