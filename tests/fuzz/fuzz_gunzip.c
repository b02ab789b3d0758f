/* fuzz_gunzip.c - the gzip inflater (include/gunzip.h) on arbitrary bytes,
 * as an upload or a FILE.gz reaches it.
 *
 * Beyond "no crash, no leak, no undefined behaviour", it checks what the
 * header promises: the output never passes the limit, a failure says
 * something, and the bytes cut into pieces (as the network cuts an upload)
 * inflate exactly as they do at once.  What inflates is then parsed as a
 * stats file, as the server and the CLI do next. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gunzip.h"
#include "profile.h"

/* Small, so that a bomb is found in a few kilobytes of input. */
enum { LIMIT_BYTES = 1 << 20 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *whole = NULL;
    size_t whole_len = 0;
    pv_err err = {0};
    pv_code rc = pv_gunzip_inflate(data, size, LIMIT_BYTES, &whole, &whole_len, &err);
    FUZZ_CHECK(rc == PV_OK || err.msg[0], "failure %d without a message", rc);
    FUZZ_CHECK(rc != PV_OK || whole_len <= LIMIT_BYTES, "%zu bytes over the limit", whole_len);

    /* the same bytes in pieces of 1 to 64 bytes, the size taken from the
     * input so that the fuzzer varies it */
    size_t piece = size ? (size_t)(data[size - 1] % 64) + 1 : 1;
    struct pv_gunzip *g;
    if (pv_gunzip_create(LIMIT_BYTES, &g, &err) == PV_OK) {
        pv_code prc = PV_OK;
        for (size_t off = 0; off < size && !prc; off += piece) {
            prc = pv_gunzip_feed(g, data + off, size - off < piece ? size - off : piece, &err);
            FUZZ_CHECK(pv_gunzip_inflated_bytes(g) <= LIMIT_BYTES, "%zu bytes held",
                       pv_gunzip_inflated_bytes(g));
        }
        uint8_t *pieces = NULL;
        size_t pieces_len = 0;
        if (!prc)
            prc = pv_gunzip_finish(g, &pieces, &pieces_len, &err);
        pv_gunzip_destroy(g);
        FUZZ_CHECK(prc == rc, "in pieces of %zu: %d, at once: %d", piece, prc, rc);
        FUZZ_CHECK(rc || (pieces_len == whole_len && !memcmp(pieces, whole, whole_len)),
                   "in pieces of %zu the output differs", piece);
        free(pieces);
    }

    if (rc == PV_OK) {
        struct pv_profile *p;
        if (pv_profile_parse(whole, whole_len, &p, &err) == PV_OK)
            pv_profile_destroy(p);
        free(whole);
    }
    return 0;
}
