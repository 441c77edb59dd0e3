/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every benchmark of `make bench` shares (docs/performance.md): the
 * options, the A/B rounds, the medians, and the output: TAP, each result
 * preceded by its entry as one JSON line behind "# BENCH " for
 * tools/bench/report.py.  A figure that cannot be measured is missing,
 * with its reason, never a number.
 */
#ifndef BENCHLIB_H
#define BENCHLIB_H

#include <stdbool.h>
#include <sys/types.h>

/* ---- options ---- */

/*
 * One option, made with the macros below: a number in [@lo, @hi] into
 * @num, a comma list of at most @max numbers in [@lo, @hi] into @list
 * (their count in @num), a string into @str, or a flag into @flag.  The
 * help line shows a number's default.
 */
struct bench_opt {
	const char *name;	/* --name */
	int key;		/* -k; above 255 for --name alone */
	const char *arg;	/* what the value is called in --help */
	const char *help;
	unsigned int *num;
	unsigned int lo, hi;
	unsigned int *list, max;
	const char **str;
	bool *flag;
};

#define BENCH_NUM(nm, k, a, h, p, l, u) \
	{ .name = nm, .key = k, .arg = a, .help = h, .num = p, .lo = l, .hi = u }
#define BENCH_LIST(nm, k, a, h, p, n, m, l, u) \
	{ .name = nm, .key = k, .arg = a, .help = h, .list = p, .num = n, \
	  .max = m, .lo = l, .hi = u }
#define BENCH_STR(nm, k, a, h, p) \
	{ .name = nm, .key = k, .arg = a, .help = h, .str = p }
#define BENCH_FLAG(nm, k, h, p) { .name = nm, .key = k, .help = h, .flag = p }

/*
 * getopt_long over @opts (ended by { NULL }) and -h/--help (usage, @about
 * and the options).  A bad value or option, or other than @nops operands:
 * one line on stderr, exit 2.  Returns optind.
 */
int bench_options(int argc, char **argv, const struct bench_opt *opts,
		  const char *operands, int nops, const char *about);

/* CLOCK_MONOTONIC in ns; the median of @n (at most 64) values. */
double bench_now_ns(void);
double bench_median(const double *v, unsigned int n);

/* ---- A/B rounds ---- */

#define BENCH_MAX_ROUNDS	64
#define BENCH_MAX_VALUES	6

/* The samples of one side: value k of round r is v[k][r]. */
struct bench_samples {
	double v[BENCH_MAX_VALUES][BENCH_MAX_ROUNDS];
};

/* One sample of @side into @v (up to BENCH_MAX_VALUES): 0 or an errno. */
typedef int (*bench_sample_fn)(void *ctx, unsigned int side, double *v);

/*
 * @rounds rounds of one sample of each of @nsides sides into @s[side], the
 * first of round r being side r % @nsides (A B, B A, ...), so that a swing
 * of the host's load hits every side alike.  0, or the first errno with
 * its side in @failed (may be NULL).
 */
int bench_rounds(unsigned int nsides, unsigned int rounds, bench_sample_fn fn,
		 void *ctx, struct bench_samples *s, unsigned int *failed);
/*
 * The same for rounds @r0 to @r0 + @rounds - 1 of a figure alone (none past
 * BENCH_MAX_ROUNDS), so that a figure can take its rounds in parts, each
 * with workers of its own, and still pair and alternate them as one run:
 * round r is in v[k][r] and starts with side r % @nsides whatever the part.
 */
int bench_rounds_at(unsigned int nsides, unsigned int r0, unsigned int rounds,
		    bench_sample_fn fn, void *ctx, struct bench_samples *s,
		    unsigned int *failed);

/*
 * A worker process, for sides that must not share an mm: it serves
 * commands (op > 0) with @fn(@ctx, op, arg, v) until stopped, then exits,
 * which releases what it holds, untimed.
 *
 * Two workers on the same driver are not alike: in gntbench's controls
 * the worker started first was a few per cent slower than the second
 * (docs/performance.md), for a reason not found.  A figure that compares
 * two workers cancels such an effect, whatever it is, by taking half of
 * its rounds with the workers started in one order and the other half
 * with a fresh set started in the reverse order (bench_worker_rounds_at),
 * so that each side is served by the first-started worker in half of the
 * rounds.
 */
typedef int (*bench_serve_fn)(void *ctx, int op, unsigned int arg, double *v);

struct bench_worker {
	pid_t pid;
	int to, from;
};

int bench_worker_start(struct bench_worker *w, bench_serve_fn fn, void *ctx);
/* One command: 0 with @v, or an errno (EPIPE: the worker is gone). */
int bench_worker_do(struct bench_worker *w, int op, unsigned int arg,
		    double *v);
void bench_worker_stop(struct bench_worker *w);
/* bench_rounds() whose sides are the @n workers @w, each given op, arg. */
int bench_worker_rounds(struct bench_worker *w, unsigned int n,
			unsigned int rounds, int op, unsigned int arg,
			struct bench_samples *s, unsigned int *failed);
/* bench_rounds_at() whose sides are the @n workers @w. */
int bench_worker_rounds_at(struct bench_worker *w, unsigned int n,
			   unsigned int r0, unsigned int rounds, int op,
			   unsigned int arg, struct bench_samples *s,
			   unsigned int *failed);

/* ---- output ---- */

/* Names from now on carry @tag after "figN" ("fig1-pvh-..."); NULL: none. */
void bench_set_tag(const char *tag);
/* "# BENCH-ENV {kernel, xen}" of this dom0. */
void bench_env(void);

/*
 * One entry from @rounds pairs of samples (ours[i] next to baseline[i]):
 * the values are the medians, the ratio the median of the per-pair ratios
 * (a load swing both samples of a pair saw cancels), "spread" their middle
 * half.  @higher_better orients the ratio so that > 1 means ours is
 * better.  @n >= 0 and @op (may be NULL) tag a point of a series.
 */
void bench_emit_paired(const char *name, const char *unit,
		       const double *ours, const double *baseline,
		       unsigned int rounds, bool higher_better, long n,
		       const char *op);

/* The first of @rounds rounds that worker set @set of @nsets takes. */
unsigned int bench_set_r0(unsigned int rounds, unsigned int set,
			  unsigned int nsets);

/*
 * A "#" line: the ratio of @name's entry (bench_emit_paired()) over the
 * rounds of each of its @nsets worker sets apart, set k having rounds
 * [bench_set_r0(k), bench_set_r0(k + 1)).  When the sets start their
 * workers in alternating orders, a fixed effect of the order, which the
 * entry's ratio cancels, parts even and odd sets by its factor squared;
 * an effect of one set of processes shows in that set alone.
 */
void bench_note_sets(const char *name, const double *ours,
		     const double *baseline, unsigned int rounds,
		     unsigned int nsets, bool higher_better);

/* One side ("ours", "baseline") of a figure whose sides need two boots. */
void bench_part(const char *name, const char *unit, const char *side,
		double value, bool higher_better, unsigned int repeats);

/* An entry that could not be measured: SKIP with the reason. */
void bench_missing(const char *name, const char *unit, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A plain check (ok / not ok), e.g. a failure of the benchmark itself. */
void bench_check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the plan; the exit status: 1 if anything failed. */
int bench_done(void);

#endif /* BENCHLIB_H */
