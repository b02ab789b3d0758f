/* vec.h - growing malloc'd arrays, the one way every module does it. */
#ifndef PV_VEC_H
#define PV_VEC_H

#include <stdbool.h>
#include <stddef.h>

/* Make room for need items of size bytes in *items (capacity *cap),
 * doubling from 64.  false on overflow or out-of-memory, with *items and
 * *cap untouched. */
bool pv_vec_reserve(void **items, size_t *cap, size_t need, size_t size);

#endif
