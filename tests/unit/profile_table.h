/* profile_table.h - a model from tables of functions and calls (the
 * tables of marshal_writer.h), for the unit tests of the modules that read
 * models.  Row i of the function table is dict position i. */
#ifndef PV_PROFILE_TABLE_H
#define PV_PROFILE_TABLE_H

#include <stdio.h>

#include "marshal_writer.h"
#include "profile.h"

/* A table of calls with none in it. */
static const struct call NO_CALLS[] = {{-1, 0, 0, 0, 0, 0, false}};

/* The model of fns[0..n) and their calls: yours (pv_profile_destroy), or
 * NULL after a message. */
static inline struct pv_profile *profile_from_tables(const struct fn *fns, int n,
                                                     const struct call *calls)
{
    struct w w = {.n = 0};
    profile_of_tables(&w, fns, n, calls);
    struct pv_profile *p = NULL;
    pv_err err;
    if (pv_profile_parse(w.b, w.n, &p, &err))
        printf("cannot parse a test profile: %s\n", err.msg);
    return p;
}

#endif
