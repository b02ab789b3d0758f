/* funckind.h - what kind of function a profile entry is (user code, a
 * builtin, the standard library, an installed package), told from its key
 * alone.  The call tree folds hidden kinds into their callers, and every
 * view that lists a function (the tree, the function table) names its
 * kind.  Only reads the profile: safe on any number of threads. */
#ifndef PV_FUNCKIND_H
#define PV_FUNCKIND_H

#include <stdint.h>

#include "profile.h"

typedef enum {
    PV_FUNCKIND_USER,
    PV_FUNCKIND_BUILTIN,
    PV_FUNCKIND_STDLIB,
    PV_FUNCKIND_SITE,
} pv_funckind;

enum { PV_FUNCKIND_COUNT = PV_FUNCKIND_SITE + 1 };

/* What a function is, from its key alone:
 *   builtin   file "~" (cProfile), or file "" with line 0 (the pure-Python
 *             `profile` module's ('', 0, 'len'))
 *   site      a path with a site-packages or dist-packages directory
 *             (after '/' or '\')
 *   stdlib    a "<frozen ...>" pseudo file, or a path with /lib/pythonX.Y/
 *             or /lib64/pythonX.Y/ (X = 2 or 3; also /lib/python3/), or a
 *             Windows path with a \lib\ directory (any case: "\Lib\",
 *             Anaconda's "\lib\")
 *   user      anything else.
 * site is checked before stdlib, since site-packages lives under lib/.
 * Only the first 4096 bytes of a file name are looked at (PATH_MAX).
 * fid must be < p->nfuncs.  Cannot fail. */
pv_funckind pv_funckind_of(const struct pv_profile *p, uint32_t fid);

/* Every function's kind: kinds[fid] for fid < p->nfuncs (the caller's
 * array).  The same as pv_funckind_of() for each, but a file's functions,
 * which are neighbours in fid order, share one look at the file name (a
 * malformed file in the corpus has 20,000 functions in one 1 MiB "file").
 * Cannot fail. */
void pv_funckind_fill(const struct pv_profile *p, uint8_t *kinds);

/* "user", "builtin", "stdlib" or "site-packages", the API's words: a
 * static string ("user" for a value out of range). */
const char *pv_funckind_name(pv_funckind k);

#endif
