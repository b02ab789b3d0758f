/* Unit tests of the models in the shared cache: a model's size, as told to
 * the cache, is what it holds (its labels and sort orders included), so
 * that --cache bounds memory; a delete forgets it.  Live bytes are counted
 * through the linker (alloc_fail.h's live_bytes).
 *
 * usage: test_models STATS_FILE TMPDIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"
#include "cache.h"
#include "check.h"
#include "import.h"
#include "models.h"
#include "read_file.h"
#include "store.h"

/* Build every lazy part: labels, and each sort order both ways. */
static bool build_all(struct pv_model *m)
{
    pv_err err;
    char *const *labels;
    bool ok = pv_models_labels(m, &labels, &err) == PV_OK;
    for (int k = 0; k < PV_SORT_KEYS && ok; k++)
        for (int rev = 0; rev < 2 && ok; rev++) {
            const uint32_t *fids;
            ok = pv_models_order(m, (pv_sort_key)k, rev, &fids, &err) == PV_OK;
        }
    return ok;
}

/* The estimate against the bytes the model holds, from a parse (an upload)
 * or from the store (a later view). */
static void size_is_what_it_holds(const char *name, struct pv_cache *c, struct pv_profile *p,
                                  long long before)
{
    pv_err err;
    struct pv_model *m;
    if (pv_models_add_take(c, "00112233445566778899aabbccddeeff", p, &m, &err)) {
        CHECK(0, name, "add: %s", err.msg);
        return;
    }
    size_t bare = m->entry.bytes;
    bool built = build_all(m);
    long long held = live_bytes - before;
    size_t told = m->entry.bytes;
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    /* within 10%: allocator rounding is all that is not counted */
    CHECK(built && told > bare && (double)told >= 0.9 * (double)held &&
              (double)told <= 1.1 * (double)held && u.bytes == told,
          name, "built %d: %zu bytes told (%zu before labels and orders), %lld held, cache counts %zu",
          built, told, bare, held, u.bytes);
    pv_models_release(c, m);
    pv_cache_drop_group(c, "00112233445566778899aabbccddeeff");
    pv_cache_usage(c, &u);
    CHECK(u.entries == 0 && u.bytes == 0 && !pv_models_get(c, "00112233445566778899aabbccddeeff"),
          "a_dropped_model_is_gone", "%zu entries, %zu bytes", u.entries, u.bytes);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_models STATS_FILE TMPDIR\n");
        return 2;
    }
    size_t len;
    uint8_t *buf = read_file(argv[1], &len);
    struct pv_cache *c;
    pv_err err;
    if (!buf || pv_cache_create((size_t)1 << 30, &c, &err)) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }

    long long before = live_bytes;
    struct pv_profile *p;
    if (pv_profile_parse(buf, len, &p, &err) == PV_OK)
        size_is_what_it_holds("a_parsed_model_costs_what_it_holds", c, p, before);
    else
        CHECK(0, "parse", "%s", err.msg);

    char db[4096];
    snprintf(db, sizeof db, "%s/test_models.db", argv[2]);
    remove(db);
    struct pv_store *s;
    struct pv_store_record res;
    if (pv_store_open(db, &s, &err) || pv_import_bytes(s, buf, len, "t", NULL, &res, &err)) {
        CHECK(0, "store", "%s", err.msg);
    } else {
        free(res.name);
        /* A first load warms SQLite's page cache, which is not the model's. */
        if (pv_store_load(s, res.id, &p, &err) == PV_OK)
            pv_profile_destroy(p);
        before = live_bytes;
        if (pv_store_load(s, res.id, &p, &err) == PV_OK)
            size_is_what_it_holds("a_loaded_model_costs_what_it_holds", c, p, before);
        else
            CHECK(0, "load", "%s", err.msg);
        pv_store_close(s);
    }
    remove(db);
    pv_cache_destroy(c);
    free(buf);
    return check_done();
}
