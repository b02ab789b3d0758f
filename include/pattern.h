/* pattern.h - regular expressions from users, compiled within bounds.
 *
 * The function table's q= and the CLI's --callers/--callees take a POSIX
 * extended regular expression.  glibc's regcomp expands counted repetition
 * into copies of the repeated node, so `a{1,32767}` alone took 8 GB, and a
 * back-reference makes matching exponential.  Before regcomp sees a pattern
 * this checks its length, refuses back-references, bounds every {m,n} and
 * the size the pattern expands to (an atom repeated inside repeated groups
 * counts once per copy).  What passes compiles to a few hundred nodes and
 * matches a label in time linear in the label. */
#ifndef PV_PATTERN_H
#define PV_PATTERN_H

#include <regex.h>
#include <stdbool.h>

#include "pv.h"

enum {
    PV_PATTERN_MAX_BYTES = 1000,  /* the pattern's own length */
    PV_PATTERN_MAX_REPEAT = 100,  /* m and n of {m,n} */
    PV_PATTERN_MAX_EXPANDED = 2000, /* atoms after expanding repetition */
};

/* Compile src (REG_EXTENDED | REG_NOSUB, and REG_ICASE when ignore_case).
 * On success *out is yours (regfree).  PV_E_USAGE with a message saying
 * what is wrong ("bad regular expression: ...", or which bound was
 * passed), and *out untouched, on failure. */
pv_code pv_pattern_compile(const char *src, bool ignore_case, regex_t *out, pv_err *err);

#endif
