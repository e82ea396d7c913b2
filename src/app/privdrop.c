/* privdrop.c: giving up root in two steps (see privdrop.h).
 *
 * Linux keeps credentials (uids, gids, capability sets, no_new_privs) per
 * thread.  glibc hides that for set*id(): it makes every thread run the
 * same call (its "setxid broadcast").  Nothing does the same for capset()
 * or prctl(), which act on the calling thread only.  So a thread started
 * before the drop (the -sV engine's, which parses what services send)
 * would keep the rights the main thread gave up.  Hence each_thread(): it
 * queues a real-time signal to every other thread of the process
 * (rt_tgsigqueueinfo), whose handler applies the same capability sets and
 * no_new_privs in that thread and counts itself done.  The request travels
 * as the signal's value (a pointer to the caller's stack), so nothing is
 * global; the handler is installed only for the broadcast.  The threads of
 * pscan block no real-time signal and retry interrupted waits, so each
 * answers within microseconds; a thread that does not answer within a
 * second fails the drop rather than leaving rights behind.
 *
 * Root to user, in order: PR_SET_KEEPCAPS (so the main thread's permitted
 * set survives the change of uid), setgroups/setresgid/setresuid (glibc
 * applies them to every thread; threads other than the caller lose every
 * capability there, having no KEEPCAPS), then capset in the main thread
 * to NET_RAW + NET_ADMIN, then the broadcast of "none" to the others, then
 * the checks: every uid and gid is the user's, and setuid(0) fails.  The
 * process also becomes non-dumpable (the kernel does that on a change of
 * uid), so other processes of that user cannot ptrace it or read its
 * /proc/PID/fd.
 *
 * The capability bounding set is left alone: no_new_privs already keeps
 * execve() from granting anything, and pscan never execs. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pscan/caps.h"
#include "pscan/privdrop.h"

#define KEEP_BITS ((1ULL << CAP_NET_RAW) | (1ULL << CAP_NET_ADMIN))
/* Our broadcast signal.  glibc keeps the first real-time signals for itself
 * (SIGRTMIN is past them); nothing else in pscan uses real-time signals. */
#define PRIV_SIGNAL (SIGRTMIN + 4)
#define BROADCAST_WAIT_MS 1000

unsigned long long ps_priv_keep_mask(unsigned long long have)
{
    return have & KEEP_BITS;
}

/* ---- this thread ---------------------------------------------------------- */

/* Set this thread's permitted and effective sets (inheritable: empty),
 * clear its ambient set, set no_new_privs.  Only system calls: it also
 * runs in the signal handler.  0, or -1 with errno. */
static int apply_here(uint64_t permitted, uint64_t effective)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {
        {(uint32_t)effective, (uint32_t)permitted, 0},
        {(uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), 0},
    };
    if (syscall(SYS_capset, &hdr, d) != 0) return -1;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return 0;
}

/* ---- every other thread ------------------------------------------------ */

struct broadcast {
    uint64_t permitted, effective;
    int done;   /* threads that ran the handler (atomic) */
    int failed; /* of which apply_here failed (atomic) */
    int err;    /* the last failure's errno */
};

