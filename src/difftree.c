/* difftree.c - one call tree over two runs (see difftree.h).
 *
 * Three builds of the tree module and a merge.  Call X the run the query
 * names and Y the other:
 *   1. X's tree as the query asks;
 *   2. Y's tree, keeping also every child that (1) has at the same place;
 *   3. X's tree again, keeping also every child that (2) has there.
 * (3) holds everything (1) does, since (2) kept it, plus what Y alone
 * passed: so (2) and (3) have the same nodes, but where the node budget
 * ran out in one run, and every value is the tree module's own. */
#include "difftree.h"

#include <stdlib.h>
#include <string.h>

#include "vec.h"

#define NONE PV_DIFF_NONE

static pv_code no_memory(pv_err *err)
{
    return pv_err_set(err, PV_E_NOMEM, "out of memory building the diff tree");
}

/* ---- keeping what the other run kept ----------------------------------- */

struct keeper {
    const struct pv_tree *other;
    const uint32_t *to_other;   /* this run's fid -> the other's */
    const uint32_t *from_other; /* the other run's fid -> this one's */
    uint32_t *stamp, cur;       /* this run's fids: a child kept by the other */
    size_t node;                /* the node whose children are stamped */
};

/* The node of the other tree at the place of fids (from its root), or NONE. */
static uint32_t place_in(const struct keeper *k, const uint32_t *fids, size_t nfids)
{
    const struct pv_tree *o = k->other;
    uint32_t at = 0;
    for (size_t i = 0; i < nfids; i++) {
        uint32_t want = k->to_other[fids[i]], next = NONE;
        if (want == NONE)
            return NONE;
        const struct pv_tree_node *n = &o->nodes[at];
        for (uint32_t c = n->first_child; c < n->first_child + n->nchildren && next == NONE; c++)
            if (!o->nodes[c].other && o->nodes[c].fid == want)
                next = c;
        if (next == NONE)
            return NONE;
        at = next;
    }
    return at;
}

static bool keep_what_other_kept(void *ctx, size_t node, const uint32_t *fids, size_t nfids,
                                 uint32_t child)
{
    struct keeper *k = ctx;
    if (node != k->node) {
        k->node = node;
        k->cur++;
        uint32_t at = place_in(k, fids, nfids);
        const struct pv_tree *o = k->other;
        if (at != NONE)
            for (uint32_t c = o->nodes[at].first_child;
                 c < o->nodes[at].first_child + o->nodes[at].nchildren; c++) {
                uint32_t mine = o->nodes[c].other ? NONE : k->from_other[o->nodes[c].fid];
                if (mine != NONE)
                    k->stamp[mine] = k->cur;
            }
    }
    return k->stamp[child] == k->cur;
}

static pv_code build_keeping(const struct pv_profile *p, const struct pv_tree_query *q,
                             const struct pv_tree *other, const uint32_t *to_other,
                             const uint32_t *from_other, struct pv_tree **out, pv_err *err)
{
    struct keeper k = {other, to_other, from_other, calloc((size_t)p->nfuncs + 1, sizeof *k.stamp),
                       0, (size_t)-1};
    if (!k.stamp)
        return no_memory(err);
    struct pv_tree_query kq = *q;
    kq.keep = keep_what_other_kept;
    kq.keep_ctx = &k;
    pv_code rc = pv_tree_build(p, &kq, out, err);
    free(k.stamp);
    return rc;
}

/* ---- merging ------------------------------------------------------------ */

struct kid {
    uint32_t a, b;
    double value; /* the larger of the two */
    bool other;
};

static int cmp_kids(const void *x, const void *y)
{
    const struct kid *l = x, *r = y;
    if (l->other != r->other)
        return l->other ? 1 : -1;
    if (l->value != r->value)
        return l->value > r->value ? -1 : 1;
    if (l->a != r->a)
        return l->a < r->a ? -1 : 1;
    return (l->b > r->b) - (l->b < r->b);
}

