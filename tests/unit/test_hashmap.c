/* Unit tests of the hash map: keys kept by the test, the map holding their
 * hashes and indices, as the reader and the profile builder use it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hashmap.h"

/* How a row hashes its keys. */
enum hashing { SPREAD, ALL_ONE_HASH, ONE_LOW_BITS, NEAR_WRAP };

static uint32_t hash_of(enum hashing how, uint64_t key)
{
    switch (how) {
    case SPREAD: return pv_hashmap_mix(key);
    case ALL_ONE_HASH: return 42;
    case ONE_LOW_BITS: return (uint32_t)(key << 16); /* every key starts at entry 0 */
    case NEAR_WRAP: return UINT32_MAX - (uint32_t)(key % 3); /* the last entries, then wrap */
    }
    return 0;
}

/* The map of the test's keys: value i is keys[i]. */
struct table {
    struct pv_hashmap map;
    uint64_t *keys;
    size_t n, cap_keys;
    enum hashing how;
};

static bool find(const struct table *t, uint64_t key, uint32_t *out)
{
    struct pv_hashmap_probe pr = pv_hashmap_probe(&t->map, hash_of(t->how, key));
    uint32_t v;
    while (pv_hashmap_next(&t->map, &pr, &v))
        if (t->keys[v] == key) {
            *out = v;
            return true;
        }
    return false;
}

/* Add key unless present: false on out-of-memory, or when keys[] is full
 * (a map that loses keys would add them again). */
static bool add(struct table *t, uint64_t key)
{
    if (!pv_hashmap_reserve(&t->map, 1))
        return false;
    struct pv_hashmap_probe pr = pv_hashmap_probe(&t->map, hash_of(t->how, key));
    uint32_t v;
    while (pv_hashmap_next(&t->map, &pr, &v))
        if (t->keys[v] == key)
            return true;
    if (t->n == t->cap_keys)
        return false;
    t->keys[t->n] = key;
    pv_hashmap_insert(&t->map, &pr, (uint32_t)t->n++);
    return true;
}

struct row {
    const char *name;
    enum hashing how;
    size_t nkeys;
    uint64_t stride;   /* keys are 1, 1 + stride, 1 + 2*stride, ... */
    size_t nrepeats;   /* keys added a second time: must not be added again */
};

static const struct row ROWS[] = {
    {"empty_map_finds_nothing", SPREAD, 0, 1, 0},
    {"one_key_is_found", SPREAD, 1, 1, 0},
    {"keys_past_the_first_growth_are_found", SPREAD, 100, 7, 0},
    {"many_keys_are_found_after_many_growths", SPREAD, 300000, 0x100000001ull, 0},
    {"one_hash_for_all_keys_is_told_apart_by_the_key", ALL_ONE_HASH, 500, 1, 0},
    {"equal_low_bits_probe_on", ONE_LOW_BITS, 2000, 1, 0},
    {"probes_wrap_around_the_table_end", NEAR_WRAP, 40, 1, 0},
    {"a_key_added_twice_is_one_entry", SPREAD, 1000, 3, 1000},
    {"colliding_keys_added_twice_are_one_entry_each", ALL_ONE_HASH, 200, 1, 200},
};

static void run_row(const struct row *r)
{
    struct table t = {.how = r->how, .cap_keys = r->nkeys};
    pv_hashmap_init(&t.map);
    t.keys = malloc((r->nkeys + 1) * sizeof *t.keys);
    bool ok = t.keys != NULL;
    for (size_t i = 0; i < r->nkeys && ok; i++)
        ok = add(&t, 1 + i * r->stride);
    for (size_t i = 0; i < r->nrepeats && ok; i++)
        ok = add(&t, 1 + i * r->stride);
    CHECK(ok, r->name, "out of memory adding %zu keys", r->nkeys);
    CHECK(t.map.count == r->nkeys && t.n == r->nkeys, r->name, "count %zu, want %zu",
          t.map.count, r->nkeys);
    size_t lost = 0, wrong = 0, phantoms = 0;
    for (size_t i = 0; i < r->nkeys; i++) {
        uint32_t v = UINT32_MAX;
        if (!find(&t, 1 + i * r->stride, &v))
            lost++;
        else if (t.keys[v] != 1 + i * r->stride)
            wrong++;
    }
    /* keys never added: 0, ten past the last, and (with a stride) those between */
    uint32_t v;
    phantoms += find(&t, 0, &v);
    for (size_t j = 0; j < 10; j++)
        phantoms += find(&t, 1 + (r->nkeys + j) * r->stride, &v);
    for (size_t i = 0; i < r->nkeys && r->stride > 1; i++)
        phantoms += find(&t, 2 + i * r->stride, &v);
    CHECK(!lost && !wrong && !phantoms, r->name, "%zu keys lost, %zu wrong, %zu absent found",
          lost, wrong, phantoms);
    size_t cap = t.map.cap;
    CHECK((cap & (cap - 1)) == 0 && t.map.count * 10 <= cap * 7, r->name,
          "capacity %zu for %zu keys: not a power of two at most 70%% full", cap, t.map.count);
    CHECK(pv_hashmap_bytes(&t.map) == cap * sizeof(struct pv_hashmap_entry), r->name,
          "bytes %zu for capacity %zu", pv_hashmap_bytes(&t.map), cap);
    pv_hashmap_fini(&t.map);
    CHECK(t.map.cap == 0 && t.map.count == 0 && !t.map.entries, r->name,
          "fini leaves capacity %zu, count %zu", t.map.cap, t.map.count);
    free(t.keys);
}

