/* tree_fixture.h - what the tree tests (test_tree.c, test_invtree.c)
 * share: profiles from tables, finding a node by its path of names, and
 * expectations as rows.  Static inline: each test uses what it needs. */
#ifndef PV_TREE_FIXTURE_H
#define PV_TREE_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "marshal_writer.h"
#include "profile.h"
#include "tree.h"

/* ---- profiles from tables ----------------------------------------------- */

/* The profile of fns and calls (see marshal_writer.h), or NULL with a
 * line printed. */
static inline struct pv_profile *build(const struct fn *fns, int nfns, const struct call *calls)
{
    struct w w = {.n = 0};
    profile_of_tables(&w, fns, nfns, calls);
    return profile_of_written(&w);
}

static inline uint32_t fid(const struct pv_profile *p, const char *name)
{
    for (uint32_t f = 0; f < p->nfuncs; f++)
        if (!strcmp(pv_profile_str(p, p->funcs[f].name, NULL), name))
            return f;
    return UINT32_MAX;
}

/* The child of node i named name (or "other"), or SIZE_MAX. */
static inline size_t child(const struct pv_profile *p, const struct pv_tree *t, size_t i,
                    const char *name)
{
    if (i >= t->nnodes)
        return SIZE_MAX;
    const struct pv_tree_node *n = &t->nodes[i];
    for (uint32_t k = 0; k < n->nchildren; k++) {
        const struct pv_tree_node *c = &t->nodes[n->first_child + k];
        if (c->other ? !strcmp(name, "other") : c->fid == fid(p, name))
            return n->first_child + k;
    }
    return SIZE_MAX;
}

/* The node at a '/'-separated path of names below the root ("" = root). */
static inline const struct pv_tree_node *at(const struct pv_profile *p, const struct pv_tree *t,
                                     const char *path)
{
    static const struct pv_tree_node missing = {.fid = 0xDEAD, .value = NAN, .self = NAN};
    size_t i = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = strtok(buf, "/"); s && i != SIZE_MAX; s = strtok(NULL, "/"))
        i = child(p, t, i, s);
    return i == SIZE_MAX ? &missing : &t->nodes[i];
}

static inline bool eq(double a, double b)
{
    return fabs(a - b) <= 1e-12 * fmax(1, fmax(fabs(a), fabs(b)));
}

/* ---- expectations as rows ----------------------------------------------- */

struct expect {
    const char *name; /* reads as a sentence */
    const char *path; /* names from the root */
    double value;
    bool exact, recursive;
    double self; /* NAN: not checked */
};

static inline void check_rows(const struct pv_profile *p, const struct pv_tree *t,
                       const struct expect *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct expect *r = &rows[i];
        const struct pv_tree_node *nd = at(p, t, r->path);
        CHECK(eq(nd->value, r->value) && nd->exact == r->exact &&
                  nd->recursive == r->recursive && (isnan(r->self) || eq(nd->self, r->self)),
              r->name, "%s: value %.17g exact %d recursive %d self %.17g", r->path, nd->value,
              nd->exact, nd->recursive, nd->self);
    }
}

/* ---- a diamond: main -> a, b -> c -> d ---------------------------------- */

static const struct fn DIAMOND[] = {
    {"app.py", 1, "main", 1, 1, 1, 10, false}, {"app.py", 10, "a", 1, 1, 1, 4, false},
    {"app.py", 20, "b", 1, 1, 3, 5, false},    {"app.py", 30, "c", 2, 2, 1, 5, false},
    {"app.py", 40, "d", 2, 2, 4, 4, false},
};
static const struct call DIAMOND_CALLS[] = {
    {0, 1, 1, 1, 1, 4, false},   {0, 2, 1, 1, 3, 5, false}, {1, 3, 1, 1, 0.6, 3, false},
    {2, 3, 1, 1, 0.4, 2, false}, {3, 4, 2, 2, 4, 4, false}, {-1, 0, 0, 0, 0, 0, false},
};

/* fib recursing into itself: main -> fib (once from outside), fib -> fib
 * (9 nested calls) and fib -> g.  fib's edge to itself carries almost all
 * of its ct, so its callees (itself and g) add up to more than it. */
static const struct fn FIB[] = {
    {"r.py", 1, "main", 1, 1, 0.5, 3, false},
    {"r.py", 5, "fib", 1, 10, 2, 2.5, false},
    {"r.py", 9, "g", 3, 3, 0.5, 0.5, false},
};
static const struct call FIB_CALLS[] = {
    {0, 1, 1, 1, 0.2, 2.5, false},
    {1, 1, 9, 0, 1.8, 2.3, false},
    {1, 2, 3, 3, 0.5, 0.5, false},
    {-1, 0, 0, 0, 0, 0, false},
};

#endif
