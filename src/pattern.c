/* pattern.c - bounded regular expressions (see pattern.h).
 *
 * The check walks the pattern once with a stack of open groups.  Each
 * group sums the expanded size of its atoms; a quantifier multiplies the
 * size of what it follows (an atom or a closed group) by its upper bound
 * (m + 1 for an open {m,}, 1 for * + ?, whose copies regcomp does not
 * make).  Alternation adds, as the branches are all compiled. */
#include "pattern.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum { MAX_GROUP_DEPTH = 32 };

struct group {
    unsigned long size; /* expanded atoms so far, closed branches included */
};

/* The end of the bracket expression starting at s ('['), or NULL when it
 * does not close.  "[]a]" and "[^]a]" hold a literal ']'; "[:alpha:]",
 * "[.x.]" and "[=e=]" inside hold brackets of their own. */
static const char *bracket_end(const char *s)
{
    const char *p = s + 1;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    for (; *p; p++) {
        if (*p == ']')
            return p;
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            char kind = p[1];
            const char *close = p + 2;
            while (*close && !(close[0] == kind && close[1] == ']'))
                close++;
            if (!*close)
                return NULL;
            p = close + 1;
        }
    }
    return NULL;
}

/* A run of digits, saturated far above any bound we accept. */
static unsigned long read_count(const char **s)
{
    unsigned long v = 0;
    for (; isdigit((unsigned char)**s); (*s)++)
        v = v > 1000000 ? v : v * 10 + (unsigned long)(**s - '0');
    return v;
}

/* Parse "{m}", "{m,}" or "{m,n}" at s; *end after '}'.  false if it is
 * not one (regcomp then says why). */
static bool parse_braces(const char *s, unsigned long *lo, unsigned long *hi, bool *open,
                         const char **end)
{
    const char *p = s + 1;
    if (!isdigit((unsigned char)*p))
        return false;
    *lo = read_count(&p);
    *hi = *lo;
    *open = false;
    if (*p == ',') {
        p++;
        if (isdigit((unsigned char)*p)) {
            *hi = read_count(&p);
        } else
            *open = true;
    }
    if (*p != '}')
        return false;
    *end = p + 1;
    return true;
}

static pv_code check_bounds(const char *src, pv_err *err)
{
    size_t len = strlen(src);
    if (len > PV_PATTERN_MAX_BYTES)
        return pv_err_set(err, PV_E_USAGE, "regular expression of %zu bytes; at most %d", len,
                          PV_PATTERN_MAX_BYTES);
    struct group stack[MAX_GROUP_DEPTH + 1] = {{0}};
    int depth = 0;
    unsigned long last = 0; /* expanded size of the atom a quantifier would repeat */
    for (const char *p = src; *p;) {
        switch (*p) {
        case '\\':
            if (isdigit((unsigned char)p[1]))
                return pv_err_set(err, PV_E_USAGE,
                                  "back-references (\\%c) are not supported in a search",
                                  p[1]);
            last = 1;
            p += p[1] ? 2 : 1;
            break;
        case '[': {
            const char *end = bracket_end(p);
            if (!end)
                return pv_err_set(err, PV_E_USAGE, "bad regular expression: unmatched [");
            last = 1;
            p = end + 1;
            break;
        }
        case '(':
            if (depth == MAX_GROUP_DEPTH)
                return pv_err_set(err, PV_E_USAGE, "regular expression nests groups deeper than %d",
                                  MAX_GROUP_DEPTH);
            stack[++depth].size = 0;
            last = 0;
            p++;
            continue; /* the group's size is added when it closes */
        case ')':
            if (!depth)
                return pv_err_set(err, PV_E_USAGE, "bad regular expression: unmatched )");
            last = stack[depth--].size;
            p++;
            break;
        case '*': case '+': case '?':
            p++; /* the atom stays one copy: nothing to add */
            continue;
        case '{': {
            unsigned long lo, hi;
            bool open;
            const char *end;
            if (!parse_braces(p, &lo, &hi, &open, &end)) {
                last = 1; /* a literal '{': regcomp judges it */
                p++;
                break;
            }
            if (lo > PV_PATTERN_MAX_REPEAT || hi > PV_PATTERN_MAX_REPEAT)
                return pv_err_set(err, PV_E_USAGE,
                                  "repetition %.*s in a regular expression; counts go up to %d",
                                  (int)(end - p), p, PV_PATTERN_MAX_REPEAT);
            unsigned long copies = open ? lo + 1 : hi;
            /* the atom already counted once; add the other copies */
            stack[depth].size += last * (copies ? copies - 1 : 0);
            if (stack[depth].size > PV_PATTERN_MAX_EXPANDED)
                goto too_big;
            last = last * (copies ? copies : 1);
            p = end;
            continue;
        }
        case '|':
            last = 0;
            p++;
            continue;
        default:
            last = 1;
            p++;
            break;
        }
        stack[depth].size += last;
        if (stack[depth].size > PV_PATTERN_MAX_EXPANDED)
            goto too_big;
    }
    return PV_OK;

too_big:
    return pv_err_set(err, PV_E_USAGE,
                      "regular expression expands to over %d atoms (nested repetition)",
                      PV_PATTERN_MAX_EXPANDED);
}

pv_code pv_pattern_compile(const char *src, bool ignore_case, regex_t *out, pv_err *err)
{
    if (check_bounds(src, err))
        return err->code;
    int rc = regcomp(out, src, REG_EXTENDED | REG_NOSUB | (ignore_case ? REG_ICASE : 0));
    if (rc) {
        char why[160];
        regerror(rc, out, why, sizeof why); /* a failed regcomp frees what it made */
        return pv_err_set(err, PV_E_USAGE, "bad regular expression: %s", why);
    }
    return PV_OK;
}
