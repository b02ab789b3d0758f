/* pv.c - the shared error record (see pv.h). */
#include "pv.h"

#include <stdarg.h>
#include <stdio.h>

pv_code pv_err_set(pv_err *err, pv_code code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

const char *pv_code_name(pv_code code)
{
    switch (code) {
    case PV_OK: return "ok";
    case PV_E_FORMAT: return "format";
    case PV_E_SHAPE: return "shape";
    case PV_E_LIMIT: return "limit";
    case PV_E_NOMEM: return "nomem";
    case PV_E_IO: return "io";
    case PV_E_DB: return "db";
    case PV_E_NOTFOUND: return "not_found";
    case PV_E_USAGE: return "usage";
    case PV_E_DENIED: return "denied";
    case PV_E_BUSY: return "busy";
    case PV_E_FULL: return "full";
    case PV_E_CANCELLED: return "cancelled";
    }
    return "unknown";
}

void pv_format_count(uint64_t v, char buf[32])
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v), at = 0;
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[at++] = ',';
        buf[at++] = digits[i];
    }
    buf[at] = '\0';
}
