#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""report.py [--merge OLD.json] RESULTS_DIR OUT_DIR: the report of `make bench`.

Reads the "# BENCH" lines the in-VM benchmarks left in the stages' TAP files
under RESULTS_DIR (figure 5 as one "# BENCH-PART" half per boot) and the
core-bench documents fig6-*.json (figure 6, one per repeat), and writes the
table on stdout, OUT_DIR/results.json and, with gnuplot, OUT_DIR/fig2.png,
OUT_DIR/fig6.png, OUT_DIR/fig7.png and OUT_DIR/fig8.png (docs/performance.md
says what each holds).  A figure that
was not measured stays in the report as missing, with its reason.
--merge OLD.json keeps every entry of an earlier report whose name this run
did not produce, marked "earlier_run": true, with its own versions.
"""
import argparse
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

# The ratio each entry must reach (ratio > 1: ours better).
TARGETS = [(r'fig1-(pvh-)?map-cycle-', 1.0), (r'fig2-scaling-', 1 / 1.5),
           (r'fig2-munmap-n', 1.0),
           (r'fig3-anon-(tax|vs-vmas)$', 1 / 1.05), (r'fig[45]-', 0.95),
           (r'fig6-invalidate-miss-n100000$', 100), (r'fig7-copy-', 1.0),
           (r'fig8-qdisk-', 1.0), (r'fig9-window-', 1.0)]
MISS_NS = 'fig6-invalidate-miss-n1000000'     # <= 200 ns
CORE_NOTE = ('one boot: ours = gntmap on our core (itn_core.ko), '
             'baseline = the same driver on the kernel\'s '
             'mmu_interval_notifier (gntmap_kern.ko)')
PVH_NOTE = ('PVH dom0 (both drivers on their auto-translated path), '
            'PV sharer domU, one boot')
FIG8_NOTE = ('one boot: ours = qdisk domain qdb-gntmap (its QEMU on gntmap), '
             'baseline = qdb-stock (stock xen-gntdev)')
FIG8_CONTROL_NOTE = ('one boot: qdb-control against qdb-stock, both on '
                     'stock xen-gntdev')
FIG6_OPS = ['insert', 'remove', 'invalidate-miss', 'invalidate-hit']


def num(x):
    """A whole number as it is, any other as the benchmarks print it."""
    if x is None or float(x).is_integer():
        return None if x is None else int(x)
    return float('%.6g' % x)


def target(name):
    return next((t for pat, t in TARGETS if re.match(pat, name)), None)


def tagged_lines(res, tag):
    """The JSON behind "# TAG " in every stage's TAP file, in order."""
    out = []
    for path in sorted(glob.glob(os.path.join(res, '*.tap'))):
        with open(path, errors='replace') as f:
            for line in f:
                if not line.startswith(tag):
                    continue
                try:
                    out.append(json.loads(line[len(tag):]))
                except ValueError:
                    sys.stderr.write('report: %s: bad line %s' % (path, line))
    return out


