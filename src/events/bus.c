/*
 * bus: see bus.h. Three indexes (user -> non-admin subs, tenant -> every sub, tenant -> admin
 * subs) are chained hash maps of uuid -> intrusive list of subscribers; a subscriber holds
 * one link per index. A publish walks only the lists it targets.
 */
#include "events/bus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MODULE "bus"
#include "base/err.h"
#include "base/log.h"
#include "base/time.h"
#include "base/uuid.h"
#include "domain/acl.h"
#include "events/catalog.h"
#include "events/envelope.h"
#include "events/reorder.h"
#include "loop/loop.h"
#include "store/store.h"
#include "ws/ws.h"

#include "base/banned.h"

enum bus_index { IDX_USER, IDX_TENANT, IDX_ADMIN, IDX_COUNT };

struct bus_slot;

struct bus_link {
    struct bus_sub *prev;
    struct bus_sub *next;
    struct bus_slot *slot; /* NULL when not in this index */
};

/* One key of an index and the subscribers filed under it. */
struct bus_slot {
    char key[UUID_STR_LEN];
    struct bus_sub *head;
    struct bus_slot *next; /* bucket chain */
};

struct bus_map {
    struct bus_slot **buckets;
    size_t cap; /* power of two */
    size_t count;
};

/*
 * Decisions a subscriber remembers, keyed by interned string id (struct bus_intern): whether
 * it subscribed to an event name, and whether its token grants a required ACL template for
 * its own user. acl_check() walks every pattern of the token over the whole required ACL
 * (about 5 us for the stock user policy), and a fan-out used to build, hash and compare each
 * recipient's ACL string as well (9 % of the server's CPU in a 1,000-member fan-out, issue 6),
 * while a session keeps receiving the same few templates (one per room and event name).
 * Id 0 is "not interned": never remembered.
 */
#define SUB_MEMO_SLOTS 4
#define SUB_NAME_SLOTS 2
struct sub_memo {
    uint64_t id;
    bool yes;
};

/*
 * Interned strings: each distinct event name or required-ACL template seen by the bus gets a
 * number that is never given to another string (the counter only grows, also when the table
 * is cleared at BUS_INTERN_MAX entries), so a memo keyed by number can never answer for a
 * different string.
 */
#define BUS_INTERN_MAX 4096
struct intern_entry {
    uint64_t hash;
    uint64_t id;
    struct intern_entry *next;
    size_t len;
    char s[]; /* len bytes, NUL-terminated */
};
struct bus_intern {
    struct intern_entry **buckets; /* BUS_INTERN_MAX of them */
    size_t count;
    uint64_t next_id;
};

/*
 * A token's ACL patterns, shared by every subscriber whose token carries the same list (all
 * the users of one policy): one allocation holding the pointers and the strings, refcounted,
 * found by content in the bus. 10,000 idle sessions each kept their own copy of the nine
 * stock patterns (ten allocations, about 0.5 kB per session, issue 6's idle figure).
 */
struct acl_list {
    unsigned refs;
    uint64_t hash;
    struct acl_list *next; /* bucket chain */
    size_t n;
    size_t bytes; /* of the strings, NULs included */
    char *pats[]; /* n pointers, then the strings */
};
#define ACL_LIST_BUCKETS 64

struct sub_memos {
    struct sub_memo acl[SUB_MEMO_SLOTS];  /* template id -> the token grants it for its user */
    struct sub_memo name[SUB_NAME_SLOTS]; /* event name id -> subscribed */
};

struct bus_sub {
    struct bus *bus;
    int version;
    bus_deliver_fn fn;
    void *sink;
    bool has_identity;
    bool started;
    bool all; /* subscribed to "*" */
    bool admin;
    char user[UUID_STR_LEN];
    char tenant[UUID_STR_LEN];
    char session[UUID_STR_LEN];
    struct acl_list *acl; /* shared, NULL: no pattern */
    char **names;
    size_t n_names;
    struct sub_memos *memo; /* allocated at the first event: idle sessions have none */
    struct bus_link link[IDX_COUNT];
};

