// SPDX-License-Identifier: GPL-2.0
/*
 * gntmap: look at the gntmap driver from dom0.
 *
 *   gntmap counters            print the device's counters
 *   gntmap map DOMID REF...    map grants read-only, print the first bytes
 *                              of each page, unmap
 *   gntmap ps                  processes with live maps, and their domains
 *   gntmap domain DOMID        every process and file holding DOMID's grants
 *   gntmap watch [-n COUNT]    the counters once a second, as rates
 *
 * ps and domain read the driver's root-only listing in debugfs
 * (drivers/gntmap/who.c; docs/gntmap.md, "Finding who holds a domain's
 * grants").
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xen/xen.h>
#include <xen/sys/gntdev.h>

#include "gntmap_counters.h"

/* The system page: one grant per page of a mapping. */
static size_t page_size;
static int json;

#define WHO_PATH "/sys/kernel/debug/gntmap/maps"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: gntmap [--device PATH] [--json] counters\n"
		"       gntmap [--device PATH] [--bytes N] map DOMID REF...\n"
		"       gntmap [--json] ps\n"
		"       gntmap [--json] domain DOMID\n"
		"       gntmap [--device PATH] [--json] [--count N] watch\n"
		"Inspect the gntmap grant-mapping driver from dom0.\n"
		"  counters          print the device's counters (sysfs)\n"
		"  map DOMID REF...  map the grants read-only, show the first\n"
		"                    bytes of each page, unmap\n"
		"  ps                processes with live maps and their domains\n"
		"                    (root: reads " WHO_PATH ")\n"
		"  domain DOMID      every process and file holding DOMID's grants,\n"
		"                    and its pages still pending (root); an\n"
		"                    unknown domain is an empty answer\n"
		"  watch             the counters once a second, as rates\n"
		"  -j, --json        print JSON (counters, ps, domain, watch)\n"
		"  -n, --count N     watch: stop after N lines (default: never)\n"
		"  -D, --device PATH device node (default: /dev/xen/gntmap, or\n"
		"                    /dev/xen/gntdev when gntmap serves it)\n"
		"  -b, --bytes N     bytes to show per page, 1-64 (default 16)\n"
		"  -h, --help        this text\n");
}

static int die(const char *what, int err)
{
	fprintf(stderr, "gntmap: %s: %s\n", what, strerror(err));
	return 1;
}

static int cmd_counters(const char *dev)
{
	const char *name;
	char dir[256];
	unsigned int i;

	gntmap_counters_dir(dir, sizeof(dir), dev);
	if (access(dir, R_OK))
		return die(dir, errno);
	for (i = 0; (name = gntmap_counter_name(i)); i++) {
		if (json)
			printf("%s\"%s\":%ld", i ? "," : "{", name,
			       gntmap_counter_read(dir, name));
		else
			printf("%-18s %ld\n", name,
			       gntmap_counter_read(dir, name));
	}
	if (json)
		printf("}\n");
	return 0;
}

/*
 * gntmap serves /dev/xen/gntmap, or /dev/xen/gntdev in drop-in mode: the
 * first of the two with gntmap's counters in sysfs.
 */
static const char *default_device(void)
{
	static const char *const names[] = { "gntmap", "gntdev" };
	char path[64];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path),
			 "/sys/class/misc/xen!%s/counters", names[i]);
		if (!access(path, F_OK))
			return i ? "/dev/xen/gntdev" : "/dev/xen/gntmap";
	}
	return "/dev/xen/gntmap";
}

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 0);
	if (errno || *end || end == s || x > UINT32_MAX)
		return -1;
	*v = x;
	return 0;
}

static int cmd_map(const char *dev, unsigned int bytes, int argc,
		   char **argv)
{
	struct ioctl_gntdev_map_grant_ref *op;
	struct ioctl_gntdev_unmap_grant_ref un = { 0 };
	unsigned int n = argc - 1, i, j;
	uint32_t domid;
	uint8_t *m;
	int fd, err = 0;

	if (argc < 2 || parse_u32(argv[0], &domid)) {
		fprintf(stderr, "gntmap: map needs DOMID and at least one REF\n");
		return 2;
	}
	op = calloc(1, sizeof(*op) + n * sizeof(op->refs[0]));
	if (!op)
		return die("calloc", ENOMEM);
	op->count = n;
	for (i = 0; i < n; i++) {
		op->refs[i].domid = domid;
		if (parse_u32(argv[i + 1], &op->refs[i].ref)) {
			fprintf(stderr, "gntmap: bad grant ref '%s'\n",
				argv[i + 1]);
			free(op);
			return 2;
		}
	}
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		free(op);
		return die(dev, errno);
	}
	if (ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, op)) {
		err = die("MAP_GRANT_REF", errno);
		goto out;
	}
	m = mmap(NULL, (size_t)n * page_size, PROT_READ, MAP_SHARED, fd, op->index);
	if (m == MAP_FAILED) {
		err = die("mmap", errno);
	} else {
		for (i = 0; i < n; i++) {
			printf("page %u (ref %u):", i, op->refs[i].ref);
			for (j = 0; j < bytes; j++)
				printf(" %02x", m[i * page_size + j]);
			putchar('\n');
		}
		munmap(m, (size_t)n * page_size);
	}
	un.index = op->index;
	un.count = n;
	if (ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &un) && !err)
		err = die("UNMAP_GRANT_REF", errno);
