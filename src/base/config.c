#include "base/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/err.h"
#include "base/banned.h"

enum opt_type { OPT_STRING, OPT_INT, OPT_BOOL, OPT_SIZE, OPT_DURATION, OPT_ADDR, OPT_ENUM };

/* Option flags. */
#define OPT_SECRET 1u  /* never printed: config_print writes whether it is set */
#define OPT_NO_FILE 2u /* not accepted in a configuration file (the file's own path) */

struct option_def {
    const char *name;
    enum opt_type type;
    const char *def;     /* default, parsed by the same code as user input */
    int64_t min, max;    /* int: value; size: bytes; duration: milliseconds; 0, 0 = none */
    const char *choices; /* enum only: "a|b|c", the index is the stored value */
    size_t offset;       /* of the field in struct config */
    unsigned flags;
    const char *metavar; /* for config_usage; NULL = from the type */
    const char *help;
};

/*
 * offsetof() that also checks the field's C type, so that a row whose type does not match
 * its field fails to compile instead of writing the wrong width.
 */
/* NOLINTBEGIN(bugprone-macro-parentheses): T is a type name in a _Generic association. */
#define FIELD(f, T)                                                                                \
    (offsetof(struct config, f) + 0 * sizeof(char[_Generic(((struct config *)0)->f, T : 1, default \
                                                           : -1)]))
/* NOLINTEND(bugprone-macro-parentheses) */

#define KIB INT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define SEC INT64_C(1000)
#define DAY (SEC * 86400)

/* Adding an option: one row here and one field in struct config (config.h). */
static const struct option_def options[] = {
    {"config", OPT_STRING, "", 0, 0, NULL, FIELD(config, char *), OPT_NO_FILE, "FILE",
     "configuration file of `key = value` lines, read before the environment and flags"},
    {"listen", OPT_ADDR, "127.0.0.1:9500", 0, 0, NULL, FIELD(listen, char *), 0, NULL,
     "address and port to listen on (port 0 = any free port)"},
    {"data", OPT_STRING, "./data", 0, 0, NULL, FIELD(data, char *), 0, "DIR",
     "data folder: database, attachments, generated admin password"},
    {"database", OPT_STRING, "", 0, 0, NULL, FIELD(database, char *), 0, "PATH|URL",
     "SQLite file or postgresql:// URL; empty = <data>/huard.db"},
    {"workers", OPT_INT, "0", 0, 1024, NULL, FIELD(workers, int), 0, NULL,
     "worker threads; 0 = 2 x cores"},
    {"log_level", OPT_ENUM, "info", 0, 0, "err|warn|info|debug", FIELD(log_level, int), 0, NULL,
     "log verbosity"},
    {"max_body", OPT_SIZE, "64k", KIB, 64 * MIB, NULL, FIELD(max_body, size_t), 0, NULL,
     "largest request body (JSON) accepted; larger gets 413"},
    {"max_header", OPT_SIZE, "8k", KIB, MIB, NULL, FIELD(max_header, size_t), 0, NULL,
     "largest request header block; larger gets 431"},
    /* 4 KiB: a request line must fit in the 8 KiB connection pool beside its headers. */
    {"max_uri", OPT_SIZE, "4k", 256, 64 * KIB, NULL, FIELD(max_uri, size_t), 0, NULL,
     "longest request URI; longer gets 414"},
    {"connection_limit", OPT_INT, "20000", 1, 1000000, NULL, FIELD(connection_limit, int), 0, NULL,
     "most simultaneous client connections"},
    {"ws_ping_interval", OPT_DURATION, "30s", 10, DAY, NULL, FIELD(ws_ping_interval_ms, int64_t), 0,
     NULL, "WebSocket ping period; two missed pongs close the session"},
    {"ws_queue_max", OPT_SIZE, "1m", 4 * KIB, GIB, NULL, FIELD(ws_queue_max, size_t), 0, NULL,
     "bytes queued for one WebSocket before it is closed as too slow"},
    {"ws_max_message", OPT_SIZE, "64k", KIB, 16 * MIB, NULL, FIELD(ws_max_message, size_t), 0, NULL,
     "largest WebSocket message accepted from a client"},
    {"ws_auth_check_max", OPT_DURATION, "12h", 100, DAY, NULL, FIELD(ws_auth_check_max_ms, int64_t),
     0, NULL, "longest wait between two checks that a WebSocket's token is still valid"},
    {"max_room_members", OPT_INT, "1000", 2, 1000000, NULL, FIELD(max_room_members, int), 0, NULL,
     "most members in one room"},
    {"message_max_chars", OPT_INT, "8000", 1, 1000000, NULL, FIELD(message_max_chars, int), 0, NULL,
     "longest message content, in Unicode characters"},
    {"token_lifetime", OPT_DURATION, "2h", SEC, 365 * DAY, NULL, FIELD(token_lifetime_ms, int64_t),
     0, NULL, "default lifetime of an authentication token"},
    {"sqlite_synchronous", OPT_ENUM, "full", 0, 0, "full|normal", FIELD(sqlite_synchronous, int), 0,
     NULL, "SQLite durability: full = fsync every commit (writes acknowledged when durable)"},
    {"admin_password", OPT_STRING, "", 0, 0, NULL, FIELD(admin_password, char *), OPT_SECRET,
     "TEXT", "password of the first admin user; empty = generate and store one"},
};

