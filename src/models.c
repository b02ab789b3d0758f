/* models.c - the shared model cache (see models.h). */
#include "models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

struct pv_models {
    pthread_mutex_t lock;
    struct pv_model **items;
    size_t n, cap;
    size_t bytes, max_bytes;
    uint64_t clock;
};

static void model_free(struct pv_model *m)
{
    if (!m)
        return;
    if (m->labels) {
        for (uint32_t f = 0; f < m->p->nfuncs; f++)
            free(m->labels[f]);
        free(m->labels);
    }
    for (size_t k = 0; k < sizeof m->orders / sizeof m->orders[0]; k++)
        free(m->orders[k]);
    pthread_mutex_destroy(&m->lazy_lock);
    free(m->entries);
    pv_profile_destroy(m->p);
    free(m);
}

/* What a model costs, roughly: its arrays and indexes. */
static size_t model_bytes(const struct pv_profile *p)
{
    return p->strings_len + (size_t)p->nfuncs * (sizeof *p->funcs + 8) +
           (size_t)p->nedges * (sizeof *p->edges + 4);
}

/* Under the lock: free unused models, oldest first, until within budget. */
static void evict(struct pv_models *ms)
{
    while (ms->bytes > ms->max_bytes) {
        size_t victim = SIZE_MAX;
        for (size_t i = 0; i < ms->n; i++)
            if (!ms->items[i]->refs &&
                (victim == SIZE_MAX || ms->items[i]->used < ms->items[victim]->used))
                victim = i;
        if (victim == SIZE_MAX)
            return; /* all in use: over budget until they are released */
        ms->bytes -= ms->items[victim]->bytes;
        model_free(ms->items[victim]);
        ms->items[victim] = ms->items[--ms->n];
    }
}

/* Under the lock. */
static struct pv_model *find_and_hold(struct pv_models *ms, const char *id)
{
    for (size_t i = 0; i < ms->n; i++)
        if (!strcmp(ms->items[i]->id, id)) {
            ms->items[i]->refs++;
            ms->items[i]->used = ++ms->clock;
            return ms->items[i];
        }
    return NULL;
}

pv_code pv_models_create(size_t max_bytes, struct pv_models **out, pv_err *err)
{
    struct pv_models *ms = calloc(1, sizeof *ms);
    if (!ms)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    pthread_mutex_init(&ms->lock, NULL);
    ms->max_bytes = max_bytes;
    *out = ms;
    return PV_OK;
}

void pv_models_destroy(struct pv_models *ms)
{
    if (!ms)
        return;
    for (size_t i = 0; i < ms->n; i++)
        model_free(ms->items[i]);
    free(ms->items);
    pthread_mutex_destroy(&ms->lock);
    free(ms);
}

struct pv_model *pv_models_get(struct pv_models *ms, const char *id)
{
    pthread_mutex_lock(&ms->lock);
    struct pv_model *m = find_and_hold(ms, id);
    pthread_mutex_unlock(&ms->lock);
    return m;
}

pv_code pv_models_add(struct pv_models *ms, const char *id, struct pv_profile *p,
                      struct pv_model **held, pv_err *err)
{
    struct pv_model *m = calloc(1, sizeof *m);
    if (!m) {
        pv_profile_destroy(p);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    pthread_mutex_init(&m->lazy_lock, NULL);
    snprintf(m->id, sizeof m->id, "%s", id);
    m->p = p;
    /* entry points are the tree's starting point: computed once, here */
    if (pv_tree_entries(p, &m->entries, &m->nentries, err)) {
        model_free(m);
        return err->code;
    }
    m->bytes = model_bytes(p);
    m->refs = 1;
    pthread_mutex_lock(&ms->lock);
    struct pv_model *raced = find_and_hold(ms, id);
    if (raced || !pv_vec_reserve((void **)&ms->items, &ms->cap, ms->n + 1, sizeof *ms->items)) {
        pthread_mutex_unlock(&ms->lock);
        model_free(m);
        if (!raced)
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        *held = raced;
        return PV_OK;
    }
    m->used = ++ms->clock;
    ms->items[ms->n++] = m;
    ms->bytes += m->bytes;
    evict(ms);
    pthread_mutex_unlock(&ms->lock);
    *held = m;
    return PV_OK;
}

void pv_models_release(struct pv_models *ms, struct pv_model *m)
{
    pthread_mutex_lock(&ms->lock);
    m->refs--;
    evict(ms);
    pthread_mutex_unlock(&ms->lock);
}

void pv_models_drop(struct pv_models *ms, const char *id)
{
    pthread_mutex_lock(&ms->lock);
    for (size_t i = 0; i < ms->n; i++)
        if (!strcmp(ms->items[i]->id, id) && !ms->items[i]->refs) {
            ms->bytes -= ms->items[i]->bytes;
            model_free(ms->items[i]);
            ms->items[i] = ms->items[--ms->n];
            break;
        }
    pthread_mutex_unlock(&ms->lock);
}

pv_code pv_model_labels(struct pv_model *m, char *const **labels, pv_err *err)
{
    pthread_mutex_lock(&m->lazy_lock);
    pv_code rc = PV_OK;
    if (!m->labels) {
        char **all = calloc((size_t)m->p->nfuncs + 1, sizeof *all);
        for (uint32_t f = 0; all && f < m->p->nfuncs; f++)
            if (!(all[f] = pv_profile_label_dup(m->p, f, PV_VIEW_TEXT_MAX, NULL))) {
                for (uint32_t g = 0; g < f; g++)
                    free(all[g]);
                free(all);
                all = NULL;
            }
        if (all)
            m->labels = all;
        else
            rc = pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    *labels = m->labels;
    pthread_mutex_unlock(&m->lazy_lock);
    return rc;
}

pv_code pv_model_order(struct pv_model *m, pv_sort_key key, bool reverse, const uint32_t **fids,
                       pv_err *err)
{
    size_t slot = 2 * (size_t)key + reverse;
    pthread_mutex_lock(&m->lazy_lock);
    pv_code rc = PV_OK;
    if (!m->orders[slot]) {
        struct pv_sort s = {.keys = {key}, .nkeys = 1, .reverse = reverse};
        rc = pv_report_sorted(m->p, &s, &m->orders[slot], err);
    }
    *fids = m->orders[slot];
    pthread_mutex_unlock(&m->lazy_lock);
    return rc;
}
