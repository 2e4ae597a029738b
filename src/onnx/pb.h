/* A protobuf wire-format reader over one in-memory buffer: every varint,
 * length and fixed-width read is bounds-checked against the end of its
 * message, so truncated or hostile input ends in an error, never a read
 * past the buffer. Nesting is bounded by the caller (PB_MAX_DEPTH). */
#ifndef DSHAP_PB_H
#define DSHAP_PB_H

#include <stddef.h>
#include <stdint.h>

#define PB_MAX_DEPTH 16

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

typedef struct {
    const uint8_t *p, *end;
    int bad;  /* set on the first malformed read; every later read fails */
} pb_reader;

typedef struct {
    int field, wire;
    uint64_t v;           /* PB_VARINT, PB_I64, PB_I32 (raw bits) */
    const uint8_t *data;  /* PB_LEN: the payload */
    size_t len;
} pb_field;

static inline pb_reader pb_open(const void *data, size_t len) {
    pb_reader r = {(const uint8_t *)data, (const uint8_t *)data + len, 0};
    return r;
}
/* The next field: 1, 0 at the end of the message, -1 on malformed input. */
int pb_next(pb_reader *r, pb_field *f);
/* A length-delimited payload as a sub-message reader. */
static inline pb_reader pb_sub(const pb_field *f) { return pb_open(f->data, f->len); }

static inline int64_t pb_int(const pb_field *f) { return (int64_t)f->v; }
static inline float pb_float(const pb_field *f) {
    union { uint32_t u; float x; } c = {(uint32_t)f->v};
    return c.x;
}
/* Packed repeated scalars in a PB_LEN payload: count them (-1 if malformed),
 * then read the i-th in order with pb_packed_next. */
int64_t pb_packed_count(const pb_field *f, int wire);
int pb_packed_next(pb_reader *r, int wire, uint64_t *v);

#endif
