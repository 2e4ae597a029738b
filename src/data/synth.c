#include "data/synth.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/rng.h"

#define FPS 30.0
#define NOISE 0.004      /* metres: Kinect-like jitter */
#define LAG 0.4          /* radians of phase lag per level down the tree */
#define TORSO_DAMP 0.2   /* the torso moves less than the limbs */

enum { ARM_L, ARM_R, LEG_L, LEG_R, TORSO };

/* NTU rest pose (metres, relative to spine_base; y up, x towards the
 * person's right so that parallel_s has something to do after the yaw). */
static const double ntu_rest[25][3] = {
    {0, 0, 0},           {0, 0.30, 0},        {0, 0.63, 0},       {0, 0.78, 0},        {-0.18, 0.52, 0},
    {-0.21, 0.25, 0},    {-0.22, 0.02, 0},    {-0.22, -0.06, 0},  {0.18, 0.52, 0},     {0.21, 0.25, 0},
    {0.22, 0.02, 0},     {0.22, -0.06, 0},    {-0.09, -0.02, 0},  {-0.10, -0.45, 0},   {-0.10, -0.85, 0},
    {-0.10, -0.90, -0.10}, {0.09, -0.02, 0},  {0.10, -0.45, 0},   {0.10, -0.85, 0},    {0.10, -0.90, -0.10},
    {0, 0.55, 0},        {-0.22, -0.16, 0},   {-0.18, -0.09, 0.02}, {0.22, -0.16, 0},  {0.18, -0.09, 0.02}};

static int depth_of(const dshap_layout *L, int v) {
    int d = 0;
    while (L->parents[v] != v && d < LAYOUT_MAX_V) v = L->parents[v], d++;
    return d;
}

/* A plausible 2-D stick figure for any tree: torso joints point up (down when
 * a leg hangs below them), arms sideways, legs down; siblings fan out; leaf
 * points (fingers, toes, face points) are short. */
static void generic_rest(const dshap_layout *L, double rest[][3]) {
    int V = L->V, has_leg_below[LAYOUT_MAX_V] = {0}, order[LAYOUT_MAX_V], has_child[LAYOUT_MAX_V] = {0};
    for (int v = 0; v < V; v++) {
        if (L->parents[v] != v) has_child[L->parents[v]] = 1;
        if (L->part_of[v] == LEG_L || L->part_of[v] == LEG_R)
            for (int u = v; L->parents[u] != u; u = L->parents[u]) has_leg_below[L->parents[u]] = 1;
    }
    for (int v = 0; v < V; v++) order[v] = v;
    for (int a = 0; a < V; a++) /* parents before children */
        for (int b = a + 1; b < V; b++)
            if (depth_of(L, order[b]) < depth_of(L, order[a])) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    memset(rest, 0, sizeof(double) * 3 * V);
    for (int i = 0; i < V; i++) {
        int v = order[i], p = L->parents[v];
        if (p == v) continue;
        static const double base_deg[5] = {200, 340, 260, 280, 90};
        int part = L->part_of[v];
        double deg = part == TORSO && has_leg_below[v] ? 270 : base_deg[part];
        int rank = 0, count = 0;
        for (int u = 0; u < V; u++)
            if (u != p && L->parents[u] == p && L->part_of[u] == part) rank += u < v, count++;
        deg += 25.0 * (rank - (count - 1) / 2.0);
        double len = !has_child[v] ? 0.04 : part == TORSO ? 0.12 : 0.11;
        rest[v][0] = rest[p][0] + len * cos(deg * M_PI / 180);
        rest[v][1] = rest[p][1] + len * sin(deg * M_PI / 180);
    }
}

typedef struct {
    double freq;
    double amp[5], phase[5];
    double axis[5][3];
} class_params;

static void class_params_for(const synth_opts *o, int k, class_params *cp) {
    rng_t r;
    rng_seed(&r, o->seed * 0x9E3779B97F4A7C15ull + 0x51A55ull + (uint64_t)k * 0xD1B54A32D192ED03ull);
    cp->freq = 0.4 + 1.2 * rng_uniform(&r);
    for (int p = 0; p < 5; p++) {
        cp->amp[p] = (0.1 + 0.8 * rng_uniform(&r)) * (p == TORSO ? TORSO_DAMP : 1.0);
        cp->phase[p] = 2 * M_PI * rng_uniform(&r);
        double a[3] = {rng_normal(&r), rng_normal(&r), rng_normal(&r)};
        double n = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]) + 1e-12;
        for (int c = 0; c < 3; c++) cp->axis[p][c] = a[c] / n;
    }
}

/* Rotation matrix about a unit axis (Rodrigues). */
static void axis_angle(const double u[3], double th, double R[3][3]) {
    double c = cos(th), s = sin(th), t = 1 - c;
    R[0][0] = t * u[0] * u[0] + c;
    R[0][1] = t * u[0] * u[1] - s * u[2];
    R[0][2] = t * u[0] * u[2] + s * u[1];
    R[1][0] = t * u[0] * u[1] + s * u[2];
    R[1][1] = t * u[1] * u[1] + c;
    R[1][2] = t * u[1] * u[2] - s * u[0];
    R[2][0] = t * u[0] * u[2] - s * u[1];
    R[2][1] = t * u[1] * u[2] + s * u[0];
    R[2][2] = t * u[2] * u[2] + c;
}

