/* store.h - profiles in SQLite: the schema, storing a parsed profile,
 * and the queries that read them back.
 *
 * Parsing is not the store's: the import pipeline (import.h) reads a file,
 * builds and packs the model, and hands both to the store
 * (pv_store_import_begin/_commit, or pv_store_import in one call).
 *
 * Schema (version 5, PV_STORE_SCHEMA_VERSION, kept in PRAGMA user_version;
 * see store_schema.c for the SQL and the migrations):
 *   profiles       one row per stats file: id, original name and size,
 *                  marshal version, import time, totals, counts, warnings
 *                  (a JSON array of strings), the SHA-256 of its delete
 *                  token, and its entry points as the metadata shows them
 *                  (JSON; version 4 added them, NULL in older rows);
 *                  indexed by import time, newest first, for the list's
 *                  pages (version 2 added the index)
 *   strings        each distinct file or function name of a profile once,
 *                  by its handle in the model (sid)
 *   functions      one row per real function (profile, fid, file and name
 *                  as sids, line, cc, nc, tt, ct): for SQL users and for
 *                  aligning two profiles
 *   function_rows  a view of functions with the names joined in, for
 *                  people who query the file with sqlite3
 *   model_parts    the packed model (pack.h) in pieces of about 1 MiB
 *                  (profile, part, bytes): read in part order they are the
 *                  blob, part 0 its header, so rebuilding a profile is one
 *                  read of its pieces, not 875k row reads (version 5;
 *                  before, one BLOB in a table models, which opening the
 *                  file moves into part 0, once)
 *   memory         one row per memory data file (memory.h; version 3): id,
 *                  name, kind, size, import time, peak, the upload's
 *                  summary and the record's body as JSON, an mprof
 *                  recording's samples as BLOBs, its delete token's SHA-256
 *   memory_attachments  which profiles a memory record is attached to
 *
 * A profile's id is the first 128 bits of the SHA-256 of its bytes, in hex:
 * the same file gets the same id on any machine.  An import is one
 * transaction: a failed import leaves nothing behind; WAL mode keeps readers
 * going while an import writes (pv_store_write_direct() aside).
 *
 * A pv_store is one SQLite connection: use it from one thread at a time
 * (open one per thread).  Connections of one process that write share a
 * pv_store_gate: one of them writes at a time, the others wait their turn
 * in a bounded queue instead of on SQLite's lock (whose timeout ends in an
 * error), and the gate also bounds how many imports parse at once
 * (pv_store_parse_enter).
 *
 * Space: a new database uses incremental auto-vacuum, and a delete gives
 * the pages it freed back to the file system.  The writer checkpoints the
 * WAL (TRUNCATE) after every delete, and after an import that leaves more
 * than PV_STORE_WAL_CHECKPOINT_BYTES in it, so the WAL never holds much
 * more than that plus the largest single import.  A database made before
 * this (auto_vacuum NONE) reuses freed pages but never shrinks until
 * pv_store_vacuum() rewrites it once.
 *
 * A full disk (or a file size limit) fails a write with PV_E_FULL; SQLite
 * waiting too long for another process's lock, with PV_E_BUSY. */
#ifndef PV_STORE_H
#define PV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "profile.h"
#include "pv.h"

enum { PV_STORE_SCHEMA_VERSION = 5 };
enum { PV_STORE_WAL_CHECKPOINT_BYTES = 4 << 20 };
enum { PV_STORE_ID_HEX = 32 };    /* 128 bits */
enum { PV_STORE_TOKEN_HEX = 64 }; /* 256 random bits */

struct pv_store;
struct pv_pack_writer; /* pack.h */

/* Open (creating if needed) the database at path.  Fails with PV_E_DB when
 * the file is not a database or has a newer schema than this build. */
pv_code pv_store_open(const char *path, struct pv_store **out, pv_err *err);
void pv_store_close(struct pv_store *s);

/* For a connection whose writes a server opening the file next reads
 * (`pstatsviz FILE` with small files, or beside another server, where
 * pv_store_write_direct() cannot be): its commits are synced to the WAL,
 * as durable as a checkpoint made them, and neither its writes nor its
 * close copy the WAL into the database (the space rule above then waits
 * for the servers' connections: their first write, or the last one's
 * close).  For a 100k-function profile the link came sooner: 0.39 ->
 * 0.35 s on a quiet machine, 0.45 -> 0.35 s with the disk busier. */
pv_code pv_store_leave_checkpoints(struct pv_store *s, pv_err *err);

