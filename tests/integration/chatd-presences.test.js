'use strict';
// chatd presences (wazo-api.md 3.7, 5.4): get, list, put, the tenant-wide event, ACLs and
// the bad-input table.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startChatd, assertError } = require('./lib/chatd');

let c;
let alice;
let bob;

before(async () => {
  c = await startChatd();
  alice = await c.user('alice');
  bob = await c.user('bob');
});

after(async () => {
  if (c) await c.server.stop();
});

const ZERO = '00000000-0000-4000-8000-000000000000';
const pPath = (u) => `/users/${u.uuid || u}/presences`;

test('a new user is unavailable, connected once logged in, with an empty lines array', async () => {
  const res = await c.chatd(alice.token, 'GET', pPath(bob));
  assert.equal(res.status, 200, res.text);
  const p = res.body;
  assert.equal(p.uuid, bob.uuid);
  assert.equal(p.tenant_uuid, bob.tenant);
  assert.equal(p.state, 'unavailable');
  assert.equal(p.status, null);
  assert.equal(p.last_activity, null);
  assert.equal(p.line_state, 'unavailable');
  assert.deepEqual(p.lines, []);
  assert.equal(p.connected, true);
  assert.equal(p.mobile, false);
  assert.equal(p.do_not_disturb, false);
});

test('PUT my presence: 204, stored, and chatd_presence_updated reaches the tenant', async () => {
  const watcher = await c.socket(alice, ['chatd_presence_updated']);
  try {
    const res = await c.chatd(bob.token, 'PUT', pPath(bob), { state: 'away', status: 'lunch', other: 1 });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    const ev = await watcher.event();
    assert.equal(ev.name, 'chatd_presence_updated');
    assert.equal(ev['user_uuid:*'], true);
    assert.equal(ev.required_acl, `events.chatd.users.${bob.uuid}.presences.updated`);
    assert.equal(ev.tenant_uuid, bob.tenant);
    assert.equal(ev.data.uuid, bob.uuid);
    assert.equal(ev.data.state, 'away');
    assert.equal(ev.data.status, 'lunch');
    const got = await c.chatd(alice.token, 'GET', pPath(bob));
    assert.equal(got.body.state, 'away');
    assert.equal(got.body.status, 'lunch');
    assert.match(got.body.last_activity, /^\d{4}-\d\d-\d\dT/);
    // status null clears it.
    assert.equal((await c.chatd(bob.token, 'PUT', pPath(bob), { state: 'available', status: null })).status, 204);
    assert.equal((await c.chatd(bob.token, 'GET', pPath(bob))).body.status, null);
  } finally {
    watcher.close();
  }
});

test('a user may not set another user presence (401), an admin may', async () => {
  const res = await c.chatd(alice.token, 'PUT', pPath(bob), { state: 'away' });
  const err = assertError(res, 401, 'unauthorized');
  assert.equal(err.details.required_access, `chatd.users.${bob.uuid}.presences.update`);
  assert.equal((await c.chatd(c.admin.token, 'PUT', pPath(bob), { state: 'invisible' })).status, 204);
  assert.equal((await c.chatd(alice.token, 'GET', pPath(bob))).body.state, 'invisible');
});

test('presence bad-input table', async () => {
  const enumErr = { state: [{ constraint_id: 'enum', constraint: { choices: ['available', 'away', 'unavailable', 'invisible'] }, message: 'Must be one of: available, away, unavailable, invisible.' }] };
  const cases = [
    [{}, { state: { constraint_id: 'required', constraint: 'required', message: 'Missing data for required field.' } }],
    [{ state: null }, { state: { constraint_id: 'not_null', constraint: 'not_null', message: 'Field may not be null.' } }],
    [{ state: 'busy' }, enumErr],
    [{ state: 3 }, null],
    [{ state: 'away', status: 5 }, { status: { constraint_id: 'type', constraint: 'string', message: 'Not a valid string.' } }],
  ];
  for (const [body, details] of cases) {
    const res = await c.chatd(alice.token, 'PUT', pPath(alice), body);
    assertError(res, 400, 'invalid-data', details === null ? undefined : details);
  }
  assertError(await c.chatd(alice.token, 'PUT', pPath(alice), '{"state":'), 400, 'invalid-data');
  // Unknown user: 404 before the body is read (admin token, which may touch anyone).
  const res = await c.chatd(c.admin.token, 'PUT', pPath(ZERO), { state: 'nope' });
  assertError(res, 404, 'unknown-user', { uuid: ZERO });
  assert.equal(res.body.resource, 'users');
  assertError(await c.chatd(alice.token, 'GET', pPath(ZERO)), 404, 'unknown-user', { uuid: ZERO });
  // Paths need a UUID: /users/me/presences is a 404 as in chatd.
  assertError(await c.chatd(alice.token, 'GET', '/users/me/presences'), 404, 'not-found');
  assertError(await c.chatd(alice.token, 'PUT', '/users/me/presences', { state: 'away' }), 404, 'not-found');
});

test('GET /users/presences lists the tenant, or only the users asked for', async () => {
  const all = await c.chatd(alice.token, 'GET', '/users/presences');
  assert.equal(all.status, 200);
  const ids = all.body.items.map((p) => p.uuid);
  assert.ok(ids.includes(alice.uuid) && ids.includes(bob.uuid));
  assert.equal(all.body.total, all.body.items.length);
  const some = await c.chatd(alice.token, 'GET', `/users/presences?user_uuid=${bob.uuid}%2C${ZERO}`);
  assert.equal(some.status, 200);
  assert.deepEqual(some.body.items.map((p) => p.uuid), [bob.uuid]);
  assert.equal(some.body.filtered, 1);
  assert.equal(some.body.total, all.body.total);
  assert.ok(Array.isArray(some.body.items[0].lines));
  assertError(await c.chatd(alice.token, 'GET', '/users/presences?user_uuid=zzz'), 400, 'invalid-data');
  assertError(await c.chatd(alice.token, 'GET', '/users/presences?recurse=maybe'), 400, 'invalid-data',
    { recurse: { constraint_id: 'type', constraint: 'boolean', message: 'Not a valid boolean.' } });
  assert.equal((await c.chatd(alice.token, 'GET', '/users/presences?recurse=true')).status, 200);
});