def vm_entries(res):
    """Figures 1-5 as this run's entries, and figure 2's points."""
    entries = [dict(e, where='vm') for e in tagged_lines(res, '# BENCH ')]
    parts = {}
    for p in tagged_lines(res, '# BENCH-PART '):
        parts.setdefault(p['name'], {})[p['side']] = p
    note = 'two boots: ours = gntmap as /dev/xen/gntdev (dropin), baseline = stock'
    for name, h in (parts or {'fig5-vchan-64k': {}}).items():
        o, b = h.get('ours'), h.get('baseline')
        e = {'name': name, 'unit': (o or b or {}).get('unit', 'MiB/s'),
             'ours': None, 'baseline': None, 'ratio': None, 'repeats': 0,
             'where': 'vm', 'note': note}
        if not parts:
            e['hole'] = 'fig5-'
        if o and b:
            ratio = o['value'] / b['value']
            e.update(ours=o['value'], baseline=b['value'],
                     ratio=round(ratio if o['higher_better'] else 1 / ratio, 4),
                     repeats=min(o['repeats'], b['repeats']))
        else:
            e['missing'] = ('the %s boot reported no figure (see its TAP file)'
                            % ('dropin' if not o else 'stock'))
        entries.append(e)
    # Figure 2's target: gntmap at the largest N against itself at N=1.
    f2 = [e for e in entries if re.match(r'fig2-(?!control-|scaling-|core-)',
                                         e['name'])
          and e.get('ours') is not None and 'op' in e]
    # gntbench pairs the largest N with a worker at N=1 in the same rounds;
    # a run without that pairing compares the two points of the series.
    paired = {e['name'] for e in entries
              if e['name'].startswith('fig2-scaling-')}
    for e in entries:
        if e['name'] in paired:
            e['note'] = ('gntmap against itself, same rounds: ours = N=%d, '
                         'baseline = a worker with no other map (N=1)'
                         % e.get('n', 0))
    for op in dict.fromkeys(e['op'] for e in f2):
        if 'fig2-scaling-' + op in paired:
            continue
        pts = sorted((e['n'], e['ours']) for e in f2 if e['op'] == op)
        if pts[0][0] == 1 and pts[-1][0] > 1:
            entries.append({'name': 'fig2-scaling-' + op, 'unit': 'us',
                            'ours': pts[-1][1], 'baseline': pts[0][1],
                            'ratio': round(pts[0][1] / pts[-1][1], 4),
                            'repeats': 0, 'n': pts[-1][0], 'op': op,
                            'where': 'vm', 'note': 'gntmap against itself: '
                            'ours = N=%d, baseline = N=1' % pts[-1][0]})
    for e in entries:
        if e['name'].startswith('fig8-') and 'missing' not in e:
            e['note'] = (FIG8_CONTROL_NOTE if e['name'].startswith(
                'fig8-control-') else FIG8_NOTE)
    if not any(e['name'].startswith('fig8-') for e in entries):
        entries.append({'name': 'fig8-qdisk', 'unit': 'MiB/s', 'ours': None,
                        'baseline': None, 'ratio': None, 'repeats': 0,
                        'where': 'vm', 'hole': 'fig8-',
                        'missing': 'the qdisk boot reported no figure '
                        '(make bench-stage BENCH_STAGE=qdisk; see its TAP)'})
    if not any(e['name'] == 'fig2-scaling-munmap' for e in entries):
        entries.append({'name': 'fig2-scaling', 'unit': 'us', 'ours': None,
                        'baseline': None, 'ratio': None, 'repeats': 0,
                        'where': 'vm', 'hole': 'fig2-',
                        'missing': 'figure 2 did not reach '
                        'N > 1 (see the stage TAP)'})
    return entries, f2


