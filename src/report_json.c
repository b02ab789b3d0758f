/* report_json.c - pstats' data as JSON: the canonical export of oracle.py,
 * written piece by piece and sized first, and print_stats' rows (see
 * report_json.h). */
#include "report_json.h"

#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

static void write_str(FILE *out, const struct pv_profile *p, uint32_t h)
{
    size_t n;
    const char *s = pv_profile_str(p, h, &n);
    pv_jsonw_string(out, s, n);
}

/* The canonical JSON's fixed text, shared by the writer and the sizer so
 * the two cannot drift apart. */
static const char J_HEAD[] = "{\"reader\": \"pstatsviz\", \"total_calls\": ",
                  J_PRIM[] = ", \"prim_calls\": ", J_TOTAL_TT[] = ", \"total_tt\": ",
                  J_FUNCS[] = ", \"functions\": [", J_EDGES[] = "], \"edges\": [",
                  J_TAIL[] = "]}\n", J_SEP[] = ", ", J_KEY_SEP[] = ", ", J_FILE[] = "{\"file\": ",
                  J_LINE[] = ", \"line\": ", J_NAME[] = ", \"name\": ", J_CC[] = ", \"cc\": ",
                  J_NC[] = ", \"nc\": ", J_TT[] = ", \"tt\": ", J_CT[] = ", \"ct\": ",
                  J_CALLER[] = "{\"caller\": ", J_CALLEE[] = ", \"callee\": ",
                  J_COUNT_ONLY_CC[] = ", \"cc\": null, \"nc\": ",
                  J_COUNT_ONLY_TAIL[] = ", \"tt\": null, \"ct\": null}";
#define LIT(s) (sizeof(s) - 1)

static void write_key(FILE *out, const struct pv_profile *p, uint32_t fid)
{
    const struct pv_func *f = &p->funcs[fid];
    fputc('[', out);
    write_str(out, p, f->file);
    fputs(J_KEY_SEP, out);
    pv_jsonw_int(out, f->line);
    fputs(J_KEY_SEP, out);
    write_str(out, p, f->name);
    fputc(']', out);
}

/* The JSON length of a profile string, each long one measured once. */
static uint64_t str_len(struct pv_jsonw_lengths *l, const struct pv_profile *p, uint32_t h)
{
    size_t n;
    const char *s = pv_profile_str(p, h, &n);
    return pv_jsonw_lengths_get(l, h, s, n);
}

static uint64_t key_len(struct pv_jsonw_lengths *l, const struct pv_profile *p,
                        const struct pv_func *f)
{
    return 1 + str_len(l, p, f->file) + LIT(J_KEY_SEP) + pv_jsonw_int_len(f->line) +
           LIT(J_KEY_SEP) + str_len(l, p, f->name) + 1;
}

static void write_counts(FILE *out, int64_t cc, int64_t nc)
{
    fputs(J_CC, out);
    pv_jsonw_int(out, cc);
    fputs(J_NC, out);
    pv_jsonw_int(out, nc);
}

static void write_func(FILE *out, const struct pv_profile *p, const struct pv_func *f)
{
    fputs(J_FILE, out);
    write_str(out, p, f->file);
    fputs(J_LINE, out);
    pv_jsonw_int(out, f->line);
    fputs(J_NAME, out);
    write_str(out, p, f->name);
    write_counts(out, f->cc, f->nc);
    fputs(J_TT, out);
    pv_jsonw_double(out, f->tt);
    fputs(J_CT, out);
    pv_jsonw_double(out, f->ct);
    fputc('}', out);
}

static void write_edge(FILE *out, const struct pv_profile *p, const struct pv_edge *ed)
{
    fputs(J_CALLER, out);
    write_key(out, p, ed->caller);
    fputs(J_CALLEE, out);
    write_key(out, p, ed->callee);
    if (pv_profile_edge_count_only(p, ed)) {
        fputs(J_COUNT_ONLY_CC, out);
        pv_jsonw_int(out, ed->nc);
        fputs(J_COUNT_ONLY_TAIL, out);
        return;
    }
    write_counts(out, ed->cc, ed->nc);
    fputs(J_TT, out);
    pv_jsonw_double(out, ed->tt);
    fputs(J_CT, out);
    pv_jsonw_double(out, ed->ct);
    fputc('}', out);
}

enum { PART_HEAD, PART_FUNCS, PART_EDGES, PART_DONE };

void pv_report_json_export_init(struct pv_report_json_export *x, const struct pv_profile *p)
{
    *x = (struct pv_report_json_export){.p = p, .part = PART_HEAD, .next = 0, .first = true};
}

bool pv_report_json_export_next(struct pv_report_json_export *x, FILE *out, size_t records)
{
    const struct pv_profile *p = x->p;
    for (size_t r = 0; r < records && x->part != PART_DONE; r++) {
        switch (x->part) {
        case PART_HEAD:
            fputs(J_HEAD, out);
            pv_jsonw_int(out, p->total_calls);
            fputs(J_PRIM, out);
            pv_jsonw_int(out, p->prim_calls);
            fputs(J_TOTAL_TT, out);
            pv_jsonw_double(out, p->total_tt);
            fputs(J_FUNCS, out);
            x->part = PART_FUNCS;
            break;
        case PART_FUNCS:
            while (x->next < p->nfuncs && (p->funcs[x->next].flags & PV_FUNC_PHANTOM))
                x->next++;
            if (x->next == p->nfuncs) {
                fputs(J_EDGES, out);
                x->part = PART_EDGES;
                x->next = 0;
                x->first = true;
                break;
            }
            if (!x->first)
                fputs(J_SEP, out);
            x->first = false;
            write_func(out, p, &p->funcs[x->next++]);
            break;
        case PART_EDGES:
            if (x->next == p->nedges) {
                fputs(J_TAIL, out);
                x->part = PART_DONE;
                break;
            }
            if (!x->first)
                fputs(J_SEP, out);
            x->first = false;
            write_edge(out, p, &p->edges[x->next++]);
            break;
        }
    }
    return x->part == PART_DONE;
}

