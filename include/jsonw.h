/* jsonw.h - the one JSON writer for answers written as they go: strings and
 * numbers to a FILE*, and how many bytes each takes.
 *
 * Exports, reports and trees are written piece by piece (a canonical export
 * can be 211 MB) and sized before a byte is written (export.h), so each
 * value has a writer and a measure that agree byte for byte.  Structure
 * (braces, commas, keys) is the caller's fixed text.  A document that is
 * built whole and then printed (an API answer, the store's warnings) uses
 * cJSON instead.
 *
 * The text is Python's, since tests/oracle.py is the reference:
 *  - strings are ASCII only, as json.dumps writes them: \uXXXX escapes,
 *    surrogate pairs above U+FFFF, lone surrogates kept as their code
 *    (surrogatepass).  Bytes that are not UTF-8 (upload names and source
 *    lines may be any bytes) become U+FFFD, one per broken sequence: a
 *    lead byte and the continuation bytes that fit it;
 *  - doubles as repr() writes them (the shortest text that reads back the
 *    same, "1.0" not "1"), NaN, Infinity and -Infinity as the json module
 *    writes them; or, where no oracle reads them back and speed matters
 *    (trees), as cJSON writes numbers (pv_jsonw_number).
 *
 * Every function here cannot fail; a write error shows in ferror(out). */
#ifndef PV_JSONW_H
#define PV_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hashmap.h"

/* The most bytes pv_jsonw_double() writes: "-1.2345678901234567e-308". */
enum { PV_JSONW_DOUBLE_MAX_LEN = 24 };

/* s[0..n) as a JSON string, quotes included; s may hold NUL bytes. */
void pv_jsonw_string(FILE *out, const char *s, size_t n);
/* How many bytes pv_jsonw_string() writes for s[0..n). */
size_t pv_jsonw_string_len(const char *s, size_t n);

void pv_jsonw_int(FILE *out, int64_t v);
/* The bytes of v in decimal, "-" included. */
size_t pv_jsonw_int_len(int64_t v);

void pv_jsonw_double(FILE *out, double v);
/* The text pv_jsonw_double() writes, NUL-terminated, in buf. */
void pv_jsonw_format_double(double v, char buf[32]);

/* v as cJSON writes numbers: 15 significant digits when they read back the
 * same, else 17 (which always do); null when v is not finite.  At most
 * PV_JSONW_DOUBLE_MAX_LEN bytes.  Not the shortest text: that search costs
 * twice as much, and numbers are most of a tree's writing time. */
void pv_jsonw_number(FILE *out, double v);
/* The text pv_jsonw_number() writes, NUL-terminated, in buf; returns buf. */
const char *pv_jsonw_format_number(double v, char buf[32]);

void pv_jsonw_bool(FILE *out, bool b);
/* 4 for true, 5 for false. */
size_t pv_jsonw_bool_len(bool b);

/* pv_jsonw_string_len() of strings the caller names by a key (a profile's
 * string handle, say), each string longer than 64 bytes measured once: a
 * 1 MiB file name shared by 20,000 functions is scanned once, not 20,000
 * times, so sizing an answer does not cost what writing it would.  Shorter
 * strings are measured every time, which is cheaper than looking them up.
 *
 * The memo lives in caller memory: init cannot fail (it allocates
 * nothing), fini frees what get kept.  A key must always name the same
 * bytes.  Out of memory, get measures again instead of remembering: slower,
 * never wrong. */
struct pv_jsonw_lengths {
    struct pv_hashmap map; /* a key's hash -> its index in known */
    struct pv_jsonw_known {
        uint32_t key;
        uint64_t len;
    } *known;
    size_t nknown, cap;
};
void pv_jsonw_lengths_init(struct pv_jsonw_lengths *l);
uint64_t pv_jsonw_lengths_get(struct pv_jsonw_lengths *l, uint32_t key, const char *s,
                              size_t n);
void pv_jsonw_lengths_fini(struct pv_jsonw_lengths *l);

#endif
