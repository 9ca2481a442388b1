#define LOG_MODULE "messages"
#include "domain/messages.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/log.h"
#include "domain/outbox.h"
#include "domain/render.h"
#include "store/store.h"
#include "text/fold.h"

static int post_tx(struct store *s, const struct messages_post_args *a, const char *folded,
                   char **body, size_t *body_len, struct store_event **ev_out)
{
    struct store_tx *tx = NULL;
    struct store_room *room = NULL;
    struct store_event *ev = NULL;
    int rc = store_tx_begin(s, &tx);
    if (rc < 0) {
        return rc;
    }
    /* Membership and the event's recipients in one read, inside the write transaction, so a
     * member who leaves concurrently is either before (404) or after (gets the event). */
    rc = store_room_get(tx, a->room_uuid, a->user_uuid, &room);
    if (rc < 0) {
        goto out;
    }
    struct store_message m = {0};
    memcpy(m.room_uuid, room->uuid, UUID_STR_LEN);
    memcpy(m.tenant_uuid, room->tenant_uuid, UUID_STR_LEN);
    memcpy(m.user_uuid, a->user_uuid, UUID_STR_LEN);
    m.alias = (char *)a->alias;     /* borrowed for the call */
    m.content = (char *)a->content; /* borrowed for the call */
    m.content_search = (char *)folded;
    rc = store_message_append(tx, &m);
    if (rc < 0) {
        goto out;
    }
    size_t len;
    char *payload = render_message(&m, a->stack_uuid, &len);
    *body = xmemdup(payload, len + 1);
    *body_len = len;
    ev = render_event_message_created(room, payload, len);
    rc = outbox_commit(tx, &ev, ev_out);
    tx = NULL;
    if (rc < 0) {
        free(*body);
        *body = NULL;
    }
out:
    store_tx_rollback(tx);
    store_room_free(room);
    store_event_free(ev);
    return rc;
}

