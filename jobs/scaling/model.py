#!/usr/bin/env python3
"""A communication/compute model of `dshap explain` (standard library only).

    jobs/scaling/model.py check MEASURED.csv --shape N,R,K,B,C [--cores 2] [--tol 0.35]
        Calibrate on the CSV's first (1-rank) row of jobs/scaling/run_scaling.sh
        and predict every other row's wall time on this machine; prints
        predicted vs measured and exits 1 if any is off by more than --tol.
    jobs/scaling/model.py predict -o DIR [assumptions...]
        Strong and weak scaling to --max-gpus (512) of the full NTU X-View
        eval set (18,932 instances x 100 references x 60 classes, B=4, C=20):
        DIR/model_strong.csv, DIR/model_weak.csv (run_scaling.sh columns, so
        plot_scaling.py draws them), DIR/model_scaling.svg, and a table naming
        the first bottleneck.

The run, as src/jobs/explain.c does it, for N instances, R references, K
explained classes, blocks of B instances and chunks of C references:
  units  U = ceil(N/B) * ceil(R/C), chunk-major, dealt to p ranks in
         contiguous shares (dist_share); the rank with the most triples sets
         the pace
  load   t_init (model, plan) + rank 0 reads every row of the data and the
         background file once (the finiteness check) while the others wait
  fwd    per unit: its block's B instances; per chunk a rank touches: C refs
  bwd    per unit: its rows x refs x K (instance, reference, class) triples x t_triple
  reduce each block's owner (block b on rank b mod p) receives the block's
         chunk partials in chunk order: S = 8*(B*K*G + 2*B*K + K + B*K) bytes
         each (G = 25 joints for --store joint); the busiest owner's
         messages x (alpha + S/beta), plus a broadcast and an allreduce
  write  the collective write of N*K*G floats at the aggregate write rate,
         plus per-dataset latencies (9 datasets x log2 p x alpha)
On this machine p ranks share `--cores` cores: compute is stretched by p/cores
when p > cores.
"""
import argparse
import csv
import math
import os
import subprocess
import sys

PHASES = ["load_s", "background_forward_s", "instance_forward_s", "backward_s", "reduce_s", "write_s"]


def die(msg):
    sys.exit(f"model.py: {msg}")


def parse_shape(s):
    try:
        n, r, k, b, c = (int(v) for v in s.split(","))
    except ValueError:
        die(f"--shape expects N,R,K,B,C as five integers (got '{s}')")
    if min(n, r, k, b, c) < 1:
        die("--shape: every value must be at least 1")
    return n, r, k, b, c


