/* import.h - the one import pipeline: a stats file's bytes are read, made
 * into a model (profile.h), packed (pack.h) and stored (store.h), with
 * the entry points the metadata shows (tree.h, api_json.h), so that the
 * metadata is a row read, not a model load.  The CLI
 * imports files and the server imports uploads through it, so both store
 * alike.
 *
 * A profile's id comes from its bytes (pv_store_id_of): bytes stored
 * already are not parsed again, and their record comes back with
 * created = false.  (A big input's id is hashed on a thread of its own
 * while the parse begins, which stops as soon as the id is found stored.)
 * Parsing runs before the write transaction, so other
 * connections' reads and uploads go on meanwhile; with a gate on the
 * store, parsing waits for its turn like the write does (store.h). */
#ifndef PV_IMPORT_H
#define PV_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "memory.h"
#include "profile.h"
#include "pv.h"
#include "store.h"

/* Import len bytes at buf (an upload) under name (copied).  parsed (may be
 * NULL) receives the model when the bytes were parsed and stored (yours:
 * pv_profile_destroy), else NULL, so a server can keep it at hand.  Free
 * res->name with free().  On failure nothing is stored and err holds the
 * reader's or the store's message; with a gate, PV_E_BUSY when max_parsing
 * imports are parsing already, or when, parsed, max_queued_writes writes
 * wait already (the parse is then lost; see pv_store_retry_after_s). */
pv_code pv_import_bytes(struct pv_store *s, const uint8_t *buf, size_t len, const char *name,
                        struct pv_profile **parsed, struct pv_store_record *res, pv_err *err);

/* Import the file at path under its base name.  It is mapped, not copied,
 * and the pages the parser has read are given back as it goes, so a 100 MB
 * file costs a few MB while it is parsed.  PV_E_NOTFOUND when there is no
 * such file, PV_E_IO when it cannot be read or is not a regular file, and
 * the failures of pv_import_bytes(). */
pv_code pv_import_file(struct pv_store *s, const char *path, struct pv_store_record *res,
                       pv_err *err);

/* Read the file at path into a model without storing it (`top FILE`,
 * `export FILE`), with memory as pv_import_file() uses it.  On success *out
 * is yours (pv_profile_destroy).  PV_E_NOTFOUND only when there is no such
 * file; else the failures of reading it and the reader's. */
pv_code pv_import_read_file(const char *path, struct pv_profile **out, pv_err *err);

/* ---- any kind of file: stats or memory data ------------------------------ */

/* What an import of any kind made: a stats file's record (kind
 * PV_MEMORY_NONE) or memory data's. */
struct pv_import_any {
    enum pv_memory_kind kind;
    struct pv_store_record stats;              /* kind PV_MEMORY_NONE */
    struct pv_store_memory_import memory; /* else */
};
void pv_import_any_fini(struct pv_import_any *res);

/* Import len bytes at buf, told apart by their content (memory.h), and
 * fill res (caller memory) with what was made: memory data is parsed (its
 * id is that of the bytes: bytes stored already are not parsed again) and
 * stored, attached to the profile attach_to when it is not NULL; anything
 * else goes through pv_import_bytes() (parsed: as there).  PV_E_USAGE when
 * attach_to is given with a stats file (nothing stored), PV_E_NOTFOUND
 * when it names no stored profile; else the failures of pv_import_bytes()
 * and of the memory readers.  On success pv_import_any_fini(res). */
pv_code pv_import_any_init_bytes(struct pv_import_any *res, struct pv_store *s,
                                 const uint8_t *buf, size_t len, const char *name,
                                 const char *attach_to, struct pv_profile **parsed, pv_err *err);

/* The same for the file at path, under its base name (mapped, as
 * pv_import_file() does); PV_E_NOTFOUND also when there is no such file. */
pv_code pv_import_any_init_file(struct pv_import_any *res, struct pv_store *s, const char *path,
                                const char *attach_to, struct pv_profile **parsed, pv_err *err);

/* Whether the file at path is memory data (by its content; false when it
 * cannot be read: reading it says why).  Cannot fail. */
enum pv_memory_kind pv_import_sniff_file(const char *path);

/* Read the memory data file at path without storing it (`export FILE`),
 * with its id (pv_store_id_of its bytes).  On success *out is yours
 * (pv_memory_destroy). */
pv_code pv_import_read_memory_file(const char *path, char id[PV_STORE_ID_HEX + 1],
                                   struct pv_memory **out, pv_err *err);

#endif
