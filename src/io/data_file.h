/* data.h5 (FORMATS.md): raw joints (N, C, T, V, M), labels, lengths, names,
 * optional group ids, attributes layout/benchmark/split/transforms/source. */
#ifndef DSHAP_DATA_FILE_H
#define DSHAP_DATA_FILE_H

#include <stdint.h>

#include "io/h5io.h"

#define DATA_FORMAT "dshap-data"
#define DATA_FORMAT_VERSION 1

typedef struct {
    int64_t N;
    int C, T, V, M;
    char layout[16];
} data_info;

/* Shape of /x and the layout attribute of an open data.h5. */
dshap_status data_file_info(const h5file *f, data_info *info);

#endif
