"""Small corpora in the .skeleton text format for the parser and importer
tests. Stored as NAME.skel.txt: they are synthetic (random values), and the
.skeleton extension is kept for real NTU files, which stay out of the project
(tests read those from ../shared/data/ntu). Called by
gen_features.py; not run on its own).

tests/fixtures/skeleton_good/  well-formed files with the situations the real
    samples lack: frames with 0 bodies at the start (A001) and in the middle
    (A002), 3 bodies in every frame (A003: the third is dropped and, no frame
    listing exactly 2 bodies, the order is kept), body counts changing 2 -> 1
    (A004), CRLF + exponent notation + tabs with a second body of higher
    energy (A005: slots swapped), a single frame (A006), a body whose joints
    are all zero in one frame (A007). reference.h5 holds, per file, the
    counts, the raw body slots and FORMATS.md's preprocessed /x.
tests/fixtures/skeleton_bad/   one defect per file; MANIFEST lists the reason
    the parser must give ("<file> <REASON>", REASON = sk_reason without SK_E).
"""
import os

import h5py
import numpy as np

JOINTS = 25


def body_lines(rng, body_id, base, scale=0.02, fmt='%.6f', zero=False):
    info = '%d 0 1 1 1 1 0 %.5f %.5f 2' % (body_id, rng.normal(0, 0.1), rng.normal(0, 0.1))
    out = [info, '25']
    for j in range(JOINTS):
        xyz = np.zeros(3) if zero else base[j] + rng.normal(0, scale, 3)
        vals = [fmt % v for v in xyz] + ['%.4f' % v for v in rng.uniform(0, 500, 4)]
        vals += ['0.5', '0.5', '0.5', '0.5', '2']
        out.append(' '.join(vals))
    return out


def rest(rng, x0):
    base = rng.normal(0, 0.3, (JOINTS, 3))
    base[:, 0] += x0
    base[:, 2] += 3.0
    return base


def build(frames):
    """frames: list of lists of body line-lists -> text lines."""
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for b in bodies:
            lines.extend(b)
    return lines


def good_cases(rng):
    a, b, c = rest(rng, 0.0), rest(rng, 1.0), rest(rng, -1.0)
    ida, idb, idc = 72057594037931101, 72057594037931102, 72057594037931103
    cases = {}
    cases['S001C002P001R001A001'] = build([[]] * 3 + [[body_lines(rng, ida, a)] for _ in range(6)])
    cases['S001C002P001R001A002'] = build([[body_lines(rng, ida, a)] for _ in range(3)] + [[]] * 2 +
                                          [[body_lines(rng, ida, a)] for _ in range(3)])
    cases['S001C002P001R001A003'] = build([[body_lines(rng, ida, a, 0.005), body_lines(rng, idb, b, 0.2),
                                            body_lines(rng, idc, c)] for _ in range(5)])
    cases['S001C002P001R001A004'] = build([[body_lines(rng, ida, a, 0.1), body_lines(rng, idb, b, 0.01)]
                                           for _ in range(3)] + [[body_lines(rng, ida, a, 0.1)] for _ in range(3)])
    lines = build([[body_lines(rng, ida, a, 0.0001, fmt='%.6E'), body_lines(rng, idb, b, fmt='%+.7g')]
                   for _ in range(4)])
    lines = [l.replace(' ', '\t', 1) if i % 7 == 3 else l for i, l in enumerate(lines)]
    cases['S001C002P001R001A005'] = (lines, '\r\n')
    cases['S001C002P001R001A006'] = build([[body_lines(rng, ida, a)]])
    cases['S001C002P001R001A007'] = build([[body_lines(rng, ida, a)], [body_lines(rng, ida, a, zero=True)],
                                           [body_lines(rng, ida, a)]])
    return cases


def write_lines(path, lines, nl='\n'):
    with open(path, 'w', newline='') as f:
        f.write(nl.join(lines) + nl)


def write_good(outdir, rng, read_skeleton, preprocess):
    os.makedirs(outdir, exist_ok=True)
    with h5py.File(os.path.join(outdir, 'reference.h5'), 'w') as h:
        for name, case in good_cases(rng).items():
            lines, nl = case if isinstance(case, tuple) else (case, '\n')
            path = os.path.join(outdir, name + '.skel.txt')
            write_lines(path, lines, nl)
            n_frames, frames = read_skeleton(path)
            raw = np.zeros((2, n_frames, JOINTS, 3), np.float32)
            for t, bodies in enumerate(frames):
                for m, (_, xyz) in enumerate(bodies[:2]):
                    raw[m, t] = xyz
            g = h.create_group(name)
            g.attrs['frames'] = n_frames
            g.attrs['max_bodies'] = max(len(b) for b in frames)
            g.attrs['hist'] = np.bincount([len(b) for b in frames], minlength=7)
            g.attrs['distinct_ids'] = len({i for b in frames for i, _ in b})
            g['raw'] = raw
            g.create_dataset('x', data=preprocess(frames), compression='gzip', shuffle=True)


