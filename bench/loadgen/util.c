/* util: allocation, clocks, loopback guard, /proc sampling and the payload format. */
#include "lg.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void *lg_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        lg_die("out of memory (%zu bytes)", n);
    }
    return p;
}

void *lg_xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (!p) {
        lg_die("out of memory (%zu x %zu bytes)", nmemb, size);
    }
    return p;
}

void *lg_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        lg_die("out of memory (%zu bytes)", n);
    }
    return q;
}

char *lg_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = lg_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

char *lg_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        lg_die("bad format");
    }
    char *p = lg_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int64_t lg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void lg_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void lg_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int lg_check_loopback(const char *host)
{
    struct in_addr a;
    if (inet_pton(AF_INET, host, &a) != 1) {
        return -1;
    }
    /* Benchmarks never leave the machine: 127.0.0.0/8 only. */
    return (ntohl(a.s_addr) >> 24) == 127 ? 0 : -1;
}

static int64_t sched_ns_of(int pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d) {
        return -1;
    }
    int64_t sum = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char p2[300];
        snprintf(p2, sizeof(p2), "/proc/%d/task/%s/schedstat", pid, e->d_name);
        FILE *f = fopen(p2, "r");
        if (!f) {
            continue; /* thread exited meanwhile */
        }
        long long ns = 0;
        if (fscanf(f, "%lld", &ns) == 1) {
            sum += ns;
        }
        fclose(f);
    }
    closedir(d);
    return sum;
}

double lg_loadavg(void)
{
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) {
            l = -1;
        }
        fclose(f);
    }
    return l;
}

int lg_cpu_sample(int pid, struct lg_cpu *out)
{
    memset(out, 0, sizeof(*out));
    if (pid <= 0) {
        return -1;
    }
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return -1;
    }
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* The command name may hold spaces and parentheses: fields restart after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p) {
        return -1;
    }
    p += 2; /* field 3 (state) */
    unsigned long long utime = 0, stime = 0;
    int field = 3;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save), field++) {
        if (field == 14) {
            utime = strtoull(tok, NULL, 10);
        } else if (field == 15) {
            stime = strtoull(tok, NULL, 10);
            break;
        }
    }
    out->ticks = (int64_t)(utime + stime);
    out->sched_ns = sched_ns_of(pid);
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof(line), f)) {
            if (strncmp(line, "VmRSS:", 6) == 0) {
                out->rss_kb = strtol(line + 6, NULL, 10);
            }
        }
        fclose(f);
    }
    return 0;
}

size_t lg_payload(struct lg_run *run, int idx, int64_t t_ns, char *buf, size_t cap)
{
    size_t want = (size_t)run->o.msg_size;
    if (want >= cap) {
        want = cap - 1;
    }
    int n = snprintf(buf, cap, LG_MARK "%s:%d:%" PRId64 ":", run->run_tag, idx, t_ns);
    size_t len = (size_t)n;
    /* Pad with a plain letter: needs no escaping in JSON or XML, so the bytes on the wire
     * are msg_size as in the XMPP runs of bench-peers.md. */
    while (len < want) {
        buf[len++] = 'x';
    }
    buf[len] = 0;
    return len;
}

void lg_on_payload(struct lg_run *run, const char *p, size_t len, int64_t now)
{
    /* p points at LG_MARK; parse "tag:idx:t:" with explicit bounds (p is not terminated) */
    const char *end = p + len;
    const char *q = p + strlen(LG_MARK);
    size_t tl = strlen(run->run_tag);
    if ((size_t)(end - q) < tl + 1 || memcmp(q, run->run_tag, tl) != 0 || q[tl] != ':') {
        run->unexpected++;
        return;
    }
    q += tl + 1;
    int64_t idx = 0, t = 0;
    while (q < end && *q >= '0' && *q <= '9') {
        idx = idx * 10 + (*q++ - '0');
    }
    if (q >= end || *q++ != ':') {
        run->unexpected++;
        return;
    }
    while (q < end && *q >= '0' && *q <= '9') {
        t = t * 10 + (*q++ - '0');
    }
    if (q >= end || *q != ':' || idx >= run->o.messages) {
        run->unexpected++;
        return;
    }
    struct lg_msg *m = &run->msgs[idx];
    m->t_sent_ns = t;
    m->n_recv++;
    if (now > m->t_last_ns) {
        m->t_last_ns = now;
    }
    run->deliveries++;
    run->t_last_recv_ns = now;
    if (run->n_lat < run->expected) {
        int64_t us = (now - t) / 1000;
        run->lat_us[run->n_lat++] = (uint32_t)(us < 0 ? 0 : us);
    }
}
