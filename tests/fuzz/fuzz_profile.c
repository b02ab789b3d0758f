/* fuzz_profile.c - a stats file through everything that reads the model:
 * the profile builder (include/profile.h), labels and kinds, entry points
 * and trees with and without hide filters (include/tree.h), pstats' sorts
 * and printouts (include/sort.h, report.h, report_json.h), the exports
 * (include/export.h) and the store's blob (include/pack.h).
 *
 * The input is the stats file itself, so any .prof file is a seed.  The
 * queries are fixed, or derived from the model (a path the tree just
 * showed), so a crash replays from the file alone.  Besides sanitizer
 * findings it checks the model's documented invariants: fids and string
 * handles in range, edges sorted, indexes consistent, a sort being a
 * permutation of the real functions, a path the tree showed being
 * accepted, and pack/unpack giving the same model back. */
#include <stdbool.h>
#include <string.h>

#include "export.h"
#include "funckind.h"
#include "fuzz.h"
#include "pack.h"
#include "profile.h"
#include "report.h"
#include "report_json.h"
#include "tree.h"

/* Everything printed goes here: the bytes are not checked, only made. */
static FILE *sink;

/* Functions looked at one by one (labels, roots): the first and last few,
 * so a 50k-function seed stays fast. */
enum { EACH_MAX = 64, ROOTS_MAX = 4 };

static bool handle_ok(const struct pv_profile *p, uint32_t h)
{
    if ((size_t)h + 5 > p->strings_len)
        return false;
    size_t n;
    const char *s = pv_profile_str(p, h, &n);
    return (size_t)h + 4 + n < p->strings_len && s[n] == '\0';
}

static void check_model(const struct pv_profile *p)
{
    FUZZ_CHECK(p->nfuncs > 0 && p->nreal <= p->nfuncs, "nreal %u of %u functions", p->nreal,
               p->nfuncs);
    uint32_t real = 0;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        const struct pv_func *fn = &p->funcs[f];
        FUZZ_CHECK(handle_ok(p, fn->file) && handle_ok(p, fn->name), "fid %u: bad handle", f);
        if (!(fn->flags & PV_FUNC_PHANTOM)) {
            FUZZ_CHECK(fn->order < p->nreal, "fid %u: order %u of %u real functions", f,
                       fn->order, p->nreal);
            real++;
        }
    }
    FUZZ_CHECK(real == p->nreal, "%u real functions, nreal says %u", real, p->nreal);
    for (uint32_t e = 0; e < p->nedges; e++) {
        const struct pv_edge *ed = &p->edges[e];
        FUZZ_CHECK(ed->caller < p->nfuncs && ed->callee < p->nfuncs, "edge %u: fids %u -> %u", e,
                   ed->caller, ed->callee);
        if (e)
            FUZZ_CHECK(ed[-1].caller < ed->caller ||
                           (ed[-1].caller == ed->caller && ed[-1].callee < ed->callee),
                       "edge %u: not sorted by (caller, callee) or repeated", e);
    }
    FUZZ_CHECK(p->callees_at[0] == 0 && p->callees_at[p->nfuncs] == p->nedges &&
                   p->callers_at[0] == 0 && p->callers_at[p->nfuncs] == p->nedges,
               "index ends");
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        for (uint32_t k = p->callees_at[f]; k < p->callees_at[f + 1]; k++)
            FUZZ_CHECK(p->edges[k].caller == f, "callees_at[%u] holds edge %u", f, k);
        for (uint32_t k = p->callers_at[f]; k < p->callers_at[f + 1]; k++)
            FUZZ_CHECK(p->by_callee[k] < p->nedges && p->edges[p->by_callee[k]].callee == f,
                       "callers_at[%u] holds a wrong edge", f);
    }
}

static void labels_and_kinds(const struct pv_profile *p)
{
    for (uint32_t i = 0; i < p->nfuncs && i < 2 * EACH_MAX; i++) {
        uint32_t f = i < EACH_MAX ? i : p->nfuncs - 1 - (i - EACH_MAX);
        size_t n = SIZE_MAX, ncut = SIZE_MAX;
        char *label = pv_profile_label_dup(p, f, 0, &n);
        FUZZ_CHECK(label && strlen(label) <= n, "fid %u: label of %zu bytes", f, n);
        free(label);
        /* cut as views cut them: file and name at most 16 bytes and "…" */
        label = pv_profile_label_dup(p, f, 16, &ncut);
        FUZZ_CHECK(label && strlen(label) <= ncut && ncut <= 2 * (16 + 3) + 32,
                   "fid %u: cut label of %zu bytes, whole %zu", f, ncut, n);
        free(label);
        pv_funckind k = pv_funckind_of(p, f);
        FUZZ_CHECK(pv_funckind_name(k) != NULL, "fid %u: kind %d", f, (int)k);
        (void)pv_profile_is_builtin(p, f);
    }
}

