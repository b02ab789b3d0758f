/* memsamples.c - samples downsampled for drawing (see memsamples.h). */
#include "memsamples.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "mprof.h"

enum { CHILD_CELLS_MAX = 1 << 20 };

struct bucket {
    double min, max;
    bool any;
};

static size_t bucket_of(double t, double t0, double t1, size_t width)
{
    if (t1 <= t0)
        return 0;
    double x = (t - t0) / (t1 - t0) * (double)width;
    size_t b = x <= 0 ? 0 : (size_t)x;
    return b >= width ? width - 1 : b;
}

static void take(struct bucket *b, double mib)
{
    if (!b->any || mib < b->min)
        b->min = mib;
    if (!b->any || mib > b->max)
        b->max = mib;
    b->any = true;
}

static void write_buckets(FILE *f, const struct bucket *b, size_t width, double t0, double t1)
{
    fputc('[', f);
    for (size_t i = 0; i < width; i++) {
        if (i)
            fputc(',', f);
        if (!b[i].any) {
            fputs("null", f);
            continue;
        }
        fputc('[', f);
        pv_jsonw_double(f, t0 + (t1 - t0) * (double)i / (double)width);
        fputc(',', f);
        pv_jsonw_double(f, b[i].min);
        fputc(',', f);
        pv_jsonw_double(f, b[i].max);
        fputc(']', f);
    }
    fputc(']', f);
}

/* The nearest sample on one side of the window, outside it. */
struct edge {
    double t, mib;
    bool any;
};

/* The latest sample before the window so far: of equal times the last in
 * file order, the one the line leaves from towards the window. */
static void keep_before(struct edge *e, double t, double mib)
{
    if (!e->any || t >= e->t)
        *e = (struct edge){t, mib, true};
}

/* The earliest sample after the window so far: of equal times the first
 * in file order, the one the line comes to from the window. */
static void keep_after(struct edge *e, double t, double mib)
{
    if (!e->any || t < e->t)
        *e = (struct edge){t, mib, true};
}

/* The passes over the samples, chunk by chunk (pv_store_memory_read_samples). */
struct sampling {
    double t0, t1;     /* the window */
    size_t width;
    struct bucket *cells; /* width of them, per child for the children */
    struct edge before, after; /* the main process's nearest samples outside */
    double after_next_t;       /* its next sample time after `after` */
    bool any_after_next;
    struct edge *child_before, *child_after; /* per child, in the children's second pass */
    int64_t pids[4096];   /* children, by first appearance */
    size_t npids, last;
    bool too_many_children;
    bool bucketing_children; /* the children's second pass: their pids are known */
};

static void main_buckets(const void *chunk, size_t bytes, void *ctx)
{
    struct sampling *sm = ctx;
    const uint8_t *base = chunk;
    for (size_t at = 0; at + sizeof(struct pv_mprof_sample) <= bytes; at += sizeof(struct pv_mprof_sample)) {
        struct pv_mprof_sample x;
        memcpy(&x, base + at, sizeof x); /* a BLOB: unaligned */
        if (x.t < sm->t0)
            keep_before(&sm->before, x.t, x.mib);
        else if (x.t <= sm->t1)
            take(&sm->cells[bucket_of(x.t, sm->t0, sm->t1, sm->width)], x.mib);
        else if (!sm->after.any || x.t < sm->after.t) {
            /* the old first sample after the window is now the next one */
            if (sm->after.any) {
                sm->after_next_t = sm->after.t;
                sm->any_after_next = true;
            }
            keep_after(&sm->after, x.t, x.mib);
        } else if (x.t > sm->after.t && (!sm->any_after_next || x.t < sm->after_next_t)) {
            sm->after_next_t = x.t;
            sm->any_after_next = true;
        }
    }
}

static size_t child_index(struct sampling *sm, int64_t pid)
{
    if (sm->last < sm->npids && sm->pids[sm->last] == pid)
        return sm->last;
    size_t k = 0;
    while (k < sm->npids && sm->pids[k] != pid)
        k++;
    return sm->last = k;
}

/* The children's samples of a chunk, in two passes: first their pids, by
 * first appearance; then (bucketing_children) their buckets. */
static void child_samples(const void *chunk, size_t bytes, void *ctx)
{
    struct sampling *sm = ctx;
    const uint8_t *base = chunk;
    for (size_t at = 0; at + sizeof(struct pv_mprof_child_sample) <= bytes;
         at += sizeof(struct pv_mprof_child_sample)) {
        struct pv_mprof_child_sample c;
        memcpy(&c, base + at, sizeof c); /* a BLOB: unaligned */
        size_t k = child_index(sm, c.pid);
        if (sm->bucketing_children) {
            if (k == sm->npids)
                continue;
            if (c.t < sm->t0)
                keep_before(&sm->child_before[k], c.t, c.mib);
            else if (c.t > sm->t1)
                keep_after(&sm->child_after[k], c.t, c.mib);
            else
                take(&sm->cells[k * sm->width + bucket_of(c.t, sm->t0, sm->t1, sm->width)],
                     c.mib);
        } else if (k == sm->npids) {
            if (sm->npids < sizeof sm->pids / sizeof sm->pids[0])
                sm->pids[sm->npids++] = c.pid;
            else
                sm->too_many_children = true; /* the reader allows 4096: not stored */
        }
    }
}

/* The children's nearest samples outside the window, each summed over
 * the children sampled in the tick of the main process's nearest sample
 * on that side.  mprof writes a tick as its MEM line and then one CHLD
 * line per child, each stamped with its own time.time() (memory_profiler
 * 0.61, memory_usage()), so a tick's children come at or a little after
 * its main sample, and before the next tick's.  Before the window: each
 * child's last sample before t0 at or after the main's `before`; after
 * it: each child's first sample after t1 before the main's next sample
 * after `after` (any, after the last tick).  t is the latest, or the
 * earliest, of the samples summed.  None on a side where the main process
 * has none. */
