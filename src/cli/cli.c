#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/outpath.h"

int cli_fail(dshap_status st) {
    fprintf(stderr, "dshap: error: %s\n", dshap_last_error());
    if (getenv("DSHAP_DEBUG")) fprintf(stderr, "dshap: (%s, raised at %s)\n", dshap_status_name(st), dshap_last_error_origin());
    return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dshap %s: error: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'dshap %s --help')\n", cmd);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_int(const char *cmd, const char *flag, const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        cli_usage_error(cmd, "%s expects an integer in [%lld, %lld], got '%s'", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_double(const char *cmd, const char *flag, const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) {
        cli_usage_error(cmd, "%s expects a number in [%g, %g], got '%s'", flag, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int listed(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n)) return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

int cli_no_duplicates(const char *cmd, int argc, char **argv, const struct option *opts, const char *repeatable) {
    int seen[64] = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) break;
        if (a[0] != '-' || !a[1]) continue;
        int k = -1, inline_value = 0;
        if (a[1] == '-') {
            size_t len = strcspn(a + 2, "=");
            inline_value = a[2 + len] == '=';
            for (int j = 0; opts[j].name && k < 0; j++)
                if (strlen(opts[j].name) == len && !strncmp(opts[j].name, a + 2, len)) k = j;
        } else {
            inline_value = a[2] != '\0';
            for (int j = 0; opts[j].name && k < 0; j++)
                if (opts[j].val == a[1]) k = j;
        }
        if (k < 0 || k >= 64) continue; /* unknown: getopt says so */
        if (opts[k].has_arg == required_argument && !inline_value) i++; /* skip the value */
        if (listed(repeatable, opts[k].name)) continue;
        if (seen[k]++) {
            cli_usage_error(cmd, "--%s is given more than once", opts[k].name);
            return -1;
        }
    }
    return 0;
}

void cli_paths_add(cli_paths *p, const char *path) {
    if (!path || p->n == CLI_MAX_PATHS) return;
    snprintf(p->path[p->n++], sizeof p->path[0], "%s", path);
}

void cli_paths_add_spec(cli_paths *p, const char *spec) {
    if (!spec) return;
    const char *eq = strchr(spec, '='), *colon = strchr(spec, ':');
    const char *body = eq && (!colon || eq < colon) ? eq + 1 : spec;
    while (*body && p->n < CLI_MAX_PATHS) {
        size_t len = strcspn(body, "+");
        char part[4096];
        snprintf(part, sizeof part, "%.*s", (int)len, body);
        char *c = strrchr(part, ':');
        if (c) *c = '\0';
        cli_paths_add(p, part);
        body += len;
        if (*body == '+') body++;
    }
}

dshap_status cli_outputs_status(const cli_paths *in, int n_out, const char *const *outs, const char *const *flags) {
    const char *others[CLI_MAX_PATHS + 8];
    for (int i = 0; i < n_out; i++) {
        if (!outs[i]) continue;
        int n = 0;
        for (int j = 0; j < in->n; j++) others[n++] = in->path[j];
        for (int j = 0; j < i && n < CLI_MAX_PATHS + 8; j++) others[n++] = outs[j]; /* the later flag is named */
        TRY(outpath_check(flags[i], outs[i], others, n));
    }
    return DSHAP_OK;
}

int cli_check_outputs(const cli_paths *in, int n_out, const char *const *outs, const char *const *flags) {
    dshap_status st = cli_outputs_status(in, n_out, outs, flags);
    return st ? cli_fail(st) : 0;
}
