/* treejson.c - a tree as the API's JSON, piece by piece (see treejson.h).
 *
 * The nodes are written depth first from an explicit stack (a tree is at
 * most 65 levels deep), which is also the cursor between pieces.  Each
 * function's texts (file, name and label, cut for views) and kind are
 * worked out once and kept by fid: many nodes share a function, and a
 * function's file name may be a megabyte long.  Values go through jsonw.h,
 * the one streaming writer; the fixed text around them is here. */
#include "treejson.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "funckind.h"
#include "jsonw.h"

enum { MAX_LEVELS = PV_TREE_MAX_DEPTH + 2 };

/* Nodes per piece: a piece of ordinary names is some tens of kilobytes. */
enum { PIECE_NODES = 256 };

enum { VIEW_BUF = PV_VIEW_TEXT_MAX + 4 };

/* The text a view shows for s[0..n) (PV_VIEW_TEXT_MAX, as the api's
 * json_view_text): s itself when short enough, else its cut copy in buf. */
static const char *view_text(const char *s, size_t n, char buf[VIEW_BUF], size_t *shown)
{
    if (n <= PV_VIEW_TEXT_MAX) {
        *shown = n;
        return s;
    }
    size_t cut = pv_profile_text_cut(s, n, PV_VIEW_TEXT_MAX);
    memcpy(buf, s, cut);
    memcpy(buf + cut, "\xe2\x80\xa6", 3); /* U+2026 */
    *shown = cut + 3;
    return buf;
}

/* A label as views show it: file and name cut first (so its making is
 * bounded), then the whole, as the api's add_label does.  NULL when out of
 * memory; else *shown bytes in buf or in *owned (free it). */
static const char *view_label(const struct pv_profile *p, uint32_t fid, char buf[VIEW_BUF],
                              char **owned, size_t *shown)
{
    size_t n;
    *owned = pv_profile_label_dup(p, fid, PV_VIEW_TEXT_MAX, &n);
    return *owned ? view_text(*owned, n, buf, shown) : NULL;
}

/* The fixed text, shared by the writer and the sizer. */
static const char T_HEAD[] = "{\"total_time\":", T_CRUMBS[] = ",\"breadcrumbs\":[",
                  T_ROOT[] = "],\"root\":", T_TAIL[] = "}", T_CRUMB_TOP[] = "{\"fid\":null,\"name\":\"all\",\"value\":",
                  T_CRUMB_FID[] = "{\"fid\":", T_CRUMB_NAME[] = ",\"name\":", T_VALUE[] = ",\"value\":",
                  T_OTHER[] = "{\"other\":true,\"count\":",
                  T_UNRECORDED[] = "{\"unrecorded\":true,\"exact\":", T_TOP[] = "{\"fid\":null,\"name\":\"all\",\"label\":\"all\"",
                  T_FID[] = "{\"fid\":", T_FILE[] = ",\"file\":", T_LINE[] = ",\"line\":",
                  T_NAME[] = ",\"name\":", T_LABEL[] = ",\"label\":", T_KIND[] = ",\"kind\":\"",
                  T_SELF[] = ",\"self\":", T_CALLS[] = ",\"calls\":", T_EXACT[] = ",\"exact\":",
                  T_RECURSIVE[] = ",\"recursive\":", T_CHILDREN[] = ",\"children\":[",
                  T_CLOSE[] = "]}";
#define LIT(s) (sizeof(s) - 1)

enum { DOUBLE_MAX_LEN = PV_JSONW_DOUBLE_MAX_LEN }; /* "null" is shorter */

struct level {
    uint32_t node, next; /* next: the child to write next */
};

struct pv_treejson {
    const struct pv_profile *p;
    struct pv_tree *t;
    uint64_t bound;
    char settings[PV_TREEJSON_SETTINGS_MAX]; /* pv_treejson_format_settings() */
    size_t settings_len;
    uint8_t *kind;      /* fid -> pv_funckind, 0xff: not known yet */
    struct level stack[MAX_LEVELS];
    int depth;
    bool started, finished;
};

