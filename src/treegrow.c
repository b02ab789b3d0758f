/* treegrow.c - the growth both tree builders share (see treegrow.h): the
 * budget, the node arrays, placing children and growing level by level. */
#include "treegrow.h"

#include <math.h>
#include <stdlib.h>

#include "vec.h"

/* How often a build asks q->stop: a poll() of the client's socket costs
 * about a microsecond, these steps some milliseconds. */
enum { STOP_CHECK_STEPS = 1 << 16 };

double pv_treegrow_time(double x)
{
    return isfinite(x) && x > 0 ? x : 0;
}

bool pv_treegrow_near(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b));
}

int64_t pv_treegrow_calls(double calls)
{
    calls = pv_treegrow_time(calls);
    return calls < 9.2e18 ? (int64_t)llround(calls) : INT64_MAX;
}

pv_code pv_treegrow_no_memory(const struct pv_treegrow *g, pv_err *err)
{
    return pv_err_set(err, PV_E_NOMEM, "out of memory building the %s", g->what);
}

pv_code pv_treegrow_over_steps(const struct pv_treegrow *g, pv_err *err)
{
    char budget[32];
    pv_format_count(g->max_steps, budget);
    return pv_err_set(err, PV_E_LIMIT,
                      "%s too large: building it takes over %s steps, the budget - %s", g->what,
                      budget, g->advice);
}

pv_code pv_treegrow_account(struct pv_treegrow *g, size_t steps, pv_err *err)
{
    g->steps += steps;
    if (g->steps > g->max_steps)
        return pv_treegrow_over_steps(g, err);
    if (g->q->stop && g->steps >= g->next_stop_check) {
        g->next_stop_check = g->steps + STOP_CHECK_STEPS;
        if (g->q->stop(g->q->stop_ctx))
            return pv_err_set(err, PV_E_CANCELLED, "the tree was no longer wanted after %zu steps",
                              g->steps);
    }
    return PV_OK;
}

void pv_treegrow_fini(struct pv_treegrow *g)
{
    free(g->found);
    free(g->parent);
    free(g->kids);
    pv_tree_destroy(g->t);
}

pv_code pv_treegrow_init(struct pv_treegrow *g, const struct pv_profile *p,
                         const struct pv_tree_query *q, bool inverted, const char *what,
                         const char *advice, pv_err *err)
{
    *g = (struct pv_treegrow){.q = q, .what = what, .advice = advice};
    g->max_steps = q->max_steps ? q->max_steps : PV_TREE_DEFAULT_MAX_STEPS;
    if (!(g->t = calloc(1, sizeof *g->t)))
        return pv_treegrow_no_memory(g, err);
    g->t->depth = q->depth;
    g->t->cutoff = q->cutoff;
    g->t->max_nodes = q->max_nodes;
    g->t->hide = q->hide;
    g->t->inverted = inverted;
    if (q->entries) {
        g->entries = q->entries;
        g->nentries = q->nentries;
    } else if (pv_tree_entries(p, &g->found, &g->nentries, err)) {
        pv_treegrow_fini(g);
        return err->code;
    } else
        g->entries = g->found;
    return PV_OK;
}

pv_code pv_treegrow_reserve_kids(struct pv_treegrow *g, size_t n, pv_err *err)
{
    if (!pv_vec_reserve((void **)&g->kids, &g->kcap, n, sizeof *g->kids))
        return pv_treegrow_no_memory(g, err);
    return PV_OK;
}

static int cmp_kids(const void *x, const void *y)
{
    const struct pv_treegrow_kid *a = x, *b = y;
    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    return (a->fid > b->fid) - (a->fid < b->fid);
}

void pv_treegrow_sort_kids(struct pv_treegrow *g)
{
    qsort(g->kids, g->nkids, sizeof *g->kids, cmp_kids);
}

pv_code pv_treegrow_add_node(struct pv_treegrow *g, const struct pv_tree_node *n,
                             uint32_t parent, pv_err *err)
{
    struct pv_tree *t = g->t;
    if (!pv_vec_reserve((void **)&t->nodes, &g->ncap, t->nnodes + 1, sizeof *t->nodes) ||
        !pv_vec_reserve((void **)&g->parent, &g->parent_cap, t->nnodes + 1, sizeof *g->parent))
        return pv_treegrow_no_memory(g, err);
    g->parent[t->nnodes] = parent;
    t->nodes[t->nnodes++] = *n;
    return PV_OK;
}

