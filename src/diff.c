/* diff.c - two runs paired function by function, and their rows (see
 * diff.h).
 *
 * A profile's functions are sorted by (file, line, name) and its strings
 * are interned, so each file is one run of fids with one string handle.
 * Pairing therefore works file by file: first the files (the same path, or
 * the longest common path suffix for files one run lacks), then the
 * functions of each pair of files, by (line, name) and then by name alone.
 * Two hash maps over B's functions serve every file pair: one keyed by
 * (B's file, line, name), one by (B's file, name). */
#include "diff.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

#define NONE PV_DIFF_NONE

static pv_code no_memory(pv_err *err)
{
    return pv_err_set(err, PV_E_NOMEM, "out of memory comparing two profiles");
}

const char *pv_diff_rule_name(pv_diff_rule r)
{
    static const char *const names[] = {"exact", "moved", "suffix"};
    return (unsigned)r < 3 ? names[r] : "exact";
}

/* ---- files -------------------------------------------------------------- */

/* A file of one profile: its fids are first..end (phantoms included). */
struct file {
    uint32_t handle, first, end;
    uint32_t pair;   /* the other run's file index, or NONE */
    bool by_suffix;
};

struct files {
    struct file *f;
    uint32_t n;
};

static pv_code list_files(const struct pv_profile *p, struct files *out, pv_err *err)
{
    out->n = 0;
    out->f = malloc(((size_t)p->nfuncs + 1) * sizeof *out->f);
    if (!out->f)
        return no_memory(err);
    for (uint32_t fid = 0; fid < p->nfuncs; fid++) {
        if (out->n && out->f[out->n - 1].handle == p->funcs[fid].file) {
            out->f[out->n - 1].end = fid + 1;
            continue;
        }
        out->f[out->n++] = (struct file){p->funcs[fid].file, fid, fid + 1, NONE, false};
    }
    return PV_OK;
}

/* A name as runs share it: builtins that cProfile names after an object
 * carry its address ("<function Random.seed at 0x7fcfa9fff9c0>"), which
 * differs from run to run.  Such a name is compared up to " at 0x". */
static const char *name_without_address(const struct pv_profile *p, uint32_t handle, size_t *n)
{
    const char *s = pv_profile_str(p, handle, n);
    if (*n < 8 || s[*n - 1] != '>')
        return s;
    size_t i = *n - 1;
    while (i > 0 && isxdigit((unsigned char)s[i - 1]))
        i--;
    if (i >= 6 && i < *n - 1 && !memcmp(s + i - 6, " at 0x", 6))
        *n = i - 6;
    return s;
}

static uint32_t hash_str(const struct pv_profile *p, uint32_t handle)
{
    size_t n;
    const char *s = name_without_address(p, handle, &n);
    return pv_hashmap_hash_bytes(s, n);
}

static bool same_str(const struct pv_profile *p, uint32_t hp, const struct pv_profile *q,
                     uint32_t hq)
{
    size_t np, nq;
    const char *sp = name_without_address(p, hp, &np), *sq = name_without_address(q, hq, &nq);
    return np == nq && !memcmp(sp, sq, np);
}

/* Pair the files with the same path. */
static pv_code pair_same_files(const struct pv_profile *a, struct files *fa,
                               const struct pv_profile *b, struct files *fb, pv_err *err)
{
    struct pv_hashmap m;
    pv_hashmap_init(&m);
    if (!pv_hashmap_reserve(&m, fb->n))
        return no_memory(err);
    for (uint32_t j = 0; j < fb->n; j++) {
        struct pv_hashmap_probe pr = pv_hashmap_probe(&m, hash_str(b, fb->f[j].handle));
        uint32_t v;
        while (pv_hashmap_next(&m, &pr, &v))
            ;
        pv_hashmap_insert(&m, &pr, j); /* interned: no path twice */
    }
    for (uint32_t i = 0; i < fa->n; i++) {
        struct pv_hashmap_probe pr = pv_hashmap_probe(&m, hash_str(a, fa->f[i].handle));
        uint32_t j;
        while (pv_hashmap_next(&m, &pr, &j))
            if (same_str(a, fa->f[i].handle, b, fb->f[j].handle)) {
                fa->f[i].pair = j;
                fb->f[j].pair = i;
                break;
            }
    }
    pv_hashmap_fini(&m);
    return PV_OK;
}

