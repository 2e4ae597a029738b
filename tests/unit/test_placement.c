/* Placement: the shares each binding mode gives on synthetic topologies
 * (hwloc "numa:2 core:4 pu:2" and friends: exact answers known), the GPU
 * choice rule, bad requests, and placement_apply on this process (MPI
 * singleton) with the binding read back from the OS.
 *
 * `test_placement --mpi MODE [GPU]` is the MPI side used by
 * tests/integration/test_placement_mpi.sh: every rank applies MODE, rank 0
 * prints the report, and each rank checks its OS binding equals its line. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hwloc.h>

#include "mpi/placement.h"
#include "testlib.h"

static char cpus[1024], note[256];

/* placement_plan wrapper: the cpuset, or "ERR" when it failed. */
static const char *plan(const char *topo, const char *mode, const char *base, int index, int count) {
    if (placement_plan(topo, mode, base, index, count, cpus, sizeof cpus, note, sizeof note) != DSHAP_OK)
        snprintf(cpus, sizeof cpus, "ERR");
    return cpus;
}

#define EXPECT_PLAN(topo, mode, base, index, count, want)                                                      \
    do {                                                                                                       \
        const char *got_ = plan(topo, mode, base, index, count);                                               \
        EXPECT(!strcmp(got_, want), "%s %s base %s member %d/%d: got %s, want %s (%s)", topo, mode,            \
               base ? base : "all", index, count, got_, want, !strcmp(got_, "ERR") ? dshap_last_error() : note); \
    } while (0)

static void test_plan_small(void) {
    const char *two = "core:2 pu:1"; /* like CI: 2 cores, one NUMA node */
    EXPECT_PLAN(two, "auto", NULL, 0, 1, "0-1");
    EXPECT_PLAN(two, "auto", NULL, 0, 2, "0");
    EXPECT_PLAN(two, "auto", NULL, 1, 2, "1");
    EXPECT(note[0] == '\0', "no warning expected, got '%s'", note);
    EXPECT_PLAN(two, "core", NULL, 1, 2, "1");
    /* 3 ranks on 2 cores wrap around, with a warning. */
    EXPECT_PLAN(two, "core", NULL, 2, 3, "0");
    EXPECT(strstr(note, "oversubscribed") && strstr(note, "3 local ranks share 2 cores"), "note: '%s'", note);
    EXPECT_PLAN(two, "auto", NULL, 7, 8, "1");
    EXPECT(strstr(note, "oversubscribed"), "note: '%s'", note);
    EXPECT_PLAN(two, "none", NULL, 1, 2, "0-1");
    EXPECT_PLAN(two, "numa", NULL, 1, 2, "0-1");
    EXPECT(strstr(note, "2 local ranks share 1 NUMA node") && !strstr(note, "nodes"), "note: '%s'", note);
}

static void test_plan_numa(void) {
    const char *t = "numa:2 core:4 pu:2"; /* 2 nodes x 4 cores x 2 hyperthreads = PUs 0-15 */
    EXPECT_PLAN(t, "auto", NULL, 0, 2, "0-7");
    EXPECT_PLAN(t, "auto", NULL, 1, 2, "8-15");
    EXPECT_PLAN(t, "auto", NULL, 2, 4, "8-11");
    /* 3 ranks: auto keeps every share inside one node (1 rank on node 0,
     * 2 on node 1); core splits 8 cores 2/3/3 across the node boundary. */
    EXPECT_PLAN(t, "auto", NULL, 0, 3, "0-7");
    EXPECT_PLAN(t, "auto", NULL, 1, 3, "8-11");
    EXPECT_PLAN(t, "auto", NULL, 2, 3, "12-15");
    EXPECT_PLAN(t, "core", NULL, 0, 3, "0-3");
    EXPECT_PLAN(t, "core", NULL, 1, 3, "4-9");
    EXPECT_PLAN(t, "core", NULL, 2, 3, "10-15");
    /* Whole cores only: hyperthreads of one core stay together. */
    EXPECT_PLAN(t, "auto", NULL, 5, 8, "10-11");
    EXPECT_PLAN(t, "numa", NULL, 0, 3, "0-7");
    EXPECT_PLAN(t, "numa", NULL, 1, 3, "8-15");
    EXPECT_PLAN(t, "numa", NULL, 2, 3, "0-7");
    EXPECT(strstr(note, "3 local ranks share 2 NUMA nodes"), "note: '%s'", note);
    /* auto starts from the launcher's (or GPU's) set: cores 2-5 span both nodes. */
    EXPECT_PLAN(t, "auto", "4-11", 0, 2, "4-7");
    EXPECT_PLAN(t, "auto", "4-11", 1, 2, "8-11");
    EXPECT_PLAN(t, "none", "4-11", 1, 2, "4-11");
    /* Partial cores are units of their own (only their PUs in the base):
     * {1}, {2,3}, {4} split 1 / 2. */
    EXPECT_PLAN(t, "core", "1-4", 0, 2, "1");
    EXPECT_PLAN(t, "core", "1-4", 1, 2, "2-4");
    /* Four nodes, one rank: everything; two ranks: two nodes each. */
    const char *four = "pack:2 numa:2 core:2 pu:1";
    EXPECT_PLAN(four, "auto", NULL, 0, 1, "0-7");
    EXPECT_PLAN(four, "auto", NULL, 1, 2, "4-7");
    EXPECT_PLAN(four, "numa", NULL, 3, 4, "6-7");
}

