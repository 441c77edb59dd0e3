// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap-teardown: the ends of a map that are not a plain munmap, each
 * against real grants of the test domU and each closed by the leak check.
 *
 *  pin   an unmap that cannot complete because the pages are still in use
 *        (Qubes issue 7481): the grant-mapped pages are vmsplice()d into a
 *        pipe, which pins them through get_user_pages (find_special_page),
 *        then the map is munmapped and closed, or its process is killed.
 *        Nothing may block, the kernel half must stay mapped while pinned
 *        (the pipe still reads the domU's data), and everything must go
 *        once the pipe is drained.  With SET_UNMAP_NOTIFY the byte is
 *        cleared at munmap but the event waits for the drain: a peer
 *        woken earlier could not end its grant.
 *  reap  the OOM reaper's non-blockable path: a process holding a private
 *        read-only map and a shared one is SIGKILLed while held in the
 *        kernel (the core's self-test device, ITN_ST_BLOCK), and
 *        process_mrelease() reaps its mm from here.
 *  dead  a domain that was created and destroyed: its domid and a grant
 *        ref that mapped while it lived must now fail with the documented
 *        errno, and nothing may stay behind.
 *
 * Counters: docs/gntmap.md.  Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenevtchn.h>

#include "gmtest.h"
#include "tap.h"
#include "testdom.h"
#include "vmopt.h"
#include "itn_selftest.h"
#include "proc_state.h"

#define NPIN		16	/* pages pinned through the pipe */
#define NSIDE		4	/* pages mapped meanwhile on the same fd */
#define NREAP		4	/* pages in each of the reaped maps */
#define ST_MODULE	"itn_selftest"
#define ST_KO		"/lib/modules/gntmap/core/" ST_MODULE ".ko"
#define ST_DEV		"/dev/" ST_MODULE
#define DEAD_NAME	"gm-dead"
#define DEAD_CFG	"/etc/xen/configs/sharer.cfg"

static struct gm_dev dev = { .name = "gntmap", .path = "/dev/xen/gntmap" };
static struct testdom *td;
static uint32_t domid;

#define T(cond, ...) tap_ok((cond), __VA_ARGS__)

/* The counters a teardown may move, read at once. */
struct counters {
	long live, mapped, inval, map_failed, deferred, failed, pending;
};

static void counters_read(struct counters *c)
{
	c->live = gm_counter(&dev, "live_maps");
	c->mapped = gm_counter(&dev, "mapped_pages");
	c->inval = gm_counter(&dev, "invalidations");
	c->map_failed = gm_counter(&dev, "map_failed");
	c->deferred = gm_counter(&dev, "unmap_deferred");
	c->failed = gm_counter(&dev, "unmap_failed");
	c->pending = gm_counter(&dev, "pending_unmaps");
}

/*
 * Wait up to @ms for live maps, mapped pages and pending unmaps to come
 * back to @base (a deferred unmap retries from a work item).  True if
 * they did; @c holds the last reading.
 */
static bool counters_settle(const struct counters *base, struct counters *c,
			    int ms)
{
	int i;

	for (i = 0; i <= ms / 20; i++) {
		counters_read(c);
		if (c->live == base->live && c->mapped == base->mapped &&
		    c->pending == base->pending)
			return true;
		usleep(20000);
	}
	return false;
}

static void counters_check_settled(const char *what,
				   const struct counters *base)
{
	struct counters c;
	bool ok = counters_settle(base, &c, 10000);

	T(ok, "%s: live_maps, mapped_pages, pending_unmaps back to %ld, %ld, %ld (%ld, %ld, %ld)",
	  what, base->live, base->mapped, base->pending, c.live, c.mapped,
	  c.pending);
	T(c.failed == base->failed, "%s: no unmap failed in Xen (%ld new)",
	  what, c.failed - base->failed);
}

static void leak_check(const char *what)
{
	int r = testdom_end_all_wait(td, 10000);

	T(r == 0, "%s: the domU ends foreign access on every page (%d left)",
	  what, r);
}

/* Read @n pages out of the pipe; how many differ from the seed's. */
static long drain_bad(int pipefd, unsigned int n, uint32_t seed)
{
	size_t len = (size_t)n * GM_PAGE, got = 0;
	uint8_t *buf = malloc(len);
	long bad;

	if (!buf)
		return -1;
	while (got < len) {
		ssize_t r = read(pipefd, buf + got, len - got);

		if (r <= 0) {
			free(buf);
			return -1;
		}
		got += r;
	}
	bad = gm_count_bad(buf, n, seed, 0);
	free(buf);
	return bad;
}

/* A pipe big enough for every pinned page (one buffer per page). */
static bool pin_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC))
		return false;
	return fcntl(p[1], F_SETPIPE_SZ, 2 * NPIN * GM_PAGE) >= 0;
}


