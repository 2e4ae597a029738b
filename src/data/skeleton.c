#include "data/skeleton.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifndef SK_BUF /* the fuzz build uses a small buffer to exercise refills */
#define SK_BUF (64 * 1024)
#endif
#define SK_MAX_TOKENS 16

/* Line reader over a fixed buffer: lines end in LF or CRLF (files use one or
 * the other); a bare CR or a NUL byte is a defect. */
typedef struct {
    FILE *fp;
    const char *name;
    char buf[SK_BUF];
    size_t pos, len;
    int eof;
    long line;
    sk_sample *s;
} reader;

static dshap_status defect(reader *r, sk_reason why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static dshap_status defect(reader *r, sk_reason why, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->s->reason = why;
    r->s->line = r->line;
    return dshap_fail(why == SK_EIO ? DSHAP_EIO : DSHAP_EFORMAT, __FILE__, __LINE__, "%s:%ld: %s", r->name, r->line,
                      msg);
}

/* Next line, NUL-terminated in place, without its line end. *got = 0 at end
 * of file. */
static dshap_status next_line(reader *r, char **line, int *got) {
    for (;;) {
        char *start = r->buf + r->pos;
        char *nl = memchr(start, '\n', r->len - r->pos);
        if (nl || (r->eof && r->pos < r->len)) {
            char *end = nl ? nl : r->buf + r->len;
            size_t n = (size_t)(end - start);
            r->line++;
            if (n > SK_MAX_LINE) return defect(r, SK_ELINE, "line longer than %d bytes", SK_MAX_LINE);
            if (n && start[n - 1] == '\r') n--;
            for (size_t i = 0; i < n; i++)
                if (start[i] == '\r' || start[i] == '\0')
                    return defect(r, SK_ELINE, "stray %s byte in line", start[i] ? "carriage-return" : "NUL");
            start[n] = '\0';
            r->pos = nl ? (size_t)(nl - r->buf) + 1 : r->len;
            *line = start;
            *got = 1;
            return DSHAP_OK;
        }
        if (r->eof) {
            *got = 0;
            return DSHAP_OK;
        }
        if (r->len - r->pos > SK_MAX_LINE) {
            r->line++;
            return defect(r, SK_ELINE, "line longer than %d bytes", SK_MAX_LINE);
        }
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
        size_t k = fread(r->buf + r->len, 1, SK_BUF - 1 - r->len, r->fp);
        if (k == 0) {
            if (ferror(r->fp)) return defect(r, SK_EIO, "read error (%s)", strerror(errno));
            r->eof = 1;
        }
        r->len += k;
    }
}

/* Split on spaces/tabs; at most SK_MAX_TOKENS (more are counted, not kept). */
static int tokenize(char *line, char **tok) {
    int n = 0;
    for (char *p = line;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) return n;
        char *t = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (n < SK_MAX_TOKENS) tok[n] = t;
        n++;
        if (*p) *p++ = '\0';
    }
}

