/*
 * xmpp: the XMPP-over-WebSocket client side (RFC 7395) used to drive ejabberd and Prosody
 * with the same members, rate and message size as Huard. One stanza per WebSocket message
 * (RFC 7395 section 3.3.3), so each message is parsed as one XML document with expat.
 *
 * Login: <open/>, SASL PLAIN with the user the peer scripts registered, <open/> again,
 * resource bind; then a MUC join (XEP-0045 7.2) with no history, complete when the
 * self-presence (status 110) arrives. Prosody locks a new room (status 201) until its owner
 * submits the configuration form (bench-peers.md 3.2); ejabberd must NOT get that submit
 * (bench-peers.md 3.3 pitfall 6), hence the --xmpp-owner-submit switch.
 * Loop thread only.
 */
#include "lg.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define NS_DELAY "urn:xmpp:delay"

enum x_kind {
    XK_OTHER,
    XK_OPEN,
    XK_FEATURES,
    XK_SUCCESS,
    XK_FAILURE,
    XK_IQ,
    XK_PRESENCE,
    XK_MESSAGE,
    XK_CLOSE
};

enum x_step { XS_OPEN1, XS_AUTH, XS_OPEN2, XS_BIND, XS_JOIN, XS_CONFIG, XS_DONE };

/* expat in namespace mode reports "uri local"; compare both parts */
static int name_is(const char *name, const char *ns, const char *local)
{
    const char *sp = strchr(name, ' ');
    if (!sp) {
        return ns == NULL && strcmp(name, local) == 0;
    }
    size_t nl = (size_t)(sp - name);
    return (ns == NULL || (strlen(ns) == nl && memcmp(name, ns, nl) == 0)) &&
           strcmp(sp + 1, local) == 0;
}

static const char *local_of(const char *name)
{
    const char *sp = strchr(name, ' ');
    return sp ? sp + 1 : name;
}

static const char *attr(const char **atts, const char *key)
{
    for (int i = 0; atts[i]; i += 2) {
        if (strcmp(atts[i], key) == 0) {
            return atts[i + 1];
        }
    }
    return NULL;
}

static void XMLCALL on_start(void *ud, const char *name, const char **atts)
{
    struct lg_conn *c = ud;
    if (c->x_depth == 0) {
        const char *l = local_of(name);
        c->x_kind = strcmp(l, "open") == 0       ? XK_OPEN
                    : strcmp(l, "features") == 0 ? XK_FEATURES
                    : strcmp(l, "success") == 0  ? XK_SUCCESS
                    : strcmp(l, "failure") == 0  ? XK_FAILURE
                    : strcmp(l, "iq") == 0       ? XK_IQ
                    : strcmp(l, "presence") == 0 ? XK_PRESENCE
                    : strcmp(l, "message") == 0  ? XK_MESSAGE
                    : strcmp(l, "close") == 0    ? XK_CLOSE
                                                 : XK_OTHER;
        const char *t = attr(atts, "type");
        snprintf(c->x_type, sizeof(c->x_type), "%s", t ? t : "");
        const char *id = attr(atts, "id");
        snprintf(c->x_id, sizeof(c->x_id), "%s", id ? id : "");
    } else if (c->x_kind == XK_FEATURES && c->x_depth == 1) {
        if (name_is(name, NS_SASL, "mechanisms")) {
            c->x_features_mech = 1;
        } else if (name_is(name, NS_BIND, "bind")) {
            c->x_features_bind = 1;
        }
    } else if (c->x_kind == XK_PRESENCE && name_is(name, NS_MUC_USER, "status")) {
        const char *code = attr(atts, "code");
        if (code && strcmp(code, "110") == 0) {
            c->x_status110 = 1;
        } else if (code && strcmp(code, "201") == 0) {
            c->x_status201 = 1;
        }
    } else if (c->x_kind == XK_MESSAGE && c->x_depth == 1) {
        if (strcmp(local_of(name), "body") == 0) {
            c->x_in_body = 1;
        } else if (name_is(name, NS_DELAY, "delay")) {
            c->x_delayed = 1; /* room history, not a live delivery */
        }
    }
    c->x_depth++;
}

static void XMLCALL on_end(void *ud, const char *name)
{
    (void)name;
    struct lg_conn *c = ud;
    c->x_depth--;
    if (c->x_depth == 1) {
        c->x_in_body = 0;
    }
}

