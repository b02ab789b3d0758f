/* The tree over every stats file of the test inputs that the reader
 * accepts: entry points add up to total_tt (1%), children never add up to
 * more than their parent, "other" nodes keep all the time they replace,
 * and paths taken from a tree rebuild the same values.  How long builds
 * take is bench/tree's to print, not a test's.  Usage: test_tree_corpus
 * CORPUS_DIR, the folder meson assembles in the build folder
 * (tests/corpus/inputs.py). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "profile.h"
#include "read_file.h"
#include "tree.h"

static const char *const DIRS[] = {"rasa",      "workloads", "marshal",
                                   "synthetic", "real",      "malformed"};

static double worst_ratio = 1, worst_skew;
static char worst_file[600];

static bool close_rel(double a, double b, double tol)
{
    return fabs(a - b) <= tol * fmax(fabs(a), fabs(b));
}

/* Files whose times were written by hand to test the reader and contradict
 * each other, so that no rule can make their entry points add up to
 * total_tt; a profiler cannot write them.  Their trees are checked like any
 * other, all but the total. */
static const struct {
    const char *file, *why;
} CONTRADICTORY[] = {
    {"malformed/duplicate_keys.prof",
     "a.py:1(f) calls nothing, yet its ct 0.75 is three times its tt 0.25 (= total_tt)"},
    {"malformed/valid_nasty_strings.prof",
     "each function is called once through an edge of ct 2e-06, yet has a ct up to 3.2e-05"},
    {"malformed/valid_py2_int64_and_long.prof",
     "{len} has ct 0.25 = its tt, yet its only callee edge carries another 0.25"},
};

static const char *contradictory(const char *file)
{
    for (size_t i = 0; i < sizeof CONTRADICTORY / sizeof CONTRADICTORY[0]; i++)
        if (!strcmp(file, CONTRADICTORY[i].file))
            return CONTRADICTORY[i].why;
    return NULL;
}

/* Structural checks of one tree; returns a description of the first
 * problem, or NULL. */
static const char *tree_problem(const struct pv_tree *t, const struct pv_tree_query *q,
                                size_t *where)
{
    if (!t->nnodes || t->nnodes > q->max_nodes)
        return "node count outside 1..max_nodes";
    size_t *level = calloc(t->nnodes, sizeof *level);
    const char *bad = NULL;
    for (size_t i = 0; i < t->nnodes && !bad; i++) {
        const struct pv_tree_node *n = &t->nodes[i];
        *where = i;
        if (!isfinite(n->value) || n->value < 0 || !isfinite(n->self) || n->self < 0)
            bad = "a value or self is negative or not finite";
        else if (n->self > n->value * (1 + 1e-9))
            bad = "self exceeds value";
        else if (n->nchildren &&
                 (n->first_child <= i || (size_t)n->first_child + n->nchildren > t->nnodes))
            bad = "children out of range";
        else if ((n->other || n->recursive) && n->nchildren)
            bad = "an other or recursive node has children";
        if (bad)
            break;
        double sum = 0;
        for (uint32_t k = 0; k < n->nchildren; k++) {
            const struct pv_tree_node *c = &t->nodes[n->first_child + k];
            sum += c->value;
            level[n->first_child + k] = level[i] + 1;
            if (k && c->value > t->nodes[n->first_child + k - 1].value && !c->other)
                bad = "children not sorted by value";
            if (c->other && k + 1 != n->nchildren)
                bad = "other is not the last child";
        }
        if (!bad && sum > n->value * (1 + 1e-9))
            bad = "children add up to more than their parent";
        if (!bad && level[i] > (size_t)(q->depth == PV_TREE_DEPTH_AUTO ? PV_TREE_MAX_DEPTH
                                                                        : q->depth))
            bad = "deeper than the depth asked";
    }
    free(level);
    return bad;
}

/* Node of b at the same fid path as node i of a, or SIZE_MAX. */
static void map_nodes(const struct pv_tree *a, const struct pv_tree *b, size_t *map)
{
    for (size_t i = 0; i < a->nnodes; i++)
        map[i] = SIZE_MAX;
    map[0] = 0;
    for (size_t i = 0; i < a->nnodes; i++) {
        const struct pv_tree_node *n = &a->nodes[i];
        if (map[i] == SIZE_MAX)
            continue;
        const struct pv_tree_node *m = &b->nodes[map[i]];
        for (uint32_t k = 0; k < n->nchildren; k++) {
            const struct pv_tree_node *c = &a->nodes[n->first_child + k];
            if (c->other)
                continue;
            for (uint32_t j = 0; j < m->nchildren; j++)
                if (!b->nodes[m->first_child + j].other &&
                    b->nodes[m->first_child + j].fid == c->fid)
                    map[n->first_child + k] = m->first_child + j;
        }
    }
}

