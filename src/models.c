/* models.c - profiles' models in the shared cache (see models.h). */
#include "models.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd block's real cost: what the allocator gave (a parsed
 * profile's string arena may be larger than its strings), and its
 * header.  NULL costs nothing. */
static size_t block_bytes(const void *p)
{
    return p ? malloc_usable_size((void *)p) + sizeof(size_t) : 0;
}

/* Everything m holds, its lazy parts as they are now (under lazy_lock, or
 * before anyone else sees m); told to the cache under lazy_lock, so the
 * last size told is the latest.  Counting blocks rather than elements
 * leaves out nothing a model keeps: before, labels, orders and arena
 * slack were left out, and a server with --cache 512M grew to 700-850 MB. */
static size_t model_bytes(const struct pv_model *m)
{
    const struct pv_profile *p = m->p;
    size_t bytes = block_bytes(m) + block_bytes(p) + block_bytes(p->strings) +
                   block_bytes(p->funcs) + block_bytes(p->edges) + block_bytes(p->edge_flags) +
                   block_bytes(p->callees_at) + block_bytes(p->callers_at) +
                   block_bytes(p->by_callee) + block_bytes(m->entries) +
                   block_bytes(m->labels.of) + block_bytes(m->labels.text);
    for (size_t k = 0; k < sizeof m->orders / sizeof m->orders[0]; k++)
        bytes += block_bytes(m->orders[k]);
    return bytes;
}

static void model_destroy(struct pv_cache_entry *e)
{
    struct pv_model *m = (struct pv_model *)e;
    pv_profile_labels_fini(&m->labels);
    for (size_t k = 0; k < sizeof m->orders / sizeof m->orders[0]; k++)
        free(m->orders[k]);
    pthread_mutex_destroy(&m->lazy_lock);
    free(m->entries);
    pv_profile_destroy(m->p);
    free(m);
}

static void key_of(const char *id, char key[PV_CACHE_KEY_MAX])
{
    snprintf(key, PV_CACHE_KEY_MAX, "model:%s", id);
}

struct pv_model *pv_models_get(struct pv_cache *c, const char *id)
{
    char key[PV_CACHE_KEY_MAX];
    key_of(id, key);
    return (struct pv_model *)pv_cache_get(c, key);
}

pv_code pv_models_add_take(struct pv_cache *c, const char *id, struct pv_profile *p,
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
    m->cache = c;
    m->entry.destroy = model_destroy;
    /* Computed once per model, here: the metadata shows them, and every
     * tree build of the model is given them (pv_tree_query.entries). */
    if (pv_tree_entries(p, &m->entries, &m->nentries, err)) {
        model_destroy(&m->entry);
        return err->code;
    }
    m->entry.bytes = model_bytes(m);
    char key[PV_CACHE_KEY_MAX];
    key_of(id, key);
    *held = (struct pv_model *)pv_cache_add_take(c, key, id, &m->entry);
    return PV_OK;
}

void pv_models_hold(struct pv_cache *c, struct pv_model *m)
{
    pv_cache_hold(c, &m->entry);
}

void pv_models_release(struct pv_cache *c, struct pv_model *m)
{
    if (m)
        pv_cache_release(c, &m->entry);
}

pv_code pv_models_labels(struct pv_model *m, char *const **labels, pv_err *err)
{
    pthread_mutex_lock(&m->lazy_lock);
    pv_code rc = PV_OK;
    /* cut as searches see them: a 1 MiB file name shared by 20,000
     * functions would make 20 GB of labels */
    if (!m->labels.of && !(rc = pv_profile_labels_init(&m->labels, m->p, PV_VIEW_TEXT_MAX, err)))
        pv_cache_resize(m->cache, &m->entry, model_bytes(m));
    *labels = m->labels.of;
    pthread_mutex_unlock(&m->lazy_lock);
    return rc;
}

pv_code pv_models_order(struct pv_model *m, pv_sort_key key, bool reverse, const uint32_t **fids,
                        pv_err *err)
{
    size_t slot = 2 * (size_t)key + reverse;
    pthread_mutex_lock(&m->lazy_lock);
    pv_code rc = PV_OK;
    if (!m->orders[slot]) {
        struct pv_sort s = {.keys = {key}, .nkeys = 1, .reverse = reverse};
        if (!(rc = pv_sort_fids(m->p, &s, &m->orders[slot], err)))
            pv_cache_resize(m->cache, &m->entry, model_bytes(m));
    }
    *fids = m->orders[slot];
    pthread_mutex_unlock(&m->lazy_lock);
    return rc;
}
