/* The node-loss watch (watch.h): a heartbeat ring over the hosts' first ranks. */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "mpi/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

#define HOST_LEN 256
#define BEAT_MS 1000     /* one heartbeat byte per second to each neighbour */
#define CONNECT_S 20     /* set-up: neighbours are already listening, so this is generous */
#define MSG_BEAT 'h'
#define MSG_BYE 'B'

/* One neighbour: its socket and what it is called in the lost-node line. */
typedef struct {
    int fd;
    int bye;        /* it said goodbye: a clean exit, not a loss */
    double last;    /* when we last heard from it, seconds (monotonic) */
    char name[HOST_LEN];
    char ranks[64]; /* "2-3" */
} peer;

struct dist_watch {
    peer p[2]; /* [0] the next host (we connected), [1] the previous (it connected to us) */
    int stop_pipe[2];
    double timeout_s;
    pthread_t thread;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void lost(const peer *q, const char *why) {
    fprintf(stderr, "dshap: error: lost node %s (ranks %s): %s; ending the job\n", q->name, q->ranks, why);
    fflush(stderr);
    /* The main thread may sit in a collective that will never complete;
     * MPI_Abort asks the launcher (mpirun, or srun's PMIx) to end every rank. */
    MPI_Abort(MPI_COMM_WORLD, WATCH_EXIT_NODE_LOST);
    _exit(WATCH_EXIT_NODE_LOST);
}

static void *watch_loop(void *arg) {
    dist_watch *w = arg;
    double next_beat = 0;
    for (;;) {
        double t = now_s();
        if (t >= next_beat) {
            char c = MSG_BEAT;
            for (int i = 0; i < 2; i++)
                if (!w->p[i].bye) (void)send(w->p[i].fd, &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            next_beat = t + BEAT_MS / 1000.0;
        }
        struct pollfd pf[3] = {{w->p[0].fd, POLLIN, 0}, {w->p[1].fd, POLLIN, 0}, {w->stop_pipe[0], POLLIN, 0}};
        for (int i = 0; i < 2; i++)
            if (w->p[i].bye) pf[i].fd = -1;
        int n = poll(pf, 3, BEAT_MS);
        if (n < 0 && errno != EINTR) return NULL;
        if (pf[2].revents) return NULL;
        t = now_s();
        for (int i = 0; i < 2; i++) {
            peer *q = &w->p[i];
            if (q->bye) continue;
            if (pf[i].revents) {
                char buf[64];
                ssize_t r = recv(q->fd, buf, sizeof buf, MSG_DONTWAIT);
                if (r > 0) {
                    q->last = t;
                    if (memchr(buf, MSG_BYE, (size_t)r)) q->bye = 1;
                } else if (r == 0 || errno == ECONNRESET) {
                    lost(q, "its processes are gone (heartbeat connection closed)");
                } else if (errno != EAGAIN && errno != EINTR) {
                    lost(q, strerror(errno));
                }
            }
            if (!q->bye && t - q->last > w->timeout_s) {
                char why[96];
                snprintf(why, sizeof why, "no heartbeat for %.0f s (DSHAP_NODE_TIMEOUT)", w->timeout_s);
                lost(q, why);
            }
        }
    }
}

static int connect_to(const char *host, int port, char *why, size_t n) {
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int e = getaddrinfo(host, ps, &hints, &res);
    if (e) {
        snprintf(why, n, "cannot resolve host '%s': %s", host, gai_strerror(e));
        return -1;
    }
    int fd = -1;
    double until = now_s() + CONNECT_S;
    while (fd < 0 && now_s() < until) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
            usleep(100000);
        }
    }
    freeaddrinfo(res);
    if (fd < 0) snprintf(why, n, "cannot connect to host '%s' port %d: %s", host, port, strerror(errno));
    return fd;
}

