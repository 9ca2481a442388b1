'use strict';
// Reactions (issue 5, DESIGN.md 5): one emoji grapheme per reaction, 409 on a repeat, 404 for
// non-members, listed on messages, deleted by percent-encoded emoji, with their events.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startChatd, assertError } = require('./lib/chatd');

let c;
let alice;
let bob;
let eve;
let room;
let msg;

before(async () => {
  c = await startChatd();
  alice = await c.user('alice');
  bob = await c.user('bob');
  eve = await c.user('eve');
  room = await c.room(alice, [bob], 'reactions');
  msg = await c.post(alice, room, 'react to me');
});

after(async () => {
  if (c) await c.server.stop();
});

const ZERO = '00000000-0000-4000-8000-000000000000';
const rPath = (r, m) => `/users/me/rooms/${r.uuid || r}/messages/${m.uuid || m}/reactions`;

test('POST a reaction: 201, listed on the message with count and users; 409 on a repeat', async () => {
  const res = await c.chatd(bob.token, 'POST', rPath(room, msg), { emoji: '🎉' });
  assert.equal(res.status, 201, res.text);
  assert.deepEqual(res.body, { message_uuid: msg.uuid, room_uuid: room.uuid, emoji: '🎉', user_uuid: bob.uuid });
  assert.equal((await c.chatd(alice.token, 'POST', rPath(room, msg), { emoji: '🎉' })).status, 201);
  const dup = await c.chatd(bob.token, 'POST', rPath(room, msg), { emoji: '🎉' });
  assertError(dup, 409, 'conflict');
  assert.equal(dup.body.resource, 'reactions');
  const hist = await c.chatd(alice.token, 'GET', `/users/me/rooms/${room.uuid}/messages`);
  const m = hist.body.items.find((x) => x.uuid === msg.uuid);
  assert.deepEqual(m.reactions, [{ emoji: '🎉', count: 2, user_uuids: [bob.uuid, alice.uuid] }]);
});

test('emoji table: single emoji graphemes accepted, anything else 400 invalid-data', async () => {
  for (const emoji of ['❤️', '👍🏽', '👨‍👩‍👧‍👦', '🇫🇷', '1️⃣']) {
    const res = await c.chatd(alice.token, 'POST', rPath(room, msg), { emoji });
    assert.equal(res.status, 201, `${emoji}: ${res.text}`);
  }
  const emojiErr = { emoji: [{ constraint_id: 'emoji', constraint: 'single_emoji', message: 'Must be exactly one emoji.' }] };
  for (const emoji of ['a', 'é', '👍👍', '', ' 👍', '🇫']) {
    assertError(await c.chatd(alice.token, 'POST', rPath(room, msg), { emoji }), 400, 'invalid-data', emojiErr);
  }
  assertError(await c.chatd(alice.token, 'POST', rPath(room, msg), {}), 400, 'invalid-data',
    { emoji: { constraint_id: 'required', constraint: 'required', message: 'Missing data for required field.' } });
  assertError(await c.chatd(alice.token, 'POST', rPath(room, msg), { emoji: null }), 400, 'invalid-data',
    { emoji: { constraint_id: 'not_null', constraint: 'not_null', message: 'Field may not be null.' } });
  assertError(await c.chatd(alice.token, 'POST', rPath(room, msg), { emoji: 1 }), 400, 'invalid-data',
    { emoji: { constraint_id: 'type', constraint: 'string', message: 'Not a valid string.' } });
  assertError(await c.chatd(alice.token, 'POST', rPath(room, msg), '{"emoji":'), 400, 'invalid-data');
});

test('non-members, other rooms and bad paths get 404', async () => {
  const other = await c.room(alice, [eve], 'elsewhere');
  const otherMsg = await c.post(eve, other, 'not here');
  for (const body of [{ emoji: '👍' }, { emoji: 'not an emoji' }]) {
    assertError(await c.chatd(eve.token, 'POST', rPath(room, msg), body), 404, 'unknown-room', { uuid: room.uuid });
  }
  assertError(await c.chatd(eve.token, 'DELETE', `${rPath(room, msg)}/${encodeURIComponent('🎉')}`), 404, 'unknown-room');
  // A message of another room is not found through this one.
  assertError(await c.chatd(alice.token, 'POST', rPath(room, otherMsg), { emoji: '👍' }), 404, 'unknown-message',
    { uuid: otherMsg.uuid });
  assertError(await c.chatd(alice.token, 'POST', rPath(room, ZERO), { emoji: '👍' }), 404, 'unknown-message');
  assertError(await c.chatd(alice.token, 'POST', `/users/me/rooms/${room.uuid}/messages/nope/reactions`, { emoji: '👍' }), 404, 'not-found');
  assertError(await c.chatd(alice.token, 'POST', `/users/me/rooms/nope/messages/${msg.uuid}/reactions`, { emoji: '👍' }), 404, 'not-found');
});

test('DELETE a reaction by its percent-encoded emoji: 204, then 404', async () => {
  const path = `${rPath(room, msg)}/${encodeURIComponent('❤️')}`;
  assert.equal((await c.chatd(alice.token, 'DELETE', path)).status, 204);
  const again = await c.chatd(alice.token, 'DELETE', path);
  assertError(again, 404, 'not-found');
  assert.equal(again.body.resource, 'reactions');
  // Not an emoji, or not even UTF-8, in the path: simply no such reaction.
  assertError(await c.chatd(alice.token, 'DELETE', `${rPath(room, msg)}/abc`), 404, 'not-found');
  assertError(await c.chatd(alice.token, 'DELETE', `${rPath(room, msg)}/%FF`), 404, 'not-found');
  // Bob never reacted with this one.
  assertError(await c.chatd(bob.token, 'DELETE', `${rPath(room, msg)}/${encodeURIComponent('🇫🇷')}`), 404, 'not-found');
  const hist = await c.chatd(bob.token, 'GET', `/users/me/rooms/${room.uuid}/messages`);
  const m = hist.body.items.find((x) => x.uuid === msg.uuid);
  assert.ok(!m.reactions.some((r) => r.emoji === '❤️'));
  assert.ok(m.reactions.some((r) => r.emoji === '🇫🇷' && r.count === 1));
});
