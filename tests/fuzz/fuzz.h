/* fuzz.h - what every fuzz target defines, and a check that survives
 * NDEBUG.
 *
 * A target is one fuzz_<module>.c defining the two libFuzzer entry points
 * below.  The same file builds two ways: with clang and -fsanitize=fuzzer
 * into a libFuzzer binary (meson -Dfuzz=true, see tests/fuzz/run.sh), and
 * with the project's compiler into a replay program (replay.c) that feeds
 * it the committed files of tests/fuzz/regress/, so every crasher stays a
 * test in the ordinary gcc and ASan builds. */
#ifndef PV_FUZZ_H
#define PV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Called once before any input; may read and change the arguments. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
/* Run one input; returns 0 (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: report it and abort, so libFuzzer keeps the input
 * as a crash.  Not assert(): release builds must check too. */
#define FUZZ_CHECK(cond, ...)                                                   \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__,   \
                    #cond);                                                     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fprintf(stderr, "\n");                                              \
            abort();                                                            \
        }                                                                       \
    } while (0)

#endif
