/* Internal error helpers: FAIL sets the one-line message and returns a status;
 * TRY propagates a failing status unchanged (the first message wins). */
#ifndef DSHAP_ERROR_H
#define DSHAP_ERROR_H

#include "dshap/status.h"

dshap_status dshap_fail(dshap_status code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void dshap_clear_error(void);

#define FAIL(code, ...) return dshap_fail((code), __FILE__, __LINE__, __VA_ARGS__)
#define TRY(expr)                                   \
    do {                                            \
        dshap_status try_s_ = (expr);               \
        if (try_s_ != DSHAP_OK) return try_s_;      \
    } while (0)
/* For functions that must release resources: set st and jump to `done`. */
#define CHECK(expr)                                 \
    do {                                            \
        st = (expr);                                \
        if (st != DSHAP_OK) goto done;              \
    } while (0)
#define CHECK_FAIL(code, ...)                                         \
    do {                                                              \
        st = dshap_fail((code), __FILE__, __LINE__, __VA_ARGS__);     \
        goto done;                                                    \
    } while (0)

#endif