static void reserve_that_cannot_fit_leaves_the_map_alone(void)
{
    struct table t = {.how = SPREAD, .cap_keys = 3};
    uint64_t keys[3];
    t.keys = keys;
    pv_hashmap_init(&t.map);
    bool ok = add(&t, 5) && add(&t, 6);
    size_t cap = t.map.cap;
    bool refused = !pv_hashmap_reserve(&t.map, SIZE_MAX) &&
                   !pv_hashmap_reserve(&t.map, SIZE_MAX / 8);
    uint32_t v5 = 9, v6 = 9;
    CHECK(ok && refused && t.map.cap == cap && t.map.count == 2 && find(&t, 5, &v5) &&
              find(&t, 6, &v6) && v5 == 0 && v6 == 1,
          "reserve_that_cannot_fit_leaves_the_map_alone",
          "refused %d, cap %zu (was %zu), count %zu, values %u %u", refused, t.map.cap, cap,
          t.map.count, v5, v6);
    pv_hashmap_fini(&t.map);
}

static void reserve_ahead_means_no_growth_while_adding(void)
{
    struct table t = {.how = SPREAD, .cap_keys = 1000};
    t.keys = malloc(1000 * sizeof *t.keys);
    pv_hashmap_init(&t.map);
    bool ok = t.keys && pv_hashmap_reserve(&t.map, 1000);
    size_t cap = t.map.cap;
    for (size_t i = 0; i < 1000 && ok; i++)
        ok = add(&t, i * 31);
    CHECK(ok && cap >= 1000 * 10 / 7 && t.map.cap == cap,
          "reserve_ahead_means_no_growth_while_adding", "cap %zu after reserve, %zu after adds",
          cap, t.map.cap);
    pv_hashmap_fini(&t.map);
    pv_hashmap_fini(&t.map); /* fini twice: the map is empty, not freed twice */
    free(t.keys);
}

/* Remove key if present (the table's keys[] keeps it: only the map forgets). */
static bool removed(struct table *t, uint64_t key)
{
    struct pv_hashmap_probe pr = pv_hashmap_probe(&t->map, hash_of(t->how, key));
    uint32_t v;
    while (pv_hashmap_next(&t->map, &pr, &v))
        if (t->keys[v] == key) {
            pv_hashmap_remove(&t->map, &pr);
            return true;
        }
    return false;
}

struct remove_row {
    const char *name;
    enum hashing how;
    size_t nkeys;
    size_t every;      /* remove keys i with i % every == 0 */
};

static const struct remove_row REMOVE_ROWS[] = {
    {"removing_the_only_key_empties_the_map", SPREAD, 1, 1},
    {"removed_keys_are_gone_and_the_rest_stay", SPREAD, 5000, 3},
    {"removing_every_key_empties_the_map", SPREAD, 700, 1},
    {"removing_from_one_long_cluster_keeps_the_rest_reachable", ALL_ONE_HASH, 300, 2},
    {"removing_where_low_bits_collide_keeps_the_rest_reachable", ONE_LOW_BITS, 1000, 5},
    {"removing_across_the_table_end_keeps_the_rest_reachable", NEAR_WRAP, 60, 2},
};

