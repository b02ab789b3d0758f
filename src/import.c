/* import.c - the import pipeline: read, model, pack and entry points,
 * store (see import.h). */
#include "import.h"

#include <assert.h>
#include <stdlib.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pack.h"
#include "profile_json.h"
#include "tree.h"

/* ---- read --------------------------------------------------------------- */

/* A whole file, mapped read-only (an empty file is "" and maps nothing).
 * Release with unmap_file(). */
static pv_code map_file(const char *path, const uint8_t **data, size_t *len, pv_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pv_err_set(err, errno == ENOENT ? PV_E_NOTFOUND : PV_E_IO, "%s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return pv_err_set(err, PV_E_IO, "not a regular file");
    }
    *len = (size_t)st.st_size;
    if (*len == 0) {
        close(fd);
        *data = (const uint8_t *)"";
        return PV_OK;
    }
    void *m = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return pv_err_set(err, PV_E_IO, "%s", strerror(errno));
    *data = m;
    return PV_OK;
}

static void unmap_file(const uint8_t *data, size_t len)
{
    if (len)
        munmap((void *)data, len);
}

/* A file being parsed: mapped, and the pages the parser has read dropped
 * as it goes, so that a 100 MB file costs a few MB of memory while it is
 * parsed, not 100 MB.  They stay mapped, so a reference back into them
 * reads the file again. */
struct parsed_file {
    const uint8_t *data;
    size_t len;
    size_t released;
    struct pv_parse_progress progress; /* what the parser calls back */
};

static void release_consumed(void *ctx, size_t offset)
{
    struct parsed_file *f = ctx;
    if (offset == f->len) {
        /* Parsing is over: drop everything, pages that references made the
         * parser read again included. */
        madvise((void *)f->data, f->len, MADV_DONTNEED);
        f->released = f->len;
        return;
    }
    size_t upto = offset & ~(size_t)4095; /* mappings start page-aligned */
    if (upto >= f->released + (8u << 20)) {
        madvise((void *)(f->data + f->released), upto - f->released, MADV_DONTNEED);
        f->released = upto;
    }
}

/* Map path into f (caller memory; close with parsed_file_close). */
static pv_code parsed_file_open(struct parsed_file *f, const char *path, pv_err *err)
{
    *f = (struct parsed_file){.progress = {.consumed = release_consumed, .ctx = f}};
    return map_file(path, &f->data, &f->len, err);
}

/* The progress to hand the parser: none for an empty file, which maps
 * nothing to release. */
static const struct pv_parse_progress *parsed_file_progress(const struct parsed_file *f)
{
    return f->len ? &f->progress : NULL;
}

static void parsed_file_close(struct parsed_file *f)
{
    unmap_file(f->data, f->len);
}

/* ---- model, pack, store ------------------------------------------------- */

/* What the metadata shows of the model, kept with the stored row so that
 * reading it loads no model: the entry points as JSON (free with
 * cJSON_free), or NULL with err set. */
static char *entries_json(const struct pv_profile *p, pv_err *err)
{
    struct pv_entry *entries;
    size_t n;
    if (pv_tree_entries(p, &entries, &n, err))
        return NULL;
    cJSON *list = pv_profile_json_entries(p, entries, n);
    free(entries);
    char *text = list ? cJSON_PrintUnformatted(list) : NULL;
    cJSON_Delete(list);
    if (!text)
        pv_err_set(err, PV_E_NOMEM, "out of memory");
    return text;
}

/* The pipeline from bytes on; progress (may be NULL) goes to the parser. */
static pv_code import_bytes(struct pv_store *s, const uint8_t *buf, size_t len, const char *name,
                            const struct pv_parse_progress *progress,
                            struct pv_profile **parsed, struct pv_store_record *res, pv_err *err)
{
    if (parsed)
        *parsed = NULL;
    char id[PV_STORE_ID_HEX + 1];
    pv_store_id_of(buf, len, id);
    pv_code rc = pv_store_find(s, id, res, err);
    if (rc != PV_E_NOTFOUND)
        return rc; /* stored already (created = false), or the store failed */
    if (pv_store_parse_enter(s, err))
        return err->code;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct pv_profile *p;
    rc = pv_profile_parse_progress(buf, len, progress, &p, err);
    pv_store_parse_leave(s, pv_elapsed_ms(&t0));
    if (rc)
        return rc;
    char *entries = entries_json(p, err);
    if (!entries)
        goto destroy_profile;
    /* Packed as it is written, in the write turn: packing first kept a
     * second copy of the edges (20 MB for 100k functions) for the store
     * to copy again, and encoding them is a few ms of the turn. */
    struct pv_pack_writer model;
    pv_pack_writer_init(&model, p);
    rc = pv_store_import(s, id, p, &model, entries, len, name, res, err);
    cJSON_free(entries);
    if (rc)
        goto destroy_profile;
    if (parsed)
        *parsed = p;
    else
        pv_profile_destroy(p);
    return PV_OK;

destroy_profile:
    pv_profile_destroy(p);
    return err->code;
}

