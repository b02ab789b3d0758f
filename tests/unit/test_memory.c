/* Unit tests of the memory data readers (mprof.h, memlines.h) and their
 * JSON (memory.h): real memory_profiler 0.61 output and the old format
 * read exactly; every malformed line refused with its number. */
#include <stdlib.h>
#include <string.h>

#include "api_memory.h"
#include "check.h"
#include "memory.h"

static const char MPROF_061[] =
    "FUNC __main__.grow 21.6016 1796596864.9636 21.6992 1796596865.5159 0\n"
    "CMDLINE /usr/bin/python3 alloc.py\n"
    "MEM 0.195312 1796596864.0825\n"
    "MEM 51.265625 1796596866.0186\n"
    "CHLD 0 3.5 1796596864.1\n"
    "CHLD 1 4.25 1796596864.2\n"
    "CHLD 0 7.5 1796596864.3\n"
    "MEM 0.000000 1796596866.1665\n";

static const char LINES_061[] =
    "program output first\n"
    "Filename: alloc.py\n"
    "\n"
    "Line #    Mem usage    Increment  Occurrences   Line Contents\n"
    "=============================================================\n"
    "     1   21.711 MiB    1.707 MiB           2   @profile\n"
    "     2                                         def grow():\n"
    "     3   31.711 MiB   19.996 MiB           2       a = [0] * 10\n"
    "     4   51.715 MiB   39.996 MiB           2       b = bytearray(20)\n"
    "     5   51.703 MiB  -10.016 MiB           2       del a\n"
    "     6                                         \n"
    "\n"
    "\n";

static const char LINES_OLD[] =
    "Filename: old.py\n"
    "\n"
    "Line #    Mem usage    Increment   Line Contents\n"
    "================================================\n"
    "    10     9.50 MB      0.00 MB   @profile\n"
    "    11                             async def old(x):\n"
    "    12    19.50 MB     10.00 MB       y = x * 2\n"
    "\n";

static pv_code parse(const char *text, struct pv_memory **m, pv_err *err)
{
    return pv_memory_parse((const uint8_t *)text, strlen(text), m, err);
}

static void mprof_061_is_read_exactly(void)
{
    const char *name = "mprof_061_is_read_exactly";
    struct pv_memory *m;
    pv_err err = {0};
    CHECK(parse(MPROF_061, &m, &err) == PV_OK, name, "%s", err.msg);
    if (err.code)
        return;
    const struct pv_mprof *p = m->mprof;
    CHECK(m->kind == PV_MEMORY_MPROF && p->nmem == 3 && p->nfuncs == 1 && p->nchld == 3, name,
          "counts %zu %zu %zu", p->nmem, p->nfuncs, p->nchld);
    CHECK(p->mem[1].mib == 51.265625 && p->mem[1].t == 1796596866.0186, name, "a sample");
    CHECK(p->peak_mib == 51.265625 && p->peak_t == 1796596866.0186, name, "peak");
    CHECK(p->start_t == 1796596864.0825 && p->end_t == 1796596866.1665, name, "span");
    CHECK(!strcmp(p->cmdline, "/usr/bin/python3 alloc.py"), name, "cmdline %s", p->cmdline);
    CHECK(!strcmp(p->funcs[0].name, "__main__.grow") && p->funcs[0].level == 0 &&
              p->funcs[0].end_mib == 21.6992,
          name, "func");
    CHECK(p->nchildren == 2 && p->children[0].pid == 0 && p->children[0].samples == 2 &&
              p->children[0].peak_mib == 7.5 && p->children[1].samples == 1,
          name, "children");
    char *body;
    CHECK(pv_memory_body_json(m, &body, &err) == PV_OK, name, "%s", err.msg);
    CHECK(strstr(body, "\"peak\":{\"mib\":51.265625,\"t\":1796596866.0186}") != NULL, name,
          "body %s", body);
    free(body);
    pv_memory_destroy(m);
}

/* As mprof wrote it on a fast machine: samples every 0.1 s, the calls
 * shorter.  The last one starts after the last sample, and the first
 * ends before the second sample: the span reaches both ends. */
static const char MPROF_CALLS_BETWEEN_SAMPLES[] =
    "FUNC __main__.f 21.6406 1796652777.0800 21.6406 1796652777.1401 0\n"
    "FUNC __main__.f 21.6406 1796652777.2900 41.6289 1796652777.3144 0\n"
    "CMDLINE /usr/bin/python3 rule_policy.py 20\n"
    "MEM 0.195312 1796652777.0729\n"
    "MEM 21.640625 1796652777.1732\n"
    "MEM 41.628906 1796652777.2735\n";

static void span_covers_calls_after_the_last_sample(void)
{
    const char *name = "span_covers_calls_after_the_last_sample";
    struct pv_memory *m;
    pv_err err = {0};
    CHECK(parse(MPROF_CALLS_BETWEEN_SAMPLES, &m, &err) == PV_OK, name, "%s", err.msg);
    if (err.code)
        return;
    const struct pv_mprof *p = m->mprof;
    CHECK(p->start_t == 1796652777.0729 && p->end_t == 1796652777.3144, name,
          "span %.4f..%.4f", p->start_t, p->end_t);
    CHECK(p->peak_mib == 41.628906 && p->peak_t == 1796652777.2735, name,
          "the peak is a sample's");
    pv_memory_destroy(m);
}

