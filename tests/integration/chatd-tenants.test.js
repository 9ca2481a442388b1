'use strict';
// Tenants never cross (DESIGN.md 5, wazo-api.md 1.6, 3.7): a token of another tenant sees no
// room, message, presence or event of this one. Huard has no tenant-management API yet, so
// the test makes a second tenant in the database with the sqlite3 CLI and moves two users
// (already logged in) there: their tokens then speak for the other tenant.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const path = require('node:path');
const { startChatd, assertError } = require('./lib/chatd');

let c;
let alice;
let bob;
let mallory;
let trudy;
let room;
const OTHER = crypto.randomUUID();

function sql(statement) {
  execFileSync('sqlite3', ['-cmd', '.timeout 5000', path.join(c.server.dataDir, 'huard.db'), statement], { stdio: ['ignore', 'pipe', 'pipe'] });
}

before(async () => {
  c = await startChatd();
  alice = await c.user('alice');
  bob = await c.user('bob');
  mallory = await c.user('mallory');
  trudy = await c.user('trudy');
  room = await c.room(alice, [bob], 'home');
  sql(`INSERT INTO tenants (uuid, name, is_default, created_at) VALUES ('${OTHER}', 'other', 0, 0);`
    + `UPDATE users SET tenant_uuid = '${OTHER}' WHERE uuid IN ('${mallory.uuid}', '${trudy.uuid}');`);
});

after(async () => {
  if (c) await c.server.stop();
});

test('a token of another tenant finds no room, message or user of this tenant', async () => {
  const mine = await c.chatd(mallory.token, 'GET', '/users/me/rooms');
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.body.items, []);
  const hist = `/users/me/rooms/${room.uuid}/messages`;
  assertError(await c.chatd(mallory.token, 'GET', hist), 404, 'unknown-room');
  assertError(await c.chatd(mallory.token, 'POST', hist, { content: 'hi' }), 404, 'unknown-room');
  const msg = await c.post(alice, room, 'tenant secret');
  assertError(await c.chatd(mallory.token, 'POST', `${hist}/${msg.uuid}/reactions`, { emoji: '👍' }), 404, 'unknown-room');
  const found = await c.chatd(mallory.token, 'GET', '/users/me/rooms/messages?search=secret');
  assert.deepEqual(found.body.items, []);
  // Users of the other tenant are unknown members, both ways.
  const unknownAt0 = (field) => ({ users: { 0: { [field]: { constraint_id: 'exists', constraint: 'user', message: 'No such user in this tenant.' } } } });
  assertError(await c.chatd(mallory.token, 'POST', '/users/me/rooms', { users: [{ uuid: alice.uuid }] }), 400, 'invalid-data', unknownAt0('uuid'));
  assertError(await c.chatd(alice.token, 'POST', '/users/me/rooms', { users: [{ uuid: mallory.uuid }] }), 400, 'invalid-data', unknownAt0('uuid'));
  // Presences: 404 across tenants, lists scoped to the token's tenant.
  assertError(await c.chatd(mallory.token, 'GET', `/users/${alice.uuid}/presences`), 404, 'unknown-user');
  assertError(await c.chatd(alice.token, 'GET', `/users/${mallory.uuid}/presences`), 404, 'unknown-user');
  const list = await c.chatd(mallory.token, 'GET', '/users/presences');
  assert.deepEqual(list.body.items.map((p) => p.uuid).sort(), [mallory.uuid, trudy.uuid].sort());
  assert.equal(list.body.total, 2);
  const asked = await c.chatd(mallory.token, 'GET', `/users/presences?user_uuid=${alice.uuid}`);
  assert.deepEqual(asked.body.items, []);
});

test('events of another tenant never reach this one', async () => {
  const aliceWs = await c.socket(alice);
  try {
    const theirs = await c.room(mallory, [trudy], 'elsewhere');
    assert.equal(theirs.tenant_uuid, OTHER);
    await c.post(trudy, theirs, 'other tenant talk');
    assert.equal((await c.chatd(mallory.token, 'PUT', `/users/${mallory.uuid}/presences`, { state: 'away' })).status, 204);
    // Bob's presence change is alice's next event: nothing of the other tenant came before.
    assert.equal((await c.chatd(bob.token, 'PUT', `/users/${bob.uuid}/presences`, { state: 'away' })).status, 204);
    const ev = await aliceWs.event();
    assert.equal(ev.name, 'chatd_presence_updated');
    assert.equal(ev.data.uuid, bob.uuid);
  } finally {
    aliceWs.close();
  }
});
