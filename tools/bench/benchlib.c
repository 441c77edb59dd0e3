// SPDX-License-Identifier: GPL-2.0
/* The benchmarks' shared options, A/B rounds and output (benchlib.h). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "cli.h"

/* ---- options ---- */

static void usage(const struct bench_opt *o, const char *operands,
		  const char *about)
{
	char sh[8], left[40];

	printf("usage: %s [options]%s%s\n%s", program_invocation_short_name,
	       *operands ? " " : "", operands, about);
	for (; o->name; o++) {
		snprintf(sh, sizeof(sh), o->key < 256 ? "-%c, " : "    ", o->key);
		snprintf(left, sizeof(left), "%s--%s %s", sh, o->name,
			 o->arg ? o->arg : "");
		printf("  %-24s %s", left, o->help);
		if (o->num && !o->list)
			printf(" (%u)", *o->num);
		printf("\n");
	}
	printf("  %-24s %s\n", "-h, --help", "this text");
}

/* A comma list of numbers in [@o->lo, @o->hi], at most @o->max of them. */
static int parse_list(const char *s, const struct bench_opt *o)
{
	char buf[128], *tok, *save = NULL;
	unsigned long v;
	unsigned int n = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == o->max || cli_parse(tok, 10, o->lo, o->hi, &v))
			return -1;
		o->list[n++] = v;
	}
	*o->num = n;
	return n ? 0 : -1;
}

static int parse_one(const struct bench_opt *o, const char *arg)
{
	unsigned long v;

	if (o->flag)
		*o->flag = true;
	else if (o->str)
		*o->str = arg;
	else if (o->list)
		return parse_list(arg, o);
	else if (cli_parse(arg, 10, o->lo, o->hi, &v))
		return -1;
	else
		*o->num = v;
	return 0;
}

int bench_options(int argc, char **argv, const struct bench_opt *opts,
		  const char *operands, int nops, const char *about)
{
	struct option lo[32] = { { "help", no_argument, NULL, 'h' } };
	char so[80] = "h";
	unsigned int n;
	int c, i;

	for (n = 0; opts[n].name && n < 30; n++) {
		lo[n + 1] = (struct option){ opts[n].name, opts[n].flag ?
			no_argument : required_argument, NULL, opts[n].key };
		if (opts[n].key < 256)
			snprintf(so + strlen(so), sizeof(so) - strlen(so), "%c%s",
				 opts[n].key, opts[n].flag ? "" : ":");
	}
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (c == 'h') {
			usage(opts, operands, about);
			exit(0);
		}
		for (i = 0; opts[i].name && opts[i].key != c; i++)
			;
		if (!opts[i].name)
			exit(2);	/* getopt_long() has said why */
		if (parse_one(&opts[i], optarg)) {
			fprintf(stderr, "%s: bad value '%s' for --%s\n",
				program_invocation_short_name, optarg,
				opts[i].name);
			exit(2);
		}
	}
	if (argc - optind != nops) {
		fprintf(stderr, "%s: want %d operand%s%s%s (see --help)\n",
			program_invocation_short_name, nops, nops == 1 ? "" : "s",
			nops ? ": " : "", operands);
		exit(2);
	}
	return optind;
}

/* ---- clock and statistics ---- */

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* @v sorted into @t; @n capped at BENCH_MAX_ROUNDS. */
static unsigned int sorted(const double *v, unsigned int n, double *t)
{
	if (n > BENCH_MAX_ROUNDS)
		n = BENCH_MAX_ROUNDS;
	memcpy(t, v, n * sizeof(*t));
	qsort(t, n, sizeof(*t), cmp_double);
	return n;
}

