/* treegrow.h - what the two tree builders share: tree.c (children are
 * callees) and invtree.c (children are callers) grow one struct pv_tree
 * the same way, and each rule of that growth is written here once.
 *
 * Shared: reading a time (finite, at least 0), the entry points (given or
 * found; pv_tree_entries_value sums them into the top's value), the work
 * budget and the stop check, the node and crumb arrays with each node's
 * parent, the children of the expansion at hand and their order, placing
 * them under their node (those over the cutoff, then "not recorded", then
 * "other", within the node budget), and the breadth-first growth, level
 * by level and the larger nodes of a level first.  Each builder's own:
 * how a node's children are found and fitted in its value, and what a
 * leaf's self time is.
 *
 * Internal to the tree modules: only tree.c and invtree.c include it. */
#ifndef PV_TREEGROW_H
#define PV_TREEGROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "pv.h"
#include "tree.h"

/* A candidate child of the node being expanded. */
struct pv_treegrow_kid {
    uint32_t fid;
    bool exact, recursive;
    double value, calls;
};

struct pv_treegrow {
    const struct pv_tree_query *q;
    struct pv_tree *t;          /* the tree being grown; the builder moves it
                                   out on success (then NULL) */
    const char *what;           /* "tree" or "inverted tree", for messages */
    const char *advice;         /* what to change when over the step budget */
    uint32_t *parent;           /* node -> its parent node; grown with nodes */
    size_t ncap, parent_cap, crumb_cap;
    struct pv_treegrow_kid *kids; /* the children of the expansion at hand */
    size_t nkids, kcap;
    const struct pv_entry *entries; /* the query's, or found */
    size_t nentries;
    struct pv_entry *found;     /* found here when the query has none */
    size_t steps, max_steps, next_stop_check; /* the work budget */
};

/* A time as the trees read it: profiles may hold NaN, infinite or negative
 * numbers (they load with a warning), and a tree's numbers are finite and
 * at least 0.  Cannot fail. */
double pv_treegrow_time(double x);

/* Whether two times are the same but for rounding.  Cannot fail. */
bool pv_treegrow_near(double a, double b);

/* Summed calls as a node's count: rounded, INT64_MAX beyond it.  Cannot
 * fail. */
int64_t pv_treegrow_calls(double calls);

/* Start growing the tree that q asks for (already checked): an empty tree
 * holding q's settings, inverted as said, the step budget, and the entry
 * points (q's, or found here).  what and advice (static strings) word the
 * messages: "<what> too large: ... - <advice>", "out of memory building
 * the <what>".  On failure nothing is left allocated (PV_E_NOMEM). */
pv_code pv_treegrow_init(struct pv_treegrow *g, const struct pv_profile *p,
                         const struct pv_tree_query *q, bool inverted, const char *what,
                         const char *advice, pv_err *err);

/* Frees everything g holds, the tree too unless it was moved out.  Cannot
 * fail. */
void pv_treegrow_fini(struct pv_treegrow *g);

/* PV_E_NOMEM, worded for this builder. */
pv_code pv_treegrow_no_memory(const struct pv_treegrow *g, pv_err *err);

/* PV_E_LIMIT: the build takes over max_steps. */
pv_code pv_treegrow_over_steps(const struct pv_treegrow *g, pv_err *err);

/* Count steps against the budget (PV_E_LIMIT beyond it), and every few
 * thousand ask q->stop whether to go on (PV_E_CANCELLED when not). */
pv_code pv_treegrow_account(struct pv_treegrow *g, size_t steps, pv_err *err);

/* Room for n children in g->kids (their count is left as it is):
 * PV_E_NOMEM when there is none. */
pv_code pv_treegrow_reserve_kids(struct pv_treegrow *g, size_t n, pv_err *err);

/* g->kids sorted by value, largest first, ties by fid.  Cannot fail. */
void pv_treegrow_sort_kids(struct pv_treegrow *g);

/* Append a node (a copy of *n) under parent, or a crumb; PV_E_NOMEM leaves
 * the tree as it was. */
pv_code pv_treegrow_add_node(struct pv_treegrow *g, const struct pv_tree_node *n,
                             uint32_t parent, pv_err *err);
pv_code pv_treegrow_add_crumb(struct pv_treegrow *g, uint32_t fid, double value, pv_err *err);

/* How many of the sorted children are worth at least limit.  Cannot
 * fail. */
size_t pv_treegrow_over_cutoff(const struct pv_treegrow *g, double limit);

/* A child made a node (not expanded yet): the builder's own fields and
 * self time.  May fail (then the growth stops with its code). */
typedef pv_code (*pv_treegrow_leaf_fn)(void *ctx, const struct pv_treegrow_kid *k,
                                       struct pv_tree_node *out, pv_err *err);

/* Give node i its children, at the end of the node array: g->kids[0..kept)
 * each as leaf() makes it, then a "not recorded" node worth unrecorded
 * when that is above 0, then the rest of g->kids merged into one "other"
 * node (its self the sum of theirs); i gets self and is no longer
 * truncated.  Within the node budget: fewer kept children and more in
 * "other" when they do not fit, the "not recorded" node dropped when only
 * two fit, and nothing when only one does (an "other" alone says nothing:
 * i stays a leaf). */
pv_code pv_treegrow_place(struct pv_treegrow *g, size_t i, double self, size_t kept,
                          double unrecorded, pv_treegrow_leaf_fn leaf, void *ctx,
                          pv_err *err);

/* Expand node i: its children go at the end of the node array; limit is
 * the cutoff's value.  Called only while the node budget has room. */
typedef pv_code (*pv_treegrow_expand_fn)(void *ctx, size_t i, double limit, pv_err *err);

/* Grow the tree from its root (node 0): level by level, the larger nodes
 * of a level first, so that the node budget goes to the largest; until the
 * query's depth (PV_TREE_MAX_DEPTH for auto), the node budget, or a level
 * with nothing to expand ("other", "not recorded" and recursive nodes are
 * leaves).  The first failure of expand stops it with its code. */
pv_code pv_treegrow_grow(struct pv_treegrow *g, pv_treegrow_expand_fn expand, void *ctx,
                         pv_err *err);

#endif