/* The last path component of s[0..n): after the last '/' or '\'. */
static size_t base_at(const char *s, size_t n)
{
    size_t at = n;
    while (at > 0 && s[at - 1] != '/' && s[at - 1] != '\\')
        at--;
    return at;
}

/* How many whole trailing components s and t share (0 when the base names
 * differ), and where the shared part starts in each. */
static size_t common_suffix(const char *s, size_t ns, const char *t, size_t nt, size_t *s_at,
                            size_t *t_at)
{
    size_t i = ns, j = nt, parts = 0;
    *s_at = ns;
    *t_at = nt;
    for (;;) {
        size_t bi = base_at(s, i), bj = base_at(t, j);
        if (i - bi != j - bj || memcmp(s + bi, t + bj, i - bi) || i == bi)
            return parts;
        parts++;
        *s_at = bi;
        *t_at = bj;
        if (!bi || !bj)
            return parts;
        i = bi - 1; /* before the separator */
        j = bj - 1;
    }
}

/* Files compared by suffix that share a base name: beyond this many pairs
 * in one group (a thousand files called __init__.py in each run), the
 * group is left unpaired rather than compared pair by pair. */
enum { SUFFIX_GROUP_MAX_PAIRS = 1 << 20 };

struct lone {
    uint32_t file;  /* index into its files */
    uint32_t base;  /* hash of the base name */
};

static int cmp_lone(const void *x, const void *y)
{
    const struct lone *l = x, *r = y;
    if (l->base != r->base)
        return l->base < r->base ? -1 : 1;
    return (l->file > r->file) - (l->file < r->file);
}

static pv_code lone_files(const struct pv_profile *p, const struct files *fs, struct lone **out,
                          size_t *n, pv_err *err)
{
    *n = 0;
    *out = malloc(((size_t)fs->n + 1) * sizeof **out);
    if (!*out)
        return no_memory(err);
    for (uint32_t i = 0; i < fs->n; i++) {
        if (fs->f[i].pair != NONE)
            continue;
        size_t len;
        const char *s = pv_profile_str(p, fs->f[i].handle, &len);
        size_t at = base_at(s, len);
        if (at == len || (len == 1 && s[0] == '~'))
            continue; /* no base name to go by */
        (*out)[(*n)++] = (struct lone){i, pv_hashmap_hash_bytes(s + at, len - at)};
    }
    qsort(*out, *n, sizeof **out, cmp_lone);
    return PV_OK;
}

/* The best partner of each file of one group, found both ways: pairs that
 * are each other's unique best. */
struct best {
    uint32_t file;
    size_t parts;
    bool tie;
};

static void pair_group(const struct pv_profile *a, struct files *fa, const struct lone *la,
                       size_t na, const struct pv_profile *b, struct files *fb,
                       const struct lone *lb, size_t nb, struct best *ba, struct best *bb)
{
    for (size_t i = 0; i < na; i++)
        ba[i] = (struct best){NONE, 0, false};
    for (size_t j = 0; j < nb; j++)
        bb[j] = (struct best){NONE, 0, false};
    for (size_t i = 0; i < na; i++) {
        size_t ns, nt, s_at, t_at;
        const char *s = pv_profile_str(a, fa->f[la[i].file].handle, &ns);
        for (size_t j = 0; j < nb; j++) {
            const char *t = pv_profile_str(b, fb->f[lb[j].file].handle, &nt);
            size_t parts = common_suffix(s, ns, t, nt, &s_at, &t_at);
            if (!parts)
                continue; /* the same hash, another base name */
            struct best *x[2] = {&ba[i], &bb[j]};
            uint32_t other[2] = {(uint32_t)j, (uint32_t)i};
            for (int k = 0; k < 2; k++) {
                if (parts > x[k]->parts)
                    *x[k] = (struct best){other[k], parts, false};
                else if (parts == x[k]->parts)
                    x[k]->tie = true;
            }
        }
    }
    for (size_t i = 0; i < na; i++) {
        uint32_t j = ba[i].file;
        if (j == NONE || ba[i].tie || bb[j].tie || bb[j].file != i)
            continue;
        struct file *x = &fa->f[la[i].file], *y = &fb->f[lb[j].file];
        x->pair = lb[j].file;
        y->pair = la[i].file;
        x->by_suffix = y->by_suffix = true;
    }
}