/* For a connection with the file to itself (pstatsviz import): its
 * transactions go straight into the database file under a rollback
 * journal, where WAL mode writes them into the WAL and then, at the
 * checkpoint, into the file again, syncing both.  Importing 100k functions
 * (30 MB written), interleaved runs: 0.377 -> 0.312 s, and 25 ms less CPU
 * (switching the mode costs a few small syncs: the CLI does it for files of
 * 4 MiB or more).
 * SQLite leaves WAL mode only while no other connection has the file open:
 * otherwise this returns false and writes go through the WAL as always.
 * pv_store_close() sets WAL mode again; a connection opening the file
 * meanwhile sets it itself, once the write before it is committed, and
 * this connection's next transaction follows. */
bool pv_store_write_direct(struct pv_store *s);

/* ---- writers ------------------------------------------------------------ */

struct pv_store_gate_limits {
    unsigned max_parsing;       /* imports parsing at once (>= 1); one more: PV_E_BUSY */
    unsigned max_queued_writes; /* writes waiting behind the one writing; one more: PV_E_BUSY */
};

struct pv_store_gate;

/* A gate for the connections of one process (see the top).  *out is yours
 * (pv_store_gate_destroy, after every connection that uses it is closed). */
pv_code pv_store_gate_create(const struct pv_store_gate_limits *lim, struct pv_store_gate **out,
                             pv_err *err);
void pv_store_gate_destroy(struct pv_store_gate *g);

/* Route this connection's imports and deletes through g (borrowed: it must
 * outlive s).  Without a gate (the CLI) a connection parses and writes at
 * once, and waits for other processes on SQLite's lock.  Cannot fail. */
void pv_store_set_gate(struct pv_store *s, struct pv_store_gate *g);

/* What the gate holds now (for tests and logs; cannot fail). */
struct pv_store_gate_load {
    unsigned parsing; /* imports parsing */
    bool writing;     /* a connection has the write turn */
    unsigned queued;  /* writes waiting for it */
};
void pv_store_gate_peek(struct pv_store_gate *g, struct pv_store_gate_load *out);

/* After this connection returned PV_E_BUSY: about how many seconds until
 * it would be let through (at least 1), from the queue's length and recent
 * parse and write times.  Cannot fail. */
unsigned pv_store_retry_after_s(const struct pv_store *s);

/* ---- space --------------------------------------------------------------- */

struct pv_store_space {
    int64_t page_bytes, pages, free_pages; /* the file holds pages * page_bytes */
    bool gives_back;                       /* incremental auto-vacuum is on */
};

/* The database's pages now (the WAL's included). */
pv_code pv_store_space_of(struct pv_store *s, struct pv_store_space *out, pv_err *err);

/* Rewrite the whole database with incremental auto-vacuum on (VACUUM), so
 * that free pages go back to the file system, and truncate the WAL.  For a
 * database made before deletes gave space back; on one that already does,
 * it only compacts.  Needs free disk space up to twice the database's size
 * (a temporary copy, and the WAL) and takes the write lock for as long as
 * it runs.  On failure the database is as it was. */
pv_code pv_store_vacuum(struct pv_store *s, pv_err *err);

/* The default database path: $XDG_DATA_HOME/pstatsviz/profiles.db, else
 * ~/.local/share/pstatsviz/profiles.db; creates the folder.  Malloc'd. */
pv_code pv_store_default_path(char **out, pv_err *err);

/* The id of some bytes (hex SHA-256 prefix).  Cannot fail. */
void pv_store_id_of(const uint8_t *buf, size_t len, char id[PV_STORE_ID_HEX + 1]);

struct pv_store_record {
    char id[PV_STORE_ID_HEX + 1];
    bool created;                              /* false: these bytes were stored before */
    char delete_token[PV_STORE_TOKEN_HEX + 1]; /* only when created */
    char *name;                                /* malloc'd: as stored (the first name given) */
    uint32_t functions, edges;
    int64_t total_calls;
    double total_tt;
};

/* Store a parsed profile p under id (pv_store_id_of its size_bytes bytes),
 * with model, its pack (pv_pack_writer_init, written out here, in pieces,
 * so that the packed model is never whole in memory), and entries_json, its entry
 * points as the metadata shows them (a JSON array, or NULL: the metadata
 * then reads the model), in one transaction: the last step of an import
 * (import.h).  name and entries_json are copied.  When another
 * connection stored id since the caller looked (pv_store_find), res is its
 * record and nothing is written.  Free res->name with free().  On failure
 * nothing is written.
 *
 * With a gate: PV_E_BUSY when max_queued_writes writes wait already (see
 * pv_store_retry_after_s).  PV_E_FULL when the disk is full. */
pv_code pv_store_import(struct pv_store *s, const char *id, const struct pv_profile *p,
                        struct pv_pack_writer *model, const char *entries_json,
                        size_t size_bytes, const char *name, struct pv_store_record *res,
                        pv_err *err);

