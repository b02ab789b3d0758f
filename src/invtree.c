/* invtree.c - the inverted call tree (see invtree.h).
 *
 * One build is the root (the query's function at its whole ct), then a
 * breadth-first expansion, level by level and the larger nodes of a level
 * first, so that the node budget goes to the largest callers.  Expanding a
 * node of function f worth v turns f's caller edges into children: caller
 * c gets v * ct(c->f) / ct(f), the share of f's time that came through
 * calls from c.  At the root v is ct(f), so a first-level child is the
 * edge's own ct.  Nothing recurses on the C stack, and a caller already on
 * the path is a leaf.  The growth itself (budgets, placing children,
 * levels) is treegrow.h's, as the normal tree's is.
 *
 * Profiles may hold NaN, infinite or negative numbers (they load with a
 * warning): every time read here goes through pv_treegrow_time(), so the
 * tree's numbers are finite and at least 0. */
#include "invtree.h"

#include <math.h>
#include <stdlib.h>

#include "treegrow.h"

struct work {
    const struct pv_profile *p;
    struct pv_treegrow g;   /* the tree being grown, the budget, the children */
    uint32_t fake;          /* pv_tree_fake_root(): the `profile` module's fake root,
                               not a caller here: what it called counts as called
                               from outside */
    uint32_t *anc, anc_cur; /* by fid: == anc_cur when on the node's path */
    double *outside;        /* by fid: share of ct no caller accounts for;
                               < 0: not known yet */
};

/* The share of fid's ct that no recorded caller accounts for, 0 to 1: its
 * calls from outside the profile (an entry point's).  A function with no
 * ct (a phantom caller) has nothing to split: all of it.  A caller edge
 * walked is a step. */
static pv_code outside_share(struct work *w, uint32_t fid, double *out, pv_err *err)
{
    if (w->outside[fid] < 0) {
        const struct pv_profile *p = w->p;
        double ct = pv_treegrow_time(p->funcs[fid].ct), in = 0;
        uint32_t lo = p->callers_at[fid], hi = p->callers_at[fid + 1];
        for (uint32_t k = lo; k < hi; k++) {
            const struct pv_edge *ed = &p->edges[p->by_callee[k]];
            if (ed->caller != w->fake)
                in += pv_tree_edge_ct(p, ed);
        }
        w->outside[fid] = ct > 0 ? fmax(0, 1 - in / ct) : 1;
        if (pv_treegrow_account(&w->g, 1 + (hi - lo), err))
            return err->code;
    }
    *out = w->outside[fid];
    return PV_OK;
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
    for (size_t k = 0; k < w->g.nkids; k++)
        *(w->g.kids[k].recursive ? &rec : &other) += w->g.kids[k].value;
    double rec_scale = other < value && rec > 0 ? fmin(1, (value - other) / rec) : 0;
    double other_scale = other > value ? value / other : 1;
    double sum = 0;
    for (size_t k = 0; k < w->g.nkids; k++) {
        struct pv_treegrow_kid *kid = &w->g.kids[k];
        double scale = kid->recursive ? rec_scale : other_scale;
        if (scale < 1 - 1e-9) {
            kid->value *= scale;
            kid->exact = false;
        }
        sum += kid->value;
    }
    return sum;
}

/* The callers of node i into w->g.kids, scaled to fit in its value and
 * sorted; *self gets what they leave of it. */
static pv_code gather_callers(struct work *w, size_t i, double *self, pv_err *err)
{
    const struct pv_profile *p = w->p;
    const struct pv_tree_node *n = &w->g.t->nodes[i];
    uint32_t fid = n->fid;
    double ct = pv_treegrow_time(p->funcs[fid].ct), ratio = ct > 0 ? n->value / ct : 0;
    uint32_t lo = p->callers_at[fid], hi = p->callers_at[fid + 1];
    w->anc_cur++;
    for (size_t a = i;; a = w->g.parent[a]) {
        w->anc[w->g.t->nodes[a].fid] = w->anc_cur;
        if (a == 0)
            break;
    }
    w->g.nkids = 0;
    if (pv_treegrow_reserve_kids(&w->g, (size_t)(hi - lo) + 1, err))
        return err->code;
    double sum = 0;
    for (uint32_t k = lo; k < hi; k++) {
        const struct pv_edge *ed = &p->edges[p->by_callee[k]];
        if (ed->caller == w->fake)
            continue;
        double share = pv_tree_edge_ct(p, ed);
        /* Measured when the parent is, and either it is the root (the
         * edge's own ct) or all of fid's time came through this caller. */
        bool exact = n->exact && !pv_profile_edge_count_only(p, ed) &&
                     (i == 0 || pv_treegrow_near(share, ct));
        struct pv_treegrow_kid kid = {ed->caller, exact, w->anc[ed->caller] == w->anc_cur,
                                      share * ratio, ed->nc > 0 ? (double)ed->nc : 0};
        sum += kid.value;
        w->g.kids[w->g.nkids++] = kid;
    }
    if (sum > n->value && !pv_treegrow_near(sum, n->value))
        sum = fit_kids(w, n->value);
    pv_treegrow_sort_kids(&w->g);
    *self = pv_treegrow_time(n->value - sum);
    return pv_treegrow_account(&w->g, 1 + (hi - lo), err);
}