pv_code pv_report_json_export_bound(const struct pv_profile *p, uint64_t *bytes, pv_err *err)
{
    uint64_t *keys = malloc(((size_t)p->nfuncs + 1) * sizeof *keys);
    if (!keys)
        return pv_err_set(err, PV_E_NOMEM, "out of memory measuring the export");
    struct pv_jsonw_lengths l;
    pv_jsonw_lengths_init(&l);
    /* ", tt: ..., ct: ...}" at the longest */
    const uint64_t times = LIT(J_TT) + PV_JSONW_DOUBLE_MAX_LEN + LIT(J_CT) +
                           PV_JSONW_DOUBLE_MAX_LEN + 1;
    uint64_t n = LIT(J_HEAD) + pv_jsonw_int_len(p->total_calls) + LIT(J_PRIM) +
                 pv_jsonw_int_len(p->prim_calls) + LIT(J_TOTAL_TT) + PV_JSONW_DOUBLE_MAX_LEN +
                 LIT(J_FUNCS) + LIT(J_EDGES) + LIT(J_TAIL);
    bool first = true;
    for (uint32_t fid = 0; fid < p->nfuncs; fid++) {
        const struct pv_func *f = &p->funcs[fid];
        keys[fid] = key_len(&l, p, f);
        if (f->flags & PV_FUNC_PHANTOM)
            continue;
        n += (first ? 0 : LIT(J_SEP)) + LIT(J_FILE) + str_len(&l, p, f->file) + LIT(J_LINE) +
             pv_jsonw_int_len(f->line) + LIT(J_NAME) + str_len(&l, p, f->name) + LIT(J_CC) +
             pv_jsonw_int_len(f->cc) + LIT(J_NC) + pv_jsonw_int_len(f->nc) + times;
        first = false;
    }
    for (uint32_t e = 0; e < p->nedges; e++) {
        const struct pv_edge *ed = &p->edges[e];
        n += (e ? LIT(J_SEP) : 0) + LIT(J_CALLER) + keys[ed->caller] + LIT(J_CALLEE) +
             keys[ed->callee];
        if (pv_profile_edge_count_only(p, ed))
            n += LIT(J_COUNT_ONLY_CC) + pv_jsonw_int_len(ed->nc) + LIT(J_COUNT_ONLY_TAIL);
        else
            n += LIT(J_CC) + pv_jsonw_int_len(ed->cc) + LIT(J_NC) + pv_jsonw_int_len(ed->nc) +
                 times;
    }
    pv_jsonw_lengths_fini(&l);
    free(keys);
    *bytes = n;
    return PV_OK;
}

pv_code pv_report_json_export_write(const struct pv_profile *p, FILE *out, pv_err *err)
{
    struct pv_report_json_export x;
    pv_report_json_export_init(&x, p);
    while (!pv_report_json_export_next(&x, out, 1024) && !ferror(out))
        ;
    if (ferror(out))
        return pv_err_set(err, PV_E_IO, "writing the export failed");
    return PV_OK;
}

static void write_ratio(FILE *out, double num, int64_t den)
{
    if (den == 0)
        fputs("null", out);
    else
        pv_jsonw_double(out, num / (double)den);
}

pv_code pv_report_json_top(const struct pv_profile *p, const struct pv_sort *s,
                           const struct pv_report_select *sel, FILE *out, pv_err *err)
{
    uint32_t *fids;
    size_t n;
    char msg[1024], how[160];
    if (pv_report_rows(p, s, sel, &fids, &n, msg, sizeof msg, err))
        return err->code;
    pv_sort_describe(s, how, sizeof how);
    fputs("{\"sort_type\": ", out);
    pv_jsonw_string(out, how, strlen(how));
    fputs(", \"total_calls\": ", out);
    pv_jsonw_int(out, p->total_calls);
    fputs(", \"prim_calls\": ", out);
    pv_jsonw_int(out, p->prim_calls);
    fputs(", \"total_tt\": ", out);
    pv_jsonw_double(out, p->total_tt);
    fputs(", \"rows\": [", out);
    for (size_t i = 0; i < n; i++) {
        const struct pv_func *f = &p->funcs[fids[i]];
        char calls[48];
        pv_report_format_calls(calls, f->nc, f->cc);
        fputs(i ? ", {\"ncalls\": " : "{\"ncalls\": ", out);
        pv_jsonw_string(out, calls, strlen(calls));
        fputs(", \"tottime\": ", out);
        pv_jsonw_double(out, f->tt);
        fputs(", \"percall_tottime\": ", out);
        write_ratio(out, f->tt, f->nc);
        fputs(", \"cumtime\": ", out);
        pv_jsonw_double(out, f->ct);
        fputs(", \"percall_cumtime\": ", out);
        write_ratio(out, f->ct, f->cc);
        size_t ln;
        char *label = pv_profile_label_dup(p, fids[i], 0, &ln);
        if (!label) {
            free(fids);
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        }
        fputs(", \"function\": ", out);
        pv_jsonw_string(out, label, ln);
        free(label);
        fputs(", \"file\": ", out);
        write_str(out, p, f->file);
        fputs(", \"line\": ", out);
        pv_jsonw_int(out, f->line);
        fputs(", \"name\": ", out);
        write_str(out, p, f->name);
        fputc('}', out);
    }
    fputs("]}\n", out);
    free(fids);
    if (ferror(out))
        return pv_err_set(err, PV_E_IO, "writing the report failed");
    return PV_OK;
}
