/* Unit tests of the marshal reader: hand-built byte strings for each type
 * code, each marshal version and Python 2's dialect, rendered back as
 * Python would print the value (or the start of the expected error). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "marshal.h"
#include "jsonw.h"

/* ---- Python-like rendering of a value ---------------------------------- */

struct out {
    char buf[4096];
    size_t at;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->at + n < sizeof o->buf) {
        memcpy(o->buf + o->at, s, n);
        o->at += n;
        o->buf[o->at] = '\0';
    }
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void render(struct out *o, const pv_value *v)
{
    char tmp[64];
    switch (v->type) {
    case PV_V_NONE: puts_(o, "None"); break;
    case PV_V_BOOL: puts_(o, v->u.i ? "True" : "False"); break;
    case PV_V_INT:
        snprintf(tmp, sizeof tmp, "%" PRId64, v->u.i);
        puts_(o, tmp);
        break;
    case PV_V_FLOAT:
        pv_jsonw_format_double(v->u.f, tmp);
        puts_(o, tmp);
        break;
    case PV_V_COMPLEX:
        puts_(o, "complex(");
        render(o, &v->u.items[0]);
        puts_(o, ", ");
        render(o, &v->u.items[1]);
        puts_(o, ")");
        break;
    case PV_V_STR:
    case PV_V_BYTES:
        puts_(o, v->type == PV_V_BYTES ? "b'" : "'");
        put(o, v->u.s, v->len);
        puts_(o, "'");
        break;
    case PV_V_TUPLE:
    case PV_V_LIST:
    case PV_V_SET:
    case PV_V_FROZENSET:
    case PV_V_SLICE: {
        static const char *open[] = {[PV_V_TUPLE] = "(", [PV_V_LIST] = "[", [PV_V_SET] = "{",
                                     [PV_V_FROZENSET] = "frozenset({", [PV_V_SLICE] = "slice("};
        static const char *close[] = {[PV_V_TUPLE] = ")", [PV_V_LIST] = "]", [PV_V_SET] = "}",
                                      [PV_V_FROZENSET] = "})", [PV_V_SLICE] = ")"};
        puts_(o, open[v->type]);
        for (uint32_t k = 0; k < v->len; k++) {
            if (k)
                puts_(o, ", ");
            render(o, &v->u.items[k]);
        }
        if (v->type == PV_V_TUPLE && v->len == 1)
            puts_(o, ",");
        puts_(o, close[v->type]);
        break;
    }
    case PV_V_DICT:
        puts_(o, "{");
        for (uint32_t k = 0; k < v->len; k++) {
            if (k)
                puts_(o, ", ");
            render(o, &v->u.items[2 * k]);
            puts_(o, ": ");
            render(o, &v->u.items[2 * k + 1]);
        }
        puts_(o, "}");
        break;
    case PV_V_CODE:
        puts_(o, "<code ");
        render(o, &v->u.code->name);
        puts_(o, " ");
        render(o, &v->u.code->filename);
        snprintf(tmp, sizeof tmp, " %" PRId64 " %s>", v->u.code->firstlineno, v->u.code->layout);
        puts_(o, tmp);
        break;
    case PV_V_ELLIPSIS: puts_(o, "Ellipsis"); break;
    case PV_V_STOPITER: puts_(o, "StopIteration"); break;
    }
}

/* ---- the table ---------------------------------------------------------- */

#define B(s) s, sizeof(s) - 1

struct row {
    const char *name;
    const char *bytes;
    size_t len;
    const char *want;  /* rendered value, or "!" + start of the error message */
};

