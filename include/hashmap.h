/* hashmap.h - the one open-addressing hash table: 32-bit hashes to 32-bit
 * values, for every module that looks keys up.
 *
 * An entry is a key's hash and a value; the keys stay with the caller,
 * whose value is usually an index into its own array of keys, and the
 * caller decides whether an entry's key is the one it looks for.  So one
 * map serves strings, (file, line, name) triples and pointers alike, and
 * growing it never needs the keys: the hashes are kept.
 *
 *     struct pv_hashmap_probe pr = pv_hashmap_probe(&m, h);
 *     uint32_t v;
 *     while (pv_hashmap_next(&m, &pr, &v))
 *         if (key_equals(v, key))
 *             return v;                   found
 *     pv_hashmap_insert(&m, &pr, value);  new: added where the probe ended
 *
 * Linear probing from the hash's low bits over a power-of-two table, grown
 * x2 past 70% load: fuller probes long, emptier costs tens of MB on
 * 300k-function profiles.  Because the low bits are used as they are, a
 * hash must spread them (pv_hashmap_mix()).
 *
 * Probing is static inline: it runs in the import's innermost loops, where
 * the caller's key test then compiles into the probe loop.  Growing and
 * freeing are not.  A map is not shared between threads without a lock. */
#ifndef PV_HASHMAP_H
#define PV_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pv_hashmap_entry {
    uint32_t hash;
    uint32_t value_plus1; /* 0: empty */
};

struct pv_hashmap {
    struct pv_hashmap_entry *entries; /* cap of them; NULL while cap is 0 */
    size_t cap;                       /* 0 or a power of two */
    size_t count;
    size_t max_count;                 /* 70% of cap: more and it grows */
};

/* Where a lookup is: from pv_hashmap_probe(), advanced by pv_hashmap_next(). */
struct pv_hashmap_probe {
    size_t at;
    uint32_t hash;
};

/* An empty map in caller memory; cannot fail (nothing is allocated). */
void pv_hashmap_init(struct pv_hashmap *m);

/* Free the table; the map is empty again and may be reused. */
void pv_hashmap_fini(struct pv_hashmap *m);

/* The slow half of pv_hashmap_reserve(), which callers call instead. */
bool pv_hashmap_grow(struct pv_hashmap *m, size_t more);

/* Make room for `more` entries beyond count without passing the load limit.
 * false on out-of-memory or overflow, with the map as it was.  A probe that
 * is under way is void after a reserve that grew the table: reserve first. */
static inline bool pv_hashmap_reserve(struct pv_hashmap *m, size_t more)
{
    return (more <= m->max_count && m->count <= m->max_count - more) ||
           pv_hashmap_grow(m, more);
}

/* Bytes the map holds (its table): for memory estimates.  Cannot fail. */
size_t pv_hashmap_bytes(const struct pv_hashmap *m);

/* A 64-bit value folded to a well-spread 32-bit hash (the finaliser of
 * MurmurHash3): for integers and pointers as keys.  Cannot fail. */
static inline uint32_t pv_hashmap_mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return (uint32_t)h;
}

/* 2^64 divided by the golden ratio: odd, its bits without a pattern, so
 * multiplying by it spreads a small number over the whole word. */
#define PV_HASHMAP_GOLDEN 0x9e3779b97f4a7c15ull

/* A hash of n bytes at s (may be NULL when n is 0).  Cannot fail. */
uint32_t pv_hashmap_hash_bytes(const void *s, size_t n);

/* FNV-1a, 64 bits, fed piece by piece: h = PV_HASHMAP_FNV_BASIS, then
 * h = pv_hashmap_fnv(h, bytes, n) for each piece.  For keys that are
 * built up a piece at a time and must not meet by chance where
 * pv_hashmap_hash_bytes()'s 32 bits would: ETags, which also key the
 * answers kept.  Cannot fail. */
#define PV_HASHMAP_FNV_BASIS 0xcbf29ce484222325ull
uint64_t pv_hashmap_fnv(uint64_t h, const void *bytes, size_t n);

/* The hash of a function's key (file, line, name), the file and the name
 * each given as a 32-bit number that stands for it (a string's handle in
 * one profile, or its hash across two).  Cannot fail. */
static inline uint32_t pv_hashmap_hash_key(uint32_t file, int64_t line, uint32_t name)
{
    return pv_hashmap_mix(((uint64_t)file << 32 | name) ^ (uint64_t)line * PV_HASHMAP_GOLDEN);
}

/* Start looking up hash h. */
static inline struct pv_hashmap_probe pv_hashmap_probe(const struct pv_hashmap *m, uint32_t h)
{
    struct pv_hashmap_probe pr = {.at = m->cap ? h & (m->cap - 1) : 0, .hash = h};
    return pr;
}

/* The value of the next entry with the probe's hash: true and *value, or
 * false at the end of the probe (the key is not in the map). */
static inline bool pv_hashmap_next(const struct pv_hashmap *m, struct pv_hashmap_probe *pr,
                                   uint32_t *value)
{
    if (!m->cap)
        return false;
    for (;;) {
        const struct pv_hashmap_entry *e = &m->entries[pr->at];
        if (!e->value_plus1)
            return false;
        pr->at = (pr->at + 1) & (m->cap - 1);
        if (e->hash == pr->hash) {
            *value = e->value_plus1 - 1;
            return true;
        }
    }
}

/* Add value (below UINT32_MAX) under the probe's hash, at the empty entry
 * where pr ended: pv_hashmap_next() must have returned false on it, with
 * no insert or reserve since, and room reserved before the probe began. */
static inline void pv_hashmap_insert(struct pv_hashmap *m, const struct pv_hashmap_probe *pr,
                                     uint32_t value)
{
    m->entries[pr->at] = (struct pv_hashmap_entry){pr->hash, value + 1};
    m->count++;
}

/* Remove the entry that pv_hashmap_next() last returned on pr (true):
 * the entries after it in its cluster move back, so probes need no
 * tombstones and a map that keeps changing (a cache) never clogs.  pr is
 * void afterwards.  Cannot fail. */
void pv_hashmap_remove(struct pv_hashmap *m, const struct pv_hashmap_probe *pr);

#endif
