#include "events/envelope.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/time.h"
#include "base/uuid.h"
#include "base/banned.h"

#define UUID_LEN (UUID_STR_LEN - 1)
#define MAX_PIECES 3

/*
 * A frame is pieces[0] U pieces[1] U ... pieces[npieces - 1], where U is the recipient's
 * 36-byte uuid: 3 pieces when the required ACL names the recipient, 2 when it is fixed,
 * 1 for a tenant event (no uuid at all).
 */
struct envelope {
    atomic_int refs;
    enum envelope_target target;
    uint64_t seq;
    char *name;
    char *tenant_uuid;
    char *buf; /* the pieces, back to back */
    size_t piece_off[MAX_PIECES];
    size_t piece_len[MAX_PIECES];
    size_t npieces;
    size_t frame_len;
    bool has_acl;
    char *acl;        /* required ACL, or its part before the placeholder */
    char *acl_suffix; /* part after the placeholder; NULL when the ACL is fixed */
};

static bool acl_text_ok(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\') {
            return false;
        }
    }
    return true;
}

static bool header_key_reserved(const char *key)
{
    static const char *const reserved[] = {"name",        "origin_uuid",     "timestamp",
                                           "tenant_uuid", "required_access", "required_acl",
                                           "data"};
    for (size_t i = 0; i < HU_ARRAY_LEN(reserved); i++) {
        if (strcmp(key, reserved[i]) == 0) {
            return true;
        }
    }
    return strncmp(key, "user_uuid:", 10) == 0;
}

static int set_string(json_t *obj, const char *key, const char *value)
{
    json_t *s = value ? json_string(value) : NULL;
    if (s == NULL || json_object_get(obj, key) != NULL) {
        json_decref(s);
        return HE_INVAL;
    }
    return json_object_set_new(obj, key, s) == 0 ? 0 : HE_INVAL;
}

/*
 * The standard headers and the extra ones, as the inside of a JSON object: jansson does the
 * escaping, then the closing brace is dropped so that the per-recipient keys can follow.
 */
static int render_headers(const struct envelope_spec *spec, const char *timestamp, struct buf *out)
{
    int rc = HE_INVAL;
    char *required_access = NULL;
    char *text = NULL;
    json_t *obj = json_object();
    if (obj == NULL) {
        hu_bug(__FILE__, __LINE__, "out of memory in jansson");
    }
    required_access = xasprintf("event.%s", spec->name ? spec->name : "");
    if (set_string(obj, "name", spec->name) < 0 ||
        set_string(obj, "origin_uuid", spec->origin_uuid) < 0 ||
        set_string(obj, "timestamp", timestamp) < 0 ||
        set_string(obj, "tenant_uuid", spec->tenant_uuid) < 0) {
        goto out;
    }
    for (size_t i = 0; i < spec->nheaders; i++) {
        const struct envelope_header *h = &spec->headers[i];
        if (h->key == NULL || header_key_reserved(h->key) ||
            set_string(obj, h->key, h->value) < 0) {
            goto out;
        }
    }
    if (set_string(obj, "required_access", required_access) < 0) {
        goto out;
    }
    text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text == NULL) {
        goto out;
    }
    size_t n = strlen(text);
    BUG_ON(n < 2 || text[n - 1] != '}');
    buf_add(out, text + 1, n - 2); /* without the braces */
    rc = 0;
out:
    free(text);
    free(required_access);
    json_decref(obj);
    return rc;
}

int envelope_new(const struct envelope_spec *spec, struct envelope **out)
{
    int rc = HE_INVAL;
    struct envelope *ev = NULL;
    struct buf b = BUF_INIT;
    char ts[TIME_STR_LEN];
    const char *placeholder = NULL;

    *out = NULL;
    if (spec->name == NULL || spec->payload == NULL || spec->payload_len == 0 ||
        spec->seq > ENVELOPE_SEQ_MAX) {
        goto out;
    }
    if (spec->required_acl != NULL) {
        if (!acl_text_ok(spec->required_acl)) {
            goto out;
        }
        placeholder = strstr(spec->required_acl, ENVELOPE_USER_PLACEHOLDER);
        if (placeholder != NULL && (spec->target == ENVELOPE_TENANT ||
                                    strstr(placeholder + 1, ENVELOPE_USER_PLACEHOLDER) != NULL)) {
            goto out;
        }
    }

    ev = xcalloc(1, sizeof(*ev));
    atomic_init(&ev->refs, 1);
    ev->target = spec->target;
    ev->seq = spec->seq;
    ev->name = xstrdup(spec->name);
    ev->tenant_uuid = xstrdup(spec->tenant_uuid ? spec->tenant_uuid : "");
    ev->has_acl = spec->required_acl != NULL;
    if (placeholder != NULL) {
        ev->acl = xstrndup(spec->required_acl, (size_t)(placeholder - spec->required_acl));
        ev->acl_suffix = xstrdup(placeholder + strlen(ENVELOPE_USER_PLACEHOLDER));
    } else {
        ev->acl = xstrdup(spec->required_acl ? spec->required_acl : "");
    }

    if (spec->timestamp == NULL) {
        time_format_local(time_now_us(), ts);
    }

    /* Piece 0: the frame up to the recipient. */
    buf_adds(&b, "{\"op\":\"event\",\"code\":0,");
    if (spec->seq != 0) {
        buf_addf(&b, "\"seq\":%" PRIu64 ",", spec->seq);
    }
    buf_adds(&b, "\"data\":{");
    if (render_headers(spec, spec->timestamp ? spec->timestamp : ts, &b) < 0) {
        goto out;
    }
    size_t cuts[MAX_PIECES - 1]; /* where a recipient uuid goes */
    size_t ncuts = 0;
    if (spec->target == ENVELOPE_TENANT) {
        buf_adds(&b, ",\"user_uuid:*\":true,\"required_acl\":");
    } else {
        buf_adds(&b, ",\"user_uuid:");
        cuts[ncuts++] = b.len;
        buf_adds(&b, "\":true,\"required_acl\":");
    }
    /* The ACL: around a second uuid, fixed, or null. */
    if (placeholder != NULL) {
        buf_adds(&b, "\"");
        buf_adds(&b, ev->acl);
        cuts[ncuts++] = b.len;
        buf_adds(&b, ev->acl_suffix);
        buf_adds(&b, "\"");
    } else if (ev->has_acl) {
        buf_adds(&b, "\"");
        buf_adds(&b, ev->acl);
        buf_adds(&b, "\"");
    } else {
        buf_adds(&b, "null");
    }
    buf_adds(&b, ",\"data\":");
    buf_add(&b, spec->payload, spec->payload_len);
    buf_adds(&b, "}}");

    size_t start = 0;
    for (size_t i = 0; i < ncuts; i++) {
        ev->piece_off[i] = start;
        ev->piece_len[i] = cuts[i] - start;
        start = cuts[i];
    }
    ev->piece_off[ncuts] = start;
    ev->piece_len[ncuts] = b.len - start;
    ev->npieces = ncuts + 1;
    ev->frame_len = b.len + (ev->npieces - 1) * UUID_LEN;
    ev->buf = buf_detach(&b, NULL);
    *out = ev;
    ev = NULL;
    rc = 0;
out:
    buf_release(&b);
    envelope_unref(ev);
    return rc;
}