static void check_tree(const struct pv_profile *p, const struct pv_tree *t, size_t max_nodes)
{
    FUZZ_CHECK(t->nnodes >= 1 && t->nnodes <= max_nodes, "%zu nodes, at most %zu", t->nnodes,
               max_nodes);
    FUZZ_CHECK(t->ncrumbs >= 1 && t->crumbs[0].fid == PV_TREE_TOP, "breadcrumbs");
    for (size_t i = 0; i < t->nnodes; i++) {
        const struct pv_tree_node *n = &t->nodes[i];
        FUZZ_CHECK(n->fid == PV_TREE_TOP || n->fid < p->nfuncs, "node %zu: fid %u", i, n->fid);
        FUZZ_CHECK(!(n->unrecorded && (n->nchildren || n->other)), "node %zu: unrecorded with %u "
                   "children", i, n->nchildren);
        if (n->nchildren)
            FUZZ_CHECK(n->first_child > i && n->first_child + (size_t)n->nchildren <= t->nnodes,
                       "node %zu: children %u+%u of %zu nodes", i, n->first_child,
                       n->nchildren, t->nnodes);
    }
}

/* The deepest chain of ordinary children from the root: a path the tree
 * offers to click, so a path query for it must be accepted. */
static size_t offered_path(const struct pv_tree *t, uint32_t *path, size_t cap)
{
    size_t n = 0, i = 0;
    while (n < cap) {
        const struct pv_tree_node *node = &t->nodes[i], *next = NULL;
        for (uint32_t k = 0; k < node->nchildren && !next; k++) {
            const struct pv_tree_node *c = &t->nodes[node->first_child + k];
            if (!c->other && !c->recursive && c->fid != PV_TREE_TOP)
                next = c;
        }
        if (!next)
            break;
        path[n++] = next->fid;
        i = (size_t)(next - t->nodes);
    }
    return n;
}

static void trees(const struct pv_profile *p, unsigned hide)
{
    pv_err err = {0};
    struct pv_tree *t = NULL;
    struct pv_tree_query q = {.depth = PV_TREE_DEPTH_AUTO, .cutoff = 0.001, .hide = hide,
                              .max_nodes = 2000, .show_unrecorded = true}; /* as the API asks */
    pv_code rc = pv_tree_build(p, &q, &t, &err);
    FUZZ_CHECK(rc == PV_OK || rc == PV_E_LIMIT, "top tree, hide %u: %s", hide, err.msg);
    if (rc)
        return;
    check_tree(p, t, q.max_nodes);
    uint32_t path[8];
    q.npath = offered_path(t, path, 8);
    q.path = path;
    q.depth = 3;
    pv_tree_destroy(t);
    t = NULL;
    if (q.npath) {
        rc = pv_tree_build(p, &q, &t, &err);
        FUZZ_CHECK(rc == PV_OK || rc == PV_E_LIMIT, "path of %zu the tree showed, hide %u: %s",
                   q.npath, hide, err.msg);
        if (t)
            check_tree(p, t, q.max_nodes);
        pv_tree_destroy(t);
        t = NULL;
    }
    q = (struct pv_tree_query){
        .by_root = true, .depth = 4, .cutoff = 0, .hide = hide, .max_nodes = 500};
    for (uint32_t i = 0, tried = 0; i < p->nfuncs && tried < ROOTS_MAX; i++) {
        uint32_t f = i % 2 ? p->nfuncs - 1 - i / 2 : i / 2;
        if (p->funcs[f].flags & PV_FUNC_PHANTOM)
            continue;
        tried++;
        q.root = f;
        rc = pv_tree_build(p, &q, &t, &err);
        FUZZ_CHECK(rc == PV_OK || rc == PV_E_LIMIT, "root %u, hide %u: %s", f, hide, err.msg);
        if (t)
            check_tree(p, t, q.max_nodes);
        pv_tree_destroy(t);
        t = NULL;
    }
}

static void entries(const struct pv_profile *p)
{
    struct pv_entry *e = NULL;
    size_t n = 0;
    pv_err err = {0};
    FUZZ_CHECK(pv_tree_entries(p, &e, &n, &err) == PV_OK && e != NULL, "entries: %s", err.msg);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(e[i].fid < p->nfuncs && !(p->funcs[e[i].fid].flags & PV_FUNC_PHANTOM),
                   "entry %zu: fid %u", i, e[i].fid);
    free(e);
}

