/* funckind.c - a function's kind from its file name and line (see
 * funckind.h).  The rules are the ones Python installs follow; they look
 * at bytes, never at the file system. */
#include "funckind.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* No path is longer (PATH_MAX); the corpus has a 1 MiB "file name" shared
 * by 20,000 functions. */
enum { KIND_SCAN_BYTES = 4096 };

static bool starts(const char *d, const char *end, const char *prefix)
{
    size_t m = strlen(prefix);
    return (size_t)(end - d) >= m && !memcmp(d, prefix, m);
}

/* d starts "lib/python3.11/", "lib64/python2.7/" or "lib/python3/" */
static bool python_lib(const char *d, const char *end)
{
    const char *c = starts(d, end, "lib/python")     ? d + 10
                    : starts(d, end, "lib64/python") ? d + 12
                                                     : end;
    if (c == end || (*c != '2' && *c != '3'))
        return false;
    if (++c < end && *c == '.') {
        const char *digits = ++c;
        while (c < end && *c >= '0' && *c <= '9')
            c++;
        if (c == digits)
            return false;
    }
    return c < end && *c == '/';
}

pv_funckind pv_funckind_of(const struct pv_profile *p, uint32_t fid)
{
    const struct pv_func *f = &p->funcs[fid];
    size_t len;
    const char *file = pv_profile_str(p, f->file, &len);
    if ((len == 1 && file[0] == '~') || (len == 0 && f->line == 0))
        return PV_FUNCKIND_BUILTIN;
    if (len >= 9 && !memcmp(file, "<frozen ", 8) && file[len - 1] == '>')
        return PV_FUNCKIND_STDLIB;
    const char *end = file + (len > KIND_SCAN_BYTES ? KIND_SCAN_BYTES : len);
    pv_funckind kind = PV_FUNCKIND_USER;
    for (const char *s = file; s < end; s++) {
        if (*s != '/' && *s != '\\')
            continue;
        if (starts(s + 1, end, "site-packages") || starts(s + 1, end, "dist-packages"))
            return PV_FUNCKIND_SITE; /* it lives under lib/pythonX.Y */
        /* Windows: "C:\Python37\Lib\json\", Anaconda's "...\lib\ntpath.py" */
        if (*s == '\\' ? end - s >= 5 && !strncasecmp(s + 1, "lib\\", 4)
                       : python_lib(s + 1, end))
            kind = PV_FUNCKIND_STDLIB;
    }
    return kind;
}

void pv_funckind_fill(const struct pv_profile *p, uint8_t *kinds)
{
    const struct pv_func *fn = p->funcs;
    for (uint32_t f = 0; f < p->nfuncs; f++) {
        /* Same file and both line 0 or both not (a builtin needs line 0):
         * the same answer as the neighbour's. */
        bool same = f && fn[f - 1].file == fn[f].file && !fn[f - 1].line == !fn[f].line;
        kinds[f] = same ? kinds[f - 1] : (uint8_t)pv_funckind_of(p, f);
    }
}

const char *pv_funckind_name(pv_funckind k)
{
    static const char *const names[PV_FUNCKIND_COUNT] = {
        [PV_FUNCKIND_USER] = "user",
        [PV_FUNCKIND_BUILTIN] = "builtin",
        [PV_FUNCKIND_STDLIB] = "stdlib",
        [PV_FUNCKIND_SITE] = "site-packages",
    };
    return (unsigned)k < PV_FUNCKIND_COUNT ? names[k] : "user";
}
