/* Rank box plots, perturbation curves with the random baseline, scaling curves. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "io/h5io.h"
#include "study/plot.h"
#include "study/svg.h"

/* ---- joint-rank box plots (from dshap rank's file) ---- */

dshap_status plot_ranks(const plot_opts *o) {
    h5file f;
    TRY(h5io_open_read(&f, o->in[0], "dshap-ranks", 1));
    dshap_status st = DSHAP_OK;
    char **src = NULL, **jn = NULL;
    int64_t S = 0, V = 0;
    int32_t *order = NULL;
    double *col[PLOT_MAX_SERIES][5] = {{0}};
    CHECK(h5io_read_strings(&f, "/sources", &S, &src));
    CHECK(h5io_read_strings(&f, "/joint_names", &V, &jn));
    if (S < 1 || S > PLOT_MAX_SERIES) CHECK_FAIL(DSHAP_EFORMAT, "%s: %lld sources", o->in[0], (long long)S);
    int64_t dv = V;
    CHECK(h5io_read_i32(&f, "/order", 1, &dv, &order));
    const char *what[5] = {"median", "q1", "q3", "whisker_lo", "whisker_hi"};
    for (int s = 0; s < S; s++)
        for (int w = 0; w < 5; w++) {
            char p[64];
            snprintf(p, sizeof p, "/source%d/%s", s, what[w]);
            dv = V;
            CHECK(h5io_read_f64(&f, p, 1, &dv, &col[s][w]));
        }
    int show = o->top > 0 && o->top < V ? o->top : (int)V;
    double slot = 34, W_px = 110 + show * slot + 30, H_px = 470;
    svg g;
    CHECK(svg_open(&g, o->output, W_px, H_px));
    svg_axes ax = {80, 60, show * slot, 300, 0.5, show + 0.5, 0.5, V + 0.5, 1};
    svg_text(&g, W_px / 2, 24, 16, "middle", "#000000", o->title ? o->title : "Joint ranks across samples (1 = most important)");
    svg_axes_draw(&g, &ax, NULL, "rank per sample", 2);
    double bw = (slot - 8) / S;
    for (int r = 0; r < show; r++) {
        int v = order[r];
        double xc = svg_ax_x(&ax, r + 1);
        char esc[128];
        fprintf(g.f,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" transform=\"rotate(-55 %.1f %.1f)\">%s</text>\n",
                xc, ax.y0 + ax.h + 12, xc, ax.y0 + ax.h + 12, svg_escape(jn[v], esc, sizeof esc));
        for (int s = 0; s < S; s++) {
            double x = xc - (slot - 8) / 2 + s * bw, xm = x + bw / 2;
            double q1 = svg_ax_y(&ax, col[s][1][v]), q3 = svg_ax_y(&ax, col[s][2][v]);
            svg_line(&g, xm, svg_ax_y(&ax, col[s][3][v]), xm, q1, "#444444", 1, NULL);
            svg_line(&g, xm, q3, xm, svg_ax_y(&ax, col[s][4][v]), "#444444", 1, NULL);
            fprintf(g.f,
                    "<rect class=\"box\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.75\" "
                    "stroke=\"#222222\" stroke-width=\"0.8\"><title>%s %s: median %.1f, IQR %.1f-%.1f</title></rect>\n",
                    x + 1, fmin(q1, q3), bw - 2, fmax(fabs(q3 - q1), 1.0), svg_palette(s), src[s], jn[v], col[s][0][v],
                    col[s][1][v], col[s][2][v]);
            double ym = svg_ax_y(&ax, col[s][0][v]);
            svg_line(&g, x + 1, ym, x + bw - 1, ym, "#000000", 2, NULL);
        }
    }
    for (int s = 0; s < S; s++) {
        double lx = 90 + s * 180;
        fprintf(g.f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx, 36.0, svg_palette(s));
        svg_text(&g, lx + 16, 46, 12, "start", "#000000", src[s]);
    }
    CHECK(svg_close(&g));
    if (!o->quiet) printf("plot ranks: %lld source(s) x %d joints -> %s\n", (long long)S, show, o->output);
done:
    for (int s = 0; s < PLOT_MAX_SERIES; s++)
        for (int w = 0; w < 5; w++) dshap_free(col[s][w]);
    if (src) h5io_free_strings(src, S);
    if (jn) h5io_free_strings(jn, V);
    dshap_free(order);
    h5io_close(&f);
    return st;
}

/* ---- perturbation curves ---- */

typedef struct {
    char label[160];
    char select[16];
    int n;
    int k[64];
    double m[64], sd[64];
    int band;
    double baseline;
} series;

