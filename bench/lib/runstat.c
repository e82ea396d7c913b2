/* runstat.c: run one command and measure it, for bench/run.sh.
 *
 *   runstat [-t SECONDS] [-c COUNTER_FILE] -- CMD [ARG...]
 *
 * Runs CMD (stdin, stdout and stderr inherited) and prints one line on
 * stderr when it has ended:
 *
 *   runstat: wall=S user=S sys=S maxrss_kb=N status=N timeout=0|1
 *            first=S last=S counted=N
 *
 * wall is CLOCK_MONOTONIC from fork to reaping; user, sys and maxrss_kb
 * come from wait4's rusage of CMD (RSS is the peak of the largest process
 * CMD left, which for these tools is the scanner itself).
 *
 * -c names a counter file such as /sys/class/net/IF/statistics/tx_packets.
 * While CMD runs it is read every millisecond; first and last are the
 * times (from the fork) at which it first and last changed, so last -
 * first is the tool's sending phase, apart from its start-up and its wait
 * for late replies; counted is how much it grew.
 *
 * -t (default 300) bounds the run: SIGINT at the deadline, SIGKILL 3 s
 * later.  Exit status: CMD's (128 + signal if killed), 125 for our own
 * errors. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double rs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The counter's value, or -1 if it cannot be read. */
static long long rs_read_counter(int fd)
{
    char buf[64];
    if (fd < 0) return -1;
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) return -1;
    buf[n] = 0;
    return strtoll(buf, NULL, 10);
}

static double rs_tv(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    double limit = 300;
    const char *counter = NULL;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc) {
            char *end;
            limit = strtod(argv[++i], &end);
            if (*end || limit <= 0 || limit > 3600) {
                fprintf(stderr, "runstat: bad -t '%s' (0 < SECONDS <= 3600)\n", argv[i]);
                return 125;
            }
        } else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
            counter = argv[++i];
        } else {
            fprintf(stderr, "usage: runstat [-t SECONDS] [-c COUNTER_FILE] -- CMD [ARG...]\n");
            return 125;
        }
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "usage: runstat [-t SECONDS] [-c COUNTER_FILE] -- CMD [ARG...]\n");
        return 125;
    }
    char **cmd = argv + i + 1;
    int cfd = -1;
    if (counter && (cfd = open(counter, O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "runstat: %s: %s\n", counter, strerror(errno));
        return 125;
    }
    long long c0 = rs_read_counter(cfd), clast = c0;
    double t0 = rs_now(), first = -1, last = -1;
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "runstat: fork: %s\n", strerror(errno));
        return 125;
    }
    if (pid == 0) {
        if (cfd >= 0) close(cfd);
        execvp(cmd[0], cmd);
        fprintf(stderr, "runstat: %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    int status = 0, timed_out = 0, killed = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    for (;;) {
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) {
            fprintf(stderr, "runstat: wait4: %s\n", strerror(errno));
            return 125;
        }
        double t = rs_now() - t0;
        long long c = rs_read_counter(cfd);
        if (c >= 0 && c != clast) {
            if (first < 0) first = t;
            last = t;
            clast = c;
        }
        if (!timed_out && t > limit) {
            timed_out = 1;
            kill(pid, SIGINT);
        } else if (timed_out && !killed && t > limit + 3) {
            killed = 1;
            kill(pid, SIGKILL);
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    double wall = rs_now() - t0;
    long long c = rs_read_counter(cfd);
    if (c >= 0 && c != clast) {
        if (first < 0) first = wall;
        last = wall;
        clast = c;
    }
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(stderr, "runstat: wall=%.4f user=%.3f sys=%.3f maxrss_kb=%ld status=%d timeout=%d "
            "first=%.4f last=%.4f counted=%lld\n",
            wall, rs_tv(ru.ru_utime), rs_tv(ru.ru_stime), ru.ru_maxrss, rc, timed_out,
            first, last, c0 >= 0 ? clast - c0 : -1);
    return rc;
}
