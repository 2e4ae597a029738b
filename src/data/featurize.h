/* data.h5 → inputs.h5: the (N, 4, 2C, T, V, M) model input of every sample,
 * computed on its first T frames, streamed in blocks (bounded memory). */
#ifndef DSHAP_FEATURIZE_H
#define DSHAP_FEATURIZE_H

#include <stdint.h>

#include "core/error.h"

typedef struct {
    int64_t N;
    int C, T_raw, T, V, M;
    char layout[16];
} featurize_report;

dshap_status featurize_file(const char *data_path, int T, const char *out_path, featurize_report *r);

#endif
