/* cli.c - subcommands (see cli.h).
 *
 *   pstatsviz import FILE... [--db PATH]
 *   pstatsviz top FILE|ID [--sort KEY] [-n N|all] [--callers RE] [--callees RE]
 *                         [--json] [--db PATH]
 *   pstatsviz export FILE|ID [--format json|speedscope|collapsed] [--max-export SIZE]
 *                            [--db PATH]
 *   pstatsviz vacuum [--db PATH]
 *   pstatsviz diff A B [--sort KEY] [-n N|all] [--json] [--db PATH]   (cli_diff.c)
 *   pstatsviz FILE... [--port 8080] [serve's options], pstatsviz serve ...
 *
 * Memory files among the FILEs, and their export, are cli_memory.c's.
 * Every failure is one line on stderr, "pstatsviz: WHAT: WHY", and a
 * non-zero exit status. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "browser.h"
#include "cli_private.h"
#include "export.h"
#include "gunzip.h"
#include "http.h"
#include "import.h"
#include "memory.h"
#include "profile.h"
#include "report.h"
#include "report_json.h"
#include "store.h"

#ifndef PV_VERSION
#define PV_VERSION "unknown"
#endif

static bool parse_size(const char *s, size_t *out);

static const char USAGE[] =
    "usage: pstatsviz COMMAND [OPTIONS]\n"
    "\n"
    "Look at Python cProfile / profile / pstats stats files, and memory_profiler's\n"
    "files beside them (an mprof recording, a line-by-line report): a memory file\n"
    "is attached to the nearest stats file before it on the command line.\n"
    "\n"
    "  pstatsviz FILE... [--port 8080] [--open | --no-browser] [serve's options]\n"
    "                           import FILE, serve it, print its URL; opens it in the\n"
    "                           browser on a desktop (not over SSH, not in a container;\n"
    "                           --open: always); a port in use: the next of 10 is taken\n"
    "  pstatsviz serve [--host 127.0.0.1] [--port 8080] [--db PATH] [--max-upload 256M]\n"
    "                  [--source-root DIR]... [--list] [--threads N] [--web-root DIR]\n"
    "                  [--max-connections 1000] [--max-connections-per-ip 64]\n"
    "                  [--header-timeout 10] [--max-export 1G] [--heavy N]\n"
    "                  [--max-parsing 4] [--write-queue 16] [--open]\n"
    "                           uploads read at once, and uploads or deletes waiting to\n"
    "                           be written: one more is answered 503 with Retry-After\n"
    "  pstatsviz import FILE... [--db PATH]    store files; prints id, name, functions, edges\n"
    "                           (memory data: id, name, kind, the profile attached to or -)\n"
    "  pstatsviz top FILE|ID [--sort KEY] [-n N|all] [--callers REGEX] [--callees REGEX]\n"
    "                        [--json] [--db PATH]\n"
    "                           pstats' print_stats / print_callers / print_callees\n"
    "                           KEY: cumulative (default), tottime, ncalls, pcalls, name,\n"
    "                           filename, line, nfl, stdname (comma separated for several)\n"
    "  pstatsviz export FILE|ID [--format json|speedscope|collapsed] [--max-export 1G]\n"
    "                        [--db PATH]\n"
    "                           the whole profile as canonical JSON (or for speedscope,\n"
    "                           flamegraph.pl); refused when larger than --max-export\n"
    "                           (0: no limit); memory data: its record, every sample\n"
    "  pstatsviz diff A B [--sort KEY] [-n N|all] [--json] [--db PATH]\n"
    "                           compare two runs (files or ids), function by function;\n"
    "                           KEY: delta (default), ratio, calls, tdelta, cumtime,\n"
    "                           tottime, name, file\n"
    "  pstatsviz vacuum [--db PATH]\n"
    "                           rewrite a database made by an older pstatsviz so that\n"
    "                           deletes give space back (needs twice its size free)\n"
    "\n"
    "  FILE        a stats file, or one gzipped (known by its first bytes, not by .gz);\n"
    "              inflated, at most 1G (pstatsviz FILE: --max-upload)\n"
    "  --db PATH   the database (default $XDG_DATA_HOME/pstatsviz/profiles.db,\n"
    "              else ~/.local/share/pstatsviz/profiles.db)\n"
    "  --help, --version\n";

int pv_cli_fail(const char *what, const pv_err *err)
{
    fprintf(stderr, "pstatsviz: %s: %s\n", what, err->msg);
    return err->code == PV_E_USAGE ? PV_CLI_EXIT_USAGE : PV_CLI_EXIT_FAIL;
}

int pv_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pstatsviz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see pstatsviz --help)\n", stderr);
    va_end(ap);
    return PV_CLI_EXIT_USAGE;
}

int pv_cli_parse_limit(const char *v, long *limit)
{
    if (!strcmp(v, "all")) {
        *limit = -1;
        return 0;
    }
    char *end;
    errno = 0;
    *limit = strtol(v, &end, 10);
    if (errno || *end || end == v || *limit < 0)
        return pv_cli_usage_error("-n takes a number or 'all', not '%s'", v);
    return 0;
}

int pv_cli_read_gzip_file(const char *path, size_t max_bytes, uint8_t **out, size_t *len)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    uint8_t chunk[64 * 1024];
    size_t n = fread(chunk, 1, sizeof chunk, f);
    if (!pv_gunzip_is_gzip(chunk, n)) {
        fclose(f);
        return 0;
    }
    pv_err err = {0};
    struct pv_gunzip *g;
    pv_code rc = pv_gunzip_create(max_bytes, &g, &err);
    while (!rc && n) {
        rc = pv_gunzip_feed(g, chunk, n, &err);
        n = fread(chunk, 1, sizeof chunk, f);
    }
    if (!rc && ferror(f))
        rc = pv_err_set(&err, PV_E_IO, "reading it failed");
    if (!rc)
        rc = pv_gunzip_finish(g, out, len, &err);
    pv_gunzip_destroy(g);
    fclose(f);
    if (rc == PV_E_TOO_LARGE)
        fprintf(stderr, "pstatsviz: %s: %s (gunzip it first%s)\n", path, err.msg,
                max_bytes == PV_CLI_GUNZIP_MAX_BYTES ? "" : ", or raise --max-upload");
    return rc == PV_E_TOO_LARGE ? PV_CLI_EXIT_FAIL : rc ? pv_cli_fail(path, &err) : 0;
}

const char *pv_cli_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* ---- options ------------------------------------------------------------ */

