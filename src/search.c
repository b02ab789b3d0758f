/* search.c - a search over the whole profile: the time a set of functions
 * takes together, and the heaviest way down to one function (see
 * search.h).  Both walk the call graph once, in O(functions + edges). */
#include "search.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

enum { NONE = UINT32_MAX };

static pv_code no_memory(pv_err *err)
{
    return pv_err_set(err, PV_E_NOMEM, "out of memory searching the profile");
}

static double fin(double x)
{
    return isfinite(x) && x > 0 ? x : 0;
}

static bool is_phantom(const struct pv_profile *p, uint32_t f)
{
    return (p->funcs[f].flags & PV_FUNC_PHANTOM) != 0;
}

/* ---- the matches' time together ----------------------------------------- */

/* The matches and what they call, in reverse postorder of a depth-first
 * walk down the callees from each match in fid order: order[0..n) and
 * pos[f] its place (NONE when not reached).  An edge q -> f with
 * pos[q] >= pos[f] closes a cycle; every other edge goes forward, so one
 * pass in this order sees each caller before its callees.  Only what the
 * matches reach is walked: the rest holds no nested time. */
struct walk_order {
    uint32_t *pos;   /* nfuncs */
    uint32_t *order; /* n of nfuncs */
    uint32_t n;
};

static pv_code walk_order_init(struct walk_order *w, const struct pv_profile *p,
                               const bool *match, pv_err *err)
{
    size_t nfuncs = p->nfuncs;
    w->pos = pv_vec_alloc(nfuncs, sizeof *w->pos);
    w->order = pv_vec_alloc(nfuncs, sizeof *w->order);
    uint32_t *stack = pv_vec_alloc(nfuncs, sizeof *stack);
    uint32_t *next_edge = pv_vec_alloc(nfuncs, sizeof *next_edge);
    if (!w->pos || !w->order || !stack || !next_edge)
        goto fail_alloc;
    for (size_t f = 0; f < nfuncs; f++)
        w->pos[f] = NONE; /* not reached */
    /* Postorder, into order[] from its end, so that the reverse comes out
     * once it is moved to the front. */
    size_t left = nfuncs;
    for (uint32_t start = 0; start < nfuncs; start++) {
        if (!match[start] || w->pos[start] != NONE)
            continue;
        size_t depth = 0;
        stack[depth] = start;
        next_edge[depth++] = p->callees_at[start];
        w->pos[start] = 0; /* reached */
        while (depth) {
            uint32_t f = stack[depth - 1];
            uint32_t e = next_edge[depth - 1];
            if (e < p->callees_at[f + 1]) {
                next_edge[depth - 1] = e + 1;
                uint32_t c = p->edges[e].callee;
                if (w->pos[c] == NONE) {
                    w->pos[c] = 0;
                    stack[depth] = c;
                    next_edge[depth++] = p->callees_at[c];
                }
                continue;
            }
            w->order[--left] = f;
            depth--;
        }
    }
    w->n = (uint32_t)(nfuncs - left);
    memmove(w->order, w->order + left, w->n * sizeof *w->order);
    for (uint32_t i = 0; i < w->n; i++)
        w->pos[w->order[i]] = i;
    free(stack);
    free(next_edge);
    return PV_OK;

fail_alloc:
    free(w->pos);
    free(w->order);
    free(stack);
    free(next_edge);
    return no_memory(err);
}

static void walk_order_fini(struct walk_order *w)
{
    free(w->pos);
    free(w->order);
}

pv_code pv_search_time(const struct pv_profile *p, const uint32_t *fids, size_t n,
                       double *seconds, pv_err *err)
{
    if (n == 0) {
        *seconds = 0;
        return PV_OK;
    }
    struct walk_order w = {0};
    bool *match = pv_vec_calloc(p->nfuncs, sizeof *match);
    /* nested[f]: the part of f's ct spent under a match above it */
    double *nested = pv_vec_calloc(p->nfuncs, sizeof *nested);
    /* every ct, finite and not negative, packed: the pass below reads
     * them at random, and struct pv_func is 48 bytes */
    double *ct = pv_vec_alloc(p->nfuncs, sizeof *ct);
    if (!match || !nested || !ct)
        goto fail_alloc;
    for (size_t i = 0; i < n; i++)
        match[fids[i]] = true;
    if (walk_order_init(&w, p, match, err))
        goto fail_walk;
    for (uint32_t f = 0; f < p->nfuncs; f++)
        ct[f] = fin(p->funcs[f].ct);
    /* In walk order each function's callers come first, so pushing down
     * along its callee edges finishes a callee's sum before its turn.
     * Pushing reads the edges in their own order: pulling through
     * by_callee missed the cache once per edge. */
    for (uint32_t i = 0; i < w.n; i++) {
        uint32_t f = w.order[i];
        nested[f] = fmin(nested[f], ct[f]);
        /* the share of f's time that is under a match, f's own included */
        double under = match[f] ? 1 : ct[f] > 0 ? nested[f] / ct[f] : 0;
        if (under <= 0)
            continue;
        for (uint32_t e = p->callees_at[f]; e < p->callees_at[f + 1]; e++) {
            uint32_t c = p->edges[e].callee;
            if (w.pos[c] <= i) /* recursion: c's time already holds this */
                continue;
            nested[c] += under * fmin(pv_tree_edge_ct(p, &p->edges[e]), ct[c]);
        }
    }
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += ct[fids[i]] - nested[fids[i]];
    walk_order_fini(&w);
    free(match);
    free(nested);
    free(ct);
    *seconds = total;
    return PV_OK;

fail_alloc:
    no_memory(err);
fail_walk:
    free(match);
    free(nested);
    free(ct);
    return err->code;
}

