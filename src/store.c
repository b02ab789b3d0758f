/* store.c - profiles in SQLite: opening the file, its journal modes and
 * checkpoints, storing a parsed profile, and the queries that read it back
 * (see store.h).  The tables and their migrations are store_schema.c's,
 * the write gate store_gate.c's, memory data store_memory.c's. */
#include "store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <nettle/sha2.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "pack.h"
#include "store_gate.h"
#include "store_private.h"

enum { ST_FIND, ST_INSERT_PROFILE, ST_INSERT_STRING, ST_INSERT_FUNC, ST_INSERT_MODEL, ST_LOAD,
       ST_LOAD_PARTS, ST_META, ST_LIST, ST_LIST_COUNT, ST_TOKEN, ST_DELETE, ST_COUNT };

static const char *const SQL[ST_COUNT] = {
    [ST_FIND] = "SELECT name, functions, edges, total_calls, total_tt FROM profiles WHERE id = ?",
    [ST_INSERT_PROFILE] =
        "INSERT INTO profiles(pk, id, name, size_bytes, marshal_version, python2, created_ms,"
        " total_calls, prim_calls, total_tt, functions, edges, warnings, delete_token_sha256,"
        " entries) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [ST_INSERT_STRING] = "INSERT INTO strings VALUES(?,?,?)",
    [ST_INSERT_FUNC] = "INSERT INTO functions VALUES(?,?,?,?,?,?,?,?,?)",
    [ST_INSERT_MODEL] = "INSERT INTO model_parts VALUES(?,?,?)",
    [ST_LOAD] = "SELECT pk, (SELECT sum(length(bytes)) FROM model_parts WHERE profile = pk)"
                " FROM profiles WHERE id = ?",
    [ST_LOAD_PARTS] = "SELECT bytes FROM model_parts WHERE profile = ? ORDER BY part",
    [ST_META] = "SELECT id, name, size_bytes, marshal_version, python2, created_ms, total_calls,"
                " prim_calls, total_tt, functions, edges, warnings, entries FROM profiles WHERE id = ?",
    [ST_LIST] = "SELECT id, name, size_bytes, marshal_version, python2, created_ms, total_calls,"
                " prim_calls, total_tt, functions, edges, warnings, NULL FROM profiles"
                " WHERE ?1 IS NULL OR instr(lower(name), lower(?1)) > 0"
                " ORDER BY created_ms DESC, id LIMIT ?2 OFFSET ?3",
    [ST_LIST_COUNT] = "SELECT count(*) FROM profiles"
                      " WHERE ?1 IS NULL OR instr(lower(name), lower(?1)) > 0",
    [ST_TOKEN] = "SELECT delete_token_sha256 FROM profiles WHERE id = ?",
    [ST_DELETE] = "DELETE FROM profiles WHERE id = ?",
};

/* Another process may hold the write lock (pstatsviz import beside a
 * server): wait this long for it.  Inside one process the gate orders the
 * writers, so they never wait here on each other. */
enum { BUSY_TIMEOUT_MS = 10000 };

/* A TRUNCATE checkpoint waits for readers of older snapshots to finish.
 * Reads take milliseconds; past this the WAL is left for the next writer
 * to try again (its frames are all committed: nothing is lost). */
enum { CHECKPOINT_WAIT_MS = 1000 };

struct pv_store {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    struct pv_store_gate *gate; /* borrowed, or NULL */
    int64_t page_bytes;
    int wal_pages;              /* after our last commit (sqlite3_wal_hook) */
    bool leaves_checkpoints;    /* pv_store_leave_checkpoints() */
    bool writes_direct;         /* pv_store_write_direct(): back to WAL on close */
    unsigned retry_after_s;     /* after PV_E_BUSY */
};

/* err for SQLite's last error on s, msg its message; what (may be NULL)
 * says what was being done. */
static pv_code db_error_msg(struct pv_store *s, pv_err *err, const char *what, const char *msg)
{
    int ext = sqlite3_extended_errcode(s->db), rc = ext & 0xff;
    const char *sep = what ? ": " : "";
    what = what ? what : "";
    /* SQLite says SQLITE_FULL when a write comes up short (ENOSPC), and
     * SQLITE_IOERR_WRITE when one is refused outright: EFBIG past a file
     * size limit (ulimit -f), EDQUOT, or the same full disk a write later.
     * Its errno is not kept for the WAL's writes, so all of these are
     * "cannot store": a clean, retryable refusal, not an internal error. */
    if (rc == SQLITE_FULL)
        return pv_err_set(err, PV_E_FULL, "%s%sthe disk is full", what, sep);
    if (ext == SQLITE_IOERR_WRITE)
        return pv_err_set(err, PV_E_FULL, "%s%sthe database's files cannot be written (the disk"
                          " is full, or a file size or quota limit was reached)", what, sep);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        s->retry_after_s = 1;
        return pv_err_set(err, PV_E_BUSY, "%s%sanother process holds the database's write lock"
                          " (%s)", what, sep, msg);
    }
    return pv_err_set(err, PV_E_DB, "%s%s%s", what, sep, msg);
}

