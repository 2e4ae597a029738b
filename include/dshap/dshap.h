/* libdshap — the public C API: DeepSHAP attributions and Grad-CAM maps of a
 * ShapGCN / AutoGCN skeleton model, computed in memory. This is the only
 * header a program includes; it links -ldshap (pkg-config dshap, or CMake's
 * find_package(dshap) and the target dshap::dshap).
 *
 * Shapes. A model input sample is a float32 tensor (4, 2C, T, V, M): the four
 * J/V/B/A branches, 2C channels (features of C raw channels), T frames, V
 * joints, M persons (dshap_model_info); an imported ONNX model's is its
 * graph input's (dshap_model_input_dims), e.g. (C, T, V, M). Buffers are
 * row-major and owned by the caller; n samples are n consecutive samples.
 *
 * Errors. Every function that can fail returns a dshap_status; on failure
 * dshap_last_error() holds one line naming the file or argument and the
 * problem (per thread, until the next failure). The library never exits,
 * aborts or prints.
 *
 * Process state. The library keeps none: no re-exec, no environment change,
 * no signal handlers. dshap_init() is the one explicit step that touches the
 * process: it sets OpenBLAS to one thread per call (the engine parallelises
 * over rows with OpenMP, and OpenBLAS's own threads change results with the
 * thread count); compute calls refuse to run while OpenBLAS runs more
 * than one thread. OpenBLAS chooses its kernels when it is loaded: dshap_blas_coretype_hint() says what to put in
 * OPENBLAS_CORETYPE before the next process loads it where OpenBLAS 0.3.21
 * does not know the CPU (the dshap CLI re-executes itself with it; a library
 * cannot, the Python package does it before loading this library).
 *
 * Threads. A model may be shared by threads; an explainer is used by one
 * thread at a time. dshap_options.threads sets the OpenMP threads of the
 * calling thread for the duration of a call. Results do not depend on it.
 *
 * MPI. Without a communicator the library runs in the calling process and
 * makes no MPI call. dshap_explainer_set_mpi_comm gives an explainer one:
 * dshap_explain / dshap_explain_predicted then split their work units over
 * its ranks as dshap explain does (see there). Either way the results are
 * the bytes dshap explain writes for the same inputs, chunk and rules. */
#ifndef DSHAP_DSHAP_H
#define DSHAP_DSHAP_H

#include <stddef.h>
#include <stdint.h>

#include "dshap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DSHAP_API_VERSION 1

typedef struct dshap_model_t dshap_model_t;         /* a loaded model (read-only once loaded) */
typedef struct dshap_explainer_t dshap_explainer_t; /* a model plus a background */

typedef enum { DSHAP_RULES_EXACT = 0, DSHAP_RULES_SHAP = 1 } dshap_rules;
/* The stored granularity of φ per (sample, class), as dshap explain --store:
 * joint (V), channel-joint (4, 2C, V), frame (T, V), each with a trailing M
 * when persons_each; full (4, 2C, T, V, M). */
typedef enum { DSHAP_STORE_JOINT = 0, DSHAP_STORE_CHANNEL_JOINT = 1, DSHAP_STORE_FRAME = 2, DSHAP_STORE_FULL = 3 } dshap_store;

/* Progress: called after each work unit with units done and the total; a
 * non-zero return cancels the call (DSHAP_EINVAL, "cancelled"). */
typedef int (*dshap_progress_fn)(void *user, int64_t done, int64_t total);

typedef struct {
    dshap_rules rules;        /* DSHAP_RULES_EXACT */
    dshap_store store;        /* DSHAP_STORE_JOINT */
    int persons_each;         /* 0: φ summed over persons (not for full, which keeps them) */
    int chunk;                /* references per work unit: 20 (as dshap explain; φ's last bits depend on it) */
    int block;                /* instances per work unit: 4 */
    double memory_gib;        /* working memory of the batched backward; 0: 2 GiB */
    int threads;              /* OpenMP threads of the calling thread; 0: unchanged */
    dshap_progress_fn progress; /* NULL: none */
    void *progress_user;
} dshap_options;

typedef struct {
    int num_class;            /* K */
    int64_t input_shape[5];   /* (4, 2C, T, V, M) of one sample */
    int64_t sample_size;      /* product of input_shape */
} dshap_model_info;

