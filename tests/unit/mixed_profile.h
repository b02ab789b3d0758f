/* mixed_profile.h - the profile of mixed functions, builtins and calls
 * that the pstats-order and report tests share.  Keep it in step with
 * pstats_expected.py, which says what pstats reads from it. */
#ifndef PV_MIXED_PROFILE_H
#define PV_MIXED_PROFILE_H

#include "marshal_writer.h"

static const struct fn MIXED_FUNCS[] = {
    {"c.py", 1, "<module>", 1, 1, 0.0, 3.0, false},
    {"b.py", 10, "beta", 2, 5, 0.5, 1.0, false},
    {"a.py", 3, "alpha", 1, 1, 0.25, 2.0, false},
    {"~", 0, "<built-in method builtins.len>", 7, 7, 0.125, 0.125, false},
    {"a.py", 20, "gamma", 3, 3, 0.5, 1.0, false},
    {"b.py", 2, "alpha", 2, 2, 0.375, 0.75, false},
    {"a.py", 3, "zeta", 0, 0, 0.0, 0.0, false},
    {"~", 0, "<method 'append' of 'list' objects>", 4, 4, 0.0625, 0.0625, false},
};
static const struct call MIXED_CALLS[] = {
    {0, 2, 1, 1, 0.25, 2.0, false},   {0, 1, 1, 1, 0.1, 0.5, false},
    {2, 1, 2, 1, 0.2, 0.3, false},    {2, 5, 2, 2, 0.375, 0.75, false},
    {1, 4, 3, 3, 0.5, 1.0, false},    {4, 1, 2, 0, 0.2, 0.2, false},
    {1, 3, 7, 7, 0.125, 0.125, false}, {4, 7, 4, 4, 0.0625, 0.0625, false},
    {-1, 0, 0, 0, 0, 0, false},
};

#endif
