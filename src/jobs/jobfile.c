#include "jobs/jobfile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    K_MODEL, K_DATA, K_BACKGROUND, K_OUTPUT, K_N_BACKGROUND, K_BACKGROUND_SEED, K_BACKGROUND_INDICES, K_CHUNK,
    K_BLOCK, K_CLASSES, K_RULES, K_STORE, K_PERSONS, K_CHECK_ADDITIVITY, K_MEMORY, K_COUNT
} job_key;

static const char *key_names[K_COUNT] = {
    "model", "data", "background", "output", "n_background", "background_seed", "background_indices", "chunk",
    "block", "classes", "rules", "store", "persons", "check_additivity", "memory"};

#define KEY_LIST                                                                                             \
    "model, data, background, output, n_background, background_seed, background_indices, chunk, block, "    \
    "classes, rules, store, persons, check_additivity, memory"

/* Where a message points: "FILE:LINE: key: ". */
typedef struct {
    const char *path;
    int line;
    const char *key;
} where;

#define BAD(w, ...) return bad_value((w), __FILE__, __LINE__, __VA_ARGS__)

static dshap_status bad_value(const where *w, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static dshap_status bad_value(const where *w, const char *file, int line, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (w->key) return dshap_fail(DSHAP_EINVAL, file, line, "%s:%d: %s: %s", w->path, w->line, w->key, msg);
    return dshap_fail(DSHAP_EINVAL, file, line, "%s:%d: %s", w->path, w->line, msg);
}

static dshap_status parse_int(const where *w, const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || !isdigit((unsigned char)s[0]) || v < lo || v > hi)
        BAD(w, "expected an integer in [%lld, %lld], got '%s'", lo, hi, s);
    *out = v;
    return DSHAP_OK;
}

static dshap_status parse_double(const where *w, const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
        BAD(w, "expected a number in [%g, %g], got '%s'", lo, hi, s);
    *out = v;
    return DSHAP_OK;
}

/* true | pred | all | a list of distinct class numbers "3,7,12" (blanks allowed). */
static dshap_status parse_classes(const where *w, const char *s, explain_opts *o) {
    if (!strcmp(s, "true")) o->classes = CLASSES_TRUE;
    else if (!strcmp(s, "pred")) o->classes = CLASSES_PRED;
    else if (!strcmp(s, "all")) o->classes = CLASSES_ALL;
    else {
        o->classes = CLASSES_LIST;
        o->n_list = 0;
        const char *p = s;
        for (;;) {
            while (*p == ' ' || *p == '\t') p++;
            char *end;
            errno = 0;
            long v = strtol(p, &end, 10);
            if (end == p || !isdigit((unsigned char)*p) || errno || v > 1000000)
                BAD(w, "expected true, pred, all or a list of class numbers like 3,7,12, got '%s'", s);
            for (int i = 0; i < o->n_list; i++)
                if (o->list[i] == v) BAD(w, "class %ld appears twice in '%s'", v, s);
            if (o->n_list == EXPLAIN_MAX_CLASSES) BAD(w, "more than %d classes", EXPLAIN_MAX_CLASSES);
            o->list[o->n_list++] = (int)v;
            p = end;
            while (*p == ' ' || *p == '\t') p++;
            if (!*p) break;
            if (*p++ != ',') BAD(w, "expected true, pred, all or a list of class numbers like 3,7,12, got '%s'", s);
        }
    }
    return DSHAP_OK;
}

