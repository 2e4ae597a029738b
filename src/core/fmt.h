#ifndef DSHAP_FMT_H
#define DSHAP_FMT_H
#include <stddef.h>
#include <stdint.h>
/* "(2, 3, 4)" — a tensor shape for messages. */
const char *fmt_shape(int rank, const int64_t dims[], char *buf, size_t cap);
#endif
