/* Unit tests of pv_profile_index()'s promise: a new index replaces the old
 * one (freed), and a failed one leaves the profile with none and nothing
 * allocated.  Allocations are counted and made to fail through the linker
 * (--wrap=malloc etc., see tests/meson.build), so the checks hold in the
 * plain build too, not only under a leak checker. */
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"
#include "check.h"
#include "marshal_writer.h"
#include "profile.h"

/* main calls a and b, a calls b: three functions, three edges */
static struct pv_profile *small_profile(void)
{
    struct w w = {.n = 0};
    static const char *const names[] = {"main", "a", "b"};
    byte(&w, '{');
    for (int f = 0; f < 3; f++) {
        key(&w, "m.py", f + 1, names[f]);
        stats(&w, 1, 1, 0.5, 1.0);
        for (int c = 0; c < f; c++) /* f is called by every function before it */
            caller(&w, "m.py", c + 1, names[c], 1, 1, 0.25, 0.5);
        byte(&w, '0');
    }
    byte(&w, '0');
    return profile_of_written(&w);
}

/* The indexes agree with the edges. */
static bool indexes_right(const struct pv_profile *p)
{
    if (!p->callees_at || !p->callers_at || !p->by_callee)
        return false;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        for (uint32_t e = p->callees_at[f]; e < p->callees_at[f + 1]; e++)
            if (p->edges[e].caller != f)
                return false;
        for (uint32_t k = p->callers_at[f]; k < p->callers_at[f + 1]; k++)
            if (p->edges[p->by_callee[k]].callee != f ||
                (k > p->callers_at[f] &&
                 p->edges[p->by_callee[k - 1]].caller >= p->edges[p->by_callee[k]].caller))
                return false;
    }
    return p->callees_at[p->nfuncs] == p->nedges && p->callers_at[p->nfuncs] == p->nedges;
}

static void indexing_again_frees_the_old_indexes(struct pv_profile *p)
{
    pv_err err = {0};
    long before = live_blocks;
    bool ok = true;
    for (int k = 0; k < 20; k++)
        ok &= pv_profile_index(p, &err) == PV_OK;
    CHECK(ok && live_blocks == before && indexes_right(p), "indexing_again_frees_the_old_indexes",
          "20 indexings: %s, %ld blocks more than before", ok ? "ok" : err.msg,
          live_blocks - before);
}

/* Fail each allocation pv_profile_index makes in turn, until one run makes
 * none fail (it needs fewer allocations than that). */
static void failed_indexing_leaves_no_index_and_no_memory(struct pv_profile *p)
{
    for (long k = 1; k < 100; k++) {
        pv_err err = {0};
        long before = live_blocks;
        alloc_fail_at(k);
        pv_code rc = pv_profile_index(p, &err);
        bool failed = allocations >= k;
        alloc_fail_at(0);
        if (!failed) {
            CHECK(rc == PV_OK && indexes_right(p), "index_after_failures_is_right",
                  "allocation %ld: %s", k, rc ? err.msg : "wrong indexes");
            break;
        }
        /* The old indexes are gone (freed), and no new one was kept. */
        CHECK(rc == PV_E_NOMEM && !p->callees_at && !p->callers_at && !p->by_callee,
              "failed_indexing_leaves_no_index", "allocation %ld failing: rc %d, indexes %p %p %p",
              k, rc, (void *)p->callees_at, (void *)p->callers_at, (void *)p->by_callee);
        CHECK(live_blocks <= before, "failed_indexing_frees_what_it_allocated",
              "allocation %ld failing: %ld blocks more than before", k, live_blocks - before);
        if (!p->callees_at && pv_profile_index(p, &err)) /* index again for the next round */
            break;
    }
}

/* Destroying a profile whose indexing failed frees what is left. */
static void destroy_after_a_failed_indexing_frees_everything(void)
{
    long before = live_blocks;
    struct pv_profile *p = small_profile();
    alloc_fail_at(1);
    pv_err err = {0};
    pv_code rc = p ? pv_profile_index(p, &err) : PV_OK;
    alloc_fail_at(0);
    pv_profile_destroy(p);
    CHECK(p && rc == PV_E_NOMEM && live_blocks == before,
          "destroy_after_a_failed_indexing_frees_everything", "rc %d, %ld blocks left", rc,
          live_blocks - before);
}

int main(void)
{
    struct pv_profile *p = small_profile();
    CHECK(p && p->nfuncs == 3 && p->nedges == 3 && indexes_right(p), "parsed_profile_is_indexed",
          "%u functions, %u edges", p ? p->nfuncs : 0, p ? p->nedges : 0);
    if (p) {
        indexing_again_frees_the_old_indexes(p);
        failed_indexing_leaves_no_index_and_no_memory(p);
    }
    pv_profile_destroy(p);
    destroy_after_a_failed_indexing_frees_everything();
    return check_done();
}
