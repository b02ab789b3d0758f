/* arena.c - bump allocator (see arena.h). */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>

struct pv_arena_chunk {
    struct pv_arena_chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
};

enum { CHUNK_BYTES = 256 * 1024 };

void pv_arena_init(struct pv_arena *a, size_t limit_bytes)
{
    a->head = NULL;
    a->used_bytes = 0;
    a->limit_bytes = limit_bytes;
}

void pv_arena_fini(struct pv_arena *a)
{
    struct pv_arena_chunk *c = a->head;
    while (c) {
        struct pv_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
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
    keep->used = 0;
    a->used_bytes = 0;
}

void *pv_arena_alloc(struct pv_arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    if (need < n)
        return NULL;
    if (a->limit_bytes && (need > a->limit_bytes || a->used_bytes > a->limit_bytes - need))
        return NULL;
    struct pv_arena_chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        size_t size = need > CHUNK_BYTES ? need : CHUNK_BYTES;
        c = malloc(sizeof *c + size);
        if (!c)
            return NULL;
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used_bytes += need;
    return p;
}
