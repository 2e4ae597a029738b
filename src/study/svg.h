/* Hand-written SVG: a few primitives, colour maps, axes. No libraries. */
#ifndef DSHAP_SVG_H
#define DSHAP_SVG_H

#include <stdio.h>

#include "io/outpath.h"

typedef struct {
    FILE *f;       /* out.f: the primitives print here */
    textout out;   /* PATH.part until svg_close */
    double w, h;
} svg;

typedef struct {
    double x0, y0, w, h;    /* plot area in pixels */
    double xmin, xmax, ymin, ymax;
    int flip_y;             /* 1: ymin at the top (ranks) */
} svg_axes;

/* Written under a temporary name; svg_close checks every write and renames,
 * or removes the temporary (a full disk leaves no truncated figure). */
dshap_status svg_open(svg *s, const char *path, double w, double h);
dshap_status svg_close(svg *s);

void svg_text(svg *s, double x, double y, double size, const char *anchor, const char *fill, const char *text);
void svg_line(svg *s, double x1, double y1, double x2, double y2, const char *stroke, double width, const char *dash);

/* Colours as "#rrggbb". Sequential (0..1, light yellow → dark red) and
 * diverging (-1..1, blue → white → red). */
void svg_color_seq(double t, char out[8]);
void svg_color_div(double t, char out[8]);
/* The i-th of a small qualitative palette. */
const char *svg_palette(int i);

double svg_ax_x(const svg_axes *a, double x);
double svg_ax_y(const svg_axes *a, double y);
/* Frame, ticks and labels of an axes box; x ticks: 0 numeric, 1 integers, 2 none. */
void svg_axes_draw(svg *s, const svg_axes *a, const char *xlabel, const char *ylabel, int integer_x);
/* A "nice" range covering [lo, hi]. */
void svg_nice_range(double lo, double hi, double *nlo, double *nhi, double *step);

/* XML-escape into buf. */
const char *svg_escape(const char *in, char *buf, size_t cap);

#endif