static const struct option_def *option_find(const char *name, size_t len)
{
    for (size_t i = 0; i < HU_ARRAY_LEN(options); i++) {
        const char *o = options[i].name;
        if (strlen(o) != len) {
            continue;
        }
        size_t j = 0;
        /* Flags may spell `_` as `-` (--max-body); environment names arrive upper case. */
        while (j < len &&
               (tolower((unsigned char)name[j]) == o[j] || (name[j] == '-' && o[j] == '_'))) {
            j++;
        }
        if (j == len) {
            return &options[i];
        }
    }
    return NULL;
}

static void *field_ptr(struct config *cfg, const struct option_def *o)
{
    return (char *)cfg + o->offset;
}

static const void *field_cptr(const struct config *cfg, const struct option_def *o)
{
    return (const char *)cfg + o->offset;
}

/* Parses an unsigned decimal number at *s, advancing *s. */
static bool parse_digits(const char **s, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    if (!isdigit((unsigned char)*p)) {
        return false;
    }
    while (isdigit((unsigned char)*p)) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
        p++;
    }
    *s = p;
    *out = v;
    return true;
}

static bool parse_int(const char *s, int64_t *out)
{
    bool neg = false;
    uint64_t v;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    if (!parse_digits(&s, &v) || *s != '\0' || v > (uint64_t)INT64_MAX) {
        return false;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

struct unit {
    const char *suffix;
    int64_t mult;
};

static bool parse_with_unit(const char *s, const struct unit *units, size_t n, int64_t *out)
{
    uint64_t v;
    if (!parse_digits(&s, &v)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(s, units[i].suffix) == 0) {
            if (v > (uint64_t)(INT64_MAX / units[i].mult)) {
                return false;
            }
            *out = (int64_t)v * units[i].mult;
            return true;
        }
    }
    return false;
}

static const struct unit size_units[] = {
    {"", 1},     {"b", 1},     {"k", KIB}, {"kb", KIB}, {"kib", KIB}, {"m", MIB},
    {"mb", MIB}, {"mib", MIB}, {"g", GIB}, {"gb", GIB}, {"gib", GIB},
};

/* Bare numbers are seconds, as in most daemons' configuration files. */
static const struct unit duration_units[] = {
    {"", SEC}, {"ms", 1}, {"s", SEC}, {"m", 60 * SEC}, {"h", 3600 * SEC}, {"d", DAY},
};

/* Writes a size with the largest binary suffix that divides it exactly ("64k"). */
static void format_size(char *out, size_t size, int64_t v)
{
    static const struct unit canon[] = {{"g", GIB}, {"m", MIB}, {"k", KIB}};
    for (size_t i = 0; i < HU_ARRAY_LEN(canon); i++) {
        if (v != 0 && v % canon[i].mult == 0) {
            snprintf(out, size, "%" PRId64 "%s", v / canon[i].mult, canon[i].suffix);
            return;
        }
    }
    snprintf(out, size, "%" PRId64, v);
}

/* Writes a duration with the largest unit that divides it exactly ("30s", "250ms"). Always
 * with a unit: a bare number would read back as seconds. */
static void format_duration(char *out, size_t size, int64_t ms)
{
    static const struct unit canon[] = {{"d", DAY}, {"h", 3600 * SEC}, {"m", 60 * SEC}, {"s", SEC}};
    if (ms == 0) {
        snprintf(out, size, "0s");
        return;
    }
    for (size_t i = 0; i < HU_ARRAY_LEN(canon); i++) {
        if (ms % canon[i].mult == 0) {
            snprintf(out, size, "%" PRId64 "%s", ms / canon[i].mult, canon[i].suffix);
            return;
        }
    }
    snprintf(out, size, "%" PRId64 "ms", ms);
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < HU_ARRAY_LEN(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static int enum_index(const char *choices, const char *s)
{
    size_t len = strlen(s);
    int idx = 0;
    for (const char *p = choices;; idx++) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncasecmp(p, s, n) == 0) {
            return idx;
        }
        if (!bar) {
            return -1;
        }
        p = bar + 1;
    }
}

/* Writes the idx-th word of choices into out. */
static void enum_name(const char *choices, int idx, char *out, size_t size)
{
    const char *p = choices;
    for (int i = 0; i < idx && p; i++) {
        p = strchr(p, '|');
        p = p ? p + 1 : NULL;
    }
    BUG_ON(!p);
    size_t n = strcspn(p, "|");
    snprintf(out, size, "%.*s", (int)n, p);
}

int config_addr_split(const char *addr, char *host, size_t host_size, uint16_t *port)
{
    const char *h = addr;
    const char *colon;
    size_t hlen;
    if (*addr == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':') {
            return HE_INVAL;
        }
        h = addr + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
        for (size_t i = 0; i < hlen; i++) {
            if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.') {
                return HE_INVAL;
            }
        }
    } else {
        colon = strrchr(addr, ':');
        if (!colon) {
            return HE_INVAL;
        }
        hlen = (size_t)(colon - h);
        for (size_t i = 0; i < hlen; i++) {
            if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-') {
                return HE_INVAL;
            }
        }
    }
    const char *p = colon + 1;
    uint64_t v;
    if (hlen == 0 || hlen >= host_size || !parse_digits(&p, &v) || *p != '\0' || v > 65535 ||
        strlen(colon + 1) > 5) {
        return HE_INVAL;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)v;
    return 0;
}

