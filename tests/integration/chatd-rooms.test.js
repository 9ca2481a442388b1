'use strict';
// chatd rooms (wazo-api.md 3.2, 3.3, 3.8 and the auth rules of 1.6): create with member
// checks, idempotent create, 3 and 50 members, the size limit, listing with the user_uuid
// filter, and the bad-input table of POST /users/me/rooms (status and error body each).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startChatd, assertError } = require('./lib/chatd');

let c;
let alice;
let bob;
let carol;
let dave;

before(async () => {
  c = await startChatd({ args: ['--max-room-members', '50'] });
  alice = await c.user('alice');
  bob = await c.user('bob');
  carol = await c.user('carol');
  dave = await c.user('dave');
});

after(async () => {
  if (c) await c.server.stop();
});

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('GET /status answers the admin and refuses a user without chatd.status.read (401)', async () => {
  const ok = await c.chatd(c.admin.token, 'GET', '/status');
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.rest_api, { status: 'ok' });
  const res = await c.chatd(alice.token, 'GET', '/status');
  const err = assertError(res, 401, 'unauthorized');
  assert.equal(err.details.required_access, 'chatd.status.read');
});

test('requests without a valid token are 401 before any validation or lookup', async () => {
  for (const token of [null, 'undefined', 'not-a-token', 'a'.repeat(64)]) {
    const res = await c.chatd(token, 'POST', '/users/me/rooms', '{broken json');
    assertError(res, 401, 'unauthorized');
    const res2 = await c.chatd(token, 'GET', '/users/me/rooms/00000000-0000-4000-8000-000000000000/messages');
    assertError(res2, 401, 'unauthorized');
  }
  // A revoked token no longer works.
  const s = await c.login(dave.username, dave.password);
  assert.equal((await c.chatd(s.token, 'GET', '/users/me/rooms')).status, 200);
  const del = await c.call(null, 'DELETE', `/api/auth/0.1/token/${s.token}`);
  assert.ok(del.status === 200 || del.status === 204, del.text);
  assertError(await c.chatd(s.token, 'GET', '/users/me/rooms'), 401, 'unauthorized');
});

test('POST /users/me/rooms creates a room with the creator added, as chatd answers it', async () => {
  const res = await c.chatd(alice.token, 'POST', '/users/me/rooms', { name: 'ops', users: [{ uuid: bob.uuid }] });
  assert.equal(res.status, 201, res.text);
  const room = res.body;
  assert.match(room.uuid, uuidRe);
  assert.equal(room.tenant_uuid, alice.tenant);
  assert.equal(room.name, 'ops');
  assert.equal(room.kind, 'group');
  assert.equal(room.users.length, 2);
  const byUuid = Object.fromEntries(room.users.map((u) => [u.uuid, u]));
  assert.ok(byUuid[alice.uuid] && byUuid[bob.uuid]);
  for (const u of room.users) {
    assert.equal(u.tenant_uuid, alice.tenant);
    assert.match(u.wazo_uuid, uuidRe);
  }
  assert.equal(byUuid[alice.uuid].role, 'owner');
  assert.equal(byUuid[bob.uuid].role, 'member');
});

test('two members and no name make a direct room; the same member set is returned again (201)', async () => {
  const first = await c.room(carol, [dave]);
  assert.equal(first.kind, 'direct');
  assert.equal(first.name, null);
  // Same set, other order, creator listed explicitly, a different name: the same room.
  const res = await c.chatd(dave.token, 'POST', '/users/me/rooms',
    { name: 'ignored', users: [{ uuid: dave.uuid }, { uuid: carol.uuid }] });
  assert.equal(res.status, 201);
  assert.equal(res.body.uuid, first.uuid);
  assert.equal(res.body.name, null);
  // A superset is a new room.
  const bigger = await c.room(carol, [dave, bob]);
  assert.notEqual(bigger.uuid, first.uuid);
});

test('rooms of 3 and of 50 members', async () => {
  const three = await c.room(alice, [bob, carol], 'three');
  assert.equal(three.users.length, 3);
  const others = await c.users('m', 49);
  const fifty = await c.room(alice, others, 'fifty');
  assert.equal(fifty.users.length, 50);
  assert.deepEqual(new Set(fifty.users.map((u) => u.uuid)), new Set([alice.uuid, ...others.map((o) => o.uuid)]));
  // Every member sees it in their list.
  const s = await c.login(others[17].username, others[17].password);
  const list = await c.chatd(s.token, 'GET', '/users/me/rooms');
  assert.ok(list.body.items.some((r) => r.uuid === fifty.uuid));
  // The configured maximum (50 here) is allowed; one more is chatd's length error with it.
  const res = await c.chatd(alice.token, 'POST', '/users/me/rooms', { users: [...others, bob].map((u) => ({ uuid: u.uuid })) });
  assertError(res, 400, 'invalid-data', {
    users: { constraint_id: 'length', constraint: { min: 2, max: 50 }, message: 'Length must be between 2 and 50.' },
  });
});

