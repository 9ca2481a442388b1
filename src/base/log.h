/*
 * log: one logfmt line per event on stderr.
 *
 * A .c file defines LOG_MODULE (a short tag such as "http") before including this header.
 * The format string holds logfmt pairs: log_info("msg=listening addr=%s", addr). The level
 * is tested before the arguments are evaluated (redis serverLog). Never log tokens,
 * passwords or message bodies. Any thread may log; a line is written with one write().
 */
#ifndef HUARD_BASE_LOG_H
#define HUARD_BASE_LOG_H

#include "base/alloc.h"

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* The one mutable global besides signal flags (STYLE.md). */
extern int log_level;

#ifndef LOG_MODULE
#define LOG_MODULE "huard"
#endif

void log_write(int level, const char *module, const char *fmt, ...) HU_PRINTF(3, 4);
/** Parses "err", "warn", "info", "debug"; returns -1 when unknown. */
int log_level_parse(const char *s);

#define log_at_(lvl, ...)                                                                          \
    do {                                                                                           \
        if (log_level >= (lvl)) {                                                                  \
            log_write((lvl), LOG_MODULE, __VA_ARGS__);                                             \
        }                                                                                          \
    } while (0)
#define log_err(...) log_at_(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_at_(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_at_(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at_(LOG_DEBUG, __VA_ARGS__)

#endif
