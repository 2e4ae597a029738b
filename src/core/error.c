#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_msg[16384]; /* room for a few 4 KiB paths and the reason */
static _Thread_local char last_origin[256];

dshap_status dshap_fail(dshap_status code, const char *file, int line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    snprintf(last_origin, sizeof last_origin, "%s:%d", file, line);
    return code;
}

void dshap_clear_error(void) {
    last_msg[0] = '\0';
    last_origin[0] = '\0';
}

const char *dshap_last_error(void) { return last_msg[0] ? last_msg : "unknown error"; }
const char *dshap_last_error_origin(void) { return last_origin; }

const char *dshap_status_name(dshap_status s) {
    switch (s) {
    case DSHAP_OK: return "ok";
    case DSHAP_EINVAL: return "invalid argument";
    case DSHAP_EIO: return "i/o error";
    case DSHAP_EFORMAT: return "bad file content";
    case DSHAP_ENOMEM: return "out of memory";
    case DSHAP_EDEVICE: return "device error";
    case DSHAP_ENUMERIC: return "numeric error";
    case DSHAP_EMPI: return "communication error";
    }
    return "unknown status";
}
