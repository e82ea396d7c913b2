/* localinfo_proc.c: from socket inodes to processes, through /proc
 * (localinfo.h).
 *
 * A socket has no owner process in the kernel's socket table, only an inode
 * number; a process "owns" it by holding a descriptor whose /proc/PID/fd/N
 * link reads "socket:[INODE]".  So one walk over every /proc/PID/fd gives the
 * inode -> holders map, kept as one array sorted by inode.  The same walk
 * notes each process's network namespace (the inode of /proc/PID/ns/net) so
 * that sockets of other namespaces can be found later without a second walk.
 *
 * Reading another user's /proc/PID/fd needs ptrace-read rights (root, or
 * CAP_SYS_PTRACE); without them opendir fails with EACCES and the process is
 * counted as "denied", which is what ps_localinfo_complete reports.  Processes
 * may exit during the walk: ENOENT and ESRCH just skip them.
 *
 * Several processes can hold one listening socket (a pre-forking server's
 * master and workers, systemd handing a socket to a service): see
 * ps_li_procs_pick for which one names it.
 *
 * Text from /proc (comm, cmdline) is whatever the process chose, bytes that
 * could drive a terminal included, so everything shown is escaped here. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "localinfo_int.h"

#define LI_MAX_PIDS (1u << 22)     /* pid_max is at most 4194304 */
#define LI_MAX_REFS (1u << 22)     /* socket descriptors kept (64 MB at most) */
#define LI_MAX_FDS_PER_PID (1u << 20)
#define LI_CMDLINE_READ 4096       /* more than cmdline[] can show anyway */
#define LI_COMM_CUT 15             /* TASK_COMM_LEN - 1: a comm this long may be cut */
#define LI_PW_BUF_MAX (1u << 20)

/* ------------------------------------------------------------ escaping */

size_t ps_li_escape(const char *in, size_t n, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, last_fit = 0;

    if (outlen == 0)
        return 0;
    while (n > 0 && in[n - 1] == '\0')
        n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        char piece[4];
        size_t k;

        if (c == '\0') {
            piece[0] = ' ';
            k = 1;
        } else if (c == '\\') {
            piece[0] = piece[1] = '\\';
            k = 2;
        } else if (c >= 0x20 && c <= 0x7e) {
            piece[0] = (char)c;
            k = 1;
        } else {
            piece[0] = '\\';
            piece[1] = 'x';
            piece[2] = hex[c >> 4];
            piece[3] = hex[c & 15];
            k = 4;
        }
        /* last_fit: the latest piece boundary with room for "..." after it,
         * where a cut goes, so an escape is never split. */
        if (o + 3 + 1 <= outlen)
            last_fit = o;
        if (o + k + 1 > outlen) {
            o = last_fit;
            if (o + 3 + 1 <= outlen) {
                memcpy(out + o, "...", 3);
                o += 3;
            }
            break;
        }
        memcpy(out + o, piece, k);
        o += k;
    }
    out[o] = '\0';
    return o;
}

/* ------------------------------------------------------------ the walk */

void ps_li_procs_free(ps_li_procs *p)
{
    free(p->refs);
    free(p->pids);
    memset(p, 0, sizeof *p);
}

static int li_grow(void **v, size_t *cap, size_t elem, size_t max)
{
    size_t ncap = *cap ? *cap * 2 : 256;
    void *nv;
    if (ncap > max)
        ncap = max;
    if (ncap <= *cap)
        return -1;
    nv = realloc(*v, ncap * elem);
    if (!nv)
        return -1;
    *v = nv;
    *cap = ncap;
    return 0;
}