static void on_broadcast(int sig, siginfo_t *si, void *uctx)
{
    (void)sig;
    (void)uctx;
    struct broadcast *b = si->si_code == SI_QUEUE && si->si_pid == getpid() ? si->si_value.sival_ptr : NULL;
    if (!b) return;
    int saved = errno;
    if (apply_here(b->permitted, b->effective) != 0) {
        __atomic_store_n(&b->err, errno, __ATOMIC_RELAXED);
        __atomic_add_fetch(&b->failed, 1, __ATOMIC_RELAXED);
    }
    __atomic_add_fetch(&b->done, 1, __ATOMIC_RELEASE);
    errno = saved;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static int each_other_thread(uint64_t permitted, uint64_t effective, ps_err *e)
{
    struct broadcast b = {permitted, effective, 0, 0, 0};
    pid_t pid = getpid(), self = (pid_t)syscall(SYS_gettid);
    DIR *dir = opendir("/proc/self/task");
    if (!dir) return ps_fail(e, PS_ERUNTIME, "cannot list this process's threads: %s", strerror(errno));
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_broadcast;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigfillset(&sa.sa_mask);
    if (sigaction(PRIV_SIGNAL, &sa, &old) != 0) {
        closedir(dir);
        return ps_fail(e, PS_ERUNTIME, "cannot install the privilege broadcast handler: %s", strerror(errno));
    }
    int sent = 0, r = PS_OK;
    struct dirent *de;
    while (r == PS_OK && (de = readdir(dir))) {
        char *end;
        long tid = strtol(de->d_name, &end, 10);
        if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || tid <= 0 || tid == self) continue;
        siginfo_t si;
        memset(&si, 0, sizeof si);
        si.si_signo = PRIV_SIGNAL;
        si.si_code = SI_QUEUE;
        si.si_pid = pid;
        si.si_uid = getuid();
        si.si_value.sival_ptr = &b;
        if (syscall(SYS_rt_tgsigqueueinfo, pid, (pid_t)tid, PRIV_SIGNAL, &si) == 0) sent++;
        else if (errno != ESRCH) /* ESRCH: the thread ended meanwhile */
            r = ps_fail(e, PS_ERUNTIME, "cannot reach thread %ld to drop its rights: %s", tid, strerror(errno));
    }
    closedir(dir);
    for (int waited = 0; __atomic_load_n(&b.done, __ATOMIC_ACQUIRE) < sent && waited < BROADCAST_WAIT_MS; waited++)
        sleep_ms(1);
    int done = __atomic_load_n(&b.done, __ATOMIC_ACQUIRE);
    if (done < sent) {
        /* A late handler would write to b, gone by then: ignoring the
         * signal discards it wherever it is still pending. */
        sa.sa_handler = SIG_IGN;
        sa.sa_flags = 0;
        sigaction(PRIV_SIGNAL, &sa, NULL);
        return r ? r : ps_fail(e, PS_ERUNTIME, "%d of %d threads did not drop their rights within %d ms",
                               sent - done, sent, BROADCAST_WAIT_MS);
    }
    sigaction(PRIV_SIGNAL, &old, NULL);
    if (r) return r;
    if (b.failed)
        return ps_fail(e, PS_ERUNTIME, "%d thread%s could not drop their rights: %s", b.failed,
                       b.failed == 1 ? "" : "s", strerror(b.err));
    return PS_OK;
}

/* ---- the steps ----------------------------------------------------------- */

int ps_priv_plan(ps_priv *p, const ps_config *cfg, ps_err *e)
{
    memset(p, 0, sizeof *p);
    p->stage = PS_PRIV_PLANNED;
    if (cfg->no_privdrop) return PS_OK;
    p->enabled = 1;
    /* A signal mask inherited from our parent could block the broadcast;
     * threads made from now on inherit this one's mask. */
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, PRIV_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &ss, NULL);
    uid_t ruid, euid, suid;
    if (getresuid(&ruid, &euid, &suid) != 0) return ps_fail(e, PS_ERUNTIME, "getresuid: %s", strerror(errno));
    /* Any uid 0 (a set-uid root binary too) counts as root: a saved uid 0
     * could be taken back. */
    p->change_user = ruid == 0 || euid == 0 || suid == 0;
    const char *name = cfg->run_user ? cfg->run_user : "nobody";
    const struct passwd *pw = NULL;
    if (p->change_user || cfg->run_user) {
        pw = getpwnam(name);
        char *end;
        unsigned long n = strtoul(name, &end, 10);
        if (!pw && name[0] >= '0' && name[0] <= '9' && !*end && n < (unsigned long)(uid_t)-1) pw = getpwuid((uid_t)n);
        if (!pw && cfg->run_user) return ps_fail(e, PS_EINPUT, "--user: no user '%s' on this system", name);
        if (!pw)
            return ps_fail(e, PS_EINPUT, "cannot drop root: there is no user 'nobody' here "
                           "(name one with --user, or keep root with --no-privdrop)");
        if (pw->pw_uid == 0)
            return ps_fail(e, PS_EINPUT, "--user: '%s' is root (uid 0); to keep root, use --no-privdrop", name);
    }
    if (!p->change_user) {
        if (pw && pw->pw_uid != euid)
            return ps_fail(e, PS_EINPUT, "--user %s: only root can change user (pscan runs as uid %u)", name,
                           (unsigned)euid);
        p->uid = euid;
        p->gid = getegid();
        const struct passwd *me = getpwuid(euid);
        snprintf(p->user, sizeof p->user, "%s", me ? me->pw_name : "(this user)");
        return PS_OK;
    }
    p->uid = pw->pw_uid;
    p->gid = pw->pw_gid;
    snprintf(p->user, sizeof p->user, "%s", pw->pw_name);
    return PS_OK;
}

