#!/usr/bin/env python3
"""Sanity checks of the reference against published facts (MODEL.md).

  python3 tests/reference/check_params.py        # exit 1 on any mismatch

- Trainable parameter counts of the two published models at full size,
  without and with the edge matrices E (A and PartAtt joints are frozen and
  never counted).
- Graph sanity per layout: A[0] diagonal, columns of sum_k A[k] sum to 1,
  symmetric hop distances, the published branch/main output shapes.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shapgcn_torch as ref  # noqa: E402

PUBLISHED = {'ntu-xview': (1_209_114, 1_222_864), 'cp29': (621_184, 644_732)}


def main():
    torch.set_num_threads(2)
    ok = True
    for name, arch in ref.published_archs().items():
        model = ref.build_model(arch, torch.float32)
        got = ref.count_params(model)
        want = PUBLISHED[name]
        good = got == want
        ok &= good
        print(f"{name:10s} params without E {got[0]:>9,} (published {want[0]:>9,}), "
              f"with E {got[1]:>9,} (published {want[1]:>9,})  {'OK' if good else 'MISMATCH'}")
    # Published shapes: NTU branch (128, 75, 25), main (48, 75, 25) at T=150.
    arch = ref.published_archs()['ntu-xview']
    m = ref.build_model(arch, torch.float32)
    with torch.no_grad():
        x = torch.zeros(1, 6, 150, 25)
        b = m.input_stream[0](x)
        y = m.main_stream(torch.cat([b] * 4, 1))
    good = tuple(b.shape[1:]) == (128, 75, 25) and tuple(y.shape[1:]) == (48, 75, 25)
    ok &= good
    print(f"ntu-xview  branch {tuple(b.shape[1:])}, main {tuple(y.shape[1:])}  {'OK' if good else 'MISMATCH'}")
    for lay in ref.LAYOUTS:
        A = ref.build_adjacency(lay)
        hop = ref.hop_distance(ref.LAYOUTS[lay]['parents'])
        v = A.shape[1]
        parts = ref.LAYOUTS[lay]['parts']
        checks = [
            np.allclose(A[0], np.diag(np.diag(A[0]))),
            np.allclose(A.sum(0).sum(0), 1.0),
            np.array_equal(hop, hop.T),
            sorted(j for p in parts for j in p) == list(range(v)),
        ]
        good = all(checks)
        ok &= good
        print(f"graph {lay:5s} V={v} edges={int((hop == 1).sum() // 2)}  {'OK' if good else f'FAIL {checks}'}")
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