/* "socket:[123]" -> 123; 0 for anything else. */
static uint64_t li_socket_inode(const char *link)
{
    uint64_t v = 0;
    const char *p;
    int nd = 0;

    if (strncmp(link, "socket:[", 8) != 0)
        return 0;
    for (p = link + 8; *p >= '0' && *p <= '9'; p++, nd++) {
        if (v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (nd == 0 || p[0] != ']' || p[1] != '\0')
        return 0;
    return v;
}

/* A /proc entry name that is a pid: digits only, no leading zero, fits int. */
static int li_pid_name(const char *s)
{
    long v = 0;
    if (*s < '1' || *s > '9')
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
        if (v > 0x7fffffff)
            return 0;
    }
    return (int)v;
}

/* The fds of one process; 1 if they could be read, 0 if denied, -1 gone. */
static int li_scan_fds(ps_li_procs *p, int pidfd, int pid)
{
    int fdfd = openat(pidfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;
    struct dirent *de;
    size_t seen = 0;

    if (fdfd < 0)
        return (errno == EACCES || errno == EPERM) ? 0 : -1;
    d = fdopendir(fdfd);
    if (!d) {
        close(fdfd);
        return -1;
    }
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        char link[64];
        ssize_t n;
        uint64_t ino;

        if (de->d_name[0] == '.')
            continue;
        if (++seen > LI_MAX_FDS_PER_PID) {
            p->truncated = 1;
            break;
        }
        n = readlinkat(dirfd(d), de->d_name, link, sizeof link - 1);
        if (n <= 0)
            continue; /* closed since readdir, or not a link */
        link[n] = '\0';
        ino = li_socket_inode(link);
        if (!ino)
            continue;
        if (p->nrefs == p->caprefs &&
            li_grow((void **)&p->refs, &p->caprefs, sizeof *p->refs, LI_MAX_REFS) < 0) {
            p->truncated = 1;
            break;
        }
        p->refs[p->nrefs].inode = ino;
        p->refs[p->nrefs].pid = pid;
        p->nrefs++;
    }
    /* A readdir error on /proc/PID/fd as another user shows up here too. */
    int denied = (errno == EACCES || errno == EPERM) && seen == 0;
    closedir(d);
    return denied ? 0 : 1;
}

static int li_ref_cmp(const void *a, const void *b)
{
    const ps_li_fdref *x = a, *y = b;
    if (x->inode != y->inode)
        return x->inode < y->inode ? -1 : 1;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

int ps_li_procs_scan(ps_li_procs *p, const char *procdir, ps_err *e)
{
    DIR *d;
    struct dirent *de;
    struct stat st;
    char path[512];

    ps_li_procs_free(p);
    snprintf(path, sizeof path, "%s/self/ns/net", procdir);
    if (stat(path, &st) == 0)
        p->own_netns = (uint64_t)st.st_ino;

    d = opendir(procdir);
    if (!d)
        return ps_fail(e, PS_ERUNTIME, "cannot read %s: %s", procdir, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        int pid = li_pid_name(de->d_name);
        int pidfd, r;

        if (!pid)
            continue;
        if (p->npids == p->cappids &&
            li_grow((void **)&p->pids, &p->cappids, sizeof *p->pids, LI_MAX_PIDS) < 0) {
            p->truncated = 1;
            break;
        }
        pidfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pidfd < 0)
            continue; /* exited */
        r = li_scan_fds(p, pidfd, pid);
        if (r < 0) {
            close(pidfd);
            continue;
        }
        if (r == 0)
            p->denied++;
        p->pids[p->npids].pid = pid;
        p->pids[p->npids].netns = 0;
        if (fstatat(pidfd, "ns/net", &st, 0) == 0)
            p->pids[p->npids].netns = (uint64_t)st.st_ino;
        p->npids++;
        close(pidfd);
    }
    closedir(d);
    if (p->nrefs > 1)
        qsort(p->refs, p->nrefs, sizeof *p->refs, li_ref_cmp);
    return PS_OK;
}

size_t ps_li_procs_holders(const ps_li_procs *p, uint64_t inode, size_t *first)
{
    size_t lo = 0, hi = p->nrefs, n = 0;

    if (inode == 0)
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->refs[mid].inode < inode)
            lo = mid + 1;
        else
            hi = mid;
    }
    *first = lo;
    while (lo + n < p->nrefs && p->refs[lo + n].inode == inode)
        n++;
    return n;
}

/* The parent of pid from /proc/PID/stat, -1 if unknown.  The command name
 * in parentheses may itself hold ')' and spaces: parse after the last ')'. */
static int li_ppid(const char *procdir, int pid)
{
    char path[512], buf[1024];
    FILE *f;
    size_t n;
    const char *q;
    int ppid;
    char state;

    snprintf(path, sizeof path, "%s/%d/stat", procdir, pid);
    f = fopen(path, "re");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    q = strrchr(buf, ')');
    if (!q || sscanf(q + 1, " %c %d", &state, &ppid) != 2)
        return -1;
    return ppid;
}

int ps_li_procs_pick(const ps_li_procs *p, const char *procdir, size_t first, size_t count)
{
    const ps_li_fdref *r = p->refs + first;
    int best = 0;

    if (count == 0)
        return 0;
    if (count == 1)
        return r[0].pid;
    /* Distinct pids in order (refs are sorted by pid within an inode; a
     * process holding the socket twice appears twice). */
    for (size_t i = 0; i < count; i++) {
        int pid = r[i].pid, pp, parent_holds = 0;
        if (pid == 1)
            continue; /* init/systemd passes sockets on: name the service */
        pp = li_ppid(procdir, pid);
        for (size_t j = 0; j < count && pp > 0; j++)
            if (r[j].pid == pp && pp != 1)
                parent_holds = 1;
        if (!parent_holds)
            return pid; /* lowest pid whose parent is not a holder */
        if (!best)
            best = pid;
    }
    return best ? best : r[0].pid;
}

/* ------------------------------------------------------- one process */