/* Every parent with an "other" child has the same children total as in the
 * tree built without a cutoff. */
static const char *other_problem(const struct pv_profile *p, const struct pv_tree_query *q,
                                 const struct pv_tree *t, size_t *compared)
{
    struct pv_tree_query q0 = *q;
    q0.cutoff = 0;
    q0.max_nodes = PV_TREE_MAX_NODES;
    struct pv_tree *t0;
    pv_err err;
    if (pv_tree_build(p, &q0, &t0, &err))
        return "the cutoff 0 tree failed";
    size_t *map = malloc(t->nnodes * sizeof *map);
    map_nodes(t, t0, map);
    const char *bad = NULL;
    for (size_t i = 0; i < t->nnodes && !bad; i++) {
        const struct pv_tree_node *n = &t->nodes[i];
        if (!n->nchildren || !t->nodes[n->first_child + n->nchildren - 1].other ||
            map[i] == SIZE_MAX || !t0->nodes[map[i]].nchildren)
            continue;
        const struct pv_tree_node *m = &t0->nodes[map[i]];
        double s1 = 0, s0 = 0;
        for (uint32_t k = 0; k < n->nchildren; k++)
            s1 += t->nodes[n->first_child + k].value;
        for (uint32_t k = 0; k < m->nchildren; k++)
            s0 += t0->nodes[m->first_child + k].value;
        (*compared)++;
        if (!close_rel(s1, s0, 1e-9) && fabs(s1 - s0) > 1e-12)
            bad = "an other node lost or gained time";
    }
    free(map);
    pv_tree_destroy(t0);
    return bad;
}

/* Rebuild the tree at the deepest expanded node of t, by path: the new
 * root must have the value it had in t. */
static const char *path_problem(const struct pv_profile *p, const struct pv_tree_query *q,
                                const struct pv_tree *t)
{
    size_t *parent = calloc(t->nnodes, sizeof *parent);
    size_t deepest = 0, depth_of = 0;
    size_t *level = calloc(t->nnodes, sizeof *level);
    for (size_t i = 0; i < t->nnodes; i++)
        for (uint32_t k = 0; k < t->nodes[i].nchildren; k++) {
            size_t c = t->nodes[i].first_child + k;
            parent[c] = i;
            level[c] = level[i] + 1;
            if (!t->nodes[c].other && !t->nodes[c].recursive && level[c] > depth_of) {
                depth_of = level[c];
                deepest = c;
            }
        }
    const char *bad = NULL;
    if (depth_of) {
        uint32_t path[PV_TREE_MAX_DEPTH + 1];
        size_t n = 0;
        for (size_t i = deepest; i; i = parent[i])
            path[n++] = t->nodes[i].fid;
        for (size_t i = 0; i < n / 2; i++) {
            uint32_t tmp = path[i];
            path[i] = path[n - 1 - i];
            path[n - 1 - i] = tmp;
        }
        struct pv_tree_query qp = *q;
        qp.path = path;
        qp.npath = n;
        struct pv_tree *tp;
        pv_err err;
        if (pv_tree_build(p, &qp, &tp, &err)) {
            printf("  path rebuild: %s\n", err.msg);
            bad = "a path taken from the tree is refused";
        } else {
            if (!close_rel(tp->nodes[0].value, t->nodes[deepest].value, 1e-9) ||
                tp->nodes[0].fid != t->nodes[deepest].fid || tp->ncrumbs != n + 1)
                bad = "a path taken from the tree has another value";
            pv_tree_destroy(tp);
        }
    }
    free(parent);
    free(level);
    return bad;
}

static void check_tree(const char *file, const struct pv_profile *p,
                       const struct pv_tree_query *q, const char *what)
{
    char name[700];
    snprintf(name, sizeof name, "%s %s", file, what);
    struct pv_tree *t;
    pv_err err;
    pv_code rc = pv_tree_build(p, q, &t, &err);
    CHECK(rc == PV_OK, name, "build failed: %s", err.msg);
    if (rc)
        return;
    size_t where = 0, compared = 0;
    const char *bad = tree_problem(t, q, &where);
    CHECK(!bad, name, "%s (node %zu)", bad, where);
    if (!bad) {
        bad = other_problem(p, q, t, &compared);
        CHECK(!bad, name, "%s", bad);
        if (!q->by_root) {
            bad = path_problem(p, q, t);
            CHECK(!bad, name, "%s", bad);
        }
    }
    if (!q->by_root && !q->npath && p->total_tt > 0 && isfinite(p->total_tt) &&
        !contradictory(file))
        CHECK(close_rel(t->nodes[0].value, p->total_tt, 0.01), name,
              "virtual root %.9g, total_tt %.9g", t->nodes[0].value, p->total_tt);
    pv_tree_destroy(t);
}

