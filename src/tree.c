/* tree.c - the call tree rebuilt from edge totals (see tree.h).
 *
 * One build is: the entry points (given, or found by one pass over the
 * edges), then the path or root, then a breadth-first expansion (grown as
 * treegrow.h grows every tree).  Expanding a node ("expand") turns its
 * callee edges into candidate children; with hide, hidden callees
 * are folded away by a walk of the hidden functions reachable from the node
 * (an iterative DFS, then one pass in topological order so every hidden
 * function is expanded once however many ways reach it).  Candidates live in
 * arrays reused by every expansion, found by fid through a stamped index,
 * so a build does a few dozen allocations whatever its size; nothing
 * recurses on the C stack.
 *
 * Profiles may hold NaN, infinite or negative numbers (they load with a
 * warning): every time read here goes through pv_treegrow_time(), so the
 * tree's numbers are finite and at least 0. */
#include "tree.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "treegrow.h"
#include "vec.h"

#define NONE UINT32_MAX
#define ON_PATH UINT32_MAX /* anc[] mark of the query's own path fids */

/* Time unaccounted for at a node, as a share of the tree's root, below
 * which it is rounding, not a node: cProfile's sums round far below it. */
#define UNRECORDED_MIN 1e-6

/* ---- edges ------------------------------------------------------------- */

/* An edge's share of its callee's ct: its own ct, or for a count-only edge
 * (the `profile` module) the callee's ct in proportion to calls.  A
 * recursive callee's ct covers only its outermost (primitive) calls, so a
 * call from another function counts as one of those cc calls: with nc as
 * the divisor, wl_recursion -> fib (1 of fib's 57,313 calls, fib's only
 * outside caller) got 1/57,313 of fib's time instead of all of it. */
static double edge_ct(const struct pv_profile *p, const struct pv_edge *e)
{
    if (!pv_profile_edge_count_only(p, e))
        return pv_treegrow_time(e->ct);
    const struct pv_func *c = &p->funcs[e->callee];
    if (c->nc <= 0 || e->nc <= 0)
        return 0;
    bool outer = e->caller != e->callee && c->cc > 0 && c->cc < c->nc;
    double share = (double)e->nc / (double)(outer ? c->cc : c->nc);
    return pv_treegrow_time(c->ct) * fmin(share, 1);
}

/* ---- entry points ------------------------------------------------------- */

/* The pure-Python `profile` module's fake root ('profile', 0, 'profiler'),
 * a phantom or a real function with zero stats, or NONE. */
static uint32_t fake_root(const struct pv_profile *p)
{
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        size_t nfile, nname;
        if (p->funcs[f].line != 0)
            continue;
        const char *file = pv_profile_str(p, p->funcs[f].file, &nfile);
        const char *name = pv_profile_str(p, p->funcs[f].name, &nname);
        if (nfile == 7 && !memcmp(file, "profile", 7) && nname == 8 &&
            !memcmp(name, "profiler", 8))
            return f;
    }
    return NONE;
}

static int cmp_entries(const void *x, const void *y)
{
    const struct pv_entry *a = x, *b = y;
    if (a->value != b->value)
        return a->value > b->value ? -1 : 1;
    return (a->fid > b->fid) - (a->fid < b->fid);
}

struct called {
    double nc, ct; /* what recorded callers account for */
    bool any;
};

double pv_tree_entries_value(const struct pv_entry *entries, size_t n)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += entries[i].value;
    return total;
}