struct bus {
    struct loop *loop;
    struct bus_map index[IDX_COUNT];
    bool publishing; /* a fan-out is walking the indexes */
    bool dedupe;
    bool floor_known; /* false until the relay has read the outbox's last seq */
    int64_t floor;    /* every seq <= floor counts as published */
    uint64_t *seen;   /* ring bitmap of seqs floor+1 .. floor+BUS_SEQ_WINDOW */
    struct bus_intern intern;
    struct acl_list *acl_lists[ACL_LIST_BUCKETS];
    struct bus_stats stats;
    struct reorder *order;        /* events waiting for a lower seq (NULL without a loop) */
    struct loop_timer *gap_timer; /* gives up on a gap after BUS_GAP_WAIT_MS */
};

/* ---- uuid-keyed index ---- */

static uint64_t key_hash(const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < UUID_STR_LEN - 1 && key[i] != '\0'; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t mem_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* ---- shared ACL lists ---- */

static uint64_t acl_list_hash(const char *const *pats, size_t n)
{
    uint64_t h = mem_hash((const char *)&n, sizeof(n));
    for (size_t i = 0; i < n; i++) {
        /* each pattern with its NUL, so that ["ab"] and ["a", "b"] differ */
        uint64_t p = mem_hash(pats[i], strlen(pats[i]) + 1);
        h = (h ^ p) * 1099511628211ull;
    }
    return h;
}

static bool acl_list_equal(const struct acl_list *l, const char *const *pats, size_t n)
{
    if (l->n != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(l->pats[i], pats[i]) != 0) {
            return false;
        }
    }
    return true;
}

/* A reference to the shared list equal to pats[0..n), made if new. n > 0. */
static struct acl_list *acl_list_get(struct bus *bus, const char *const *pats, size_t n)
{
    uint64_t h = acl_list_hash(pats, n);
    struct acl_list **head = &bus->acl_lists[h % ACL_LIST_BUCKETS];
    for (struct acl_list *l = *head; l != NULL; l = l->next) {
        if (l->hash == h && acl_list_equal(l, pats, n)) {
            l->refs++;
            return l;
        }
    }
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        bytes += strlen(pats[i]) + 1;
    }
    struct acl_list *l = xmalloc(sizeof(*l) + n * sizeof(char *) + bytes);
    l->refs = 1;
    l->hash = h;
    l->n = n;
    char *o = (char *)&l->pats[n];
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(pats[i]) + 1;
        memcpy(o, pats[i], len);
        l->pats[i] = o;
        o += len;
    }
    l->next = *head;
    *head = l;
    return l;
}

static void acl_list_put(struct bus *bus, struct acl_list *l)
{
    if (l == NULL || --l->refs > 0) {
        return;
    }
    struct acl_list **pp = &bus->acl_lists[l->hash % ACL_LIST_BUCKETS];
    while (*pp != l) {
        pp = &(*pp)->next;
    }
    *pp = l->next;
    free(l);
}

/* ---- interned strings ---- */

static void intern_clear(struct bus_intern *in)
{
    if (in->buckets == NULL) {
        return;
    }
    for (size_t i = 0; i < BUS_INTERN_MAX; i++) {
        struct intern_entry *e = in->buckets[i];
        while (e != NULL) {
            struct intern_entry *next = e->next;
            free(e);
            e = next;
        }
        in->buckets[i] = NULL;
    }
    in->count = 0;
}

