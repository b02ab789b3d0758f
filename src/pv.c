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
