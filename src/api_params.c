/* api_params.c - the API's query parameters, parsed strictly (see
 * api_params.h). */
#include "api_params.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *pv_api_params_arg(const struct pv_request *req, const char *name)
{
    return req->arg ? req->arg(req->ctx, name) : NULL;
}

bool pv_api_params_integer(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
        return false;
    long v = strtol(s, NULL, 10);
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

bool pv_api_params_decimal(const char *s, double *out)
{
    const char *p = s;
    size_t whole = strspn(p, "0123456789"), frac = 0;
    p += whole;
    if (*p == '.') {
        frac = strspn(++p, "0123456789");
        p += frac;
    }
    if (!whole && !frac)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        size_t exp = strspn(p, "0123456789");
        if (!exp)
            return false;
        p += exp;
    }
    if (*p || p - s > 64)
        return false;
    *out = strtod(s, NULL);
    return true;
}

bool pv_api_params_id(const char *s, size_t n)
{
    if (n != PV_STORE_ID_HEX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
            return false;
    return true;
}

pv_code pv_api_params_fid(const struct pv_profile *p, const char *s, uint32_t *out, pv_err *err)
{
    long v;
    if (!pv_api_params_integer(s, 0, (long)p->nfuncs - 1, &v) ||
        (p->funcs[v].flags & PV_FUNC_PHANTOM))
        return pv_err_set(err, PV_E_NOTFOUND, "no function with that fid in this profile");
    *out = (uint32_t)v;
    return PV_OK;
}

/* The table's sort columns: pstats' keys, and the per-call columns. */
static const struct {
    const char *name;
    pv_sort_key key;
    bool numeric; /* large first by default */
} SORTS[] = {
    {"cumtime", PV_SORT_CUMULATIVE, true}, {"tottime", PV_SORT_TIME, true},
    {"ncalls", PV_SORT_CALLS, true},       {"pcalls", PV_SORT_PCALLS, true},
    {"name", PV_SORT_NAME, false},         {"file", PV_SORT_FILENAME, false},
    {"line", PV_SORT_LINE, false},         {"tt_percall", PV_SORT_TT_PERCALL, true},
    {"ct_percall", PV_SORT_CT_PERCALL, true},
    /* the line reports' increments: ordered by api_profile.c, cumulative beneath */
    {"mem_inc", PV_SORT_CUMULATIVE, true},
};

enum { FUNCTIONS_DEFAULT_LIMIT = 100, FUNCTIONS_MAX_LIMIT = 1000 };

pv_code pv_api_params_functions(const struct pv_request *req, struct pv_api_functions_query *out,
                                pv_err *err)
{
    const char *sort = pv_api_params_arg(req, "sort"), *order = pv_api_params_arg(req, "order");
    size_t nsorts = sizeof SORTS / sizeof SORTS[0], col = 0;
    if (sort) {
        for (col = 0; col < nsorts && strcmp(sort, SORTS[col].name); col++)
            ;
        if (col == nsorts)
            return pv_err_set(err, PV_E_USAGE,
                              "sort must be one of cumtime, tottime, ncalls, pcalls, name, file, "
                              "line, tt_percall, ct_percall, mem_inc");
    }
    bool natural_desc = SORTS[col].numeric, desc = natural_desc;
    if (order) {
        if (strcmp(order, "asc") && strcmp(order, "desc"))
            return pv_err_set(err, PV_E_USAGE, "order must be asc or desc");
        desc = !strcmp(order, "desc");
    }
    long limit = FUNCTIONS_DEFAULT_LIMIT, offset = 0;
    const char *s;
    if (((s = pv_api_params_arg(req, "limit")) &&
         !pv_api_params_integer(s, 1, FUNCTIONS_MAX_LIMIT, &limit)) ||
        ((s = pv_api_params_arg(req, "offset")) && !pv_api_params_integer(s, 0, LONG_MAX, &offset)))
        return pv_err_set(err, PV_E_USAGE, "limit is 1 to %d, offset 0 or more",
                          FUNCTIONS_MAX_LIMIT);
    const char *q = pv_api_params_arg(req, "q");
    *out = (struct pv_api_functions_query){.key = SORTS[col].key, .reverse = desc != natural_desc,
                                           .limit = limit, .offset = offset,
                                           .q = q && *q ? q : NULL,
                                           .mem_inc = !strcmp(SORTS[col].name, "mem_inc")};
    return PV_OK;
}

enum { LIST_DEFAULT_LIMIT = 50, LIST_MAX_LIMIT = 1000, NAME_MAX_BYTES = 255 };

pv_code pv_api_params_list(const struct pv_request *req, struct pv_store_list_query *out,
                           pv_err *err)
{
    long limit = LIST_DEFAULT_LIMIT, offset = 0;
    const char *s;
    if (((s = pv_api_params_arg(req, "limit")) &&
         !pv_api_params_integer(s, 1, LIST_MAX_LIMIT, &limit)) ||
        ((s = pv_api_params_arg(req, "offset")) && !pv_api_params_integer(s, 0, LONG_MAX, &offset)))
        return pv_err_set(err, PV_E_USAGE, "limit is 1 to %d, offset 0 or more", LIST_MAX_LIMIT);
    const char *q = pv_api_params_arg(req, "q");
    if (q && strlen(q) > NAME_MAX_BYTES) /* names are kept to 255 bytes */
        return pv_err_set(err, PV_E_USAGE, "q is at most %d bytes", NAME_MAX_BYTES);
    *out = (struct pv_store_list_query){.name_contains = q, .limit = limit, .offset = offset};
    return PV_OK;
}

/* "1,2,3" into fids; false on anything else (an empty item included).
 * Empty or absent: the empty path. */
static bool parse_path(const struct pv_profile *p, const char *s, uint32_t *out, size_t cap,
                       size_t *n)
{
    *n = 0;
    if (!s || !*s)
        return true;
    for (;;) {
        size_t len = strcspn(s, ",");
        char item[24];
        long v;
        if (len >= sizeof item || *n == cap)
            return false;
        memcpy(item, s, len);
        item[len] = '\0';
        if (!pv_api_params_integer(item, 0, (long)p->nfuncs - 1, &v))
            return false;
        out[(*n)++] = (uint32_t)v;
        if (!s[len])
            return true;
        s += len + 1; /* past the comma: "0," ends in an empty item */
    }
}

static bool parse_hide(const char *s, unsigned *out)
{
    *out = 0;
    if (!s)
        return true;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 8 && !strncmp(s, "builtins", n))
            *out |= PV_HIDE_BUILTINS;
        else if (n == 6 && !strncmp(s, "stdlib", n))
            *out |= PV_HIDE_STDLIB;
        else if (n == 13 && !strncmp(s, "site-packages", n))
            *out |= PV_HIDE_SITE;
        else if (n)
            return false;
        s += n;
        if (*s == ',')
            s++;
    }
    return true;
}

