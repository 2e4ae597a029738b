/* Skeleton heat maps: one panel per (score source, frame window); joints at
 * the sample's mean pose in the window, bones from the layout's parents,
 * colour and size by importance. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "engine/layout.h"
#include "io/h5io.h"
#include "study/plot.h"
#include "study/scores.h"
#include "study/svg.h"

#define PANEL 190.0
#define MAX_WINDOWS 16

/* The sample's positions: pos (T, V, 2) in data units (x, y of person m). */
static dshap_status read_pose(const char *path, int sample, int person, const dshap_layout **L, int *T_out, double **pos) {
    h5file f;
    TRY(h5io_open_any(&f, path));
    dshap_status st = DSHAP_OK;
    char *fmt = NULL, *lay = NULL;
    float *row = NULL;
    int rank;
    int64_t d[H5IO_MAX_RANK];
    if (h5io_has_attr(&f, "/", "format")) CHECK(h5io_read_attr_str(&f, "/", "format", &fmt));
    int is_inputs = fmt && !strcmp(fmt, "dshap-inputs");
    if (!fmt || (strcmp(fmt, "dshap-data") && !is_inputs))
        CHECK_FAIL(DSHAP_EFORMAT, "%s: expected a dshap-data or dshap-inputs file for the skeleton", path);
    CHECK(h5io_shape(&f, "/x", &rank, d));
    if (rank != (is_inputs ? 6 : 5)) CHECK_FAIL(DSHAP_EFORMAT, "%s: '/x' has rank %d", path, rank);
    if (sample < 0 || sample >= d[0])
        CHECK_FAIL(DSHAP_EINVAL, "--sample %d is outside %s's %lld samples", sample, path, (long long)d[0]);
    int C = (int)(is_inputs ? d[2] : d[1]), T = (int)(is_inputs ? d[3] : d[2]), V = (int)(is_inputs ? d[4] : d[3]),
        M = (int)(is_inputs ? d[5] : d[4]);
    if (person < 0 || person >= M) CHECK_FAIL(DSHAP_EINVAL, "--person %d: %s has %d person(s)", person, path, M);
    if (h5io_has_attr(&f, "/", "layout")) {
        CHECK(h5io_read_attr_str(&f, "/", "layout", &lay));
        *L = layout_find(lay);
    } else {
        *L = NULL;
        const char *cand[] = {"ntu25", "cp29", "cp19"};
        for (int i = 0; i < 3; i++)
            if (layout_find(cand[i])->V == V) *L = layout_find(cand[i]);
    }
    if (!*L || (*L)->V != V) CHECK_FAIL(DSHAP_EFORMAT, "%s: no known skeleton layout with %d joints", path, V);
    int64_t per = 1;
    for (int i = 1; i < rank; i++) per *= d[i];
    CHECK(dshap_alloc_floats(&row, (size_t)per, "sample"));
    CHECK(h5io_read_rows_f32(&f, "/x", sample, 1, row));
    CHECK(dshap_calloc((void **)pos, (size_t)T * V * 2, sizeof(double), "pose"));
    for (int t = 0; t < T; t++)
        for (int v = 0; v < V; v++)
            for (int c = 0; c < 2 && c < C; c++) /* inputs.h5: branch J, channels 0..C-1 are the positions */
                (*pos)[((int64_t)t * V + v) * 2 + c] = row[(((int64_t)c * T + t) * V + v) * M + person];
    *T_out = T;
done:
    dshap_free(fmt);
    dshap_free(lay);
    dshap_free(row);
    h5io_close(&f);
    return st;
}

