/*
 * `huard user add|passwd|list`: user management from the command line, on either backend.
 *
 * The password is read from standard input when it is not a terminal (one line, so scripts
 * can provision users: `echo secret | huard user add alice`), else prompted twice on the
 * terminal without echo. Users go to the default tenant, created if missing, as does the
 * data folder. The argon2id hash runs here, before any transaction is opened.
 */
#define LOG_MODULE "cmd"
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "base/log.h"
#include "domain/auth.h"
#include "domain/password.h"
#include "store/store.h"
#include "base/banned.h"

#define PASSWORD_MAX 1024

static void usage(FILE *out)
{
    fprintf(out, "usage: huard user add NAME [--admin] [--firstname F] [--lastname L] [options]\n"
                 "       huard user passwd NAME [options]\n"
                 "       huard user list [options]\n"
                 "\n"
                 "options:\n"
                 "  --data DIR                data folder (default ./data; database DIR/huard.db)\n"
                 "  --database URL_OR_PATH    SQLite file or postgresql:// URL (overrides --data)\n"
                 "  --help                    this help\n"
                 "\n"
                 "The password is read from standard input when it is not a terminal (one line),\n"
                 "otherwise asked twice on the terminal.\n");
}

/* Reads one line into buf without its line ending; false on EOF or overlong input. */
static bool read_line(FILE *in, char *buf, size_t size)
{
    if (fgets(buf, (int)size, in) == NULL) {
        return false;
    }
    size_t len = strlen(buf);
    if (len == size - 1 && buf[len - 1] != '\n' && !feof(in)) {
        return false;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return true;
}

static bool prompt(FILE *tty, const char *what, char *buf, size_t size)
{
    struct termios old, quiet;
    int fd = fileno(tty);
    bool restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    fprintf(tty, "%s", what);
    fflush(tty);
    bool ok = read_line(tty, buf, size);
    if (restore) {
        tcsetattr(fd, TCSAFLUSH, &old);
    }
    fprintf(tty, "\n");
    return ok;
}

/* The new password, from stdin or the terminal. 0, or 1 with a message printed. */
static int read_password(char *buf, size_t size)
{
    if (!isatty(STDIN_FILENO)) {
        if (!read_line(stdin, buf, size)) {
            fprintf(stderr, "huard user: no password on standard input (or longer than %d)\n",
                    PASSWORD_MAX - 1);
            return 1;
        }
    } else {
        FILE *tty = fopen("/dev/tty", "r+");
        if (tty == NULL) {
            fprintf(stderr, "huard user: cannot open the terminal\n");
            return 1;
        }
        char again[PASSWORD_MAX];
        bool ok = prompt(tty, "Password: ", buf, size) && prompt(tty, "Again: ", again, size);
        fclose(tty);
        if (ok && strcmp(buf, again) != 0) {
            fprintf(stderr, "huard user: the passwords differ\n");
            return 1;
        }
        if (!ok) {
            fprintf(stderr, "huard user: no password read\n");
            return 1;
        }
    }
    if (buf[0] == '\0') {
        fprintf(stderr, "huard user: empty password refused\n");
        return 1;
    }
    return 0;
}

struct user_args {
    const char *verb;
    const char *name;
    const char *data;
    const char *database;
    const char *firstname;
    const char *lastname;
    bool admin;
};

/* 0 ok, 2 usage error, -1 --help shown. */
static int parse(int argc, char **argv, struct user_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **value = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return -1;
        } else if (strcmp(arg, "--admin") == 0) {
            a->admin = true;
            continue;
        } else if (strcmp(arg, "--data") == 0) {
            value = &a->data;
        } else if (strcmp(arg, "--database") == 0) {
            value = &a->database;
        } else if (strcmp(arg, "--firstname") == 0) {
            value = &a->firstname;
        } else if (strcmp(arg, "--lastname") == 0) {
            value = &a->lastname;
        } else if (arg[0] == '-') {
            fprintf(stderr, "huard user: unknown option '%s'\n", arg);
            return 2;
        } else if (a->verb == NULL) {
            a->verb = arg;
            continue;
        } else if (a->name == NULL) {
            a->name = arg;
            continue;
        } else {
            fprintf(stderr, "huard user: unexpected argument '%s'\n", arg);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "huard user: %s needs a value\n", arg);
            return 2;
        }
        *value = argv[++i];
    }
    if (a->verb == NULL) {
        usage(stderr);
        return 2;
    }
    bool needs_name = strcmp(a->verb, "add") == 0 || strcmp(a->verb, "passwd") == 0;
    if (!needs_name && strcmp(a->verb, "list") != 0) {
        fprintf(stderr, "huard user: unknown action '%s'\n", a->verb);
        return 2;
    }
    if (needs_name != (a->name != NULL) || (a->name != NULL && a->name[0] == '\0')) {
        usage(stderr);
        return 2;
    }
    if (strcmp(a->verb, "add") != 0 && (a->admin || a->firstname || a->lastname)) {
        fprintf(stderr, "huard user: --admin, --firstname and --lastname go with 'add'\n");
        return 2;
    }
    /* The rules POST /users applies (auth_user_create): what is stored here is later quoted
     * in JSON answers, which cannot carry bytes that are not UTF-8. */
    if (strcmp(a->verb, "add") == 0 && a->name != NULL &&
        (auth_username_check(a->name, strlen(a->name)) < 0 ||
         (a->firstname && auth_name_check(a->firstname) < 0) ||
         (a->lastname && auth_name_check(a->lastname) < 0))) {
        fprintf(stderr, "huard user: names must be UTF-8 text, and a username has no ':' nor "
                        "control characters\n");
        return 2;
    }
    return 0;
}