double bench_median(const double *v, unsigned int n)
{
	double t[BENCH_MAX_ROUNDS];

	n = sorted(v, n, t);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

/* ---- A/B rounds ---- */

int bench_rounds_at(unsigned int nsides, unsigned int r0, unsigned int rounds,
		    bench_sample_fn fn, void *ctx, struct bench_samples *s,
		    unsigned int *failed)
{
	double v[BENCH_MAX_VALUES];
	unsigned int r, j, side, k;
	int err;

	if (r0 >= BENCH_MAX_ROUNDS)
		return 0;
	if (rounds > BENCH_MAX_ROUNDS - r0)
		rounds = BENCH_MAX_ROUNDS - r0;
	for (r = r0; r < r0 + rounds; r++)
		for (j = 0; j < nsides; j++) {
			side = (r + j) % nsides;
			memset(v, 0, sizeof(v));
			err = fn(ctx, side, v);
			if (err) {
				if (failed)
					*failed = side;
				return err;
			}
			for (k = 0; k < BENCH_MAX_VALUES; k++)
				s[side].v[k][r] = v[k];
		}
	return 0;
}

int bench_rounds(unsigned int nsides, unsigned int rounds, bench_sample_fn fn,
		 void *ctx, struct bench_samples *s, unsigned int *failed)
{
	return bench_rounds_at(nsides, 0, rounds, fn, ctx, s, failed);
}

struct wmsg {
	int op;			/* 0: quit */
	unsigned int arg;
	int err;		/* reply: 0 or an errno */
	double v[BENCH_MAX_VALUES];
};

int bench_worker_start(struct bench_worker *w, bench_serve_fn fn, void *ctx)
{
	struct wmsg m;
	int a[2], b[2];

	if (pipe(a))
		return errno;
	if (pipe(b)) {
		close(a[0]);
		close(a[1]);
		return errno;
	}
	w->pid = fork();
	if (w->pid < 0)
		return errno;
	if (!w->pid) {
		close(a[1]);
		close(b[0]);
		while (read(a[0], &m, sizeof(m)) == sizeof(m) && m.op) {
			memset(m.v, 0, sizeof(m.v));
			m.err = fn(ctx, m.op, m.arg, m.v);
			if (write(b[1], &m, sizeof(m)) != sizeof(m))
				break;
		}
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	w->to = a[1];
	w->from = b[0];
	return 0;
}

int bench_worker_do(struct bench_worker *w, int op, unsigned int arg,
		    double *v)
{
	struct wmsg m = { .op = op, .arg = arg };

	if (write(w->to, &m, sizeof(m)) != sizeof(m) ||
	    read(w->from, &m, sizeof(m)) != sizeof(m))
		return EPIPE;
	memcpy(v, m.v, sizeof(m.v));
	return m.err;
}

void bench_worker_stop(struct bench_worker *w)
{
	struct wmsg m = { .op = 0 };

	if (w->pid <= 0)
		return;
	if (write(w->to, &m, sizeof(m)) != sizeof(m))
		kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	close(w->to);
	close(w->from);
	w->pid = 0;
}

struct wcall {
	struct bench_worker *w;
	int op;
	unsigned int arg;
};

static int worker_sample(void *ctx, unsigned int side, double *v)
{
	struct wcall *c = ctx;

	return bench_worker_do(&c->w[side], c->op, c->arg, v);
}

int bench_worker_rounds_at(struct bench_worker *w, unsigned int n,
			   unsigned int r0, unsigned int rounds, int op,
			   unsigned int arg, struct bench_samples *s,
			   unsigned int *failed)
{
	struct wcall c = { w, op, arg };

	return bench_rounds_at(n, r0, rounds, worker_sample, &c, s, failed);
}

int bench_worker_rounds(struct bench_worker *w, unsigned int n,
			unsigned int rounds, int op, unsigned int arg,
			struct bench_samples *s, unsigned int *failed)
{
	return bench_worker_rounds_at(w, n, 0, rounds, op, arg, s, failed);
}

/* ---- output ---- */

static unsigned int results, failures;
static char tag[32];

void bench_set_tag(const char *t)
{
	snprintf(tag, sizeof(tag), "%s", t ? t : "");
}

/*
 * @name with the tag after its "figN" word ("fig1-map-cycle-1p" becomes
 * "fig1-pvh-map-cycle-1p"), so that figure N keeps its place in the
 * report and a second boot's entries do not collide with the first's.
 */
static const char *tagged(const char *name, char *buf, size_t len)
{
	size_t w = strcspn(name, "-");

	if (!tag[0] || strncmp(name, "fig", 3))
		return name;
	snprintf(buf, len, "%.*s-%s%s", (int)w, name, tag, name + w);
	return buf;
}

/* JSON string body: the reasons come from strerror and our own text. */
static void json_str(const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar((unsigned char)*s < 0x20 ? ' ' : *s);
	}
}

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}

void bench_env(void)
{
	char maj[16], min[16], extra[32];
	struct utsname u;

	uname(&u);
	read_line("/sys/hypervisor/version/major", maj, sizeof(maj));
	read_line("/sys/hypervisor/version/minor", min, sizeof(min));
	read_line("/sys/hypervisor/version/extra", extra, sizeof(extra));
	printf("# BENCH-ENV {\"kernel\":\"");
	json_str(u.release);
	printf("\",\"xen\":\"");
	if (maj[0])
		printf("%s.%s", maj, min), json_str(extra);
	else
		printf("unknown");
	printf("\"}\n");
	fflush(stdout);
}

