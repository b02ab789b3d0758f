/* export.c - the three export formats, sized first and then written piece
 * by piece (see export.h).
 *
 * Stack formats: each tree node with own time becomes one sample, its stack
 * (labels from the top entry point down to it) weighted by its self
 * seconds.  Merged "other" nodes become a frame of their own, so no time is
 * lost.  The tree is walked depth first with an explicit stack (it is at
 * most 65 deep), which is also the cursor between pieces. */
#include "export.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "report_json.h"
#include "tree.h"
#include "vec.h"

enum { MAX_DEPTH = PV_TREE_MAX_DEPTH };

/* Records per piece: small enough that one piece of ordinary names is tens
 * of kilobytes, large enough that the per-piece cost does not show. */
enum { PIECE_RECORDS = 256 };

/* ---- formats ------------------------------------------------------------ */

pv_code pv_export_format_parse(const char *word, pv_export_format *out, pv_err *err)
{
    if (!strcmp(word, "json"))
        *out = PV_EXPORT_JSON;
    else if (!strcmp(word, "speedscope"))
        *out = PV_EXPORT_SPEEDSCOPE;
    else if (!strcmp(word, "collapsed"))
        *out = PV_EXPORT_COLLAPSED;
    else
        return pv_err_set(err, PV_E_USAGE,
                          "unknown export format '%.40s' (json, speedscope or collapsed)", word);
    return PV_OK;
}

const char *pv_export_content_type(pv_export_format format)
{
    return format == PV_EXPORT_COLLAPSED ? "text/plain; charset=utf-8" : "application/json";
}

pv_code pv_export_over_budget(uint64_t bound, uint64_t max_bytes, pv_err *err)
{
    char need[32], have[32];
    pv_format_count(bound, need);
    pv_format_count(max_bytes, have);
    return pv_err_set(err, PV_E_LIMIT,
                      "export too large: up to %s bytes, over the budget of %s bytes", need,
                      have);
}

/* ---- the walk ----------------------------------------------------------- */

struct walk {
    uint32_t stack[MAX_DEPTH + 2]; /* node indices from the top */
    uint32_t next[MAX_DEPTH + 2];  /* the next child to enter at each level */
    uint64_t path[MAX_DEPTH + 2];  /* bytes of the stack text down to here */
    int depth;
};

static void walk_init(struct walk *w)
{
    w->depth = 1;
    w->stack[0] = 0;
    w->next[0] = 0;
    w->path[0] = 0;
}

/* Enter the next node in depth-first preorder, the top excluded: then
 * stack[0..depth) is its path.  false at the end. */
static bool walk_next(const struct pv_tree *t, struct walk *w)
{
    while (w->depth > 0) {
        const struct pv_tree_node *n = &t->nodes[w->stack[w->depth - 1]];
        uint32_t k = w->next[w->depth - 1];
        if (!n->other && k < n->nchildren && w->depth < MAX_DEPTH + 1) {
            w->next[w->depth - 1] = k + 1;
            w->stack[w->depth] = n->first_child + k;
            w->next[w->depth] = 0;
            w->depth++;
            return true;
        }
        w->depth--;
    }
    return false;
}

/* A node's own seconds: what its sample weighs (none when 0). */
static double own_time(const struct pv_tree_node *n)
{
    return n->other ? n->value : n->self;
}

/* ---- the export --------------------------------------------------------- */

enum { PART_FRAMES, PART_SAMPLES, PART_WEIGHTS, PART_TAIL, PART_DONE };

struct pv_export {
    const struct pv_profile *p;
    pv_export_format format;
    char *name;
    uint64_t bound;
    struct pv_report_json_export json;
    /* the stack formats */
    struct pv_tree *t;
    struct walk walk;
    int part;
    uint32_t *frame_of;   /* speedscope: fid -> frame, UINT32_MAX unseen */
    uint32_t *frame_fids; /* frame -> fid, in order */
    uint32_t nframes, other_frame, next_frame;
    bool first_sample;
    double *weights;      /* speedscope: written after the samples */
    size_t nweights, cap_weights, next_weight;
};

/* Collapsed stacks separate frames with ';' and end with " count": keep
 * those characters out of labels. */
static void write_collapsed_label(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc(c == ';' ? ':' : c < 0x20 ? ' ' : c, out);
    }
}

static int64_t collapsed_count(double weight)
{
    return (int64_t)llround(weight * 1e6);
}

static const char OTHER_FMT[] = "[other %u functions]";

static uint32_t frame_index(const struct pv_export *x, uint32_t node)
{
    const struct pv_tree_node *n = &x->t->nodes[node];
    return n->other ? x->other_frame : x->frame_of[n->fid];
}