pv_code pv_tree_entries(const struct pv_profile *p, struct pv_entry **out, size_t *n,
                        pv_err *err)
{
    uint32_t fake = fake_root(p);
    struct called *sum = calloc((size_t)p->nfuncs + 1, sizeof *sum);
    struct pv_entry *e = NULL;
    size_t cap = 0, count = 0;
    /* Room for one at least: none is an array, not NULL. */
    if (!sum || !pv_vec_reserve((void **)&e, &cap, 1, sizeof *e)) {
        free(sum);
        return pv_err_set(err, PV_E_NOMEM, "out of memory for entry points");
    }
    /* One pass over the edges in caller order: reading them through
     * by_callee instead costs a cache miss per edge (875k of them). */
    for (uint32_t i = 0; i < p->nedges; i++) {
        const struct pv_edge *ed = &p->edges[i];
        if (ed->caller == fake)
            continue;
        sum[ed->callee].any = true;
        sum[ed->callee].nc += ed->nc > 0 ? (double)ed->nc : 0;
        sum[ed->callee].ct += edge_ct(p, ed);
    }
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        const struct pv_func *fn = &p->funcs[f];
        if ((fn->flags & PV_FUNC_PHANTOM) || f == fake ||
            (sum[f].any && sum[f].nc >= (double)fn->nc))
            continue;
        if (!pv_vec_reserve((void **)&e, &cap, count + 1, sizeof *e)) {
            free(sum);
            free(e);
            return pv_err_set(err, PV_E_NOMEM, "out of memory for entry points");
        }
        /* A recursive function's ct counts outermost calls only, and the
         * outside call is one of them: its whole ct is the entry's. */
        double ct = pv_treegrow_time(fn->ct);
        double v = fn->nc > fn->cc ? ct : pv_treegrow_time(ct - sum[f].ct);
        e[count++] = (struct pv_entry){f, v};
    }
    free(sum);
    qsort(e, count, sizeof *e, cmp_entries);
    *out = e;
    *n = count;
    return PV_OK;
}

/* ---- one expansion ------------------------------------------------------ */

struct cand {
    uint32_t fid;
    uint32_t leaf;  /* hidden: the cand of its recursive leaf, or NONE */
    uint32_t order; /* hidden: position in topological order */
    uint32_t next;  /* hidden: DFS cursor into its callee edges */
    double value, calls;
    bool exact, recursive, hidden, seen;
};

/* Folding is the same for every node of one function in a build (only the
 * query's own path changes what folds), and its values scale with the
 * node's: so each function is folded once, at its whole ct, and kept.
 * Without this, hiding site-packages under a 100k-node tree folded the same
 * 9,000 functions for every node. */
struct memo {
    uint32_t at, n; /* kids[at .. at+n); n == NONE: not folded yet */
    double self;    /* hidden_self at the whole ct */
};

enum { MEMO_MAX_KIDS = 1 << 20 }; /* 24 MiB; beyond, fold every time */

struct work {
    const struct pv_profile *p;
    unsigned hide;
    uint32_t keep;          /* never hidden in this expansion: the next path step */
    uint8_t *kind;          /* nfuncs: pv_funckind, with hide */
    uint32_t *slot;         /* nfuncs: fid -> cand, valid when stamp[fid] == cur */
    uint32_t *stamp, cur;
    uint32_t *anc, anc_cur; /* fid on the path: ON_PATH, or == anc_cur */
    struct cand *c;
    size_t nc, ccap;
    uint32_t *stack, *post;
    size_t nstack, npost;
    struct pv_treegrow g;   /* the tree being grown, the budget, the children */
    struct pv_treegrow_kid *spare; /* q->keep: the children it did not keep */
    size_t spare_cap;
    double hidden_self;     /* the folded functions' share of tt */
    size_t fold_work;
    struct memo *memo;      /* nfuncs, with hide */
    struct pv_treegrow_kid *memo_kids;
    size_t nmemo_kids, memo_cap;
};

static bool on_path(const struct work *w, uint32_t f)
{
    return w->anc[f] == ON_PATH || w->anc[f] == w->anc_cur;
}

/* Whether f folds into its caller: a hidden kind, and not one of the
 * query's own path fids (those are never hidden). */
static bool folds(struct work *w, uint32_t f)
{
    static const unsigned mask[PV_FUNCKIND_COUNT] = {
        [PV_FUNCKIND_BUILTIN] = PV_HIDE_BUILTINS,
        [PV_FUNCKIND_STDLIB] = PV_HIDE_STDLIB,
        [PV_FUNCKIND_SITE] = PV_HIDE_SITE,
    };
    if (!w->hide || f == w->keep || w->anc[f] == ON_PATH)
        return false;
    return w->hide & mask[w->kind[f]];
}