struct opts {
    const char *db;
    const char *sort;
    const char *callers, *callees;
    const char *format, *max_export;
    long limit;
    bool json;
    const char *args[64];
    int nargs;
};

/* Parse the options shared by import/top/export.  Returns 0 or an exit
 * status. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){.sort = "cumulative", .limit = 25, .format = "json"};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **slot = !strcmp(a, "--db")       ? &o->db
                            : !strcmp(a, "--sort")    ? &o->sort
                            : !strcmp(a, "--callers") ? &o->callers
                            : !strcmp(a, "--callees") ? &o->callees
                            : !strcmp(a, "--format")  ? &o->format
                            : !strcmp(a, "--max-export") ? &o->max_export
                                                      : NULL;
        if (slot || !strcmp(a, "-n")) {
            if (i + 1 >= argc)
                return pv_cli_usage_error("%s needs a value", a);
            const char *v = argv[++i];
            if (slot)
                *slot = v;
            else if (pv_cli_parse_limit(v, &o->limit))
                return PV_CLI_EXIT_USAGE;
        } else if (!strcmp(a, "--json"))
            o->json = true;
        else if (a[0] == '-' && a[1])
            return pv_cli_usage_error("unknown option %s", a);
        else if (o->nargs < (int)(sizeof o->args / sizeof o->args[0]))
            o->args[o->nargs++] = a;
        else
            return pv_cli_usage_error("too many arguments (at most 64 files: %s)", a);
    }
    return 0;
}

int pv_cli_open_store(const char *db, struct pv_store **s)
{
    pv_err err = {0};
    char *path = NULL;
    if (!db) {
        if (pv_store_default_path(&path, &err))
            return pv_cli_fail("database", &err);
        db = path;
    }
    pv_code rc = pv_store_open(db, s, &err);
    int status = rc ? pv_cli_fail(db, &err) : 0;
    free(path);
    return status;
}

bool pv_cli_looks_like_id(const char *s)
{
    size_t n = strlen(s);
    return n == PV_STORE_ID_HEX && strspn(s, "0123456789abcdef") == n;
}

int pv_cli_load_profile(const char *arg, const char *db, struct pv_profile **p)
{
    pv_err err = {0};
    uint8_t *inflated;
    size_t len;
    int status = pv_cli_read_gzip_file(arg, PV_CLI_GUNZIP_MAX_BYTES, &inflated, &len);
    if (status)
        return status;
    if (inflated) {
        pv_code parsed = pv_profile_parse(inflated, len, p, &err);
        free(inflated);
        return parsed ? pv_cli_fail(arg, &err) : 0;
    }
    pv_code rc = pv_import_read_file(arg, p, &err);
    if (rc == PV_OK)
        return 0;
    if (rc != PV_E_NOTFOUND || !pv_cli_looks_like_id(arg))
        return pv_cli_fail(arg, &err);
    struct pv_store *s = NULL;
    if ((status = pv_cli_open_store(db, &s)))
        return status;
    rc = pv_store_load(s, arg, p, &err);
    pv_store_close(s);
    return rc ? pv_cli_fail(arg, &err) : 0;
}

/* ---- subcommands -------------------------------------------------------- */

