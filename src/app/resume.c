/* resume.c: the state file of an interrupted scan (see resume.h).
 *
 * A small text file, one item per line:
 *
 *   pscan-resume 2
 *   state interrupted
 *   seed 1234
 *   run 1
 *   hosts 4096
 *   phase syn 655360 1024000 655360
 *   phase udp 0 4096 0
 *   arg pscan
 *   arg -p
 *   arg 1-1000
 *   ...
 *
 * "phase ENGINE DONE UNITS PAIRS" for each engine of the run, in order:
 * its units (positions of the probe order for syn, hosts for connect and
 * udp) below DONE are finished, of UNITS; PAIRS host-port pairs of its
 * shard with them.  A finished scan's file says "state finished" and
 * "finished TIME" (seconds since 1970).  Arguments are stored with '%',
 * '\n' and '\r' written as %25, %0A and %0D, so any argument survives the
 * trip.
 *
 * The file is written to PATH.tmp, synced and renamed over PATH, so a
 * reader (or a run killed half-way) sees the old state or the new one,
 * never half of one.  The same code writes it in the scanner and in the
 * keeper (resume.h, ps_resume_out): the process that writes this file for
 * a scanner that has dropped root, which until it exits may call only
 * async-signal-safe functions (it is forked from a process with threads),
 * so the file is formatted by hand into buffers made before the fork. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pscan/resume.h"

enum { MAX_ARGS = 4096, MAX_LINE = 65536, HEAD_MAX = 1024 };

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

/* "ENGINE DONE UNITS PAIRS" of a phase line. */
static int parse_phase(char *val, ps_resume_phase *ph)
{
    char *sp = strchr(val, ' ');
    if (!sp || sp == val || (size_t)(sp - val) >= sizeof ph->engine) return -1;
    memcpy(ph->engine, val, (size_t)(sp - val));
    ph->engine[sp - val] = 0;
    uint64_t *f[3] = {&ph->done, &ph->units, &ph->pairs};
    char *p = sp + 1;
    for (int i = 0; i < 3; i++) {
        char *end = strchr(p, ' ');
        if ((end == NULL) != (i == 2)) return -1;
        if (end) *end = 0;
        if (parse_u64(p, f[i])) return -1;
        p = end + 1;
    }
    return 0;
}

struct loading {
    const char *path;
    int lineno, have, finished;
    long long finished_at;
};

/* One "key value" line into out; PS_EINPUT naming the line when bad. */
static int load_line(struct loading *L, char *line, ps_resume *out, ps_err *e)
{
    char *val = strchr(line, ' ');
    if (!val) return ps_fail(e, PS_EINPUT, "%s:%d: expected 'key value'", L->path, L->lineno);
    *val++ = 0;
    uint64_t v;
    if (strcmp(line, "state") == 0 && (strcmp(val, "interrupted") == 0 || strcmp(val, "finished") == 0)) {
        L->finished = val[0] == 'f';
        L->have |= 1;
    } else if (strcmp(line, "seed") == 0 && parse_u64(val, &out->st.seed) == 0) {
        L->have |= 2;
    } else if (strcmp(line, "run") == 0 && parse_u64(val, &v) == 0 && v >= 1 && v < 1000000) {
        out->st.run = (unsigned)v;
    } else if (strcmp(line, "hosts") == 0 && parse_u64(val, &out->st.hosts) == 0) {
        L->have |= 4;
    } else if (strcmp(line, "finished") == 0 && parse_u64(val, &v) == 0) {
        L->finished_at = (long long)v;
    } else if (strcmp(line, "phase") == 0 && out->st.nphases < PS_RESUME_PHASES &&
               parse_phase(val, &out->st.phase[out->st.nphases]) == 0) {
        const ps_resume_phase *ph = &out->st.phase[out->st.nphases++];
        if (ph->done > ph->units)
            return ps_fail(e, PS_EINPUT, "%s:%d: the %s scan is at %llu of %llu: beyond its end (a damaged file)",
                           L->path, L->lineno, ph->engine, (unsigned long long)ph->done,
                           (unsigned long long)ph->units);
    } else if (strcmp(line, "arg") == 0 && out->argc < MAX_ARGS) {
        if (!(out->argv[out->argc++] = unescape(val))) return ps_fail(e, PS_ERUNTIME, "out of memory");
    } else {
        return ps_fail(e, PS_EINPUT, "%s:%d: bad line '%.40s'", L->path, L->lineno, line);
    }
    return PS_OK;
}

