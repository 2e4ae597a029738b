#include "mpi/placement.h"

#include <errno.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#ifdef DSHAP_HAVE_CUDA
#include <hwloc/cudart.h>
#endif

typedef enum { BIND_AUTO, BIND_NONE, BIND_CORE, BIND_NUMA } bind_mode;

static const char *mode_names[] = {"auto", "none", "core", "numa"};

static dshap_status parse_mode(const char *s, bind_mode *m) {
    for (int i = 0; s && i < 4; i++)
        if (!strcmp(s, mode_names[i])) {
            *m = (bind_mode)i;
            return DSHAP_OK;
        }
    FAIL(DSHAP_EINVAL, "placement: unknown --bind mode '%s' (auto, none, core or numa)", s ? s : "");
}

static dshap_status topo_open(hwloc_topology_t *t, const char *synthetic) {
    if (hwloc_topology_init(t)) FAIL(DSHAP_EDEVICE, "placement: hwloc_topology_init failed: %s", strerror(errno));
    if (synthetic && hwloc_topology_set_synthetic(*t, synthetic)) {
        hwloc_topology_destroy(*t);
        FAIL(DSHAP_EINVAL, "placement: bad hwloc synthetic topology '%s'", synthetic);
    }
    if (hwloc_topology_load(*t)) {
        hwloc_topology_destroy(*t);
        FAIL(DSHAP_EDEVICE, "placement: hwloc cannot read this machine's topology: %s", strerror(errno));
    }
    return DSHAP_OK;
}

/* The units shares are made of: whole cores (PUs where hwloc knows no cores)
 * intersected with the base set, in logical (locality) order, each tagged with
 * its NUMA node, numbered among the nodes that hold a unit. */
typedef struct {
    int n, n_nodes;
    hwloc_bitmap_t *set; /* (n) */
    int *node;           /* (n) */
} unit_list;

static void units_free(unit_list *u) {
    for (int i = 0; i < u->n; i++) hwloc_bitmap_free(u->set[i]);
    dshap_free(u->set);
    dshap_free(u->node);
    memset(u, 0, sizeof *u);
}

static dshap_status units_build(hwloc_topology_t t, hwloc_const_bitmap_t base, unit_list *u) {
    memset(u, 0, sizeof *u);
    hwloc_obj_type_t type = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
    int n = hwloc_get_nbobjs_by_type(t, type), nn = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
    int *used = NULL;
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&u->set, (size_t)(n > 0 ? n : 1), sizeof *u->set, "placement units"));
    CHECK(dshap_calloc((void **)&u->node, (size_t)(n > 0 ? n : 1), sizeof *u->node, "placement units"));
    CHECK(dshap_calloc((void **)&used, (size_t)nn + 1, sizeof *used, "placement nodes"));
    for (int i = 0; i < n; i++) {
        hwloc_obj_t o = hwloc_get_obj_by_type(t, type, (unsigned)i);
        hwloc_bitmap_t s = hwloc_bitmap_alloc();
        if (!s) CHECK_FAIL(DSHAP_ENOMEM, "placement: out of memory");
        hwloc_bitmap_and(s, o->cpuset, base);
        if (hwloc_bitmap_iszero(s)) {
            hwloc_bitmap_free(s);
            continue;
        }
        int j = nn; /* a unit outside every NUMA node's cpuset gets a bucket of its own */
        for (int k = 0; k < nn; k++)
            if (hwloc_bitmap_intersects(hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, (unsigned)k)->cpuset, s)) {
                j = k;
                break;
            }
        used[j] = 1;
        u->set[u->n] = s;
        u->node[u->n++] = j;
    }
    /* Renumber the nodes that hold units 0, 1, ... in node order. */
    for (int k = 0; k <= nn; k++) used[k] = used[k] ? u->n_nodes++ : -1;
    for (int i = 0; i < u->n; i++) u->node[i] = used[u->node[i]];
done:
    dshap_free(used);
    if (st) units_free(u);
    return st;
}

/* Member `index` of `count` gets an even, contiguous share of the units
 * listed in idx; with more members than units they wrap around. */
static void share_even(const unit_list *u, const int *idx, int len, int index, int count, hwloc_bitmap_t out,
                       char *note, size_t ncap) {
    if (count <= len) {
        for (int k = (int)((long long)index * len / count); k < (int)((long long)(index + 1) * len / count); k++)
            hwloc_bitmap_or(out, out, u->set[idx[k]]);
    } else {
        hwloc_bitmap_or(out, out, u->set[idx[index % len]]);
        snprintf(note, ncap, "warning: oversubscribed, %d local ranks share %d cores", count, len);
    }
}

