/* dshap — status codes and the one-line error message carried up the stack. */
#ifndef DSHAP_STATUS_H
#define DSHAP_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/* libdshap is built with hidden visibility: what carries DSHAP_API is its
 * public interface (include/dshap/dshap.h), nothing else is exported. */
#ifndef DSHAP_API
#define DSHAP_API __attribute__((visibility("default")))
#endif

typedef enum {
    DSHAP_OK = 0,
    DSHAP_EINVAL = 1,   /* bad argument or flag */
    DSHAP_EIO = 2,      /* a file could not be read or written */
    DSHAP_EFORMAT = 3,  /* a file has the wrong format, shape or content */
    DSHAP_ENOMEM = 4,   /* an allocation failed */
    DSHAP_EDEVICE = 5,  /* no usable GPU or a device call failed */
    DSHAP_ENUMERIC = 6, /* NaN/Inf or an additivity check failed */
    DSHAP_EMPI = 7      /* a communication call failed */
} dshap_status;

/* The message of the most recent failure on this thread ("file: problem"). */
DSHAP_API const char *dshap_last_error(void);
/* Where the failure was raised (source file:line), for --verbose/DSHAP_DEBUG. */
DSHAP_API const char *dshap_last_error_origin(void);
/* Short name of a status code. */
DSHAP_API const char *dshap_status_name(dshap_status s);

#ifdef __cplusplus
}
#endif
#endif
