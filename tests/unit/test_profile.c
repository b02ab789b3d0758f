/* Unit tests of the profile model: stats dicts built by hand with a small
 * marshal writer, checked against what pstats makes of them. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "marshal_writer.h"
#include "pack.h"
#include "profile.h"

static struct pv_profile *parse(const struct w *w, pv_err *err)
{
    struct pv_profile *p = NULL;
    if (pv_profile_parse(w->b, w->n, &p, err))
        return NULL;
    return p;
}

static const char *S(const struct pv_profile *p, uint32_t h)
{
    return pv_profile_str(p, h, NULL);
}

/* ---- tests -------------------------------------------------------------- */

static void counts_are_swapped_between_stats_and_callers(void)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    key(&w, "b.py", 5, "callee");
    stats(&w, 1, 3, 0.25, 0.5); /* cc=1, nc=3 */
    caller(&w, "a.py", 1, "main", 3, 1, 0.25, 0.5); /* nc=3, cc=1 */
    byte(&w, '0');
    key(&w, "a.py", 1, "main");
    stats(&w, 1, 1, 0.5, 1.0);
    byte(&w, '0');
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err);
    CHECK(p != NULL, "swapped_counts_parse", "%s", err.msg);
    if (!p)
        return;
    /* fid order is (file, line, name): a.py before b.py */
    CHECK(p->nfuncs == 2 && !strcmp(S(p, p->funcs[0].name), "main") &&
              !strcmp(S(p, p->funcs[1].name), "callee"),
          "fids_follow_key_order", "nfuncs %u", p->nfuncs);
    CHECK(p->funcs[1].cc == 1 && p->funcs[1].nc == 3, "stats_value_is_cc_then_nc",
          "cc %" PRId64 " nc %" PRId64, p->funcs[1].cc, p->funcs[1].nc);
    CHECK(p->nedges == 1 && p->edges[0].caller == 0 && p->edges[0].callee == 1 &&
              p->edges[0].nc == 3 && p->edges[0].cc == 1,
          "callers_value_is_nc_then_cc", "edge nc %" PRId64 " cc %" PRId64, p->edges[0].nc,
          p->edges[0].cc);
    CHECK(p->total_calls == 4 && p->prim_calls == 2 && p->total_tt == 0.75,
          "totals_as_pstats", "%" PRId64 " %" PRId64 " %g", p->total_calls, p->prim_calls,
          p->total_tt);
    CHECK(p->funcs[1].order == 0 && p->funcs[0].order == 1, "order_is_dict_order", "%u %u",
          p->funcs[1].order, p->funcs[0].order);
    CHECK(p->callees_at[1] - p->callees_at[0] == 1 && p->callers_at[2] - p->callers_at[1] == 1,
          "indexes_list_callees_and_callers", "ranges wrong");

    void *blob;
    size_t len;
    struct pv_profile *q = NULL;
    CHECK(pv_pack_dup(p, &blob, &len, &err) == PV_OK &&
              pv_pack_read(blob, len, &q, &err) == PV_OK,
          "pack_unpack_round_trip", "%s", err.msg);
    if (q) {
        CHECK(q->nfuncs == p->nfuncs && q->nedges == p->nedges &&
                  !memcmp(q->funcs, p->funcs, p->nfuncs * sizeof *p->funcs) &&
                  !memcmp(q->edges, p->edges, p->nedges * sizeof *p->edges) &&
                  q->total_tt == p->total_tt,
              "unpacked_equals_packed", "differs");
        pv_profile_destroy(q);
        q = NULL;
        ((uint8_t *)blob)[len - 1 - 16 - 3] ^= 0x7f; /* the last edge's callee fid */
        pv_code rc = pv_pack_read(blob, len, &q, &err);
        CHECK(rc == PV_E_DB, "damaged_blob_is_an_error", "rc %d", rc);
        pv_profile_destroy(q);
        q = NULL;
        CHECK(pv_pack_read(blob, len - 1, &q, &err) == PV_E_DB, "short_blob_is_an_error",
              "accepted");
    }
    free(blob);
    pv_profile_destroy(p);
}

