/* test_privdrop.c: privdrop.c — the mask, the plan, and (as root, in a
 * forked child so the test process keeps its rights) both steps on a
 * process with a second thread, read back from /proc/self/task. */
#include <dirent.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pscan/privdrop.h"
#include "unit.h"

#define RAW_ADMIN ((1ULL << CAP_NET_RAW) | (1ULL << CAP_NET_ADMIN))

static void test_keep_mask(void)
{
    CHECK(ps_priv_keep_mask(~0ULL) == RAW_ADMIN, "full set");
    CHECK(ps_priv_keep_mask(0) == 0, "empty set");
    CHECK(ps_priv_keep_mask(1ULL << CAP_NET_RAW) == 1ULL << CAP_NET_RAW, "raw only");
    CHECK(ps_priv_keep_mask((1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_DAC_OVERRIDE)) == 0, "others dropped");
}

static void test_plan(void)
{
    ps_config c;
    ps_priv p;
    ps_err e = {{0}};
    memset(&c, 0, sizeof c);
    c.no_privdrop = 1;
    CHECK(ps_priv_plan(&p, &c, &e) == PS_OK && !p.enabled, "--no-privdrop disables");
    CHECK(ps_priv_to_user(&p, &e) == PS_OK && ps_priv_drop_all(&p, &e) == PS_OK, "disabled steps are no-ops");
    c.no_privdrop = 0;
    c.run_user = "no-such-user-pscan";
    CHECK(ps_priv_plan(&p, &c, &e) == PS_EINPUT, "unknown user");
    CHECK(strstr(e.msg, "no-such-user-pscan") != NULL, "message names it: %s", e.msg);
    if (geteuid() == 0) {
        c.run_user = "root";
        CHECK(ps_priv_plan(&p, &c, &e) == PS_EINPUT && strstr(e.msg, "--no-privdrop"), "root refused: %s", e.msg);
        c.run_user = NULL;
        CHECK(ps_priv_plan(&p, &c, &e) == PS_OK && p.change_user && p.uid != 0, "root goes to nobody");
        CHECK(ps_priv_changes_user(&p), "changes user");
    }
}

/* A "Key:\tvalue" field of /proc/self/task/TID/status, as a number. */
static unsigned long long task_field(const char *tid, const char *key, int base)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%s/status", tid);
    FILE *f = fopen(path, "r");
    unsigned long long v = ~0ULL;
    size_t n = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, n) == 0 && line[n] == ':') v = strtoull(line + n + 1, NULL, base);
    if (f) fclose(f);
    return v;
}

/* Every thread's CapPrm, CapEff and NoNewPrivs; the main thread's (the
 * one named by pid) may be main_want, the others none.  0 when so. */
static int threads_hold(unsigned long long main_want, unsigned uid_want)
{
    DIR *d = opendir("/proc/self/task");
    char self[32];
    snprintf(self, sizeof self, "%d", (int)getpid());
    int bad = 0, n = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        n++;
        unsigned long long want = strcmp(de->d_name, self) == 0 ? main_want : 0;
        bad |= task_field(de->d_name, "CapPrm", 16) != want;
        bad |= task_field(de->d_name, "CapEff", 16) != want;
        bad |= task_field(de->d_name, "CapInh", 16) != 0;
        bad |= task_field(de->d_name, "CapAmb", 16) != 0;
        bad |= task_field(de->d_name, "NoNewPrivs", 10) != 1;
        bad |= task_field(de->d_name, "Uid", 10) != uid_want;
    }
    if (d) closedir(d);
    return bad || n != 2;
}

static void *idle(void *arg)
{
    int fd = *(int *)arg;
    char c;
    while (read(fd, &c, 1) < 0) {} /* until the pipe closes; EINTR from the broadcast */
    return NULL;
}

/* Child: a second thread, then both steps.  Exit status: the step that
 * went wrong (0: none). */
static int child(void)
{
    int pfd[2];
    pthread_t th;
    if (pipe(pfd) != 0 || pthread_create(&th, NULL, idle, &pfd[0]) != 0) return 10;
    ps_config c;
    ps_priv p;
    ps_err e;
    memset(&c, 0, sizeof c);
    if (ps_priv_plan(&p, &c, &e)) return 11;
    if (ps_priv_to_user(&p, &e)) return 12;
    if (threads_hold(RAW_ADMIN, p.uid)) return 13;
    if (ps_priv_drop_all(&p, &e)) return 14;
    if (threads_hold(0, p.uid)) return 15;
    if (ps_priv_drop_all(&p, &e)) return 16; /* idempotent */
    close(pfd[1]);
    pthread_join(th, NULL);
    return 0;
}

static void test_steps_every_thread(void)
{
    if (geteuid() != 0) {
        printf("# skipped: needs root\n");
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(child());
    int st = -1;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid, "fork");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child failed at step %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void)
{
    RUN(test_keep_mask);
    RUN(test_plan);
    RUN(test_steps_every_thread);
    return UNIT_END();
}
