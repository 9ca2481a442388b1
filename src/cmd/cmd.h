/*
 * cmd: the sub-commands of the huard binary. main.c only dispatches to them.
 *
 * Each function receives the arguments after its own name (argv[0] is the sub-command
 * name) and returns the process exit status: 0 success, 1 runtime failure, 2 usage error.
 * Each answers --help with its own usage on stdout.
 */
#ifndef HUARD_CMD_CMD_H
#define HUARD_CMD_CMD_H

/** `huard serve [--listen ADDR:PORT] [--data DIR] [--database URL] ...` (cmd/serve.c) */
int cmd_serve(int argc, char **argv);
/** `huard migrate [--data DIR] [--database URL]` (cmd/migrate.c) */
int cmd_migrate(int argc, char **argv);
/** `huard user add NAME [--admin] | passwd NAME | list` (cmd/user.c) */
int cmd_user(int argc, char **argv);

#endif