static const struct row ROWS[] = {
    {"none_is_None", B("N"), "None"},
    {"true_and_false_are_bools", B("(\x02\x00\x00\x00TF"), "(True, False)"},
    {"int32_is_signed", B("(\x02\x00\x00\x00i\x01\x00\x00\x00i\xff\xff\xff\xff"), "(1, -1)"},
    {"python2_int64", B("I\x00\x00\x00\x00\x01\x00\x00\x00"), "4294967296"},
    {"python2_int64_negative", B("I\xff\xff\xff\xff\xff\xff\xff\xff"), "-1"},
    {"long_two_digits", B("l\x02\x00\x00\x00\x00\x00\x01\x00"), "32768"},
    {"long_negative", B("l\xfe\xff\xff\xff\x00\x00\x01\x00"), "-32768"},
    {"long_zero_digits_is_zero", B("l\x00\x00\x00\x00"), "0"},
    {"long_3000018683_calls", B("l\x03\x00\x00\x00\xfb\x26\xa1\x65\x02\x00"), "3000018683"},
    {"long_int64_min_fits", B("l\xfb\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00"),
     "-9223372036854775808"},
    {"long_int64_max_plus_one_is_error",
     B("l\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00"), "!offset 0: integer of 5 digits does not fit"},
    {"long_six_digits_is_error", B("l\x06\x00\x00\x00\x01\x00\x01\x00\x01\x00\x01\x00\x01\x00\x01\x00"),
     "!offset 0: integer of 6 digits"},
    {"long_digit_out_of_range", B("l\x01\x00\x00\x00\x00\x80"), "!offset 0: digit out of range"},
    {"long_unnormalized", B("l\x02\x00\x00\x00\x01\x00\x00\x00"), "!offset 0: unnormalized long"},
    {"long_truncated", B("l\x02\x00\x00\x00\x01\x00"), "!offset 0: long of 2 digits declared"},
    {"ascii_float_v1", B("f\x03" "1.5"), "1.5"},
    {"ascii_float_exponent", B("f\x05" "2e-05"), "2e-05"},
    {"ascii_float_inf", B("f\x03inf"), "Infinity"},
    {"ascii_float_garbage", B("f\x03" "abc"), "!offset 1: invalid float text"},
    {"ascii_float_hex_is_not_python", B("f\x04" "0x10"), "!offset 1: invalid float text"},
    {"binary_float_v2", B("g\x00\x00\x00\x00\x00\x00\xf8\x3f"), "1.5"},
    {"binary_float_truncated", B("g\x00\x00\x00"), "!offset 1: unexpected end of data in float"},
    {"binary_complex", B("y\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40"),
     "complex(1.0, 2.0)"},
    {"ascii_complex", B("x\x01" "1\x01" "2"), "complex(1.0, 2.0)"},
    {"bytes_s", B("s\x03\x00\x00\x00" "abc"), "b'abc'"},
    {"interned_t", B("t\x03\x00\x00\x00" "abc"), "'abc'"},
    {"interned_t_not_utf8_stays_bytes", B("t\x01\x00\x00\x00\xe9"), "b'\xe9'"},
    {"unicode_u", B("u\x02\x00\x00\x00\xc3\xa9"), "'\xc3\xa9'"},
    {"unicode_lone_surrogate_passes", B("u\x03\x00\x00\x00\xed\xa0\x80"), "'\xed\xa0\x80'"},
    {"unicode_invalid_utf8", B("u\x01\x00\x00\x00\xff"), "!offset 0: string is not UTF-8"},
    {"unicode_overlong_is_invalid", B("u\x02\x00\x00\x00\xc0\x80"), "!offset 0: string is not UTF-8"},
    {"ascii_a", B("a\x03\x00\x00\x00" "abc"), "'abc'"},
    {"ascii_A_interned", B("A\x03\x00\x00\x00" "abc"), "'abc'"},
    {"ascii_latin1_byte_becomes_utf8", B("a\x01\x00\x00\x00\xe9"), "'\xc3\xa9'"},
    {"short_ascii_z", B("z\x03" "abc"), "'abc'"},
    {"short_ascii_Z_interned", B("Z\x03" "abc"), "'abc'"},
    {"string_longer_than_input", B("s\x10\x00\x00\x00" "abc"), "!offset 1: string of 16 declared, only 3 bytes left"},
    {"string_of_2gib_declared", B("u\xff\xff\xff\x7f"), "!offset 1: string of 2147483647 declared"},
    {"tuple", B("(\x02\x00\x00\x00NN"), "(None, None)"},
    {"one_tuple", B("(\x01\x00\x00\x00N"), "(None,)"},
    {"small_tuple_v4", B(")\x02NN"), "(None, None)"},
    {"empty_small_tuple", B(")\x00"), "()"},
    {"tuple_of_2gib_declared", B("(\xff\xff\xff\x7f"), "!offset 1: tuple of 2147483647 declared, only 0 bytes left"},
    {"tuple_negative_size", B("(\xff\xff\xff\xff"), "!offset 1: tuple size -1 is negative"},
    {"tuple_truncated", B("(\x03\x00\x00\x00NN"), "!offset 1: tuple of 3 declared, only 2 bytes left"},
    {"tuple_truncated_in_an_item", B("(\x02\x00\x00\x00Ni"), "!offset 7: unexpected end of data in int"},
    {"null_in_tuple", B("(\x01\x00\x00\x00" "0"), "!offset 5: NULL object in tuple"},
    {"list", B("[\x01\x00\x00\x00i\x07\x00\x00\x00"), "[7]"},
    {"set", B("<\x01\x00\x00\x00N"), "{None}"},
    {"frozenset", B(">\x01\x00\x00\x00N"), "frozenset({None})"},
    {"set_of_lists_is_unhashable", B("<\x01\x00\x00\x00[\x00\x00\x00\x00"), "!offset 0: set element is an unhashable list"},
    {"dict", B("{z\x01" "ai\x01\x00\x00\x00z\x01" "bN0"), "{'a': 1, 'b': None}"},
    {"dict_keeps_duplicates_in_order", B("{z\x01" "ai\x01\x00\x00\x00z\x01" "ai\x02\x00\x00\x00" "0"), "{'a': 1, 'a': 2}"},
    {"dict_unhashable_key", B("{[\x00\x00\x00\x00N0"), "!offset 1: dict key is an unhashable list"},
    {"dict_tuple_key_with_list_is_unhashable", B("{)\x01[\x00\x00\x00\x00N0"), "!offset 1: dict key is an unhashable tuple"},
    {"dict_null_value", B("{N0"), "!offset 2: NULL object as a dict value"},
    {"dict_without_end", B("{NN"), "!offset 3: unexpected end of data"},
    {"slice_v5", B(":NNN"), "slice(None, None, None)"},
    {"ellipsis_and_stopiteration", B(")\x02.S"), "(Ellipsis, StopIteration)"},
    /* FLAG_REF (0x80) and 'r': containers take their slot before children */
    {"ref_to_string", B(")\x02\xfa\x01" "ar\x00\x00\x00\x00"), "('a', 'a')"},
    {"ref_numbering_counts_the_container_first", B("\xa9\x02\xfa\x01" "ar\x01\x00\x00\x00"), "('a', 'a')"},
    {"ref_to_int", B(")\x02\xe9\x05\x00\x00\x00r\x00\x00\x00\x00"), "(5, 5)"},
    {"ref_to_float", B(")\x02\xe7\x00\x00\x00\x00\x00\x00\xf8\x3fr\x00\x00\x00\x00"), "(1.5, 1.5)"},
    {"ref_to_tuple", B(")\x02\xa9\x01Nr\x00\x00\x00\x00"), "((None,), (None,))"},
    {"flagged_singletons_take_no_slot", B(")\x03\xce\xfa\x01" "ar\x00\x00\x00\x00"), "(None, 'a', 'a')"},
    {"ref_to_container_being_built", B("\xa9\x01r\x00\x00\x00\x00"), "!offset 2: reference 0 to an object still being built"},
    {"ref_out_of_range", B(")\x02\xfa\x01" "ar\x05\x00\x00\x00"), "!offset 5: invalid reference 5 (1 objects registered)"},
    {"ref_negative", B("r\xff\xff\xff\xff"), "!offset 0: invalid reference -1"},
    {"ref_before_any", B("r\x00\x00\x00\x00"), "!offset 0: invalid reference 0 (0 objects registered)"},
    /* Python 2: 't' strings are numbered for 'R' */
    {"python2_string_ref", B("(\x02\x00\x00\x00t\x01\x00\x00\x00" "aR\x00\x00\x00\x00"), "('a', 'a')"},
    {"python2_string_ref_out_of_range", B("(\x02\x00\x00\x00t\x01\x00\x00\x00" "aR\x05\x00\x00\x00"),
     "!offset 11: string reference 5 out of range (1 interned)"},
    {"unknown_type_code", B("\x01"), "!offset 0: unknown type code 0x01"},
    {"empty_input", B(""), "!offset 0: unexpected end of data in object"},
    /* code objects, one per layout: name "f", file "m.py", first line 7 */
    {"code_python27",
     B("c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
       "s\x00\x00\x00\x00(\x00\x00\x00\x00(\x00\x00\x00\x00(\x00\x00\x00\x00(\x00\x00\x00\x00(\x00\x00\x00\x00"
       "t\x04\x00\x00\x00m.pyt\x01\x00\x00\x00" "f\x07\x00\x00\x00s\x00\x00\x00\x00"),
     "<code 'f' 'm.py' 7 2.x>"},
    {"code_python30_37",
     B("c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
       "s\x00\x00\x00\x00)\x00)\x00)\x00)\x00)\x00"
       "z\x04m.pyz\x01" "f\x07\x00\x00\x00s\x00\x00\x00\x00"),
     "<code 'f' 'm.py' 7 3.0-3.7>"},
    {"code_python38_310",
     B("c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x43\x00\x00\x00"
       "s\x00\x00\x00\x00)\x00)\x00)\x00)\x00)\x00"
       "z\x04m.pyz\x01" "f\x07\x00\x00\x00s\x00\x00\x00\x00"),
     "<code 'f' 'm.py' 7 3.8-3.10>"},
    {"code_python311",
     B("c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
       "s\x00\x00\x00\x00)\x00)\x00)\x00s\x00\x00\x00\x00"
       "z\x04m.pyz\x01" "fz\x01" "f\x07\x00\x00\x00s\x00\x00\x00\x00s\x00\x00\x00\x00"),
     "<code 'f' 'm.py' 7 3.11+>"},
    {"code_garbage", B("c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00N"),
     "!offset 0: code object matches no known Python layout"},
};