static void profile_module_callers_are_ints(void)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    key(&w, "", 0, "len");
    stats(&w, 4, 4, 0.0, 0.0);
    key(&w, "profile", 0, "profiler");
    num(&w, 4);
    byte(&w, '0');
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err);
    CHECK(p && p->nedges == 1 && pv_profile_edge_count_only(p, &p->edges[0]) && p->edges[0].nc == 4,
          "int_valued_callers_are_count_only_edges", "%s", p ? "wrong edge" : err.msg);
    /* ('profile', 0, 'profiler') has no stats entry: a phantom caller */
    CHECK(p && p->nreal == 1 && p->nfuncs == 2, "dangling_caller_is_kept_as_phantom",
          "nreal %u nfuncs %u", p ? p->nreal : 0, p ? p->nfuncs : 0);
    if (p) {
        char *label = pv_profile_label_dup(p, 0, 0, NULL);
        CHECK(label && !strcmp(label, ":0(len)"), "profile_module_builtin_label", "%s", label);
        free(label);
    }
    pv_profile_destroy(p);
}

static void labels(void)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    key(&w, "~", 0, "<built-in method builtins.len>");
    stats(&w, 1, 1, 0.0, 0.0);
    byte(&w, '0');
    key(&w, "~", 0, "plain");
    stats(&w, 1, 1, 0.0, 0.0);
    byte(&w, '0');
    key(&w, "m.py", 7, "<lambda>");
    stats(&w, 1, 1, 0.0, 0.0);
    byte(&w, '0');
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err);
    if (!p) {
        CHECK(false, "labels_parse", "%s", err.msg);
        return;
    }
    static const char *const want[] = {"m.py:7(<lambda>)", "{built-in method builtins.len}",
                                       "plain"};
    for (uint32_t f = 0; f < 3; f++) {
        char *label = pv_profile_label_dup(p, f, 0, NULL);
        CHECK(label && !strcmp(label, want[f]), "labels_as_func_std_string", "%s != %s", label,
              want[f]);
        free(label);
    }
    CHECK(pv_profile_is_builtin(p, 1) && !pv_profile_is_builtin(p, 0), "builtins_are_tilde_0",
          "wrong");
    pv_profile_destroy(p);
}

/* A label with max_part_bytes is the label of the file and the name, each
 * cut there at a character boundary and ended in an ellipsis when cut. */
static void labels_cut_for_views(void)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    key(&w, "/srv/\xc3\xa9t\xc3\xa9/m\xe2\x86\x92.py", 12, "h\xc3\xa9llo\xf0\x9f\x90\x8d");
    stats(&w, 1, 1, 0.0, 0.0);
    byte(&w, '0');
    key(&w, "~", 0, "<built-in method \xc3\xa9\xc3\xa9\xc3\xa9>");
    stats(&w, 1, 1, 0.0, 0.0);
    byte(&w, '0');
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err);
    if (!p) {
        CHECK(false, "labels_cut_parse", "%s", err.msg);
        return;
    }
    static const struct {
        uint32_t fid;
        size_t max;
        const char *want;
    } rows[] = {
        {0, 0, "/srv/\xc3\xa9t\xc3\xa9/m\xe2\x86\x92.py:12(h\xc3\xa9llo\xf0\x9f\x90\x8d)"},
        {0, 100, "/srv/\xc3\xa9t\xc3\xa9/m\xe2\x86\x92.py:12(h\xc3\xa9llo\xf0\x9f\x90\x8d)"},
        {0, 7, "/srv/\xc3\xa9\xe2\x80\xa6:12(h\xc3\xa9llo\xe2\x80\xa6)"},
        {0, 6, "/srv/\xe2\x80\xa6:12(h\xc3\xa9llo\xe2\x80\xa6)"},
        {0, 2, "/s\xe2\x80\xa6:12(h\xe2\x80\xa6)"},
        {1, 0, "{built-in method \xc3\xa9\xc3\xa9\xc3\xa9}"},
        {1, 19, "{built-in method \xc3\xa9\xe2\x80\xa6}"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t n;
        char *got = pv_profile_label_dup(p, rows[i].fid, rows[i].max, &n);
        CHECK(got && n == strlen(rows[i].want) && !strcmp(got, rows[i].want),
              "label_parts_cut_at_character_boundaries", "fid %u max %zu: %s != %s",
              rows[i].fid, rows[i].max, got, rows[i].want);
        free(got);
        /* all labels in one block are the same, each ending where the
         * next begins */
        struct pv_profile_labels all;
        bool same = !pv_profile_labels_init(&all, p, rows[i].max, &err);
        for (uint32_t f = 0; same && f < p->nfuncs; f++) {
            char *one = pv_profile_label_dup(p, f, rows[i].max, &n);
            same = one && !strcmp(all.of[f], one) && all.of[f + 1] == all.of[f] + n + 1;
            free(one);
        }
        CHECK(same, "labels_in_one_block_are_each_label", "max %zu: %s", rows[i].max, err.msg);
        pv_profile_labels_fini(&all);
    }
    pv_profile_destroy(p);
}

