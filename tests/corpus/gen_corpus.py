#!/usr/bin/python3
"""Regenerate the bad-input corpus: tests/corpus/files/ (small malformed
inputs, made from dshap's own small outputs by h5py / numpy edits) and
tests/corpus/cases.txt (one case a line, for
tests/integration/test_bad_input_corpus.sh).

    /usr/bin/python3 tests/corpus/gen_corpus.py build/dshap   (Debian's python3-h5py)

A case line is  RC | OUTPUTS | NEEDLE | ARGS :
  RC       the exit status dshap must give (2: a usage error, 1: bad input)
  OUTPUTS  comma-separated paths that must not exist afterwards ("-": none)
  NEEDLE   a text the single stderr line must contain (the file or flag named)
  ARGS     dshap's arguments, split on spaces.
The runner makes the good files (m.h5, d.h5, bg.h5, in.h5, gc.h5, r.h5,
cv.h5, sc.csv, a.job) itself from dshap, and a few runtime variants
(a truncated model, a text file, an empty file, a folder, a link to d.h5).
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FILES = os.path.join(HERE, "files")
L = "main_stream.block-1_tcn_main.conv"
GCJ = "/gradcam/%s/joint" % L


def run(dshap, *args, cwd):
    subprocess.run([dshap, *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def edit(src, dst, fn):
    """dst: src with fn applied, rewritten unchunked so the file stays small."""
    shutil.copy(src, dst + ".tmp")
    with h5py.File(dst + ".tmp", "a") as f:
        fn(f)
    with h5py.File(dst + ".tmp", "r") as f, h5py.File(dst, "w") as g:
        for k, v in f.attrs.items():
            g.attrs[k] = v
        def copy(name, obj):
            if isinstance(obj, h5py.Dataset):
                g.create_dataset(name, data=obj[()], dtype=obj.dtype)
                for k, v in obj.attrs.items():
                    g[name].attrs[k] = v
        f.visititems(copy)
    os.remove(dst + ".tmp")


def replace(f, name, value):
    del f[name]
    f[name] = value


def make_onnx_files(out):
    """ONNX inputs for model import-onnx, cut from tests/fixtures/onnx."""
    fx = os.path.join(HERE, "..", "fixtures", "onnx")
    with open(os.path.join(fx, "stgcn_tiny_op13.onnx"), "rb") as f:
        good = f.read()
    with open(out("onnx_cut.onnx"), "wb") as f:
        f.write(good[: len(good) // 3])
    with open(out("onnx_text.onnx"), "w") as f:
        f.write("this is not a protobuf\n")
    shutil.copy(os.path.join(fx, "bad_convtranspose.onnx"), out("onnx_deconv.onnx"))


def make_files(dshap):
    if os.path.isdir(FILES):
        shutil.rmtree(FILES)
    os.makedirs(FILES)
    tmp = tempfile.mkdtemp()
    run(dshap, "model", "init", "--arch", "cp29", "--seed", "1", "--frames", "8", "-o", "m.h5", cwd=tmp)
    run(dshap, "data", "synth", "--layout", "cp29", "--n", "4", "--classes", "2", "--frames", "8", "--persons", "1",
        "--seed", "2", "-o", "d.h5", cwd=tmp)
    run(dshap, "gradcam", "--model", "m.h5", "--data", "d.h5", "--layer", L, "-o", "gc.h5", cwd=tmp)
    d, gc = os.path.join(tmp, "d.h5"), os.path.join(tmp, "gc.h5")
    out = lambda n: os.path.join(FILES, n)
    make_onnx_files(out)
    # a small model of the same input (cp29, C = 2, T = 8, M = 1) with a
    # wrong stored graph: /graph/A of another shape, and with other values
    with open(os.path.join(tmp, "tiny.json"), "w") as f:
        f.write('{"act":"swish","att_lay":"fa","blocks_in":1,"blocks_main":1,"conv_lay":"Sep","depth_in":1,'
                '"depth_main":1,"drop_prob":0.05,"expand_ratio":1.5,"graph_dist_in":1,"graph_dist_main":1,'
                '"init_lay":4,"reduct_ratio":1,"scale_in":1,"scale_main":1,"stride_in":1,"stride_main":1,'
                '"temp_win_in":3,"temp_win_main":3,"num_class":2,"layout":"cp29","in_channels":2,"num_frames":8,'
                '"num_persons":1}')
    run(dshap, "model", "init", "--arch", "tiny.json", "--seed", "1", "-o", "tiny.h5", cwd=tmp)
    tiny = os.path.join(tmp, "tiny.h5")
    edit(tiny, out("graph_shape.h5"), lambda f: replace(f, "graph/A", f["graph/A"][:3]))

    def graph_values(f):
        A = f["graph/A"][...]
        A[1, 0, 1] += 0.25
        replace(f, "graph/A", A)
    edit(tiny, out("graph_values.h5"), graph_values)
    edit(d, out("y_float.h5"), lambda f: replace(f, "y", np.array([1.5, 0, 1, 0])))
    edit(d, out("y_negative.h5"), lambda f: replace(f, "y", np.array([-1, 0, 1, 0], dtype="i4")))
    edit(d, out("y_short.h5"), lambda f: replace(f, "y", np.array([0, 1, 0], dtype="i4")))
    edit(d, out("y_text.h5"), lambda f: replace(f, "y", np.array([b"a", b"b", b"c", b"d"])))
    edit(d, out("length_negative.h5"), lambda f: replace(f, "length", np.array([-5, 8, 8, 8], dtype="i4")))
    edit(d, out("length_huge.h5"), lambda f: replace(f, "length", np.array([99999, 8, 8, 8], dtype="i4")))
    edit(d, out("name_short.h5"), lambda f: replace(f, "name", np.array([b"a", b"b"])))

    def nan_x(f):
        x = f["x"][...]
        x[1, :, :, 3, :] = np.nan
        replace(f, "x", x)
    edit(d, out("x_nan.h5"), nan_x)

    def inf_x(f):
        x = f["x"][...]
        x[0, 0, 0, 0, 0] = np.inf
        replace(f, "x", x)
    edit(d, out("x_inf.h5"), inf_x)
    edit(d, out("x_missing.h5"), lambda f: f.__delitem__("x"))
    edit(d, out("x_rank4.h5"), lambda f: replace(f, "x", f["x"][..., 0]))
    edit(d, out("x_V28.h5"), lambda f: replace(f, "x", f["x"][:, :, :, :28, :]))
    edit(d, out("x_C3.h5"), lambda f: replace(f, "x", np.concatenate([f["x"][...], f["x"][:, :1]], axis=1)))
    edit(d, out("x_text.h5"), lambda f: replace(f, "x", np.array([b"x"] * 4)))
    edit(d, out("layout_unknown.h5"), lambda f: f.attrs.__setitem__("layout", "ntu99"))
    edit(d, out("layout_ntu25.h5"), lambda f: f.attrs.__setitem__("layout", "ntu25"))
    edit(d, out("format_other.h5"), lambda f: f.attrs.__setitem__("format", "someone-else"))
    edit(d, out("format_missing.h5"), lambda f: f.attrs.__delitem__("format"))
    edit(d, out("version_99.h5"), lambda f: f.attrs.__setitem__("format_version", 99))
    edit(d, out("version_text.h5"), lambda f: f.attrs.__setitem__("format_version", "one"))
    # score files
    edit(gc, out("gc_V28.h5"), lambda f: replace(f, GCJ, f[GCJ][:, :28]))
    edit(gc, out("gc_N3.h5"), lambda f: replace(f, GCJ, f[GCJ][:3]))
    edit(gc, out("gc_rank1.h5"), lambda f: replace(f, GCJ, f[GCJ][:, 0]))
    edit(gc, out("gc_text.h5"), lambda f: replace(f, GCJ, np.array([b"s"] * 4)))
    # .npy pairs
    rng = np.random.RandomState(0)
    x = rng.randn(4, 2, 8, 29, 1).astype("f4")
    np.save(out("X.npy"), x)
    np.save(out("Y.npy"), np.array([0, 1, 0, 1], dtype="i8"))
    np.save(out("Y_float.npy"), np.array([0.5, 1, 0, 1]))
    np.save(out("Y_len3.npy"), np.array([0, 1, 0], dtype="i8"))
    np.save(out("X_V28.npy"), x[:, :, :, :28])
    np.save(out("X_rank4.npy"), x[..., 0])
    xn = x.copy()
    xn[2, 0, 0, 0, 0] = np.nan
    np.save(out("X_nan.npy"), xn)
    np.save(out("X_int.npy"), np.zeros((4, 2, 8, 29, 1), dtype="i4"))
    raw = open(out("X.npy"), "rb").read()
    open(out("X_badmagic.npy"), "wb").write(b"\x93NUMPX" + raw[6:])
    open(out("X_truncated.npy"), "wb").write(raw[: len(raw) // 2])
    open(out("X_header_only.npy"), "wb").write(raw[:128])
    # job files
    open(out("nul.job"), "wb").write(b"model = m.h5\ndata = d\x00x.h5\n")
    open(out("unknown_key.job"), "w").write("model = m.h5\nfrobnicate = 3\n")
    open(out("twice.job"), "w").write("model = m.h5\nmodel = m.h5\n")
    open(out("chunk_text.job"), "w").write("chunk = many\n")
    # background indices
    open(out("bgi_text.txt"), "w").write("0\n1\nzwei\n")
    open(out("bgi_range.txt"), "w").write("0\n1\n99\n")
    # scaling CSVs
    open(out("scaling_text.csv"), "w").write("ranks,seconds\n1,abc\n2,3.0\n")
    open(out("scaling_header.csv"), "w").write("nodes,time\n1,2\n")
    open(out("scaling_negative.csv"), "w").write("ranks,seconds\n1,4.0\n2,-1.0\n")
    # arch JSON
    open(out("arch_bad.json"), "w").write('{"layout": "cp29", "blocks_in": ')
    open(out("arch_unknown.json"), "w").write('{"layout": "cp29", "frobnicate": 1}')
    # NTU folders: ntu_a999 (only a name beyond the 60 classes) and
    # ntu_badfile (only a malformed file) are made by the test from the
    # synthetic tests/fixtures/skeleton_* texts, so no .skeleton file is
    # tracked; ntu_empty: no .skeleton file at all
    os.makedirs(out("ntu_empty"))
    open(out("ntu_empty/README"), "w").write("no .skeleton files here\n")
    shutil.rmtree(tmp)


def cases():
    c = []
    add = lambda rc, outs, needle, args: c.append("%d | %s | %s | %s" % (rc, outs or "-", needle, args))
    # --- every command: flags (usage errors, exit 2)
    add(2, "-", "no command", "")
    add(2, "-", "frob", "frob")
    add(2, "-", "frob", "data frob")
    add(2, "-", "subcommand", "data")
    add(2, "-", "subcommand", "model")
    add(2, "-", "frob", "model frob")
    add(2, "x.h5", "--bogus", "model init --arch cp29 --bogus -o x.h5")
    add(2, "-", "--bogus", "model info m.h5 --bogus")
    add(2, "-", "expects one", "model info")
    add(2, "x.h5", "--arch", "model init -o x.h5")
    add(2, "x.h5", "--frames", "model init --arch cp29 --frames 0 -o x.h5")
    add(2, "x.h5", "--seed", "model init --arch cp29 --seed -3 -o x.h5")
    add(2, "x.h5,y.h5", "more than once", "model init --arch cp29 -o x.h5 -o y.h5")
    add(2, "x.h5", "--bogus", "predict --model m.h5 --input d.h5 --bogus -o x.h5")
    add(2, "x.h5", "required", "predict --model m.h5 -o x.h5")
    add(2, "x.h5", "more than once", "predict --model m.h5 --model m.h5 --input d.h5 -o x.h5")
    add(2, "x.h5", "--frames", "features --data d.h5 --frames abc -o x.h5")
    add(2, "x.h5", "--frames", "features --data d.h5 -o x.h5")
    add(2, "x.h5", "more than once", "features --data d.h5 --frames 8 --frames 4 -o x.h5")
    add(2, "x.h5", "--layout", "data synth --layout nope --n 2 -o x.h5")
    add(2, "x.h5", "--n", "data synth --layout cp29 --n 0 -o x.h5")
    add(2, "x.h5", "--n", "data synth --layout cp29 -o x.h5")
    add(2, "x.h5", "--classes", "data synth --layout cp29 --n 2 --classes 1000 -o x.h5")
    add(2, "x.h5", "--format", "data synth --layout cp29 --n 2 --format csv -o x.h5")
    add(2, "x.h5", "more than once", "data synth --layout cp29 --n 2 --n 3 -o x.h5")
    add(2, "x.h5", "--benchmark", "data import-ntu files/ntu_a999 --benchmark xfoo --split eval -o x.h5")
    add(2, "x.h5", "--split", "data import-ntu files/ntu_a999 --benchmark xview --split test -o x.h5")
    add(2, "x.h5", "folder", "data import-ntu --benchmark xview --split eval -o x.h5")
    add(2, "x.h5", "--layout", "data import-npy files/X.npy files/Y.npy --layout nope -o x.h5")
    add(2, "x.h5", "two files", "data import-npy files/X.npy --layout cp29 -o x.h5")
    add(2, "x.h5", "--chunk", "explain --model m.h5 --data d.h5 --background bg.h5 --chunk 0 -o x.h5")
    add(2, "x.h5", "--classes", "explain --model m.h5 --data d.h5 --background bg.h5 --classes 3,3 -o x.h5")
    add(2, "x.h5", "--store", "explain --model m.h5 --data d.h5 --background bg.h5 --store some -o x.h5")
    add(2, "x.h5", "--rules", "explain --model m.h5 --data d.h5 --background bg.h5 --rules fast -o x.h5")
    add(2, "x.h5", "required", "explain --model m.h5 --data d.h5 -o x.h5")
    add(2, "x.h5", "more than once", "explain --model m.h5 --data d.h5 --background bg.h5 --chunk 2 --chunk 3 -o x.h5")
    add(2, "x.h5", "--bogus", "explain --model m.h5 --data d.h5 --background bg.h5 --bogus -o x.h5")
    add(2, "x.h5", "--variant", "gradcam --model m.h5 --data d.h5 --layer %s --variant fancy -o x.h5" % L)
    add(2, "x.h5", "--layer", "gradcam --model m.h5 --data d.h5 -o x.h5")
    add(2, "x.h5", "--persons", "gradcam --model m.h5 --data d.h5 --layer %s --persons all -o x.h5" % L)
    add(2, "x.h5", "more than once", "gradcam --model m.h5 --model m.h5 --data d.h5 --layer %s -o x.h5" % L)
    add(2, "x.h5", "--k", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --k 5..2 -o x.h5" % GCJ)
    add(2, "x.h5", "--mode", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --mode shake -o x.h5" % GCJ)
    add(2, "x.h5", "--select", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --select best -o x.h5" % GCJ)
    add(2, "x.h5", "--metric", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --metric f1 -o x.h5" % GCJ)
    add(2, "x.h5", "--thresh", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --thresh -1 -o x.h5" % GCJ)
    add(2, "x.h5,x.csv", "more than once", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --csv x.csv "
        "--csv y.csv -o x.h5" % GCJ)
    add(2, "x.h5,m2.h5", "--sets global", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --sets per-sample "
        "--save-model m2.h5 -o x.h5" % GCJ)
    add(2, "x.h5", "--scores", "rank -o x.h5")
    add(2, "x.h5", "--sort-by", "correlate --scores A=gc.h5:%s --scores B=gc.h5:%s --sort-by A -o x.h5" % (GCJ, GCJ))
    add(2, "x.h5", "two", "correlate --scores A=gc.h5:%s -o x.h5" % GCJ)
    add(2, "x.h5,y.h5", "more than once", "rank --scores gc.h5:%s -o x.h5 -o y.h5" % GCJ)
    add(2, "x.svg", "figure kind", "plot pie -o x.svg")
    add(2, "x.svg", "--windows", "plot skeleton --data d.h5 --scores gc.h5:%s --windows 0 -o x.svg" % GCJ)
    add(2, "x.svg", "--ranks", "plot ranks --curves cv.h5 -o x.svg")
    add(2, "x.svg", "--data", "plot skeleton --scores gc.h5:%s -o x.svg" % GCJ)
    add(2, "x.svg", "more than once", "plot ranks --ranks r.h5 --title a --title b -o x.svg")
    # --- outputs (exit 1, before any work)
    for cmd, need in [("predict --model m.h5 --input d.h5", "m.h5"), ("features --data d.h5 --frames 8", "d.h5"),
                      ("gradcam --model m.h5 --data d.h5 --layer %s" % L, "d.h5"),
                      ("explain --model m.h5 --data d.h5 --background bg.h5 --n-background 2 --chunk 2", "bg.h5")]:
        add(1, "-", need, "%s -o %s" % (cmd, need))
    add(1, "-", "is a directory", "predict --model m.h5 --input d.h5 -o adir")
    add(1, "-", "is a directory", "explain --model m.h5 --data d.h5 --background bg.h5 --n-background 2 --chunk 2 -o adir")
    add(1, "-", "is a directory", "data synth --layout cp29 --n 2 --frames 8 -o adir")
    add(1, "nodir/x.h5", "does not exist", "model init --arch cp29 -o nodir/x.h5")
    add(1, "nodir/x.h5", "does not exist", "features --data d.h5 --frames 8 -o nodir/x.h5")
    add(1, "nodir/x.h5", "does not exist", "explain --model m.h5 --data d.h5 --background bg.h5 --n-background 2 "
        "--chunk 2 -o nodir/x.h5")
    add(1, "-", "link.h5", "features --data d.h5 --frames 8 -o link.h5")
    add(1, "-", "link.h5", "predict --model m.h5 --input link.h5 -o d.h5")
    add(1, "-", "m.h5", "explain --model m.h5 --data d.h5 --background bg.h5 --n-background 2 --chunk 2 -o ./m.h5")
    add(1, "x.h5", "m.h5", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --save-model m.h5 -o x.h5" % GCJ)
    add(1, "-", "gc.h5", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s -o gc.h5" % GCJ)
    add(1, "x.h5", "--csv", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --csv x.h5 -o x.h5" % GCJ)
    add(1, "x.h5", "does not exist", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --csv nodir/x.csv -o x.h5" % GCJ)
    add(1, "x.h5", "does not exist", "perturb --model m.h5 --data d.h5 --scores gc.h5:%s --save-model /nonexist/m.h5 "
        "-o x.h5" % GCJ)
    add(1, "-", "gc.h5", "rank --scores gc.h5:%s -o gc.h5" % GCJ)
    add(1, "x.h5", "--csv", "rank --scores gc.h5:%s -o x.h5 --csv x.h5" % GCJ)
    add(1, "x.h5", "does not exist", "correlate --scores A=gc.h5:%s --scores B=gc.h5:%s -o x.h5 --csv nodir/c.csv"
        % (GCJ, GCJ))
    add(1, "-", "d.h5", "plot skeleton --data d.h5 --scores gc.h5:%s -o d.h5" % GCJ)
    add(1, "-", "r.h5", "plot ranks --ranks r.h5 -o r.h5")
    add(1, "-", "X.npy", "data import-npy files/X.npy files/Y.npy --layout cp29 -o files/X.npy")
    add(1, "x.svg", "does not exist", "plot scaling --csv sc.csv -o nodir/x.svg")
    # --- bad input files (exit 1)
    for f in ["y_float", "y_negative", "y_short", "y_text", "length_negative", "length_huge", "x_nan", "x_inf",
              "x_missing", "x_rank4", "x_V28", "layout_unknown", "format_other", "format_missing", "version_99",
              "version_text", "x_text"]:
        add(1, "x.h5", f + ".h5", "features --data files/%s.h5 --frames 8 -o x.h5" % f)
    for f in ["y_float", "y_negative", "y_short", "length_huge", "x_nan", "x_V28", "x_C3", "layout_ntu25",
              "format_other", "name_short"]:
        add(1, "x.h5", f + ".h5", "predict --model m.h5 --input files/%s.h5 -o x.h5" % f)
    for f in ["y_float", "x_nan", "x_V28"]:
        add(1, "x.h5", f + ".h5", "gradcam --model m.h5 --data files/%s.h5 --layer %s -o x.h5" % (f, L))
        add(1, "x.h5", f + ".h5", "explain --model m.h5 --data files/%s.h5 --background bg.h5 --n-background 2 "
            "--chunk 2 -o x.h5" % f)
    add(1, "x.h5", "x_nan.h5", "explain --model m.h5 --data d.h5 --background files/x_nan.h5 --n-background 2 "
        "--chunk 2 -o x.h5")
    for m in ["graph_shape.h5", "graph_values.h5"]:
        add(1, "x.h5", m, "predict --model files/%s --input d.h5 -o x.h5" % m)
        add(1, "-", m, "model info files/%s" % m)
    for m in ["trunc.h5", "text.h5", "empty.h5", "d.h5", "nothere.h5"]:
        add(1, "x.h5", m, "predict --model %s --input d.h5 -o x.h5" % m)
    add(1, "-", "trunc.h5", "model info trunc.h5")
    add(1, "-", "text.h5", "model info text.h5")
    add(1, "x.h5", "text.h5", "features --data text.h5 --frames 8 -o x.h5")
    add(1, "x.h5", "trunc.h5", "gradcam --model trunc.h5 --data d.h5 --layer %s -o x.h5" % L)
    add(1, "x.h5", "no layer", "gradcam --model m.h5 --data d.h5 --layer main_stream.nope -o x.h5")
    add(1, "x.h5", "frames", "features --data d.h5 --frames 9 -o x.h5")
    add(1, "x.h5", "arch_bad.json", "model init --arch files/arch_bad.json -o x.h5")
    add(1, "x.h5", "arch_unknown.json", "model init --arch files/arch_unknown.json -o x.h5")
    add(1, "x.h5", "nothere.json", "model init --arch nothere.json -o x.h5")
    add(1, "x.h5", "nul.job", "explain --job files/nul.job --background bg.h5 -o x.h5")
    add(1, "x.h5", "unknown_key.job", "explain --job files/unknown_key.job --data d.h5 --background bg.h5 -o x.h5")
    add(1, "x.h5", "twice.job", "explain --job files/twice.job --data d.h5 --background bg.h5 -o x.h5")
    add(1, "x.h5", "chunk_text.job", "explain --job files/chunk_text.job --model m.h5 --data d.h5 --background bg.h5 "
        "-o x.h5")
    add(1, "x.h5", "bgi_text.txt", "explain --model m.h5 --data d.h5 --background bg.h5 --background-indices "
        "files/bgi_text.txt -o x.h5")
    add(1, "x.h5", "bgi_range.txt", "explain --model m.h5 --data d.h5 --background bg.h5 --background-indices "
        "files/bgi_range.txt -o x.h5")
    for f in ["Y_float.npy", "Y_len3.npy"]:
        add(1, "x.h5", f, "data import-npy files/X.npy files/%s --layout cp29 -o x.h5" % f)
    for f in ["X_V28.npy", "X_rank4.npy", "X_nan.npy", "X_badmagic.npy", "X_truncated.npy", "X_header_only.npy"]:
        add(1, "x.h5", f, "data import-npy files/%s files/Y.npy --layout cp29 -o x.h5" % f)
    add(1, "x.h5", "nothere.npy", "data import-npy nothere.npy files/Y.npy --layout cp29 -o x.h5")
    add(1, "x.h5", "beyond A060", "data import-ntu files/ntu_a999 --benchmark xview --split train --quiet -o x.h5")
    add(1, "x.h5", "ntu_empty", "data import-ntu files/ntu_empty --benchmark xview --split eval --quiet -o x.h5")
    add(1, "x.h5", "nodir", "data import-ntu nodir --benchmark xview --split eval -o x.h5")
    for f in ["gc_V28", "gc_rank1", "gc_text"]:
        add(1, "x.h5", f + ".h5", "perturb --model m.h5 --data d.h5 --scores files/%s.h5:%s -o x.h5" % (f, GCJ))
        if f != "gc_V28":  # 28 joints are fine for rank alone
            add(1, "x.h5", f + ".h5", "rank --scores files/%s.h5:%s -o x.h5" % (f, GCJ))
    add(1, "x.h5", "joints", "rank --scores A=gc.h5:%s --scores B=files/gc_V28.h5:%s -o x.h5" % (GCJ, GCJ))
    add(1, "x.h5", "gc_N3.h5", "perturb --model m.h5 --data d.h5 --scores files/gc_N3.h5:%s --sets per-sample "
        "-o x.h5" % GCJ)
    add(1, "x.h5", "gc_N3.h5", "rank --scores A=gc.h5:%s --scores B=files/gc_N3.h5:%s -o x.h5" % (GCJ, GCJ))
    add(1, "x.h5", "gc_N3.h5", "correlate --scores A=gc.h5:%s --scores B=files/gc_N3.h5:%s -o x.h5" % (GCJ, GCJ))
    add(1, "x.h5", "gc.h5", "rank --scores gc.h5:/gradcam/nope -o x.h5")
    add(1, "x.h5", "nothere.h5", "correlate --scores A=gc.h5:%s --scores B=nothere.h5:%s -o x.h5" % (GCJ, GCJ))
    add(1, "x.h5", "d.h5", "perturb --model m.h5 --data d.h5 --scores d.h5:/x -o x.h5")
    add(1, "x.svg", "x_nan.h5", "plot skeleton --data files/x_nan.h5 --sample 1 --scores gc.h5:%s -o x.svg" % GCJ)
    add(1, "x.svg", "--sample", "plot skeleton --data d.h5 --sample 9 --scores gc.h5:%s -o x.svg" % GCJ)
    add(1, "x.svg", "d.h5", "plot ranks --ranks d.h5 -o x.svg")
    add(1, "x.svg", "d.h5", "plot perturb --curves d.h5 -o x.svg")
    add(1, "x.svg", "text.h5", "plot perturb --curves text.h5 -o x.svg")
    for f in ["scaling_text", "scaling_header", "scaling_negative"]:
        add(1, "x.svg", f + ".csv", "plot scaling --csv files/%s.csv -o x.svg" % f)
    add(1, "x.svg", "nothere.csv", "plot scaling --csv nothere.csv -o x.svg")
    for f in ["onnx_cut", "onnx_text"]:
        add(1, "x.h5", f + ".onnx", "model import-onnx files/%s.onnx -o x.h5" % f)
    add(1, "x.h5", "nearest: Conv", "model import-onnx files/onnx_deconv.onnx -o x.h5")
    add(2, "x.h5", "--layout", "model import-onnx files/onnx_deconv.onnx --layout nope -o x.h5")
    add(2, "x.h5", "expects one", "model import-onnx -o x.h5")
    return c


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_corpus.py DSHAP")
    make_files(os.path.abspath(sys.argv[1]))
    lines = cases()
    with open(os.path.join(HERE, "cases.txt"), "w") as f:
        f.write("# generated by tests/corpus/gen_corpus.py: RC | OUTPUTS | NEEDLE | ARGS (%d cases)\n" % len(lines))
        f.write("\n".join(lines) + "\n")
    print("%d cases, files in %s" % (len(lines), FILES))


if __name__ == "__main__":
    main()
