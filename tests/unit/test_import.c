/* Unit tests of the import pipeline (import.h) on a scratch database: a
 * file stored under its base name, the same bytes not parsed twice, bad
 * files and missing ones refused with nothing stored, a file read without
 * storing, and a busy parse turn that stores nothing.  BIG, a profile of
 * a few MB, takes the other way through import.c: its id is hashed on a
 * thread of its own while it is parsed, and its model finished on another
 * while its functions are stored.  Also built with ThreadSanitizer
 * (tests/meson.build), which reports a race on the id or a thread never
 * joined.
 *
 * usage: test_import DIR BIG   (DIR: a folder for scratch files, made if
 * missing: each build of the test gets its own, as meson may run them at
 * once) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "import.h"
#include "profile_table.h"
#include "read_file.h"
#include "store.h"

static char dir[4096];

static const struct fn FUNCS[] = {
    {"app.py", 1, "main", 1, 1, 0.5, 2.0, false},
    {"lib.py", 7, "work", 2, 2, 1.5, 1.5, false},
};
static const struct call CALLS[] = {
    {0, 1, 2, 2, 1.5, 1.5, false},
    {-1, 0, 0, 0, 0, 0, false},
};

/* path in the scratch folder, its file holding n bytes of b (n < 0: none). */
static const char *scratch_file(char path[4200], const char *name, const void *b, long n)
{
    snprintf(path, 4200, "%s/%s", dir, name);
    unlink(path);
    if (n >= 0) {
        FILE *f = fopen(path, "wb");
        fwrite(b, 1, (size_t)n, f);
        fclose(f);
    }
    return path;
}

static struct pv_store *fresh_store(void)
{
    char path[4200];
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/test_import.db%s", dir, suffix[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/test_import.db", dir);
    struct pv_store *s = NULL;
    pv_err err;
    if (pv_store_open(path, &s, &err))
        printf("cannot open %s: %s\n", path, err.msg);
    return s;
}

static bool count_one(const struct pv_store_meta *m, void *ctx)
{
    (*(int *)ctx)++;
    return true;
}

static int stored(struct pv_store *s)
{
    int n = 0;
    int64_t total = 0;
    pv_err err;
    struct pv_store_list_query q = {.name_contains = NULL, .limit = 100, .offset = 0};
    pv_store_list(s, &q, count_one, &n, &total, &err);
    return n == total ? n : -1;
}

static void files_and_uploads_store_alike(void)
{
    struct pv_store *s = fresh_store();
    if (!s)
        return;
    struct w w = {.n = 0};
    profile_of_tables(&w, FUNCS, 2, CALLS);
    char path[4200];
    pv_err err = {0};
    struct pv_store_record res;
    pv_code rc = pv_import_file(s, scratch_file(path, "run.prof", w.b, (long)w.n), &res, &err);
    CHECK(rc == PV_OK && res.created && !strcmp(res.name, "run.prof") && res.functions == 2 &&
              res.edges == 1,
          "file_is_stored_under_its_base_name", "rc %d: %s", rc, err.msg);
    char id[PV_STORE_ID_HEX + 1];
    pv_store_id_of(w.b, w.n, id);
    CHECK(rc == PV_OK && !strcmp(res.id, id), "id_comes_from_the_bytes", "%s", res.id);
    if (rc == PV_OK)
        free(res.name);

    /* the same bytes uploaded: their record, and no parse */
    struct pv_profile *parsed = (struct pv_profile *)&parsed;
    rc = pv_import_bytes(s, w.b, w.n, "upload.prof", &parsed, &res, &err);
    CHECK(rc == PV_OK && !res.created && !strcmp(res.name, "run.prof") && !parsed,
          "stored_bytes_are_not_parsed_again", "rc %d, created %d, parsed %p", rc, res.created,
          (void *)parsed);
    if (rc == PV_OK)
        free(res.name);

    /* new bytes uploaded: parsed, stored, and the model handed over */
    w.b[w.n++] = 0; /* one ignored byte after the dict: other bytes */
    rc = pv_import_bytes(s, w.b, w.n, "upload.prof", &parsed, &res, &err);
    CHECK(rc == PV_OK && res.created && !strcmp(res.name, "upload.prof") && parsed &&
              parsed->nreal == 2 && parsed->trailing_bytes == 1,
          "new_bytes_are_parsed_and_the_model_kept", "rc %d: %s", rc, err.msg);
    if (rc == PV_OK)
        free(res.name);
    pv_profile_destroy(parsed);
    CHECK(stored(s) == 2, "two_profiles_are_stored", "%d", stored(s));
    pv_store_close(s);
}

