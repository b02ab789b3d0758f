/* profile_json.c - a profile's functions as cJSON values (see
 * profile_json.h). */
#include "profile_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "funckind.h"
#include "jsonw.h"

cJSON *pv_profile_json_bytes(const char *s, size_t n)
{
    /* Most names are printable ASCII: cJSON escapes those itself. */
    size_t plain = 0;
    while (plain < n && s[plain] >= 0x20 && s[plain] < 0x7f)
        plain++;
    char small[256];
    if (plain == n && n < sizeof small) {
        memcpy(small, s, n); /* s need not end at n */
        small[n] = '\0';
        return cJSON_CreateString(small);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return cJSON_CreateNull();
    pv_jsonw_string(f, s, n);
    fclose(f);
    cJSON *j = buf ? cJSON_CreateRaw(buf) : cJSON_CreateNull();
    free(buf);
    return j;
}

cJSON *pv_profile_json_view_text(const char *s, size_t n)
{
    if (n <= PV_VIEW_TEXT_MAX)
        return pv_profile_json_bytes(s, n);
    size_t cut = pv_profile_text_cut(s, n, PV_VIEW_TEXT_MAX);
    char *buf = malloc(cut + 4);
    if (!buf)
        return cJSON_CreateNull();
    memcpy(buf, s, cut);
    memcpy(buf + cut, "\xe2\x80\xa6", 3); /* U+2026 */
    cJSON *j = pv_profile_json_bytes(buf, cut + 3);
    free(buf);
    return j;
}

/* Counts and line numbers are integers up to 2^63: written exactly, not
 * through a double (2^62 came back as 4.6116860184273879e+18). */
void pv_profile_json_int(cJSON *o, const char *key, int64_t v)
{
    char digits[24];
    snprintf(digits, sizeof digits, "%" PRId64, v);
    cJSON_AddItemToObject(o, key, cJSON_CreateRaw(digits));
}

void pv_profile_json_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_str(cJSON *o, const char *key, const struct pv_profile *p, uint32_t handle)
{
    size_t n;
    const char *s = pv_profile_str(p, handle, &n);
    cJSON_AddItemToObject(o, key, pv_profile_json_view_text(s, n));
}

static void add_label(cJSON *o, const struct pv_profile *p, uint32_t fid)
{
    size_t n;
    char *label = pv_profile_label_dup(p, fid, PV_VIEW_TEXT_MAX, &n);
    cJSON_AddItemToObject(o, "label",
                          label ? pv_profile_json_view_text(label, n) : cJSON_CreateNull());
    free(label);
}

void pv_profile_json_func(cJSON *o, const struct pv_profile *p, uint32_t fid)
{
    const struct pv_func *f = &p->funcs[fid];
    cJSON_AddNumberToObject(o, "fid", fid);
    add_str(o, "file", p, f->file);
    pv_profile_json_int(o, "line", f->line);
    add_str(o, "name", p, f->name);
    add_label(o, p, fid);
    cJSON_AddStringToObject(o, "kind", pv_funckind_name(pv_funckind_of(p, fid)));
}

cJSON *pv_profile_json_entries(const struct pv_profile *p, const struct pv_entry *entries,
                               size_t nentries)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < nentries; i++) {
        cJSON *e = cJSON_CreateObject();
        pv_profile_json_func(e, p, entries[i].fid);
        pv_profile_json_num(e, "value", entries[i].value);
        cJSON_AddItemToArray(list, e);
    }
    return list;
}