/* The id of s (len bytes), interned now if new. */
static uint64_t intern_id(struct bus_intern *in, const char *s, size_t len)
{
    if (in->buckets == NULL) {
        in->buckets = xcalloc(BUS_INTERN_MAX, sizeof(*in->buckets));
    }
    uint64_t h = mem_hash(s, len);
    struct intern_entry **head = &in->buckets[h % BUS_INTERN_MAX];
    for (struct intern_entry *e = *head; e != NULL; e = e->next) {
        if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0) {
            return e->id;
        }
    }
    if (in->count >= BUS_INTERN_MAX) {
        /* Many distinct rooms: forget them all; memos keyed by old ids just miss. */
        intern_clear(in);
    }
    struct intern_entry *e = xmalloc(sizeof(*e) + len + 1);
    e->hash = h;
    e->id = ++in->next_id;
    e->len = len;
    memcpy(e->s, s, len);
    e->s[len] = '\0';
    e->next = *head;
    *head = e;
    in->count++;
    return e->id;
}

/* Interns a tagged key: tag, then the parts joined by '\n' (which no name or ACL holds). */
static uint64_t intern_key(struct bus_intern *in, char tag, const char *a, const char *b)
{
    char key[2 * ACL_MAX_LEN + 4];
    int n = b != NULL ? snprintf(key, sizeof(key), "%c%s\n%s", tag, a, b)
                      : snprintf(key, sizeof(key), "%c%s", tag, a);
    if (n < 0 || (size_t)n >= sizeof(key)) {
        return 0; /* too long to remember: decided every time */
    }
    return intern_id(in, key, (size_t)n);
}

static struct bus_slot *map_find(const struct bus_map *m, const char *key)
{
    if (m->cap == 0) {
        return NULL;
    }
    struct bus_slot *slot = m->buckets[key_hash(key) & (m->cap - 1)];
    while (slot != NULL && strcmp(slot->key, key) != 0) {
        slot = slot->next;
    }
    return slot;
}

static void map_grow(struct bus_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct bus_slot **buckets = xcalloc(cap, sizeof(struct bus_slot *));
    for (size_t i = 0; i < m->cap; i++) {
        struct bus_slot *slot = m->buckets[i];
        while (slot != NULL) {
            struct bus_slot *next = slot->next;
            size_t b = key_hash(slot->key) & (cap - 1);
            slot->next = buckets[b];
            buckets[b] = slot;
            slot = next;
        }
    }
    free(m->buckets);
    m->buckets = buckets;
    m->cap = cap;
}

static void index_add(struct bus *bus, enum bus_index idx, struct bus_sub *sub, const char *key)
{
    struct bus_map *m = &bus->index[idx];
    struct bus_slot *slot = map_find(m, key);
    if (slot == NULL) {
        if (m->count + 1 > m->cap) {
            map_grow(m);
        }
        slot = xcalloc(1, sizeof(*slot));
        memcpy(slot->key, key, UUID_STR_LEN);
        size_t b = key_hash(key) & (m->cap - 1);
        slot->next = m->buckets[b];
        m->buckets[b] = slot;
        m->count++;
    }
    struct bus_link *l = &sub->link[idx];
    l->slot = slot;
    l->prev = NULL;
    l->next = slot->head;
    if (slot->head != NULL) {
        slot->head->link[idx].prev = sub;
    }
    slot->head = sub;
}

static void index_del(struct bus *bus, enum bus_index idx, struct bus_sub *sub)
{
    struct bus_link *l = &sub->link[idx];
    struct bus_slot *slot = l->slot;
    if (slot == NULL) {
        return;
    }
    if (l->prev != NULL) {
        l->prev->link[idx].next = l->next;
    } else {
        slot->head = l->next;
    }
    if (l->next != NULL) {
        l->next->link[idx].prev = l->prev;
    }
    memset(l, 0, sizeof(*l));
    if (slot->head != NULL) {
        return;
    }
    struct bus_map *m = &bus->index[idx];
    struct bus_slot **pp = &m->buckets[key_hash(slot->key) & (m->cap - 1)];
    while (*pp != slot) {
        pp = &(*pp)->next;
    }
    *pp = slot->next;
    m->count--;
    free(slot);
}