pv_code pv_api_params_tree(const struct pv_request *req, const struct pv_profile *p,
                           struct pv_tree_query *out, uint32_t *path, pv_err *err)
{
    struct pv_tree_query q;
    pv_tree_query_init(&q);
    q.path = path;
    long v;
    const char *s;
    if ((s = pv_api_params_arg(req, "depth")) && !strcmp(s, "auto"))
        q.depth = PV_TREE_DEPTH_AUTO;
    else if (s) {
        if (!pv_api_params_integer(s, PV_TREE_MIN_DEPTH, PV_TREE_MAX_DEPTH, &v))
            return pv_err_set(err, PV_E_USAGE, "depth must be %d to %d, or auto",
                              PV_TREE_MIN_DEPTH, PV_TREE_MAX_DEPTH);
        q.depth = (int)v;
    }
    if ((s = pv_api_params_arg(req, "max_nodes"))) {
        if (!pv_api_params_integer(s, PV_TREE_MIN_NODES, PV_TREE_MAX_NODES, &v))
            return pv_err_set(err, PV_E_USAGE, "max_nodes must be %d to %d", PV_TREE_MIN_NODES,
                              PV_TREE_MAX_NODES);
        q.max_nodes = (size_t)v;
    }
    if ((s = pv_api_params_arg(req, "cutoff"))) {
        double d;
        if (!pv_api_params_decimal(s, &d) || !(d >= PV_TREE_MIN_CUTOFF && d <= PV_TREE_MAX_CUTOFF))
            return pv_err_set(err, PV_E_USAGE, "cutoff must be a number from %g to %g",
                              PV_TREE_MIN_CUTOFF, PV_TREE_MAX_CUTOFF);
        q.cutoff = d;
    }
    if (!parse_hide(pv_api_params_arg(req, "hide"), &q.hide))
        return pv_err_set(err, PV_E_USAGE,
                          "hide takes builtins, stdlib and site-packages, comma separated");
    const char *root = pv_api_params_arg(req, "root"), *along = pv_api_params_arg(req, "path");
    if (root && along)
        return pv_err_set(err, PV_E_USAGE, "give path or root, not both");
    if (root) {
        long any;
        if (!pv_api_params_integer(root, 0, LONG_MAX, &any))
            return pv_err_set(err, PV_E_USAGE, "root must be a fid");
        if (pv_api_params_fid(p, root, &q.root, err))
            return err->code;
        q.by_root = true;
    } else if (!parse_path(p, along, path, PV_API_MAX_PATH_FIDS, &q.npath)) {
        return pv_err_set(err, PV_E_USAGE, "path must be fids separated by commas");
    }
    *out = q;
    return PV_OK;
}