test('POST /users/me/rooms bad-input table', async () => {
  const lengthErr = { users: { constraint_id: 'length', constraint: { min: 2, max: 50 }, message: 'Length must be between 2 and 50.' } };
  const unknown = '00000000-0000-4000-8000-00000000abcd';
  const cases = [
    ['no users', {}, 400, 'invalid-data', lengthErr],
    ['empty users', { users: [] }, 400, 'invalid-data', lengthErr],
    ['only the creator', { users: [{ uuid: alice.uuid }] }, 400, 'invalid-data', lengthErr],
    ['duplicate user', { users: [{ uuid: bob.uuid }, { uuid: bob.uuid }] }, 400, 'duplicate-user', {}],
    ['duplicate creator', { users: [{ uuid: alice.uuid }, { uuid: alice.uuid }] }, 400, 'duplicate-user', {}],
    ['users null', { users: null }, 400, 'invalid-data',
      { users: { constraint_id: 'not_null', constraint: 'not_null', message: 'Field may not be null.' } }],
    ['users not a list', { users: 'bob' }, 400, 'invalid-data',
      { users: { constraint_id: 'type', constraint: 'list', message: 'Not a valid list.' } }],
    ['user without uuid', { users: [{ tenant_uuid: alice.tenant }] }, 400, 'invalid-data',
      { users: { 0: { uuid: { constraint_id: 'required', constraint: 'required', message: 'Missing data for required field.' } } } }],
    ['user uuid not a uuid', { users: [{ uuid: bob.uuid }, { uuid: 'bob' }] }, 400, 'invalid-data',
      { users: { 1: { uuid: { constraint_id: 'type', constraint: 'uuid', message: 'Not a valid UUID.' } } } }],
    ['name not a string', { name: 42, users: [{ uuid: bob.uuid }] }, 400, 'invalid-data',
      { name: { constraint_id: 'type', constraint: 'string', message: 'Not a valid string.' } }],
    ['unknown user', { users: [{ uuid: bob.uuid }, { uuid: unknown }] }, 400, 'invalid-data',
      { users: { 1: { uuid: { constraint_id: 'exists', constraint: 'user', message: 'No such user in this tenant.' } } } }],
    ['other tenant named', { users: [{ uuid: bob.uuid, tenant_uuid: unknown }] }, 400, 'invalid-data',
      { users: { 0: { tenant_uuid: { constraint_id: 'exists', constraint: 'tenant', message: 'Not the tenant of the creator.' } } } }],
    ['body is a list', [], 400, 'invalid-data', { _schema: ['Invalid input type.'] }],
  ];
  for (const [what, body, status, errorId, details] of cases) {
    const res = await c.chatd(alice.token, 'POST', '/users/me/rooms', body);
    assert.equal(res.status, status, `${what}: ${res.text}`);
    assertError(res, status, errorId, details);
    if (errorId === 'duplicate-user') assert.equal(res.body.resource, 'rooms');
  }
  // Malformed JSON and invalid UTF-8: 400 invalid-data.
  for (const raw of ['{"users": [', Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])]) {
    assertError(await c.chatd(alice.token, 'POST', '/users/me/rooms', raw), 400, 'invalid-data');
  }
});

test('unknown keys are ignored, uuids are accepted in any case', async () => {
  const res = await c.chatd(bob.token, 'POST', '/users/me/rooms', {
    uuid: 'ignored', tenant_uuid: 'ignored', extra: { deep: true }, name: 'keys',
    users: [{ uuid: dave.uuid.toUpperCase(), wazo_uuid: '00000000-0000-4000-8000-000000000001', identity: null, foo: 1 }],
  });
  assert.equal(res.status, 201, res.text);
  assert.ok(res.body.users.some((u) => u.uuid === dave.uuid));
  assert.notEqual(res.body.uuid, 'ignored');
});

test('GET /users/me/rooms lists my rooms and filters by user_uuid (AND, percent-encoded commas)', async () => {
  const r1 = await c.room(bob, [carol, dave], 'filter-1');
  const r2 = await c.room(bob, [carol], 'filter-2');
  const all = await c.chatd(bob.token, 'GET', '/users/me/rooms');
  assert.equal(all.status, 200);
  assert.equal(all.body.filtered, all.body.items.length);
  assert.equal(all.body.total, all.body.items.length);
  for (const r of all.body.items) assert.ok(r.users.some((u) => u.uuid === bob.uuid));
  assert.ok(all.body.items.some((r) => r.uuid === r1.uuid) && all.body.items.some((r) => r.uuid === r2.uuid));
  const both = await c.chatd(bob.token, 'GET', `/users/me/rooms?user_uuid=${carol.uuid}%2C${dave.uuid}`);
  assert.equal(both.status, 200);
  const ids = both.body.items.map((r) => r.uuid);
  assert.ok(ids.includes(r1.uuid));
  assert.ok(!ids.includes(r2.uuid));
  for (const r of both.body.items) {
    const members = r.users.map((u) => u.uuid);
    assert.ok(members.includes(carol.uuid) && members.includes(dave.uuid) && members.includes(bob.uuid));
  }
  // Alice is in neither room: they never show up for her.
  const theirs = await c.chatd(alice.token, 'GET', `/users/me/rooms?user_uuid=${carol.uuid}`);
  assert.ok(!theirs.body.items.some((r) => r.uuid === r1.uuid || r.uuid === r2.uuid));
  // Unknown query parameters are ignored; a bad uuid is a 400.
  assert.equal((await c.chatd(bob.token, 'GET', '/users/me/rooms?foo=bar')).status, 200);
  const bad = await c.chatd(bob.token, 'GET', '/users/me/rooms?user_uuid=nope');
  assertError(bad, 400, 'invalid-data');
  assert.ok(bad.body.details.user_uuid, bad.text);
  // Room lists carry the caller's unread count.
  assert.equal(typeof all.body.items[0].unread_count, 'number');
});

test('another tenant cannot be created through the API: users always join the default tenant', async () => {
  // Huard has no tenant-creation endpoint yet, so a token of another tenant cannot be made;
  // what can be checked is that every user made here shares the creator's tenant.
  const u = await c.user('tenant');
  assert.equal(u.tenant, alice.tenant);
});
