/*
 * static: files from disk as HTTP responses, with validators and ranges, for the web UI and
 * attachments (files/).
 *
 * http_resp_file answers a file with ETag (size and mtime), Last-Modified, If-None-Match
 * (304), Range: bytes=a-b / a- / -n (one range: 206 with Content-Range; unsatisfiable: 416
 * with Content-Range: bytes *\/size), Accept-Ranges and the Content-Type given or guessed from
 * the name. The file is sent by MHD from the fd (no copy in memory).
 *
 * Threads: any thread that owns resp (handlers run on workers: opening files is fine there).
 */
#ifndef HUARD_HTTP_STATIC_H
#define HUARD_HTTP_STATIC_H

#include "base/alloc.h"

struct http_request;
struct http_response;
struct http_router;

/**
 * Answers the file at path for req. content_type NULL guesses from the extension. Returns 0,
 * or HE_NOT_FOUND when the file is missing or not a regular file (resp untouched then).
 */
int http_resp_file(struct http_response *resp, const struct http_request *req, const char *path,
                   const char *content_type) HU_MUST_CHECK;

/** Content-Type for a file name by extension ("application/octet-stream" when unknown). */
const char *http_content_type_for(const char *name);

/**
 * Serves the files below root_dir at GET/HEAD prefix/{path*} (prefix without trailing '/',
 * e.g. "/ui"); "prefix/" serves index.html. Refuses ".." and hidden segments (404). root_dir
 * is copied. Returns 0 or a negative HE_* code.
 */
int http_static_add(struct http_router *router, const char *prefix,
                    const char *root_dir) HU_MUST_CHECK;

#endif
