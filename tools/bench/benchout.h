/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The output every in-VM benchmark shares: TAP results, each preceded by
 * its figure as one JSON line behind "# BENCH ", which the harness keeps in
 * the stage's TAP file for tools/bench/collect.sh.  A figure that cannot be
 * measured is reported as missing, with its reason, never as a number.
 */
#ifndef BENCHOUT_H
#define BENCHOUT_H

#include <stdbool.h>

/*
 * Every name printed from now on carries @tag after its "figN" word
 * (e.g. "pvh": "fig1-pvh-map-cycle-1p"); NULL or "" for none.
 */
void bench_set_tag(const char *tag);

/* "# BENCH-ENV {kernel, xen}" of this dom0. */
void bench_env(void);

/* CLOCK_MONOTONIC, in nanoseconds. */
double bench_now_ns(void);

/* @s as a decimal in [@lo, @hi] into @v: 0, or -1 if it is not one. */
int bench_parse_uint(const char *s, unsigned int lo, unsigned int hi,
		     unsigned int *v);

/* Median of @n values (at most 64), @v left as it was. */
double bench_median(const double *v, unsigned int n);

/*
 * One figure: medians of @repeats runs.  @higher_better says which way the
 * ratio goes, so that ratio > 1 always means ours is better.  @n >= 0 and
 * @op (may be NULL) tag a point of a series (figure 2).
 */
void bench_emit(const char *name, const char *unit, double ours,
		double baseline, bool higher_better, unsigned int repeats,
		long n, const char *op);

/*
 * As bench_emit(), from @repeats samples of each side taken in pairs
 * (ours[i] next to baseline[i]): the values are the medians, the ratio
 * the median of the per-pair ratios, which cancels a load swing that
 * both samples of a pair saw.
 */
void bench_emit_paired(const char *name, const char *unit,
		       const double *ours, const double *baseline,
		       unsigned int repeats, bool higher_better, long n,
		       const char *op);

/*
 * One side of a figure measured in a boot of its own (figure 5): @side is
 * "ours" or "baseline"; tools/bench/collect.sh pairs the two boots.
 */
void bench_part(const char *name, const char *unit, const char *side,
		double value, bool higher_better, unsigned int repeats);

/* A figure that could not be measured: SKIP with the reason. */
void bench_missing(const char *name, const char *unit, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A failure of the benchmark itself (not ok). */
void bench_fail(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A plain check (ok / not ok). */
void bench_check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print the plan; the exit status: 1 if anything failed. */
int bench_done(void);

#endif /* BENCHOUT_H */
