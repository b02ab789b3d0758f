/* invtree.c - the inverted call tree (see invtree.h).
 *
 * One build is the root (the query's function at its whole ct), then a
 * breadth-first expansion, level by level and the larger nodes of a level
 * first, as tree.c grows the normal tree, so that the node budget goes to
 * the largest callers.  Expanding a node of function f worth v turns f's
 * caller edges into children: caller c gets v * ct(c->f) / ct(f), the
 * share of f's time that came through calls from c.  At the root v is
 * ct(f), so a first-level child is the edge's own ct.  Nothing recurses on
 * the C stack, and a caller already on the path is a leaf.
 *
 * Profiles may hold NaN, infinite or negative numbers (they load with a
 * warning): every time read here goes through fin(), so the tree's numbers
 * are finite and at least 0. */
#include "invtree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

#define NONE UINT32_MAX

/* How often a build asks q->stop, as tree.c does. */
enum { STOP_CHECK_STEPS = 1 << 16 };

static pv_code no_memory(pv_err *err)
{
    return pv_err_set(err, PV_E_NOMEM, "out of memory building the inverted tree");
}

static double fin(double x)
{
    return isfinite(x) && x > 0 ? x : 0;
}

static bool near(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

struct kid {
    uint32_t fid;
    bool exact, recursive;
    double value, calls;
};

struct work {
    const struct pv_profile *p;
    const struct pv_tree_query *q;
    struct pv_tree *t;
    uint32_t fake;          /* pv_tree_fake_root(): the `profile` module's fake root,
                               not a caller here: what it called counts as called
                               from outside */
    uint32_t *parent;       /* by node */
    size_t ncap, parent_cap, crumb_cap;
    uint32_t *anc, anc_cur; /* by fid: == anc_cur when on the node's path */
    double *outside;        /* by fid: share of ct no caller accounts for; < 0: not known yet */
    struct kid *kids;       /* the children of the last expansion */
    size_t nkids, kcap;
    size_t steps, max_steps, next_stop_check;
};

static pv_code over_steps(const struct work *w, pv_err *err)
{
    char budget[32];
    pv_format_count(w->max_steps, budget);
    return pv_err_set(err, PV_E_LIMIT,
                      "inverted tree too large: building it takes over %s steps, the budget - "
                      "lower max_nodes or depth, or raise cutoff",
                      budget);
}

/* Count steps (a caller edge walked is one) against the budget, and now
 * and then ask whether to go on. */
static pv_code account(struct work *w, size_t steps, pv_err *err)
{
    w->steps += steps;
    if (w->steps > w->max_steps)
        return over_steps(w, err);
    if (w->q->stop && w->steps >= w->next_stop_check) {
        w->next_stop_check = w->steps + STOP_CHECK_STEPS;
        if (w->q->stop(w->q->stop_ctx))
            return pv_err_set(err, PV_E_CANCELLED,
                              "the tree was no longer wanted after %zu steps", w->steps);
    }
    return PV_OK;
}

/* The share of fid's ct that no recorded caller accounts for, 0 to 1: its
 * calls from outside the profile (an entry point's).  A function with no
 * ct (a phantom caller) has nothing to split: all of it. */
static pv_code outside_share(struct work *w, uint32_t fid, double *out, pv_err *err)
{
    if (w->outside[fid] < 0) {
        const struct pv_profile *p = w->p;
        double ct = fin(p->funcs[fid].ct), in = 0;
        uint32_t lo = p->callers_at[fid], hi = p->callers_at[fid + 1];
        for (uint32_t k = lo; k < hi; k++) {
            const struct pv_edge *ed = &p->edges[p->by_callee[k]];
            if (ed->caller != w->fake)
                in += pv_tree_edge_ct(p, ed);
        }
        w->outside[fid] = ct > 0 ? fmax(0, 1 - in / ct) : 1;
        if (account(w, 1 + (hi - lo), err))
            return err->code;
    }
    *out = w->outside[fid];
    return PV_OK;
}

static int cmp_kids(const void *x, const void *y)
{
    const struct kid *a = x, *b = y;
    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    return (a->fid > b->fid) - (a->fid < b->fid);
}

/* Children worth more than their parent's value: recursion, where the
 * edges into a recursive function add up to more than its ct (which counts
 * only the outermost calls), or a file whose times disagree.  The time
 * counted twice is the recursive callers' (already on the path: their
 * time is inside an outer call), so they give it back first, in
 * proportion; only if the others alone are too much are they scaled down
 * too.  A child that loses time is estimated.  Returns the new sum. */
static double fit_kids(struct work *w, double value)
{
    double rec = 0, other = 0;
    for (size_t k = 0; k < w->nkids; k++)
        *(w->kids[k].recursive ? &rec : &other) += w->kids[k].value;
    double rec_scale = other < value && rec > 0 ? fmin(1, (value - other) / rec) : 0;
    double other_scale = other > value ? value / other : 1;
    double sum = 0;
    for (size_t k = 0; k < w->nkids; k++) {
        struct kid *kid = &w->kids[k];
        double scale = kid->recursive ? rec_scale : other_scale;
        if (scale < 1 - 1e-9) {
            kid->value *= scale;
            kid->exact = false;
        }
        sum += kid->value;
    }
    return sum;
}

/* The callers of node i into w->kids, scaled to fit in its value and
 * sorted; *self gets what they leave of it. */
static pv_code gather_callers(struct work *w, size_t i, double *self, pv_err *err)
{
    const struct pv_profile *p = w->p;
    const struct pv_tree_node *n = &w->t->nodes[i];
    uint32_t fid = n->fid;
    double ct = fin(p->funcs[fid].ct), ratio = ct > 0 ? n->value / ct : 0;
    uint32_t lo = p->callers_at[fid], hi = p->callers_at[fid + 1];
    w->anc_cur++;
    for (size_t a = i;; a = w->parent[a]) {
        w->anc[w->t->nodes[a].fid] = w->anc_cur;
        if (a == 0)
            break;
    }
    w->nkids = 0;
    if (!pv_vec_reserve((void **)&w->kids, &w->kcap, (size_t)(hi - lo) + 1, sizeof *w->kids))
        return no_memory(err);
    double sum = 0;
    for (uint32_t k = lo; k < hi; k++) {
        const struct pv_edge *ed = &p->edges[p->by_callee[k]];
        if (ed->caller == w->fake)
            continue;
        double share = pv_tree_edge_ct(p, ed);
        /* Measured when the parent is, and either it is the root (the
         * edge's own ct) or all of fid's time came through this caller. */
        bool exact = n->exact && !(ed->flags & PV_EDGE_COUNT_ONLY) &&
                     (i == 0 || near(share, ct));
        struct kid kid = {ed->caller, exact, w->anc[ed->caller] == w->anc_cur, share * ratio,
                          ed->nc > 0 ? (double)ed->nc : 0};
        sum += kid.value;
        w->kids[w->nkids++] = kid;
    }
    if (sum > n->value && !near(sum, n->value))
        sum = fit_kids(w, n->value);
    qsort(w->kids, w->nkids, sizeof *w->kids, cmp_kids);
    *self = fin(n->value - sum);
    return account(w, 1 + (hi - lo), err);
}

static int64_t as_calls(double c)
{
    c = fin(c);
    return c < 9.2e18 ? (int64_t)llround(c) : INT64_MAX;
}

static pv_code add_node(struct work *w, const struct pv_tree_node *n, uint32_t parent,
                        pv_err *err)
{
    struct pv_tree *t = w->t;
    if (!pv_vec_reserve((void **)&t->nodes, &w->ncap, t->nnodes + 1, sizeof *t->nodes) ||
        !pv_vec_reserve((void **)&w->parent, &w->parent_cap, t->nnodes + 1, sizeof *w->parent))
        return no_memory(err);
    w->parent[t->nnodes] = parent;
    t->nodes[t->nnodes++] = *n;
    return PV_OK;
}

/* A node not expanded (yet): its self is the part of its value that came
 * from outside the profile, as if it were expanded. */
static pv_code kid_node(struct work *w, const struct kid *k, struct pv_tree_node *out,
                        pv_err *err)
{
    const struct pv_profile *p = w->p;
    double outside;
    if (outside_share(w, k->fid, &outside, err))
        return err->code;
    *out = (struct pv_tree_node){.fid = k->fid, .exact = k->exact, .recursive = k->recursive};
    out->truncated = !k->recursive && p->callers_at[k->fid + 1] > p->callers_at[k->fid];
    out->value = k->value;
    out->self = k->value * outside;
    out->calls = as_calls(k->calls);
    return PV_OK;
}

/* Expand node i: its callers go at the end of the node array. */
static pv_code expand_node(struct work *w, size_t i, double limit, pv_err *err)
{
    struct pv_tree *t = w->t;
    size_t budget = w->q->max_nodes - t->nnodes;
    if (!budget)
        return PV_OK;
    double self = 0;
    if (gather_callers(w, i, &self, err))
        return err->code;
    size_t kept = 0;
    while (kept < w->nkids && w->kids[kept].value >= limit)
        kept++;
    if (kept + (kept < w->nkids) > budget) {
        if (budget < 2)
            return PV_OK; /* an "other" alone says nothing: stay a leaf */
        kept = budget - 1;
    }
    t->nodes[i].self = self;
    t->nodes[i].truncated = false;
    t->nodes[i].first_child = (uint32_t)t->nnodes;
    for (size_t k = 0; k < kept; k++) {
        struct pv_tree_node n;
        if (kid_node(w, &w->kids[k], &n, err) || add_node(w, &n, (uint32_t)i, err))
            return err->code;
    }
    if (kept < w->nkids) {
        struct pv_tree_node o = {.fid = PV_TREE_TOP, .other = true, .exact = true};
        double calls = 0;
        for (size_t k = kept; k < w->nkids; k++) {
            const struct kid *c = &w->kids[k];
            double outside;
            if (outside_share(w, c->fid, &outside, err))
                return err->code;
            o.count++;
            o.value += c->value;
            o.self += c->value * outside;
            o.exact = o.exact && c->exact;
            calls += c->calls;
        }
        o.calls = as_calls(calls);
        if (add_node(w, &o, (uint32_t)i, err))
            return err->code;
    }
    t->nodes[i].nchildren = (uint32_t)(t->nnodes - t->nodes[i].first_child);
    return PV_OK;
}

struct ranked {
    uint32_t node;
    double value;
};

static int cmp_ranked(const void *x, const void *y)
{
    const struct ranked *a = x, *b = y;
    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    return (a->node > b->node) - (a->node < b->node);
}

/* Level by level, larger values first, until the depth or the budget. */
static pv_code grow(struct work *w, pv_err *err)
{
    struct pv_tree *t = w->t;
    double limit = w->q->cutoff * t->nodes[0].value;
    struct ranked *level = NULL;
    size_t level_cap = 0, lo = 0, hi = 1;
    pv_code rc = PV_OK;
    int depth = w->q->depth == PV_TREE_DEPTH_AUTO ? PV_TREE_MAX_DEPTH : w->q->depth;
    for (int d = 0; d < depth && lo < hi && rc == PV_OK; d++) {
        if (!pv_vec_reserve((void **)&level, &level_cap, hi - lo, sizeof *level)) {
            rc = no_memory(err);
            break;
        }
        size_t n = 0;
        for (size_t i = lo; i < hi; i++)
            if (!t->nodes[i].other && !t->nodes[i].recursive)
                level[n++] = (struct ranked){(uint32_t)i, t->nodes[i].value};
        qsort(level, n, sizeof *level, cmp_ranked);
        for (size_t k = 0; k < n && rc == PV_OK; k++)
            rc = expand_node(w, level[k].node, limit, err);
        lo = hi;
        hi = t->nnodes;
    }
    free(level);
    return rc;
}

/* What only the inverted tree refuses; the rest is the normal tree's
 * check (pv_tree_query_check). */
static pv_code check_query(const struct pv_profile *p, const struct pv_tree_query *q,
                           pv_err *err)
{
    if (!q->by_root || q->npath)
        return pv_err_set(err, PV_E_USAGE,
                          "the inverted tree is of one function: give its root, not a path");
    if (q->hide)
        return pv_err_set(err, PV_E_USAGE, "the inverted tree hides no functions");
    if (q->keep)
        return pv_err_set(err, PV_E_USAGE, "the inverted tree keeps no children on request");
    return pv_tree_query_check(p, q, err);
}

static void work_fini(struct work *w)
{
    free(w->parent);
    free(w->anc);
    free(w->outside);
    free(w->kids);
    pv_tree_destroy(w->t);
}

/* The top crumb is worth what the normal tree's top is: the entry points'
 * values summed. */
static pv_code top_value(const struct pv_profile *p, const struct pv_tree_query *q, double *out,
                         pv_err *err)
{
    struct pv_entry *found = NULL;
    const struct pv_entry *e = q->entries;
    size_t n = q->nentries;
    if (!e) {
        if (pv_tree_entries(p, &found, &n, err))
            return err->code;
        e = found;
    }
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += e[i].value;
    free(found);
    *out = total;
    return PV_OK;
}

/* The arrays a build indexes by fid, and the tree with its root and
 * crumbs.  On failure nothing is left allocated. */
static pv_code work_init(struct work *w, const struct pv_profile *p,
                         const struct pv_tree_query *q, pv_err *err)
{
    *w = (struct work){.p = p, .q = q, .fake = pv_tree_fake_root(p)};
    w->max_steps = q->max_steps ? q->max_steps : PV_TREE_DEFAULT_MAX_STEPS;
    size_t nf = (size_t)p->nfuncs + 1;
    if ((w->t = calloc(1, sizeof *w->t))) {
        w->t->depth = q->depth;
        w->t->cutoff = q->cutoff;
        w->t->max_nodes = q->max_nodes;
        w->t->inverted = true;
    }
    w->anc = calloc(nf, sizeof *w->anc);
    w->outside = malloc(nf * sizeof *w->outside);
    if (!w->t || !w->anc || !w->outside) {
        work_fini(w);
        return no_memory(err);
    }
    for (size_t f = 0; f < nf; f++)
        w->outside[f] = -1;
    double total = 0;
    const struct pv_func *f = &p->funcs[q->root];
    struct kid root = {q->root, true, false, fin(f->ct), f->nc > 0 ? (double)f->nc : 0};
    struct pv_tree_node n;
    if (top_value(p, q, &total, err) || kid_node(w, &root, &n, err) || add_node(w, &n, 0, err) ||
        !pv_vec_reserve((void **)&w->t->crumbs, &w->crumb_cap, 2, sizeof *w->t->crumbs)) {
        if (!err->code)
            no_memory(err);
        work_fini(w);
        return err->code;
    }
    w->t->crumbs[0] = (struct pv_crumb){PV_TREE_TOP, total};
    w->t->crumbs[1] = (struct pv_crumb){q->root, n.value};
    w->t->ncrumbs = 2;
    return PV_OK;
}

pv_code pv_invtree_build(const struct pv_profile *p, const struct pv_tree_query *q,
                         struct pv_tree **out, pv_err *err)
{
    pv_err local;
    if (!err)
        err = &local;
    err->code = PV_OK;
    if (check_query(p, q, err))
        return err->code;
    struct work w;
    if (work_init(&w, p, q, err))
        return err->code;
    pv_code rc = grow(&w, err);
    if (rc == PV_OK) {
        *out = w.t;
        w.t = NULL;
    }
    work_fini(&w);
    return rc;
}
