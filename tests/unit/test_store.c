/* Unit tests of the store (store.h) on databases in a scratch folder:
 * opening (a new file, a folder, a file that is no database, a newer
 * schema), storing a parsed profile and reading it back (record, model,
 * metadata with its warnings, the list), deleting with the token and
 * without, a failed import that leaves nothing, writes straight into the
 * file, ids, and the gate's parse turn.  Writers in turn are
 * test_store_gate.c's; the pipeline in front of the store is
 * test_import.c's.
 *
 * usage: test_store DIR   (DIR: a folder for scratch databases) */
#include <cjson/cJSON.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pack.h"
#include "profile_table.h"
#include "store.h"

static char dir[4096];
static int ndbs;

/* A new database path in the scratch folder, its files removed first. */
static const char *fresh_path(char path[4200])
{
    snprintf(path, 4200, "%s/test_store_%d.db", dir, ndbs++);
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        char f[4300];
        snprintf(f, sizeof f, "%s%s", path, suffix[i]);
        unlink(f);
    }
    return path;
}

/* A negative count makes a warning; the file's name holds a quote and a
 * backslash, which the warning repeats and the stored JSON must escape. */
static const struct fn FUNCS[] = {
    {"app.py", 1, "main", 1, 1, 0.5, 2.0, false},
    {"we\"ird\\.py", 7, "f", -1, 2, 1.5, 1.5, false},
};
static const struct call CALLS[] = {
    {0, 1, 2, 2, 1.5, 1.5, false},
    {-1, 0, 0, 0, 0, 0, false},
};

/* The bytes of the table's stats file, with tag making them (and the id)
 * their own. */
static void table_bytes(struct w *w, int tag)
{
    w->n = 0;
    profile_of_tables(w, FUNCS, 2, CALLS);
    w->b[w->n++] = (uint8_t)tag; /* ignored after the dict, with a warning */
}

/* Store the table's file tagged tag through pv_store_import, as the
 * pipeline does: *p is the model (caller destroys). */
static pv_code store_table(struct pv_store *s, int tag, const char *name, struct pv_profile **p,
                           struct pv_store_record *res, pv_err *err)
{
    struct w w;
    table_bytes(&w, tag);
    *p = NULL;
    if (pv_profile_parse(w.b, w.n, p, err))
        return err->code;
    char id[PV_STORE_ID_HEX + 1];
    pv_store_id_of(w.b, w.n, id);
    struct pv_pack_writer model;
    pv_pack_writer_init(&model, *p);
    return pv_store_import(s, id, *p, &model, NULL, w.n, name, res, err);
}

/* What sql, a query of one integer, gives on its own connection to the
 * database at path; -1 when it cannot be asked. */
static int count_of(const char *path, const char *sql)
{
    sqlite3 *db;
    int n = -1;
    if (sqlite3_open(path, &db) == SQLITE_OK) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    return n;
}

/* Rows of names, functions and models whose profile is gone: a delete
 * leaves none (ON DELETE CASCADE, which needs foreign keys on). */
static const char ORPHANS[] =
    "SELECT (SELECT count(*) FROM strings WHERE profile NOT IN (SELECT pk FROM profiles))"
    " + (SELECT count(*) FROM functions WHERE profile NOT IN (SELECT pk FROM profiles))"
    " + (SELECT count(*) FROM model_parts WHERE profile NOT IN (SELECT pk FROM profiles))";

static void ids_are_sha256_prefixes(void)
{
    char id[PV_STORE_ID_HEX + 1];
    pv_store_id_of((const uint8_t *)"abc", 3, id);
    CHECK(!strcmp(id, "ba7816bf8f01cfea414140de5dae2223"), "id_is_the_sha256_prefix", "%s", id);
    pv_store_id_of((const uint8_t *)"", 0, id);
    CHECK(!strcmp(id, "e3b0c44298fc1c149afbf4c8996fb924"), "empty_bytes_have_an_id", "%s", id);
}