static void XMLCALL on_text(void *ud, const char *s, int len)
{
    struct lg_conn *c = ud;
    if (!c->x_in_body || len <= 0) {
        return;
    }
    if (c->x_body_len + (size_t)len > c->x_body_cap) {
        c->x_body_cap = (c->x_body_len + (size_t)len) * 2;
        c->x_body = lg_xrealloc(c->x_body, c->x_body_cap);
    }
    memcpy(c->x_body + c->x_body_len, s, (size_t)len);
    c->x_body_len += (size_t)len;
}

static void send_str(struct lg_conn *c, const char *s)
{
    if (lg_ws_send_text(c, s, strlen(s)) != 0) {
        lg_conn_kill(c, "queue failed");
    }
}

static void send_open(struct lg_conn *c)
{
    char buf[256];
    snprintf(buf, sizeof(buf),
             "<open xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" to=\"%s\" version=\"1.0\"/>",
             c->run->o.domain);
    send_str(c, buf);
}

static void room_jid(struct lg_conn *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "bench%d@%s", c->room, c->run->o.muc);
}

void lg_xmpp_on_open(struct lg_conn *c)
{
    c->xp = XML_ParserCreateNS(NULL, ' ');
    if (!c->xp) {
        lg_die("XML_ParserCreateNS failed");
    }
    c->step = XS_OPEN1;
    send_open(c);
}

void lg_xmpp_free(struct lg_conn *c)
{
    if (c->xp) {
        XML_ParserFree(c->xp);
        c->xp = NULL;
    }
    free(c->x_body);
    c->x_body = NULL;
    c->x_body_cap = c->x_body_len = 0;
}

static void send_auth(struct lg_conn *c)
{
    struct lg_run *run = c->run;
    char raw[256];
    int n =
        snprintf(raw, sizeof(raw), "%c%s%d%c%s", 0, run->o.user_prefix, c->idx, 0, run->o.password);
    char b64[400];
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)raw, n);
    char buf[600];
    snprintf(buf, sizeof(buf), "<auth xmlns=\"" NS_SASL "\" mechanism=\"PLAIN\">%s</auth>", b64);
    send_str(c, buf);
}

static void send_join(struct lg_conn *c)
{
    char rj[200], buf[512];
    room_jid(c, rj, sizeof(rj));
    snprintf(buf, sizeof(buf),
             "<presence xmlns=\"jabber:client\" to=\"%s/u%d\"><x "
             "xmlns=\"http://jabber.org/protocol/muc\"><history maxstanzas=\"0\"/></x></presence>",
             rj, c->idx);
    send_str(c, buf);
}

static void setup_step(struct lg_conn *c)
{
    struct lg_run *run = c->run;
    switch (c->step) {
    case XS_OPEN1:
    case XS_OPEN2:
        if (c->x_kind == XK_FEATURES) {
            if (c->step == XS_OPEN1 && c->x_features_mech) {
                send_auth(c);
                c->step = XS_AUTH;
            } else if (c->step == XS_OPEN2 && c->x_features_bind) {
                /* A resource unique to this run: MUC occupancy is keyed by full JID, so a
                 * session of an earlier run still being torn down in a room must not make
                 * this run's session receive that room's messages. */
                char buf[256];
                snprintf(buf, sizeof(buf),
                         "<iq xmlns=\"jabber:client\" type=\"set\" id=\"bind\"><bind "
                         "xmlns=\"" NS_BIND "\"><resource>lg%s</resource></bind></iq>",
                         run->run_tag);
                send_str(c, buf);
                c->step = XS_BIND;
            }
        }
        break;
    case XS_AUTH:
        if (c->x_kind == XK_SUCCESS) {
            send_open(c);
            c->step = XS_OPEN2;
        } else if (c->x_kind == XK_FAILURE) {
            lg_conn_kill(c, "SASL PLAIN failed (user registered?)");
        }
        break;
    case XS_BIND:
        if (c->x_kind == XK_IQ && strcmp(c->x_id, "bind") == 0) {
            if (strcmp(c->x_type, "result") != 0) {
                lg_conn_kill(c, "bind failed");
            } else if (run->o.scenario == LG_IDLE) {
                c->step = XS_DONE; /* idle sessions: logged in, no room */
                lg_mark_ready(c);
            } else {
                send_join(c);
                c->step = XS_JOIN;
            }
        }
        break;
    case XS_JOIN:
        if (c->x_kind == XK_PRESENCE && strcmp(c->x_type, "error") == 0) {
            lg_conn_kill(c, "MUC join refused");
        } else if (c->x_kind == XK_PRESENCE && c->x_status110) {
            if (c->x_status201 && run->o.xmpp_owner_submit) {
                char rj[200], buf[512];
                room_jid(c, rj, sizeof(rj));
                snprintf(
                    buf, sizeof(buf),
                    "<iq xmlns=\"jabber:client\" type=\"set\" id=\"cfg\" to=\"%s\"><query "
                    "xmlns=\"http://jabber.org/protocol/muc#owner\"><x xmlns=\"jabber:x:data\" "
                    "type=\"submit\"/></query></iq>",
                    rj);
                send_str(c, buf);
                c->step = XS_CONFIG;
            } else {
                c->step = XS_DONE;
                lg_mark_ready(c);
            }
        }
        break;
    case XS_CONFIG:
        if (c->x_kind == XK_IQ && strcmp(c->x_id, "cfg") == 0) {
            if (strcmp(c->x_type, "result") != 0) {
                lg_conn_kill(c, "room configuration refused");
            } else {
                c->step = XS_DONE;
                lg_mark_ready(c);
            }
        }
        break;
    default:
        break;
    }
}