static int no_numa_info(hwloc_topology_t t) {
    int nn = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
    /* hwloc always makes one NUMA node; without OS information it has no memory size. */
    return nn == 0 || (nn == 1 && hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, 0)->attr->numanode.local_memory == 0);
}

static dshap_status plan_set(hwloc_topology_t t, bind_mode m, hwloc_const_bitmap_t base, int index, int count,
                             hwloc_bitmap_t out, char *note, size_t ncap) {
    note[0] = '\0';
    hwloc_bitmap_zero(out);
    if (m == BIND_NONE) {
        hwloc_bitmap_copy(out, base);
        return DSHAP_OK;
    }
    if (m == BIND_NUMA && no_numa_info(t))
        FAIL(DSHAP_EINVAL, "placement: --bind numa, but hwloc sees no NUMA information on this machine "
                           "(use --bind auto or core)");
    unit_list u;
    TRY(units_build(t, base, &u));
    int *idx = NULL;
    dshap_status st = DSHAP_OK;
    if (u.n == 0) {
        char b[256];
        hwloc_bitmap_list_snprintf(b, sizeof b, base);
        CHECK_FAIL(DSHAP_EINVAL, "placement: the cpuset %s holds no core of this machine", b);
    }
    CHECK(dshap_calloc((void **)&idx, (size_t)u.n, sizeof *idx, "placement units"));
    if (m == BIND_NUMA) {
        int k = index % u.n_nodes;
        for (int i = 0; i < u.n; i++)
            if (u.node[i] == k) hwloc_bitmap_or(out, out, u.set[i]);
        if (count > u.n_nodes)
            snprintf(note, ncap, "warning: %d local ranks share %d NUMA node%s", count, u.n_nodes,
                     u.n_nodes == 1 ? "" : "s");
    } else if (m == BIND_CORE || u.n_nodes <= 1) {
        for (int i = 0; i < u.n; i++) idx[i] = i;
        share_even(&u, idx, u.n, index, count, out, note, ncap);
    } else if (count < u.n_nodes) {
        /* Fewer ranks than nodes: each rank gets whole nodes. */
        int lo = (int)((long long)index * u.n_nodes / count), hi = (int)((long long)(index + 1) * u.n_nodes / count);
        for (int i = 0; i < u.n; i++)
            if (u.node[i] >= lo && u.node[i] < hi) hwloc_bitmap_or(out, out, u.set[i]);
    } else {
        /* Ranks go to nodes in proportion to the nodes' cores (node j gets
         * ranks [count·C_j/n, count·C_{j+1}/n), C_j = cores before node j),
         * then split their node's cores evenly: no share straddles nodes. */
        int before = 0;
        for (int j = 0; j < u.n_nodes; j++) {
            int len = 0;
            for (int i = 0; i < u.n; i++)
                if (u.node[i] == j) idx[len++] = i;
            int r_lo = (int)((long long)count * before / u.n), r_hi = (int)((long long)count * (before + len) / u.n);
            before += len;
            if (index >= r_lo && index < r_hi) {
                share_even(&u, idx, len, index - r_lo, r_hi - r_lo, out, note, ncap);
                break;
            }
        }
    }
done:
    dshap_free(idx);
    units_free(&u);
    return st;
}

/* The allowed set, or `list` (hwloc list format) within it. */
static dshap_status parse_base(hwloc_topology_t t, const char *list, hwloc_bitmap_t base) {
    hwloc_const_bitmap_t allowed = hwloc_topology_get_allowed_cpuset(t);
    if (!list) {
        hwloc_bitmap_copy(base, allowed);
        return DSHAP_OK;
    }
    if (!*list || strspn(list, "0123456789-,") != strlen(list) || hwloc_bitmap_list_sscanf(base, list) < 0)
        FAIL(DSHAP_EINVAL, "placement: bad cpuset '%s' (expected a list such as 0-3,8)", list);
    hwloc_bitmap_and(base, base, allowed);
    if (hwloc_bitmap_iszero(base)) FAIL(DSHAP_EINVAL, "placement: the cpuset %s holds no usable PU of this machine", list);
    return DSHAP_OK;
}

static dshap_status check_member(int index, int count) {
    if (count < 1 || index < 0 || index >= count)
        FAIL(DSHAP_EINVAL, "placement: member %d of %d ranks does not exist", index, count);
    return DSHAP_OK;
}