static void opening_makes_a_new_database_or_says_why_not(void)
{
    char path[4200];
    struct pv_store *s = NULL;
    pv_err err = {0};
    pv_code rc = pv_store_open(fresh_path(path), &s, &err);
    struct pv_store_space space = {0};
    CHECK(rc == PV_OK && !pv_store_space_of(s, &space, &err) && space.gives_back &&
              space.page_bytes == 65536,
          "new_database_gives_space_back", "rc %d, %s", rc, err.msg);
    pv_store_close(s);
    /* open again: the schema is there already */
    s = NULL;
    rc = pv_store_open(path, &s, &err);
    CHECK(rc == PV_OK, "database_opens_again", "%s", err.msg);
    pv_store_close(s);
    pv_store_close(NULL); /* does nothing */

    s = NULL;
    rc = pv_store_open(dir, &s, &err);
    CHECK(rc == PV_E_DB && !s && strstr(err.msg, "it is a directory"), "folder_is_refused",
          "rc %d: %s", rc, err.msg);

    FILE *f = fopen(fresh_path(path), "w");
    fputs("these are not the pages of a database, but they are long enough to look at. "
          "SQLite reads the first hundred bytes as the header of the file.\n", f);
    fclose(f);
    rc = pv_store_open(path, &s, &err);
    CHECK(rc == PV_E_DB && !s && strstr(err.msg, "cannot open the database"),
          "text_file_is_refused", "rc %d: %s", rc, err.msg);

    /* a newer schema than this build knows */
    sqlite3 *db;
    if (sqlite3_open(fresh_path(path), &db) == SQLITE_OK)
        sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(db);
    rc = pv_store_open(path, &s, &err);
    CHECK(rc == PV_E_DB && !s && strstr(err.msg, "schema version 99"),
          "newer_schema_is_refused", "rc %d: %s", rc, err.msg);
}

struct listed {
    int n;
    char ids[4][PV_STORE_ID_HEX + 1];
    int stop_after;
};

static bool list_one(const struct pv_store_meta *m, void *ctx)
{
    struct listed *l = ctx;
    if (l->n < 4)
        memcpy(l->ids[l->n], m->id, PV_STORE_ID_HEX + 1);
    l->n++;
    return l->n != l->stop_after;
}

/* A page of the list into l: the profiles whose names hold name (NULL:
 * all), from offset on, at most limit; their number in all in *total. */
static pv_code list_page(struct pv_store *s, const char *name, int64_t limit, int64_t offset,
                         struct listed *l, int64_t *total)
{
    struct pv_store_list_query q = {.name_contains = name, .limit = limit, .offset = offset};
    pv_err err;
    return pv_store_list(s, &q, list_one, l, total, &err);
}

