#include "io/outpath.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* The folder part of `path` ("." when there is none) into buf. */
static const char *folder_of(const char *path, char *buf, size_t cap) {
    const char *slash = strrchr(path, '/');
    if (!slash) return snprintf(buf, cap, "."), buf;
    size_t n = (size_t)(slash - path);
    if (n == 0) n = 1; /* "/x": the root */
    if (n >= cap) n = cap - 1;
    memcpy(buf, path, n);
    buf[n] = '\0';
    return buf;
}

/* The canonical name of a path that may not exist yet: its folder resolved,
 * then its last component. 0 when the folder cannot be resolved. */
static int canonical(const char *path, char *out, size_t cap) {
    char dir[PATH_MAX], real[PATH_MAX];
    if (!realpath(folder_of(path, dir, sizeof dir), real)) return 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return snprintf(out, cap, "%s/%s", real, base) < (int)cap;
}

static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb) return 0;
    /* neither exists yet (two outputs): the same name after resolving folders */
    char ca[PATH_MAX + 256], cb[PATH_MAX + 256];
    return canonical(a, ca, sizeof ca) && canonical(b, cb, sizeof cb) && !strcmp(ca, cb);
}

dshap_status outpath_check(const char *what, const char *out, const char *const *others, int n) {
    if (!out || !*out) FAIL(DSHAP_EINVAL, "%s: the output name is empty", what);
    size_t len = strlen(out);
    if (len >= PATH_MAX)
        FAIL(DSHAP_EINVAL, "%.60s...: the %s path is too long (%zu characters; the system takes under %d)", out, what, len,
             PATH_MAX);
    struct stat s;
    if (stat(out, &s) == 0 && S_ISDIR(s.st_mode))
        FAIL(DSHAP_EINVAL, "%s: %s is a directory; give a file name", out, what);
    char dir[PATH_MAX];
    folder_of(out, dir, sizeof dir);
    if (stat(dir, &s) != 0 && errno == ENAMETOOLONG)
        FAIL(DSHAP_EINVAL, "%s: the folder name is too long for the system", out);
    if (stat(dir, &s) != 0 || !S_ISDIR(s.st_mode))
        FAIL(DSHAP_EINVAL, "%s: the folder '%s' does not exist", out, dir);
    if (access(dir, W_OK) != 0) FAIL(DSHAP_EINVAL, "%s: the folder '%s' is not writable (%s)", out, dir, strerror(errno));
    for (int i = 0; i < n; i++)
        if (others[i] && same_file(out, others[i]))
            FAIL(DSHAP_EINVAL, "%s: %s names the same file as %s; it would be replaced, choose another name", out,
                 what, others[i]);
    return DSHAP_OK;
}

static const char *human_size(double bytes, char *buf, size_t cap) {
    const char *unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    int u = 0;
    while (bytes >= 1024 && u < 6) bytes /= 1024, u++;
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
    return buf;
}

dshap_status outpath_check_space(const char *out, double bytes) {
    char dir[PATH_MAX];
    struct statvfs v;
    if (statvfs(folder_of(out, dir, sizeof dir), &v) != 0 || v.f_frsize == 0) return DSHAP_OK;
    uint64_t avail = (uint64_t)v.f_bavail * v.f_frsize;
    if (bytes > (double)avail) {
        char need[32], have[32];
        FAIL(DSHAP_EIO, "%s: needs about %s, but its disk has only %s free (the disk is full)", out,
             human_size(bytes, need, sizeof need), human_size((double)avail, have, sizeof have));
    }
    return DSHAP_OK;
}

const char *outpath_write_reason(const char *path, int err) {
    if (err == ENOSPC || err == EDQUOT) return "the disk is full";
    /* HDF5 does not always leave errno: ask the file system (under 64 KiB
     * free counts as full, since that is less than one HDF5 metadata flush) */
    char dir[PATH_MAX];
    struct statvfs v;
    if (statvfs(folder_of(path, dir, sizeof dir), &v) == 0 && (uint64_t)v.f_bavail * v.f_frsize < 65536)
        return "the disk is full";
    return err ? strerror(err) : "write error";
}

/* The one piece of process state outside the logger: what a signal handler
 * must remove. Fixed-size names, since a handler may not allocate. */
#define TEMP_SLOTS 16
static char temps[TEMP_SLOTS][4100];
static volatile sig_atomic_t temp_used[TEMP_SLOTS];

void outpath_temp_register(const char *tmp) {
    for (int i = 0; i < TEMP_SLOTS; i++)
        if (!temp_used[i]) {
            snprintf(temps[i], sizeof temps[i], "%s", tmp);
            temp_used[i] = 1;
            return;
        }
}

void outpath_temp_forget(const char *tmp) {
    for (int i = 0; i < TEMP_SLOTS; i++)
        if (temp_used[i] && !strcmp(temps[i], tmp)) temp_used[i] = 0;
}

void outpath_temp_remove(const char *tmp) {
    remove(tmp);
    outpath_temp_forget(tmp);
}

static void on_signal(int sig) {
    for (int i = 0; i < TEMP_SLOTS; i++)
        if (temp_used[i]) unlink(temps[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void outpath_signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (int i = 0; i < 3; i++) {
        struct sigaction old;
        /* keep an ignored signal ignored (nohup) */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

dshap_status textout_open(textout *t, const char *path) {
    memset(t, 0, sizeof *t);
    snprintf(t->path, sizeof t->path, "%s", path);
    snprintf(t->tmp, sizeof t->tmp, "%s.part", path);
    t->f = fopen(t->tmp, "w");
    if (!t->f) FAIL(DSHAP_EIO, "%s: cannot create (%s)", path, outpath_write_reason(path, errno));
    outpath_temp_register(t->tmp);
    return DSHAP_OK;
}

dshap_status textout_commit(textout *t) {
    if (!t->f) FAIL(DSHAP_EIO, "%s: not open for writing", t->path);
    errno = 0;
    int bad = fflush(t->f) != 0 || ferror(t->f);
    int err = errno;
    if (fclose(t->f) != 0 && !bad) bad = 1, err = errno;
    t->f = NULL;
    if (bad) {
        outpath_temp_remove(t->tmp);
        FAIL(DSHAP_EIO, "%s: writing failed: %s; nothing written", t->path, outpath_write_reason(t->path, err));
    }
    if (rename(t->tmp, t->path) != 0) {
        err = errno;
        outpath_temp_remove(t->tmp);
        FAIL(DSHAP_EIO, "%s: cannot rename the finished file into place (%s)", t->path, strerror(err));
    }
    outpath_temp_forget(t->tmp);
    return DSHAP_OK;
}

void textout_discard(textout *t) {
    if (!t->f) return;
    fclose(t->f);
    t->f = NULL;
    outpath_temp_remove(t->tmp);
}
