/* jsonw.c - the one JSON writer for streamed answers: strings and numbers
 * written and measured (see jsonw.h). */
#include "jsonw.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vec.h"

/* ---- strings ------------------------------------------------------------ */

static bool plain(unsigned c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* "\uXXXX" in lower-case hex, as Python writes it. */
static size_t put_u(char *out, unsigned code)
{
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'u';
    for (int k = 0; k < 4; k++)
        out[2 + k] = hex[code >> (12 - 4 * k) & 15];
    return 6;
}

/* The escape of the character that starts at s[i], which is not plain: its
 * text in esc (a surrogate pair is the longest) and *len, and how many bytes
 * of s it stands for.  The writer and the measure both call this, so they
 * cannot disagree. */
static size_t escape_at(const unsigned char *s, size_t n, size_t i, char esc[12], size_t *len)
{
    unsigned c = s[i];
    if (c < 0x80) {
        static const char SHORT[][3] = {['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n",
                                        ['\r'] = "\\r", ['\t'] = "\\t", ['\b'] = "\\b",
                                        ['\f'] = "\\f"};
        if (c < sizeof SHORT / sizeof SHORT[0] && SHORT[c][0]) {
            memcpy(esc, SHORT[c], 2);
            *len = 2;
        } else
            *len = put_u(esc, c);
        return 1;
    }
    /* Decode one (surrogatepass) UTF-8 sequence.  A broken sequence (its
     * lead and the continuation bytes that fit) is one U+FFFD, and never
     * swallows the bytes after it. */
    size_t want = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                : c >= 0xF0 && c <= 0xF4 ? 4 : 1;
    /* the second byte's range excludes overlong forms and > U+10FFFF */
    unsigned lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    size_t k = 1;
    while (want > 1 && k < want && i + k < n && s[i + k] >= (k == 1 ? lo : 0x80) &&
           s[i + k] <= (k == 1 ? hi : 0xBF))
        k++;
    if (want == 1 || k < want) {
        *len = put_u(esc, 0xFFFD);
        return k;
    }
    uint32_t cp = want == 2 ? c & 0x1F : want == 3 ? c & 0x0F : c & 0x07;
    for (k = 1; k < want; k++)
        cp = cp << 6 | (s[i + k] & 0x3F);
    if (cp >= 0x10000) {
        cp -= 0x10000;
        *len = put_u(esc, 0xD800 + (cp >> 10));
        *len += put_u(esc + 6, 0xDC00 + (cp & 0x3FF));
    } else
        *len = put_u(esc, cp);
    return want;
}

void pv_jsonw_string(FILE *out, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        /* names are mostly plain ASCII: one write per run */
        size_t run = i;
        while (run < n && plain(s[run]))
            run++;
        if (run > i) {
            fwrite(s + i, 1, run - i, out);
            i = run;
            continue;
        }
        char esc[12];
        size_t len;
        i += escape_at(s, n, i, esc, &len);
        fwrite(esc, 1, len, out);
    }
    fputc('"', out);
}

size_t pv_jsonw_string_len(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t total = 2;
    for (size_t i = 0; i < n;) {
        if (plain(s[i])) {
            total++;
            i++;
            continue;
        }
        char esc[12];
        size_t len;
        i += escape_at(s, n, i, esc, &len);
        total += len;
    }
    return total;
}

/* ---- numbers ------------------------------------------------------------ */

void pv_jsonw_int(FILE *out, int64_t v)
{
    char buf[24];
    size_t at = sizeof buf;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        buf[--at] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        buf[--at] = '-';
    fwrite(buf + at, 1, sizeof buf - at, out);
}

size_t pv_jsonw_int_len(int64_t v)
{
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t n = v < 0 ? 2 : 1;
    while (u >= 10) {
        u /= 10;
        n++;
    }
    return n;
}

void pv_jsonw_format_double(double v, char buf[32])
{
    if (isnan(v)) {
        strcpy(buf, "NaN");
        return;
    }
    if (isinf(v)) {
        strcpy(buf, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    /* Shortest digits that read back the same: more digits never stop
     * round-tripping, so a binary search over 1..17 finds it.  Times
     * computed by division mostly need 16 or 17 digits: trying 15 and 16
     * first settles those in two tries instead of five (a 100,000-node
     * tree's JSON spent most of its time here). */
    int lo = 1, hi = 17;
    for (int p = 16; p >= 15 && lo < hi; p--) {
        int n = snprintf(buf, 32, "%.*g", p, v);
        if (n > 0 && n < 32 && strtod(buf, NULL) == v)
            hi = p;
        else {
            lo = p + 1;
            break;
        }
    }
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        /* %.17g of a double is at most 24 characters: the checks only
         * tell the compiler so */
        int n = snprintf(buf, 32, "%.*g", mid, v);
        if (n > 0 && n < 32 && strtod(buf, NULL) == v)
            hi = mid;
        else
            lo = mid + 1;
    }
    /* Those digits where repr puts them (Python/pystrtod.c, mode 'r'):
     * d.ddde+XX for exponents below -4 or from 16 on, else without an
     * exponent and with at least one digit after the point: 100.0, where
     * %g would write 1e+02. */
    char sci[32];
    if (snprintf(sci, sizeof sci, "%.*e", lo - 1, v) >= (int)sizeof sci)
        sci[31] = '\0';
    char *e = strchr(sci, 'e');
    int exp = e ? atoi(e + 1) : 0;
    if (!e || exp < -4 || exp >= 16) {
        strcpy(buf, sci);
        return;
    }
    char digits[24];
    size_t nd = 0;
    for (const char *c = sci; c < e; c++)
        if (*c >= '0' && *c <= '9')
            digits[nd++] = *c;
    size_t at = 0;
    if (sci[0] == '-')
        buf[at++] = '-';
    if (exp < 0) {
        buf[at++] = '0';
        buf[at++] = '.';
        for (int z = exp; z < -1; z++)
            buf[at++] = '0';
        memcpy(buf + at, digits, nd);
        at += nd;
    } else {
        /* exp + 1 digits before the point, zeros where the digits end */
        for (size_t k = 0; k <= (size_t)exp; k++)
            buf[at++] = k < nd ? digits[k] : '0';
        buf[at++] = '.';
        if (nd > (size_t)exp + 1) {
            memcpy(buf + at, digits + exp + 1, nd - (size_t)exp - 1);
            at += nd - (size_t)exp - 1;
        } else
            buf[at++] = '0';
    }
    buf[at] = '\0';
}

void pv_jsonw_double(FILE *out, double v)
{
    char buf[32];
    pv_jsonw_format_double(v, buf);
    fputs(buf, out);
}

const char *pv_jsonw_format_number(double v, char buf[32])
{
    if (!isfinite(v)) {
        strcpy(buf, "null");
        return buf;
    }
    int n = snprintf(buf, 32, "%.15g", v);
    if (n <= 0 || n >= 32 || strtod(buf, NULL) != v)
        snprintf(buf, 32, "%.17g", v);
    return buf;
}

void pv_jsonw_number(FILE *out, double v)
{
    char buf[32];
    fputs(pv_jsonw_format_number(v, buf), out);
}

void pv_jsonw_bool(FILE *out, bool b)
{
    fputs(b ? "true" : "false", out);
}

size_t pv_jsonw_bool_len(bool b)
{
    return b ? 4 : 5;
}

/* ---- lengths remembered ------------------------------------------------- */

/* Strings up to this long are measured every time: looking them up would
 * cost more than the scan. */
enum { MEMO_MIN_BYTES = 64 };

void pv_jsonw_lengths_init(struct pv_jsonw_lengths *l)
{
    *l = (struct pv_jsonw_lengths){.known = NULL};
    pv_hashmap_init(&l->map);
}

void pv_jsonw_lengths_fini(struct pv_jsonw_lengths *l)
{
    pv_hashmap_fini(&l->map);
    free(l->known);
    pv_jsonw_lengths_init(l);
}

uint64_t pv_jsonw_lengths_get(struct pv_jsonw_lengths *l, uint32_t key, const char *s, size_t n)
{
    if (n <= MEMO_MIN_BYTES)
        return pv_jsonw_string_len(s, n);
    /* room first: growing the map voids a probe under way */
    bool room = pv_hashmap_reserve(&l->map, 1) &&
                pv_vec_reserve((void **)&l->known, &l->cap, l->nknown + 1, sizeof *l->known);
    struct pv_hashmap_probe pr = pv_hashmap_probe(&l->map, pv_hashmap_mix(key));
    uint32_t at;
    while (pv_hashmap_next(&l->map, &pr, &at))
        if (l->known[at].key == key)
            return l->known[at].len;
    uint64_t len = pv_jsonw_string_len(s, n);
    if (room) {
        pv_hashmap_insert(&l->map, &pr, (uint32_t)l->nknown);
        l->known[l->nknown++] = (struct pv_jsonw_known){.key = key, .len = len};
    }
    return len;
}