/* The cand of fid in this expansion, made on first use; with fresh, a new
 * one that the fid does not find (a recursive leaf of a hidden function). */
static pv_code cand_of(struct work *w, uint32_t fid, bool hidden, bool fresh, uint32_t *out,
                       pv_err *err)
{
    if (!fresh && w->stamp[fid] == w->cur) {
        *out = w->slot[fid];
        return PV_OK;
    }
    if (!pv_vec_reserve((void **)&w->c, &w->ccap, w->nc + 1, sizeof *w->c))
        return pv_treegrow_no_memory(&w->g, err);
    w->c[w->nc] = (struct cand){.fid = fid, .leaf = NONE, .order = NONE, .exact = true,
                                .hidden = hidden};
    *out = (uint32_t)w->nc++;
    if (!fresh) {
        w->stamp[fid] = w->cur;
        w->slot[fid] = *out;
    }
    return PV_OK;
}

/* Time (and calls) reaching fid from the node or, when from is a hidden
 * cand's order, from that folded function.  A hidden function reached again
 * from below itself (a back edge) shows as a recursive leaf. */
static pv_code contribute(struct work *w, uint32_t fid, double value, double calls, bool exact,
                          uint32_t from, pv_err *err)
{
    uint32_t i = 0;
    bool hidden = folds(w, fid), back = false;
    if (cand_of(w, fid, hidden, false, &i, err))
        return err->code;
    if (hidden && from != NONE && w->c[i].order <= from) {
        if (w->c[i].leaf == NONE) {
            uint32_t leaf = 0;
            if (cand_of(w, fid, false, true, &leaf, err))
                return err->code;
            w->c[i].leaf = leaf;
        }
        i = w->c[i].leaf;
        back = true;
    }
    struct cand *c = &w->c[i];
    c->value += pv_treegrow_time(value);
    c->calls += pv_treegrow_time(calls);
    c->exact = c->exact && exact;
    c->recursive = c->recursive || back;
    return PV_OK;
}

/* stack and post hold hidden cands, one per fid: nfuncs is enough. */
static void push(struct work *w, uint32_t i)
{
    w->c[i].seen = true;
    w->c[i].next = w->p->callees_at[w->c[i].fid];
    w->stack[w->nstack++] = i;
}


/* Find the hidden functions reachable from the seeds through hidden
 * functions, in postorder. */
static pv_code fold_order(struct work *w, size_t nseeds, pv_err *err)
{
    const struct pv_profile *p = w->p;
    w->npost = 0;
    for (size_t s = 0; s < nseeds; s++) {
        if (!w->c[s].hidden || w->c[s].seen)
            continue;
        push(w, (uint32_t)s);
        while (w->nstack) {
            uint32_t top = w->stack[w->nstack - 1];
            uint32_t h = w->c[top].fid;
            if (w->c[top].next == p->callees_at[h + 1]) {
                w->nstack--;
                w->post[w->npost++] = top;
                continue;
            }
            uint32_t g = p->edges[w->c[top].next++].callee;
            if (++w->fold_work > w->g.max_steps)
                return pv_treegrow_over_steps(&w->g, err);
            if (!folds(w, g))
                continue;
            uint32_t j;
            if (cand_of(w, g, true, false, &j, err))
                return err->code;
            if (!w->c[j].seen)
                push(w, j);
        }
    }
    for (size_t k = 0; k < w->npost; k++)
        w->c[w->post[k]].order = (uint32_t)(w->npost - 1 - k);
    return PV_OK;
}

/* The children of fid (NONE: the virtual root, whose children are the
 * entry points) when its node carries its whole ct, into w->g.kids: hidden
 * functions folded, duplicates merged. */