static void duplicate_key_last_wins_at_first_place(void)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    key(&w, "a.py", 1, "f");
    stats(&w, 1, 1, 1.0, 1.0);
    caller(&w, "a.py", 9, "old", 1, 1, 1.0, 1.0);
    byte(&w, '0');
    key(&w, "a.py", 2, "g");
    stats(&w, 1, 1, 2.0, 2.0);
    byte(&w, '0');
    key(&w, "a.py", 1, "f");
    stats(&w, 5, 5, 3.0, 3.0);
    byte(&w, '0');
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err);
    CHECK(p && p->funcs[0].nc == 5 && p->funcs[0].order == 0 && p->nedges == 0 &&
              p->nwarnings == 2 && strstr(p->warnings[0], "duplicate key"),
          "duplicate_key_last_value_wins", "%s", p ? p->warnings[0] : err.msg);
    pv_profile_destroy(p);
}

/* Count-only edges among tuple ones, a caller named twice in one callers
 * dict, and a duplicate key whose earlier value had both kinds: each flag
 * ends on its own edge once the edges are sorted, the repeated caller's
 * last value kept and the earlier value's edges dropped; a pack keeps
 * them.  (Sorted, the flags are not where the file had them.) */
static void count_only_flags_follow_their_edges(void)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    key(&w, "a.py", 1, "f");
    stats(&w, 1, 1, 1.0, 1.0);
    caller(&w, "a.py", 8, "y", 1, 1, 0.5, 0.5);
    key(&w, "a.py", 9, "x");
    num(&w, 2); /* the first flagged edge, after one without */
    byte(&w, '0');
    key(&w, "a.py", 2, "g");
    stats(&w, 3, 3, 2.0, 2.0);
    caller(&w, "a.py", 1, "f", 2, 2, 1.0, 1.0);
    key(&w, "a.py", 1, "f"); /* f again: this value wins */
    num(&w, 3);
    byte(&w, '0');
    key(&w, "a.py", 1, "f"); /* again: these callers replace the first ones */
    stats(&w, 11, 11, 3.0, 3.0);
    caller(&w, "a.py", 9, "x", 4, 4, 1.5, 1.5);
    caller(&w, "a.py", 8, "y", 7, 7, 0.25, 0.25);
    byte(&w, '0');
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err);
    CHECK(p && p->nfuncs == 4 && p->nedges == 3, "count_only_flags_parse", "%s",
          p ? "wrong counts" : err.msg);
    if (!p || p->nfuncs != 4 || p->nedges != 3) {
        pv_profile_destroy(p);
        return;
    }
    /* fids: f 0, g 1, y 2, x 3; edges by (caller, callee) */
    const struct pv_edge *e = p->edges;
    CHECK(e[0].caller == 0 && e[0].callee == 1 && e[0].nc == 3 &&
              pv_profile_edge_count_only(p, &e[0]) && e[1].caller == 2 && e[1].nc == 7 &&
              !pv_profile_edge_count_only(p, &e[1]) && e[2].caller == 3 && e[2].nc == 4 &&
              e[2].ct == 1.5 && !pv_profile_edge_count_only(p, &e[2]),
          "count_only_flags_follow_their_edges", "flags %d %d %d",
          pv_profile_edge_count_only(p, &e[0]), pv_profile_edge_count_only(p, &e[1]),
          pv_profile_edge_count_only(p, &e[2]));
    void *blob = NULL;
    size_t len = 0;
    struct pv_profile *q = NULL;
    bool packed = pv_pack_dup(p, &blob, &len, &err) == PV_OK;
    CHECK(packed && pv_pack_read(blob, len, &q, &err) == PV_OK && q->nedges == 3 &&
              pv_profile_edge_count_only(q, &q->edges[0]) &&
              !pv_profile_edge_count_only(q, &q->edges[1]) &&
              !pv_profile_edge_count_only(q, &q->edges[2]),
          "count_only_flags_are_packed", "%s", err.msg);
    if (packed)
        free(blob);
    pv_profile_destroy(q);
    pv_profile_destroy(p);
}

