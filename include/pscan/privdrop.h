/* privdrop.h: giving up root, in two steps.
 *
 * pscan needs rights for a short while only: host discovery and the SYN
 * scan open raw sockets and a capture handle, and the local-info snapshot
 * reads other users' /proc/PID/fd.  Everything after that (sending through
 * already-open handles, talking to services for -sV, writing the outputs)
 * needs none, and it is where pscan parses what hostile servers send.  So:
 *
 *   ps_priv p;
 *   ps_priv_plan(&p, &cfg, &e);     // early: resolve --user, change nothing
 *   ... discovery, outputs, local-info snapshot, probe files ...
 *   ps_priv_to_user(&p, &e);        // root: become the user (default
 *                                   // "nobody") keeping only CAP_NET_RAW and
 *                                   // CAP_NET_ADMIN; not root: keep the uid,
 *                                   // reduce to those two
 *   ... the port scan engine opens its sender and capture handle ...
 *   ps_priv_drop_all(&p, &e);       // no capability left, in any thread
 *
 * Both steps act on every thread of the process, not only the caller's:
 * credentials are per thread in Linux, and the -sV engine's thread, which
 * parses service replies, must not keep what the main thread gives up.
 * Both also set no_new_privs, so no later exec can gain rights.  Call them
 * from the thread that creates threads, while it creates none.
 *
 * With --no-privdrop both steps do nothing (the process keeps what it was
 * started with).  Where this is documented for users: docs/security.md,
 * "Privileges". */
#ifndef PSCAN_PRIVDROP_H
#define PSCAN_PRIVDROP_H

#include <sys/types.h>

#include "pscan/config.h"
#include "pscan/err.h"

enum ps_priv_stage {
    PS_PRIV_PLANNED, /* nothing changed yet */
    PS_PRIV_USER,    /* to_user done: raw-socket rights only */
    PS_PRIV_NONE,    /* drop_all done: no capability left */
};

typedef struct ps_priv {
    int enabled;         /* 0: --no-privdrop, every step is a no-op */
    int change_user;     /* euid 0 now: to_user switches to uid/gid */
    uid_t uid;           /* the user after to_user */
    gid_t gid;
    char user[64];       /* its name, for messages */
    enum ps_priv_stage stage;
} ps_priv;

/* Decide, change nothing (but unblock the signal the steps use, so call it
 * before making threads).  PS_EINPUT for an unknown --user, for --user
 * naming root, or for --user naming someone else when pscan is not root. */
int ps_priv_plan(ps_priv *p, const ps_config *cfg, ps_err *e);

/* 1 when to_user will change the process's uid: then nothing created after
 * it (a file in a root-owned directory, say) may be possible any more. */
int ps_priv_changes_user(const ps_priv *p);

/* Step one (see above).  PS_ERUNTIME if any part fails or does not hold
 * (a check that root cannot be regained); the process must then not go on,
 * because it may be half-dropped. */
int ps_priv_to_user(ps_priv *p, ps_err *e);

/* Step two: clear the permitted, effective, inheritable and ambient sets of
 * every thread.  Idempotent; also valid without step one (it then skips
 * the change of user). */
int ps_priv_drop_all(ps_priv *p, ps_err *e);

/* The bits CAP_NET_RAW | CAP_NET_ADMIN within a 64-bit capability mask
 * (as /proc/PID/status prints them), intersected with have: what to_user
 * keeps of a permitted set.  Pure; for the tests. */
unsigned long long ps_priv_keep_mask(unsigned long long have);

#endif
