/* answers.h - rendered answers kept gzipped in the shared cache.
 *
 * Answers about a profile never change (the id is its content's hash):
 * the http module keeps each 200 it rendered, under its ETag, in the
 * cache that also holds the models (cache.h), grouped by the profile so
 * that a delete drops them too.  The web UI's embedded files are kept the
 * same way, under their own ETags.
 *
 * An answer is compressed once, when it is added, and kept compressed:
 * gzip at level 6 cost 3.2-4.5 ms a tree on every hit when plain bytes
 * were kept, as much CPU as building the tree.  Nearly every client
 * accepts gzip (browsers, curl --compressed); one that does not gets the
 * bytes inflated, about ten times cheaper than deflating, rather than a
 * second plain copy in memory for everyone.  Bodies under 1 KiB, or that
 * gzip does not shrink, are kept plain. */
#ifndef PV_ANSWERS_H
#define PV_ANSWERS_H

#include <stdbool.h>
#include <stddef.h>

#include "cache.h"

struct pv_answer {
    struct pv_cache_entry entry;  /* first: the cache's handle */
    struct pv_cache *cache;       /* where it is kept: to release it from a callback */
    const char *content_type;     /* static text */
    bool gzipped;                 /* bytes are gzip of plain_len plain bytes */
    size_t len, plain_len;
    unsigned char bytes[];        /* len of them */
};

/* Bodies shorter than this are sent and kept plain: gzip would not pay. */
enum { PV_ANSWERS_GZIP_MIN_BYTES = 1024 };

/* The answer kept under key (an ETag), held until pv_answers_release(),
 * or NULL. */
struct pv_answer *pv_answers_get(struct pv_cache *c, const char *key);

/* Keep body (copied, compressed when that helps) as the answer under key,
 * in group (a profile id, or "" for files of the web UI), and hold it.
 * NULL when it is not kept: out of memory, or over an eighth of the
 * cache's budget (one huge answer should not flush all the others). */
struct pv_answer *pv_answers_add(struct pv_cache *c, const char *key, const char *group,
                                 const char *content_type, const void *body, size_t len);

void pv_answers_release(struct pv_cache *c, struct pv_answer *a);

/* The answer's plain bytes, malloc'd (caller frees), for a client that
 * does not accept gzip: a copy, or the bytes inflated.  NULL when out of
 * memory. */
void *pv_answers_plain_dup(const struct pv_answer *a, size_t *len);

/* body gzipped at level 6, malloc'd (caller frees), or NULL when that
 * would not make it smaller (or memory ran out). */
void *pv_answers_gzip_dup(const void *body, size_t len, size_t *out_len);

#endif
