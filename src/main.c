/* huard: entry point. Wiring only: each sub-command lives in src/cmd/. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("huard %s\n", HUARD_VERSION);
    return 0;
}

static const struct subcommand subcommands[] = {
    {"serve", cmd_serve, "run the chat server (REST, WebSocket, web UI)"},
    {"migrate", cmd_migrate, "apply database migrations and exit"},
    {"user", cmd_user, "add, list users or change a password"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: huard <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    }
    fprintf(out, "\n'huard <command> --help' shows the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        return cmd_version(argc - 1, argv + 1);
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        if (strcmp(argv[1], subcommands[i].name) == 0) {
            return subcommands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "huard: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
