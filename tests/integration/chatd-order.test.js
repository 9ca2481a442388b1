'use strict';
// Events leave in outbox order (DESIGN.md section 2): posts made concurrently by several
// users commit in some order, and every member sees their events in exactly that order, the
// order of the room's history, with strictly increasing seq.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startChatd } = require('./lib/chatd');

const POSTS_PER_USER = 15;

let c;
let users;

before(async () => {
  c = await startChatd();
  users = [await c.user('ann'), await c.user('ben'), await c.user('cid'), await c.user('dee')];
});

after(async () => {
  if (c) await c.server.stop();
});

test('concurrent posts reach every member in commit order with increasing seq', async () => {
  const [ann, ...others] = users;
  const room = await c.room(ann, others, 'order');
  const sockets = [];
  for (const u of users) sockets.push(await c.socket(u, ['chatd_user_room_message_created']));
  try {
    // Every user posts at once, POSTS_PER_USER messages each, without waiting in between.
    const posts = [];
    for (const u of users) {
      for (let i = 0; i < POSTS_PER_USER; i++) posts.push(c.post(u, room, `${u.username} ${i}`));
    }
    const sent = await Promise.all(posts);
    assert.equal(sent.length, users.length * POSTS_PER_USER);

    const history = await c.chatd(ann.token, 'GET',
      `/users/me/rooms/${room.uuid}/messages?direction=asc&limit=100`);
    assert.equal(history.status, 200);
    const historyOrder = history.body.items.map((m) => m.uuid);
    assert.equal(historyOrder.length, sent.length);

    for (const ws of sockets) {
      const seen = [];
      let lastSeq = 0;
      while (seen.length < sent.length) {
        const f = await ws.next((m) => m.op === 'event', { skip: false });
        assert.ok(f.seq > lastSeq, `seq ${f.seq} after ${lastSeq}`);
        lastSeq = f.seq;
        seen.push(f.data.data.uuid);
      }
      assert.deepEqual(seen, historyOrder, 'events in the order of the history');
    }
  } finally {
    for (const ws of sockets) ws.close();
  }
});
