#include "study/svg.h"

#include <math.h>
#include <string.h>

dshap_status svg_open(svg *s, const char *path, double w, double h) {
    s->w = w;
    s->h = h;
    s->f = NULL;
    TRY(textout_open(&s->out, path));
    s->f = s->out.f;
    fprintf(s->f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"DejaVu Sans, Arial, sans-serif\">\n"
            "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n",
            w, h, w, h, w, h);
    return DSHAP_OK;
}

dshap_status svg_close(svg *s) {
    fprintf(s->f, "</svg>\n");
    s->f = NULL;
    return textout_commit(&s->out);
}

const char *svg_escape(const char *in, char *buf, size_t cap) {
    size_t o = 0;
    for (; *in && o + 7 < cap; in++) {
        const char *rep = NULL;
        switch (*in) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        }
        if (rep) {
            memcpy(buf + o, rep, strlen(rep));
            o += strlen(rep);
        } else {
            buf[o++] = *in;
        }
    }
    buf[o] = '\0';
    return buf;
}

void svg_text(svg *s, double x, double y, double size, const char *anchor, const char *fill, const char *text) {
    char esc[1024];
    fprintf(s->f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%.1f\" text-anchor=\"%s\" fill=\"%s\">%s</text>\n", x, y, size,
            anchor, fill, svg_escape(text, esc, sizeof esc));
}

void svg_line(svg *s, double x1, double y1, double x2, double y2, const char *stroke, double width, const char *dash) {
    fprintf(s->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.2f\"%s%s%s/>\n", x1,
            y1, x2, y2, stroke, width, dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
}

static void lerp_stops(const double (*stops)[3], int n, double t, char out[8]) {
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    double pos = t * (n - 1);
    int i = (int)floor(pos);
    if (i >= n - 1) i = n - 2;
    double f = pos - i;
    int rgb[3];
    for (int c = 0; c < 3; c++) rgb[c] = (int)lround(stops[i][c] + f * (stops[i + 1][c] - stops[i][c]));
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

void svg_color_seq(double t, char out[8]) {
    static const double st[5][3] = {{255, 255, 204}, {254, 217, 118}, {253, 141, 60}, {227, 26, 28}, {128, 0, 38}};
    lerp_stops(st, 5, t, out);
}

void svg_color_div(double t, char out[8]) {
    static const double st[5][3] = {{5, 48, 97}, {103, 169, 207}, {247, 247, 247}, {239, 138, 98}, {103, 0, 31}};
    lerp_stops(st, 5, 0.5 * (t + 1), out);
}

const char *svg_palette(int i) {
    static const char *p[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
    return p[((i % 8) + 8) % 8];
}

double svg_ax_x(const svg_axes *a, double x) { return a->x0 + (x - a->xmin) / (a->xmax - a->xmin) * a->w; }
double svg_ax_y(const svg_axes *a, double y) {
    double f = (y - a->ymin) / (a->ymax - a->ymin);
    return a->flip_y ? a->y0 + f * a->h : a->y0 + a->h - f * a->h;
}

void svg_nice_range(double lo, double hi, double *nlo, double *nhi, double *step) {
    if (!(hi > lo)) {
        hi = lo + 1;
        lo -= 1;
    }
    double raw = (hi - lo) / 5, mag = pow(10, floor(log10(raw))), st = 10 * mag;
    const double m[] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (m[i] * mag >= raw) {
            st = m[i] * mag;
            break;
        }
    *step = st;
    *nlo = floor(lo / st + 1e-9) * st;
    *nhi = ceil(hi / st - 1e-9) * st;
}

void svg_axes_draw(svg *s, const svg_axes *a, const char *xlabel, const char *ylabel, int integer_x) {
    fprintf(s->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333333\"/>\n", a->x0,
            a->y0, a->w, a->h);
    double lo, hi, st;
    char buf[64];
    svg_nice_range(a->ymin, a->ymax, &lo, &hi, &st);
    for (double y = lo; y <= hi + st * 1e-6; y += st) {
        if (y < fmin(a->ymin, a->ymax) - 1e-9 || y > fmax(a->ymin, a->ymax) + 1e-9) continue;
        double py = svg_ax_y(a, y);
        svg_line(s, a->x0, py, a->x0 + a->w, py, "#dddddd", 0.6, NULL);
        snprintf(buf, sizeof buf, "%g", fabs(y) < 1e-12 ? 0 : y);
        svg_text(s, a->x0 - 6, py + 4, 11, "end", "#333333", buf);
    }
    if (integer_x == 2) {
        /* no x ticks: the caller labels the categories */
    } else if (integer_x) {
        int step = (int)ceil((a->xmax - a->xmin) / 12);
        if (step < 1) step = 1;
        for (int x = (int)ceil(a->xmin); x <= (int)floor(a->xmax); x += step) {
            snprintf(buf, sizeof buf, "%d", x);
            svg_text(s, svg_ax_x(a, x), a->y0 + a->h + 16, 11, "middle", "#333333", buf);
        }
    } else {
        svg_nice_range(a->xmin, a->xmax, &lo, &hi, &st);
        for (double x = lo; x <= hi + st * 1e-6; x += st) {
            if (x < a->xmin - 1e-9 || x > a->xmax + 1e-9) continue;
            snprintf(buf, sizeof buf, "%g", x);
            svg_text(s, svg_ax_x(a, x), a->y0 + a->h + 16, 11, "middle", "#333333", buf);
        }
    }
    if (xlabel) svg_text(s, a->x0 + a->w / 2, a->y0 + a->h + 36, 12, "middle", "#000000", xlabel);
    if (ylabel) {
        char esc[256];
        fprintf(s->f,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
                a->x0 - 44, a->y0 + a->h / 2, a->x0 - 44, a->y0 + a->h / 2, svg_escape(ylabel, esc, sizeof esc));
    }
}
