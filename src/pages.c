/* pages.c - the web UI's files for a URL (see pages.h). */
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "assets.h"

/* Files read from --web-root are for development: a size cap keeps a
 * mistake (a link to a disk image) from being read whole. */
enum { WEB_ROOT_MAX_BYTES = 64 << 20 };

static const char *type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
        {".json", "application/json"}};
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i][0]))
            return types[i][1];
    return "application/octet-stream";
}

/* root/path's bytes, malloc'd, or NULL. */
static unsigned char *read_web_file(const char *root, const char *path, size_t *len)
{
    if (strstr(path, "..") || strchr(path, '\\'))
        return NULL;
    char full[4096];
    if (snprintf(full, sizeof full, "%s%s", root, path) >= (int)sizeof full)
        return NULL;
    FILE *f = fopen(full, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || st.st_size > WEB_ROOT_MAX_BYTES) {
        if (f)
            fclose(f);
        return NULL;
    }
    unsigned char *buf = malloc((size_t)st.st_size + 1);
    *len = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    return buf;
}

pv_code pv_pages_init(struct pv_page *out, const char *web_root, const char *path, pv_err *err)
{
    if (!strcmp(path, "/"))
        path = "/index.html";
    else if (!strncmp(path, "/p/", 3))
        path = "/viewer.html";
    else if (!strncmp(path, "/diff/", 6)) /* /diff/<a>/<b>: the page checks the ids */
        path = "/diff.html";
    else if (!strncmp(path, "/m/", 3)) /* /m/<id>: memory data on its own */
        path = "/memory.html";
    if (web_root) {
        /* The bundles are built, not in web/: while developing, the page
         * loads its entry module and each module it imports as they are
         * (their relative imports stay under /js/bundle/, mapped here too). */
        char module[4096];
        if (!strncmp(path, "/js/bundle/", 11) &&
            snprintf(module, sizeof module, "/js%s", path + 10) < (int)sizeof module)
            path = module; /* "/js/bundle/ui/viewer.js" -> "/js/ui/viewer.js" */
        size_t len;
        unsigned char *data = read_web_file(web_root, path, &len);
        if (!data)
            return pv_err_set(err, PV_E_NOTFOUND, "no such page");
        *out = (struct pv_page){.content_type = type_of(path), .data = data, .len = len,
                                .owned = data};
        return PV_OK;
    }
    for (const struct pv_asset *a = PV_ASSETS; a->path; a++)
        if (!strcmp(a->path, path)) {
            *out = (struct pv_page){.content_type = a->content_type, .etag = a->etag,
                                    .data = a->data, .len = a->len};
            return PV_OK;
        }
    return pv_err_set(err, PV_E_NOTFOUND, "no such page");
}

void pv_pages_fini(struct pv_page *pg)
{
    free(pg->owned);
    *pg = (struct pv_page){0};
}