out:
	close(fd);
	free(op);
	return err;
}

/*
 * The driver must be loaded (its module directory) and, for the listing,
 * the caller root: each check is one line on stderr and exit status 1.
 */
static int need_driver(void)
{
	if (access("/sys/module/gntmap", F_OK)) {
		fprintf(stderr, "gntmap: the gntmap driver is not loaded (no /sys/module/gntmap)\n");
		return 1;
	}
	return 0;
}

static int need_listing(void)
{
	if (need_driver())
		return 1;
	if (geteuid()) {
		fprintf(stderr, "gntmap: the listing of maps is for root only (" WHO_PATH ")\n");
		return 1;
	}
	if (access(WHO_PATH, R_OK)) {
		fprintf(stderr, "gntmap: " WHO_PATH ": %s (is debugfs mounted? mount -t debugfs none /sys/kernel/debug)\n",
			strerror(errno));
		return 1;
	}
	return 0;
}

/* One line of the listing: its kind and its key=value fields. */
#define WHO_FIELDS 24
struct who_line {
	char kind[8];
	unsigned int n;
	char *key[WHO_FIELDS];
	char *val[WHO_FIELDS];
};

/* Undo the listing's \ooo escapes of a comm, in place. */
static void who_unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && isdigit((unsigned char)s[1]) &&
		    isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3])) {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
				      (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = 0;
}

static void who_parse(char *buf, struct who_line *l)
{
	char *tok, *save = NULL, *eq;

	l->n = 0;
	l->kind[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	tok = strtok_r(buf, " ", &save);
	if (!tok)
		return;
	snprintf(l->kind, sizeof(l->kind), "%s", tok);
	while ((tok = strtok_r(NULL, " ", &save)) && l->n < WHO_FIELDS) {
		eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = 0;
		who_unescape(eq + 1);
		l->key[l->n] = tok;
		l->val[l->n++] = eq + 1;
	}
}

static const char *who_get(const struct who_line *l, const char *key)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->key[i], key))
			return l->val[i];
	return "";
}

static unsigned long who_num(const struct who_line *l, const char *key)
{
	return strtoul(who_get(l, key), NULL, 10);
}

/* Does the domid list "5,7,+" of a map name @domid? */
static int who_has_dom(const char *list, uint32_t domid)
{
	char *end;

	while (*list) {
		if (isdigit((unsigned char)*list)) {
			if (strtoul(list, &end, 10) == domid)
				return 1;
			list = end;
		} else {
			list++;
		}
	}
	return 0;
}

/* A string for JSON: comms may hold anything. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/*
 * Who holds a map's grants: the process whose address space maps it,
 * else the one that made it (reserved, or pages pending after munmap).
 */
static void who_holder(const struct who_line *l, const char **pid,
		       const char **comm, const char **role)
{
	if (strcmp(who_get(l, "mm_pid"), "-")) {
		*pid = who_get(l, "mm_pid");
		*comm = who_get(l, "mm_comm");
		*role = "mmap";
	} else {
		*pid = who_get(l, "pid");
		*comm = who_get(l, "comm");
		*role = "file";
	}
}

struct ps_row {
	char pid[16];
	char comm[64];
	char doms[128];
	unsigned long maps, pages, mapped, pending;
};

/* Add the domids of a map ("5,7", "+" for more) to a row's list. */
static void ps_add_dom(struct ps_row *r, const char *list)
{
	char *end;
	size_t len;

	while (*list) {
		unsigned long d;

		if (!isdigit((unsigned char)*list)) {
			list++;
			continue;
		}
		d = strtoul(list, &end, 10);
		list = end;
		if (who_has_dom(r->doms, d))
			continue;
		len = strlen(r->doms);
		if (len + 12 < sizeof(r->doms))
			snprintf(r->doms + len, sizeof(r->doms) - len, "%s%lu",
				 len ? "," : "", d);
	}
}

