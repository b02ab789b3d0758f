/* memory.c - memory data told apart, and its canonical JSON (see memory.h). */
#include "memory.h"

#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

/* The packed layout is the structs' own, so storing is one copy. */
_Static_assert(sizeof(struct pv_mprof_sample) == PV_MEMORY_SAMPLE_BYTES, "sample layout");
_Static_assert(sizeof(struct pv_mprof_child_sample) == PV_MEMORY_CHILD_SAMPLE_BYTES,
               "child sample layout");

enum pv_memory_kind pv_memory_sniff(const uint8_t *buf, size_t len)
{
    /* A stats file may be 100 MB, and is mapped and read page by page
     * (import.h): the sniff must not read it all first. */
    if (len > PV_MEMORY_SNIFF_BYTES)
        len = PV_MEMORY_SNIFF_BYTES;
    if (pv_mprof_sniff(buf, len))
        return PV_MEMORY_MPROF;
    if (pv_memlines_sniff(buf, len))
        return PV_MEMORY_LINES;
    return PV_MEMORY_NONE;
}

const char *pv_memory_kind_name(enum pv_memory_kind kind)
{
    return kind == PV_MEMORY_MPROF ? "mprof" : kind == PV_MEMORY_LINES ? "lines" : "";
}

pv_code pv_memory_parse(const uint8_t *buf, size_t len, struct pv_memory **out, pv_err *err)
{
    enum pv_memory_kind kind = pv_memory_sniff(buf, len);
    if (kind == PV_MEMORY_NONE)
        return pv_err_set(err, PV_E_SHAPE,
                          "neither a stats file, an mprof recording nor a memory_profiler report");
    struct pv_memory *m = calloc(1, sizeof *m);
    if (!m)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    m->kind = kind;
    pv_code rc = kind == PV_MEMORY_MPROF ? pv_mprof_parse(buf, len, &m->mprof, err)
                                         : pv_memlines_parse(buf, len, &m->lines, err);
    if (rc) {
        free(m);
        return rc;
    }
    *out = m;
    return PV_OK;
}

void pv_memory_destroy(struct pv_memory *m)
{
    if (!m)
        return;
    pv_mprof_destroy(m->mprof);
    pv_memlines_destroy(m->lines);
    free(m);
}

double pv_memory_peak_mib(const struct pv_memory *m)
{
    return m->mprof ? m->mprof->peak_mib : m->lines->peak_mib;
}

/* ---- JSON ---------------------------------------------------------------- */

static void key(FILE *f, const char *k)
{
    pv_jsonw_string(f, k, strlen(k));
    fputc(':', f);
}

static void str(FILE *f, const char *s)
{
    if (s)
        pv_jsonw_string(f, s, strlen(s));
    else
        fputs("null", f);
}

static void mprof_body(FILE *f, const struct pv_mprof *m)
{
    fputs("{\"kind\":\"mprof\",", f);
    key(f, "cmdline");
    str(f, m->cmdline);
    fputs(",\"samples\":", f);
    pv_jsonw_int(f, (int64_t)m->nmem);
    fputs(",\"start_t\":", f);
    pv_jsonw_double(f, m->start_t);
    fputs(",\"end_t\":", f);
    pv_jsonw_double(f, m->end_t);
    fputs(",\"peak\":{\"mib\":", f);
    pv_jsonw_double(f, m->peak_mib);
    fputs(",\"t\":", f);
    pv_jsonw_double(f, m->peak_t);
    fputs("},\"funcs\":[", f);
    for (size_t i = 0; i < m->nfuncs; i++) {
        const struct pv_mprof_func *fn = &m->funcs[i];
        fputs(i ? ",{" : "{", f);
        key(f, "name");
        str(f, fn->name);
        fputs(",\"start_mib\":", f);
        pv_jsonw_double(f, fn->start_mib);
        fputs(",\"start_t\":", f);
        pv_jsonw_double(f, fn->start_t);
        fputs(",\"end_mib\":", f);
        pv_jsonw_double(f, fn->end_mib);
        fputs(",\"end_t\":", f);
        pv_jsonw_double(f, fn->end_t);
        fputs(",\"level\":", f);
        if (fn->level < 0)
            fputs("null", f);
        else
            pv_jsonw_int(f, fn->level);
        fputc('}', f);
    }
    fputs("],\"children\":[", f);
    for (size_t i = 0; i < m->nchildren; i++) {
        fputs(i ? ",{\"pid\":" : "{\"pid\":", f);
        pv_jsonw_int(f, m->children[i].pid);
        fputs(",\"samples\":", f);
        pv_jsonw_int(f, (int64_t)m->children[i].samples);
        fputs(",\"peak_mib\":", f);
        pv_jsonw_double(f, m->children[i].peak_mib);
        fputc('}', f);
    }
    fputs("]}", f);
}

