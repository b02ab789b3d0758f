/* fuzz_request.c - the request layer without sockets: one HTTP-like request
 * through pv_api_handle() (include/api.h), against a real SQLite store in a
 * temporary folder.
 *
 * Input framing (lines end with '\n'):
 *
 *     METHOD SP TARGET           TARGET = PATH [ "?" QUERY ]
 *     Name: value                headers, up to the first empty line
 *     ...
 *                                (empty line)
 *     BODY                       the rest of the input
 *
 * PATH is percent-decoded and QUERY split on '&' and '=' and decoded ('+'
 * is a space), as libmicrohttpd hands them to http.c ("%00" kept).  "{id}" in the
 * decoded path becomes the id of a small profile stored at start-up (its
 * functions are built-ins, stdlib, site-packages and a user file whose
 * source lies under the server's source root), so the fuzzer need not
 * guess a SHA-256.  The header "Upload-Name" stands for the file name of a
 * multipart upload (pv_request.upload_name).
 *
 * Not reached from here, because it lives in libmicrohttpd behind a
 * connection: HTTP parsing itself, URL and query decoding, the multipart
 * post processor, and the http module's glue (src/http*.c: 413s, the
 * response cache, ETags, gzip, static assets).
 *
 * Checks: every response has a status the API documents, never 500 (nor
 * 503 or 507, which one request at a time cannot cause); JSON
 * responses other than exports parse; an upload's name keeps its ASCII
 * characters however its other bytes are escaped; a stored upload can be read back on
 * every route and deleted with its token (which keeps the store at its
 * start-up size).  FUZZ_VERBOSE=1 prints each answer's status and start. */
#include <cjson/cJSON.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../unit/marshal_writer.h"
#include "api.h"
#include "stream.h"
#include "fuzz.h"

enum { MAX_ARGS = 64, MAX_HEADERS = 32 };

struct pair {
    char *name, *value; /* value NULL: "?flag" without '=' */
};

struct fuzz_req {
    struct pair args[MAX_ARGS], headers[MAX_HEADERS];
    size_t nargs, nheaders;
};

static struct pv_api *api;
static char dir[64];
static char *root;        /* realpath of dir/src: the source root */
static char seeded_id[33];
static bool verbose;      /* FUZZ_VERBOSE=1 */

/* ---- framing ------------------------------------------------------------ */

static int hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A NUL-terminated, percent-decoded copy of s[0..n), as http.c's
 * unescape_keeping_nul() decodes (a copy of it: it is static there): "%00"
 * stays three characters.  A NUL byte in the input ends the string, as
 * it would in a request line. */
