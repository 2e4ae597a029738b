/* Process placement: which GPU a rank drives and which CPU cores it runs on
 * (hwloc), and the one-line placement report per rank, gathered to rank 0.
 *
 * Binding modes (`--bind MODE`):
 *   auto  GPU: the cores nearest the GPU (hwloc_cudart_get_device_cpuset),
 *         CPU: the cores this rank may already use (the launcher's binding, or
 *         the whole machine when there is none). Local ranks that start from
 *         the same set split it into disjoint, even shares of whole cores,
 *         NUMA node by NUMA node when it spans several. So auto refines what
 *         srun --cpu-bind / mpirun --bind-to gave and never fights it.
 *   none  leave binding to the launcher; only report it.
 *   core  ignore the launcher's binding: the local ranks split every core
 *         hwloc allows into disjoint, even, contiguous shares (logical order,
 *         NUMA boundaries not considered).
 *   numa  NUMA node (local index mod number of nodes) for each local rank,
 *         round robin; an error where hwloc sees no NUMA information.
 * With more local ranks than cores (auto, core) ranks wrap around, core
 * (i mod cores), and the report line carries "warning: oversubscribed ...":
 * oversubscription is allowed (tests run 8 ranks on 2 cores), never silent.
 *
 * Report line: "placement: rank R/S local L/LS host H pid P device cpu|gpu N
 * cpuset LIST bind MODE[ warning: ...]", LIST in hwloc's list format (0-3,8),
 * read back from the OS after binding. */
#ifndef DSHAP_PLACEMENT_H
#define DSHAP_PLACEMENT_H

#include <stddef.h>

#include "mpi/dist.h"

/* Collective over d->comm (every rank calls it, with the same mode). gpu is
 * this rank's device, -1 for the CPU backend. Binds the whole process (all
 * threads) and writes the report line into line. Every rank returns the same
 * status; a failure names the first failing rank and the cause. */
dshap_status placement_apply(dist_ctx *d, const char *mode, int gpu, char *line, size_t cap);

/* Collective: rank 0 prints every rank's line to stderr, in rank order. */
dshap_status placement_report(dist_ctx *d, const char *line);

/* The device this rank drives among n_visible devices:
 *   n_visible <= 0: -1 (no device: CPU backend);
 *   n_visible == 1: 0 — the scheduler already restricted visibility
 *     (CUDA_VISIBLE_DEVICES, srun --gpus-per-task=1), so every rank's one
 *     visible device is its own;
 *   otherwise: local_rank mod n_visible (ranks of one node share devices
 *     round robin when there are more ranks than devices). */
int placement_pick_gpu(const dist_ctx *d, int n_visible);

/* The cpuset `mode` gives member `index` of `count` local ranks sharing the
 * base set `base` (list format "0-7"; NULL: every PU hwloc allows), without
 * binding: on this machine (synthetic NULL) or on an hwloc synthetic topology
 * such as "numa:2 core:4 pu:2". For tests and dry runs. cpuset gets the list,
 * note a warning or "". */
dshap_status placement_plan(const char *synthetic, const char *mode, const char *base, int index, int count,
                            char *cpuset, size_t cap, char *note, size_t ncap);

#endif