/* The same in two steps, so that the import can finish the model while the
 * functions' rows are written (import.c).  txn is caller memory.
 *
 * pv_store_import_begin() takes the write turn, opens the transaction and
 * writes p's names and functions, which are only read (the rest of p need
 * not be ready: pv_profile_read).  On PV_OK with txn->open, end it with
 * pv_store_import_commit() (p whole by then) or pv_store_import_abandon().
 * On PV_OK without, id was stored already: res is its record.  On failure
 * nothing is open or written.  Between the two, s is txn's alone.
 *
 * pv_store_import_commit() writes the model and the profile's row and
 * commits; on failure it rolls back, and nothing is written. */
struct pv_store_import_txn {
    struct pv_store *s;
    struct timespec t0;                  /* the write turn's start */
    int64_t pk;                          /* the profile row's, chosen in begin */
    char token[PV_STORE_TOKEN_HEX + 1];  /* the delete token */
    bool open;
};
pv_code pv_store_import_begin(struct pv_store *s, const char *id, const struct pv_profile *p,
                              struct pv_store_import_txn *txn, struct pv_store_record *res,
                              pv_err *err);
pv_code pv_store_import_commit(struct pv_store_import_txn *txn, const struct pv_profile *p,
                               struct pv_pack_writer *model, const char *entries_json,
                               const char *id, size_t size_bytes, const char *name,
                               struct pv_store_record *res, pv_err *err);
void pv_store_import_abandon(struct pv_store_import_txn *txn);

/* An import parses between these two, so that a gate bounds how many
 * parse at once: PV_E_BUSY when max_parsing imports are parsing already
 * (see pv_store_retry_after_s).  Without a gate enter cannot fail.  leave
 * says how long the parse took, for the retry estimate; call it once for
 * every enter that returned PV_OK. */
pv_code pv_store_parse_enter(struct pv_store *s, pv_err *err);
void pv_store_parse_leave(struct pv_store *s, double elapsed_ms);

/* The import record of a stored id (created = false, no token):
 * PV_OK, or PV_E_NOTFOUND. */
pv_code pv_store_find(struct pv_store *s, const char *id, struct pv_store_record *res, pv_err *err);

/* Rebuild a stored profile's model.  *out is yours (pv_profile_destroy). */
pv_code pv_store_load(struct pv_store *s, const char *id, struct pv_profile **out, pv_err *err);

struct pv_store_meta {
    char id[PV_STORE_ID_HEX + 1];
    char *name;          /* malloc'd */
    int64_t size_bytes;
    int marshal_version;
    bool python2;
    int64_t created_ms;  /* Unix time */
    int64_t total_calls, prim_calls;
    double total_tt;
    uint32_t functions, edges;
    char *warnings_json; /* malloc'd JSON array of strings */
    char *entries_json;  /* malloc'd JSON array: the entry points as the metadata shows them;
                            NULL for a profile stored before schema version 4, and in a
                            list's rows */
};

/* Fill out (caller memory) with the stored profile id's metadata: PV_OK,
 * then pv_store_meta_fini(out); else PV_E_NOTFOUND, PV_E_NOMEM or PV_E_DB,
 * with nothing to fini. */
pv_code pv_store_meta_init(struct pv_store_meta *out, struct pv_store *s, const char *id,
                           pv_err *err);
/* Free what pv_store_meta_init() or a list's row filled in. */
void pv_store_meta_fini(struct pv_store_meta *m);

/* One page of the stored profiles, newest first.  name_contains (NULL or
 * empty: every profile) keeps the names that contain it, ASCII letters in
 * any case. */
struct pv_store_list_query {
    const char *name_contains;
    int64_t limit, offset;
};

/* Set *total to the number of profiles the query keeps, then call fn for
 * each profile of its page; stop early when fn returns false.  The index on
 * the upload time makes a page cost its offset plus limit rows, not a sort
 * of every profile. */
pv_code pv_store_list(struct pv_store *s, const struct pv_store_list_query *query,
                      bool (*fn)(const struct pv_store_meta *, void *), void *ctx, int64_t *total,
                      pv_err *err);

/* Delete a profile if token matches its delete token: PV_E_NOTFOUND,
 * PV_E_DENIED (wrong token, nothing deleted) or PV_OK; then give its pages
 * back to the file system (when that fails, on a full disk say, the delete
 * stands and the pages are reused by later imports).  PV_E_FULL when the
 * disk is too full to record the delete (nothing deleted).  With a gate,
 * PV_E_BUSY when the queue is full or the turn does not come within
 * PV_STORE_DELETE_WAIT_MS: a delete waits on a thread that serves other
 * requests too. */
enum { PV_STORE_DELETE_WAIT_MS = 2000 };
pv_code pv_store_delete(struct pv_store *s, const char *id, const char *token, pv_err *err);

