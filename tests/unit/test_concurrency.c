/* Parsing, storing and exporting on many threads at once gives what one
 * thread gives.  The server parses each upload on a thread of its own and
 * answers reads on a pool, so any mutable state shared by the reader, the
 * model or the store (a static sort context was one) shows up here as an
 * export that differs from the serial one.  Built a second time with
 * ThreadSanitizer (tests/meson.build), which reports the race itself.
 *
 * usage: test_concurrency PREFIX FILE...   (databases PREFIX-0.db ... PREFIX-3.db:
 * each build of the test gets its own, as meson may run them at once) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "read_file.h"
#include "profile.h"
#include "report_json.h"
#include "import.h"
#include "store.h"

enum { THREADS = 4, ROUNDS = 25 };

struct input {
    const char *path;
    uint8_t *bytes;
    size_t len;
    char id[PV_STORE_ID_HEX + 1];
    char *expected; /* the serial export */
    size_t expected_len;
};

static struct input *inputs;
static size_t ninputs;

/* The canonical JSON of p, malloc'd, or NULL. */
static char *export_json(const struct pv_profile *p, size_t *len)
{
    char *out = NULL;
    FILE *f = open_memstream(&out, len);
    if (!f)
        return NULL;
    pv_err err = {0};
    pv_code rc = pv_report_json_export_write(p, f, &err);
    fclose(f);
    if (rc) {
        free(out);
        return NULL;
    }
    return out;
}

static bool same_export(const struct input *in, const struct pv_profile *p)
{
    size_t len;
    char *got = export_json(p, &len);
    bool same = got && len == in->expected_len && !memcmp(got, in->expected, len);
    free(got);
    return same;
}

struct worker {
    char db[4096];
    unsigned seed;
    int parsed_differ, loaded_differ, errors;
};

/* Each round visits the inputs in its own order, so threads parse
 * different files at the same moment.  Every thread imports into a
 * database of its own and deletes again, so each import parses. */
static void *work(void *arg)
{
    struct worker *w = arg;
    struct pv_store *s = NULL;
    pv_err err = {0};
    if (pv_store_open(w->db, &s, &err)) {
        w->errors++;
        return NULL;
    }
    for (int round = 0; round < ROUNDS; round++) {
        size_t start = (size_t)rand_r(&w->seed) % ninputs;
        for (size_t k = 0; k < ninputs; k++) {
            const struct input *in = &inputs[(start + k) % ninputs];
            struct pv_profile *p = NULL;
            if (pv_profile_parse(in->bytes, in->len, &p, &err)) {
                w->errors++;
                continue;
            }
            w->parsed_differ += !same_export(in, p);
            pv_profile_destroy(p);
            struct pv_store_record res = {0};
            if (pv_import_bytes(s, in->bytes, in->len, in->path, NULL, &res, &err) ||
                pv_store_load(s, res.id, &p, &err)) {
                w->errors++;
                free(res.name);
                continue;
            }
            w->loaded_differ += !same_export(in, p);
            pv_profile_destroy(p);
            if (pv_store_delete(s, res.id, res.delete_token, &err))
                w->errors++;
            free(res.name);
        }
    }
    pv_store_close(s);
    return NULL;
}

static void remove_db(const char *path)
{
    char side[4096];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s PREFIX FILE...\n", argv[0]);
        return 2;
    }
    ninputs = (size_t)argc - 2;
    inputs = calloc(ninputs, sizeof *inputs);
    if (!inputs)
        return 2;
    /* The reference: each file parsed and exported on one thread. */
    for (size_t i = 0; i < ninputs; i++) {
        struct input *in = &inputs[i];
        in->path = argv[i + 2];
        struct pv_profile *p = NULL;
        pv_err err = {0};
        if (!(in->bytes = read_file(in->path, &in->len)) ||
            pv_profile_parse(in->bytes, in->len, &p, &err) ||
            !(in->expected = export_json(p, &in->expected_len))) {
            fprintf(stderr, "%s: cannot read or parse: %s\n", in->path, err.msg);
            return 2;
        }
        pv_profile_destroy(p);
    }

    pthread_t tid[THREADS];
    struct worker w[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t] = (struct worker){.seed = (unsigned)t * 7919u + 1};
        snprintf(w[t].db, sizeof w[t].db, "%s-%d.db", argv[1], t);
        remove_db(w[t].db);
        if (pthread_create(&tid[t], NULL, work, &w[t])) {
            fprintf(stderr, "pthread_create failed\n");
            return 2;
        }
    }
    int parsed = 0, loaded = 0, errors = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(tid[t], NULL);
        parsed += w[t].parsed_differ;
        loaded += w[t].loaded_differ;
        errors += w[t].errors;
        remove_db(w[t].db);
    }
    int total = THREADS * ROUNDS * (int)ninputs;
    CHECK(errors == 0, "concurrent_imports_do_not_fail", "%d failed", errors);
    CHECK(parsed == 0, "concurrent_parse_equals_serial_parse",
          "%d of %d exports differ from the serial parse", parsed, total);
    CHECK(loaded == 0, "concurrent_import_and_load_equals_serial_parse",
          "%d of %d exports differ from the serial parse", loaded, total);
    for (size_t i = 0; i < ninputs; i++) {
        free(inputs[i].bytes);
        free(inputs[i].expected);
    }
    free(inputs);
    return check_done();
}
