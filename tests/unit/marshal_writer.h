/* marshal_writer.h - stats files built by hand for the C tests: the few
 * marshal type codes they use, the rows of a stats dict, and whole
 * profiles from tables (tests only: no bounds beyond the buffer's). */
#ifndef PV_MARSHAL_WRITER_H
#define PV_MARSHAL_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "profile.h"

struct w {
    uint8_t b[8192];
    size_t n;
};

static inline void byte(struct w *w, int c)
{
    w->b[w->n++] = (uint8_t)c;
}

static inline void i32(struct w *w, int32_t v)
{
    memcpy(w->b + w->n, &v, 4);
    w->n += 4;
}

/* 'u' text */
static inline void str(struct w *w, const char *s)
{
    byte(w, 'u');
    i32(w, (int32_t)strlen(s));
    memcpy(w->b + w->n, s, strlen(s));
    w->n += strlen(s);
}

/* 's' bytes (a Python 2 str) */
static inline void bytes_s(struct w *w, const char *s)
{
    byte(w, 's');
    i32(w, (int32_t)strlen(s));
    memcpy(w->b + w->n, s, strlen(s));
    w->n += strlen(s);
}

/* 'i' int32 */
static inline void num(struct w *w, int32_t v)
{
    byte(w, 'i');
    i32(w, v);
}

/* 'g' binary float */
static inline void flt(struct w *w, double d)
{
    byte(w, 'g');
    memcpy(w->b + w->n, &d, 8);
    w->n += 8;
}

/* ---- the rows of a stats dict ------------------------------------------- */

/* ')' n: a tuple of the n values written next */
static inline void tuple(struct w *w, int n)
{
    byte(w, ')');
    byte(w, n);
}

/* (file, line, name): a function's key */
static inline void key(struct w *w, const char *file, int line, const char *name)
{
    tuple(w, 3);
    str(w, file);
    num(w, line);
    str(w, name);
}

/* (cc, nc, tt, ct, {...}): a function's stats, with its callers dict left
 * open: write its callers, then byte(w, '0') */
static inline void stats(struct w *w, int cc, int nc, double tt, double ct)
{
    tuple(w, 5);
    num(w, cc);
    num(w, nc);
    flt(w, tt);
    flt(w, ct);
    byte(w, '{');
}

/* (nc, cc, tt, ct): what a callers entry holds (the counts are swapped) */
static inline void counts(struct w *w, int nc, int cc, double tt, double ct)
{
    tuple(w, 4);
    num(w, nc);
    num(w, cc);
    flt(w, tt);
    flt(w, ct);
}

/* A callers entry: the caller's key and its counts. */
static inline void caller(struct w *w, const char *file, int line, const char *name, int nc,
                          int cc, double tt, double ct)
{
    key(w, file, line, name);
    counts(w, nc, cc, tt, ct);
}

/* ---- whole profiles from tables ----------------------------------------- */

struct fn {
    const char *file;
    int line;
    const char *name;
    int cc, nc;
    double tt, ct;
    bool phantom; /* named only as a caller: no stats entry of its own */
};

struct call {
    int caller, callee; /* indices into the fn table; -1 ends the table */
    int nc, cc;
    double tt, ct;
    bool count_only; /* a bare int, as the `profile` module writes */
};

/* {key: (cc, nc, tt, ct, {caller: (nc, cc, tt, ct) or nc})} of fns[0..n),
 * their callers from calls. */
static inline void profile_of_tables(struct w *w, const struct fn *fns, int n,
                                     const struct call *calls)
{
    byte(w, '{');
    for (int i = 0; i < n; i++) {
        if (fns[i].phantom)
            continue;
        key(w, fns[i].file, fns[i].line, fns[i].name);
        stats(w, fns[i].cc, fns[i].nc, fns[i].tt, fns[i].ct);
        for (const struct call *c = calls; c->caller >= 0; c++) {
            if (c->callee != i)
                continue;
            const struct fn *f = &fns[c->caller];
            key(w, f->file, f->line, f->name);
            if (c->count_only)
                num(w, c->nc);
            else
                counts(w, c->nc, c->cc, c->tt, c->ct);
        }
        byte(w, '0');
    }
    byte(w, '0');
}

/* The profile w holds, parsed; NULL, with the reason printed, when the
 * reader refuses it (the test's checks then fail on the NULL). */
static inline struct pv_profile *profile_of_written(const struct w *w)
{
    struct pv_profile *p = NULL;
    pv_err err = {0};
    if (pv_profile_parse(w->b, w->n, &p, &err))
        printf("cannot parse a test profile: %s\n", err.msg);
    return p;
}

#endif