/* Speedscope numbers frames in the order the tree first shows them. */
static pv_code number_frames(struct pv_export *x, pv_err *err)
{
    const struct pv_tree *t = x->t;
    size_t nf = (size_t)x->p->nfuncs + 1;
    x->frame_of = malloc(nf * sizeof *x->frame_of);
    x->frame_fids = malloc(nf * sizeof *x->frame_fids);
    if (!x->frame_of || !x->frame_fids)
        return pv_err_set(err, PV_E_NOMEM, "out of memory numbering frames");
    memset(x->frame_of, 0xff, nf * sizeof *x->frame_of);
    for (size_t i = 0; i < t->nnodes; i++) {
        const struct pv_tree_node *n = &t->nodes[i];
        if (n->other || n->fid == PV_TREE_TOP || x->frame_of[n->fid] != UINT32_MAX)
            continue;
        x->frame_fids[x->nframes] = n->fid;
        x->frame_of[n->fid] = x->nframes++;
    }
    x->other_frame = x->nframes;
    return PV_OK;
}

/* The label's length in bytes, and as a JSON string. */
static uint64_t label_len(const struct pv_profile *p, uint32_t fid, struct pv_jsonw_lengths *l,
                          uint64_t *json)
{
    struct pv_label lab;
    pv_profile_label(p, fid, &lab);
    const struct pv_func *f = &p->funcs[fid];
    uint64_t raw = 0;
    *json = 2;
    for (int i = 0; i < lab.nparts; i++) {
        raw += lab.len[i];
        /* Parts break at character boundaries: their escapes add up.  The
         * file and the name are measured once each (l); the rest is short. */
        uint64_t esc = lab.part[i] == pv_profile_str(p, f->file, NULL)
                           ? pv_jsonw_lengths_get(l, f->file, lab.part[i], lab.len[i])
                       : lab.part[i] == pv_profile_str(p, f->name, NULL)
                           ? pv_jsonw_lengths_get(l, f->name, lab.part[i], lab.len[i])
                           : pv_jsonw_string_len(lab.part[i], lab.len[i]);
        *json += esc - 2;
    }
    return raw;
}

static const char SS_HEAD[] = "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
                              "\"shared\":{\"frames\":[",
                  SS_FRAME_NAME[] = "{\"name\":", SS_FRAME_FILE[] = ",\"file\":",
                  SS_FRAME_LINE[] = ",\"line\":", SS_OTHER[] = "{\"name\":\"[other functions]\"}",
                  SS_PROFILES[] = "]},\"profiles\":[{\"type\":\"sampled\",\"name\":",
                  SS_UNIT[] = ",\"unit\":\"seconds\",\"startValue\":0,\"endValue\":",
                  SS_SAMPLES[] = ",\"samples\":[", SS_WEIGHTS[] = "],\"weights\":[",
                  SS_NAME[] = "]}],\"name\":",
                  SS_TAIL[] = ",\"activeProfileIndex\":0,\"exporter\":\"pstatsviz " PV_VERSION
                              "\"}\n";
#define LIT(s) (sizeof(s) - 1)