static void stored_profiles_read_back_as_stored(void)
{
    char path[4200];
    struct pv_store *s = NULL;
    pv_err err = {0};
    if (pv_store_open(fresh_path(path), &s, &err)) {
        CHECK(false, "store_opens", "%s", err.msg);
        return;
    }
    struct pv_profile *p = NULL;
    struct pv_store_record res = {0};
    pv_code rc = store_table(s, 1, "first.prof", &p, &res, &err);
    CHECK(rc == PV_OK && res.created && !strcmp(res.name, "first.prof") && res.functions == 2 &&
              res.edges == 1 && res.total_calls == 3 && res.total_tt == 2.0 &&
              strlen(res.delete_token) == PV_STORE_TOKEN_HEX &&
              strspn(res.delete_token, "0123456789abcdef") == PV_STORE_TOKEN_HEX,
          "import_gives_a_record_and_a_token", "rc %d: %s", rc, err.msg);
    char id[PV_STORE_ID_HEX + 1], token[PV_STORE_TOKEN_HEX + 1];
    memcpy(id, res.id, sizeof id);
    memcpy(token, res.delete_token, sizeof token);
    free(res.name);

    /* the same bytes again: their record, no new token */
    struct pv_profile *again = NULL;
    rc = store_table(s, 1, "second.prof", &again, &res, &err);
    CHECK(rc == PV_OK && !res.created && !strcmp(res.id, id) && !strcmp(res.name, "first.prof") &&
              !res.delete_token[0],
          "same_bytes_are_stored_once_under_the_first_name", "rc %d, created %d, %s", rc,
          res.created, res.name);
    free(res.name);
    pv_profile_destroy(again);

    rc = pv_store_find(s, id, &res, &err);
    CHECK(rc == PV_OK && !res.created && res.functions == 2 && res.edges == 1,
          "find_gives_the_record", "rc %d: %s", rc, err.msg);
    if (rc == PV_OK)
        free(res.name);

    struct pv_profile *q = NULL;
    rc = pv_store_load(s, id, &q, &err);
    CHECK(rc == PV_OK && q->nfuncs == p->nfuncs && q->nedges == p->nedges &&
              q->strings_len == p->strings_len &&
              !memcmp(q->strings, p->strings, p->strings_len) &&
              !memcmp(q->funcs, p->funcs, p->nfuncs * sizeof *p->funcs) &&
              !memcmp(q->edges, p->edges, p->nedges * sizeof *p->edges),
          "load_gives_the_model_back", "rc %d: %s", rc, err.msg);
    pv_profile_destroy(q);

    struct pv_store_meta m;
    rc = pv_store_meta_init(&m, s, id, &err);
    cJSON *warnings = rc == PV_OK ? cJSON_Parse(m.warnings_json) : NULL;
    CHECK(rc == PV_OK && !strcmp(m.name, "first.prof") && m.functions == 2 && m.edges == 1 &&
              m.total_calls == 3 && m.prim_calls == 0 && m.total_tt == 2.0 &&
              m.marshal_version == p->marshal_version && m.size_bytes > 0,
          "meta_gives_the_row", "rc %d: %s", rc, err.msg);
    /* the warnings as the model has them, text for text */
    bool same = cJSON_IsArray(warnings) && cJSON_GetArraySize(warnings) == (int)p->nwarnings &&
                p->nwarnings == 2;
    for (unsigned k = 0; same && k < p->nwarnings; k++)
        same = !strcmp(cJSON_GetStringValue(cJSON_GetArrayItem(warnings, (int)k)),
                       p->warnings[k]);
    CHECK(same && strstr(p->warnings[0], "we\"ird\\.py"), "warnings_are_stored_as_json",
          "%s", rc == PV_OK ? m.warnings_json : err.msg);
    cJSON_Delete(warnings);
    if (rc == PV_OK)
        pv_store_meta_fini(&m);

    /* newest first; a callback that says stop is not called again */
    struct pv_profile *p2 = NULL;
    usleep(5000); /* created_ms must differ */
    rc = store_table(s, 2, "later.prof", &p2, &res, &err);
    char id2[PV_STORE_ID_HEX + 1];
    memcpy(id2, res.id, sizeof id2);
    if (rc == PV_OK)
        free(res.name);
    pv_profile_destroy(p2);
    struct listed all = {.stop_after = -1}, first = {.stop_after = 1};
    int64_t total = 0, first_total = 0;
    list_page(s, NULL, 100, 0, &all, &total);
    list_page(s, NULL, 100, 0, &first, &first_total);
    CHECK(all.n == 2 && total == 2 && first.n == 1 && first_total == 2 &&
              !strcmp(all.ids[0], id2) && !strcmp(all.ids[1], id) && !strcmp(first.ids[0], id2),
          "list_gives_newest_first_and_stops_when_asked", "%d and %d listed", all.n, first.n);
    struct listed second = {.stop_after = -1}, named = {.stop_after = -1};
    int64_t named_total = 0;
    list_page(s, NULL, 1, 1, &second, &total);
    list_page(s, "LATER", 100, 0, &named, &named_total);
    CHECK(second.n == 1 && total == 2 && !strcmp(second.ids[0], id) && named.n == 1 &&
              named_total == 1 && !strcmp(named.ids[0], id2),
          "list_pages_and_filters_names_in_any_case", "%d and %d listed", second.n, named.n);

    /* deleting takes the token */
    rc = pv_store_delete(s, id, "0123", &err);
    CHECK(rc == PV_E_DENIED, "wrong_token_is_denied", "rc %d: %s", rc, err.msg);
    rc = pv_store_delete(s, id, NULL, &err);
    CHECK(rc == PV_E_DENIED, "no_token_is_denied", "rc %d: %s", rc, err.msg);
    rc = pv_store_find(s, id, &res, &err);
    CHECK(rc == PV_OK, "denied_delete_deletes_nothing", "rc %d", rc);
    if (rc == PV_OK)
        free(res.name);
    rc = pv_store_delete(s, id, token, &err);
    CHECK(rc == PV_OK, "right_token_deletes", "rc %d: %s", rc, err.msg);
    CHECK(pv_store_find(s, id, &res, &err) == PV_E_NOTFOUND &&
              pv_store_load(s, id, &q, &err) == PV_E_NOTFOUND &&
              pv_store_meta_init(&m, s, id, &err) == PV_E_NOTFOUND &&
              strstr(err.msg, "no profile with id"),
          "deleted_profile_is_gone", "%s", err.msg);
    /* the imports turned foreign keys off for their transactions only */
    int orphans = count_of(path, ORPHANS);
    CHECK(orphans == 0, "a_delete_after_imports_takes_the_profiles_rows", "%d rows left",
          orphans);
    rc = pv_store_delete(s, id, token, &err);
    CHECK(rc == PV_E_NOTFOUND, "deleting_twice_is_not_found", "rc %d", rc);
    all = (struct listed){.stop_after = -1};
    list_page(s, NULL, 100, 0, &all, &total);
    CHECK(all.n == 1 && total == 1 && !strcmp(all.ids[0], id2), "the_other_profile_stays",
          "%d listed", all.n);
    pv_profile_destroy(p);
    pv_store_close(s);
}

