/* Placeholder until the owning work lands; answers with a clear failure. */
#include "cmd/cmd.h"

#include <stdio.h>

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "huard serve: not built yet\n");
    return 1;
}