void lg_xmpp_on_msg(struct lg_conn *c, const uint8_t *msg, size_t len)
{
    struct lg_run *run = c->run;
    int64_t now = lg_now_ns();
    if (c->state == LG_C_READY && !run->o.full_parse && run->parsed_full >= 1000) {
        /* Fast path once the full parse has validated the stanza shape: the marker is only
         * ever in a groupchat body, and history (delay) was refused at join. */
        const char *m = memmem(msg, len, LG_MARK, strlen(LG_MARK));
        if (m && memmem(msg, len, "groupchat", 9) &&
            !memmem(msg, len, NS_DELAY, strlen(NS_DELAY)) &&
            !memmem(msg, len, "type=\"error\"", 12) && !memmem(msg, len, "type='error'", 12)) {
            lg_on_payload(run, m, len - (size_t)(m - (const char *)msg), now);
        } else {
            run->unexpected++;
        }
        return;
    }
    XML_ParserReset(c->xp, NULL);
    XML_SetUserData(c->xp, c);
    XML_SetElementHandler(c->xp, on_start, on_end);
    XML_SetCharacterDataHandler(c->xp, on_text);
    c->x_depth = 0;
    c->x_kind = XK_OTHER;
    c->x_in_body = c->x_delayed = c->x_status110 = c->x_status201 = 0;
    c->x_features_bind = c->x_features_mech = 0;
    c->x_body_len = 0;
    if (XML_Parse(c->xp, (const char *)msg, (int)len, 1) != XML_STATUS_OK) {
        char why[128];
        snprintf(why, sizeof(why), "bad XML from server: %s",
                 XML_ErrorString(XML_GetErrorCode(c->xp)));
        lg_conn_kill(c, why);
        return;
    }
    if (c->x_kind == XK_CLOSE) {
        lg_conn_kill(c, "server closed the stream");
        return;
    }
    if (c->state != LG_C_READY) {
        setup_step(c);
        return;
    }
    if (c->x_kind == XK_MESSAGE && strcmp(c->x_type, "groupchat") == 0 && !c->x_delayed &&
        c->x_body_len >= strlen(LG_MARK) && memcmp(c->x_body, LG_MARK, strlen(LG_MARK)) == 0) {
        run->parsed_full++;
        lg_on_payload(run, c->x_body, c->x_body_len, now);
    } else {
        run->unexpected++;
    }
}

void lg_xmpp_send_groupchat(struct lg_conn *c, int idx)
{
    struct lg_run *run = c->run;
    char payload[8192], rj[200];
    lg_payload(run, idx, lg_now_ns(), payload, sizeof(payload));
    room_jid(c, rj, sizeof(rj));
    char *st = lg_xasprintf("<message xmlns=\"jabber:client\" to=\"%s\" type=\"groupchat\" "
                            "id=\"m%d\"><body>%s</body></message>",
                            rj, idx, payload);
    send_str(c, st);
    free(st);
}