/* The stack formats' size: a walk that writes nothing. */
static pv_code stacks_bound(struct pv_export *x, pv_err *err)
{
    const struct pv_profile *p = x->p;
    const struct pv_tree *t = x->t;
    /* per fid: the label's bytes (collapsed) or its frame index's digits */
    uint64_t *cost = malloc(((size_t)p->nfuncs + 1) * sizeof *cost);
    if (!cost)
        return pv_err_set(err, PV_E_NOMEM, "out of memory sizing the export");
    struct pv_jsonw_lengths l;
    pv_jsonw_lengths_init(&l);
    bool speedscope = x->format == PV_EXPORT_SPEEDSCOPE;
    uint64_t n = 0, json;
    if (speedscope) {
        uint64_t name = pv_jsonw_string_len(x->name, strlen(x->name));
        n += LIT(SS_HEAD) + LIT(SS_PROFILES) + name + LIT(SS_UNIT) + PV_JSONW_DOUBLE_MAX_LEN +
             LIT(SS_SAMPLES) + LIT(SS_WEIGHTS) + LIT(SS_NAME) + name + LIT(SS_TAIL);
        for (uint32_t i = 0; i < x->nframes; i++) {
            uint32_t fid = x->frame_fids[i];
            const struct pv_func *f = &p->funcs[fid];
            size_t file_bytes;
            const char *file = pv_profile_str(p, f->file, &file_bytes);
            label_len(p, fid, &l, &json);
            n += (i ? 1 : 0) + LIT(SS_FRAME_NAME) + json + LIT(SS_FRAME_FILE) +
                 pv_jsonw_lengths_get(&l, f->file, file, file_bytes) + LIT(SS_FRAME_LINE) +
                 pv_jsonw_int_len(f->line) + 1;
            cost[fid] = pv_jsonw_int_len(i);
        }
        n += (x->nframes ? 1 : 0) + LIT(SS_OTHER);
    } else
        for (uint32_t fid = 0; fid < p->nfuncs; fid++)
            cost[fid] = UINT64_MAX; /* measured on first use */
    struct walk w;
    walk_init(&w);
    bool first = true;
    while (walk_next(t, &w)) {
        int d = w.depth - 1;
        const struct pv_tree_node *node = &t->nodes[w.stack[d]];
        uint64_t here;
        if (node->other)
            here = speedscope ? pv_jsonw_int_len(x->other_frame)
                              : LIT(OTHER_FMT) - 2 + pv_jsonw_int_len(node->count);
        else {
            if (cost[node->fid] == UINT64_MAX)
                cost[node->fid] = label_len(p, node->fid, &l, &json);
            here = cost[node->fid];
        }
        /* frames are separated by ',' (speedscope) or ';' (collapsed) */
        w.path[d] = (d > 1 ? w.path[d - 1] + 1 : 0) + here;
        double own = own_time(node);
        if (!(own > 0))
            continue;
        if (speedscope)
            n += (first ? 1 : 2) + w.path[d] + 1 + (first ? 0 : 1) + PV_JSONW_DOUBLE_MAX_LEN;
        else
            n += w.path[d] + 1 + pv_jsonw_int_len(collapsed_count(own)) + 1;
        first = false;
    }
    free(cost);
    pv_jsonw_lengths_fini(&l);
    x->bound = n;
    return PV_OK;
}

pv_code pv_export_create(const struct pv_profile *p, const struct pv_entry *entries,
                         size_t nentries, const char *name, pv_export_format format,
                         bool (*stop)(void *ctx), void *stop_ctx, struct pv_export **out,
                         pv_err *err)
{
    struct pv_export *x = calloc(1, sizeof *x);
    if (!x || !(x->name = strdup(name))) {
        free(x);
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    }
    x->p = p;
    x->format = format;
    x->first_sample = true;
    if (format == PV_EXPORT_JSON) {
        pv_report_json_export_init(&x->json, p);
        if (pv_report_json_export_bound(p, &x->bound, err))
            goto destroy_export;
        *out = x;
        return PV_OK;
    }
    struct pv_tree_query q = {.depth = MAX_DEPTH, .cutoff = 0, .max_nodes = PV_TREE_MAX_NODES,
                              .entries = entries, .nentries = nentries,
                              .stop = stop, .stop_ctx = stop_ctx};
    if (pv_tree_build(p, &q, &x->t, err))
        goto destroy_export;
    if ((format == PV_EXPORT_SPEEDSCOPE && number_frames(x, err)) || stacks_bound(x, err))
        goto destroy_export;
    walk_init(&x->walk);
    x->part = format == PV_EXPORT_SPEEDSCOPE ? PART_FRAMES : PART_SAMPLES;
    *out = x;
    return PV_OK;

destroy_export:
    pv_export_destroy(x);
    return err->code;
}

uint64_t pv_export_bound(const struct pv_export *x)
{
    return x->bound;
}

void pv_export_destroy(struct pv_export *x)
{
    if (!x)
        return;
    pv_tree_destroy(x->t);
    free(x->frame_of);
    free(x->frame_fids);
    free(x->weights);
    free(x->name);
    free(x);
}

/* ---- writing ------------------------------------------------------------ */

static pv_code write_frame(struct pv_export *x, FILE *out, uint32_t i, pv_err *err)
{
    const struct pv_profile *p = x->p;
    uint32_t fid = x->frame_fids[i];
    size_t len;
    char *label = pv_profile_label_dup(p, fid, 0, &len);
    if (!label)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    fputs(i ? "," : "", out);
    fputs(SS_FRAME_NAME, out);
    pv_jsonw_string(out, label, len);
    free(label);
    const char *file = pv_profile_str(p, p->funcs[fid].file, &len);
    fputs(SS_FRAME_FILE, out);
    pv_jsonw_string(out, file, len);
    fputs(SS_FRAME_LINE, out);
    pv_jsonw_int(out, p->funcs[fid].line);
    fputc('}', out);
    return PV_OK;
}

/* Speedscope reads JSON strictly: a time that is not finite (a damaged
 * file's NaN) is written as 0. */