static void run_row(const struct row *r)
{
    struct pv_arena arena;
    pv_arena_init(&arena, 0);
    pv_value v;
    pv_err err = {0};
    size_t used = 0;
    pv_code rc = pv_marshal_load((const uint8_t *)r->bytes, r->len, &arena, &v, &used, &err);
    if (r->want[0] == '!') {
        CHECK(rc != PV_OK && !strncmp(err.msg, r->want + 1, strlen(r->want + 1)), r->name,
              "want error \"%s\", got %s \"%s\"", r->want + 1, rc ? "error" : "success",
              rc ? err.msg : "");
    } else {
        struct out o = {.at = 0};
        o.buf[0] = '\0';
        if (rc == PV_OK)
            render(&o, &v);
        CHECK(rc == PV_OK && !strcmp(o.buf, r->want) && used == r->len, r->name,
              "want %s, got %s (%s), used %zu of %zu", r->want, o.buf, rc ? err.msg : "ok", used,
              r->len);
    }
    pv_arena_fini(&arena);
}

/* n nested 1-tuples around None: None sits at depth n+1. */
static void nesting(size_t n, bool ok)
{
    size_t len = 2 * n + 1;
    uint8_t *b = malloc(len);
    for (size_t i = 0; i < n; i++) {
        b[2 * i] = ')';
        b[2 * i + 1] = 1;
    }
    b[len - 1] = 'N';
    struct pv_arena arena;
    pv_arena_init(&arena, 0);
    pv_value v;
    pv_err err = {0};
    pv_code rc = pv_marshal_load(b, len, &arena, &v, NULL, &err);
    CHECK(ok ? rc == PV_OK : rc == PV_E_LIMIT && strstr(err.msg, "nesting deeper than 2000"),
          ok ? "nesting_of_2000_is_allowed" : "nesting_of_2001_is_refused", "%zu levels: %s",
          n, rc ? err.msg : "ok");
    pv_arena_fini(&arena);
    free(b);
}