/* ${NAME} → the environment's value (an unset NAME is an error), ${NAME:-default}. */
static dshap_status expand_env(const where *w, const char *s, char **out) {
    size_t cap = strlen(s) + 1, n = 0;
    char *r = malloc(cap);
    if (!r) FAIL(DSHAP_ENOMEM, "%s: out of memory", w->path);
    char name[256]; /* outlives the branch: a default points into it */
    for (const char *p = s; *p;) {
        const char *add = p;
        size_t len = 1;
        if (p[0] == '$' && p[1] == '{') {
            const char *close = strchr(p + 2, '}');
            size_t nl = close ? (size_t)(close - p - 2) : 0;
            if (!close || nl == 0 || nl >= sizeof name) {
                free(r);
                BAD(w, "unterminated or empty ${...} in '%s'", s);
            }
            memcpy(name, p + 2, nl);
            name[nl] = '\0';
            /* ${NAME:-default}: the default when NAME is unset or empty. */
            char *dflt = strstr(name, ":-");
            if (dflt) *dflt = '\0';
            add = getenv(name);
            if (dflt && (!add || !*add)) add = dflt + 2;
            if (!add) {
                free(r);
                BAD(w, "environment variable %s is not set (used in '%s'; ${%s:-default} gives a default)", name, s,
                    name);
            }
            len = strlen(add);
            p = close + 1;
        } else {
            p++;
        }
        if (n + len + 1 > cap) {
            cap = 2 * (n + len + 1);
            char *g = realloc(r, cap);
            if (!g) {
                free(r);
                FAIL(DSHAP_ENOMEM, "%s: out of memory", w->path);
            }
            r = g;
        }
        memcpy(r + n, add, len);
        n += len;
    }
    r[n] = '\0';
    *out = r;
    return DSHAP_OK;
}

static int lookup_key(const char *k) {
    char canon[64];
    size_t n = strlen(k);
    if (n >= sizeof canon) return -1;
    for (size_t i = 0; i <= n; i++) canon[i] = k[i] == '-' ? '_' : k[i];
    for (int i = 0; i < K_COUNT; i++)
        if (!strcmp(canon, key_names[i])) return i;
    return -1;
}

/* Split one line into key and raw value (comments and blanks removed,
 * quotes undone). Returns 0 for an empty or comment line. */
