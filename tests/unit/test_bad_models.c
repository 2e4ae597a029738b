/* Bad model files fail with one clear message naming the file and the
 * problem: missing tensor, wrong shape, unknown layer kind / activation /
 * layout, wrong format, newer version, NaN weight, unused tensor, not HDF5. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/net.h"
#include "io/h5io.h"
#include "testlib.h"

static char dir[] = "/tmp/dshap_badmodel_XXXXXX";

static void expect_fail(const char *path, const char *needle) {
    dshap_model m;
    dshap_net net;
    dshap_status st = model_load(&m, path);
    if (!st) {
        st = net_build(&net, &m);
        if (!st) net_free(&net);
        model_free(&m);
    }
    const char *msg = dshap_last_error();
    EXPECT(st != DSHAP_OK, "%s: loaded although it is bad (%s)", path, needle);
    EXPECT(st == DSHAP_OK || (strstr(msg, path) && strstr(msg, needle) && !strchr(msg, '\n')),
           "%s: message '%s' should name the file and contain '%s'", path, msg, needle);
    if (st) printf("ok: %s\n", msg);
}

static dshap_model base(void) {
    dshap_model m = {0};
    dshap_net net;
    arch_builtin(&m.arch, "cp29");
    m.arch.num_frames = 12;
    if (net_init_random(&net, &m, 3)) abort();
    net_free(&net);
    return m;
}

static void set_attr(const char *path, const char *name, const char *value, long long ivalue) {
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    h5file hf = {f, path};
    if (value) h5io_write_attr_str(&hf, "/", name, value);
    else h5io_write_attr_int(&hf, "/", name, ivalue);
    H5Fclose(f);
}

int main(void) {
    if (!mkdtemp(dir)) return 1;
    char p[512];
    dshap_model m = base();

    snprintf(p, sizeof p, "%s/missing.h5", dir);
    dshap_model m2 = base();
    free(m2.params[5].name);
    m2.params[5].name = strdup("not.a.key");
    char want[256];
    snprintf(want, sizeof want, "lacks '%s'", m.params[5].name);
    model_save(&m2, p);
    expect_fail(p, want);

    snprintf(p, sizeof p, "%s/shape.h5", dir);
    m2.params[5].name[0] = 0;
    free(m2.params[5].name);
    m2.params[5].name = strdup(m.params[5].name);
    for (int i = 0; i < m2.n_params; i++)
        if (m2.params[i].rank == 4) { /* flatten a conv weight: same data, wrong shape */
            m2.params[i].rank = 1;
            m2.params[i].dims[0] = m2.params[i].count;
            break;
        }
    model_save(&m2, p);
    expect_fail(p, "has shape");
    model_free(&m2);

    snprintf(p, sizeof p, "%s/nan.h5", dir);
    m.params[7].data[3] = NAN;
    model_save(&m, p);
    expect_fail(p, "NaN");
    m.params[7].data[3] = 0.5f;

    snprintf(p, sizeof p, "%s/extra.h5", dir);
    dshap_param *extra;
    int64_t d = 3;
    model_add(&m, "input_stream.0.mystery.weight", 1, &d, 0, &extra);
    model_save(&m, p);
    expect_fail(p, "not part of the architecture");
    m.n_params--;
    free(extra->name);
    free(extra->data);

    snprintf(p, sizeof p, "%s/layer.h5", dir);
    model_save(&m, p);
    char *json = arch_to_json(&m.arch);
    char *bad = malloc(strlen(json) + 16);
    strcpy(bad, json);
    char *at = strstr(bad, "\"Sep\"");
    memcpy(at, "\"Zzz\"", 5);
    set_attr(p, "architecture", bad, 0);
    expect_fail(p, "unknown conv_lay 'Zzz'");

    snprintf(p, sizeof p, "%s/act.h5", dir);
    model_save(&m, p);
    at = strstr(json, "\"swish\"");
    snprintf(bad, strlen(json) + 16, "%.*s\"swoosh\"%s", (int)(at - json), json, at + 7);
    set_attr(p, "architecture", bad, 0);
    expect_fail(p, "unknown act");
    free(bad);
    free(json);

    snprintf(p, sizeof p, "%s/format.h5", dir);
    model_save(&m, p);
    set_attr(p, "format", "dshap-data", 0);
    expect_fail(p, "expected a dshap-model file");

    snprintf(p, sizeof p, "%s/version.h5", dir);
    model_save(&m, p);
    set_attr(p, "format_version", NULL, 99);
    expect_fail(p, "format_version 99");

    snprintf(p, sizeof p, "%s/text.h5", dir);
    FILE *t = fopen(p, "w");
    fputs("not hdf5\n", t);
    fclose(t);
    expect_fail(p, "not an HDF5 file");

    snprintf(p, sizeof p, "%s/absent.h5", dir);
    expect_fail(p, "cannot open");

    model_free(&m);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return 1;
    return tl_finish("test_bad_models");
}
