#include "engine/arch.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const act_names[ACT_COUNT] = {"relu", "relu6", "hardswish", "swish", "sigmoid", "tanh"};
static const char *const tcn_names[TCN_COUNT] = {"Basic", "Bottleneck", "Sep", "SG", "V3", "Shuffle"};
static const char *const att_names[ATT_COUNT] = {"ja", "fa", "ca", "stja", "pa"};

const char *act_name(act_kind k) { return act_names[k]; }
const char *tcn_name(tcn_kind k) { return tcn_names[k]; }
const char *att_name(att_kind k) { return att_names[k]; }

static const char *const ntu_xview_json =
    "{\"act\": \"relu\", \"att_lay\": \"ja\", \"blocks_in\": 1, \"blocks_main\": 2, \"conv_lay\": \"Shuffle\","
    " \"depth_in\": 2, \"depth_main\": 1, \"drop_prob\": 0.2, \"expand_ratio\": 1, \"graph_dist_in\": 1,"
    " \"graph_dist_main\": 2, \"init_lay\": 128, \"reduct_ratio\": 1, \"scale_in\": 0.95, \"scale_main\": 1.2,"
    " \"stride_in\": 2, \"stride_main\": 1, \"temp_win_in\": 5, \"temp_win_main\": 5,"
    " \"num_class\": 60, \"layout\": \"ntu25\", \"in_channels\": 3, \"num_frames\": 150, \"num_persons\": 2}";
static const char *const cp29_json =
    "{\"act\": \"swish\", \"att_lay\": \"fa\", \"blocks_in\": 2, \"blocks_main\": 2, \"conv_lay\": \"Sep\","
    " \"depth_in\": 2, \"depth_main\": 1, \"drop_prob\": 0.05, \"expand_ratio\": 1.5, \"graph_dist_in\": 1,"
    " \"graph_dist_main\": 1, \"init_lay\": 64, \"reduct_ratio\": 1, \"scale_in\": 1, \"scale_main\": 1,"
    " \"stride_in\": 3, \"stride_main\": 1, \"temp_win_in\": 3, \"temp_win_main\": 7,"
    " \"num_class\": 2, \"layout\": \"cp29\", \"in_channels\": 2, \"num_frames\": 150, \"num_persons\": 1}";

dshap_status arch_builtin(dshap_arch *a, const char *name) {
    if (strcmp(name, "ntu-xview") == 0) return arch_from_json(a, ntu_xview_json, "built-in ntu-xview");
    if (strcmp(name, "cp29") == 0) return arch_from_json(a, cp29_json, "built-in cp29");
    FAIL(DSHAP_EINVAL, "unknown built-in architecture '%s' (known: ntu-xview, cp29, or a .json file)", name);
}

static const cJSON *item(const cJSON *o, const char *key, const char *alias) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it && alias) it = cJSON_GetObjectItemCaseSensitive(o, alias);
    return it;
}

static dshap_status get_num(const cJSON *o, const char *key, const char *origin, double lo, double hi, int integer,
                            double *out) {
    const cJSON *it = item(o, key, NULL);
    if (!it) FAIL(DSHAP_EFORMAT, "%s: architecture lacks '%s'", origin, key);
    if (!cJSON_IsNumber(it)) FAIL(DSHAP_EFORMAT, "%s: architecture '%s' must be a number", origin, key);
    double v = it->valuedouble;
    if (!isfinite(v) || v < lo || v > hi || (integer && v != floor(v)))
        FAIL(DSHAP_EFORMAT, "%s: architecture '%s' = %g is out of range [%g, %g]%s", origin, key, v, lo, hi,
             integer ? " or not an integer" : "");
    *out = v;
    return DSHAP_OK;
}

static dshap_status get_int(const cJSON *o, const char *key, const char *origin, int lo, int hi, int *out) {
    double v;
    TRY(get_num(o, key, origin, lo, hi, 1, &v));
    *out = (int)v;
    return DSHAP_OK;
}

static dshap_status get_enum(const cJSON *o, const char *key, const char *alias, const char *origin,
                             const char *const *names, int n, int *out) {
    const cJSON *it = item(o, key, alias);
    if (!it) FAIL(DSHAP_EFORMAT, "%s: architecture lacks '%s'", origin, key);
    if (!cJSON_IsString(it)) FAIL(DSHAP_EFORMAT, "%s: architecture '%s' must be a string", origin, key);
    for (int i = 0; i < n; i++)
        if (strcmp(it->valuestring, names[i]) == 0) {
            *out = i;
            return DSHAP_OK;
        }
    /* ShapGCN accepts "silu" as a synonym of "swish" (both are nn.SiLU). */
    if (names == act_names && strcmp(it->valuestring, "silu") == 0) {
        *out = ACT_SILU;
        return DSHAP_OK;
    }
    char known[256] = "";
    for (int i = 0; i < n; i++) {
        strcat(known, i ? ", " : "");
        strcat(known, names[i]);
    }
    FAIL(DSHAP_EFORMAT, "%s: unknown %s '%s' (known: %s)", origin, key, it->valuestring, known);
}

