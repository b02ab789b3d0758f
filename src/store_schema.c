/* store_schema.c - the database's tables, and the steps that bring a file
 * of an older schema version to this one (see store_private.h). */
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>

#include "store_private.h"

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS profiles("
    "  pk INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  size_bytes INTEGER NOT NULL,"
    "  marshal_version INTEGER NOT NULL,"
    "  python2 INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  total_calls INTEGER NOT NULL,"
    "  prim_calls INTEGER NOT NULL,"
    "  total_tt REAL,"                 /* NULL when NaN: SQLite has no NaN */
    "  functions INTEGER NOT NULL,"
    "  edges INTEGER NOT NULL,"
    "  warnings TEXT NOT NULL,"        /* JSON array of strings */
    "  delete_token_sha256 BLOB NOT NULL,"
    /* The entry points as GET /api/profiles/<id> shows them (a JSON
     * array), so that the metadata is this row and not the model; NULL
     * in rows stored before version 4. */
    "  entries TEXT"
    ");"
    /* The list pages newest first: without it, each page sorted every
     * profile (200k profiles: 1.1-1.6 s a call). */
    "CREATE INDEX IF NOT EXISTS profiles_by_created ON profiles(created_ms DESC, id);"
    /* Each distinct file or function name once per profile: a 1 MiB path
     * shared by 20,000 functions is stored once, not 20,000 times. */
    "CREATE TABLE IF NOT EXISTS strings("
    "  profile INTEGER NOT NULL REFERENCES profiles(pk) ON DELETE CASCADE,"
    "  sid INTEGER NOT NULL,"
    "  text TEXT NOT NULL,"
    "  PRIMARY KEY(profile, sid)"
    ") WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS functions("
    "  profile INTEGER NOT NULL REFERENCES profiles(pk) ON DELETE CASCADE,"
    "  fid INTEGER NOT NULL,"
    "  file INTEGER NOT NULL,"         /* strings.sid */
    "  line INTEGER NOT NULL,"
    "  name INTEGER NOT NULL,"         /* strings.sid */
    "  cc INTEGER NOT NULL, nc INTEGER NOT NULL, tt REAL, ct REAL,"
    "  PRIMARY KEY(profile, fid)"
    ") WITHOUT ROWID;"
    /* The packed model (pack.h), in pieces of about MODEL_PIECE_BYTES,
     * that read in part order make the blob: part 0 the header, written
     * last.  (Version 5; before, one row of a table models, which the
     * migration makes part 0.) */
    "CREATE TABLE IF NOT EXISTS model_parts("
    "  profile INTEGER NOT NULL REFERENCES profiles(pk) ON DELETE CASCADE,"
    "  part INTEGER NOT NULL,"
    "  bytes BLOB NOT NULL,"
    "  PRIMARY KEY(profile, part)"
    ");"
    /* The readable form, for people who query the file with sqlite3. */
    "CREATE VIEW IF NOT EXISTS function_rows AS"
    "  SELECT p.id AS profile, f.fid, fs.text AS file, f.line, ns.text AS name,"
    "         f.cc, f.nc, f.tt, f.ct"
    "  FROM functions f JOIN profiles p ON p.pk = f.profile"
    "  JOIN strings fs ON fs.profile = f.profile AND fs.sid = f.file"
    "  JOIN strings ns ON ns.profile = f.profile AND ns.sid = f.name;"
    /* Version 3: memory data (store_memory.c).  One row a file; an mprof
     * recording's samples packed in BLOBs (memory.h), not a row a sample:
     * a million samples are one 16 MB write. */
    "CREATE TABLE IF NOT EXISTS memory("
    "  pk INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"            /* 'mprof' or 'lines' */
    "  size_bytes INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  peak_mib REAL NOT NULL,"
    "  summary TEXT NOT NULL,"         /* JSON object: what an upload answers */
    "  record TEXT NOT NULL,"          /* JSON object: the record's body (memory.h) */
    "  samples BLOB,"                  /* mprof: the main process's samples */
    "  children BLOB,"                 /* mprof: the children's samples */
    "  delete_token_sha256 BLOB NOT NULL"
    ");"
    /* Which profiles a memory record is attached to (many to many). */
    "CREATE TABLE IF NOT EXISTS memory_attachments("
    "  memory INTEGER NOT NULL REFERENCES memory(pk) ON DELETE CASCADE,"
    "  profile INTEGER NOT NULL REFERENCES profiles(pk) ON DELETE CASCADE,"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(memory, profile)"
    ") WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS memory_attachments_by_profile"
    "  ON memory_attachments(profile, created_ms);";

pv_code pv_store_schema_migrate(struct pv_store *s, pv_err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(pv_store_db(s), "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
        return pv_store_db_error(s, err, "reading the schema version");
    int version = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    if (version > PV_STORE_SCHEMA_VERSION)
        return pv_err_set(err, PV_E_DB,
                          "the database has schema version %d; this pstatsviz knows up to %d",
                          version, PV_STORE_SCHEMA_VERSION);
    if (version == PV_STORE_SCHEMA_VERSION)
        return PV_OK;
    /* Version 0 is a new file.  Every statement of the schema is IF NOT
     * EXISTS, so running it again is each later version's step: version 2
     * added the index on the upload time; version 3, the memory tables.
     * Version 4 added the column profiles.entries, which CREATE TABLE IF
     * NOT EXISTS cannot; version 5 keeps models in pieces (model_parts),
     * an older model being one piece.  All in the same transaction as the
     * version bump. */
    if (pv_store_exec(s, "BEGIN IMMEDIATE", err))
        return err->code;
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", PV_STORE_SCHEMA_VERSION);
    bool before_4 = version >= 1 && version < 4;
    int64_t old_models = 0;
    if (version >= 1 && version < 5 &&
        pv_store_query_int(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND"
                              " name = 'models'", &old_models, err)) {
        pv_store_exec(s, "ROLLBACK", NULL);
        return err->code;
    }
    if ((before_4 && pv_store_exec(s, "ALTER TABLE profiles ADD COLUMN entries TEXT", err)) ||
        pv_store_exec(s, SCHEMA, err) ||
        (old_models &&
         pv_store_exec(s, "INSERT INTO model_parts SELECT profile, 0, blob FROM models;"
                          " DROP TABLE models", err)) ||
        pv_store_exec(s, bump, err)) {
        pv_store_exec(s, "ROLLBACK", NULL);
        return err->code;
    }
    return pv_store_exec(s, "COMMIT", err);
}
