/* vec.c - malloc'd arrays (see vec.h). */
#include "vec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { HUGE_PAGE_BYTES = 2 << 20 };

/* bytes of memory, the way vec.h says: an array of 2 MiB or more starts on
 * a huge page, and its whole huge pages ask to be huge (advice: where the
 * kernel has no transparent huge pages it changes nothing).  The last,
 * partial one stays in small pages, which are taken only as they are
 * touched.  (Advising just the aligned middle of a malloc'd array left
 * up to 4 MiB of it in small pages: a third of an import's page faults.) */
static void *alloc_bytes(size_t bytes)
{
    if (bytes < HUGE_PAGE_BYTES)
        return malloc(bytes ? bytes : 1);
    void *p;
    if (posix_memalign(&p, HUGE_PAGE_BYTES, bytes))
        return NULL;
    madvise(p, bytes & ~(size_t)(HUGE_PAGE_BYTES - 1), MADV_HUGEPAGE);
    return p;
}

bool pv_vec_reserve(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return false;
        ncap *= 2;
    }
    size_t bytes;
    if (__builtin_mul_overflow(ncap, size, &bytes))
        return false;
    void *p;
    if (bytes < HUGE_PAGE_BYTES) {
        p = realloc(*items, bytes);
    } else {
        /* a new block, so that it is aligned: a copy, where realloc could
         * have moved the pages (arrays this large are mostly reserved once) */
        p = alloc_bytes(bytes);
        if (p && *items) {
            memcpy(p, *items, *cap * size);
            free(*items);
        }
    }
    if (!p)
        return false;
    *items = p;
    *cap = ncap;
    return true;
}

void *pv_vec_alloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    return alloc_bytes(bytes);
}

void *pv_vec_calloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    if (bytes < HUGE_PAGE_BYTES)
        return calloc(bytes ? bytes : 1, 1);
    void *p = alloc_bytes(bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}