dshap_status placement_plan(const char *synthetic, const char *mode, const char *base_list, int index, int count,
                            char *cpuset, size_t cap, char *note, size_t ncap) {
    bind_mode m = BIND_AUTO;
    TRY(parse_mode(mode, &m));
    TRY(check_member(index, count));
    hwloc_topology_t t;
    TRY(topo_open(&t, synthetic));
    hwloc_bitmap_t base = hwloc_bitmap_alloc(), out = hwloc_bitmap_alloc();
    dshap_status st = DSHAP_OK;
    if (!base || !out) CHECK_FAIL(DSHAP_ENOMEM, "placement: out of memory");
    CHECK(parse_base(t, base_list, base));
    CHECK(plan_set(t, m, base, index, count, out, note, ncap));
    if (hwloc_bitmap_list_snprintf(cpuset, cap, out) >= (int)cap)
        CHECK_FAIL(DSHAP_EINVAL, "placement: cpuset longer than %zu characters", cap);
done:
    hwloc_bitmap_free(base);
    hwloc_bitmap_free(out);
    hwloc_topology_destroy(t);
    return st;
}

/* Where this rank starts from: the cores nearest its GPU (auto, GPU), its
 * current binding (auto on the CPU, none), or everything allowed. */
static dshap_status base_set(hwloc_topology_t t, bind_mode m, int gpu, hwloc_bitmap_t base) {
    hwloc_const_bitmap_t allowed = hwloc_topology_get_allowed_cpuset(t);
    if (m == BIND_AUTO && gpu >= 0) {
#ifdef DSHAP_HAVE_CUDA
        int n = 0;
        cudaError_t e = cudaGetDeviceCount(&n);
        if (e != cudaSuccess || gpu >= n)
            FAIL(DSHAP_EDEVICE, "placement: GPU %d is not visible (%s)", gpu,
                 e != cudaSuccess ? cudaGetErrorString(e) : "fewer devices");
        if (hwloc_cudart_get_device_cpuset(t, gpu, base))
            FAIL(DSHAP_EDEVICE, "placement: hwloc cannot locate GPU %d: %s", gpu, strerror(errno));
#else
        FAIL(DSHAP_EDEVICE, "placement: GPU %d needs the CUDA build of dshap to find its cores (use --bind core or none)",
             gpu);
#endif
    } else if (m == BIND_AUTO || m == BIND_NONE) {
        if (hwloc_get_cpubind(t, base, HWLOC_CPUBIND_PROCESS))
            FAIL(DSHAP_EDEVICE, "placement: cannot read this process's binding: %s", strerror(errno));
    } else {
        hwloc_bitmap_copy(base, allowed);
        return DSHAP_OK;
    }
    hwloc_bitmap_and(base, base, allowed);
    if (hwloc_bitmap_iszero(base)) hwloc_bitmap_copy(base, allowed);
    return DSHAP_OK;
}

/* Collective over the ranks of this node: among those whose key equals mine,
 * my position and their number. A NULL key (this rank failed) makes a group
 * of one; every rank still takes part so none waits forever. */
static dshap_status local_group(dist_ctx *d, const char *key, int *index, int *count) {
    MPI_Comm local = MPI_COMM_NULL;
    int n = 1, me = 0, len = key ? (int)strlen(key) + 1 : 0, total = 0;
    int *lens = NULL, *displs = NULL;
    char *all = NULL;
    dshap_status st = DSHAP_OK;
    *index = 0;
    *count = 1;
    if (MPI_Comm_split_type(d->comm, MPI_COMM_TYPE_SHARED, d->rank, MPI_INFO_NULL, &local) != MPI_SUCCESS)
        FAIL(DSHAP_EMPI, "placement: MPI_Comm_split_type failed");
    MPI_Comm_size(local, &n);
    MPI_Comm_rank(local, &me);
    CHECK(dshap_calloc((void **)&lens, (size_t)n, sizeof *lens, "placement"));
    CHECK(dshap_calloc((void **)&displs, (size_t)n, sizeof *displs, "placement"));
    if (MPI_Allgather(&len, 1, MPI_INT, lens, 1, MPI_INT, local) != MPI_SUCCESS)
        CHECK_FAIL(DSHAP_EMPI, "placement: MPI_Allgather failed");
    for (int j = 0; j < n; j++) {
        displs[j] = total;
        total += lens[j];
    }
    CHECK(dshap_calloc((void **)&all, (size_t)total + 1, 1, "placement"));
    if (MPI_Allgatherv(key ? key : "", len, MPI_CHAR, all, lens, displs, MPI_CHAR, local) != MPI_SUCCESS)
        CHECK_FAIL(DSHAP_EMPI, "placement: MPI_Allgatherv failed");
    if (key) {
        *count = 0;
        for (int j = 0; j < n; j++)
            if (lens[j] && !strcmp(all + displs[j], key)) {
                if (j < me) ++*index;
                ++*count;
            }
    }
done:
    dshap_free(lens);
    dshap_free(displs);
    dshap_free(all);
    MPI_Comm_free(&local);
    return st;
}