dshap_status arch_from_json(dshap_arch *a, const char *json, const char *origin) {
    memset(a, 0, sizeof *a);
    cJSON *o = cJSON_Parse(json);
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        FAIL(DSHAP_EFORMAT, "%s: architecture is not a JSON object", origin);
    }
    dshap_status st = DSHAP_OK;
    int e;
    CHECK(get_enum(o, "act", NULL, origin, act_names, ACT_COUNT, &e));
    a->act = (act_kind)e;
    CHECK(get_enum(o, "att_lay", "att", origin, att_names, ATT_COUNT, &e));
    a->att = (att_kind)e;
    CHECK(get_enum(o, "conv_lay", "conv", origin, tcn_names, TCN_COUNT, &e));
    a->conv = (tcn_kind)e;
    CHECK(get_int(o, "init_lay", origin, 1, 4096, &a->init_lay));
    CHECK(get_num(o, "expand_ratio", origin, 0, 64, 0, &a->expand_ratio));
    CHECK(get_num(o, "reduct_ratio", origin, 0.01, 4096, 0, &a->reduct_ratio));
    CHECK(get_int(o, "blocks_in", origin, 0, 64, &a->blocks_in));
    CHECK(get_int(o, "depth_in", origin, 0, 64, &a->depth_in));
    CHECK(get_int(o, "stride_in", origin, 1, 16, &a->stride_in));
    CHECK(get_int(o, "temp_win_in", origin, 1, 63, &a->temp_win_in));
    CHECK(get_int(o, "graph_dist_in", origin, 0, GRAPH_PARTITIONS - 1, &a->graph_dist_in));
    CHECK(get_num(o, "scale_in", origin, 0.01, 64, 0, &a->scale_in));
    CHECK(get_int(o, "blocks_main", origin, 1, 64, &a->blocks_main));
    CHECK(get_int(o, "depth_main", origin, 1, 64, &a->depth_main));
    CHECK(get_int(o, "stride_main", origin, 1, 16, &a->stride_main));
    CHECK(get_int(o, "temp_win_main", origin, 1, 63, &a->temp_win_main));
    CHECK(get_int(o, "graph_dist_main", origin, 0, GRAPH_PARTITIONS - 1, &a->graph_dist_main));
    CHECK(get_num(o, "scale_main", origin, 0.01, 64, 0, &a->scale_main));
    if (item(o, "drop_prob", NULL)) CHECK(get_num(o, "drop_prob", origin, 0, 1, 0, &a->drop_prob));
    CHECK(get_int(o, "num_class", origin, 1, 100000, &a->num_class));
    const cJSON *lay = item(o, "layout", NULL);
    if (!lay || !cJSON_IsString(lay)) CHECK_FAIL(DSHAP_EFORMAT, "%s: architecture lacks 'layout' (%s)", origin, layout_names());
    a->layout = layout_find(lay->valuestring);
    if (!a->layout) CHECK_FAIL(DSHAP_EFORMAT, "%s: unknown layout '%s' (known: %s)", origin, lay->valuestring, layout_names());
    CHECK(get_int(o, "in_channels", origin, 1, 16, &a->in_channels));
    CHECK(get_int(o, "num_frames", origin, 1, 100000, &a->num_frames));
    CHECK(get_int(o, "num_persons", origin, 1, 16, &a->num_persons));
    if (a->temp_win_in % 2 == 0 || a->temp_win_main % 2 == 0)
        CHECK_FAIL(DSHAP_EFORMAT, "%s: temporal windows must be odd (got %d and %d)", origin, a->temp_win_in, a->temp_win_main);
done:
    cJSON_Delete(o);
    return st;
}

char *arch_to_json(const dshap_arch *a) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "act", act_names[a->act]);
    cJSON_AddStringToObject(o, "att_lay", att_names[a->att]);
    cJSON_AddNumberToObject(o, "blocks_in", a->blocks_in);
    cJSON_AddNumberToObject(o, "blocks_main", a->blocks_main);
    cJSON_AddStringToObject(o, "conv_lay", tcn_names[a->conv]);
    cJSON_AddNumberToObject(o, "depth_in", a->depth_in);
    cJSON_AddNumberToObject(o, "depth_main", a->depth_main);
    cJSON_AddNumberToObject(o, "drop_prob", a->drop_prob);
    cJSON_AddNumberToObject(o, "expand_ratio", a->expand_ratio);
    cJSON_AddNumberToObject(o, "graph_dist_in", a->graph_dist_in);
    cJSON_AddNumberToObject(o, "graph_dist_main", a->graph_dist_main);
    cJSON_AddNumberToObject(o, "init_lay", a->init_lay);
    cJSON_AddNumberToObject(o, "reduct_ratio", a->reduct_ratio);
    cJSON_AddNumberToObject(o, "scale_in", a->scale_in);
    cJSON_AddNumberToObject(o, "scale_main", a->scale_main);
    cJSON_AddNumberToObject(o, "stride_in", a->stride_in);
    cJSON_AddNumberToObject(o, "stride_main", a->stride_main);
    cJSON_AddNumberToObject(o, "temp_win_in", a->temp_win_in);
    cJSON_AddNumberToObject(o, "temp_win_main", a->temp_win_main);
    cJSON_AddNumberToObject(o, "num_class", a->num_class);
    cJSON_AddStringToObject(o, "layout", a->layout->name);
    cJSON_AddNumberToObject(o, "in_channels", a->in_channels);
    cJSON_AddNumberToObject(o, "num_frames", a->num_frames);
    cJSON_AddNumberToObject(o, "num_persons", a->num_persons);
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}