/* A dict key made of tuples of references to tuples of references: 2^40
 * leaves if walked naively.  It is hashable, and must load at once. */
static void reference_bomb_key(void)
{
    /* key = (('a',), (r0, r0), (r1, r1), ..., (r39, r39)): slot k is the
     * k-th item, each doubling the leaves below it */
    uint8_t b[512];
    size_t at = 0;
    int levels = 40;
    b[at++] = '{';
    b[at++] = ')';
    b[at++] = (uint8_t)(levels + 1);
    b[at++] = 0x80 | ')'; /* slot 0 */
    b[at++] = 1;
    b[at++] = 'z';
    b[at++] = 1;
    b[at++] = 'a';
    for (int l = 1; l <= levels; l++) { /* slot l */
        b[at++] = 0x80 | ')';
        b[at++] = 2;
        for (int k = 0; k < 2; k++) {
            b[at++] = 'r';
            uint32_t ref = (uint32_t)(l - 1);
            memcpy(b + at, &ref, 4);
            at += 4;
        }
    }
    b[at++] = 'N';
    b[at++] = '0';
    struct pv_arena arena;
    pv_arena_init(&arena, 0);
    pv_value v;
    pv_err err = {0};
    pv_code rc = pv_marshal_load(b, at, &arena, &v, NULL, &err);
    CHECK(rc == PV_OK && v.type == PV_V_DICT && v.len == 1 && v.u.items[0].len == 41 &&
              v.u.items[1].type == PV_V_NONE,
          "reference_bomb_key_loads_without_expanding", "%s", rc ? err.msg : "wrong shape");
    pv_arena_fini(&arena);
}