/* A failure inside the transaction leaves the database as it was. */
static void failed_import_leaves_nothing(void)
{
    char path[4200];
    struct pv_store *s = NULL;
    pv_err err = {0};
    if (pv_store_open(fresh_path(path), &s, &err)) {
        CHECK(false, "store_opens", "%s", err.msg);
        return;
    }
    setenv("PSTATSVIZ_TEST_IMPORT_FAULT", "fail", 1);
    struct pv_profile *p = NULL;
    struct pv_store_record res;
    pv_code rc = store_table(s, 3, "failing.prof", &p, &res, &err);
    unsetenv("PSTATSVIZ_TEST_IMPORT_FAULT");
    CHECK(rc == PV_E_DB && strstr(err.msg, "on purpose"), "failing_import_fails", "rc %d: %s",
          rc, err.msg);
    pv_profile_destroy(p);
    struct listed all = {.stop_after = -1};
    int64_t total = -1;
    list_page(s, NULL, 100, 0, &all, &total);
    int rows = count_of(path, "SELECT (SELECT count(*) FROM strings) + (SELECT count(*) FROM "
                              "functions) + (SELECT count(*) FROM model_parts)");
    CHECK(all.n == 0 && total == 0 && rows == 0, "no_row_of_it_is_left", "%d profiles, %d rows",
          all.n, rows);
    /* and the connection still works */
    rc = store_table(s, 3, "failing.prof", &p, &res, &err);
    CHECK(rc == PV_OK && res.created, "the_next_import_stores", "rc %d: %s", rc, err.msg);
    if (rc == PV_OK)
        free(res.name);
    pv_profile_destroy(p);
    /* a failed import, then a delete on the same connection: the
     * rollback turned foreign keys back on */
    setenv("PSTATSVIZ_TEST_IMPORT_FAULT", "fail", 1);
    struct pv_store_record failed;
    rc = store_table(s, 4, "failing.prof", &p, &failed, &err);
    unsetenv("PSTATSVIZ_TEST_IMPORT_FAULT");
    pv_profile_destroy(p);
    pv_code deleted = pv_store_delete(s, res.id, res.delete_token, &err);
    int orphans = count_of(path, ORPHANS);
    CHECK(rc == PV_E_DB && deleted == PV_OK && orphans == 0,
          "a_delete_after_a_failed_import_takes_the_profiles_rows",
          "import %d, delete %d, %d rows left", rc, deleted, orphans);
    pv_store_close(s);
}

/* The import's two steps (pv_store_import_begin/_commit), as import.c takes
 * them: abandoned after the first (the model's finish failed), nothing is
 * left, and the write turn and foreign keys are as before; the id stored
 * already, begin gives its record and opens nothing. */
