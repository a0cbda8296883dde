#!/usr/bin/python3
"""measure.py LABEL TIMEOUT CMD...: run CMD, print one tab-separated line:
LABEL, wall seconds, CPU seconds (user+sys of all descendants), peak RSS MiB (largest process),
exit status ('timeout' when killed after TIMEOUT seconds).

measure.py --table RESULTS: the medians of the lines of RESULTS (LABEL being "CASE<TAB>TOOL", one
line per run, as iso-trees.sh collects them) as a Markdown table per case, with each tool's wall
time as a multiple of native fsimage's and the fraction of cat's throughput it reaches (medians of
the ratios within each run), then the targets of issue 9 met or missed."""
import os, resource, signal, statistics, subprocess, sys, time

CASES = {   # case: title
    '20k': '20,000 files of 1 KiB in nested folders',
    'large': '4 files of 512 MiB (2 GiB)',
    '50k': '50,000 empty files in one folder',
    '1m': '1,000,000 empty files in 1,000 folders',
}
TOOLS = ['native', 'fsimage.exe', 'genisoimage', 'xorriso', 'cat']
NAMES = {'native': 'native fsimage', 'fsimage.exe': 'fsimage.exe (Wine)', 'wine-start': 'Wine start (empty folder)'}


def measure(label, timeout, cmd):
    t0 = time.monotonic()
    # a process group of its own, so that a timeout stops every process of the tool
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        status = str(p.wait(timeout=timeout))
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        status = 'timeout'
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print('%s\t%.2f\t%.2f\t%.0f\t%s' % (label, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, status), flush=True)


def fmt(x, digits=2):
    return '{:,.{}f}'.format(x, digits) if x < 100 else '{:,.0f}'.format(x)


def failed(run):
    """A run that exited with an error: left out of the medians and ratios, and reported."""
    return run[3] not in ('0', 'timeout')


def best(runs, case, tool, base):
    """base's shortest wall time / tool's: the ratio when neither met the machine's slow moments."""
    a = [r[0] for r in runs[(case, tool)] if not failed(r)]
    b = [r[0] for r in runs[(case, base)] if not failed(r)]
    return min(b) / max(min(a), 0.001)


def paired(runs, case, tool, base):
    """Median over the runs of tool's wall time / base's in the same run (interleaved, so that both
    saw the same load); a tool run once is set against base's median."""
    a, b = runs[(case, tool)], runs[(case, base)]
    pairs = [(x, y) for x, y in zip(a, b) if not failed(x) and not failed(y)] if len(a) == len(b) else []
    if pairs:               # the runs where both finished (a failed run has no time to compare)
        a, b = [x for x, _ in pairs], [y for _, y in pairs]
    else:
        a, b = [x for x in a if not failed(x)], [y for y in b if not failed(y)]
    if len(a) == 1 or len(b) == 1:
        return a[0][0] / max(statistics.median(r[0] for r in b), 0.001) if len(a) == 1 else \
            statistics.median(r[0] for r in a) / max(b[0][0], 0.001)
    return statistics.median(x[0] / max(y[0], 0.001) for x, y in zip(a, b))


def table(path):
    runs = {}
    for line in open(path):
        f = line.rstrip('\n').split('\t')
        if len(f) != 6:
            continue
        runs.setdefault((f[0], f[1]), []).append((float(f[2]), float(f[3]), float(f[4]), f[5]))
    med = {}
    for key, rs in runs.items():
        st = [r[3] for r in rs]
        good = [r for r in rs if not failed(r)]
        bad = [r[3] for r in rs if failed(r)]
        status = 'timeout' if 'timeout' in st else 'ok' if not bad else \
            'exit %s' % bad[0] if not good else '%d failed (exit %s)' % (len(bad), bad[0])
        if not good:
            continue
        med[key] = (statistics.median(r[0] for r in good), statistics.median(r[1] for r in good),
                    statistics.median(r[2] for r in good), status, len(good))
    print('| tree | tool | runs | wall s | CPU s | peak RSS MiB | status | wall vs native | throughput vs cat '
          '| best vs cat\'s best |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for case, title in CASES.items():
        tools = [t for t in TOOLS + ['wine-start'] if (case, t) in med]
        if not tools:
            continue
        nat = med.get((case, 'native'))
        cat = med.get((case, 'cat'))
        first = True
        for t in tools:
            wall, cpu, rss, status, n = med[(case, t)]
            shown = ('> %s' % fmt(wall)) if status == 'timeout' else fmt(wall)
            vs_native = ('%s%s' % ('> ' if status == 'timeout' else '', fmt(paired(runs, case, t, 'native'), 1))
                         if nat and t != 'wine-start' else '')
            vs_cat = fmt(1 / paired(runs, case, t, 'cat')) if cat and status != 'timeout' and t != 'wine-start' else ''
            best_cat = fmt(best(runs, case, t, 'cat')) if vs_cat else ''
            print('| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |' % (
                title if first else '', NAMES.get(t, t), n, shown, fmt(cpu), '{:,.0f}'.format(rss), status,
                vs_native, vs_cat, best_cat))
            first = False
    # the targets of issue 9
    print()

    def get(case, tool):
        return med.get((case, tool))

    def line(ok, text):
        print('- %s: %s' % ('met' if ok else 'MISSED', text))
    if get('large', 'native') and get('large', 'cat'):
        r = 1 / paired(runs, 'large', 'native', 'cat')
        line(r >= 0.95, '2 GiB natively at least 0.95 of cat\'s throughput: %.2f (best against best: %.2f)'
             % (r, best(runs, 'large', 'native', 'cat')))
    w, s = get('large', 'fsimage.exe'), get('large', 'wine-start')
    if w and get('large', 'cat'):
        r = 1 / paired(runs, 'large', 'fsimage.exe', 'cat')
        extra = '; Wine\'s start: %.2f s' % s[0] if s else ''
        line(r >= 0.8, '2 GiB under Wine at least 0.8 of cat\'s throughput: %.2f (best against best: %.2f%s)'
             % (r, best(runs, 'large', 'fsimage.exe', 'cat'), extra))
    if get('20k', 'native') and get('20k', 'genisoimage'):
        r = paired(runs, '20k', 'native', 'genisoimage')
        line(r <= 0.5, '20,000 small files natively at most half of genisoimage\'s wall time: %.2f of it' % r)
    x = get('50k', 'xorriso')
    if get('50k', 'native') and x:
        r = paired(runs, '50k', 'xorriso', 'native')
        line(r >= 30, '50,000 files in one folder at least 30 times faster than xorriso: %s%.0f times'
             % ('> ' if x[3] == 'timeout' else '', r))
    n = get('1m', 'native')
    if n:
        line(n[0] < 20 and n[2] < 1024, '1,000,000 files natively under 20 s and 1 GiB: %.1f s, %.0f MiB' % (n[0], n[2]))


if __name__ == '__main__':
    if sys.argv[1] == '--table':
        table(sys.argv[2])
    else:
        measure(sys.argv[1], float(sys.argv[2]), sys.argv[3:])
