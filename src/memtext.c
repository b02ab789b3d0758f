/* memtext.c - lines and numbers of memory_profiler's text (see memtext.h). */
#include "memtext.h"

#include <stdlib.h>
#include <string.h>

void pv_memtext_init(struct pv_memtext *t, const uint8_t *buf, size_t len)
{
    *t = (struct pv_memtext){.buf = (const char *)buf, .len = len};
}

bool pv_memtext_next_line(struct pv_memtext *t, const char **line, size_t *n)
{
    if (t->off >= t->len)
        return false;
    const char *s = t->buf + t->off;
    const char *nl = memchr(s, '\n', t->len - t->off);
    size_t k = nl ? (size_t)(nl - s) : t->len - t->off;
    t->off += k + (nl != NULL);
    t->lineno++;
    if (k && s[k - 1] == '\r') /* written on Windows */
        k--;
    *line = s;
    *n = k;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The grammar of memtext.h, nothing else (strtod alone would take hex,
 * "inf" and "nan"). */
static bool decimal_syntax(const char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n && is_digit(s[i]); i++)
        digits++;
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            digits++;
    if (!digits)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp_digits = 0;
        for (; i < n && is_digit(s[i]); i++)
            exp_digits++;
        if (!exp_digits)
            return false;
    }
    return i == n;
}

bool pv_memtext_decimal(const char *s, size_t n, double lo, double hi, double *out)
{
    if (n == 0 || n > PV_MEMTEXT_MAX_NUMBER_LEN || !decimal_syntax(s, n))
        return false;
    char copy[PV_MEMTEXT_MAX_NUMBER_LEN + 1];
    memcpy(copy, s, n);
    copy[n] = '\0';
    double v = strtod(copy, NULL); /* correctly rounded, as float() */
    /* an overflow is +-HUGE_VAL, outside any finite bounds */
    if (!(v >= lo && v <= hi))
        return false;
    *out = v == 0 ? 0.0 : v; /* "-0.000" is 0: no negative zero in answers */
    return true;
}

bool pv_memtext_integer(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    size_t i = 0;
    bool neg = n && s[0] == '-' && lo < 0;
    if (neg)
        i++;
    if (i == n || n - i > 18) /* 18 digits cannot overflow int64 */
        return false;
    int64_t v = 0;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (neg)
        v = -v;
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

void pv_memtext_quote(const char *s, size_t n, char buf[72])
{
    size_t k = n > 60 ? 60 : n;
    for (size_t i = 0; i < k; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (n > k) {
        memcpy(buf + k, "...", 4);
        return;
    }
    buf[k] = '\0';
}

bool pv_memtext_has_nul(const uint8_t *buf, size_t len)
{
    return len && memchr(buf, 0, len) != NULL;
}