static pv_code gather(struct work *w, uint32_t fid, pv_err *err)
{
    const struct pv_profile *p = w->p;
    w->cur++;
    w->nc = 0;
    w->g.nkids = 0;
    w->hidden_self = 0;
    if (fid == NONE) {
        for (size_t i = 0; i < w->g.nentries; i++) {
            const struct pv_func *f = &p->funcs[w->g.entries[i].fid];
            double v = w->g.entries[i].value;
            if (contribute(w, w->g.entries[i].fid, v, f->nc > 0 ? (double)f->nc : 0,
                           pv_treegrow_near(v, pv_treegrow_time(f->ct)), NONE, err))
                return err->code;
        }
    } else {
        for (uint32_t e = p->callees_at[fid]; e < p->callees_at[fid + 1]; e++) {
            const struct pv_edge *ed = &p->edges[e];
            if (contribute(w, ed->callee, edge_ct(p, ed), (double)ed->nc,
                           !pv_profile_edge_count_only(p, ed), NONE, err))
                return err->code;
        }
    }
    if (w->hide) {
        if (fold_order(w, w->nc, err))
            return err->code;
        /* Reverse postorder: every way into a hidden function is summed
         * before it passes its time on. */
        for (size_t k = w->npost; k-- > 0;) {
            const struct cand h = w->c[w->post[k]];
            const struct pv_func *f = &p->funcs[h.fid];
            double ct = pv_treegrow_time(f->ct), hratio = ct > 0 ? h.value / ct : 0;
            double call_ratio = f->nc > 0 ? h.calls / (double)f->nc : 0;
            bool h_exact = h.exact && pv_treegrow_near(h.value, ct);
            w->hidden_self += pv_treegrow_time(f->tt) * hratio;
            w->fold_work += p->callees_at[h.fid + 1] - p->callees_at[h.fid];
            if (w->fold_work > w->g.max_steps)
                return pv_treegrow_over_steps(&w->g, err); /* steps >= fold_work: stop now */
            for (uint32_t e = p->callees_at[h.fid]; e < p->callees_at[h.fid + 1]; e++) {
                const struct pv_edge *ed = &p->edges[e];
                if (contribute(w, ed->callee, edge_ct(p, ed) * hratio,
                               (double)ed->nc * call_ratio,
                               h_exact && !pv_profile_edge_count_only(p, ed), h.order, err))
                    return err->code;
            }
        }
    }
    if (pv_treegrow_reserve_kids(&w->g, w->nc + 1, err))
        return err->code;
    for (size_t i = 0; i < w->nc; i++) {
        const struct cand *c = &w->c[i];
        if (!c->hidden)
            w->g.kids[w->g.nkids++] =
                (struct pv_treegrow_kid){c->fid, c->exact, c->recursive, c->value, c->calls};
    }
    return PV_OK;
}

/* The children of fid at value into w->g.kids, recursive where they are on
 * the path: gathered at the whole ct (or taken from the memo), then scaled
 * to value.
 *
 * Every step counts against q->max_steps: the children considered at each
 * expansion and the edges walked while folding.  Each function is folded
 * once per build (see struct memo), so folding binds only when the memo is
 * full: the budget guards against quadratic work. */
static pv_code expand(struct work *w, uint32_t fid, double value, bool exact, pv_err *err)
{
    size_t folded = w->fold_work;
    double ratio = 1;
    bool src_exact = exact;
    if (fid != NONE) {
        double ct = pv_treegrow_time(w->p->funcs[fid].ct);
        ratio = ct > 0 ? value / ct : 0;
        src_exact = exact && pv_treegrow_near(value, ct);
    }
    struct memo *m = w->memo && fid != NONE && w->keep == NONE ? &w->memo[fid] : NULL;
    if (m && m->n != NONE) {
        if (pv_treegrow_reserve_kids(&w->g, m->n + 1, err))
            return err->code;
        if (m->n)
            memcpy(w->g.kids, w->memo_kids + m->at, m->n * sizeof *w->g.kids);
        w->g.nkids = m->n;
        w->hidden_self = m->self;
    } else {
        if (gather(w, fid, err))
            return err->code;
        if (m && w->nmemo_kids + w->g.nkids <= MEMO_MAX_KIDS &&
            pv_vec_reserve((void **)&w->memo_kids, &w->memo_cap, w->nmemo_kids + w->g.nkids + 1,
                 sizeof *w->memo_kids)) {
            memcpy(w->memo_kids + w->nmemo_kids, w->g.kids, w->g.nkids * sizeof *w->g.kids);
            *m = (struct memo){(uint32_t)w->nmemo_kids, (uint32_t)w->g.nkids, w->hidden_self};
            w->nmemo_kids += w->g.nkids;
        }
    }
    for (size_t i = 0; i < w->g.nkids; i++) {
        struct pv_treegrow_kid *k = &w->g.kids[i];
        k->value *= ratio;
        k->exact = k->exact && src_exact;
        k->recursive = k->recursive || on_path(w, k->fid);
    }
    w->hidden_self *= ratio;
    return pv_treegrow_account(&w->g, 1 + w->g.nkids + (w->fold_work - folded), err);
}

