/* profile_table.h - a stats file written from a table of functions and a
 * table of calls, and read into a model: the dict of the file is the
 * function table in its order (so row i is dict position i), each
 * function's callers dict the calls to it in table order.  For the unit
 * tests of the modules that read models (tests only: sizes are the
 * buffer's). */
#ifndef PV_PROFILE_TABLE_H
#define PV_PROFILE_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#include "marshal_writer.h"
#include "profile.h"

struct table_func {
    const char *file;
    int line;
    const char *name;
    int cc, nc;
    double tt, ct;
};

struct table_call {
    int caller, callee; /* rows of the function table; caller -1 ends */
    int nc, cc;
    double tt, ct;
    bool count_only;    /* a bare int nc, as the `profile` module writes */
};

static inline void table_key(struct w *w, const struct table_func *f)
{
    byte(w, ')');
    byte(w, 3);
    str(w, f->file);
    num(w, f->line);
    str(w, f->name);
}

/* The stats file of the tables, in w. */
static inline void table_write(struct w *w, const struct table_func *fns, int nfns,
                               const struct table_call *calls)
{
    w->n = 0;
    byte(w, '{');
    for (int i = 0; i < nfns; i++) {
        table_key(w, &fns[i]);
        byte(w, ')');
        byte(w, 5);
        num(w, fns[i].cc);
        num(w, fns[i].nc);
        flt(w, fns[i].tt);
        flt(w, fns[i].ct);
        byte(w, '{');
        for (const struct table_call *c = calls; c && c->caller >= 0; c++) {
            if (c->callee != i)
                continue;
            table_key(w, &fns[c->caller]);
            if (c->count_only) {
                num(w, c->nc);
                continue;
            }
            byte(w, ')');
            byte(w, 4);
            num(w, c->nc);
            num(w, c->cc);
            flt(w, c->tt);
            flt(w, c->ct);
        }
        byte(w, '0');
    }
    byte(w, '0');
}

/* The model of the tables (pv_profile_destroy), or NULL after a message. */
static inline struct pv_profile *table_profile(const struct table_func *fns, int nfns,
                                               const struct table_call *calls)
{
    struct w w;
    table_write(&w, fns, nfns, calls);
    struct pv_profile *p = NULL;
    pv_err err;
    if (pv_profile_parse(w.b, w.n, &p, &err))
        printf("cannot parse a test profile: %s\n", err.msg);
    return p;
}

#endif