/* Grad-CAM variants and person handling, as dshap gradcam --variant / --persons. */
typedef enum { DSHAP_GRADCAM_STANDARD = 0, DSHAP_GRADCAM_SHAPGCN = 1 } dshap_gradcam_variant;
typedef enum { DSHAP_PERSONS_SUM = 0, DSHAP_PERSONS_MEAN = 1, DSHAP_PERSONS_FIRST = 2 } dshap_gradcam_persons;

typedef struct {
    dshap_gradcam_variant variant; /* DSHAP_GRADCAM_STANDARD */
    int negate;                    /* 1: the counterfactual map (-gradient) */
    dshap_gradcam_persons persons; /* DSHAP_PERSONS_SUM */
    int block;                     /* samples per forward: 8 */
    double memory_gib;             /* gradient buffer budget: 1 GiB */
} dshap_gradcam_options;

DSHAP_API const char *dshap_version(void);
/* Once per process before compute calls (idempotent): OpenBLAS to one thread. */
DSHAP_API dshap_status dshap_init(void);
/* The OpenBLAS kernel family in use ("SkylakeX", "Haswell", ...). */
DSHAP_API const char *dshap_blas_core(void);
/* The OPENBLAS_CORETYPE a new process should set where OpenBLAS fell back to
 * slow generic kernels on a CPU with AVX2 / AVX-512; NULL when nothing to do
 * (or OPENBLAS_CORETYPE is set already). */
DSHAP_API const char *dshap_blas_coretype_hint(void);

DSHAP_API void dshap_options_default(dshap_options *o);
DSHAP_API void dshap_gradcam_options_default(dshap_gradcam_options *o);

/* A model.h5 (dshap model init, tools/export_pytorch.py, dshap model
 * import-onnx) from a file, or the same bytes from memory (an HDF5 file
 * image). Both also take an ONNX model, told apart by content: a file whose
 * first byte is 0x08 (protobuf field 1, ir_version, which ONNX writers put
 * first; an HDF5 file starts with \x89HDF\r\n\x1a\n) is imported as
 * dshap_model_import_onnx does with NULL options. */
DSHAP_API dshap_status dshap_model_load(const char *path, dshap_model_t **out);
DSHAP_API dshap_status dshap_model_load_memory(const void *bytes, size_t n_bytes, dshap_model_t **out);

/* Options of dshap_model_import_onnx (dshap model import-onnx --input, --layout). */
typedef struct {
    const char *input;  /* the graph input to explain; NULL: the graph's one input that is not an initializer */
    const char *layout; /* "ntu25" (V = 25), "cp29" (V = 29) or "cp19" (V = 19); NULL: the one with the input's
                           V (the three V differ, so V always decides) */
    const char *name;   /* names the model in messages (e.g. its path); NULL: "<ONNX model of n bytes>" */
} dshap_import_options;

/* An ONNX model (opsets 11-17) imported in memory, as dshap model import-onnx
 * followed by dshap_model_load of its model.h5: the same model, the same
 * results. The input is (N, C, T, V), (N, C, T, V, M) or (N, 4, 2C, T, V, M);
 * the output (N, K) logits. opts NULL: every field NULL. Failures carry the
 * importer's one-line message naming opts->name (an unsupported op, a shape,
 * an unknown layout). */
DSHAP_API dshap_status dshap_model_import_onnx(const void *bytes, size_t n_bytes, const dshap_import_options *opts,
                                               dshap_model_t **out);
DSHAP_API void dshap_model_free(dshap_model_t *m);
/* info.input_shape is (4, 2C, T, V, M) for ShapGCN / AutoGCN models and
 * (branches, C, T, V, M) for imported ones: (1, C, T, V, M) for a
 * (N, C, T, V, M) input, (1, C, T, V, 1) for (N, C, T, V). */
DSHAP_API void dshap_model_get_info(const dshap_model_t *m, dshap_model_info *info);
/* The per-sample input shape as the model declares it (the same elements in
 * the same order as info.input_shape): (4, 2C, T, V, M) for ShapGCN /
 * AutoGCN, an imported graph's own input without its batch axis, e.g.
 * (C, T, V, M). Returns its rank (3 to 5). */
DSHAP_API int dshap_model_input_dims(const dshap_model_t *m, int64_t dims[5]);
/* x (n, sample) -> logits (n, K): the eval-mode function. */
DSHAP_API dshap_status dshap_predict(const dshap_model_t *m, const float *x, int64_t n, float *logits);

