/* source.h - the lines of a profiled source file, only from under the
 * folders the server was given (--source-root).
 *
 * Function keys name files; a profile is untrusted, so its paths are too.
 * A file is read only when its realpath() lies under a root's realpath:
 * links and ".." cannot leave a root.  When the path as recorded is not
 * under a root, its trailing components are tried under each root, longest
 * first: profiles are often made elsewhere (/app/pkg/mod.py in a container
 * is pkg/mod.py under the checkout). */
#ifndef PV_SOURCE_H
#define PV_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "pv.h"

struct pv_source_lines {
    char **lines;  /* without their newline; may contain NUL */
    size_t *lens;
    size_t n;
};

/* A line longer than this is cut to it (minified code would otherwise
 * make one answer hundreds of megabytes). */
enum { PV_SOURCE_LINE_MAX_BYTES = 10000 };

/* Lines first..last (1-based, inclusive, fewer at the end of the file) of
 * file.  roots must be realpath'd folders.  PV_E_NOTFOUND when no root
 * holds it, or it is not a regular file of at most 64 MiB (a FIFO or a
 * device is never opened for reading, so it cannot block).  On success
 * free *out with pv_source_fini(). */
pv_code pv_source_read(const char *const *roots, size_t nroots, const char *file, int64_t first,
                       int64_t last, struct pv_source_lines *out, pv_err *err);
void pv_source_fini(struct pv_source_lines *s);

#endif
