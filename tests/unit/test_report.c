/* test_report.c: the report's batch hand-over, the TCP+UDP hold, coverage.
 *
 * The same outcomes reported one by one (ps_report_port) and in batches
 * (ps_report_ports) must give the same host lines, duplicates included
 * (the first answer for a port wins).  While held, nothing is emitted.
 * Pairs of another shard, of an earlier run and those a stop left are
 * counted per host and in the summary, and never shown. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pscan/cli.h"
#include "pscan/permute.h"
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
        ps_report_begin(r, "connect", &(ps_scan_id){.nshards = 1, .run = 1}, 10, argv);
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

/* ---- coverage: what a run did not scan is counted, never shown ------------ */

/* One line's number after "KEY": in the JSON Lines text, from *at on; -1 if absent. */
static long long num_after(const char *text, const char *key)
{
    const char *p = text ? strstr(text, key) : NULL;
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* A -sT report of 4 hosts x 20 ports, --shard 1/2 (seed 3): every pair of
 * the slice answered closed, 5/tcp of each host open (when in the slice).
 * cover(r) sets the coverage; the file's text is returned. */
static char *cover_run(void (*cover)(ps_report *r), int stopped)
{
    char path[] = "/tmp/pscan-test-cover-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    close(fd);
    char *argv[] = {"pscan", "-sT", "-n", "-p", "1-20", "--shard", "1/2", "--seed", "3", "--no-local-info",
                    "-oN", "-", "-oJ", path, "198.18.0.0/30", NULL};
    ps_cli cli;
    ps_err e;
    char *text = NULL;
    if (ps_cli_parse(&cli, 15, argv, &e) != PS_OK) {
        CHECK(0, "parse: %s", e.msg);
        unlink(path);
        return NULL;
    }
    /* The normal report goes to standard output: keep it out of TAP. */
    fflush(stdout);
    int saved = dup(1), null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    ps_report *r = ps_report_new(&cli.cfg, cli.targets, &cli.ports, &e);
    ps_slice sl;
    ps_slice_init(&sl, NHOSTS * NPORTS, 3, 0, 2, &e);
    if (r) {
        ps_report_begin(r, "connect", &(ps_scan_id){.nshards = 1, .run = 1}, 15, argv);
        cover(r);
        for (uint64_t h = 0; h < NHOSTS; h++)
            for (size_t p = 0; p < NPORTS; p++)
                if (ps_slice_has(&sl, h * NPORTS + p))
                    ps_report_port(r, h, p, p == 4 ? PS_ST_OPEN : PS_ST_CLOSED, PS_R_RESET, -1, -1);
        if (stopped) ps_report_stopped(r, 0);
        ps_report_hosts_done(r, NHOSTS - 1);
        ps_report_finish(r);
        ps_report_free(r);
        FILE *f = fopen(path, "r");
        size_t cap = 1 << 16;
        text = calloc(1, cap);
        if (f && text) text[fread(text, 1, cap - 1, f)] = 0;
        if (f) fclose(f);
    }
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(null);
    ps_cli_free(&cli);
    unlink(path);
    return text;
}

static void whole_hosts(ps_report *r)
{
    ps_err e;
    CHECK(ps_report_cover(r, PS_TCP, 1, 3, 0, 0, &e) == PS_OK, "%s", e.msg);
    ps_report_cover_done(r, PS_TCP, NHOSTS);
}

static void stop_at_host_2(ps_report *r)
{
    ps_err e;
    CHECK(ps_report_cover(r, PS_TCP, 1, 3, 1, 7, &e) == PS_OK, "%s", e.msg);
    ps_report_cover_stop(r, PS_TCP, 2);
}

static void positions_10_to_30(ps_report *r)
{
    ps_err e;
    CHECK(ps_report_cover(r, PS_TCP, 0, 3, 10, 0, &e) == PS_OK, "%s", e.msg);
    ps_report_cover_done(r, PS_TCP, 30);
}

static void test_cover(void)
{
    ps_slice sl;
    ps_err e;
    ps_slice_init(&sl, NHOSTS * NPORTS, 3, 0, 2, &e);
    uint64_t in[NHOSTS] = {0};
    for (uint64_t x = 0; x < NHOSTS * NPORTS; x++) in[x / NPORTS] += ps_slice_has(&sl, x);

    /* The shard alone: each host shows its pairs of the slice, counts the rest. */
    char *t = cover_run(whole_hosts, 0);
    CHECK(t && sl.count == 40, "slice of %llu", (unsigned long long)sl.count);
    const char *h = t;
    for (uint64_t i = 0; h && i < NHOSTS; i++) {
        h = strstr(h, "\"type\":\"host\"");
        CHECK(h && num_after(h, "\"scanned\":") == (long long)in[i], "host %llu: scanned %lld, want %llu",
              (unsigned long long)i, h ? num_after(h, "\"scanned\":") : -1, (unsigned long long)in[i]);
        CHECK(h && num_after(h, "\"reason\":\"other-shard\",\"count\":") == (long long)(NPORTS - in[i]),
              "host %llu: other-shard", (unsigned long long)i);
        if (h) h++;
    }
    CHECK(num_after(t, "\"pairs\":") == 80 && num_after(t, "\"other-shard\":") == 40 &&
              num_after(t, "\"interrupted\":0") == 0 && strstr(t, "\"interrupted\":false"),
          "summary: %s", t ? strstr(t, "\"type\":\"summary\"") : "-");
    free(t);

    /* Resumed at host 1 (7 pairs before), stopped at host 2: only host 1 is shown. */
    t = cover_run(stop_at_host_2, 1);
    size_t hosts = 0;
    for (h = t; h && (h = strstr(h, "\"type\":\"host\"")); h++) hosts++;
    CHECK(hosts == 1 && strstr(t, "\"host\":\"198.18.0.1\""), "%zu host lines", hosts);
    CHECK(num_after(t, "\"earlier-run\":") == 7 && num_after(t, "\"other-shard\":") == 40, "summary");
    CHECK(num_after(t, "\"interrupted\":") == (long long)(40 - 7 - in[1]) && strstr(t, "\"interrupted\":true"),
          "interrupted: %lld, want %llu", num_after(t, "\"interrupted\":"), (unsigned long long)(40 - 7 - in[1]));
    free(t);

    /* Positions [10, 30) of the slice: 20 pairs shown, 10 earlier, 10 left. */
    t = cover_run(positions_10_to_30, 0);
    long long shown = 0;
    for (h = t; h && (h = strstr(h, "\"type\":\"host\"")); h++) shown += num_after(h, "\"scanned\":");
    CHECK(shown == 20, "%lld pairs shown", shown);
    CHECK(num_after(t, "\"earlier-run\":") == 10 && num_after(t, "\"interrupted\":") == 10, "summary");
    CHECK(t && strstr(t, "\"interrupted\":false"), "no stop was asked: not an interrupted run");
    free(t);
}

int main(void)
{
    RUN(test_batch_equals_single);
    RUN(test_hold);
    RUN(test_cover);
    return UNIT_END();
}
