/* store.h - profiles in SQLite.
 *
 * Schema (version 1, in PRAGMA user_version; see store.c for the SQL):
 *   profiles   one row per stats file: id, original name and size, marshal
 *              version, import time, totals, counts, warnings, and the
 *              SHA-256 of its delete token
 *   functions  one row per function (profile, fid, file, line, name, cc, nc,
 *              tt, ct): for SQL users and for aligning two profiles
 *   models     the packed in-memory model (pv_profile_pack): rebuilding a
 *              profile is one BLOB read, not 875k row reads
 *
 * A profile's id is the first 128 bits of the SHA-256 of its bytes, in hex:
 * the same file gets the same id on any machine.  An import is one
 * transaction: a failed import leaves nothing behind; WAL mode keeps readers
 * going while an import writes.
 *
 * A pv_store is one SQLite connection: use it from one thread at a time
 * (open one per thread). */
#ifndef PV_STORE_H
#define PV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "pv.h"

enum { PV_STORE_SCHEMA_VERSION = 1 };
enum { PV_ID_HEX = 32 };    /* 128 bits */
enum { PV_TOKEN_HEX = 64 }; /* 256 random bits */

struct pv_store;

/* Open (creating if needed) the database at path.  Fails with PV_E_DB when
 * the file is not a database or has a newer schema than this build. */
pv_code pv_store_open(const char *path, struct pv_store **out, pv_err *err);
void pv_store_close(struct pv_store *s);

/* The default database path: $XDG_DATA_HOME/pstatsviz/profiles.db, else
 * ~/.local/share/pstatsviz/profiles.db; creates the folder.  Malloc'd. */
pv_code pv_store_default_path(char **out, pv_err *err);

/* The id of some bytes (hex SHA-256 prefix).  Cannot fail. */
void pv_store_id_of(const uint8_t *buf, size_t len, char id[PV_ID_HEX + 1]);

struct pv_import {
    char id[PV_ID_HEX + 1];
    bool created;                      /* false: these bytes were stored before */
    char delete_token[PV_TOKEN_HEX + 1]; /* only when created */
    char *name;                        /* malloc'd: as stored (the first name given) */
    uint32_t functions, edges;
    int64_t total_calls;
    double total_tt;
};

/* Store a stats file: when its id is stored already, its record; else it
 * is parsed (before the write transaction, so other connections' reads and
 * uploads go on meanwhile) and stored.  progress (may be NULL) goes to the
 * parser.  parsed (may be NULL) receives the model when the file was
 * parsed and stored (yours: pv_profile_destroy), else NULL.  On failure
 * nothing is written and err holds the reader's message.  Free res->name
 * with free(). */
pv_code pv_store_import(struct pv_store *s, const uint8_t *buf, size_t len, const char *name,
                        const struct pv_parse_progress *progress, struct pv_profile **parsed,
                        struct pv_import *res, pv_err *err);

/* The import record of a stored id (created = false, no token):
 * PV_OK, or PV_E_NOTFOUND. */
pv_code pv_store_find(struct pv_store *s, const char *id, struct pv_import *res, pv_err *err);

/* Rebuild a stored profile's model.  *out is yours (pv_profile_destroy). */
pv_code pv_store_load(struct pv_store *s, const char *id, struct pv_profile **out, pv_err *err);

struct pv_meta {
    char id[PV_ID_HEX + 1];
    char *name;          /* malloc'd */
    int64_t size_bytes;
    int marshal_version;
    bool python2;
    int64_t created_ms;  /* Unix time */
    int64_t total_calls, prim_calls;
    double total_tt;
    uint32_t functions, edges;
    char *warnings_json; /* malloc'd JSON array of strings */
};

pv_code pv_store_meta(struct pv_store *s, const char *id, struct pv_meta *out, pv_err *err);
void pv_meta_fini(struct pv_meta *m);

/* Call fn for each stored profile, newest first; stop early when fn returns
 * false. */
pv_code pv_store_list(struct pv_store *s, bool (*fn)(const struct pv_meta *, void *), void *ctx,
                      pv_err *err);

/* Delete a profile if token matches its delete token: PV_E_NOTFOUND,
 * PV_E_DENIED (wrong token, nothing deleted) or PV_OK. */
pv_code pv_store_delete(struct pv_store *s, const char *id, const char *token, pv_err *err);

#endif