static void map_release(struct bus_map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        BUG_ON(m->buckets[i] != NULL); /* every subscriber must be gone */
    }
    free(m->buckets);
    memset(m, 0, sizeof(*m));
}

/* ---- bus ---- */

/*
 * How long an event waits for a lower seq before the gap is given up on. Gaps fill within a
 * loop iteration or two (workers finishing out of order, the NOTIFY relay); a permanent one
 * (a PostgreSQL sequence value of a rolled-back transaction) costs this much delay once.
 */
#define BUS_GAP_WAIT_MS 50

/* An event held by the reorder stage. */
struct bus_held {
    struct store_event *ev;
    struct envelope *env;
};

static void bus_deliver(struct bus *bus, struct store_event *ev, struct envelope *env);
static void gap_expired(struct loop *loop, struct loop_timer *timer, void *arg);

static void held_drop(void *item)
{
    struct bus_held *h = item;
    envelope_unref(h->env);
    store_event_free(h->ev);
    free(h);
}

/* Delivers every event now in order; arms the gap timer when some wait behind a gap. */
static void bus_drain(struct bus *bus)
{
    struct bus_held *h;
    while ((h = reorder_pop(bus->order, NULL)) != NULL) {
        bus_deliver(bus, h->ev, h->env);
        free(h);
    }
    if (reorder_blocked(bus->order)) {
        if (!loop_timer_active(bus->gap_timer)) {
            loop_timer_start(bus->gap_timer, BUS_GAP_WAIT_MS);
        }
    } else {
        loop_timer_stop(bus->gap_timer);
    }
}

static void gap_expired(struct loop *loop, struct loop_timer *timer, void *arg)
{
    (void)loop;
    (void)timer;
    struct bus *bus = arg;
    bus->stats.gaps_skipped++;
    reorder_skip_gap(bus->order);
    bus_drain(bus);
}

struct bus *bus_new(struct loop *loop)
{
    struct bus *bus = xcalloc(1, sizeof(*bus));
    bus->loop = loop;
    if (loop) {
        bus->order = reorder_new(0);
        bus->gap_timer = loop_timer_new(loop, gap_expired, bus);
    }
    return bus;
}

void bus_free(struct bus *bus)
{
    if (bus == NULL) {
        return;
    }
    BUG_ON(bus->stats.subs != 0);
    for (int i = 0; i < IDX_COUNT; i++) {
        map_release(&bus->index[i]);
    }
    intern_clear(&bus->intern);
    free(bus->intern.buckets);
    for (size_t i = 0; i < ACL_LIST_BUCKETS; i++) {
        BUG_ON(bus->acl_lists[i] != NULL); /* every subscriber released its list */
    }
    free(bus->seen);
    loop_timer_free(bus->gap_timer);
    reorder_free(bus->order, held_drop);
    free(bus);
}

int bus_envelope_from_store(const struct store_event *ev, const char *stack_uuid,
                            struct envelope **out)
{
    struct catalog_event ce;
    char ts[TIME_STR_LEN];
    *out = NULL;
    int rc = catalog_describe(ev, &ce);
    if (rc < 0) {
        return rc;
    }
    /* The commit time, so that every instance renders the same timestamp for an event. */
    time_format_local(ev->created_at > 0 ? ev->created_at : time_now_us(), ts);
    struct envelope_spec spec = {
        .target = ce.target,
        .name = ev->name,
        .origin_uuid = stack_uuid,
        .tenant_uuid = ev->tenant_uuid,
        .timestamp = ts,
        .headers = ce.headers,
        .nheaders = ce.nheaders,
        .required_acl = ce.required_acl,
        .payload = ev->payload,
        .payload_len = ev->payload_len,
        .seq = ev->seq > 0 ? (uint64_t)ev->seq : 0,
    };
    return envelope_new(&spec, out);
}

/* ---- duplicates ---- */

