/* treejson.h - a call tree as the API's JSON (docs/API.md, "The tree"),
 * sized before it is written and then written a few nodes at a time.  The
 * answer carries the settings that made the tree ("params") and the
 * ranges and defaults of include/tree.h ("limits"), so that clients keep
 * no copy of them.
 *
 * The whole answer of a 100,000-node tree is about 28 MB of JSON; built as
 * a cJSON document it took 0.8 s and some hundreds of megabytes per
 * request.  Written straight from the tree's node array, memory is the tree
 * (about 60 bytes a node) and one piece of output. */
#ifndef PV_TREEJSON_H
#define PV_TREEJSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "pv.h"
#include "tree.h"


/* Trees answered as JSON larger than this are refused (docs/API.md): the
 * largest tree of the 100k-function synthetic profile is 28 MB. */
#define PV_TREEJSON_DEFAULT_MAX_BYTES ((uint64_t)64 << 20)

struct pv_treejson;

/* Room enough for pv_treejson_format_settings(): its text is about 250
 * bytes with the longest numbers. */
#define PV_TREEJSON_SETTINGS_MAX 512

/* The answer's "params" (the depth, cutoff, max_nodes and invert t was
 * built with, the depth as asked: "auto" for PV_TREE_DEPTH_AUTO) and
 * "limits" (the ranges and defaults of include/tree.h, the one place they
 * are written), as ",\"params\":{...},\"limits\":{...}": it starts with a
 * comma, to follow another member.  /tree and /api/diff/tree write it
 * alike.  Writes at most cap bytes to buf, NUL included, and returns the
 * length; 0 (buf unspecified) when cap is too small, which
 * PV_TREEJSON_SETTINGS_MAX never is. */
size_t pv_treejson_format_settings(const struct pv_tree *t, char *buf, size_t cap);

/* Get ready to write t (taken: freed with the writer, or here on failure)
 * of p (borrowed: it must outlive the writer).  On success *out is yours
 * (pv_treejson_destroy); PV_E_NOMEM otherwise. */
pv_code pv_treejson_create(const struct pv_profile *p, struct pv_tree *t,
                           struct pv_treejson **out, pv_err *err);

/* At least the bytes the JSON will take, and at most 24 more per time
 * (counted at the longest a double prints).  Cannot fail. */
uint64_t pv_treejson_bound(const struct pv_treejson *j);
/* How many nodes the tree has. */
size_t pv_treejson_nodes(const struct pv_treejson *j);

/* Write the next few hundred nodes to out; *done once all is written.
 * PV_E_IO when out has failed. */
pv_code pv_treejson_write_next(struct pv_treejson *j, FILE *out, bool *done, pv_err *err);

void pv_treejson_destroy(struct pv_treejson *j);

#endif