static void lines_061_is_read_exactly(void)
{
    const char *name = "lines_061_is_read_exactly";
    struct pv_memory *m;
    pv_err err = {0};
    CHECK(parse(LINES_061, &m, &err) == PV_OK, name, "%s", err.msg);
    if (err.code)
        return;
    const struct pv_memlines *r = m->lines;
    CHECK(r->nfuncs == 1 && r->nrows == 6 && !r->unit_mb && r->has_occurrences, name, "counts");
    const struct pv_memlines_func *f = &r->funcs[0];
    CHECK(!strcmp(f->file, "alloc.py") && f->name && !strcmp(f->name, "grow"), name, "names");
    CHECK(f->first_line == 1 && f->last_line == 6 && f->max_inc_line == 4, name, "lines");
    CHECK(r->rows[4].inc == -10.016 && r->rows[4].occ == 2 && r->rows[4].mem == 51.703, name,
          "row 5");
    CHECK(!r->rows[1].measured && !strcmp(r->rows[1].text, "def grow():"), name, "row 2: %s",
          r->rows[1].text);
    CHECK(!strcmp(r->rows[2].text, "    a = [0] * 10"), name, "row 3 text: [%s]",
          r->rows[2].text);
    CHECK(r->rows[5].text_len == 0, name, "an empty source line");
    CHECK(r->peak_mib == 51.715, name, "peak %g", r->peak_mib);
    char *body;
    CHECK(pv_memory_body_json(m, &body, &err) == PV_OK, name, "%s", err.msg);
    CHECK(strstr(body, "{\"line\":2,\"mem\":null,\"inc\":null,\"occ\":null,\"text\":\"def grow():\"}"),
          name, "body %s", body);
    free(body);
    pv_memory_destroy(m);
}

static void old_format_has_mb_and_no_occurrences(void)
{
    const char *name = "old_format_has_mb_and_no_occurrences";
    struct pv_memory *m;
    pv_err err = {0};
    CHECK(parse(LINES_OLD, &m, &err) == PV_OK, name, "%s", err.msg);
    if (err.code)
        return;
    const struct pv_memlines *r = m->lines;
    CHECK(r->unit_mb && !r->has_occurrences && r->nrows == 3, name, "format");
    CHECK(r->rows[2].inc == 10.0 && r->rows[2].occ == -1, name, "row");
    CHECK(r->funcs[0].name && !strcmp(r->funcs[0].name, "old"), name, "async def");
    CHECK(!strcmp(r->rows[1].text, "async def old(x):"), name, "text [%s]", r->rows[1].text);
    pv_memory_destroy(m);
}

/* Each input is refused, and the message says this. */
static const struct {
    const char *name, *input, *message;
} REFUSED[] = {
    {"not_memory_data_is_a_shape_error", "hello\n", "neither a stats file"},
    {"mem_with_text_names_its_line", "CMDLINE x\nMEM 1.0 2.0\nMEM abc 1.0\n",
     "line 3: expected \"MEM <MiB> <time>\", got \"MEM abc 1.0\""},
    {"negative_time_is_refused", "MEM 1.0 -2.0\n", "line 1: expected"},
    {"absurd_mib_is_refused", "MEM 1e13 2.0\n", "line 1: expected"},
    {"inf_is_refused", "MEM inf 2.0\n", "line 1: expected"},
    {"nan_is_refused", "MEM 1.0 nan\n", "line 1: expected"},
    {"hex_is_refused", "MEM 0x10 1.0\n", "line 1: expected"},
    {"an_extra_field_is_refused", "MEM 1.0 2.0 3.0\n", "line 1: expected"},
    {"a_truncated_sample_is_refused", "MEM 1.0 2.0\nMEM 1.0", "line 2: expected"},
    {"a_blank_line_is_refused", "MEM 1.0 2.0\n\nMEM 1.0 3.0\n", "line 2: a blank line"},
    {"no_samples_is_refused", "CMDLINE x\n", "no MEM sample"},
    {"two_cmdlines_are_refused", "CMDLINE x\nMEM 1 2\nCMDLINE y\n", "line 3: a second CMDLINE"},
    {"func_ending_before_it_starts", "FUNC f 1 5 1 4\nMEM 1 2\n", "line 1: a FUNC that ends"},
    {"func_with_too_few_fields", "FUNC f 1 5 1\nMEM 1 2\n", "line 1: expected \"FUNC"},
    {"unknown_record", "MEM 1 2\nFOO 1\n", "line 2: expected \"CMDLINE, MEM, FUNC or CHLD"},
    {"lines_truncated_in_the_header", "Filename: a.py\n\nLine #    Mem usage    Increment  Occ",
     "neither"},
    {"lines_without_the_rule",
     "Filename: a.py\n\nLine #    Mem usage    Increment  Occurrences   Line Contents\n"
     "     1   1.0 MiB   1.0 MiB   1   x\n",
     "line 4: expected a rule"},
    {"lines_with_a_bad_number",
     "Filename: a.py\n\nLine #    Mem usage    Increment  Occurrences   Line Contents\n"
     "=============================================================\n"
     "     1   1.x MiB    1.0 MiB           1   x\n",
     "line 5: expected"},
    {"lines_with_a_wrong_unit",
     "Filename: a.py\n\nLine #    Mem usage    Increment  Occurrences   Line Contents\n"
     "=============================================================\n"
     "     1   1.0 GiB    1.0 MiB           1   x\n",
     "line 5: expected"},
    {"lines_going_up_the_file",
     "Filename: a.py\n\nLine #    Mem usage    Increment  Occurrences   Line Contents\n"
     "=============================================================\n"
     "     2   1.0 MiB    1.0 MiB           1   x\n"
     "     1   1.0 MiB    1.0 MiB           1   x\n",
     "line 6: source line 1 after line 2"},
    {"lines_without_a_measured_row",
     "Filename: a.py\n\nLine #    Mem usage    Increment  Occurrences   Line Contents\n"
     "=============================================================\n"
     "     2                                         x\n",
     "a table without a measured row"},
    {"lines_with_mixed_units",
     "Filename: a.py\n\nLine #    Mem usage    Increment  Occurrences   Line Contents\n"
     "=============================================================\n"
     "     1   1.0 MiB    1.0 MB           1   x\n",
     "line 5: expected"},
    {"a_nul_byte_is_refused", "MEM 1 2\n\0", "a NUL byte"},
};

