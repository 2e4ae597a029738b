/* libFuzzer target for the data.h5 / inputs.h5 reader (io/inputs.c,
 * io/data_file.c, io/h5io.c): the bytes choose the format attributes, the
 * layout, /x's shape, dtype, storage and values, and /y, /name, /group
 * (fuzz_h5.h says why not raw bytes). Whatever inputs_open accepts is
 * scanned and read row by row. Traps: a sanitizer report, or a failure
 * whose message is not one line starting with the file name. */
#include <math.h>
#include <stdlib.h>

#include "engine/arch.h"
#include "fuzz_h5.h"
#include "io/inputs.h"

static void write_file(const char *path, fz_bytes *b, const dshap_arch *a) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) return;
    unsigned kind = fz_u8(b);
    int inputs = kind & 1;
    const char *formats[] = {inputs ? "dshap-inputs" : "dshap-data", "dshap-model", "x"};
    unsigned fmt = fz_u8(b);
    if (fmt < 250) fz_attr_str(f, "format", formats[fmt < 240 ? 0 : fmt % 3]);
    unsigned ver = fz_u8(b);
    if (ver < 250) fz_attr_int(f, "format_version", ver < 240 ? 1 : (long long)ver - 245);
    const char *layouts[] = {a->layout->name, "ntu25", "nope", ""};
    unsigned lay = fz_u8(b);
    if (lay < 250) fz_attr_str(f, "layout", layouts[lay < 230 ? 0 : lay % 4]);
    int n_types;
    const hid_t *types = fz_types(&n_types);
    uint64_t N = 1 + fz_u8(b) % 6;
    hsize_t d[8];
    int rank;
    if (inputs) {
        uint64_t want[6] = {N, 4, (uint64_t)2 * a->in_channels, (uint64_t)a->num_frames, (uint64_t)a->layout->V,
                            (uint64_t)a->num_persons};
        rank = 6;
        for (int i = 0; i < rank; i++) d[i] = fz_dim(b, want[i]);
    } else {
        uint64_t want[5] = {N, (uint64_t)a->in_channels, (uint64_t)a->num_frames + fz_u8(b) % 8,
                            (uint64_t)a->layout->V, (uint64_t)a->num_persons};
        rank = 5;
        for (int i = 0; i < rank; i++) d[i] = fz_dim(b, want[i]);
    }
    unsigned r = fz_u8(b);
    if (r >= 245) rank = 1 + r % 7;
    for (int i = 5; i < rank; i++) d[i] = 1 + fz_u8(b) % 3;
    unsigned ty = fz_u8(b), layout = fz_u8(b) % 3, write = fz_u8(b) < 240;
    fz_dataset(f, "x", rank, d, types[ty < 200 ? 0 : ty % n_types], (int)layout, (int)write, b);
    const char *extra[] = {"y", "group"};
    for (int e = 0; e < 2; e++) {
        unsigned c = fz_u8(b);
        if (c < 128) continue;
        hsize_t n = fz_dim(b, d[0]);
        if (c >= 250) { /* a 2-D one */
            hsize_t d2[2] = {n, 2};
            fz_dataset(f, extra[e], 2, d2, types[c % n_types], 0, 1, b);
        } else {
            fz_dataset(f, extra[e], 1, &n, types[c < 200 ? 2 : c % n_types], 0, 1, b);
        }
    }
    unsigned nm = fz_u8(b);
    if (nm >= 128) { /* /name: fixed-length strings from the bytes (NUL-padded) */
        hsize_t n = fz_dim(b, d[0]);
        size_t len = 1 + fz_u8(b) % 12;
        if (n <= 64) {
            char buf[64 * 12];
            for (size_t i = 0; i < n * len; i++) buf[i] = (char)fz_u8(b);
            hid_t t = H5Tcopy(H5T_C_S1);
            H5Tset_size(t, len);
            hid_t sp = H5Screate_simple(1, &n, NULL);
            hid_t ds = H5Dcreate2(f, "name", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (ds >= 0) {
                if (n) H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
                H5Dclose(ds);
            }
            H5Sclose(sp);
            H5Tclose(t);
        }
    }
    H5Fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static dshap_net net; /* only the input description: what inputs_open reads */
    static int init;
    dshap_arch *arch = &net.arch;
    if (!init) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        if (arch_builtin(arch, "cp29")) abort();
        arch->num_frames = 6;
        net.in_branches = ARCH_BRANCHES;
        net.in_C = 2 * arch->in_channels;
        init = 1;
    }
    char path[128];
    fz_path(path, sizeof path, "inputs");
    fz_bytes b = {data, size};
    write_file(path, &b, arch);
    inputs_src s;
    dshap_status st = inputs_open(&s, path, &net);
    if (!st) {
        st = inputs_check_finite(&s);
        float *x = NULL;
        if (!st && !(x = malloc(sizeof(float) * (size_t)inputs_sample_size(&s)))) abort();
        for (int64_t i = 0; !st && i < s.N && i < 8; i++) st = inputs_read(&s, i, 1, x);
        free(x);
        if (!st && (s.N < 1 || s.C != net.in_C || s.T != arch->num_frames)) __builtin_trap();
        inputs_close(&s);
    }
    fz_check_message(st, path);
    remove(path);
    return 0;
}