/* After expand(): fit the children in value, sort them, and return the
 * node's self time.
 *
 * Children add up to more than their parent when the parent recursed: the
 * calls that its nested invocations made are counted in its edges, and
 * again inside the child through which the recursion went (the module
 * that imported another, through exec; fib's edge to itself).  A nested
 * invocation runs inside one call of such a child, so what it calls takes
 * less time than the call around it: the double-counted time is in the
 * smaller children.  So the children are taken whole, largest first,
 * while they fit, and the last ones get what room is left (docs/API.md,
 * "How the tree is built", 4.).  Scaled all in proportion instead, the
 * sample's main module lost 10% under exec to the modules it imported,
 * and so did every function below it: none of them showed its pstats
 * cumtime. */
static double settle_kids(struct work *w, uint32_t fid, double value)
{
    double sum = 0;
    for (size_t i = 0; i < w->g.nkids; i++)
        sum += w->g.kids[i].value;
    pv_treegrow_sort_kids(&w->g);
    if (sum > value) {
        double room = value;
        sum = 0;
        for (size_t i = 0; i < w->g.nkids; i++) {
            struct pv_treegrow_kid *k = &w->g.kids[i];
            double kept = fmin(k->value, room);
            k->exact = k->exact && kept >= k->value * (1 - 1e-9);
            k->value = kept;
            room = fmax(room - kept, 0);
            sum += kept;
        }
        /* The cut ones may now tie at 0: ties go by fid. */
        pv_treegrow_sort_kids(&w->g);
    }
    double own = 0;
    if (fid != NONE) {
        double ct = pv_treegrow_time(w->p->funcs[fid].ct);
        own = ct > 0 ? pv_treegrow_time(w->p->funcs[fid].tt) * (value / ct) : 0;
    }
    return pv_treegrow_time(fmin(value - sum, own + w->hidden_self));
}

/* ---- the tree ----------------------------------------------------------- */

/* A leaf's self: its share of tt, as if it were expanded without hiding. */
static double leaf_self(const struct pv_profile *p, uint32_t fid, double value)
{
    double ct = pv_treegrow_time(p->funcs[fid].ct), tt = pv_treegrow_time(p->funcs[fid].tt);
    return ct > 0 ? pv_treegrow_time(fmin(value, tt * (value / ct))) : 0;
}

static struct pv_tree_node kid_node(const struct pv_profile *p, const struct pv_treegrow_kid *k)
{
    struct pv_tree_node n = {.fid = k->fid, .exact = k->exact, .recursive = k->recursive};
    n.truncated = !k->recursive && p->callees_at[k->fid + 1] > p->callees_at[k->fid];
    n.value = k->value;
    n.self = leaf_self(p, k->fid, k->value);
    n.calls = pv_treegrow_calls(k->calls);
    return n;
}

/* Move the children below the cutoff (kids[kept..]) that q->keep asks for
 * up to kids[kept..], in order; returns how many children are kept now. */