#define SEEN_WORDS (BUS_SEQ_WINDOW / 64)

static void seen_bit(struct bus *bus, int64_t seq, bool set)
{
    uint64_t i = (uint64_t)seq % BUS_SEQ_WINDOW;
    if (set) {
        bus->seen[i / 64] |= 1ull << (i % 64);
    } else {
        bus->seen[i / 64] &= ~(1ull << (i % 64));
    }
}

void bus_dedupe_start(struct bus *bus, int64_t floor)
{
    if (bus->seen == NULL) {
        bus->seen = xcalloc(SEEN_WORDS, sizeof(*bus->seen));
    }
    bus->dedupe = true;
    bus->floor = floor;
    bus->floor_known = floor >= 0;
    memset(bus->seen, 0, SEEN_WORDS * sizeof(*bus->seen));
}

bool bus_seq_seen(const struct bus *bus, int64_t seq)
{
    if (!bus->dedupe) {
        return false;
    }
    if (seq <= bus->floor) {
        return true;
    }
    if (seq - bus->floor > BUS_SEQ_WINDOW) {
        return false;
    }
    uint64_t i = (uint64_t)seq % BUS_SEQ_WINDOW;
    return (bus->seen[i / 64] >> (i % 64)) & 1u;
}

void bus_seq_advance(struct bus *bus, int64_t floor)
{
    if (!bus->dedupe) {
        return;
    }
    bus->floor_known = true;
    if (floor <= bus->floor) {
        return;
    }
    if (floor - bus->floor >= BUS_SEQ_WINDOW) {
        memset(bus->seen, 0, SEEN_WORDS * sizeof(*bus->seen));
    } else {
        for (int64_t s = bus->floor + 1; s <= floor; s++) {
            seen_bit(bus, s, false);
        }
    }
    bus->floor = floor;
}

/* Records seq as published; false when it already was. */
static bool seq_claim(struct bus *bus, int64_t seq)
{
    if (!bus->dedupe || seq <= 0) {
        return true;
    }
    if (bus_seq_seen(bus, seq)) {
        return false;
    }
    if (seq - bus->floor > BUS_SEQ_WINDOW) {
        /*
         * Before the relay knows where the outbox ends, the window just follows this
         * instance's own events. Later, the relay is more than a window behind this instance's own
         * events (PostgreSQL unreachable for a long while): give up remembering the oldest ones. An
         * event of another instance below the new floor is then lost for local clients; they can
         * refetch history over REST.
         */
        if (bus->floor_known) {
            log_warn("msg=bus_seq_window_slide floor=%lld seq=%lld", (long long)bus->floor,
                     (long long)seq);
        }
        bool known = bus->floor_known;
        bus_seq_advance(bus, seq - BUS_SEQ_WINDOW);
        bus->floor_known = known;
    }
    seen_bit(bus, seq, true);
    return true;
}

/* ---- subscribers ---- */

struct bus_sub *bus_sub_new(struct bus *bus, int version, bus_deliver_fn fn, void *sink)
{
    BUG_ON(version != 1 && version != 2);
    struct bus_sub *sub = xcalloc(1, sizeof(*sub));
    sub->bus = bus;
    sub->version = version;
    sub->fn = fn;
    sub->sink = sink;
    bus->stats.subs++;
    return sub;
}

static void sub_unindex(struct bus_sub *sub)
{
    for (int i = 0; i < IDX_COUNT; i++) {
        index_del(sub->bus, (enum bus_index)i, sub);
    }
}

static void sub_acl_release(struct bus_sub *sub)
{
    acl_list_put(sub->bus, sub->acl);
    sub->acl = NULL;
    if (sub->memo != NULL) {
        memset(sub->memo->acl, 0, sizeof(sub->memo->acl));
    }
}

