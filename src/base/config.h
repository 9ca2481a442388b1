/*
 * config: table-driven configuration of Huard.
 *
 * Every option is one row of a static table in config.c (name, type, default, bounds, field,
 * help) and one field of struct config below. Values are layered, later wins:
 *
 *     built-in defaults < configuration file < HUARD_* environment < command-line flags
 *
 * config_load() applies the four layers in that order (the file named by --config or
 * HUARD_CONFIG); the single-layer functions exist for tests and special commands.
 *
 * File format (`--config FILE`): one `key = value` per line, keys are option names. Blank
 * lines and lines whose first non-blank character is `#` are ignored. The value is the rest of
 * the line with surrounding blanks removed; one pair of surrounding double quotes is removed
 * too (no escapes), so `database = ""` sets an empty value. `config` may not appear in a file.
 * Environment: option `max_body` is read from HUARD_MAX_BODY; other HUARD_* variables are
 * ignored. Flags: `--max_body 64k` or `--max_body=64k` (a `-` may replace each `_`).
 *
 * Value syntax per type:
 *   string    any text
 *   int       decimal integer within the option's bounds
 *   bool      true/false, yes/no, on/off, 1/0
 *   size      bytes with an optional binary suffix: 512, 64k, 1m, 2g (also kb/kib/mb/mib...)
 *   duration  a number with a unit ms, s, m, h or d (bare number = seconds): 250ms, 30s, 5m
 *   addr      host:port or [ipv6]:port, port 0..65535 (0 = any free port)
 *   enum      one of the listed words (e.g. log_level err|warn|info|debug)
 *
 * Errors: a bad value stops start-up. Every failing function returns HE_CONFIG and sets *err
 * to a new string (caller frees) in one of these forms:
 *     huard.conf:12: option 'max_body': invalid size 'lots'
 *     env HUARD_MAX_BODY: option 'max_body': invalid size 'lots'
 *     --max_body: option 'max_body': invalid size 'lots'
 *
 * Ownership: struct config is the caller's storage; strings in it are owned by it and freed
 * by config_release(). Thread: configure on the main thread before starting others; the
 * filled struct is then read-only and may be read from any thread.
 */
#ifndef HUARD_BASE_CONFIG_H
#define HUARD_BASE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/alloc.h"

/* Values of the sqlite_synchronous option (SQLite's PRAGMA synchronous). */
enum config_sync { CONFIG_SYNC_FULL = 0, CONFIG_SYNC_NORMAL = 1 };

/* Durations are stored in milliseconds (field suffix _ms), sizes in bytes. */
struct config {
    char *listen;                /* "host:port" the server binds (see config_listen_split) */
    char *data;                  /* data folder: database, attachments, admin password */
    char *database;              /* "" = <data>/huard.db, else a path or postgresql:// URL */
    int workers;                 /* 0 = 2 x cores (see config_worker_count) */
    int log_level;               /* enum log_level of base/log.h */
    size_t max_body;             /* request body cap (413) */
    size_t max_header;           /* request header block cap (431) */
    size_t max_uri;              /* request URI cap (414) */
    int connection_limit;        /* MHD_OPTION_CONNECTION_LIMIT */
    int64_t ws_ping_interval_ms; /* WebSocket ping period */
    size_t ws_queue_max;         /* per-session send queue cap */
    size_t ws_max_message;       /* largest WebSocket message accepted */
    int64_t ws_auth_check_max_ms; /* longest wait between token re-checks (revocation) */
    int max_room_members;        /* members per room */
    int message_max_chars;       /* Unicode scalar values per message */
    int64_t token_lifetime_ms;   /* default token expiry */
    int sqlite_synchronous;      /* enum config_sync */
    char *admin_password;        /* initial admin password; "" = generate one */
    char *config;                /* configuration file read by config_load; "" = none */

    /* Actions seen by config_parse_args, not options: never read from file or environment. */
    bool help;         /* --help or -h */
    bool print_config; /* --print-config */
};

/** Sets every option to its default (strings allocated). Pair with config_release(). */
void config_init_defaults(struct config *cfg);

/** Frees the strings of cfg; cfg may then be re-initialised. */
void config_release(struct config *cfg);

/**
 * Applies every layer: defaults, then the file named by --config/HUARD_CONFIG if any, then
 * the environment (envp, NULL = the process environment), then the flags of argv[1..argc-1]
 * (argv[0] is the command name). On success *first_non_option is the index in argv of the
 * first argument that is not an option (argc if none). cfg is initialised even on failure;
 * the caller always calls config_release().
 */
int config_load(struct config *cfg, int argc, char **argv, char **envp, int *first_non_option,
                char **err) HU_MUST_CHECK;

/** Reads `key = value` lines from path over cfg. */
int config_load_file(struct config *cfg, const char *path, char **err) HU_MUST_CHECK;

/** Reads HUARD_<OPTION> variables of envp ("NAME=value" strings, NULL-terminated; NULL =
 * the process environment) over cfg. */
int config_load_env(struct config *cfg, char **envp, char **err) HU_MUST_CHECK;

/**
 * Parses `--name value` and `--name=value` flags from argv[1] on, plus the actions --help, -h
 * and --print-config. Stops at the first argument not starting with `-` or after `--`, and
 * sets *first_non_option (may be NULL) to its index. An unknown flag is an error.
 */
int config_parse_args(struct config *cfg, int argc, char **argv, int *first_non_option,
                      char **err) HU_MUST_CHECK;

/** Sets one option from text, as a flag would (used by tests and sub-commands). */
int config_set(struct config *cfg, const char *name, const char *value, char **err) HU_MUST_CHECK;

/** Writes every option as `key = value` lines that config_load_file reads back. Secrets
 * (admin_password) are written as a comment saying whether they are set. */
void config_print(const struct config *cfg, FILE *out);

/** Lists the options with their type, default and help text. */
void config_usage(FILE *out);

/** Number of worker threads: cfg->workers, or 2 x online cores when 0. */
int config_worker_count(const struct config *cfg);

/**
 * Splits an addr value ("127.0.0.1:9500", "[::1]:0", "localhost:80") into host (brackets
 * removed, NUL-terminated, at most host_size - 1 bytes) and port. Returns HE_INVAL if it does
 * not fit or is malformed.
 */
int config_addr_split(const char *addr, char *host, size_t host_size, uint16_t *port) HU_MUST_CHECK;

#endif