int ps_priv_changes_user(const ps_priv *p)
{
    return p->enabled && p->change_user && p->stage == PS_PRIV_PLANNED;
}

static int become_user(const ps_priv *p, ps_err *e)
{
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
        return ps_fail(e, PS_ERUNTIME, "cannot drop root: PR_SET_KEEPCAPS: %s", strerror(errno));
    if (setgroups(0, NULL) != 0 || setresgid(p->gid, p->gid, p->gid) != 0 || setresuid(p->uid, p->uid, p->uid) != 0)
        return ps_fail(e, PS_ERUNTIME, "cannot become user %s (uid %u): %s", p->user, (unsigned)p->uid,
                       strerror(errno));
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    return PS_OK;
}

/* The change must hold: every id is the user's and root cannot come back.
 * The test call is the raw system call, which acts on this thread only,
 * not glibc's setuid(), which would make every thread try it. */
static int check_user(const ps_priv *p, ps_err *e)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != p->uid || eu != p->uid ||
        su != p->uid || rg != p->gid || eg != p->gid || sg != p->gid || getgroups(0, NULL) != 0)
        return ps_fail(e, PS_ERUNTIME, "the change to user %s did not hold", p->user);
    if (syscall(SYS_setuid, 0) == 0 || syscall(SYS_setgid, 0) == 0)
        return ps_fail(e, PS_ERUNTIME, "root could be regained after the change to user %s", p->user);
    return PS_OK;
}

int ps_priv_to_user(ps_priv *p, ps_err *e)
{
    if (!p->enabled || p->stage != PS_PRIV_PLANNED) return PS_OK;
    int r;
    if (p->change_user && (r = become_user(p, e))) return r;
    uint64_t have;
    if (ps_caps_get(NULL, &have) != 0) return ps_fail(e, PS_ERUNTIME, "capget: %s", strerror(errno));
    uint64_t keep = ps_priv_keep_mask(have);
    if (apply_here(keep, keep) != 0)
        return ps_fail(e, PS_ERUNTIME, "cannot reduce the capabilities to CAP_NET_RAW and CAP_NET_ADMIN: %s",
                       strerror(errno));
    if ((r = each_other_thread(0, 0, e))) return r;
    if (p->change_user && (r = check_user(p, e))) return r;
    p->stage = PS_PRIV_USER;
    return PS_OK;
}

int ps_priv_drop_all(ps_priv *p, ps_err *e)
{
    if (!p->enabled || p->stage == PS_PRIV_NONE) return PS_OK;
    if (apply_here(0, 0) != 0) return ps_fail(e, PS_ERUNTIME, "cannot drop the last capabilities: %s", strerror(errno));
    int r = each_other_thread(0, 0, e);
    if (r) return r;
    p->stage = PS_PRIV_NONE;
    return PS_OK;
}
