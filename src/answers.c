/* answers.c - rendered answers kept gzipped in the shared cache (see
 * answers.h). */
#include "answers.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void answer_destroy(struct pv_cache_entry *e)
{
    free(e);
}

struct pv_answer *pv_answers_get(struct pv_cache *c, const char *key)
{
    return (struct pv_answer *)pv_cache_get(c, key);
}

void pv_answers_release(struct pv_cache *c, struct pv_answer *a)
{
    if (a)
        pv_cache_release(c, &a->entry);
}

void *pv_answers_gzip_dup(const void *body, size_t len, size_t *out_len)
{
    z_stream z = {0};
    if (len > UINT_MAX || deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)len);
    unsigned char *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)body;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || *out_len >= len) {
        free(out);
        return NULL;
    }
    return out;
}

struct pv_answer *pv_answers_add(struct pv_cache *c, const char *key, const char *group,
                                 const char *content_type, const void *body, size_t len)
{
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    if (len > u.max_bytes / 8)
        return NULL;
    size_t zlen = 0;
    void *z = len >= PV_ANSWERS_GZIP_MIN_BYTES ? pv_answers_gzip_dup(body, len, &zlen) : NULL;
    size_t keep = z ? zlen : len;
    struct pv_answer *a = malloc(sizeof *a + keep);
    if (!a) {
        free(z);
        return NULL;
    }
    *a = (struct pv_answer){.cache = c, .content_type = content_type, .gzipped = z != NULL, .len = keep,
                            .plain_len = len};
    memcpy(a->bytes, z ? z : body, keep);
    free(z);
    a->entry.destroy = answer_destroy;
    a->entry.bytes = sizeof *a + keep;
    return (struct pv_answer *)pv_cache_add_take(c, key, group, &a->entry);
}

void *pv_answers_plain_dup(const struct pv_answer *a, size_t *len)
{
    unsigned char *out = malloc(a->plain_len + 1);
    if (!out)
        return NULL;
    if (!a->gzipped) {
        memcpy(out, a->bytes, a->len);
        *len = a->len;
        return out;
    }
    z_stream z = {0};
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
        free(out);
        return NULL;
    }
    z.next_in = (Bytef *)a->bytes;
    z.avail_in = (uInt)a->len;
    z.next_out = out;
    z.avail_out = (uInt)a->plain_len;
    int rc = inflate(&z, Z_FINISH);
    *len = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END || *len != a->plain_len) {
        free(out);
        return NULL;
    }
    return out;
}
