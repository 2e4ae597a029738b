#include "jobs/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "mpi/dist.h"

void progress_start(progress *p, int64_t total, int on) {
    p->total = total;
    p->on = on && total > 0;
    p->tty = isatty(2);
    p->t0 = p->last = dist_time();
}

static void fmt_time(double s, char *buf, size_t cap) {
    if (s < 0) s = 0;
    if (s < 120) snprintf(buf, cap, "%.0fs", s);
    else if (s < 7200) snprintf(buf, cap, "%.0fm%02.0fs", (double)(int)(s / 60), s - 60 * (int)(s / 60));
    else snprintf(buf, cap, "%.0fh%02.0fm", (double)(int)(s / 3600), (s - 3600 * (int)(s / 3600)) / 60);
}

void progress_step(progress *p, int64_t done) {
    if (!p->on) return;
    double now = dist_time();
    if (!p->tty && now - p->last < 10 && done < p->total) return;
    p->last = now;
    double el = now - p->t0, rate = done / (el > 0 ? el : 1e-9), eta = (p->total - done) / (rate > 0 ? rate : 1e-9);
    char e[32], r[32];
    fmt_time(el, e, sizeof e);
    fmt_time(eta, r, sizeof r);
    if (p->tty) {
        int w = 30, f = (int)(w * done / p->total);
        fprintf(stderr, "\r[%.*s%*s] %lld/%lld units  %.2f units/s  elapsed %s  eta %s ", f,
                "##############################", w - f, "", (long long)done, (long long)p->total, rate, e, r);
    } else {
        fprintf(stderr, "progress: %lld/%lld units (rank 0), %.2f units/s, elapsed %s, eta %s\n", (long long)done,
                (long long)p->total, rate, e, r);
    }
    fflush(stderr);
}

void progress_end(progress *p) {
    if (p->on && p->tty) fputc('\n', stderr);
}
