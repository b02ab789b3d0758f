/* tree_timing - how long the tree module takes on given stats files, best
 * of --runs runs (bench/tree runs it on the rasa sample and synthetic
 * profiles).  Per file it prints the entry points, the default tree
 * finding them itself and given them (as a server does, which keeps them
 * with its model), the default tree with site-packages hidden, the
 * largest tree (depth 64, cutoff 0, 100,000 nodes, as exports build), and
 * the JSON of the default and the largest tree.  Figures only: nothing here is a pass or fail.
 *
 * usage: tree_timing [--runs N] FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile.h"
#include "read_file.h" /* tests/unit: the tests' loader */
#include "tree.h"
#include "treejson.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Best of runs builds of q: milliseconds, and the nodes of the tree. */
static double time_tree(const struct pv_profile *p, const struct pv_tree_query *q, int runs,
                        size_t *nodes)
{
    double best = 1e300;
    for (int r = 0; r < runs; r++) {
        struct pv_tree *t = NULL;
        pv_err err = {0};
        double t0 = now_ms();
        if (pv_tree_build(p, q, &t, &err)) {
            printf("  tree failed: %s\n", err.msg);
            return -1;
        }
        double ms = now_ms() - t0;
        best = ms < best ? ms : best;
        *nodes = t->nnodes;
        pv_tree_destroy(t);
    }
    return best;
}

/* Best of runs: the tree's JSON written to memory (fmemopen, sized by
 * the writer's bound), and its length. */
static double time_json(const struct pv_profile *p, const struct pv_tree_query *q, int runs,
                        size_t *bytes)
{
    double best = 1e300;
    for (int r = 0; r < runs; r++) {
        struct pv_tree *t = NULL;
        struct pv_treejson *j = NULL;
        pv_err err = {0};
        if (pv_tree_build(p, q, &t, &err) || pv_treejson_create(p, t, &j, &err)) {
            printf("  json failed: %s\n", err.msg);
            return -1;
        }
        size_t cap = (size_t)pv_treejson_bound(j) + 1;
        char *buf = malloc(cap);
        FILE *out = buf ? fmemopen(buf, cap, "w") : NULL;
        if (!out) {
            free(buf);
            pv_treejson_destroy(j);
            return -1;
        }
        double t0 = now_ms();
        bool done = false;
        while (!done && pv_treejson_write_next(j, out, &done, &err) == PV_OK)
            ;
        fflush(out);
        double ms = now_ms() - t0;
        *bytes = (size_t)ftell(out);
        best = ms < best ? ms : best;
        fclose(out);
        free(buf);
        pv_treejson_destroy(j);
    }
    return best;
}

static void bench_file(const char *path, int runs)
{
    size_t len = 0;
    uint8_t *buf = read_file(path, &len);
    struct pv_profile *p = NULL;
    pv_err err = {0};
    if (!buf || pv_profile_parse(buf, len, &p, &err)) {
        printf("%s: cannot read it: %s\n", path, buf ? err.msg : "no file");
        free(buf);
        return;
    }
    free(buf);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    printf("%s: %u functions, %u edges\n", name, p->nfuncs, p->nedges);

    double best = 1e300;
    struct pv_entry *e = NULL;
    size_t n = 0;
    for (int r = 0; r < runs; r++) {
        free(e);
        double t0 = now_ms();
        if (pv_tree_entries(p, &e, &n, &err)) {
            printf("  entries failed: %s\n", err.msg);
            pv_profile_destroy(p);
            return;
        }
        double ms = now_ms() - t0;
        best = ms < best ? ms : best;
    }
    printf("  %-44s %9.2f ms  (%zu)\n", "entry points", best, n);

    struct pv_tree_query q;
    pv_tree_query_init(&q);
    size_t nodes = 0;
    double ms = time_tree(p, &q, runs, &nodes);
    printf("  %-44s %9.2f ms  (%zu nodes)\n", "default tree, entry points found", ms, nodes);
    q.entries = e;
    q.nentries = n;
    ms = time_tree(p, &q, runs, &nodes);
    printf("  %-44s %9.2f ms\n", "default tree, entry points given", ms);
    q.hide = PV_HIDE_SITE;
    ms = time_tree(p, &q, runs, &nodes);
    printf("  %-44s %9.2f ms  (%zu nodes)\n", "default tree, site-packages hidden", ms, nodes);
    q.hide = 0;
    size_t bytes = 0;
    ms = time_json(p, &q, runs, &bytes);
    printf("  %-44s %9.2f ms  (%zu bytes)\n", "default tree's JSON", ms, bytes);
    q.depth = PV_TREE_MAX_DEPTH;
    q.cutoff = 0;
    q.max_nodes = PV_TREE_MAX_NODES;
    ms = time_tree(p, &q, runs, &nodes);
    printf("  %-44s %9.2f ms  (%zu nodes)\n", "largest tree (depth 64, cutoff 0)", ms, nodes);
    ms = time_json(p, &q, runs, &bytes);
    printf("  %-44s %9.2f ms  (%zu bytes)\n", "largest tree's JSON", ms, bytes);
    free(e);
    pv_profile_destroy(p);
}

int main(int argc, char **argv)
{
    int runs = 5, first = 1;
    if (argc > 2 && !strcmp(argv[1], "--runs")) {
        runs = atoi(argv[2]);
        first = 3;
    }
    if (runs < 1 || first >= argc) {
        fprintf(stderr, "usage: %s [--runs N] FILE...\n", argv[0]);
        return 2;
    }
    printf("best of %d runs\n", runs);
    for (int i = first; i < argc; i++)
        bench_file(argv[i], runs);
    return 0;
}
