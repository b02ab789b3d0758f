/* mprof.h - an `mprof run` recording (mprofile_<time>.dat), read strictly.
 *
 * The format, as memory_profiler 0.61 writes it (mprof.py's run and
 * memory_profiler.py's memory_usage and TimeStamper.show_results), one
 * record a line, fields separated by one space:
 *
 *   CMDLINE <text>                          the command, once (rest of the line)
 *   MEM <MiB> <unix time>                   a sample of the main process
 *   FUNC <module.function> <MiB> <t> <MiB> <t> [<level>]
 *                                           a call of an @profile function:
 *                                           memory and time at entry, at exit,
 *                                           and its nesting level (0.61 on)
 *   CHLD <index> <MiB> <unix time>          a sample of a child process
 *                                           (--include-children/--multiprocess)
 *
 * The FUNC lines come first when the program ends before the first sample,
 * since the profiled process appends them itself; CMDLINE and MEM follow.
 * mprof's own reader (read_mprofile_file) ignores other lines and extra
 * fields and stops at a blank line; this one refuses all three, and a
 * second CMDLINE (two runs appended to one file), with "line N: expected
 * ..., got ..." in err.  Numbers are read as float() reads them
 * (memtext.h); MiB must lie in [0, PV_MPROF_MAX_MIB], times in
 * [0, PV_MPROF_MAX_T].
 *
 * Work and memory are linear in the input: a sample costs 16 bytes (24 for
 * a child's). */
#ifndef PV_MPROF_H
#define PV_MPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pv.h"

#define PV_MPROF_MAX_MIB 1099511627776.0 /* 2^40 MiB: a yottabyte */
#define PV_MPROF_MAX_T 1e11              /* Unix time in the year 5138 */
enum { PV_MPROF_MAX_LINE_BYTES = 1 << 16 };

struct pv_mprof_sample {
    double mib, t;
};

struct pv_mprof_child_sample {
    int64_t pid; /* mprof's child index, as written */
    double mib, t;
};

struct pv_mprof_func {
    char *name; /* malloc'd */
    double start_mib, start_t, end_mib, end_t;
    int64_t level; /* -1: not written (before 0.61) */
};

/* A child's summary: its samples in file order, in one run of them. */
struct pv_mprof_child {
    int64_t pid;
    size_t samples;
    double peak_mib;
};

struct pv_mprof {
    char *cmdline; /* malloc'd, or NULL when the file has none */
    struct pv_mprof_sample *mem; /* in file order */
    size_t nmem;                 /* at least 1 */
    struct pv_mprof_func *funcs; /* in file order */
    size_t nfuncs;
    struct pv_mprof_child_sample *chld; /* in file order */
    size_t nchld;
    struct pv_mprof_child *children; /* in the order they first appear */
    size_t nchildren;
    /* of the main process's samples, the largest (the first, if tied);
     * the recording's span: the smallest and largest time of those samples
     * and the FUNC brackets */
    double peak_mib, peak_t, start_t, end_t;
};

/* Whether buf looks like a recording: its first non-blank line starts with
 * "CMDLINE ", "MEM ", "FUNC " or "CHLD ".  Cannot fail. */
bool pv_mprof_sniff(const uint8_t *buf, size_t len);

/* Read a recording.  On success *out is yours (pv_mprof_destroy); on
 * failure *out is untouched and err names the line. */
pv_code pv_mprof_parse(const uint8_t *buf, size_t len, struct pv_mprof **out, pv_err *err);

void pv_mprof_destroy(struct pv_mprof *m);

#endif
