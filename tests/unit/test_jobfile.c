/* Job files: every key sets its explain option; comments, quotes, ${NAME},
 * '-' spellings; keys not in the file keep the caller's values; every bad
 * input gives one message naming file, line and key, and leaves the options
 * unchanged; the example job descriptions in jobs/ load. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/jobfile.h"
#include "testlib.h"

static char dir[] = "/tmp/dshap_jobfile_XXXXXX";
static char path[512];
static explain_opts o;

static const char *write_job(const char *text) {
    snprintf(path, sizeof path, "%s/job.txt", dir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void defaults(explain_opts *x) {
    memset(x, 0, sizeof *x);
    x->chunk = 20;
    x->classes = CLASSES_PRED;
    x->rules = RULES_EXACT;
    x->store = STORE_JOINT;
    x->progress = 1;
}

static void test_all_keys(void) {
    jobfile jf = {{0}, 0};
    defaults(&o);
    setenv("DSHAP_TEST_ROOT", "/scratch/me", 1);
    const char *p = write_job(
        "# a full job\n"
        "\n"
        "model = m.h5\n"
        "  data=${DSHAP_TEST_ROOT}/val.h5   # inline comment\n"
        "background = \"bg #1 ${x}.h5\"\n"
        "output = out/attr${DSHAP_TEST_ROOT}.h5\r\n"
        "background_indices = ${DSHAP_SURELY_UNSET_VAR:-idx}/${DSHAP_TEST_ROOT:-no}.txt\n"
        "background-seed = 42\n"
        "chunk = 20\n"
        "block = 4\n"
        "classes = 0, 5,59\n"
        "rules = shap\n"
        "store = channel-joint\n"
        "persons = each\n"
        "check_additivity = 1e-4\n"
        "memory = 1.5\n");
    EXPECT_OK(jobfile_load(p, &o, &jf));
    EXPECT(o.model && !strcmp(o.model, "m.h5"), "model '%s'", o.model);
    EXPECT(o.data && !strcmp(o.data, "/scratch/me/val.h5"), "data '%s'", o.data);
    EXPECT(o.background && !strcmp(o.background, "bg #1 ${x}.h5"), "quoted background '%s'", o.background);
    EXPECT(o.output && !strcmp(o.output, "out/attr/scratch/me.h5"), "output '%s'", o.output);
    EXPECT(o.n_background == 0 && o.background_seed == 42 && o.chunk == 20 && o.block == 4, "numbers");
    EXPECT(o.classes == CLASSES_LIST && o.n_list == 3 && o.list[0] == 0 && o.list[1] == 5 && o.list[2] == 59,
           "classes %d n %d", (int)o.classes, o.n_list);
    EXPECT(o.rules == RULES_SHAP && o.store == STORE_CHANNEL_JOINT && o.persons_each == 1, "enums");
    EXPECT(o.check_additivity == 1e-4 && o.memory_gib == 1.5, "tolerance %g memory %g", o.check_additivity,
           o.memory_gib);
    EXPECT(o.background_indices && !strcmp(o.background_indices, "idx//scratch/me.txt"), "defaults: '%s'",
           o.background_indices);
    EXPECT(o.progress == 1 && o.resume == 0, "keys not in the file keep their values");
    EXPECT(jf.n == 5, "the handle owns the 5 paths (%d)", jf.n);
    jobfile_free(&jf);
    EXPECT(jf.n == 0, "freed");

    /* Later files override earlier ones (and flags override both, in the CLI). */
    defaults(&o);
    o.chunk = 7;
    p = write_job("classes = all\nbackground_indices = idx.txt\ncheck_additivity = off\n");
    EXPECT_OK(jobfile_load(p, &o, &jf));
    EXPECT(o.classes == CLASSES_ALL && o.chunk == 7 && o.check_additivity == 0 && o.n_background == 0 &&
               o.background_indices && !strcmp(o.background_indices, "idx.txt"),
           "partial file");
    jobfile_free(&jf);
}

/* Loading `text` fails with a message containing every one of want[]
 * and leaves the options as they were. */
static void expect_error(const char *text, const char *want1, const char *want2) {
    jobfile jf = {{0}, 0};
    explain_opts before;
    defaults(&o);
    o.model = "keep.h5";
    before = o;
    const char *p = write_job(text);
    dshap_status s = jobfile_load(p, &o, &jf);
    const char *msg = dshap_last_error();
    EXPECT(s != DSHAP_OK && strstr(msg, path) && strstr(msg, want1) && (!want2 || strstr(msg, want2)),
           "'%s': got %s '%s', want '%s' and '%s'", text, dshap_status_name(s), s ? msg : "", want1,
           want2 ? want2 : "");
    EXPECT(!memcmp(&o, &before, sizeof o) && jf.n == 0, "'%s': options changed on failure", text);
}