static void device_name(int gpu, hwloc_topology_t t, char *dev, size_t cap) {
    if (gpu < 0) {
        snprintf(dev, cap, "cpu");
        return;
    }
    snprintf(dev, cap, "gpu %d", gpu);
#ifdef DSHAP_HAVE_CUDA
    int dom, bus, slot, n = 0;
    if (t && cudaGetDeviceCount(&n) == cudaSuccess && gpu < n &&
        !hwloc_cudart_get_device_pci_ids(t, gpu, &dom, &bus, &slot))
        snprintf(dev, cap, "gpu %d (pci %04x:%02x:%02x.0)", gpu, dom, bus, slot);
#endif
}

dshap_status placement_apply(dist_ctx *d, const char *mode, int gpu, char *line, size_t cap) {
    hwloc_topology_t t = NULL;
    hwloc_bitmap_t base = NULL, set = NULL;
    char *key = NULL, note[160] = "", list[1024] = "?", dev[64];
    bind_mode m = BIND_NONE;
    int index = 0, count = 1;
    if (cap) line[0] = '\0';
    dshap_status st = parse_mode(mode, &m);
    if (!st) st = topo_open(&t, NULL);
    if (!st && (!(base = hwloc_bitmap_alloc()) || !(set = hwloc_bitmap_alloc())))
        st = dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "placement: out of memory");
    if (!st) st = base_set(t, m, gpu, base);
    if (!st && hwloc_bitmap_list_asprintf(&key, base) < 0)
        st = dshap_fail(DSHAP_ENOMEM, __FILE__, __LINE__, "placement: out of memory");
    /* Everyone takes part in the grouping, failed or not. */
    dshap_status gs = local_group(d, st ? NULL : key, &index, &count);
    if (!st) st = gs;
    if (!st) st = plan_set(t, m, base, index, count, set, note, sizeof note);
    if (!st && m != BIND_NONE && hwloc_set_cpubind(t, set, HWLOC_CPUBIND_PROCESS)) {
        hwloc_bitmap_list_snprintf(list, sizeof list, set);
        st = dshap_fail(DSHAP_EDEVICE, __FILE__, __LINE__, "placement: cannot bind pid %ld to cpuset %s: %s",
                        (long)getpid(), list, strerror(errno));
    }
    /* Report what the OS now says, not what was asked for. */
    if (!st && !hwloc_get_cpubind(t, set, HWLOC_CPUBIND_PROCESS)) hwloc_bitmap_list_snprintf(list, sizeof list, set);
    if (!st) {
        device_name(gpu, t, dev, sizeof dev);
        snprintf(line, cap, "placement: rank %d/%d local %d/%d host %s pid %ld device %s cpuset %s bind %s%s%s",
                 d->rank, d->size, d->local_rank, d->local_size, d->host, (long)getpid(), dev, list, mode_names[m],
                 note[0] ? " " : "", note);
    }
    free(key);
    if (set) hwloc_bitmap_free(set);
    if (base) hwloc_bitmap_free(base);
    if (t) hwloc_topology_destroy(t);
    return dist_agree(d, st);
}

dshap_status placement_report(dist_ctx *d, const char *line) {
    int len = (int)strlen(line) + 1, total = 0;
    int *lens = NULL, *displs = NULL;
    char *all = NULL;
    dshap_status st = DSHAP_OK;
    if (d->rank == 0) {
        CHECK(dshap_calloc((void **)&lens, (size_t)d->size, sizeof *lens, "placement report"));
        CHECK(dshap_calloc((void **)&displs, (size_t)d->size, sizeof *displs, "placement report"));
    }
    if (MPI_Gather(&len, 1, MPI_INT, lens, 1, MPI_INT, 0, d->comm) != MPI_SUCCESS)
        CHECK_FAIL(DSHAP_EMPI, "placement: MPI_Gather of the report failed");
    if (d->rank == 0) {
        for (int r = 0; r < d->size; r++) {
            displs[r] = total;
            total += lens[r];
        }
        CHECK(dshap_calloc((void **)&all, (size_t)total, 1, "placement report"));
    }
    if (MPI_Gatherv(line, len, MPI_CHAR, all, lens, displs, MPI_CHAR, 0, d->comm) != MPI_SUCCESS)
        CHECK_FAIL(DSHAP_EMPI, "placement: MPI_Gatherv of the report failed");
    if (d->rank == 0) {
        for (int r = 0; r < d->size; r++) fprintf(stderr, "%s\n", all + displs[r]);
        fflush(stderr);
    }
done:
    dshap_free(lens);
    dshap_free(displs);
    dshap_free(all);
    /* Only rank 0 can fail before the gather: take the job down, not hang. */
    return st ? dist_fail(d, st) : st;
}

int placement_pick_gpu(const dist_ctx *d, int n_visible) {
    if (n_visible <= 0) return -1;
    if (n_visible == 1) return 0;
    return d->local_rank % n_visible;
}
