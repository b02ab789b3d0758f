/* Unit tests of the shared cache: lookup by key, LRU by bytes, entries
 * alive while held, groups dropped at once, and many threads at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cache_of.h"
#include "check.h"

/* A value as a caller makes one: the entry first, then its data. */
struct value {
    struct pv_cache_entry entry;
    int id;
    int *destroyed; /* counts destroys of each id */
};

static void value_destroy(struct pv_cache_entry *e)
{
    struct value *v = (struct value *)e;
    v->destroyed[v->id]++;
    free(v);
}

static struct pv_cache_entry *make(int id, size_t bytes, int *destroyed)
{
    struct value *v = calloc(1, sizeof *v);
    if (!v)
        abort();
    v->entry.destroy = value_destroy;
    v->entry.bytes = bytes;
    v->id = id;
    v->destroyed = destroyed;
    return &v->entry;
}

static int id_of(const struct pv_cache_entry *e)
{
    return e ? ((const struct value *)e)->id : -1;
}

/* Add and release: cached, held by nobody. */
static void put(struct pv_cache *c, const char *key, const char *group, int id, size_t bytes,
                int *destroyed)
{
    pv_cache_release(c, pv_cache_add_take(c, key, group, make(id, bytes, destroyed)));
}

static void a_hit_finds_what_was_added_and_a_miss_nothing(void)
{
    int destroyed[4] = {0};
    struct pv_cache *c = cache_of(1000);
    put(c, "a", "g", 1, 10, destroyed);
    put(c, "b", "g", 2, 10, destroyed);
    struct pv_cache_entry *a = pv_cache_get(c, "a"), *b = pv_cache_get(c, "b"),
                          *none = pv_cache_get(c, "c");
    CHECK(id_of(a) == 1 && id_of(b) == 2 && !none && !destroyed[1] && !destroyed[2],
          "a_hit_finds_what_was_added_and_a_miss_nothing", "a %d, b %d, c %d", id_of(a), id_of(b),
          id_of(none));
    pv_cache_release(c, a);
    pv_cache_release(c, b);
    pv_cache_release(c, NULL);
    pv_cache_destroy(c);
    CHECK(destroyed[1] == 1 && destroyed[2] == 1, "destroy_frees_every_entry_once",
          "destroyed %d and %d times", destroyed[1], destroyed[2]);
}

static void the_least_recently_used_goes_first(void)
{
    int destroyed[8] = {0};
    struct pv_cache *c = cache_of(300);
    put(c, "a", "g", 1, 100, destroyed);
    put(c, "b", "g", 2, 100, destroyed);
    put(c, "c", "g", 3, 100, destroyed);
    pv_cache_release(c, pv_cache_get(c, "a")); /* a is now newer than b */
    put(c, "d", "g", 4, 100, destroyed);
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    CHECK(destroyed[2] == 1 && !destroyed[1] && !destroyed[3] && !destroyed[4] && u.bytes == 300 &&
              u.entries == 3 && !pv_cache_get(c, "b"),
          "the_least_recently_used_goes_first", "destroyed a%d b%d c%d d%d, %zu bytes in %zu",
          destroyed[1], destroyed[2], destroyed[3], destroyed[4], u.bytes, u.entries);
    pv_cache_destroy(c);
}

static void a_held_entry_is_never_evicted_nor_freed(void)
{
    int destroyed[4] = {0};
    struct pv_cache *c = cache_of(100);
    struct pv_cache_entry *a = pv_cache_add_take(c, "a", "g", make(1, 100, destroyed));
    put(c, "b", "g", 2, 100, destroyed); /* over budget: b goes, a is held */
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    CHECK(!destroyed[1] && destroyed[2] == 1 && u.bytes == 100 && id_of(a) == 1,
          "a_held_entry_is_never_evicted_nor_freed", "destroyed a%d b%d, %zu bytes", destroyed[1],
          destroyed[2], u.bytes);
    /* Two entries held past the budget: both stay until released. */
    struct pv_cache_entry *b = pv_cache_add_take(c, "b", "g", make(2, 100, destroyed));
    pv_cache_usage(c, &u);
    CHECK(u.bytes == 200 && destroyed[2] == 1, "held_entries_may_pass_the_budget",
          "%zu bytes, b destroyed %d times", u.bytes, destroyed[2]);
    pv_cache_release(c, a);
    pv_cache_usage(c, &u);
    CHECK(destroyed[1] == 1 && u.bytes == 100, "a_release_over_budget_evicts",
          "a destroyed %d times, %zu bytes", destroyed[1], u.bytes);
    pv_cache_release(c, b);
    pv_cache_usage(c, &u);
    CHECK(destroyed[2] == 1 && u.bytes == 100 && u.entries == 1,
          "a_release_within_budget_keeps_the_entry", "b destroyed %d times, %zu bytes",
          destroyed[2], u.bytes);
    pv_cache_destroy(c);
}