/* Pair the files that one run has and the other lacks by path suffix. */
static pv_code pair_suffix_files(const struct pv_profile *a, struct files *fa,
                                 const struct pv_profile *b, struct files *fb, pv_err *err)
{
    struct lone *la = NULL, *lb = NULL;
    struct best *ba = NULL, *bb = NULL;
    size_t na, nb;
    pv_code rc = PV_OK;
    if ((rc = lone_files(a, fa, &la, &na, err)) || (rc = lone_files(b, fb, &lb, &nb, err)))
        goto done;
    ba = malloc((na + 1) * sizeof *ba);
    bb = malloc((nb + 1) * sizeof *bb);
    if (!ba || !bb) {
        rc = no_memory(err);
        goto done;
    }
    /* Both lists are sorted by base-name hash: walk the groups together. */
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        if (la[i].base != lb[j].base) {
            if (la[i].base < lb[j].base)
                i++;
            else
                j++;
            continue;
        }
        size_t ei = i, ej = j;
        while (ei < na && la[ei].base == la[i].base)
            ei++;
        while (ej < nb && lb[ej].base == lb[j].base)
            ej++;
        if ((ei - i) * (ej - j) <= SUFFIX_GROUP_MAX_PAIRS)
            pair_group(a, fa, la + i, ei - i, b, fb, lb + j, ej - j, ba, bb);
        i = ei;
        j = ej;
    }
done:
    free(la);
    free(lb);
    free(ba);
    free(bb);
    return rc;
}

/* Files whose roots are candidates for the most frequent: counting a
 * candidate's votes passes over every paired file once. */
enum { ROOT_CANDIDATES = 32 };

/* Where the shared suffix of A's file i and its partner starts in each. */
static void roots_of(const struct pv_diff *d, const struct files *fa, const struct files *fb,
                     uint32_t i, const char **s, size_t *s_at, const char **t, size_t *t_at)
{
    size_t ns, nt;
    *s = pv_profile_str(d->a, fa->f[i].handle, &ns);
    *t = pv_profile_str(d->b, fb->f[fa->f[i].pair].handle, &nt);
    common_suffix(*s, ns, *t, nt, s_at, t_at);
}

/* The roots the suffix rule saw most often: the path prefixes before the
 * shared part, among the first ROOT_CANDIDATES paired files (a root that
 * most files share is among them), counted over all paired files. */
static pv_code find_roots(struct pv_diff *d, const struct files *fa, const struct files *fb,
                          pv_err *err)
{
    size_t best = 0, candidates = 0, paired = 0;
    uint32_t best_i = NONE;
    for (uint32_t i = 0; i < fa->n; i++)
        paired += fa->f[i].by_suffix;
    for (uint32_t i = 0; i < fa->n && candidates < ROOT_CANDIDATES; i++) {
        if (!fa->f[i].by_suffix)
            continue;
        candidates++;
        const char *s, *t, *u, *v;
        size_t s_at, t_at, u_at, v_at, votes = 0;
        roots_of(d, fa, fb, i, &s, &s_at, &t, &t_at);
        for (uint32_t k = 0; k < fa->n; k++) {
            if (!fa->f[k].by_suffix)
                continue;
            roots_of(d, fa, fb, k, &u, &u_at, &v, &v_at);
            votes += u_at == s_at && v_at == t_at && !memcmp(u, s, s_at) && !memcmp(v, t, t_at);
        }
        if (votes > best) {
            best = votes;
            best_i = i;
        }
        if (best * 2 > paired)
            break; /* a majority: no other root can win */
    }
    if (best_i == NONE)
        return PV_OK;
    const char *s, *t;
    size_t s_at, t_at;
    roots_of(d, fa, fb, best_i, &s, &s_at, &t, &t_at);
    d->root_a = strndup(s, s_at);
    d->root_b = strndup(t, t_at);
    if (!d->root_a || !d->root_b)
        return no_memory(err);
    return PV_OK;
}

