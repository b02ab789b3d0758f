/* tree.h - the call tree rebuilt from a profile's per-edge totals.
 *
 * cProfile keeps totals per function and per caller -> callee edge, not
 * whole stacks.  This module finds the entry points, splits each function's
 * time among the paths that reach it in proportion to the edge times, marks
 * recursion, merges small children into "other" nodes and folds hidden
 * kinds of function (builtins, stdlib, site-packages) into their callers.
 * docs/API.md, "How the tree is built", is the contract; rendering the
 * result as JSON is left to treejson.h.
 *
 * Everything here only reads the profile: any number of threads may build
 * trees of one profile at once. */
#ifndef PV_TREE_H
#define PV_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "funckind.h"
#include "profile.h"
#include "pv.h"

/* ---- what to hide ------------------------------------------------------ */

/* Kinds of function (funckind.h) a tree folds into their callers. */
enum { PV_HIDE_BUILTINS = 1, PV_HIDE_STDLIB = 2, PV_HIDE_SITE = 4 };

/* ---- entry points ------------------------------------------------------- */

#define PV_TREE_TOP UINT32_MAX /* fid of the virtual root "all" */

struct pv_entry {
    uint32_t fid;
    double value;
};

/* The profile's entry points (docs/API.md, "Entry points"), largest value
 * first, ties by fid.  One pass over the edges: 3 to 6 ms for the 825k
 * edges of the 100k-function synthetic profile, where a default tree given
 * them takes 1 to 1.5 ms (bench/tree), so a server finds them once per
 * model and hands them to every build (pv_tree_query.entries).  On
 * success *out is a malloc'd array of *n entries, never NULL, even when *n
 * is 0 (caller frees).  On failure (PV_E_NOMEM) *out and *n are untouched. */
pv_code pv_tree_entries(const struct pv_profile *p, struct pv_entry **out, size_t *n,
                        pv_err *err);

/* The tree's top ("all", PV_TREE_TOP): the entry points' values summed.
 * The API's shares are of it too (api_json.h).  Cannot fail. */
double pv_tree_entries_value(const struct pv_entry *entries, size_t n);

/* ---- the tree ----------------------------------------------------------- */

/* The settings a query may give, their ranges and their defaults: the one
 * place they are written.  The API refuses a value out of range, and tells
 * clients all of these with every tree (docs/API.md, "The tree"), so that
 * the viewer keeps no copy. */
enum {
    PV_TREE_MIN_DEPTH = 1, /* levels below the root */
    PV_TREE_MAX_DEPTH = 64,
    /* As deep as the cutoff and max_nodes allow, up to PV_TREE_MAX_DEPTH:
     * the cutoff keeps trees small (the sample's is 13 levels and 70 nodes,
     * the 10,000-function synthetic profile's 11 levels and 1,203 nodes),
     * and a fixed depth of 10 stopped one level above the sample's hot
     * spot, json.loads. */
    PV_TREE_DEPTH_AUTO = 0,
    PV_TREE_DEFAULT_DEPTH = PV_TREE_DEPTH_AUTO,
    PV_TREE_MIN_NODES = 1, /* the root included */
    PV_TREE_MAX_NODES = 100000,
    PV_TREE_DEFAULT_MAX_NODES = 20000,
};
/* A fraction of the root's value. */
#define PV_TREE_MIN_CUTOFF 0.0
#define PV_TREE_MAX_CUTOFF 1.0
#define PV_TREE_DEFAULT_CUTOFF 0.001

/* Work a build may do when the query sets no max_steps: a step is one
 * child considered at one expansion, or one edge walked while folding
 * hidden functions, and costs 0.2 to 0.5 microseconds.  The largest tree
 * of the 100k-function synthetic profile (depth 64, cutoff 0, 100,000
 * nodes) takes 110,000 steps, 125,000 with every kind hidden.  Steps pile
 * up where one function with many callees sits under many paths: each of
 * its nodes considers every callee again (1,000 paths to a function with
 * 50,000 callees: 50 million steps, 25 s).  This budget stops such a
 * build after a second or two. */
#define PV_TREE_DEFAULT_MAX_STEPS ((size_t)4000000)