/*
 * The end of every pin case: the domU cannot end the NPIN pinned grants
 * yet, the pipe still reads its data through them, and once the pipe is
 * drained and closed the deferred unmap finishes and the counters settle.
 * Closes the pipe and marks it closed in @p.
 */
static void pin_release(const char *what, int p[2], uint32_t seed,
			const struct counters *base)
{
	long bad;
	int r;

	r = testdom_end_all(td);
	T(r == NPIN,
	  "%s: the domU cannot end the %u pinned grants yet (%d not ended)",
	  what, NPIN, r);
	bad = drain_bad(p[0], NPIN, seed);
	T(bad == 0, "%s: the pipe reads the domU's data (%ld bad pages)",
	  what, bad);
	close(p[0]);
	close(p[1]);
	p[0] = p[1] = -1;
	counters_check_settled(what, base);
}

/*
 * If munmap() blocked on the pin, the test would hang forever: this
 * thread drains the pipe after a grace period, so a blocking driver
 * shows up as a failed result instead.
 */
struct rescue {
	int fd;
	volatile int done;
	volatile int rescued;
};

static void *rescue_thread(void *arg)
{
	struct rescue *r = arg;
	static uint8_t sink[NPIN * GM_PAGE];
	int i;

	for (i = 0; i < 300 && !r->done; i++)
		usleep(100000);
	if (!r->done) {
		r->rescued = 1;
		if (read(r->fd, sink, sizeof(sink)) < 0)
			r->rescued = 2;
	}
	return NULL;
}

/* pin: munmap, UNMAP_GRANT_REF and close while the pipe holds the pages. */
static void t_pin_munmap(void)
{
	const uint32_t seed = 0x7481a001;
	uint32_t refs[NPIN + NSIDE];
	struct counters base, c;
	struct rescue rs = { 0 };
	pthread_t th;
	uint64_t off, off2;
	uint8_t *m, *m2;
	int fd, p[2] = { -1, -1 }, r;
	double dt;

	r = testdom_share(td, NPIN + NSIDE, true, seed, refs);
	if (!T(r == 0, "pin: domU shares %u pages (%s)", NPIN + NSIDE,
	       strerror(-r)))
		return;
	counters_read(&base);
	fd = open(dev.path, O_RDWR | O_CLOEXEC);
	m = fd >= 0 ? gm_map(fd, domid, refs, NPIN, PROT_READ | PROT_WRITE,
			     &off) : NULL;
	if (!T(m, "pin: map %u pages read-write (%s)", NPIN, strerror(errno)))
		goto out;
	T(gm_count_bad(m, NPIN, seed, 0) == 0, "pin: the map reads the domU's data");
	if (!T(pin_pipe(p) && gm_pin_pages(p[1], m, NPIN),
	       "pin: vmsplice() pins the %u mapped pages in a pipe (%s)",
	       NPIN, strerror(errno))) {
		gm_unmap(fd, m, NPIN, off);
		goto out;
	}

	rs.fd = p[0];
	pthread_create(&th, NULL, rescue_thread, &rs);
	dt = testdom_now_s();
	r = munmap(m, (size_t)NPIN * GM_PAGE);
	dt = testdom_now_s() - dt;
	rs.done = 1;
	pthread_join(th, NULL);
	T(r == 0 && !rs.rescued,
	  "pin: munmap returns while the pages are pinned (%.2f s%s)", dt,
	  rs.rescued ? ", only after the pipe was drained: it blocked" : "");
	if (rs.rescued)
		goto out;

	counters_read(&c);
	T(c.deferred > base.deferred,
	  "pin: unmap_deferred counts the waiting unmap (+%ld)",
	  c.deferred - base.deferred);
	T(c.pending > base.pending && c.mapped == base.mapped + NPIN,
	  "pin: the kernel half stays mapped while pinned (pending_unmaps +%ld, mapped_pages +%ld)",
	  c.pending - base.pending, c.mapped - base.mapped);

	/* Nothing else waits for the pin: the same fd maps and unmaps. */
	m2 = gm_map(fd, domid, refs + NPIN, NSIDE, PROT_READ, &off2);
	T(m2 && gm_count_bad(m2, NSIDE, seed, NPIN) == 0 &&
	  gm_unmap(fd, m2, NSIDE, off2) == 0,
	  "pin: the fd maps, reads and unmaps %u other pages meanwhile",
	  NSIDE);
	T(gm_unmap_refs(fd, off, NPIN) == 0 && close(fd) == 0,
	  "pin: UNMAP_GRANT_REF and close return while pinned");
	fd = -1;
	counters_read(&c);
	T(c.live == base.live + 1,
	  "pin: the map outlives its fd while pinned (live_maps +%ld)",
	  c.live - base.live);

	/* The other pages end; the pinned ones must not (still mapped). */
	pin_release("pin", p, seed, &base);
out:
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	if (fd >= 0)
		close(fd);
	leak_check("pin");
}

