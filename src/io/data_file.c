#include "io/data_file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "engine/layout.h"
#include "io/labels.h"

dshap_status data_file_info(const h5file *f, data_info *info) {
    memset(info, 0, sizeof *info);
    int rank;
    int64_t d[H5IO_MAX_RANK];
    TRY(h5io_shape(f, "/x", &rank, d));
    if (rank != 5) {
        char got[96];
        FAIL(DSHAP_EFORMAT, "%s: '/x' has shape %s, expected (N, C, T, V, M)", f->path, fmt_shape(rank, d, got, sizeof got));
    }
    /* C, T, V, M are ints everywhere downstream; N stays 64-bit */
    for (int i = 1; i < 5; i++)
        if (d[i] < 1 || d[i] > INT32_MAX) {
            char got[96];
            FAIL(DSHAP_EFORMAT, "%s: '/x' declares shape %s; its (C, T, V, M) must each be within 1..%d", f->path,
                 fmt_shape(rank, d, got, sizeof got), INT32_MAX);
        }
    info->N = d[0];
    info->C = (int)d[1];
    info->T = (int)d[2];
    info->V = (int)d[3];
    info->M = (int)d[4];
    char *layout = NULL;
    TRY(h5io_read_attr_str(f, "/", "layout", &layout));
    const dshap_layout *L = layout_find(layout);
    if (!L) {
        dshap_status st = dshap_fail(DSHAP_EFORMAT, __FILE__, __LINE__, "%s: unknown layout '%s' (known: %s)", f->path,
                                     layout, layout_names());
        free(layout);
        return st;
    }
    snprintf(info->layout, sizeof info->layout, "%s", layout);
    free(layout);
    if (info->V != L->V)
        FAIL(DSHAP_EFORMAT, "%s: layout %s has %d joints but '/x' has %d", f->path, L->name, L->V, info->V);
    if (h5io_exists(f, "/length")) TRY(labels_check(f, "/length", info->N, 0, info->T, "a number of valid frames"));
    return DSHAP_OK;
}
