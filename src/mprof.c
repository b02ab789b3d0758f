/* mprof.c - reading an `mprof run` recording (see mprof.h). */
#include "mprof.h"

#include <stdlib.h>
#include <string.h>

#include "memtext.h"
#include "vec.h"

static bool starts_with(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && !memcmp(s, prefix, k);
}

bool pv_mprof_sniff(const uint8_t *buf, size_t len)
{
    struct pv_memtext t;
    pv_memtext_init(&t, buf, len);
    const char *line;
    size_t n;
    while (pv_memtext_next_line(&t, &line, &n)) {
        size_t blank = 0;
        while (blank < n && (line[blank] == ' ' || line[blank] == '\t'))
            blank++;
        if (blank == n)
            continue;
        return starts_with(line, n, "CMDLINE ") || starts_with(line, n, "MEM ") ||
               starts_with(line, n, "FUNC ") || starts_with(line, n, "CHLD ");
    }
    return false;
}

/* A line cut at single spaces, as mprof's reader cuts it (split(' ')). */
enum { MAX_FIELDS = 8 };
struct fields {
    const char *s[MAX_FIELDS];
    size_t n[MAX_FIELDS];
    size_t count; /* MAX_FIELDS + 1: more than MAX_FIELDS */
};

static void split(const char *line, size_t n, struct fields *f)
{
    f->count = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || line[i] == ' ') {
            if (f->count == MAX_FIELDS) {
                f->count++;
                return;
            }
            f->s[f->count] = line + start;
            f->n[f->count++] = i - start;
            start = i + 1;
        }
}

static pv_code expected(pv_err *err, size_t lineno, const char *what, const char *line, size_t n)
{
    char got[72];
    pv_memtext_quote(line, n, got);
    return pv_err_set(err, PV_E_FORMAT, "line %zu: expected \"%s\", got \"%s\"", lineno, what,
                      got);
}

static bool mib_at(const struct fields *f, size_t i, double *out)
{
    return pv_memtext_decimal(f->s[i], f->n[i], 0, PV_MPROF_MAX_MIB, out);
}

static bool time_at(const struct fields *f, size_t i, double *out)
{
    return pv_memtext_decimal(f->s[i], f->n[i], 0, PV_MPROF_MAX_T, out);
}