static pv_code keep_asked(struct work *w, size_t i, size_t *kept, pv_err *err)
{
    const struct pv_tree *t = w->g.t;
    uint32_t fids[PV_TREE_MAX_DEPTH + 1];
    size_t nfids = 0;
    for (size_t a = i; a != 0 && nfids < PV_TREE_MAX_DEPTH + 1; a = w->g.parent[a])
        fids[nfids++] = t->nodes[a].fid;
    for (size_t k = 0; k < nfids / 2; k++) {
        uint32_t f = fids[k];
        fids[k] = fids[nfids - 1 - k];
        fids[nfids - 1 - k] = f;
    }
    if (!pv_vec_reserve((void **)&w->spare, &w->spare_cap, w->g.nkids + 1, sizeof *w->spare))
        return pv_treegrow_no_memory(&w->g, err);
    size_t nspare = 0, to = *kept;
    for (size_t k = *kept; k < w->g.nkids; k++) {
        if (w->g.q->keep(w->g.q->keep_ctx, i, fids, nfids, w->g.kids[k].fid))
            w->g.kids[to++] = w->g.kids[k];
        else
            w->spare[nspare++] = w->g.kids[k];
    }
    if (nspare)
        memcpy(w->g.kids + to, w->spare, nspare * sizeof *w->spare);
    *kept = to;
    return PV_OK;
}

/* Time no recorded call accounts for at a node of fid worth value, after
 * settle_kids() gave it self: what is left of value once its children and
 * self are taken, when asked for and worth a node (at least the cutoff's
 * limit, and more than rounding), else 0.  cProfile's times add up: a
 * call's ct is its tt plus its callees' ct.  When the profiler was off
 * during a call (code under test switched it off and on, as the standard
 * library's tests do), the call's ct holds time that no tt does, and the
 * top call's ct exceeds pstats' total.  Edges with call counts only (the
 * `profile` module's) give estimates that need not add up: none there. */
static double unrecorded_time(const struct work *w, uint32_t fid, double value, double self,
                              double limit)
{
    if (!w->g.q->show_unrecorded || fid == NONE)
        return 0;
    double sum = 0;
    for (size_t k = 0; k < w->g.nkids; k++)
        sum += w->g.kids[k].value;
    double left = value - sum - self;
    if (!(left >= limit && left > UNRECORDED_MIN * w->g.t->nodes[0].value))
        return 0;
    const struct pv_profile *p = w->p;
    for (uint32_t e = p->callees_at[fid]; e < p->callees_at[fid + 1]; e++)
        if (pv_profile_edge_count_only(p, &p->edges[e]))
            return 0;
    return left;
}

/* kid_node() as the growth asks for it (pv_treegrow_leaf_fn); ctx is the
 * work. */
static pv_code leaf_node(void *ctx, const struct pv_treegrow_kid *k, struct pv_tree_node *out,
                         pv_err *err)
{
    const struct work *w = ctx;
    *out = kid_node(w->p, k);
    return PV_OK;
}

/* Expand node i (pv_treegrow_expand_fn; ctx is the work): its children go
 * at the end of the node array. */
static pv_code expand_node(void *ctx, size_t i, double limit, pv_err *err)
{
    struct work *w = ctx;
    const struct pv_tree_node *n = &w->g.t->nodes[i];
    w->anc_cur++;
    for (size_t a = i; a != 0; a = w->g.parent[a])
        w->anc[w->g.t->nodes[a].fid] = w->anc_cur;
    uint32_t fid = n->fid == PV_TREE_TOP ? NONE : n->fid;
    if (expand(w, fid, n->value, n->exact, err))
        return err->code;
    double self = settle_kids(w, fid, n->value);
    double unrecorded = unrecorded_time(w, fid, n->value, self, limit);
    size_t kept = pv_treegrow_over_cutoff(&w->g, limit);
    if (w->g.q->keep && kept < w->g.nkids && keep_asked(w, i, &kept, err))
        return err->code;
    return pv_treegrow_place(&w->g, i, self, kept, unrecorded, leaf_node, w, err);
}