pv_code pv_treegrow_add_crumb(struct pv_treegrow *g, uint32_t fid, double value, pv_err *err)
{
    struct pv_tree *t = g->t;
    if (!pv_vec_reserve((void **)&t->crumbs, &g->crumb_cap, t->ncrumbs + 1, sizeof *t->crumbs))
        return pv_treegrow_no_memory(g, err);
    t->crumbs[t->ncrumbs++] = (struct pv_crumb){fid, value};
    return PV_OK;
}

size_t pv_treegrow_over_cutoff(const struct pv_treegrow *g, double limit)
{
    size_t kept = 0;
    while (kept < g->nkids && g->kids[kept].value >= limit)
        kept++;
    return kept;
}

pv_code pv_treegrow_place(struct pv_treegrow *g, size_t i, double self, size_t kept,
                          double unrecorded, pv_treegrow_leaf_fn leaf, void *ctx, pv_err *err)
{
    struct pv_tree *t = g->t;
    size_t budget = g->q->max_nodes - t->nnodes, extra = unrecorded > 0;
    if (kept + extra + (kept < g->nkids) > budget) {
        if (budget < 2)
            return PV_OK; /* an "other" alone says nothing: stay a leaf */
        if (budget < 3)
            extra = 0; /* the time stays unshown, as in a leaf */
        kept = budget - 1 - extra;
    }
    t->nodes[i].self = self;
    t->nodes[i].truncated = false;
    t->nodes[i].first_child = (uint32_t)t->nnodes;
    for (size_t k = 0; k < kept; k++) {
        struct pv_tree_node n;
        if (leaf(ctx, &g->kids[k], &n, err) || pv_treegrow_add_node(g, &n, (uint32_t)i, err))
            return err->code;
    }
    if (extra) {
        struct pv_tree_node u = {.fid = PV_TREE_TOP, .unrecorded = true,
                                 .exact = t->nodes[i].exact, .value = unrecorded,
                                 .self = unrecorded};
        if (pv_treegrow_add_node(g, &u, (uint32_t)i, err))
            return err->code;
    }
    if (kept < g->nkids) {
        struct pv_tree_node o = {.fid = PV_TREE_TOP, .other = true, .exact = true};
        double calls = 0;
        for (size_t k = kept; k < g->nkids; k++) {
            const struct pv_treegrow_kid *c = &g->kids[k];
            struct pv_tree_node n;
            if (leaf(ctx, c, &n, err))
                return err->code;
            o.count++;
            o.value += c->value;
            o.self += n.self;
            o.exact = o.exact && c->exact;
            calls += c->calls;
        }
        o.calls = pv_treegrow_calls(calls);
        if (pv_treegrow_add_node(g, &o, (uint32_t)i, err))
            return err->code;
    }
    t->nodes[i].nchildren = (uint32_t)(t->nnodes - t->nodes[i].first_child);
    return PV_OK;
}

/* A node of the level being expanded, ranked by its value. */
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

pv_code pv_treegrow_grow(struct pv_treegrow *g, pv_treegrow_expand_fn expand, void *ctx,
                         pv_err *err)
{
    struct pv_tree *t = g->t;
    double limit = g->q->cutoff * t->nodes[0].value;
    struct ranked *level = NULL;
    size_t level_cap = 0, lo = 0, hi = 1;
    pv_code rc = PV_OK;
    int depth = g->q->depth == PV_TREE_DEPTH_AUTO ? PV_TREE_MAX_DEPTH : g->q->depth;
    for (int d = 0; d < depth && lo < hi && rc == PV_OK; d++) {
        if (!pv_vec_reserve((void **)&level, &level_cap, hi - lo, sizeof *level)) {
            rc = pv_treegrow_no_memory(g, err);
            break;
        }
        size_t n = 0;
        for (size_t i = lo; i < hi; i++)
            if (!t->nodes[i].other && !t->nodes[i].unrecorded && !t->nodes[i].recursive)
                level[n++] = (struct ranked){(uint32_t)i, t->nodes[i].value};
        qsort(level, n, sizeof *level, cmp_ranked);
        /* Nodes never go away: once the budget is spent, it stays so. */
        for (size_t k = 0; k < n && rc == PV_OK && t->nnodes < g->q->max_nodes; k++)
            rc = expand(ctx, level[k].node, limit, err);
        lo = hi;
        hi = t->nnodes;
    }
    free(level);
    return rc;
}
