/* cli.h - the pstatsviz command line: subcommands, their options, their
 * one-line errors.  main.c only calls pv_cli_main(); the rest of the
 * module (cli_diff.c, cli_memory.c) shares src/cli_private.h. */
#ifndef PV_CLI_H
#define PV_CLI_H

/* Returns the process exit status: 0 ok, 1 failure, 2 usage error. */
int pv_cli_main(int argc, char **argv);

#endif