pv_code pv_tree_query_check(const struct pv_profile *p, const struct pv_tree_query *q,
                            pv_err *err)
{
    if (q->depth != PV_TREE_DEPTH_AUTO &&
        (q->depth < PV_TREE_MIN_DEPTH || q->depth > PV_TREE_MAX_DEPTH))
        return pv_err_set(err, PV_E_USAGE, "depth %d: expected %d to %d, or auto", q->depth,
                          PV_TREE_MIN_DEPTH, PV_TREE_MAX_DEPTH);
    if (!(q->cutoff >= PV_TREE_MIN_CUTOFF && q->cutoff <= PV_TREE_MAX_CUTOFF))
        return pv_err_set(err, PV_E_USAGE, "cutoff %g: expected a fraction from %g to %g",
                          q->cutoff, PV_TREE_MIN_CUTOFF, PV_TREE_MAX_CUTOFF);
    if (q->max_nodes < PV_TREE_MIN_NODES || q->max_nodes > PV_TREE_MAX_NODES)
        return pv_err_set(err, PV_E_USAGE, "max_nodes %zu: expected %d to %d", q->max_nodes,
                          PV_TREE_MIN_NODES, PV_TREE_MAX_NODES);
    if (q->hide & ~(unsigned)(PV_HIDE_BUILTINS | PV_HIDE_STDLIB | PV_HIDE_SITE))
        return pv_err_set(err, PV_E_USAGE, "hide %#x: unknown kinds", q->hide);
    if (q->by_root && q->npath)
        return pv_err_set(err, PV_E_USAGE, "a root and a path: give one or the other");
    for (size_t i = 0; q->entries && i < q->nentries; i++)
        if (q->entries[i].fid >= p->nfuncs)
            return pv_err_set(err, PV_E_USAGE,
                              "entry point %zu: fid %u, but the profile has %u functions", i + 1,
                              q->entries[i].fid, p->nfuncs);
    for (size_t i = 0; i < (q->by_root ? 1 : q->npath); i++) {
        uint32_t f = q->by_root ? q->root : q->path[i];
        char where[40] = "root";
        if (!q->by_root)
            snprintf(where, sizeof where, "path step %zu", i + 1);
        if (f >= p->nfuncs)
            return pv_err_set(err, PV_E_NOTFOUND,
                              "%s: no function with fid %u (the profile has %u)", where, f,
                              p->nfuncs);
        if (p->funcs[f].flags & PV_FUNC_PHANTOM)
            return pv_err_set(err, PV_E_NOTFOUND,
                              "%s: fid %u is only named as a caller, it has no stats", where,
                              f);
    }
    return PV_OK;
}

/* Follow the query's path from the top: each step must be a child of the
 * one before as the tree shows it, and takes the value it had there. */
static pv_code walk_path(struct work *w, struct pv_tree_node *root, pv_err *err)
{
    const struct pv_tree_query *q = w->g.q;
    for (size_t i = 0; i < q->npath; i++) {
        uint32_t f = q->path[i];
        if (w->anc[f] == ON_PATH)
            return pv_err_set(err, PV_E_USAGE,
                              "path step %zu: fid %u is already on the path (a recursive node "
                              "has no children)",
                              i + 1, f);
        w->keep = f;
        w->anc_cur++; /* no ancestors but the path's own */
        if (expand(w, i ? q->path[i - 1] : NONE, root->value, root->exact, err))
            return err->code;
        settle_kids(w, i ? q->path[i - 1] : NONE, root->value);
        const struct pv_treegrow_kid *k = NULL;
        for (size_t j = 0; j < w->g.nkids && !k; j++)
            if (w->g.kids[j].fid == f)
                k = &w->g.kids[j];
        if (!k && !i)
            return pv_err_set(err, PV_E_USAGE, "path step 1: fid %u is not an entry point", f);
        if (!k)
            return pv_err_set(err, PV_E_USAGE, "path step %zu: fid %u is not called by fid %u",
                              i + 1, f, q->path[i - 1]);
        *root = kid_node(w->p, k);
        if (pv_treegrow_add_crumb(&w->g, f, root->value, err))
            return err->code;
        w->anc[f] = ON_PATH;
    }
    w->keep = NONE;
    return PV_OK;
}

void pv_tree_query_init(struct pv_tree_query *q)
{
    *q = (struct pv_tree_query){.depth = PV_TREE_DEFAULT_DEPTH,
                                .cutoff = PV_TREE_DEFAULT_CUTOFF,
                                .max_nodes = PV_TREE_DEFAULT_MAX_NODES};
}