static void bad_and_missing_files_store_nothing(void)
{
    struct pv_store *s = fresh_store();
    if (!s)
        return;
    static const struct {
        const char *name;
        const char *bytes;
        long n;      /* -1: no such file; -2: a folder */
        pv_code code;
        const char *msg;
    } rows[] = {
        {"missing_file_is_not_found", NULL, -1, PV_E_NOTFOUND, "No such file"},
        {"folder_is_not_a_regular_file", NULL, -2, PV_E_IO, "not a regular file"},
        {"empty_file_is_no_stats_file", "", 0, PV_E_FORMAT, ""},
        {"text_file_is_no_stats_file", "ncalls tottime\n", 15, PV_E_FORMAT, ""},
        {"gzip_file_is_named", "\x1f\x8b\x08\x00\x00\x00", 6, PV_E_FORMAT, "gzip"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char path[4200];
        scratch_file(path, "bad.prof", rows[i].bytes, rows[i].n < 0 ? -1 : rows[i].n);
        if (rows[i].n == -2)
            mkdir(path, 0700);
        pv_err err = {0};
        struct pv_store_record res;
        pv_code rc = pv_import_file(s, path, &res, &err);
        struct pv_profile *p = NULL;
        pv_err read_err = {0};
        pv_code read_rc = pv_import_read_file(path, &p, &read_err);
        CHECK(rc == rows[i].code && strstr(err.msg, rows[i].msg) && read_rc == rc && !p &&
                  !strcmp(read_err.msg, err.msg),
              rows[i].name, "import %d, read %d: %s", rc, read_rc, err.msg);
        if (rows[i].n == -2)
            rmdir(path);
    }
    CHECK(stored(s) == 0, "nothing_is_stored", "%d", stored(s));
    pv_store_close(s);
}

static void files_are_read_without_storing(void)
{
    struct w w = {.n = 0};
    profile_of_tables(&w, FUNCS, 2, CALLS);
    char path[4200];
    struct pv_profile *p = NULL, *want = NULL;
    pv_err err = {0};
    pv_code rc = pv_import_read_file(scratch_file(path, "read.prof", w.b, (long)w.n), &p, &err);
    pv_profile_parse(w.b, w.n, &want, &err);
    CHECK(rc == PV_OK && want && p->nfuncs == want->nfuncs && p->nedges == want->nedges &&
              !memcmp(p->funcs, want->funcs, p->nfuncs * sizeof *p->funcs),
          "read_file_is_the_parsed_model", "rc %d: %s", rc, err.msg);
    pv_profile_destroy(p);
    pv_profile_destroy(want);
}

/* With every parse turn taken, an upload is busy and stores nothing. */
static void busy_parse_turn_stores_nothing(void)
{
    struct pv_store *s = fresh_store();
    struct pv_store_gate *g = NULL;
    struct pv_store_gate_limits lim = {.max_parsing = 1, .max_queued_writes = 4};
    pv_err err = {0};
    if (!s || pv_store_gate_create(&lim, &g, &err)) {
        CHECK(false, "store_and_gate_open", "%s", err.msg);
        pv_store_close(s);
        return;
    }
    pv_store_set_gate(s, g);
    struct w w = {.n = 0};
    profile_of_tables(&w, FUNCS, 2, CALLS);
    pv_store_parse_enter(s, &err); /* the one turn, as another upload would hold it */
    struct pv_store_record res;
    struct pv_profile *parsed = NULL;
    pv_code rc = pv_import_bytes(s, w.b, w.n, "busy.prof", &parsed, &res, &err);
    CHECK(rc == PV_E_BUSY && !parsed && stored(s) == 0, "busy_upload_stores_nothing",
          "rc %d: %s", rc, err.msg);
    pv_store_parse_leave(s, 1.0);
    rc = pv_import_bytes(s, w.b, w.n, "busy.prof", NULL, &res, &err);
    CHECK(rc == PV_OK && res.created && stored(s) == 1, "upload_stores_once_the_turn_is_free",
          "rc %d: %s", rc, err.msg);
    if (rc == PV_OK)
        free(res.name);
    struct pv_store_gate_load load;
    pv_store_gate_peek(g, &load);
    CHECK(!load.parsing && !load.writing, "the_gate_is_empty_after", "%u %d", load.parsing,
          load.writing);
    pv_store_close(s);
    pv_store_gate_destroy(g);
}

/* The big input, a fresh store, and a gate on it with one parse turn. */
struct big_case {
    uint8_t *bytes;
    size_t len;
    struct pv_store *s;
    struct pv_store_gate *g;
};

/* Open c for the input at path; false, with a failed check, when any
 * part cannot be had (then nothing is left to close). */
static bool big_case_open(struct big_case *c, const char *path)
{
    *c = (struct big_case){.s = fresh_store()};
    c->bytes = read_file(path, &c->len);
    struct pv_store_gate_limits lim = {.max_parsing = 1, .max_queued_writes = 4};
    pv_err err = {0};
    if (!c->bytes || c->len < (2u << 20) || !c->s || pv_store_gate_create(&lim, &c->g, &err)) {
        CHECK(false, "big_input_and_store_open", "%s: %zu bytes; %s", path, c->len, err.msg);
        free(c->bytes);
        pv_store_close(c->s);
        return false;
    }
    pv_store_set_gate(c->s, c->g);
    return true;
}

static void big_case_close(struct big_case *c)
{
    pv_store_close(c->s);
    pv_store_gate_destroy(c->g);
    free(c->bytes);
}

/* A big input: its id hashed beside the parse, which stops once the id
 * shows the bytes are stored already; the answers are those of a small
 * input's. */
static void big_bytes_are_stored_once(const char *big)
{
    struct big_case c;
    if (!big_case_open(&c, big))
        return;
    uint8_t *bytes = c.bytes;
    size_t len = c.len;
    struct pv_store *s = c.s;
    pv_err err = {0};
    char id[PV_STORE_ID_HEX + 1];
    pv_store_id_of(bytes, len, id);
    struct pv_store_record res;
    struct pv_profile *parsed = NULL;
    pv_code rc = pv_import_bytes(s, bytes, len, "big.prof", &parsed, &res, &err);
    CHECK(rc == PV_OK && res.created && !strcmp(res.id, id) && parsed &&
              res.functions == parsed->nreal,
          "big_bytes_are_stored_under_their_id", "rc %d: %s", rc, err.msg);
    if (rc == PV_OK)
        free(res.name);
    /* finished beside the store: the model of a parse in one step */
    struct pv_profile *want = NULL;
    pv_profile_parse(bytes, len, &want, &err);
    CHECK(parsed && want && parsed->nfuncs == want->nfuncs && parsed->nedges == want->nedges &&
              parsed->total_calls == want->total_calls &&
              !memcmp(parsed->funcs, want->funcs, want->nfuncs * sizeof *want->funcs) &&
              !memcmp(parsed->edges, want->edges, want->nedges * sizeof *want->edges) &&
              !memcmp(parsed->by_callee, want->by_callee, want->nedges * sizeof(uint32_t)),
          "big_model_is_the_parsed_model", "%u/%u functions, %u/%u edges",
          parsed ? parsed->nfuncs : 0, want ? want->nfuncs : 0, parsed ? parsed->nedges : 0,
          want ? want->nedges : 0);
    pv_profile_destroy(want);
    pv_profile_destroy(parsed);

    parsed = (struct pv_profile *)&parsed;
    rc = pv_import_bytes(s, bytes, len, "again.prof", &parsed, &res, &err);
    CHECK(rc == PV_OK && !res.created && !strcmp(res.id, id) && !strcmp(res.name, "big.prof") &&
              !parsed,
          "big_bytes_stored_already_give_their_record", "rc %d, created %d: %s", rc,
          res.created, err.msg);
    if (rc == PV_OK)
        free(res.name);

    char path[4200];
    rc = pv_import_file(s, scratch_file(path, "big.prof", bytes, (long)len), &res, &err);
    CHECK(rc == PV_OK && !res.created && !strcmp(res.id, id), "big_file_stored_already_too",
          "rc %d: %s", rc, err.msg);
    if (rc == PV_OK)
        free(res.name);

    /* Every parse turn taken: the id alone answers. */
    pv_store_parse_enter(s, &err);
    rc = pv_import_bytes(s, bytes, len, "busy.prof", NULL, &res, &err);
    CHECK(rc == PV_OK && !res.created, "big_bytes_stored_already_need_no_parse_turn",
          "rc %d: %s", rc, err.msg);
    if (rc == PV_OK)
        free(res.name);
    bytes[len - 1] ^= 1; /* other bytes: a new id, which must wait for the turn */
    rc = pv_import_bytes(s, bytes, len, "busy.prof", NULL, &res, &err);
    CHECK(rc == PV_E_BUSY, "new_big_bytes_wait_for_the_parse_turn", "rc %d: %s", rc, err.msg);
    pv_store_parse_leave(s, 1.0);

    /* A bad type code in the first entry: the parse fails before the id
     * is hashed, and the id's thread is joined all the same. */
    bytes[1] = '?';
    rc = pv_import_bytes(s, bytes, len, "bad.prof", NULL, &res, &err);
    CHECK(rc == PV_E_FORMAT, "big_bad_bytes_are_refused", "rc %d: %s", rc, err.msg);
    CHECK(stored(s) == 1, "one_big_profile_is_stored", "%d", stored(s));
    big_case_close(&c);
}

/* A marshal int of 2**62: 'l', five 15-bit digits, the last 4. */
static size_t long_2_62(uint8_t *out)
{
    static const uint8_t l[] = {'l', 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0};
    memcpy(out, l, sizeof l);
    return sizeof l;
}

/* The big input with two entries in front whose call counts are 2**62
 * each: its functions read, stored beside the finish, which then fails
 * (their total does not fit in 64 bits).  The import stores nothing and
 * leaves the write turn free: the next one stores. */
static void big_bytes_whose_finish_fails_store_nothing(const char *big)
{
    struct big_case c;
    if (!big_case_open(&c, big))
        return;
    const uint8_t *bytes = c.bytes;
    size_t len = c.len;
    struct pv_store *s = c.s;
    pv_err err = {0};
    uint8_t *odd = malloc(len + 200);
    if (!odd) {
        CHECK(false, "big_input_copied", "%zu bytes", len + 200);
        big_case_close(&c);
        return;
    }
    size_t n = 0;
    odd[n++] = bytes[0]; /* the dict, flagged for references or not */
    for (int k = 0; k < 2; k++) {
        static const uint8_t key[] = {')', 3, 'u', 6, 0, 0, 0, 'o', 'd', 'd', '.', 'p', 'y',
                                      'i', 1, 0, 0, 0, 'u', 1, 0, 0, 0};
        memcpy(odd + n, key, sizeof key);
        n += sizeof key;
        odd[n++] = (uint8_t)('a' + k); /* the function's name */
        static const uint8_t cc[] = {')', 5, 'i', 1, 0, 0, 0};
        memcpy(odd + n, cc, sizeof cc);
        n += sizeof cc;
        n += long_2_62(odd + n);
        static const uint8_t times[] = {'g', 0, 0, 0, 0, 0, 0, 0, 0, 'g', 0, 0, 0, 0, 0, 0, 0,
                                        0, '{', '0'};
        memcpy(odd + n, times, sizeof times);
        n += sizeof times;
    }
    memcpy(odd + n, bytes + 1, len - 1);
    n += len - 1;
    struct pv_store_record res;
    struct pv_profile *parsed = NULL;
    pv_code rc = pv_import_bytes(s, odd, n, "odd.prof", &parsed, &res, &err);
    struct pv_store_gate_load load;
    pv_store_gate_peek(c.g, &load);
    CHECK(rc == PV_E_LIMIT && strstr(err.msg, "does not fit in 64 bits") && !parsed &&
              stored(s) == 0 && !load.parsing && !load.writing,
          "big_bytes_whose_finish_fails_store_nothing", "rc %d: %s; parsing %u, writing %d",
          rc, err.msg, load.parsing, load.writing);
    rc = pv_import_bytes(s, bytes, len, "big.prof", NULL, &res, &err);
    CHECK(rc == PV_OK && res.created && stored(s) == 1, "and_the_next_import_stores",
          "rc %d: %s", rc, err.msg);
    if (rc == PV_OK)
        free(res.name);
    free(odd);
    big_case_close(&c);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: test_import DIR BIG\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    mkdir(dir, 0700);
    files_and_uploads_store_alike();
    bad_and_missing_files_store_nothing();
    files_are_read_without_storing();
    busy_parse_turn_stores_nothing();
    big_bytes_are_stored_once(argv[2]);
    big_bytes_whose_finish_fails_store_nothing(argv[2]);
    return check_done();
}
