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
 *                                                              (cli_serve.c)
 *
 * Memory files among the FILEs, and their export, are cli_memory.c's.
 * Every failure is one line on stderr, "pstatsviz: WHAT: WHY", and a
 * non-zero exit status. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_private.h"
#include "export.h"
#include "gunzip.h"
#include "import.h"
#include "memory.h"
#include "profile.h"
#include "report.h"
#include "report_json.h"
#include "store.h"

#ifndef PV_VERSION
#define PV_VERSION "unknown"
#endif

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

bool pv_cli_parse_size(const char *s, size_t *out)
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

/* Writing direct saves writing and syncing the model twice, and costs
 * switching the journal mode and back: a few small syncs.  Importing into
 * a new database, interleaved runs: 36 KB (the rasa sample) 0.024 ->
 * 0.027 s, 2.6 MB even, 10 MB 0.140 -> 0.124 s, 33 MB 0.377 -> 0.312 s. */
enum { DIRECT_MIN_BYTES = 4 << 20 };

bool pv_cli_worth_writing_direct(const char *const *paths, int n)
{
    off_t total = 0;
    struct stat st;
    for (int i = 0; i < n; i++)
        if (!stat(paths[i], &st) && S_ISREG(st.st_mode))
            total += st.st_size;
    return total >= DIRECT_MIN_BYTES;
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
    if (pv_cli_worth_writing_direct(o.args, o.nargs))
        pv_store_write_direct(s); /* unless a server has the file open */
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
    if (o.max_export && !pv_cli_parse_size(o.max_export, &max_bytes))
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
        return pv_cli_serve_main(argc - 2, argv + 2, false);
    if (cmd[0] != '-') /* pstatsviz FILE...: everything is options or files */
        return pv_cli_serve_main(argc - 1, argv + 1, true);
    return pv_cli_usage_error("unknown command %s", cmd);
}
