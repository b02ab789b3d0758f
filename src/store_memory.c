/* store_memory.c - memory data in the store: its rows, attachments and
 * deletes (see store.h, "memory data"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "store.h"
#include "store_private.h"
#include "vec.h"

/* One statement, prepared for one call: memory routes are few and cheap
 * beside their BLOBs, so no statement is kept. */
static pv_code prepare(struct pv_store *s, const char *sql, sqlite3_stmt **q, pv_err *err)
{
    if (sqlite3_prepare_v2(pv_store_db(s), sql, -1, q, NULL) != SQLITE_OK)
        return pv_store_db_error(s, err, "preparing a memory statement");
    return PV_OK;
}

static char *dup_column(sqlite3_stmt *q, int col)
{
    const char *t = (const char *)sqlite3_column_text(q, col);
    return strdup(t ? t : "");
}

void pv_store_memory_import_fini(struct pv_store_memory_import *res)
{
    free(res->name);
    free(res->summary_json);
    res->name = res->summary_json = NULL;
}

static pv_code find(struct pv_store *s, const char *id, struct pv_store_memory_import *res,
                    pv_err *err)
{
    sqlite3_stmt *q;
    if (prepare(s, "SELECT name, kind, summary FROM memory WHERE id = ?", &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    pv_code code;
    if (rc == SQLITE_ROW) {
        *res = (struct pv_store_memory_import){0};
        snprintf(res->id, sizeof res->id, "%s", id);
        snprintf(res->kind, sizeof res->kind, "%s", (const char *)sqlite3_column_text(q, 1));
        res->name = dup_column(q, 0);
        res->summary_json = dup_column(q, 2);
        code = res->name && res->summary_json ? PV_OK
                                              : pv_err_set(err, PV_E_NOMEM, "out of memory");
        if (code)
            pv_store_memory_import_fini(res);
    } else if (rc == SQLITE_DONE)
        code = pv_err_set(err, PV_E_NOTFOUND, "no memory data with id %s", id);
    else
        code = pv_store_db_error(s, err, "looking up memory data");
    sqlite3_finalize(q);
    return code;
}

pv_code pv_store_memory_find(struct pv_store *s, const char *id,
                             struct pv_store_memory_import *res, pv_err *err)
{
    return find(s, id, res, err);
}

/* Inside a write transaction: attach id to pid. */
static pv_code attach(struct pv_store *s, const char *id, const char *pid, bool *added,
                      pv_err *err)
{
    sqlite3_stmt *q;
    if (prepare(s, "SELECT 1 FROM profiles WHERE id = ?", &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, pid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc == SQLITE_DONE)
        return pv_err_set(err, PV_E_NOTFOUND, "no profile with id %s to attach to", pid);
    if (rc != SQLITE_ROW)
        return pv_store_db_error(s, err, "looking up a profile");
    /* created_ms orders a profile's memory data, and a record's profiles,
     * by when they were attached (the first is the one a comparison
     * shows).  Two attaches can come in one millisecond, or the clock can
     * step back, so the time is kept past every earlier attachment of
     * either side: ties would otherwise fall to the ids, which are hashes. */
    if (prepare(s,
                "INSERT OR IGNORE INTO memory_attachments(memory, profile, created_ms)"
                " SELECT m.pk, p.pk, MAX(?3,"
                "   1 + COALESCE((SELECT MAX(created_ms) FROM memory_attachments"
                "                 WHERE profile = p.pk), -1),"
                "   1 + COALESCE((SELECT MAX(created_ms) FROM memory_attachments"
                "                 WHERE memory = m.pk), -1))"
                " FROM memory m, profiles p WHERE m.id = ?1 AND p.id = ?2",
                &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, pid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, pv_store_now_ms());
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return pv_store_db_error(s, err, "attaching memory data");
    *added = sqlite3_changes(pv_store_db(s)) > 0;
    return PV_OK;
}

static pv_code insert(struct pv_store *s, const struct pv_store_memory_new *m,
                      const uint8_t sha[32], pv_err *err)
{
    sqlite3_stmt *q;
    if (prepare(s,
                "INSERT INTO memory(id, name, kind, size_bytes, created_ms, peak_mib, summary,"
                " record, samples, children, delete_token_sha256)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, m->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, m->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, m->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, (int64_t)m->size_bytes);
    sqlite3_bind_int64(q, 5, pv_store_now_ms());
    sqlite3_bind_double(q, 6, m->peak_mib);
    sqlite3_bind_text(q, 7, m->summary_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, m->record_json, -1, SQLITE_STATIC);
    if (m->samples)
        sqlite3_bind_blob64(q, 9, m->samples, m->samples_bytes, SQLITE_STATIC);
    if (m->children)
        sqlite3_bind_blob64(q, 10, m->children, m->children_bytes, SQLITE_STATIC);
    sqlite3_bind_blob(q, 11, sha, 32, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return pv_store_db_error(s, err, "storing memory data");
    return PV_OK;
}

pv_code pv_store_memory_import(struct pv_store *s, const struct pv_store_memory_new *m,
                               const char *attach_to, struct pv_store_memory_import *res,
                               pv_err *err)
{
    char token[PV_STORE_TOKEN_HEX + 1];
    uint8_t sha[32];
    struct timespec t0;
    if (pv_store_new_token(token, sha, err) || pv_store_write_begin(s, 0, &t0, err))
        return err->code;
    struct pv_store_memory_import found;
    bool added = false;
    pv_code code = find(s, m->id, &found, err);
    if (code == PV_OK) { /* another connection was first */
        if (attach_to && attach(s, m->id, attach_to, &added, err))
            goto abandon_found;
        if (pv_store_write_commit(s, &t0, false, err)) {
            pv_store_memory_import_fini(&found);
            return err->code;
        }
        *res = found;
        res->attached = added;
        return PV_OK;
    }
    if (code != PV_E_NOTFOUND)
        goto abandon;
    if (insert(s, m, sha, err) || (attach_to && attach(s, m->id, attach_to, &added, err)))
        goto abandon;
    if (pv_store_write_commit(s, &t0, false, err))
        return err->code;
    *res = (struct pv_store_memory_import){.created = true, .attached = added};
    memcpy(res->id, m->id, PV_STORE_ID_HEX + 1);
    memcpy(res->delete_token, token, sizeof token);
    snprintf(res->kind, sizeof res->kind, "%s", m->kind);
    res->name = strdup(m->name);
    res->summary_json = strdup(m->summary_json);
    if (!res->name || !res->summary_json) {
        pv_store_memory_import_fini(res);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    return PV_OK;

abandon_found:
    pv_store_memory_import_fini(&found);
abandon:
    pv_store_write_abandon(s, &t0);
    return err->code;
}

pv_code pv_store_memory_attach(struct pv_store *s, const char *id, const char *pid, bool *added,
                               pv_err *err)
{
    struct timespec t0;
    struct pv_store_memory_import found;
    if (pv_store_write_begin(s, 0, &t0, err))
        return err->code;
    if (find(s, id, &found, err))
        goto abandon;
    pv_store_memory_import_fini(&found);
    if (attach(s, id, pid, added, err))
        goto abandon;
    return pv_store_write_commit(s, &t0, false, err);

abandon:
    pv_store_write_abandon(s, &t0);
    return err->code;
}

/* ---- reading ------------------------------------------------------------- */

void pv_store_memory_fini(struct pv_store_memory *m)
{
    free(m->name);
    free(m->record_json);
    free(m->samples);
    free(m->children);
    free(m->attached_to);
    *m = (struct pv_store_memory){0};
}

static void *dup_blob(sqlite3_stmt *q, int col, size_t *n, bool *failed)
{
    const void *b = sqlite3_column_blob(q, col);
    *n = (size_t)sqlite3_column_bytes(q, col);
    if (!b)
        return NULL;
    void *d = malloc(*n ? *n : 1);
    if (!d)
        *failed = true;
    else
        memcpy(d, b, *n);
    return d;
}

/* A row of SELECT id, name, kind, created_ms, peak_mib, record, samples,
 * children; record and the BLOBs as what asks (NULLs selected otherwise). */
static pv_code memory_from_row(sqlite3_stmt *q, unsigned what, struct pv_store_memory *m,
                               pv_err *err)
{
    *m = (struct pv_store_memory){0};
    snprintf(m->id, sizeof m->id, "%s", (const char *)sqlite3_column_text(q, 0));
    snprintf(m->kind, sizeof m->kind, "%s", (const char *)sqlite3_column_text(q, 2));
    m->name = dup_column(q, 1);
    m->created_ms = sqlite3_column_int64(q, 3);
    m->peak_mib = sqlite3_column_double(q, 4);
    bool failed = !m->name;
    if (what & PV_STORE_MEMORY_RECORD)
        failed |= !(m->record_json = dup_column(q, 5));
    if (what & PV_STORE_MEMORY_SAMPLES) {
        m->samples = dup_blob(q, 6, &m->samples_bytes, &failed);
        m->children = dup_blob(q, 7, &m->children_bytes, &failed);
    }
    if (failed) {
        pv_store_memory_fini(m);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    return PV_OK;
}

/* The columns memory_from_row() reads, what not asked for selected NULL. */
static void columns(unsigned what, char *buf, size_t cap)
{
    snprintf(buf, cap, "m.id, m.name, m.kind, m.created_ms, m.peak_mib, %s, %s",
             what & PV_STORE_MEMORY_RECORD ? "m.record" : "NULL",
             what & PV_STORE_MEMORY_SAMPLES ? "m.samples, m.children" : "NULL, NULL");
}

static pv_code read_attached(struct pv_store *s, struct pv_store_memory *m, pv_err *err)
{
    sqlite3_stmt *q;
    if (prepare(s,
                "SELECT p.id FROM memory_attachments a JOIN memory m ON m.pk = a.memory"
                " JOIN profiles p ON p.pk = a.profile WHERE m.id = ?"
                " ORDER BY a.created_ms, p.id",
                &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, m->id, -1, SQLITE_STATIC);
    size_t cap = 0;
    pv_code code = PV_OK;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (!pv_vec_reserve((void **)&m->attached_to, &cap, m->nattached + 1,
                            sizeof *m->attached_to)) {
            code = pv_err_set(err, PV_E_NOMEM, "out of memory");
            break;
        }
        snprintf(m->attached_to[m->nattached++], PV_STORE_ID_HEX + 1, "%s",
                 (const char *)sqlite3_column_text(q, 0));
    }
    if (!code && rc != SQLITE_DONE)
        code = pv_store_db_error(s, err, "reading attachments");
    sqlite3_finalize(q);
    return code;
}

pv_code pv_store_memory_init(struct pv_store_memory *out, struct pv_store *s, const char *id,
                             unsigned what, pv_err *err)
{
    char cols[160], sql[256];
    columns(what, cols, sizeof cols);
    snprintf(sql, sizeof sql, "SELECT %s FROM memory m WHERE m.id = ?", cols);
    sqlite3_stmt *q;
    if (prepare(s, sql, &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    pv_code code;
    if (rc == SQLITE_ROW)
        code = memory_from_row(q, what, out, err);
    else if (rc == SQLITE_DONE)
        code = pv_err_set(err, PV_E_NOTFOUND, "no memory data with id %s", id);
    else
        code = pv_store_db_error(s, err, "reading memory data");
    sqlite3_finalize(q);
    if (!code && (code = read_attached(s, out, err)))
        pv_store_memory_fini(out);
    return code;
}

pv_code pv_store_memory_of_profile(struct pv_store *s, const char *pid, unsigned what,
                                   bool (*fn)(const struct pv_store_memory *, void *), void *ctx,
                                   pv_err *err)
{
    char cols[160], sql[512];
    columns(what, cols, sizeof cols);
    snprintf(sql, sizeof sql,
             "SELECT %s FROM memory_attachments a JOIN memory m ON m.pk = a.memory"
             " JOIN profiles p ON p.pk = a.profile WHERE p.id = ? ORDER BY a.created_ms, m.id",
             cols);
    sqlite3_stmt *q;
    if (prepare(s, sql, &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, pid, -1, SQLITE_STATIC);
    pv_code code = PV_OK;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct pv_store_memory m;
        if ((code = memory_from_row(q, what, &m, err)))
            break;
        bool more = fn(&m, ctx);
        pv_store_memory_fini(&m);
        if (!more)
            break;
    }
    if (!code && rc != SQLITE_ROW && rc != SQLITE_DONE)
        code = pv_store_db_error(s, err, "reading a profile's memory data");
    sqlite3_finalize(q);
    return code;
}

pv_code pv_store_memory_stamp(struct pv_store *s, const char *pid, uint64_t *out, pv_err *err)
{
    sqlite3_stmt *q;
    if (prepare(s,
                "SELECT m.id FROM memory_attachments a JOIN memory m ON m.pk = a.memory"
                " JOIN profiles p ON p.pk = a.profile WHERE p.id = ? ORDER BY m.id",
                &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, pid, -1, SQLITE_STATIC);
    /* pv_hashmap_fnv() over the ids, fed id by id as the rows come: they
     * are hashes of the files, so the set fixes every answer that shows
     * memory data.  It goes into ETags (pv_api_memory_stamp), never into
     * the database: changing it would only renew the tags. */
    uint64_t h = PV_HASHMAP_FNV_BASIS;
    bool any = false;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(q, 0);
        h = pv_hashmap_fnv(h, id, id ? strlen(id) : 0);
        h = pv_hashmap_fnv(h, ",", 1);
        any = true;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return pv_store_db_error(s, err, "reading a profile's memory data");
    *out = any ? (h ? h : 1) : 0;
    return PV_OK;
}

/* Chunks of 48 KiB: whole samples of both layouts (16 and 24 bytes). */
enum { CHUNK_BYTES = 48 << 10 };

pv_code pv_store_memory_read_samples(struct pv_store *s, const char *id, bool children,
                                     void (*fn)(const void *chunk, size_t bytes, void *ctx),
                                     void *ctx, pv_err *err)
{
    sqlite3_stmt *q;
    if (prepare(s, children ? "SELECT pk, children IS NULL FROM memory WHERE id = ?"
                            : "SELECT pk, samples IS NULL FROM memory WHERE id = ?",
                &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    int64_t pk = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    bool none = rc == SQLITE_ROW && sqlite3_column_int(q, 1);
    sqlite3_finalize(q);
    if (rc == SQLITE_DONE)
        return pv_err_set(err, PV_E_NOTFOUND, "no memory data with id %s", id);
    if (rc != SQLITE_ROW)
        return pv_store_db_error(s, err, "reading memory data");
    if (none)
        return PV_OK;
    /* An open BLOB handle holds its read transaction: a delete meanwhile
     * cannot cut the reading short. */
    sqlite3_blob *blob;
    if (sqlite3_blob_open(pv_store_db(s), "main", "memory", children ? "children" : "samples",
                          pk, 0, &blob) != SQLITE_OK)
        return pv_store_db_error(s, err, "reading samples");
    uint8_t *chunk = malloc(CHUNK_BYTES);
    int total = sqlite3_blob_bytes(blob);
    pv_code code = chunk ? PV_OK : pv_err_set(err, PV_E_NOMEM, "out of memory");
    for (int at = 0; !code && at < total; at += CHUNK_BYTES) {
        int n = total - at < CHUNK_BYTES ? total - at : CHUNK_BYTES;
        if (sqlite3_blob_read(blob, chunk, n, at) != SQLITE_OK)
            code = pv_store_db_error(s, err, "reading samples");
        else
            fn(chunk, (size_t)n, ctx);
    }
    free(chunk);
    sqlite3_blob_close(blob);
    return code;
}

/* ---- deleting ------------------------------------------------------------ */

/* Whether token deletes id: its own token, or an attached profile's. */
static pv_code check_token(struct pv_store *s, const char *id, const char *token, pv_err *err)
{
    sqlite3_stmt *q;
    if (prepare(s,
                "SELECT delete_token_sha256 FROM memory WHERE id = ?1 UNION ALL"
                " SELECT p.delete_token_sha256 FROM memory_attachments a"
                " JOIN memory m ON m.pk = a.memory JOIN profiles p ON p.pk = a.profile"
                " WHERE m.id = ?1",
                &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    bool any = false, ok = false;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        any = true;
        ok |= pv_store_token_matches(sqlite3_column_blob(q, 0), sqlite3_column_bytes(q, 0),
                                     token);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return pv_store_db_error(s, err, "deleting memory data");
    if (!any)
        return pv_err_set(err, PV_E_NOTFOUND, "no memory data with id %s", id);
    if (!ok)
        return pv_err_set(err, PV_E_DENIED, "wrong delete token");
    return PV_OK;
}

static pv_code run(struct pv_store *s, const char *sql, const char *id, pv_err *err)
{
    sqlite3_stmt *q;
    if (prepare(s, sql, &q, err))
        return err->code;
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return pv_store_db_error(s, err, "deleting memory data");
    return PV_OK;
}

pv_code pv_store_memory_delete(struct pv_store *s, const char *id, const char *token,
                               pv_err *err)
{
    struct timespec t0;
    if (pv_store_write_begin(s, PV_STORE_DELETE_WAIT_MS, &t0, err))
        return err->code;
    if (check_token(s, id, token, err) || run(s, "DELETE FROM memory WHERE id = ?", id, err)) {
        pv_store_write_abandon(s, &t0);
        return err->code;
    }
    return pv_store_write_commit(s, &t0, true, err);
}

pv_code pv_store_memory_drop_attached_only(struct pv_store *s, const char *id, pv_err *err)
{
    return run(s,
               "DELETE FROM memory WHERE pk IN ("
               "  SELECT a.memory FROM memory_attachments a JOIN profiles p ON p.pk = a.profile"
               "  WHERE p.id = ?1)"
               " AND NOT EXISTS (SELECT 1 FROM memory_attachments b"
               "  JOIN profiles q ON q.pk = b.profile WHERE b.memory = memory.pk AND q.id <> ?1)",
               id, err);
}