static pv_funckind kind_of(struct pv_treejson *j, uint32_t fid)
{
    if (j->kind[fid] == 0xff)
        j->kind[fid] = (uint8_t)pv_funckind_of(j->p, fid);
    return (pv_funckind)j->kind[fid];
}

/* A depth as the API writes it: a number, or "auto". */
static const char *format_depth(char buf[16], int depth)
{
    if (depth == PV_TREE_DEPTH_AUTO)
        return "\"auto\"";
    snprintf(buf, 16, "%d", depth);
    return buf;
}

/* The settings that made the tree and the ones a query may give: so
 * clients need no copy of the ranges and defaults. */
size_t pv_treejson_format_settings(const struct pv_tree *t, char *buf, size_t cap)
{
    char cutoff[32], min_cutoff[32], max_cutoff[32], default_cutoff[32], depth[16],
        default_depth[16];
    int n = snprintf(
        buf, cap,
        ",\"params\":{\"depth\":%s,\"cutoff\":%s,\"max_nodes\":%zu%s}"
        ",\"limits\":{\"depth\":{\"min\":%d,\"max\":%d,\"default\":%s}"
        ",\"cutoff\":{\"min\":%s,\"max\":%s,\"default\":%s}"
        ",\"max_nodes\":{\"min\":%d,\"max\":%d,\"default\":%d}}",
        format_depth(depth, t->depth), pv_jsonw_format_number(t->cutoff, cutoff), t->max_nodes,
        t->inverted ? ",\"invert\":1" : "", PV_TREE_MIN_DEPTH, PV_TREE_MAX_DEPTH,
        format_depth(default_depth, PV_TREE_DEFAULT_DEPTH),
        pv_jsonw_format_number(PV_TREE_MIN_CUTOFF, min_cutoff),
        pv_jsonw_format_number(PV_TREE_MAX_CUTOFF, max_cutoff),
        pv_jsonw_format_number(PV_TREE_DEFAULT_CUTOFF, default_cutoff), PV_TREE_MIN_NODES,
        PV_TREE_MAX_NODES, PV_TREE_DEFAULT_MAX_NODES);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void write_view_str(FILE *out, const struct pv_profile *p, uint32_t handle)
{
    size_t n, shown;
    char buf[VIEW_BUF];
    const char *s = pv_profile_str(p, handle, &n);
    s = view_text(s, n, buf, &shown);
    pv_jsonw_string(out, s, shown);
}

/* The bytes of a function's file, name, label and kind fields' values:
 * what differs between two function nodes but for numbers. */
static uint64_t texts_len(struct pv_treejson *j, uint32_t fid)
{
    const struct pv_profile *p = j->p;
    char buf[VIEW_BUF];
    size_t n, shown;
    uint64_t len = 0;
    const char *s = pv_profile_str(p, p->funcs[fid].file, &n);
    s = view_text(s, n, buf, &shown);
    len += pv_jsonw_string_len(s, shown);
    s = pv_profile_str(p, p->funcs[fid].name, &n);
    s = view_text(s, n, buf, &shown);
    len += pv_jsonw_string_len(s, shown);
    char *owned;
    s = view_label(p, fid, buf, &owned, &shown);
    len += s ? pv_jsonw_string_len(s, shown) : 4; /* null */
    free(owned);
    return len + strlen(pv_funckind_name(kind_of(j, fid)));
}

static pv_code measure(struct pv_treejson *j, pv_err *err)
{
    const struct pv_profile *p = j->p;
    const struct pv_tree *t = j->t;
    /* texts_len by fid, plus one; 0: not measured yet */
    uint64_t *texts = calloc((size_t)p->nfuncs + 1, sizeof *texts);
    if (!texts)
        return pv_err_set(err, PV_E_NOMEM, "out of memory sizing the tree");
    uint64_t n = LIT(T_HEAD) + DOUBLE_MAX_LEN + j->settings_len + LIT(T_CRUMBS) + LIT(T_ROOT) +
                 LIT(T_TAIL);
    char buf[VIEW_BUF];
    for (size_t i = 0; i < t->ncrumbs; i++) {
        n += (i ? 1 : 0) + DOUBLE_MAX_LEN + 1;
        if (t->crumbs[i].fid == PV_TREE_TOP) {
            n += LIT(T_CRUMB_TOP);
            continue;
        }
        size_t len, shown;
        const char *s = pv_profile_str(p, p->funcs[t->crumbs[i].fid].name, &len);
        s = view_text(s, len, buf, &shown);
        n += LIT(T_CRUMB_FID) + pv_jsonw_int_len(t->crumbs[i].fid) + LIT(T_CRUMB_NAME) +
             pv_jsonw_string_len(s, shown) + LIT(T_VALUE);
    }
    for (size_t i = 0; i < t->nnodes; i++) {
        const struct pv_tree_node *node = &t->nodes[i];
        if (i)
            n += 1; /* at most a comma before it */
        if (node->other) {
            n += LIT(T_OTHER) + pv_jsonw_int_len(node->count) + LIT(T_VALUE) + DOUBLE_MAX_LEN + 1;
            continue;
        }
        if (node->unrecorded) {
            n += LIT(T_UNRECORDED) + pv_jsonw_bool_len(node->exact) + LIT(T_VALUE) + DOUBLE_MAX_LEN + 1;
            continue;
        }
        if (node->fid == PV_TREE_TOP)
            n += LIT(T_TOP);
        else {
            const struct pv_func *f = &p->funcs[node->fid];
            if (!texts[node->fid])
                texts[node->fid] = texts_len(j, node->fid) + 1;
            n += LIT(T_FID) + pv_jsonw_int_len(node->fid) + LIT(T_FILE) + LIT(T_LINE) +
                 pv_jsonw_int_len(f->line) + LIT(T_NAME) + LIT(T_LABEL) + LIT(T_KIND) + 1 +
                 texts[node->fid] - 1;
        }
        n += LIT(T_VALUE) + DOUBLE_MAX_LEN + LIT(T_SELF) + DOUBLE_MAX_LEN + LIT(T_CALLS) +
             pv_jsonw_int_len(node->calls) + LIT(T_EXACT) + pv_jsonw_bool_len(node->exact) +
             LIT(T_RECURSIVE) + pv_jsonw_bool_len(node->recursive) + LIT(T_CHILDREN) + LIT(T_CLOSE);
    }
    free(texts);
    j->bound = n;
    return PV_OK;
}

pv_code pv_treejson_create(const struct pv_profile *p, struct pv_tree *t,
                           struct pv_treejson **out, pv_err *err)
{
    struct pv_treejson *j = calloc(1, sizeof *j);
    if (!j || !(j->kind = malloc((size_t)p->nfuncs + 1))) {
        free(j);
        pv_tree_destroy(t);
        return pv_err_set(err, PV_E_NOMEM, "out of memory writing the tree");
    }
    j->p = p;
    j->t = t;
    memset(j->kind, 0xff, (size_t)p->nfuncs + 1);
    j->settings_len = pv_treejson_format_settings(t, j->settings, sizeof j->settings);
    assert(j->settings_len > 0); /* the buffer is twice the longest */
    if (measure(j, err)) {
        pv_treejson_destroy(j);
        return err->code;
    }
    *out = j;
    return PV_OK;
}

uint64_t pv_treejson_bound(const struct pv_treejson *j)
{
    return j->bound;
}

size_t pv_treejson_nodes(const struct pv_treejson *j)
{
    return j->t->nnodes;
}

void pv_treejson_destroy(struct pv_treejson *j)
{
    if (!j)
        return;
    pv_tree_destroy(j->t);
    free(j->kind);
    free(j);
}

/* ---- writing ------------------------------------------------------------ */

static void write_head(struct pv_treejson *j, FILE *out)
{
    const struct pv_profile *p = j->p;
    const struct pv_tree *t = j->t;
    fputs(T_HEAD, out);
    pv_jsonw_number(out, p->total_tt);
    fwrite(j->settings, 1, j->settings_len, out);
    fputs(T_CRUMBS, out);
    for (size_t i = 0; i < t->ncrumbs; i++) {
        if (i)
            fputc(',', out);
        if (t->crumbs[i].fid == PV_TREE_TOP)
            fputs(T_CRUMB_TOP, out);
        else {
            fputs(T_CRUMB_FID, out);
            pv_jsonw_int(out, t->crumbs[i].fid);
            fputs(T_CRUMB_NAME, out);
            write_view_str(out, p, p->funcs[t->crumbs[i].fid].name);
            fputs(T_VALUE, out);
        }
        pv_jsonw_number(out, t->crumbs[i].value);
        fputc('}', out);
    }
    fputs(T_ROOT, out);
}

/* A node up to its children's '[' (an "other" or "not recorded" node
 * whole); true when children follow. */
static bool write_node(struct pv_treejson *j, FILE *out, uint32_t i)
{
    const struct pv_profile *p = j->p;
    const struct pv_tree_node *n = &j->t->nodes[i];
    if (n->other) {
        fputs(T_OTHER, out);
        pv_jsonw_int(out, n->count);
        fputs(T_VALUE, out);
        pv_jsonw_number(out, n->value);
        fputc('}', out);
        return false;
    }
    if (n->unrecorded) {
        fputs(T_UNRECORDED, out);
        pv_jsonw_bool(out, n->exact);
        fputs(T_VALUE, out);
        pv_jsonw_number(out, n->value);
        fputc('}', out);
        return false;
    }
    if (n->fid == PV_TREE_TOP)
        fputs(T_TOP, out);
    else {
        const struct pv_func *f = &p->funcs[n->fid];
        char buf[VIEW_BUF];
        size_t shown;
        fputs(T_FID, out);
        pv_jsonw_int(out, n->fid);
        fputs(T_FILE, out);
        write_view_str(out, p, f->file);
        fputs(T_LINE, out);
        pv_jsonw_int(out, f->line);
        fputs(T_NAME, out);
        write_view_str(out, p, f->name);
        fputs(T_LABEL, out);
        char *owned;
        const char *label = view_label(p, n->fid, buf, &owned, &shown);
        if (label)
            pv_jsonw_string(out, label, shown);
        else
            fputs("null", out);
        free(owned);
        fputs(T_KIND, out);
        fputs(pv_funckind_name(kind_of(j, n->fid)), out);
        fputc('"', out);
    }
    fputs(T_VALUE, out);
    pv_jsonw_number(out, n->value);
    fputs(T_SELF, out);
    pv_jsonw_number(out, n->self);
    fputs(T_CALLS, out);
    pv_jsonw_int(out, n->calls);
    fputs(T_EXACT, out);
    pv_jsonw_bool(out, n->exact);
    fputs(T_RECURSIVE, out);
    pv_jsonw_bool(out, n->recursive);
    fputs(T_CHILDREN, out);
    return true;
}

pv_code pv_treejson_write_next(struct pv_treejson *j, FILE *out, bool *done, pv_err *err)
{
    const struct pv_tree *t = j->t;
    if (j->finished) {
        *done = true;
        return PV_OK;
    }
    if (!j->started) {
        j->started = true;
        write_head(j, out);
        write_node(j, out, 0); /* the root is never an "other" node */
        j->stack[0] = (struct level){0, 0};
        j->depth = 1;
    }
    for (int written = 0; written < PIECE_NODES && j->depth > 0;) {
        struct level *top = &j->stack[j->depth - 1];
        const struct pv_tree_node *n = &t->nodes[top->node];
        if (top->next < n->nchildren && j->depth < MAX_LEVELS) {
            if (top->next)
                fputc(',', out);
            uint32_t child = n->first_child + top->next++;
            if (write_node(j, out, child))
                j->stack[j->depth++] = (struct level){child, 0};
            written++;
        } else {
            fputs(T_CLOSE, out);
            j->depth--;
        }
    }
    *done = j->finished = j->depth == 0;
    if (*done)
        fputs(T_TAIL, out);
    if (ferror(out))
        return pv_err_set(err, PV_E_IO, "writing the tree failed");
    return PV_OK;
}