static void child_edges(const struct sampling *sm, struct edge *before, struct edge *after)
{
    *before = *after = (struct edge){0};
    for (size_t k = 0; k < sm->npids; k++) {
        const struct edge *b = &sm->child_before[k], *a = &sm->child_after[k];
        if (sm->before.any && b->any && b->t >= sm->before.t) {
            before->t = before->any && before->t > b->t ? before->t : b->t;
            before->mib += b->mib;
            before->any = true;
        }
        if (sm->after.any && a->any && (!sm->any_after_next || a->t < sm->after_next_t)) {
            after->t = after->any && after->t < a->t ? after->t : a->t;
            after->mib += a->mib;
            after->any = true;
        }
    }
}

/* The children's buckets: each child's min and max per bucket, summed over
 * the children present in it, and their nearest samples outside the
 * window (child_edges).  *out is NULL when there are no children. */
static pv_code child_buckets(struct pv_store *s, const char *id, struct sampling *sm,
                             struct bucket **out, struct edge *before, struct edge *after,
                             pv_err *err)
{
    *out = NULL;
    *before = *after = (struct edge){0};
    if (pv_store_memory_read_samples(s, id, true, child_samples, sm, err))
        return err->code;
    if (!sm->npids)
        return PV_OK;
    if (sm->npids * sm->width > CHILD_CELLS_MAX)
        return pv_err_set(err, PV_E_USAGE,
                          "%zu children in %zu buckets: ask for at most %zu buckets", sm->npids,
                          sm->width, (size_t)CHILD_CELLS_MAX / sm->npids);
    sm->cells = calloc(sm->npids * sm->width, sizeof *sm->cells);
    sm->child_before = calloc(sm->npids, sizeof *sm->child_before);
    sm->child_after = calloc(sm->npids, sizeof *sm->child_after);
    struct bucket *sum = calloc(sm->width, sizeof *sum);
    if (!sm->cells || !sm->child_before || !sm->child_after || !sum) {
        pv_err_set(err, PV_E_NOMEM, "out of memory");
        goto free_cells;
    }
    sm->last = 0;
    sm->bucketing_children = true;
    if (pv_store_memory_read_samples(s, id, true, child_samples, sm, err))
        goto free_cells;
    for (size_t k = 0; k < sm->npids; k++)
        for (size_t b = 0; b < sm->width; b++) {
            const struct bucket *cell = &sm->cells[k * sm->width + b];
            if (!cell->any)
                continue;
            sum[b].min = sum[b].any ? sum[b].min + cell->min : cell->min;
            sum[b].max = sum[b].any ? sum[b].max + cell->max : cell->max;
            sum[b].any = true;
        }
    child_edges(sm, before, after);
    free(sm->cells);
    free(sm->child_before);
    free(sm->child_after);
    *out = sum;
    return PV_OK;

free_cells:
    free(sm->cells);
    free(sm->child_before);
    free(sm->child_after);
    free(sum);
    return err->code;
}

/* [t, mib], or null when there is no such sample. */
static void write_edge(FILE *f, const struct edge *e)
{
    if (!e->any) {
        fputs("null", f);
        return;
    }
    fputc('[', f);
    pv_jsonw_double(f, e->t);
    fputc(',', f);
    pv_jsonw_double(f, e->mib);
    fputc(']', f);
}

struct pv_memsamples {
    struct sampling sm;           /* the window, the main's nearest samples */
    struct bucket *main, *children; /* children: NULL when there are none */
    struct edge children_before, children_after;
};

pv_code pv_memsamples_read(struct pv_store *s, const char *id, double t0, double t1,
                           size_t width, struct pv_memsamples **out, pv_err *err)
{
    struct pv_memsamples *m = calloc(1, sizeof *m);
    if (!m || !(m->main = calloc(width, sizeof *m->main))) {
        free(m);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    m->sm.t0 = t0;
    m->sm.t1 = t1;
    m->sm.width = width;
    m->sm.cells = m->main;
    if (pv_store_memory_read_samples(s, id, false, main_buckets, &m->sm, err) ||
        child_buckets(s, id, &m->sm, &m->children, &m->children_before, &m->children_after,
                      err)) {
        pv_memsamples_destroy(m);
        return err->code;
    }
    *out = m;
    return PV_OK;
}

void pv_memsamples_write(FILE *f, const struct pv_memsamples *m)
{
    const struct sampling *sm = &m->sm;
    fputs("{\"t0\":", f);
    pv_jsonw_double(f, sm->t0);
    fputs(",\"t1\":", f);
    pv_jsonw_double(f, sm->t1);
    fprintf(f, ",\"width\":%zu,\"main\":", sm->width);
    write_buckets(f, m->main, sm->width, sm->t0, sm->t1);
    fputs(",\"before\":", f);
    write_edge(f, &sm->before);
    fputs(",\"after\":", f);
    write_edge(f, &sm->after);
    fputs(",\"children\":", f);
    if (m->children)
        write_buckets(f, m->children, sm->width, sm->t0, sm->t1);
    else
        fputs("null", f);
    fputs(",\"children_before\":", f);
    write_edge(f, &m->children_before);
    fputs(",\"children_after\":", f);
    write_edge(f, &m->children_after);
    fputc('}', f);
}

void pv_memsamples_destroy(struct pv_memsamples *m)
{
    if (!m)
        return;
    free(m->main);
    free(m->children);
    free(m);
}