/* The file is gone: say so, and whether the scan it belonged to finished. */
static int load_missing(const char *path, int err, ps_err *e)
{
    char done[4200];
    struct stat st;
    snprintf(done, sizeof done, "%s.done", path);
    if (err == ENOENT && stat(done, &st) == 0)
        return ps_fail(e, PS_EINPUT, "cannot read the resume file '%s': %s (its scan finished: see '%s')", path,
                       strerror(err), done);
    return ps_fail(e, PS_EINPUT, "cannot read the resume file '%s': %s", path, strerror(err));
}

/* A finished scan's file: nothing to resume. */
static int load_finished(const struct loading *L, ps_err *e)
{
    char when[64] = "";
    time_t t = (time_t)L->finished_at;
    struct tm tm;
    if (L->finished_at > 0 && gmtime_r(&t, &tm)) strftime(when, sizeof when, " at %Y-%m-%d %H:%M UTC", &tm);
    return ps_fail(e, PS_EINPUT, "%s: that scan finished%s; there is nothing left to resume "
                   "(to scan again, run its command line without --resume)", L->path, when);
}

int ps_resume_load(const char *path, ps_resume *out, ps_err *e)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) return load_missing(path, errno, e);
    char *line = malloc(MAX_LINE);
    out->argv = calloc(MAX_ARGS + 1, sizeof *out->argv);
    struct loading L = {.path = path};
    int r = PS_OK;
    if (!line || !out->argv) {
        r = ps_fail(e, PS_ERUNTIME, "out of memory");
        goto done;
    }
    while (!r && fgets(line, MAX_LINE, f)) {
        L.lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = 0;
        else if (!feof(f)) r = ps_fail(e, PS_EINPUT, "%s:%d: line too long", path, L.lineno);
        if (r || L.lineno > 1) {
            if (!r) r = load_line(&L, line, out, e);
            continue;
        }
        if (strcmp(line, "pscan-resume 1") == 0)
            r = ps_fail(e, PS_EINPUT, "%s: written by an older pscan (format 1), which this one cannot resume", path);
        else if (strcmp(line, "pscan-resume 2") != 0)
            r = ps_fail(e, PS_EINPUT, "%s: not a pscan resume file", path);
    }
    if (!r && (L.lineno == 0 || L.have != 7 || out->argc < 1))
        r = ps_fail(e, PS_EINPUT, "%s: incomplete resume file (state, seed, hosts and the arguments are needed)",
                    path);
    if (!r && L.finished) r = load_finished(&L, e);
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

/* ---- writing: in the scanner, or in the keeper (see resume.h) ---------------
 *
 * Only system calls on buffers made before the fork from here on.  The
 * keeper's request and answer are fixed-size messages on a SOCK_SEQPACKET
 * pair. */

enum { OP_SAVE = 1, OP_FINISH = 2 };