static void test_bad_requests(void) {
    dshap_status s = placement_plan("core:2 pu:1", "socket", NULL, 0, 1, cpus, sizeof cpus, note, sizeof note);
    EXPECT(s == DSHAP_EINVAL && strstr(dshap_last_error(), "unknown --bind mode 'socket'") &&
               strstr(dshap_last_error(), "auto, none, core or numa"),
           "bad mode: %s", dshap_last_error());
    s = placement_plan("core:2 pu:1", "auto", "0-x", 0, 1, cpus, sizeof cpus, note, sizeof note);
    EXPECT(s == DSHAP_EINVAL && strstr(dshap_last_error(), "bad cpuset '0-x'"), "bad base: %s", dshap_last_error());
    s = placement_plan("core:2 pu:1", "auto", "8-9", 0, 1, cpus, sizeof cpus, note, sizeof note);
    EXPECT(s == DSHAP_EINVAL && strstr(dshap_last_error(), "no usable PU"), "foreign base: %s", dshap_last_error());
    s = placement_plan("core:2 pu:1", "auto", NULL, 2, 2, cpus, sizeof cpus, note, sizeof note);
    EXPECT(s == DSHAP_EINVAL && strstr(dshap_last_error(), "member 2 of 2"), "bad member: %s", dshap_last_error());
    s = placement_plan("bogus:3", "auto", NULL, 0, 1, cpus, sizeof cpus, note, sizeof note);
    EXPECT(s == DSHAP_EINVAL && strstr(dshap_last_error(), "synthetic topology 'bogus:3'"), "bad topology: %s",
           dshap_last_error());
    /* No NUMA information: hwloc without its Linux backend (cpuid only) has a
     * placeholder node with no memory. */
    setenv("HWLOC_COMPONENTS", "-linux", 1);
    s = placement_plan(NULL, "numa", NULL, 0, 1, cpus, sizeof cpus, note, sizeof note);
    EXPECT(s == DSHAP_EINVAL && strstr(dshap_last_error(), "no NUMA information"), "numa without info: %s",
           s ? dshap_last_error() : cpus);
    EXPECT(strcmp(plan(NULL, "core", NULL, 0, 1), "ERR"), "core needs no NUMA information: %s", dshap_last_error());
    unsetenv("HWLOC_COMPONENTS");
}

static void test_pick_gpu(void) {
    dist_ctx d = {0};
    d.local_size = 6;
    d.local_rank = 5;
    EXPECT(placement_pick_gpu(&d, 0) == -1, "no device -> -1");
    EXPECT(placement_pick_gpu(&d, 1) == 0, "one visible device is this rank's");
    EXPECT(placement_pick_gpu(&d, 4) == 1, "local rank 5 of 4 devices -> 1, got %d", placement_pick_gpu(&d, 4));
    d.local_rank = 3;
    EXPECT(placement_pick_gpu(&d, 4) == 3, "local rank 3 -> 3");
}

/* The OS's view of this process's binding, in hwloc list format. */
static void os_binding(char *out, size_t cap) {
    cpu_set_t cs;
    CPU_ZERO(&cs);
    sched_getaffinity(0, sizeof cs, &cs);
    hwloc_bitmap_t b = hwloc_bitmap_alloc();
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &cs)) hwloc_bitmap_set(b, (unsigned)i);
    hwloc_bitmap_list_snprintf(out, cap, b);
    hwloc_bitmap_free(b);
}

