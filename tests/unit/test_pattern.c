/* Unit tests of the bounded regular expressions (pattern.h): what passes
 * compiles and matches as POSIX says; what would expand past the bounds
 * (8 GB for a{1,32767} before) is refused with a message. */
#include <regex.h>
#include <string.h>

#include "check.h"
#include "pattern.h"

static const struct {
    const char *name, *pattern;
    const char *error_part; /* NULL: compiles */
} ROWS[] = {
    {"a_word_compiles", "loads", NULL},
    {"an_escaped_dot_compiles", "json\\.loads", NULL},
    {"classes_and_brackets_compile", "[[:alpha:]_]+[]x]?[^]y]*", NULL},
    {"a_hundred_copies_compile", "a{1,100}", NULL},
    {"open_repetition_compiles", "(ab){3,}", NULL},
    {"alternation_compiles", "^(json|pickle)\\.(loads|dumps)$", NULL},
    {"a_brace_without_counts_is_a_bad_expression", "f{x}", "bad regular expression"},
    {"huge_repetition_is_refused", "a{1,32767}", "counts go up to 100"},
    {"huge_lower_bound_is_refused", "a{40000}", "counts go up to 100"},
    {"absurd_digits_are_refused", "a{1,99999999999999999999}", "counts go up to 100"},
    {"nested_repetition_is_refused", "(a{1,100}){1,100}", "expands to over"},
    {"stacked_repetition_is_refused", "x{100}{100}", "expands to over"},
    {"deep_nesting_of_small_counts_is_refused", "((((a{10}){10}){10}){10})", "expands to over"},
    {"back_references_are_refused", "(a)\\1", "back-references"},
    {"unmatched_bracket_is_a_bad_expression", "[abc", "bad regular expression"},
    {"unmatched_paren_is_a_bad_expression", "(abc", "bad regular expression"},
    {"stray_close_paren_is_a_bad_expression", "abc)", "bad regular expression"},
};

static void compile_rows(void)
{
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        regex_t re;
        pv_err err = {0};
        pv_code rc = pv_pattern_compile(ROWS[i].pattern, true, &re, &err);
        if (!ROWS[i].error_part) {
            CHECK(rc == PV_OK, ROWS[i].name, "%s: %s", ROWS[i].pattern, err.msg);
            if (rc == PV_OK)
                regfree(&re);
        } else
            CHECK(rc == PV_E_USAGE && strstr(err.msg, ROWS[i].error_part), ROWS[i].name,
                  "%s: code %d, %s", ROWS[i].pattern, rc, err.msg);
    }
}

static void long_patterns_are_refused(void)
{
    char big[PV_PATTERN_MAX_BYTES + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    regex_t re;
    pv_err err = {0};
    CHECK(pv_pattern_compile(big, false, &re, &err) == PV_E_USAGE && strstr(err.msg, "bytes"),
          "long_patterns_are_refused", "%s", err.msg);
    big[PV_PATTERN_MAX_BYTES] = '\0';
    pv_code rc = pv_pattern_compile(big, false, &re, &err);
    CHECK(rc == PV_OK, "patterns_at_the_limit_compile", "%s", err.msg);
    if (rc == PV_OK)
        regfree(&re);
}

static void matching_follows_posix(void)
{
    regex_t re;
    pv_err err = {0};
    if (pv_pattern_compile("JSON/.*:[0-9]+\\(loads\\)", true, &re, &err)) {
        CHECK(false, "matching_pattern_compiles", "%s", err.msg);
        return;
    }
    CHECK(regexec(&re, "/usr/lib/python3.11/json/__init__.py:299(loads)", 0, NULL, 0) == 0,
          "ignore_case_matches", "no match");
    CHECK(regexec(&re, "/usr/lib/python3.11/json/__init__.py:299(dumps)", 0, NULL, 0) != 0,
          "other_names_do_not_match", "matched");
    regfree(&re);
    CHECK(pv_pattern_compile("LOADS", false, &re, &err) == PV_OK &&
              regexec(&re, "json.loads", 0, NULL, 0) != 0,
          "case_matters_without_ignore_case", "%s", err.msg);
    regfree(&re);
}

int main(void)
{
    compile_rows();
    long_patterns_are_refused();
    matching_follows_posix();
    return check_done();
}
