/* source.c - reading source lines from under the roots (see source.h). */
#include "source.h"

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vec.h"

enum { SOURCE_MAX_BYTES = 64 << 20 };

static bool under_root(const char *real, const char *root)
{
    size_t n = strlen(root);
    return !strncmp(real, root, n) && (real[n] == '/' || (n == 1 && root[0] == '/'));
}

/* tail (a relative path) under one of the roots, in real. */
static bool under_some_root(const char *const *roots, size_t nroots, const char *tail,
                            char real[PATH_MAX])
{
    for (size_t r = 0; r < nroots; r++) {
        char candidate[PATH_MAX];
        if (snprintf(candidate, sizeof candidate, "%s/%s", roots[r], tail) <
                (int)sizeof candidate &&
            realpath(candidate, real) && under_root(real, roots[r]))
            return true;
    }
    return false;
}

/* The file under a root: an absolute path as recorded first, a relative
 * one whole under each root; then by its trailing components, longest
 * first. */
static bool find(const char *const *roots, size_t nroots, const char *file, char real[PATH_MAX])
{
    if (file[0] == '/') {
        if (realpath(file, real))
            for (size_t r = 0; r < nroots; r++)
                if (under_root(real, roots[r]))
                    return true;
    } else if (file[0] && under_some_root(roots, nroots, file, real)) {
        return true;
    }
    for (const char *tail = file; (tail = strchr(tail, '/'));)
        if (*++tail && under_some_root(roots, nroots, tail, real))
            return true;
    return false;
}

void pv_source_lines_fini(struct pv_source_lines *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->lines[i]);
    free(s->lines);
    free(s->lens);
    free(s->path);
    s->lines = NULL;
    s->lens = NULL;
    s->path = NULL;
    s->n = 0;
}

/* Open real for reading only if it is a regular file of at most
 * SOURCE_MAX_BYTES.  O_NONBLOCK: opening a FIFO for reading would wait for
 * a writer, and hold a server thread until one came. */
static FILE *open_regular(const char *real)
{
    int fd = open(real, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > SOURCE_MAX_BYTES ||
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f)
        close(fd);
    return f;
}

/* Why there is no source for file, told from the words alone: whether a
 * path outside the roots exists is none of a client's business. */
static pv_code not_available(const char *const *roots, size_t nroots, const char *file,
                             bool found, pv_err *err)
{
    if (!nroots)
        return pv_err_set(err, PV_E_NOTFOUND,
                          "source not available: the server was started without --source-root");
    if (found)
        return pv_err_set(err, PV_E_NOTFOUND, "source not available: not a regular file of at "
                          "most %d MiB", SOURCE_MAX_BYTES >> 20);
    for (size_t r = 0; r < nroots; r++)
        if (under_root(file, roots[r]))
            return pv_err_set(err, PV_E_NOTFOUND,
                              "source not available: not found under its --source-root");
    if (file[0] != '/')
        return pv_err_set(err, PV_E_NOTFOUND, "source not available: a relative path, and no "
                          "--source-root folder holds it or ends like it");
    return pv_err_set(err, PV_E_NOTFOUND, "source not available: the file is outside the "
                      "--source-root folders, and no folder under them ends like its path");
}

pv_code pv_source_lines_init(struct pv_source_lines *out, const char *const *roots, size_t nroots,
                             const char *file, int64_t first, int64_t last, pv_err *err)
{
    char real[PATH_MAX];
    bool found = nroots && find(roots, nroots, file, real);
    FILE *f = found ? open_regular(real) : NULL;
    if (!f)
        return not_available(roots, nroots, file, found, err);
    struct pv_source_lines s = {.path = strdup(real)};
    size_t cap = 0, cap_lens = 0;
    char *buf = NULL;
    size_t bufcap = 0;
    ssize_t got;
    pv_code rc = s.path ? PV_OK : pv_err_set(err, PV_E_NOMEM, "out of memory");
    for (int64_t no = 1; rc == PV_OK && no <= last && (got = getline(&buf, &bufcap, f)) >= 0;
         no++) {
        if (no < first)
            continue;
        if (got > 0 && buf[got - 1] == '\n')
            got--;
        if (got > PV_SOURCE_LINE_MAX_BYTES)
            got = PV_SOURCE_LINE_MAX_BYTES;
        char *line = malloc((size_t)got + 1);
        if (!line || !pv_vec_reserve((void **)&s.lines, &cap, s.n + 1, sizeof *s.lines) ||
            !pv_vec_reserve((void **)&s.lens, &cap_lens, s.n + 1, sizeof *s.lens)) {
            free(line);
            rc = pv_err_set(err, PV_E_NOMEM, "out of memory");
            break;
        }
        memcpy(line, buf, (size_t)got);
        line[got] = '\0';
        s.lines[s.n] = line;
        s.lens[s.n++] = (size_t)got;
    }
    free(buf);
    fclose(f);
    if (rc) {
        pv_source_lines_fini(&s);
        return rc;
    }
    *out = s;
    return PV_OK;
}
