/* fuzz_marshal.c - the marshal reader on arbitrary bytes (include/marshal.h).
 *
 * Both ways in: pv_marshal_load() of one whole object, and the streaming
 * reader that profile.c uses (dict_open, then dict_next until the end).
 * Beyond "no crash, no leak, no undefined behaviour", it checks what the
 * header promises: a failure says something, the bytes used never pass the
 * end, and every value read can be walked (the walk touches every string
 * byte, so ASan sees a string that points past its buffer). */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "fuzz.h"
#include "marshal.h"

/* Shared references make the values a DAG: a few bytes can name a tuple of
 * a million tuples of it.  Walk a bounded number of nodes, depth first. */
enum { WALK_MAX_NODES = 1 << 16 };

struct walk {
    size_t left;
    unsigned sum; /* consumed, so the reads are not optimised away */
};

static void walk(struct walk *w, const pv_value *v, int depth)
{
    FUZZ_CHECK(depth <= PV_MARSHAL_MAX_DEPTH + 2, "value nested %d deep", depth);
    if (!w->left)
        return;
    w->left--;
    FUZZ_CHECK(pv_marshal_type_name(v) != NULL, "type %u has no name", v->type);
    switch (v->type) {
    case PV_V_STR:
    case PV_V_BYTES:
        for (uint32_t i = 0; i < v->len; i++)
            w->sum += (unsigned char)v->u.s[i];
        w->sum += pv_marshal_utf8_valid(v->u.s, v->len, true);
        return;
    case PV_V_TUPLE:
    case PV_V_LIST:
    case PV_V_SET:
    case PV_V_FROZENSET:
        for (uint32_t i = 0; i < v->len && w->left; i++)
            walk(w, &v->u.items[i], depth + 1);
        return;
    case PV_V_DICT:
        for (uint32_t i = 0; i < 2 * (size_t)v->len && w->left; i++)
            walk(w, &v->u.items[i], depth + 1);
        return;
    case PV_V_COMPLEX:
        walk(w, &v->u.items[0], depth + 1);
        walk(w, &v->u.items[1], depth + 1);
        return;
    case PV_V_SLICE:
        for (int i = 0; i < 3; i++)
            walk(w, &v->u.items[i], depth + 1);
        return;
    case PV_V_CODE:
        walk(w, &v->u.code->filename, depth + 1);
        walk(w, &v->u.code->name, depth + 1);
        FUZZ_CHECK(v->u.code->layout != NULL, "code object without a layout");
        return;
    default:
        return;
    }
}

static void load_whole(const uint8_t *data, size_t size)
{
    struct pv_arena arena;
    pv_arena_init(&arena, 8 * size + (1u << 20));
    pv_value v;
    size_t used = SIZE_MAX;
    pv_err err = {0};
    if (pv_marshal_load(data, size, &arena, &v, &used, &err) == PV_OK) {
        FUZZ_CHECK(used <= size, "used %zu of %zu bytes", used, size);
        struct walk w = {.left = WALK_MAX_NODES};
        walk(&w, &v, 0);
    } else {
        FUZZ_CHECK(err.code != PV_OK && err.msg[0], "a failure without a message");
    }
    pv_arena_fini(&arena);
}

static void stream_dict(const uint8_t *data, size_t size)
{
    struct pv_marshal *m;
    pv_err err = {0};
    if (pv_marshal_create(data, size, &m, &err))
        return;
    struct pv_arena scratch;
    pv_arena_init(&scratch, 8 * size + (1u << 20));
    pv_code rc = pv_marshal_dict_enter(m, &err);
    struct walk w = {.left = WALK_MAX_NODES};
    /* Each entry takes at least two bytes: size bounds the loop. */
    for (size_t i = 0; rc == PV_OK && i <= size; i++) {
        pv_value key, value;
        bool done = false;
        rc = pv_marshal_dict_next(m, &scratch, &key, &value, &done, &err);
        if (rc || done)
            break;
        walk(&w, &key, 1);
        walk(&w, &value, 1);
        pv_arena_reset(&scratch);
    }
    if (rc)
        FUZZ_CHECK(err.msg[0], "a failure without a message");
    FUZZ_CHECK(pv_marshal_offset(m) <= size, "offset %zu past %zu bytes", pv_marshal_offset(m),
               size);
    bool python2;
    int version = pv_marshal_version_guess(m, &python2);
    FUZZ_CHECK(version >= 0 && version <= 5, "marshal version %d", version);
    pv_arena_fini(&scratch);
    pv_marshal_destroy(m);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_whole(data, size);
    stream_dict(data, size);
    return 0;
}
