/* export.h - a profile's reconstructed call tree in other tools' formats:
 * speedscope's file format and flamegraph.pl's collapsed stacks.  Both are
 * made from the tree module's full tree (every path, no cutoff), so they
 * carry its estimates where cProfile's data has no stacks. */
#ifndef PV_EXPORT_H
#define PV_EXPORT_H

#include <stdio.h>

#include "profile.h"
#include "pv.h"

typedef enum { PV_EXPORT_SPEEDSCOPE, PV_EXPORT_COLLAPSED } pv_export_format;

/* Write the export to out; name is the profile's name (speedscope shows it). */
pv_code pv_export_stacks(const struct pv_profile *p, const char *name, pv_export_format format,
                         FILE *out, pv_err *err);

#endif
