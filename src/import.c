/* import.c - the import pipeline: read, model, pack and entry points,
 * store (see import.h). */
#include "import.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
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
 * reads the file again; each release drops everything behind the parser:
 * the pages read again through references, and those the id thread mapped
 * in (kept until the end, they were 10-16 MB of a 33 MB file's import at
 * its peak RSS). */
struct parsed_file {
    const uint8_t *data;
    size_t len;
    size_t released;
    struct pv_parse_progress progress; /* what the parser calls back */
};

static bool release_consumed(void *ctx, size_t offset)
{
    struct parsed_file *f = ctx;
    if (offset == f->len) {
        /* Parsing is over: drop everything, pages that references made the
         * parser read again included. */
        madvise((void *)f->data, f->len, MADV_DONTNEED);
        f->released = f->len;
        return true;
    }
    size_t upto = offset & ~(size_t)4095; /* mappings start page-aligned */
    if (upto >= f->released + (2u << 20)) {
        madvise((void *)f->data, upto, MADV_DONTNEED);
        f->released = upto;
    }
    return true;
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

/* ---- work beside the pipeline's own thread ------------------------------- */

/* From this size of input on, the import runs two of its steps on threads
 * of their own, beside the parse and the store; below it, a thread is not
 * worth starting. */
enum { THREAD_MIN_BYTES = 1 << 20 };

/* Run fn(arg) for an input of len bytes: on a thread of its own (*thread)
 * from THREAD_MIN_BYTES on, else, or when no thread can start, here and
 * now.  Whether a thread runs it, to be joined with join_beside(). */
static bool start_beside(pthread_t *thread, size_t len, void *(*fn)(void *), void *arg)
{
    if (len >= THREAD_MIN_BYTES && pthread_create(thread, NULL, fn, arg) == 0)
        return true;
    fn(arg);
    return false;
}

static void join_beside(pthread_t *thread, bool *threaded)
{
    if (*threaded) {
        pthread_join(*thread, NULL);
        *threaded = false;
    }
}

/* ---- the id, beside the parse -------------------------------------------- */

/* The id hashes every byte (pv_store_id_of): 10% of a 100k-function
 * import's CPU, which the parse would wait for, since bytes stored
 * already are not parsed again.  A thread of its own hashes them while the
 * parser reads the same bytes; the parse stops at its next entry once the
 * id shows the profile is stored. */

struct id_job {
    const uint8_t *buf;
    size_t len;
    char id[PV_STORE_ID_HEX + 1];
    atomic_bool ready; /* id is written */
    bool threaded;     /* thread is to be joined */
    pthread_t thread;
};

static void *id_job_run(void *arg)
{
    struct id_job *job = arg;
    pv_store_id_of(job->buf, job->len, job->id);
    atomic_store_explicit(&job->ready, true, memory_order_release);
    return NULL;
}

/* Start hashing buf (read-only until id_job_wait): on a thread for big
 * inputs, else, or when no thread can start, here and now.  (The pages the
 * thread maps in ahead of the parser are dropped as the parser passes
 * them: see parsed_file.  Dropping them as soon as they are hashed saved
 * under 1 MB of a 100k-function import's peak RSS.) */
static void id_job_start(struct id_job *job, const uint8_t *buf, size_t len)
{
    *job = (struct id_job){.buf = buf, .len = len};
    atomic_init(&job->ready, false);
    job->threaded = start_beside(&job->thread, len, id_job_run, job);
}

static bool id_job_ready(struct id_job *job)
{
    return atomic_load_explicit(&job->ready, memory_order_acquire);
}

/* The id, once the thread (if any) is done. */
static const char *id_job_wait(struct id_job *job)
{
    join_beside(&job->thread, &job->threaded);
    return job->id;
}

/* ---- the model's second step, beside the store's first ---------------- */

/* Once the functions are numbered (pv_profile_read), finishing the model
 * (sorting and indexing the edges, and its entry points) and writing the
 * names and functions' rows (pv_store_import_begin) need nothing of each
 * other: for 100k functions, 35 ms each.  The finish runs on a thread of
 * its own meanwhile. */
struct finish_job {
    struct pv_profile_build *build;
    char *entries; /* entries_json(), on success */
    double ms;     /* how long it took */
    pv_code rc;
    pv_err err;
    bool threaded;
    pthread_t thread;
};

static void *finish_job_run(void *arg)
{
    struct finish_job *job = arg;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    job->rc = pv_profile_finish(job->build, &job->err);
    if (!job->rc && !(job->entries = entries_json(pv_profile_build_model(job->build), &job->err)))
        job->rc = job->err.code;
    job->ms = pv_elapsed_ms(&t0);
    return NULL;
}

/* Finish build: on a thread for big inputs, else, or when no thread can
 * start, here and now.  Until finish_job_wait(), only the build's names
 * and functions may be read. */
static void finish_job_start(struct finish_job *job, struct pv_profile_build *build, size_t len)
{
    *job = (struct finish_job){.build = build};
    job->threaded = start_beside(&job->thread, len, finish_job_run, job);
}

static void finish_job_wait(struct finish_job *job)
{
    join_beside(&job->thread, &job->threaded);
}

/* The parse's progress as import_bytes() watches it: the caller's, and
 * a look in the store as soon as the id is ready. */
struct parse_watch {
    const struct pv_parse_progress *inner; /* may be NULL */
    struct pv_parse_progress progress;     /* what the parser calls */
    struct id_job *job;
    struct pv_store *s;
    struct pv_store_record *res;
    bool looked;   /* found holds the store's answer */
    pv_code found; /* PV_E_NOTFOUND: a new profile; PV_OK: stored already */
    pv_err find_err;
};

/* Look the id up in the store, once. */
static pv_code watch_look(struct parse_watch *w)
{
    if (!w->looked) {
        w->found = pv_store_find(w->s, id_job_wait(w->job), w->res, &w->find_err);
        w->looked = true;
    }
    return w->found;
}

static bool watch_consumed(void *ctx, size_t offset)
{
    struct parse_watch *w = ctx;
    if (w->inner && !w->inner->consumed(w->inner->ctx, offset))
        return false;
    return w->looked || !id_job_ready(w->job) || watch_look(w) == PV_E_NOTFOUND;
}

/* The pipeline from bytes on; progress (may be NULL) goes to the parser. */
static pv_code import_bytes(struct pv_store *s, const uint8_t *buf, size_t len, const char *name,
                            const struct pv_parse_progress *progress,
                            struct pv_profile **parsed, struct pv_store_record *res, pv_err *err)
{
    if (parsed)
        *parsed = NULL;
    struct id_job job;
    id_job_start(&job, buf, len);
    struct parse_watch watch = {.inner = progress, .job = &job, .s = s, .res = res,
                                .progress = {.consumed = watch_consumed, .ctx = &watch}};
    /* Waiting for the id first (a small input's is ready already) saves
     * the parse, which a profile stored already does not need. */
    if ((!job.threaded && watch_look(&watch) != PV_E_NOTFOUND) || pv_store_parse_enter(s, err))
        goto stored_or_not;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct pv_profile_build *build;
    pv_code rc = pv_profile_read(buf, len, &watch.progress, &build, err);
    double read_ms = pv_elapsed_ms(&t0);
    id_job_wait(&job);
    if (rc) {
        pv_store_parse_leave(s, read_ms);
        if (rc == PV_E_CANCELLED && watch.looked)
            goto stored_or_not; /* the id stopped it */
        return rc;
    }
    if (watch_look(&watch) != PV_E_NOTFOUND) {
        pv_store_parse_leave(s, read_ms);
        pv_profile_build_destroy(build);
        goto stored_or_not;
    }
    struct finish_job fin;
    finish_job_start(&fin, build, len);
    struct pv_store_import_txn txn;
    rc = pv_store_import_begin(s, job.id, pv_profile_build_model(build), &txn, res, err);
    finish_job_wait(&fin);
    pv_store_parse_leave(s, read_ms + fin.ms);
    if (!rc && txn.open && fin.rc) {
        pv_store_import_abandon(&txn);
        *err = fin.err;
        rc = fin.rc;
    }
    if (rc || !txn.open) { /* failed, or another connection stored it first */
        cJSON_free(fin.entries);
        pv_profile_build_destroy(build);
        return rc;
    }
    struct pv_profile *p = pv_profile_build_take(build);
    /* Packed as it is written, in the write turn: packing first kept a
     * second copy of the edges (20 MB for 100k functions) for the store
     * to copy again, and encoding them is a few ms of the turn. */
    struct pv_pack_writer model;
    pv_pack_writer_init(&model, p);
    rc = pv_store_import_commit(&txn, p, &model, fin.entries, job.id, len, name, res, err);
    cJSON_free(fin.entries);
    if (rc || !parsed)
        pv_profile_destroy(p);
    else
        *parsed = p;
    return rc;

stored_or_not:
    /* Stored already (created = false), the store failed, or the parse
     * gate said no: then a profile stored already is still an answer. */
    if (watch_look(&watch) == PV_E_NOTFOUND)
        return err->code;
    if (watch.found != PV_OK)
        *err = watch.find_err;
    return watch.found;
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

pv_code pv_import_any_init_bytes(struct pv_import_any *res, struct pv_store *s,
                                 const uint8_t *buf, size_t len, const char *name,
                                 const char *attach_to, struct pv_profile **parsed, pv_err *err)
{
    return import_any(s, buf, len, name, attach_to, NULL, parsed, res, err);
}

pv_code pv_import_any_init_file(struct pv_import_any *res, struct pv_store *s, const char *path,
                                const char *attach_to, struct pv_profile **parsed, pv_err *err)
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
