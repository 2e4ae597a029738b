/* Progress of a long job on rank 0: a bar with rate and ETA on a terminal,
 * a line every 10 s otherwise (logs of batch jobs). */
#ifndef DSHAP_PROGRESS_H
#define DSHAP_PROGRESS_H

#include <stdint.h>

typedef struct {
    int64_t total;
    int on, tty;
    double t0, last;
} progress;

void progress_start(progress *p, int64_t total, int on);
void progress_step(progress *p, int64_t done);
void progress_end(progress *p);

#endif
