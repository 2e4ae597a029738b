/* dshap model init | import-onnx | info */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fmt.h"
#include "core/mem.h"
#include "engine/forward.h"
#include "engine/net.h"
#include "onnx/store.h"
#include "study/perturb.h"

static const char *init_help =
    "usage: dshap model init --arch ntu-xview|cp29|FILE.json -o model.h5 [--seed S] [--frames T]\n"
    "                        [--num-class K]\n"
    "Create a model.h5 with random weights, randomised BN statistics and edge\n"
    "matrices E != 1 (for tests, demos and benchmarks).\n";

static dshap_status read_text(const char *path, char **out) {
    FILE *f = fopen(path, "rb");
    if (!f) FAIL(DSHAP_EIO, "%s: cannot open", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || n > (1 << 24)) {
        fclose(f);
        FAIL(DSHAP_EFORMAT, "%s: not a plausible architecture file", path);
    }
    char *s = malloc((size_t)n + 1);
    size_t got = s ? fread(s, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!s || got != (size_t)n) {
        free(s);
        FAIL(DSHAP_EIO, "%s: read failed", path);
    }
    s[n] = '\0';
    *out = s;
    return DSHAP_OK;
}

static int model_init(int argc, char **argv) {
    static const struct option opts[] = {{"arch", required_argument, 0, 'a'},      {"seed", required_argument, 0, 's'},
                                         {"frames", required_argument, 0, 'T'},    {"num-class", required_argument, 0, 'K'},
                                         {"output", required_argument, 0, 'o'},    {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *arch = NULL, *out = NULL;
    long long seed = 0, frames = 0, classes = 0;
    int c;
    optind = 1;
    opterr = 0; /* one error line: ours */
    if (cli_no_duplicates("model init", argc, argv, opts, NULL)) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "a:s:T:K:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a': arch = optarg; break;
        case 's': if (cli_int("model init", "--seed", optarg, 0, (1LL << 62), &seed)) return EXIT_USAGE; break;
        case 'T': if (cli_int("model init", "--frames", optarg, 1, 100000, &frames)) return EXIT_USAGE; break;
        case 'K': if (cli_int("model init", "--num-class", optarg, 1, 100000, &classes)) return EXIT_USAGE; break;
        case 'o': out = optarg; break;
        case 'h': fputs(init_help, stdout); return 0;
        default: return cli_usage_error("model init", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return cli_usage_error("model init", "unexpected argument '%s'", argv[optind]);
    if (!arch) return cli_usage_error("model init", "--arch is required");
    if (!out) return cli_usage_error("model init", "-o model.h5 is required");
    cli_paths in = {0};
    if (strchr(arch, '.')) cli_paths_add(&in, arch); /* ARCH.json, not a built-in name */
    if (cli_check_outputs(&in, 1, (const char *[]){out}, (const char *[]){"-o"})) return 1;
    dshap_model m = {0};
    dshap_status st;
    if (strstr(arch, ".json")) {
        char *json = NULL;
        if ((st = read_text(arch, &json))) return cli_fail(st);
        st = arch_from_json(&m.arch, json, arch);
        free(json);
    } else {
        st = arch_builtin(&m.arch, arch);
    }
    if (st) return cli_fail(st);
    if (frames) m.arch.num_frames = (int)frames;
    if (classes) m.arch.num_class = (int)classes;
    dshap_net net;
    if ((st = net_init_random(&net, &m, (uint64_t)seed))) {
        model_free(&m);
        return cli_fail(st);
    }
    st = model_save(&m, out);
    int64_t with_e, without_e;
    model_count_params(&m, &with_e, &without_e);
    if (!st) printf("wrote %s: %s, %lld parameters (%lld without E), seed %lld\n", out, arch, (long long)with_e,
                    (long long)without_e, seed);
    net_free(&net);
    model_free(&m);
    return st ? cli_fail(st) : 0;
}

static const char *import_help =
    "usage: dshap model import-onnx model.onnx [--input NAME] [--layout ntu25|cp29|cp19] -o model.h5\n"
    "Import an ONNX model (opsets 11-17): constants folded, shapes inferred with\n"
    "the batch axis fixed to 1, every node checked against the engine's ops.\n"
    "The input is (N, C, T, V), (N, C, T, V, M) or (N, 4, 2C, T, V, M); V must be\n"
    "the layout's joint count (default ntu25); the output must be (N, K) logits.\n";

static int model_import_onnx(int argc, char **argv) {
    static const struct option opts[] = {{"input", required_argument, 0, 'i'}, {"layout", required_argument, 0, 'l'},
                                         {"output", required_argument, 0, 'o'}, {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *input = NULL, *layout = "ntu25", *out = NULL;
    int c;
    optind = 1;
    opterr = 0; /* one error line: ours */
    if (cli_no_duplicates("model import-onnx", argc, argv, opts, NULL)) return EXIT_USAGE;
    while ((c = getopt_long(argc, argv, "i:l:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': input = optarg; break;
        case 'l': layout = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(import_help, stdout); return 0;
        default: return cli_usage_error("model import-onnx", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return cli_usage_error("model import-onnx", "expects one model.onnx");
    if (!out) return cli_usage_error("model import-onnx", "-o model.h5 is required");
    const dshap_layout *L = layout_find(layout);
    if (!L) return cli_usage_error("model import-onnx", "unknown --layout '%s' (%s)", layout, layout_names());
    const char *src = argv[optind];
    cli_paths in = {0};
    cli_paths_add(&in, src);
    if (cli_check_outputs(&in, 1, (const char *[]){out}, (const char *[]){"-o"})) return 1;
    dshap_model m;
    dshap_status st = onnx_import(&m, src, input, L);
    if (st) return cli_fail(st);
    st = model_save(&m, out);
    if (!st) printf("wrote %s: imported %s (layout %s, T = %d, M = %d, %d classes, %d constants)\n", out, src, L->name,
                    m.arch.num_frames, m.arch.num_persons, m.arch.num_class, m.n_params);
    model_free(&m);
    return st ? cli_fail(st) : 0;
}

static void print_shape(const dshap_net *net, const node *nd, char *buf, size_t cap) {
    if (net->general) {
        size_t k = (size_t)snprintf(buf, cap, "(N");
        for (int i = 0; i < nd->shape.rank && k < cap; i++) k += (size_t)snprintf(buf + k, cap - k, ", %lld", (long long)nd->shape.d[i]);
        if (k < cap) snprintf(buf + k, cap - k, ")");
        return;
    }
    if (nd->per_person) snprintf(buf, cap, "(N*%d, %d, %d, %d)", net->arch.num_persons, nd->C, nd->T, nd->V);
    else snprintf(buf, cap, "(N, %d, %d, %d)", nd->C, nd->T, nd->V);
}

/* The stored tensors: name, type, shape, and the (V, V) blocks perturb --edge-tensors sees. */
static void print_constants(const dshap_model *m) {
    int V = m->arch.layout->V;
    printf("%-5s %-58s %-8s %-18s %s\n", "const", "name", "type", "shape", "(V, V) blocks");
    for (int i = 0; i < m->n_params; i++) {
        const dshap_param *p = &m->params[i];
        char shape[96];
        fmt_shape(p->rank, p->dims, shape, sizeof shape);
        int64_t nb = edge_blocks(p, V);
        printf("%-5d %-58s %-8s ", i, p->name, p->dtype[0] ? p->dtype : "float32");
        if (nb) printf("%-18s %lld\n", shape, (long long)nb);
        else printf("%s\n", shape);
    }
}

static int model_info(int argc, char **argv) {
    static const struct option opts[] = {
        {"nodes", no_argument, 0, 'n'}, {"constants", no_argument, 0, 'c'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int all_nodes = 0, constants = 0, c;
    optind = 1;
    opterr = 0; /* one error line: ours */
    while ((c = getopt_long(argc, argv, "nch", opts, NULL)) != -1) {
        if (c == 'n') all_nodes = 1;
        else if (c == 'c') constants = 1;
        else if (c == 'h') {
            puts("usage: dshap model info model.h5 [--nodes] [--constants]\nArchitecture, layers (PyTorch module paths, output shapes),\n"
                 "parameter counts with and without the edge matrices E, FLOPs.\n--nodes lists every primitive node.\n"
                 "--constants lists the stored tensors (name, type, shape; for a (..., V, V) view its\n"
                 "number of (V, V) blocks: what perturb --edge-tensors can select).");
            return 0;
        } else return cli_usage_error("model info", "unknown option '%s'", argv[optind - 1]);
    }
    if (optind != argc - 1) return cli_usage_error("model info", "expects one model.h5");
    const char *path = argv[optind];
    dshap_model m;
    dshap_net net;
    dshap_status st = model_load(&m, path);
    if (st) return cli_fail(st);
    if ((st = net_build(&net, &m))) {
        model_free(&m);
        return cli_fail(st);
    }
    const dshap_arch *a = &m.arch;
    if (m.graph) {
        printf("model: %s\narchitecture: imported graph (%d constants)\n", path, m.n_params);
        printf("input: (N, %d, %d, %d, %d, %d) as (N, branches, C, T, V, M)  layout %s, %d classes\n", net.in_branches,
               net.in_C, a->num_frames, a->layout->V, a->num_persons, a->layout->name, a->num_class);
    } else {
        char *json = arch_to_json(&m.arch);
        printf("model: %s\narchitecture: %s\n", path, json);
        free(json);
        printf("input: (N, 4, %d, %d, %d, %d)  layout %s, %d classes\n", 2 * a->in_channels, a->num_frames,
               a->layout->V, a->num_persons, a->layout->name, a->num_class);
    }
    printf("%-5s %-58s %-9s %s\n", "node", "module path", "kind", "output shape");
    for (int i = 0; i < net.n_nodes; i++) {
        const node *nd = &net.nodes[i];
        if (!all_nodes && !nd->is_module) continue;
        char shape[64];
        print_shape(&net, nd, shape, sizeof shape);
        printf("%-5d %-58s %-9s %s\n", i, nd->name, op_name(nd->op), shape);
    }
    if (constants) print_constants(&m);
    int64_t with_e, without_e;
    model_count_params(&m, &with_e, &without_e);
    if (!m.graph) printf("trainable parameters: %lld with E, %lld without E\n", (long long)with_e, (long long)without_e);
    printf("forward: %.3f GFLOP per sample, %d nodes, %.1f MiB activations per sample\n", net_flops(&net) * 1e-9,
           net.n_nodes, acts_bytes_per_sample(&net, NULL) / 1048576.0);
    net_free(&net);
    model_free(&m);
    return 0;
}

int cmd_model(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        if (argc < 2) return cli_usage_error("model", "expects a subcommand, init, import-onnx or info");
        puts("usage: dshap model init|import-onnx|info ...   (dshap model init --help)");
        return 0;
    }
    if (!strcmp(argv[1], "init")) return model_init(argc - 1, argv + 1);
    if (!strcmp(argv[1], "import-onnx")) return model_import_onnx(argc - 1, argv + 1);
    if (!strcmp(argv[1], "info")) return model_info(argc - 1, argv + 1);
    return cli_usage_error("model", "unknown subcommand '%s' (init, import-onnx, info)", argv[1]);
}