static void print_label(const struct pv_profile *p, uint32_t fid)
{
    char *label = pv_profile_label_dup(p, fid, 0, NULL);
    printf("%s", label ? label : "?");
    free(label);
}

static void check_entries(const char *file, const struct pv_profile *p)
{
    struct pv_entry *e;
    size_t n;
    pv_err err;
    if (pv_tree_entries(p, &e, &n, &err)) {
        CHECK(false, file, "entries: %s", err.msg);
        return;
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += e[i].value;
    if (!(p->total_tt > 0) || !isfinite(p->total_tt)) {
        printf("skip %s: entries add up to %g, but total_tt is %g, not a positive finite "
               "number (times in the file are negative or not finite)\n",
               file, sum, p->total_tt);
        free(e);
        return;
    }
    double ratio = sum / p->total_tt;
    printf("entries %s: %zu, %.9g / total_tt %.9g = %.6f\n", file, n, sum, p->total_tt, ratio);
    const char *why = contradictory(file);
    if (why) {
        printf("skip %s: its times contradict themselves: %s\n", file, why);
        free(e);
        return;
    }
    if (fabs(ratio - 1) > worst_skew) {
        worst_skew = fabs(ratio - 1);
        worst_ratio = ratio;
        snprintf(worst_file, sizeof worst_file, "%s", file);
    }
    CHECK(fabs(ratio - 1) <= 0.01, file, "entries add up to %.9g, total_tt %.9g (ratio %.6f)",
          sum, p->total_tt, ratio);
    if (fabs(ratio - 1) > 0.01)
        for (size_t i = 0; i < n && i < 8; i++) {
            const struct pv_func *f = &p->funcs[e[i].fid];
            printf("  entry %.6g (ct %.6g, nc %lld, cc %lld) ", e[i].value, f->ct,
                   (long long)f->nc, (long long)f->cc);
            print_label(p, e[i].fid);
            printf("\n");
        }
    free(e);
}

static void check_file(const char *path, const char *file)
{
    size_t len;
    uint8_t *buf = read_file(path, &len);
    if (!buf)
        return;
    struct pv_profile *p;
    pv_err err;
    pv_code rc = pv_profile_parse(buf, len, &p, &err);
    free(buf);
    if (rc)
        return;
    check_entries(file, p);
    struct pv_tree_query q = {.depth = PV_TREE_DEFAULT_DEPTH,
                              .cutoff = PV_TREE_DEFAULT_CUTOFF,
                              .max_nodes = PV_TREE_DEFAULT_MAX_NODES};
    check_tree(file, p, &q, "default tree");
    q.hide = PV_HIDE_BUILTINS | PV_HIDE_STDLIB | PV_HIDE_SITE;
    check_tree(file, p, &q, "tree hiding everything but user code");
    q.hide = PV_HIDE_BUILTINS;
    check_tree(file, p, &q, "tree hiding builtins");
    q.hide = 0;

    /* root mode at the 5 functions with the largest ct */
    uint32_t top[5];
    size_t ntop = 0;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        if (p->funcs[f].flags & PV_FUNC_PHANTOM)
            continue;
        double ct = isfinite(p->funcs[f].ct) ? p->funcs[f].ct : -1;
        size_t at = ntop < 5 ? ntop++ : 5;
        while (at > 0 &&
               (isfinite(p->funcs[top[at - 1]].ct) ? p->funcs[top[at - 1]].ct : -1) < ct) {
            if (at < 5)
                top[at] = top[at - 1];
            at--;
        }
        if (at < 5)
            top[at] = f;
    }
    for (size_t i = 0; i < ntop; i++) {
        char what[64];
        snprintf(what, sizeof what, "root %u", top[i]);
        q.by_root = true;
        q.root = top[i];
        check_tree(file, p, &q, what);
    }
    pv_profile_destroy(p);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
        return 2;
    }
    for (size_t d = 0; d < sizeof DIRS / sizeof DIRS[0]; d++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/%s", argv[1], DIRS[d]);
        DIR *dh = opendir(dir);
        CHECK(dh != NULL, dir, "cannot open the directory");
        if (!dh)
            continue;
        char **names = NULL;
        size_t n = 0;
        for (struct dirent *de; (de = readdir(dh));) {
            if (de->d_name[0] == '.' || strstr(de->d_name, ".md"))
                continue;
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strdup(de->d_name);
        }
        closedir(dh);
        qsort(names, n, sizeof *names, cmp_names);
        for (size_t i = 0; i < n; i++) {
            char path[1400], file[600];
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            snprintf(file, sizeof file, "%s/%s", DIRS[d], names[i]);
            if (!stat(path, &st) && S_ISREG(st.st_mode))
                check_file(path, file);
            free(names[i]);
        }
        free(names);
    }
    printf("worst entry ratio: %.6f (%s)\n", worst_ratio, worst_file);
    return check_done();
}
