#include "engine/memplan.h"

#include "core/mem.h"

/* order[0..m) sorted by offset of the items it names (insertion sort: the
 * networks have a few hundred nodes). */
static void sort_by(int *order, int m, const int64_t *key) {
    for (int b = 1; b < m; b++)
        for (int c = b; c > 0 && (key[order[c - 1]] > key[order[c]] ||
                                  (key[order[c - 1]] == key[order[c]] && order[c - 1] > order[c]));
             c--) {
            int t = order[c];
            order[c] = order[c - 1];
            order[c - 1] = t;
        }
}

dshap_status plan_intervals(int n, const int64_t *start, const int64_t *end, const int64_t *size, int64_t *offset,
                            int64_t *total) {
    int *order = NULL, *live = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&order, (size_t)n + 1, sizeof(int), "memory plan"));
    CHECK(dshap_calloc((void **)&live, (size_t)n + 1, sizeof(int), "memory plan"));
    int m = 0, n_live = 0;
    for (int k = 0; k < n; k++) {
        offset[k] = -1;
        if (start[k] >= 0 && size[k] > 0) order[m++] = k;
    }
    sort_by(order, m, start);
    int64_t top = 0;
    for (int a = 0; a < m; a++) {
        int k = order[a];
        int w = 0; /* drop the items that ended before this one starts */
        for (int b = 0; b < n_live; b++)
            if (end[live[b]] >= start[k]) live[w++] = live[b];
        n_live = w;
        sort_by(live, n_live, offset);
        int64_t at = 0; /* the first gap between live items that fits */
        for (int b = 0; b < n_live; b++) {
            if (offset[live[b]] - at >= size[k]) break;
            int64_t e = offset[live[b]] + size[live[b]];
            if (e > at) at = e;
        }
        offset[k] = at;
        live[n_live++] = k;
        if (at + size[k] > top) top = at + size[k];
    }
    *total = top;
done:
    dshap_free(order);
    dshap_free(live);
    return st;
}
