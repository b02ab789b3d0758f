/* arena.h - a bump allocator: many small allocations, freed all at once.
 *
 * Used for decoded marshal values (one scratch arena reset per stats entry,
 * one kept arena for objects that later references can reach).  Memory is
 * 16-byte aligned.  An arena may carry a byte limit so hostile input cannot
 * make the decoder allocate without bound.
 *
 * Allocating is inline: the decoder allocates once for every tuple it
 * reads (a million in a 100k-function profile), and a call per tuple was
 * 4% of an import. */
#ifndef PV_ARENA_H
#define PV_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct pv_arena_chunk;

struct pv_arena {
    struct pv_arena_chunk *head;
    unsigned char *next, *end; /* the free part of head's chunk */
    size_t left_bytes;         /* what the limit still allows; SIZE_MAX: no limit */
    size_t limit_bytes;        /* 0: no limit */
};

/* Start an empty arena (caller memory); cannot fail. */
void pv_arena_init(struct pv_arena *a, size_t limit_bytes);
/* Free every chunk; the arena is empty again and may be reused. */
void pv_arena_fini(struct pv_arena *a);
/* Forget every allocation but keep one chunk for reuse. */
void pv_arena_reset(struct pv_arena *a);

/* The slow half of pv_arena_alloc(): a new chunk. */
void *pv_arena_alloc_chunk(struct pv_arena *a, size_t n);

/* n bytes, 16-byte aligned, uninitialised; NULL when out of memory or past
 * the limit.  Valid until the next reset/fini. */
static inline void *pv_arena_alloc(struct pv_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    size_t room = (uintptr_t)a->end - (uintptr_t)a->next; /* as integers: both NULL at first */
    if (need >= n && need <= room && need <= a->left_bytes) {
        void *p = a->next;
        a->next += need;
        a->left_bytes -= need;
        return p;
    }
    return pv_arena_alloc_chunk(a, n);
}

#endif
