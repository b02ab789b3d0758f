/* cli_serve.c - `pstatsviz serve` and `pstatsviz FILE...`: the server's
 * options, the files imported for it (their parsed models handed to its
 * cache), the port, the browser, and the wait for a signal to stop.
 *
 *   pstatsviz serve [--host 127.0.0.1] [--port 8080] [--db PATH] ...
 *   pstatsviz FILE... [--port 8080] [--open | --no-browser] [serve's options]
 *
 * Every failure is one line on stderr and a non-zero exit status, as in
 * cli.c. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "browser.h"
#include "cli_private.h"
#include "export.h"
#include "http.h"
#include "import.h"
#include "profile.h"
#include "store.h"

struct serve_opts {
    const char *host, *db, *web_root;
    long port;
    size_t max_upload, cache, max_export;
    long threads, heavy, max_parsing, write_queue;
    long max_conns, max_conns_per_ip, header_timeout_s;
    bool list, open, no_browser;
    const char *roots[32];
    int nroots;
    const char *files[64];
    int nfiles;
};

static int parse_serve_opts(int argc, char **argv, struct serve_opts *o)
{
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    /* uploads are parsed on a worker: keep enough threads for reads */
    *o = (struct serve_opts){.host = "127.0.0.1", .port = 8080, .max_upload = 256u << 20,
                             .cache = 512u << 20, .threads = ncpu > 4 ? ncpu : 4,
                             .max_conns = PV_HTTP_MAX_CONNECTIONS,
                             .max_conns_per_ip = PV_HTTP_MAX_CONNECTIONS_PER_IP,
                             .header_timeout_s = PV_HTTP_HEADER_TIMEOUT_MS / 1000,
                             .max_parsing = PV_API_MAX_PARSING_DEFAULT,
                             .write_queue = PV_API_MAX_QUEUED_WRITES_DEFAULT,
                             .max_export = PV_EXPORT_DEFAULT_MAX_BYTES};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool takes = !strcmp(a, "--host") || !strcmp(a, "--port") || !strcmp(a, "--db") ||
                     !strcmp(a, "--max-upload") || !strcmp(a, "--source-root") ||
                     !strcmp(a, "--threads") || !strcmp(a, "--web-root") ||
                     !strcmp(a, "--cache") || !strcmp(a, "--max-connections") ||
                     !strcmp(a, "--max-connections-per-ip") || !strcmp(a, "--header-timeout") ||
                     !strcmp(a, "--max-parsing") || !strcmp(a, "--write-queue") ||
                     !strcmp(a, "--max-export") || !strcmp(a, "--heavy");
        const char *v = takes && i + 1 < argc ? argv[++i] : NULL;
        if (takes && !v)
            return pv_cli_usage_error("%s needs a value", a);
        char *end;
        if (!strcmp(a, "--host"))
            o->host = v;
        else if (!strcmp(a, "--db"))
            o->db = v;
        else if (!strcmp(a, "--web-root"))
            o->web_root = v;
        else if (!strcmp(a, "--port")) {
            o->port = strtol(v, &end, 10);
            if (*end || end == v || o->port < 0 || o->port > 65535)
                return pv_cli_usage_error("--port takes 0 to 65535, not '%s'", v);
        } else if (!strcmp(a, "--threads")) {
            o->threads = strtol(v, &end, 10);
            if (*end || end == v || o->threads < 1 || o->threads > 256)
                return pv_cli_usage_error("--threads takes 1 to 256, not '%s'", v);
        } else if (!strcmp(a, "--max-connections")) {
            o->max_conns = strtol(v, &end, 10);
            if (*end || end == v || o->max_conns < 16 || o->max_conns > 1000000)
                return pv_cli_usage_error("--max-connections takes 16 to 1000000, not '%s'", v);
        } else if (!strcmp(a, "--max-connections-per-ip")) {
            o->max_conns_per_ip = strtol(v, &end, 10);
            if (*end || end == v || o->max_conns_per_ip < 1 || o->max_conns_per_ip > 1000000)
                return pv_cli_usage_error("--max-connections-per-ip takes 1 to 1000000, not '%s'", v);
        } else if (!strcmp(a, "--header-timeout")) {
            o->header_timeout_s = strtol(v, &end, 10);
            if (*end || end == v || o->header_timeout_s < 1 || o->header_timeout_s > 3600)
                return pv_cli_usage_error("--header-timeout takes 1 to 3600 seconds, not '%s'", v);
        } else if (!strcmp(a, "--max-parsing")) {
            o->max_parsing = strtol(v, &end, 10);
            if (*end || end == v || o->max_parsing < 1 || o->max_parsing > 1024)
                return pv_cli_usage_error("--max-parsing takes 1 to 1024, not '%s'", v);
        } else if (!strcmp(a, "--write-queue")) {
            o->write_queue = strtol(v, &end, 10);
            if (*end || end == v || o->write_queue < 1 || o->write_queue > 1024)
                return pv_cli_usage_error("--write-queue takes 1 to 1024, not '%s'", v);
        } else if (!strcmp(a, "--max-upload")) {
            if (!pv_cli_parse_size(v, &o->max_upload) || !o->max_upload)
                return pv_cli_usage_error("--max-upload takes a size like 256M, not '%s'", v);
        } else if (!strcmp(a, "--heavy")) {
            o->heavy = strtol(v, &end, 10);
            if (*end || end == v || o->heavy < 1 || o->heavy > 256)
                return pv_cli_usage_error("--heavy takes 1 to 256, not '%s'", v);
        } else if (!strcmp(a, "--max-export")) {
            if (!pv_cli_parse_size(v, &o->max_export))
                return pv_cli_usage_error("--max-export takes a size like 1G (0: no limit), not '%s'",
                                   v);
            if (!o->max_export)
                o->max_export = SIZE_MAX;
        } else if (!strcmp(a, "--cache")) {
            if (!pv_cli_parse_size(v, &o->cache))
                return pv_cli_usage_error("--cache takes a size like 512M, not '%s'", v);
        } else if (!strcmp(a, "--source-root")) {
            if (o->nroots == (int)(sizeof o->roots / sizeof o->roots[0]))
                return pv_cli_usage_error("at most 32 --source-root folders (%s)", v);
            o->roots[o->nroots++] = v;
        } else if (!strcmp(a, "--list"))
            o->list = true;
        else if (!strcmp(a, "--open"))
            o->open = true;
        else if (!strcmp(a, "--no-browser"))
            o->no_browser = true;
        else if (a[0] == '-' && a[1])
            return pv_cli_usage_error("unknown option %s", a);
        else if (o->nfiles < (int)(sizeof o->files / sizeof o->files[0]))
            o->files[o->nfiles++] = a;
        else
            return pv_cli_usage_error("too many files (at most 64: %s)", a);
    }
    if (o->open && o->no_browser)
        return pv_cli_usage_error("%s", "give --open or --no-browser, not both");
    if (o->max_conns_per_ip > o->max_conns)
        return pv_cli_usage_error("--max-connections-per-ip %ld is over --max-connections %ld",
                           o->max_conns_per_ip, o->max_conns);
    return 0;
}