/* pv_cli_imported_fn of import: a line for each file stored. */
static void print_imported(void *ctx, int i, const struct pv_import_any *res,
                           const char *attached_to, struct pv_profile *parsed)
{
    pv_profile_destroy(parsed);
    if (res->kind == PV_MEMORY_NONE)
        printf("%s  %s  %u  %u\n", res->stats.id, res->stats.name, res->stats.functions,
               res->stats.edges);
    else
        printf("%s  %s  %s  %s\n", res->memory.id, res->memory.name, res->memory.kind,
               attached_to ? attached_to : "-");
}

static int cmd_import(int argc, char **argv)
{
    struct opts o;
    int status = parse_opts(argc, argv, &o);
    if (status)
        return status;
    if (!o.nargs)
        return pv_cli_usage_error("%s", "import needs at least one FILE");
    struct pv_store *s = NULL;
    if ((status = pv_cli_open_store(o.db, &s)))
        return status;
    status = pv_cli_import_files(s, o.args, o.nargs, PV_CLI_GUNZIP_MAX_BYTES, true,
                                 print_imported, NULL);
    pv_store_close(s);
    return status;
}

/* pstats heads its report with the file's modification time and path;
 * a profile from the database has its id there instead.  Returns title,
 * or arg itself when it names no file. */
static const char *title_of(const char *arg, char *title, size_t size)
{
    struct stat st;
    char when[64];
    if (stat(arg, &st) || !ctime_r(&st.st_mtime, when))
        return arg;
    when[strcspn(when, "\n")] = '\0';
    snprintf(title, size, "%s    %s", when, arg);
    return title;
}

static int cmd_top(int argc, char **argv)
{
    struct opts o;
    int status = parse_opts(argc, argv, &o);
    if (status)
        return status;
    if (o.nargs != 1)
        return pv_cli_usage_error("%s", "top needs one FILE or ID");
    if (o.callers && o.callees)
        return pv_cli_usage_error("%s", "give --callers or --callees, not both");
    pv_err err = {0};
    struct pv_sort sort;
    if (pv_sort_parse(o.sort, &sort, &err))
        return pv_cli_fail("--sort", &err);
    struct pv_profile *p;
    if ((status = pv_cli_load_profile(o.args[0], o.db, &p)))
        return status;
    struct pv_report_select sel = {.regex = o.callers ? o.callers : o.callees, .limit = o.limit};
    pv_code rc;
    char title[4096];
    if (o.json)
        rc = pv_report_json_top(p, &sort, &sel, stdout, &err);
    else if (o.callers || o.callees)
        rc = pv_report_print_calls(p, &sort, &sel, o.callers != NULL, stdout, &err);
    else
        rc = pv_report_print_stats(p, title_of(o.args[0], title, sizeof title), &sort, &sel,
                                   stdout, &err);
    pv_profile_destroy(p);
    return rc ? pv_cli_fail(o.args[0], &err) : 0;
}

