/* Unit tests of the JSON writer (jsonw.h): the escapes Python's json.dumps
 * writes for valid (surrogatepass) UTF-8, and for bytes that are not UTF-8
 * (upload names, source lines) one U+FFFD per broken sequence, never a code
 * point made of the bytes after it (found by fuzz_request: "a\xffbcd" lost
 * "bcd"); measures that agree with the writer byte for byte; numbers as
 * Python's repr() and json module write them; remembered lengths. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jsonw.h"

/* What call wrote to f_, into buf (malloc'd: the caller frees) and len. */
#define CAPTURE(buf, len, call)                                                  \
    do {                                                                         \
        FILE *f_ = open_memstream(&(buf), &(len));                               \
        if (!f_)                                                                 \
            exit(1);                                                             \
        call;                                                                    \
        fclose(f_);                                                              \
    } while (0)

static const struct {
    const char *name, *input;
    size_t n; /* 0: strlen(input) */
    const char *expected;
} STRINGS[] = {
    {"ascii_is_kept", "a.py:1(f)", 0, "\"a.py:1(f)\""},
    {"empty_string_is_two_quotes", "", 0, "\"\""},
    {"quotes_and_controls_are_escaped", "\"\\\n\x01", 0, "\"\\\"\\\\\\n\\u0001\""},
    {"short_escapes_are_short", "\n\t\b\f\r", 0, "\"\\n\\t\\b\\f\\r\""},
    {"del_is_escaped", "\x7f", 0, "\"\\u007f\""},
    {"nul_inside_is_escaped", "a\0b", 3, "\"a\\u0000b\""},
    {"two_byte_utf8_is_one_escape", "caf\xc3\xa9", 0, "\"caf\\u00e9\""},
    {"three_byte_utf8_is_one_escape", "\xe2\x82\xac", 0, "\"\\u20ac\""},
    {"four_byte_utf8_is_a_surrogate_pair", "\xf0\x9f\x98\x80", 0, "\"\\ud83d\\ude00\""},
    {"lone_surrogate_is_kept", "\xed\xb3\xbf", 0, "\"\\udcff\""},
    {"ff_byte_does_not_eat_what_follows", "a\xff" "bcd", 0, "\"a\\ufffdbcd\""},
    {"latin1_byte_does_not_eat_what_follows", "\xe9t\xe9", 0, "\"\\ufffdt\\ufffd\""},
    {"stray_continuation_byte_is_replaced", "x\x80y", 0, "\"x\\ufffdy\""},
    {"overlong_nul_is_replaced_bytewise", "\xc0\x80", 0, "\"\\ufffd\\ufffd\""},
    {"overlong_three_byte_is_replaced", "\xe0\x80\xaf", 0, "\"\\ufffd\\ufffd\\ufffd\""},
    {"beyond_u10ffff_is_replaced", "\xf4\x90\x80\x80", 0, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
    {"truncated_sequence_is_one_replacement", "\xe2\x82" "x", 0, "\"\\ufffdx\""},
    {"truncated_sequence_at_the_end_is_one_replacement", "ab\xf0\x9f\x98", 0, "\"ab\\ufffd\""},
    {"many_ff_bytes_are_each_replaced", "\xff\xff\xff\xff\xff", 0,
     "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\""},
};

/* Every row written, and measured: the measure is what sizes an export
 * before it is written, so it must never say less than the writer writes
 * (it said 8 for "\xe9t\xe9", which takes 15). */
static void strings_are_written_as_python_does_and_measured_exactly(void)
{
    for (size_t i = 0; i < sizeof STRINGS / sizeof STRINGS[0]; i++) {
        size_t n = STRINGS[i].n ? STRINGS[i].n : strlen(STRINGS[i].input);
        char *buf = NULL;
        size_t len = 0;
        CAPTURE(buf, len, pv_jsonw_string(f_, STRINGS[i].input, n));
        CHECK(!strcmp(buf, STRINGS[i].expected), STRINGS[i].name, "got %s, expected %s", buf,
              STRINGS[i].expected);
        size_t want = pv_jsonw_string_len(STRINGS[i].input, n);
        CHECK(len == want, STRINGS[i].name, "writer %zu bytes, measure says %zu", len, want);
        free(buf);
    }
}

static void ints_are_decimal_and_measured_exactly(void)
{
    static const int64_t ints[] = {0, 7, -7, 10, 99, -100, 1234567890123, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        char want[32];
        snprintf(want, sizeof want, "%lld", (long long)ints[i]);
        char *buf = NULL;
        size_t len = 0;
        CAPTURE(buf, len, pv_jsonw_int(f_, ints[i]));
        CHECK(!strcmp(buf, want), "int_is_written_in_decimal", "got %s, expected %s", buf, want);
        CHECK(pv_jsonw_int_len(ints[i]) == strlen(want), "int_len_counts_digits_and_sign",
              "%s: %zu", want, pv_jsonw_int_len(ints[i]));
        free(buf);
    }
}

/* Expected: Python's repr(v), and json.dumps(v) for the non-finite ones. */
static void doubles_are_written_as_python_repr(void)
{
    static const struct {
        const char *name;
        double v;
        const char *expected;
    } rows[] = {
        {"zero_has_a_fraction", 0.0, "0.0"},
        {"negative_zero_keeps_its_sign", -0.0, "-0.0"},
        {"whole_number_has_a_fraction", 100.0, "100.0"},
        {"tenth_is_shortest", 0.1, "0.1"},
        {"third_needs_sixteen_digits", 1.0 / 3.0, "0.3333333333333333"},
        {"sum_needs_seventeen_digits", 0.1 + 0.2, "0.30000000000000004"},
        {"large_is_exponent", 1e16, "1e+16"},
        {"large_with_digits", 123456789012345678.0, "1.2345678901234568e+17"},
        {"small_exponent_has_two_digits", 1.5e-7, "1.5e-07"},
        {"denormal_is_shortest", 5e-324, "5e-324"},
        {"longest_fits_the_bound", -2.2250738585072014e-308, "-2.2250738585072014e-308"},
        {"exponent_fifteen_is_written_out", 1e15, "1000000000000000.0"},
        {"ten_thousandth_is_written_out", 0.0001, "0.0001"},
        {"hundred_thousandth_is_exponent", 0.00001, "1e-05"},
        {"fraction_after_digits", 12345.678, "12345.678"},
        {"small_negative_with_all_digits", -0.00012345678901234567, "-0.00012345678901234567"},
        {"sixteen_digits_written_out", 123456789012345.6, "123456789012345.6"},
        {"twenty_seconds_is_not_exponent", 20.0, "20.0"},
        {"nan_as_json_module", NAN, "NaN"},
        {"infinity_as_json_module", INFINITY, "Infinity"},
        {"minus_infinity_as_json_module", -INFINITY, "-Infinity"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *buf = NULL;
        size_t len = 0;
        CAPTURE(buf, len, pv_jsonw_double(f_, rows[i].v));
        CHECK(!strcmp(buf, rows[i].expected), rows[i].name, "got %s, expected %s", buf,
              rows[i].expected);
        CHECK(len <= PV_JSONW_DOUBLE_MAX_LEN, rows[i].name, "%zu bytes, over the bound", len);
        char text[32];
        pv_jsonw_format_double(rows[i].v, text);
        CHECK(!strcmp(text, buf), rows[i].name, "format gives %s, writer %s", text, buf);
        free(buf);
    }
}

/* Trees' numbers, as cJSON writes them: 15 digits when they read back. */
static void numbers_are_written_as_cjson_does(void)
{
    static const struct {
        const char *name;
        double v;
        const char *expected;
    } rows[] = {
        {"whole_number_has_no_fraction", 100.0, "100"},
        {"tenth_in_fifteen_digits", 0.1, "0.1"},
        {"third_needs_seventeen_digits", 1.0 / 3.0, "0.33333333333333331"},
        {"sum_needs_seventeen_digits", 0.1 + 0.2, "0.30000000000000004"},
        {"small_exponent", 1.5e-7, "1.5e-07"},
        {"longest_fits_the_bound", -2.2250738585072014e-308, "-2.2250738585072014e-308"},
        {"nan_is_null", NAN, "null"},
        {"infinity_is_null", INFINITY, "null"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *buf = NULL;
        size_t len = 0;
        CAPTURE(buf, len, pv_jsonw_number(f_, rows[i].v));
        char text[32];
        CHECK(!strcmp(buf, rows[i].expected) && len <= PV_JSONW_DOUBLE_MAX_LEN &&
                  !strcmp(pv_jsonw_format_number(rows[i].v, text), buf),
              rows[i].name, "got %s, expected %s", buf, rows[i].expected);
        free(buf);
    }
    for (int b = 0; b < 2; b++) {
        char *buf = NULL;
        size_t len = 0;
        CAPTURE(buf, len, pv_jsonw_bool(f_, b));
        CHECK(!strcmp(buf, b ? "true" : "false") && len == pv_jsonw_bool_len(b),
              b ? "true_is_true" : "false_is_false", "got %s", buf);
        free(buf);
    }
}

static void long_lengths_are_remembered_by_key(void)
{
    char a[200], b[200];
    memset(a, 'a', sizeof a);
    memset(b, '"', sizeof b); /* escaped: twice as long */
    struct pv_jsonw_lengths l;
    pv_jsonw_lengths_init(&l);
    CHECK(pv_jsonw_lengths_get(&l, 7, a, sizeof a) == 202, "long_string_is_measured", "%llu",
          (unsigned long long)pv_jsonw_lengths_get(&l, 7, a, sizeof a));
    /* the same key again: its first length, the bytes not read again */
    CHECK(pv_jsonw_lengths_get(&l, 7, b, sizeof b) == 202, "long_string_is_measured_once",
          "%llu", (unsigned long long)pv_jsonw_lengths_get(&l, 7, b, sizeof b));
    CHECK(pv_jsonw_lengths_get(&l, 8, b, sizeof b) == 402, "other_key_is_measured", "%llu",
          (unsigned long long)pv_jsonw_lengths_get(&l, 8, b, sizeof b));
    /* short strings are not kept: each get measures */
    CHECK(pv_jsonw_lengths_get(&l, 9, a, 10) == 12 && pv_jsonw_lengths_get(&l, 9, b, 10) == 22,
          "short_strings_are_measured_every_time", "%llu",
          (unsigned long long)pv_jsonw_lengths_get(&l, 9, b, 10));
    /* enough keys to grow the table several times, each still found */
    bool all = true;
    for (uint32_t k = 100; k < 5100; k++)
        all &= pv_jsonw_lengths_get(&l, k, k % 2 ? a : b, 100 + k % 100) ==
               (k % 2 ? 2 + 100 + k % 100 : 2 + 2 * (100 + k % 100));
    for (uint32_t k = 100; k < 5100; k++)
        all &= pv_jsonw_lengths_get(&l, k, a, 65) ==
               (k % 2 ? 2 + 100 + k % 100 : 2 + 2 * (100 + k % 100));
    CHECK(all, "many_keys_are_each_remembered", "a length was lost as the table grew");
    pv_jsonw_lengths_fini(&l);
    CHECK(pv_jsonw_lengths_get(&l, 7, b, sizeof b) == 402, "fini_forgets", "%llu",
          (unsigned long long)pv_jsonw_lengths_get(&l, 7, b, sizeof b));
    pv_jsonw_lengths_fini(&l);
}

int main(void)
{
    strings_are_written_as_python_does_and_measured_exactly();
    ints_are_decimal_and_measured_exactly();
    doubles_are_written_as_python_repr();
    numbers_are_written_as_cjson_does();
    long_lengths_are_remembered_by_key();
    return check_done();
}