static pv_code db_error(struct pv_store *s, pv_err *err, const char *what)
{
    return db_error_msg(s, err, what, sqlite3_errmsg(s->db));
}

pv_code pv_store_exec(struct pv_store *s, const char *sql, pv_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        pv_code code = db_error_msg(s, err, NULL, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return code;
    }
    return PV_OK;
}

/* ---- the gate's turns (store_gate.c) ----------------------------------- */

pv_code pv_store_parse_enter(struct pv_store *s, pv_err *err)
{
    return pv_store_gate_parse_enter(s->gate, &s->retry_after_s, err);
}

void pv_store_parse_leave(struct pv_store *s, double elapsed_ms)
{
    pv_store_gate_parse_leave(s->gate, elapsed_ms);
}

/* The write turn, waiting in line for it; PV_E_BUSY when the line is full,
 * or when wait_ms (0: no limit) passes first. */
static pv_code write_enter(struct pv_store *s, unsigned wait_ms, pv_err *err)
{
    return pv_store_gate_write_enter(s->gate, wait_ms, &s->retry_after_s, err);
}

/* Hand the turn to the next in line, if any; elapsed_ms since t0. */
static void write_leave(struct pv_store *s, const struct timespec *t0)
{
    pv_store_gate_write_leave(s->gate, pv_elapsed_ms(t0));
}

void pv_store_set_gate(struct pv_store *s, struct pv_store_gate *g)
{
    s->gate = g;
}

unsigned pv_store_retry_after_s(const struct pv_store *s)
{
    return s->retry_after_s ? s->retry_after_s : 1;
}

/* ---- space -------------------------------------------------------------- */

/* After each commit of this connection: how much the WAL holds.  Setting
 * this hook turns off SQLite's own autocheckpoint (1000 pages: 64 MB with
 * our pages), which after_write() replaces. */
static int on_wal_commit(void *ctx, sqlite3 *db, const char *schema, int pages)
{
    struct pv_store *s = ctx;
    s->wal_pages = pages;
    return SQLITE_OK;
}

/* Copy the WAL into the database and truncate it.  Failing is not an
 * error of the write before it: that is committed in the WAL, and the
 * next write tries again. */
static void checkpoint(struct pv_store *s)
{
    sqlite3_busy_timeout(s->db, CHECKPOINT_WAIT_MS);
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK)
        s->wal_pages = 0;
    else if (rc != SQLITE_BUSY) /* busy: readers of older snapshots, a normal thing */
        fprintf(stderr, "pstatsviz: checkpoint: %s\n", sqlite3_errmsg(s->db));
}

/* The writer's housekeeping after a committed write, still in its turn
 * (a TRUNCATE checkpoint waits for any other writer): after a delete, move
 * the pages in use into the freed ones and checkpoint, which cuts the file
 * to what is in use; after an import, checkpoint once the WAL holds
 * PV_STORE_WAL_CHECKPOINT_BYTES.  So a write starts with less than that in
 * the WAL and adds its own pages. */
static void after_write(struct pv_store *s, bool freed_pages)
{
    pv_err err;
    /* Its own transaction: on a disk too full for it the delete before
     * still stands, and the pages stay free for the next import. */
    if (freed_pages && pv_store_exec(s, "PRAGMA incremental_vacuum", &err))
        fprintf(stderr, "pstatsviz: giving space back: %s\n", err.msg);
    /* A file shrinks only when a checkpoint copies the vacuum in. */
    if (freed_pages || (!s->leaves_checkpoints &&
                        (int64_t)s->wal_pages * s->page_bytes >= PV_STORE_WAL_CHECKPOINT_BYTES))
        checkpoint(s);
}

pv_code pv_store_leave_checkpoints(struct pv_store *s, pv_err *err)
{
    if (pv_store_exec(s, "PRAGMA synchronous=FULL", err))
        return err->code;
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    s->leaves_checkpoints = true;
    return PV_OK;
}

bool pv_store_write_direct(struct pv_store *s)
{
    /* SQLite answers the mode it is in, the old one when it may not change
     * (another connection has the file open): an error or "wal". */
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=DELETE", -1, &q, NULL) != SQLITE_OK)
        return false;
    const unsigned char *mode = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_text(q, 0) : NULL;
    s->writes_direct = mode && !strcmp((const char *)mode, "delete");
    sqlite3_finalize(q);
    /* FULL, as SQLite advises with a rollback journal: NORMAL leaves out
     * a sync of the journal, and on some file systems a power cut could
     * then corrupt the file. */
    pv_err err;
    if (s->writes_direct && pv_store_exec(s, "PRAGMA synchronous=FULL", &err))
        fprintf(stderr, "pstatsviz: %s\n", err.msg);
    return s->writes_direct;
}

pv_code pv_store_query_int(struct pv_store *s, const char *sql, int64_t *out, pv_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
        return db_error(s, err, sql);
    int rc = sqlite3_step(q);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW)
        return db_error(s, err, sql);
    return PV_OK;
}