/* ---- memory data (store_memory.c) ---------------------------------------- */

/* A memory record to store: its id (pv_store_id_of its bytes), name (as
 * given; copied), kind ("mprof" or "lines"), and what memory.h makes of it. */
struct pv_store_memory_new {
    const char *id, *name, *kind;
    size_t size_bytes;
    double peak_mib;
    const char *summary_json, *record_json;
    const void *samples, *children; /* packed (memory.h), or NULL */
    size_t samples_bytes, children_bytes;
};

struct pv_store_memory_import {
    char id[PV_STORE_ID_HEX + 1];
    bool created;                        /* false: stored before */
    bool attached;                       /* a new attachment was made */
    char delete_token[PV_STORE_TOKEN_HEX + 1]; /* only when created */
    char kind[8];
    char *name;         /* malloc'd: as stored */
    char *summary_json; /* malloc'd */
};
void pv_store_memory_import_fini(struct pv_store_memory_import *res);

/* The record of a stored memory id (created = false): PV_OK or
 * PV_E_NOTFOUND. */
pv_code pv_store_memory_find(struct pv_store *s, const char *id,
                             struct pv_store_memory_import *res, pv_err *err);

/* Store m in one transaction, attached to the profile attach_to (NULL:
 * none; PV_E_NOTFOUND, and nothing stored, when no such profile).  When m->id
 * is stored already (another connection was first), res is that record and
 * only the attachment is added.  On success fini res.  PV_E_BUSY, PV_E_FULL
 * as pv_store_import(). */
pv_code pv_store_memory_import(struct pv_store *s, const struct pv_store_memory_new *m,
                               const char *attach_to, struct pv_store_memory_import *res,
                               pv_err *err);

/* Attach the stored memory record id to the profile pid: PV_E_NOTFOUND when
 * either is not stored; *added says whether the attachment is new. */
pv_code pv_store_memory_attach(struct pv_store *s, const char *id, const char *pid, bool *added,
                               pv_err *err);

/* A stored memory record as it is read back. */
struct pv_store_memory {
    char id[PV_STORE_ID_HEX + 1];
    char kind[8];
    char *name;        /* malloc'd */
    int64_t created_ms;
    double peak_mib;
    char *record_json; /* malloc'd, or NULL when not asked for */
    void *samples, *children; /* malloc'd, or NULL when not asked for */
    size_t samples_bytes, children_bytes;
    char (*attached_to)[PV_STORE_ID_HEX + 1]; /* malloc'd: oldest attachment first */
    size_t nattached;
};
void pv_store_memory_fini(struct pv_store_memory *m);

/* What to read of a record besides its row. */
enum { PV_STORE_MEMORY_RECORD = 1, PV_STORE_MEMORY_SAMPLES = 2 };

/* Fill out (caller memory) with the memory record id, with what `what`
 * asks for: PV_OK, then pv_store_memory_fini(out); else PV_E_NOTFOUND,
 * PV_E_NOMEM or PV_E_DB, with nothing to fini. */
pv_code pv_store_memory_init(struct pv_store_memory *out, struct pv_store *s, const char *id,
                             unsigned what, pv_err *err);

/* Call fn for each memory record attached to the profile pid, oldest
 * attachment first (attached_to not filled, record_json when what asks);
 * stop early when fn returns false.  No such profile: no calls. */
pv_code pv_store_memory_of_profile(struct pv_store *s, const char *pid, unsigned what,
                                   bool (*fn)(const struct pv_store_memory *, void *), void *ctx,
                                   pv_err *err);

/* Read the memory record id's packed samples (memory.h): the main
 * process's, or with children the children's, in chunks of whole samples
 * given to fn in file order (none for a line report).  Streamed through
 * SQLite's incremental BLOB reads: a million samples are read without a
 * 16 MB copy.  PV_E_NOTFOUND for an unknown id. */
pv_code pv_store_memory_read_samples(struct pv_store *s, const char *id, bool children,
                                     void (*fn)(const void *chunk, size_t bytes, void *ctx),
                                     void *ctx, pv_err *err);

/* A hash of the ids attached to the profile pid (0: none), which changes
 * whenever they do: answers that show them are ETagged with it. */
pv_code pv_store_memory_stamp(struct pv_store *s, const char *pid, uint64_t *out, pv_err *err);

/* Delete the memory record id if token is its delete token or that of a
 * profile it is attached to: PV_E_NOTFOUND, PV_E_DENIED or PV_OK.  With a
 * gate, PV_E_BUSY as pv_store_delete(). */
pv_code pv_store_memory_delete(struct pv_store *s, const char *id, const char *token,
                               pv_err *err);

#endif
