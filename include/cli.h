/* cli.h - the pstatsviz command line: subcommands, their options, their
 * one-line errors.  main.c only calls pv_cli_main(). */
#ifndef PV_CLI_H
#define PV_CLI_H

/* Returns the process exit status: 0 ok, 1 failure, 2 usage error. */
int pv_cli_main(int argc, char **argv);

/* A profile from a file path, or from the database (db, NULL: the default)
 * by id: 0 and *p yours (pv_profile_destroy), or the exit status after a
 * one-line error on stderr. */
struct pv_profile;
int pv_cli_load_profile(const char *arg, const char *db, struct pv_profile **p);

/* pstatsviz diff A B ... (cli_diff.c): argv holds what follows "diff". */
int pv_cli_diff_main(int argc, char **argv);

#endif