pv_code pv_store_space_of(struct pv_store *s, struct pv_store_space *out, pv_err *err)
{
    int64_t mode;
    if (pv_store_query_int(s, "PRAGMA page_size", &out->page_bytes, err) ||
        pv_store_query_int(s, "PRAGMA page_count", &out->pages, err) ||
        pv_store_query_int(s, "PRAGMA freelist_count", &out->free_pages, err) ||
        pv_store_query_int(s, "PRAGMA auto_vacuum", &mode, err))
        return err->code;
    out->gives_back = mode == 2; /* INCREMENTAL */
    return PV_OK;
}

pv_code pv_store_vacuum(struct pv_store *s, pv_err *err)
{
    if (write_enter(s, 0, err))
        return err->code;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* The mode takes effect when VACUUM rebuilds the file. */
    pv_code rc = pv_store_exec(s, "PRAGMA auto_vacuum = INCREMENTAL; VACUUM", err);
    if (!rc)
        checkpoint(s);
    write_leave(s, &t0);
    return rc;
}

/* Why opening failed, from SQLite's word and, where the OS said why, its. */
static pv_code open_error(struct pv_store *s, pv_err *err, const char *reason)
{
    char why[sizeof err->msg];
    snprintf(why, sizeof why, "%s", reason); /* reason may be err->msg itself */
    int sys = s->db ? sqlite3_system_errno(s->db) : 0;
    if (sys)
        return pv_err_set(err, PV_E_DB, "cannot open the database: %s (%s)", why,
                          strerror(sys));
    return pv_err_set(err, PV_E_DB, "cannot open the database: %s", why);
}

pv_code pv_store_open(const char *path, struct pv_store **out, pv_err *err)
{
    struct pv_store *s = calloc(1, sizeof *s);
    if (!s)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    struct stat st;
    if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
        pv_err_set(err, PV_E_DB, "cannot open the database: it is a directory");
        goto close_store;
    }
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        open_error(s, err, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto close_store;
    }
    /* SQLite falls back to read-only where it may not write; the store
     * must write (imports, WAL), so say so now rather than at the first
     * upload. */
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        pv_err_set(err, PV_E_DB, "cannot open the database: the file is read-only");
        goto close_store;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    /* 64 KiB pages (only a new, empty file takes them): a 20 MB model blob
     * is 320 pages instead of 5,000, and WAL writes and checkpoints do one
     * syscall per page.  Measured here: importing 100k functions went from
     * 0.73 s to 0.59 s.  Incremental auto-vacuum, which lets a delete give
     * its pages back (after_write), is likewise for a new file only, and
     * only there: on an existing one the pragma takes the write lock (to
     * write the mode again), so opening a connection would wait for the
     * writer.  Both before journal_mode=WAL, which writes the first page.
     * The journal size limit trims a WAL that a checkpoint could only
     * rewind, not truncate (readers were in it).  Temporary files stay in
     * memory: an import's statement journals (insert_functions()) are a
     * page or two.  page_count is the first
     * statement that reads the file, so it is where "not a database"
     * shows. */
    int64_t pages = 0;
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
             " PRAGMA temp_store=MEMORY; PRAGMA journal_size_limit=%d",
             PV_STORE_WAL_CHECKPOINT_BYTES);
    if (pv_store_exec(s, "PRAGMA page_size=65536", err) ||
        pv_store_query_int(s, "PRAGMA page_count", &pages, err) ||
        (pages == 0 && pv_store_exec(s, "PRAGMA auto_vacuum=INCREMENTAL", err)) ||
        pv_store_exec(s, pragmas, err)) {
        open_error(s, err, sqlite3_errmsg(s->db));
        goto close_store;
    }
    if (pv_store_schema_migrate(s, err)) {
        open_error(s, err, err->msg);
        goto close_store;
    }
    if (pv_store_query_int(s, "PRAGMA page_size", &s->page_bytes, err))
        goto close_store;
    sqlite3_wal_hook(s->db, on_wal_commit, s);
    for (int k = 0; k < ST_COUNT; k++)
        if (sqlite3_prepare_v3(s->db, SQL[k], -1, SQLITE_PREPARE_PERSISTENT, &s->st[k], NULL) !=
            SQLITE_OK) {
            db_error(s, err, "preparing statements");
            goto close_store;
        }
    *out = s;
    return PV_OK;

close_store:
    pv_store_close(s); /* a failed open needs it too */
    return err->code;
}

void pv_store_close(struct pv_store *s)
{
    if (!s)
        return;
    for (int k = 0; k < ST_COUNT; k++)
        sqlite3_finalize(s->st[k]);
    /* Failing leaves a rollback-journal database, as sound; the next
     * pv_store_open() sets WAL again. */
    pv_err err;
    if (s->writes_direct && pv_store_exec(s, "PRAGMA journal_mode=WAL", &err))
        fprintf(stderr, "pstatsviz: back to WAL mode: %s\n", err.msg);
    sqlite3_close(s->db);
    free(s);
}