struct merge {
    const struct pv_diff *d;
    struct pv_difftree *t;
    size_t cap;
    struct kid *kids;
    size_t kcap;
    uint32_t *b_slot, *b_stamp, cur; /* B's fid -> B's child node, this parent */
};

static double value_of(const struct pv_tree *t, uint32_t node)
{
    return node == NONE ? 0 : t->nodes[node].value;
}

static pv_code merge_children(struct merge *m, size_t i, pv_err *err)
{
    struct pv_difftree *t = m->t;
    const struct pv_tree *ta = t->ta, *tb = t->tb;
    struct pv_difftree_node n = t->nodes[i];
    const struct pv_tree_node *na = n.a != NONE ? &ta->nodes[n.a] : NULL;
    const struct pv_tree_node *nb = n.b != NONE ? &tb->nodes[n.b] : NULL;
    size_t most = (na ? na->nchildren : 0) + (nb ? nb->nchildren : 0), nkids = 0;
    if (!most)
        return PV_OK;
    if (!pv_vec_reserve((void **)&m->kids, &m->kcap, most, sizeof *m->kids))
        return no_memory(err);
    m->cur++;
    uint32_t b_other = NONE;
    for (uint32_t c = nb ? nb->first_child : 0; nb && c < nb->first_child + nb->nchildren; c++) {
        if (tb->nodes[c].other)
            b_other = c;
        else if (m->b_stamp[tb->nodes[c].fid] != m->cur) {
            m->b_stamp[tb->nodes[c].fid] = m->cur;
            m->b_slot[tb->nodes[c].fid] = c;
        }
    }
    for (uint32_t c = na ? na->first_child : 0; na && c < na->first_child + na->nchildren; c++) {
        struct kid k = {c, NONE, 0, ta->nodes[c].other};
        if (k.other) {
            k.b = b_other;
            b_other = NONE;
        } else {
            uint32_t fb = m->d->a_to_b[ta->nodes[c].fid];
            if (fb != NONE && m->b_stamp[fb] == m->cur) {
                k.b = m->b_slot[fb];
                m->b_stamp[fb] = 0; /* taken */
            }
        }
        m->kids[nkids++] = k;
    }
    for (uint32_t c = nb ? nb->first_child : 0; nb && c < nb->first_child + nb->nchildren; c++) {
        bool left = tb->nodes[c].other ? c == b_other
                                       : m->b_stamp[tb->nodes[c].fid] == m->cur &&
                                             m->b_slot[tb->nodes[c].fid] == c;
        if (left)
            m->kids[nkids++] = (struct kid){NONE, c, 0, tb->nodes[c].other};
    }
    for (size_t k = 0; k < nkids; k++) {
        double va = value_of(ta, m->kids[k].a), vb = value_of(tb, m->kids[k].b);
        m->kids[k].value = va > vb ? va : vb;
    }
    qsort(m->kids, nkids, sizeof *m->kids, cmp_kids);
    if (!pv_vec_reserve((void **)&t->nodes, &m->cap, t->nnodes + nkids, sizeof *t->nodes))
        return no_memory(err);
    t->nodes[i].first_child = (uint32_t)t->nnodes;
    t->nodes[i].nchildren = (uint32_t)nkids;
    for (size_t k = 0; k < nkids; k++)
        t->nodes[t->nnodes++] = (struct pv_difftree_node){m->kids[k].a, m->kids[k].b, 0, 0};
    return PV_OK;
}

