/* cli.c - subcommands (see cli.h).
 *
 *   pstatsviz import FILE... [--db PATH]
 *   pstatsviz top FILE|ID [--sort KEY] [-n N|all] [--callers RE] [--callees RE]
 *                         [--json] [--db PATH]
 *   pstatsviz export FILE|ID [--format json] [--db PATH]
 *
 * Every failure is one line on stderr, "pstatsviz: WHAT: WHY", and a
 * non-zero exit status. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "profile.h"
#include "report.h"
#include "store.h"

#ifndef PV_VERSION
#define PV_VERSION "unknown"
#endif

enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

static const char USAGE[] =
    "usage: pstatsviz COMMAND [OPTIONS]\n"
    "\n"
    "Look at Python cProfile / profile / pstats stats files.\n"
    "\n"
    "  pstatsviz FILE [--port 8080] [--open]   import FILE, serve it, print its URL\n"
    "  pstatsviz serve [--host 127.0.0.1] [--port 8080] [--db PATH] [--max-upload 256M]\n"
    "                  [--source-root DIR]... [--list] [--threads N] [--web-root DIR]\n"
    "  pstatsviz import FILE... [--db PATH]    store files; prints id, name, functions, edges\n"
    "  pstatsviz top FILE|ID [--sort KEY] [-n N|all] [--callers REGEX] [--callees REGEX]\n"
    "                        [--json] [--db PATH]\n"
    "                           pstats' print_stats / print_callers / print_callees\n"
    "                           KEY: cumulative (default), tottime, ncalls, pcalls, name,\n"
    "                           filename, line, nfl, stdname (comma separated for several)\n"
    "  pstatsviz export FILE|ID [--format json] [--db PATH]\n"
    "                           the whole profile as canonical JSON\n"
    "\n"
    "  --db PATH   the database (default $XDG_DATA_HOME/pstatsviz/profiles.db,\n"
    "              else ~/.local/share/pstatsviz/profiles.db)\n"
    "  --help, --version\n";

static int fail(const char *what, const pv_err *err)
{
    fprintf(stderr, "pstatsviz: %s: %s\n", what, err->msg);
    return err->code == PV_E_USAGE ? EXIT_USAGE : EXIT_FAIL;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pstatsviz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see pstatsviz --help)\n", stderr);
    va_end(ap);
    return EXIT_USAGE;
}

pv_code pv_file_map(const char *path, const uint8_t **data, size_t *len, pv_err *err)
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

void pv_file_unmap(const uint8_t *data, size_t len)
{
    if (len)
        munmap((void *)data, len);
}

/* ---- options ------------------------------------------------------------ */

struct opts {
    const char *db;
    const char *sort;
    const char *callers, *callees;
    const char *format;
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
                                                      : NULL;
        if (slot || !strcmp(a, "-n")) {
            if (i + 1 >= argc)
                return usage_error("%s needs a value", a);
            const char *v = argv[++i];
            if (slot) {
                *slot = v;
                continue;
            }
            if (!strcmp(v, "all")) {
                o->limit = -1;
                continue;
            }
            char *end;
            errno = 0;
            o->limit = strtol(v, &end, 10);
            if (errno || *end || end == v || o->limit < 0)
                return usage_error("-n takes a number or 'all', not '%s'", v);
        } else if (!strcmp(a, "--json"))
            o->json = true;
        else if (a[0] == '-' && a[1])
            return usage_error("unknown option %s", a);
        else if (o->nargs < (int)(sizeof o->args / sizeof o->args[0]))
            o->args[o->nargs++] = a;
        else
            return usage_error("too many arguments (at most 64 files: %s)", a);
    }
    return 0;
}