static pv_code mkdirs(char *path, pv_err *err)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0700);
        int e = errno;
        *p = '/';
        if (rc && e != EEXIST)
            return pv_err_set(err, PV_E_IO, "cannot create %.*s: %s", (int)(p - path), path,
                              strerror(e));
    }
    return PV_OK;
}

pv_code pv_store_default_path(char **out, pv_err *err)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    char *path;
    int n;
    if (xdg && *xdg == '/')
        n = asprintf(&path, "%s/pstatsviz/profiles.db", xdg);
    else if (home && *home)
        n = asprintf(&path, "%s/.local/share/pstatsviz/profiles.db", home);
    else
        return pv_err_set(err, PV_E_USAGE, "neither XDG_DATA_HOME nor HOME is set: use --db");
    if (n < 0)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    if (mkdirs(path, err)) {
        free(path);
        return err->code;
    }
    *out = path;
    return PV_OK;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

void pv_store_id_of(const uint8_t *buf, size_t len, char id[PV_STORE_ID_HEX + 1])
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, buf);
    sha256_digest(&ctx, sizeof digest, digest);
    hex(digest, PV_STORE_ID_HEX / 2, id);
}

static void token_hash(const char *token, uint8_t out[SHA256_DIGEST_SIZE])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, strlen(token), (const uint8_t *)token);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

static pv_code new_token(char out[PV_STORE_TOKEN_HEX + 1], pv_err *err)
{
    uint8_t raw[PV_STORE_TOKEN_HEX / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno != EINTR)
            return pv_err_set(err, PV_E_IO, "getrandom: %s", strerror(errno));
        if (n > 0)
            got += (size_t)n;
    }
    hex(raw, sizeof raw, out);
    return PV_OK;
}

static int64_t now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* SQLite turns NaN into NULL; bind NULL ourselves so it is deliberate. */
static void bind_real(sqlite3_stmt *q, int col, double v)
{
    if (v != v)
        sqlite3_bind_null(q, col);
    else
        sqlite3_bind_double(q, col, v);
}

/* The warnings kept with the model, as a JSON array of strings (free with
 * cJSON_free), or NULL when out of memory. */
static char *warnings_json(const struct pv_profile *p)
{
    unsigned shown = p->nwarnings < PV_PROFILE_MAX_WARNINGS ? p->nwarnings
                                                            : PV_PROFILE_MAX_WARNINGS;
    cJSON *arr = cJSON_CreateArray();
    for (unsigned w = 0; arr && w < shown; w++) {
        cJSON *text = cJSON_CreateString(p->warnings[w]);
        if (!text || !cJSON_AddItemToArray(arr, text)) {
            cJSON_Delete(text);
            cJSON_Delete(arr);
            arr = NULL;
        }
    }
    char *out = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    return out;
}

static pv_code find(struct pv_store *s, const char *id, struct pv_store_record *res, pv_err *err)
{
    sqlite3_stmt *q = s->st[ST_FIND];
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    pv_code code = PV_E_NOTFOUND;
    if (rc == SQLITE_ROW) {
        memset(res, 0, sizeof *res);
        snprintf(res->id, sizeof res->id, "%s", id);
        res->name = strdup((const char *)sqlite3_column_text(q, 0));
        res->functions = (uint32_t)sqlite3_column_int64(q, 1);
        res->edges = (uint32_t)sqlite3_column_int64(q, 2);
        res->total_calls = sqlite3_column_int64(q, 3);
        res->total_tt = sqlite3_column_type(q, 4) == SQLITE_NULL ? (double)NAN
                                                                 : sqlite3_column_double(q, 4);
        code = res->name ? PV_OK : pv_err_set(err, PV_E_NOMEM, "out of memory");
    } else if (rc != SQLITE_DONE)
        code = db_error(s, err, "looking up a profile");
    else
        pv_err_set(err, PV_E_NOTFOUND, "no profile with id %s", id);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return code;
}

pv_code pv_store_find(struct pv_store *s, const char *id, struct pv_store_record *res, pv_err *err)
{
    return find(s, id, res, err);
}

/* Tests make an import slow or fail in the middle of its transaction, to
 * check that a kill or a failure there leaves the database as it was. */
static pv_code test_fault(pv_err *err)
{
    const char *fault = getenv("PSTATSVIZ_TEST_IMPORT_FAULT");
    if (!fault)
        return PV_OK;
    if (!strncmp(fault, "sleep:", 6))
        usleep((useconds_t)atoi(fault + 6) * 1000);
    else if (!strcmp(fault, "fail"))
        return pv_err_set(err, PV_E_DB, "import failed on purpose (PSTATSVIZ_TEST_IMPORT_FAULT)");
    return PV_OK;
}

/* Functions go in FUNC_ROWS rows a statement, the last few one at a
 * time: stepping a statement costs about as much as the row it inserts
 * (callgrind, 100k rows: 1,177 M instructions one a statement, 697 M
 * with 64).  A statement of several rows that may stop halfway keeps a
 * statement journal to undo its own rows: a copy of each 64 KiB page it
 * touches.  OR FAIL keeps the rows before a failing one instead, which
 * needs no journal (foreign key checks would need one again: see
 * pv_store_import); the import rolls back on any failure anyway.
 * Callgrind, 100k rows: 799 M instructions with the journal, 527 M
 * without. */