/* Descriptors besides connections: the database and its journal, source
 * files, epoll and the listening socket, with room to spare. */
enum { SPARE_FDS = 64 };

/* Every connection is a descriptor: raise the soft RLIMIT_NOFILE (1024 on
 * many systems) to what --max-connections needs, up to the hard limit.
 * Past that, serve fewer connections and say so: accept() failing with
 * EMFILE would refuse everyone alike, the per-address limit
 * notwithstanding. */
static void fit_open_files(struct serve_opts *o)
{
    struct rlimit rl;
    rlim_t need = (rlim_t)o->max_conns + SPARE_FDS;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need)
        return;
    rlim_t was = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl))
        rl.rlim_cur = was;
    if (rl.rlim_cur >= need)
        return;
    long fit = rl.rlim_cur > 16 + SPARE_FDS ? (long)(rl.rlim_cur - SPARE_FDS) : 16;
    fprintf(stderr,
            "pstatsviz: --max-connections %ld needs %lu open files, the limit is %lu "
            "(ulimit -n): serving at most %ld connections\n",
            o->max_conns, (unsigned long)need, (unsigned long)rl.rlim_cur, fit);
    o->max_conns = fit;
    if (o->max_conns_per_ip > fit)
        o->max_conns_per_ip = fit;
}

/* A database made before deletes gave space back keeps its largest size
 * for good: say how to change that (it takes a while, so not by itself). */
static void check_gives_space_back(struct pv_store *s, const char *db)
{
    struct pv_store_space space;
    pv_err err = {0};
    if (pv_store_space_of(s, &space, &err) == PV_OK && !space.gives_back)
        fprintf(stderr,
                "pstatsviz: %s was made by an older pstatsviz: deleted profiles' space is reused"
                " but never given back (%.1f MB free inside it now).  Run `pstatsviz vacuum"
                " --db %s` once, while no server uses it.\n",
                db, (double)(space.free_pages * space.page_bytes) / 1e6, db);
}