struct keep_req {
    int op;
    ps_resume_state st;
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

static int engine_ok(const char *name, size_t cap)
{
    size_t len = strnlen(name, cap);
    if (len == 0 || len == cap) return 0;
    for (size_t i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9'))) return 0;
    return 1;
}

/* The lines before the arguments; 0 if the state cannot be written. */
static size_t format_head(char *h, const struct keep_req *q)
{
    const ps_resume_state *st = &q->st;
    if (st->nphases < 0 || st->nphases > PS_RESUME_PHASES) return 0;
    size_t at = put_str(h, 0, HEAD_MAX, q->op == OP_FINISH ? "pscan-resume 2\nstate finished\nfinished "
                                                           : "pscan-resume 2\nstate interrupted");
    if (q->op == OP_FINISH) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        at = put_u64(h, at, HEAD_MAX, (uint64_t)now.tv_sec);
    }
    at = put_u64(h, put_str(h, at, HEAD_MAX, "\nseed "), HEAD_MAX, st->seed);
    at = put_u64(h, put_str(h, at, HEAD_MAX, "\nrun "), HEAD_MAX, st->run ? st->run : 1);
    at = put_u64(h, put_str(h, at, HEAD_MAX, "\nhosts "), HEAD_MAX, st->hosts);
    for (int i = 0; i < st->nphases; i++) {
        const ps_resume_phase *ph = &st->phase[i];
        if (!engine_ok(ph->engine, sizeof ph->engine) || ph->done > ph->units) return 0;
        at = put_str(h, put_str(h, at, HEAD_MAX, "\nphase "), HEAD_MAX, ph->engine);
        at = put_u64(h, put_str(h, at, HEAD_MAX, " "), HEAD_MAX, ph->done);
        at = put_u64(h, put_str(h, at, HEAD_MAX, " "), HEAD_MAX, ph->units);
        at = put_u64(h, put_str(h, at, HEAD_MAX, " "), HEAD_MAX, ph->pairs);
    }
    at = put_str(h, at, HEAD_MAX, "\n");
    return at < HEAD_MAX ? at : 0;
}

/* Write the file for a request: PATH.tmp, synced, renamed over PATH; for
 * OP_FINISH then renamed PATH.done.  0 or an errno value. */
static int write_state(const ps_resume_out *o, const struct keep_req *q, const char *args, size_t nargs)
{
    char head[HEAD_MAX];
    size_t n = format_head(head, q);
    if (!n) return EINVAL;
    unlink(o->tmp);
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    int err = write_all(fd, head, n) || write_all(fd, args, nargs) ? errno : 0;
    if (!err && fsync(fd) != 0) err = errno;
    if (close(fd) != 0 && !err) err = errno;
    if (!err && rename(o->tmp, o->path) != 0) err = errno;
    if (err) unlink(o->tmp);
    if (!err && q->op == OP_FINISH && rename(o->path, o->done) != 0) err = errno;
    return err;
}

__attribute__((noreturn)) static void keeper_main(int sock, const ps_resume_out *o, const char *args, size_t nargs)
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
        int err = q.op == OP_SAVE || q.op == OP_FINISH ? write_state(o, &q, args, nargs) : EINVAL;
        while (send(sock, &err, sizeof err, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
    }
}

void ps_resume_out_init(ps_resume_out *o, const char *path, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp", path);
    snprintf(o->done, sizeof o->done, "%s.done", path);
    o->argc = argc;
    o->argv = argv;
    o->fd = -1;
}

/* The "arg" lines in a buffer of their own (malloc'd). */
static char *args_text(const ps_resume_out *o, size_t *n)
{
    char *args = NULL;
    FILE *m = open_memstream(&args, n);
    if (!m) return NULL;
    write_args(m, o->argc, o->argv);
    if (fclose(m) != 0) {
        free(args);
        return NULL;
    }
    return args;
}

int ps_resume_out_keep(ps_resume_out *o, ps_err *e)
{
    if (o->keeper) return PS_OK;
    size_t nargs = 0;
    char *args = args_text(o, &nargs);
    if (!args) return ps_fail(e, PS_ERUNTIME, "out of memory");
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        free(args);
        return ps_fail(e, PS_ERUNTIME, "cannot start the resume-file keeper: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid == 0) keeper_main(sv[1], o, args, nargs);
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

/* One request, to the keeper or done here; 0 or an errno value, or -1
 * when the keeper is gone or mute (e says so). */
static int request(ps_resume_out *o, const struct keep_req *q, ps_err *e)
{
    if (!o->keeper) {
        size_t nargs = 0;
        char *args = args_text(o, &nargs);
        int err = args ? write_state(o, q, args, nargs) : ENOMEM;
        free(args);
        return err;
    }
    int err = 0;
    ssize_t n;
    while ((n = send(o->fd, q, sizeof *q, MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
    if (n != (ssize_t)sizeof *q) return ps_fail(e, -1, "the resume-file keeper is gone: %s", strerror(errno));
    /* It answers at once, unless the file system hangs: wait 10 s at most. */
    struct pollfd pfd = {o->fd, POLLIN, 0};
    for (int tries = 0; tries < 100 && (n = poll(&pfd, 1, 100)) <= 0; tries++)
        if (n < 0 && errno != EINTR) break;
    if (n <= 0 || recv(o->fd, &err, sizeof err, 0) != (ssize_t)sizeof err)
        return ps_fail(e, -1, "the resume-file keeper did not answer");
    return err;
}

int ps_resume_out_save(ps_resume_out *o, const ps_resume_state *st, ps_err *e)
{
    struct keep_req q = {.op = OP_SAVE, .st = *st};
    int err = request(o, &q, e);
    if (err < 0) return PS_ERUNTIME;
    if (err) return ps_fail(e, PS_ERUNTIME, "cannot write the resume file '%s': %s", o->path, strerror(err));
    return PS_OK;
}

int ps_resume_out_finish(ps_resume_out *o, const ps_resume_state *st, ps_err *e)
{
    struct keep_req q = {.op = OP_FINISH, .st = *st};
    int err = request(o, &q, e);
    if (err < 0) return PS_ERUNTIME;
    if (err)
        return ps_fail(e, PS_ERUNTIME, "cannot mark the resume file '%s' finished (as '%s'): %s", o->path, o->done,
                       strerror(err));
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