void bus_sub_free(struct bus_sub *sub)
{
    if (sub == NULL) {
        return;
    }
    BUG_ON(sub->bus->publishing);
    sub_unindex(sub);
    sub_acl_release(sub);
    for (size_t i = 0; i < sub->n_names; i++) {
        free(sub->names[i]);
    }
    free(sub->names);
    free(sub->memo);
    sub->bus->stats.subs--;
    free(sub);
}

void bus_sub_set_identity(struct bus_sub *sub, const struct bus_identity *id)
{
    struct bus *bus = sub->bus;
    BUG_ON(bus->publishing);
    BUG_ON(!uuid_is_canonical(id->user_uuid) || !uuid_is_canonical(id->tenant_uuid));
    sub_unindex(sub);
    sub_acl_release(sub);
    memcpy(sub->user, id->user_uuid, UUID_STR_LEN);
    memcpy(sub->tenant, id->tenant_uuid, UUID_STR_LEN);
    (void)snprintf(sub->session, sizeof(sub->session), "%s",
                   id->session_uuid ? id->session_uuid : "");
    sub->admin = id->admin;
    if (id->n_acl > 0) {
        sub->acl = acl_list_get(bus, id->acl, id->n_acl);
    }
    sub->has_identity = true;
    if (sub->admin) {
        index_add(bus, IDX_ADMIN, sub, sub->tenant);
    } else {
        index_add(bus, IDX_USER, sub, sub->user);
    }
    index_add(bus, IDX_TENANT, sub, sub->tenant);
}

int bus_sub_subscribe(struct bus_sub *sub, const char *event_name)
{
    if (strlen(event_name) > BUS_EVENT_NAME_MAX) {
        return HE_INVAL;
    }
    if (strcmp(event_name, "*") == 0) {
        sub->all = true;
        return 0;
    }
    for (size_t i = 0; i < sub->n_names; i++) {
        if (strcmp(sub->names[i], event_name) == 0) {
            return 0;
        }
    }
    if (sub->n_names >= BUS_SUB_NAMES_MAX) {
        return HE_BUSY;
    }
    sub->names = xreallocarray(sub->names, sub->n_names + 1, sizeof(*sub->names));
    sub->names[sub->n_names++] = xstrdup(event_name);
    if (sub->memo != NULL) {
        memset(sub->memo->name, 0, sizeof(sub->memo->name));
    }
    return 0;
}

void bus_sub_start(struct bus_sub *sub)
{
    sub->started = true;
}

bool bus_sub_started(const struct bus_sub *sub)
{
    return sub->started;
}

/* ---- fan-out ---- */

/* A recipient's frames, built on first use and shared by every session it reaches. */
/*
 * What one recipient's sessions get. v2 sessions get the event's frame template (built once
 * per publish, shared by every recipient) with the recipient's uuid as the insert: the ws
 * layer assembles the bytes straight into the socket's staging buffer, so no frame is built
 * per recipient (issue 6: building and freeing them was 15 % of the fan-out's instructions).
 * v1 sessions (rare, legacy) get a plain frame built on first use.
 */
struct frame_set {
    const struct envelope *env;
    const char *user;        /* recipient (user events); NULL for tenant events */
    uint64_t name_id;        /* interned event name, once per publish */
    uint64_t acl_id;         /* interned required-ACL template, once per publish (0: none) */
    struct ws_payload *tmpl; /* the event's frame template (borrowed from the publish) */
    struct ws_payload *v1;
    bool acl_ready;
    char acl[ACL_MAX_LEN + 1]; /* the recipient's required ACL, built on first need */
};

/* The event's frame template: the frame without recipient uuids, cut where they go. */
static struct ws_payload *template_new(struct bus *bus, const struct envelope *env)
{
    const char *base;
    size_t len;
    size_t cuts[ENVELOPE_CUTS_MAX];
    size_t ncuts = envelope_frame_template(env, &base, &len, cuts);
    _Static_assert(ENVELOPE_CUTS_MAX <= WS_SPLICE_MAX, "the ws layer takes every cut");
    _Static_assert(UUID_STR_LEN - 1 <= WS_INSERT_MAX, "a uuid fits an insert");
    char *data;
    struct ws_payload *p = ws_payload_alloc_spliced(len, cuts, ncuts, &data);
    memcpy(data, base, len);
    bus->stats.frames++;
    return p;
}

