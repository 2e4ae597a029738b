/* Skeleton layouts: joints, parents (bones), body parts, adjacency partitions. */
#ifndef DSHAP_LAYOUT_H
#define DSHAP_LAYOUT_H

#define LAYOUT_MAX_V 32
#define LAYOUT_MAX_PARTS 5
#define GRAPH_PARTITIONS 4 /* hop 0..3, the "distance" strategy with max_hop 3 */

typedef struct {
    const char *name;     /* ntu25, cp29, cp19 */
    int V;                /* joints */
    int C;                /* raw coordinate channels (3 for NTU, 2 for CP) */
    int M;                /* persons in the data */
    const int *parents;   /* (V), 0-based; a root is its own parent */
    int n_parts;
    const int *part_of;   /* (V): index of the body part each joint belongs to */
    const char *const *joint_names; /* NULL where the layout has no agreed names */
} dshap_layout;

/* NULL when unknown. */
const dshap_layout *layout_find(const char *name);
/* The layout with V joints (each layout's V is its own); NULL when none. */
const dshap_layout *layout_find_joints(long long V);
/* "ntu25: 25, cp29: 29, cp19: 19", for messages. */
const char *layout_joint_counts(void);
/* Comma-separated list of known names, for messages. */
const char *layout_names(void);

/* A (4, V, V): A[k] = Â ⊙ [hop == k], Â = adj·D⁻¹ (column normalised),
 * hop distances over the parent edges plus self loops, up to 3. */
void layout_adjacency(const dshap_layout *L, float *A);

#endif