/* ---- the heaviest path -------------------------------------------------- */

/* A max-heap of (value, fid): the next function to settle is the one with
 * the most time reached so far, ties by the smaller fid. */
struct reach {
    double value;
    uint32_t fid;
};

struct heap {
    struct reach *items;
    size_t n, cap;
};

static bool above(const struct reach *a, const struct reach *b)
{
    return a->value > b->value || (a->value == b->value && a->fid < b->fid);
}

static bool heap_push(struct heap *h, double value, uint32_t fid)
{
    if (!pv_vec_reserve((void **)&h->items, &h->cap, h->n + 1, sizeof *h->items))
        return false;
    size_t i = h->n++;
    struct reach r = {value, fid};
    while (i > 0 && above(&r, &h->items[(i - 1) / 2])) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = r;
    return true;
}

static struct reach heap_pop(struct heap *h)
{
    struct reach top = h->items[0], last = h->items[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && above(&h->items[c + 1], &h->items[c]))
            c++;
        if (!above(&h->items[c], &last))
            break;
        h->items[i] = h->items[c];
        i = c;
    }
    if (h->n)
        h->items[i] = last;
    return top;
}

/* Dijkstra's algorithm for the largest product of shares: a step never
 * adds time (each share is at most 1), so the first time a function is
 * taken from the heap, no other way reaches it with more.  It also means
 * no path found repeats a function. */
pv_code pv_search_path(const struct pv_profile *p, const struct pv_entry *entries,
                       size_t nentries, uint32_t fid, uint32_t *path, size_t max, size_t *len,
                       double *value, pv_err *err)
{
    if (fid >= p->nfuncs || is_phantom(p, fid))
        return pv_err_set(err, PV_E_NOTFOUND, "no function with fid %u", fid);
    double *best = pv_vec_alloc(p->nfuncs, sizeof *best);
    uint32_t *from = pv_vec_alloc(p->nfuncs, sizeof *from);
    bool *settled = pv_vec_calloc(p->nfuncs, sizeof *settled);
    struct heap h = {0};
    pv_code rc = PV_OK;
    if (!best || !from || !settled)
        goto fail_memory;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        best[f] = -1; /* not reached */
        from[f] = NONE;
    }
    for (size_t i = 0; i < nentries; i++) {
        uint32_t f = entries[i].fid;
        double v = fin(entries[i].value);
        if (f >= p->nfuncs || is_phantom(p, f) || v <= best[f])
            continue;
        best[f] = v;
        if (!heap_push(&h, v, f))
            goto fail_memory;
    }
    while (h.n && !settled[fid]) {
        struct reach r = heap_pop(&h);
        uint32_t f = r.fid;
        if (settled[f])
            continue;
        settled[f] = true;
        double ct = fin(p->funcs[f].ct);
        for (uint32_t e = p->callees_at[f]; e < p->callees_at[f + 1]; e++) {
            uint32_t c = p->edges[e].callee;
            if (settled[c] || is_phantom(p, c))
                continue;
            double share = ct > 0 ? fmin(pv_tree_edge_ct(p, &p->edges[e]) / ct, 1) : 0;
            double v = best[f] * share;
            if (v > best[c]) {
                best[c] = v;
                from[c] = f;
                if (!heap_push(&h, v, c))
                    goto fail_memory;
            }
        }
    }
    if (!settled[fid]) {
        rc = pv_err_set(err, PV_E_NOTFOUND, "no entry point calls function %u", fid);
        goto free_scratch;
    }
    size_t steps = 0;
    for (uint32_t f = fid; f != NONE; f = from[f])
        steps++;
    if (steps > max) {
        rc = pv_err_set(err, PV_E_LIMIT, "the path to function %u has %zu steps, over %zu", fid,
                        steps, max);
        goto free_scratch;
    }
    size_t i = steps;
    for (uint32_t f = fid; f != NONE; f = from[f])
        path[--i] = f;
    *len = steps;
    if (value)
        *value = best[fid];
    goto free_scratch;

fail_memory:
    rc = no_memory(err);
free_scratch:
    free(best);
    free(from);
    free(settled);
    free(h.items);
    return rc;
}