enum { FUNC_ROWS = 64 };

static void bind_function(sqlite3_stmt *q, int at, uint32_t fid, const struct pv_func *f)
{
    sqlite3_bind_int64(q, at, fid);
    sqlite3_bind_int64(q, at + 1, f->file);
    sqlite3_bind_int64(q, at + 2, f->line);
    sqlite3_bind_int64(q, at + 3, f->name);
    sqlite3_bind_int64(q, at + 4, f->cc);
    sqlite3_bind_int64(q, at + 5, f->nc);
    bind_real(q, at + 6, f->tt);
    bind_real(q, at + 7, f->ct);
}

static pv_code insert_functions(struct pv_store *s, const struct pv_profile *p,
                                sqlite3_int64 pk, pv_err *err)
{
    char sql[64 + FUNC_ROWS * 64];
    int len = snprintf(sql, sizeof sql, "INSERT OR FAIL INTO functions VALUES");
    for (int r = 0, k = 2; r < FUNC_ROWS; r++, k += 8)
        len += snprintf(sql + len, sizeof sql - (size_t)len,
                        "%s(?1,?%d,?%d,?%d,?%d,?%d,?%d,?%d,?%d)", r ? "," : "", k, k + 1,
                        k + 2, k + 3, k + 4, k + 5, k + 6, k + 7);
    sqlite3_stmt *many, *one = s->st[ST_INSERT_FUNC];
    if (sqlite3_prepare_v2(s->db, sql, len, &many, NULL) != SQLITE_OK)
        return db_error(s, err, "storing functions");
    sqlite3_bind_int64(many, 1, pk);
    sqlite3_bind_int64(one, 1, pk);
    uint32_t left = p->nreal;
    int rows = 0, rc = SQLITE_DONE;
    for (uint32_t fid = 0; fid < p->nfuncs && rc == SQLITE_DONE; fid++) {
        const struct pv_func *f = &p->funcs[fid];
        if (f->flags & PV_FUNC_PHANTOM)
            continue;
        if (rows || left >= FUNC_ROWS) {
            bind_function(many, 2 + 8 * rows, fid, f);
            if (++rows < FUNC_ROWS)
                continue;
            rc = sqlite3_step(many);
            sqlite3_reset(many);
            rows = 0;
            left -= FUNC_ROWS;
        } else {
            bind_function(one, 2, fid, f);
            rc = sqlite3_step(one);
            sqlite3_reset(one);
            left--;
        }
    }
    sqlite3_finalize(many);
    sqlite3_clear_bindings(one);
    if (rc != SQLITE_DONE)
        return db_error(s, err, "storing functions");
    return PV_OK;
}

/* The model goes in as rows of MODEL_PIECE_BYTES or a little less,
 * packed as they are written from one buffer.  Instead of one row, a
 * zeroblob filled in place: SQLite wrote its zero pages to the WAL as
 * its cache spilled, then read them back to fill them, and wrote them
 * again; and the packed edges were a second 20 MB of fresh pages.  100k
 * functions, median of 25 interleaved runs on a loaded machine: 0.424 ->
 * 0.405 s of CPU, the system's share 0.120 -> 0.097 s (about 850 WAL
 * frames -> 710). */
enum { MODEL_PIECE_BYTES = 1 << 20 };

static pv_code insert_model_part(struct pv_store *s, sqlite3_int64 pk, int part,
                                 const void *bytes, size_t n, pv_err *err)
{
    sqlite3_stmt *q = s->st[ST_INSERT_MODEL];
    sqlite3_bind_int64(q, 1, pk);
    sqlite3_bind_int(q, 2, part);
    sqlite3_bind_blob64(q, 3, bytes, n, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? PV_OK : db_error(s, err, "storing the model");
}

static pv_code insert_model(struct pv_store *s, struct pv_pack_writer *model, sqlite3_int64 pk,
                            pv_err *err)
{
    unsigned char *piece = malloc(MODEL_PIECE_BYTES);
    if (!piece)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    size_t n;
    int part = 1;
    pv_code rc = PV_OK;
    while (!rc && (n = pv_pack_writer_body(model, piece, MODEL_PIECE_BYTES)) > 0)
        rc = insert_model_part(s, pk, part++, piece, n, err);
    if (!rc) {
        _Static_assert((int)PV_PACK_HEADER_MAX_BYTES <= (int)MODEL_PIECE_BYTES, "the header fits");
        n = pv_pack_writer_header(model, piece);
        rc = insert_model_part(s, pk, 0, piece, n, err);
    }
    free(piece);
    return rc;
}

/* The profile's names: string ids are the model's handles, offsets of the
 * string records. */
static pv_code insert_strings(struct pv_store *s, const struct pv_profile *p, sqlite3_int64 pk,
                              pv_err *err)
{
    sqlite3_stmt *q = s->st[ST_INSERT_STRING];
    sqlite3_bind_int64(q, 1, pk);
    int rc = SQLITE_DONE;
    for (size_t h = 0; h < p->strings_len && rc == SQLITE_DONE;) {
        size_t n;
        const char *text = pv_profile_str(p, (uint32_t)h, &n);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)h);
        sqlite3_bind_text64(q, 3, text, n, SQLITE_STATIC, SQLITE_UTF8);
        rc = sqlite3_step(q);
        sqlite3_reset(q);
        h += 4 + n + 1;
    }
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? PV_OK : db_error(s, err, "storing names");
}

