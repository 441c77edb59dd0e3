#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""pool.py [--json] [--match RE] [--group NAME=RE] BOOT...: pool boots.

One boot of gntbench resolves about 5 %: two processes running the same
code under TCG differ by more than that (docs/performance.md).  A smaller
difference needs several boots.  Each BOOT is the results of one boot: a
TAP file, a test-*.out file, or a directory of them (its *.tap files if it
has any, else its *.out files).  From each, pool.py reads the
"# NAME: ratio by worker set R (rounds a-b), ..." lines gntbench prints
with --sets, the first of each NAME per boot.

For every NAME that matches --match (and every --group, whose members are
the names matching its RE, pooled as one), it prints the number of boots
and of worker sets, the geometric mean of all the sets' ratios, and two
95 % intervals of that mean: over the sets (each pair of processes taken
as independent) and over the boots (each boot's own geometric mean taken
as one sample: the honest one, since a boot's sets share its emulator
state).  Ratio > 1: ours better, as in the report.
"""
import argparse
import glob
import json
import math
import os
import re
import sys

SET_LINE = re.compile(r'^# (\S+): ratio by worker set (.*)$')
SET_RATIO = re.compile(r'([0-9.]+) \(rounds [0-9]+-[0-9]+\)')

# Student's t, two-sided 95 %, by degrees of freedom; 1.96 beyond.
T95 = [None, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
       2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110,
       2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
       2.052, 2.048, 2.045, 2.042]


def boot_files(path):
    if os.path.isdir(path):
        files = sorted(glob.glob(os.path.join(path, '*.tap')))
        return files or sorted(glob.glob(os.path.join(path, '*.out')))
    if os.path.isfile(path):
        return [path]
    raise OSError('%s: no such file or directory' % path)


def read_boot(path):
    """{name: [ratio of each worker set]} of one boot."""
    sets = {}
    for fn in boot_files(path):
        with open(fn, errors='replace') as f:
            for line in f:
                m = SET_LINE.match(line.rstrip('\n'))
                if not m or m.group(1) in sets:
                    continue
                r = [float(x) for x in SET_RATIO.findall(m.group(2))]
                if r and all(x > 0 for x in r):
                    sets[m.group(1)] = r
    return sets


def interval(logs):
    """Mean of @logs and the half-width of its 95 % interval."""
    n = len(logs)
    mean = sum(logs) / n
    if n < 2:
        return mean, None
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (n - 1))
    t = T95[n - 1] if n - 1 < len(T95) else 1.96
    return mean, t * sd / math.sqrt(n)


def pool(name, per_boot):
    """@per_boot: one list of set ratios per boot that has the entry."""
    logs = [math.log(r) for b in per_boot for r in b]
    boot_logs = [sum(math.log(r) for r in b) / len(b) for b in per_boot]
    mean, half = interval(logs)
    bmean, bhalf = interval(boot_logs)

    def span(m, h):
        return None if h is None else [round(math.exp(m - h), 4),
                                       round(math.exp(m + h), 4)]
    return {'name': name, 'boots': len(per_boot), 'sets': len(logs),
            'ratio': round(math.exp(mean), 4),
            'ci95_sets': span(mean, half),
            'boot_ratios': [round(math.exp(x), 4) for x in boot_logs],
            'ratio_of_boot_means': round(math.exp(bmean), 4),
            'ci95_boots': span(bmean, bhalf)}


def main(argv):
    ap = argparse.ArgumentParser(
        prog='pool.py',
        description='Pool gntbench worker-set ratios over several boots.')
    ap.add_argument('--json', action='store_true',
                    help='one JSON document instead of the table')
    ap.add_argument('--match', metavar='RE', default='',
                    help='only the entries whose name matches RE')
    ap.add_argument('--group', metavar='NAME=RE', action='append',
                    default=[], help='also pool every entry matching RE '
                    'as one, reported as NAME (repeatable)')
    ap.add_argument('boots', metavar='BOOT', nargs='+')
    a = ap.parse_args(argv)
    try:
        match = re.compile(a.match)
        groups = []
        for g in a.group:
            gname, sep, gre = g.partition('=')
            if not sep or not gname:
                ap.error("bad --group '%s' (want NAME=RE)" % g)
            groups.append((gname, re.compile(gre)))
        boots = [read_boot(b) for b in a.boots]
    except (OSError, re.error) as e:
        print('pool.py: %s' % e, file=sys.stderr)
        return 1

    names = sorted({n for b in boots for n in b if match.search(n)})
    if not names and not groups:
        print('pool.py: no worker-set ratios matching %r in %d boots'
              % (a.match, len(boots)), file=sys.stderr)
        return 1
    out = [pool(n, [b[n] for b in boots if n in b]) for n in names]
    for gname, gre in groups:
        per_boot = [[r for n in sorted(b) if gre.search(n) for r in b[n]]
                    for b in boots]
        per_boot = [x for x in per_boot if x]
        if not per_boot:
            print("pool.py: group %s matches nothing" % gname,
                  file=sys.stderr)
            return 1
        out.append(pool(gname, per_boot))

    if a.json:
        json.dump({'boots': a.boots, 'entries': out}, sys.stdout, indent=1)
        print()
        return 0

    def fmt(s):
        return '-' if s is None else '%.3f-%.3f' % tuple(s)
    print('%-36s %5s %5s %7s %13s %13s' % ('entry', 'boots', 'sets',
                                          'ratio', '95% (sets)',
                                          '95% (boots)'))
    for e in out:
        print('%-36s %5d %5d %7.3f %13s %13s' %
              (e['name'], e['boots'], e['sets'], e['ratio'],
               fmt(e['ci95_sets']), fmt(e['ci95_boots'])))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
