/* export.c - speedscope and collapsed-stack exports (see export.h).
 *
 * Each tree node with own time becomes one sample: its stack (labels from
 * the top entry point down to it) weighted by its self seconds.  Merged
 * "other" nodes become a frame of their own, so no time is lost. */
#include "export.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tree.h"

enum { MAX_DEPTH = 64 };

/* Collapsed stacks separate frames with ';' and end with " count": keep
 * those characters out of labels. */
static void write_collapsed_label(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc(c == ';' ? ':' : c < 0x20 ? ' ' : c, out);
    }
}

struct walker {
    const struct pv_profile *p;
    const struct pv_tree *t;
    FILE *out;
    pv_export_format format;
    uint32_t stack[MAX_DEPTH + 2]; /* node indices from the top */
    int depth;
    uint32_t *frame_of;            /* fid -> speedscope frame, UINT32_MAX unseen */
    uint32_t other_frame;
    bool first_sample;
    double *weights;               /* speedscope: written after the samples */
    size_t nweights, cap_weights;
};

static uint32_t frame_index(const struct walker *w, uint32_t node)
{
    const struct pv_tree_node *n = &w->t->nodes[node];
    return n->other ? w->other_frame : w->frame_of[n->fid];
}

static bool emit(struct walker *w, double weight)
{
    if (w->format == PV_EXPORT_COLLAPSED) {
        for (int d = 1; d < w->depth; d++) { /* d = 0 is the virtual top */
            const struct pv_tree_node *n = &w->t->nodes[w->stack[d]];
            if (d > 1)
                fputc(';', w->out);
            if (n->other) {
                fprintf(w->out, "[other %u functions]", n->count);
                continue;
            }
            size_t len;
            char *label = pv_profile_label_dup(w->p, n->fid, 0, &len);
            if (!label)
                return false;
            write_collapsed_label(w->out, label, len);
            free(label);
        }
        fprintf(w->out, " %" PRId64 "\n", (int64_t)llround(weight * 1e6));
        return true;
    }
    fputs(w->first_sample ? "[" : ",[", w->out);
    w->first_sample = false;
    for (int d = 1; d < w->depth; d++)
        fprintf(w->out, "%s%u", d > 1 ? "," : "", frame_index(w, w->stack[d]));
    fputc(']', w->out);
    if (w->nweights == w->cap_weights) {
        size_t ncap = w->cap_weights ? 2 * w->cap_weights : 1024;
        double *t = realloc(w->weights, ncap * sizeof *t);
        if (!t)
            return false;
        w->weights = t;
        w->cap_weights = ncap;
    }
    w->weights[w->nweights++] = weight;
    return true;
}

/* Depth-first over the tree, iteratively: the tree is at most 65 deep. */
static bool walk(struct walker *w)
{
    uint32_t next[MAX_DEPTH + 2];
    w->depth = 1;
    w->stack[0] = 0;
    next[0] = 0;
    while (w->depth > 0) {
        const struct pv_tree_node *n = &w->t->nodes[w->stack[w->depth - 1]];
        uint32_t k = next[w->depth - 1];
        if (k == 0 && w->depth > 1) {
            double own = n->other ? n->value : n->self;
            if (own > 0 && !emit(w, own))
                return false;
        }
        if (!n->other && k < n->nchildren && w->depth < MAX_DEPTH + 1) {
            next[w->depth - 1] = k + 1;
            w->stack[w->depth] = n->first_child + k;
            next[w->depth] = 0;
            w->depth++;
        } else
            w->depth--;
    }
    return true;
}

static void write_frames(struct walker *w, uint32_t *nframes)
{
    uint32_t count = 0;
    fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
          "\"shared\":{\"frames\":[", w->out);
    for (size_t i = 0; i < w->t->nnodes; i++) {
        const struct pv_tree_node *n = &w->t->nodes[i];
        if (n->other || n->fid == PV_TREE_TOP || w->frame_of[n->fid] != UINT32_MAX)
            continue;
        const struct pv_func *f = &w->p->funcs[n->fid];
        size_t len;
        char *label = pv_profile_label_dup(w->p, n->fid, 0, &len);
        fputs(count ? ",{\"name\":" : "{\"name\":", w->out);
        pv_json_write_string(w->out, label ? label : "?", label ? len : 1);
        free(label);
        const char *file = pv_profile_str(w->p, f->file, &len);
        fputs(",\"file\":", w->out);
        pv_json_write_string(w->out, file, len);
        fprintf(w->out, ",\"line\":%" PRId64 "}", f->line);
        w->frame_of[n->fid] = count++;
    }
    w->other_frame = count++;
    fputs(count > 1 ? ",{\"name\":\"[other functions]\"}" : "{\"name\":\"[other functions]\"}",
          w->out);
    fputs("]},", w->out);
    *nframes = count;
}

pv_code pv_export_stacks(const struct pv_profile *p, const char *name, pv_export_format format,
                         FILE *out, pv_err *err)
{
    struct pv_tree_query q = {.depth = MAX_DEPTH, .cutoff = 0, .max_nodes = 100000};
    struct pv_tree *t;
    if (pv_tree_build(p, &q, &t, err))
        return err->code;
    struct walker w = {.p = p, .t = t, .out = out, .format = format, .first_sample = true};
    bool ok = true;
    if (format == PV_EXPORT_SPEEDSCOPE) {
        w.frame_of = malloc(((size_t)p->nfuncs + 1) * sizeof *w.frame_of);
        if (!w.frame_of) {
            pv_tree_destroy(t);
            return pv_err_set(err, PV_E_NOMEM, "out of memory");
        }
        memset(w.frame_of, 0xff, ((size_t)p->nfuncs + 1) * sizeof *w.frame_of);
        uint32_t nframes;
        write_frames(&w, &nframes);
        char total[32];
        pv_format_double(t->nodes[0].value, total);
        fputs("\"profiles\":[{\"type\":\"sampled\",\"name\":", out);
        pv_json_write_string(out, name, strlen(name));
        fprintf(out, ",\"unit\":\"seconds\",\"startValue\":0,\"endValue\":%s,\"samples\":[",
                isfinite(t->nodes[0].value) ? total : "0");
        ok = walk(&w);
        fputs("],\"weights\":[", out);
        for (size_t i = 0; i < w.nweights; i++) {
            char v[32];
            pv_format_double(w.weights[i], v);
            fprintf(out, "%s%s", i ? "," : "", isfinite(w.weights[i]) ? v : "0");
        }
        fputs("]}],\"name\":", out);
        pv_json_write_string(out, name, strlen(name));
        fputs(",\"activeProfileIndex\":0,\"exporter\":\"pstatsviz " PV_VERSION "\"}\n", out);
    } else
        ok = walk(&w);
    free(w.frame_of);
    free(w.weights);
    pv_tree_destroy(t);
    if (!ok)
        return pv_err_set(err, PV_E_NOMEM, "out of memory");
    if (ferror(out))
        return pv_err_set(err, PV_E_IO, "writing the export failed");
    return PV_OK;
}