static dshap_status read_curves(const char *path, series *out, int *n_out, int cap) {
    h5file f;
    TRY(h5io_open_read(&f, path, "dshap-curves", 1));
    dshap_status st = DSHAP_OK;
    int32_t *k = NULL;
    double *m = NULL, *sd = NULL, *base = NULL;
    char *label = NULL;
    int64_t dk = -1;
    CHECK(h5io_read_i32(&f, "/k", 1, &dk, &k));
    if (dk < 1 || dk > 64) CHECK_FAIL(DSHAP_EFORMAT, "%s: %lld k values", path, (long long)dk);
    CHECK(h5io_read_attr_str(&f, "/", "label", &label));
    CHECK(h5io_read_f64(&f, "/baseline", 0, NULL, &base));
    const char *sel[3] = {"top", "bottom", "random"};
    for (int s = 0; s < 3; s++) {
        char p[64];
        snprintf(p, sizeof p, "/%s/metric", sel[s]);
        if (!h5io_exists(&f, p)) continue;
        if (*n_out == cap) CHECK_FAIL(DSHAP_EINVAL, "more than %d curves", cap);
        series *c = &out[(*n_out)++];
        int64_t d = dk;
        CHECK(h5io_read_f64(&f, p, 1, &d, &m));
        snprintf(p, sizeof p, "/%s/sd", sel[s]);
        d = dk;
        CHECK(h5io_read_f64(&f, p, 1, &d, &sd));
        snprintf(c->label, sizeof c->label, "%s", label);
        snprintf(c->select, sizeof c->select, "%s", sel[s]);
        c->n = (int)dk;
        c->band = s == 2;
        c->baseline = *base;
        for (int i = 0; i < dk; i++) {
            c->k[i] = k[i];
            c->m[i] = m[i];
            c->sd[i] = sd[i];
        }
        dshap_free(m);
        dshap_free(sd);
        m = sd = NULL;
    }
done:
    dshap_free(k);
    dshap_free(m);
    dshap_free(sd);
    dshap_free(base);
    dshap_free(label);
    h5io_close(&f);
    return st;
}