/* A duplicate takes no place in dict order: with two duplicates before a
 * later key, counting entries instead of keys wrote past the order table
 * (an upload of 207 bytes crashed the server). */
static void duplicates_before_a_later_key_take_no_order_slot(void)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    static const char *const names[] = {"f", "f", "f", "f", "g"};
    for (int i = 0; i < 5; i++) {
        key(&w, "a.py", 1, names[i]);
        stats(&w, 1, 1, 0.5, 0.5);
        byte(&w, '0');
    }
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err);
    CHECK(p && p->nfuncs == 2 && p->nreal == 2 && p->funcs[0].order == 0 &&
              p->funcs[1].order == 1 && p->total_calls == 2 && p->total_tt == 1.0,
          "duplicates_before_a_later_key_take_no_order_slot", "%s",
          p ? "wrong orders or totals" : err.msg);
    pv_profile_destroy(p);
}

/* Python 2 '' is a zero-length 's' (a NULL pointer to the builder). */
static void empty_python2_string_is_an_empty_name(void)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    tuple(&w, 3);
    bytes_s(&w, "a.py");
    num(&w, 1);
    bytes_s(&w, "");
    stats(&w, 1, 1, 0.5, 0.5);
    byte(&w, '0');
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err);
    CHECK(p && p->nfuncs == 1 && !strcmp(S(p, p->funcs[0].name), ""),
          "empty_python2_string_is_an_empty_name", "%s", p ? "wrong name" : err.msg);
    pv_profile_destroy(p);
}

static void text_of_other_kinds(void)
{
    /* a code object in the name slot, as `python -m profile` writes it */
    struct w w = {.n = 0};
    byte(&w, '{');
    tuple(&w, 3);
    str(&w, "profile");
    num(&w, 0);
    byte(&w, 'c');
    for (int k = 0; k < 6; k++)
        i32(&w, k == 5 ? 0x43 : 0);
    bytes_s(&w, "");
    for (int k = 0; k < 5; k++)
        tuple(&w, 0);
    str(&w, "m.py");
    str(&w, "<module>");
    i32(&w, 1);
    bytes_s(&w, "");
    stats(&w, 1, 1, 0.0, 0.0);
    byte(&w, '0');
    /* a Python 2 byte string that is not UTF-8: Latin-1 */
    tuple(&w, 3);
    bytes_s(&w, "caf\xe9.py");
    num(&w, 1);
    bytes_s(&w, "f");
    stats(&w, 1, 1, 0.0, 0.0);
    byte(&w, '0');
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err);
    CHECK(p != NULL, "code_object_and_bytes_parse", "%s", err.msg);
    if (!p)
        return;
    CHECK(!strcmp(S(p, p->funcs[0].file), "caf\xc3\xa9.py"), "python2_latin1_bytes_become_utf8",
          "%s", S(p, p->funcs[0].file));
    CHECK(!strcmp(S(p, p->funcs[1].name), "<code object <module>, file \"m.py\", line 1>"),
          "code_object_name_reads_as_its_repr", "%s", S(p, p->funcs[1].name));
    pv_profile_destroy(p);
}

