/* profile_json.h - a profile's functions as cJSON values, as every answer
 * and the stored metadata show them: a function's identifying fields, the
 * entry points' list, and the values they are made of.
 *
 * Below the API and the import pipeline, which both use it: the import
 * stores the entry points' list with the profile's row, the API answers
 * it when the row has none.  Names and paths are untrusted bytes (NUL,
 * lone surrogates, invalid UTF-8): they are escaped by pv_jsonw_string,
 * never handed to cJSON as C strings.  Views show names, they do not
 * archive them: text over PV_VIEW_TEXT_MAX is cut and ends in U+2026.
 * Counts and line numbers are written as exact integers, not through a
 * double.  A value that cannot be made (out of memory) is null, or the
 * function returns NULL where it says so. */
#ifndef PV_PROFILE_JSON_H
#define PV_PROFILE_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "tree.h"

/* A JSON string of the n bytes at s, escaped as pv_jsonw_string escapes
 * them; the whole text. */
cJSON *pv_profile_json_bytes(const char *s, size_t n);

/* The same, cut as views show names (PV_VIEW_TEXT_MAX). */
cJSON *pv_profile_json_view_text(const char *s, size_t n);

/* v into o under key, written exactly (not through a double). */
void pv_profile_json_int(cJSON *o, const char *key, int64_t v);

/* v into o under key; null when v is not finite. */
void pv_profile_json_num(cJSON *o, const char *key, double v);

/* A function's "fid", "file", "line", "name", "label" and "kind" into o,
 * as every answer writes them (names cut as views show them). */
void pv_profile_json_func(cJSON *o, const struct pv_profile *p, uint32_t fid);

/* The entry points of p as the metadata shows them: [{"fid", "file",
 * "line", "name", "label", "kind", "value"}]; NULL when out of memory. */
cJSON *pv_profile_json_entries(const struct pv_profile *p, const struct pv_entry *entries,
                               size_t nentries);

#endif
