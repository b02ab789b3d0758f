/* memlines.c - reading memory_profiler's line report (see memlines.h). */
#include "memlines.h"

#include <stdlib.h>
#include <string.h>

#include "memtext.h"
#include "vec.h"

static const char HEADER_NEW[] = "Line #    Mem usage    Increment  Occurrences   Line Contents";
static const char HEADER_OLD[] = "Line #    Mem usage    Increment   Line Contents";
/* Spaces between the line number and an unmeasured row's source:
 * " " + 12 + " " + 12 + "  " + 10 + "   ", or " " + 12 + " " + 12 + "   ". */
enum { BLANK_NEW = 41, BLANK_OLD = 29 };

static bool starts_with(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && !memcmp(s, prefix, k);
}

/* n without trailing spaces. */
static size_t trimmed(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n;
}

static bool is_header(const char *s, size_t n, bool *with_occurrences)
{
    n = trimmed(s, n);
    if (n == sizeof HEADER_NEW - 1 && !memcmp(s, HEADER_NEW, n))
        return *with_occurrences = true;
    if (n == sizeof HEADER_OLD - 1 && !memcmp(s, HEADER_OLD, n)) {
        *with_occurrences = false;
        return true;
    }
    return false;
}

bool pv_memlines_sniff(const uint8_t *buf, size_t len)
{
    struct pv_memtext t;
    pv_memtext_init(&t, buf, len);
    const char *line;
    size_t n;
    int after_filename = -1; /* lines seen since a "Filename: " line */
    bool occ;
    while (pv_memtext_next_line(&t, &line, &n)) {
        if (starts_with(line, n, "Filename: "))
            after_filename = 0;
        else if (after_filename == 0 && trimmed(line, n) == 0)
            after_filename = 1;
        else if (after_filename == 1 && is_header(line, n, &occ))
            return true;
        else
            after_filename = -1;
    }
    return false;
}

/* ---- parsing ------------------------------------------------------------- */

struct parser {
    struct pv_memlines *r;
    struct pv_memtext t;
    size_t funcs_cap, rows_cap;
    bool have_format; /* a table was read: its columns hold for all */
    bool unit_known;  /* a measured row was read: its unit holds for all */
    pv_err *err;
};

static pv_code expected(struct parser *ps, const char *what, const char *line, size_t n)
{
    char got[72];
    pv_memtext_quote(line, n, got);
    return pv_err_set(ps->err, PV_E_FORMAT, "line %zu: expected %s, got \"%s\"", ps->t.lineno,
                      what, got);
}

static const char *copy_text(struct parser *ps, const char *s, size_t n)
{
    char *d = pv_arena_alloc(&ps->r->strings, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static size_t skip_spaces(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] == ' ')
        i++;
    return i;
}

static size_t token_end(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] != ' ')
        i++;
    return i;
}

/* A "<number> MiB" (or MB) field from s[*i], spaces first. */
static bool read_mem(struct parser *ps, const char *s, size_t n, size_t *i, double lo,
                     double *out)
{
    size_t a = skip_spaces(s, n, *i), b = token_end(s, n, a);
    if (!pv_memtext_decimal(s + a, b - a, lo, PV_MEMLINES_MAX_MIB, out))
        return false;
    if (b >= n || s[b] != ' ')
        return false;
    size_t u = b + 1, v = token_end(s, n, u);
    bool mb = v - u == 2 && !memcmp(s + u, "MB", 2);
    bool mib = v - u == 3 && !memcmp(s + u, "MiB", 3);
    if (!mb && !mib)
        return false;
    if (!ps->unit_known) {
        ps->r->unit_mb = mb;
        ps->unit_known = true;
    }
    else if (mb != ps->r->unit_mb)
        return false;
    *i = v;
    return true;
}

