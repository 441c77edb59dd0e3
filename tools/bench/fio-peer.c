// SPDX-License-Identifier: GPL-2.0
/*
 * fio-peer: the bench test domU's end of figure 8 (docs/performance.md).
 * Serves fio runs over the domain's disk, which QEMU's qdisk backend in
 * dom0 serves, on dom0's request through xenstore (fio-proto.h): each run
 * is Debian's fio with the four jobs of fio_jobs[] one after the other,
 * O_DIRECT, one I/O at a time; the answer is each job's bandwidth and the
 * bytes it moved, from fio's JSON output.  Started in the background by
 * the domU hook 70-fio-peer; logs to stderr.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenstore.h>

#include "benchlib.h"
#include "fio-proto.h"

#define OUT_MAX		(1 << 20)

/*
 * The value of the first key @key ("\"name\"") in [@p, @end) that is
 * followed by a colon, as a pointer past the colon and blanks; with
 * @open, only a key whose value is an object.  NULL if there is none.
 */
static const char *json_key(const char *p, const char *end, const char *key,
			    bool open)
{
	size_t kl = strlen(key);
	const char *q;

	for (; p && p < end; p++) {
		p = strstr(p, key);
		if (!p || p >= end)
			return NULL;
		q = p + kl;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\n'))
			q++;
		if (q >= end || *q != ':')
			continue;
		q++;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\n'))
			q++;
		if (!open || (q < end && *q == '{'))
			return q;
	}
	return NULL;
}

/*
 * Job @j's bandwidth (bytes/s) and bytes moved from fio's JSON @out.
 * 0, or -1 with @why.
 */
static int job_result(const char *out, const struct fio_job *j, double *bw,
		      double *io, char *why, size_t wl)
{
	const char *end = out + strlen(out), *p, *next, *part, *v;
	char name[64];

	snprintf(name, sizeof(name), "\"%s\"", j->name);
	for (p = json_key(out, end, "\"jobname\"", false); p;
	     p = json_key(p, end, "\"jobname\"", false))
		if (!strncmp(p, name, strlen(name)))
			break;
	if (!p) {
		snprintf(why, wl, "job %s not in fio's output", j->name);
		return -1;
	}
	next = json_key(p, end, "\"jobname\"", false);
	if (!next)
		next = end;
	v = json_key(p, next, "\"error\"", false);
	if (!v || atoi(v)) {
		snprintf(why, wl, "job %s: fio error %d", j->name, v ? atoi(v) : -1);
		return -1;
	}
	part = json_key(p, next, j->write ? "\"write\"" : "\"read\"", true);
	v = part ? json_key(part, next, "\"bw_bytes\"", false) : NULL;
	if (!v) {
		snprintf(why, wl, "job %s: no bandwidth in fio's output", j->name);
		return -1;
	}
	*bw = strtod(v, NULL);
	v = json_key(part, next, "\"io_bytes\"", false);
	*io = v ? strtod(v, NULL) : 0;
	if (*bw <= 0 || *io <= 0) {
		snprintf(why, wl, "job %s moved nothing", j->name);
		return -1;
	}
	return 0;
}

