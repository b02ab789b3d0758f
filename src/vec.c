/* vec.c - malloc'd arrays (see vec.h). */
#include "vec.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

enum { HUGE_PAGE_BYTES = 2 << 20 };

/* Ask for huge pages in the 2 MiB-aligned part of p[0..bytes).  It is only
 * advice: where the kernel has no transparent huge pages it changes
 * nothing, and memory is still taken page by page as it is touched. */
static void advise_huge(void *p, size_t bytes)
{
    if (bytes < HUGE_PAGE_BYTES)
        return;
    uintptr_t lo = ((uintptr_t)p + HUGE_PAGE_BYTES - 1) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(uintptr_t)(HUGE_PAGE_BYTES - 1);
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
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
    void *p = realloc(*items, bytes);
    if (!p)
        return false;
    advise_huge(p, bytes);
    *items = p;
    *cap = ncap;
    return true;
}

void *pv_vec_alloc(size_t n, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, size, &bytes))
        return NULL;
    void *p = malloc(bytes ? bytes : 1);
    if (p)
        advise_huge(p, bytes);
    return p;
}

void *pv_vec_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p)
        advise_huge(p, n * size); /* calloc checked the product */
    return p;
}
