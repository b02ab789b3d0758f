/* vec.h - malloc'd arrays, growing or not: the one way every module makes
 * them; free them with free().
 *
 * Arrays of 2 MiB or more start on a 2 MiB boundary and ask the kernel for
 * 2 MiB pages (madvise): a page fault costs about 5 us on the VMs this
 * runs on, and importing a 100k-function profile took 25,000 of them, 16%
 * of its time; with huge pages, 3,900.  Memory is still taken only as it
 * is touched (the import's peak went from 81.5 to 80.8 MB). */
#ifndef PV_VEC_H
#define PV_VEC_H

#include <stdbool.h>
#include <stddef.h>

/* Make room for need items of size bytes in *items (capacity *cap),
 * doubling from 64.  false on overflow or out-of-memory, with *items and
 * *cap untouched. */
bool pv_vec_reserve(void **items, size_t *cap, size_t need, size_t size);

/* An array of n items of size bytes (at least one byte), uninitialised, or
 * zeroed with pv_vec_calloc(); the caller frees it.  NULL on overflow or
 * out-of-memory. */
void *pv_vec_alloc(size_t n, size_t size);
void *pv_vec_calloc(size_t n, size_t size);

#endif
