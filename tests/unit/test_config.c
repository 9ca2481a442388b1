/* Unit tests of base/config: layering, value syntax, error message forms, print round trip. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "base/err.h"
#include "base/log.h"

/* Writes text to a new temporary file; returns its path (caller frees and unlinks). */
static char *write_temp(const char *text)
{
    char *path = xstrdup("/tmp/huard-config-test-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    size_t n = strlen(text);
    cr_assert_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

Test(config, defaults_match_the_documented_values)
{
    struct config c;
    config_init_defaults(&c);
    cr_expect_str_eq(c.listen, "127.0.0.1:9500");
    cr_expect_str_eq(c.data, "./data");
    cr_expect_str_eq(c.database, "");
    cr_expect_eq(c.workers, 0);
    cr_expect_eq(c.log_level, LOG_INFO);
    cr_expect_eq(c.max_body, 64 * 1024);
    cr_expect_eq(c.max_header, 8 * 1024);
    cr_expect_eq(c.max_uri, 4 * 1024);
    cr_expect_eq(c.connection_limit, 20000);
    cr_expect_eq(c.ws_ping_interval_ms, 30000);
    cr_expect_eq(c.ws_queue_max, 1024 * 1024);
    cr_expect_eq(c.ws_max_message, 64 * 1024);
    cr_expect_eq(c.max_room_members, 1000);
    cr_expect_eq(c.message_max_chars, 8000);
    cr_expect_eq(c.token_lifetime_ms, 7200 * 1000);
    cr_expect_eq(c.sqlite_synchronous, CONFIG_SYNC_FULL);
    cr_expect_str_eq(c.admin_password, "");
    cr_expect_str_eq(c.config, "");
    cr_expect_gt(config_worker_count(&c), 1);
    config_release(&c);
}

Test(config, precedence_is_default_then_file_then_env_then_flag)
{
    char *path = write_temp("# comment\n\n  max_body = 128k  \nworkers=3\ndata = \"/srv/x\"\n"
                            "log_level = debug\n");
    char *cfgpath = xasprintf("HUARD_CONFIG=%s", path);
    char *envp[] = {cfgpath,     "HUARD_WORKERS=5",       "HUARD_DATA=/env",
                    "PATH=/bin", "HUARD_UNKNOWN_THING=1", NULL};
    char *argv[] = {"serve", "--data", "/flag", "--ws-ping-interval=250ms", "rest", "--x", NULL};
    struct config c;
    char *err = NULL;
    int first = -1;
    int rc = config_load(&c, 6, argv, envp, &first, &err);
    cr_assert_eq(rc, 0, "%s", err ? err : "");
    cr_expect_eq(first, 4);
    cr_expect_eq(c.max_body, 128 * 1024);     /* file over default */
    cr_expect_eq(c.workers, 5);               /* env over file */
    cr_expect_str_eq(c.data, "/flag");        /* flag over env */
    cr_expect_eq(c.ws_ping_interval_ms, 250); /* flag over default */
    cr_expect_eq(c.log_level, LOG_DEBUG);     /* file only */
    cr_expect_eq(c.connection_limit, 20000);  /* default */
    cr_expect_str_eq(c.config, path);
    config_release(&c);
    unlink(path);
    free(path);
    free(cfgpath);
}

Test(config, config_flag_names_the_file)
{
    char *path = write_temp("listen = [::1]:0\n");
    char *argv[] = {"serve", "--config", path, NULL};
    char *envp[] = {NULL};
    struct config c;
    char *err = NULL;
    cr_assert_eq(config_load(&c, 3, argv, envp, NULL, &err), 0, "%s", err ? err : "");
    cr_expect_str_eq(c.listen, "[::1]:0");
    config_release(&c);
    unlink(path);
    free(path);
}

static void expect_file_error(const char *text, const char *expected_suffix)
{
    char *path = write_temp(text);
    struct config c;
    char *err = NULL;
    config_init_defaults(&c);
    cr_expect_eq(config_load_file(&c, path, &err), HE_CONFIG, "accepted: %s", text);
    cr_assert_not_null(err, "no error for: %s", text);
    char *expected = xasprintf("%s%s", path, expected_suffix);
    cr_expect_str_eq(err, expected);
    free(expected);
    free(err);
    config_release(&c);
    unlink(path);
    free(path);
}

Test(config, file_errors_name_file_line_and_option)
{
    expect_file_error("workers = 2\n\nmax_body = lots\n",
                      ":3: option 'max_body': invalid size 'lots' (use e.g. 512, 64k, 1m)");
    expect_file_error("# x\nworkers = 2000\n", ":2: option 'workers': must be between 0 and 1024");
    expect_file_error("max_body = 1g\n", ":1: option 'max_body': must be between 1k and 64m");
    expect_file_error("ws_ping_interval = 5ms\n", ":1: option 'ws_ping_interval': "
                                                  "must be between 10ms and 1d");
    expect_file_error("\nlog_level = loud\n",
                      ":2: option 'log_level': invalid value 'loud' (one of err|warn|info|debug)");
    expect_file_error("listen = 127.0.0.1\n", ":1: option 'listen': invalid address '127.0.0.1' "
                                              "(use host:port or [ipv6]:port)");
    expect_file_error("listen = 127.0.0.1:65536\n",
                      ":1: option 'listen': invalid address "
                      "'127.0.0.1:65536' (use host:port or [ipv6]:port)");
    expect_file_error("token_lifetime = 2 hours\n",
                      ":1: option 'token_lifetime': invalid duration '2 hours' "
                      "(use e.g. 250ms, 30s, 5m, 2h)");
    expect_file_error("nosuch = 1\n", ":1: unknown option 'nosuch'");
    expect_file_error("max-body = 1\n", ":1: unknown option 'max-body'");
    expect_file_error("workers\n", ":1: expected 'key = value'");
    expect_file_error("config = /x\n", ":1: option 'config': not allowed in a configuration file");
}

Test(config, missing_file_is_an_error)
{
    struct config c;
    char *err = NULL;
    config_init_defaults(&c);
    cr_expect_eq(config_load_file(&c, "/nonexistent/huard.conf", &err), HE_CONFIG);
    cr_expect_str_eq(err, "/nonexistent/huard.conf: cannot open: No such file or directory");
    free(err);
    config_release(&c);
}

Test(config, env_error_names_the_variable)
{
    char *envp[] = {"HUARD_WORKERS=many", NULL};
    struct config c;
    char *err = NULL;
    config_init_defaults(&c);
    cr_expect_eq(config_load_env(&c, envp, &err), HE_CONFIG);
    cr_expect_str_eq(err, "env HUARD_WORKERS: option 'workers': invalid integer 'many'");
    free(err);
    config_release(&c);
}

Test(config, env_ignores_lower_case_and_foreign_names)
{
    char *envp[] = {"HUARD_workers=7", "XHUARD_WORKERS=7", "HUARD_MAX-BODY=1m", NULL};
    struct config c;
    char *err = NULL;
    config_init_defaults(&c);
    cr_expect_eq(config_load_env(&c, envp, &err), 0);
    cr_expect_eq(c.workers, 0);
    cr_expect_eq(c.max_body, 64 * 1024);
    config_release(&c);
}

Test(config, flag_errors_name_the_flag)
{
    struct config c;
    char *err = NULL;
    config_init_defaults(&c);

    char *a1[] = {"serve", "--max_room_members=1", NULL};
    cr_expect_eq(config_parse_args(&c, 2, a1, NULL, &err), HE_CONFIG);
    cr_expect_str_eq(err, "--max_room_members: option 'max_room_members': must be between 2 and "
                          "1000000");
    free(err);

    char *a2[] = {"serve", "--sqlite-synchronous", "off", NULL};
    cr_expect_eq(config_parse_args(&c, 3, a2, NULL, &err), HE_CONFIG);
    cr_expect_str_eq(err, "--sqlite_synchronous: option 'sqlite_synchronous': invalid value 'off' "
                          "(one of full|normal)");
    free(err);

    char *a3[] = {"serve", "--listen", NULL};
    cr_expect_eq(config_parse_args(&c, 2, a3, NULL, &err), HE_CONFIG);
    cr_expect_str_eq(err, "--listen: option 'listen': missing value");
    free(err);

    char *a4[] = {"serve", "--bogus=1", NULL};
    cr_expect_eq(config_parse_args(&c, 2, a4, NULL, &err), HE_CONFIG);
    cr_expect_str_eq(err, "--bogus: unknown option (see --help)");
    free(err);

    char *a5[] = {"serve", "-x", NULL};
    cr_expect_eq(config_parse_args(&c, 2, a5, NULL, &err), HE_CONFIG);
    cr_expect_str_eq(err, "-x: unknown option (see --help)");
    free(err);
    config_release(&c);
}

Test(config, every_option_accepts_both_flag_forms)
{
    struct config c;
    char *err = NULL;
    int first = 0;
    config_init_defaults(&c);
    char *argv[] = {"serve",
                    "--admin_password",
                    "s3cret",
                    "--database=postgresql://h/db",
                    "--max_uri",
                    "1k",
                    "--token_lifetime=90m",
                    "--help",
                    "--print-config",
                    "--",
                    "--data",
                    NULL};
    cr_assert_eq(config_parse_args(&c, 11, argv, &first, &err), 0, "%s", err ? err : "");
    cr_expect_eq(first, 10);
    cr_expect_str_eq(c.admin_password, "s3cret");
    cr_expect_str_eq(c.database, "postgresql://h/db");
    cr_expect_eq(c.max_uri, 1024);
    cr_expect_eq(c.token_lifetime_ms, 90 * 60 * 1000);
    cr_expect(c.help);
    cr_expect(c.print_config);
    cr_expect_str_eq(c.data, "./data");
    config_release(&c);
}

Test(config, size_and_duration_syntax)
{
    struct config c;
    char *err = NULL;
    config_init_defaults(&c);
    cr_assert_eq(config_set(&c, "ws_queue_max", "2MiB", &err), 0);
    cr_expect_eq(c.ws_queue_max, 2 * 1024 * 1024);
    cr_assert_eq(config_set(&c, "ws_queue_max", "5000", &err), 0);
    cr_expect_eq(c.ws_queue_max, 5000);
    cr_assert_eq(config_set(&c, "ws_queue_max", "1G", &err), 0);
    cr_expect_eq(c.ws_queue_max, (size_t)1 << 30);
    cr_assert_eq(config_set(&c, "token_lifetime", "45", &err), 0);
    cr_expect_eq(c.token_lifetime_ms, 45000);
    cr_assert_eq(config_set(&c, "token_lifetime", "1d", &err), 0);
    cr_expect_eq(c.token_lifetime_ms, 86400000);
    cr_expect_eq(config_set(&c, "ws_queue_max", "99999999999999999999k", &err), HE_CONFIG);
    free(err);
    cr_expect_eq(config_set(&c, "ws_queue_max", "-1", &err), HE_CONFIG);
    free(err);
    cr_expect_eq(config_set(&c, "workers", "", &err), HE_CONFIG);
    cr_expect_str_eq(err, "--workers: option 'workers': invalid integer ''");
    free(err);
    cr_expect_eq(config_set(&c, "nope", "1", &err), HE_CONFIG);
    cr_expect_str_eq(err, "unknown option 'nope'");
    free(err);
    config_release(&c);
}

Test(config, print_output_loads_back_to_the_same_values)
{
    struct config a, b;
    char *err = NULL;
    config_init_defaults(&a);
    cr_assert_eq(config_set(&a, "data", " spaced dir ", &err), 0);
    cr_assert_eq(config_set(&a, "max_body", "100000", &err), 0);
    cr_assert_eq(config_set(&a, "ws_ping_interval", "1500ms", &err), 0);
    cr_assert_eq(config_set(&a, "log_level", "warn", &err), 0);
    cr_assert_eq(config_set(&a, "sqlite_synchronous", "normal", &err), 0);
    cr_assert_eq(config_set(&a, "admin_password", "hunter2", &err), 0);
    cr_assert_eq(config_set(&a, "config", "/etc/huard.conf", &err), 0);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_print(&a, f);
    fclose(f);
    cr_expect_null(strstr(text, "hunter2"), "secret printed");
    cr_expect_not_null(strstr(text, "# admin_password is set"));
    cr_expect_not_null(strstr(text, "max_body = 100000\n"));
    cr_expect_not_null(strstr(text, "ws_ping_interval = 1500ms\n"));
    cr_expect_not_null(strstr(text, "token_lifetime = 2h\n"));
    cr_expect_not_null(strstr(text, "ws_queue_max = 1m\n"));

    char *path = write_temp(text);
    config_init_defaults(&b);
    cr_assert_eq(config_load_file(&b, path, &err), 0, "%s", err ? err : "");
    cr_expect_str_eq(b.data, " spaced dir ");
    cr_expect_str_eq(b.listen, a.listen);
    cr_expect_str_eq(b.database, "");
    cr_expect_eq(b.max_body, a.max_body);
    cr_expect_eq(b.ws_ping_interval_ms, 1500);
    cr_expect_eq(b.log_level, LOG_WARN);
    cr_expect_eq(b.sqlite_synchronous, CONFIG_SYNC_NORMAL);
    cr_expect_eq(b.token_lifetime_ms, a.token_lifetime_ms);
    cr_expect_eq(b.ws_queue_max, a.ws_queue_max);
    cr_expect_eq(b.max_uri, a.max_uri);
    config_release(&a);
    config_release(&b);
    unlink(path);
    free(path);
    free(text);
}

Test(config, usage_lists_every_option)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_usage(f);
    fclose(f);
    static const char *const names[] = {"--listen",           "--data",
                                        "--database",         "--workers",
                                        "--log_level",        "--max_body",
                                        "--max_header",       "--max_uri",
                                        "--connection_limit", "--ws_ping_interval",
                                        "--ws_queue_max",     "--ws_max_message",
                                        "--max_room_members", "--message_max_chars",
                                        "--token_lifetime",   "--sqlite_synchronous",
                                        "--admin_password",   "--config",
                                        "--print-config",     "--help"};
    for (size_t i = 0; i < HU_ARRAY_LEN(names); i++) {
        cr_expect_not_null(strstr(text, names[i]), "%s missing", names[i]);
    }
    free(text);
}

Test(config, addr_split_forms)
{
    char host[64];
    uint16_t port = 1;
    cr_expect_eq(config_addr_split("127.0.0.1:9500", host, sizeof(host), &port), 0);
    cr_expect_str_eq(host, "127.0.0.1");
    cr_expect_eq(port, 9500);
    cr_expect_eq(config_addr_split("[::1]:0", host, sizeof(host), &port), 0);
    cr_expect_str_eq(host, "::1");
    cr_expect_eq(port, 0);
    cr_expect_eq(config_addr_split("localhost:80", host, sizeof(host), &port), 0);
    cr_expect_str_eq(host, "localhost");
    cr_expect_eq(config_addr_split(":80", host, sizeof(host), &port), HE_INVAL);
    cr_expect_eq(config_addr_split("::1:80", host, sizeof(host), &port), HE_INVAL);
    cr_expect_eq(config_addr_split("h:", host, sizeof(host), &port), HE_INVAL);
    cr_expect_eq(config_addr_split("h:000080", host, sizeof(host), &port), HE_INVAL);
    cr_expect_eq(config_addr_split("h:8x", host, sizeof(host), &port), HE_INVAL);
    cr_expect_eq(config_addr_split("[::1]80", host, sizeof(host), &port), HE_INVAL);
    cr_expect_eq(config_addr_split("a b:80", host, sizeof(host), &port), HE_INVAL);
    char tiny[4];
    cr_expect_eq(config_addr_split("abcd:1", tiny, sizeof(tiny), &port), HE_INVAL);
}