pv_code pv_import_bytes(struct pv_store *s, const uint8_t *buf, size_t len, const char *name,
                        struct pv_profile **parsed, struct pv_store_record *res, pv_err *err)
{
    return import_bytes(s, buf, len, name, NULL, parsed, res, err);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

pv_code pv_import_file(struct pv_store *s, const char *path, struct pv_store_record *res,
                       pv_err *err)
{
    struct parsed_file f;
    if (parsed_file_open(&f, path, err))
        return err->code;
    pv_code rc = import_bytes(s, f.data, f.len, base_name(path), parsed_file_progress(&f), NULL,
                              res, err);
    parsed_file_close(&f);
    return rc;
}

pv_code pv_import_read_file(const char *path, struct pv_profile **out, pv_err *err)
{
    struct parsed_file f;
    if (parsed_file_open(&f, path, err))
        return err->code;
    pv_code rc = pv_profile_parse_progress(f.data, f.len, parsed_file_progress(&f), out, err);
    parsed_file_close(&f);
    /* callers tell a missing file from a stored id by this code */
    assert(rc != PV_E_NOTFOUND);
    return rc;
}

/* ---- any kind of file ---------------------------------------------------- */

void pv_import_any_fini(struct pv_import_any *res)
{
    if (res->kind == PV_MEMORY_NONE) {
        free(res->stats.name);
        res->stats.name = NULL;
    } else
        pv_store_memory_import_fini(&res->memory);
}

/* Memory data from bytes on: parse, make its JSON, store (attaching). */
static pv_code import_memory(struct pv_store *s, const uint8_t *buf, size_t len,
                             const char *name, const char *attach_to,
                             struct pv_store_memory_import *res, pv_err *err)
{
    char id[PV_STORE_ID_HEX + 1];
    pv_store_id_of(buf, len, id);
    pv_code rc = pv_store_memory_find(s, id, res, err);
    if (rc == PV_OK) {
        if (attach_to && pv_store_memory_attach(s, id, attach_to, &res->attached, err)) {
            pv_store_memory_import_fini(res);
            return err->code;
        }
        return PV_OK;
    }
    if (rc != PV_E_NOTFOUND)
        return rc;
    if (pv_store_parse_enter(s, err))
        return err->code;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct pv_memory *m = NULL;
    rc = pv_memory_parse(buf, len, &m, err);
    char *body = NULL, *summary = NULL;
    if (!rc && (rc = pv_memory_body_json(m, &body, err)) == PV_OK)
        rc = pv_memory_summary_json(m, &summary, err);
    pv_store_parse_leave(s, pv_elapsed_ms(&t0));
    if (rc)
        goto free_json;
    struct pv_store_memory_new rec = {
        .id = id, .name = name, .kind = pv_memory_kind_name(m->kind), .size_bytes = len,
        .peak_mib = pv_memory_peak_mib(m), .summary_json = summary, .record_json = body};
    pv_memory_samples(m, &rec.samples, &rec.samples_bytes, &rec.children, &rec.children_bytes);
    rc = pv_store_memory_import(s, &rec, attach_to, res, err);

free_json:
    free(body);
    free(summary);
    pv_memory_destroy(m);
    return rc;
}

static pv_code import_any(struct pv_store *s, const uint8_t *buf, size_t len, const char *name,
                          const char *attach_to, const struct pv_parse_progress *progress,
                          struct pv_profile **parsed, struct pv_import_any *res, pv_err *err)
{
    if (parsed)
        *parsed = NULL;
    memset(res, 0, sizeof *res);
    res->kind = pv_memory_sniff(buf, len);
    if (res->kind != PV_MEMORY_NONE)
        return import_memory(s, buf, len, name, attach_to, &res->memory, err);
    if (attach_to)
        return pv_err_set(err, PV_E_USAGE,
                          "attach= is for memory data (an mprof recording or a memory_profiler "
                          "report), and this is a stats file");
    return import_bytes(s, buf, len, name, progress, parsed, &res->stats, err);
}

pv_code pv_import_any_bytes(struct pv_store *s, const uint8_t *buf, size_t len, const char *name,
                            const char *attach_to, struct pv_profile **parsed,
                            struct pv_import_any *res, pv_err *err)
{
    return import_any(s, buf, len, name, attach_to, NULL, parsed, res, err);
}

pv_code pv_import_any_file(struct pv_store *s, const char *path, const char *attach_to,
                           struct pv_profile **parsed, struct pv_import_any *res, pv_err *err)
{
    struct parsed_file f;
    if (parsed_file_open(&f, path, err))
        return err->code;
    pv_code rc = import_any(s, f.data, f.len, base_name(path), attach_to,
                            parsed_file_progress(&f), parsed, res, err);
    parsed_file_close(&f);
    return rc;
}

enum pv_memory_kind pv_import_sniff_file(const char *path)
{
    /* Set although map_file sets them on success: at -O3 gcc cannot see
     * that its error return is never PV_OK. */
    const uint8_t *data = NULL;
    size_t len = 0;
    pv_err err;
    if (map_file(path, &data, &len, &err))
        return PV_MEMORY_NONE;
    enum pv_memory_kind kind = pv_memory_sniff(data, len);
    unmap_file(data, len);
    return kind;
}

pv_code pv_import_read_memory_file(const char *path, char id[PV_STORE_ID_HEX + 1],
                                   struct pv_memory **out, pv_err *err)
{
    const uint8_t *data = NULL; /* as in pv_import_sniff_file */
    size_t len = 0;
    if (map_file(path, &data, &len, err))
        return err->code;
    pv_store_id_of(data, len, id);
    pv_code rc = pv_memory_parse(data, len, out, err);
    unmap_file(data, len);
    return rc;
}