pv_code pv_api_params_invert(const struct pv_request *req, const struct pv_tree_query *q,
                             bool *out, pv_err *err)
{
    const char *s = pv_api_params_arg(req, "invert");
    *out = false;
    if (!s)
        return PV_OK;
    if (strcmp(s, "1"))
        return pv_err_set(err, PV_E_USAGE, "invert takes 1 (the callers of root), or is left out");
    if (!q->by_root)
        return pv_err_set(err, PV_E_USAGE,
                          "invert=1 needs root=fid: the inverted tree is one function's callers");
    if (q->hide)
        return pv_err_set(err, PV_E_USAGE, "invert=1 takes no hide: callers are never folded");
    *out = true;
    return PV_OK;
}

/* Per level, children kept are worth at least cutoff x the root each and
 * add up to at most the root, so at most 1/cutoff of them; "other" nodes
 * are at most one per parent expanded. */
double pv_api_params_tree_nodes_bound(const struct pv_request *req)
{
    long depth = PV_TREE_MAX_DEPTH, max_nodes = PV_TREE_DEFAULT_MAX_NODES; /* auto */
    double cutoff = PV_TREE_DEFAULT_CUTOFF, d;
    const char *s;
    if ((s = pv_api_params_arg(req, "depth")))
        pv_api_params_integer(s, PV_TREE_MIN_DEPTH, PV_TREE_MAX_DEPTH, &depth);
    if ((s = pv_api_params_arg(req, "max_nodes")))
        pv_api_params_integer(s, PV_TREE_MIN_NODES, PV_TREE_MAX_NODES, &max_nodes);
    if ((s = pv_api_params_arg(req, "cutoff")) && pv_api_params_decimal(s, &d) &&
        d >= PV_TREE_MIN_CUTOFF && d <= PV_TREE_MAX_CUTOFF)
        cutoff = d;
    double by_cutoff = cutoff > 0 ? 1 + (double)depth * 2 / cutoff : (double)INFINITY;
    return fmin((double)max_nodes, by_cutoff);
}