/* Nested flagged tuples around a string, then a reference to each,
 * innermost first: each replay decodes all the levels inside it again,
 * so the work grows as levels x string, far past the input's size.  The
 * bytes decoded again are bounded (16x the input), and this stream is
 * refused, not decoded for 300x its size. */
static void replays_of_nested_references_are_bounded(void)
{
    enum { LEVELS = 300, TEXT = 4096 };
    size_t len = 5 + 2 * LEVELS + 5 + TEXT + 5 * LEVELS;
    uint8_t *b = malloc(len);
    size_t at = 0;
    uint32_t u32 = LEVELS + 1;
    b[at++] = '[';
    memcpy(b + at, &u32, 4);
    at += 4;
    for (int l = 0; l < LEVELS; l++) { /* slot l */
        b[at++] = 0x80 | ')';
        b[at++] = 1;
    }
    b[at++] = 'u';
    u32 = TEXT;
    memcpy(b + at, &u32, 4);
    at += 4;
    memset(b + at, 'x', TEXT);
    at += TEXT;
    for (int l = LEVELS - 1; l >= 0; l--) {
        b[at++] = 'r';
        u32 = (uint32_t)l;
        memcpy(b + at, &u32, 4);
        at += 4;
    }
    struct pv_arena arena;
    pv_arena_init(&arena, 0);
    pv_value v;
    pv_err err = {0};
    pv_code rc = pv_marshal_load(b, at, &arena, &v, NULL, &err);
    CHECK(at == len && rc == PV_E_LIMIT && strstr(err.msg, "too much decoding work"),
          "replays_of_nested_references_are_bounded", "%s", rc ? err.msg : "loaded");
    pv_arena_fini(&arena);
    free(b);
}

static void trailing_bytes_are_not_read(void)
{
    struct pv_arena arena;
    pv_arena_init(&arena, 0);
    pv_value v;
    pv_err err = {0};
    size_t used = 0;
    pv_code rc = pv_marshal_load((const uint8_t *)"Nxyz", 4, &arena, &v, &used, &err);
    CHECK(rc == PV_OK && used == 1, "trailing_bytes_are_not_read", "used %zu", used);
    pv_arena_fini(&arena);
}