static char *bounds_reason(const struct option_def *o)
{
    char lo[32], hi[32];
    switch (o->type) {
    case OPT_SIZE:
        format_size(lo, sizeof(lo), o->min);
        format_size(hi, sizeof(hi), o->max);
        break;
    case OPT_DURATION:
        format_duration(lo, sizeof(lo), o->min);
        format_duration(hi, sizeof(hi), o->max);
        break;
    default:
        snprintf(lo, sizeof(lo), "%" PRId64, o->min);
        snprintf(hi, sizeof(hi), "%" PRId64, o->max);
        break;
    }
    return xasprintf("must be between %s and %s", lo, hi);
}

/* Stores value into the option's field; on failure returns the reason (caller frees). */
static char *option_set(struct config *cfg, const struct option_def *o, const char *value)
{
    void *f = field_ptr(cfg, o);
    int64_t v = 0;
    switch (o->type) {
    case OPT_STRING: {
        char **sp = f;
        free(*sp);
        *sp = xstrdup(value);
        return NULL;
    }
    case OPT_ADDR: {
        char host[256];
        uint16_t port;
        if (config_addr_split(value, host, sizeof(host), &port) != 0) {
            return xasprintf("invalid address '%s' (use host:port or [ipv6]:port)", value);
        }
        char **sp = f;
        free(*sp);
        *sp = xstrdup(value);
        return NULL;
    }
    case OPT_BOOL: {
        bool b;
        if (!parse_bool(value, &b)) {
            return xasprintf("invalid boolean '%s' (use true or false)", value);
        }
        *(bool *)f = b;
        return NULL;
    }
    case OPT_ENUM: {
        int idx = enum_index(o->choices, value);
        if (idx < 0) {
            return xasprintf("invalid value '%s' (one of %s)", value, o->choices);
        }
        *(int *)f = idx;
        return NULL;
    }
    case OPT_INT:
        if (!parse_int(value, &v)) {
            return xasprintf("invalid integer '%s'", value);
        }
        break;
    case OPT_SIZE:
        if (!parse_with_unit(value, size_units, HU_ARRAY_LEN(size_units), &v)) {
            return xasprintf("invalid size '%s' (use e.g. 512, 64k, 1m)", value);
        }
        break;
    case OPT_DURATION:
        if (!parse_with_unit(value, duration_units, HU_ARRAY_LEN(duration_units), &v)) {
            return xasprintf("invalid duration '%s' (use e.g. 250ms, 30s, 5m, 2h)", value);
        }
        break;
    }
    if ((o->min != 0 || o->max != 0) && (v < o->min || v > o->max)) {
        return bounds_reason(o);
    }
    switch (o->type) {
    case OPT_INT:
        *(int *)f = (int)v;
        break;
    case OPT_SIZE:
        *(size_t *)f = (size_t)v;
        break;
    case OPT_DURATION:
        *(int64_t *)f = v;
        break;
    default:
        BUG_ON(1);
    }
    return NULL;
}

