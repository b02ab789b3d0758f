/* import.c - the import pipeline: read, model, pack, store (see import.h). */
#include "import.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pack.h"

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

/* Drop the pages of a mapped file the parser has read: a 100 MB file then
 * costs a few MB of memory while it is parsed, not 100 MB.  They stay
 * mapped, so a reference back into them reads the file again. */
struct release {
    const uint8_t *data;
    size_t len;
    size_t released;
};

static void release_consumed(void *ctx, size_t offset)
{
    struct release *r = ctx;
    if (offset == r->len) {
        /* Parsing is over: drop everything, pages that references made the
         * parser read again included. */
        madvise((void *)r->data, r->len, MADV_DONTNEED);
        r->released = r->len;
        return;
    }
    size_t upto = offset & ~(size_t)4095; /* mappings start page-aligned */
    if (upto >= r->released + (8u << 20)) {
        madvise((void *)(r->data + r->released), upto - r->released, MADV_DONTNEED);
        r->released = upto;
    }
}

/* ---- model, pack, store ------------------------------------------------- */

/* The pipeline from bytes on; progress (may be NULL) goes to the parser. */
static pv_code import_bytes(struct pv_store *s, const uint8_t *buf, size_t len, const char *name,
                            const struct pv_parse_progress *progress,
                            struct pv_profile **parsed, struct pv_import *res, pv_err *err)
{
    if (parsed)
        *parsed = NULL;
    char id[PV_ID_HEX + 1];
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
    /* packed before the write turn: the turn is held only for writing */
    struct pv_pack_parts model;
    if (pv_pack_parts_init(&model, p, err))
        goto destroy_profile;
    rc = pv_store_import(s, id, p, &model, len, name, res, err);
    pv_pack_parts_fini(&model);
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
                        struct pv_profile **parsed, struct pv_import *res, pv_err *err)
{
    return import_bytes(s, buf, len, name, NULL, parsed, res, err);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

pv_code pv_import_file(struct pv_store *s, const char *path, struct pv_import *res, pv_err *err)
{
    const uint8_t *data;
    size_t len;
    if (map_file(path, &data, &len, err))
        return err->code;
    struct release r = {.data = data, .len = len};
    struct pv_parse_progress progress = {.consumed = release_consumed, .ctx = &r};
    pv_code rc = import_bytes(s, data, len, base_name(path), len ? &progress : NULL, NULL, res,
                              err);
    unmap_file(data, len);
    return rc;
}

pv_code pv_import_read_file(const char *path, struct pv_profile **out, pv_err *err)
{
    const uint8_t *data;
    size_t len;
    if (map_file(path, &data, &len, err))
        return err->code;
    struct release r = {.data = data, .len = len};
    struct pv_parse_progress progress = {.consumed = release_consumed, .ctx = &r};
    pv_code rc = pv_profile_parse_progress(data, len, len ? &progress : NULL, out, err);
    unmap_file(data, len);
    /* callers tell a missing file from a stored id by this code */
    assert(rc != PV_E_NOTFOUND);
    return rc;
}