static int run_list(struct store_tx *tx, const char *tenant)
{
    struct store_user_list *l = NULL;
    int rc = store_user_list(tx, tenant, &l);
    if (rc < 0) {
        return rc;
    }
    printf("%-36s  %-5s  %s\n", "UUID", "ADMIN", "USERNAME (NAME)");
    for (size_t i = 0; i < l->count; i++) {
        const struct store_user *u = &l->items[i];
        printf("%-36s  %-5s  %s", u->uuid, u->admin ? "yes" : "no", u->username);
        if (u->firstname != NULL || u->lastname != NULL) {
            printf(" (%s%s%s)", u->firstname ? u->firstname : "",
                   u->firstname && u->lastname ? " " : "", u->lastname ? u->lastname : "");
        }
        printf("\n");
    }
    store_user_list_free(l);
    return 0;
}

int cmd_user(int argc, char **argv)
{
    struct user_args a = {0};
    int st = parse(argc, argv, &a);
    if (st != 0) {
        return st < 0 ? 0 : st;
    }
    char password[PASSWORD_MAX] = "";
    char hash[PASSWORD_HASH_MAX] = "";
    char *where = NULL;
    struct store *store = NULL;
    struct store_tx *tx = NULL;
    struct store_tenant *tenant = NULL;
    struct store_user *found = NULL;
    int exit_code = 1;
    int rc = 0;

    bool is_list = strcmp(a.verb, "list") == 0;
    if (!is_list) {
        if (read_password(password, sizeof(password)) != 0) {
            goto out;
        }
        rc = password_hash(password, strlen(password), hash);
        if (rc < 0) {
            fprintf(stderr, "huard user: cannot hash the password: %s\n", he_message(rc));
            goto out;
        }
    }
    rc = store_location(a.data, a.database, &where);
    if (rc == 0) {
        rc = store_open(where, NULL, &store);
    }
    if (rc < 0) {
        fprintf(stderr, "huard user: cannot open the database: %s\n", he_message(rc));
        goto out;
    }
    rc = is_list ? store_tx_begin_read(store, &tx) : store_tx_begin(store, &tx);
    if (rc == 0) {
        rc = is_list ? store_tenant_get_default(tx, &tenant)
                     : store_tenant_ensure_default(tx, &tenant);
        if (rc == HE_NOT_FOUND && is_list) {
            printf("no users yet\n");
            exit_code = 0;
            goto out;
        }
    }
    if (rc < 0) {
        goto fail;
    }
    if (is_list) {
        rc = run_list(tx, tenant->uuid);
    } else if (strcmp(a.verb, "add") == 0) {
        struct store_user u = {.username = (char *)a.name,
                               .password_hash = hash,
                               .firstname = (char *)a.firstname,
                               .lastname = (char *)a.lastname,
                               .admin = a.admin};
        snprintf(u.tenant_uuid, sizeof(u.tenant_uuid), "%s", tenant->uuid);
        rc = store_user_add(tx, &u);
        if (rc == HE_EXISTS) {
            fprintf(stderr, "huard user: user '%s' already exists\n", a.name);
            goto out;
        }
        if (rc == 0) {
            rc = store_tx_commit(tx);
            tx = NULL;
        }
        if (rc == 0) {
            printf("added user %s uuid=%s%s\n", a.name, u.uuid, a.admin ? " (admin)" : "");
        }
    } else {
        rc = store_user_get_by_name(tx, tenant->uuid, a.name, &found);
        if (rc == HE_UNKNOWN_USER) {
            fprintf(stderr, "huard user: no user '%s'\n", a.name);
            goto out;
        }
        if (rc == 0) {
            rc = store_user_set_password(tx, found->uuid, hash);
        }
        if (rc == 0) {
            rc = store_tx_commit(tx);
            tx = NULL;
        }
        if (rc == 0) {
            printf("password of %s changed\n", a.name);
        }
    }
fail:
    if (rc < 0) {
        fprintf(stderr, "huard user: %s failed: %s\n", a.verb, he_message(rc));
        goto out;
    }
    exit_code = 0;
out:
    store_tx_rollback(tx);
    store_user_free(found);
    store_tenant_free(tenant);
    store_close(store);
    free(where);
    explicit_bzero(password, sizeof(password));
    return exit_code;
}
