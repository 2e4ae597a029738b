#include "engine/layout.h"

#include <string.h>

/* NTU as the published models were trained (EfficientGCN's parent list). */
static const int ntu_parents[25] = {1, 1, 20, 2, 20, 4, 5, 6, 20, 8, 9, 10, 0, 12, 13, 14, 0, 16, 17, 18, 1, 22, 7, 24, 11};
/* Parts in ShapGCN's graph.py order: left arm, right arm, left leg, right leg, torso. */
static const int ntu_part_of[25] = {4, 4, 4, 4, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 0, 0, 1, 1};
static const char *const ntu_names[25] = {
    "spine_base", "spine_mid", "neck", "head", "left_shoulder", "left_elbow", "left_wrist", "left_hand",
    "right_shoulder", "right_elbow", "right_wrist", "right_hand", "left_hip", "left_knee", "left_ankle", "left_foot",
    "right_hip", "right_knee", "right_ankle", "right_foot", "spine_shoulder", "left_hand_tip", "left_thumb",
    "right_hand_tip", "right_thumb"};

static const int cp_parents[29] = {1, 4, 1, 1, 8, 8, 5, 6, 8, 8, 9, 10, 8, 12, 13, 14, 12, 16, 17, 7, 7, 11, 11, 15, 15, 15, 18, 18, 18};
static const int cp29_part_of[29] = {4, 4, 4, 4, 4, 1, 1, 1, 4, 0, 0, 0, 4, 3, 3, 3, 2, 2, 2, 1, 1, 0, 0, 3, 3, 3, 2, 2, 2};
static const int cp19_part_of[19] = {4, 4, 4, 4, 4, 1, 1, 1, 4, 0, 0, 0, 4, 3, 3, 3, 2, 2, 2};

static const dshap_layout layouts[] = {
    {"ntu25", 25, 3, 2, ntu_parents, 5, ntu_part_of, ntu_names},
    {"cp29", 29, 2, 1, cp_parents, 5, cp29_part_of, NULL},
    {"cp19", 19, 2, 1, cp_parents, 5, cp19_part_of, NULL},
};

const dshap_layout *layout_find(const char *name) {
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (strcmp(layouts[i].name, name) == 0) return &layouts[i];
    return NULL;
}

const dshap_layout *layout_find_joints(long long V) {
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (layouts[i].V == V) return &layouts[i];
    return NULL;
}

const char *layout_joint_counts(void) { return "ntu25: 25, cp29: 29, cp19: 19"; }

const char *layout_names(void) { return "ntu25, cp29, cp19"; }

void layout_adjacency(const dshap_layout *L, float *A) {
    int V = L->V;
    int hop[LAYOUT_MAX_V][LAYOUT_MAX_V];
    int adj[LAYOUT_MAX_V][LAYOUT_MAX_V] = {{0}};
    for (int v = 0; v < V; v++) {
        int p = L->parents[v];
        if (p != v) adj[v][p] = adj[p][v] = 1;
    }
    /* Breadth-first hop distances, capped at GRAPH_PARTITIONS-1 (else "unreachable" = -1). */
    for (int s = 0; s < V; s++) {
        for (int v = 0; v < V; v++) hop[s][v] = -1;
        int queue[LAYOUT_MAX_V], head = 0, tail = 0;
        hop[s][s] = 0;
        queue[tail++] = s;
        while (head < tail) {
            int u = queue[head++];
            if (hop[s][u] == GRAPH_PARTITIONS - 1) continue;
            for (int w = 0; w < V; w++)
                if (adj[u][w] && hop[s][w] < 0) {
                    hop[s][w] = hop[s][u] + 1;
                    queue[tail++] = w;
                }
        }
    }
    /* Column-normalised reachability, split by hop count. Column sums in
     * double, then one division, as numpy's A·D⁻¹ does. */
    memset(A, 0, sizeof(float) * GRAPH_PARTITIONS * V * V);
    for (int w = 0; w < V; w++) {
        double colsum = 0;
        for (int v = 0; v < V; v++) colsum += hop[v][w] >= 0;
        for (int v = 0; v < V; v++)
            if (hop[v][w] >= 0) A[(hop[v][w] * V + v) * V + w] = (float)(1.0 / colsum);
    }
}
