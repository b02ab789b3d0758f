/* difftree.h - one call tree over two runs (docs/API.md, "The diff tree").
 *
 * Each run's tree is built by the tree module with the same query, the
 * path translated through the diff's pairing, and the two are merged
 * node by node: children pair when their functions do.  A node's children
 * worth less than the cutoff in one run are kept when the other run keeps
 * them (pv_tree_query.keep), so a node stays whenever either run passes
 * the cutoff, and both of its values are the trees' own.  Rendering the
 * result as JSON is left to the api module. */
#ifndef PV_DIFFTREE_H
#define PV_DIFFTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diff.h"
#include "pv.h"
#include "tree.h"

struct pv_difftree_node {
    uint32_t a, b;  /* the node's index in ta and in tb, or PV_DIFF_NONE */
    uint32_t first_child, nchildren; /* nodes[first_child .. +nchildren) */
};

struct pv_difftree {
    /* Each run's tree; tb (or ta, with from_b) is NULL when the query's
     * path or root does not exist in that run. */
    struct pv_tree *ta, *tb;
    struct pv_difftree_node *nodes; /* nodes[0] is the root; level by level */
    size_t nnodes;
};

/* Both runs' entry points as pv_tree_entries() gave them (borrowed, as
 * pv_tree_query.entries): without them each of a diff tree's three builds
 * finds them again, a sixth of its time on two 100k-function runs. */
struct pv_difftree_entries {
    const struct pv_entry *a, *b;
    size_t na, nb;
};

/* Build the tree of q over both runs of d.  entries, when not NULL, are
 * the runs' entry points (q's own are then not read).  q's path or root are fids of
 * run A, or of run B when from_b; they are translated for the other run
 * through the pairing.  Children are sorted by the larger of their two
 * values, largest first (ties by A's fid, then B's), "other" nodes last.
 *
 * On success *out is yours (pv_difftree_destroy).  On failure *out is
 * untouched, with pv_tree_build's codes for the run the query names (a bad
 * path there is PV_E_USAGE or PV_E_NOTFOUND); in the other run a path
 * that leads nowhere only leaves that side empty. */
pv_code pv_difftree_build(const struct pv_diff *d, const struct pv_tree_query *q, bool from_b,
                          const struct pv_difftree_entries *entries, struct pv_difftree **out,
                          pv_err *err);

void pv_difftree_destroy(struct pv_difftree *t);

#endif