/* The background (R, sample) is copied; the model must outlive the explainer.
 * φ0 = mean over the background of f is computed here. opts NULL: defaults. */
DSHAP_API dshap_status dshap_explainer_create(const dshap_model_t *m, const float *background, int64_t n_background,
                                              const dshap_options *opts, dshap_explainer_t **out);
DSHAP_API void dshap_explainer_free(dshap_explainer_t *e);
/* Replace the progress callback of the options it was created with (NULL: none). */
DSHAP_API void dshap_explainer_set_progress(dshap_explainer_t *e, dshap_progress_fn fn, void *user);
/* Distribute the explainer's dshap_explain / dshap_explain_predicted calls
 * over an MPI communicator. comm points to an MPI_Comm (the header needs no
 * mpi.h: `MPI_Comm c = MPI_COMM_WORLD; dshap_explainer_set_mpi_comm(e, &c);`,
 * from mpi4py `MPI._addressof(comm)`); NULL goes back to one process. The
 * caller initialises MPI (at least MPI_THREAD_FUNNELED, calls from the thread
 * that may call MPI) and keeps it initialised while the explainer uses the
 * communicator. The library works on a duplicate (MPI_Comm_dup) whose errors
 * return rather than abort, so this call, the explain calls and
 * dshap_explainer_free of such an explainer are collective: every rank of
 * comm calls them, with the same arguments (the same model, background,
 * options, x and classes; counts and classes are compared, x is not).
 * An explain call then computes the work units (instance block x background
 * chunk, numbered chunk-major) in contiguous shares per rank, sends each
 * unit's partial sums to the block's owner rank, which adds them in chunk
 * order in double, and broadcasts the finished rows: every rank's buffers
 * receive the bytes of the one-process call, whatever the rank count. A
 * failure on any rank (bad arguments, memory, a cancelling progress callback)
 * returns the same status and message ("rank r: ...", the lowest failing
 * rank's) on every rank. The progress callback of each rank counts its own
 * units. φ0 is computed by dshap_explainer_create on each rank alone. */
DSHAP_API dshap_status dshap_explainer_set_mpi_comm(dshap_explainer_t *e, const void *comm);
/* φ0 (K) = (1/R) Σ_r f(b_r), in double. */
DSHAP_API void dshap_explainer_expected_value(const dshap_explainer_t *e, double *phi0);
/* Elements of φ per (sample, class) at the explainer's store. */
DSHAP_API int64_t dshap_explainer_store_size(const dshap_explainer_t *e);
/* Attributions of n instances x (n, sample) for n_k classes per instance,
 * classes (n, n_k) in [0, K):
 *   values   float32, (n, n_k, G) for joint / channel-joint / frame stores,
 *            (n, sample, n_k) for full (shap's layout); G = store size
 *   output   (n, K) f(x), or NULL
 *   residual (n, n_k) Σφ − (f_c(x) − φ0_c), or NULL
 * The bytes are those dshap explain writes for the same instances, background
 * (in this order), chunk and rules. */
DSHAP_API dshap_status dshap_explain(dshap_explainer_t *e, const float *x, int64_t n, int n_k, const int32_t *classes,
                                     float *values, float *output, float *residual);
/* The same for the predicted class of each instance (n_k = 1), picked from
 * the instance forward the attribution runs anyway (the first largest logit,
 * as dshap explain --classes pred): classes (n) out. */
DSHAP_API dshap_status dshap_explain_predicted(dshap_explainer_t *e, const float *x, int64_t n, int32_t *classes,
                                               float *values, float *output, float *residual);

/* Grad-CAM at a layer (a PyTorch module path, dshap model info --nodes):
 * its map size T' x V. */
DSHAP_API dshap_status dshap_gradcam_layer_shape(const dshap_model_t *m, const char *layer, int *T, int *V);
/* map (n, n_k, T', V) and joint (n, n_k, V) (time mean of the map, or NULL)
 * for classes (n, n_k); opts NULL: defaults. The values dshap gradcam writes. */
DSHAP_API dshap_status dshap_gradcam(const dshap_model_t *m, const char *layer, const float *x, int64_t n, int n_k,
                                     const int32_t *classes, const dshap_gradcam_options *opts, float *map, float *joint);

#ifdef __cplusplus
}
#endif
#endif
