/*
 * `huard migrate`: applies the pending schema migrations and exits (serve applies them at
 * start as well; this is for operators who migrate before rolling out instances).
 */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "store/store.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: huard migrate [--data DIR] [--database URL_OR_PATH]\n"
                 "\n"
                 "Applies the pending database migrations, then prints the schema version.\n"
                 "  --data DIR                data folder (default ./data; database DIR/huard.db)\n"
                 "  --database URL_OR_PATH    SQLite file or postgresql:// URL (overrides --data)\n"
                 "  --help                    this help\n");
}

int cmd_migrate(int argc, char **argv)
{
    const char *data = NULL, *database = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        const char **value = NULL;
        if (strcmp(argv[i], "--data") == 0) {
            value = &data;
        } else if (strcmp(argv[i], "--database") == 0) {
            value = &database;
        } else {
            fprintf(stderr, "huard migrate: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "huard migrate: %s needs a value\n", argv[i]);
            return 2;
        }
        *value = argv[++i];
    }
    char *where = NULL;
    struct store *store = NULL;
    int current = 0, latest = 0;
    int rc = store_location(data, database, &where);
    if (rc == 0) {
        rc = store_open(where, NULL, &store);
    }
    if (rc == 0) {
        rc = store_schema_version(store, &current, &latest);
    }
    if (rc == 0) {
        printf("%s schema at version %d (latest %d)\n", store_backend_name(store), current, latest);
    } else {
        fprintf(stderr, "huard migrate: %s\n", he_message(rc));
    }
    store_close(store);
    free(where);
    return rc == 0 ? 0 : 1;
}