/* A line of exactly `want` tokens; EOF here means the file is truncated. */
static dshap_status tokens(reader *r, char **tok, int want, const char *what) {
    char *line;
    int got;
    TRY(next_line(r, &line, &got));
    if (!got) {
        r->line++;
        return defect(r, SK_ETRUNC, "file ends where %s was expected (truncated)", what);
    }
    int n = tokenize(line, tok);
    if (n != want) return defect(r, SK_ETOKENS, "%s: expected %d value%s, found %d", what, want, want > 1 ? "s" : "", n);
    return DSHAP_OK;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A token as shown in messages: at most 40 bytes, non-printable bytes as '?'
 * (the message must stay one readable line whatever the file holds). */
static const char *shown(const char *t, char out[44]) {
    int i = 0;
    for (; t[i] && i < 40; i++) out[i] = t[i] > 0x20 && t[i] < 0x7f ? t[i] : '?';
    if (t[i]) out[i++] = '~';
    out[i] = '\0';
    return out;
}

static dshap_status parse_int(reader *r, const char *t, const char *what, long long lo, long long hi, long long *out) {
    char buf[44];
    const char *p = t + (*t == '+' || *t == '-');
    int ok = *p != '\0';
    for (const char *q = p; *q; q++) ok &= is_digit(*q);
    if (!ok) return defect(r, SK_ENUMBER, "%s '%s' is not an integer", what, shown(t, buf));
    errno = 0;
    long long v = strtoll(t, NULL, 10);
    if (errno == ERANGE || v < lo || v > hi)
        return defect(r, SK_ERANGE, "%s %s is outside %lld..%lld", what, shown(t, buf), lo, hi);
    *out = v;
    return DSHAP_OK;
}

/* Decimal numbers only: [+-] digits [. digits] [(e|E) [+-] digits], or with
 * the digits after the point only. No hex, inf or nan.
 * Conversion: Clinger's fast path when the significand has at most 15 digits
 * (exact in a double) and the decimal exponent is within ±22 (10^k exact):
 * one multiplication or division of exact operands is correctly rounded, i.e.
 * equal to strtod's result, which handles every other case. strtod was half
 * of the import time. */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static dshap_status parse_real(reader *r, const char *t, const char *what, double *out) {
    char buf[44];
    const char *p = t + (*t == '+' || *t == '-');
    int digits = 0, sig = 0, frac = 0, exp = 0, exp_digits = 0;
    uint64_t m = 0;
    for (; is_digit(*p); p++, digits++)
        if (sig || *p != '0') m = m * 10 + (uint64_t)(*p - '0'), sig += sig < 19;
    if (*p == '.')
        for (p++; is_digit(*p); p++, digits++, frac++)
            if (sig || *p != '0') m = m * 10 + (uint64_t)(*p - '0'), sig += sig < 19;
    if (digits && (*p == 'e' || *p == 'E')) {
        int neg = *++p == '-';
        p += *p == '+' || *p == '-';
        if (!is_digit(*p)) digits = 0;
        for (; is_digit(*p); p++, exp_digits++)
            if (exp < 100000) exp = exp * 10 + (*p - '0');
        if (neg) exp = -exp;
    }
    if (!digits || *p) return defect(r, SK_ENUMBER, "%s '%s' is not a decimal number", what, shown(t, buf));
    double v;
    int e10 = exp - frac;
    if (sig <= 15 && e10 >= -22 && e10 <= 22 && exp_digits < 6) {
        v = e10 < 0 ? (double)m / pow10_exact[-e10] : (double)m * pow10_exact[e10];
        if (*t == '-') v = -v;
    } else {
        v = strtod(t, NULL);
    }
    if (!isfinite((float)v)) return defect(r, SK_ERANGE, "%s %s does not fit a float", what, shown(t, buf));
    *out = v;
    return DSHAP_OK;
}

static void remember_id(sk_sample *s, int64_t id) {
    for (int i = 0; i < s->n_ids; i++)
        if (s->ids[i] == id) return;
    if (s->n_ids < SK_MAX_IDS) s->ids[s->n_ids++] = id;
}

/* Body info line: bodyID clipedEdges handLeftConfidence handLeftState
 * handRightConfidence handRightState isResticted leanX leanY trackingState,
 * with the Kinect v2 SDK's ranges for the enumerations. */
static dshap_status body_info(reader *r) {
    static const struct {
        const char *name;
        long long hi;
    } ints[7] = {{"clipedEdges", 15},         {"handLeftConfidence", 1}, {"handLeftState", 4},
                 {"handRightConfidence", 1}, {"handRightState", 4},     {"isResticted", 1},
                 {"trackingState", 2}};
    char *tok[SK_MAX_TOKENS];
    long long v;
    double d;
    TRY(tokens(r, tok, 10, "body info line"));
    TRY(parse_int(r, tok[0], "bodyID", 0, INT64_MAX, &v));
    remember_id(r->s, v);
    for (int i = 0; i < 6; i++) TRY(parse_int(r, tok[1 + i], ints[i].name, 0, ints[i].hi, &v));
    TRY(parse_real(r, tok[7], "leanX", &d));
    TRY(parse_real(r, tok[8], "leanY", &d));
    TRY(parse_int(r, tok[9], ints[6].name, 0, ints[6].hi, &v));
    return DSHAP_OK;
}

/* Joint line: x y z depthX depthY colorX colorY orientationW..Z trackingState. */
static dshap_status joint(reader *r, float *xyz) {
    static const char *names[11] = {"x", "y", "z", "depthX", "depthY", "colorX", "colorY",
                                    "orientationW", "orientationX", "orientationY", "orientationZ"};
    char *tok[SK_MAX_TOKENS];
    double d;
    long long v;
    TRY(tokens(r, tok, 12, "joint line"));
    for (int i = 0; i < 11; i++) {
        TRY(parse_real(r, tok[i], names[i], &d));
        if (i < 3 && xyz) xyz[i] = (float)d;
    }
    TRY(parse_int(r, tok[11], "joint trackingState", 0, 2, &v));
    return DSHAP_OK;
}

static dshap_status read_all(reader *r) {
    sk_sample *s = r->s;
    char *tok[SK_MAX_TOKENS];
    long long v;
    TRY(tokens(r, tok, 1, "the frame count"));
    TRY(parse_int(r, tok[0], "frame count", 0, INT32_MAX, &v));
    if (v == 0) return defect(r, SK_EFRAMES, "frame count is 0 (no data)");
    if (v > s->T_max) return defect(r, SK_EFRAMES, "%lld frames, more than the %d this import keeps", v, s->T_max);
    s->frames = (int)v;
    for (int t = 0; t < s->frames; t++) {
        TRY(tokens(r, tok, 1, "a body count"));
        TRY(parse_int(r, tok[0], "body count", 0, INT32_MAX, &v));
        if (v > SK_MAX_BODIES)
            return defect(r, SK_EBODIES, "frame %d lists %lld bodies (at most %d)", t + 1, v, SK_MAX_BODIES);
        int nb = (int)v;
        s->hist[nb]++;
        if (nb > s->max_bodies) s->max_bodies = nb;
        for (int b = 0; b < nb; b++) {
            TRY(body_info(r));
            TRY(tokens(r, tok, 1, "a joint count"));
            TRY(parse_int(r, tok[0], "joint count", 0, INT32_MAX, &v));
            if (v != SK_JOINTS) return defect(r, SK_EJOINTS, "body %d of frame %d has %lld joints, not %d", b + 1, t + 1, v, SK_JOINTS);
            for (int j = 0; j < SK_JOINTS; j++) {
                /* Bodies after the first SK_SLOTS are validated, not kept. */
                float *dst = b < SK_SLOTS ? s->xyz + (((size_t)b * s->T_max + t) * SK_JOINTS + j) * 3 : NULL;
                TRY(joint(r, dst));
            }
        }
    }
    /* Only blank lines may follow the last frame. */
    for (;;) {
        char *line;
        int got;
        TRY(next_line(r, &line, &got));
        if (!got) return DSHAP_OK;
        if (tokenize(line, tok)) return defect(r, SK_ETRAILING, "content after the last of %d frames", s->frames);
    }
}

dshap_status skeleton_read(FILE *fp, const char *name, sk_sample *s) {
    int T_max = s->T_max;
    float *xyz = s->xyz;
    memset(s, 0, sizeof *s);
    s->T_max = T_max;
    s->xyz = xyz;
    memset(xyz, 0, sizeof(float) * SK_SLOTS * (size_t)T_max * SK_JOINTS * 3);
    reader *r = malloc(sizeof *r);
    if (!r) FAIL(DSHAP_ENOMEM, "%s: out of memory for the line buffer", name);
    r->fp = fp;
    r->name = name;
    r->pos = r->len = 0;
    r->eof = 0;
    r->line = 0;
    r->s = s;
    dshap_status st = read_all(r);
    free(r);
    return st;
}

const char *sk_reason_text(sk_reason r) {
    switch (r) {
    case SK_OK: return "ok";
    case SK_EIO: return "read error";
    case SK_ETRUNC: return "truncated";
    case SK_ETOKENS: return "wrong number of values on a line";
    case SK_ENUMBER: return "non-numeric token";
    case SK_ERANGE: return "value out of range";
    case SK_EFRAMES: return "no frames or too many frames";
    case SK_EBODIES: return "implausible body count";
    case SK_EJOINTS: return "joint count not 25";
    case SK_ETRAILING: return "content after the last frame";
    case SK_ELINE: return "overlong line or control bytes";
    case SK_NREASONS: break;
    }
    return "unknown";
}
