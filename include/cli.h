/* cli.h - the pstatsviz command line: subcommands, their options, their
 * one-line errors.  main.c only calls pv_cli_main(). */
#ifndef PV_CLI_H
#define PV_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "pv.h"

/* Returns the process exit status: 0 ok, 1 failure, 2 usage error. */
int pv_cli_main(int argc, char **argv);

/* A profile from a file path, or from the database (db, NULL: the default)
 * by id: 0 and *p yours (pv_profile_destroy), or the exit status after a
 * one-line error on stderr. */
struct pv_profile;
int pv_cli_load_profile(const char *arg, const char *db, struct pv_profile **p);

/* pstatsviz diff A B ... (cli_diff.c): argv holds what follows "diff". */
int pv_cli_diff_main(int argc, char **argv);

/* Read a whole file into memory (mapped read-only; empty files allowed).
 * Release with pv_file_unmap(). */
pv_code pv_file_map(const char *path, const uint8_t **data, size_t *len, pv_err *err);
void pv_file_unmap(const uint8_t *data, size_t len);

#endif
