/* api.h - the JSON API of docs/API.md, without HTTP.
 *
 * The http module turns a libmicrohttpd request into a pv_request and sends
 * back the pv_response; everything between (routes, parameters, the model
 * cache, JSON, error statuses) is here.  Only this module maps pv_code to
 * HTTP statuses, so every route fails alike.
 *
 * pv_api_handle() may be called from many threads at once: each thread
 * gets its own SQLite connection, and loaded profiles are shared through
 * the reference-counted cache (cache.h, models.h) bounded by cache_bytes,
 * which the http module's answers share.
 *
 * Budgets: a tree's build may take PV_TREE_DEFAULT_MAX_STEPS steps and its
 * JSON max_tree_bytes, an export max_export_bytes; over them the answer is
 * 413 over_budget with the numbers, before any work is wasted on output.
 * Large answers (trees, exports) come back as a pv_stream, written piece
 * by piece while the client reads. */
#ifndef PV_API_H
#define PV_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "pv.h"
#include "store.h"
#include "stream.h"

struct pv_api_config {
    const char *db_path;
    size_t max_upload_bytes;
    const char *const *source_roots; /* realpath'd directories */
    size_t nsource_roots;
    bool list;                       /* answer GET /api/profiles */
    size_t cache_bytes;              /* the shared cache (cache.h): models, and
                                        the http module's answers */
    /* Uploads parsed at once, and writes (uploads, deletes) waiting for
     * their turn: one more is answered 503 with Retry-After.  0: the
     * defaults below. */
    unsigned max_parsing, max_queued_writes;
    uint64_t max_export_bytes;       /* 0: PV_EXPORT_DEFAULT_MAX_BYTES */
    uint64_t max_tree_bytes;         /* 0: PV_TREEJSON_DEFAULT_MAX_BYTES */
    unsigned max_streams;            /* answers being streamed at once (each
                                        holds its model); 0: 32 */
};

enum { PV_API_MAX_PARSING_DEFAULT = 4, PV_API_MAX_QUEUED_WRITES_DEFAULT = 16 };

struct pv_request {
    const char *method;
    const char *path;  /* decoded, without the query */
    /* A query argument (the first of that name; names match exactly), or
     * a header (names match in any case); NULL when absent.  Either
     * function may be NULL: no arguments, no headers. */
    const char *(*arg)(void *ctx, const char *name);
    const char *(*header)(void *ctx, const char *name);
    void *ctx;
    const uint8_t *body;
    size_t body_len;
    const char *upload_name; /* a multipart upload's file name, or NULL */
    /* Whether the client has gone (may be NULL): long work asks now and
     * then, and stops with an error nobody will read. */
    bool (*gone)(void *gone_ctx);
    void *gone_ctx;
    /* Answered on a thread that other requests wait on: a tree that needs
     * more than a light budget of work is not finished here but handed
     * back (pv_response.heavy) to be asked again as a job.  An estimate
     * (pv_api_is_heavy) cannot see every costly tree coming. */
    bool light;
};

struct pv_response {
    int status;
    const char *content_type;
    char *body;        /* malloc'd; the http module frees it */
    size_t len;
    struct pv_stream *stream; /* instead of body: written while sent; the
                                 http module destroys it */
    unsigned retry_after_s; /* a 503's Retry-After, or 0: none */
    bool heavy;        /* with req->light: not answered, ask again as a job */
};

struct pv_api;

pv_code pv_api_create(const struct pv_api_config *cfg, struct pv_api **out, pv_err *err);
void pv_api_destroy(struct pv_api *api);

/* Each thread that handles requests opens its own store connection, which
 * its exit closes.  A thread the caller started itself calls this before
 * it reports itself done: by the time the caller learns it is done, the
 * connection is closed, and nothing of this thread runs beside
 * pv_api_destroy(). */
void pv_api_thread_done(struct pv_api *api);

/* What a request is, as far as HTTP must know before any work: the API's
 * URL grammar stays here. */
