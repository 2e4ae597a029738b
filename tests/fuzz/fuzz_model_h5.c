/* libFuzzer target for the model.h5 loader (engine/model.c) and the network
 * builder's checks (engine/build.c): starting from a valid small model, the
 * bytes choose edits (fuzz_h5.h says why not raw bytes): the format
 * attributes, byte edits of the architecture JSON, and per tensor a drop, a
 * rename, another dtype, rank or shape (up to 2^63, stored or not), a NaN, a
 * compressed or chunked layout. Traps: a sanitizer report, or a failure
 * whose message is not one line starting with the file name. */
#include <math.h>
#include <stdlib.h>

#include "engine/net.h"
#include "fuzz_h5.h"

#define MAX_EDITS 8

/* tests/fixtures/archs/small_cp29.json: a model of ~40k parameters, so a
 * file is written and loaded in about a millisecond */
static const char small_arch[] =
    "{\"act\": \"swish\", \"att_lay\": \"fa\", \"conv_lay\": \"Sep\", \"init_lay\": 16, \"expand_ratio\": 1.5, "
    "\"reduct_ratio\": 1, \"blocks_in\": 1, \"depth_in\": 2, \"stride_in\": 2, \"scale_in\": 1, \"temp_win_in\": 3, "
    "\"graph_dist_in\": 1, \"blocks_main\": 2, \"depth_main\": 1, \"stride_main\": 1, \"scale_main\": 1, "
    "\"temp_win_main\": 5, \"graph_dist_main\": 1, \"drop_prob\": 0.05, \"num_class\": 2, \"layout\": \"cp29\", "
    "\"in_channels\": 2, \"num_frames\": 16, \"num_persons\": 1}";

typedef struct {
    int tensor;
    unsigned op, a, b;
} edit;

static void write_tensor(hid_t g, const dshap_param *p, const edit *e, fz_bytes *bytes) {
    char name[256];
    snprintf(name, sizeof name, "%s", p->name);
    int rank = p->rank, n_types;
    hsize_t d[8];
    for (int i = 0; i < rank; i++) d[i] = (hsize_t)p->dims[i];
    const hid_t *types = fz_types(&n_types);
    hid_t ftype = p->idata ? H5T_STD_I64LE : H5T_IEEE_F32LE;
    int layout = 0, nan = 0, unwritten = 0;
    if (e) switch (e->op % 8) {
        case 0: return;                                                   /* dropped */
        case 1: snprintf(name, sizeof name, "%s%c", p->name, 'a' + e->a % 26); break; /* renamed */
        case 2: ftype = types[e->a % n_types]; break;                     /* another dtype */
        case 3: rank = 1 + e->a % 7; for (int i = p->rank; i < rank; i++) d[i] = 1; break;
        case 4: d[e->a % (rank ? rank : 1)] = e->b < 200 ? e->b % 9 : (hsize_t)1 << (e->b % 64); unwritten = 1; break;
        case 5: nan = 1; break;
        case 6: layout = 1 + e->a % 2; break;
        case 7: d[e->a % (rank ? rank : 1)] += 1 + e->b % 3; break;     /* a stored, wrong shape */
        }
    uint64_t n = 1;
    for (int i = 0; i < rank; i++) n = d[i] && n > UINT64_MAX / d[i] ? UINT64_MAX : n * d[i];
    if (unwritten || n > (1u << 20)) {
        fz_dataset(g, name, rank, d, ftype, 1, 0, bytes);
        return;
    }
    hid_t sp = H5Screate_simple(rank, d, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (layout) {
        hsize_t ch[8];
        for (int i = 0; i < rank; i++) ch[i] = d[i] ? (d[i] < 16 ? d[i] : 16) : 1;
        H5Pset_chunk(dcpl, rank, ch);
        if (layout == 2) H5Pset_deflate(dcpl, 1);
    }
    hid_t ds = H5Dcreate2(g, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds >= 0 && n) {
        double *v = calloc(n, sizeof *v);
        if (!v) abort();
        for (uint64_t i = 0; i < n && i < (uint64_t)p->count; i++) v[i] = p->idata ? (double)p->idata[i] : p->data[i];
        if (nan) v[e->b % n] = NAN;
        H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        free(v);
    }
    if (ds >= 0) H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
}

static void write_file(const char *path, const dshap_model *base, const char *json, fz_bytes *b) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return;
    unsigned fmt = fz_u8(b), ver = fz_u8(b);
    if (fmt < 250) fz_attr_str(f, "format", fmt < 240 ? "dshap-model" : "dshap-data");
    if (ver < 250) fz_attr_int(f, "format_version", ver < 240 ? 1 : (long long)ver - 245);
    /* the architecture JSON with up to 4 byte edits (a truncation among them) */
    size_t len = strlen(json);
    char *j = strdup(json);
    if (!j) abort();
    unsigned nj = fz_u8(b) % 16;
    for (unsigned k = 0; k < nj && k < 4; k++) {
        size_t at = fz_u16(b) % len;
        unsigned c = fz_u8(b);
        j[at] = c == 0 ? '\0' : (char)c;
    }
    if (fz_u8(b) < 250) fz_attr_str(f, "architecture", j);
    free(j);
    edit e[MAX_EDITS];
    int ne = (int)(fz_u8(b) % (MAX_EDITS + 1));
    for (int k = 0; k < ne; k++) e[k] = (edit){(int)(fz_u16(b) % base->n_params), fz_u8(b), fz_u8(b), fz_u8(b)};
    hid_t g = fz_u8(b) < 252 ? H5Gcreate2(f, "state_dict", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    for (int i = 0; g >= 0 && i < base->n_params; i++) {
        const edit *mine = NULL;
        for (int k = 0; k < ne; k++)
            if (e[k].tensor == i) mine = &e[k];
        write_tensor(g, &base->params[i], mine, b);
    }
    if (g >= 0 && fz_u8(b) >= 240) { /* an extra tensor, or a group where a tensor should be */
        hsize_t d = 3;
        fz_dataset(g, "input_stream.0.mystery.weight", 1, &d, H5T_IEEE_F32LE, 0, 1, b);
        hid_t sub = H5Gcreate2(g, "sub", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (sub >= 0) H5Gclose(sub);
    }
    if (g >= 0) H5Gclose(g);
    H5Fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static dshap_model base;
    static char *json;
    if (!json) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        dshap_net net;
        if (arch_from_json(&base.arch, small_arch, "small_cp29")) abort();
        if (net_init_random(&net, &base, 5)) abort();
        net_free(&net);
        json = arch_to_json(&base.arch);
    }
    char path[128];
    fz_path(path, sizeof path, "model");
    fz_bytes b = {data, size};
    write_file(path, &base, json, &b);
    dshap_model m;
    dshap_status st = model_load(&m, path);
    if (!st) {
        dshap_net net;
        st = net_build(&net, &m);
        if (!st) net_free(&net);
        model_free(&m);
    }
    fz_check_message(st, path);
    remove(path);
    return 0;
}