static pv_code insert_profile(struct pv_store *s, sqlite3_int64 pk, const struct pv_profile *p,
                              const char *entries_json, const char *id, size_t size_bytes,
                              const char *name, const uint8_t *token_sha, pv_err *err)
{
    sqlite3_stmt *q = s->st[ST_INSERT_PROFILE];
    char *warnings = warnings_json(p);
    if (!warnings)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    sqlite3_bind_int64(q, 1, pk);
    sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, (sqlite3_int64)size_bytes);
    sqlite3_bind_int(q, 5, p->marshal_version);
    sqlite3_bind_int(q, 6, p->python2);
    sqlite3_bind_int64(q, 7, now_ms());
    sqlite3_bind_int64(q, 8, p->total_calls);
    sqlite3_bind_int64(q, 9, p->prim_calls);
    bind_real(q, 10, p->total_tt);
    sqlite3_bind_int64(q, 11, p->nreal);
    sqlite3_bind_int64(q, 12, p->nedges);
    sqlite3_bind_text(q, 13, warnings, -1, cJSON_free);
    sqlite3_bind_blob(q, 14, token_sha, SHA256_DIGEST_SIZE, SQLITE_STATIC);
    sqlite3_bind_text(q, 15, entries_json, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc == SQLITE_DONE ? PV_OK : db_error(s, err, "storing the profile");
}

void pv_store_import_abandon(struct pv_store_import_txn *txn)
{
    if (!txn->open)
        return;
    pv_store_write_abandon(txn->s, &txn->t0);
    sqlite3_db_config(txn->s->db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, NULL);
    txn->open = false;
}

pv_code pv_store_import_begin(struct pv_store *s, const char *id, const struct pv_profile *p,
                              struct pv_store_import_txn *txn, struct pv_store_record *res,
                              pv_err *err)
{
    *txn = (struct pv_store_import_txn){.s = s};
    if (new_token(txn->token, err))
        return err->code;
    /* Every row the import adds belongs to the profile row it adds last,
     * in the same transaction, so SQLite's foreign key checks on them
     * could only pass once it is there; and a check that may fail makes
     * each multi-row insert keep a statement journal (insert_functions()).
     * They are off for this transaction only: a delete needs them (ON
     * DELETE CASCADE).  The connection setting, not the pragma, which does
     * nothing inside a transaction; it is set outside one. */
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_FKEY, 0, NULL);
    if (pv_store_write_begin(s, 0, &txn->t0, err)) {
        sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, NULL);
        return err->code;
    }
    txn->open = true;
    /* Another writer may have stored the same bytes since we looked: then
     * res is its record (created false), and nothing was written. */
    pv_code found = find(s, id, res, err);
    if (found != PV_E_NOTFOUND) {
        pv_store_import_abandon(txn);
        return found;
    }
    /* The profile row's key, taken now (the turn keeps other writers
     * out) so that the rows before it can name it. */
    if (pv_store_query_int(s, "SELECT coalesce(max(pk), 0) + 1 FROM profiles", &txn->pk, err) ||
        insert_strings(s, p, txn->pk, err) || insert_functions(s, p, txn->pk, err)) {
        pv_store_import_abandon(txn);
        return err->code;
    }
    return PV_OK;
}

pv_code pv_store_import_commit(struct pv_store_import_txn *txn, const struct pv_profile *p,
                               struct pv_pack_writer *model, const char *entries_json,
                               const char *id, size_t size_bytes, const char *name,
                               struct pv_store_record *res, pv_err *err)
{
    struct pv_store *s = txn->s;
    uint8_t token_sha[SHA256_DIGEST_SIZE];
    token_hash(txn->token, token_sha);
    if (test_fault(err) || insert_model(s, model, txn->pk, err) ||
        insert_profile(s, txn->pk, p, entries_json, id, size_bytes, name, token_sha, err)) {
        pv_store_import_abandon(txn);
        return err->code;
    }
    pv_code rc = pv_store_write_commit(s, &txn->t0, false, err);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_FKEY, 1, NULL);
    txn->open = false;
    if (rc)
        return rc;
    memset(res, 0, sizeof *res);
    memcpy(res->id, id, PV_STORE_ID_HEX + 1);
    memcpy(res->delete_token, txn->token, sizeof txn->token);
    res->created = true;
    res->name = strdup(name);
    res->functions = p->nreal;
    res->edges = p->nedges;
    res->total_calls = p->total_calls;
    res->total_tt = p->total_tt;
    if (!res->name)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    return PV_OK;
}

