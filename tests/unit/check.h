/* check.h - the smallest test harness: CHECK records a failure and goes on;
 * check_done() prints "N passed, M failed" and gives the exit status. */
#ifndef PV_CHECK_H
#define PV_CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond, name, ...)                                                   \
    do {                                                                         \
        if (cond)                                                                \
            check_passed++;                                                      \
        else {                                                                   \
            check_failed++;                                                      \
            printf("FAIL %s: ", name);                                           \
            printf(__VA_ARGS__);                                                 \
            printf("\n");                                                        \
        }                                                                        \
    } while (0)

static inline int check_done(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
