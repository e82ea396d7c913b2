/* test_resume.c: the resume file's round trip and life (resume.h).
 *
 * A saved state reads back field for field, arguments with '%' and new
 * lines included, mode 0600, with no temporary file left; a finished one
 * is renamed PATH.done and refused, and so is the gone PATH (pointing at
 * PATH.done); damaged files (a position beyond its end, format 1, no
 * arguments) are refused naming the problem. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pscan/resume.h"
#include "unit.h"

static char dir[] = "/tmp/pscan-test-resume-XXXXXX";

static void path_in(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static ps_resume_state sample(void)
{
    ps_resume_state st = {.seed = 18446744073709551615ull, .hosts = 256, .nphases = 2};
    st.phase[0] = (ps_resume_phase){"syn", 655360, 1024000, 655360};
    st.phase[1] = (ps_resume_phase){"udp", 0, 256, 0};
    return st;
}

static void test_round_trip(void)
{
    char path[256], tmp[300];
    char *argv[] = {"./pscan", "-p", "1-1000", "odd%arg\nwith a new line", NULL};
    path_in(path, sizeof path, "pscan.resume");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ps_resume_out o;
    ps_err e = {{0}};
    ps_resume_out_init(&o, path, 4, argv);
    ps_resume_state st = sample();
    CHECK(ps_resume_out_save(&o, &st, &e) == PS_OK, "%s", e.msg);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "mode %o", sb.st_mode & 0777);
    CHECK(access(tmp, F_OK) != 0, "no temporary file left");
    ps_resume r;
    CHECK(ps_resume_load(path, &r, &e) == PS_OK, "%s", e.msg);
    CHECK(r.st.seed == st.seed && r.st.hosts == 256 && r.st.nphases == 2, "head");
    CHECK(strcmp(r.st.phase[0].engine, "syn") == 0 && r.st.phase[0].done == 655360 && r.st.phase[0].units == 1024000 &&
              r.st.phase[0].pairs == 655360, "phase 0");
    CHECK(strcmp(r.st.phase[1].engine, "udp") == 0 && r.st.phase[1].units == 256, "phase 1");
    CHECK(r.argc == 4 && strcmp(r.argv[3], argv[3]) == 0 && strcmp(r.argv[0], "./pscan") == 0, "arguments");
    ps_resume_free(&r);

    /* Saved again (a resumed run stopped again): the new state replaces it. */
    st.phase[1].done = 100;
    CHECK(ps_resume_out_save(&o, &st, &e) == PS_OK, "%s", e.msg);
    CHECK(ps_resume_load(path, &r, &e) == PS_OK && r.st.phase[1].done == 100, "saved over");
    ps_resume_free(&r);

    /* Finished: renamed PATH.done, marked, and refused either way. */
    char done[300];
    snprintf(done, sizeof done, "%s.done", path);
    CHECK(ps_resume_out_finish(&o, &st, &e) == PS_OK, "%s", e.msg);
    CHECK(access(path, F_OK) != 0 && access(done, F_OK) == 0, "renamed");
    CHECK(ps_resume_load(done, &r, &e) == PS_EINPUT && strstr(e.msg, "that scan finished at "), "%s", e.msg);
    CHECK(ps_resume_load(path, &r, &e) == PS_EINPUT && strstr(e.msg, "its scan finished: see"), "%s", e.msg);
    ps_resume_out_close(&o);
    unlink(done);
}

static void bad_file(const char *text, const char *want)
{
    char path[256];
    path_in(path, sizeof path, "bad.resume");
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
    ps_resume r;
    ps_err e = {{0}};
    CHECK(ps_resume_load(path, &r, &e) == PS_EINPUT && strstr(e.msg, want), "'%s' lacks '%s'", e.msg, want);
    unlink(path);
}

static void test_damaged(void)
{
    bad_file("pscan-resume 2\nstate interrupted\nseed 1\nhosts 1\nphase connect 2 1 0\narg pscan\n", "beyond its end");
    bad_file("pscan-resume 1\nengine syn\nseed 1\ndone 0\nhosts 1\narg pscan\n", "older pscan");
    bad_file("pscan-resume 2\nstate interrupted\nseed 1\nhosts 1\n", "incomplete");
    bad_file("pscan-resume 2\nstate maybe\nseed 1\nhosts 1\narg pscan\n", "bad line");
    bad_file("pscan-resume 2\nstate interrupted\nseed 1\nhosts 1\nphase syn 1 2\narg pscan\n", "bad line");
    bad_file("hello\n", "not a pscan resume file");
}

int main(void)
{
    if (!mkdtemp(dir)) return 1;
    RUN(test_round_trip);
    RUN(test_damaged);
    rmdir(dir);
    return UNIT_END();
}