static void import_in_two_steps(void)
{
    char path[4200];
    struct pv_store *s = NULL;
    struct pv_store_gate *g = NULL;
    struct pv_store_gate_limits lim = {.max_parsing = 1, .max_queued_writes = 1};
    pv_err err = {0};
    if (pv_store_open(fresh_path(path), &s, &err) || pv_store_gate_create(&lim, &g, &err)) {
        CHECK(false, "store_and_gate_open", "%s", err.msg);
        pv_store_close(s);
        return;
    }
    pv_store_set_gate(s, g);
    struct pv_profile *kept = NULL;
    struct pv_store_record first;
    pv_code rc = store_table(s, 5, "kept.prof", &kept, &first, &err);
    pv_profile_destroy(kept);
    if (rc == PV_OK)
        free(first.name);

    struct w w;
    table_bytes(&w, 6);
    struct pv_profile *p = NULL;
    pv_profile_parse(w.b, w.n, &p, &err);
    char id[PV_STORE_ID_HEX + 1];
    pv_store_id_of(w.b, w.n, id);
    struct pv_store_import_txn txn;
    struct pv_store_record res;
    pv_code begun = p ? pv_store_import_begin(s, id, p, &txn, &res, &err) : PV_E_FORMAT;
    int written = count_of(path, "SELECT count(*) FROM functions");
    struct pv_store_gate_load load;
    pv_store_gate_peek(g, &load);
    CHECK(rc == PV_OK && begun == PV_OK && txn.open && load.writing && written == 2,
          "begin_holds_the_turn_with_its_rows_unseen",
          "kept %d, begin %d, open %d, writing %d, %d function rows seen", rc, begun,
          begun == PV_OK && txn.open, load.writing, written);
    if (begun == PV_OK)
        pv_store_import_abandon(&txn);
    pv_store_import_abandon(&txn); /* closed already: does nothing */
    pv_store_gate_peek(g, &load);
    int rows = count_of(path, "SELECT (SELECT count(*) FROM profiles) + (SELECT count(*) FROM "
                              "strings) + (SELECT count(*) FROM functions) + (SELECT count(*) "
                              "FROM model_parts)");
    int kept_rows = count_of(path, "SELECT 1 + (SELECT count(*) FROM strings) + (SELECT "
                                   "count(*) FROM functions) + (SELECT count(*) FROM model_parts)");
    CHECK(!load.writing && rows == kept_rows, "an_abandoned_import_leaves_nothing",
          "writing %d, %d rows, %d kept", load.writing, rows, kept_rows);

    /* Foreign keys are on again: the delete takes the kept profile's rows. */
    pv_code deleted = rc == PV_OK ? pv_store_delete(s, first.id, first.delete_token, &err) : rc;
    rows = count_of(path, "SELECT (SELECT count(*) FROM strings) + (SELECT count(*) FROM "
                          "functions) + (SELECT count(*) FROM model_parts)");
    CHECK(deleted == PV_OK && rows == 0, "a_delete_after_it_takes_every_row",
          "delete %d: %s; %d rows left", deleted, err.msg, rows);

    /* Stored since the caller looked: begin answers its record. */
    struct pv_pack_writer model;
    pv_pack_writer_init(&model, p);
    rc = pv_store_import(s, id, p, &model, NULL, w.n, "six.prof", &res, &err);
    struct pv_store_record again = {0};
    begun = pv_store_import_begin(s, id, p, &txn, &again, &err);
    pv_store_gate_peek(g, &load);
    CHECK(rc == PV_OK && begun == PV_OK && !txn.open && !again.created &&
              again.name && !strcmp(again.name, "six.prof") && !load.writing,
          "begin_on_a_stored_id_gives_its_record", "import %d, begin %d: %s", rc, begun,
          err.msg);
    free(again.name);
    if (rc == PV_OK)
        free(res.name);
    pv_profile_destroy(p);
    pv_store_close(s);
    pv_store_gate_destroy(g);
}

/* Whether path's file of the given suffix ("-wal") exists. */
static bool file_exists(const char *path, const char *suffix)
{
    char f[4300];
    snprintf(f, sizeof f, "%s%s", path, suffix);
    return access(f, F_OK) == 0;
}

/* Whether the database file says WAL mode: bytes 18 and 19 of its header
 * (the read and write versions) are 2, where a rollback journal's are 1. */
static bool header_says_wal(const char *path)
{
    unsigned char h[20] = {0};
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(h, 1, sizeof h, f) : 0;
    if (f)
        fclose(f);
    return n == sizeof h && h[18] == 2 && h[19] == 2;
}

/* What the checks below look at, for their messages. */
static const char *files_of(const char *path)
{
    static char out[200];
    snprintf(out, sizeof out, "WAL header %d, -wal %d, -journal %d, %d profiles",
             header_says_wal(path), file_exists(path, "-wal"), file_exists(path, "-journal"),
             count_of(path, "SELECT count(*) FROM profiles"));
    return out;
}