static void optional_double(FILE *f, bool given, double v)
{
    if (given)
        pv_jsonw_double(f, v);
    else
        fputs("null", f);
}

static void lines_body(FILE *f, const struct pv_memlines *r)
{
    fputs("{\"kind\":\"lines\",\"unit\":", f);
    str(f, r->unit_mb ? "MB" : "MiB");
    fputs(",\"peak_mib\":", f);
    pv_jsonw_double(f, r->peak_mib);
    fputs(",\"functions\":[", f);
    for (size_t i = 0; i < r->nfuncs; i++) {
        const struct pv_memlines_func *fn = &r->funcs[i];
        fputs(i ? ",{" : "{", f);
        key(f, "file");
        str(f, fn->file);
        fputc(',', f);
        key(f, "name");
        str(f, fn->name);
        fputs(",\"first_line\":", f);
        pv_jsonw_int(f, fn->first_line);
        fputs(",\"last_line\":", f);
        pv_jsonw_int(f, fn->last_line);
        fputs(",\"max_inc_line\":", f);
        if (fn->max_inc_line)
            pv_jsonw_int(f, fn->max_inc_line);
        else
            fputs("null", f);
        fputs(",\"lines\":[", f);
        for (size_t k = 0; k < fn->nrows; k++) {
            const struct pv_memlines_row *row = &r->rows[fn->first_row + k];
            fputs(k ? ",{\"line\":" : "{\"line\":", f);
            pv_jsonw_int(f, row->line);
            fputs(",\"mem\":", f);
            optional_double(f, row->measured, row->mem);
            fputs(",\"inc\":", f);
            optional_double(f, row->measured, row->inc);
            fputs(",\"occ\":", f);
            if (row->measured && row->occ >= 0)
                pv_jsonw_int(f, row->occ);
            else
                fputs("null", f);
            fputs(",\"text\":", f);
            pv_jsonw_string(f, row->text, row->text_len);
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("]}", f);
}

static void mprof_summary(FILE *f, const struct pv_mprof *m)
{
    fputs("{\"samples\":", f);
    pv_jsonw_int(f, (int64_t)m->nmem);
    fputs(",\"children\":", f);
    pv_jsonw_int(f, (int64_t)m->nchildren);
    fputs(",\"funcs\":", f);
    pv_jsonw_int(f, (int64_t)m->nfuncs);
    fputs(",\"peak_mib\":", f);
    pv_jsonw_double(f, m->peak_mib);
    fputs(",\"peak_t\":", f);
    pv_jsonw_double(f, m->peak_t);
    fputs(",\"start_t\":", f);
    pv_jsonw_double(f, m->start_t);
    fputs(",\"end_t\":", f);
    pv_jsonw_double(f, m->end_t);
    fputs(",\"cmdline\":", f);
    str(f, m->cmdline);
    fputc('}', f);
}

static void lines_summary(FILE *f, const struct pv_memlines *r)
{
    fputs("{\"functions\":", f);
    pv_jsonw_int(f, (int64_t)r->nfuncs);
    fputs(",\"lines\":", f);
    pv_jsonw_int(f, (int64_t)r->nrows);
    fputs(",\"peak_mib\":", f);
    pv_jsonw_double(f, r->peak_mib);
    fputc('}', f);
}

/* What write(f, m) writes, as a malloc'd string. */
static pv_code to_text(const struct pv_memory *m, bool body, char **out, pv_err *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    if (m->mprof)
        (body ? mprof_body : mprof_summary)(f, m->mprof);
    else
        (body ? lines_body : lines_summary)(f, m->lines);
    bool failed = ferror(f);
    if (fclose(f) || failed) {
        free(text);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    *out = text;
    return PV_OK;
}

pv_code pv_memory_body_json(const struct pv_memory *m, char **out, pv_err *err)
{
    return to_text(m, true, out, err);
}

pv_code pv_memory_summary_json(const struct pv_memory *m, char **out, pv_err *err)
{
    return to_text(m, false, out, err);
}

void pv_memory_samples(const struct pv_memory *m, const void **samples, size_t *samples_bytes,
                       const void **children, size_t *children_bytes)
{
    const struct pv_mprof *p = m->mprof;
    *samples = p ? p->mem : NULL;
    *samples_bytes = p ? p->nmem * sizeof *p->mem : 0;
    *children = p ? p->chld : NULL;
    *children_bytes = p ? p->nchld * sizeof *p->chld : 0;
}

void pv_memory_write_samples(FILE *out, const void *samples, size_t samples_bytes)
{
    size_t n = samples_bytes / sizeof(struct pv_mprof_sample);
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        struct pv_mprof_sample s;
        memcpy(&s, (const uint8_t *)samples + i * sizeof s, sizeof s); /* a BLOB: unaligned */
        fputs(i ? ",[" : "[", out);
        pv_jsonw_double(out, s.mib);
        fputc(',', out);
        pv_jsonw_double(out, s.t);
        fputc(']', out);
    }
    fputc(']', out);
}

static struct pv_mprof_child_sample child_at(const uint8_t *base, size_t i)
{
    struct pv_mprof_child_sample s;
    memcpy(&s, base + i * sizeof s, sizeof s); /* a BLOB: unaligned */
    return s;
}

void pv_memory_write_children(FILE *out, const void *children, size_t children_bytes)
{
    size_t n = children_bytes / sizeof(struct pv_mprof_child_sample);
    const uint8_t *base = children;
    /* The children in the order they first appear (the reader allows 4096
     * of them; a recording has a few), then one pass over the samples for
     * each. */
    enum { MAX_CHILDREN = 4096 };
    int64_t *pids = malloc(MAX_CHILDREN * sizeof *pids);
    size_t npids = 0;
    for (size_t i = 0; pids && i < n; i++) {
        int64_t pid = child_at(base, i).pid;
        size_t k = npids;
        while (k && pids[k - 1] != pid)
            k--;
        if (!k && npids < MAX_CHILDREN)
            pids[npids++] = pid;
    }
    fputc('{', out);
    for (size_t c = 0; c < npids; c++) {
        fprintf(out, "%s\"%lld\":[", c ? "," : "", (long long)pids[c]);
        bool first = true;
        for (size_t i = 0; i < n; i++) {
            struct pv_mprof_child_sample e = child_at(base, i);
            if (e.pid != pids[c])
                continue;
            fputs(first ? "[" : ",[", out);
            first = false;
            pv_jsonw_double(out, e.mib);
            fputc(',', out);
            pv_jsonw_double(out, e.t);
            fputc(']', out);
        }
        fputc(']', out);
    }
    fputc('}', out);
    if (!pids)
        fputs("\n(out of memory)", out); /* the text is then no JSON: better than a wrong one */
    free(pids);
}