/* ---- functions ---------------------------------------------------------- */

static bool real(const struct pv_profile *p, uint32_t fid)
{
    return !(p->funcs[fid].flags & PV_FUNC_PHANTOM);
}

static void pair(struct pv_diff *d, uint32_t a, uint32_t b)
{
    d->a_to_b[a] = b;
    d->b_to_a[b] = a;
}

/* B's functions by (file index, line, name), and A's looked up in the file
 * paired with theirs. */
static pv_code pair_by_line(struct pv_diff *d, const struct files *fa, const struct files *fb,
                            const uint32_t *file_of_b, uint32_t *name_hash_b, pv_err *err)
{
    const struct pv_profile *a = d->a, *b = d->b;
    struct pv_hashmap m;
    pv_hashmap_init(&m);
    if (!pv_hashmap_reserve(&m, b->nfuncs))
        return no_memory(err);
    for (uint32_t f = 0; f < b->nfuncs; f++) {
        name_hash_b[f] = hash_str(b, b->funcs[f].name);
        if (!real(b, f) || fb->f[file_of_b[f]].pair == NONE)
            continue;
        uint32_t v;
        struct pv_hashmap_probe pr = pv_hashmap_probe(
            &m, pv_hashmap_hash_key(file_of_b[f], b->funcs[f].line, name_hash_b[f]));
        while (pv_hashmap_next(&m, &pr, &v))
            ;
        pv_hashmap_insert(&m, &pr, f);
    }
    for (uint32_t i = 0; i < fa->n; i++) {
        uint32_t j = fa->f[i].pair;
        if (j == NONE)
            continue;
        for (uint32_t f = fa->f[i].first; f < fa->f[i].end; f++) {
            if (!real(a, f))
                continue;
            struct pv_hashmap_probe pr = pv_hashmap_probe(
                &m, pv_hashmap_hash_key(j, a->funcs[f].line, hash_str(a, a->funcs[f].name)));
            uint32_t g;
            while (pv_hashmap_next(&m, &pr, &g))
                if (file_of_b[g] == j && b->funcs[g].line == a->funcs[f].line &&
                    same_str(a, a->funcs[f].name, b, b->funcs[g].name)) {
                    pair(d, f, g);
                    break;
                }
        }
    }
    pv_hashmap_fini(&m);
    return PV_OK;
}

/* Then what is left of each file pair by name alone, where the name leaves
 * one function unpaired on each side.  taken[g] counts A's candidates for
 * B's g: more than one, and neither pairs. */
static pv_code pair_by_name(struct pv_diff *d, const struct files *fa, const struct files *fb,
                            const uint32_t *file_of_b, const uint32_t *name_hash_b, pv_err *err)
{
    const struct pv_profile *a = d->a, *b = d->b;
    struct pv_hashmap m;
    uint32_t *cand = malloc(((size_t)a->nfuncs + 1) * sizeof *cand);
    uint8_t *twice_b = calloc((size_t)b->nfuncs + 1, 1), *wanted = calloc((size_t)b->nfuncs + 1, 1);
    pv_hashmap_init(&m);
    pv_code rc = PV_OK;
    if (!cand || !twice_b || !wanted || !pv_hashmap_reserve(&m, b->nfuncs)) {
        rc = no_memory(err);
        goto done;
    }
    /* B's unpaired functions by (file, name); a name seen twice in a file
     * marks the first as ambiguous. */
    for (uint32_t f = 0; f < b->nfuncs; f++) {
        if (!real(b, f) || d->b_to_a[f] != NONE || fb->f[file_of_b[f]].pair == NONE)
            continue;
        struct pv_hashmap_probe pr =
            pv_hashmap_probe(&m, pv_hashmap_hash_key(file_of_b[f], 0, name_hash_b[f]));
        uint32_t g;
        bool seen = false;
        while (!seen && pv_hashmap_next(&m, &pr, &g))
            if (file_of_b[g] == file_of_b[f] && same_str(b, b->funcs[g].name, b, b->funcs[f].name))
                seen = true;
        if (seen)
            twice_b[g] = 1;
        else
            pv_hashmap_insert(&m, &pr, f);
    }
    for (uint32_t i = 0; i < fa->n; i++) {
        uint32_t j = fa->f[i].pair;
        for (uint32_t f = fa->f[i].first; f < fa->f[i].end; f++) {
            cand[f] = NONE;
            if (j == NONE || !real(a, f) || d->a_to_b[f] != NONE)
                continue;
            struct pv_hashmap_probe pr =
                pv_hashmap_probe(&m, pv_hashmap_hash_key(j, 0, hash_str(a, a->funcs[f].name)));
            uint32_t g;
            while (pv_hashmap_next(&m, &pr, &g))
                if (file_of_b[g] == j && same_str(a, a->funcs[f].name, b, b->funcs[g].name)) {
                    cand[f] = g;
                    wanted[g] = wanted[g] < 2 ? wanted[g] + 1 : 2;
                    break;
                }
        }
    }
    for (uint32_t f = 0; f < a->nfuncs; f++)
        if (cand[f] != NONE && wanted[cand[f]] == 1 && !twice_b[cand[f]])
            pair(d, f, cand[f]);
done:
    pv_hashmap_fini(&m);
    free(cand);
    free(twice_b);
    free(wanted);
    return rc;
}

