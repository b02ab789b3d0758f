/* vec.h - malloc'd arrays, growing or not: the one way every module makes
 * them, with the size's overflow checked; free them with free().
 *
 * They take small pages, as malloc gives them.  Until 2026-12 the arrays
 * of 2 MiB or more asked for 2 MiB pages (madvise): 3,900 page faults for
 * a 100k-function import instead of 25,000.  That paid only in imports run
 * back to back.  A huge page needs a free 2 MiB block, and on a VM that
 * gives idle free memory back to its host those seem to be the blocks it
 * gives back first: after 3 s idle, or after another process's exit, the
 * import took 0.27 s with them and 0.20 s without (median of 8 each,
 * alternating), and a partly used huge page counted whole in its RSS
 * (67.5 MB against 61 MB). */
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