static void matmul(double A[3][3], double B[3][3], double out[3][3]) {
    double r[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r[i][j] = A[i][0] * B[0][j] + A[i][1] * B[1][j] + A[i][2] * B[2][j];
    memcpy(out, r, sizeof r);
}

int synth_sample(const synth_opts *o, int64_t i, float *x) {
    const dshap_layout *L = o->L;
    int V = L->V, C = L->C, T = o->T, M = o->M, label = (int)(i % o->K);
    double rest[LAYOUT_MAX_V][3];
    if (!strcmp(L->name, "ntu25")) memcpy(rest, ntu_rest, sizeof ntu_rest);
    else generic_rest(L, rest);
    int order[LAYOUT_MAX_V], depth[LAYOUT_MAX_V];
    for (int v = 0; v < V; v++) order[v] = v, depth[v] = depth_of(L, v);
    for (int a = 0; a < V; a++)
        for (int b = a + 1; b < V; b++)
            if (depth[order[b]] < depth[order[a]]) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    class_params cp;
    class_params_for(o, label, &cp);
    rng_t r;
    rng_seed(&r, o->seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)(i + 1)));
    for (int m = 0; m < M; m++) {
        if (m > 0 && o->interactions_only && label < SYNTH_FIRST_INTERACTION) { /* absent: zero joints */
            for (int64_t e = 0; e < (int64_t)C * T * V; e++) x[e * M + m] = 0.0f;
            continue;
        }
        double amp = 1 + 0.15 * rng_normal(&r), speed = 1 + 0.08 * rng_normal(&r);
        double phase = 2 * M_PI * rng_uniform(&r) + M_PI * m;
        double yaw = C == 3 ? rng_uniform(&r) - 0.5 : 0;
        double root[3] = {C == 3 ? 0.8 * rng_uniform(&r) - 0.4 + 1.0 * m : 0.2 * rng_uniform(&r) - 0.1,
                          C == 3 ? 0.1 * rng_uniform(&r) : 0.2 * rng_uniform(&r) - 0.1,
                          C == 3 ? 2.6 + 0.8 * rng_uniform(&r) : 0};
        double up[3] = {0, 1, 0}, Ryaw[3][3];
        axis_angle(up, yaw, Ryaw);
        for (int t = 0; t < T; t++) {
            double w = 2 * M_PI * cp.freq * speed * t / FPS + phase;
            double pos[LAYOUT_MAX_V][3], W[LAYOUT_MAX_V][3][3], ang[LAYOUT_MAX_V];
            for (int n = 0; n < V; n++) {
                int v = order[n], p = L->parents[v], part = L->part_of[v];
                if (p == v) { /* root: placement plus a slow sway */
                    pos[v][0] = root[0] + 0.03 * sin(0.5 * w);
                    pos[v][1] = root[1] + 0.01 * sin(w);
                    pos[v][2] = root[2];
                    memcpy(W[v], Ryaw, sizeof Ryaw);
                    ang[v] = 0;
                    continue;
                }
                double th = amp * cp.amp[part] * sin(w + cp.phase[part] + LAG * depth[v]);
                double off[3] = {rest[v][0] - rest[p][0], rest[v][1] - rest[p][1], rest[v][2] - rest[p][2]};
                if (C == 3) {
                    double Rl[3][3];
                    axis_angle(cp.axis[part], th, Rl);
                    matmul(W[p], Rl, W[v]);
                    for (int c = 0; c < 3; c++)
                        pos[v][c] = pos[p][c] + W[v][c][0] * off[0] + W[v][c][1] * off[1] + W[v][c][2] * off[2];
                } else {
                    ang[v] = ang[p] + th;
                    pos[v][0] = pos[p][0] + cos(ang[v]) * off[0] - sin(ang[v]) * off[1];
                    pos[v][1] = pos[p][1] + sin(ang[v]) * off[0] + cos(ang[v]) * off[1];
                }
            }
            for (int c = 0; c < C; c++)
                for (int v = 0; v < V; v++)
                    x[(((size_t)c * T + t) * V + v) * M + m] = (float)(pos[v][c] + NOISE * rng_normal(&r));
        }
    }
    return label;
}

void synth_name(const synth_opts *o, int64_t i, int label, char *out, int cap) {
    if (strcmp(o->L->name, "ntu25") != 0) {
        snprintf(out, (size_t)cap, "synth_%06lld", (long long)i);
        return;
    }
    snprintf(out, (size_t)cap, "S%03dC%03dP%03dR%03dA%03d", (int)(1 + i / 240), (int)(1 + i % 3),
             (int)(1 + (i / 3) % 40), (int)(1 + (i / 120) % 2), label + 1);
}
