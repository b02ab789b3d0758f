/* profile.c - the finished pstats model: its strings, labels and indexes
 * (see profile.h; profile_build.c makes it from a stats file). */
#include "profile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

static void drop_indexes(struct pv_profile *p)
{
    free(p->callees_at);
    free(p->callers_at);
    free(p->by_callee);
    p->callees_at = p->callers_at = p->by_callee = NULL;
}

/* Counting sort of edge indices by callee; edges are in caller order, so
 * each callee's callers come out ordered too.  The old indexes are freed
 * first, so that old and new never take memory at once, and a failure
 * frees what it allocated: either way p ends with the new indexes or none. */
pv_code pv_profile_index(struct pv_profile *p, pv_err *err)
{
    uint32_t n = p->nfuncs;
    drop_indexes(p);
    uint32_t *callees_at = pv_vec_calloc((size_t)n + 1, sizeof *callees_at);
    uint32_t *callers_at = pv_vec_calloc((size_t)n + 2, sizeof *callers_at);
    uint32_t *by_callee = pv_vec_alloc(p->nedges, sizeof *by_callee);
    if (!callees_at || !callers_at || !by_callee) {
        free(callees_at);
        free(callers_at);
        free(by_callee);
        return pv_err_set(err, PV_E_NOMEM, "out of memory for indexes of %u functions",
                          p->nfuncs);
    }
    /* callers_at counts one place further on, so that placing the edges
     * moves each start to where the next function's begins: no copy of
     * the starts is needed. */
    for (uint32_t e = 0; e < p->nedges; e++) {
        callees_at[p->edges[e].caller + 1]++;
        callers_at[p->edges[e].callee + 2]++;
    }
    for (uint32_t f = 0; f < n; f++) {
        callees_at[f + 1] += callees_at[f];
        callers_at[f + 2] += callers_at[f + 1];
    }
    for (uint32_t e = 0; e < p->nedges; e++)
        by_callee[callers_at[p->edges[e].callee + 1]++] = e;
    p->callees_at = callees_at;
    p->callers_at = callers_at;
    p->by_callee = by_callee;
    return PV_OK;
}

void pv_profile_destroy(struct pv_profile *p)
{
    if (!p)
        return;
    free(p->strings);
    free(p->funcs);
    free(p->edges);
    free(p->edge_flags);
    drop_indexes(p);
    free(p);
}

const char *pv_profile_str(const struct pv_profile *p, uint32_t handle, size_t *len)
{
    uint32_t n; /* a record: [u32 length][bytes][NUL] */
    memcpy(&n, p->strings + handle, 4);
    if (len)
        *len = n;
    return p->strings + handle + 4;
}

bool pv_profile_is_builtin(const struct pv_profile *p, uint32_t fid)
{
    size_t n;
    const char *file = pv_profile_str(p, p->funcs[fid].file, &n);
    return p->funcs[fid].line == 0 && n == 1 && file[0] == '~';
}

size_t pv_profile_text_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    return cut;
}

/* Append s[0..n), cut at max (0: whole) with an ellipsis, to out + *at. */
static void append_cut(char *out, size_t *at, const char *s, size_t n, size_t max)
{
    size_t keep = max ? pv_profile_text_cut(s, n, max) : n;
    memcpy(out + *at, s, keep);
    *at += keep;
    if (keep < n) {
        memcpy(out + *at, "\xe2\x80\xa6", 3); /* U+2026 */
        *at += 3;
    }
}

void pv_profile_label(const struct pv_profile *p, uint32_t fid, struct pv_label *out)
{
    const struct pv_func *f = &p->funcs[fid];
    size_t nfile, nname;
    const char *file = pv_profile_str(p, f->file, &nfile);
    const char *name = pv_profile_str(p, f->name, &nname);
    out->nparts = 0;
#define PART(s, n, is_text)                                                     \
    (out->part[out->nparts] = (s), out->len[out->nparts] = (n),                 \
     out->text[out->nparts++] = (is_text))
    if (pv_profile_is_builtin(p, fid)) {
        /* pstats: '<built-in method x>' prints as '{built-in method x}' */
        if (nname >= 2 && name[0] == '<' && name[nname - 1] == '>') {
            PART("{", 1, false);
            PART(name + 1, nname - 2, true);
            PART("}", 1, false);
        } else
            PART(name, nname, true);
    } else {
        PART(file, nfile, true);
        PART(out->line, (size_t)snprintf(out->line, sizeof out->line, ":%" PRId64 "(", f->line),
             false);
        PART(name, nname, true);
        PART(")", 1, false);
    }
#undef PART
}

/* The bytes append_cut writes for s[0..n) cut at max (0: whole). */
static size_t cut_len(const char *s, size_t n, size_t max)
{
    size_t keep = max ? pv_profile_text_cut(s, n, max) : n;
    return keep < n ? keep + 3 : keep;
}

pv_code pv_profile_labels_init(struct pv_profile_labels *l, const struct pv_profile *p,
                               size_t max_part_bytes, pv_err *err)
{
    *l = (struct pv_profile_labels){NULL, NULL};
    /* sized exactly first: no doubling, no slack to give back */
    size_t total = 0;
    bool overflow = false;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        struct pv_label parts;
        pv_profile_label(p, f, &parts);
        for (int i = 0; i < parts.nparts; i++)
            overflow |= __builtin_add_overflow(
                total, cut_len(parts.part[i], parts.len[i], parts.text[i] ? max_part_bytes : 0),
                &total);
        overflow |= __builtin_add_overflow(total, 1, &total); /* its NUL */
    }
    l->of = overflow ? NULL : pv_vec_alloc((size_t)p->nfuncs + 1, sizeof *l->of);
    l->text = l->of ? pv_vec_alloc(total, 1) : NULL;
    if (!l->text) {
        pv_profile_labels_fini(l);
        return pv_err_set(err, PV_E_NOMEM, "out of memory for %u labels", p->nfuncs);
    }
    size_t at = 0;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        struct pv_label parts;
        pv_profile_label(p, f, &parts);
        l->of[f] = l->text + at;
        for (int i = 0; i < parts.nparts; i++)
            append_cut(l->text, &at, parts.part[i], parts.len[i],
                       parts.text[i] ? max_part_bytes : 0);
        l->text[at++] = '\0';
    }
    l->of[p->nfuncs] = l->text + at;
    return PV_OK;
}

void pv_profile_labels_fini(struct pv_profile_labels *l)
{
    free(l->of);
    free(l->text);
    *l = (struct pv_profile_labels){NULL, NULL};
}

char *pv_profile_label_dup(const struct pv_profile *p, uint32_t fid, size_t max_part_bytes,
                           size_t *len)
{
    struct pv_label l;
    pv_profile_label(p, fid, &l);
    size_t room = 0;
    for (int i = 0; i < l.nparts; i++)
        room += l.text[i] && max_part_bytes && l.len[i] > max_part_bytes ? max_part_bytes + 3
                                                                         : l.len[i];
    char *out = malloc(room + 1);
    if (!out)
        return NULL;
    size_t at = 0;
    for (int i = 0; i < l.nparts; i++)
        append_cut(out, &at, l.part[i], l.len[i], l.text[i] ? max_part_bytes : 0);
    out[at] = '\0';
    if (len)
        *len = at;
    return out;
}
