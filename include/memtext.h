/* memtext.h - the text of memory_profiler's files, read line by line: what
 * the mprof recording reader (mprof.h) and the line report reader
 * (memlines.h) share.
 *
 * Numbers are read exactly as Python's float() reads what memory_profiler
 * wrote: a decimal token only ([+-]? digits [. digits] [e[+-]digits], or
 * [+-]? . digits ...), converted by strtod from a NUL-terminated copy, so
 * the double is the correctly rounded one float() gives.  float()'s other
 * spellings (inf, nan, "1_0", hex) are never written by memory_profiler and
 * are refused, as are values that do not fit the caller's bounds.
 *
 * Nothing here allocates, and nothing can fail but the token checks. */
#ifndef PV_MEMTEXT_H
#define PV_MEMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where reading is in a text: lineno is the number (from 1) of the line
 * pv_memtext_next_line() returned last. */
struct pv_memtext {
    const char *buf;
    size_t len, off;
    size_t lineno;
};

void pv_memtext_init(struct pv_memtext *t, const uint8_t *buf, size_t len);

/* The next line, without its "\n" (nor a "\r" before it): false at the
 * end.  A last line without "\n" counts. */
bool pv_memtext_next_line(struct pv_memtext *t, const char **line, size_t *n);

/* The longest token pv_memtext_decimal() takes (memory_profiler writes a
 * dozen characters; 64 leaves room for any precision flag). */
enum { PV_MEMTEXT_MAX_NUMBER_LEN = 64 };

/* s[0..n) as a decimal number within [lo, hi]: false for any other text,
 * a token over PV_MEMTEXT_MAX_NUMBER_LEN, or a value outside the bounds. */
bool pv_memtext_decimal(const char *s, size_t n, double lo, double hi, double *out);

/* s[0..n) as ASCII digits (an optional "-" when lo < 0) within [lo, hi]. */
bool pv_memtext_integer(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out);

/* s[0..n), for a message: at most 60 bytes then "...", bytes outside
 * printable ASCII as "?"; always NUL-terminated in buf. */
void pv_memtext_quote(const char *s, size_t n, char buf[72]);

/* Whether buf holds a NUL byte: such bytes are no text file. */
bool pv_memtext_has_nul(const uint8_t *buf, size_t len);

#endif