/* "... cpuset LIST ..." of a report line. */
static const char *line_cpuset(const char *line, char *out, size_t cap) {
    const char *p = strstr(line, " cpuset ");
    out[0] = '\0';
    if (p) sscanf(p + 8, "%1023s", out);
    (void)cap;
    return out;
}

static void test_apply(dist_ctx *d) {
    char line[2048], want[1024], got[1024], all[1024];
    /* The whole allowed set, as this machine's hwloc sees it. */
    EXPECT_OK(placement_plan(NULL, "core", NULL, 0, 1, all, sizeof all, note, sizeof note));
    const char *modes[] = {"none", "core", "auto"};
    for (int i = 0; i < 3; i++) {
        EXPECT_OK(placement_apply(d, modes[i], -1, line, sizeof line));
        os_binding(want, sizeof want);
        line_cpuset(line, got, sizeof got);
        EXPECT(!strcmp(got, want), "%s: line says %s, the OS %s (%s)", modes[i], got, want, line);
        char head[128];
        snprintf(head, sizeof head, "placement: rank 0/1 local 0/1 host %s pid %ld device cpu cpuset ", d->host,
                 (long)getpid());
        EXPECT(!strncmp(line, head, strlen(head)), "%s: line '%s'", modes[i], line);
        EXPECT(strstr(line, modes[i]) && !strstr(line, "warning"), "%s: line '%s'", modes[i], line);
        /* core and auto: one rank alone gets every allowed core. */
        if (i > 0) EXPECT(!strcmp(got, all), "%s alone: %s, want %s", modes[i], got, all);
    }
    EXPECT_OK(placement_report(d, line));
    /* numa works wherever hwloc knows NUMA nodes; else a clear error. */
    dshap_status s = placement_apply(d, "numa", -1, line, sizeof line);
    EXPECT(s == DSHAP_OK || (s == DSHAP_EINVAL && strstr(dshap_last_error(), "NUMA")), "numa: %s", dshap_last_error());
    s = placement_apply(d, "sockets", -1, line, sizeof line);
    EXPECT(s == DSHAP_EINVAL && strstr(dshap_last_error(), "unknown --bind mode 'sockets'"), "bad mode: %s",
           dshap_last_error());
    /* A GPU: its cores where one exists, else a device error naming it. */
    s = placement_apply(d, "auto", 0, line, sizeof line);
    if (s == DSHAP_OK) EXPECT(strstr(line, "device gpu 0"), "gpu line: %s", line);
    else EXPECT(s == DSHAP_EDEVICE && strstr(dshap_last_error(), "GPU 0"), "gpu without device: %s", dshap_last_error());
    EXPECT_OK(placement_apply(d, "none", 1, line, sizeof line));
    EXPECT(strstr(line, "device gpu 1"), "none with a GPU: %s", line);
}

/* MPI side for the integration test. Exit status: 0 ok, 1 placement failed
 * (rank 0 prints the message), 2 a binding differs from its report line. */
static int mpi_main(int argc, char **argv) {
    dist_ctx d;
    if (dist_init(&d, &argc, &argv)) return 3;
    char line[2048], want[1024], got[1024];
    int gpu = argc > 3 ? atoi(argv[3]) : -1, bad = 0, rc = 0;
    dshap_status st = placement_apply(&d, argv[2], gpu, line, sizeof line);
    if (st) {
        if (d.rank == 0) fprintf(stderr, "dshap: error: %s\n", dshap_last_error());
        rc = 1;
    } else {
        os_binding(want, sizeof want);
        if (strcmp(line_cpuset(line, got, sizeof got), want)) {
            fprintf(stderr, "rank %d: line says cpuset %s, the OS %s\n", d.rank, got, want);
            bad = 1;
        }
        if (placement_report(&d, line)) rc = 1;
        MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, d.comm);
        if (bad) rc = 2;
    }
    dist_finalize(&d);
    return rc;
}

int main(int argc, char **argv) {
    if (argc > 2 && !strcmp(argv[1], "--mpi")) return mpi_main(argc, argv);
    dist_ctx d;
    if (dist_init(&d, &argc, &argv)) {
        fprintf(stderr, "dist_init: %s\n", dshap_last_error());
        return 1;
    }
    test_plan_small();
    test_plan_numa();
    test_bad_requests();
    test_pick_gpu();
    test_apply(&d);
    int rc = tl_finish("placement");
    dist_finalize(&d);
    return rc;
}
