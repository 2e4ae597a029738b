/* The architecture record of a ShapGCN/AutoGCN "Student" (search space arch_2),
 * in ShapGCN's own key names, plus what the data fixes (layout, sizes). */
#ifndef DSHAP_ARCH_H
#define DSHAP_ARCH_H

#include "core/error.h"
#include "engine/layout.h"

typedef enum { ACT_RELU, ACT_RELU6, ACT_HARDSWISH, ACT_SILU, ACT_SIGMOID, ACT_TANH, ACT_COUNT } act_kind;
typedef enum { TCN_BASIC, TCN_BOTTLENECK, TCN_SEP, TCN_SG, TCN_V3, TCN_SHUFFLE, TCN_COUNT } tcn_kind;
typedef enum { ATT_JA, ATT_FA, ATT_CA, ATT_STJA, ATT_PA, ATT_COUNT } att_kind;

typedef struct {
    act_kind act;
    att_kind att;
    tcn_kind conv;
    int init_lay;
    double expand_ratio, reduct_ratio;
    int blocks_in, depth_in, stride_in, temp_win_in, graph_dist_in;
    double scale_in;
    int blocks_main, depth_main, stride_main, temp_win_main, graph_dist_main;
    double scale_main;
    double drop_prob;
    int num_class;
    const dshap_layout *layout;
    int in_channels; /* raw C; the model input has 2C channels per branch */
    int num_frames;  /* T */
    int num_persons; /* M */
} dshap_arch;

#define ARCH_BRANCHES 4 /* J, V, B, A */

/* Parse and validate; `origin` names the file for messages. */
dshap_status arch_from_json(dshap_arch *a, const char *json, const char *origin);
/* Serialise (ShapGCN key names); caller frees with free(). */
char *arch_to_json(const dshap_arch *a);
/* Built-in records: "ntu-xview", "cp29". */
dshap_status arch_builtin(dshap_arch *a, const char *name);

const char *act_name(act_kind k);
const char *tcn_name(tcn_kind k);
const char *att_name(att_kind k);

#endif
