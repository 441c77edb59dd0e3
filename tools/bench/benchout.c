// SPDX-License-Identifier: GPL-2.0
/* TAP plus "# BENCH" JSON lines for the in-VM benchmarks (benchout.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "benchout.h"
#include "cli.h"

double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int bench_parse_uint(const char *s, unsigned int lo, unsigned int hi,
		     unsigned int *v)
{
	unsigned long x;

	if (cli_parse(s, 10, lo, hi, &x))
		return -1;
	*v = x;
	return 0;
}

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

	/* Only figures: "sharer-pvh" would read as a domain's name. */
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(const double *v, unsigned int n)
{
	double t[64];

	if (n > 64)
		n = 64;
	memcpy(t, v, n * sizeof(*t));
	qsort(t, n, sizeof(*t), cmp_double);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static void emit(const char *name, const char *unit, double ours,
		 double baseline, double ratio, unsigned int repeats,
		 long n, const char *op)
{
	char buf[128];

	name = tagged(name, buf, sizeof(buf));
	printf("# BENCH {\"name\":\"%s\",\"unit\":\"%s\",\"ours\":%.6g,"
	       "\"baseline\":%.6g,\"ratio\":%.4f,\"repeats\":%u",
	       name, unit, ours, baseline, ratio, repeats);
	if (n >= 0)
		printf(",\"n\":%ld", n);
	if (op)
		printf(",\"op\":\"%s\"", op);
	printf("}\n");
	printf("ok %u - %s: ours %.4g %s, baseline %.4g %s, ratio %.3f\n",
	       ++results, name, ours, unit, baseline, unit, ratio);
	fflush(stdout);
}

void bench_emit(const char *name, const char *unit, double ours,
		double baseline, bool higher_better, unsigned int repeats,
		long n, const char *op)
{
	emit(name, unit, ours, baseline,
	     higher_better ? ours / baseline : baseline / ours, repeats, n,
	     op);
}

void bench_emit_paired(const char *name, const char *unit,
		       const double *ours, const double *baseline,
		       unsigned int repeats, bool higher_better, long n,
		       const char *op)
{
	double r[64];
	unsigned int i;

	if (repeats > 64)
		repeats = 64;
	for (i = 0; i < repeats; i++)
		r[i] = higher_better ? ours[i] / baseline[i] :
				       baseline[i] / ours[i];
	emit(name, unit, bench_median(ours, repeats),
	     bench_median(baseline, repeats), bench_median(r, repeats),
	     repeats, n, op);
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
	printf("\"}\n");
	printf("ok %u - %s # SKIP %s\n", ++results, name, why);
	fflush(stdout);
}

void bench_fail(const char *name, const char *fmt, ...)
{
	char why[256], buf[128];
	va_list ap;

	name = tagged(name, buf, sizeof(buf));
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("not ok %u - %s: %s\n", ++results, name, why);
	failures++;
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
