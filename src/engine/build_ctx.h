/* Internal to the network builder: node and parameter helpers shared by the
 * layer builders (build.c, build_layers.c). */
#ifndef DSHAP_BUILD_CTX_H
#define DSHAP_BUILD_CTX_H

#include "core/rng.h"
#include "engine/net.h"

typedef struct {
    dshap_net *net;
    dshap_model *model;
    int create;     /* model init: create the tensors with random values */
    rng_t rng;
    dshap_status st;
} builder;

/* Every helper returns the new node's index, or -1 once an error is set. */
int b_input(builder *b, int branch);
int b_conv(builder *b, const char *prefix, int in, int cout, int k, int stride, int groups, int bias);
int b_bn(builder *b, const char *prefix, int in);
int b_act(builder *b, const char *name, int in, int act, int shap_module);
int b_add(builder *b, const char *name, int x, int y);
int b_mul(builder *b, const char *name, int x, int y);
int b_reduce(builder *b, op_kind op, const char *name, int in, int axes, int shap_module);
int b_softmax(builder *b, const char *name, int in, int axis);
int b_reshape(builder *b, const char *name, int in, int C, int T, int V);
int b_graph(builder *b, const char *prefix, int in, int K);
int b_concat(builder *b, const char *name, int n, const int *ins);
int b_gather(builder *b, const char *name, int in, const char *index_param);
int b_person_mean(builder *b, const char *name, int in);
/* Mark a node as the output of a PyTorch module. */
void b_module(builder *b, int node, const char *path);

/* Layers of the family (build_layers.c). */
int layer_sgc(builder *b, const char *prefix, int in, int cout, int graph_dist);
int layer_tcn(builder *b, int kind, const char *prefix, int in, int k, int stride);
int layer_att(builder *b, const char *prefix, int in);

#define PATH(buf, ...) (snprintf((buf), sizeof(buf), __VA_ARGS__), (buf))

#endif