def bad_cases(rng):
    a = rest(rng, 0.0)
    base = build([[body_lines(rng, 72057594037931101, a)] for _ in range(2)])
    L = list(base)
    j0 = 4  # first joint line of frame 1

    def sub(i, line):
        out = list(L)
        out[i] = line
        return out

    def tok(i, k, v):
        t = L[i].split(' ')
        t[k] = v
        return sub(i, ' '.join(t))
    text = '\n'.join(L) + '\n'
    cases = {
        'empty': ('', 'TRUNC'),
        'frame_count_text': (sub(0, 'two'), 'NUMBER'),
        'frame_count_zero': (sub(0, '0'), 'FRAMES'),
        'frame_count_negative': (sub(0, '-3'), 'RANGE'),
        'frame_count_decimal': (sub(0, '2.0'), 'NUMBER'),
        'frame_count_301': (sub(0, '301'), 'FRAMES'),
        'truncated_at_line': (L[:j0 + 10], 'TRUNC'),
        'truncated_mid_line': (text[:text.index(L[j0 + 10]) + 30], 'TOKENS'),
        'truncated_after_body_count': (L[:2], 'TRUNC'),
        'truncated_second_frame': (L[:len(L) // 2 + 1], 'TRUNC'),
        'body_count_7': (sub(1, '7'), 'BODIES'),
        'body_count_text': (sub(1, 'one'), 'NUMBER'),
        'joint_count_24': (sub(3, '24'), 'JOINTS'),
        'joint_count_26': (sub(3, '26'), 'JOINTS'),
        'joint_count_missing': (L[:3] + L[4:], 'TOKENS'),
        'joint_11_values': (sub(j0, ' '.join(L[j0].split(' ')[:11])), 'TOKENS'),
        'joint_13_values_hand_edit': (sub(j0 + 3, L[j0 + 3].replace(' 0.5 2', ' 0.5 4 2', 1)), 'TOKENS'),
        'joint_non_numeric': (tok(j0 + 5, 0, '0.12abc'), 'NUMBER'),
        'joint_nan': (tok(j0 + 5, 1, 'nan'), 'NUMBER'),
        'joint_inf': (tok(j0 + 5, 2, '-inf'), 'NUMBER'),
        'joint_hex_float': (tok(j0 + 5, 0, '0x1p3'), 'NUMBER'),
        'joint_double_sign': (tok(j0 + 5, 0, '--0.5'), 'NUMBER'),
        'joint_bare_exponent': (tok(j0 + 5, 0, '1.5E'), 'NUMBER'),
        'joint_overflow': (tok(j0 + 6, 2, '1e999'), 'RANGE'),
        'joint_tracking_state_3': (tok(j0 + 7, 11, '3'), 'RANGE'),
        'body_info_9_values': (sub(2, ' '.join(L[2].split(' ')[:9])), 'TOKENS'),
        'body_id_decimal': (tok(2, 0, '7.2057594037931101E16'), 'NUMBER'),
        'body_id_25_digits': (tok(2, 0, '7205759403793110172057594'), 'RANGE'),
        'hand_state_7': (tok(2, 3, '7'), 'RANGE'),
        'trailing_frame': (L + L[1:4], 'TRAILING'),
        'blank_line_between': (L[:30] + [''] + L[30:], 'TOKENS'),
        'bare_carriage_return': (sub(j0 + 2, L[j0 + 2].replace(' ', '\r', 1)), 'LINE'),
        'nul_byte': (sub(j0 + 2, L[j0 + 2][:10] + '\0' + L[j0 + 2][10:]), 'LINE'),
        'overlong_line': (sub(j0 + 2, L[j0 + 2] + ' ' * 2000), 'LINE'),
        'png_header': (b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', 'NUMBER'),
    }
    return cases


def write_bad(outdir, rng):
    os.makedirs(outdir, exist_ok=True)
    manifest = []
    for name, (content, reason) in sorted(bad_cases(rng).items()):
        path = os.path.join(outdir, name + '.skel.txt')
        if isinstance(content, list):
            content = '\n'.join(content) + '\n'
        if isinstance(content, str):
            content = content.encode('latin-1')
        with open(path, 'wb') as f:
            f.write(content)
        manifest.append('%s.skel.txt %s' % (name, reason))
    with open(os.path.join(outdir, 'MANIFEST'), 'w') as f:
        f.write('# <file> <reason the parser must report> (generated by tests/reference/gen_features.py)\n')
        f.write('\n'.join(manifest) + '\n')
