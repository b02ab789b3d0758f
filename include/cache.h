/* cache.h - the one cache: reference-counted entries found by key, the
 * least recently used forgotten past a byte budget.
 *
 * The values are the callers': one embeds a struct pv_cache_entry, fills
 * in what destroys it and what it costs, and hands it over.  The server
 * keeps two kinds in one cache under one budget (--cache): the models of
 * profiles (models.h) and the http module's rendered answers.  Memory is
 * memory: the least recently used of either goes first.
 *
 * An entry lives while anyone holds it.  Eviction and dropping only take
 * it out of the cache (nobody finds it any more); the last release
 * destroys it.  A reader never sees a value freed under it, and a model
 * streamed to a slow client for a minute costs its memory for that minute
 * only.  Entries in use are never evicted: the cache goes over its budget
 * until they are released.
 *
 * Each entry belongs to a group (the profile it is about): deleting the
 * profile drops the group, model and answers, in one call.
 *
 * Every function is thread-safe.  One mutex guards the map and the list;
 * values are destroyed outside it. */
#ifndef PV_CACHE_H
#define PV_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pv.h"

/* Keys and groups are C strings shorter than these (a profile id is 32). */
enum { PV_CACHE_KEY_MAX = 96, PV_CACHE_GROUP_MAX = 40 };

struct pv_cache_entry {
    /* Set by the owner before pv_cache_add_take(): */
    void (*destroy)(struct pv_cache_entry *e); /* frees the value e is part of */
    size_t bytes;                              /* what it costs; see pv_cache_resize() */
    /* The cache's own: */
    char key[PV_CACHE_KEY_MAX];
    char group[PV_CACHE_GROUP_MAX];
    uint32_t hash, slot;
    unsigned refs;
    bool cached;                               /* findable, in the LRU list */
    struct pv_cache_entry *older, *newer;
};

struct pv_cache;

/* An empty cache of at most max_bytes of unheld entries.  On success
 * *out is yours (pv_cache_destroy). */
pv_code pv_cache_create(size_t max_bytes, struct pv_cache **out, pv_err *err);

/* Destroy every cached entry and the cache; none may be held any more.
 * NULL does nothing. */
void pv_cache_destroy(struct pv_cache *c);

/* The entry cached under key, held until pv_cache_release(), or NULL. */
struct pv_cache_entry *pv_cache_get(struct pv_cache *c, const char *key);

/* Cache e (taken) under key in group, and hold it for the caller.  Never
 * fails: when key is cached already (another thread made the same value
 * meanwhile), e is destroyed and the cached entry held and returned
 * instead; when e cannot be cached (no memory for the map, a key or group
 * too long), e itself is returned, held but not findable: it lives until
 * its release. */
struct pv_cache_entry *pv_cache_add_take(struct pv_cache *c, const char *key, const char *group,
                                         struct pv_cache_entry *e);

/* One more hold on e, which the caller holds already (a stream that
 * outlives the request that made it).  Cannot fail. */
void pv_cache_hold(struct pv_cache *c, struct pv_cache_entry *e);

/* Let go of e (held); the last release of an entry no longer cached
 * destroys it.  NULL does nothing. */
void pv_cache_release(struct pv_cache *c, struct pv_cache_entry *e);

/* A held entry now costs bytes (a model that built its labels): the
 * budget counts it, and other entries may be evicted. */
void pv_cache_resize(struct pv_cache *c, struct pv_cache_entry *e, size_t bytes);

/* Take every entry of group out of the cache (a deleted profile): the
 * unheld ones are destroyed now, the held ones at their last release. */
void pv_cache_drop_group(struct pv_cache *c, const char *group);

/* What the cache holds now: entries and their bytes (for tests and the
 * benches).  Cannot fail. */
struct pv_cache_usage {
    size_t entries, bytes, max_bytes;
};
void pv_cache_usage(struct pv_cache *c, struct pv_cache_usage *out);

#endif
