/* resume.c: the state file of an interrupted scan (see resume.h).
 *
 * A small text file, one item per line:
 *
 *   pscan-resume 1
 *   engine syn
 *   seed 1234
 *   done 655360
 *   hosts 4096
 *   arg pscan
 *   arg -p
 *   arg 1-1000
 *   ...
 *
 * Arguments are stored with '%', '\n' and '\r' written as %25, %0A and
 * %0D, so any argument survives the trip. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pscan/resume.h"

enum { MAX_ARGS = 4096, MAX_LINE = 65536 };

int ps_resume_save(const char *path, const char *engine, uint64_t seed, uint64_t done,
                   uint64_t hosts, int argc, char **argv, ps_err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        int err = errno;
        if (fd >= 0) close(fd);
        return ps_fail(e, PS_ERUNTIME, "cannot write the resume file '%s': %s", path, strerror(err));
    }
    fprintf(f, "pscan-resume 1\nengine %s\nseed %llu\ndone %llu\nhosts %llu\n", engine,
            (unsigned long long)seed, (unsigned long long)done, (unsigned long long)hosts);
    for (int i = 0; i < argc; i++) {
        fputs("arg ", f);
        for (const char *p = argv[i]; *p; p++) {
            if (*p == '%') fputs("%25", f);
            else if (*p == '\n') fputs("%0A", f);
            else if (*p == '\r') fputs("%0D", f);
            else fputc(*p, f);
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0) return ps_fail(e, PS_ERUNTIME, "cannot write the resume file '%s': %s", path, strerror(errno));
    return PS_OK;
}

static char *unescape(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    if (!out) return NULL;
    for (; *s; s++) {
        if (s[0] == '%' && s[1] && s[2]) {
            if (strncmp(s, "%25", 3) == 0) *o++ = '%';
            else if (strncmp(s, "%0A", 3) == 0) *o++ = '\n';
            else if (strncmp(s, "%0D", 3) == 0) *o++ = '\r';
            else {
                *o++ = *s;
                continue;
            }
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = 0;
    return out;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *s == '-' || *end || errno) return -1;
    *out = v;
    return 0;
}

int ps_resume_load(const char *path, ps_resume *out, ps_err *e)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) return ps_fail(e, PS_EINPUT, "cannot read the resume file '%s': %s", path, strerror(errno));
    char *line = malloc(MAX_LINE);
    out->argv = calloc(MAX_ARGS + 1, sizeof *out->argv);
    int r = PS_OK, lineno = 0, have = 0;
    if (!line || !out->argv) {
        r = ps_fail(e, PS_ERUNTIME, "out of memory");
        goto done;
    }
    while (fgets(line, MAX_LINE, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = 0;
        else if (!feof(f)) {
            r = ps_fail(e, PS_EINPUT, "%s:%d: line too long", path, lineno);
            goto done;
        }
        if (lineno == 1) {
            if (strcmp(line, "pscan-resume 1") != 0) {
                r = ps_fail(e, PS_EINPUT, "%s: not a pscan resume file", path);
                goto done;
            }
            continue;
        }
        char *val = strchr(line, ' ');
        if (!val) {
            r = ps_fail(e, PS_EINPUT, "%s:%d: expected 'key value'", path, lineno);
            goto done;
        }
        *val++ = 0;
        if (strcmp(line, "engine") == 0 && strlen(val) < sizeof out->engine) {
            strcpy(out->engine, val);
            have |= 1;
        } else if (strcmp(line, "seed") == 0 && parse_u64(val, &out->seed) == 0) {
            have |= 2;
        } else if (strcmp(line, "done") == 0 && parse_u64(val, &out->done) == 0) {
            have |= 4;
        } else if (strcmp(line, "hosts") == 0 && parse_u64(val, &out->hosts) == 0) {
            have |= 8;
        } else if (strcmp(line, "arg") == 0 && out->argc < MAX_ARGS) {
            if (!(out->argv[out->argc++] = unescape(val))) {
                r = ps_fail(e, PS_ERUNTIME, "out of memory");
                goto done;
            }
        } else {
            r = ps_fail(e, PS_EINPUT, "%s:%d: bad line '%.40s'", path, lineno, line);
            goto done;
        }
    }
    if (lineno == 0 || have != 15 || out->argc < 1)
        r = ps_fail(e, PS_EINPUT, "%s: incomplete resume file (engine, seed, done, hosts and the arguments are needed)",
                    path);
done:
    free(line);
    fclose(f);
    if (r) ps_resume_free(out);
    return r;
}

void ps_resume_free(ps_resume *r)
{
    for (int i = 0; r->argv && i < r->argc; i++) free(r->argv[i]);
    free(r->argv);
    memset(r, 0, sizeof *r);
}
