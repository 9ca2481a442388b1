/*
 * auth_internal: what api/auth.c (tokens, token checks, registration) and api/auth_users.c
 * (user management) share. Not a contract for other modules: they use api/auth.h.
 *
 * One struct auth_api per server, created by api_auth_register and owned by the router
 * (freed with it); handlers get it as their ctx and run on workers, so everything in it is
 * either read-only after start-up or thread-safe (the limiter and the hasher).
 */
#ifndef HUARD_API_AUTH_INTERNAL_H
#define HUARD_API_AUTH_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>

struct app;
struct auth_hasher;
struct http_request;
struct http_response;
struct http_router;
struct rate_limiter;
struct store_user;

struct auth_api {
    struct app *app;               /* borrowed */
    struct rate_limiter *limiter;  /* owned; app->login_limiter points to it */
    struct auth_hasher *hasher;    /* owned: bounds concurrent argon2id */
    _Atomic int64_t next_purge_us; /* monotonic time of the next expired-token purge */
};

/**
 * s as a JSON string (new reference): itself when it is UTF-8, else read as Latin-1 as WSGI
 * decodes headers. For values a request carries (headers, query, path), which may be any
 * bytes while jansson refuses strings that are not UTF-8.
 */
json_t *auth__text_json(const char *s);

/**
 * Answers in wazo-auth's legacy shape (wazo-api.md 1.3):
 * {"reason":[reason],"timestamp":[<float>],"status_code":status}.
 */
void auth__legacy_error(struct http_response *resp, int status, const char *reason);

/** The wazo-auth user object (users plugin schema) of u; a new reference. */
json_t *auth__user_json(const struct store_user *u);

/** Registers the /api/auth/0.1/users routes (api/auth_users.c). Returns 0 or HE_INTERNAL. */
int auth__users_register(struct http_router *router, struct auth_api *api);

#endif