int messages_post(struct store *s, const struct messages_post_args *a, char **body,
                  size_t *body_len, struct render_events *evs)
{
    *body = NULL;
    char *folded = fold_text(a->content, a->content_len, NULL);
    if (!folded) {
        return HE_INVAL;
    }
    struct store_event *ev = NULL;
    int rc;
    int attempt = 0;
    do {
        rc = post_tx(s, a, folded, body, body_len, &ev);
    } while (rc == HE_AGAIN && ++attempt < OUTBOX_TX_ATTEMPTS);
    free(folded);
    if (rc < 0) {
        if (rc != HE_UNKNOWN_ROOM) {
            log_err("msg=\"message post failed\" err=%s", he_name(rc));
        }
        return rc;
    }
    render_events_push(evs, ev);
    return 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int messages_search_words(const char *term, size_t len, char ***words_out, size_t *n_out)
{
    size_t flen = 0;
    char *folded = fold_text(term, len, &flen);
    if (!folded) {
        return HE_INVAL;
    }
    size_t n = 0;
    for (size_t i = 0; i < flen; i++) {
        if (!is_space(folded[i]) && (i == 0 || is_space(folded[i - 1]))) {
            n++;
        }
    }
    /* One block: the word pointers, then the folded text cut into words in place. */
    char **words = xmalloc((n + 1) * sizeof(char *) + flen + 1);
    char *text = (char *)(words + n + 1);
    memcpy(text, folded, flen + 1);
    free(folded);
    size_t k = 0;
    for (size_t i = 0; i < flen; i++) {
        if (is_space(text[i])) {
            text[i] = '\0';
        } else if (i == 0 || text[i - 1] == '\0') {
            words[k++] = &text[i];
        }
    }
    words[k] = NULL;
    *words_out = words;
    *n_out = k;
    return 0;
}

/* The words of an optional search term (none when term is NULL), as messages_search_words. */
static int term_words(const char *term, char ***words, size_t *n)
{
    *words = NULL;
    *n = 0;
    return term ? messages_search_words(term, strlen(term), words, n) : 0;
}

int messages_page(struct store *s, const struct messages_page_args *a,
                  struct store_message_list **out)
{
    char **words = NULL;
    size_t n_words = 0;
    struct store_tx *tx = NULL;
    int rc = term_words(a->search, &words, &n_words);
    if (rc < 0) {
        return rc;
    }
    struct store_page_query q = {
        .viewer_uuid = a->viewer_uuid,
        .limit = a->limit,
        .offset = a->offset,
        .direction = a->ascending ? STORE_ASC : STORE_DESC,
        .has_from_date = a->has_from_date,
        .from_date = a->from_date,
        .words = (const char *const *)words,
        .n_words = n_words,
        .threads = STORE_THREAD_ALL,
    };
    rc = store_tx_begin_read(s, &tx);
    if (rc == 0) {
        rc = store_message_page(tx, a->room_uuid, &q, out);
    }
    store_tx_rollback(tx);
    free(words);
    return rc;
}

int messages_search(struct store *s, const struct messages_search_args *a,
                    struct store_message_list **out)
{
    char **words = NULL;
    size_t n_words = 0;
    struct store_tx *tx = NULL;
    int rc = term_words(a->search, &words, &n_words);
    if (rc < 0) {
        return rc;
    }
    struct store_search_query q = {
        .user_uuid = a->user_uuid,
        .limit = a->limit,
        .offset = a->offset,
        .direction = a->ascending ? STORE_ASC : STORE_DESC,
        .words = (const char *const *)words,
        .n_words = n_words,
        .distinct_room = a->distinct_room,
    };
    rc = store_tx_begin_read(s, &tx);
    if (rc == 0) {
        rc = store_message_search(tx, &q, out);
    }
    store_tx_rollback(tx);
    free(words);
    return rc;
}

/* The lookups shared by messages_check and react_tx, in tx. */
static int check_in(struct store_tx *tx, const char *room_uuid, const char *message_uuid,
                    const char *user_uuid, struct store_room **room_out)
{
    struct store_room *room = NULL;
    struct store_message *msg = NULL;
    int rc = store_room_get(tx, room_uuid, user_uuid, &room);
    if (rc == 0) {
        rc = store_message_get(tx, message_uuid, user_uuid, &msg);
    }
    if (rc == 0 && strcmp(msg->room_uuid, room->uuid) != 0) {
        rc = HE_UNKNOWN_MESSAGE; /* a message of another room is not found through this one */
    }
    store_message_free(msg);
    if (rc == 0 && room_out) {
        *room_out = room;
        room = NULL;
    }
    store_room_free(room);
    return rc;
}

int messages_check(struct store *s, const char *room_uuid, const char *message_uuid,
                   const char *user_uuid)
{
    struct store_tx *tx = NULL;
    int rc = store_tx_begin_read(s, &tx);
    if (rc == 0) {
        rc = check_in(tx, room_uuid, message_uuid, user_uuid, NULL);
    }
    store_tx_rollback(tx);
    return rc;
}

static int react_tx(struct store *s, const char *room_uuid, const char *message_uuid,
                    const char *user_uuid, const char *emoji, bool add, struct store_event **ev_out)
{
    struct store_tx *tx = NULL;
    struct store_room *room = NULL;
    struct store_event *ev = NULL;
    int rc = store_tx_begin(s, &tx);
    if (rc < 0) {
        return rc;
    }
    rc = check_in(tx, room_uuid, message_uuid, user_uuid, &room);
    if (rc < 0) {
        goto out;
    }
    if (add) {
        rc = store_reaction_add(tx, message_uuid, user_uuid, emoji, 0);
    } else {
        rc = store_reaction_remove(tx, message_uuid, user_uuid, emoji);
    }
    if (rc < 0) {
        goto out;
    }
    ev = render_event_reaction(room, add, message_uuid, emoji, user_uuid);
    rc = outbox_commit(tx, &ev, ev_out);
    tx = NULL;
out:
    store_tx_rollback(tx);
    store_room_free(room);
    store_event_free(ev);
    return rc;
}

int messages_react(struct store *s, const char *room_uuid, const char *message_uuid,
                   const char *user_uuid, const char *emoji, bool add, struct render_events *evs)
{
    struct store_event *ev = NULL;
    int rc;
    int attempt = 0;
    do {
        rc = react_tx(s, room_uuid, message_uuid, user_uuid, emoji, add, &ev);
    } while (rc == HE_AGAIN && ++attempt < OUTBOX_TX_ATTEMPTS);
    if (rc < 0) {
        return rc;
    }
    render_events_push(evs, ev);
    return 0;
}
