/* import.h - the one import pipeline: a stats file's bytes are read, made
 * into a model (profile.h), packed (pack.h) and stored (store.h).  The CLI
 * imports files and the server imports uploads through it, so both store
 * alike.
 *
 * A profile's id comes from its bytes (pv_store_id_of): bytes stored
 * already are not parsed again, and their record comes back with
 * created = false.  Parsing runs before the write transaction, so other
 * connections' reads and uploads go on meanwhile; with a gate on the
 * store, parsing waits for its turn like the write does (store.h). */
#ifndef PV_IMPORT_H
#define PV_IMPORT_H

#include <stddef.h>
#include <stdint.h>

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
                        struct pv_profile **parsed, struct pv_import *res, pv_err *err);

/* Import the file at path under its base name.  It is mapped, not copied,
 * and the pages the parser has read are given back as it goes, so a 100 MB
 * file costs a few MB while it is parsed.  PV_E_NOTFOUND when there is no
 * such file, PV_E_IO when it cannot be read or is not a regular file, and
 * the failures of pv_import_bytes(). */
pv_code pv_import_file(struct pv_store *s, const char *path, struct pv_import *res, pv_err *err);

/* Read the file at path into a model without storing it (`top FILE`,
 * `export FILE`), with memory as pv_import_file() uses it.  On success *out
 * is yours (pv_profile_destroy).  PV_E_NOTFOUND only when there is no such
 * file; else the failures of reading it and the reader's. */
pv_code pv_import_read_file(const char *path, struct pv_profile **out, pv_err *err);

#endif