pv_code pv_store_import(struct pv_store *s, const char *id, const struct pv_profile *p,
                        struct pv_pack_writer *model, const char *entries_json,
                        size_t size_bytes, const char *name, struct pv_store_record *res,
                        pv_err *err)
{
    struct pv_store_import_txn txn;
    if (pv_store_import_begin(s, id, p, &txn, res, err))
        return err->code;
    if (!txn.open)
        return PV_OK; /* stored already */
    return pv_store_import_commit(&txn, p, model, entries_json, id, size_bytes, name, res, err);
}

/* The model of profile pk, total bytes in all its parts, fed to r part by
 * part: the blob is never whole in memory. */
static pv_code read_model_parts(struct pv_store *s, sqlite3_int64 pk,
                                struct pv_pack_reader *r, pv_err *err)
{
    sqlite3_stmt *q = s->st[ST_LOAD_PARTS];
    sqlite3_bind_int64(q, 1, pk);
    int rc;
    pv_code code = PV_OK;
    while (!code && (rc = sqlite3_step(q)) == SQLITE_ROW)
        code = pv_pack_reader_feed(r, sqlite3_column_blob(q, 0),
                                   (size_t)sqlite3_column_bytes(q, 0), err);
    if (!code && rc != SQLITE_DONE)
        code = db_error(s, err, "loading a profile");
    sqlite3_reset(q);
    return code;
}

pv_code pv_store_load(struct pv_store *s, const char *id, struct pv_profile **out, pv_err *err)
{
    sqlite3_stmt *q = s->st[ST_LOAD];
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_int64 pk = 0, total = 0;
    bool has_model = false;
    if (rc == SQLITE_ROW) {
        pk = sqlite3_column_int64(q, 0);
        has_model = sqlite3_column_type(q, 1) != SQLITE_NULL;
        total = sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (rc == SQLITE_DONE)
        return pv_err_set(err, PV_E_NOTFOUND, "no profile with id %s", id);
    if (rc != SQLITE_ROW)
        return db_error(s, err, "loading a profile");
    if (!has_model || total <= 0 || (uint64_t)total > SIZE_MAX)
        return pv_err_set(err, PV_E_DB, "stored profile is damaged (no model)");
    struct pv_pack_reader r;
    pv_pack_reader_init(&r, (size_t)total);
    pv_code code = read_model_parts(s, pk, &r, err);
    if (!code)
        code = pv_pack_reader_finish(&r, out, err);
    pv_pack_reader_fini(&r);
    return code;
}

static pv_code meta_from_row(sqlite3_stmt *q, struct pv_store_meta *m, pv_err *err)
{
    memset(m, 0, sizeof *m);
    snprintf(m->id, sizeof m->id, "%s", (const char *)sqlite3_column_text(q, 0));
    m->name = strdup((const char *)sqlite3_column_text(q, 1));
    m->size_bytes = sqlite3_column_int64(q, 2);
    m->marshal_version = sqlite3_column_int(q, 3);
    m->python2 = sqlite3_column_int(q, 4);
    m->created_ms = sqlite3_column_int64(q, 5);
    m->total_calls = sqlite3_column_int64(q, 6);
    m->prim_calls = sqlite3_column_int64(q, 7);
    m->total_tt = sqlite3_column_type(q, 8) == SQLITE_NULL ? (double)NAN
                                                           : sqlite3_column_double(q, 8);
    m->functions = (uint32_t)sqlite3_column_int64(q, 9);
    m->edges = (uint32_t)sqlite3_column_int64(q, 10);
    m->warnings_json = strdup((const char *)sqlite3_column_text(q, 11));
    const char *entries = (const char *)sqlite3_column_text(q, 12);
    m->entries_json = entries ? strdup(entries) : NULL;
    if (!m->name || !m->warnings_json || (entries && !m->entries_json)) {
        pv_store_meta_fini(m);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    return PV_OK;
}

void pv_store_meta_fini(struct pv_store_meta *m)
{
    free(m->name);
    free(m->warnings_json);
    free(m->entries_json);
    m->name = m->warnings_json = m->entries_json = NULL;
}

pv_code pv_store_meta_init(struct pv_store_meta *out, struct pv_store *s, const char *id,
                           pv_err *err)
{
    sqlite3_stmt *q = s->st[ST_META];
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    pv_code code;
    if (rc == SQLITE_ROW)
        code = meta_from_row(q, out, err);
    else if (rc == SQLITE_DONE)
        code = pv_err_set(err, PV_E_NOTFOUND, "no profile with id %s", id);
    else
        code = db_error(s, err, "reading a profile");
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return code;
}

static void bind_name_filter(sqlite3_stmt *q, const char *name_contains)
{
    if (name_contains && *name_contains)
        sqlite3_bind_text(q, 1, name_contains, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 1);
}

pv_code pv_store_list(struct pv_store *s, const struct pv_store_list_query *query,
                      bool (*fn)(const struct pv_store_meta *, void *), void *ctx, int64_t *total,
                      pv_err *err)
{
    sqlite3_stmt *count = s->st[ST_LIST_COUNT];
    bind_name_filter(count, query->name_contains);
    int rc = sqlite3_step(count);
    if (rc == SQLITE_ROW)
        *total = sqlite3_column_int64(count, 0);
    sqlite3_reset(count);
    sqlite3_clear_bindings(count);
    if (rc != SQLITE_ROW)
        return db_error(s, err, "counting profiles");

    sqlite3_stmt *q = s->st[ST_LIST];
    bind_name_filter(q, query->name_contains);
    sqlite3_bind_int64(q, 2, query->limit);
    sqlite3_bind_int64(q, 3, query->offset);
    pv_code code = PV_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct pv_store_meta m;
        if ((code = meta_from_row(q, &m, err)))
            break;
        bool more = fn(&m, ctx);
        pv_store_meta_fini(&m);
        if (!more)
            break;
    }
    if (!code && rc != SQLITE_ROW && rc != SQLITE_DONE)
        code = db_error(s, err, "listing profiles");
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return code;
}

pv_code pv_store_delete(struct pv_store *s, const char *id, const char *token, pv_err *err)
{
    if (write_enter(s, PV_STORE_DELETE_WAIT_MS, err))
        return err->code;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (pv_store_exec(s, "BEGIN IMMEDIATE", err)) {
        write_leave(s, &t0);
        return err->code;
    }
    sqlite3_stmt *q = s->st[ST_TOKEN];
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    pv_code code = PV_OK;
    if (rc == SQLITE_ROW) {
        uint8_t want[SHA256_DIGEST_SIZE];
        token_hash(token ? token : "", want);
        const void *have = sqlite3_column_blob(q, 0);
        /* Compare hashes of the tokens, so timing says nothing about the
         * token itself. */
        unsigned diff = sqlite3_column_bytes(q, 0) != SHA256_DIGEST_SIZE;
        for (int i = 0; !diff && i < SHA256_DIGEST_SIZE; i++) /* sizes match: have != NULL */
            diff |= ((const uint8_t *)have)[i] ^ want[i];
        if (diff)
            code = pv_err_set(err, PV_E_DENIED, "wrong delete token");
    } else if (rc == SQLITE_DONE)
        code = pv_err_set(err, PV_E_NOTFOUND, "no profile with id %s", id);
    else
        code = db_error(s, err, "deleting a profile");
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    if (!code)
        code = pv_store_memory_drop_attached_only(s, id, err);
    if (!code) {
        q = s->st[ST_DELETE];
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE)
            code = db_error(s, err, "deleting a profile");
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
    }
    if (code || (code = pv_store_exec(s, "COMMIT", err)))
        pv_store_exec(s, "ROLLBACK", NULL);
    else
        after_write(s, true);
    write_leave(s, &t0);
    return code;
}