/* One row of a table. */
static pv_code read_row(struct parser *ps, const char *s, size_t n, bool occurrences)
{
    static const char ROW_NEW[] =
        "\"<line> <MiB> MiB <MiB> MiB <count>   <source>\" or \"<line>   <source>\"";
    static const char ROW_OLD[] = "\"<line> <MiB> MiB <MiB> MiB   <source>\" or \"<line>   <source>\"";
    const char *what = occurrences ? ROW_NEW : ROW_OLD;
    struct pv_memlines_row row = {.occ = -1};
    size_t a = skip_spaces(s, n, 0), i = token_end(s, n, a);
    if (!pv_memtext_integer(s + a, i - a, 1, 1000000000, &row.line))
        return expected(ps, what, s, n);
    size_t blank = occurrences ? BLANK_NEW : BLANK_OLD;
    size_t spaces = skip_spaces(s, n, i) - i;
    if (spaces >= blank || i + spaces == n) { /* unmeasured: the source at its column */
        size_t from = spaces >= blank ? i + blank : n;
        row.text = copy_text(ps, s + from, n - from);
    } else {
        row.measured = true;
        if (!read_mem(ps, s, n, &i, 0, &row.mem) ||
            !read_mem(ps, s, n, &i, -PV_MEMLINES_MAX_MIB, &row.inc))
            return expected(ps, what, s, n);
        if (occurrences) {
            a = skip_spaces(s, n, i);
            i = token_end(s, n, a);
            if (!pv_memtext_integer(s + a, i - a, 0, INT64_C(1) << 40, &row.occ))
                return expected(ps, what, s, n);
        }
        if (n - i < 3 || memcmp(s + i, "   ", 3))
            return expected(ps, what, s, n);
        row.text = copy_text(ps, s + i + 3, n - i - 3);
    }
    if (!row.text)
        return pv_err_set(ps->err, PV_E_NOMEM, "out of memory");
    row.text_len = strlen(row.text);
    struct pv_memlines_func *f = &ps->r->funcs[ps->r->nfuncs - 1];
    if (f->nrows && row.line <= f->last_line)
        return pv_err_set(ps->err, PV_E_FORMAT,
                          "line %zu: source line %lld after line %lld (rows go down the file)",
                          ps->t.lineno, (long long)row.line, (long long)f->last_line);
    if (!pv_vec_reserve((void **)&ps->r->rows, &ps->rows_cap, ps->r->nrows + 1, sizeof row))
        return pv_err_set(ps->err, PV_E_NOMEM, "out of memory");
    ps->r->rows[ps->r->nrows++] = row;
    if (!f->nrows++)
        f->first_line = row.line;
    f->last_line = row.line;
    return PV_OK;
}

/* The function's name from its "def" line: "def name(" or "async def name(". */
static pv_code name_function(struct parser *ps, struct pv_memlines_func *f)
{
    for (size_t k = f->first_row; k < f->first_row + f->nrows; k++) {
        const char *s = ps->r->rows[k].text;
        size_t n = ps->r->rows[k].text_len, i = skip_spaces(s, n, 0);
        if (starts_with(s + i, n - i, "async "))
            i = skip_spaces(s, n, i + 6);
        if (!starts_with(s + i, n - i, "def "))
            continue;
        i = skip_spaces(s, n, i + 4);
        size_t e = i;
        while (e < n && s[e] != '(' && s[e] != ' ' && s[e] != ':')
            e++;
        if (e > i && !(f->name = copy_text(ps, s + i, e - i)))
            return pv_err_set(ps->err, PV_E_NOMEM, "out of memory");
        return PV_OK;
    }
    return PV_OK;
}

static bool all_equals_signs(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '=')
            return false;
    return true;
}

/* A table, from its "Filename: " line (read already) to the blank line
 * after its rows, or the end. */
