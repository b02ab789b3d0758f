/* alloc_fail.h - the library's allocations counted and made to fail, for
 * tests linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,
 * --wrap=free (see tests/meson.build): every call the library makes
 * reaches these wrappers, so the checks hold in the plain build too, not
 * only under a leak checker.  Include it in one file of a test program. */
#ifndef PV_ALLOC_FAIL_H
#define PV_ALLOC_FAIL_H

#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t count, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t count, size_t n);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static long live_blocks;   /* allocated by the library and not freed */
static long long live_bytes; /* their usable size (malloc_usable_size) */
static long fail_at;       /* make the fail_at-th allocation from now fail; 0: none */
static long allocations;   /* since fail_at was set */

/* From now on, the k-th allocation fails (k == 0: none does). */
static inline void alloc_fail_at(long k)
{
    fail_at = k;
    allocations = 0;
}

static inline bool fail_this_one(void)
{
    return fail_at && ++allocations == fail_at;
}

void *__wrap_malloc(size_t n)
{
    if (fail_this_one())
        return NULL;
    void *p = __real_malloc(n);
    live_blocks += p != NULL;
    live_bytes += p ? (long long)malloc_usable_size(p) : 0;
    return p;
}

void *__wrap_calloc(size_t count, size_t n)
{
    if (fail_this_one())
        return NULL;
    void *p = __real_calloc(count, n);
    live_blocks += p != NULL;
    live_bytes += p ? (long long)malloc_usable_size(p) : 0;
    return p;
}

void *__wrap_realloc(void *old, size_t n)
{
    if (fail_this_one())
        return NULL;
    long long was = old ? (long long)malloc_usable_size(old) : 0;
    void *p = __real_realloc(old, n);
    live_blocks += p && !old;
    if (p || !n) /* a failed realloc leaves old as it was */
        live_bytes += (p ? (long long)malloc_usable_size(p) : 0) - was;
    return p;
}

void __wrap_free(void *p)
{
    live_blocks -= p != NULL;
    live_bytes -= p ? (long long)malloc_usable_size(p) : 0;
    __real_free(p);
}

#endif