/* ---- for store_memory.c (store_private.h) ------------------------------- */

sqlite3 *pv_store_db(struct pv_store *s)
{
    return s->db;
}

pv_code pv_store_db_error(struct pv_store *s, pv_err *err, const char *what)
{
    return db_error(s, err, what);
}

pv_code pv_store_write_begin(struct pv_store *s, unsigned wait_ms, struct timespec *t0,
                             pv_err *err)
{
    if (write_enter(s, wait_ms, err))
        return err->code;
    clock_gettime(CLOCK_MONOTONIC, t0);
    if (pv_store_exec(s, "BEGIN IMMEDIATE", err)) {
        write_leave(s, t0);
        return err->code;
    }
    return PV_OK;
}

pv_code pv_store_write_commit(struct pv_store *s, const struct timespec *t0, bool freed_pages,
                              pv_err *err)
{
    pv_code code = pv_store_exec(s, "COMMIT", err);
    if (code)
        pv_store_exec(s, "ROLLBACK", NULL);
    else
        after_write(s, freed_pages);
    write_leave(s, t0);
    return code;
}

void pv_store_write_abandon(struct pv_store *s, const struct timespec *t0)
{
    pv_store_exec(s, "ROLLBACK", NULL);
    write_leave(s, t0);
}

pv_code pv_store_new_token(char token[PV_STORE_TOKEN_HEX + 1], uint8_t sha[32], pv_err *err)
{
    if (new_token(token, err))
        return err->code;
    token_hash(token, sha);
    return PV_OK;
}

bool pv_store_token_matches(const void *have, int have_bytes, const char *token)
{
    uint8_t want[SHA256_DIGEST_SIZE];
    token_hash(token ? token : "", want);
    unsigned diff = have_bytes != SHA256_DIGEST_SIZE;
    for (int i = 0; !diff && i < SHA256_DIGEST_SIZE; i++) /* sizes match: have != NULL */
        diff |= ((const uint8_t *)have)[i] ^ want[i];
    return !diff;
}

int64_t pv_store_now_ms(void)
{
    return now_ms();
}
