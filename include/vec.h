/* vec.h - malloc'd arrays, growing or not: the one way every module makes
 * them.
 *
 * Arrays of 2 MiB or more ask the kernel for 2 MiB pages (madvise): a page
 * fault costs about 5 us on the VMs this runs on, and importing a
 * 100k-function profile touched 25,000 4 KiB pages, 16% of its time; with
 * huge pages, under 12,000.  Peak memory does not change: pages are still
 * only taken when touched. */
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