/* What pstatsviz FILE... made of each file: a profile, or memory data
 * attached to the nearest profile before it (attached_to "" when none). */
struct served_file {
    char id[PV_STORE_ID_HEX + 1];
    bool memory;
    char attached_to[PV_STORE_ID_HEX + 1];
    struct pv_profile *parsed; /* for the model cache (KEPT_PARSED_MAX), or NULL */
};

/* The parsed models handed to the server's cache, so that the first view
 * of a profile just imported skips loading it back from the store: 140 ms
 * of a 100k-function profile's first chart.  Those of the first two
 * profiles: the one the browser opens and the pair compared.  More would
 * hold every file's model in memory until the server starts. */
enum { KEPT_PARSED_MAX = 2 };

/* pv_cli_imported_fn of pstatsviz FILE...: ctx is the struct served_file
 * array, filled at i. */
static void note_served(void *ctx, int i, const struct pv_import_any *res,
                        const char *attached_to, struct pv_profile *parsed)
{
    struct served_file *files = ctx, *f = files + i;
    int kept = 0;
    for (int k = 0; k < i; k++)
        kept += files[k].parsed != NULL;
    f->parsed = kept < KEPT_PARSED_MAX ? parsed : NULL;
    if (!f->parsed)
        pv_profile_destroy(parsed);
    f->memory = res->kind != PV_MEMORY_NONE;
    memcpy(f->id, f->memory ? res->memory.id : res->stats.id, sizeof f->id);
    if (attached_to) /* an id: PV_STORE_ID_HEX digits */
        memcpy(f->attached_to, attached_to, sizeof f->attached_to);
    else
        f->attached_to[0] = '\0';
}

/* The parsed models that files[0 .. n) still hold, freed. */
static void drop_parsed(struct served_file files[], int n)
{
    for (int i = 0; i < n; i++) {
        pv_profile_destroy(files[i].parsed);
        files[i].parsed = NULL;
    }
}

/* Import the files given on the command line; fills files (zeroed), which
 * hold parsed models on success. */
static int import_for_serving(const struct serve_opts *o, const char *db,
                              struct served_file files[])
{
    memset(files, 0, (size_t)o->nfiles * sizeof *files);
    struct pv_store *s = NULL;
    int status = pv_cli_open_store(db, &s);
    if (status)
        return status;
    check_gives_space_back(s, db);
    pv_err err = {0};
    bool direct = pv_cli_worth_writing_direct(o->files, o->nfiles) && pv_store_write_direct(s);
    /* Small files, or beside another server: into the WAL, which this
     * server checkpoints. */
    if (o->nfiles && !direct && pv_store_leave_checkpoints(s, &err)) {
        pv_store_close(s);
        return pv_cli_fail("database", &err);
    }
    status = pv_cli_import_files(s, o->files, o->nfiles, o->max_upload, false, note_served,
                                 files);
    pv_store_close(s);
    if (status)
        drop_parsed(files, o->nfiles);
    return status;
}

/* `pstatsviz FILE` tries the next ports when its own is taken, as snakeviz
 * does: a second viewer started beside the first still comes up.  `serve
 * --port N` is asked for that port, and stops without it. */
enum { FILE_MODE_PORT_TRIES = 10 };

/* `pstatsviz serve ...`, and `pstatsviz FILE... ...` (import, then serve:
 * file_mode). */