static pv_code make_rows(struct pv_diff *d, const struct files *fa, const uint32_t *file_of_a,
                         pv_err *err)
{
    const struct pv_profile *a = d->a, *b = d->b;
    d->rows = malloc(((size_t)a->nreal + b->nreal + 1) * sizeof *d->rows);
    if (!d->rows)
        return no_memory(err);
    for (uint32_t f = 0; f < a->nfuncs; f++) {
        if (!real(a, f))
            continue;
        struct pv_diff_row r = {f, d->a_to_b[f], PV_DIFF_EXACT, false};
        if (r.b == NONE)
            d->removed++;
        else {
            r.line_moved = a->funcs[f].line != b->funcs[r.b].line;
            r.rule = fa->f[file_of_a[f]].by_suffix ? PV_DIFF_SUFFIX
                     : r.line_moved                 ? PV_DIFF_MOVED
                                                    : PV_DIFF_EXACT;
            d->count[r.rule]++;
            if (r.rule > d->rule)
                d->rule = r.rule;
        }
        d->rows[d->nrows++] = r;
    }
    for (uint32_t g = 0; g < b->nfuncs; g++)
        if (real(b, g) && d->b_to_a[g] == NONE) {
            d->rows[d->nrows++] = (struct pv_diff_row){NONE, g, PV_DIFF_EXACT, false};
            d->added++;
        }
    return PV_OK;
}

/* Which file each fid is in. */
static uint32_t *file_index(const struct pv_profile *p, const struct files *fs)
{
    uint32_t *of = malloc(((size_t)p->nfuncs + 1) * sizeof *of);
    for (uint32_t i = 0; of && i < fs->n; i++)
        for (uint32_t f = fs->f[i].first; f < fs->f[i].end; f++)
            of[f] = i;
    return of;
}

