/* marshal_text.c - the text rules of marshal values, and files that are
 * not marshal streams (see marshal.h).
 *
 * Nothing here needs a reader: these rules are shared by the decoder
 * (marshal.c), which checks and converts strings as it reads them, and by
 * its consumers, which convert Python 2 byte strings and name types in
 * their messages. */
#include "marshal.h"

#include <string.h>

/* ---- values and text ---------------------------------------------------- */

const char *pv_marshal_type_name(const pv_value *v)
{
    switch (v->type) {
    case PV_V_NONE: return "NoneType";
    case PV_V_BOOL: return "bool";
    case PV_V_INT: return "int";
    case PV_V_FLOAT: return "float";
    case PV_V_COMPLEX: return "complex";
    case PV_V_STR: return "str";
    case PV_V_BYTES: return "bytes";
    case PV_V_TUPLE: return "tuple";
    case PV_V_LIST: return "list";
    case PV_V_SET: return "set";
    case PV_V_FROZENSET: return "frozenset";
    case PV_V_DICT: return "dict";
    case PV_V_CODE: return "code";
    case PV_V_ELLIPSIS: return "ellipsis";
    case PV_V_STOPITER: return "StopIteration";
    case PV_V_SLICE: return "slice";
    }
    return "?";
}

bool pv_marshal_utf8_valid(const char *str, size_t n, bool allow_surrogates)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + n;
    while (s < end) {
        unsigned c = *s;
        if (c < 0x80) {
            s++;
            continue;
        }
        size_t need;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED && !allow_surrogates)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else
            return false;
        if ((size_t)(end - s) <= need)
            return false;
        if (s[1] < lo || s[1] > hi)
            return false;
        for (size_t k = 2; k <= need; k++)
            if (s[k] < 0x80 || s[k] > 0xBF)
                return false;
        s += need + 1;
    }
    return true;
}

size_t pv_marshal_latin1_to_utf8(const uint8_t *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x80)
            out[k++] = (char)s[i];
        else {
            out[k++] = (char)(0xC0 | s[i] >> 6);
            out[k++] = (char)(0x80 | (s[i] & 0x3F));
        }
    }
    return k;
}

/* ---- other kinds of file ------------------------------------------------ */

static bool starts(const uint8_t *buf, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && !memcmp(buf, prefix, n);
}

const char *pv_marshal_sniff(const uint8_t *buf, size_t len)
{
    if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
        return "this is a gzip file: gunzip it first";
    if (len >= 2 && buf[0] == 0x80 && buf[1] >= 2 && buf[1] <= 5)
        return "this looks like a pickle, not a marshal stats file (use pstats.Stats.dump_stats)";
    if (starts(buf, len, "version https://git-lfs"))
        return "this is a Git LFS pointer, not the profile: run `git lfs pull`";
    if (starts(buf, len, "PK\x03\x04"))
        return "this is a zip archive: extract the stats file first";
    size_t probe = len < 512 ? len : 512, text = 0;
    for (size_t i = 0; i < probe; i++)
        if ((buf[i] >= 0x20 && buf[i] < 0x7f) || buf[i] == '\n' || buf[i] == '\r' ||
            buf[i] == '\t')
            text++;
    if (probe && text == probe) {
        if (memmem(buf, probe, "<html", 5) || memmem(buf, probe, "<HTML", 5) ||
            memmem(buf, probe, "<!DOCTYPE", 9) || memmem(buf, probe, "<!doctype", 9))
            return "this is an HTML page, not a stats file";
        if (memmem(buf, probe, "function calls", 14) || memmem(buf, probe, "ncalls", 6))
            return "this is a text report (print_stats output), not a stats file: save it with "
                   "cProfile -o or dump_stats";
        return "this is a text file: neither a stats file, an mprof recording nor a "
               "memory_profiler report";
    }
    return NULL;
}