static void test_errors(void) {
    expect_error("model = a.h5\nchunks = 20\n", ":2: unknown key 'chunks'", "known: model, data");
    expect_error("chunk = 0\n", ":1: chunk: expected an integer in [1, 1048576], got '0'", NULL);
    expect_error("\n\nchunk = 2x\n", ":3: chunk:", "got '2x'");
    expect_error("block = -3\n", ":1: block:", NULL);
    expect_error("n_background = 1e3\n", ":1: n_background:", NULL);
    expect_error("background_seed = -1\n", ":1: background_seed:", NULL);
    expect_error("classes = 3,,7\n", ":1: classes: expected true, pred, all or a list", NULL);
    expect_error("classes = 3,7,3\n", ":1: classes: class 3 appears twice", NULL);
    expect_error("classes = first\n", ":1: classes:", NULL);
    expect_error("rules = deeplift\n", ":1: rules: expected exact or shap, got 'deeplift'", NULL);
    expect_error("store = joints\n", ":1: store: expected joint, channel-joint, frame or full", NULL);
    expect_error("persons = both\n", ":1: persons: expected sum or each", NULL);
    expect_error("check_additivity = -1\n", ":1: check_additivity:", NULL);
    expect_error("memory = lots\n", ":1: memory:", NULL);
    expect_error("model = a.h5\nmodel = b.h5\n", ":2: model: given twice (first on line 1)", NULL);
    expect_error("n_background = 10\nbackground_indices = i.txt\n", ":2: background_indices: give n_background or", NULL);
    expect_error("model a.h5\n", ":1: expected 'key = value', got 'model a.h5'", NULL);
    expect_error("= a.h5\n", ":1: missing key", NULL);
    expect_error("model =\n", ":1: model: empty value", NULL);
    expect_error("model = # nothing\n", ":1: model: empty value", NULL);
    expect_error("model = \"a.h5\n", ":1: model: unterminated quote", NULL);
    expect_error("data = ${DSHAP_SURELY_UNSET_VAR}/x.h5\n", ":1: data: environment variable DSHAP_SURELY_UNSET_VAR",
                 "is not set");
    expect_error("data = ${oops\n", ":1: data: unterminated or empty ${...}", NULL);
    /* A missing file names the file. */
    jobfile jf = {{0}, 0};
    dshap_status s = jobfile_load("/nonexistent/job.txt", &o, &jf);
    EXPECT(s == DSHAP_EIO && strstr(dshap_last_error(), "/nonexistent/job.txt: cannot open job file"), "missing: %s",
           dshap_last_error());
}

/* Every job description shipped in jobs/ must load. */
static void test_examples(const char *fixtures) {
    const char *names[] = {"demo.job", "ntu_xview_full.job", "scaling/small.job"};
    setenv("DSHAP_DATA", "/data", 0);
    setenv("DSHAP_OUT", "/out", 0);
    setenv("DSHAP_MODELS", "/models", 0);
    for (int i = 0; i < 3; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/../../jobs/%s", fixtures, names[i]);
        jobfile jf = {{0}, 0};
        defaults(&o);
        EXPECT_OK(jobfile_load(p, &o, &jf));
        EXPECT(o.model && o.data && o.background && o.output, "%s names model, data, background and output", p);
        jobfile_free(&jf);
    }
    /* The NTU study: every validation sample vs 100 references in chunks of 20, all classes. */
    char p[1024];
    snprintf(p, sizeof p, "%s/../../jobs/ntu_xview_full.job", fixtures);
    jobfile jf = {{0}, 0};
    defaults(&o);
    EXPECT_OK(jobfile_load(p, &o, &jf));
    EXPECT(o.n_background == 100 && o.chunk == 20 && o.classes == CLASSES_ALL, "NTU study parameters");
    jobfile_free(&jf);
}

int main(int argc, char **argv) {
    if (!mkdtemp(dir)) return 1;
    test_all_keys();
    test_errors();
    if (argc > 1) test_examples(argv[1]);
    unlink(path);
    rmdir(dir);
    return tl_finish("jobfile");
}
