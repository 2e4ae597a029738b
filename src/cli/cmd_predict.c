/* dshap predict: logits of a model on inputs.h5 / data.h5 → predictions.h5 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "engine/forward.h"
#include "io/inputs.h"

#define PRED_FORMAT "dshap-predictions"
#define PRED_BLOCK 16

static const char *help =
    "usage: dshap predict --model m.h5 --input x.h5 -o predictions.h5\n"
    "x.h5 is an inputs.h5 (model input) or a data.h5 (raw joints; features are\n"
    "computed for the model's T). Writes /logits (N, K), /pred, and /labels,\n"
    "/names when the input has them; prints top-1 accuracy when labels exist.\n";

static dshap_status write_predictions(const char *out, const float *logits, const int32_t *pred, const inputs_src *s,
                                      int K) {
    char tmp[4096];
    h5io_temp_name(out, tmp, sizeof tmp);
    h5file f;
    TRY(h5io_create(&f, tmp, H5P_DEFAULT));
    dshap_status st = DSHAP_OK;
    int64_t dl[2] = {s->N, K}, dn = s->N;
    CHECK(h5io_write_attr_str(&f, "/", "format", PRED_FORMAT));
    CHECK(h5io_write_attr_int(&f, "/", "format_version", 1));
    CHECK(h5io_write_f32(&f, "/logits", 2, dl, logits));
    CHECK(h5io_write_i32(&f, "/pred", 1, &dn, pred));
    if (s->labels) CHECK(h5io_write_i32(&f, "/labels", 1, &dn, s->labels));
    if (s->names) CHECK(h5io_write_strings(&f, "/names", s->N, s->names));
done:
    if (st) {
        h5io_discard(&f, tmp);
        return st;
    }
    return h5io_finish(&f, tmp, out);
}

static dshap_status predict(const char *model_path, const char *input, const char *out) {
    dshap_model m;
    dshap_net net = {0};
    inputs_src s = {0};
    net_acts acts = {0};
    float *x = NULL, *logits = NULL;
    int32_t *pred = NULL;
    unsigned char *keep = NULL;
    TRY(model_load(&m, model_path));
    dshap_status st = DSHAP_OK;
    CHECK(net_build(&net, &m));
    CHECK(inputs_open(&s, input, &net));
    int K = m.arch.num_class;
    int64_t block = s.N < PRED_BLOCK ? s.N : PRED_BLOCK;
    CHECK(dshap_calloc((void **)&keep, (size_t)net.n_nodes, 1, "keep mask")); /* only the logits */
    CHECK(acts_alloc(&acts, &net, block, keep));
    CHECK(dshap_alloc_floats(&x, (size_t)(block * inputs_sample_size(&s)), "input block"));
    CHECK(dshap_alloc_floats(&logits, (size_t)(s.N * K), "logits"));
    CHECK(dshap_calloc((void **)&pred, (size_t)s.N, sizeof *pred, "predictions"));
    for (int64_t i0 = 0; i0 < s.N; i0 += block) {
        int64_t n = s.N - i0 < block ? s.N - i0 : block;
        CHECK(inputs_read(&s, i0, n, x));
        CHECK(net_forward_cpu(&net, &acts, x, n));
        memcpy(logits + i0 * K, acts.y[net.out], sizeof(float) * (size_t)(n * K));
    }
    int64_t correct = 0;
    for (int64_t i = 0; i < s.N; i++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            if (logits[i * K + k] > logits[i * K + best]) best = k;
        pred[i] = best;
        if (s.labels && s.labels[i] == best) correct++;
    }
    CHECK(write_predictions(out, logits, pred, &s, K));
    printf("predicted %lld samples -> %s", (long long)s.N, out);
    if (s.labels) printf("; top-1 accuracy %.2f %% (%lld/%lld)", 100.0 * correct / s.N, (long long)correct, (long long)s.N);
    printf("\n");
done:
    dshap_free(x);
    dshap_free(logits);
    dshap_free(pred);
    dshap_free(keep);
    acts_free(&acts);
    inputs_close(&s);
    net_free(&net);
    model_free(&m);
    return st;
}

int cmd_predict(int argc, char **argv) {
    static const struct option opts[] = {{"model", required_argument, 0, 'm'}, {"input", required_argument, 0, 'i'},
                                         {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *model = NULL, *input = NULL, *out = NULL;
    int c;
    optind = 1;
    opterr = 0; /* one error line: ours */
    if (cli_no_duplicates("predict", argc, argv, opts, NULL)) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "m:i:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'i': input = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(help, stdout); return 0;
        default: return cli_usage_error("predict", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("predict", "unexpected argument '%s'", argv[optind]);
    if (!model || !input || !out) return cli_usage_error("predict", "--model, --input and -o are required");
    cli_paths in = {0};
    cli_paths_add(&in, model);
    cli_paths_add(&in, input);
    if (cli_check_outputs(&in, 1, (const char *[]){out}, (const char *[]){"-o"})) return 1;
    dshap_status st = predict(model, input, out);
    return st ? cli_fail(st) : 0;
}