static void run_remove_row(const struct remove_row *r)
{
    struct table t = {.how = r->how, .cap_keys = r->nkeys};
    pv_hashmap_init(&t.map);
    t.keys = malloc(r->nkeys * sizeof *t.keys);
    bool ok = t.keys != NULL;
    for (size_t i = 0; i < r->nkeys && ok; i++)
        ok = add(&t, 1000 + i);
    size_t gone = 0, lost = 0, kept = 0, twice = 0;
    for (size_t i = 0; i < r->nkeys && ok; i += r->every)
        gone += removed(&t, 1000 + i);
    for (size_t i = 0; i < r->nkeys && ok; i += r->every)
        twice += removed(&t, 1000 + i);
    for (size_t i = 0; i < r->nkeys && ok; i++) {
        uint32_t v;
        bool found = find(&t, 1000 + i, &v);
        if (i % r->every == 0)
            lost += found; /* removed, yet found */
        else if (found && t.keys[v] == 1000 + i)
            kept++;
    }
    size_t want_kept = r->nkeys - (r->nkeys + r->every - 1) / r->every;
    CHECK(ok && gone == r->nkeys - want_kept && !twice && !lost && kept == want_kept &&
              t.map.count == want_kept,
          r->name, "removed %zu, again %zu, still found %zu, kept %zu of %zu, count %zu", gone,
          twice, lost, kept, want_kept, t.map.count);
    pv_hashmap_fini(&t.map);
    free(t.keys);
}

struct bytes_row {
    const char *name;
    const char *a;
    size_t na;
    const char *b;
    size_t nb;
    bool same;
};

#define S(s) s, sizeof(s) - 1

static const struct bytes_row BYTES_ROWS[] = {
    {"equal_bytes_hash_equal", S("/srv/app/mod.py"), S("/srv/app/mod.py"), true},
    {"empty_strings_hash_equal", NULL, 0, S(""), true},
    {"a_trailing_nul_changes_the_hash", S("a"), S("a\0"), false},
    {"the_ninth_byte_counts", S("abcdefgh1"), S("abcdefgh2"), false},
    {"the_first_byte_counts", S("xbcdefghijklmnop"), S("ybcdefghijklmnop"), false},
    {"a_longer_prefix_differs", S("abcdefgh"), S("abcdefghabcdefgh"), false},
};

static void hash_bytes(void)
{
    for (size_t i = 0; i < sizeof BYTES_ROWS / sizeof BYTES_ROWS[0]; i++) {
        const struct bytes_row *r = &BYTES_ROWS[i];
        uint32_t ha = pv_hashmap_hash_bytes(r->a, r->na), hb = pv_hashmap_hash_bytes(r->b, r->nb);
        CHECK((ha == hb) == r->same, r->name, "hashes %08x and %08x", ha, hb);
    }
}

/* The low bits decide the entry: a hash that leaves them alike would
 * make every lookup walk the whole cluster. */
/* FNV-1a's published 64-bit values, and a piece at a time is the same as
 * all at once. */
static void fnv_is_fnv1a_64(void)
{
    CHECK(pv_hashmap_fnv(PV_HASHMAP_FNV_BASIS, "", 0) == 0xcbf29ce484222325ull &&
              pv_hashmap_fnv(PV_HASHMAP_FNV_BASIS, "a", 1) == 0xaf63dc4c8601ec8cull &&
              pv_hashmap_fnv(PV_HASHMAP_FNV_BASIS, "foobar", 6) == 0x85944171f73967e8ull,
          "fnv_gives_fnv1a_64", "%016llx",
          (unsigned long long)pv_hashmap_fnv(PV_HASHMAP_FNV_BASIS, "a", 1));
    uint64_t h = pv_hashmap_fnv(PV_HASHMAP_FNV_BASIS, "foo", 3);
    CHECK(pv_hashmap_fnv(h, "bar", 3) == 0x85944171f73967e8ull, "fnv_by_pieces_is_the_same", "%016llx",
          (unsigned long long)pv_hashmap_fnv(h, "bar", 3));
}

static void mix_spreads_the_low_bits(void)
{
    enum { N = 4096 };
    static uint8_t used[N];
    size_t distinct = 0;
    for (uint64_t k = 0; k < N; k++) {
        uint32_t slot = pv_hashmap_mix(k << 20) & (N - 1); /* keys alike below bit 20 */
        distinct += !used[slot];
        used[slot] = 1;
    }
    /* N balls in N bins: about N(1 - 1/e) = 2589 bins used */
    CHECK(distinct > N / 2, "mix_spreads_the_low_bits", "%zu of %d entries used", distinct, N);
}

int main(void)
{
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        run_row(&ROWS[i]);
    for (size_t i = 0; i < sizeof REMOVE_ROWS / sizeof REMOVE_ROWS[0]; i++)
        run_remove_row(&REMOVE_ROWS[i]);
    reserve_that_cannot_fit_leaves_the_map_alone();
    reserve_ahead_means_no_growth_while_adding();
    hash_bytes();
    fnv_is_fnv1a_64();
    mix_spreads_the_low_bits();
    return check_done();
}