/* Table tagged tag stored through s; false (with a CHECK) if it was not. */
static bool stores(struct pv_store *s, int tag, const char *what)
{
    struct pv_profile *p = NULL;
    struct pv_store_record res;
    pv_err err = {0};
    pv_code rc = store_table(s, tag, "direct.prof", &p, &res, &err);
    pv_profile_destroy(p);
    CHECK(rc == PV_OK && res.created, what, "rc %d: %s", rc, err.msg);
    if (rc == PV_OK)
        free(res.name);
    return rc == PV_OK;
}

/* A connection with the file to itself writes into the file itself, not
 * into a WAL; the file is in WAL mode again once it closes.  Beside another
 * connection it cannot leave WAL mode, and writes through the WAL. */
static void a_connection_alone_writes_the_file_directly(void)
{
    char path[4200];
    struct pv_store *a = NULL, *b = NULL;
    pv_err err = {0};
    if (pv_store_open(fresh_path(path), &a, &err)) {
        CHECK(false, "store_opens", "%s", err.msg);
        return;
    }
    CHECK(pv_store_write_direct(a), "alone_it_writes_directly", "%s", files_of(path));
    if (stores(a, 10, "a_direct_import_stores"))
        CHECK(!file_exists(path, "-wal") && !file_exists(path, "-journal") &&
                  !header_says_wal(path) && count_of(path, "SELECT count(*) FROM profiles") == 1,
              "the_import_is_in_the_file_with_no_wal_or_journal_beside_it", "%s", files_of(path));
    pv_store_close(a);
    CHECK(header_says_wal(path) && !file_exists(path, "-journal"),
          "closed_the_file_is_in_wal_mode_again", "%s", files_of(path));

    /* a connection opening meanwhile sets WAL mode, and a follows it */
    if (pv_store_open(path, &a, &err) || !pv_store_write_direct(a) ||
        pv_store_open(path, &b, &err)) {
        CHECK(false, "alone_again_then_a_second_connection_opens", "%s", err.msg);
        pv_store_close(a);
        return;
    }
    CHECK(header_says_wal(path), "a_connection_opening_sets_wal_mode_again", "%s", files_of(path));
    if (stores(a, 11, "the_next_import_stores_beside_it"))
        CHECK(file_exists(path, "-wal") && count_of(path, "SELECT count(*) FROM profiles") == 2,
              "and_goes_through_the_wal", "%s", files_of(path));
    pv_store_close(b);
    pv_store_close(a);

    /* beside another connection */
    if (pv_store_open(path, &a, &err) || pv_store_open(path, &b, &err)) {
        CHECK(false, "stores_open_again", "%s", err.msg);
        pv_store_close(a);
        return;
    }
    CHECK(!pv_store_write_direct(a), "beside_another_connection_it_cannot", "%s", files_of(path));
    if (stores(a, 12, "it_still_imports"))
        CHECK(header_says_wal(path) && file_exists(path, "-wal"), "through_the_wal", "%s",
              files_of(path));
    pv_store_close(a);
    pv_store_close(b);
    CHECK(count_of(path, "SELECT count(*) FROM profiles") == 3, "all_three_are_stored", "%s",
          files_of(path));
}

/* The gate bounds parsing: the pipeline asks for a turn, and gets
 * PV_E_BUSY past max_parsing, with a time to try again. */
static void parse_turns_are_bounded_by_the_gate(void)
{
    char path[4200];
    struct pv_store *a = NULL, *b = NULL;
    struct pv_store_gate *g = NULL;
    pv_err err = {0};
    struct pv_store_gate_limits lim = {.max_parsing = 1, .max_queued_writes = 1};
    if (pv_store_open(fresh_path(path), &a, &err) || pv_store_open(path, &b, &err) ||
        pv_store_gate_create(&lim, &g, &err)) {
        CHECK(false, "stores_and_gate_open", "%s", err.msg);
        pv_store_close(a);
        pv_store_close(b);
        return;
    }
    CHECK(pv_store_parse_enter(a, &err) == PV_OK && pv_store_parse_enter(a, &err) == PV_OK,
          "without_a_gate_parsing_is_not_bounded", "%s", err.msg);
    pv_store_set_gate(a, g);
    pv_store_set_gate(b, g);
    pv_code first = pv_store_parse_enter(a, &err), second = pv_store_parse_enter(b, &err);
    CHECK(first == PV_OK && second == PV_E_BUSY && strstr(err.msg, "being read already") &&
              pv_store_retry_after_s(b) >= 1,
          "one_parse_past_the_limit_is_busy", "%d %d: %s", first, second, err.msg);
    struct pv_store_gate_load load;
    pv_store_gate_peek(g, &load);
    CHECK(load.parsing == 1, "the_gate_counts_the_parse", "%u", load.parsing);
    pv_store_parse_leave(a, 5.0);
    pv_store_gate_peek(g, &load);
    CHECK(load.parsing == 0 && pv_store_parse_enter(b, &err) == PV_OK,
          "a_parse_that_leaves_makes_room", "%u: %s", load.parsing, err.msg);
    pv_store_parse_leave(b, 5.0);
    pv_store_close(a);
    pv_store_close(b);
    pv_store_gate_destroy(g);
}

