/* profile.h - the pstats model of one stats file.
 *
 * A stats file is one marshalled dict
 *     {(file, line, name): (cc, nc, tt, ct, callers)}
 *     callers = {(file, line, name): (nc, cc, tt, ct)}   or a bare int nc
 * (note the swapped counts).  This module checks that shape, and turns it
 * into arrays that later queries can walk quickly (profile_build.c), and
 * answers about the finished model (profile.c):
 *
 *  - funcs, sorted by (file, line, name) as Python compares them; a
 *    function's index is its fid, so the same file gives the same fids on
 *    any machine.  Keys named only as callers ("dangling" callers, which
 *    pstats tolerates) are kept as PV_FUNC_PHANTOM functions so no edge is
 *    lost; they have no stats of their own.
 *  - edges caller -> callee, sorted by (caller, callee); edges_of_caller()
 *    ranges and a second order by (callee, caller) for callers.
 *  - totals as pstats.Stats computes them.
 *
 * Decisions where pstats is lax (documented in README.md):
 *  - a duplicate key: the last value wins, at the first key's position;
 *  - negative counts and NaN/inf times load, with a warning;
 *  - bytes after the dict (trailing data, a second concatenated profile)
 *    are ignored, with a warning, as marshal.load does;
 *  - integers beyond int64 and bool/float counts are rejected. */
#ifndef PV_PROFILE_H
#define PV_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pv.h"

enum { PV_FUNC_PHANTOM = 1u };    /* named only as a caller */
enum { PV_EDGE_COUNT_ONLY = 1u }; /* an int-valued callers entry (the pure-Python
                                     `profile` module): only nc is known */

struct pv_func {
    uint32_t file, name; /* string handles, see pv_profile_str() */
    int64_t line;
    int64_t cc, nc;      /* primitive calls, all calls */
    double tt, ct;       /* own time, cumulative time */
    uint32_t order;      /* position in the file's dict: pstats' tie-break */
    uint32_t flags;      /* PV_FUNC_* */
};

/* 40 bytes, no padding: a 100k-function profile has 825k of them, most of
 * an import's memory.  Their flags are apart (pv_profile.edge_flags), since
 * cProfile's files have none. */
struct pv_edge {
    uint32_t caller, callee; /* fids */
    int64_t cc, nc;          /* calls of callee by caller */
    double tt, ct;           /* cc, tt and ct are 0 for a count-only edge */
};

enum { PV_PROFILE_MAX_WARNINGS = 8 };

struct pv_profile {
    char *strings;          /* [u32 length][bytes][NUL] records */
    size_t strings_len;
    struct pv_func *funcs;  /* nfuncs, index = fid */
    uint32_t nfuncs;
    uint32_t nreal;         /* functions that are not phantoms */
    struct pv_edge *edges;  /* sorted by (caller, callee) */
    uint32_t nedges;
    uint32_t *callees_at;   /* nfuncs+1: edges[callees_at[f]..callees_at[f+1]) */
    uint32_t *callers_at;   /* nfuncs+1: ranges of by_callee */
    uint32_t *by_callee;    /* edge indices ordered by (callee, caller) */
    uint8_t *edge_flags;    /* by edge, PV_EDGE_*; NULL when every edge's are 0 */
    int64_t total_calls, prim_calls;
    double total_tt;
    int marshal_version;    /* see pv_marshal_version_guess() */
    bool python2;
    size_t trailing_bytes;  /* ignored after the dict */
    unsigned nwarnings;     /* all warnings; the first few are kept: */
    char warnings[PV_PROFILE_MAX_WARNINGS][200];
};

/* Read a stats file's bytes.  On success *out is yours (pv_profile_destroy)
 * and does not point into buf.  On failure *out is untouched and err says
 * where and what: "offset 1834: ..." for marshal errors, what was expected
 * for shape errors, a hint for gzip, pickle, text and Git LFS files. */
pv_code pv_profile_parse(const uint8_t *buf, size_t len, struct pv_profile **out,
                         pv_err *err);

/* The same, telling consumed(ctx, offset) after each stats entry that
 * the bytes before offset have been read, and consumed(ctx, len) once the
 * whole dict has been read.  A caller that mapped a file can
 * drop those pages (the parser may still read them again, through a
 * reference, so they must stay mapped).  When consumed() returns false,
 * the parse stops there and fails with PV_E_CANCELLED. */
struct pv_parse_progress {
    bool (*consumed)(void *ctx, size_t offset);
    void *ctx;
};
pv_code pv_profile_parse_progress(const uint8_t *buf, size_t len,
                                  const struct pv_parse_progress *progress,
                                  struct pv_profile **out, pv_err *err);

void pv_profile_destroy(struct pv_profile *p);

