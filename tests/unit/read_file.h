/* read_file.h - a whole file in memory, for the unit tests that take a
 * stats file as an argument, and bench/tree_timing.c. */
#ifndef PV_READ_FILE_H
#define PV_READ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The bytes of path (malloc'd: free() them) and their number in *len, or
 * NULL.  Read to the end rather than sized by seeking, so that a pipe or
 * a file that grows reads whole too. */
static inline uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            uint8_t *t = realloc(buf, cap);
            if (!t) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = t;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got);
    fclose(f);
    *len = n;
    return buf;
}

#endif
