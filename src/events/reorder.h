/*
 * reorder: releases events in outbox sequence order (DESIGN.md section 2).
 *
 * Sequence numbers are handed out in commit order, but committed events reach the loop by
 * several paths that race: each worker posts its own request's events when it finishes, and
 * with PostgreSQL the NOTIFY relay brings other instances' events. Clients must still see one
 * order, the outbox's. The bus pushes every event here and pops what is releasable:
 * - the event whose seq is the next expected one (and then its followers);
 * - a late event (seq below the next expected: its gap was given up on), at once, because
 *   late is better than lost.
 * An event above the next expected seq waits for the gap to fill. A gap can be permanent (a
 * PostgreSQL sequence value taken by a transaction that rolled back), so the caller gives up
 * on it after a short window with reorder_skip_gap().
 *
 * Ownership: items are the caller's opaque pointers; the structure only holds them.
 * Threads: one thread (the loop).
 */
#ifndef HUARD_EVENTS_REORDER_H
#define HUARD_EVENTS_REORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reorder;

/**
 * next_seq: the first sequence expected (the outbox's last seq + 1 at start-up); 0 lets the
 * first event pushed set it.
 */
struct reorder *reorder_new(int64_t next_seq);
/** Frees the structure; drop (may be NULL) is called on every item still held. */
void reorder_free(struct reorder *r, void (*drop)(void *item));

/** Holds item under seq (> 0). Two items with the same seq are both kept, in push order. */
void reorder_push(struct reorder *r, int64_t seq, void *item);
/**
 * Returns the next releasable item and its seq in *seq, or NULL while the smallest held item
 * waits for a gap (or nothing is held).
 */
void *reorder_pop(struct reorder *r, int64_t *seq);
/** True when items are held behind a gap (reorder_pop returned NULL with items left). */
bool reorder_blocked(const struct reorder *r);
/** Number of items held. */
size_t reorder_count(const struct reorder *r);
/** The next sequence expected. */
int64_t reorder_next_seq(const struct reorder *r);
/** Gives up on the current gap: the smallest held seq becomes the next expected. */
void reorder_skip_gap(struct reorder *r);

#endif