/* Collects the ids pv_store_memory_of_profile lists. */
struct memory_listed {
    char ids[32][PV_STORE_ID_HEX + 1];
    size_t n;
};

static bool list_memory_id(const struct pv_store_memory *m, void *ctx)
{
    struct memory_listed *l = ctx;
    if (l->n < 32)
        memcpy(l->ids[l->n++], m->id, sizeof l->ids[0]);
    return true;
}

/* The first memory record attached is the one a comparison shows, so the
 * order of attachment is kept, not only to the millisecond: records
 * attached in one millisecond came out in the order of their ids.  Ids
 * here fall as the records are attached, so any tie shows. */
static void memory_is_listed_in_attachment_order(void)
{
    const char *name = "memory_is_listed_in_attachment_order";
    char path[4200];
    struct pv_store *s = NULL;
    pv_err err = {0};
    if (pv_store_open(fresh_path(path), &s, &err)) {
        CHECK(false, name, "%s", err.msg);
        return;
    }
    char pids[2][PV_STORE_ID_HEX + 1];
    for (int k = 0; k < 2; k++) {
        struct pv_profile *p = NULL;
        struct pv_store_record rec = {0};
        pv_code rc = store_table(s, 40 + k, "attached.prof", &p, &rec, &err);
        CHECK(rc == PV_OK, name, "profile %d: %s", k, err.msg);
        memcpy(pids[k], rec.id, sizeof pids[k]);
        free(rec.name);
        pv_profile_destroy(p);
    }
    enum { N = 24 };
    char ids[N][PV_STORE_ID_HEX + 1];
    for (int k = 0; k < N; k++) {
        snprintf(ids[k], sizeof ids[k], "%032x", N - k);
        struct pv_store_memory_new m = {.id = ids[k], .name = "report.txt", .kind = "lines",
                                        .size_bytes = 1, .summary_json = "{}",
                                        .record_json = "{}"};
        struct pv_store_memory_import res;
        /* the last one goes to the second profile first */
        pv_code rc = pv_store_memory_import(s, &m, pids[k == N - 1], &res, &err);
        CHECK(rc == PV_OK && res.attached, name, "import %d: %s", k, err.msg);
        if (rc == PV_OK)
            pv_store_memory_import_fini(&res);
    }
    bool added = false;
    CHECK(pv_store_memory_attach(s, ids[N - 1], pids[0], &added, &err) == PV_OK && added, name,
          "attach: %s", err.msg);
    struct memory_listed l = {0};
    CHECK(pv_store_memory_of_profile(s, pids[0], 0, list_memory_id, &l, &err) == PV_OK, name, "%s",
          err.msg);
    CHECK(l.n == N, name, "%zu listed", l.n);
    for (size_t k = 0; k < l.n; k++)
        CHECK(!strcmp(l.ids[k], ids[k]), name, "listed %zu is %s, attached as %s", k, l.ids[k],
              ids[k]);
    struct pv_store_memory m;
    if (pv_store_memory_init(&m, s, ids[N - 1], 0, &err) == PV_OK) {
        CHECK(m.nattached == 2 && !strcmp(m.attached_to[0], pids[1]) &&
                  !strcmp(m.attached_to[1], pids[0]),
              name, "attached_to: oldest attachment first");
        pv_store_memory_fini(&m);
    } else
        CHECK(false, name, "%s", err.msg);
    pv_store_close(s);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_store DIR\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    ids_are_sha256_prefixes();
    opening_makes_a_new_database_or_says_why_not();
    stored_profiles_read_back_as_stored();
    failed_import_leaves_nothing();
    import_in_two_steps();
    a_connection_alone_writes_the_file_directly();
    parse_turns_are_bounded_by_the_gate();
    memory_is_listed_in_attachment_order();
    return check_done();
}