static void dropping_a_group_frees_it_when_its_readers_are_done(void)
{
    int destroyed[8] = {0};
    struct pv_cache *c = cache_of(1000);
    put(c, "model p", "p", 1, 10, destroyed);
    put(c, "answer p 1", "p", 2, 10, destroyed);
    put(c, "model q", "q", 3, 10, destroyed);
    struct pv_cache_entry *held = pv_cache_get(c, "answer p 1");
    pv_cache_drop_group(c, "p");
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    CHECK(destroyed[1] == 1 && !destroyed[2] && !destroyed[3] && !pv_cache_get(c, "model p") &&
              !pv_cache_get(c, "answer p 1") && u.entries == 1 && u.bytes == 10,
          "dropping_a_group_forgets_all_its_entries_and_no_other",
          "destroyed %d %d %d, %zu entries", destroyed[1], destroyed[2], destroyed[3], u.entries);
    CHECK(id_of(held) == 2, "a_dropped_entry_stays_readable_while_held", "id %d", id_of(held));
    pv_cache_release(c, held);
    CHECK(destroyed[2] == 1, "the_last_release_of_a_dropped_entry_frees_it", "destroyed %d",
          destroyed[2]);
    struct pv_cache_entry *q = pv_cache_get(c, "model q");
    CHECK(id_of(q) == 3, "other_groups_stay_cached", "id %d", id_of(q));
    pv_cache_release(c, q);
    pv_cache_destroy(c);
}

static void the_second_add_of_a_key_gets_the_first_value(void)
{
    int destroyed[4] = {0};
    struct pv_cache *c = cache_of(1000);
    struct pv_cache_entry *first = pv_cache_add_take(c, "k", "g", make(1, 10, destroyed));
    struct pv_cache_entry *second = pv_cache_add_take(c, "k", "g", make(2, 10, destroyed));
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    CHECK(first == second && id_of(second) == 1 && destroyed[2] == 1 && u.entries == 1 &&
              u.bytes == 10,
          "the_second_add_of_a_key_gets_the_first_value", "got %d, second destroyed %d times",
          id_of(second), destroyed[2]);
    pv_cache_release(c, first);
    pv_cache_release(c, second);
    pv_cache_destroy(c);
    CHECK(destroyed[1] == 1, "a_value_held_twice_is_freed_once", "destroyed %d", destroyed[1]);
}

static void a_key_too_long_is_held_but_not_cached(void)
{
    int destroyed[2] = {0};
    struct pv_cache *c = cache_of(1000);
    char key[PV_CACHE_KEY_MAX + 1];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    struct pv_cache_entry *e = pv_cache_add_take(c, key, "g", make(1, 10, destroyed));
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    CHECK(id_of(e) == 1 && !pv_cache_get(c, key) && u.entries == 0 && !destroyed[1],
          "a_key_too_long_is_held_but_not_cached", "id %d, %zu entries", id_of(e), u.entries);
    pv_cache_release(c, e);
    CHECK(destroyed[1] == 1, "an_uncached_entry_is_freed_at_its_release", "destroyed %d",
          destroyed[1]);
    pv_cache_destroy(c);
}

