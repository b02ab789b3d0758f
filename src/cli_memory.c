/* cli_memory.c - memory data on the command line: attached to the
 * profile before it as `pstatsviz import` and `pstatsviz FILE...` store
 * their files, and exported as its record by `pstatsviz export`.
 *
 * The rule "memory data belongs to the nearest stats file before it" is
 * written here once, for both ways of importing.  Failures are one line on
 * stderr, as for every subcommand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli_private.h"
#include "import.h"
#include "jsonw.h"
#include "memory.h"
#include "store.h"

/* ---- importing ---------------------------------------------------------- */

/* Store one file of any kind, a gzip one inflated to at most
 * max_gunzip_bytes; memory data attached to the profile attach_to (NULL:
 * none): 0, or the exit status after its one-line error.  Fini res;
 * *parsed as pv_import_any_init_bytes() sets it. */
static int import_file(struct pv_store *s, const char *path, size_t max_gunzip_bytes,
                       const char *attach_to, struct pv_profile **parsed,
                       struct pv_import_any *res)
{
    pv_err err = {0};
    uint8_t *inflated;
    size_t len;
    *parsed = NULL;
    int status = pv_cli_read_gzip_file(path, max_gunzip_bytes, &inflated, &len);
    if (status)
        return status;
    if (!inflated)
        return pv_import_any_init_file(res, s, path, attach_to, parsed, &err)
                   ? pv_cli_fail(path, &err)
                   : 0;
    pv_code rc = pv_import_any_init_bytes(res, s, inflated, len, pv_cli_base_name(path),
                                          attach_to, parsed, &err);
    free(inflated);
    return rc ? pv_cli_fail(path, &err) : 0;
}

/* Whether the file at path, inflated if it is gzip, is memory data. */
static bool is_memory_file(const char *path)
{
    uint8_t *inflated;
    size_t len;
    if (pv_cli_read_gzip_file(path, PV_CLI_GUNZIP_MAX_BYTES, &inflated, &len) || !inflated)
        return pv_import_sniff_file(path) != PV_MEMORY_NONE;
    bool memory = pv_memory_sniff(inflated, len) != PV_MEMORY_NONE;
    free(inflated);
    return memory;
}

int pv_cli_import_files(struct pv_store *s, const char *const *paths, int n,
                        size_t max_gunzip_bytes, bool keep_going, pv_cli_imported_fn imported,
                        void *ctx)
{
    int status = 0;
    char last_stats[PV_STORE_ID_HEX + 1] = "";
    for (int i = 0; i < n; i++) {
        const char *attach = *last_stats && is_memory_file(paths[i]) ? last_stats : NULL;
        struct pv_import_any res;
        struct pv_profile *parsed;
        int failed = import_file(s, paths[i], max_gunzip_bytes, attach, &parsed, &res);
        if (failed && !keep_going)
            return failed;
        if (failed) {
            status = failed;
            continue;
        }
        imported(ctx, i, &res, attach, parsed);
        if (res.kind == PV_MEMORY_NONE)
            memcpy(last_stats, res.stats.id, sizeof last_stats);
        pv_import_any_fini(&res);
    }
    return status;
}

/* ---- exporting ---------------------------------------------------------- */

/* The canonical record of memory data: GET /api/memory/<id>'s fields,
 * then every sample of an mprof recording. */
static void write_memory_record(FILE *out, const char *id, const char *name, const char *created,
                                const char *const *attached, size_t nattached, const char *body,
                                const void *samples, size_t samples_bytes, const void *children,
                                size_t children_bytes)
{
    fprintf(out, "{\"id\":\"%s\",\"name\":", id);
    pv_jsonw_string(out, name, strlen(name));
    fputs(",\"created\":", out);
    if (created)
        fprintf(out, "\"%s\"", created);
    else
        fputs("null", out);
    fputs(",\"attached_to\":[", out);
    for (size_t i = 0; i < nattached; i++)
        fprintf(out, "%s\"%s\"", i ? "," : "", attached[i]);
    fputs("],", out);
    size_t body_len = strlen(body);
    fwrite(body + 1, 1, body_len - 2, out); /* the body's fields, without its braces */
    if (samples) {
        fputs(",\"mem\":", out);
        pv_memory_write_samples(out, samples, samples_bytes);
        fputs(",\"chld\":", out);
        pv_memory_write_children(out, children, children_bytes);
    }
    fputs("}\n", out);
}

