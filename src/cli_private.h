/* cli_private.h - what cli.c lends cli_diff.c, cli_memory.c and
 * cli_serve.c: exit statuses, one-line errors, sizes, reading a gzip file
 * whole, telling an id from a file, opening the database; and what those
 * three give back.  Inside the cli module only. */
#ifndef PV_CLI_PRIVATE_H
#define PV_CLI_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "pv.h"

struct pv_import_any;
struct pv_profile;
struct pv_store;

enum { PV_CLI_EXIT_FAIL = 1, PV_CLI_EXIT_USAGE = 2 };

/* A FILE.gz is read whole into memory, inflated: at most this much for
 * import, top, export and diff (pstatsviz FILE holds it to --max-upload,
 * like an upload).  Larger profiles are rare; gunzip those first, and they
 * are read mapped, a few pages at a time. */
#define PV_CLI_GUNZIP_MAX_BYTES ((size_t)1 << 30)

/* "pstatsviz: WHAT: WHY" on stderr; returns the exit status for err
 * (PV_CLI_EXIT_USAGE for PV_E_USAGE, else PV_CLI_EXIT_FAIL). */
int pv_cli_fail(const char *what, const pv_err *err);

/* "pstatsviz: MESSAGE (see pstatsviz --help)" on stderr; returns
 * PV_CLI_EXIT_USAGE. */
int pv_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* -n's value, a count or "all" (-1), into *limit: 0, or the exit status
 * after its one-line error. */
int pv_cli_parse_limit(const char *v, long *limit);

/* A size, "256M", "1G", "64K" or bytes, into *out: false when it is none
 * (nothing written). */
bool pv_cli_parse_size(const char *s, size_t *out);

/* The inflated bytes of the file at path when it is gzip (its first two
 * bytes say so, not its name): 0 with *out malloc'd (free it) and *len,
 * or the exit status after its one-line error.  0 with *out NULL when it
 * is no gzip, or cannot be opened: the usual reading of the file says
 * why. */
int pv_cli_read_gzip_file(const char *path, size_t max_bytes, uint8_t **out, size_t *len);

/* The part of path after its last '/' (path itself when there is none or
 * nothing follows it).  Borrowed from path. */
const char *pv_cli_base_name(const char *path);

/* Whether s has the shape of a stored id (a file of that name still comes
 * first where both could be meant). */
bool pv_cli_looks_like_id(const char *s);

/* The database at db (NULL: the default path): 0 and *s yours
 * (pv_store_close), or the exit status after its one-line error. */
int pv_cli_open_store(const char *db, struct pv_store **s);

/* Whether the files at paths[0 .. n) are large enough for their import to
 * write straight into the database file (pv_store_write_direct()). */
bool pv_cli_worth_writing_direct(const char *const *paths, int n);

/* ---- cli_memory.c ------------------------------------------------------- */

/* Told of each file pv_cli_import_files() stored: i is its place among
 * the paths, attached_to the id of the profile memory data was attached to
 * (NULL: none).  res is borrowed for the call; parsed, the model of a
 * stats file that was parsed (NULL: stored already, or memory data), is
 * the function's to keep or to pv_profile_destroy(). */
typedef void (*pv_cli_imported_fn)(void *ctx, int i, const struct pv_import_any *res,
                                   const char *attached_to, struct pv_profile *parsed);

/* Store the files at paths[0 .. n) in order, of any kind, a gzip one
 * inflated to at most max_gunzip_bytes: memory data is attached to the
 * nearest stats file stored before it (none: not attached).  Each file
 * stored is told to imported(ctx, ...); each failure is its one-line error.
 * keep_going: a failure does not stop the next files, and the last
 * failure's exit status is returned; else the first failure stops it.
 * Returns 0 when every file was stored. */
int pv_cli_import_files(struct pv_store *s, const char *const *paths, int n,
                        size_t max_gunzip_bytes, bool keep_going, pv_cli_imported_fn imported,
                        void *ctx);

/* `pstatsviz export` of memory data, a file or a stored id, as its
 * canonical record (GET /api/memory/<id>'s fields, then every sample):
 * *handled false (and 0) when arg is neither, but a stats file, a
 * profile's id or nothing, which the usual loading tells apart.  Returns 0
 * or the exit status after its one-line error. */
int pv_cli_export_memory(const char *arg, const char *db, pv_export_format format,
                         bool *handled);

/* ---- cli.c and cli_diff.c ----------------------------------------------- */

/* A profile from a file path, or from the database (db, NULL: the default)
 * by id: 0 and *p yours (pv_profile_destroy), or the exit status after a
 * one-line error on stderr. */
int pv_cli_load_profile(const char *arg, const char *db, struct pv_profile **p);

/* pstatsviz diff A B ... (cli_diff.c): argv holds what follows "diff". */
int pv_cli_diff_main(int argc, char **argv);

/* ---- cli_serve.c -------------------------------------------------------- */

/* pstatsviz serve ... (argv holds what follows "serve"), or, file_mode,
 * pstatsviz FILE... (argv holds the files and options). */
int pv_cli_serve_main(int argc, char **argv, bool file_mode);

#endif