/* A node not expanded (yet) (pv_treegrow_leaf_fn; ctx is the work): its
 * self is the part of its value that came from outside the profile, as if
 * it were expanded. */
static pv_code caller_node(void *ctx, const struct pv_treegrow_kid *k, struct pv_tree_node *out,
                           pv_err *err)
{
    struct work *w = ctx;
    const struct pv_profile *p = w->p;
    double outside = 0;
    if (outside_share(w, k->fid, &outside, err))
        return err->code;
    *out = (struct pv_tree_node){.fid = k->fid, .exact = k->exact, .recursive = k->recursive};
    out->truncated = !k->recursive && p->callers_at[k->fid + 1] > p->callers_at[k->fid];
    out->value = k->value;
    out->self = k->value * outside;
    out->calls = pv_treegrow_calls(k->calls);
    return PV_OK;
}

/* Expand node i (pv_treegrow_expand_fn; ctx is the work): its callers go
 * at the end of the node array. */
static pv_code expand_node(void *ctx, size_t i, double limit, pv_err *err)
{
    struct work *w = ctx;
    double self = 0;
    if (gather_callers(w, i, &self, err))
        return err->code;
    size_t kept = pv_treegrow_over_cutoff(&w->g, limit);
    return pv_treegrow_place(&w->g, i, self, kept, 0, caller_node, w, err);
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
    free(w->anc);
    free(w->outside);
    pv_treegrow_fini(&w->g);
}

/* The tree's root, q's function with its whole ct, and the crumbs down to
 * it; the top crumb is worth what the normal tree's top is. */
static pv_code plant_root(struct work *w, const struct pv_tree_query *q, pv_err *err)
{
    const struct pv_func *f = &w->p->funcs[q->root];
    struct pv_treegrow_kid root = {q->root, true, false, pv_treegrow_time(f->ct),
                                   f->nc > 0 ? (double)f->nc : 0};
    struct pv_tree_node n;
    if (caller_node(w, &root, &n, err) || pv_treegrow_add_node(&w->g, &n, 0, err) ||
        pv_treegrow_add_crumb(&w->g, PV_TREE_TOP, pv_tree_entries_value(w->g.entries, w->g.nentries), err))
        return err->code;
    return pv_treegrow_add_crumb(&w->g, q->root, n.value, err);
}

/* The arrays a build indexes by fid, and the tree with its root.  On
 * failure nothing is left allocated. */
static pv_code work_init(struct work *w, const struct pv_profile *p,
                         const struct pv_tree_query *q, pv_err *err)
{
    *w = (struct work){.p = p, .fake = pv_tree_fake_root(p)};
    if (pv_treegrow_init(&w->g, p, q, true, "inverted tree",
                         "lower max_nodes or depth, or raise cutoff", err))
        return err->code;
    size_t nf = (size_t)p->nfuncs + 1;
    w->anc = calloc(nf, sizeof *w->anc);
    w->outside = malloc(nf * sizeof *w->outside);
    if (!w->anc || !w->outside) {
        pv_treegrow_no_memory(&w->g, err);
    } else {
        for (size_t f = 0; f < nf; f++)
            w->outside[f] = -1;
        if (plant_root(w, q, err) == PV_OK)
            return PV_OK;
    }
    work_fini(w);
    return err->code;
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
    pv_code rc = pv_treegrow_grow(&w.g, expand_node, &w, err);
    if (rc == PV_OK) {
        *out = w.g.t;
        w.g.t = NULL;
    }
    work_fini(&w);
    return rc;
}
