/*
 * store_fixture: a real SQLite store in a fresh temp folder for the domain unit tests (no
 * mocks of our own code, STYLE.md), and its removal. Test-only; one per test process at a
 * time, as Criterion runs each test in its own process.
 */
#ifndef HUARD_TESTS_UNIT_STORE_FIXTURE_H
#define HUARD_TESTS_UNIT_STORE_FIXTURE_H

#include <stddef.h>

struct store;

/** Bytes a fixture folder name needs. */
#define STORE_FIXTURE_DIR_MAX 64

/**
 * Makes a folder /tmp/huard-<name>-XXXXXX into dir and opens a SQLite store there
 * (synchronous off: durability is the store suite's business). Fails the test on error.
 */
struct store *store_fixture_open(const char *name, char dir[STORE_FIXTURE_DIR_MAX]);

/** Closes s and removes dir with everything in it. */
void store_fixture_close(struct store *s, const char *dir);

#endif