struct pv_tree_query {
    const uint32_t *path; /* fids from the top; npath == 0: the virtual root */
    size_t npath;
    bool by_root;         /* root mode (then npath must be 0) */
    uint32_t root;
    int depth;            /* PV_TREE_MIN_DEPTH .. PV_TREE_MAX_DEPTH, or
                             PV_TREE_DEPTH_AUTO */
    double cutoff;        /* PV_TREE_MIN_CUTOFF .. PV_TREE_MAX_CUTOFF */
    unsigned hide;        /* PV_HIDE_* */
    size_t max_nodes;     /* PV_TREE_MIN_NODES .. PV_TREE_MAX_NODES */
    size_t max_steps;     /* work budget; 0: PV_TREE_DEFAULT_MAX_STEPS */
    /* The profile's entry points as pv_tree_entries() gave them, borrowed
     * for the build; NULL: the build finds them itself (the CLI, which
     * builds one tree per profile). */
    const struct pv_entry *entries;
    size_t nentries;
    /* Asked every few thousand steps (may be NULL): true stops the build
     * with PV_E_CANCELLED, e.g. when the client that asked has gone. */
    bool (*stop)(void *ctx);
    void *stop_ctx;
    /* Children to keep whatever the cutoff (may be NULL): asked about each
     * child worth less than the cutoff, with the node being expanded (its
     * index in the tree being built), the fids from the root's first child
     * down to that node (nfids of them; 0 at the root) and the child's fid.
     * The kept ones stay in value order, after those over the cutoff; the
     * node budget still applies.  The diff tree keeps this way, in one run,
     * the nodes that the other run kept. */
    bool (*keep)(void *ctx, size_t node, const uint32_t *fids, size_t nfids, uint32_t child);
    void *keep_ctx;
    /* Give time that no recorded call accounts for its own node, where it
     * is (docs/API.md, "How the tree is built", 5.): the API's trees do;
     * exports and the diff tree, which know no such node, do not. */
    bool show_unrecorded;
};

/* The top of the profile with the default depth, cutoff and max_nodes,
 * nothing hidden, the default step budget, no entry points given and no
 * stop: a caller sets what its request asks for on top.  Cannot fail. */
void pv_tree_query_init(struct pv_tree_query *q);

/* Whether q fits p: depth, cutoff and max_nodes within their ranges, known
 * hide kinds, not both a root and a path, entry points, root and path
 * steps that are functions of p with stats.  PV_E_USAGE or PV_E_NOTFOUND
 * with a message naming the parameter.  Both tree builders check with it. */
pv_code pv_tree_query_check(const struct pv_profile *p, const struct pv_tree_query *q,
                            pv_err *err);

struct pv_tree_node {
    uint32_t fid;         /* PV_TREE_TOP for the virtual root, "other" and
                             "not recorded" nodes */
    bool other;           /* merged children: count of them, their summed value */
    bool unrecorded;      /* time in the parent that neither its own time nor
                             its recorded callees account for (fid
                             PV_TREE_TOP, no children); only with
                             pv_tree_query.show_unrecorded */
    bool exact;           /* value is measured, not split in proportion */
    bool recursive;       /* already on the path: a leaf */
    bool truncated;       /* calls something but was not expanded: the depth
                             limit or the node budget was reached */
    uint32_t count;       /* other: how many children were merged */
    double value, self;
    int64_t calls;        /* edge nc; nc for an entry or root; 0 for "all" */
    uint32_t first_child, nchildren; /* nodes[first_child .. +nchildren) */
};

struct pv_crumb {
    uint32_t fid;         /* PV_TREE_TOP first */
    double value;
};

struct pv_tree {
    struct pv_tree_node *nodes; /* nodes[0] is the root */
    size_t nnodes;
    struct pv_crumb *crumbs;    /* from the top to the root, both included */
    size_t ncrumbs;
    /* the query's settings that made it, for an answer to repeat */
    int depth;                  /* PV_TREE_DEPTH_AUTO as asked */
    double cutoff;
    size_t max_nodes;
    unsigned hide;
    bool inverted; /* children are callers (invtree.h), not callees */
};

/* Build the tree that q asks for.  Children are sorted by value, largest
 * first (ties by fid), then the "not recorded" node, then the "other"
 * node; nodes are numbered
 * level by level.  The tree holds fids, no pointer into p.
 *
 * Path mode follows q->path from the top: the first fid must be an entry
 * point and each next one a callee of the one before (with q->hide, also
 * one reached through hidden functions, as the tree showed it); no fid may
 * repeat.  Root mode (q->by_root) roots the tree at one function with its
 * whole ct.
 *
 * On success *out is yours (pv_tree_destroy).  On failure *out is untouched:
 * PV_E_USAGE for a depth, cutoff or max_nodes out of range, unknown hide
 * bits, an entry point whose fid is out of range, a path step that is not
 * a callee of the one before, a first step that is not an entry point, a
 * repeated step; PV_E_NOTFOUND for a fid out of range or a phantom;
 * PV_E_LIMIT when the build takes more than max_steps, or folding hidden
 * functions too much work; PV_E_CANCELLED when q->stop said so;
 * PV_E_NOMEM. */
pv_code pv_tree_build(const struct pv_profile *p, const struct pv_tree_query *q,
                      struct pv_tree **out, pv_err *err);

void pv_tree_destroy(struct pv_tree *t);

/* The time of edge e that goes to its callee, as the tree splits it: the
 * edge's ct, or for a count-only edge (the `profile` module) the callee's
 * ct in proportion to calls; 0 when not finite or negative.  Cannot
 * fail. */
double pv_tree_edge_ct(const struct pv_profile *p, const struct pv_edge *e);

/* The pure-Python `profile` module's fake root ('profile', 0, 'profiler'),
 * which no tree shows, or UINT32_MAX when the profile has none.  Cannot
 * fail. */
uint32_t pv_tree_fake_root(const struct pv_profile *p);

#endif
