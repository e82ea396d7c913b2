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
 * %0D, so any argument survives the trip.
 *
 * Also the keeper (resume.h, ps_resume_out): the process that writes this
 * file for a scanner that has dropped root. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pscan/resume.h"

enum { MAX_ARGS = 4096, MAX_LINE = 65536 };

/* The "arg" lines: every argument, escaped. */
static void write_args(FILE *f, int argc, char **argv)
{
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
}

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
    write_args(f, argc, argv);
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

/* ---- the keeper (see resume.h) ---------------------------------------------
 *
 * The keeper is forked from a process that may already run other threads
 * (the -sV engine), so until it exits it calls only async-signal-safe
 * functions: system calls on buffers made before the fork.  The request
 * and the answer are fixed-size messages on a SOCK_SEQPACKET pair. */

struct keep_req {
    char engine[16];
    uint64_t seed, done, hosts;
};

static size_t put_str(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at < cap) buf[at++] = *s++;
    return at;
}

static size_t put_u64(char *buf, size_t at, size_t cap, uint64_t v)
{
    char digits[24];
    int n = 0;
    do digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < 24);
    while (n && at < cap) buf[at++] = digits[--n];
    return at;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The state file from a request; 0 or an errno value. */
static int keeper_write(const char *path, const struct keep_req *q, const char *args, size_t nargs)
{
    size_t len = strnlen(q->engine, sizeof q->engine);
    if (len == 0 || len == sizeof q->engine) return EINVAL;
    for (size_t i = 0; i < len; i++)
        if (!((q->engine[i] >= 'a' && q->engine[i] <= 'z') || (q->engine[i] >= '0' && q->engine[i] <= '9')))
            return EINVAL;
    char head[160];
    size_t at = put_str(head, 0, sizeof head, "pscan-resume 1\nengine ");
    at = put_str(head, at, sizeof head, q->engine);
    at = put_str(head, at, sizeof head, "\nseed ");
    at = put_u64(head, at, sizeof head, q->seed);
    at = put_str(head, at, sizeof head, "\ndone ");
    at = put_u64(head, at, sizeof head, q->done);
    at = put_str(head, at, sizeof head, "\nhosts ");
    at = put_u64(head, at, sizeof head, q->hosts);
    at = put_str(head, at, sizeof head, "\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    int err = write_all(fd, head, at) || write_all(fd, args, nargs) ? errno : 0;
    if (close(fd) != 0 && !err) err = errno;
    return err;
}

__attribute__((noreturn)) static void keeper_main(int sock, const char *path, const char *args, size_t nargs)
{
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGINT, &ign, NULL);
    sigaction(SIGTERM, &ign, NULL);
    sigaction(SIGPIPE, &ign, NULL);
    /* Hold nothing of the scanner's: its outputs, a pipe its reader waits on. */
    if (sock > 0 && close_range(0, (unsigned)sock - 1, 0) != 0)
        for (int fd = 0; fd < sock; fd++) close(fd);
    if (close_range((unsigned)sock + 1, ~0U, 0) != 0)
        for (int fd = sock + 1; fd < 1024; fd++) close(fd);
    for (;;) {
        struct keep_req q;
        ssize_t n = recv(sock, &q, sizeof q, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n != (ssize_t)sizeof q) _exit(0); /* the scanner is done */
        int err = keeper_write(path, &q, args, nargs);
        while (send(sock, &err, sizeof err, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
    }
}

void ps_resume_out_init(ps_resume_out *o, const char *path, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    o->argc = argc;
    o->argv = argv;
    o->fd = -1;
}

int ps_resume_out_keep(ps_resume_out *o, ps_err *e)
{
    if (o->keeper) return PS_OK;
    char *args = NULL;
    size_t nargs = 0;
    FILE *m = open_memstream(&args, &nargs);
    if (!m) return ps_fail(e, PS_ERUNTIME, "out of memory");
    write_args(m, o->argc, o->argv);
    if (fclose(m) != 0) {
        free(args);
        return ps_fail(e, PS_ERUNTIME, "out of memory");
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        free(args);
        return ps_fail(e, PS_ERUNTIME, "cannot start the resume-file keeper: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) keeper_main(sv[1], o->path, args, nargs);
    int err = errno;
    free(args);
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return ps_fail(e, PS_ERUNTIME, "cannot start the resume-file keeper: %s", strerror(err));
    }
    o->keeper = (int)pid;
    o->fd = sv[0];
    return PS_OK;
}

int ps_resume_out_save(ps_resume_out *o, const char *engine, uint64_t seed, uint64_t done, uint64_t hosts,
                       ps_err *e)
{
    if (!o->keeper) return ps_resume_save(o->path, engine, seed, done, hosts, o->argc, o->argv, e);
    struct keep_req q;
    memset(&q, 0, sizeof q);
    if (strlen(engine) >= sizeof q.engine) return ps_fail(e, PS_ERUNTIME, "engine name '%s' too long", engine);
    strcpy(q.engine, engine);
    q.seed = seed;
    q.done = done;
    q.hosts = hosts;
    int err = 0;
    ssize_t n;
    while ((n = send(o->fd, &q, sizeof q, MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
    if (n != (ssize_t)sizeof q) return ps_fail(e, PS_ERUNTIME, "the resume-file keeper is gone: %s", strerror(errno));
    /* It answers at once, unless the file system hangs: wait 10 s at most. */
    struct pollfd pfd = {o->fd, POLLIN, 0};
    for (int tries = 0; tries < 100 && (n = poll(&pfd, 1, 100)) <= 0; tries++)
        if (n < 0 && errno != EINTR) break;
    if (n <= 0 || recv(o->fd, &err, sizeof err, 0) != (ssize_t)sizeof err)
        return ps_fail(e, PS_ERUNTIME, "the resume-file keeper did not answer");
    if (err) return ps_fail(e, PS_ERUNTIME, "cannot write the resume file '%s': %s", o->path, strerror(err));
    return PS_OK;
}

void ps_resume_out_close(ps_resume_out *o)
{
    if (o->fd >= 0) close(o->fd);
    o->fd = -1;
    if (!o->keeper) return;
    /* It exits on the end of file: 2 s at most, then it is killed. */
    pid_t pid = (pid_t)o->keeper;
    o->keeper = 0;
    for (int i = 0; i < 2000; i++) {
        pid_t w = waitpid(pid, NULL, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR)) return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}