pv_code pv_diff_create(const struct pv_profile *a, const struct pv_profile *b,
                       struct pv_diff **out, pv_err *err)
{
    pv_err local;
    if (!err)
        err = &local;
    struct pv_diff *d = calloc(1, sizeof *d);
    struct files fa = {0}, fb = {0};
    uint32_t *file_of_a = NULL, *file_of_b = NULL, *name_hash_b = NULL;
    pv_code rc = PV_OK;
    if (!d)
        return no_memory(err);
    d->a = a;
    d->b = b;
    d->a_to_b = malloc(((size_t)a->nfuncs + 1) * sizeof *d->a_to_b);
    d->b_to_a = malloc(((size_t)b->nfuncs + 1) * sizeof *d->b_to_a);
    name_hash_b = malloc(((size_t)b->nfuncs + 1) * sizeof *name_hash_b);
    if (!d->a_to_b || !d->b_to_a || !name_hash_b) {
        rc = no_memory(err);
        goto done;
    }
    memset(d->a_to_b, 0xff, ((size_t)a->nfuncs + 1) * sizeof *d->a_to_b);
    memset(d->b_to_a, 0xff, ((size_t)b->nfuncs + 1) * sizeof *d->b_to_a);
    if ((rc = list_files(a, &fa, err)) || (rc = list_files(b, &fb, err)) ||
        (rc = pair_same_files(a, &fa, b, &fb, err)) ||
        (rc = pair_suffix_files(a, &fa, b, &fb, err)))
        goto done;
    file_of_a = file_index(a, &fa);
    file_of_b = file_index(b, &fb);
    if (!file_of_a || !file_of_b) {
        rc = no_memory(err);
        goto done;
    }
    if ((rc = pair_by_line(d, &fa, &fb, file_of_b, name_hash_b, err)) ||
        (rc = pair_by_name(d, &fa, &fb, file_of_b, name_hash_b, err)) ||
        (rc = make_rows(d, &fa, file_of_a, err)))
        goto done;
    if (d->count[PV_DIFF_SUFFIX] && (rc = find_roots(d, &fa, &fb, err)))
        goto done;
    *out = d;
    d = NULL;
done:
    free(fa.f);
    free(fb.f);
    free(file_of_a);
    free(file_of_b);
    free(name_hash_b);
    pv_diff_destroy(d);
    return rc;
}

void pv_diff_destroy(struct pv_diff *d)
{
    if (!d)
        return;
    free(d->rows);
    free(d->a_to_b);
    free(d->b_to_a);
    free(d->root_a);
    free(d->root_b);
    free(d);
}

/* ---- numbers ------------------------------------------------------------ */

void pv_diff_side_of(const struct pv_diff *d, const struct pv_diff_row *r, bool b,
                     struct pv_diff_side *out)
{
    uint32_t fid = b ? r->b : r->a;
    *out = (struct pv_diff_side){0};
    if (fid == NONE)
        return;
    const struct pv_func *f = &(b ? d->b : d->a)->funcs[fid];
    *out = (struct pv_diff_side){true, f->cc, f->nc, f->tt, f->ct};
}

double pv_diff_ratio(double a, double b)
{
    if (a == 0)
        return b == 0 ? 0 : (double)NAN;
    return (b - a) / fabs(a);
}

/* ---- tables ------------------------------------------------------------- */

static const char *const SORT_NAMES[PV_DIFF_SORT_KEYS] = {
    "delta", "ratio", "calls", "tdelta", "cumtime", "tottime", "name", "file",
};

pv_code pv_diff_sort_parse(const char *word, pv_diff_sort_key *out, pv_err *err)
{
    for (int k = 0; k < PV_DIFF_SORT_KEYS; k++)
        if (!strcmp(word, SORT_NAMES[k])) {
            *out = (pv_diff_sort_key)k;
            return PV_OK;
        }
    return pv_err_set(err, PV_E_USAGE,
                      "sort must be one of delta, ratio, calls, tdelta, cumtime, tottime, name, "
                      "file");
}

const char *pv_diff_sort_name(pv_diff_sort_key k)
{
    return (unsigned)k < PV_DIFF_SORT_KEYS ? SORT_NAMES[k] : "delta";
}

bool pv_diff_sort_descending(pv_diff_sort_key k)
{
    return k != PV_DIFF_SORT_NAME && k != PV_DIFF_SORT_FILE;
}

struct sort_ctx {
    const struct pv_diff *d;
    const double *value; /* numeric keys: per row */
    pv_diff_sort_key key;
    bool descending;
};

/* NaN (a profile's own bad numbers) sorts as the smallest value. */
static double num(double x)
{
    return isnan(x) ? -(double)INFINITY : x;
}