static dshap_status split_line(const where *w, char *s, char **key, char **value, int *has, int *quoted) {
    *has = 0;
    *quoted = 0;
    s[strcspn(s, "\r\n")] = '\0';
    while (isspace((unsigned char)*s)) s++;
    if (!*s || *s == '#') return DSHAP_OK;
    char *eq = strchr(s, '=');
    if (!eq) BAD(w, "expected 'key = value', got '%s'", s);
    char *k = s, *ke = eq;
    while (ke > k && isspace((unsigned char)ke[-1])) ke--;
    *ke = '\0';
    if (!*k) BAD(w, "missing key before '='");
    for (char *c = k; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-') BAD(w, "bad key '%s'", k);
    char *v = eq + 1;
    while (isspace((unsigned char)*v)) v++;
    if (*v == '"') {
        char *close = strchr(v + 1, '"');
        if (!close) BAD(w, "%s: unterminated quote", k);
        char *after = close + 1;
        while (isspace((unsigned char)*after)) after++;
        if (*after && *after != '#') BAD(w, "%s: text after the closing quote", k);
        *close = '\0';
        v++;
        *quoted = 1;
    } else {
        for (char *c = v; *c; c++)
            if (*c == '#' && (c == v || isspace((unsigned char)c[-1]))) {
                *c = '\0';
                break;
            }
        char *e = v + strlen(v);
        while (e > v && isspace((unsigned char)e[-1])) e--;
        *e = '\0';
    }
    if (!*v) BAD(w, "%s: empty value", k);
    *key = k;
    *value = v;
    *has = 1;
    return DSHAP_OK;
}

static dshap_status set_key(const where *w, job_key k, char *v, int quoted, explain_opts *o, jobfile *jf) {
    long long i;
    switch (k) {
    case K_MODEL: case K_DATA: case K_BACKGROUND: case K_OUTPUT: case K_BACKGROUND_INDICES: {
        if (jf->n == JOBFILE_MAX_STRINGS) BAD(w, "too many paths");
        char *s = NULL;
        if (quoted && !(s = strdup(v))) FAIL(DSHAP_ENOMEM, "%s: out of memory", w->path);
        if (!quoted) TRY(expand_env(w, v, &s));
        jf->str[jf->n++] = s;
        const char **dst = k == K_MODEL ? &o->model : k == K_DATA ? &o->data : k == K_BACKGROUND ? &o->background
                           : k == K_OUTPUT ? &o->output : &o->background_indices;
        *dst = s;
        return DSHAP_OK;
    }
    case K_N_BACKGROUND: TRY(parse_int(w, v, 1, 1 << 30, &i)); o->n_background = (int)i; return DSHAP_OK;
    case K_BACKGROUND_SEED: TRY(parse_int(w, v, 0, 1LL << 62, &i)); o->background_seed = (uint64_t)i; return DSHAP_OK;
    case K_CHUNK: TRY(parse_int(w, v, 1, 1 << 20, &i)); o->chunk = (int)i; return DSHAP_OK;
    case K_BLOCK: TRY(parse_int(w, v, 1, 1 << 20, &i)); o->block = (int)i; return DSHAP_OK;
    case K_CLASSES: return parse_classes(w, v, o);
    case K_RULES:
        if (!strcmp(v, "exact")) o->rules = RULES_EXACT;
        else if (!strcmp(v, "shap")) o->rules = RULES_SHAP;
        else BAD(w, "expected exact or shap, got '%s'", v);
        return DSHAP_OK;
    case K_STORE:
        if (gran_parse(v, &o->store)) BAD(w, "expected joint, channel-joint, frame or full, got '%s'", v);
        return DSHAP_OK;
    case K_PERSONS:
        if (!strcmp(v, "sum")) o->persons_each = 0;
        else if (!strcmp(v, "each")) o->persons_each = 1;
        else BAD(w, "expected sum or each, got '%s'", v);
        return DSHAP_OK;
    case K_CHECK_ADDITIVITY:
        if (!strcmp(v, "off")) o->check_additivity = 0;
        else TRY(parse_double(w, v, 1e-12, 1e6, &o->check_additivity));
        return DSHAP_OK;
    case K_MEMORY: return parse_double(w, v, 0.01, 1e6, &o->memory_gib);
    case K_COUNT: break;
    }
    BAD(w, "internal: unhandled key");
}

dshap_status jobfile_load(const char *path, explain_opts *o, jobfile *jf) {
    where w = {path, 0, NULL};
    FILE *f = fopen(path, "r");
    if (!f) FAIL(DSHAP_EIO, "%s: cannot open job file: %s", path, strerror(errno));
    /* Work on copies so a failure leaves the caller's options untouched. */
    explain_opts *tmp = malloc(sizeof *tmp);
    jobfile got = {{0}, 0};
    char *line = NULL;
    size_t cap = 0;
    int seen[K_COUNT] = {0};
    dshap_status st = DSHAP_OK;
    if (!tmp) CHECK_FAIL(DSHAP_ENOMEM, "%s: out of memory", path);
    *tmp = *o;
    ssize_t got_len;
    while ((got_len = getline(&line, &cap, f)) >= 0) {
        w.line++;
        w.key = NULL;
        /* a NUL byte would silently cut the value at it */
        if ((size_t)got_len != strlen(line))
            CHECK_FAIL(DSHAP_EFORMAT, "%s:%d: contains a NUL byte (not a text file?)", path, w.line);
        char *key, *value;
        int has, quoted;
        CHECK(split_line(&w, line, &key, &value, &has, &quoted));
        if (!has) continue;
        int k = lookup_key(key);
        if (k < 0) CHECK_FAIL(DSHAP_EINVAL, "%s:%d: unknown key '%s' (known: " KEY_LIST ")", path, w.line, key);
        w.key = key_names[k];
        if (seen[k]) CHECK_FAIL(DSHAP_EINVAL, "%s:%d: %s: given twice (first on line %d)", path, w.line, w.key, seen[k]);
        seen[k] = w.line;
        if ((k == K_N_BACKGROUND && seen[K_BACKGROUND_INDICES]) || (k == K_BACKGROUND_INDICES && seen[K_N_BACKGROUND]))
            CHECK_FAIL(DSHAP_EINVAL, "%s:%d: %s: give n_background or background_indices, not both", path, w.line,
                       w.key);
        CHECK(set_key(&w, (job_key)k, value, quoted, tmp, &got));
    }
    if (ferror(f)) CHECK_FAIL(DSHAP_EIO, "%s: read error: %s", path, strerror(errno));
    if (jf->n + got.n > JOBFILE_MAX_STRINGS) CHECK_FAIL(DSHAP_EINVAL, "%s: too many job files loaded into one handle", path);
    *o = *tmp;
    for (int i = 0; i < got.n; i++) jf->str[jf->n++] = got.str[i];
    got.n = 0;
done:
    jobfile_free(&got);
    free(line);
    free(tmp);
    fclose(f);
    return st;
}

void jobfile_free(jobfile *jf) {
    for (int i = 0; i < jf->n; i++) free(jf->str[i]);
    jf->n = 0;
}