def read_csv(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        die(f"{path}: {e.strerror}")
    need = {"mode", "ranks", "n_background", "wall_s", *PHASES}
    if not rows or not need <= set(rows[0]):
        die(f"{path}: not a run_scaling.sh CSV (need columns {', '.join(sorted(need))})")
    out = []
    for line, r in enumerate(rows, start=2):
        try:
            out.append({k: (int(r[k]) if k in ("ranks", "n_background") else float(r[k]) if k != "mode" else r[k])
                        for k in need})
        except ValueError:
            die(f"{path}:{line}: bad number")
    return out


def work(n, r, k, b, c, p):
    """Work of the busiest rank (most triples): units, forwarded refs and
    instances, triples; and the busiest block owner's incoming messages."""
    nb, nc = math.ceil(n / b), math.ceil(r / c)
    u_all = nb * nc
    best = None
    for rank in range(p):
        lo, hi = u_all * rank // p, u_all * (rank + 1) // p
        inst = tri = 0
        chunks = set()
        for u in range(lo, hi):
            ch, blk = divmod(u, nb)
            rows, refs = min(b, n - blk * b), min(c, r - ch * c)
            inst += rows
            tri += rows * refs * k
            chunks.add(ch)
        refs_fwd = sum(min(c, r - ch * c) for ch in chunks)
        w = {"units": hi - lo, "refs": refs_fwd, "inst": inst, "triples": tri}
        if best is None or tri > best["triples"]:
            best = w
    best["msgs"] = math.ceil(nb / p) * nc if p > 1 else 0
    return best


def predict(shape, p, m, cores=None):
    """Phase seconds for p ranks. m: per-unit costs and rates (see calibrate / the assumptions)."""
    n, r, k, b, c = shape
    w = work(n, r, k, b, c, p)
    stretch = max(1.0, p / cores) if cores else 1.0
    g = m["G"]
    s_unit = 8.0 * (b * k * g + 2 * b * k + k + b * k)
    lg = math.log2(p) if p > 1 else 0.0
    ph = {
        "load_s": m["t_init"] + (n + m["bg_rows"]) * m["sample_bytes"] / m["read_bw"],
        "background_forward_s": w["refs"] * m["t_fwd"] * stretch,
        "instance_forward_s": w["inst"] * m["t_fwd"] * stretch,
        "backward_s": w["triples"] * m["t_triple"] * stretch,
        "reduce_s": (w["msgs"] * (m["alpha"] + s_unit / m["beta"]) + 2 * lg * m["alpha"]) if p > 1 else 0.0,
        "write_s": m["t_write0"] + n * k * g * 4.0 / m["write_bw"] + 9 * lg * m["alpha"],
    }
    # launch: mpirun's extra start-up over a singleton here; srun's at scale (every p)
    ph["launch_s"] = m["t_launch"] if p > 1 or m.get("launch_always") else 0.0
    ph["wall_s"] = sum(ph.values())
    return ph


def calibrate(rows, shape, sample_bytes, bg_rows, launch):
    """Per-unit costs of this machine from the first (one-rank) row only, so
    every other row is a prediction."""
    n, r, k, b, c = shape
    one = rows[0]
    if one["ranks"] != 1:
        die("the calibration CSV must start with a 1-rank row")
    w = work(n, r, k, b, c, 1)
    fwd = one["background_forward_s"] + one["instance_forward_s"]
    m = {
        "t_triple": one["backward_s"] / w["triples"],
        "t_fwd": fwd / (w["refs"] + w["inst"]),
        "t_init": one["load_s"] - (n + bg_rows) * sample_bytes / 2e9,
        "sample_bytes": sample_bytes, "bg_rows": bg_rows, "read_bw": 2e9,
        "t_write0": one["write_s"], "write_bw": 1e12, "G": 25,
        "alpha": 50e-6, "beta": 1e9,
        "t_launch": launch,
    }
    m["t_init"] = max(m["t_init"], 0.0)
    # Everything outside the phases in a one-rank run (process start, MPI init).
    m["t_start"] = one["wall_s"] - sum(one[ph] for ph in PHASES)
    return m


def cmd_check(a):
    rows = read_csv(a.csv)
    shape = parse_shape(a.shape)
    m = calibrate(rows, shape, a.sample_bytes, a.bg_rows, a.launch)
    print(f"calibrated on {a.csv} (1 rank): {m['t_triple'] * 1e3:.3f} ms per triple, "
          f"{m['t_fwd'] * 1e3:.3f} ms per forward sample, load {m['t_init']:.3f} s, write {m['t_write0']:.3f} s, "
          f"start {m['t_start']:.2f} s + launch {m['t_launch']:.2f} s; {a.cores} cores")
    print(f"{'mode':6} {'ranks':>5} {'measured s':>11} {'model s':>9} {'error':>7}  compute measured/model")
    worst = 0.0
    for row in rows:
        sh = shape if row["mode"] == "strong" else (shape[0], row["n_background"], *shape[2:])
        ph = predict(sh, row["ranks"], m, a.cores)
        wall = ph["wall_s"] + m["t_start"]
        comp_m = sum(row[x] for x in PHASES[1:4])
        comp_p = sum(ph[x] for x in PHASES[1:4])
        err = (wall - row["wall_s"]) / row["wall_s"]
        worst = max(worst, abs(err))
        print(f"{row['mode']:6} {row['ranks']:5d} {row['wall_s']:11.3f} {wall:9.3f} {100 * err:6.1f}%  "
              f"{comp_m:.3f}/{comp_p:.3f}")
    print(f"worst wall-time error {100 * worst:.1f}% (tolerance {100 * a.tol:.0f}%)")
    if worst > a.tol:
        sys.exit(1)


def cmd_predict(a):
    full = (a.n, a.r, a.k, a.block, a.chunk)
    # GPU figures: the backward per triple is the assumption; the forward per
    # sample keeps this machine's forward/triple ratio for the same model.
    ratio = a.fwd_ratio
    m = {"t_triple": a.t_triple, "t_fwd": a.t_triple * ratio, "t_init": a.t_init,
         "sample_bytes": a.sample_bytes, "bg_rows": a.bg_rows, "read_bw": a.read_bw, "t_write0": a.t_write0,
         "write_bw": a.write_bw, "G": 25, "alpha": a.alpha, "beta": a.beta, "t_launch": a.t_launch, "launch_always": True}
    gpus = [1 << i for i in range(int(math.log2(a.max_gpus)) + 1)]
    os.makedirs(a.out, exist_ok=True)
    header = ["mode", "ranks", "n_background", "wall_s", *PHASES, "speedup", "efficiency", "identical"]
    table = {}
    for mode in ("strong", "weak"):
        path = os.path.join(a.out, f"model_{mode}.csv")
        with open(path, "w", newline="") as f:
            wr = csv.writer(f)
            wr.writerow(header)
            t1 = None
            for p in gpus:
                # weak: the instances grow with the GPUs, the full set at max_gpus
                sh = full if mode == "strong" else (max(1, math.ceil(a.n * p / a.max_gpus)), *full[1:])
                ph = predict(sh, p, m)
                t1 = t1 or ph["wall_s"]
                # strong: T1/Tp; weak (scaled speedup, as run_scaling.sh): p*T1/Tp
                sp = t1 / ph["wall_s"] * (p if mode == "weak" else 1)
                eff = sp / p
                table[(mode, p)] = (ph, sp, eff)
                wr.writerow([mode, p, a.r, f"{ph['wall_s']:.3f}", *(f"{ph[x]:.4f}" for x in PHASES),
                             f"{sp:.3f}", f"{eff:.4f}", "-"])
    print(f"assumptions: {a.t_triple * 1e6:.0f} us per triple (GPU, FP32); forward {m['t_fwd'] * 1e6:.0f} us per "
          f"sample (this machine's forward/triple ratio {ratio:.2f}); rank 0 reads "
          f"{a.n}+{a.bg_rows} rows of {a.sample_bytes / 1e3:.0f} KB at {a.read_bw / 1e9:.1f} GB/s; network "
          f"{a.alpha * 1e6:.1f} us + {a.beta / 1e9:.1f} GB/s; write {a.write_bw / 1e9:.1f} GB/s + {a.t_write0:.1f} s; "
          f"launch {a.t_launch:.1f} s; init {a.t_init:.1f} s")
    print(f"{'mode':6} {'GPUs':>5} {'wall s':>9} {'launch':>6} {'load':>6} {'fwd':>7} {'bwd':>9} {'reduce':>7} "
          f"{'write':>6} {'eff':>6}")
    for (mode, p), (ph, sp, eff) in table.items():
        fwd = ph["background_forward_s"] + ph["instance_forward_s"]
        print(f"{mode:6} {p:5d} {ph['wall_s']:9.1f} {ph['launch_s']:6.1f} {ph['load_s']:6.1f} {fwd:7.1f} {ph['backward_s']:9.1f} "
              f"{ph['reduce_s']:7.2f} {ph['write_s']:6.2f} {eff:6.3f}")
    # The first bottleneck: the phase other than the backward that first takes
    # more than 5 % of the strong-scaling wall time.
    first = None
    for p in gpus:
        ph = table[("strong", p)][0]
        for x in ("launch_s", "load_s", "background_forward_s", "instance_forward_s", "reduce_s", "write_s"):
            if ph[x] > 0.05 * ph["wall_s"]:
                first = (p, x, ph[x] / ph["wall_s"])
                break
        if first:
            break
    ph, sp, eff = table[("strong", a.max_gpus)]
    print(f"strong scaling to {a.max_gpus} GPUs: {ph['wall_s']:.0f} s, speedup {sp:.0f}, efficiency {eff:.2f}")
    why = {"launch_s": "srun and MPI start-up", "load_s": "rank 0 reads every row of the data and background files "
           "(the finiteness check) while the others wait", "background_forward_s": "reference forwards",
           "instance_forward_s": "instance forwards, one per work unit", "reduce_s": "chunk partials to the block owners",
           "write_s": "the collective write"}
    if first:
        print(f"first bottleneck: {first[1][:-2].replace('_', ' ')}, {100 * first[2]:.0f}% of the wall time from "
              f"{first[0]} GPUs on: {why[first[1]]}")
    else:
        print("first bottleneck: none above 5% of the wall time up to the largest size")
    svg = os.path.join(a.out, "model_scaling.svg")
    plot = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plot_scaling.py")
    subprocess.run([sys.executable, plot, os.path.join(a.out, "model_strong.csv"),
                    os.path.join(a.out, "model_weak.csv"), "-o", svg, "--title",
                    f"dshap explain model: NTU X-View {a.n} x {a.r} x {a.k}, {a.t_triple * 1e6:.0f} us/triple"],
                   check=True)
    print(f"wrote {a.out}/model_strong.csv, model_weak.csv, model_scaling.svg")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("csv")
    c.add_argument("--shape", required=True, help="N,R,K,B,C of the measured job (R of the strong rows)")
    c.add_argument("--cores", type=int, default=os.cpu_count())
    c.add_argument("--tol", type=float, default=0.35)
    c.add_argument("--sample-bytes", type=float, default=0.0, help="bytes per input row (only splits load)")
    c.add_argument("--bg-rows", type=int, default=0)
    c.add_argument("--launch", type=float, default=0.0, help="mpirun's start-up beyond a 1-rank run, s")
    q = sub.add_parser("predict")
    q.add_argument("-o", dest="out", required=True)
    q.add_argument("--n", type=int, default=18932)
    q.add_argument("--r", type=int, default=100)
    q.add_argument("--k", type=int, default=60)
    q.add_argument("--block", type=int, default=4)
    q.add_argument("--chunk", type=int, default=20)
    q.add_argument("--max-gpus", type=int, default=512)
    q.add_argument("--t-triple", type=float, default=888e-6, help="GPU seconds per triple (H100 FP32, measured earlier)")
    q.add_argument("--fwd-ratio", type=float, default=1.40,
                   help="seconds per forward sample / seconds per triple (ntu-xview, T=150, 60 classes, "
                        "measured on the 2-core VM: 1.35 s / 0.962 s)")
    q.add_argument("--sample-bytes", type=float, default=4 * 6 * 150 * 25 * 2 * 4.0, help="X-View input row")
    q.add_argument("--bg-rows", type=int, default=37646, help="rows of the background file (X-View train)")
    q.add_argument("--read-bw", type=float, default=2e9, help="rank 0's read rate from the parallel FS, B/s")
    q.add_argument("--write-bw", type=float, default=5e9, help="aggregate collective write rate, B/s")
    q.add_argument("--t-write0", type=float, default=1.0, help="file create/commit, s")
    q.add_argument("--t-init", type=float, default=5.0, help="model load, GPU context and plan, s")
    q.add_argument("--t-launch", type=float, default=10.0, help="srun + MPI_Init at scale, s")
    q.add_argument("--alpha", type=float, default=5e-6, help="network latency per message, s")
    q.add_argument("--beta", type=float, default=12.5e9, help="network bandwidth per rank, B/s")
    a = ap.parse_args()
    if a.cmd == "predict" and (a.max_gpus < 1 or a.max_gpus & (a.max_gpus - 1)):
        die("--max-gpus must be a power of two")
    (cmd_check if a.cmd == "check" else cmd_predict)(a)


if __name__ == "__main__":
    main()
