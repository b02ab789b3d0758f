/* main.c - the pstatsviz binary: everything else lives in the modules. */
#include "cli.h"

int main(int argc, char **argv)
{
    return pv_cli_main(argc, argv);
}
