/* Checkpoints of an explain job: every completed work unit is saved as its
 * own file in <output>.ckpt/ (written to a temporary name, synced, renamed,
 * so a killed rank never leaves a torn unit). `--resume` loads the units that
 * exist and computes the rest, on any rank count; the result is bitwise
 * identical to an uninterrupted run because a unit's partial is stored
 * exactly. Unit files carry a fingerprint of the job; another job's
 * checkpoint is refused. The folder is removed when the output is complete. */
#ifndef DSHAP_CHECKPOINT_H
#define DSHAP_CHECKPOINT_H

#include <stdint.h>

#include "jobs/explain_unit.h"

typedef struct {
    char dir[4096];
    uint64_t fingerprint;
    int resume;
    int64_t loaded, saved;
} checkpoint;

/* Collective. Without resume an existing checkpoint folder is cleared. */
dshap_status ckpt_open(dist_ctx *d, checkpoint *c, const explain_opts *o, int R, int n_k, int block, int chunk);
/* 1 when unit u was loaded into r (sized by the caller), 0 when absent. */
dshap_status ckpt_load(checkpoint *c, int64_t u, unit_result *r, int *loaded);
dshap_status ckpt_save(checkpoint *c, int64_t u, const unit_result *r);
/* Collective, after the output is published. */
void ckpt_remove(dist_ctx *d, checkpoint *c);

#endif
