/* Minimal test harness: checks count, failures are printed with file:line,
 * the exit status is the failure count (77 = skipped, for ctest). */
#ifndef DSHAP_TESTLIB_H
#define DSHAP_TESTLIB_H

#include <stdint.h>
#include <stdio.h>

#include "engine/net.h"
#include "io/h5io.h"

extern int tl_checks, tl_failures;

#define EXPECT(cond, ...)                                                   \
    do {                                                                    \
        tl_checks++;                                                        \
        if (!(cond)) {                                                      \
            tl_failures++;                                                  \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);            \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

#define EXPECT_OK(expr)                                                                         \
    do {                                                                                        \
        dshap_status s_ = (expr);                                                               \
        EXPECT(s_ == DSHAP_OK, "%s -> %s: %s", #expr, dshap_status_name(s_), dshap_last_error()); \
    } while (0)

/* Prints "<name>: N passed, N failed" and returns the exit status. */
int tl_finish(const char *name);
/* Exit 77 with a reason: ctest reports the test as skipped. */
void tl_skip(const char *reason) __attribute__((noreturn));
/* The sorted names NAME of the files NAME<suffix> in dir (at most cap);
 * returns the count, -1 when dir cannot be read. Free with tl_free_names. */
int tl_list_fixtures(const char *dir, const char *suffix, char **names, int cap);
void tl_free_names(char **names, int n);
/* check(arg, NAME) for each fixture NAME<suffix> in dir, in name order;
 * returns how many, or -1 (with a message) when dir cannot be read. */
int tl_each_fixture(const char *dir, const char *suffix, void (*check)(const char *arg, const char *name),
                    const char *arg);

/* max |a - b| / max(1, |b|) over n elements; *where gets the worst index. */
double tl_max_rel_err(const float *a, const double *b, long long n, long long *where);

/* An inputs.h5 (FORMATS.md) of n samples (n, 4, C2, T, V, M) drawn from
 * N(0, 0.25) with the seed, labels i % K. */
void tl_write_inputs(const char *path, const char *layout, int n, int C2, int T, int V, int M, int K, uint64_t seed);

/* A reference fixture: the model (m, net) and the data file, opened in *f
 * (the caller reads more from it and closes it), with its /x (N, 4, 2C, T,
 * V, M) read into *x. 0 on success; otherwise a failed check naming `name`
 * and nothing left open. */
int tl_open_fixture(const char *name, const char *model_path, const char *data_path, dshap_model *m, dshap_net *net,
                    h5file *f, float **x, int64_t *N);

#endif