static void write_seconds(FILE *out, double v)
{
    if (isfinite(v))
        pv_jsonw_double(out, v);
    else
        fputc('0', out);
}

/* The sample of the node the walk stands on. */
static pv_code write_sample(struct pv_export *x, FILE *out, double weight, pv_err *err)
{
    const struct walk *w = &x->walk;
    if (x->format == PV_EXPORT_COLLAPSED) {
        for (int d = 1; d < w->depth; d++) { /* d = 0 is the virtual top */
            const struct pv_tree_node *n = &x->t->nodes[w->stack[d]];
            if (d > 1)
                fputc(';', out);
            if (n->other) {
                fprintf(out, OTHER_FMT, n->count);
                continue;
            }
            size_t len;
            char *label = pv_profile_label_dup(x->p, n->fid, 0, &len);
            if (!label)
                return pv_err_set(err, PV_E_NOMEM, "out of memory");
            write_collapsed_label(out, label, len);
            free(label);
        }
        fprintf(out, " %" PRId64 "\n", collapsed_count(weight));
        return PV_OK;
    }
    fputs(x->first_sample ? "[" : ",[", out);
    x->first_sample = false;
    for (int d = 1; d < w->depth; d++) {
        if (d > 1)
            fputc(',', out);
        pv_jsonw_int(out, frame_index(x, w->stack[d]));
    }
    fputc(']', out);
    if (!pv_vec_reserve((void **)&x->weights, &x->cap_weights, x->nweights + 1,
                        sizeof *x->weights))
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    x->weights[x->nweights++] = weight;
    return PV_OK;
}

static pv_code stacks_next(struct pv_export *x, FILE *out, pv_err *err)
{
    const struct pv_tree *t = x->t;
    for (int r = 0; r < PIECE_RECORDS && x->part != PART_DONE; r++) {
        switch (x->part) {
        case PART_FRAMES:
            if (x->next_frame == 0)
                fputs(SS_HEAD, out);
            if (x->next_frame < x->nframes) {
                if (write_frame(x, out, x->next_frame++, err))
                    return err->code;
                break;
            }
            fputs(x->nframes ? "," : "", out);
            fputs(SS_OTHER, out);
            fputs(SS_PROFILES, out);
            pv_jsonw_string(out, x->name, strlen(x->name));
            fputs(SS_UNIT, out);
            write_seconds(out, t->nodes[0].value);
            fputs(SS_SAMPLES, out);
            x->part = PART_SAMPLES;
            break;
        case PART_SAMPLES:
            if (!walk_next(t, &x->walk)) {
                x->part = x->format == PV_EXPORT_SPEEDSCOPE ? PART_WEIGHTS : PART_DONE;
                if (x->part == PART_WEIGHTS)
                    fputs(SS_WEIGHTS, out);
                break;
            }
            double own = own_time(&t->nodes[x->walk.stack[x->walk.depth - 1]]);
            if (own > 0 && write_sample(x, out, own, err))
                return err->code;
            break;
        case PART_WEIGHTS:
            if (x->next_weight == x->nweights) {
                x->part = PART_TAIL;
                break;
            }
            if (x->next_weight)
                fputc(',', out);
            write_seconds(out, x->weights[x->next_weight]);
            x->next_weight++;
            break;
        case PART_TAIL:
            fputs(SS_NAME, out);
            pv_jsonw_string(out, x->name, strlen(x->name));
            fputs(SS_TAIL, out);
            x->part = PART_DONE;
            break;
        }
    }
    return PV_OK;
}

pv_code pv_export_write_next(struct pv_export *x, FILE *out, bool *done, pv_err *err)
{
    if (x->format == PV_EXPORT_JSON)
        *done = pv_report_json_export_next(&x->json, out, PIECE_RECORDS);
    else {
        if (stacks_next(x, out, err))
            return err->code;
        *done = x->part == PART_DONE;
    }
    if (ferror(out))
        return pv_err_set(err, PV_E_IO, "writing the export failed");
    return PV_OK;
}

pv_code pv_export_write(const struct pv_profile *p, const char *name, pv_export_format format,
                        uint64_t max_bytes, FILE *out, pv_err *err)
{
    struct pv_export *x;
    if (pv_export_create(p, NULL, 0, name, format, NULL, NULL, &x, err))
        return err->code;
    pv_code rc = PV_OK;
    if (max_bytes && x->bound > max_bytes)
        rc = pv_export_over_budget(x->bound, max_bytes, err);
    for (bool done = false; !rc && !done;)
        rc = pv_export_write_next(x, out, &done, err);
    pv_export_destroy(x);
    return rc;
}
