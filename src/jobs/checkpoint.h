/* Checkpoints of an explain job: every completed work unit is saved as its
 * own file in <output>.ckpt/ (written to a temporary name, synced, renamed,
 * so a killed rank never leaves a torn unit). `--resume` loads the units that
 * exist and computes the rest, on any rank count; the result is bitwise
 * identical to an uninterrupted run because a unit's partial is stored
 * exactly.
 *
 * Unit file: a header {magic "SHAPCKPT", version 2, job fingerprint, unit,
 * payload length in doubles, checksum} and the payload (the unit's doubles,
 * native byte order). The checksum covers the header's other fields and the
 * payload; a unit that fails it (or is short, or of another unit, version or
 * job) is never used: it is recomputed with a warning line.
 * The folder also holds `job`, the fingerprint alone (with its own check
 * word), so another job's checkpoint is refused before any work. The
 * fingerprint hashes everything that changes the stored bytes: the input
 * files (name, size, mtime), the background draw, chunk and block, classes,
 * rules, store, persons, backend, --tf32, --class-seeds and the dshap
 * version. Options that do not change the bytes (rank count, --memory,
 * --all-rows, --transport) may differ between the runs. */
#ifndef DSHAP_CHECKPOINT_H
#define DSHAP_CHECKPOINT_H

#include <stdint.h>

#include "jobs/explain_unit.h"

typedef struct {
    char *dir;            /* <output>.ckpt (allocated) */
    uint64_t fingerprint;
    int resume;
    int64_t loaded, saved, rejected;
} checkpoint;

/* Collective. Without resume an existing checkpoint folder is cleared;
 * with resume a folder of another job is refused. backend: the engine's name. */
dshap_status ckpt_open(dist_ctx *d, checkpoint *c, const explain_opts *o, const char *backend, int R, int n_k,
                       int block, int chunk);
/* *loaded = 1 when unit u was loaded into r (sized by the caller), 0 when
 * absent or rejected (a warning line says why; the caller recomputes it). */
dshap_status ckpt_load(checkpoint *c, int64_t u, unit_result *r, int *loaded);
dshap_status ckpt_save(checkpoint *c, int64_t u, const unit_result *r);
/* Collective: remove the folder (rank 0), e.g. once the output is published. */
void ckpt_remove(dist_ctx *d, checkpoint *c);
void ckpt_close(checkpoint *c);

#endif
