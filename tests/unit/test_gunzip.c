/* Unit tests of the gzip inflater (gunzip.h): what it accepts (one member,
 * members one after another, any way the bytes are cut into pieces), what
 * it refuses (a cut stream at every length, bytes after the end, a bad
 * CRC, a bomb) and that the limit holds while the output grows. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "check.h"
#include "gunzip.h"

/* One gzip member of len bytes at data, as gzip(1) writes it (malloc'd). */
static uint8_t *gzip_member(const uint8_t *data, size_t len, size_t *out_len)
{
    z_stream z = {0};
    if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&z, len) + 64;
    uint8_t *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (!out || deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static uint8_t *concat(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    uint8_t *out = malloc(alen + blen + 1);
    if (!out)
        abort();
    if (alen) /* memcpy from NULL is undefined even for 0 bytes (UBSan says so) */
        memcpy(out, a, alen);
    if (blen)
        memcpy(out + alen, b, blen);
    return out;
}

/* Inflate in pieces of `piece` bytes (0: all at once). */
static pv_code inflate_in_pieces(const uint8_t *buf, size_t len, size_t piece, size_t limit,
                                 uint8_t **out, size_t *out_len, pv_err *err)
{
    if (!piece)
        return pv_gunzip_inflate(buf, len, limit, out, out_len, err);
    struct pv_gunzip *g;
    if (pv_gunzip_create(limit, &g, err))
        return err->code;
    pv_code rc = PV_OK;
    for (size_t off = 0; off < len && !rc; off += piece)
        rc = pv_gunzip_feed(g, buf + off, len - off < piece ? len - off : piece, err);
    if (!rc)
        rc = pv_gunzip_finish(g, out, out_len, err);
    pv_gunzip_destroy(g);
    return rc;
}

static const char TEXT[] = "{('rasa/core/policies/rule_policy.py', 895, '<lambda>'): ...}\n";

static void magic_is_the_first_two_bytes(void)
{
    CHECK(pv_gunzip_is_gzip((const uint8_t *)"\x1f\x8b", 2), "magic_alone_is_gzip", "no");
    CHECK(!pv_gunzip_is_gzip((const uint8_t *)"\x1f", 1), "one_byte_is_not_gzip", "yes");
    CHECK(!pv_gunzip_is_gzip((const uint8_t *)"\x8b\x1f", 2), "reversed_magic_is_not_gzip",
          "yes");
    CHECK(!pv_gunzip_is_gzip((const uint8_t *)"\xfb\x00", 2), "marshal_is_not_gzip", "yes");
}

static void accepted_streams(void)
{
    size_t n1, n2, n0;
    uint8_t *one = gzip_member((const uint8_t *)TEXT, sizeof TEXT - 1, &n1);
    uint8_t *two = gzip_member((const uint8_t *)"second", 6, &n2);
    uint8_t *empty = gzip_member((const uint8_t *)"", 0, &n0);
    uint8_t *both = concat(one, n1, two, n2);
    uint8_t *with_empty = concat(empty, n0, one, n1);
    static const size_t PIECES[] = {0, 1, 2, 3, 7, 4096};
    for (size_t i = 0; i < sizeof PIECES / sizeof PIECES[0]; i++) {
        uint8_t *out;
        size_t len;
        pv_err err = {0};
        pv_code rc = inflate_in_pieces(one, n1, PIECES[i], 1 << 20, &out, &len, &err);
        CHECK(rc == PV_OK && len == sizeof TEXT - 1 && !memcmp(out, TEXT, len),
              "one_member_inflates_to_its_bytes", "pieces of %zu: %d %s", PIECES[i], rc, err.msg);
        if (!rc)
            free(out);
        rc = inflate_in_pieces(both, n1 + n2, PIECES[i], 1 << 20, &out, &len, &err);
        CHECK(rc == PV_OK && len == sizeof TEXT - 1 + 6 && !memcmp(out, TEXT, sizeof TEXT - 1) &&
                  !memcmp(out + sizeof TEXT - 1, "second", 6),
              "two_members_inflate_to_both_in_order", "pieces of %zu: %d %s", PIECES[i], rc,
              err.msg);
        if (!rc)
            free(out);
        rc = inflate_in_pieces(with_empty, n0 + n1, PIECES[i], 1 << 20, &out, &len, &err);
        CHECK(rc == PV_OK && len == sizeof TEXT - 1, "an_empty_member_adds_nothing",
              "pieces of %zu: %d %s", PIECES[i], rc, err.msg);
        if (!rc)
            free(out);
    }
    uint8_t *out;
    size_t len;
    pv_err err = {0};
    pv_code rc = pv_gunzip_inflate(empty, n0, 0, &out, &len, &err);
    CHECK(rc == PV_OK && len == 0 && out, "an_empty_member_fits_a_limit_of_0", "%d %s", rc,
          err.msg);
    if (!rc)
        free(out);
    free(one);
    free(two);
    free(empty);
    free(both);
    free(with_empty);
}

static void refused_streams(void)
{
    size_t n;
    uint8_t *one = gzip_member((const uint8_t *)TEXT, sizeof TEXT - 1, &n);
    uint8_t *out;
    size_t len;
    pv_err err = {0};
    /* every cut: nothing, the header alone, mid-block, before the trailer */
    int refused = 0;
    for (size_t cut = 0; cut < n; cut++)
        refused += pv_gunzip_inflate(one, cut, 1 << 20, &out, &len, &err) == PV_E_FORMAT;
    CHECK(refused == (int)n, "a_stream_cut_anywhere_is_a_format_error", "%d of %zu", refused, n);
    pv_gunzip_inflate(one, n - 1, 1 << 20, &out, &len, &err);
    CHECK(strstr(err.msg, "ends early") != NULL, "a_cut_stream_says_it_ends_early", "%s", err.msg);

    static const struct {
        const char *name, *tail;
        size_t tail_len;
        pv_code code;
        const char *says;
    } TAILS[] = {
        {"text_after_the_end_is_refused", "garbage", 7, PV_E_FORMAT, "not another gzip member"},
        {"zeros_after_the_end_are_refused", "\0\0\0\0", 4, PV_E_FORMAT, "not another gzip"},
        {"half_a_magic_after_the_end_is_cut", "\x1f", 1, PV_E_FORMAT, "ends early"},
        {"a_magic_alone_after_the_end_is_cut", "\x1f\x8b", 2, PV_E_FORMAT, "ends early"},
    };
    for (size_t i = 0; i < sizeof TAILS / sizeof TAILS[0]; i++) {
        uint8_t *tailed = concat(one, n, (const uint8_t *)TAILS[i].tail, TAILS[i].tail_len);
        pv_code rc = pv_gunzip_inflate(tailed, n + TAILS[i].tail_len, 1 << 20, &out, &len, &err);
        CHECK(rc == TAILS[i].code && strstr(err.msg, TAILS[i].says), TAILS[i].name, "%d %s", rc,
              err.msg);
        if (!rc)
            free(out);
        free(tailed);
    }

    uint8_t *bad_crc = concat(one, n, NULL, 0);
    bad_crc[n - 8] ^= 0x01; /* the trailer: CRC-32, then the length */
    pv_code rc = pv_gunzip_inflate(bad_crc, n, 1 << 20, &out, &len, &err);
    CHECK(rc == PV_E_FORMAT && strstr(err.msg, "check"), "a_bad_crc_is_a_format_error", "%d %s",
          rc, err.msg);
    bad_crc[n - 8] ^= 0x01;
    bad_crc[n - 1] ^= 0x01;
    rc = pv_gunzip_inflate(bad_crc, n, 1 << 20, &out, &len, &err);
    CHECK(rc == PV_E_FORMAT, "a_bad_length_is_a_format_error", "%d %s", rc, err.msg);
    free(bad_crc);

    /* the limit is the inflated size: exactly it fits, one byte less not */
    rc = pv_gunzip_inflate(one, n, sizeof TEXT - 1, &out, &len, &err);
    CHECK(rc == PV_OK && len == sizeof TEXT - 1, "output_of_exactly_the_limit_fits", "%d %s", rc,
          err.msg);
    if (!rc)
        free(out);
    rc = pv_gunzip_inflate(one, n, sizeof TEXT - 2, &out, &len, &err);
    CHECK(rc == PV_E_TOO_LARGE, "output_one_byte_over_the_limit_is_too_large", "%d %s", rc,
          err.msg);
    free(one);
}

/* 64 MiB of zeros is 64 KiB of gzip: with a 1 MiB limit the inflater stops
 * within a step past it, never holding the 64 MiB. */
static void bomb_stops_at_the_limit(void)
{
    size_t big = 64u << 20, n;
    uint8_t *zeros = calloc(1, big);
    uint8_t *bomb = gzip_member(zeros, big, &n);
    free(zeros);
    struct pv_gunzip *g;
    pv_err err = {0};
    if (pv_gunzip_create(1u << 20, &g, &err))
        abort();
    pv_code rc = PV_OK;
    size_t most = 0, fed = 0;
    while (fed < n && rc == PV_OK) {
        size_t piece = n - fed < 1024 ? n - fed : 1024;
        rc = pv_gunzip_feed(g, bomb + fed, piece, &err);
        fed += piece;
        if (pv_gunzip_inflated_bytes(g) > most)
            most = pv_gunzip_inflated_bytes(g);
    }
    CHECK(rc == PV_E_TOO_LARGE && strstr(err.msg, "1048576"), "a_bomb_is_too_large", "%d %s",
          rc, err.msg);
    CHECK(most <= 1u << 20, "a_bomb_never_holds_more_than_the_limit", "held %zu", most);
    CHECK(fed < n / 8, "a_bomb_is_refused_before_its_end", "fed %zu of %zu", fed, n);
    uint8_t *out;
    size_t len;
    CHECK(pv_gunzip_feed(g, bomb, 1, &err) == PV_E_TOO_LARGE &&
              pv_gunzip_finish(g, &out, &len, &err) == PV_E_TOO_LARGE,
          "after_a_failure_every_call_fails_alike", "%s", err.msg);
    pv_gunzip_destroy(g);
    free(bomb);
}

int main(void)
{
    magic_is_the_first_two_bytes();
    accepted_streams();
    refused_streams();
    bomb_stops_at_the_limit();
    pv_gunzip_destroy(NULL);
    return check_done();
}