static FILE *who_open(void)
{
	FILE *f = fopen(WHO_PATH, "r");

	if (!f)
		fprintf(stderr, "gntmap: " WHO_PATH ": %s\n", strerror(errno));
	return f;
}

static int cmd_ps(void)
{
	struct ps_row *rows = NULL, *r;
	unsigned int nrows = 0, i;
	struct who_line l;
	char line[4096];
	FILE *f;

	if (need_listing())
		return 1;
	f = who_open();
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f)) {
		const char *pid, *comm, *role;

		who_parse(line, &l);
		if (strcmp(l.kind, "map"))
			continue;
		who_holder(&l, &pid, &comm, &role);
		for (i = 0; i < nrows && strcmp(rows[i].pid, pid); i++)
			;
		if (i == nrows) {
			r = realloc(rows, (nrows + 1) * sizeof(*rows));
			if (!r) {
				fclose(f);
				free(rows);
				return die("realloc", ENOMEM);
			}
			rows = r;
			memset(&rows[nrows], 0, sizeof(*rows));
			snprintf(rows[nrows].pid, sizeof(rows[0].pid), "%s", pid);
			snprintf(rows[nrows].comm, sizeof(rows[0].comm), "%s", comm);
			nrows++;
		}
		r = &rows[i];
		ps_add_dom(r, who_get(&l, "domid"));
		r->maps++;
		r->pages += who_num(&l, "count");
		r->mapped += who_num(&l, "mapped");
		r->pending += who_num(&l, "pending");
	}
	fclose(f);

	if (json) {
		printf("{\"processes\":[");
		for (i = 0; i < nrows; i++) {
			printf("%s{\"pid\":%s,\"comm\":", i ? "," : "", rows[i].pid);
			json_str(rows[i].comm);
			printf(",\"domains\":[%s],\"maps\":%lu,\"pages\":%lu,\"mapped\":%lu,\"pending\":%lu}",
			       rows[i].doms, rows[i].maps, rows[i].pages,
			       rows[i].mapped, rows[i].pending);
		}
		printf("]}\n");
	} else {
		printf("%-8s %-16s %-16s %6s %8s %8s %8s\n", "PID", "COMM",
		       "DOMAINS", "MAPS", "PAGES", "MAPPED", "PENDING");
		for (i = 0; i < nrows; i++)
			printf("%-8s %-16s %-16s %6lu %8lu %8lu %8lu\n",
			       rows[i].pid, rows[i].comm, rows[i].doms,
			       rows[i].maps, rows[i].pages, rows[i].mapped,
			       rows[i].pending);
	}
	free(rows);
	return 0;
}

static int cmd_domain(int argc, char **argv)
{
	unsigned long maps = 0, pages = 0, mapped = 0, pending = 0;
	unsigned int nholders = 0;
	struct who_line l;
	char line[4096];
	uint32_t domid;
	FILE *f;

	if (argc != 1 || parse_u32(argv[0], &domid)) {
		fprintf(stderr, "gntmap: domain needs one DOMID\n");
		return 2;
	}
	if (need_listing())
		return 1;
	f = who_open();
	if (!f)
		return 1;
	if (json)
		printf("{\"domain\":%u,\"holders\":[", domid);
	else
		printf("domain %u\n%-8s %-16s %-5s %-10s %6s %7s %8s %-14s %s\n",
		       domid, "PID", "COMM", "HOW", "FILE", "COUNT", "MAPPED",
		       "PENDING", "REFS", "RANGE");
	while (fgets(line, sizeof(line), f)) {
		const char *pid, *comm, *role;

		who_parse(line, &l);
		if (!strcmp(l.kind, "domain") && who_num(&l, "id") == domid) {
			maps = who_num(&l, "maps");
			pages = who_num(&l, "pages");
			mapped = who_num(&l, "mapped");
			pending = who_num(&l, "pending");
			continue;
		}
		if (strcmp(l.kind, "map") || !who_has_dom(who_get(&l, "domid"), domid))
			continue;
		who_holder(&l, &pid, &comm, &role);
		if (json) {
			printf("%s{\"pid\":%s,\"comm\":", nholders ? "," : "", pid);
			json_str(comm);
			printf(",\"how\":\"%s\",\"file\":", role);
			json_str(who_get(&l, "file"));
			printf(",\"opener_pid\":%s,\"opener_comm\":", who_get(&l, "pid"));
			json_str(who_get(&l, "comm"));
			printf(",\"access\":\"%s\",\"count\":%lu,\"mapped\":%lu,\"pending\":%lu,\"refs\":\"%s\",\"range\":\"%s\",\"notify\":\"%s\"}",
			       who_get(&l, "access"), who_num(&l, "count"),
			       who_num(&l, "mapped"), who_num(&l, "pending"),
			       who_get(&l, "refs"), who_get(&l, "range"),
			       who_get(&l, "notify"));
		} else {
			printf("%-8s %-16s %-5s %-10s %6lu %7lu %8lu %-14s %s\n",
			       pid, comm, role, who_get(&l, "file"),
			       who_num(&l, "count"), who_num(&l, "mapped"),
			       who_num(&l, "pending"), who_get(&l, "refs"),
			       who_get(&l, "range"));
		}
		nholders++;
	}
	fclose(f);
	if (json)
		printf("],\"maps\":%lu,\"pages\":%lu,\"mapped\":%lu,\"pending\":%lu}\n",
		       maps, pages, mapped, pending);
	else
		printf("total: %lu maps, %lu pages, %lu mapped, %lu pending unmap\n",
		       maps, pages, mapped, pending);
	return 0;
}