static void shape_errors(void)
{
    struct {
        const char *name;
        const char *want;
        struct w w;
    } cases[6];
    memset(cases, 0, sizeof cases);
    int n = 0;

    cases[n].name = "top_level_list_is_refused";
    cases[n].want = "top-level object is list, expected dict";
    byte(&cases[n].w, '[');
    i32(&cases[n].w, 0);
    n++;

    cases[n].name = "empty_dict_is_refused";
    cases[n].want = "the stats dict is empty";
    byte(&cases[n].w, '{');
    byte(&cases[n].w, '0');
    n++;

    cases[n].name = "value_arity_4_is_refused";
    cases[n].want = "has 4 items, expected 5 (cc, nc, tt, ct, callers)";
    byte(&cases[n].w, '{');
    key(&cases[n].w, "a.py", 1, "f");
    tuple(&cases[n].w, 4);
    num(&cases[n].w, 1);
    num(&cases[n].w, 1);
    flt(&cases[n].w, 0);
    flt(&cases[n].w, 0);
    byte(&cases[n].w, '0');
    n++;

    cases[n].name = "bool_count_is_refused";
    cases[n].want = "cc of ('a.py', 1, 'f') is bool, expected int";
    byte(&cases[n].w, '{');
    key(&cases[n].w, "a.py", 1, "f");
    tuple(&cases[n].w, 5);
    byte(&cases[n].w, 'T');
    num(&cases[n].w, 1);
    flt(&cases[n].w, 0);
    flt(&cases[n].w, 0);
    byte(&cases[n].w, '{');
    byte(&cases[n].w, '0');
    byte(&cases[n].w, '0');
    n++;

    cases[n].name = "callers_list_is_refused";
    cases[n].want = "callers of ('a.py', 1, 'f') is list, expected dict";
    byte(&cases[n].w, '{');
    key(&cases[n].w, "a.py", 1, "f");
    tuple(&cases[n].w, 5);
    num(&cases[n].w, 1);
    num(&cases[n].w, 1);
    flt(&cases[n].w, 0);
    flt(&cases[n].w, 0);
    byte(&cases[n].w, '[');
    i32(&cases[n].w, 0);
    byte(&cases[n].w, '0');
    n++;

    cases[n].name = "key_of_two_is_refused";
    cases[n].want = "a function key is ('a.py', 1";
    byte(&cases[n].w, '{');
    tuple(&cases[n].w, 2);
    str(&cases[n].w, "a.py");
    num(&cases[n].w, 1);
    stats(&cases[n].w, 1, 1, 0, 0);
    byte(&cases[n].w, '0');
    byte(&cases[n].w, '0');
    n++;

    for (int i = 0; i < n; i++) {
        pv_err err = {0};
        struct pv_profile *p = parse(&cases[i].w, &err);
        CHECK(!p && strstr(err.msg, cases[i].want), cases[i].name, "got \"%s\"",
              p ? "accepted" : err.msg);
        pv_profile_destroy(p);
    }
}

/* report.c fills an array of nreal by order, so an order out of range, a
 * repeated one, or a phantom flag that changes the count of real functions
 * would write outside it: unpack refuses such a blob (found by
 * tests/fuzz/fuzz_profile.c, regress/profile/pack_order_out_of_range). */
static void damaged_orders_in_blob_are_refused(void)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    key(&w, "a.py", 1, "main");
    stats(&w, 1, 1, 0.5, 1.0);
    byte(&w, '0');
    key(&w, "b.py", 5, "callee");
    stats(&w, 1, 3, 0.25, 0.5);
    caller(&w, "a.py", 1, "main", 3, 1, 0.25, 0.5);
    byte(&w, '0');
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err);
    void *blob = NULL;
    size_t len = 0;
    CHECK(p && pv_pack_dup(p, &blob, &len, &err) == PV_OK, "orders_profile_packs", "%s",
          err.msg);
    if (!blob) {
        pv_profile_destroy(p);
        return;
    }
    /* the functions are stored as they are in memory */
    size_t nbytes = p->nfuncs * sizeof *p->funcs;
    uint8_t *at = memmem(blob, len, p->funcs, nbytes);
    CHECK(at != NULL, "blob_holds_the_functions", "not found");
    static const struct {
        const char *name;
        uint32_t fid, order, flags;
    } rows[] = {
        {"order_past_nreal_is_refused", 0, 2, 0},
        {"huge_order_is_refused", 1, 0x200000, 0},
        {"repeated_order_is_refused", 1, 0, 0},
        {"phantom_flag_changing_nreal_is_refused", 1, 1, PV_FUNC_PHANTOM},
    };
    for (size_t i = 0; at && i < sizeof rows / sizeof rows[0]; i++) {
        struct pv_func *funcs = malloc(nbytes);
        memcpy(funcs, p->funcs, nbytes);
        funcs[rows[i].fid].order = rows[i].order;
        funcs[rows[i].fid].flags = rows[i].flags;
        memcpy(at, funcs, nbytes);
        struct pv_profile *q = NULL;
        pv_code rc = pv_pack_read(blob, len, &q, &err);
        CHECK(rc == PV_E_DB && !q, rows[i].name, "rc %d", rc);
        pv_profile_destroy(q);
        memcpy(at, p->funcs, nbytes);
        free(funcs);
    }
    struct pv_profile *q = NULL;
    CHECK(pv_pack_read(blob, len, &q, &err) == PV_OK, "undamaged_blob_still_unpacks", "%s",
          err.msg);
    pv_profile_destroy(q);
    free(blob);
    pv_profile_destroy(p);
}

