/* cache.c - the one reference-counted cache (see cache.h).
 *
 * Entries are found through the shared hash map: the map holds each key's
 * hash and a slot number, slots[] the entries, so the map never needs a
 * key of its own.  Freed slots are reused.  The LRU order is a doubly
 * linked list through the entries, oldest first: a hit moves an entry to
 * the end, eviction walks from the front past the held ones. */
#include "cache.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "vec.h"

struct pv_cache {
    pthread_mutex_t lock;
    struct pv_hashmap map;          /* hash of key -> slot */
    struct pv_cache_entry **slots;  /* cached entries by slot; NULL: free */
    size_t nslots, slots_cap;
    uint32_t *free_slots;           /* slots to reuse */
    size_t nfree, free_cap;
    struct pv_cache_entry *oldest, *newest;
    size_t entries, bytes, max_bytes;
};

pv_code pv_cache_create(size_t max_bytes, struct pv_cache **out, pv_err *err)
{
    struct pv_cache *c = calloc(1, sizeof *c);
    if (!c)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    pthread_mutex_init(&c->lock, NULL);
    pv_hashmap_init(&c->map);
    c->max_bytes = max_bytes;
    *out = c;
    return PV_OK;
}

void pv_cache_destroy(struct pv_cache *c)
{
    if (!c)
        return;
    for (struct pv_cache_entry *e = c->oldest, *next; e; e = next) {
        next = e->newer;
        assert(!e->refs);
        e->destroy(e);
    }
    pv_hashmap_fini(&c->map);
    free(c->slots);
    free(c->free_slots);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- under the lock ------------------------------------------------------ */

static struct pv_cache_entry *find(struct pv_cache *c, const char *key, uint32_t hash)
{
    struct pv_hashmap_probe pr = pv_hashmap_probe(&c->map, hash);
    uint32_t slot;
    while (pv_hashmap_next(&c->map, &pr, &slot))
        if (!strcmp(c->slots[slot]->key, key))
            return c->slots[slot];
    return NULL;
}

static void list_append(struct pv_cache *c, struct pv_cache_entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    else
        c->oldest = e;
    c->newest = e;
}

static void list_remove(struct pv_cache *c, struct pv_cache_entry *e)
{
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    e->older = e->newer = NULL;
}

/* Make e findable; false when there is no memory for it. */
static bool link_entry(struct pv_cache *c, struct pv_cache_entry *e)
{
    if (!pv_hashmap_reserve(&c->map, 1))
        return false;
    if (c->nfree) {
        e->slot = c->free_slots[--c->nfree];
    } else {
        /* the free list must be able to take every slot back */
        if (c->nslots >= UINT32_MAX - 1 ||
            !pv_vec_reserve((void **)&c->slots, &c->slots_cap, c->nslots + 1, sizeof *c->slots) ||
            !pv_vec_reserve((void **)&c->free_slots, &c->free_cap, c->nslots + 1,
                            sizeof *c->free_slots))
            return false;
        e->slot = (uint32_t)c->nslots++;
    }
    struct pv_hashmap_probe pr = pv_hashmap_probe(&c->map, e->hash);
    uint32_t slot;
    while (pv_hashmap_next(&c->map, &pr, &slot))
        ;
    pv_hashmap_insert(&c->map, &pr, e->slot);
    c->slots[e->slot] = e;
    list_append(c, e);
    e->cached = true;
    c->entries++;
    c->bytes += e->bytes;
    return true;
}

/* Take e out of the cache; the caller destroys it unless it is held. */
static void unlink_entry(struct pv_cache *c, struct pv_cache_entry *e)
{
    struct pv_hashmap_probe pr = pv_hashmap_probe(&c->map, e->hash);
    uint32_t slot;
    while (pv_hashmap_next(&c->map, &pr, &slot))
        if (slot == e->slot) {
            pv_hashmap_remove(&c->map, &pr);
            break;
        }
    c->slots[e->slot] = NULL;
    c->free_slots[c->nfree++] = e->slot; /* room reserved when the slot was made */
    list_remove(c, e);
    e->cached = false;
    c->entries--;
    c->bytes -= e->bytes;
}

/* Unlink unheld entries, oldest first, until within budget; they are
 * chained through ->newer into *doomed, for destroy_all() after the lock. */
static void evict(struct pv_cache *c, struct pv_cache_entry **doomed)
{
    for (struct pv_cache_entry *e = c->oldest, *next; e && c->bytes > c->max_bytes; e = next) {
        next = e->newer;
        if (e->refs)
            continue;
        unlink_entry(c, e);
        e->newer = *doomed;
        *doomed = e;
    }
}

/* ---- outside the lock ---------------------------------------------------- */

static void destroy_all(struct pv_cache_entry *doomed)
{
    for (struct pv_cache_entry *next; doomed; doomed = next) {
        next = doomed->newer;
        doomed->destroy(doomed);
    }
}

struct pv_cache_entry *pv_cache_get(struct pv_cache *c, const char *key)
{
    uint32_t hash = pv_hashmap_hash_bytes(key, strlen(key));
    pthread_mutex_lock(&c->lock);
    struct pv_cache_entry *e = find(c, key, hash);
    if (e) {
        e->refs++;
        list_remove(c, e);
        list_append(c, e);
    }
    pthread_mutex_unlock(&c->lock);
    return e;
}

struct pv_cache_entry *pv_cache_add_take(struct pv_cache *c, const char *key, const char *group,
                                         struct pv_cache_entry *e)
{
    size_t nkey = strlen(key), ngroup = strlen(group);
    e->refs = 1;
    e->cached = false;
    e->older = e->newer = NULL;
    if (nkey >= sizeof e->key || ngroup >= sizeof e->group)
        return e; /* not findable: lives until its release */
    memcpy(e->key, key, nkey + 1);
    memcpy(e->group, group, ngroup + 1);
    e->hash = pv_hashmap_hash_bytes(key, nkey);
    struct pv_cache_entry *doomed = NULL;
    pthread_mutex_lock(&c->lock);
    struct pv_cache_entry *there = find(c, key, e->hash);
    if (there) {
        there->refs++;
        list_remove(c, there);
        list_append(c, there);
    } else if (link_entry(c, e)) {
        evict(c, &doomed);
    }
    pthread_mutex_unlock(&c->lock);
    destroy_all(doomed);
    if (there) {
        e->destroy(e);
        return there;
    }
    return e;
}

void pv_cache_hold(struct pv_cache *c, struct pv_cache_entry *e)
{
    pthread_mutex_lock(&c->lock);
    assert(e->refs > 0);
    e->refs++;
    pthread_mutex_unlock(&c->lock);
}

void pv_cache_release(struct pv_cache *c, struct pv_cache_entry *e)
{
    if (!e)
        return;
    struct pv_cache_entry *doomed = NULL;
    pthread_mutex_lock(&c->lock);
    assert(e->refs > 0);
    e->refs--;
    if (!e->refs && !e->cached)
        doomed = e;
    else
        evict(c, &doomed);
    pthread_mutex_unlock(&c->lock);
    destroy_all(doomed);
}

void pv_cache_resize(struct pv_cache *c, struct pv_cache_entry *e, size_t bytes)
{
    struct pv_cache_entry *doomed = NULL;
    pthread_mutex_lock(&c->lock);
    if (e->cached)
        c->bytes = c->bytes - e->bytes + bytes;
    e->bytes = bytes;
    evict(c, &doomed);
    pthread_mutex_unlock(&c->lock);
    destroy_all(doomed);
}

void pv_cache_drop_group(struct pv_cache *c, const char *group)
{
    struct pv_cache_entry *doomed = NULL;
    pthread_mutex_lock(&c->lock);
    for (struct pv_cache_entry *e = c->oldest, *next; e; e = next) {
        next = e->newer;
        if (strcmp(e->group, group))
            continue;
        unlink_entry(c, e);
        if (!e->refs) {
            e->newer = doomed;
            doomed = e;
        }
    }
    pthread_mutex_unlock(&c->lock);
    destroy_all(doomed);
}

void pv_cache_usage(struct pv_cache *c, struct pv_cache_usage *out)
{
    pthread_mutex_lock(&c->lock);
    *out = (struct pv_cache_usage){c->entries, c->bytes, c->max_bytes};
    pthread_mutex_unlock(&c->lock);
}