struct envelope *envelope_ref(struct envelope *ev)
{
    atomic_fetch_add_explicit(&ev->refs, 1, memory_order_relaxed);
    return ev;
}

void envelope_unref(struct envelope *ev)
{
    if (ev == NULL || atomic_fetch_sub_explicit(&ev->refs, 1, memory_order_acq_rel) != 1) {
        return;
    }
    free(ev->name);
    free(ev->tenant_uuid);
    free(ev->buf);
    free(ev->acl);
    free(ev->acl_suffix);
    free(ev);
}

const char *envelope_name(const struct envelope *ev)
{
    return ev->name;
}

const char *envelope_tenant_uuid(const struct envelope *ev)
{
    return ev->tenant_uuid;
}

enum envelope_target envelope_target(const struct envelope *ev)
{
    return ev->target;
}

uint64_t envelope_seq(const struct envelope *ev)
{
    return ev->seq;
}

size_t envelope_frame_len(const struct envelope *ev)
{
    return ev->frame_len;
}

int envelope_frame_write(const struct envelope *ev, const char *user_uuid, char *out)
{
    if (ev->npieces > 1 && (user_uuid == NULL || !uuid_is_canonical(user_uuid))) {
        return HE_INVAL;
    }
    char *o = out;
    for (size_t i = 0; i < ev->npieces; i++) {
        if (i > 0) {
            memcpy(o, user_uuid, UUID_LEN);
            o += UUID_LEN;
        }
        memcpy(o, ev->buf + ev->piece_off[i], ev->piece_len[i]);
        o += ev->piece_len[i];
    }
    BUG_ON((size_t)(o - out) != ev->frame_len);
    return 0;
}

char *envelope_frame_dup(const struct envelope *ev, const char *user_uuid, size_t *len)
{
    char *out = xmalloc(ev->frame_len + 1);
    if (envelope_frame_write(ev, user_uuid, out) < 0) {
        free(out);
        return NULL;
    }
    out[ev->frame_len] = '\0';
    if (len != NULL) {
        *len = ev->frame_len;
    }
    return out;
}

size_t envelope_frame_template(const struct envelope *ev, const char **base, size_t *len,
                               size_t cuts[ENVELOPE_CUTS_MAX])
{
    _Static_assert(MAX_PIECES - 1 <= ENVELOPE_CUTS_MAX, "cuts fit");
    size_t total = 0;
    for (size_t i = 0; i < ev->npieces; i++) {
        BUG_ON(ev->piece_off[i] != total); /* pieces are back to back from the start */
        total += ev->piece_len[i];
        if (i + 1 < ev->npieces) {
            cuts[i] = total;
        }
    }
    *base = ev->buf;
    *len = total;
    return ev->npieces - 1;
}

const char *envelope_frame_shared(const struct envelope *ev, size_t *len)
{
    if (ev->target != ENVELOPE_TENANT) {
        return NULL;
    }
    *len = ev->frame_len;
    return ev->buf;
}

bool envelope_has_required_acl(const struct envelope *ev)
{
    return ev->has_acl;
}

int envelope_required_acl(const struct envelope *ev, const char *user_uuid, char *out, size_t outsz)
{
    int n;
    if (ev->acl_suffix != NULL) {
        if (user_uuid == NULL || !uuid_is_canonical(user_uuid)) {
            return HE_INVAL;
        }
        n = snprintf(out, outsz, "%s%s%s", ev->acl, user_uuid, ev->acl_suffix);
    } else {
        n = snprintf(out, outsz, "%s", ev->acl);
    }
    return n >= 0 && (size_t)n < outsz ? 0 : HE_INVAL;
}

void envelope_required_acl_parts(const struct envelope *ev, const char **prefix,
                                 const char **suffix)
{
    *prefix = ev->acl;
    *suffix = ev->acl_suffix;
}