static pv_code merge(const struct pv_diff *d, struct pv_difftree *t, pv_err *err)
{
    struct merge m = {.d = d, .t = t};
    m.b_slot = malloc(((size_t)d->b->nfuncs + 1) * sizeof *m.b_slot);
    m.b_stamp = calloc((size_t)d->b->nfuncs + 1, sizeof *m.b_stamp);
    pv_code rc = PV_OK;
    if (!m.b_slot || !m.b_stamp ||
        !pv_vec_reserve((void **)&t->nodes, &m.cap, 1, sizeof *t->nodes)) {
        rc = no_memory(err);
        goto free_scratch;
    }
    t->nodes[t->nnodes++] =
        (struct pv_difftree_node){t->ta ? 0 : NONE, t->tb ? 0 : NONE, 0, 0};
    /* Children are appended in the order parents are merged: level by
     * level, as the tree module numbers its nodes. */
    for (size_t i = 0; i < t->nnodes && !rc; i++)
        rc = merge_children(&m, i, err);
free_scratch:
    free(m.b_slot);
    free(m.b_stamp);
    free(m.kids);
    return rc;
}

/* ---- the build ---------------------------------------------------------- */

/* q in the other run's fids, with that run's entry points (NULL: found
 * by the build): false when a step has no partner there. */
static bool translate(const struct pv_tree_query *q, const uint32_t *to_other, uint32_t *path,
                      const struct pv_entry *entries, size_t nentries, struct pv_tree_query *out)
{
    *out = *q;
    out->path = path;
    out->entries = entries;
    out->nentries = nentries;
    for (size_t i = 0; i < q->npath; i++)
        if ((path[i] = to_other[q->path[i]]) == NONE)
            return false;
    if (q->by_root && (out->root = to_other[q->root]) == NONE)
        return false;
    return true;
}

pv_code pv_difftree_build(const struct pv_diff *d, const struct pv_tree_query *q, bool from_b,
                          const struct pv_difftree_entries *entries, struct pv_difftree **out,
                          pv_err *err)
{
    pv_err local;
    if (!err)
        err = &local;
    const struct pv_profile *px = from_b ? d->b : d->a, *py = from_b ? d->a : d->b;
    const uint32_t *x_to_y = from_b ? d->b_to_a : d->a_to_b;
    const uint32_t *y_to_x = from_b ? d->a_to_b : d->b_to_a;
    struct pv_tree *first = NULL, *tx = NULL, *ty = NULL;
    struct pv_tree_query qx = *q, qy;
    if (entries) {
        qx.entries = from_b ? entries->b : entries->a;
        qx.nentries = from_b ? entries->nb : entries->na;
    }
    uint32_t *path_y = malloc((q->npath + 1) * sizeof *path_y);
    struct pv_difftree *t = calloc(1, sizeof *t);
    pv_code rc = PV_OK;
    if (!path_y || !t) {
        rc = no_memory(err);
        goto destroy_trees;
    }
    if ((rc = pv_tree_build(px, &qx, &first, err)))
        goto destroy_trees;
    if (translate(&qx, x_to_y, path_y, !entries ? NULL : from_b ? entries->a : entries->b,
                  !entries ? 0 : from_b ? entries->na : entries->nb, &qy)) {
        rc = build_keeping(py, &qy, first, y_to_x, x_to_y, &ty, err);
        if (rc == PV_E_USAGE || rc == PV_E_NOTFOUND)
            rc = PV_OK; /* the path leads nowhere in Y: that side is empty */
        if (rc)
            goto destroy_trees;
    }
    if (ty) {
        if ((rc = build_keeping(px, &qx, ty, x_to_y, y_to_x, &tx, err)))
            goto destroy_trees;
    } else {
        tx = first;
        first = NULL;
    }
    t->ta = from_b ? ty : tx;
    t->tb = from_b ? tx : ty;
    tx = ty = NULL;
    if ((rc = merge(d, t, err)))
        goto destroy_trees;
    *out = t;
    t = NULL;
destroy_trees:
    pv_tree_destroy(first);
    pv_tree_destroy(tx);
    pv_tree_destroy(ty);
    pv_difftree_destroy(t);
    free(path_y);
    return rc;
}

void pv_difftree_destroy(struct pv_difftree *t)
{
    if (!t)
        return;
    pv_tree_destroy(t->ta);
    pv_tree_destroy(t->tb);
    free(t->nodes);
    free(t);
}