static char *decode(const char *s, size_t n, bool plus_is_space)
{
    char *out = malloc(n + 1);
    FUZZ_CHECK(out != NULL, "out of memory");
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0 &&
            (hex(s[i + 1]) | hex(s[i + 2]))) {
            out[at++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else
            out[at++] = plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
    out[at] = '\0';
    return out;
}

static void split_query(struct fuzz_req *r, const char *q, size_t n)
{
    while (n && r->nargs < MAX_ARGS) {
        const char *amp = memchr(q, '&', n);
        size_t len = amp ? (size_t)(amp - q) : n;
        if (len) {
            const char *eq = memchr(q, '=', len);
            struct pair *a = &r->args[r->nargs++];
            a->name = decode(q, eq ? (size_t)(eq - q) : len, true);
            a->value = eq ? decode(eq + 1, len - (size_t)(eq - q) - 1, true) : NULL;
        }
        q += len;
        n -= len;
        if (n) {
            q++;
            n--;
        }
    }
}

/* The decoded path with "{id}" replaced by the stored profile's id. */
static char *expand_path(const char *s, size_t n)
{
    char *dec = decode(s, n, false);
    char *at = strstr(dec, "{id}");
    if (!at)
        return dec;
    char *out = malloc(strlen(dec) + sizeof seeded_id);
    FUZZ_CHECK(out != NULL, "out of memory");
    sprintf(out, "%.*s%s%s", (int)(at - dec), dec, seeded_id, at + 4);
    free(dec);
    return out;
}

static const char *get_arg(void *ctx, const char *name)
{
    struct fuzz_req *r = ctx;
    for (size_t i = 0; i < r->nargs; i++)
        if (!strcmp(r->args[i].name, name))
            return r->args[i].value;
    return NULL;
}

static const char *get_header(void *ctx, const char *name)
{
    struct fuzz_req *r = ctx;
    for (size_t i = 0; i < r->nheaders; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

static void free_req(struct fuzz_req *r)
{
    for (size_t i = 0; i < r->nargs; i++) {
        free(r->args[i].name);
        free(r->args[i].value);
    }
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
}

/* ---- one request -------------------------------------------------------- */

/* cJSON refuses escapes of lone surrogates, which the API writes on
 * purpose for surrogatepass names (report.h): parse a copy in which each
 * surrogate escape reads "\u003f" ('?'). */
static cJSON *parse_json(const char *body, size_t len)
{
    char *t = malloc(len + 1);
    FUZZ_CHECK(t != NULL, "out of memory");
    memcpy(t, body, len);
    t[len] = '\0';
    for (size_t i = 0; i + 1 < len; i++) {
        if (t[i] != '\\')
            continue;
        if (t[i + 1] == 'u' && i + 5 < len && (t[i + 2] | 0x20) == 'd' &&
            strchr("89abcdefABCDEF", t[i + 3]))
            memcpy(t + i + 2, "003f", 4);
        i++; /* the escaped character is not an escape */
    }
    cJSON *j = cJSON_ParseWithLength(t, len);
    free(t);
    return j;
}

/* Every ASCII byte of the name given, in order, is in the name shown: the
 * escaping of bytes that are not UTF-8 may replace them, never swallow what
 * follows. */
static bool keeps_ascii(const char *given, const char *shown)
{
    for (const unsigned char *g = (const unsigned char *)given; *g; g++) {
        if (*g >= 0x80)
            continue;
        shown = strchr(shown, *g);
        if (!shown)
            return false;
        shown++;
    }
    return true;
}

/* 500 is a bug; so are 503 (busy) and 507 (disk full) here, where one
 * request runs at a time on a store with room. */
static bool documented_status(int status)
{
    static const int ok[] = {200, 201, 204, 400, 403, 404, 405, 422};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (status == ok[i])
            return true;
    return false;
}

/* Read a streamed answer whole into res->body, as the http module would
 * send it piece by piece. */
static void drain_stream(struct pv_response *res)
{
    char *all = NULL;
    size_t len = 0;
    pv_err err = {0};
    for (;;) {
        pv_code rc = pv_stream_fill(res->stream, 64 * 1024, &err);
        FUZZ_CHECK(rc == PV_OK, "stream failed: %s", err.msg);
        size_t n;
        const char *piece = pv_stream_peek(res->stream, &n);
        char *grown = realloc(all, len + n + 1);
        FUZZ_CHECK(grown != NULL, "out of memory reading a stream");
        all = grown;
        memcpy(all + len, piece, n);
        len += n;
        all[len] = '\0';
        pv_stream_consume(res->stream, n);
        if (pv_stream_done(res->stream) && !n)
            break;
    }
    pv_stream_destroy(res->stream);
    res->stream = NULL;
    res->body = all;
    res->len = len;
}

/* Answer one request and check the answer; the body is returned (caller
 * frees) for the caller's own checks. */
static char *handle(const char *method, const char *path, struct fuzz_req *r, const uint8_t *body,
                    size_t body_len, int *status)
{
    struct pv_request req = {.method = method, .path = path, .arg = get_arg,
                             .header = get_header, .ctx = r, .body = body,
                             .body_len = body_len, .upload_name = get_header(r, "Upload-Name")};
    struct pv_response res;
    pv_api_handle(api, &req, &res);
    if (res.stream) /* a streamed answer is read here as http would send it */
        drain_stream(&res);
    FUZZ_CHECK(documented_status(res.status), "%s %s: status %d: %.200s", method, path,
               res.status, res.body ? res.body : "");
    FUZZ_CHECK(res.content_type != NULL, "%s %s: no content type", method, path);
    FUZZ_CHECK(res.status == 204 ? !res.body : res.body && res.len == strlen(res.body),
               "%s %s: body of %zu bytes", method, path, res.len);
    if (res.body && !strcmp(res.content_type, "application/json") && !strstr(path, "/export")) {
        cJSON *j = parse_json(res.body, res.len);
        FUZZ_CHECK(j != NULL, "%s %s: answer is not JSON: %.200s", method, path, res.body);
        if (res.status == 201) {
            /* the name as post_profile() picks and caps it */
            const char *given = get_arg(r, "name");
            if (!given || !*given)
                given = req.upload_name && *req.upload_name ? req.upload_name : "upload.prof";
            char capped[256];
            snprintf(capped, sizeof capped, "%s", given);
            const char *shown = cJSON_GetStringValue(cJSON_GetObjectItem(j, "name"));
            FUZZ_CHECK(shown && keeps_ascii(capped, shown), "%s %s: name shown as %.200s",
                       method, path, shown ? shown : "(none)");
        }
        cJSON_Delete(j);
    }
    if (verbose) /* for writing seeds: what each request got */
        fprintf(stderr, "%d %s %s: %.160s\n", res.status, method, path, res.body ? res.body : "");
    *status = res.status;
    return res.body;
}

/* An upload was stored: every route reads it back, then its token deletes
 * it, so the next input finds the store as it was. */
static void read_back_and_delete(const char *answer)
{
    cJSON *j = parse_json(answer, strlen(answer));
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id"));
    const char *token = cJSON_GetStringValue(cJSON_GetObjectItem(j, "delete_token"));
    FUZZ_CHECK(id && token && strlen(id) == 32, "201 without id and token: %.200s", answer);
    static const char *const routes[][2] = {
        {"", ""}, {"/functions", "sort=name&q=a|b"}, {"/functions", "sort=tt_percall&order=asc"},
        {"/functions/0", ""}, {"/tree", ""}, {"/tree", "hide=builtins,stdlib,site-packages"},
        {"/tree", "root=0&depth=64&cutoff=0"}, {"/tree", "root=0&invert=1&depth=64&cutoff=0"},
        {"/export", "format=speedscope"},
        {"/export", "format=collapsed"}, {"/export", ""}};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "/api/profiles/%s%s", id, routes[i][0]);
        struct fuzz_req r = {.nargs = 0};
        split_query(&r, routes[i][1], strlen(routes[i][1]));
        int status;
        free(handle("GET", path, &r, NULL, 0, &status));
        /* fid 0 may be a phantom (404); folding may hit its budget (422) */
        bool by_fid = i == 3 || i == 6 || i == 7, tree = i >= 4 && i <= 7;
        FUZZ_CHECK(status == 200 || (by_fid && status == 404) || (tree && status == 422),
                   "GET %s?%s: %d", path, routes[i][1], status);
        free_req(&r);
    }
    char path[64], auth[128];
    snprintf(path, sizeof path, "/api/profiles/%s", id);
    snprintf(auth, sizeof auth, "Bearer %s", token);
    struct fuzz_req r = {.nheaders = 1};
    r.headers[0] = (struct pair){strdup("Authorization"), strdup(auth)};
    int status;
    free(handle("DELETE", path, &r, NULL, 0, &status));
    FUZZ_CHECK(status == 204, "DELETE %s with its token: %d", path, status);
    free_req(&r);
    cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    const char *eol = memchr(s, '\n', size);
    const char *line_end = eol ? eol : end;
    const char *sp = memchr(s, ' ', (size_t)(line_end - s));
    if (!sp)
        return 0; /* no method: nothing an HTTP parser would pass on */
    char method[16];
    snprintf(method, sizeof method, "%.*s", (int)(sp - s), s);
    const char *target = sp + 1;
    const char *q = memchr(target, '?', (size_t)(line_end - target));
    struct fuzz_req r = {.nargs = 0};
    char *path = expand_path(target, (size_t)((q ? q : line_end) - target));
    if (q)
        split_query(&r, q + 1, (size_t)(line_end - q - 1));
    const char *at = eol ? eol + 1 : end;
    while (at < end && r.nheaders < MAX_HEADERS) {
        const char *nl = memchr(at, '\n', (size_t)(end - at));
        const char *le = nl ? nl : end;
        if (le == at) {
            at++;
            break; /* the empty line: the body follows */
        }
        const char *colon = memchr(at, ':', (size_t)(le - at));
        if (colon) {
            const char *v = colon + 1;
            while (v < le && *v == ' ')
                v++;
            struct pair *h = &r.headers[r.nheaders++];
            h->name = strndup(at, (size_t)(colon - at));
            h->value = strndup(v, (size_t)(le - v));
            FUZZ_CHECK(h->name && h->value, "out of memory");
        }
        at = nl ? nl + 1 : end;
    }
    /* libmicrohttpd refuses NUL in the request line and headers; C strings
     * end there anyway. */
    int status;
    char *answer = handle(method, path, &r, (const uint8_t *)at, (size_t)(end - at), &status);
    if (status == 201)
        read_back_and_delete(answer);
    free(answer);
    free(path);
    free_req(&r);
    return 0;
}

/* ---- start-up ----------------------------------------------------------- */

/* main -> helper (recursive) -> len, json.loads -> site f; and a
 * `profile`-module style int caller. */
static void seed_profile(struct w *w)
{
    static const char MOD[] = "/app/pkg/mod.py", LIB[] = "/usr/lib/python3.11/json/__init__.py",
                      SITE[] = "/venv/lib/python3.11/site-packages/pkg/m.py";
    byte(w, '{');
    key(w, MOD, 3, "main");
    stats(w, 1, 1, 0.01, 1.0);
    byte(w, '0');
    key(w, MOD, 10, "helper");
    stats(w, 2, 5, 0.2, 0.9);
    caller(w, MOD, 3, "main", 2, 2, 0.15, 0.8);
    caller(w, MOD, 10, "helper", 3, 0, 0.05, 0.3);
    byte(w, '0');
    key(w, "~", 0, "<built-in method builtins.len>");
    stats(w, 7, 7, 0.07, 0.07);
    caller(w, MOD, 10, "helper", 7, 7, 0.07, 0.07);
    byte(w, '0');
    key(w, LIB, 299, "loads");
    stats(w, 1, 1, 0.1, 0.6);
    caller(w, MOD, 10, "helper", 1, 1, 0.1, 0.6);
    byte(w, '0');
    key(w, SITE, 5, "f");
    stats(w, 4, 4, 0.5, 0.5);
    caller(w, LIB, 299, "loads", 3, 3, 0.4, 0.4);
    key(w, "profile", 0, "profiler");
    num(w, 1);
    byte(w, '0');
    byte(w, '0');
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void cleanup(void)
{
    pv_api_destroy(api);
    api = NULL;
    free(root);
    if (dir[0])
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    FUZZ_CHECK(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    verbose = getenv("FUZZ_VERBOSE") && !strcmp(getenv("FUZZ_VERBOSE"), "1");
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/pv-fuzz-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
    atexit(cleanup);
    char path[128], db[128];
    snprintf(path, sizeof path, "%s/src", dir);
    FUZZ_CHECK(mkdir(path, 0700) == 0, "mkdir %s", path);
    snprintf(path, sizeof path, "%s/src/pkg", dir);
    FUZZ_CHECK(mkdir(path, 0700) == 0, "mkdir %s", path);
    snprintf(path, sizeof path, "%s/src/pkg/mod.py", dir);
    write_file(path, "import json\n\n\ndef main():\n    helper(3)\n\n\n\n\ndef helper(n):\n"
                     "    return len(json.loads('[1]')) + (helper(n - 1) if n else 0)\n");
    snprintf(path, sizeof path, "%s/src", dir);
    root = realpath(path, NULL);
    FUZZ_CHECK(root != NULL, "realpath %s", path);
    snprintf(db, sizeof db, "%s/fuzz.db", dir);
    static const char *roots[1];
    roots[0] = root; /* the api keeps the array */
    struct pv_api_config cfg = {.db_path = db, .max_upload_bytes = 1 << 20,
                                .source_roots = roots, .nsource_roots = 1, .list = true,
                                /* no model stays cached: every request reads the store */
                                .cache_bytes = 0};
    pv_err err = {0};
    FUZZ_CHECK(pv_api_create(&cfg, &api, &err) == PV_OK, "pv_api_create: %s", err.msg);
    static struct w w;
    seed_profile(&w);
    struct fuzz_req r = {.nargs = 1};
    r.args[0] = (struct pair){strdup("name"), strdup("seed.prof")};
    int status;
    char *answer = handle("POST", "/api/profiles", &r, w.b, w.n, &status);
    cJSON *j = cJSON_Parse(answer);
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(j, "id"));
    FUZZ_CHECK(status == 201 && id && strlen(id) == 32, "the seed profile: %d %s", status,
               answer);
    memcpy(seeded_id, id, 33);
    cJSON_Delete(j);
    free(answer);
    free_req(&r);
    return 0;
}