/* The per-round ratios into @r, > 1 where ours is better; their number. */
static unsigned int ratios(const double *ours, const double *baseline,
			   unsigned int rounds, bool higher_better, double *r)
{
	unsigned int i;

	if (rounds > BENCH_MAX_ROUNDS)
		rounds = BENCH_MAX_ROUNDS;
	for (i = 0; i < rounds; i++)
		r[i] = higher_better ? ours[i] / baseline[i] :
				       baseline[i] / ours[i];
	return rounds;
}

void bench_emit_paired(const char *name, const char *unit,
		       const double *ours, const double *baseline,
		       unsigned int rounds, bool higher_better, long n,
		       const char *op)
{
	double r[BENCH_MAX_ROUNDS], t[BENCH_MAX_ROUNDS], mo, mb, ratio;
	char buf[128];

	rounds = ratios(ours, baseline, rounds, higher_better, r);
	mo = bench_median(ours, rounds);
	mb = bench_median(baseline, rounds);
	ratio = bench_median(r, rounds);
	sorted(r, rounds, t);
	name = tagged(name, buf, sizeof(buf));
	printf("# BENCH {\"name\":\"%s\",\"unit\":\"%s\",\"ours\":%.6g,"
	       "\"baseline\":%.6g,\"ratio\":%.4f,\"spread\":[%.4f,%.4f],"
	       "\"repeats\":%u", name, unit, mo, mb, ratio, t[rounds / 4],
	       t[(3 * rounds) / 4], rounds);
	if (n >= 0)
		printf(",\"n\":%ld", n);
	if (op)
		printf(",\"op\":\"%s\"", op);
	printf("}\nok %u - %s: ours %.4g %s, baseline %.4g %s, ratio %.3f\n",
	       ++results, name, mo, unit, mb, unit, ratio);
	fflush(stdout);
}

unsigned int bench_set_r0(unsigned int rounds, unsigned int set,
			  unsigned int nsets)
{
	return rounds * set / nsets;
}

void bench_note_sets(const char *name, const double *ours,
		     const double *baseline, unsigned int rounds,
		     unsigned int nsets, bool higher_better)
{
	double r[BENCH_MAX_ROUNDS];
	unsigned int k, r0, r1, n;
	char buf[128];

	n = ratios(ours, baseline, rounds, higher_better, r);
	/* A round without its ratio would shift every set after it. */
	if (nsets < 2 || n != rounds)
		return;
	name = tagged(name, buf, sizeof(buf));
	printf("# %s: ratio by worker set", name);
	for (k = 0; k < nsets; k++) {
		r0 = bench_set_r0(rounds, k, nsets);
		r1 = bench_set_r0(rounds, k + 1, nsets);
		if (r1 > r0)
			printf("%s %.4f (rounds %u-%u)", k ? "," : "",
			       bench_median(r + r0, r1 - r0), r0, r1 - 1);
	}
	printf("\n");
	fflush(stdout);
}

void bench_part(const char *name, const char *unit, const char *side,
		double value, bool higher_better, unsigned int repeats)
{
	char buf[128];

	name = tagged(name, buf, sizeof(buf));
	printf("# BENCH-PART {\"name\":\"%s\",\"unit\":\"%s\","
	       "\"side\":\"%s\",\"value\":%.6g,\"higher_better\":%s,"
	       "\"repeats\":%u}\n", name, unit, side, value,
	       higher_better ? "true" : "false", repeats);
	printf("ok %u - %s: %s %.4g %s (other side in the other boot)\n",
	       ++results, name, side, value, unit);
	fflush(stdout);
}

void bench_missing(const char *name, const char *unit, const char *fmt, ...)
{
	char why[256], buf[128];
	va_list ap;

	name = tagged(name, buf, sizeof(buf));
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("# BENCH {\"name\":\"%s\",\"unit\":\"%s\",\"ours\":null,"
	       "\"baseline\":null,\"ratio\":null,\"repeats\":0,\"missing\":\"",
	       name, unit);
	json_str(why);
	printf("\"}\nok %u - %s # SKIP %s\n", ++results, name, why);
	fflush(stdout);
}

void bench_check(bool ok, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	printf("%s %u - %s\n", ok ? "ok" : "not ok", ++results, what);
	failures += !ok;
	fflush(stdout);
}

int bench_done(void)
{
	printf("1..%u\n", results);
	return failures ? 1 : 0;
}