void ps_li_user_name(uint32_t uid, char *out, size_t outlen)
{
    struct passwd pw, *res = NULL;
    size_t cap = 1024;
    long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
    char *buf = NULL;

    if (sz > 0 && (size_t)sz > cap && (size_t)sz <= LI_PW_BUF_MAX)
        cap = (size_t)sz;
    for (;;) {
        char *nb = realloc(buf, cap);
        int r;
        if (!nb)
            break;
        buf = nb;
        r = getpwuid_r((uid_t)uid, &pw, buf, cap, &res);
        if (r == ERANGE && cap < LI_PW_BUF_MAX) {
            cap *= 2;
            continue;
        }
        break;
    }
    if (res && res->pw_name && res->pw_name[0])
        ps_li_escape(res->pw_name, strlen(res->pw_name), out, outlen);
    else
        snprintf(out, outlen, "%u", uid);
    free(buf);
}

/* Up to cap bytes of a small /proc file; -1 on error. */
static ssize_t li_read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t got = 0;

    if (fd < 0)
        return -1;
    for (int i = 0; i < 64 && got < cap; i++) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return (ssize_t)got;
}

/* The effective uid from /proc/PID/status ("Uid:\treal\teffective\t..."). */
static int li_euid(const char *procdir, int pid, uint32_t *uid)
{
    char path[512], buf[4096];
    ssize_t n;
    const char *q;
    unsigned long ruid, euid;

    snprintf(path, sizeof path, "%s/%d/status", procdir, pid);
    n = li_read_small(path, buf, sizeof buf - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    q = strstr(buf, "\nUid:");
    if (!q || sscanf(q + 5, "%lu %lu", &ruid, &euid) != 2 || euid > UINT32_MAX)
        return -1;
    *uid = (uint32_t)euid;
    return 0;
}

/* The last path component of s[0, n). */
static const char *base_of(const char *s, size_t n, size_t *len)
{
    const char *b = s;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/') b = s + i + 1;
    *len = n - (size_t)(b - s);
    return b;
}

/* comm is cut at TASK_COMM_LEN - 1 bytes: a program named
 * "pscan-bar8-listener-full" shows as "pscan-bar8-list".  Take the whole
 * name from the executable's path, else from argv[0], when it starts with
 * comm (a name that does not is another thing: an interpreter, a process
 * that renamed itself); keep comm otherwise. */
static void full_name(const char *procdir, int pid, const char *comm, size_t ncomm, const char *cmdline,
                      size_t ncmd, ps_proc_info *out)
{
    char path[512], exe[512];
    size_t len;
    snprintf(path, sizeof path, "%s/%d/exe", procdir, pid);
    ssize_t n = readlink(path, exe, sizeof exe - 1);
    if (n > 0) {
        const char *b = base_of(exe, (size_t)n, &len);
        /* A deleted executable reads "/path/name (deleted)". */
        if (len > 10 && memcmp(b + len - 10, " (deleted)", 10) == 0) len -= 10;
        if (len > ncomm && memcmp(b, comm, ncomm) == 0) {
            ps_li_escape(b, len, out->name, sizeof out->name);
            out->name_source = "exe";
            return;
        }
    }
    size_t a0 = strnlen(cmdline, ncmd);
    const char *b = base_of(cmdline, a0, &len);
    if (len > ncomm && memcmp(b, comm, ncomm) == 0) {
        ps_li_escape(b, len, out->name, sizeof out->name);
        out->name_source = "cmdline";
    }
}

int ps_li_proc_fill(const char *procdir, int pid, ps_proc_info *out)
{
    char path[512], buf[LI_CMDLINE_READ];
    ssize_t n;
    uint32_t uid;

    out->pid = pid;
    out->name[0] = out->cmdline[0] = '\0';

    snprintf(path, sizeof path, "%s/%d/comm", procdir, pid);
    n = li_read_small(path, buf, 64);
    if (n < 0)
        return PS_ERUNTIME;
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    char comm[64] = "";
    size_t ncomm = (size_t)n;
    memcpy(comm, buf, ncomm);
    ps_li_escape(comm, ncomm, out->name, sizeof out->name);
    out->name_source = "comm";

    /* Kernel threads and zombies have an empty cmdline: leave it empty. */
    snprintf(path, sizeof path, "%s/%d/cmdline", procdir, pid);
    n = li_read_small(path, buf, sizeof buf);
    if (n > 0)
        ps_li_escape(buf, (size_t)n, out->cmdline, sizeof out->cmdline);
    if (ncomm == LI_COMM_CUT) full_name(procdir, pid, comm, ncomm, buf, n > 0 ? (size_t)n : 0, out);

    if (li_euid(procdir, pid, &uid) < 0)
        return PS_ERUNTIME;
    ps_li_user_name(uid, out->user, sizeof out->user);
    return PS_OK;
}
