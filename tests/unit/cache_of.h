/* cache_of.h - a shared cache (cache.h) for the tests of what it holds:
 * test_cache.c's entries and test_answers.c's answers. */
#ifndef PV_TEST_CACHE_OF_H
#define PV_TEST_CACHE_OF_H

#include <stdlib.h>

#include "cache.h"

/* A new cache of max_bytes; a test cannot go on without one. */
static inline struct pv_cache *cache_of(size_t max_bytes)
{
    struct pv_cache *c;
    pv_err err;
    if (pv_cache_create(max_bytes, &c, &err))
        abort();
    return c;
}

#endif
