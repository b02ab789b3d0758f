/* fuzz_mprof.c - the mprof recording reader (include/mprof.h) on
 * arbitrary bytes, and the canonical JSON of what it reads (memory.h).
 *
 * Beyond "no crash, no leak, no undefined behaviour", it checks what the
 * header promises: a failure has a one-line message naming a line (or the
 * NUL byte), and what is read obeys the bounds (MiB within 2^40, times not
 * negative, line numbers going down the file). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "memory.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

static void check_failure(const pv_err *err)
{
    FUZZ_CHECK(err->msg[0] && !strchr(err->msg, '\n'), "a failure without a one-line message");
    FUZZ_CHECK(!strncmp(err->msg, "line ", 5) || strstr(err->msg, "NUL byte") ||
                   strstr(err->msg, "out of memory") || strstr(err->msg, "child processes"),
               "a message that names no line: %s", err->msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pv_mprof *m;
    pv_err err = {0};
    if (pv_mprof_parse(data, size, &m, &err)) {
        check_failure(&err);
        return 0;
    }
    FUZZ_CHECK(m->nmem >= 1, "no samples");
    for (size_t i = 0; i < m->nmem; i++)
        FUZZ_CHECK(m->mem[i].mib >= 0 && m->mem[i].mib <= PV_MPROF_MAX_MIB && m->mem[i].t >= 0 &&
                       m->mem[i].t <= PV_MPROF_MAX_T,
                   "sample %zu out of bounds", i);
    FUZZ_CHECK(m->start_t <= m->end_t && m->peak_mib >= m->mem[0].mib, "summary");
    size_t counted = 0;
    for (size_t c = 0; c < m->nchildren; c++)
        counted += m->children[c].samples;
    FUZZ_CHECK(counted == m->nchld, "children's samples %zu of %zu", counted, m->nchld);
    struct pv_memory whole = {.kind = PV_MEMORY_MPROF, .mprof = m};
    char *body = NULL, *summary = NULL;
    if (pv_memory_body_json(&whole, &body, &err) == PV_OK &&
        pv_memory_summary_json(&whole, &summary, &err) == PV_OK)
        FUZZ_CHECK(body[0] == '{' && summary[0] == '{', "JSON");
    free(body);
    free(summary);
    pv_mprof_destroy(m);
    return 0;
}
