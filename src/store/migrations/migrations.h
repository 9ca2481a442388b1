/*
 * migrations: the schema, one step per version, in SQLite's and PostgreSQL's dialects
 * (internal to src/store/). The SQL is embedded in the binary as C strings (migrations.c).
 *
 * A step's SQL is a script of several statements run inside one transaction together with
 * the update of `schema_version`, so a database is always at exactly one version. Steps are
 * only ever appended: a released step is never edited.
 */
#ifndef HUARD_STORE_MIGRATIONS_MIGRATIONS_H
#define HUARD_STORE_MIGRATIONS_MIGRATIONS_H

#include <stddef.h>

struct store_migration {
    int version; /* 1, 2, ... in order */
    const char *sql;
};

extern const struct store_migration store__migrations_sqlite[];
extern const struct store_migration store__migrations_pg[];
/* Number of steps of each array (the same for both dialects), = the latest version. */
extern const int store__schema_latest;

#endif
