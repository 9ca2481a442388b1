'use strict';
// websocketd protocol v2 (and v1) at /api/websocketd/ (wazo-api.md 4): connection, close
// codes, ops and their replies, delivery rules (4.7), token renewal and the expiry watchdog.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startChatd } = require('./lib/chatd');
const { WsClient, wsUrl, connectInit, startedSession, flush } = require('./lib/websocketd');

const ROOT = path.resolve(__dirname, '../..');
const MINT = process.env.HUARD_TOKEN_MINT || path.join(ROOT, 'build/dev/ws_token_mint');
const CLOSE_WAIT_MS = 10000;

let h; // Chatd helper (server + REST)
let alice;
let bob;
let carol;

before(async () => {
  // Re-check tokens at least every 300 ms so that a revoked token closes quickly.
  h = await startChatd({ env: { HUARD_WS_AUTH_CHECK_MAX: '300ms' } });
  alice = await h.user('alice');
  bob = await h.user('bob');
  carol = await h.user('carol');
});

after(async () => {
  if (h) await h.server.stop();
});

async function login(user, expiration) {
  const res = await h.call(null, 'POST', '/api/auth/0.1/token', { backend: 'wazo_user', expiration },
    { Authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}` });
  assert.equal(res.status, 200, res.text);
  return res.body.data.token;
}

async function expectClose(c, code, reason) {
  const cl = await c.closed(CLOSE_WAIT_MS);
  assert.equal(cl.code, code, `close ${JSON.stringify(cl)}`);
  if (reason !== undefined) assert.equal(cl.reason, reason);
}

async function setPresence(user, state) {
  const res = await h.chatd(user.token, 'PUT', `/users/${user.uuid}/presences`, { state });
  assert.equal(res.status, 204, res.text);
}

// ---- connection ----

test('init frame for version 2, 1 and no version', async () => {
  const v2 = new WsClient(wsUrl(h.server, `token=${alice.token}&version=2`));
  assert.deepEqual(await v2.next(), { op: 'init', code: 0, data: { version: 2 } });
  v2.terminate();
  const v1 = new WsClient(wsUrl(h.server, `token=${alice.token}&version=1`));
  assert.deepEqual(await v1.next(), { op: 'init', code: 0, data: { version: 1 } });
  v1.terminate();
  const none = new WsClient(wsUrl(h.server, `token=${alice.token}`));
  assert.deepEqual(await none.next(), { op: 'init', code: 0, data: { version: 1 } });
  none.terminate();
  // The SDK appends userUuid; unknown parameters are ignored. A blank version is no version.
  const extra = new WsClient(wsUrl(h.server, `token=${alice.token}&version=&version=2&userUuid=${alice.uuid}`));
  assert.deepEqual(await extra.next(), { op: 'init', code: 0, data: { version: 2 } });
  extra.terminate();
});

test('token from the X-Auth-Token header', async () => {
  const c = new WsClient(wsUrl(h.server, 'version=2'), { 'X-Auth-Token': alice.token });
  assert.deepEqual(await c.next(), { op: 'init', code: 0, data: { version: 2 } });
  c.terminate();
});

test('no token: the upgrade completes, then close 4001 "no token"', async () => {
  for (const q of ['version=2', 'token=&version=2', undefined]) {
    const c = new WsClient(wsUrl(h.server, q));
    await c.opened;
    await expectClose(c, 4001, 'no token');
  }
});

test('bad, expired-looking and foreign tokens: close 4002 "authentication failed"', async () => {
  for (const t of ['nope', '0'.repeat(64), encodeURIComponent('é')]) {
    const c = new WsClient(wsUrl(h.server, `token=${t}&version=2`));
    await c.opened;
    await expectClose(c, 4002, 'authentication failed');
  }
  const hdr = new WsClient(wsUrl(h.server, 'version=2'), { 'X-Auth-Token': 'nope' });
  await expectClose(hdr, 4002, 'authentication failed');
});

test('a token without the websocketd ACL: close 4002', async () => {
  // ws_token_mint stores a token whose ACL lacks `websocketd` (the API never issues one).
  const db = path.join(h.server.dataDir, 'huard.db');
  const token = execFileSync(MINT, [db, alice.uuid, '3600', 'chatd.#', 'events.#'])
    .toString().trim();
  const c = new WsClient(wsUrl(h.server, `token=${token}&version=2`));
  await expectClose(c, 4002, 'authentication failed');
  // Same path with the ACL: accepted (the minted token itself is fine).
  const ok = execFileSync(MINT, [db, alice.uuid, '3600', 'websocketd']).toString().trim();
  const d = await connectInit(h.server, ok);
  d.terminate();
});

test('unsupported version: 4004; not an integer: 1011', async () => {
  for (const v of ['3', '0', '-1', '99999999999999999999999']) {
    const c = new WsClient(wsUrl(h.server, `token=${alice.token}&version=${v}`));
    await c.opened;
    await expectClose(c, 4004, '');
  }
  // Checked before the token, like wazo-websocketd.
  const noTok = new WsClient(wsUrl(h.server, 'version=3'));
  await expectClose(noTok, 4004, '');
  for (const v of ['undefined', 'abc', '1.5', '2x', '_2']) {
    const c = new WsClient(wsUrl(h.server, `token=${alice.token}&version=${v}`));
    await c.opened;
    await expectClose(c, 1011);
  }
  // Python's int() accepts these.
  for (const v of ['%202%20', '+2', '02']) {
    const c = new WsClient(wsUrl(h.server, `token=${alice.token}&version=${v}`));
    assert.deepEqual(await c.next(), { op: 'init', code: 0, data: { version: 2 } });
    c.terminate();
  }
});

// ---- client frames ----

test('every bad client frame closes with 4004', async () => {
  const bad = [
    Buffer.from([1, 2, 3]), // binary
    '{"op":', // invalid JSON
    '[]',
    '"subscribe"',
    '42',
    '{}',
    '{"op":3}',
    '{"op":null}',
    '{"op":"subscribe"}',
    '{"op":"subscribe","data":"x"}',
    '{"op":"subscribe","data":{}}',
    '{"op":"subscribe","data":{"event_name":3}}',
    '{"op":"token"}',
    '{"op":"token","data":{"token":null}}',
    '{"op":"ping"}',
    '{"op":"ping","data":{"payload":1}}',
    '{"op":"ping","data":[]}',
    '{"op":"init"}',
    '{"op":"event","data":{}}',
    '{"op":"unsubscribe","data":{"event_name":"x"}}',
    '{"op":"START"}',
  ];
  for (const frame of bad) {
    const c = await connectInit(h.server, alice.token);
    c.ws.send(frame, { binary: Buffer.isBuffer(frame) });
    await expectClose(c, 4004, '');
    assert.equal(c.frames.length, 0, `no reply to ${frame}`);
  }
});

test('replies to subscribe, start, ping and token are exactly wazo-websocketd\'s', async () => {
  const c = await connectInit(h.server, alice.token);
  c.send({ op: 'subscribe', data: { event_name: 'chatd_user_room_created' }, extra: 1 });
  assert.deepEqual(await c.next(), { op: 'subscribe', code: 0, data: null });
  c.send({ op: 'subscribe', data: { event_name: '*' } });
  assert.deepEqual(await c.next(), { op: 'subscribe', code: 0, data: null });
  c.send({ op: 'start', data: 'ignored' });
  assert.deepEqual(await c.next(), { op: 'start', code: 0, data: null });
  c.send({ op: 'start' });
  assert.deepEqual(await c.next(), { op: 'start', code: 0, data: null });
  c.send({ op: 'subscribe', data: { event_name: 'x'.repeat(500) } });
  assert.deepEqual(await c.next(), { op: 'subscribe', code: 0, data: null });
  c.send({ op: 'ping', data: { payload: 'pong' } });
  assert.deepEqual(await c.next(), { op: 'pong', code: 0, data: { payload: 'pong' } });
  const odd = 'hé "quoted" \\ \u0000 🎉';
  c.send({ op: 'ping', data: { payload: odd } });
  assert.deepEqual(await c.next(), { op: 'pong', code: 0, data: { payload: odd } });
  const fresh = await login(alice, 3600);
  c.send({ op: 'token', data: { token: fresh } });
  assert.deepEqual(await c.next(), { op: 'token', code: 0, data: null });
  // A renewal with a bad token: 4002.
  c.send({ op: 'token', data: { token: 'nope' } });
  await expectClose(c, 4002, 'authentication failed');
});

test('messages sent before init are answered after it, in order', async () => {
  const c = new WsClient(wsUrl(h.server, `token=${alice.token}&version=2`));
  await c.opened;
  c.send({ op: 'subscribe', data: { event_name: '*' } });
  c.send({ op: 'ping', data: { payload: 'a' } });
  c.send({ op: 'start' });
  assert.equal((await c.next()).op, 'init');
  assert.equal((await c.next()).op, 'subscribe');
  assert.deepEqual(await c.next(), { op: 'pong', code: 0, data: { payload: 'a' } });
  assert.equal((await c.next()).op, 'start');
  // A renewal holds later messages until it is done: replies keep the client's order.
  c.send({ op: 'token', data: { token: await login(alice, 3600) } });
  c.send({ op: 'ping', data: { payload: 'b' } });
  assert.equal((await c.next()).op, 'token');
  assert.deepEqual(await c.next(), { op: 'pong', code: 0, data: { payload: 'b' } });
  c.terminate();
});

// ---- delivery ----

test('events are dropped before start, delivered after it, with seq', async () => {
  const c = await connectInit(h.server, alice.token);
  c.send({ op: 'subscribe', data: { event_name: 'chatd_presence_updated' } });
  assert.equal((await c.next()).op, 'subscribe');
  await setPresence(bob, 'away'); // published before start: dropped
  c.send({ op: 'start' });
  assert.deepEqual(await c.next(), { op: 'start', code: 0, data: null }, 'nothing queued before start');
  await setPresence(bob, 'available');
  const ev = await c.next();
  assert.equal(ev.op, 'event');
  assert.equal(ev.code, 0);
  assert.equal(typeof ev.seq, 'number');
  assert.equal(ev.data.name, 'chatd_presence_updated');
  assert.equal(ev.data.data.state, 'available');
  assert.equal(ev.data['user_uuid:*'], true);
  assert.equal(ev.data.tenant_uuid, alice.tenant);
  c.terminate();
});

test('user events reach only their users; tenant events reach the whole tenant', async () => {
  const a = await startedSession(h.server, alice.token);
  const b = await startedSession(h.server, bob.token);
  const c = await startedSession(h.server, carol.token);
  const room = await h.room(bob, [carol], 'bc');
  const msg = await h.post(bob, room, 'for bob and carol only');

  for (const [s, u] of [[b, bob], [c, carol]]) {
    const created = await s.next();
    assert.equal(created.data.name, 'chatd_user_room_created');
    assert.equal(created.data[`user_uuid:${u.uuid}`], true);
    assert.equal(created.data.required_acl, `events.chatd.users.${u.uuid}.rooms.created`);
    assert.equal(created.data.data.uuid, room.uuid);
    const m = await s.next();
    assert.equal(m.data.name, 'chatd_user_room_message_created');
    assert.equal(m.data.room_uuid, room.uuid);
    assert.equal(m.data.required_acl, `events.chatd.users.${u.uuid}.rooms.${room.uuid}.messages.created`);
    assert.equal(m.data.data.uuid, msg.uuid);
    assert.ok(m.seq > created.seq);
    for (const k of Object.keys(m.data)) {
      if (k.startsWith('user_uuid:')) assert.equal(k, `user_uuid:${u.uuid}`);
    }
  }
  // Alice is not in the room: the next thing she sees is a tenant event.
  await setPresence(carol, 'away');
  const seen = await a.next();
  assert.equal(seen.data.name, 'chatd_presence_updated', JSON.stringify(seen));
  for (const s of [b, c]) {
    assert.equal((await s.next()).data.name, 'chatd_presence_updated');
  }
  for (const s of [a, b, c]) s.terminate();
});

test('subscriptions filter by name', async () => {
  const a = await startedSession(h.server, alice.token, ['chatd_user_room_message_created']);
  const room = await h.room(bob, [alice]);
  await setPresence(bob, 'away');
  await h.post(bob, room, 'hello');
  const ev = await a.next();
  assert.equal(ev.data.name, 'chatd_user_room_message_created', 'room_created and presence skipped');
  assert.deepEqual(await flush(a), []);
  a.terminate();
});

test('an admin session receives every user event of its tenant, one copy per recipient', async () => {
  const adminToken = (await h.login('admin', require('./lib/chatd').ADMIN_PASSWORD)).token;
  const adm = await startedSession(h.server, adminToken, ['chatd_user_room_message_created']);
  const room = await h.room(bob, [carol]);
  await h.post(carol, room, 'watched');
  const got = new Set();
  for (let i = 0; i < 2; i++) {
    const ev = await adm.next();
    assert.equal(ev.data.name, 'chatd_user_room_message_created');
    for (const k of Object.keys(ev.data)) if (k.startsWith('user_uuid:')) got.add(k.slice(10));
  }
  assert.deepEqual([...got].sort(), [bob.uuid, carol.uuid].sort());
  adm.terminate();
});

test('version 1: raw bus messages, no replies after start, ping ignored', async () => {
  const c = await connectInit(h.server, alice.token, 1);
  c.send({ op: 'subscribe', data: { event_name: 'chatd_presence_updated' } });
  assert.deepEqual(await c.next(), { op: 'subscribe', code: 0, data: null });
  c.send({ op: 'start' });
  assert.deepEqual(await c.next(), { op: 'start', code: 0, data: null });
  c.send({ op: 'subscribe', data: { event_name: 'chatd_user_room_created' } }); // no reply
  c.send({ op: 'ping', data: { payload: 'x' } }); // ignored
  c.send({ op: 'token', data: { token: await login(alice, 3600) } }); // no reply
  await setPresence(bob, 'away');
  const ev = await c.next();
  assert.equal(ev.op, undefined);
  assert.equal(ev.name, 'chatd_presence_updated');
  assert.equal(ev['user_uuid:*'], true);
  assert.equal(ev.data.uuid, bob.uuid);
  c.terminate();
});

// ---- expiry and revocation ----

test('an expiring token closes the session with 4003', async () => {
  const short = await login(alice, 2);
  const c = await startedSession(h.server, short);
  await expectClose(c, 4003, 'authentication expired');
});

test('renewing before expiry keeps the session open', async () => {
  const short = await login(alice, 2);
  const c = await startedSession(h.server, short);
  c.send({ op: 'token', data: { token: await login(alice, 3600) } });
  assert.equal((await c.next()).op, 'token');
  // Well past the first token's expiry, the session still answers.
  await new Promise((r) => setTimeout(r, 2500));
  assert.deepEqual(await flush(c, 'alive'), []);
  assert.equal(c.close, null);
  c.terminate();
});

test('a revoked token closes the session with 4003', async () => {
  const t = await login(alice, 3600);
  const c = await startedSession(h.server, t);
  const res = await h.call(null, 'DELETE', `/api/auth/0.1/token/${t}`);
  assert.equal(res.status, 200, res.text);
  await expectClose(c, 4003, 'authentication expired');
});

test('renewal with another user\'s token moves the session to that user', async () => {
  const dave = await h.user('dave');
  const c = await startedSession(h.server, alice.token, ['chatd_user_room_created']);
  c.send({ op: 'token', data: { token: await login(dave, 3600) } });
  assert.equal((await c.next()).op, 'token');
  await h.room(bob, [alice]); // Alice's event: no longer for this session
  const room = await h.room(bob, [dave]);
  const ev = await c.next();
  assert.equal(ev.data[`user_uuid:${dave.uuid}`], true);
  assert.equal(ev.data.data.uuid, room.uuid);
  c.terminate();
});
