/* unit.h: the smallest test harness that does the job.
 *
 * A test file defines functions `static void test_x(void)` and a main()
 * that calls RUN(test_x) for each, then returns UNIT_END().  Every RUN prints
 * one TAP-style line, "ok - test_x" or "not ok - test_x", which tests/run.sh
 * counts; a failed CHECK also prints where and why. */
#ifndef PSCAN_UNIT_H
#define PSCAN_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed_checks;
static int unit_tests_failed;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            unit_failed_checks++;                                           \
            printf("#   %s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            printf(__VA_ARGS__);                                            \
            printf("\n");                                                   \
        }                                                                   \
    } while (0)

#define CHECK_STR(got, want)                                                \
    CHECK((got) && strcmp((got), (want)) == 0, "got '%s', want '%s'",       \
          (got) ? (got) : "(null)", (want))

#define RUN(fn)                                                             \
    do {                                                                    \
        int before_ = unit_failed_checks;                                   \
        fn();                                                               \
        if (unit_failed_checks == before_)                                  \
            printf("ok - %s\n", #fn);                                       \
        else {                                                              \
            printf("not ok - %s\n", #fn);                                   \
            unit_tests_failed++;                                            \
        }                                                                   \
        fflush(stdout);                                                     \
    } while (0)

#define UNIT_END() (unit_tests_failed ? 1 : 0)

#endif
