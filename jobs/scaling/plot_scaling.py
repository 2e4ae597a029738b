#!/usr/bin/env python3
"""Speedup and parallel efficiency against rank count, as an SVG (standard
library only), from the CSV files of jobs/scaling/run_scaling.sh.

    jobs/scaling/plot_scaling.py out/scaling/scaling_strong.csv [more.csv ...] -o scaling.svg
        [--title TEXT] [--goal 0.9]

Left panel: speedup (strong: p1*T1/Tp; weak: scaled speedup p*T1/Tp) with the
ideal line. Right panel: efficiency (1 is ideal) with the goal as a dashed
line. One series per CSV file and mode, named in the legend.
"""
import argparse
import csv
import math
import sys
from xml.sax.saxutils import escape

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
W, H = 960, 420  # whole picture
PW, PH = 360, 280  # one panel's plot area
TOP, LEFT1, LEFT2 = 70, 80, 560


def read_series(path):
    """{mode: [(ranks, speedup, efficiency)]} from one CSV."""
    out = {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    need = {"mode", "ranks", "speedup", "efficiency"}
    if not rows or not need <= set(rows[0]):
        sys.exit(f"plot_scaling.py: {path}: not a run_scaling.sh CSV (need columns {', '.join(sorted(need))})")
    for line, r in enumerate(rows, start=2):
        try:
            p, s, e = int(r["ranks"]), float(r["speedup"]), float(r["efficiency"])
        except ValueError:
            sys.exit(f"plot_scaling.py: {path}:{line}: bad number in ranks/speedup/efficiency")
        if p < 1 or not (math.isfinite(s) and math.isfinite(e)):
            sys.exit(f"plot_scaling.py: {path}:{line}: ranks must be >= 1 and values finite")
        out.setdefault(r["mode"], []).append((p, s, e))
    for pts in out.values():
        pts.sort()
    return out


def nice_step(span, target=5):
    """A 1-2-5 step giving about `target` ticks over span."""
    raw = span / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def ticks(lo, hi, integer=False):
    step = nice_step(hi - lo)
    if integer:
        step = max(1, round(step))
    t = math.floor(lo / step) * step
    out = []
    while t <= hi + 1e-9 * step:
        if t >= lo - 1e-9 * step:
            out.append(t)
        t += step
    return out


def fmt(v):
    return f"{v:g}" if abs(v - round(v)) > 1e-9 else str(int(round(v)))


def panel(svg, x0, title, ylabel, series, xmax, ymax, ideal, goal=None, legend_bottom=False):
    """Axes, ticks, grid, ideal/goal lines and the series of one panel."""
    def X(p):
        return x0 + (p - 1) / max(xmax - 1, 1) * PW

    def Y(v):
        return TOP + PH - v / ymax * PH

    svg.append(f'<text x="{x0 + PW / 2}" y="{TOP - 14}" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>')
    for t in ticks(0, ymax):
        y = Y(t)
        svg.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PW}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        svg.append(f'<line x1="{x0 - 5}" y1="{y:.1f}" x2="{x0}" y2="{y:.1f}" stroke="black"/>')
        svg.append(f'<text x="{x0 - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="12">{fmt(t)}</text>')
    for t in ticks(1, xmax, integer=True) if xmax > 1 else [1]:
        x = X(t)
        svg.append(f'<line x1="{x:.1f}" y1="{TOP + PH}" x2="{x:.1f}" y2="{TOP + PH + 5}" stroke="black"/>')
        svg.append(f'<text x="{x:.1f}" y="{TOP + PH + 20}" text-anchor="middle" font-size="12">{fmt(t)}</text>')
    svg.append(f'<rect x="{x0}" y="{TOP}" width="{PW}" height="{PH}" fill="none" stroke="black"/>')
    svg.append(f'<text x="{x0 + PW / 2}" y="{TOP + PH + 42}" text-anchor="middle" font-size="13">MPI ranks</text>')
    svg.append(f'<text transform="translate({x0 - 48},{TOP + PH / 2}) rotate(-90)" text-anchor="middle" font-size="13">{escape(ylabel)}</text>')
    # Ideal (and goal) lines, clipped to the plot area.
    ix = [(1, ideal(1)), (xmax, ideal(xmax))]
    pts = " ".join(f"{X(p):.1f},{Y(min(v, ymax)):.1f}" for p, v in ix)
    svg.append(f'<polyline points="{pts}" fill="none" stroke="#777" stroke-width="1.5"/>')
    if goal is not None:
        svg.append(f'<line x1="{x0}" y1="{Y(goal):.1f}" x2="{x0 + PW}" y2="{Y(goal):.1f}" stroke="#777" stroke-dasharray="6,4"/>')
    for i, (name, pts) in enumerate(series):
        c = COLORS[i % len(COLORS)]
        line = " ".join(f"{X(p):.1f},{Y(v):.1f}" for p, v in pts)
        svg.append(f'<polyline points="{line}" fill="none" stroke="{c}" stroke-width="2"/>')
        for p, v in pts:
            svg.append(f'<circle cx="{X(p):.1f}" cy="{Y(v):.1f}" r="4" fill="{c}"><title>{escape(name)}: {p} ranks, {v:.3f}</title></circle>')
    # Legend inside the panel, in the corner the curves leave free: top left
    # for speedup (curves stay under the diagonal), bottom left for efficiency.
    entries = [(COLORS[i % len(COLORS)], name, "") for i, (name, _) in enumerate(series)]
    entries.append(("#777", "ideal", ""))
    if goal is not None:
        entries.append(("#777", f"goal {goal:g}", "6,4"))
    lh = 18 * len(entries) + 8
    lx, ly = x0 + 10, (TOP + PH - 10 - lh) if legend_bottom else TOP + 10
    svg.append(f'<rect x="{lx}" y="{ly}" width="150" height="{lh}" fill="white" fill-opacity="0.85" stroke="#bbb"/>')
    for k, (c, name, dash) in enumerate(entries):
        y = ly + 16 + 18 * k
        d = f' stroke-dasharray="{dash}"' if dash else ""
        svg.append(f'<line x1="{lx + 8}" y1="{y - 4}" x2="{lx + 32}" y2="{y - 4}" stroke="{c}" stroke-width="2"{d}/>')
        svg.append(f'<text x="{lx + 40}" y="{y}" font-size="12">{escape(name)}</text>')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("csv", nargs="+", help="CSV files written by run_scaling.sh")
    ap.add_argument("-o", "--output", required=True, help="SVG file to write")
    ap.add_argument("--title", default="dshap explain: scaling over MPI ranks")
    ap.add_argument("--goal", type=float, default=0.9, help="efficiency goal drawn dashed (0 hides it)")
    a = ap.parse_args()

    speed, eff = [], []
    for path in a.csv:
        for mode, pts in read_series(path).items():
            name = mode if len(a.csv) == 1 else f"{mode} ({path.rsplit('/', 1)[-1]})"
            speed.append((name, [(p, s) for p, s, _ in pts]))
            eff.append((name, [(p, e) for p, _, e in pts]))
    xmax = max(p for _, pts in speed for p, _ in pts)
    xmax = max(xmax, 2)
    smax = max([xmax] + [v for _, pts in speed for _, v in pts]) * 1.05
    emax = max([1.0] + [v for _, pts in eff for _, v in pts]) * 1.1

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="26" text-anchor="middle" font-size="17">{escape(a.title)}</text>']
    panel(svg, LEFT1, "Speedup", "speedup (T\u2081 / T\u209a, scaled for weak)", speed, xmax, smax, lambda p: p)
    panel(svg, LEFT2, "Parallel efficiency", "efficiency", eff, xmax, emax, lambda p: 1.0,
          goal=a.goal if a.goal > 0 else None, legend_bottom=True)
    svg.append("</svg>")
    with open(a.output, "w") as f:
        f.write("\n".join(svg) + "\n")
    print(f"plot_scaling: wrote {a.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