static void malformed_files_are_refused_with_their_line(void)
{
    for (size_t i = 0; i < sizeof REFUSED / sizeof REFUSED[0]; i++) {
        struct pv_memory *m = NULL;
        pv_err err = {0};
        size_t len = strlen(REFUSED[i].input);
        if (!strcmp(REFUSED[i].name, "a_nul_byte_is_refused"))
            len += 1;
        pv_code rc = pv_memory_parse((const uint8_t *)REFUSED[i].input, len, &m, &err);
        CHECK(rc != PV_OK && strstr(err.msg, REFUSED[i].message), REFUSED[i].name,
              "rc %d, message \"%s\"", rc, err.msg);
        if (!rc)
            pv_memory_destroy(m);
    }
}

static void numbers_are_read_as_float_reads_them(void)
{
    struct pv_memory *m;
    pv_err err = {0};
    /* 0.1 + 0.2 style: the correctly rounded double of each token */
    const char *text = "MEM 0.30000000000000004 1e3\nMEM 1.7976931348623157e2 .5\n";
    CHECK(parse(text, &m, &err) == PV_OK, "numbers", "%s", err.msg);
    if (err.code)
        return;
    CHECK(m->mprof->mem[0].mib == 0.30000000000000004 && m->mprof->mem[0].t == 1000.0 &&
              m->mprof->mem[1].mib == 179.76931348623157 && m->mprof->mem[1].t == 0.5,
          "numbers", "values");
    pv_memory_destroy(m);
}

/* Trailing components shared, as the source lookup finds a recorded path
 * under a root, and as line reports are matched. */
static const struct {
    const char *a, *b;
    size_t shared;
} PATHS[] = {
    {"alloc.py", "/app/src/alloc.py", 1},
    {"/workspaces/rasa-sample/rule_policy.py", "rasa-sample/rule_policy.py", 2},
    {"./x/y.py", "/root/x/y.py", 2},
    {"/a/b.py", "/a/b.py", 2},
    {"/app/src/alloc.py", "/home/me/src/alloc.py", 2},
    {"/app/alloc.py", "/other/alloc.py", 1},
    {"lloc.py", "/app/alloc.py", 0},
    {"", "/app/alloc.py", 0},
    {"b.py", "b.pyc", 0},
    {"/x/ab.py", "/y/b.py", 0},
};

static void paths_share_whole_trailing_components(void)
{
    for (size_t i = 0; i < sizeof PATHS / sizeof PATHS[0]; i++) {
        size_t got = pv_api_memory_paths_shared(PATHS[i].a, strlen(PATHS[i].a), PATHS[i].b,
                                                strlen(PATHS[i].b));
        size_t back = pv_api_memory_paths_shared(PATHS[i].b, strlen(PATHS[i].b), PATHS[i].a,
                                                 strlen(PATHS[i].a));
        CHECK(got == PATHS[i].shared && back == got, "paths_shared", "%s vs %s: %zu",
              PATHS[i].a, PATHS[i].b, got);
    }
}

int main(void)
{
    paths_share_whole_trailing_components();
    mprof_061_is_read_exactly();
    span_covers_calls_after_the_last_sample();
    lines_061_is_read_exactly();
    old_format_has_mb_and_no_occurrences();
    malformed_files_are_refused_with_their_line();
    numbers_are_read_as_float_reads_them();
    return check_done();
}
