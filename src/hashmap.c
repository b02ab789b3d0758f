/* hashmap.c - growing, freeing and hashing for the one hash table (see
 * hashmap.h); probing is inline in the header. */
#include "hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "vec.h"

/* Grown past 7/10 of cap (max_count). */
static bool over_load(size_t count, size_t cap)
{
    return count > cap / 10 * 7 + cap % 10 * 7 / 10;
}

void pv_hashmap_init(struct pv_hashmap *m)
{
    *m = (struct pv_hashmap){.entries = NULL};
}

void pv_hashmap_fini(struct pv_hashmap *m)
{
    free(m->entries);
    pv_hashmap_init(m);
}

/* The slow half of pv_hashmap_reserve(). */
bool pv_hashmap_grow(struct pv_hashmap *m, size_t more)
{
    size_t want;
    if (__builtin_add_overflow(m->count, more, &want))
        return false;
    if (m->cap && !over_load(want, m->cap))
        return true;
    size_t ncap = m->cap ? m->cap : 64;
    while (over_load(want, ncap)) {
        if (ncap > SIZE_MAX / 2 / sizeof *m->entries)
            return false;
        ncap *= 2;
    }
    struct pv_hashmap_entry *t = pv_vec_calloc(ncap, sizeof *t);
    if (!t)
        return false;
    /* The stored hashes place every entry again: no key is needed. */
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->entries[i].value_plus1)
            continue;
        size_t j = m->entries[i].hash & (ncap - 1);
        while (t[j].value_plus1)
            j = (j + 1) & (ncap - 1);
        t[j] = m->entries[i];
    }
    free(m->entries);
    m->entries = t;
    m->cap = ncap;
    m->max_count = ncap / 10 * 7 + ncap % 10 * 7 / 10;
    return true;
}

size_t pv_hashmap_bytes(const struct pv_hashmap *m)
{
    return m->cap * sizeof *m->entries;
}

uint64_t pv_hashmap_fnv(uint64_t h, const void *bytes, size_t n)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull; /* the FNV prime */
    return h;
}

/* Eight bytes a step, each step a multiply; the tail is read as a short
 * word, and the length is mixed in so "a" and "a\0" differ. */
uint32_t pv_hashmap_hash_bytes(const void *s, size_t n)
{
    const unsigned char *p = s;
    uint64_t h = PV_HASHMAP_GOLDEN ^ n;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, p, n);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    }
    return pv_hashmap_mix(h);
}

/* Backward-shift deletion (Knuth, TAOCP 6.4, algorithm R): walk the
 * cluster after the hole; an entry whose home is not cyclically in
 * (hole, here] would be cut off from it by the hole, so it moves into the
 * hole, and the hole moves to where it was. */
void pv_hashmap_remove(struct pv_hashmap *m, const struct pv_hashmap_probe *pr)
{
    size_t mask = m->cap - 1, hole = (pr->at - 1) & mask;
    for (size_t at = (hole + 1) & mask; m->entries[at].value_plus1; at = (at + 1) & mask) {
        size_t home = m->entries[at].hash & mask;
        bool reachable = hole <= at ? hole < home && home <= at : hole < home || home <= at;
        if (!reachable) {
            m->entries[hole] = m->entries[at];
            hole = at;
        }
    }
    m->entries[hole] = (struct pv_hashmap_entry){0, 0};
    m->count--;
}
