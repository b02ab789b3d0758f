/* Unit tests of the report module's JSON strings (pv_json_write_string):
 * the escapes Python's json.dumps writes for valid (surrogatepass) UTF-8,
 * and for bytes that are not UTF-8 (upload names, source lines) one
 * U+FFFD per broken sequence, never a code point made of the bytes after
 * it (found by fuzz_request: "a\xffbcd" lost "bcd"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "report.h"

static const struct {
    const char *name, *input, *expected;
} ROWS[] = {
    {"ascii_is_kept", "a.py:1(f)", "\"a.py:1(f)\""},
    {"quotes_and_controls_are_escaped", "\"\\\n\x01", "\"\\\"\\\\\\n\\u0001\""},
    {"two_byte_utf8_is_one_escape", "caf\xc3\xa9", "\"caf\\u00e9\""},
    {"four_byte_utf8_is_a_surrogate_pair", "\xf0\x9f\x98\x80", "\"\\ud83d\\ude00\""},
    {"lone_surrogate_is_kept", "\xed\xb3\xbf", "\"\\udcff\""},
    {"ff_byte_does_not_eat_what_follows", "a\xff" "bcd", "\"a\\ufffdbcd\""},
    {"latin1_byte_does_not_eat_what_follows", "\xe9t\xe9", "\"\\ufffdt\\ufffd\""},
    {"stray_continuation_byte_is_replaced", "x\x80y", "\"x\\ufffdy\""},
    {"overlong_nul_is_replaced_bytewise", "\xc0\x80", "\"\\ufffd\\ufffd\""},
    {"overlong_three_byte_is_replaced", "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""},
    {"beyond_u10ffff_is_replaced", "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
    {"truncated_sequence_is_one_replacement", "\xe2\x82" "x", "\"\\ufffdx\""},
    {"truncated_sequence_at_the_end_is_one_replacement", "ab\xf0\x9f\x98", "\"ab\\ufffd\""},
    {"many_ff_bytes_are_each_replaced", "\xff\xff\xff\xff\xff", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\""},
};

int main(void)
{
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
            return 1;
        pv_json_write_string(f, ROWS[i].input, strlen(ROWS[i].input));
        fclose(f);
        CHECK(!strcmp(buf, ROWS[i].expected), ROWS[i].name, "got %s, expected %s", buf,
              ROWS[i].expected);
        free(buf);
    }
    return check_done();
}