/* The same parse in two steps, for a caller with work to do beside the
 * second (the import writes the functions' rows meanwhile: import.c).
 *
 * pv_profile_read() reads the dict and puts the functions in fid order:
 * on success *out is yours, to destroy, or to finish and take.
 * pv_profile_build_model() is the profile being built, to read only: after
 * pv_profile_read() its names and functions are final (strings,
 * strings_len, funcs, nfuncs, nreal), and nothing else is ready; after
 * pv_profile_finish(), all of it.  pv_profile_finish() (once) sorts and
 * indexes the edges, and writes no part of the profile that was final:
 * one thread may read those while another finishes.  On failure the build
 * is still yours to destroy.  pv_profile_build_take() hands over a
 * finished build's profile (yours, to pv_profile_destroy) and frees the
 * rest. */
struct pv_profile_build;
pv_code pv_profile_read(const uint8_t *buf, size_t len, const struct pv_parse_progress *progress,
                        struct pv_profile_build **out, pv_err *err);
const struct pv_profile *pv_profile_build_model(const struct pv_profile_build *b);
pv_code pv_profile_finish(struct pv_profile_build *b, pv_err *err);
struct pv_profile *pv_profile_build_take(struct pv_profile_build *b);
void pv_profile_build_destroy(struct pv_profile_build *b);

/* Whether e, an edge of p->edges, is an int-valued callers entry, of which
 * only nc is known.  Inline: tree builds ask it of every edge they walk. */
static inline bool pv_profile_edge_count_only(const struct pv_profile *p, const struct pv_edge *e)
{
    return p->edge_flags && (p->edge_flags[e - p->edges] & PV_EDGE_COUNT_ONLY);
}

/* A string of the profile: valid until pv_profile_destroy().  *len (may be
 * NULL) gets its length; the bytes are also NUL-terminated, but may contain
 * NUL. */
const char *pv_profile_str(const struct pv_profile *p, uint32_t handle, size_t *len);

/* Whether fid is a builtin as pstats sees it: file "~" and line 0. */
bool pv_profile_is_builtin(const struct pv_profile *p, uint32_t fid);

/* The label pstats prints for a function (func_std_string): "file:line(name)",
 * or "{built-in method builtins.len}" for ('~', 0, '<built-in ...>').
 * max_part_bytes 0: the whole label.  Else the file and the name are each
 * cut at a character boundary at or before max_part_bytes and end in
 * U+2026, as views show them, and the work is bounded by that too (a 1 MiB
 * file name is not copied whole, and the name stays searchable).
 * Returns a malloc'd string (caller frees) or NULL on out-of-memory. */
char *pv_profile_label_dup(const struct pv_profile *p, uint32_t fid, size_t max_part_bytes,
                           size_t *len);

/* Every function's label, as pv_profile_label_dup(p, fid, max_part_bytes)
 * gives it, in one block: one allocation instead of one per function
 * (which cost 16-32 bytes each on top), sized before it is written, so a
 * budget can count it.  Searches keep them cut (PV_VIEW_TEXT_MAX), the
 * "stdname" sort whole (pstats compares whole labels). */
struct pv_profile_labels {
    char **of;  /* of[fid] for fid < nfuncs, NUL-terminated; of[nfuncs]:
                   the end of the text */
    char *text; /* the block they point into */
};
/* On success l is yours (pv_profile_labels_fini); on failure (PV_E_NOMEM)
 * it holds nothing. */
pv_code pv_profile_labels_init(struct pv_profile_labels *l, const struct pv_profile *p,
                               size_t max_part_bytes, pv_err *err);
/* Free what l holds and leave it empty; an empty l does nothing. */
void pv_profile_labels_fini(struct pv_profile_labels *l);

/* The same label as the pieces it joins, without copying the file or the
 * name (which may be megabytes): part[0..nparts) in order, text[i] for the
 * file and the name (what max_part_bytes cuts).  Every piece starts and
 * ends at a character boundary.  The parts point into p, into static text,
 * and into l->line: valid until pv_profile_destroy() while *l stays where
 * it is.  Cannot fail. */
struct pv_label {
    const char *part[4];
    size_t len[4];
    bool text[4];
    int nparts;
    char line[32]; /* ":<line>(" */
};
void pv_profile_label(const struct pv_profile *p, uint32_t fid, struct pv_label *l);

/* Names, paths and labels longer than this are cut in every view (never
 * in exports): a 1 MiB file name shared by 20,000 functions would
 * otherwise make one tree 40 GB, and its labels 20 GB. */
enum { PV_VIEW_TEXT_MAX = 2000 };

/* Where to cut s[0..n) to keep at most max bytes without splitting a
 * UTF-8 sequence: n itself when n <= max.  Cannot fail. */
size_t pv_profile_text_cut(const char *s, size_t n, size_t max);

/* (Re)build callees_at, callers_at and by_callee from the edges, which
 * must be sorted by (caller, callee) with fids below nfuncs.  Replaces any
 * indexes there were; on failure p keeps none (PV_E_NOMEM). */
pv_code pv_profile_index(struct pv_profile *p, pv_err *err);

#endif