/* Sets the option, or fails with "<where>: option 'x': reason". */
static int option_set_at(struct config *cfg, const struct option_def *o, const char *value,
                         const char *where, char **err)
{
    char *reason = option_set(cfg, o, value);
    if (!reason) {
        return 0;
    }
    *err = xasprintf("%s: option '%s': %s", where, o->name, reason);
    free(reason);
    return HE_CONFIG;
}

void config_init_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < HU_ARRAY_LEN(options); i++) {
        char *reason = option_set(cfg, &options[i], options[i].def);
        /* A default that its own row rejects is a bug in the table, not input. */
        BUG_ON(reason != NULL);
    }
}

void config_release(struct config *cfg)
{
    for (size_t i = 0; i < HU_ARRAY_LEN(options); i++) {
        if (options[i].type == OPT_STRING || options[i].type == OPT_ADDR) {
            char **sp = field_ptr(cfg, &options[i]);
            free(*sp);
            *sp = NULL;
        }
    }
}

int config_set(struct config *cfg, const char *name, const char *value, char **err)
{
    const struct option_def *o = option_find(name, strlen(name));
    if (!o) {
        *err = xasprintf("unknown option '%s'", name);
        return HE_CONFIG;
    }
    char *where = xasprintf("--%s", o->name);
    int rc = option_set_at(cfg, o, value, where, err);
    free(where);
    return rc;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    return s;
}

/* Longest line accepted in a configuration file; longer is surely not one. */
#define CONFIG_LINE_MAX (64 * 1024)