static double sort_value(const struct pv_diff *d, const struct pv_diff_row *r, pv_diff_sort_key k)
{
    struct pv_diff_side x, y;
    pv_diff_side_of(d, r, false, &x);
    pv_diff_side_of(d, r, true, &y);
    switch (k) {
    case PV_DIFF_SORT_RATIO: {
        double ratio = pv_diff_ratio(x.ct, y.ct);
        /* An added function changed more than any ratio can say. */
        return !x.present && y.present ? (double)INFINITY : num(fabs(ratio));
    }
    case PV_DIFF_SORT_CALLS: return fabs((double)y.nc - (double)x.nc);
    case PV_DIFF_SORT_TDELTA: return num(fabs(y.tt - x.tt));
    case PV_DIFF_SORT_CUMTIME: return num(fmax(num(x.ct), num(y.ct)));
    case PV_DIFF_SORT_TOTTIME: return num(fmax(num(x.tt), num(y.tt)));
    default: return num(fabs(y.ct - x.ct));
    }
}

/* A row's function as one run has it: A's when present. */
static void ident(const struct pv_diff *d, const struct pv_diff_row *r,
                  const struct pv_profile **p, const struct pv_func **f)
{
    *p = r->a != NONE ? d->a : d->b;
    *f = &(*p)->funcs[r->a != NONE ? r->a : r->b];
}

static int cmp_str(const struct pv_profile *p, uint32_t hp, const struct pv_profile *q,
                   uint32_t hq)
{
    size_t np, nq;
    const char *sp = pv_profile_str(p, hp, &np), *sq = pv_profile_str(q, hq, &nq);
    int c = memcmp(sp, sq, np < nq ? np : nq);
    return c ? c : (np > nq) - (np < nq);
}

static int cmp_text(const struct pv_diff *d, const struct pv_diff_row *x,
                    const struct pv_diff_row *y, bool name_first)
{
    const struct pv_profile *p, *q;
    const struct pv_func *f, *g;
    ident(d, x, &p, &f);
    ident(d, y, &q, &g);
    int c = name_first ? cmp_str(p, f->name, q, g->name) : cmp_str(p, f->file, q, g->file);
    if (!c)
        c = name_first ? cmp_str(p, f->file, q, g->file) : (f->line > g->line) - (f->line < g->line);
    if (!c)
        c = name_first ? (f->line > g->line) - (f->line < g->line) : cmp_str(p, f->name, q, g->name);
    return c;
}

/* qsort_r (glibc, POSIX 2024), as profile_build.c sorts: the context
 * travels with the call, so concurrent diffs share nothing. */
static int cmp_rows(const void *x, const void *y, void *arg)
{
    const struct sort_ctx *s = arg;
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    int c;
    if (s->value)
        c = (s->value[i] > s->value[j]) - (s->value[i] < s->value[j]);
    else
        c = cmp_text(s->d, &s->d->rows[i], &s->d->rows[j], s->key == PV_DIFF_SORT_NAME);
    if (s->descending)
        c = -c;
    if (c)
        return c;
    /* Ties: A's fid order, then B's (rows are in that order already). */
    return (i > j) - (i < j);
}

pv_code pv_diff_select(const struct pv_diff *d, const struct pv_diff_select *s, uint32_t **out,
                       size_t *n, pv_err *err)
{
    uint32_t *idx = malloc((d->nrows + 1) * sizeof *idx);
    double *value = NULL;
    if (!idx)
        return no_memory(err);
    size_t kept = 0;
    for (size_t i = 0; i < d->nrows; i++) {
        bool stop = false;
        if (s->keep && !s->keep(s->keep_ctx, &d->rows[i], &stop, err)) {
            if (stop) {
                free(idx);
                return err->code;
            }
            continue;
        }
        idx[kept++] = (uint32_t)i;
    }
    bool numeric = s->key != PV_DIFF_SORT_NAME && s->key != PV_DIFF_SORT_FILE;
    if (numeric) {
        value = malloc((d->nrows + 1) * sizeof *value);
        if (!value) {
            free(idx);
            return no_memory(err);
        }
        for (size_t k = 0; k < kept; k++)
            value[idx[k]] = sort_value(d, &d->rows[idx[k]], s->key);
    }
    struct sort_ctx ctx = {d, value, s->key, s->descending};
    qsort_r(idx, kept, sizeof *idx, cmp_rows, &ctx);
    free(value);
    if (!kept) {
        free(idx);
        idx = NULL;
    }
    *out = idx;
    *n = kept;
    return PV_OK;
}