/* Run fio once; 0 with its JSON in @out (malloc'd), or -1 with @why. */
static int run_fio(const char *dev, unsigned int mb, unsigned int secs,
		   char **out, char *why, size_t wl)
{
	char size[32], runtime[32], file[128], names[FIO_NJOBS][80],
	     rws[FIO_NJOBS][32], bss[FIO_NJOBS][32];
	const char *argv[16 + 4 * FIO_NJOBS];
	size_t len = 0;
	ssize_t n;
	int fd[2], st, i, a = 0;
	pid_t pid;
	char *buf;

	snprintf(size, sizeof(size), "--size=%um", mb);
	snprintf(runtime, sizeof(runtime), "--runtime=%u", secs);
	snprintf(file, sizeof(file), "--filename=%s", dev);
	argv[a++] = "fio";
	argv[a++] = "--output-format=json";
	argv[a++] = "--thread";
	argv[a++] = "--direct=1";
	argv[a++] = "--ioengine=psync";
	argv[a++] = "--iodepth=1";
	argv[a++] = "--disk_util=0";
	argv[a++] = file;
	argv[a++] = size;
	argv[a++] = runtime;
	for (i = 0; i < FIO_NJOBS; i++) {
		snprintf(names[i], sizeof(names[i]), "--name=%s", fio_jobs[i].name);
		snprintf(rws[i], sizeof(rws[i]), "--rw=%s", fio_jobs[i].rw);
		snprintf(bss[i], sizeof(bss[i]), "--bs=%u", fio_jobs[i].bs);
		argv[a++] = names[i];
		argv[a++] = rws[i];
		argv[a++] = bss[i];
		argv[a++] = "--stonewall";
	}
	argv[a] = NULL;

	buf = malloc(OUT_MAX + 1);
	if (!buf || pipe(fd)) {
		free(buf);
		snprintf(why, wl, "%s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, wl, "fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		free(buf);
		return -1;
	}
	if (!pid) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		execvp("fio", (char **)argv);
		fprintf(stderr, "fio-peer: cannot run fio: %s\n", strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	while (len < OUT_MAX && (n = read(fd[0], buf + len, OUT_MAX - len)) > 0)
		len += n;
	close(fd[0]);
	buf[len] = 0;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(why, wl, "fio failed (status 0x%x)", st);
		free(buf);
		return -1;
	}
	*out = buf;
	return 0;
}

/* One request: the answer for data/fio-res into @res. */
static void serve(const char *dev, unsigned int seq, unsigned int mb,
		  unsigned int secs, char *res, size_t rl)
{
	double bw, io;
	char why[160], *out = NULL;
	size_t l;
	int i;

	if (run_fio(dev, mb, secs, &out, why, sizeof(why)))
		goto fail;
	l = snprintf(res, rl, "%u ok", seq);
	for (i = 0; i < FIO_NJOBS; i++) {
		if (job_result(out, &fio_jobs[i], &bw, &io, why, sizeof(why)))
			goto fail;
		l += snprintf(res + l, rl - l, " %.0f %.0f", bw, io);
	}
	free(out);
	return;
fail:
	free(out);
	fprintf(stderr, "fio-peer: run %u: %s\n", seq, why);
	snprintf(res, rl, "%u error %s", seq, why);
}

static bool put(struct xs_handle *xs, const char *node, const char *val)
{
	return xs_write(xs, XBT_NULL, node, val, strlen(val));
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/xvda", *parse = NULL;
	const struct bench_opt opts[] = {
		BENCH_STR("device", 'd', "DEV", "the disk fio runs on (/dev/xvda)",
			  &dev),
		BENCH_STR("parse", 256 + 'p', "FILE",
			  "print the figures of fio's JSON output in FILE and exit",
			  &parse),
		{ NULL },
	};
	unsigned int last = 0, seq, mb, secs, n;
	struct xs_handle *xs;
	char res[512], *req, **ev;

	bench_options(argc, argv, opts, "", 0,
		      "The bench test domU's end of figure 8 (make bench): runs fio\n"
		      "over DEV whenever dom0 asks through xenstore (fio-proto.h).\n");
	if (parse) {
		/* The parser alone, for a host-side check of fio's output. */
		FILE *f = fopen(parse, "r");
		char *out = calloc(1, OUT_MAX + 1);
		double bw, io;
		char why[160];
		int i, rc = 0;

		if (!f || !out) {
			fprintf(stderr, "fio-peer: %s: %s\n", parse, strerror(errno));
			return 1;
		}
		n = fread(out, 1, OUT_MAX, f);
		fclose(f);
		out[n] = 0;
		for (i = 0; i < FIO_NJOBS; i++) {
			if (job_result(out, &fio_jobs[i], &bw, &io, why, sizeof(why))) {
				fprintf(stderr, "fio-peer: %s\n", why);
				rc = 1;
				continue;
			}
			printf("%s %.0f B/s %.0f B\n", fio_jobs[i].name, bw, io);
		}
		free(out);
		return rc;
	}
	xs = xs_open(0);
	if (!xs) {
		fprintf(stderr, "fio-peer: xenstore: %s\n", strerror(errno));
		return 1;
	}
	/* Our own nodes, so that dom0's writes keep our permissions. */
	if (!put(xs, FIO_NODE_REQ, "0 0 0") || !put(xs, FIO_NODE_RES, "0 none") ||
	    !xs_watch(xs, FIO_NODE_REQ, "req") || !put(xs, FIO_NODE_READY, "ready")) {
		fprintf(stderr, "fio-peer: xenstore: %s\n", strerror(errno));
		return 1;
	}
	fprintf(stderr, "fio-peer: serving fio over %s\n", dev);
	for (;;) {
		ev = xs_read_watch(xs, &n);
		if (!ev) {
			fprintf(stderr, "fio-peer: watch: %s\n", strerror(errno));
			return 1;
		}
		free(ev);
		req = xs_read(xs, XBT_NULL, FIO_NODE_REQ, &n);
		if (!req)
			continue;
		if (sscanf(req, "%u %u %u", &seq, &mb, &secs) != 3 || seq <= last) {
			free(req);
			continue;
		}
		free(req);
		last = seq;
		if (!mb || !secs)
			snprintf(res, sizeof(res), "%u error bad request", seq);
		else
			serve(dev, seq, mb, secs, res, sizeof(res));
		if (!put(xs, FIO_NODE_RES, res))
			fprintf(stderr, "fio-peer: cannot answer: %s\n",
				strerror(errno));
	}
}
