/* fuzz_memlines.c - the memory_profiler line report reader (include/memlines.h) on
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
    struct pv_memlines *r;
    pv_err err = {0};
    if (pv_memlines_parse(data, size, &r, &err)) {
        check_failure(&err);
        return 0;
    }
    FUZZ_CHECK(r->nfuncs >= 1, "no functions");
    size_t rows = 0;
    for (size_t i = 0; i < r->nfuncs; i++) {
        const struct pv_memlines_func *f = &r->funcs[i];
        FUZZ_CHECK(f->first_row == rows && f->nrows >= 1, "function %zu's rows", i);
        FUZZ_CHECK(f->first_line <= f->last_line &&
                           (!f->max_inc_line || f->max_inc_line >= f->first_line) &&
                       f->max_inc_line <= f->last_line,
                   "function %zu's lines", i);
        for (size_t k = 1; k < f->nrows; k++)
            FUZZ_CHECK(r->rows[f->first_row + k].line > r->rows[f->first_row + k - 1].line,
                       "rows go up the file");
        rows += f->nrows;
    }
    FUZZ_CHECK(rows == r->nrows, "rows %zu of %zu", rows, r->nrows);
    for (size_t k = 0; k < r->nrows; k++)
        FUZZ_CHECK(!r->rows[k].measured ||
                       (r->rows[k].mem >= 0 && r->rows[k].mem <= r->peak_mib &&
                        fabs(r->rows[k].inc) <= PV_MEMLINES_MAX_MIB),
                   "row %zu out of bounds", k);
    struct pv_memory whole = {.kind = PV_MEMORY_LINES, .lines = r};
    char *body = NULL, *summary = NULL;
    if (pv_memory_body_json(&whole, &body, &err) == PV_OK &&
        pv_memory_summary_json(&whole, &summary, &err) == PV_OK)
        FUZZ_CHECK(body[0] == '{' && summary[0] == '{', "JSON");
    free(body);
    free(summary);
    pv_memlines_destroy(r);
    return 0;
}