/* pin, then kill -9 of the process that mapped and pinned the pages. */
static void t_pin_kill(void)
{
	const uint32_t seed = 0x7481a002;
	uint32_t refs[NPIN];
	struct counters base, c;
	int p[2] = { -1, -1 }, sync[2], st, r;
	char ok = 0;
	pid_t child;

	r = testdom_share(td, NPIN, true, seed, refs);
	if (!T(r == 0, "pin-kill: domU shares %u pages (%s)", NPIN,
	       strerror(-r)))
		return;
	counters_read(&base);
	if (!T(pin_pipe(p) && !pipe2(sync, O_CLOEXEC), "pin-kill: pipes"))
		goto out;
	child = fork();
	if (child == 0) {
		int fd = open(dev.path, O_RDWR);
		uint64_t off;
		uint8_t *m = fd >= 0 ? gm_map(fd, domid, refs, NPIN,
					      PROT_READ | PROT_WRITE, &off) :
				      NULL;

		ok = m && !gm_count_bad(m, NPIN, seed, 0) &&
		     gm_pin_pages(p[1], m, NPIN);
		if (write(sync[1], &ok, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(sync[1]);
	if (child < 0 || read(sync[0], &ok, 1) != 1)
		ok = 0;
	close(sync[0]);
	if (!T(ok, "pin-kill: a child maps, reads and pins %u pages", NPIN)) {
		if (child > 0) {
			kill(child, SIGKILL);
			waitpid(child, &st, 0);
		}
		goto out;
	}
	T(kill(child, SIGKILL) == 0 && waitpid(child, &st, 0) == child &&
	  WIFSIGNALED(st), "pin-kill: the child dies of SIGKILL with the pin held");

	counters_read(&c);
	T(c.deferred > base.deferred && c.pending > base.pending &&
	  c.live == base.live + 1 && c.mapped == base.mapped + NPIN,
	  "pin-kill: the exit's unmap waits for the pin (deferred +%ld, pending +%ld, live +%ld, mapped +%ld)",
	  c.deferred - base.deferred, c.pending - base.pending,
	  c.live - base.live, c.mapped - base.mapped);
	pin_release("pin-kill", p, seed, &base);
out:
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	leak_check("pin-kill");
}

/* Is an event pending on @port of @h within @ms?  Unmasks it if so. */
static bool event_within(xenevtchn_handle *h, evtchn_port_t port, int ms)
{
	struct pollfd pfd = { .fd = xenevtchn_fd(h), .events = POLLIN };

	if (poll(&pfd, 1, ms) != 1 || xenevtchn_pending(h) != (int)port)
		return false;
	xenevtchn_unmask(h, port);
	return true;
}

/*
 * pin-notify: CLEAR_BYTE|SEND_EVENT on a pinned map, over a dom0
 * loopback event channel.  The byte goes at munmap (the pipe sees it),
 * the event only when the deferred unmap has let go of the grant.
 */
static void t_pin_notify(void)
{
	const uint32_t seed = 0x7481a003;
	struct ioctl_gntdev_unmap_notify un = { 0 };
	xenevtchn_handle *a = NULL, *b = NULL;
	xenevtchn_port_or_error_t pa = -1, pb = -1;
	unsigned int byte = 100;
	struct counters base;
	uint32_t ref;
	uint64_t off;
	uint8_t *m, got[GM_PAGE];
	int fd = -1, p[2] = { -1, -1 }, r;
	bool early;

	while (testdom_pattern(seed, 0, byte) == 0)
		byte++;
	r = testdom_share(td, 1, true, seed, &ref);
	if (!T(r == 0, "pin-notify: domU shares a page (%s)", strerror(-r)))
		return;
	a = xenevtchn_open(NULL, 0);
	b = xenevtchn_open(NULL, 0);
	pa = a ? xenevtchn_bind_unbound_port(a, 0) : -1;
	pb = (b && pa >= 0) ? xenevtchn_bind_interdomain(b, 0, pa) : -1;
	if (pb < 0) {
		tap_skip("no dom0 loopback event channel", "pin-notify");
		goto out;
	}
	/* Xen marks a freshly bound interdomain port pending: consume it. */
	event_within(b, pb, 200);
	counters_read(&base);
	fd = open(dev.path, O_RDWR | O_CLOEXEC);
	m = fd >= 0 ? gm_map(fd, domid, &ref, 1, PROT_READ | PROT_WRITE,
			     &off) : NULL;
	un.index = off + byte;
	un.action = UNMAP_NOTIFY_CLEAR_BYTE | UNMAP_NOTIFY_SEND_EVENT;
	un.event_channel_port = pa;
	r = !m ? -errno : ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &un) ?
		-errno : 0;
	if (!T(r == 0,
	       "pin-notify: map a page, CLEAR_BYTE|SEND_EVENT at byte %u (%s)",
	       byte, strerror(-r))) {
		if (m)
			gm_unmap(fd, m, 1, off);
		goto out;
	}
	if (!T(pin_pipe(p) && gm_pin_pages(p[1], m, 1),
	       "pin-notify: vmsplice() pins it")) {
		gm_unmap(fd, m, 1, off);
		goto out;
	}
	T(gm_unmap(fd, m, 1, off) == 0 && close(fd) == 0,
	  "pin-notify: munmap, UNMAP_GRANT_REF, close while pinned");
	fd = -1;
	early = event_within(b, pb, 500);
	T(!early, "pin-notify: no event while the grant is still mapped");
	r = read(p[0], got, sizeof(got));
	got[byte] ^= testdom_pattern(seed, 0, byte);
	T(r == GM_PAGE && gm_count_bad(got, 1, seed, 0) == 0,
	  "pin-notify: the pipe shows the byte cleared, the rest intact");
	T(early || event_within(b, pb, 10000),
	  "pin-notify: the event comes once the pipe lets go");
	r = testdom_verify(td, seed);
	T(r == 1, "pin-notify: the domU sees the cleared byte (%d pages differ)",
	  r);
	counters_check_settled("pin-notify", &base);
out:
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	if (fd >= 0)
		close(fd);
	if (a)
		xenevtchn_close(a);
	if (b)
		xenevtchn_close(b);
	leak_check("pin-notify");
}

/* Load the core's self-test module unless loaded; true if we loaded it. */
static int st_load(bool *loaded_here)
{
	int fd, r;

	*loaded_here = false;
	if (!access("/sys/module/" ST_MODULE, F_OK))
		return 0;
	fd = open(ST_KO, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	*loaded_here = !r;
	return r;
}

/*
 * reap: the child's mm is reaped by process_mrelease() while the child is
 * dying but held in the kernel, so the reaper's non-blockable range reaches
 * gntmap.  The reaper skips shared mappings, so the private read-only map
 * is unmapped by it and the shared one by the exit after.
 */
static void t_reap(void)
{
	const uint32_t seed = 0x00aa0001;
	uint32_t refs[2 * NREAP];
	struct counters base, held, c;
	int sync[2], st, stfd = -1, pidfd = -1, r, i, tries = 0;
	bool loaded_here;
	char ok = 0;
	pid_t child;

	r = st_load(&loaded_here);
	if (r) {
		tap_skip("the core's self-test module does not load here",
			 "reap: %s (%s)", ST_MODULE, strerror(-r));
		return;
	}
	for (i = 0; i < 100 && (stfd = open(ST_DEV, O_RDWR | O_CLOEXEC)) < 0;
	     i++)
		usleep(50000);
	if (!T(stfd >= 0, "reap: open %s", ST_DEV))
		goto unload;
	r = testdom_share(td, 2 * NREAP, true, seed, refs);
	if (!T(r == 0, "reap: domU shares %u pages (%s)", 2 * NREAP,
	       strerror(-r)))
		goto unload;
	counters_read(&base);
	if (pipe2(sync, O_CLOEXEC))
		goto out;
	child = fork();
	if (child == 0) {
		int fd = open(dev.path, O_RDWR), bfd = open(ST_DEV, O_RDWR);
		uint64_t off1, off2;
		uint8_t *priv = NULL, *shared;

		shared = fd >= 0 ? gm_map(fd, domid, refs + NREAP, NREAP,
					  PROT_READ | PROT_WRITE, &off2) : NULL;
		if (fd >= 0 && !gm_map_refs(fd, domid, refs, NREAP, &off1)) {
			priv = mmap(NULL, NREAP * GM_PAGE, PROT_READ,
				    MAP_PRIVATE, fd, off1);
			if (priv == MAP_FAILED)
				priv = NULL;
		}
		ok = bfd >= 0 && priv && shared &&
		     !gm_count_bad(priv, NREAP, seed, 0) &&
		     !gm_count_bad(shared, NREAP, seed, NREAP);
		if (write(sync[1], &ok, 1) != 1 || !ok)
			_exit(1);
		/* Uninterruptible: SIGKILL leaves us dying with our mm. */
		ioctl(bfd, ITN_ST_BLOCK);
		_exit(0);
	}
	close(sync[1]);
	if (child < 0 || read(sync[0], &ok, 1) != 1)
		ok = 0;
	close(sync[0]);
	if (!T(ok, "reap: a child maps %u pages private read-only and %u shared, reads them",
	       NREAP, NREAP)) {
		if (child > 0) {
			kill(child, SIGKILL);
			ioctl(stfd, ITN_ST_UNBLOCK);
			waitpid(child, &st, 0);
		}
		goto out;
	}
	for (i = 0; i < 500 && proc_state(child) != 'D'; i++)
		usleep(10000);
	pidfd = syscall(SYS_pidfd_open, child, 0);
	T(proc_state(child) == 'D' && pidfd >= 0,
	  "reap: the child is held in the kernel (state %c)",
	  proc_state(child));
	counters_read(&held);
	T(kill(child, SIGKILL) == 0, "reap: SIGKILL the child");
	/* EAGAIN: the reaper could not take a lock; it may try again. */
	do {
		r = syscall(SYS_process_mrelease, pidfd, 0) ? errno : 0;
		if (r == EAGAIN)
			usleep(50000);
	} while (r == EAGAIN && ++tries < 20);
	T(r == 0, "reap: process_mrelease() reaps the dying child's mm (%s, %d tries)",
	  strerror(r), tries + 1);
	/*
	 * On PV the callback unmaps before process_mrelease() returns; on an
	 * auto-translated dom0 the unmap of a non-blockable range runs from a
	 * work item a moment later, so give it up to 2 s.
	 */
	for (i = 0; i < 200; i++) {
		counters_read(&c);
		if (c.inval == held.inval + 1 && c.mapped == held.mapped - NREAP)
			break;
		usleep(10000);
	}
	T(c.inval == held.inval + 1 && c.mapped == held.mapped - NREAP,
	  "reap: the reaper's non-blockable invalidation unmapped the private map (invalidations +%ld, mapped_pages %+ld)",
	  c.inval - held.inval, c.mapped - held.mapped);
	T(c.live == held.live && c.failed == base.failed,
	  "reap: the shared map waits for the exit (live_maps %+ld, unmap_failed %+ld)",
	  c.live - held.live, c.failed - base.failed);

	ioctl(stfd, ITN_ST_UNBLOCK);
	T(waitpid(child, &st, 0) == child && WIFSIGNALED(st) &&
	  WTERMSIG(st) == SIGKILL, "reap: the child exits after the reap");
	counters_check_settled("reap", &base);
out:
	if (pidfd >= 0)
		close(pidfd);
	leak_check("reap");
unload:
	if (stfd >= 0)
		close(stfd);
	if (loaded_here)
		syscall(SYS_delete_module, ST_MODULE, O_NONBLOCK);
}

/* Is domain @d still known to Xen (running, or dying with references)? */
static int domain_exists(xc_interface *xch, uint32_t d)
{
	xc_domaininfo_t info;
	int n = xc_domain_getinfolist(xch, d, 1, &info);

	if (n < 0)
		return -errno;
	return n == 1 && info.domain == d;
}

/* GRANT_COPY of 16 bytes from (d, ref) into @buf; the segment status. */
static int copy_from(int fd, uint32_t d, uint32_t ref, void *buf)
{
	struct ioctl_gntdev_grant_copy_segment seg;
	struct ioctl_gntdev_grant_copy op = { .count = 1, .segments = &seg };

	memset(&seg, 0, sizeof(seg));
	seg.source.foreign.ref = ref;
	seg.source.foreign.offset = 0;
	seg.source.foreign.domid = d;
	seg.dest.virt = buf;
	seg.len = 16;
	seg.flags = GNTCOPY_source_gref;
	seg.status = 1;
	if (ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &op))
		return 1000 + errno;
	return seg.status;
}

/*
 * dead: a domain built paused has refs 0 and 1 (console, xenstore)
 * granted to dom0 by the domain builder.  Map ref 0 while it lives,
 * destroy it, map the same domid and ref again.
 */
static void t_dead(void)
{
	struct counters base, c;
	xc_interface *xch;
	uint32_t d, ref = 0;
	uint64_t off;
	uint8_t buf[16];
	uint8_t *m;
	int fd = -1, r, i;

	xch = xc_interface_open(NULL, NULL, 0);
	if (!T(xch, "dead: open libxenctrl"))
		return;
	r = system("xl create -p " DEAD_CFG " 'name=\"" DEAD_NAME "\"' >/dev/null 2>&1");
	if (!T(r == 0, "dead: xl create -p a domain %s (status %d)", DEAD_NAME,
	       r))
		goto out;
	r = testdom_lookup(DEAD_NAME, 60000, &d);
	if (!T(r == 0, "dead: its domid (%s)", strerror(-r)))
		goto destroy;
	counters_read(&base);
	fd = open(dev.path, O_RDWR | O_CLOEXEC);
	m = fd >= 0 ? gm_map(fd, d, &ref, 1, PROT_READ, &off) : NULL;
	T(m && gm_probe_read(m) == 0 && gm_unmap(fd, m, 1, off) == 0,
	  "dead: while dom%u lives its ref %u maps and reads (%s)", d, ref,
	  m ? "ok" : strerror(errno));
	r = copy_from(fd, d, ref, buf);
	T(r == GNTST_okay, "dead: while it lives GRANT_COPY from it works (status %d)",
	  r);
destroy:
	r = system("xl destroy " DEAD_NAME " >/dev/null 2>&1");
	if (!T(r == 0, "dead: xl destroy %s (status %d)", DEAD_NAME, r))
		goto out;
	if (fd < 0)
		goto out;
	/* A leaked mapping of its grants would keep it a zombie. */
	for (i = 0; i < 300 && domain_exists(xch, d) == 1; i++)
		usleep(100000);
	if (!T(domain_exists(xch, d) == 0,
	       "dead: Xen has freed dom%u (nothing holds its pages)", d))
		goto out;

	m = gm_map(fd, d, &ref, 1, PROT_READ, &off);
	T(!m && errno == EINVAL,
	  "dead: the dead domid and its old ref fail at mmap -> EINVAL (%s)",
	  m ? "mapped" : strerror(errno));
	if (m)
		gm_unmap(fd, m, 1, off);
	m = gm_map(fd, d, &ref, 1, PROT_READ | PROT_WRITE, &off);
	T(!m && errno == EINVAL, "dead: read-write as well -> EINVAL (%s)",
	  m ? "mapped" : strerror(errno));
	if (m)
		gm_unmap(fd, m, 1, off);
	r = copy_from(fd, d, ref, buf);
	T(r == GNTST_bad_domain,
	  "dead: GRANT_COPY from it -> status GNTST_bad_domain (%d)", r);
	counters_read(&c);
	T(c.map_failed >= base.map_failed + 2,
	  "dead: map_failed counts the refused pages (+%ld)",
	  c.map_failed - base.map_failed);
	close(fd);
	fd = -1;
	counters_check_settled("dead", &base);
out:
	if (fd >= 0)
		close(fd);
	xc_interface_close(xch);
	/* The sharer was untouched: its earlier shares are all ended. */
	r = testdom_orphans(td);
	T(r == 0, "dead: the sharer has no orphaned grant (%d)", r);
}

#define NREC		5	/* pages of the recycled map */
#define CACHE_PARAM	"/sys/module/gntmap/parameters/cache_pages"

/* Set gntmap's cache_pages; the old value in *@old if not NULL. */
static bool cache_param(unsigned long v, unsigned long *old)
{
	FILE *f = fopen(CACHE_PARAM, "r+");
	bool ok = f != NULL;

	if (ok && old)
		ok = fscanf(f, "%lu", old) == 1 && fseek(f, 0, SEEK_SET) == 0;
	if (ok)
		ok = fprintf(f, "%lu\n", v) > 0;
	if (f && fclose(f))
		ok = false;
	return ok;
}

/* One map cycle of @n pages of @refs; true if it read the domU's data. */
static bool recycle_cycle(int fd, const uint32_t *refs, unsigned int n,
			  uint32_t seed)
{
	uint64_t off;
	uint8_t *m = gm_map(fd, domid, refs, n, PROT_READ | PROT_WRITE, &off);
	bool ok = m && gm_count_bad(m, n, seed, 0) == 0;

	if (m && gm_unmap(fd, m, n, off))
		ok = false;
	return ok;
}

/*
 * A map whose last reference goes is kept for the next MAP_GRANT_REF of
 * its size (drivers/gntmap/cache.c): it holds no grant, its reuse maps
 * the new grants right, a map on which a grant op failed is not kept,
 * and cache_pages=0 keeps nothing and empties the cache.
 */
static void t_recycle(void)
{
	const uint32_t seed = 0x7481a010;
	unsigned long old = 0;
	uint32_t refs[NREC];
	long c0, c;
	int fd = -1, r;

	if (!T(cache_param(0, &old), "recycle: set cache_pages=0 (%s)",
	       strerror(errno)))
		return;
	c0 = gm_counter(&dev, "cached_pages");
	T(c0 == 0, "recycle: cache_pages=0 empties the cache (%ld kept)", c0);
	r = testdom_share(td, NREC, true, seed, refs);
	fd = r ? -1 : open(dev.path, O_RDWR);
	if (!T(fd >= 0, "recycle: domU shares %u pages, device open", NREC))
		goto out;
	T(recycle_cycle(fd, refs, NREC, seed) &&
	  gm_counter(&dev, "cached_pages") == 0,
	  "recycle: with cache_pages=0 a freed map is not kept");

	T(cache_param(4 * NREC, NULL), "recycle: set cache_pages=%u",
	  4 * NREC);
	T(recycle_cycle(fd, refs, NREC, seed), "recycle: a map cycle");
	c = gm_counter(&dev, "cached_pages");
	T(c == NREC, "recycle: the freed map is kept (cached_pages %ld)", c);
	r = testdom_end_all_wait(td, 10000);
	T(r == 0, "recycle: a kept map holds no grant (%d not ended)", r);

	r = testdom_share(td, NREC, true, seed + 1, refs);
	if (!T(r == 0, "recycle: domU shares %u new pages", NREC))
		goto out;
	T(recycle_cycle(fd, refs, NREC, seed + 1),
	  "recycle: the reused map reads the new grants");
	c = gm_counter(&dev, "cached_pages");
	T(c == NREC, "recycle: reused and kept again (cached_pages %ld)", c);

	/* A ref the domU never gave: mmap fails, the map is not kept. */
	refs[NREC - 1] = 0xfffff;
	T(!recycle_cycle(fd, refs, NREC, seed + 1),
	  "recycle: a map with a bad grant fails");
	c = gm_counter(&dev, "cached_pages");
	T(c == 0, "recycle: a map whose grant op failed is not kept (cached_pages %ld)",
	  c);
out:
	T(cache_param(old, NULL), "recycle: cache_pages back to %lu", old);
	if (fd >= 0) {
		/* Left kept for the suite's next test: unloading frees it. */
		r = testdom_share(td, NREC, true, seed + 2, refs);
		T(!r && recycle_cycle(fd, refs, NREC, seed + 2) &&
		  gm_counter(&dev, "cached_pages") >= NREC,
		  "recycle: one map left kept");
		close(fd);
	}
	leak_check("recycle");
}

int main(int argc, char **argv)
{
	const char *domain = "sharer", *path = NULL, *only = NULL;
	const struct vmopt opts[] = {
		VMOPT_STR("device", 'D', "PATH",
			  "gntmap's node; the counters must be this test's alone",
			  "/dev/xen/gntmap", &path),
		VMOPT_DOMAIN(&domain),
		VMOPT_CASE("only", 'o', "CASE", "pin|reap|dead|recycle",
			   "run that case only", &only),
		{ }
	};

	vmopt_parse(argc, argv, opts,
		"Map a test domain's grants through gntmap and end the maps the\n"
		"hard ways: pinned pages (deferred unmap), the OOM reaper\n"
		"(process_mrelease), a destroyed domain; and the reuse of\n"
		"freed maps.  TAP on stdout.\n");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!gm_dev_pick(&dev, path)) {
		tap_skip("gntmap serves no device in this boot", "teardown %s",
			 dev.path);
		return tap_done();
	}
	/*
	 * The checks compare counters exactly: in drop-in mode xenconsoled,
	 * xenstored and QEMU move them too (the dead case's domain has its
	 * console mapped by xenconsoled).
	 */
	if (!path && !strcmp(dev.path, "/dev/xen/gntdev")) {
		tap_skip("the toolstack shares the drop-in device's counters",
			 "teardown %s", dev.path);
		return tap_done();
	}
	td = testdom_open(domain, 120000);
	if (!T(td, "domain %s: sharer ready", domain))
		return tap_done();
	domid = testdom_domid(td);

	if (!only || !strcmp(only, "pin")) {
		t_pin_munmap();
		t_pin_kill();
		t_pin_notify();
	}
	if (!only || !strcmp(only, "reap"))
		t_reap();
	if (!only || !strcmp(only, "dead"))
		t_dead();
	if (!only || !strcmp(only, "recycle"))
		t_recycle();
	testdom_close(td);
	return tap_done();
}