int config_load_file(struct config *cfg, const char *path, char **err)
{
    int rc = 0;
    char *line = NULL;
    size_t cap = 0;
    char *where = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        *err = xasprintf("%s: cannot open: %s", path, strerror(errno));
        return HE_CONFIG;
    }
    for (unsigned lineno = 1;; lineno++) {
        errno = 0;
        ssize_t n = getline(&line, &cap, f);
        if (n < 0) {
            if (ferror(f)) {
                *err = xasprintf("%s:%u: read error: %s", path, lineno, strerror(errno));
                rc = HE_CONFIG;
            }
            goto out;
        }
        if (n > CONFIG_LINE_MAX || strlen(line) != (size_t)n) {
            *err = xasprintf("%s:%u: line too long or holds a NUL byte", path, lineno);
            rc = HE_CONFIG;
            goto out;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            *err = xasprintf("%s:%u: expected 'key = value'", path, lineno);
            rc = HE_CONFIG;
            goto out;
        }
        *eq = '\0';
        char *key = trim(s);
        char *value = trim(eq + 1);
        size_t vlen = strlen(value);
        if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
            value[vlen - 1] = '\0';
            value++;
        }
        const struct option_def *o = option_find(key, strlen(key));
        if (!o || strchr(key, '-')) {
            *err = xasprintf("%s:%u: unknown option '%s'", path, lineno, key);
            rc = HE_CONFIG;
            goto out;
        }
        if (o->flags & OPT_NO_FILE) {
            *err = xasprintf("%s:%u: option '%s': not allowed in a configuration file", path,
                             lineno, o->name);
            rc = HE_CONFIG;
            goto out;
        }
        free(where);
        where = xasprintf("%s:%u", path, lineno);
        rc = option_set_at(cfg, o, value, where, err);
        if (rc) {
            goto out;
        }
    }
out:
    free(where);
    free(line);
    fclose(f);
    return rc;
}

int config_load_env(struct config *cfg, char **envp, char **err)
{
    static const char prefix[] = "HUARD_";
    if (!envp) {
        envp = environ;
    }
    for (char **e = envp; e && *e; e++) {
        const char *var = *e;
        if (strncmp(var, prefix, sizeof(prefix) - 1) != 0) {
            continue;
        }
        const char *name = var + sizeof(prefix) - 1;
        const char *eq = strchr(name, '=');
        if (!eq) {
            continue;
        }
        /* Only upper-case spellings: HUARD_max_body is not ours. */
        bool upper = true;
        for (const char *p = name; p < eq; p++) {
            upper = upper && !islower((unsigned char)*p) && *p != '-';
        }
        const struct option_def *o = upper ? option_find(name, (size_t)(eq - name)) : NULL;
        if (!o) {
            continue;
        }
        char *where = xasprintf("env %.*s", (int)(eq - var), var);
        int rc = option_set_at(cfg, o, eq + 1, where, err);
        free(where);
        if (rc) {
            return rc;
        }
    }
    return 0;
}

int config_parse_args(struct config *cfg, int argc, char **argv, int *first_non_option, char **err)
{
    int i = 1;
    int rc = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0') {
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cfg->help = true;
            continue;
        }
        if (strcmp(a, "--print-config") == 0) {
            cfg->print_config = true;
            continue;
        }
        const char *name = a + 2;
        const char *eq = a[1] == '-' ? strchr(name, '=') : NULL;
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        bool lower = a[1] == '-';
        for (size_t j = 0; j < nlen && lower; j++) {
            lower = !isupper((unsigned char)name[j]);
        }
        const struct option_def *o = lower ? option_find(name, nlen) : NULL;
        if (!o) {
            int flen = (int)(eq ? (size_t)(eq - a) : strlen(a));
            *err = xasprintf("%.*s: unknown option (see --help)", flen, a);
            rc = HE_CONFIG;
            goto out;
        }
        const char *value;
        if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            *err = xasprintf("--%s: option '%s': missing value", o->name, o->name);
            rc = HE_CONFIG;
            goto out;
        }
        char *where = xasprintf("--%s", o->name);
        rc = option_set_at(cfg, o, value, where, err);
        free(where);
        if (rc) {
            goto out;
        }
    }
out:
    if (first_non_option) {
        *first_non_option = i;
    }
    return rc;
}

int config_load(struct config *cfg, int argc, char **argv, char **envp, int *first_non_option,
                char **err)
{
    struct config probe;
    int rc;
    config_init_defaults(cfg);
    /* The file comes first in precedence but is named by the later layers: read them once to
     * learn its name (and report their errors), then apply all layers in order. */
    config_init_defaults(&probe);
    rc = config_load_env(&probe, envp, err);
    if (rc) {
        goto out;
    }
    rc = config_parse_args(&probe, argc, argv, first_non_option, err);
    if (rc) {
        goto out;
    }
    if (probe.config[0] != '\0') {
        rc = config_load_file(cfg, probe.config, err);
        if (rc) {
            goto out;
        }
    }
    rc = config_load_env(cfg, envp, err);
    if (rc) {
        goto out;
    }
    rc = config_parse_args(cfg, argc, argv, first_non_option, err);
out:
    config_release(&probe);
    return rc;
}

