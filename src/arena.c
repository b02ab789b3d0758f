/* arena.c - the bump allocator's chunks (see arena.h; allocating is
 * inline there). */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>

#include "vec.h"

struct pv_arena_chunk {
    struct pv_arena_chunk *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

/* The first chunk; each next one is twice the last, so a kept arena of
 * 10 MB takes 6 chunks, not 40.  The newest chunk may stay mostly unused:
 * untouched pages cost address space, not memory. */
enum { CHUNK_BYTES = 256 * 1024 };

void pv_arena_init(struct pv_arena *a, size_t limit_bytes)
{
    a->head = NULL;
    a->next = a->end = NULL;
    a->limit_bytes = limit_bytes;
    a->left_bytes = limit_bytes ? limit_bytes : SIZE_MAX;
}

void pv_arena_fini(struct pv_arena *a)
{
    struct pv_arena_chunk *c = a->head;
    while (c) {
        struct pv_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    pv_arena_init(a, a->limit_bytes);
}

void pv_arena_reset(struct pv_arena *a)
{
    if (!a->head)
        return;
    /* Keep the newest chunk: per-entry scratch use then never mallocs. */
    struct pv_arena_chunk *keep = a->head, *c = keep->next;
    while (c) {
        struct pv_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    keep->next = NULL;
    a->next = keep->data;
    a->end = keep->data + keep->size;
    a->left_bytes = a->limit_bytes ? a->limit_bytes : SIZE_MAX;
}

void *pv_arena_alloc_chunk(struct pv_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n || need > a->left_bytes)
        return NULL;
    if (need > (size_t)((uintptr_t)a->end - (uintptr_t)a->next)) {
        size_t size = a->head ? a->head->size * 2 : CHUNK_BYTES;
        if (size < need)
            size = need;
        struct pv_arena_chunk *c = pv_vec_alloc(1, sizeof *c + size);
        if (!c)
            return NULL;
        c->size = size;
        c->next = a->head;
        a->head = c;
        a->next = c->data;
        a->end = c->data + size;
    }
    void *p = a->next;
    a->next += need;
    a->left_bytes -= need;
    return p;
}
