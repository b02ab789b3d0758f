/* store_private.h - what store.c lends store_memory.c and store_schema.c:
 * the connection, its error mapping and statements, the write turn and
 * delete tokens.  Inside the store module only. */
#ifndef PV_STORE_PRIVATE_H
#define PV_STORE_PRIVATE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "store.h"

sqlite3 *pv_store_db(struct pv_store *s);

/* Run sql (statements, no rows); on failure err holds SQLite's message,
 * coded as by pv_store_db_error. */
pv_code pv_store_exec(struct pv_store *s, const char *sql, pv_err *err);

/* The integer in the first column of sql's first row (a PRAGMA, a count). */
pv_code pv_store_query_int(struct pv_store *s, const char *sql, int64_t *out, pv_err *err);

/* Create the tables of a new file, or bring an older schema version's up
 * to PV_STORE_SCHEMA_VERSION in one transaction (store_schema.c);
 * PV_E_DB for a newer version than this pstatsviz knows. */
pv_code pv_store_schema_migrate(struct pv_store *s, pv_err *err);

/* err for SQLite's last error, coded as every store error is (PV_E_FULL,
 * PV_E_BUSY, PV_E_DB); what says what was being done. */
pv_code pv_store_db_error(struct pv_store *s, pv_err *err, const char *what);

/* The write turn (waiting at most wait_ms, 0: no limit) and BEGIN
 * IMMEDIATE; end it with commit (which rolls back when COMMIT fails, and
 * does the housekeeping after a write: freed_pages after a delete) or
 * abandon (ROLLBACK).  t0 is set by begin. */
pv_code pv_store_write_begin(struct pv_store *s, unsigned wait_ms, struct timespec *t0,
                             pv_err *err);
pv_code pv_store_write_commit(struct pv_store *s, const struct timespec *t0, bool freed_pages,
                              pv_err *err);
void pv_store_write_abandon(struct pv_store *s, const struct timespec *t0);

/* A new delete token and its SHA-256. */
pv_code pv_store_new_token(char token[PV_STORE_TOKEN_HEX + 1], uint8_t sha[32], pv_err *err);

/* Whether token's SHA-256 is have (have_bytes of it), in constant time. */
bool pv_store_token_matches(const void *have, int have_bytes, const char *token);

int64_t pv_store_now_ms(void);

/* Inside a delete's transaction: delete the memory records attached to the
 * profile id and to no other. */
pv_code pv_store_memory_drop_attached_only(struct pv_store *s, const char *id, pv_err *err);

#endif
