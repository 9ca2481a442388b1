/*
 * static: files with ETag / If-None-Match and single byte ranges (RFC 9110 sections 8.8.3,
 * 13.1.2, 14). Multiple ranges are answered with the whole file (200), which the RFC allows,
 * rather than multipart/byteranges.
 */
#include "http/static.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/err.h"
#include "http/internal.h"

#include "base/banned.h"

struct content_type {
    const char *ext;
    const char *type;
};

static const struct content_type content_types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"wasm", "application/wasm"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"ogg", "audio/ogg"},
    {"mp3", "audio/mpeg"},
    {"wav", "audio/wav"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
};

const char *http_content_type_for(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    if (dot && dot[1]) {
        for (size_t i = 0; i < HU_ARRAY_LEN(content_types); i++) {
            if (strcasecmp(dot + 1, content_types[i].ext) == 0) {
                return content_types[i].type;
            }
        }
    }
    return "application/octet-stream";
}

/* True when the If-None-Match list holds etag (weak comparison, RFC 9110 13.1.2). */
static bool etag_listed(const char *list, const char *etag)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
        }
        if (!*p) {
            break;
        }
        if (*p == '*') {
            return true;
        }
        if (strncmp(p, "W/", 2) == 0) {
            p += 2;
        }
        size_t len = strcspn(p, ",");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
            len--;
        }
        if (len == strlen(etag) && memcmp(p, etag, len) == 0) {
            return true;
        }
        p += strcspn(p, ",");
    }
    return false;
}

static bool parse_u64(const char **p, uint64_t *out)
{
    const char *s = *p;
    if (*s < '0' || *s > '9') {
        return false;
    }
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9') {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return true;
}

enum range_result { RANGE_NONE, RANGE_OK, RANGE_UNSATISFIABLE };

/* Parses one "bytes=a-b", "bytes=a-" or "bytes=-n" range against size. Anything else
 * (another unit, several ranges, syntax errors) is ignored, as RFC 9110 14.2 permits. */
static enum range_result parse_range(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
    if (strncasecmp(h, "bytes=", 6) != 0 || strchr(h, ',')) {
        return RANGE_NONE;
    }
    const char *p = h + 6;
    while (*p == ' ') {
        p++;
    }
    uint64_t first = 0;
    uint64_t last = 0;
    if (*p == '-') {
        p++;
        uint64_t n;
        if (!parse_u64(&p, &n) || *p) {
            return RANGE_NONE;
        }
        if (n == 0 || size == 0) {
            return RANGE_UNSATISFIABLE;
        }
        first = n >= size ? 0 : size - n;
        last = size - 1;
    } else {
        if (!parse_u64(&p, &first) || *p != '-') {
            return RANGE_NONE;
        }
        p++;
        if (*p) {
            if (!parse_u64(&p, &last) || *p || last < first) {
                return RANGE_NONE;
            }
        } else {
            last = UINT64_MAX;
        }
        if (first >= size) {
            return RANGE_UNSATISFIABLE;
        }
        if (last >= size) {
            last = size - 1;
        }
    }
    *off = first;
    *len = last - first + 1;
    return RANGE_OK;
}

int http_resp_file(struct http_response *resp, const struct http_request *req, const char *path,
                   const char *content_type)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return HE_NOT_FOUND;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return HE_NOT_FOUND;
    }
    uint64_t size = (uint64_t)st.st_size;
    char etag[64];
    snprintf(etag, sizeof(etag), "\"%" PRIx64 "-%llx%09ld\"", size,
             (unsigned long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    char modified[64];
    struct tm tm;
    gmtime_r(&st.st_mtim.tv_sec, &tm);
    strftime(modified, sizeof(modified), "%a, %d %b %Y %H:%M:%S GMT", &tm);

    http_resp_status(resp, 200); /* clears any earlier body */
    http_resp_header(resp, "ETag", etag);
    http_resp_header(resp, "Last-Modified", modified);
    http_resp_header(resp, "Accept-Ranges", "bytes");
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");

    const char *inm = http_request_header(req, "If-None-Match");
    if (inm && etag_listed(inm, etag)) {
        close(fd);
        http_resp_status(resp, 304);
        return 0;
    }
    uint64_t off = 0;
    uint64_t len = size;
    int status = 200;
    const char *range = http_request_header(req, "Range");
    const char *if_range = http_request_header(req, "If-Range");
    if (range && (!if_range || strcmp(if_range, etag) == 0)) {
        char cr[96];
        switch (parse_range(range, size, &off, &len)) {
        case RANGE_OK:
            status = 206;
            snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, off, off + len - 1,
                     size);
            http_resp_header(resp, "Content-Range", cr);
            break;
        case RANGE_UNSATISFIABLE:
            close(fd);
            snprintf(cr, sizeof(cr), "bytes */%" PRIu64, size);
            http_resp_header(resp, "Content-Range", cr);
            http_resp_error(resp, HE_RANGE, NULL, NULL, NULL);
            return 0;
        default:
            off = 0;
            len = size;
            break;
        }
    }
    resp->status = status;
    resp->content_type = xstrdup(content_type ? content_type : http_content_type_for(path));
    resp->fd = fd;
    resp->fd_offset = off;
    resp->fd_len = len;
    return 0;
}

struct static_dir {
    char *root;
};

static void static_dir_free(void *ctx)
{
    struct static_dir *d = ctx;
    free(d->root);
    free(d);
}

/* Refuses "..", hidden names (".git", ".env") and empty segments inside the path. */
static bool path_is_safe(const char *rel)
{
    const char *p = rel;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (p[0] == '.' || (len == 0 && p[len] == '/')) {
            return false;
        }
        p += len;
        if (*p == '/') {
            p++;
        }
    }
    return strchr(rel, '\\') == NULL;
}

static int static_handler(const struct http_request *req, struct http_response *resp, void *ctx)
{
    const struct static_dir *d = ctx;
    const char *rel = http_request_param(req, "path");
    if (!rel || !path_is_safe(rel)) {
        return HE_NOT_FOUND;
    }
    size_t rlen = strlen(rel);
    bool dir = rlen == 0 || rel[rlen - 1] == '/';
    char *full = xasprintf("%s/%s%s", d->root, rel, dir ? "index.html" : "");
    int rc = http_resp_file(resp, req, full, NULL);
    free(full);
    return rc;
}

int http_static_add(struct http_router *router, const char *prefix, const char *root_dir)
{
    char *pattern = xasprintf("%s/{path*}", prefix);
    struct http_route *r = http_route_add(router, "GET", pattern, static_handler, NULL, 0);
    free(pattern);
    if (!r) {
        return HE_INVAL;
    }
    struct static_dir *d = xcalloc(1, sizeof(*d));
    d->root = xstrdup(root_dir);
    r->ctx = d;
    http_route_own_ctx(r, static_dir_free);
    return 0;
}