static pv_code read_table(struct parser *ps, const char *file, size_t file_n)
{
    struct pv_memlines *r = ps->r;
    const char *s = "";
    size_t n = 0;
    bool occurrences;
    if (!pv_memtext_next_line(&ps->t, &s, &n) || trimmed(s, n))
        return expected(ps, "a blank line after \"Filename: ...\"", s, n);
    if (!pv_memtext_next_line(&ps->t, &s, &n) || !is_header(s, n, &occurrences))
        return expected(ps, "the header \"Line #    Mem usage    Increment ...\"", s, n);
    if (ps->have_format && occurrences != r->has_occurrences)
        return pv_err_set(ps->err, PV_E_FORMAT,
                          "line %zu: a table %s Occurrences column after one %s", ps->t.lineno,
                          occurrences ? "with an" : "without the",
                          occurrences ? "without" : "with one");
    size_t header_n = trimmed(s, n);
    if (!pv_memtext_next_line(&ps->t, &s, &n) || trimmed(s, n) != header_n ||
        !all_equals_signs(s, header_n))
        return expected(ps, "a rule of \"=\" as long as the header", s, n);
    if (!pv_vec_reserve((void **)&r->funcs, &ps->funcs_cap, r->nfuncs + 1, sizeof *r->funcs))
        return pv_err_set(ps->err, PV_E_NOMEM, "out of memory");
    struct pv_memlines_func *f = &r->funcs[r->nfuncs++];
    *f = (struct pv_memlines_func){.first_row = r->nrows};
    if (!(f->file = copy_text(ps, file, file_n)))
        return pv_err_set(ps->err, PV_E_NOMEM, "out of memory");
    size_t table_line = ps->t.lineno;
    while (pv_memtext_next_line(&ps->t, &s, &n) && n) {
        if (n > PV_MEMLINES_MAX_LINE_BYTES)
            return pv_err_set(ps->err, PV_E_LIMIT, "line %zu: %zu bytes long, over %d",
                              ps->t.lineno, n, PV_MEMLINES_MAX_LINE_BYTES);
        if (read_row(ps, s, n, occurrences))
            return ps->err->code;
    }
    if (!f->nrows)
        return pv_err_set(ps->err, PV_E_FORMAT, "line %zu: a table without rows", table_line);
    /* The first measured row is the entry (the def line, or the decorator
     * above it): its "increment" is all the memory in use when the function
     * was entered, so it never counts as the line that grew most. */
    double max_inc = 0;
    bool entry_seen = false;
    for (size_t k = f->first_row; k < f->first_row + f->nrows; k++) {
        const struct pv_memlines_row *row = &r->rows[k];
        if (!row->measured)
            continue;
        if (entry_seen && row->inc > max_inc) {
            max_inc = row->inc;
            f->max_inc_line = row->line;
        }
        entry_seen = true;
        if (row->mem > r->peak_mib)
            r->peak_mib = row->mem;
    }
    if (!entry_seen)
        return pv_err_set(ps->err, PV_E_FORMAT, "line %zu: a table without a measured row",
                          table_line);
    r->has_occurrences = occurrences;
    ps->have_format = true;
    return name_function(ps, f);
}

pv_code pv_memlines_parse(const uint8_t *buf, size_t len, struct pv_memlines **out, pv_err *err)
{
    if (pv_memtext_has_nul(buf, len))
        return pv_err_set(err, PV_E_FORMAT,
                          "a NUL byte: not a memory_profiler report (a text file)");
    struct pv_memlines *r = calloc(1, sizeof *r);
    if (!r)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    pv_arena_init(&r->strings, 0);
    struct parser ps = {.r = r, .err = err};
    pv_memtext_init(&ps.t, buf, len);
    const char *s;
    size_t n;
    while (pv_memtext_next_line(&ps.t, &s, &n))
        if (starts_with(s, n, "Filename: ") && read_table(&ps, s + 10, n - 10))
            goto destroy_partial;
    if (!r->nfuncs) {
        pv_err_set(err, PV_E_FORMAT,
                   "line %zu: the end, and no \"Filename: \" table of memory_profiler before it",
                   ps.t.lineno + 1);
        goto destroy_partial;
    }
    *out = r;
    return PV_OK;

destroy_partial:
    pv_memlines_destroy(r);
    return err->code;
}

void pv_memlines_destroy(struct pv_memlines *r)
{
    if (!r)
        return;
    free(r->funcs);
    free(r->rows);
    pv_arena_fini(&r->strings);
    free(r);
}