/* Edges are sorted by (caller, callee) without repeats (profile.h); a blob
 * whose edges say otherwise is damaged (found by fuzz_profile,
 * regress/profile/pack_edge_repeated). */
static void damaged_edge_order_in_blob_is_refused(void)
{
    struct w w = {.n = 0};
    byte(&w, '{');
    key(&w, "a.py", 1, "main");
    stats(&w, 1, 1, 0.5, 1.0);
    byte(&w, '0');
    key(&w, "b.py", 5, "b");
    stats(&w, 1, 1, 0.25, 0.25);
    caller(&w, "a.py", 1, "main", 1, 1, 0.25, 0.25);
    byte(&w, '0');
    key(&w, "c.py", 5, "c");
    stats(&w, 1, 1, 0.25, 0.25);
    caller(&w, "a.py", 1, "main", 1, 1, 0.25, 0.25);
    byte(&w, '0');
    byte(&w, '0');
    pv_err err = {0};
    struct pv_profile *p = parse(&w, &err), *q = NULL;
    void *blob = NULL;
    size_t len = 0;
    CHECK(p && p->nedges == 2 && pv_pack_dup(p, &blob, &len, &err) == PV_OK,
          "two_edges_pack", "%s", err.msg);
    if (blob) {
        /* the last edge: caller delta 0, callee delta 1, flags, nc, cc, tt, ct */
        uint8_t *callee_delta = (uint8_t *)blob + len - 16 - 4;
        CHECK(*callee_delta == 1, "last_edge_callee_delta_is_one", "%u", *callee_delta);
        *callee_delta = 0;
        pv_code rc = pv_pack_read(blob, len, &q, &err);
        CHECK(rc == PV_E_DB && !q, "repeated_edge_is_refused", "rc %d", rc);
        pv_profile_destroy(q);
    }
    free(blob);
    pv_profile_destroy(p);
}

static void wrong_kinds_get_hints(void)
{
    static const struct {
        const char *name, *bytes, *want;
    } rows[] = {
        {"gzip_is_named", "\x1f\x8b\x08\x00", "gzip"},
        {"pickle_is_named", "\x80\x04\x95\x00", "pickle"},
        {"lfs_pointer_is_named", "version https://git-lfs.github.com/spec/v1\noid sha256:", "Git LFS"},
        {"text_report_is_named", "         5 function calls in 0.000 seconds\n", "text report"},
        {"html_is_named", "<!DOCTYPE html><html>", "HTML"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pv_err err = {0};
        struct pv_profile *p = NULL;
        pv_code rc = pv_profile_parse((const uint8_t *)rows[i].bytes, strlen(rows[i].bytes), &p,
                                      &err);
        CHECK(rc == PV_E_FORMAT && strstr(err.msg, rows[i].want), rows[i].name, "%s", err.msg);
        pv_profile_destroy(p);
    }
}

int main(void)
{
    counts_are_swapped_between_stats_and_callers();
    profile_module_callers_are_ints();
    labels();
    labels_cut_for_views();
    duplicate_key_last_wins_at_first_place();
    count_only_flags_follow_their_edges();
    duplicates_before_a_later_key_take_no_order_slot();
    empty_python2_string_is_an_empty_name();
    text_of_other_kinds();
    shape_errors();
    wrong_kinds_get_hints();
    damaged_orders_in_blob_are_refused();
    damaged_edge_order_in_blob_is_refused();
    return check_done();
}
