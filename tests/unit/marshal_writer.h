/* marshal_writer.h - the few marshal type codes the unit tests write to
 * build stats files by hand (tests only: no bounds beyond the buffer's). */
#ifndef PV_MARSHAL_WRITER_H
#define PV_MARSHAL_WRITER_H

#include <stdint.h>
#include <string.h>

struct w {
    uint8_t b[8192];
    size_t n;
};

static inline void byte(struct w *w, int c)
{
    w->b[w->n++] = (uint8_t)c;
}

static inline void i32(struct w *w, int32_t v)
{
    memcpy(w->b + w->n, &v, 4);
    w->n += 4;
}

/* 'u' text */
static inline void str(struct w *w, const char *s)
{
    byte(w, 'u');
    i32(w, (int32_t)strlen(s));
    memcpy(w->b + w->n, s, strlen(s));
    w->n += strlen(s);
}

/* 's' bytes (a Python 2 str) */
static inline void bytes_s(struct w *w, const char *s)
{
    byte(w, 's');
    i32(w, (int32_t)strlen(s));
    memcpy(w->b + w->n, s, strlen(s));
    w->n += strlen(s);
}

/* 'i' int32 */
static inline void num(struct w *w, int32_t v)
{
    byte(w, 'i');
    i32(w, v);
}

/* 'g' binary float */
static inline void flt(struct w *w, double d)
{
    byte(w, 'g');
    memcpy(w->b + w->n, &d, 8);
    w->n += 8;
}

#endif
