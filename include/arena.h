/* arena.h - a bump allocator: many small allocations, freed all at once.
 *
 * Used for decoded marshal values (one scratch arena reset per stats entry,
 * one kept arena for objects that later references can reach).  Memory is
 * 16-byte aligned.  An arena may carry a byte limit so hostile input cannot
 * make the decoder allocate without bound. */
#ifndef PV_ARENA_H
#define PV_ARENA_H

#include <stddef.h>

struct pv_arena_chunk;

struct pv_arena {
    struct pv_arena_chunk *head;
    size_t used_bytes;   /* bytes handed out since init/reset */
    size_t limit_bytes;  /* 0: no limit */
};

/* Start an empty arena (caller memory); cannot fail. */
void pv_arena_init(struct pv_arena *a, size_t limit_bytes);
/* Free every chunk; the arena is empty again and may be reused. */
void pv_arena_fini(struct pv_arena *a);
/* Forget every allocation but keep one chunk for reuse. */
void pv_arena_reset(struct pv_arena *a);
/* n bytes, 16-byte aligned, uninitialised; NULL when out of memory or past
 * the limit.  Valid until the next reset/fini. */
void *pv_arena_alloc(struct pv_arena *a, size_t n);

#endif
