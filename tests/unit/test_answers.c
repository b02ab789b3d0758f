/* Unit tests of the answers kept in the shared cache: compressed once when
 * added, never again on a hit (deflate is counted through the linker,
 * --wrap=deflate, see tests/meson.build), inflated back to the same bytes
 * for a client without gzip, and kept plain where gzip does not pay. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "answers.h"
#include "cache_of.h"
#include "check.h"

int __real_deflate(z_streamp strm, int flush);
int __wrap_deflate(z_streamp strm, int flush);

static int deflates;

int __wrap_deflate(z_streamp strm, int flush)
{
    deflates++;
    return __real_deflate(strm, flush);
}

/* A tree-like JSON body of about n bytes. */
static char *json_body(size_t n, size_t *len)
{
    char *s = malloc(n + 64);
    size_t at = 0;
    at += (size_t)sprintf(s, "{\"children\":[");
    for (int i = 0; at < n; i++)
        at += (size_t)sprintf(s + at, "{\"fid\":%d,\"name\":\"f%d\",\"value\":%d.5},", i, i % 50, i);
    s[at - 1] = ']';
    s[at++] = '}';
    s[at] = '\0';
    *len = at;
    return s;
}

static void a_hit_is_not_compressed_again(void)
{
    struct pv_cache *c = cache_of(1 << 20);
    size_t len;
    char *body = json_body(50000, &len);
    deflates = 0;
    struct pv_answer *a = pv_answers_add(c, "\"p-1\"", "p", "application/json", body, len);
    int on_add = deflates;
    pv_answers_release(c, a);
    deflates = 0;
    for (int i = 0; i < 10; i++) {
        struct pv_answer *hit = pv_answers_get(c, "\"p-1\"");
        CHECK(hit && hit->gzipped && hit->len < len / 4 && hit->plain_len == len,
              "a_hit_gives_the_gzipped_bytes", "hit %p, %zu of %zu bytes", (void *)hit,
              hit ? hit->len : 0, len);
        pv_answers_release(c, hit);
    }
    CHECK(on_add > 0 && deflates == 0, "a_hit_is_not_compressed_again",
          "%d deflate calls adding, %d on 10 hits", on_add, deflates);
    a = pv_answers_get(c, "\"p-1\"");
    size_t plain_len = 0;
    char *plain = a ? pv_answers_plain_dup(a, &plain_len) : NULL;
    CHECK(plain && plain_len == len && !memcmp(plain, body, len) && deflates == 0,
          "a_client_without_gzip_gets_the_same_bytes_inflated", "%zu bytes, want %zu", plain_len,
          len);
    free(plain);
    pv_answers_release(c, a);
    free(body);
    pv_cache_destroy(c);
}

static void small_or_incompressible_bodies_are_kept_plain(void)
{
    struct pv_cache *c = cache_of(1 << 20);
    const char small[] = "{\"ok\":true}";
    struct pv_answer *a = pv_answers_add(c, "small", "", "application/json", small, sizeof small - 1);
    CHECK(a && !a->gzipped && a->len == sizeof small - 1 && !memcmp(a->bytes, small, a->len),
          "a_small_body_is_kept_plain", "gzipped %d, %zu bytes", a ? a->gzipped : -1,
          a ? a->len : 0);
    pv_answers_release(c, a);
    unsigned char noise[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
    a = pv_answers_add(c, "noise", "", "image/png", noise, sizeof noise);
    size_t len = 0;
    char *plain = a ? pv_answers_plain_dup(a, &len) : NULL;
    CHECK(a && !a->gzipped && plain && len == sizeof noise && !memcmp(plain, noise, len),
          "an_incompressible_body_is_kept_plain", "gzipped %d, %zu bytes", a ? a->gzipped : -1,
          len);
    free(plain);
    pv_answers_release(c, a);
    pv_cache_destroy(c);
}

static void an_answer_over_an_eighth_of_the_budget_is_not_kept(void)
{
    struct pv_cache *c = cache_of(8000);
    unsigned char noise[1001];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (unsigned char)(i * 7919 >> 3);
    struct pv_answer *a = pv_answers_add(c, "big", "", "image/png", noise, sizeof noise);
    struct pv_cache_usage u;
    pv_cache_usage(c, &u);
    CHECK(!a && u.entries == 0, "an_answer_over_an_eighth_of_the_budget_is_not_kept",
          "kept %p, %zu entries", (void *)a, u.entries);
    pv_cache_destroy(c);
}

static void a_profile_dropped_takes_its_answers(void)
{
    struct pv_cache *c = cache_of(1 << 20);
    const char body[] = "{}";
    pv_answers_release(c, pv_answers_add(c, "\"p-1\"", "p", "application/json", body, 2));
    pv_answers_release(c, pv_answers_add(c, "\"p-2\"", "p", "application/json", body, 2));
    pv_answers_release(c, pv_answers_add(c, "\"q-1\"", "q", "application/json", body, 2));
    pv_cache_drop_group(c, "p");
    struct pv_answer *p1 = pv_answers_get(c, "\"p-1\""), *p2 = pv_answers_get(c, "\"p-2\""),
                     *q1 = pv_answers_get(c, "\"q-1\"");
    CHECK(!p1 && !p2 && q1, "a_profile_dropped_takes_its_answers", "p-1 %p, p-2 %p, q-1 %p",
          (void *)p1, (void *)p2, (void *)q1);
    pv_answers_release(c, q1);
    pv_cache_destroy(c);
}

int main(void)
{
    a_hit_is_not_compressed_again();
    small_or_incompressible_bodies_are_kept_plain();
    an_answer_over_an_eighth_of_the_budget_is_not_kept();
    a_profile_dropped_takes_its_answers();
    return check_done();
}