def host_entries(res):
    """Figure 6: the median of each point over the core-bench repeats."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(res, 'fig6-*.json'))):
        with open(path) as f:
            for r in json.load(f)['results']:
                runs.setdefault((r['op'], r['subs']), []).append(r)
    out = []
    for (op, subs) in sorted(runs, key=lambda k: (FIG6_OPS.index(k[0]), k[1])):
        rs = runs[op, subs]
        mi = statistics.median(r['itn_ns'] for r in rs)
        ml = statistics.median(r['list_ns'] for r in rs)
        out.append({'name': 'fig6-%s-n%d' % (op, subs), 'unit': 'ns',
                    'ours': mi, 'baseline': ml, 'ratio': round(ml / mi, 4),
                    'repeats': len(rs), 'n': subs, 'op': op, 'where': 'host',
                    'note': 'userspace core against a linked-list registry'})
    return out or [{'name': 'fig6', 'unit': 'ns', 'ours': None,
                    'baseline': None, 'ratio': None, 'repeats': 0,
                    'where': 'host', 'hole': 'fig6-',
                    'missing': 'no core-bench results '
                    '(make bench-host)'}]


def finish(e, env):
    """An entry of this run as results.json holds it, with its verdict."""
    host = e.pop('where') == 'host'
    out = {k: e.get(k) for k in ('name', 'unit')}
    out.update((k, num(e.get(k))) for k in ('ours', 'baseline', 'ratio'))
    if 'spread' in e:
        out['spread'] = e['spread']
    out.update(repeats=e.get('repeats') or 0,
               kernel=env['host_kernel'] if host else env['kernel'],
               xen=None if host else env['xen'],
               qemu=None if host else env['qemu'])
    out.update((k, e[k]) for k in ('n', 'op') if k in e)
    t = target(e['name'])
    if t is not None:
        out['target_ratio'] = round(t, 4)
        out['target_met'] = e['ratio'] is not None and e['ratio'] >= t - 1e-9
    if e['name'] == MISS_NS and 'missing' not in e:
        out.update(target_ns=200, target_met=e['ours'] <= 200)
    out.update((k, e[k]) for k in ('missing', 'note') if k in e)
    return out


def table(entries, env):
    print('make bench: dom0 %s, Xen %s, QEMU %s (TCG: only ratios mean '
          'anything)' % (env['kernel'], env['xen'], env['qemu']))
    print('%-30s %-8s %12s %12s %8s %13s  %s' % (
        'figure', 'unit', 'ours', 'baseline', 'ratio', 'middle half', 'target'))
    for e in entries:
        if 'missing' in e:
            print('%-30s %-8s %12s %12s %8s %13s  missing: %s' % (
                e['name'], e['unit'], '-', '-', '-', '', e['missing']))
            continue
        t, v = target(e['name']), ''
        if t is not None:
            v = 'ratio >= %.3g: %s' % (t, 'met' if e['ratio'] >= t - 1e-9
                                       else 'MISSED')
        if e['name'] == MISS_NS:
            v = '<= 200 ns: %s' % ('met' if e['ours'] <= 200 else 'MISSED')
        if e.get('earlier_run'):
            v += ' (earlier run)'
        sp = '%.3f-%.3f' % tuple(e['spread']) if 'spread' in e else ''
        print('%-30s %-8s %12.4g %12.4g %8.3f %13s  %s' % (
            e['name'], e['unit'], e['ours'], e['baseline'], e['ratio'], sp,
            v.strip()))
    print('ratio > 1: ours better; middle half: of the per-round ratios. '
          'fig5 compares two boots; fig6 runs on the host.')


def plot(rows, png, title, ylabel, xlabel, ours, base, ops, tmp):
    """Four log-log panels, ours against the baseline, one per op."""
    gp = ['set terminal png size 1200,900 noenhanced', "set output '%s'" % png,
          "set multiplot layout 2,2 title '%s'" % title,
          'set grid; set key top left',
          "set xlabel '%s'; set ylabel '%s'" % (xlabel, ylabel)]
    for op in ops:
        pts = sorted(r[1:] for r in rows if r[0] == op)
        if not pts:
            gp += ["set title '%s (not measured)'; unset logscale" % op,
                   'plot [1:10] 0 notitle']
            continue
        dat = os.path.join(tmp, op + '.dat')
        with open(dat, 'w') as f:
            f.writelines('%s %s %s\n' % p for p in pts)
        gp += ["set title '%s'; set logscale xy" % op,
               "plot '%s' using 1:2 with linespoints title '%s', "
               "'' using 1:3 with linespoints title '%s'" % (dat, ours, base)]
    r = subprocess.run(['gnuplot'], input='\n'.join(gp + ['unset multiplot']),
                       text=True, capture_output=True)
    if r.returncode:
        sys.stderr.write('report: gnuplot failed for %s:\n%s' % (png, r.stderr))
    else:
        print('plot: ' + png)


def bars(rows, png, title, tmp):
    """Figure 8: per job, ours against the baseline and the control."""
    dat = os.path.join(tmp, 'fig8.dat')
    with open(dat, 'w') as f:
        f.writelines('%s %s %s %s\n' % r for r in rows)
    gp = ['set terminal png size 1000,600 noenhanced', "set output '%s'" % png,
          "set title '%s'" % title, 'set style data histograms',
          'set style histogram clustered gap 1', 'set style fill solid 0.6',
          'set grid ytics', 'set key top right', "set ylabel 'MiB/s (median)'",
          'set yrange [0:*]', 'set offsets graph 0, graph 0, graph 0.25, 0',
          "plot '%s' using 2:xtic(1) title 'qdisk on gntmap', "
          "'' using 3 title 'qdisk on stock', "
          "'' using 4 title 'control (stock, another domain)'" % dat]
    r = subprocess.run(['gnuplot'], input='\n'.join(gp), text=True,
                       capture_output=True)
    if r.returncode:
        sys.stderr.write('report: gnuplot failed for %s:\n%s' % (png, r.stderr))
    else:
        print('plot: ' + png)


def main(argv):
    ap = argparse.ArgumentParser(
        prog='report.py', description=__doc__.split('\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--merge', metavar='OLD.json',
                    help='keep what this run did not measure from OLD.json')
    ap.add_argument('res', metavar='RESULTS_DIR')
    ap.add_argument('out', metavar='OUT_DIR')
    args = ap.parse_args(argv)
    res, out, merge = args.res, args.out, args.merge
    if not os.path.isdir(res):
        sys.stderr.write('report: no results directory %s (run make bench)\n'
                         % res)
        return 1
    old = {}
    if merge and os.path.isfile(merge):
        with open(merge) as f:
            old = json.load(f)
    try:
        qemu = subprocess.run(['qemu-system-x86_64', '--version'], text=True,
                              capture_output=True).stdout.split('\n')[0]
        qemu = qemu.replace('QEMU emulator version ', '') or 'unknown'
    except OSError:
        qemu = 'unknown'
    vm_env = (tagged_lines(res, '# BENCH-ENV ') or [old or {}])[0]
    env = {'kernel': vm_env.get('kernel', 'unknown'),
           'xen': vm_env.get('xen', 'unknown'), 'qemu': qemu,
           'host_kernel': platform.release()}

    vm, f2 = vm_entries(res)
    host = host_entries(res)
    # What this run did not measure stays from the last report; a
    # placeholder that only says "no figure N" gives way to its entries.
    holes = {e['name']: e['hole'] for e in vm if 'hole' in e}
    holes.update((e['name'], e['hole']) for e in host if 'hole' in e)
    entries = [finish(e, env) for e in vm + host]
    ours = {e['name'] for e in entries if e['name'] not in holes}
    # An old "missing" entry gives way to this run's figures of its number.
    measured = {e['name'][:4] for e in entries if e.get('ours') is not None}
    for e in old.get('figures', []):
        if e['name'] in ours or ('missing' in e and e['name'][:4] in measured):
            continue
        entries = [x for x in entries if x['name'] not in holes or
                   not e['name'].startswith(holes[x['name']])]
        entries.append(dict(e, earlier_run=True))
    for e in entries:
        if re.match(r'fig\d-pvh-', e['name']) and 'note' not in e:
            e['note'] = PVH_NOTE
        if e['name'].startswith('fig2-core-') and 'missing' not in e:
            e['note'] = CORE_NOTE
    entries.sort(key=lambda e: int(e['name'][3]))

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, 'results.json'), 'w') as f:
        f.write('{\n' + ''.join('  "%s": %s,\n' % (k, json.dumps(v))
                                for k, v in env.items()))
        f.write('  "figures": [\n' + ',\n'.join(
            '    ' + json.dumps(e) for e in entries) + '\n  ]\n}\n')
    table(entries, env)

    if subprocess.run(['sh', '-c', 'command -v gnuplot'],
                      capture_output=True).returncode:
        sys.stderr.write('report: gnuplot not installed, no PNGs '
                         '(apt-get install gnuplot-nox)\n')
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        rows2 = [(e['op'], e['n'], e['ours'], e['baseline']) for e in f2]
        if rows2:
            plot(rows2, os.path.join(out, 'fig2.png'),
                 'Figure 2: latency against live maps N on one file '
                 '(TCG: compare the curves, not the numbers)',
                 'us (median)', 'N live maps', 'gntmap', 'stock xen-gntdev',
                 ['map-ioctl', 'mmap', 'munmap', 'unmap-ioctl'], tmp)
        rows7 = [(e['op'], e['n'], e['ours'], e['baseline']) for e in entries
                 if e['name'].startswith('fig7-mibs-') and
                 not e.get('earlier_run') and e.get('ours') is not None]
        if rows7:
            plot(rows7, os.path.join(out, 'fig7.png'),
                 'Figure 7: GRANT_COPY, in = domU to dom0, out = dom0 to '
                 'domU (TCG: compare the curves, not the numbers)',
                 'MiB/s (median)', 'segments per ioctl', 'gntmap',
                 'stock xen-gntdev', ['in-512', 'in-4096', 'out-512',
                                      'out-4096'], tmp)
        f8 = {e['name']: e for e in entries if e['name'].startswith('fig8-')
              and not e.get('earlier_run') and e.get('ours') is not None}
        rows8 = [(e['op'], e['ours'], e['baseline'],
                  f8.get('fig8-control-qdisk-' + e['op'], {}).get('ours', 0))
                 for n, e in f8.items() if n.startswith('fig8-qdisk-')]
        if rows8:
            bars(rows8, os.path.join(out, 'fig8.png'),
                 'Figure 8: fio in a domU, disk served by QEMU qdisk from '
                 'dom0 tmpfs (TCG: compare the bars, not the numbers)', tmp)
        rows6 = [(e['op'], e['n'], e['ours'], e['baseline']) for e in entries
                 if e['name'].startswith('fig6-') and not e.get('earlier_run')
                 and 'op' in e]
        if rows6:
            plot(rows6, os.path.join(out, 'fig6.png'),
                 'Figure 6: userspace core against a linked-list registry '
                 '(host, ns per op)', 'ns per op', 'subscriptions',
                 'itn core (interval tree)', 'linked list', FIG6_OPS, tmp)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
