/* diff.h - two runs of a program compared function by function.
 *
 * A diff pairs the functions of run A with those of run B, and gives each
 * pair (or lone function) one row with both runs' numbers.  Functions are
 * matched by three rules, tried in this order:
 *
 *   exact   the same (file, line, name);
 *   moved   the same file and name, another line, where that file and name
 *           leave exactly one function unmatched in each run (an edit above
 *           a function moves it without changing it);
 *   suffix  for files that exist in one run only, the file of the other run
 *           with the longest common path suffix (in whole components, at
 *           least the base name; the best must be unique both ways), then
 *           (line, name) in it, else the name alone as above.  This pairs
 *           /app/pkg/mod.py with /home/u/src/pkg/mod.py: the same code run
 *           under different roots (a container and a checkout).
 *
 * Builtins (file "~", line 0) are the same file in both runs: they match
 * by name.  Phantoms (functions named only as callers) have no numbers and
 * are left out.  Rows sort and filter for tables (pv_diff_select); how a
 * row's label is searched is the caller's (the api module uses its cached
 * labels).  The call tree of both runs is difftree.h's.
 *
 * A diff borrows both profiles: they must outlive it.  It only reads them,
 * so any number of threads may use one diff at once. */
#ifndef PV_DIFF_H
#define PV_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "pv.h"

#define PV_DIFF_NONE UINT32_MAX /* no function on that side */

typedef enum { PV_DIFF_EXACT, PV_DIFF_MOVED, PV_DIFF_SUFFIX } pv_diff_rule;

/* "exact", "moved" or "suffix": a static string. */
const char *pv_diff_rule_name(pv_diff_rule r);

struct pv_diff_row {
    uint32_t a, b;     /* fids, PV_DIFF_NONE on the side it is missing from */
    pv_diff_rule rule; /* how a and b were paired (both present) */
    bool line_moved;   /* paired, at different lines */
};

struct pv_diff {
    const struct pv_profile *a, *b; /* borrowed */
    /* A's real functions in fid order (paired or removed), then B's that
     * are in B only (added), in fid order. */
    struct pv_diff_row *rows;
    size_t nrows;
    uint32_t *a_to_b; /* a->nfuncs: B's fid paired with A's, or PV_DIFF_NONE */
    uint32_t *b_to_a; /* b->nfuncs: the other way */
    size_t count[3];  /* rows paired by each rule */
    size_t added, removed;
    pv_diff_rule rule; /* the widest rule any row needed (exact when none) */
    /* With the suffix rule, the roots it found most often: the parts of the
     * paths before their common suffix, e.g. "/app/" and "/home/u/src/"
     * (malloc'd, NUL-terminated); NULL otherwise. */
    char *root_a, *root_b;
};

/* Pair the functions of a and b (borrowed).  On success *out is yours
 * (pv_diff_destroy); on failure (PV_E_NOMEM) it is untouched.  Takes
 * about 40 ms for two 100k-function profiles. */
pv_code pv_diff_create(const struct pv_profile *a, const struct pv_profile *b,
                       struct pv_diff **out, pv_err *err);

void pv_diff_destroy(struct pv_diff *d);

/* ---- numbers ------------------------------------------------------------ */

/* One side of a row: zeros when the function is missing there. */
struct pv_diff_side {
    bool present;
    int64_t cc, nc; /* primitive calls, all calls */
    double tt, ct;
};

void pv_diff_side_of(const struct pv_diff *d, const struct pv_diff_row *r, bool b,
                     struct pv_diff_side *out);

/* The relative change from a to b: (b - a) / |a|; 0 when both are 0, and
 * NaN when only a is 0 (a function that appeared: no ratio).  Cannot
 * fail. */
double pv_diff_ratio(double a, double b);

/* ---- tables ------------------------------------------------------------- */

typedef enum {
    PV_DIFF_SORT_DELTA,    /* |ct B - ct A|: the largest changes either way */
    PV_DIFF_SORT_RATIO,    /* |relative change of ct|; added rows first */
    PV_DIFF_SORT_CALLS,    /* |nc B - nc A| */
    PV_DIFF_SORT_TDELTA,   /* |tt B - tt A| */
    PV_DIFF_SORT_CUMTIME,  /* the larger ct of the two runs */
    PV_DIFF_SORT_TOTTIME,  /* the larger tt of the two runs */
    PV_DIFF_SORT_NAME,     /* the function's name, then file, then line */
    PV_DIFF_SORT_FILE,     /* file, line, name */
    PV_DIFF_SORT_KEYS      /* how many there are */
} pv_diff_sort_key;

/* "delta", "ratio", "calls", "tdelta", "cumtime", "tottime", "name",
 * "file": PV_E_USAGE for anything else, naming them. */
pv_code pv_diff_sort_parse(const char *word, pv_diff_sort_key *out, pv_err *err);
const char *pv_diff_sort_name(pv_diff_sort_key k);
/* Numbers sort largest first by default, names and files A to Z. */
bool pv_diff_sort_descending(pv_diff_sort_key k);

struct pv_diff_select {
    pv_diff_sort_key key;
    bool descending;
    /* Keep only the rows this says yes to (NULL: all).  It may stop the
     * selection by setting *stop, after filling err (a search over its
     * time budget). */
    bool (*keep)(void *ctx, const struct pv_diff_row *r, bool *stop, pv_err *err);
    void *keep_ctx;
};

/* The indexes into d->rows of the rows s keeps, in its order (ties by A's
 * fid, then B's).  On success *out is malloc'd (caller frees; NULL when
 * *n is 0).  On failure nothing is returned: PV_E_NOMEM, or what keep
 * said when it stopped. */
pv_code pv_diff_select(const struct pv_diff *d, const struct pv_diff_select *s, uint32_t **out,
                       size_t *n, pv_err *err);

#endif
