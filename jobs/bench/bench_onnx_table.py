#!/usr/bin/env python3
"""The table of jobs/bench/bench_onnx.sh from its rows file (one row per
method or dshap run, whitespace-separated):

  py LABEL LINE...            a line of bench_onnx_python.py shap|captum
  dshap LABEL RANKS THREADS N R DIR [PHI.npy]
                              a dshap explain run: DIR/time.txt (/usr/bin/time -v
                              of the whole explain process) and DIR/a.h5 (its
                              attributions, /timings = per-rank phase seconds)

  bench_onnx_table.py ROWS

Per (instance, reference) pair: wall and CPU seconds of the explanation
(Python: the attribution calls alone; dshap: the whole explain process, from
start to the file written), the engine's backward phase alone (wall, the
slowest rank) and its CPU seconds estimated as the backward's wall seconds
(all ranks) times the process's CPU share (CPU / (wall x ranks): the phase
timers are wall clocks), peak RSS of one process, the additivity residual;
for a dshap
run given shap's phi of the same pairs, max |phi_dshap - phi_shap| / max
|phi_shap|. Then the speed-ups shap / dshap and captum / dshap (wall and CPU)
and each dshap run's fixed costs (phases other than the backward)."""
import re
import sys

import h5py
import numpy as np


def time_v(path):
    """(wall s, CPU s, peak MiB) from /usr/bin/time -v output."""
    tv = open(path).read()
    clock = re.search(r'Elapsed \(wall clock\) time[^\n]*: ([0-9:.]+)', tv).group(1).split(':')
    wall = sum(float(p) * 60 ** k for k, p in enumerate(reversed(clock)))
    cpu = sum(float(re.search(rf'{k} time \(seconds\): *([0-9.]+)', tv).group(1)) for k in ('User', 'System'))
    peak = float(re.search(r'Maximum resident set size \(kbytes\): *([0-9]+)', tv).group(1)) / 1024
    return wall, cpu, peak


def dshap_row(label, ranks, threads, n, r, d, phi_ref):
    n, r = int(n), int(r)
    pairs = n * r
    wall, cpu, peak = time_v(d + '/time.txt')
    with h5py.File(d + '/a.h5', 'r') as f:
        tim = f['/timings'][()]
        names = f['/timings'].attrs['phases']
        names = (names.decode() if isinstance(names, bytes) else names).split(' (')[0].split(',')
        resid = float(np.abs(f['/shap/residual'][()]).max())
        phi = f['/shap/values'][()]
    phases = dict(zip(names, tim.max(0)))
    bwd_cpu = tim[:, names.index('backward')].sum() * cpu / (wall * int(ranks))
    diff = None
    if phi_ref:
        ref = np.load(phi_ref).astype(np.float64)
        got = phi.astype(np.float64).reshape(ref.shape)  # (N, C, T, V, M, 1 class)
        diff = np.abs(got - ref).max() / np.abs(ref).max()
    row = dict(label=label, setup=f'{ranks}x{threads}', nr=f'{n}x{r}', wall=wall / pairs, cpu=cpu / pairs,
               bwd=phases['backward'] / pairs, bwd_cpu=bwd_cpu / pairs, peak=peak, resid=resid, diff=diff)
    fixed = ', '.join(f'{k} {v:.2f}' for k, v in phases.items() if k != 'backward')
    return row, f'{label}: {wall:.1f} s wall, {cpu:.1f} CPU s for {pairs} pairs; backward {phases["backward"]:.2f} s; ' \
                f'other phases (s, slowest rank; reduce includes waiting for other ranks): {fixed}'


def py_row(label, fields, threads):
    # method wall cpu pairs peak resid   version...
    wall, cpu, pairs, peak, resid = float(fields[1]), float(fields[2]), int(fields[3]), float(fields[4]), float(fields[5])
    return dict(label=label, setup=f'1x{threads}', nr=f'{pairs} pairs', wall=wall, cpu=cpu, bwd=None, bwd_cpu=None,
                peak=peak,
                resid=resid, diff=None), ' '.join(fields[6:])


def main():
    rows, notes, threads = [], [], '?'
    for line in open(sys.argv[1]):
        w = line.split()
        if not w:
            continue
        if w[0] == 'threads':
            threads = w[1]
        elif w[0] == 'py':
            row, note = py_row(w[1], w[2:], threads)
            rows.append(row)
            notes.append(f'{w[1]}: {note}')
        elif w[0] == 'dshap':
            row, note = dshap_row(*w[1:7], w[7] if len(w) > 7 else None)
            rows.append(row)
            notes.append(note)
    base = {r['label']: r for r in rows if r['bwd'] is None}
    head = f'{"method":22s} {"ranks x thr":>11s} {"N x R":>9s} {"wall s/pair":>11s} {"CPU s/pair":>10s} ' \
           f'{"bwd s/pair":>10s} {"bwd CPU~":>8s} {"peak MiB":>8s} {"residual":>9s} {"dphi/max":>9s}'
    for b in base:
        head += f' {b + "/dshap wall,CPU":>20s}'
    print(head)
    for r in rows:
        s = f'{r["label"]:22s} {r["setup"]:>11s} {r["nr"]:>9s} {r["wall"]:11.3f} {r["cpu"]:10.3f} ' \
            f'{"-" if r["bwd"] is None else format(r["bwd"], ".3f"):>10s} ' \
            f'{"-" if r["bwd"] is None else format(r["bwd_cpu"], ".3f"):>8s} {r["peak"]:8.0f} {r["resid"]:9.2e} ' \
            f'{"-" if r["diff"] is None else format(r["diff"], ".2e"):>9s}'
        if r['bwd'] is not None:
            for b in base.values():
                s += f' {b["wall"] / r["wall"]:9.1f}x,{b["cpu"] / r["cpu"]:8.1f}x'
        print(s)
    for n in notes:
        print('  ' + n)
    for r in rows:
        if r['bwd'] is not None and base:
            print(f'  {r["label"]} backward alone (CPU~): ' +
                  ', '.join(f'{b["cpu"] / r["bwd_cpu"]:.1f}x {k}' for k, b in base.items()))


if __name__ == '__main__':
    main()