static int cmd_export(int argc, char **argv)
{
    struct opts o;
    int status = parse_opts(argc, argv, &o);
    if (status)
        return status;
    if (o.nargs != 1)
        return pv_cli_usage_error("%s", "export needs one FILE or ID");
    pv_err err = {0};
    pv_export_format format;
    if (pv_export_format_parse(o.format, &format, &err))
        return pv_cli_fail("--format", &err);
    size_t max_bytes = PV_EXPORT_DEFAULT_MAX_BYTES;
    if (o.max_export && !parse_size(o.max_export, &max_bytes))
        return pv_cli_usage_error("--max-export takes a size like 1G (0: no limit), not '%s'",
                           o.max_export);
    bool handled = false;
    if ((status = pv_cli_export_memory(o.args[0], o.db, format, &handled)) || handled)
        return status;
    struct pv_profile *p;
    if ((status = pv_cli_load_profile(o.args[0], o.db, &p)))
        return status;
    /* The export is sized first: one over the budget writes nothing. */
    pv_code rc = pv_export_write(p, pv_cli_base_name(o.args[0]), format, max_bytes, stdout, &err);
    if (!rc && fflush(stdout))
        rc = pv_err_set(&err, PV_E_IO, "writing the export failed");
    pv_profile_destroy(p);
    if (rc == PV_E_LIMIT)
        fprintf(stderr, "pstatsviz: %s: %s (raise --max-export, or 0 for no limit)\n",
                o.args[0], err.msg);
    return rc == PV_E_LIMIT ? PV_CLI_EXIT_FAIL : rc ? pv_cli_fail(o.args[0], &err) : 0;
}

static int cmd_vacuum(int argc, char **argv)
{
    struct opts o;
    int status = parse_opts(argc, argv, &o);
    if (status)
        return status;
    if (o.nargs)
        return pv_cli_usage_error("%s", "vacuum takes no FILE, only --db");
    struct pv_store *s;
    if ((status = pv_cli_open_store(o.db, &s)))
        return status;
    pv_err err = {0};
    struct pv_store_space before, after;
    if (pv_store_space_of(s, &before, &err) || pv_store_vacuum(s, &err) ||
        pv_store_space_of(s, &after, &err))
        status = pv_cli_fail("vacuum", &err);
    else
        printf("%.1f MB -> %.1f MB; deletes give space back: %s\n",
               (double)(before.pages * before.page_bytes) / 1e6,
               (double)(after.pages * after.page_bytes) / 1e6, after.gives_back ? "yes" : "no");
    pv_store_close(s);
    return status;
}

/* ---- serving ------------------------------------------------------------ */

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

/* "256M", "1G", "64K" or bytes. */
static bool parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return false;
    unsigned shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20
                     : *end == 'G' || *end == 'g' ? 30 : 0;
    if (shift)
        end++;
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v > (SIZE_MAX >> shift))
        return false;
    *out = (size_t)v << shift;
    return true;
}

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
            if (!parse_size(v, &o->max_upload) || !o->max_upload)
                return pv_cli_usage_error("--max-upload takes a size like 256M, not '%s'", v);
        } else if (!strcmp(a, "--heavy")) {
            o->heavy = strtol(v, &end, 10);
            if (*end || end == v || o->heavy < 1 || o->heavy > 256)
                return pv_cli_usage_error("--heavy takes 1 to 256, not '%s'", v);
        } else if (!strcmp(a, "--max-export")) {
            if (!parse_size(v, &o->max_export))
                return pv_cli_usage_error("--max-export takes a size like 1G (0: no limit), not '%s'",
                                   v);
            if (!o->max_export)
                o->max_export = SIZE_MAX;
        } else if (!strcmp(a, "--cache")) {
            if (!parse_size(v, &o->cache))
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
    if (o->nfiles && pv_store_leave_checkpoints(s, &err)) { /* the server checkpoints */
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
static int serve_main(int argc, char **argv, bool file_mode)
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

int pv_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return PV_CLI_EXIT_USAGE;
    }
    /* A file size limit (ulimit -f) then fails a write with EFBIG, which the
     * store reports like a full disk, instead of killing us mid-write. */
    signal(SIGXFSZ, SIG_IGN);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("pstatsviz %s\n", PV_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "import"))
        return cmd_import(argc - 2, argv + 2);
    if (!strcmp(cmd, "top"))
        return cmd_top(argc - 2, argv + 2);
    if (!strcmp(cmd, "export"))
        return cmd_export(argc - 2, argv + 2);
    if (!strcmp(cmd, "vacuum"))
        return cmd_vacuum(argc - 2, argv + 2);
    if (!strcmp(cmd, "diff"))
        return pv_cli_diff_main(argc - 2, argv + 2);
    if (!strcmp(cmd, "serve"))
        return serve_main(argc - 2, argv + 2, false);
    if (cmd[0] != '-') /* pstatsviz FILE...: everything is options or files */
        return serve_main(argc - 1, argv + 1, true);
    return pv_cli_usage_error("unknown command %s", cmd);
}