static void work_fini(struct work *w)
{
    free(w->slot);
    free(w->stamp);
    free(w->anc);
    free(w->kind);
    free(w->memo);
    free(w->memo_kids);
    free(w->c);
    free(w->stack);
    free(w->post);
    free(w->spare);
    pv_treegrow_fini(&w->g);
}

/* The arrays a build indexes by fid, an empty tree, and the entry points.
 * On failure nothing is left allocated. */
static pv_code work_init(struct work *w, const struct pv_profile *p,
                         const struct pv_tree_query *q, pv_err *err)
{
    *w = (struct work){.p = p, .hide = q->hide, .keep = NONE};
    if (pv_treegrow_init(&w->g, p, q, false, "tree",
                         "lower max_nodes or depth, raise cutoff, or hide fewer kinds", err))
        return err->code;
    size_t nf = (size_t)p->nfuncs + 1;
    w->slot = malloc(nf * sizeof *w->slot);
    w->stamp = calloc(nf, sizeof *w->stamp);
    w->anc = calloc(nf, sizeof *w->anc);
    if (q->hide) {
        w->kind = malloc(nf);
        w->stack = malloc(nf * sizeof *w->stack);
        w->post = malloc(nf * sizeof *w->post);
        w->memo = malloc(nf * sizeof *w->memo);
    }
    if (!w->slot || !w->stamp || !w->anc ||
        (q->hide && (!w->kind || !w->stack || !w->post || !w->memo))) {
        pv_treegrow_no_memory(&w->g, err);
        work_fini(w);
        return err->code;
    }
    if (q->hide) {
        for (size_t f = 0; f < nf; f++)
            w->memo[f].n = NONE;
        pv_funckind_fill(p, w->kind);
    }
    return PV_OK;
}

/* The tree's root: the virtual root "all", the end of the query's path, or
 * the query's root function; with the breadcrumbs down to it. */
static pv_code plant_root(struct work *w, pv_err *err)
{
    const struct pv_profile *p = w->p;
    const struct pv_tree_query *q = w->g.q;
    double total = pv_tree_entries_value(w->g.entries, w->g.nentries);
    if (pv_treegrow_add_crumb(&w->g, PV_TREE_TOP, total, err))
        return err->code;
    struct pv_tree_node root = {
        .fid = PV_TREE_TOP, .exact = true, .value = total, .truncated = w->g.nentries > 0};
    if (q->by_root) {
        const struct pv_func *f = &p->funcs[q->root];
        root = kid_node(p, &(struct pv_treegrow_kid){q->root, true, false,
                                                     pv_treegrow_time(f->ct), (double)f->nc});
        w->anc[q->root] = ON_PATH;
        if (pv_treegrow_add_crumb(&w->g, q->root, root.value, err))
            return err->code;
    } else if (walk_path(w, &root, err))
        return err->code;
    return pv_treegrow_add_node(&w->g, &root, 0, err);
}

pv_code pv_tree_build(const struct pv_profile *p, const struct pv_tree_query *q,
                      struct pv_tree **out, pv_err *err)
{
    pv_err local;
    if (!err)
        err = &local;
    if (pv_tree_query_check(p, q, err))
        return err->code;
    struct work w;
    if (work_init(&w, p, q, err))
        return err->code;
    pv_code rc = plant_root(&w, err);
    if (rc == PV_OK)
        rc = pv_treegrow_grow(&w.g, expand_node, &w, err);
    if (rc == PV_OK) {
        *out = w.g.t;
        w.g.t = NULL;
    }
    work_fini(&w);
    return rc;
}

void pv_tree_destroy(struct pv_tree *t)
{
    if (!t)
        return;
    free(t->nodes);
    free(t->crumbs);
    free(t);
}

double pv_tree_edge_ct(const struct pv_profile *p, const struct pv_edge *e)
{
    return edge_ct(p, e);
}

uint32_t pv_tree_fake_root(const struct pv_profile *p)
{
    return fake_root(p);
}
