#!/usr/bin/env python3
"""Print 'WIDTH HEIGHT COLOURED' of an 8-bit PNG (standard library only), and
with --count #rrggbb[,TOL] the number of pixels near that colour.

COLOURED = pixels whose channel spread max(r,g,b) - min(r,g,b) exceeds 40
(not white, grey or black), i.e. markers, curves and boxes, not text/axes.
Used by test_study_cli.sh on rsvg-convert's output.
"""
import struct
import sys
import zlib


def decode(path):
    with open(path, 'rb') as f:
        data = f.read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        sys.exit(f'{path}: not a PNG')
    pos, idat, hdr = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        sys.exit(f'{path}: only 8-bit RGB/RGBA non-interlaced PNGs (got depth {depth}, type {ctype})')
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    path = sys.argv[1]
    want = []
    args = sys.argv[2:]
    while args:
        if args[0] == '--count':
            spec = args[1].split(',')
            want.append((tuple(int(spec[0][i:i + 2], 16) for i in (1, 3, 5)), int(spec[1]) if len(spec) > 1 else 24))
            args = args[2:]
        else:
            sys.exit(f'unknown argument {args[0]}')
    w, h, bpp, rows = decode(path)
    coloured, counts = 0, [0] * len(want)
    for line in rows:
        for x in range(w):
            r, g, b = line[x * bpp:x * bpp + 3]
            if bpp == 4 and line[x * bpp + 3] < 128:
                continue
            if max(r, g, b) - min(r, g, b) > 40:
                coloured += 1
            for k, (c, tol) in enumerate(want):
                if abs(r - c[0]) <= tol and abs(g - c[1]) <= tol and abs(b - c[2]) <= tol:
                    counts[k] += 1
    print(w, h, coloured, *counts)


if __name__ == '__main__':
    main()