/* Counters that only grow: watch prints them per second. */
static int counter_is_rate(const char *name)
{
	return !strcmp(name, "invalidations") ||
	       !strcmp(name, "invalidated_pages") ||
	       !strcmp(name, "map_failed") ||
	       !strcmp(name, "unmap_deferred") ||
	       !strcmp(name, "unmap_failed");
}

static int cmd_watch(const char *dev, unsigned long count)
{
	long prev[16], cur[16];
	const char *name;
	unsigned long n;
	char dir[256];
	unsigned int i, nc;

	if (need_driver())
		return 1;
	gntmap_counters_dir(dir, sizeof(dir), dev);
	if (access(dir, R_OK))
		return die(dir, errno);
	for (nc = 0; (name = gntmap_counter_name(nc)) && nc < 16; nc++)
		prev[nc] = gntmap_counter_read(dir, name);
	if (!json) {
		for (i = 0; i < nc; i++) {
			name = gntmap_counter_name(i);
			printf("%s%s%s", i ? " " : "", name,
			       counter_is_rate(name) ? "/s" : "");
		}
		putchar('\n');
	}
	for (n = 0; !count || n < count; n++) {
		sleep(1);
		for (i = 0; i < nc; i++) {
			cur[i] = gntmap_counter_read(dir, gntmap_counter_name(i));
			if (cur[i] < 0) {
				fprintf(stderr, "gntmap: %s/%s: cannot read (driver unloaded?)\n",
					dir, gntmap_counter_name(i));
				return 1;
			}
		}
		if (json)
			putchar('{');
		for (i = 0; i < nc; i++) {
			long v = counter_is_rate(gntmap_counter_name(i)) ?
				 cur[i] - prev[i] : cur[i];

			if (json)
				printf("%s\"%s%s\":%ld", i ? "," : "",
				       gntmap_counter_name(i),
				       counter_is_rate(gntmap_counter_name(i)) ?
				       "_per_s" : "", v);
			else
				printf("%s%ld", i ? " " : "", v);
			prev[i] = cur[i];
		}
		printf(json ? "}\n" : "\n");
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'D' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *dev = NULL;
	uint32_t bytes = 16, count = 0;
	int c;

	page_size = sysconf(_SC_PAGESIZE);
	while ((c = getopt_long(argc, argv, "D:b:jn:h", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			dev = optarg;
			break;
		case 'b':
			if (parse_u32(optarg, &bytes) || !bytes || bytes > 64) {
				fprintf(stderr, "gntmap: --bytes must be 1-64\n");
				return 2;
			}
			break;
		case 'j':
			json = 1;
			break;
		case 'n':
			if (parse_u32(optarg, &count) || !count) {
				fprintf(stderr, "gntmap: --count must be a positive number\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "gntmap: no command (see --help)\n");
		return 2;
	}
	if (!dev)
		dev = default_device();
	if (!strcmp(argv[optind], "counters") && optind + 1 == argc)
		return cmd_counters(dev);
	if (!strcmp(argv[optind], "map"))
		return cmd_map(dev, bytes, argc - optind - 1, argv + optind + 1);
	if (!strcmp(argv[optind], "ps") && optind + 1 == argc)
		return cmd_ps();
	if (!strcmp(argv[optind], "domain"))
		return cmd_domain(argc - optind - 1, argv + optind + 1);
	if (!strcmp(argv[optind], "watch") && optind + 1 == argc)
		return cmd_watch(dev, count);
	fprintf(stderr, "gntmap: unknown command '%s' (see --help)\n",
		argv[optind]);
	return 2;
}