static void resizing_counts_and_may_evict(void)
{
    int destroyed[4] = {0};
    struct pv_cache *c = cache_of(250);
    put(c, "a", "g", 1, 100, destroyed);
    struct pv_cache_entry *b = pv_cache_add_take(c, "b", "g", make(2, 100, destroyed));
    pv_cache_resize(c, b, 200); /* a model built its labels */
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    CHECK(destroyed[1] == 1 && u.bytes == 200 && b->bytes == 200,
          "resizing_counts_and_may_evict", "a destroyed %d, %zu bytes", destroyed[1], u.bytes);
    pv_cache_release(c, b);
    pv_cache_destroy(c);
}

/* Many keys come and go: slots and map entries are reused, and every key
 * still cached is found. */
static void many_keys_come_and_go(void)
{
    enum { N = 20000 };
    int *destroyed = calloc(N, sizeof *destroyed);
    struct pv_cache *c = cache_of((size_t)-1);
    char key[32], group[32];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            snprintf(key, sizeof key, "key %d", i);
            snprintf(group, sizeof group, "group %d", i % 97);
            struct pv_cache_entry *e = pv_cache_get(c, key);
            if (e)
                pv_cache_release(c, e);
            else
                put(c, key, group, i, 1, destroyed);
        }
        for (int g = round; g < 97; g += 3) {
            snprintf(group, sizeof group, "group %d", g);
            pv_cache_drop_group(c, group);
        }
    }
    size_t found = 0, wrong = 0, want = 0;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "key %d", i);
        struct pv_cache_entry *e = pv_cache_get(c, key);
        found += e != NULL;
        wrong += e && id_of(e) != i;
        want += (i % 97) % 3 != 2; /* groups dropped last round are gone */
        pv_cache_release(c, e);
    }
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    CHECK(found == want && !wrong && u.entries == found && u.bytes == found, "many_keys_come_and_go",
          "found %zu of %zu (%zu wrong), %zu entries, %zu bytes", found, want, wrong, u.entries,
          u.bytes);
    pv_cache_destroy(c);
    free(destroyed);
}

/* ---- threads ------------------------------------------------------------- */

struct worker {
    struct pv_cache *c;
    int base;
};

enum { THREAD_IDS = 64, THREADS = 4 };

/* Any thread may destroy any thread's value: nothing is counted here. */
static void shared_destroy(struct pv_cache_entry *e)
{
    free(e);
}

static struct pv_cache_entry *make_shared(int id)
{
    struct value *v = calloc(1, sizeof *v);
    if (!v)
        abort();
    v->entry.destroy = shared_destroy;
    v->entry.bytes = 40;
    v->id = id;
    return &v->entry;
}

static void *work(void *arg)
{
    struct worker *w = arg;
    char key[32], group[16];
    for (int i = 0; i < 20000; i++) {
        int k = (i * 7919) % THREAD_IDS;
        snprintf(key, sizeof key, "%d %d", w->base, k);
        snprintf(group, sizeof group, "%d", k % 5);
        struct pv_cache_entry *e = pv_cache_get(w->c, key);
        if (!e)
            e = pv_cache_add_take(w->c, key, group, make_shared(w->base + k));
        if (id_of(e) != w->base + k)
            abort();
        if (i % 1000 == 999)
            pv_cache_drop_group(w->c, group); /* everyone's entries of that group */
        pv_cache_release(w->c, e);
    }
    return NULL;
}

static void threads_share_one_cache(void)
{
    struct pv_cache *c = cache_of(40 * 100); /* fewer than all: evictions too */
    struct worker w[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){c, i * THREAD_IDS};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    CHECK(u.bytes <= u.max_bytes && u.bytes == u.entries * 40, "threads_share_one_cache",
          "%zu bytes in %zu entries, budget %zu", u.bytes, u.entries, u.max_bytes);
    pv_cache_destroy(c);
}

int main(void)
{
    a_hit_finds_what_was_added_and_a_miss_nothing();
    the_least_recently_used_goes_first();
    a_held_entry_is_never_evicted_nor_freed();
    dropping_a_group_frees_it_when_its_readers_are_done();
    the_second_add_of_a_key_gets_the_first_value();
    a_key_too_long_is_held_but_not_cached();
    resizing_counts_and_may_evict();
    many_keys_come_and_go();
    threads_share_one_cache();
    return check_done();
}