static struct ws_payload *frame_v1(struct bus *bus, struct frame_set *fs)
{
    if (fs->v1 == NULL) {
        /*
         * v1 sends the bus message itself (wazo-api.md 4.3): the frame's "data" object, which
         * starts after the first `"data":` (op, code and seq come before it) and ends before
         * the frame's last brace.
         */
        struct ws_payload *v2 =
            ws_payload_splice(fs->tmpl, fs->user, fs->user != NULL ? UUID_STR_LEN - 1 : 0);
        const char *f = ws_payload_data(v2);
        size_t len = ws_payload_len(v2);
        const char *d = memmem(f, len, "\"data\":", 7);
        size_t off = d != NULL ? (size_t)(d - f) + 7 : 0;
        BUG_ON(off == 0);
        fs->v1 = ws_payload_new(f + off, len - off - 1);
        ws_payload_unref(v2);
        bus->stats.frames++;
    }
    return fs->v1;
}

static void frame_set_release(struct frame_set *fs)
{
    ws_payload_unref(fs->v1);
}

static bool sub_subscribed(struct bus_sub *sub, const struct frame_set *fs)
{
    if (sub->all) {
        return true;
    }
    if (sub->memo == NULL) {
        sub->memo = xcalloc(1, sizeof(*sub->memo));
    }
    struct sub_memo *m = &sub->memo->name[fs->name_id % SUB_NAME_SLOTS];
    if (fs->name_id != 0 && m->id == fs->name_id) {
        return m->yes;
    }
    const char *name = envelope_name(fs->env);
    bool yes = false;
    for (size_t i = 0; i < sub->n_names && !yes; i++) {
        yes = strcmp(sub->names[i], name) == 0;
    }
    if (fs->name_id != 0) {
        *m = (struct sub_memo){fs->name_id, yes};
    }
    return yes;
}

static bool sub_acl_check(struct bus_sub *sub, struct frame_set *fs)
{
    if (!fs->acl_ready) {
        if (envelope_required_acl(fs->env, fs->user, fs->acl, sizeof(fs->acl)) < 0) {
            return false;
        }
        fs->acl_ready = true;
    }
    if (sub->acl == NULL) {
        return acl_check(NULL, 0, fs->acl, sub->user, sub->session);
    }
    return acl_check((const char *const *)sub->acl->pats, sub->acl->n, fs->acl, sub->user,
                     sub->session);
}

/*
 * wazo-api.md 4.7 rules 1, 2, 3 and 5 (rule 4, the targeting, is the caller's walk). self:
 * the recipient is the session's own user (or the event names nobody), so the required ACL
 * is the template filled with the session's user and the decision depends on the token and
 * the template only: remembered by template id. An admin's copies for other members name
 * another user each and are checked every time.
 */
static bool sub_accepts(struct bus_sub *sub, struct frame_set *fs, bool self)
{
    if (!sub->started || strcmp(sub->tenant, envelope_tenant_uuid(fs->env)) != 0 ||
        !sub_subscribed(sub, fs)) {
        return false;
    }
    if (!envelope_has_required_acl(fs->env)) {
        return true;
    }
    if (!self || fs->acl_id == 0) {
        return sub_acl_check(sub, fs);
    }
    if (sub->memo == NULL) {
        sub->memo = xcalloc(1, sizeof(*sub->memo));
    }
    struct sub_memo *m = &sub->memo->acl[fs->acl_id % SUB_MEMO_SLOTS];
    if (m->id != fs->acl_id) {
        *m = (struct sub_memo){fs->acl_id, sub_acl_check(sub, fs)};
    }
    return m->yes;
}