struct pv_api_route {
    bool ours;          /* the API answers it; else it is a page of the web UI */
    bool upload;        /* it sends a profile: a body to receive, within
                           max_upload_bytes */
    bool immutable;     /* its 200 is fixed by the profiles' bytes and the
                           query: it may be cached forever, and ETagged */
    bool pair;          /* about two profiles (/api/diff...), named in the
                           query: immutable only when both are ids */
    char profile[PV_STORE_ID_HEX + 1];   /* the profile it is about, or "" */
    char profile_b[PV_STORE_ID_HEX + 1]; /* a pair's second profile, or "" */
};

/* Cached answers about one profile are in a group named by its id; those
 * about a pair, in this one group, which a delete of either drops (deletes
 * are rare, and a pair cannot be found by one of its ids). */
#define PV_API_PAIR_GROUP "pairs"

/* Classify method and path (decoded, without the query), reading the
 * query's arguments that matter with arg(arg_ctx, name) (as
 * pv_request.arg; NULL: absent).  Cannot fail. */
void pv_api_classify(const char *method, const char *path,
                     const char *(*arg)(void *ctx, const char *name), void *arg_ctx,
                     struct pv_api_route *out);

/* Answer one request; never fails (errors are JSON responses). */
void pv_api_handle(struct pv_api *api, const struct pv_request *req, struct pv_response *res);

/* How much work a request asks for, judged cheaply before doing any:
 * heavy ones should not run on the threads that answer everyone else.
 * Heavy: a tree of more than 20,000 nodes (max_nodes, or fewer when
 * cutoff and depth allow fewer), a tree that hides functions of a profile
 * with more than 50,000 edges, a speedscope or collapsed export (a full
 * tree), and anything about a profile over 4 MiB whose model is not in
 * memory yet.  Cannot fail: when in doubt, light. */
bool pv_api_is_heavy(struct pv_api *api, const struct pv_request *req);

/* The numbers of an over_budget error: unit ("bytes" or "steps"), the
 * budget, and what was needed (0: not known, only that it is over). */
struct pv_api_budget {
    const char *unit;
    uint64_t needed, budget;
};

/* The one place where codes become statuses: res (overwritten) becomes
 * the error answer {"error": {"code", "message"}} of err, with the status
 * docs/API.md gives its code (400 bad_request for PV_E_USAGE, 413
 * over_budget for PV_E_BUDGET, ...); over adds the numbers of a
 * PV_E_BUDGET (may be NULL).  A PV_E_BUSY answer says Retry-After: 1 (the
 * caller may set more).  Internal errors are logged.  Never fails: out of
 * memory, the answer is a fixed 500. */
void pv_api_error(struct pv_response *res, const pv_err *err, const struct pv_api_budget *over);

/* Answer 503 with Retry-After, for a request the server is too busy for. */
void pv_api_busy(struct pv_response *res, const char *why, unsigned retry_after_s);

/* Keep p, the model of the stored profile id just parsed, in the model
 * cache, so that its first view need not load it back from the store.
 * Takes p; best effort: when it cannot be kept, it is freed and the first
 * view loads the profile as usual. */
void pv_api_models_take(struct pv_api *api, const char *id, struct pv_profile *p);

/* The cache the api keeps models in, for the http module's answers: one
 * budget for both, and a delete drops a profile's model and answers
 * together.  Valid until pv_api_destroy(). */
struct pv_cache *pv_api_cache(struct pv_api *api);

/* A hash of the memory data attached to profile a and, unless it is "",
 * to b (0: none), for the ETags of answers that show it: it changes when
 * an attachment is made or deleted.  Cannot fail (a failure reads as a
 * stamp nothing else has). */
uint64_t pv_api_memory_stamp(struct pv_api *api, const char *a, const char *b);

/* A profile's id is in the store (a row is read, not the model). */
bool pv_api_profile_exists(struct pv_api *api, const char *id);

#endif
