#include "onnx/pb.h"

static int read_varint(pb_reader *r, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return -1;
        uint8_t b = *r->p++;
        if (shift == 63 && (b & 0x7e)) return -1; /* more than 64 bits */
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int read_fixed(pb_reader *r, int bytes, uint64_t *out) {
    if (r->end - r->p < bytes) return -1;
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)r->p[i] << (8 * i);
    r->p += bytes;
    *out = v;
    return 0;
}

static int read_value(pb_reader *r, int wire, uint64_t *v) {
    if (wire == PB_VARINT) return read_varint(r, v);
    if (wire == PB_I64) return read_fixed(r, 8, v);
    if (wire == PB_I32) return read_fixed(r, 4, v);
    return -1;
}

int pb_next(pb_reader *r, pb_field *f) {
    if (r->bad) return -1;
    if (r->p == r->end) return 0;
    uint64_t key;
    if (read_varint(r, &key) || key >> 3 == 0 || key >> 3 > 0x1fffffff) goto bad;
    f->field = (int)(key >> 3);
    f->wire = (int)(key & 7);
    f->data = NULL;
    f->len = 0;
    f->v = 0;
    if (f->wire == PB_LEN) {
        uint64_t n;
        if (read_varint(r, &n) || n > (uint64_t)(r->end - r->p)) goto bad;
        f->data = r->p;
        f->len = (size_t)n;
        r->p += n;
        return 1;
    }
    if (read_value(r, f->wire, &f->v)) goto bad;
    return 1;
bad:
    r->bad = 1;
    return -1;
}

int64_t pb_packed_count(const pb_field *f, int wire) {
    pb_reader r = pb_sub(f);
    int64_t n = 0;
    uint64_t v;
    while (r.p < r.end) {
        if (read_value(&r, wire, &v)) return -1;
        n++;
    }
    return n;
}

int pb_packed_next(pb_reader *r, int wire, uint64_t *v) { return read_value(r, wire, v); }
