/* models.h - loaded profiles shared by the server's threads.
 *
 * A reference-counted LRU cache of models, bounded by an estimate of their
 * memory: a model in use is never freed under its user, and the least
 * recently used unused ones go first when the cache is over its budget.
 * Loading is the caller's (the api module reads the store); this module
 * only keeps what it is given.  Every function is thread-safe. */
#ifndef PV_MODELS_H
#define PV_MODELS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "pv.h"
#include "report.h"
#include "store.h"
#include "tree.h"

struct pv_model {
    char id[PV_ID_HEX + 1];
    struct pv_profile *p;      /* read-only while held */
    struct pv_entry *entries;  /* entry points, largest first */
    size_t nentries;
    /* private to models.c */
    char **labels;
    uint32_t *orders[2 * PV_SORT_KEYS]; /* (key, reverse) -> fids */
    pthread_mutex_t lazy_lock;        /* guards labels and orders */
    size_t bytes;
    int refs;
    uint64_t used;
};

struct pv_models;

pv_code pv_models_create(size_t max_bytes, struct pv_models **out, pv_err *err);
/* Frees every model; none may be held any more. */
void pv_models_destroy(struct pv_models *ms);

/* The model of id, held until pv_models_release(), or NULL. */
struct pv_model *pv_models_get(struct pv_models *ms, const char *id);

/* Keep p (taken, even on failure) as the model of id and hold it.  When
 * another thread added id meanwhile, that model is held instead and p is
 * freed. */
pv_code pv_models_add(struct pv_models *ms, const char *id, struct pv_profile *p,
                      struct pv_model **held, pv_err *err);

void pv_models_release(struct pv_models *ms, struct pv_model *m);

/* Forget id once nobody holds it (a deleted profile). */
void pv_models_drop(struct pv_models *ms, const char *id);

/* Every function's label (pstats' func_std_string) with its file and name
 * cut at PV_VIEW_TEXT_MAX each, as searches see it, made once per model:
 * *labels is valid while m is held. */
pv_code pv_model_labels(struct pv_model *m, char *const **labels, pv_err *err);

/* The real functions in the order of a one-key sort (pv_report_sorted),
 * made once per model: *fids (m->p->nreal of them) is valid while m is
 * held. */
pv_code pv_model_order(struct pv_model *m, pv_sort_key key, bool reverse, const uint32_t **fids,
                       pv_err *err);

#endif