int pv_cli_serve_main(int argc, char **argv, bool file_mode)
{
    struct serve_opts o;
    int status = parse_serve_opts(argc, argv, &o);
    if (status)
        return status;
    if (o.no_browser && !file_mode)
        return pv_cli_usage_error("%s", "serve opens no browser unless --open: --no-browser is for "
                           "pstatsviz FILE");
    pv_err err = {0};
    char *default_db = NULL;
    const char *db = o.db;
    if (!db) {
        if (pv_store_default_path(&default_db, &err))
            return pv_cli_fail("database", &err);
        db = default_db;
    }
    struct served_file files[64];
    if ((status = import_for_serving(&o, db, files))) {
        free(default_db);
        return status;
    }
    char *roots[32];
    for (int i = 0; i < o.nroots; i++) {
        struct stat st;
        roots[i] = realpath(o.roots[i], NULL);
        if (!roots[i] || stat(roots[i], &st) || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "pstatsviz: --source-root %s: not a folder\n", o.roots[i]);
            for (int k = 0; k <= i; k++)
                free(roots[k]);
            drop_parsed(files, o.nfiles);
            free(default_db);
            return PV_CLI_EXIT_USAGE;
        }
    }
    /* Block the stop signals before any thread starts, so only sigwait
     * below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    fit_open_files(&o);

    struct pv_api_config acfg = {.db_path = db, .max_upload_bytes = o.max_upload,
                                 .source_roots = (const char *const *)roots,
                                 .nsource_roots = (size_t)o.nroots, .list = o.list || o.nfiles,
                                 .cache_bytes = o.cache, .max_parsing = (unsigned)o.max_parsing,
                                 .max_queued_writes = (unsigned)o.write_queue,
                                 .max_export_bytes = o.max_export};
    struct pv_http_config hcfg = {.host = o.host, .port = (uint16_t)o.port,
                                  .port_tries = file_mode ? FILE_MODE_PORT_TRIES : 1,
                                  .threads = (unsigned)o.threads,
                                  .max_upload_bytes = o.max_upload, .web_root = o.web_root,
                                  .max_connections = (unsigned)o.max_conns,
                                  .max_connections_per_ip = (unsigned)o.max_conns_per_ip,
                                  .header_timeout_ms = (unsigned)o.header_timeout_s * 1000u,
                                  .heavy_slots = (unsigned)o.heavy};
    struct pv_api *api = NULL;
    struct pv_http *http = NULL;
    if (pv_api_create(&acfg, &api, &err)) {
        status = pv_cli_fail("serve", &err);
        goto stop_serving;
    }
    for (int i = 0; i < o.nfiles; i++)
        if (files[i].parsed) {
            pv_api_models_take(api, files[i].id, files[i].parsed);
            files[i].parsed = NULL;
        }
    if (pv_http_open(&hcfg, api, &http, &err)) {
        status = pv_cli_fail("serve", &err);
        goto stop_serving;
    }
    /* A wildcard address is reached as localhost from this machine. */
    const char *shown = !strcmp(o.host, "0.0.0.0") ? "127.0.0.1"
                        : !strcmp(o.host, "::")    ? "[::1]"
                                                   : o.host;
    bool v6 = strchr(shown, ':') && shown[0] != '[';
    char base[128];
    snprintf(base, sizeof base, "http://%s%s%s:%u", v6 ? "[" : "", shown, v6 ? "]" : "",
             pv_http_port(http));
    if (pv_http_port(http) != o.port && o.port)
        printf("pstatsviz: port %ld is in use, port %u is free\n", o.port, pv_http_port(http));
    printf("pstatsviz: serving %s/ (database %s)\n", base, db);
    int profiles[64], nprofiles = 0; /* the files that are profiles */
    for (int i = 0; i < o.nfiles; i++) {
        const struct served_file *f = &files[i];
        if (!f->memory) {
            profiles[nprofiles++] = i;
            printf("%s/p/%s  %s\n", base, f->id, o.files[i]);
        } else if (*f->attached_to)
            printf("%s/p/%s?mem=%s  %s\n", base, f->attached_to, f->id, o.files[i]);
        else
            printf("%s/m/%s  %s\n", base, f->id, o.files[i]);
    }
    if (nprofiles == 2) /* the usual pair: a run before a change and after it */
        printf("%s/diff/%s/%s  compare %s with %s\n", base, files[profiles[0]].id,
               files[profiles[1]].id, o.files[profiles[0]], o.files[profiles[1]]);
    fflush(stdout);
    if (o.open || (file_mode && !o.no_browser && pv_browser_has_desktop(NULL))) {
        char url[256];
        if (!o.nfiles)
            snprintf(url, sizeof url, "%s/", base);
        else if (nprofiles)
            snprintf(url, sizeof url, "%s/p/%s", base, files[profiles[0]].id);
        else
            snprintf(url, sizeof url, "%s/m/%s", base, files[0].id);
        pv_browser_open(url);
    }
    int sig;
    sigwait(&stop, &sig);
    fprintf(stderr, "pstatsviz: %s: stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");

stop_serving:
    pv_http_close(http);
    pv_api_destroy(api);
    drop_parsed(files, o.nfiles);
    for (int i = 0; i < o.nroots; i++)
        free(roots[i]);
    free(default_db);
    return status;
}