static int accept_within(int lfd, int seconds) {
    struct pollfd pf = {lfd, POLLIN, 0};
    if (poll(&pf, 1, seconds * 1000) <= 0) return -1;
    return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* The ranks on host `name` as "2-3" or "0,2,4" (shortened with "..."). */
static void host_ranks(const char *hosts, int size, const char *name, char *out, size_t n) {
    size_t len = 0;
    out[0] = '\0';
    for (int r = 0; r < size; r++) {
        if (strcmp(hosts + (size_t)r * HOST_LEN, name)) continue;
        int last = r;
        while (last + 1 < size && !strcmp(hosts + (size_t)(last + 1) * HOST_LEN, name)) last++;
        char part[32];
        int k = last > r ? snprintf(part, sizeof part, "%s%d-%d", len ? "," : "", r, last)
                         : snprintf(part, sizeof part, "%s%d", len ? "," : "", r);
        if (len + (size_t)k + 4 >= n) {
            snprintf(out + len, n - len, ",...");
            return;
        }
        memcpy(out + len, part, (size_t)k + 1);
        len += (size_t)k;
        r = last;
    }
}

dshap_status watch_start(MPI_Comm comm, int rank, int size, int local_rank, const char *host, dist_watch **out) {
    *out = NULL;
    int *local = NULL, *ports = NULL, *leaders = NULL;
    char *hosts = NULL;
    dist_watch *w = NULL;
    int lfd = -1, my_port = 0, ok = 1, all_ok = 0;
    char why[512] = "";
    dshap_status st = DSHAP_OK;
    CHECK(dshap_calloc((void **)&local, (size_t)size, sizeof *local, "watch: local ranks"));
    CHECK(dshap_calloc((void **)&ports, (size_t)size, sizeof *ports, "watch: ports"));
    CHECK(dshap_calloc((void **)&leaders, (size_t)size, sizeof *leaders, "watch: hosts"));
    CHECK(dshap_calloc((void **)&hosts, (size_t)size, HOST_LEN, "watch: host names"));
    MPI_Allgather(&local_rank, 1, MPI_INT, local, 1, MPI_INT, comm);
    /* A host's first rank (local rank 0) watches for it; hosts in rank order. */
    int n_hosts = 0, me = -1;
    for (int r = 0; r < size; r++)
        if (local[r] == 0) {
            if (r == rank) me = n_hosts;
            leaders[n_hosts++] = r;
        }
    if (n_hosts < 2) goto done;
    if (me >= 0) {
        lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        socklen_t al = sizeof a;
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4) != 0 ||
            getsockname(lfd, (struct sockaddr *)&a, &al) != 0) {
            snprintf(why, sizeof why, "cannot listen for the heartbeat: %s", strerror(errno));
            ok = 0;
        } else {
            my_port = ntohs(a.sin_port);
        }
    }
    char mine[HOST_LEN];
    snprintf(mine, sizeof mine, "%s", host);
    MPI_Allgather(&my_port, 1, MPI_INT, ports, 1, MPI_INT, comm);
    MPI_Allgather(mine, HOST_LEN, MPI_CHAR, hosts, HOST_LEN, MPI_CHAR, comm);
    if (me >= 0 && ok) {
        CHECK(dshap_calloc((void **)&w, 1, sizeof *w, "watch"));
        w->p[0].fd = w->p[1].fd = w->stop_pipe[0] = w->stop_pipe[1] = -1;
        const char *env = getenv("DSHAP_NODE_TIMEOUT");
        w->timeout_s = env && atof(env) > 0 ? atof(env) : 10;
        int nb[2] = {leaders[(me + 1) % n_hosts], leaders[(me + n_hosts - 1) % n_hosts]};
        for (int i = 0; i < 2; i++) {
            snprintf(w->p[i].name, sizeof w->p[i].name, "%s", hosts + (size_t)nb[i] * HOST_LEN);
            host_ranks(hosts, size, w->p[i].name, w->p[i].ranks, sizeof w->p[i].ranks);
        }
        w->p[0].fd = connect_to(w->p[0].name, ports[nb[0]], why, sizeof why);
        if (w->p[0].fd >= 0) {
            w->p[1].fd = accept_within(lfd, CONNECT_S);
            if (w->p[1].fd < 0) snprintf(why, sizeof why, "no heartbeat connection from host '%s'", w->p[1].name);
        }
        if (w->p[0].fd < 0 || w->p[1].fd < 0) ok = 0;
        for (int i = 0; i < 2 && ok; i++) {
            int one = 1;
            setsockopt(w->p[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            w->p[i].last = now_s();
        }
        if (ok && pipe2(w->stop_pipe, O_CLOEXEC) != 0) {
            snprintf(why, sizeof why, "pipe: %s", strerror(errno));
            ok = 0;
        }
    }
    if (ok && w && pthread_create(&w->thread, NULL, watch_loop, w) != 0) {
        snprintf(why, sizeof why, "cannot start its thread");
        ok = 0;
    }
    /* A watch that cannot be set up (names that do not resolve, a firewall)
     * must not cost the job: say so once per host and run unwatched. */
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm);
    if (!ok) fprintf(stderr, "dshap: warning: node-loss watch off (%s: %s)\n", host, why);
    if (all_ok) {
        *out = w;
        w = NULL;
    } else if (w && ok) {
        /* this host's thread runs, another host has none: stop ours */
        watch_stop(w);
        w = NULL;
    }
done:
    if (w) {
        for (int i = 0; i < 2; i++)
            if (w->p[i].fd >= 0) close(w->p[i].fd);
        for (int i = 0; i < 2; i++)
            if (w->stop_pipe[i] >= 0) close(w->stop_pipe[i]);
        dshap_free(w);
    }
    if (lfd >= 0) close(lfd);
    dshap_free(local);
    dshap_free(ports);
    dshap_free(leaders);
    dshap_free(hosts);
    return st;
}

void watch_stop(dist_watch *w) {
    if (!w) return;
    char c = 1;
    if (write(w->stop_pipe[1], &c, 1) == 1) pthread_join(w->thread, NULL);
    c = MSG_BYE;
    for (int i = 0; i < 2; i++) {
        if (!w->p[i].bye) (void)send(w->p[i].fd, &c, 1, MSG_NOSIGNAL);
        close(w->p[i].fd);
    }
    close(w->stop_pipe[0]);
    close(w->stop_pipe[1]);
    dshap_free(w);
}
