/* test_report.c: the report's batch hand-over and the TCP+UDP hold.
 *
 * The same outcomes reported one by one (ps_report_port) and in batches
 * (ps_report_ports) must give the same host lines, duplicates included
 * (the first answer for a port wins).  While held, nothing is emitted. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pscan/cli.h"
#include "pscan/report.h"
#include "unit.h"

enum { NHOSTS = 4, NPORTS = 20, NEVENTS = 300 };

/* The "host" lines of a JSON Lines file, without their timestamps. */
static char *host_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t cap = 1 << 16, n = 0;
    char *out = calloc(1, cap), line[8192];
    while (f && out && fgets(line, sizeof line, f)) {
        if (!strstr(line, "\"type\":\"host\"")) continue;
        char *t = strstr(line, "\"time\":\"");
        if (t) memset(t + 8, 'x', 24); /* "2026-11-22T02:44:14.313Z" */
        size_t len = strlen(line);
        if (n + len + 1 > cap) break;
        memcpy(out + n, line, len + 1);
        n += len;
    }
    if (f) fclose(f);
    return out;
}

/* Run the events through a fresh report, batched or not; returns the host
 * lines.  emitted_while_held: host lines written before the hold ended. */
static char *run(const ps_port_event *ev, size_t n, size_t batch, int hold, size_t *emitted_while_held)
{
    char path[] = "/tmp/pscan-test-report-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    close(fd);
    char *argv[] = {"pscan", "-sT", "-n", "-Pn", "-p", "1-20", "--no-local-info", "-oJ", path, "198.18.0.0/30", NULL};
    ps_cli cli;
    ps_err e;
    char *lines = NULL;
    if (ps_cli_parse(&cli, 10, argv, &e) != PS_OK) {
        CHECK(0, "parse: %s", e.msg);
        unlink(path);
        return NULL;
    }
    /* The normal report goes to standard output: keep it out of TAP. */
    fflush(stdout);
    int saved = dup(1), null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    ps_report *r = ps_report_new(&cli.cfg, cli.targets, &cli.ports, &e);
    if (r) {
        ps_report_begin(r, "connect", 10, argv);
        ps_report_hold(r, hold);
        for (size_t i = 0; i < n; i += batch) {
            size_t k = n - i < batch ? n - i : batch;
            if (batch == 1)
                ps_report_port(r, ev[i].host, ev[i].port_idx, (enum ps_state)ev[i].state,
                               (enum ps_reason)ev[i].reason, ev[i].ttl, ev[i].rtt_s);
            else
                ps_report_ports(r, ev + i, k);
        }
        ps_report_hosts_done(r, NHOSTS - 1);
        ps_report_skip_hosts(r, NHOSTS);
        fflush(NULL);
        char *before = host_lines(path);
        *emitted_while_held = 0;
        for (char *p = before; p && (p = strchr(p, '\n')); p++) (*emitted_while_held)++;
        free(before);
        ps_report_hold(r, 0);
        ps_report_hosts_done(r, NHOSTS - 1);
        ps_report_finish(r);
        ps_report_free(r);
        lines = host_lines(path);
    } else {
        CHECK(0, "report: %s", e.msg);
    }
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(null);
    ps_cli_free(&cli);
    unlink(path);
    return lines;
}

static void test_batch_equals_single(void)
{
    static const uint8_t states[] = {PS_ST_OPEN, PS_ST_CLOSED, PS_ST_FILTERED};
    static const uint8_t reasons[] = {PS_R_SYN_ACK, PS_R_RESET, PS_R_ADMIN_PROHIBITED, PS_R_HOST_UNREACH};
    ps_port_event ev[NEVENTS];
    unsigned seed = 11;
    for (size_t i = 0; i < NEVENTS; i++) {
        uint8_t st = states[rand_r(&seed) % 3];
        ev[i] = (ps_port_event){
            .host = (uint64_t)(rand_r(&seed) % NHOSTS),
            .port_idx = (uint32_t)(rand_r(&seed) % NPORTS),
            .state = st,
            .reason = st == PS_ST_OPEN ? PS_R_SYN_ACK : reasons[1 + rand_r(&seed) % 3],
            .ttl = (int16_t)(rand_r(&seed) % 128),
            .rtt_s = (float)(rand_r(&seed) % 1000) / 1e4f,
        };
    }
    size_t held;
    char *one = run(ev, NEVENTS, 1, 0, &held);
    for (size_t batch = 2; batch <= 512; batch *= 4) {
        char *many = run(ev, NEVENTS, batch, 0, &held);
        CHECK(one && many && strcmp(one, many) == 0, "batches of %zu give the same hosts as one by one", batch);
        free(many);
    }
    CHECK(one && strstr(one, "\"state\":\"open\""), "some ports came out open");
    free(one);
}

static void test_hold(void)
{
    ps_port_event ev[] = {{.host = 0, .port_idx = 3, .state = PS_ST_OPEN, .reason = PS_R_SYN_ACK, .rtt_s = -1},
                          {.host = 2, .port_idx = 5, .state = PS_ST_CLOSED, .reason = PS_R_RESET, .rtt_s = -1}};
    size_t held = 99, free_run = 99;
    char *a = run(ev, 2, 2, 1, &held);
    char *b = run(ev, 2, 2, 0, &free_run);
    CHECK(held == 0, "nothing is written while held (%zu host lines)", held);
    CHECK(free_run == NHOSTS, "without the hold, hosts_done writes all %d (%zu)", NHOSTS, free_run);
    CHECK(a && b && strcmp(a, b) == 0, "after the hold the same hosts come out");
    free(a);
    free(b);
}

int main(void)
{
    RUN(test_batch_equals_single);
    RUN(test_hold);
    return UNIT_END();
}