/* Renders the option's current value as config_load_file reads it. */
static void option_format(const struct config *cfg, const struct option_def *o, char *out,
                          size_t size, const char **str)
{
    const void *f = field_cptr(cfg, o);
    *str = NULL;
    switch (o->type) {
    case OPT_STRING:
    case OPT_ADDR:
        *str = *(char *const *)f;
        break;
    case OPT_BOOL:
        snprintf(out, size, "%s", *(const bool *)f ? "true" : "false");
        break;
    case OPT_ENUM:
        enum_name(o->choices, *(const int *)f, out, size);
        break;
    case OPT_INT:
        snprintf(out, size, "%d", *(const int *)f);
        break;
    case OPT_SIZE:
        format_size(out, size, (int64_t) * (const size_t *)f);
        break;
    case OPT_DURATION:
        format_duration(out, size, *(const int64_t *)f);
        break;
    }
}

void config_print(const struct config *cfg, FILE *out)
{
    fprintf(out, "# huard configuration (key = value; see 'huard serve --help')\n");
    for (size_t i = 0; i < HU_ARRAY_LEN(options); i++) {
        const struct option_def *o = &options[i];
        char buf[64];
        const char *s;
        option_format(cfg, o, buf, sizeof(buf), &s);
        if (o->flags & OPT_SECRET) {
            fprintf(out, "# %s is %s (not printed)\n", o->name, s && *s ? "set" : "not set");
            continue;
        }
        const char *comment = (o->flags & OPT_NO_FILE) ? "# " : "";
        if (!s) {
            fprintf(out, "%s%s = %s\n", comment, o->name, buf);
            continue;
        }
        size_t n = strlen(s);
        /* Quote what trimming or quote stripping would otherwise change on reading back. */
        bool quote = n == 0 || s[0] == ' ' || s[0] == '\t' || s[0] == '"' || s[n - 1] == ' ' ||
                     s[n - 1] == '\t';
        fprintf(out, "%s%s = %s%s%s\n", comment, o->name, quote ? "\"" : "", s, quote ? "\"" : "");
    }
}

void config_usage(FILE *out)
{
    static const char *const metavars[] = {
        [OPT_STRING] = "TEXT",   [OPT_INT] = "N",          [OPT_BOOL] = "BOOL", [OPT_SIZE] = "SIZE",
        [OPT_DURATION] = "TIME", [OPT_ADDR] = "HOST:PORT", [OPT_ENUM] = NULL,
    };
    fprintf(out, "options (also HUARD_<NAME> in the environment, or `name = value` in --config "
                 "FILE):\n");
    for (size_t i = 0; i < HU_ARRAY_LEN(options); i++) {
        const struct option_def *o = &options[i];
        const char *mv = o->metavar ? o->metavar : metavars[o->type];
        if (!mv) {
            mv = o->choices;
        }
        char flag[64];
        snprintf(flag, sizeof(flag), "--%s %s", o->name, mv);
        fprintf(out, "  %-34s %s", flag, o->help);
        if (o->def[0] != '\0' && !(o->flags & OPT_SECRET)) {
            fprintf(out, " (default %s)", o->def);
        }
        fputc('\n', out);
    }
    fprintf(out, "  %-34s %s\n", "--print-config", "print the resulting configuration and exit");
    fprintf(out, "  %-34s %s\n", "--help", "show this help");
    fprintf(out, "sizes: 512, 64k, 1m, 2g; durations: 250ms, 30s, 5m, 2h, 1d\n");
}

int config_worker_count(const struct config *cfg)
{
    if (cfg->workers > 0) {
        return cfg->workers;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) {
        n = 1;
    }
    if (n > 512) {
        n = 512;
    }
    return (int)n * 2;
}