dshap_status plot_perturb(const plot_opts *o) {
    series *c;
    TRY(dshap_calloc((void **)&c, 3 * PLOT_MAX_SERIES, sizeof *c, "curves"));
    int n = 0;
    dshap_status st = DSHAP_OK;
    for (int i = 0; i < o->n_in; i++) CHECK(read_curves(o->in[i], c, &n, 3 * PLOT_MAX_SERIES));
    double ymin = INFINITY, ymax = -INFINITY, mmin = INFINITY, mmax = -INFINITY;
    int kmax = 1;
    for (int s = 0; s < n; s++) {
        ymin = fmin(ymin, c[s].baseline);
        ymax = fmax(ymax, c[s].baseline);
        for (int i = 0; i < c[s].n; i++) {
            ymin = fmin(ymin, c[s].m[i] - c[s].sd[i]);
            ymax = fmax(ymax, c[s].m[i] + c[s].sd[i]);
            mmin = fmin(mmin, fmin(c[s].m[i], c[s].baseline));
            mmax = fmax(mmax, fmax(c[s].m[i], c[s].baseline));
            if (c[s].k[i] > kmax) kmax = c[s].k[i];
        }
    }
    double lo, hi, step;
    int unit = mmin >= -1e-9 && mmax <= 1 + 1e-9; /* accuracy, AUC, agreement: the whole [0, 1] */
    if (unit) {
        ymin = 0;
        ymax = 1;
    }
    svg_nice_range(ymin, ymax, &lo, &hi, &step);
    double W_px = 840, H_px = 440;
    svg g;
    CHECK(svg_open(&g, o->output, W_px, H_px));
    svg_axes ax = {80, 50, 420, 320, 0.5, kmax + 0.5, lo, hi, 0};
    svg_text(&g, 290, 28, 16, "middle", "#000000", o->title ? o->title : "Edge perturbation: metric against perturbed joints");
    svg_axes_draw(&g, &ax, "k (perturbed joints)", "metric", 1);
    /* Unperturbed model: one dashed line per distinct baseline. */
    for (int s = 0; s < n; s++) {
        int dup = 0;
        for (int q = 0; q < s; q++) dup |= c[q].baseline == c[s].baseline;
        if (dup) continue;
        double y = svg_ax_y(&ax, c[s].baseline);
        svg_line(&g, ax.x0, y, ax.x0 + ax.w, y, "#555555", 1, "6,4");
        svg_text(&g, ax.x0 + ax.w - 4, y - 4, 10, "end", "#555555", "unperturbed");
    }
    for (int s = 0; s < n; s++) {
        const char *colr = svg_palette(s);
        if (c[s].band) {
            fprintf(g.f, "<polygon class=\"band\" fill=\"%s\" fill-opacity=\"0.18\" stroke=\"none\" points=\"", colr);
            for (int i = 0; i < c[s].n; i++) {
                double y = c[s].m[i] + c[s].sd[i];
                fprintf(g.f, "%.1f,%.1f ", svg_ax_x(&ax, c[s].k[i]), svg_ax_y(&ax, unit ? fmin(y, 1) : y));
            }
            for (int i = c[s].n - 1; i >= 0; i--) {
                double y = c[s].m[i] - c[s].sd[i];
                fprintf(g.f, "%.1f,%.1f ", svg_ax_x(&ax, c[s].k[i]), svg_ax_y(&ax, unit ? fmax(y, 0) : y));
            }
            fprintf(g.f, "\"/>\n");
        }
        fprintf(g.f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", colr,
                c[s].band ? " stroke-dasharray=\"3,3\"" : "");
        for (int i = 0; i < c[s].n; i++) fprintf(g.f, "%.1f,%.1f ", svg_ax_x(&ax, c[s].k[i]), svg_ax_y(&ax, c[s].m[i]));
        fprintf(g.f, "\"/>\n");
        for (int i = 0; i < c[s].n; i++)
            fprintf(g.f, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s %s k=%d: %.4f</title></circle>\n",
                    svg_ax_x(&ax, c[s].k[i]), svg_ax_y(&ax, c[s].m[i]), colr, c[s].label, c[s].select, c[s].k[i], c[s].m[i]);
        char lab[200];
        if (!strncmp(c[s].label, c[s].select, strlen(c[s].select))) /* "random (...)": no repeat of the selection */
            snprintf(lab, sizeof lab, "%s%s", c[s].label, c[s].band ? ", mean \u00b1 sd" : "");
        else
            snprintf(lab, sizeof lab, "%s: %s%s", c[s].label, c[s].select, c[s].band ? ", mean \u00b1 sd" : "");
        double ly = 60 + s * 20;
        svg_line(&g, 520, ly - 4, 545, ly - 4, colr, 2, c[s].band ? "3,3" : NULL);
        svg_text(&g, 550, ly, 11, "start", "#000000", lab);
    }
    CHECK(svg_close(&g));
    if (!o->quiet) printf("plot perturb: %d curve(s) -> %s\n", n, o->output);
done:
    dshap_free(c);
    return st;
}

/* ---- scaling curves from a CSV of ranks and seconds ---- */

typedef struct {
    char name[160];
    int n;
    double p[64], t[64];
} scal;