static char *dup_bytes(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static pv_code read_line(struct pv_mprof *m, const char *line, size_t n, size_t lineno,
                         size_t *caps, pv_err *err)
{
    static const char MEM[] = "MEM <MiB> <time>";
    static const char FUNC[] = "FUNC <name> <MiB> <time> <MiB> <time> [<level>]";
    static const char CHLD[] = "CHLD <index> <MiB> <time>";
    if (n > PV_MPROF_MAX_LINE_BYTES)
        return pv_err_set(err, PV_E_LIMIT, "line %zu: %zu bytes long, over %d", lineno, n,
                          PV_MPROF_MAX_LINE_BYTES);
    if (starts_with(line, n, "CMDLINE ")) {
        if (m->cmdline)
            return pv_err_set(err, PV_E_FORMAT,
                              "line %zu: a second CMDLINE (two recordings appended to one file?)",
                              lineno);
        if (!(m->cmdline = dup_bytes(line + 8, n - 8)))
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        return PV_OK;
    }
    struct fields f;
    split(line, n, &f);
    if (f.count && f.n[0] == 3 && !memcmp(f.s[0], "MEM", 3)) {
        struct pv_mprof_sample s;
        if (f.count != 3 || !mib_at(&f, 1, &s.mib) || !time_at(&f, 2, &s.t))
            return expected(err, lineno, MEM, line, n);
        if (!pv_vec_reserve((void **)&m->mem, &caps[0], m->nmem + 1, sizeof s))
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        m->mem[m->nmem++] = s;
        return PV_OK;
    }
    if (f.count && f.n[0] == 4 && !memcmp(f.s[0], "FUNC", 4)) {
        struct pv_mprof_func fn = {.level = -1};
        if ((f.count != 6 && f.count != 7) || f.n[1] == 0 || !mib_at(&f, 2, &fn.start_mib) ||
            !time_at(&f, 3, &fn.start_t) || !mib_at(&f, 4, &fn.end_mib) ||
            !time_at(&f, 5, &fn.end_t) ||
            (f.count == 7 && !pv_memtext_integer(f.s[6], f.n[6], 0, 1 << 20, &fn.level)))
            return expected(err, lineno, FUNC, line, n);
        if (fn.end_t < fn.start_t)
            return pv_err_set(err, PV_E_FORMAT, "line %zu: a FUNC that ends before it starts",
                              lineno);
        if (!pv_vec_reserve((void **)&m->funcs, &caps[1], m->nfuncs + 1, sizeof fn) ||
            !(fn.name = dup_bytes(f.s[1], f.n[1])))
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        m->funcs[m->nfuncs++] = fn;
        return PV_OK;
    }
    if (f.count && f.n[0] == 4 && !memcmp(f.s[0], "CHLD", 4)) {
        struct pv_mprof_child_sample s;
        if (f.count != 4 || !pv_memtext_integer(f.s[1], f.n[1], 0, INT32_MAX, &s.pid) ||
            !mib_at(&f, 2, &s.mib) || !time_at(&f, 3, &s.t))
            return expected(err, lineno, CHLD, line, n);
        if (!pv_vec_reserve((void **)&m->chld, &caps[2], m->nchld + 1, sizeof s))
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        m->chld[m->nchld++] = s;
        return PV_OK;
    }
    if (n == 0)
        return pv_err_set(err, PV_E_FORMAT,
                          "line %zu: a blank line (mprof stops there: sampling too short?)",
                          lineno);
    return expected(err, lineno, "CMDLINE, MEM, FUNC or CHLD record", line, n);
}

/* The children's summaries, in the order they first appear (a few, so a
 * linear search per sample is fine only up to a point: mprof numbers
 * children from 0, so most finds hit the last one looked at). */
static pv_code summarize_children(struct pv_mprof *m, pv_err *err)
{
    size_t cap = 0, last = 0;
    for (size_t i = 0; i < m->nchld; i++) {
        const struct pv_mprof_child_sample *s = &m->chld[i];
        size_t k = last < m->nchildren && m->children[last].pid == s->pid ? last : m->nchildren;
        if (k == m->nchildren)
            for (k = 0; k < m->nchildren && m->children[k].pid != s->pid; k++)
                ;
        if (k == m->nchildren) {
            if (m->nchildren == 4096)
                return pv_err_set(err, PV_E_LIMIT, "more than 4096 child processes");
            if (!pv_vec_reserve((void **)&m->children, &cap, k + 1, sizeof *m->children))
                return pv_err_set(err, PV_E_NOMEM, "out of memory");
            m->children[m->nchildren++] = (struct pv_mprof_child){.pid = s->pid, .peak_mib = s->mib};
        }
        struct pv_mprof_child *c = &m->children[k];
        c->samples++;
        if (s->mib > c->peak_mib)
            c->peak_mib = s->mib;
        last = k;
    }
    return PV_OK;
}

pv_code pv_mprof_parse(const uint8_t *buf, size_t len, struct pv_mprof **out, pv_err *err)
{
    if (pv_memtext_has_nul(buf, len))
        return pv_err_set(err, PV_E_FORMAT, "a NUL byte: not an mprof recording (a text file)");
    struct pv_mprof *m = calloc(1, sizeof *m);
    if (!m)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    struct pv_memtext t;
    pv_memtext_init(&t, buf, len);
    const char *line;
    size_t n, caps[3] = {0};
    while (pv_memtext_next_line(&t, &line, &n))
        if (read_line(m, line, n, t.lineno, caps, err))
            goto destroy_partial;
    if (!m->nmem) {
        pv_err_set(err, PV_E_FORMAT, "line %zu: the end, and no MEM sample before it",
                   t.lineno + 1);
        goto destroy_partial;
    }
    if (summarize_children(m, err))
        goto destroy_partial;
    m->peak_mib = m->mem[0].mib;
    m->peak_t = m->start_t = m->end_t = m->mem[0].t;
    for (size_t i = 1; i < m->nmem; i++) {
        const struct pv_mprof_sample *s = &m->mem[i];
        if (s->mib > m->peak_mib) {
            m->peak_mib = s->mib;
            m->peak_t = s->t;
        }
        if (s->t < m->start_t)
            m->start_t = s->t;
        if (s->t > m->end_t)
            m->end_t = s->t;
    }
    /* The span covers the FUNC brackets too: mprof samples every 0.1 s,
     * so a short call often starts or ends between the last sample and the
     * end of the run, and a chart of the samples' span alone left it out. */
    for (size_t i = 0; i < m->nfuncs; i++) {
        if (m->funcs[i].start_t < m->start_t)
            m->start_t = m->funcs[i].start_t;
        if (m->funcs[i].end_t > m->end_t)
            m->end_t = m->funcs[i].end_t;
    }
    *out = m;
    return PV_OK;

destroy_partial:
    pv_mprof_destroy(m);
    return err->code;
}

void pv_mprof_destroy(struct pv_mprof *m)
{
    if (!m)
        return;
    free(m->cmdline);
    free(m->mem);
    for (size_t i = 0; i < m->nfuncs; i++)
        free(m->funcs[i].name);
    free(m->funcs);
    free(m->chld);
    free(m->children);
    free(m);
}