int pv_cli_export_memory(const char *arg, const char *db, pv_export_format format, bool *handled)
{
    pv_err err = {0};
    struct pv_memory *m = NULL;
    uint8_t *inflated;
    size_t len;
    int status = pv_cli_read_gzip_file(arg, PV_CLI_GUNZIP_MAX_BYTES, &inflated, &len);
    if (status)
        return status;
    bool memory = inflated ? pv_memory_sniff(inflated, len) != PV_MEMORY_NONE
                           : pv_import_sniff_file(arg) != PV_MEMORY_NONE;
    struct stat st;
    if (!memory && (inflated || !stat(arg, &st) || !pv_cli_looks_like_id(arg))) {
        free(inflated);
        return 0; /* a file, not memory data */
    }
    *handled = true;
    if (memory && format != PV_EXPORT_JSON) {
        free(inflated);
        return pv_cli_usage_error("%s", "memory data exports as --format json only");
    }
    if (memory) {
        char id[PV_STORE_ID_HEX + 1];
        pv_code rc;
        if (inflated) {
            pv_store_id_of(inflated, len, id);
            rc = pv_memory_parse(inflated, len, &m, &err);
            free(inflated);
        } else
            rc = pv_import_read_memory_file(arg, id, &m, &err);
        if (rc)
            return pv_cli_fail(arg, &err);
        char *body;
        if (pv_memory_body_json(m, &body, &err)) {
            pv_memory_destroy(m);
            return pv_cli_fail(arg, &err);
        }
        const void *samples, *children;
        size_t samples_bytes, children_bytes;
        pv_memory_samples(m, &samples, &samples_bytes, &children, &children_bytes);
        write_memory_record(stdout, id, pv_cli_base_name(arg), NULL, NULL, 0, body, samples,
                            samples_bytes, children, children_bytes);
        free(body);
        pv_memory_destroy(m);
        return fflush(stdout) ? pv_cli_fail(arg, &(pv_err){PV_E_IO, "writing the export failed"}) : 0;
    }
    /* an id: memory data stored, or else a profile's (the usual loading) */
    struct pv_store *s = NULL;
    if ((status = pv_cli_open_store(db, &s)))
        return status;
    struct pv_store_memory rec;
    pv_code rc = pv_store_memory_init(&rec, s, arg,
                                      PV_STORE_MEMORY_RECORD | PV_STORE_MEMORY_SAMPLES, &err);
    pv_store_close(s);
    if (rc == PV_E_NOTFOUND) {
        *handled = false;
        return 0;
    }
    if (rc)
        return pv_cli_fail(arg, &err);
    if (format != PV_EXPORT_JSON) {
        pv_store_memory_fini(&rec);
        return pv_cli_usage_error("%s", "memory data exports as --format json only");
    }
    const char *attached[64];
    size_t nattached = rec.nattached < 64 ? rec.nattached : 64;
    for (size_t i = 0; i < nattached; i++)
        attached[i] = rec.attached_to[i];
    char created[32];
    time_t t = (time_t)(rec.created_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    write_memory_record(stdout, rec.id, rec.name, created, attached, nattached, rec.record_json,
                        rec.samples, rec.samples_bytes, rec.children, rec.children_bytes);
    pv_store_memory_fini(&rec);
    return fflush(stdout) ? pv_cli_fail(arg, &(pv_err){PV_E_IO, "writing the export failed"}) : 0;
}