static int split_csv(char *line, char **f, int cap) {
    int n = 0;
    line[strcspn(line, "\r\n")] = '\0';
    for (char *p = line; n < cap;) {
        f[n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static dshap_status read_scaling(const char *path, scal *out, int *n_out, int cap) {
    FILE *in = fopen(path, "r");
    if (!in) FAIL(DSHAP_EIO, "%s: cannot open", path);
    char line[4096], *f[64];
    dshap_status st = DSHAP_OK;
    int ip = -1, it = -1, im = -1;
    if (!fgets(line, sizeof line, in)) CHECK_FAIL(DSHAP_EFORMAT, "%s: empty CSV", path);
    int nf = split_csv(line, f, 64);
    for (int i = 0; i < nf; i++) {
        if (!strcmp(f[i], "ranks")) ip = i;
        if (!strcmp(f[i], "wall_s") || !strcmp(f[i], "seconds")) it = i;
        if (!strcmp(f[i], "mode")) im = i;
    }
    if (ip < 0 || it < 0) CHECK_FAIL(DSHAP_EFORMAT, "%s: need columns 'ranks' and 'seconds' (or 'wall_s')", path);
    int lineno = 1;
    while (fgets(line, sizeof line, in)) {
        lineno++;
        if (line[0] == '\n' || line[0] == '\0') continue;
        int n = split_csv(line, f, 64);
        if (n <= ip || n <= it) CHECK_FAIL(DSHAP_EFORMAT, "%s:%d: too few fields", path, lineno);
        char *e1, *e2;
        double p = strtod(f[ip], &e1), t = strtod(f[it], &e2);
        if (*e1 || *e2 || !(p >= 1) || !(t > 0)) CHECK_FAIL(DSHAP_EFORMAT, "%s:%d: bad ranks or seconds", path, lineno);
        const char *mode = im >= 0 && im < n ? f[im] : "";
        int s = 0;
        char name[160];
        snprintf(name, sizeof name, "%s%s%s", path, *mode ? " " : "", mode);
        while (s < *n_out && strcmp(out[s].name, name)) s++;
        if (s == *n_out) {
            if (s == cap) CHECK_FAIL(DSHAP_EINVAL, "more than %d scaling series", cap);
            snprintf(out[s].name, sizeof out[s].name, "%s", name);
            out[s].n = 0;
            (*n_out)++;
        }
        if (out[s].n == 64) CHECK_FAIL(DSHAP_EFORMAT, "%s: more than 64 rows in one series", path);
        out[s].p[out[s].n] = p;
        out[s].t[out[s].n++] = t;
    }
    if (!*n_out) CHECK_FAIL(DSHAP_EFORMAT, "%s: no data rows", path);
done:
    fclose(in);
    return st;
}

dshap_status plot_scaling(const plot_opts *o) {
    scal *sc;
    int n = 0;
    TRY(dshap_calloc((void **)&sc, PLOT_MAX_SERIES, sizeof *sc, "series"));
    dshap_status st = DSHAP_OK;
    for (int i = 0; i < o->n_in; i++) CHECK(read_scaling(o->in[i], sc, &n, PLOT_MAX_SERIES));
    double pmax = 1, smax = 1, emax = 1;
    double sp[PLOT_MAX_SERIES][64], ef[PLOT_MAX_SERIES][64];
    for (int s = 0; s < n; s++) {
        /* strong scaling against the first row: speedup p1*T1/Tp, efficiency speedup/p */
        for (int i = 0; i < sc[s].n; i++) {
            sp[s][i] = sc[s].p[0] * sc[s].t[0] / sc[s].t[i];
            ef[s][i] = sp[s][i] / sc[s].p[i];
            pmax = fmax(pmax, sc[s].p[i]);
            smax = fmax(smax, sp[s][i]);
            emax = fmax(emax, ef[s][i]);
        }
    }
    double W_px = 900, H_px = 420;
    svg g;
    CHECK(svg_open(&g, o->output, W_px, H_px));
    svg_text(&g, W_px / 2, 26, 16, "middle", "#000000", o->title ? o->title : "Strong scaling: speedup and efficiency");
    svg_axes a1 = {80, 60, 320, 280, 0.5, pmax + 0.5, 0, fmax(smax, pmax) * 1.05, 0};
    svg_axes a2 = {530, 60, 320, 280, 0.5, pmax + 0.5, 0, fmax(1.1, emax * 1.05), 0};
    svg_axes_draw(&g, &a1, "ranks", "speedup", 1);
    svg_axes_draw(&g, &a2, "ranks", "efficiency", 1);
    svg_line(&g, svg_ax_x(&a1, 1), svg_ax_y(&a1, 1), svg_ax_x(&a1, pmax), svg_ax_y(&a1, pmax), "#888888", 1, "6,4");
    svg_line(&g, a2.x0, svg_ax_y(&a2, 1), a2.x0 + a2.w, svg_ax_y(&a2, 1), "#888888", 1, "6,4");
    for (int s = 0; s < n; s++) {
        const char *c = svg_palette(s);
        for (int panel = 0; panel < 2; panel++) {
            svg_axes *a = panel ? &a2 : &a1;
            double *y = panel ? ef[s] : sp[s];
            fprintf(g.f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", c);
            for (int i = 0; i < sc[s].n; i++) fprintf(g.f, "%.1f,%.1f ", svg_ax_x(a, sc[s].p[i]), svg_ax_y(a, y[i]));
            fprintf(g.f, "\"/>\n");
            for (int i = 0; i < sc[s].n; i++)
                fprintf(g.f, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%g ranks: %.3f</title></circle>\n",
                        svg_ax_x(a, sc[s].p[i]), svg_ax_y(a, y[i]), c, sc[s].p[i], y[i]);
        }
        svg_text(&g, 90, 390 + 0 * s, 11, "start", c, "");
        char lab[200];
        snprintf(lab, sizeof lab, "%s", sc[s].name);
        svg_line(&g, 90 + s * 260, 396, 110 + s * 260, 396, c, 2, NULL);
        svg_text(&g, 114 + s * 260, 400, 11, "start", "#000000", lab);
    }
    CHECK(svg_close(&g));
    if (!o->quiet) printf("plot scaling: %d series -> %s\n", n, o->output);
done:
    dshap_free(sc);
    return st;
}