static int open_store(const char *db, struct pv_store **s)
{
    pv_err err = {0};
    char *path = NULL;
    if (!db) {
        if (pv_store_default_path(&path, &err))
            return fail("database", &err);
        db = path;
    }
    pv_code rc = pv_store_open(db, s, &err);
    int status = rc ? fail(db, &err) : 0;
    free(path);
    return status;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

static bool looks_like_id(const char *s)
{
    size_t n = strlen(s);
    return n == PV_ID_HEX && strspn(s, "0123456789abcdef") == n;
}

/* A profile from a file path, or from the database by id. */
static int load_profile(const char *arg, const char *db, struct pv_profile **p)
{
    pv_err err = {0};
    const uint8_t *data;
    size_t len;
    pv_code rc = pv_file_map(arg, &data, &len, &err);
    if (rc == PV_OK) {
        rc = pv_profile_parse(data, len, p, &err);
        pv_file_unmap(data, len);
        return rc ? fail(arg, &err) : 0;
    }
    if (rc != PV_E_NOTFOUND || !looks_like_id(arg))
        return fail(arg, &err);
    struct pv_store *s;
    int status = open_store(db, &s);
    if (status)
        return status;
    rc = pv_store_load(s, arg, p, &err);
    pv_store_close(s);
    return rc ? fail(arg, &err) : 0;
}

/* ---- subcommands -------------------------------------------------------- */

static int cmd_import(int argc, char **argv)
{
    struct opts o;
    int status = parse_opts(argc, argv, &o);
    if (status)
        return status;
    if (!o.nargs)
        return usage_error("%s", "import needs at least one FILE");
    struct pv_store *s;
    if ((status = open_store(o.db, &s)))
        return status;
    for (int i = 0; i < o.nargs; i++) {
        pv_err err = {0};
        const uint8_t *data;
        size_t len;
        struct pv_import res;
        if (pv_file_map(o.args[i], &data, &len, &err)) {
            status = fail(o.args[i], &err);
            continue;
        }
        /* Parse, then let go of the file before storing: the import's peak
         * memory is the file or the stored form, not both. */
        char id[PV_ID_HEX + 1];
        pv_store_id_of(data, len, id);
        struct pv_profile *p = NULL;
        pv_code rc = pv_store_find(s, id, &res, &err);
        if (rc == PV_E_NOTFOUND && (rc = pv_profile_parse(data, len, &p, &err)) == PV_OK)
            rc = PV_E_NOTFOUND; /* parsed: store it below */
        pv_file_unmap(data, len);
        if (rc == PV_E_NOTFOUND)
            rc = pv_store_import_parsed(s, p, id, len, base_name(o.args[i]), &res, &err);
        pv_profile_destroy(p);
        if (rc) {
            status = fail(o.args[i], &err);
            continue;
        }
        printf("%s  %s  %u  %u\n", res.id, res.name, res.functions, res.edges);
        free(res.name);
    }
    pv_store_close(s);
    return status;
}

/* pstats heads its report with the file's modification time and path;
 * a profile from the database has its id there instead.  Static storage. */
static const char *title_of(const char *arg)
{
    static char title[4096];
    struct stat st;
    char when[64];
    if (stat(arg, &st) || !ctime_r(&st.st_mtime, when))
        return arg;
    when[strcspn(when, "\n")] = '\0';
    snprintf(title, sizeof title, "%s    %s", when, arg);
    return title;
}

static int cmd_top(int argc, char **argv)
{
    struct opts o;
    int status = parse_opts(argc, argv, &o);
    if (status)
        return status;
    if (o.nargs != 1)
        return usage_error("%s", "top needs one FILE or ID");
    if (o.callers && o.callees)
        return usage_error("%s", "give --callers or --callees, not both");
    pv_err err = {0};
    struct pv_sort sort;
    if (pv_sort_parse(o.sort, &sort, &err))
        return fail("--sort", &err);
    struct pv_profile *p;
    if ((status = load_profile(o.args[0], o.db, &p)))
        return status;
    struct pv_select sel = {.regex = o.callers ? o.callers : o.callees, .limit = o.limit};
    pv_code rc;
    if (o.json)
        rc = pv_report_top_json(p, &sort, &sel, stdout, &err);
    else if (o.callers || o.callees)
        rc = pv_report_print_calls(p, &sort, &sel, o.callers != NULL, stdout, &err);
    else
        rc = pv_report_print_stats(p, title_of(o.args[0]), &sort, &sel, stdout, &err);
    pv_profile_destroy(p);
    return rc ? fail(o.args[0], &err) : 0;
}

static int cmd_export(int argc, char **argv)
{
    struct opts o;
    int status = parse_opts(argc, argv, &o);
    if (status)
        return status;
    if (o.nargs != 1)
        return usage_error("%s", "export needs one FILE or ID");
    if (strcmp(o.format, "json"))
        return usage_error("unknown export format '%s' (the CLI writes json)", o.format);
    struct pv_profile *p;
    if ((status = load_profile(o.args[0], o.db, &p)))
        return status;
    pv_err err = {0};
    pv_code rc = pv_report_export_json(p, stdout, &err);
    pv_profile_destroy(p);
    return rc ? fail(o.args[0], &err) : 0;
}

int pv_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
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
    return usage_error("unknown command %s", cmd);
}
