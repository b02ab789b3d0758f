/* replay.c - run a fuzz target on files, without libFuzzer.
 *
 * usage: replay_<target> FILE|DIR...
 *
 * Linked with one fuzz_<target>.c by the project's own compiler (gcc in
 * build/ and build-asan/), so the committed crashers of tests/fuzz/regress/
 * stay tested where clang is missing.  A folder's files run in name order;
 * notes (*.md) are skipped.  A folder without inputs is an error, so a
 * broken path cannot pass as "nothing failed". */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st)) {
        perror(path);
        if (f)
            fclose(f);
        return -1;
    }
    /* exactly the file's size, as libFuzzer passes it: a read past the end
     * is an ASan error here too */
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    if (!data || fread(data, 1, size, f) != size) {
        fprintf(stderr, "%s: cannot read %zu bytes\n", path, size);
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    printf("ok %s (%zu bytes)\n", path, size);
    return 0;
}

static int skip_notes(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return e->d_name[0] != '.' && !(n > 3 && !strcmp(e->d_name + n - 3, ".md"));
}

/* Files replayed, or -1. */
static int run_dir(const char *path)
{
    struct dirent **names;
    int n = scandir(path, &names, skip_notes, alphasort);
    if (n < 0) {
        perror(path);
        return -1;
    }
    int done = 0;
    for (int i = 0; i < n; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
        struct stat st;
        if (done >= 0 && !stat(full, &st) && S_ISREG(st.st_mode))
            done = run_file(full) ? -1 : done + 1;
        free(names[i]);
    }
    free(names);
    if (done == 0)
        fprintf(stderr, "%s: no inputs\n", path);
    return done > 0 ? done : -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    int total = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int n = !stat(argv[i], &st) && S_ISDIR(st.st_mode) ? run_dir(argv[i])
                                                            : (run_file(argv[i]) ? -1 : 1);
        if (n < 0)
            return 1;
        total += n;
    }
    printf("%d inputs replayed\n", total);
    return 0;
}