static void deliver_list(struct bus *bus, enum bus_index idx, const char *key, struct frame_set *fs)
{
    struct bus_slot *slot = map_find(&bus->index[idx], key);
    for (struct bus_sub *sub = slot ? slot->head : NULL; sub != NULL; sub = sub->link[idx].next) {
        /* The user index files a session under its own user: every one there is self. */
        bool self = idx == IDX_USER || fs->user == NULL || strcmp(fs->user, sub->user) == 0;
        if (!sub_accepts(sub, fs, self)) {
            continue;
        }
        if (sub->version == 2) {
            sub->fn(sub->sink, fs->tmpl, fs->user, fs->user != NULL ? UUID_STR_LEN - 1 : 0);
        } else {
            sub->fn(sub->sink, frame_v1(bus, fs), NULL, 0);
        }
        bus->stats.deliveries++;
    }
}

/* Fans out one event whose seq bus_publish has already claimed. */
static void bus_deliver(struct bus *bus, struct store_event *ev, struct envelope *env)
{
    bus->stats.published++;
    bus->publishing = true;
    const char *tenant = envelope_tenant_uuid(env);
    /* Per event, not per recipient: the ids the subscribers' memos are keyed by. */
    uint64_t name_id = intern_key(&bus->intern, 'n', envelope_name(env), NULL);
    uint64_t acl_id = 0;
    if (envelope_has_required_acl(env)) {
        const char *prefix;
        const char *suffix;
        envelope_required_acl_parts(env, &prefix, &suffix);
        acl_id = intern_key(&bus->intern, suffix != NULL ? 't' : 'f', prefix, suffix);
    }
    struct ws_payload *tmpl = template_new(bus, env);
    if (envelope_target(env) == ENVELOPE_TENANT) {
        struct frame_set fs = {.env = env, .name_id = name_id, .acl_id = acl_id, .tmpl = tmpl};
        deliver_list(bus, IDX_TENANT, tenant, &fs);
        frame_set_release(&fs);
    } else {
        bool admins = map_find(&bus->index[IDX_ADMIN], tenant) != NULL;
        for (size_t i = 0; i < ev->n_recipients; i++) {
            /* A recipient that is not a canonical uuid gets nothing (the store never gives
             * one): it would be spliced into the frame as is. */
            if (!uuid_is_canonical(ev->recipients[i])) {
                continue;
            }
            struct frame_set fs = {.env = env,
                                   .user = ev->recipients[i],
                                   .name_id = name_id,
                                   .acl_id = acl_id,
                                   .tmpl = tmpl};
            deliver_list(bus, IDX_USER, fs.user, &fs);
            if (admins) {
                deliver_list(bus, IDX_ADMIN, tenant, &fs);
            }
            frame_set_release(&fs);
        }
    }
    ws_payload_unref(tmpl);
    bus->publishing = false;
    envelope_unref(env);
    store_event_free(ev);
}

void bus_publish(struct bus *bus, struct store_event *ev, struct envelope *env)
{
    if (env == NULL || !seq_claim(bus, ev->seq)) {
        /* Claimed here, not at delivery: the relay moves the duplicate floor past the events
         * it handed over, including those still waiting in the reorder stage. */
        bus->stats.duplicates += env != NULL;
        envelope_unref(env);
        store_event_free(ev);
        return;
    }
    /* Without a loop (unit tests of the fan-out) there is no timer to bound a wait. */
    if (bus->order == NULL || ev->seq <= 0) {
        bus_deliver(bus, ev, env);
        return;
    }
    struct bus_held *h = xmalloc(sizeof(*h));
    h->ev = ev;
    h->env = env;
    reorder_push(bus->order, ev->seq, h);
    bus_drain(bus);
}

void bus_get_stats(const struct bus *bus, struct bus_stats *out)
{
    *out = bus->stats;
}
