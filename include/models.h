/* models.h - profiles' models in the shared cache, with what views
 * compute once per model.
 *
 * A model is a loaded profile plus its entry points, and, built on first
 * use, its labels and sort orders.  Models live in the shared cache
 * (cache.h) under the key "model:<id>" in the group <id>, so that a delete
 * drops them with the profile's answers.  Loading is the caller's (the api
 * module reads the store); this module keeps what it is given and says
 * what it costs: the cache's budget counts every byte a model holds, its
 * labels and orders included as they are built.  Every function is
 * thread-safe. */
#ifndef PV_MODELS_H
#define PV_MODELS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "profile.h"
#include "pv.h"
#include "sort.h"
#include "store.h"
#include "tree.h"

struct pv_model {
    struct pv_cache_entry entry; /* the cache's handle: first */
    char id[PV_STORE_ID_HEX + 1];
    struct pv_profile *p;        /* read-only while held */
    struct pv_entry *entries;    /* entry points, largest first */
    size_t nentries;
    /* private to models.c */
    struct pv_cache *cache;      /* to tell it what lazy parts cost */
    pthread_mutex_t lazy_lock;   /* guards labels and orders */
    struct pv_profile_labels labels; /* cut at PV_VIEW_TEXT_MAX */
    uint32_t *orders[2 * PV_SORT_KEYS]; /* (key, reverse) -> fids */
};

/* The model of id, held until pv_models_release(), or NULL. */
struct pv_model *pv_models_get(struct pv_cache *c, const char *id);

/* Keep p (taken, even on failure) as the model of id and hold it.  When
 * another thread added id meanwhile, that model is held instead and p is
 * freed.  Fails only on out-of-memory computing the entry points. */
pv_code pv_models_add_take(struct pv_cache *c, const char *id, struct pv_profile *p,
                           struct pv_model **held, pv_err *err);

/* One more hold on m, held already. */
void pv_models_hold(struct pv_cache *c, struct pv_model *m);

/* Let go of m (NULL does nothing). */
void pv_models_release(struct pv_cache *c, struct pv_model *m);

/* Every function's label (pstats' func_std_string) with its file and name
 * cut at PV_VIEW_TEXT_MAX each, as searches see it, made once per model:
 * *labels is valid while m is held. */
pv_code pv_models_labels(struct pv_model *m, char *const **labels, pv_err *err);

/* The real functions in the order of a one-key sort (pv_sort_fids),
 * made once per model: *fids (m->p->nreal of them) is valid while m is
 * held. */
pv_code pv_models_order(struct pv_model *m, pv_sort_key key, bool reverse, const uint32_t **fids,
                        pv_err *err);

#endif