static void version_guess(void)
{
    static const struct {
        const char *name, *bytes;
        size_t len;
        int version;
        bool python2;
    } rows[] = {
        {"v1_has_ascii_floats", B("{u\x01\x00\x00\x00" "af\x01" "10"), 1, false},
        {"v2_has_binary_floats", B("{u\x01\x00\x00\x00" "ag\x00\x00\x00\x00\x00\x00\xf0\x3f" "0"), 2, false},
        {"v3_has_references", B("{\xf5\x01\x00\x00\x00" "ar\x00\x00\x00\x00" "0"), 3, false},
        {"v4_has_short_tuples", B("{\xfa\x01" "a)\x00" "0"), 4, false},
        {"python2_has_string_refs", B("{t\x01\x00\x00\x00" "aR\x00\x00\x00\x00" "0"), 1, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct pv_marshal *m;
        pv_err err = {0};
        pv_marshal_create((const uint8_t *)rows[i].bytes, rows[i].len, &m, &err);
        struct pv_arena scratch;
        pv_arena_init(&scratch, 0);
        pv_value v;
        pv_code rc = pv_marshal_read(m, &scratch, &v, &err);
        bool py2;
        int version = pv_marshal_version_guess(m, &py2);
        CHECK(rc == PV_OK && version == rows[i].version && py2 == rows[i].python2, rows[i].name,
              "got v%d python2=%d (%s)", version, py2, rc ? err.msg : "ok");
        pv_arena_fini(&scratch);
        pv_marshal_destroy(m);
    }
}

/* A tuple met twice through references, and one read once: the shared
 * one has one word, whichever reference reached it; the other has none. */
static void shared_containers_have_one_word(void)
{
    /* (T, T, T, (2,)) where T = (1,) is flagged, slot 0, and met again
     * through two references */
    static const char bytes[] = ")\x04" "\xa9\x01i\x01\x00\x00\x00" "r\x00\x00\x00\x00"
                                "r\x00\x00\x00\x00" ")\x01i\x02\x00\x00\x00";
    struct pv_marshal *m = NULL;
    pv_err err = {0};
    struct pv_arena scratch;
    pv_arena_init(&scratch, 0);
    pv_value v = {0};
    pv_code rc = pv_marshal_create((const uint8_t *)bytes, sizeof bytes - 1, &m, &err);
    if (rc == PV_OK)
        rc = pv_marshal_read(m, &scratch, &v, &err);
    bool shape = rc == PV_OK && v.type == PV_V_TUPLE && v.len == 4;
    int64_t *w1 = shape ? pv_marshal_shared_word(&v.u.items[1]) : NULL;
    int64_t *w2 = shape ? pv_marshal_shared_word(&v.u.items[2]) : NULL;
    bool start_zero = w1 && *w1 == 0;
    if (w1)
        *w1 = 42;
    CHECK(shape && w1 && w1 == w2 && start_zero && *w2 == 42 &&
              !pv_marshal_shared_word(&v.u.items[0]) && !pv_marshal_shared_word(&v.u.items[3]) &&
              !pv_marshal_shared_word(&v) && v.u.items[1].u.items[0].u.i == 1,
          "shared_containers_have_one_word", "%s: words %p %p, first read %s",
          rc ? err.msg : "ok", (void *)w1, (void *)w2,
          shape && pv_marshal_shared_word(&v.u.items[0]) ? "has one" : "has none");
    pv_arena_fini(&scratch);
    pv_marshal_destroy(m);
}

int main(void)
{
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        run_row(&ROWS[i]);
    nesting(1999, true);
    nesting(2000, false);
    reference_bomb_key();
    replays_of_nested_references_are_bounded();
    trailing_bytes_are_not_read();
    version_guess();
    shared_containers_have_one_word();
    return check_done();
}
