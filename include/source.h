/* source.h - the lines of a profiled source file, only from under the
 * folders the server was given (--source-root).
 *
 * Function keys name files; a profile is untrusted, so its paths are too.
 * A file is read only when its realpath() lies under a root's realpath:
 * links and ".." cannot leave a root.  When the path as recorded is not
 * under a root, its trailing components are tried under each root, longest
 * first: profiles are often made elsewhere (/app/pkg/mod.py in a container
 * is pkg/mod.py under the checkout).  A relative path (cProfile records the
 * user's own script as it was named: main.py, ./pkg/mod.py) is looked for
 * under each root only, whole first, never against the server's own
 * working directory, which has nothing to do with the profiled run's. */
#ifndef PV_SOURCE_H
#define PV_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "pv.h"

struct pv_source_lines {
    char **lines;  /* without their newline; may contain NUL */
    size_t *lens;
    size_t n;
    char *path;    /* the file read: its realpath(), under a root */
};

/* A line longer than this is cut to it (minified code would otherwise
 * make one answer hundreds of megabytes). */
enum { PV_SOURCE_LINE_MAX_BYTES = 10000 };

/* Fill *out (caller memory) with lines first..last (1-based, inclusive,
 * fewer at the end of the file) of file.  roots must be realpath'd
 * folders.  PV_E_NOTFOUND when no root holds it, or it is not a regular
 * file of at most 64 MiB (a FIFO or a device is never opened for reading,
 * so it cannot block); its message says which: no roots, a path under a
 * root that is not there, a path outside them (told from the words alone:
 * nothing says whether a path outside the roots exists), or not a regular
 * file.  out->path is the file read, absolute and under a root: the only
 * path worth telling a client (a link to open it).  On success *out is
 * yours to pv_source_lines_fini();
 * on failure it is untouched. */
pv_code pv_source_lines_init(struct pv_source_lines *out, const char *const *roots, size_t nroots,
                             const char *file, int64_t first, int64_t last, pv_err *err);

/* Free what pv_source_lines_init() filled in; s is empty again. */
void pv_source_lines_fini(struct pv_source_lines *s);

#endif
