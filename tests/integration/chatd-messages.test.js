'use strict';
// chatd messages (wazo-api.md 3.4-3.6): posting with its checks, history ordering, paging,
// search (accent- and case-insensitive, words in order), from_date, the search across rooms,
// non-member access, and the bad-input tables of each endpoint.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startChatd, assertError } = require('./lib/chatd');

let c;
let alice;
let bob;
let eve;
let room;
let other;

before(async () => {
  c = await startChatd({ args: ['--message-max-chars', '50'] });
  alice = await c.user('alice');
  bob = await c.user('bob');
  eve = await c.user('eve');
  room = await c.room(alice, [bob], 'history');
  other = await c.room(alice, [eve], 'other');
});

after(async () => {
  if (c) await c.server.stop();
});

const ZERO = '00000000-0000-4000-8000-000000000000';
const msgPath = (r) => `/users/me/rooms/${r.uuid || r}/messages`;

test('POST a message: 201 with chatd fields and the extensions', async () => {
  const res = await c.chatd(alice.token, 'POST', msgPath(room), { content: 'hello', alias: 'Al' });
  assert.equal(res.status, 201, res.text);
  const m = res.body;
  assert.equal(m.content, 'hello');
  assert.equal(m.alias, 'Al');
  assert.equal(m.user_uuid, alice.uuid);
  assert.equal(m.tenant_uuid, alice.tenant);
  assert.deepEqual(m.room, { uuid: room.uuid });
  assert.match(m.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
  assert.equal(m.wazo_uuid, room.users[0].wazo_uuid);
  assert.deepEqual(m.reactions, []);
  assert.equal(m.thread_uuid, null);
  assert.equal(m.reply_count, 0);
  assert.equal(m.edited_at, null);
  assert.equal(m.deleted_at, null);
  assert.equal(m.delivery.type, 'internal');
});

test('the SDK shapes are accepted: unknown keys ignored, empty content allowed, no alias is null', async () => {
  const sdk = await c.post(bob, room, 'from the sdk', {
    type: 'ChatMessage', uuid: 'x', date: 'y', userUuid: bob.uuid, roomUuid: room.uuid, read: true,
    channelType: 'internal', backend: null, deliveryStatus: null,
  });
  assert.equal(sdk.alias, null);
  assert.notEqual(sdk.uuid, 'x');
  const empty = await c.post(bob, room, '');
  assert.equal(empty.content, '');
  // message_max_chars counts code points: 50 two-byte letters pass.
  const long = await c.post(bob, room, 'é'.repeat(50));
  assert.equal(long.content, 'é'.repeat(50));
});

test('POST message bad-input table', async () => {
  const cases = [
    ['missing content', {}, { content: { constraint_id: 'required', constraint: 'required', message: 'Missing data for required field.' } }],
    ['null content', { content: null }, { content: { constraint_id: 'not_null', constraint: 'not_null', message: 'Field may not be null.' } }],
    ['content not a string', { content: 12 }, { content: { constraint_id: 'type', constraint: 'string', message: 'Not a valid string.' } }],
    ['content too long', { content: 'x'.repeat(51) }, { content: [{ constraint_id: 'length', constraint: { min: null, max: 50 }, message: 'Longer than maximum length 50.' }] }],
    ['alias too long', { content: 'hi', alias: 'a'.repeat(257) }, { alias: [{ constraint_id: 'length', constraint: { min: null, max: 256 }, message: 'Longer than maximum length 256.' }] }],
    ['alias not a string', { content: 'hi', alias: [] }, { alias: { constraint_id: 'type', constraint: 'string', message: 'Not a valid string.' } }],
    ['body not an object', '"hello"', { _schema: ['Invalid input type.'] }],
  ];
  for (const [what, body, details] of cases) {
    const res = await c.chatd(alice.token, 'POST', msgPath(room), body);
    assert.equal(res.status, 400, `${what}: ${res.text}`);
    assertError(res, 400, 'invalid-data', details);
  }
  assertError(await c.chatd(alice.token, 'POST', msgPath(room), '{"content": "x"'), 400, 'invalid-data');
  assertError(await c.chatd(alice.token, 'POST', msgPath(room),
    Buffer.concat([Buffer.from('{"content":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])), 400, 'invalid-data');
  // A 256-character alias is fine.
  await c.post(alice, room, 'alias ok', { alias: 'a'.repeat(256) });
});

test('non-members and unknown rooms get 404 unknown-room, even with an invalid body', async () => {
  const notFound = (r) => ({ uuid: r });
  for (const body of [{ content: 'hi' }, {}, '{bad json']) {
    const res = await c.chatd(eve.token, 'POST', msgPath(room), body);
    assertError(res, 404, 'unknown-room', notFound(room.uuid));
    assert.equal(res.body.resource, 'rooms');
    assert.equal(res.body.message, `No such room: "${room.uuid}"`);
  }
  assertError(await c.chatd(alice.token, 'POST', msgPath(ZERO), {}), 404, 'unknown-room', notFound(ZERO));
  assertError(await c.chatd(eve.token, 'GET', msgPath(room)), 404, 'unknown-room', notFound(room.uuid));
  assertError(await c.chatd(alice.token, 'GET', msgPath(ZERO)), 404, 'unknown-room', notFound(ZERO));
  // A path segment that is not a UUID is a routing 404 in the standard shape.
  for (const seg of ['not-a-uuid', '1234', 'me']) {
    assertError(await c.chatd(alice.token, 'GET', msgPath(seg)), 404, 'not-found');
    assertError(await c.chatd(alice.token, 'POST', msgPath(seg), { content: 'x' }), 404, 'not-found');
  }
});

test('history: newest first by default, asc on demand, limit/offset, filtered and total', async () => {
  const r = await c.room(alice, [bob, eve], 'paging');
  const sent = [];
  for (let i = 0; i < 7; i++) sent.push(await c.post(i % 2 ? bob : alice, r, `message ${i}`));
  const desc = await c.chatd(bob.token, 'GET', msgPath(r));
  assert.equal(desc.status, 200);
  assert.deepEqual(desc.body.items.map((m) => m.content), sent.map((m) => m.content).reverse());
  assert.equal(desc.body.total, 7);
  assert.equal(desc.body.filtered, 7);
  const asc = await c.chatd(bob.token, 'GET', `${msgPath(r)}?direction=asc&order=created_at`);
  assert.deepEqual(asc.body.items.map((m) => m.uuid), sent.map((m) => m.uuid));
  const page = await c.chatd(bob.token, 'GET', `${msgPath(r)}?direction=asc&limit=3&offset=2`);
  assert.deepEqual(page.body.items.map((m) => m.content), ['message 2', 'message 3', 'message 4']);
  assert.equal(page.body.total, 7);
  const none = await c.chatd(bob.token, 'GET', `${msgPath(r)}?limit=0`);
  assert.deepEqual(none.body.items, []);
  assert.equal(none.body.total, 7);
  const past = await c.chatd(bob.token, 'GET', `${msgPath(r)}?offset=100`);
  assert.deepEqual(past.body.items, []);
  // The message object in history is the one POST answered.
  assert.deepEqual(asc.body.items[0], sent[0]);
});

test('history search: case- and accent-insensitive, words in order; from_date', async () => {
  const frank = await c.user('frank');
  const r = await c.room(alice, [frank], 'search');
  const m1 = await c.post(alice, r, 'Élan VITAL du café');
  await c.post(frank, r, 'vital élan');
  await c.post(frank, r, 'nothing here');
  const q = async (qs) => (await c.chatd(alice.token, 'GET', `${msgPath(r)}?${qs}`)).body;
  let res = await q(`search=${encodeURIComponent('elan vital')}`);
  assert.deepEqual(res.items.map((m) => m.uuid), [m1.uuid]);
  assert.equal(res.filtered, 1);
  assert.equal(res.total, 3);
  res = await q(`search=${encodeURIComponent('CAFE')}`);
  assert.deepEqual(res.items.map((m) => m.uuid), [m1.uuid]);
  res = await q(`search=${encodeURIComponent('vital elan')}`);
  assert.equal(res.filtered, 1);
  assert.equal(res.items[0].content, 'vital élan');
  res = await q('search=100%25');
  assert.equal(res.filtered, 0);
  // from_date: created_at >= from_date.
  const later = await c.post(alice, r, 'after the mark');
  res = await q(`from_date=${encodeURIComponent(later.created_at)}`);
  assert.deepEqual(res.items.map((m) => m.uuid), [later.uuid]);
  assert.equal(res.total, 4);
  res = await q('from_date=2000-01-01T00:00:00Z');
  assert.equal(res.filtered, 4);
  res = await q('from_date=2999-01-01T00:00:00%2B02:00');
  assert.equal(res.filtered, 0);
});

test('history bad-input table', async () => {
  const int = { constraint_id: 'type', constraint: 'integer', message: 'Not a valid integer.' };
  const cases = [
    ['limit=-1', { limit: [{ constraint_id: 'range', constraint: { min: 0, max: 100 }, message: 'Must be greater than or equal to 0 and less than or equal to 100.' }] }],
    ['limit=101', { limit: [{ constraint_id: 'range', constraint: { min: 0, max: 100 }, message: 'Must be greater than or equal to 0 and less than or equal to 100.' }] }],
    ['limit=abc', { limit: int }],
    ['limit=1.5', { limit: int }],
    ['offset=-1', { offset: [{ constraint_id: 'range', constraint: { min: 0 }, message: 'Must be greater than or equal to 0.' }] }],
    ['direction=up', { direction: [{ constraint_id: 'enum', constraint: { choices: ['asc', 'desc'] }, message: 'Must be one of: asc, desc.' }] }],
    ['order=content', { order: [{ constraint_id: 'enum', constraint: { choices: ['created_at'] }, message: 'Must be one of: created_at.' }] }],
    ['from_date=yesterday', { from_date: { constraint_id: 'type', constraint: 'datetime', message: 'Not a valid datetime' } }],
    ['from_date=2024-13-01T00:00:00', { from_date: { constraint_id: 'type', constraint: 'datetime', message: 'Not a valid datetime' } }],
  ];
  for (const [qs, details] of cases) {
    const res = await c.chatd(alice.token, 'GET', `${msgPath(room)}?${qs}`);
    assert.equal(res.status, 400, `${qs}: ${res.text}`);
    assertError(res, 400, 'invalid-data', details);
  }
  // Huge numbers are refused, never wrapped.
  for (const qs of ['limit=99999999999999999999', 'offset=99999999999999999999', 'offset=-99999999999999999999']) {
    const res = await c.chatd(alice.token, 'GET', `${msgPath(room)}?${qs}`);
    assertError(res, 400, 'invalid-data');
  }
  // Invalid UTF-8 in a decoded query value is a 400, never a crash.
  assertError(await c.chatd(alice.token, 'GET', `${msgPath(room)}?search=%FF%FE`), 400, 'invalid-data');
  assertError(await c.chatd(alice.token, 'GET', '/users/me/rooms/messages?search=%C3%28'), 400, 'invalid-data');
  // Every error is reported at once.
  const res = await c.chatd(alice.token, 'GET', `${msgPath(room)}?limit=x&direction=y&foo=bar`);
  assertError(res, 400, 'invalid-data');
  assert.deepEqual(Object.keys(res.body.details).sort(), ['direction', 'limit']);
  // A valid large offset is an empty page.
  const okBig = await c.chatd(alice.token, 'GET', `${msgPath(room)}?offset=9000000000000000000`);
  assert.equal(okBig.status, 200);
  assert.deepEqual(okBig.body.items, []);
});

test('GET /users/me/rooms/messages: search or distinct across my rooms only', async () => {
  const mine = await c.post(eve, other, 'needle in eve room');
  await c.post(alice, room, 'needle in room of alice and bob');
  const res = await c.chatd(eve.token, 'GET', `/users/me/rooms/messages?search=needle`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.items.map((m) => m.uuid), [mine.uuid]);
  assert.equal(res.body.filtered, 1);
  assert.ok(res.body.total >= 1);
  const a = await c.chatd(alice.token, 'GET', `/users/me/rooms/messages?search=NEEDLE&direction=asc`);
  assert.equal(a.body.items.length, 2);
  assert.equal(a.body.items[0].uuid, mine.uuid);
  // distinct=room_uuid: the latest message of each room of mine.
  const d = await c.chatd(bob.token, 'GET', '/users/me/rooms/messages?distinct=room_uuid');
  assert.equal(d.status, 200);
  const roomsSeen = d.body.items.map((m) => m.room.uuid);
  assert.equal(new Set(roomsSeen).size, roomsSeen.length);
  const hist = await c.chatd(bob.token, 'GET', `${msgPath(room)}?limit=1`);
  assert.equal(d.body.items.find((m) => m.room.uuid === room.uuid).uuid, hist.body.items[0].uuid);
  // Neither: chatd's schema error.
  for (const qs of ['', '?search=', '?limit=3']) {
    assertError(await c.chatd(bob.token, 'GET', `/users/me/rooms/messages${qs}`), 400, 'invalid-data',
      { _schema: 'Missing search or distinct' });
  }
  assertError(await c.chatd(bob.token, 'GET', '/users/me/rooms/messages?distinct=user_uuid'), 400, 'invalid-data',
    { distinct: [{ constraint_id: 'enum', constraint: { choices: ['room_uuid'] }, message: 'Must be one of: room_uuid.' }] });
  assertError(await c.chatd(bob.token, 'GET', '/users/me/rooms/messages?search=x&limit=-5'), 400, 'invalid-data');
});
