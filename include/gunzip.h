/* gunzip.h - gzip-compressed stats files (.prof.gz), inflated as their
 * bytes come, within a limit on what they inflate to.
 *
 * The server inflates an upload while it arrives (upload.c), the CLI a
 * FILE.gz as it reads it (cli.c): both through this module, so both accept
 * and refuse alike.  A file is gzip by its first two bytes, 1f 8b (RFC
 * 1952), never by its name.
 *
 * Output is counted as it is made and refused the moment it passes the
 * limit: a small bomb (a megabyte that inflates to gigabytes) costs the
 * limit at most, never its full size.  What is accepted:
 *
 *   one gzip member                       its bytes
 *   several members, one after the other  their bytes in order, as gzip -d
 *                                         and Python's gzip module read them
 *   bytes after the last member that      refused (PV_E_FORMAT): gzip(1) only
 *     do not start a member                warns, but a file with a tail is
 *                                         more likely damaged than meant
 *   a stream cut short, a bad CRC or      refused (PV_E_FORMAT), naming it
 *     length, a damaged deflate block
 *   more output than the limit            refused (PV_E_TOO_LARGE)
 *
 * A profile's id is the hash of the inflated bytes (import.h): foo.prof and
 * foo.prof.gz are one profile. */
#ifndef PV_GUNZIP_H
#define PV_GUNZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pv.h"

/* Whether bytes that start with these len bytes are gzip: their first two
 * are 1f 8b.  False for fewer than two.  Cannot fail. */
bool pv_gunzip_is_gzip(const uint8_t *buf, size_t len);

struct pv_gunzip;

/* An inflater whose output may not pass max_out_bytes.  *out is yours
 * (pv_gunzip_destroy).  PV_E_NOMEM only. */
pv_code pv_gunzip_create(size_t max_out_bytes, struct pv_gunzip **out, pv_err *err);

/* Inflate the next len compressed bytes.  After a failure every later call
 * fails alike (the first error stays, the output is freed): PV_E_FORMAT,
 * PV_E_TOO_LARGE, PV_E_NOMEM. */
pv_code pv_gunzip_feed(struct pv_gunzip *g, const uint8_t *buf, size_t len, pv_err *err);

/* The input is all in: it must end where a member ends.  On success *out
 * (malloc'd, free() it; never NULL) and *out_len are the inflated bytes,
 * now yours; g holds no output any more.  On failure (PV_E_FORMAT for a
 * truncated stream, or the error of an earlier feed) nothing is handed
 * over. */
pv_code pv_gunzip_finish(struct pv_gunzip *g, uint8_t **out, size_t *out_len, pv_err *err);

/* Bytes inflated so far.  Cannot fail. */
size_t pv_gunzip_inflated_bytes(const struct pv_gunzip *g);

/* Free g and any output it holds.  NULL does nothing. */
void pv_gunzip_destroy(struct pv_gunzip *g);

/* All of len bytes at buf at once: create, feed, finish, destroy. */
pv_code pv_gunzip_inflate(const uint8_t *buf, size_t len, size_t max_out_bytes, uint8_t **out,
                          size_t *out_len, pv_err *err);

#endif