static void reports(const struct pv_profile *p)
{
    pv_err err = {0};
    uint8_t *seen = calloc(p->nfuncs, 1);
    FUZZ_CHECK(seen != NULL, "out of memory");
    for (int k = 0; k < PV_SORT_KEYS; k++)
        for (int reverse = 0; reverse < 2; reverse++) {
            struct pv_sort s = {.keys = {(pv_sort_key)k}, .nkeys = 1, .reverse = reverse};
            uint32_t *fids = NULL;
            FUZZ_CHECK(pv_sort_fids(p, &s, &fids, &err) == PV_OK, "sort %d: %s", k,
                       err.msg);
            memset(seen, 0, p->nfuncs);
            for (uint32_t i = 0; i < p->nreal; i++) {
                uint32_t f = fids[i];
                FUZZ_CHECK(f < p->nfuncs && !(p->funcs[f].flags & PV_FUNC_PHANTOM) && !seen[f],
                           "sort %d: row %u is fid %u", k, i, f);
                seen[f] = 1;
            }
            free(fids);
        }
    free(seen);
    struct pv_sort s;
    FUZZ_CHECK(pv_sort_parse("cumulative,tottime,stdname", &s, &err) == PV_OK, "%s", err.msg);
    struct pv_report_select all = {.regex = NULL, .limit = 40}, some = {.regex = "\\.py", .limit = 10};
    FUZZ_CHECK(pv_report_print_stats(p, "fuzz.prof", &s, &all, sink, &err) == PV_OK, "%s",
               err.msg);
    FUZZ_CHECK(pv_report_print_calls(p, &s, &some, true, sink, &err) == PV_OK, "%s", err.msg);
    FUZZ_CHECK(pv_report_print_calls(p, &s, &all, false, sink, &err) == PV_OK, "%s", err.msg);
    FUZZ_CHECK(pv_report_json_top(p, &s, &all, sink, &err) == PV_OK, "%s", err.msg);
    FUZZ_CHECK(pv_report_json_export_write(p, sink, &err) == PV_OK, "%s", err.msg);
    pv_code rc = pv_export_write(p, "fuzz", PV_EXPORT_SPEEDSCOPE, 64u << 20, sink, &err);
    FUZZ_CHECK(rc == PV_OK || rc == PV_E_LIMIT, "speedscope: %s", err.msg);
    rc = pv_export_write(p, "fuzz", PV_EXPORT_COLLAPSED, 64u << 20, sink, &err);
    FUZZ_CHECK(rc == PV_OK || rc == PV_E_LIMIT, "collapsed: %s", err.msg);
}

static bool same_bits(double a, double b)
{
    return !memcmp(&a, &b, sizeof a);
}

/* The store keeps the model as a blob: it must come back the same, and a
 * damaged blob must be refused or read, never crash (pack.h). */
static void pack_round_trip(const struct pv_profile *p, uint64_t seed)
{
    pv_err err = {0};
    void *blob = NULL;
    size_t len = 0;
    FUZZ_CHECK(pv_pack_dup(p, &blob, &len, &err) == PV_OK, "pack: %s", err.msg);
    struct pv_profile *q = NULL;
    FUZZ_CHECK(pv_pack_read(blob, len, &q, &err) == PV_OK, "unpack: %s", err.msg);
    FUZZ_CHECK(q->nfuncs == p->nfuncs && q->nreal == p->nreal && q->nedges == p->nedges &&
                   q->strings_len == p->strings_len &&
                   !memcmp(q->strings, p->strings, p->strings_len) &&
                   !memcmp(q->funcs, p->funcs, p->nfuncs * sizeof *p->funcs) &&
                   !memcmp(q->edges, p->edges, p->nedges * sizeof *p->edges) &&
                   !memcmp(q->callers_at, p->callers_at, (p->nfuncs + 1) * sizeof(uint32_t)) &&
                   q->total_calls == p->total_calls && q->prim_calls == p->prim_calls &&
                   same_bits(q->total_tt, p->total_tt) && q->nwarnings == p->nwarnings,
               "unpack(pack(p)) differs from p");
    pv_profile_destroy(q);
    q = NULL;
    ((unsigned char *)blob)[seed % len] ^= (unsigned char)(1u << (seed >> 32) % 8);
    if (pv_pack_read(blob, len, &q, &err) == PV_OK) {
        check_model(q);
        pv_profile_destroy(q);
    }
    free(blob);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    sink = fopen("/dev/null", "w");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pv_profile *p = NULL;
    pv_err err = {0};
    if (pv_profile_parse(data, size, &p, &err)) {
        FUZZ_CHECK(err.code != PV_OK && err.msg[0] && !p, "a failure without a message");
        return 0;
    }
    FUZZ_CHECK(sink != NULL, "/dev/null did not open");
    check_model(p);
    labels_and_kinds(p);
    entries(p);
    trees(p, 0);
    trees(p, PV_HIDE_BUILTINS);
    trees(p, PV_HIDE_BUILTINS | PV_HIDE_STDLIB | PV_HIDE_SITE);
    reports(p);
    uint64_t seed = 1469598103934665603ull; /* FNV-1a, then a finaliser that */
    for (size_t i = 0; i < size; i++)       /* spreads it over all 64 bits */
        seed = (seed ^ data[i]) * 1099511628211ull;
    seed = (seed ^ seed >> 33) * 0xff51afd7ed558ccdull;
    seed ^= seed >> 33;
    pack_round_trip(p, seed);
    pv_profile_destroy(p);
    return 0;
}