dshap_status plot_skeleton(const plot_opts *o) {
    score_set sc[PLOT_MAX_SERIES];
    memset(sc, 0, sizeof sc);
    double *pos = NULL;
    const dshap_layout *L = NULL;
    int T_data = 0;
    dshap_status st = DSHAP_OK;
    int S = o->n_in, W = o->windows > 0 ? o->windows : 4;
    if (W > MAX_WINDOWS) FAIL(DSHAP_EINVAL, "--windows %d: at most %d", W, MAX_WINDOWS);
    CHECK(read_pose(o->data, o->sample, o->person, &L, &T_data, &pos));
    int V = L->V, frames = o->frames > 0 && o->frames < T_data ? o->frames : T_data;
    for (int i = 0; i < S; i++) {
        CHECK(scores_load(&sc[i], o->in[i], o->score_class ? o->score_class : "auto", 1));
        if (sc[i].V != V) CHECK_FAIL(DSHAP_EINVAL, "score source '%s' has %d joints, the skeleton %d", sc[i].name, sc[i].V, V);
        if (o->sample >= sc[i].N)
            CHECK_FAIL(DSHAP_EINVAL, "--sample %d is outside score source '%s' (%lld samples)", o->sample, sc[i].name,
                       (long long)sc[i].N);
    }
    int flip = !strcmp(L->name, "ntu25"); /* NTU: y up (camera space); CP: image rows, y down */
    double win_score[PLOT_MAX_SERIES][MAX_WINDOWS][64];
    double win_pos[MAX_WINDOWS][64][2];
    for (int w = 0; w < W; w++) {
        int a = w * frames / W, b = (w + 1) * frames / W;
        if (b <= a) b = a + 1;
        for (int v = 0; v < V; v++) {
            double sx = 0, sy = 0;
            for (int t = a; t < b; t++) {
                sx += pos[((int64_t)t * V + v) * 2];
                sy += pos[((int64_t)t * V + v) * 2 + 1];
            }
            win_pos[w][v][0] = sx / (b - a);
            win_pos[w][v][1] = (flip ? -1 : 1) * sy / (b - a);
            if (!isfinite(win_pos[w][v][0]) || !isfinite(win_pos[w][v][1]))
                CHECK_FAIL(DSHAP_ENUMERIC, "%s: sample %d has NaN or Inf positions of joint %d in frames %d-%d", o->data,
                           o->sample, v, a, b - 1);
        }
        for (int i = 0; i < S; i++) {
            int T = sc[i].T, ta = w * T / W, tb = (w + 1) * T / W;
            if (tb <= ta) tb = ta + 1;
            if (tb > T) tb = T, ta = tb - 1 < ta ? tb - 1 : ta;
            for (int v = 0; v < V; v++) {
                double s = 0;
                for (int t = ta; t < tb; t++) s += sc[i].s[((int64_t)o->sample * T + t) * V + v];
                win_score[i][w][v] = s / (tb - ta);
            }
        }
    }
    double W_px = 170 + W * PANEL, H_px = 70 + S * (PANEL + 30);
    svg g;
    CHECK(svg_open(&g, o->output, W_px, H_px));
    char title[512];
    snprintf(title, sizeof title, "%s", o->title ? o->title : "Joint importance per frame window");
    svg_text(&g, W_px / 2, 26, 16, "middle", "#000000", title);
    snprintf(title, sizeof title, "sample %d, frames 0-%d in %d windows; colour and size: importance scaled by the sample's largest |score| per source",
             o->sample, frames - 1, W);
    svg_text(&g, W_px / 2, 46, 11, "middle", "#444444", title);
    for (int i = 0; i < S; i++) {
        double amax = 0;
        int signed_src = 0;
        for (int w = 0; w < W; w++)
            for (int v = 0; v < V; v++) {
                amax = fmax(amax, fabs(win_score[i][w][v]));
                if (win_score[i][w][v] < 0) signed_src = 1;
            }
        double y0 = 60 + i * (PANEL + 30);
        svg_text(&g, 80, y0 + PANEL / 2, 13, "middle", "#000000", sc[i].name);
        svg_text(&g, 80, y0 + PANEL / 2 + 16, 10, "middle", "#555555", signed_src ? "blue - / red +" : "yellow low / red high");
        for (int w = 0; w < W; w++) {
            double x0 = 160 + w * PANEL;
            double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
            for (int v = 0; v < V; v++)
                for (int c = 0; c < 2; c++) {
                    lo[c] = fmin(lo[c], win_pos[w][v][c]);
                    hi[c] = fmax(hi[c], win_pos[w][v][c]);
                }
            double span = fmax(hi[0] - lo[0], hi[1] - lo[1]);
            if (!(span > 0)) span = 1;
            double scale = (PANEL - 40) / span, cx = x0 + PANEL / 2, cy = y0 + PANEL / 2 + 8;
#define PX(v) (cx + (win_pos[w][v][0] - 0.5 * (lo[0] + hi[0])) * scale)
#define PY(v) (cy + (win_pos[w][v][1] - 0.5 * (lo[1] + hi[1])) * scale)
            fprintf(g.f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#cccccc\"/>\n",
                    x0 + 4, y0 + 4, PANEL - 8, PANEL - 8 + 14);
            if (i == 0) {
                char lab[64];
                snprintf(lab, sizeof lab, "frames %d-%d", w * frames / W, (w + 1) * frames / W - 1);
                svg_text(&g, cx, y0 + 18, 11, "middle", "#333333", lab);
            }
            for (int v = 0; v < V; v++) {
                int p = L->parents[v];
                if (p != v) svg_line(&g, PX(v), PY(v), PX(p), PY(p), "#888888", 2.0, NULL);
            }
            for (int v = 0; v < V; v++) {
                double t = amax > 0 ? win_score[i][w][v] / amax : 0;
                char col[8];
                if (signed_src) svg_color_div(t, col);
                else svg_color_seq(t, col);
                fprintf(g.f,
                        "<circle class=\"joint\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" stroke=\"#222222\" "
                        "stroke-width=\"0.6\"><title>joint %d: %.4g</title></circle>\n",
                        PX(v), PY(v), 2.5 + 6.5 * fabs(t), col, v, win_score[i][w][v]);
            }
#undef PX
#undef PY
        }
    }
    CHECK(svg_close(&g));
    if (!o->quiet) printf("plot skeleton: %d source(s) x %d window(s) x %d joints -> %s\n", S, W, V, o->output);
done:
    for (int i = 0; i < S; i++) scores_free(&sc[i]);
    dshap_free(pos);
    return st;
}
