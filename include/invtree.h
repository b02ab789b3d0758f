/* invtree.h - the inverted call tree: who calls a function, and through
 * which callers its time came (docs/API.md, "The inverted tree").
 *
 * The root is one function with its whole ct.  Its children are its
 * callers, each worth the caller edge's ct (pstats' callers data, exact).
 * Deeper, a caller's own callers split that value in proportion to their
 * edges' share of the caller's ct; the part no recorded caller accounts for
 * (calls from outside the profile) stays with the node as its "self".  The
 * result is an ordinary struct pv_tree (tree.h) whose children are callers,
 * so treejson.h writes it as it writes the normal tree; the settings
 * (depth, cutoff, max_nodes, the step budget, stop) mean what they mean
 * there.  Hiding kinds of function is the normal tree's alone.
 *
 * Everything here only reads the profile: any number of threads may build
 * trees of one profile at once. */
#ifndef PV_INVTREE_H
#define PV_INVTREE_H

#include "profile.h"
#include "pv.h"
#include "tree.h"

/* Build the callers of q->root.  q must be in root mode (q->by_root, no
 * path), hide nothing and ask nothing kept (q->keep NULL); depth, cutoff,
 * max_nodes, max_steps, stop and entries are read as pv_tree_build()
 * reads them (the entry points only give the top crumb's value).
 * Children are sorted by value, largest first (ties by fid), an "other"
 * node last; nodes are numbered level by level; t->inverted is true.
 *
 * On success *out is yours (pv_tree_destroy).  On failure *out is
 * untouched: PV_E_USAGE for a query that is not in root mode, hides, keeps,
 * or has a setting out of range; PV_E_NOTFOUND for a root out of range or a
 * phantom; PV_E_LIMIT when the build takes more than max_steps;
 * PV_E_CANCELLED when q->stop said so; PV_E_NOMEM. */
pv_code pv_invtree_build(const struct pv_profile *p, const struct pv_tree_query *q,
                         struct pv_tree **out, pv_err *err);

#endif
