'use strict';
// wazo-auth routes of `huard serve` (wazo-api.md sections 1.3, 1.6 and 2): login, token
// read/check/revoke, expiry, scopes, rate limits, user management, first-start admin.

const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./lib/server');

const ADMIN_PASSWORD = 'integration-admin-secret';
const UTC_AUTH = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/; // wazo-api.md 1.5, always 6 digits
const LOCAL_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let server;

before(async () => {
  server = await startServer({ env: { HUARD_ADMIN_PASSWORD: ADMIN_PASSWORD } });
});

after(async () => {
  await server.stop();
});

function basic(user, password, encoding = 'utf8') {
  return `Basic ${Buffer.from(`${user}:${password}`, encoding).toString('base64')}`;
}

// Each test gets its own client address (X-Forwarded-For from loopback is trusted), so the
// per-address login limit of one test never touches another.
let addrCounter = 0;
function freshAddr() {
  addrCounter += 1;
  return `10.77.${Math.floor(addrCounter / 250)}.${(addrCounter % 250) + 1}`;
}

async function login(user, password, { body, headers = {}, addr = freshAddr(), encoding } = {}) {
  const res = await fetch(`${server.url}/api/auth/0.1/token`, {
    method: 'POST',
    headers: {
      Authorization: basic(user, password, encoding),
      'Content-Type': 'application/json',
      'X-Forwarded-For': addr,
      ...headers,
    },
    body: body === undefined ? JSON.stringify({ backend: 'wazo_user', expiration: 3600 }) : body,
  });
  const text = await res.text();
  return { res, status: res.status, body: text ? JSON.parse(text) : null };
}

// A request written byte for byte on a socket, its head as Latin-1: '\u00ff' goes out as the
// single byte 0xff, invalid UTF-8 (fetch and node:http refuse or re-encode such headers).
function latin1Request(method, urlPath, headers, body = '') {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, '127.0.0.1');
    const chunks = [];
    sock.setTimeout(5000, () => sock.destroy(new Error('timeout')));
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.1 (\d+)/.exec(text);
      if (!m) return reject(new Error(`no HTTP answer: ${JSON.stringify(text)}`));
      const payload = text.slice(text.indexOf('\r\n\r\n') + 4);
      resolve({ status: Number(m[1]), body: payload ? JSON.parse(payload) : null });
    });
    const lines = [`${method} ${urlPath} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    // write, not end: libmicrohttpd drops a request whose client half-closes first.
    sock.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body)]));
  });
}

async function loginOk(user, password, opts) {
  const r = await login(user, password, opts);
  assert.equal(r.status, 200, `login ${user}: ${JSON.stringify(r.body)}`);
  return r.body.data;
}

function assertLegacy(body, status, reason) {
  assert.deepEqual(Object.keys(body).sort(), ['reason', 'status_code', 'timestamp']);
  assert.equal(body.status_code, status);
  assert.equal(body.reason.length, 1);
  if (reason instanceof RegExp) assert.match(body.reason[0], reason);
  else assert.equal(body.reason[0], reason);
  assert.equal(body.timestamp.length, 1);
  assert.ok(Math.abs(body.timestamp[0] - Date.now() / 1000) < 60, `timestamp ${body.timestamp}`);
}

function assertChatdUnauthorized(body, reason, requiredAccess) {
  assert.equal(body.error_id, 'unauthorized');
  assert.equal(body.message, 'Unauthorized');
  assert.equal(body.details.reason, reason);
  assert.equal(body.details.required_access, requiredAccess);
  assert.equal(typeof body.details.invalid_token, 'string');
  assert.equal(typeof body.timestamp, 'number');
}

async function api(method, p, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token !== undefined) h['X-Auth-Token'] = token;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(`${server.url}${p}`, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { res, status: res.status, body: text ? JSON.parse(text) : null };
}

let adminToken;
async function admin() {
  if (!adminToken) adminToken = (await loginOk('admin', ADMIN_PASSWORD)).token;
  return adminToken;
}

let userCounter = 0;
async function createUser(fields = {}) {
  userCounter += 1;
  const body = {
    username: `user${userCounter}-${process.pid}`,
    password: `pw-${userCounter}`,
    firstname: 'Ada',
    lastname: 'Lovelace',
    ...fields,
  };
  const r = await api('POST', '/api/auth/0.1/users', { token: await admin(), body });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { ...r.body, password: body.password };
}

describe('POST /token', () => {
  test('login answers 200 with the full data object, no jwt, wazo time formats', async () => {
    const before = Date.now();
    const r = await login('admin', ADMIN_PASSWORD, {
      body: JSON.stringify({ backend: 'wazo_user', expiration: 3600 }),
      headers: { 'User-Agent': 'auth-test/1' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.res.headers.get('wazo-sessions-revoked'), '0');
    const d = r.body.data;
    assert.match(d.token, /^[0-9a-f]{64}$/);
    assert.match(d.auth_id, UUID);
    assert.equal(d.xivo_user_uuid, d.auth_id);
    assert.match(d.xivo_uuid, UUID);
    assert.match(d.session_uuid, UUID);
    assert.match(d.utc_issued_at, UTC_AUTH);
    assert.match(d.utc_expires_at, UTC_AUTH);
    assert.match(d.issued_at, LOCAL_ISO);
    assert.match(d.expires_at, LOCAL_ISO);
    const issued = Date.parse(`${d.utc_issued_at}Z`);
    const expires = Date.parse(`${d.utc_expires_at}Z`);
    assert.ok(issued >= before - 2000 && issued <= Date.now() + 2000, d.utc_issued_at);
    assert.equal(expires - issued, 3600 * 1000);
    assert.ok(d.acl.includes('auth.#'), JSON.stringify(d.acl));
    assert.ok(d.acl.includes('chatd.#'));
    assert.ok(d.acl.includes('websocketd'));
    assert.deepEqual(Object.keys(d.metadata).sort(), [
      'admin', 'auth_id', 'pbx_user_uuid', 'purpose', 'tenant_uuid', 'uuid', 'xivo_uuid',
    ]);
    assert.equal(d.metadata.jwt, undefined);
    assert.equal(d.metadata.uuid, d.auth_id);
    assert.equal(d.metadata.auth_id, d.auth_id);
    assert.equal(d.metadata.pbx_user_uuid, d.auth_id);
    assert.equal(d.metadata.xivo_uuid, d.xivo_uuid);
    assert.match(d.metadata.tenant_uuid, UUID);
    assert.equal(d.metadata.purpose, 'user');
    assert.equal(d.metadata.admin, true);
    assert.equal(d.user_agent, 'auth-test/1');
    assert.match(d.remote_addr, /^10\.77\./);
    assert.equal(d.refresh_token, undefined);
  });

  test('two logins give two tokens and two sessions', async () => {
    const a = await loginOk('admin', ADMIN_PASSWORD);
    const b = await loginOk('admin', ADMIN_PASSWORD);
    assert.notEqual(a.token, b.token);
    assert.notEqual(a.session_uuid, b.session_uuid);
  });

  test('wrong password is 401 Authentication Failed in the legacy shape', async () => {
    const r = await login('admin', 'not-the-password');
    assert.equal(r.status, 401);
    assertLegacy(r.body, 401, 'Authentication Failed');
  });

  test('unknown user is the same 401', async () => {
    const r = await login('nobody-here', 'whatever');
    assert.equal(r.status, 401);
    assertLegacy(r.body, 401, 'Authentication Failed');
  });

  test('missing or malformed Authorization is 401', async () => {
    const cases = [
      {},
      { Authorization: 'Bearer abc' },
      { Authorization: 'Basic !!!notbase64' },
      { Authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
      { Authorization: `Basic ${Buffer.from('admin:').toString('base64')}` },
      { Authorization: `Basic ${Buffer.from(':pw').toString('base64')}` },
    ];
    for (const headers of cases) {
      const res = await fetch(`${server.url}/api/auth/0.1/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': freshAddr(), ...headers },
        body: JSON.stringify({ expiration: 60 }),
      });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assertLegacy(await res.json(), 401, 'Authentication Failed');
    }
  });

  test('malformed or empty JSON body is 400 in the legacy shape', async () => {
    for (const body of ['{"expiration": ', '', 'not json']) {
      const r = await login('admin', ADMIN_PASSWORD, { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assertLegacy(r.body, 400, /./);
    }
  });

  test('expiration is bounded 1..315360000 and must be an integer', async () => {
    for (const expiration of [0, -5, 315360001]) {
      const r = await login('admin', ADMIN_PASSWORD, { body: JSON.stringify({ expiration }) });
      assert.equal(r.status, 400, `expiration ${expiration}`);
      assertLegacy(r.body, 400, /expiration.*Must be greater than or equal to 1/);
    }
    const t = await login('admin', ADMIN_PASSWORD, { body: JSON.stringify({ expiration: 'soon' }) });
    assert.equal(t.status, 400);
    assertLegacy(t.body, 400, /'expiration'/);
    const max = await loginOk('admin', ADMIN_PASSWORD, {
      body: JSON.stringify({ expiration: 315360000 }),
    });
    const span = Date.parse(`${max.utc_expires_at}Z`) - Date.parse(`${max.utc_issued_at}Z`);
    assert.equal(span, 315360000 * 1000);
    const one = await loginOk('admin', ADMIN_PASSWORD, { body: JSON.stringify({ expiration: 1 }) });
    assert.equal(Date.parse(`${one.utc_expires_at}Z`) - Date.parse(`${one.utc_issued_at}Z`), 1000);
  });

  test('no expiration gives the configured default lifetime', async () => {
    const d = await loginOk('admin', ADMIN_PASSWORD, { body: '{}' });
    const span = Date.parse(`${d.utc_expires_at}Z`) - Date.parse(`${d.utc_issued_at}Z`);
    assert.ok(span >= 60 * 1000, `default lifetime ${span} ms`);
  });

  test('offline access needs a client_id and issues no refresh token; refresh_token is 400', async () => {
    const noClient = await login('admin', ADMIN_PASSWORD, {
      body: JSON.stringify({ expiration: 60, access_type: 'offline' }),
    });
    assert.equal(noClient.status, 400);
    assertLegacy(noClient.body, 400, /client_id/);
    const badType = await login('admin', ADMIN_PASSWORD, {
      body: JSON.stringify({ access_type: 'sometimes' }),
    });
    assert.equal(badType.status, 400);
    const offline = await loginOk('admin', ADMIN_PASSWORD, {
      body: JSON.stringify({ expiration: 60, access_type: 'offline', client_id: 'test-client' }),
    });
    assert.equal(offline.refresh_token, undefined);
    const refresh = await fetch(`${server.url}/api/auth/0.1/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ expiration: 60, refresh_token: 'abc', client_id: 'test-client' }),
    });
    assert.equal(refresh.status, 400);
    assertLegacy(await refresh.json(), 400, /refresh tokens are not supported/);
  });

  test('an unknown backend is an authentication failure', async () => {
    const r = await login('admin', ADMIN_PASSWORD, { body: JSON.stringify({ backend: 'ldap_x' }) });
    assert.equal(r.status, 401);
  });

  test('Wazo-Session-Type mobile is accepted', async () => {
    await loginOk('admin', ADMIN_PASSWORD, { headers: { 'Wazo-Session-Type': 'Mobile' } });
  });

  test('a User-Agent that is not UTF-8 is kept as Latin-1 in the token data', async () => {
    // The token object echoes the User-Agent; jansson refused it and the server aborted.
    const headers = {
      Authorization: basic('admin', ADMIN_PASSWORD),
      'Content-Type': 'application/json',
      'X-Forwarded-For': freshAddr(),
      'User-Agent': '\u00ff\u00feagent',
    };
    const r = await latin1Request(
      'POST',
      '/api/auth/0.1/token',
      headers,
      JSON.stringify({ backend: 'wazo_user', expiration: 3600 }),
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.data.user_agent, '\u00ff\u00feagent');
    const read = await api('GET', `/api/auth/0.1/token/${r.body.data.token}`, {
      token: r.body.data.token,
    });
    assert.equal(read.status, 200);
    assert.equal(read.body.data.user_agent, '\u00ff\u00feagent');
  });

  test('credentials are read as UTF-8, else as Latin-1', async () => {
    const u = await createUser({ username: `jos\u00e9-${process.pid}`, password: 'p\u00e4ss' });
    await loginOk(u.username, 'p\u00e4ss', { encoding: 'utf8' });
    await loginOk(u.username, 'p\u00e4ss', { encoding: 'latin1' });
    const wrong = await login(u.username, 'pass', { encoding: 'latin1' });
    assert.equal(wrong.status, 401);
  });
});

describe('rate limits', () => {
  test('failed logins of one username get 429 with Retry-After, before the password is checked', async () => {
    const u = await createUser();
    const statuses = [];
    // Different addresses: only the username bucket (10 failures) may refuse.
    for (let i = 0; i < 10; i++) {
      statuses.push((await login(u.username, 'wrong', { addr: freshAddr() })).status);
    }
    assert.deepEqual(statuses, Array(10).fill(401));
    const limited = await login(u.username, 'wrong', { addr: freshAddr() });
    assert.equal(limited.status, 429);
    assertLegacy(limited.body, 429, /Too many login attempts/);
    const retry = Number(limited.res.headers.get('retry-after'));
    assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    // Even the right password is refused while limited.
    const right = await login(u.username, u.password, { addr: freshAddr() });
    assert.equal(right.status, 429);
    // Another user is not affected.
    await loginOk('admin', ADMIN_PASSWORD);
  });

  test('successful logins do not count', async () => {
    const u = await createUser();
    const addr = freshAddr();
    for (let i = 0; i < 11; i++) {
      await loginOk(u.username, u.password, { addr, body: JSON.stringify({ expiration: 60 }) });
    }
  });
});

describe('GET/HEAD/DELETE /token/{token}', () => {
  test('GET returns the token data, HEAD 204, with scope and tenant checks', async () => {
    const d = await loginOk('admin', ADMIN_PASSWORD);
    const tok = `${server.url}/api/auth/0.1/token/${d.token}`;
    const get = await fetch(tok);
    assert.equal(get.status, 200);
    const g = (await get.json()).data;
    assert.equal(g.token, d.token);
    assert.equal(g.session_uuid, d.session_uuid);
    assert.equal(g.utc_expires_at, d.utc_expires_at);
    assert.deepEqual(g.acl, d.acl);
    assert.deepEqual(g.metadata, d.metadata);

    const head = await fetch(tok, { method: 'HEAD' });
    assert.equal(head.status, 204);

    assert.equal((await fetch(`${tok}?scope=chatd.users.me.rooms.read`)).status, 200);
    assert.equal((await fetch(`${tok}?tenant=${d.metadata.tenant_uuid}`)).status, 200);
    const otherTenant = '00000000-0000-4000-8000-000000000000';
    const t403 = await fetch(`${tok}?tenant=${otherTenant}`);
    assert.equal(t403.status, 403);
    assertLegacy(await t403.json(), 403, `Unauthorized for tenant ${otherTenant}`);
    assert.equal((await fetch(`${tok}?tenant=${otherTenant}`, { method: 'HEAD' })).status, 403);
  });

  test('a scope or tenant that is not UTF-8 is 403 quoting it as Latin-1, not a crash', async () => {
    // The legacy reason quotes the query; jansson refused %FF and the server aborted.
    const d = await loginOk('admin', ADMIN_PASSWORD);
    const tok = `${server.url}/api/auth/0.1/token/${d.token}`;
    const scope = await fetch(`${tok}?scope=a.%FF`);
    assert.equal(scope.status, 403);
    assertLegacy(await scope.json(), 403, 'Unauthorized for a.\u00ff');
    const tenant = await fetch(`${tok}?tenant=%FF`);
    assert.equal(tenant.status, 403);
    assertLegacy(await tenant.json(), 403, 'Unauthorized for tenant \u00ff');
    assert.equal((await fetch(tok)).status, 200);
  });

  test('a user token fails an admin scope with 403 Unauthorized for <acl>', async () => {
    const u = await createUser();
    const d = await loginOk(u.username, u.password);
    assert.equal(d.metadata.admin, false);
    assert.ok(d.acl.includes('chatd.users.me.rooms.#'));
    assert.ok(!d.acl.includes('auth.#'));
    const tok = `${server.url}/api/auth/0.1/token/${d.token}`;
    const r = await fetch(`${tok}?scope=auth.users.create`);
    assert.equal(r.status, 403);
    assertLegacy(await r.json(), 403, 'Unauthorized for auth.users.create');
    assert.equal((await fetch(`${tok}?scope=auth.users.create`, { method: 'HEAD' })).status, 403);
    // `me` in the token's patterns stands for its own uuid.
    const own = await fetch(`${tok}?scope=chatd.users.${d.auth_id}.rooms.read`);
    assert.equal(own.status, 200);
    const other = await fetch(`${tok}?scope=chatd.users.${d.xivo_uuid}.rooms.read`);
    assert.equal(other.status, 403);
  });

  test('unknown token is 404 No such token', async () => {
    for (const t of ['0'.repeat(64), 'undefined', 'x']) {
      const r = await fetch(`${server.url}/api/auth/0.1/token/${t}`);
      assert.equal(r.status, 404, t);
      assertLegacy(await r.json(), 404, 'No such token');
      const h = await fetch(`${server.url}/api/auth/0.1/token/${t}`, { method: 'HEAD' });
      assert.equal(h.status, 404);
    }
  });

  test('DELETE revokes (200 success) and is 200 for unknown tokens too', async () => {
    const d = await loginOk('admin', ADMIN_PASSWORD);
    const tok = `${server.url}/api/auth/0.1/token/${d.token}`;
    const del = await fetch(tok, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.deepEqual(await del.json(), { data: { message: 'success' } });
    const after = await fetch(tok);
    assert.equal(after.status, 404);
    assertLegacy(await after.json(), 404, 'No such token');
    // A revoked token no longer opens the other APIs.
    const users = await api('GET', '/api/auth/0.1/users', { token: d.token });
    assert.equal(users.status, 401);
    assertChatdUnauthorized(users.body, 'not_found_or_expired', 'auth.users.read');
    const again = await fetch(tok, { method: 'DELETE' });
    assert.equal(again.status, 200);
    assert.deepEqual(await again.json(), { data: { message: 'success' } });
  });

  test('a token expires after its expiration', async () => {
    const d = await loginOk('admin', ADMIN_PASSWORD, { body: JSON.stringify({ expiration: 1 }) });
    const tok = `${server.url}/api/auth/0.1/token/${d.token}`;
    let last = 0;
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline) {
      const r = await fetch(tok, { method: 'HEAD' });
      last = r.status;
      if (last === 404) break;
      assert.equal(last, 204);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(last, 404, 'token still valid 10 s after a 1 s expiration');
    const g = await fetch(tok);
    assertLegacy(await g.json(), 404, 'No such token');
    const users = await api('GET', '/api/auth/0.1/users', { token: d.token });
    assert.equal(users.status, 401);
    assertChatdUnauthorized(users.body, 'not_found_or_expired', 'auth.users.read');
  });
});

describe('token checks on other routes (chatd shape)', () => {
  test('missing, undefined and unknown tokens are 401 not_found_or_expired', async () => {
    const none = await api('GET', '/api/auth/0.1/users');
    assert.equal(none.status, 401);
    assertChatdUnauthorized(none.body, 'not_found_or_expired', 'auth.users.read');
    assert.equal(none.body.details.invalid_token, '');
    const undef = await api('GET', '/api/auth/0.1/users', { token: 'undefined' });
    assert.equal(undef.status, 401);
    assertChatdUnauthorized(undef.body, 'not_found_or_expired', 'auth.users.read');
    const unknown = await api('GET', '/api/auth/0.1/users', { token: 'f'.repeat(64) });
    assert.equal(unknown.status, 401);
  });

  test('authentication comes before body validation', async () => {
    const r = await api('POST', '/api/auth/0.1/users', { body: '{"broken": ' });
    assert.equal(r.status, 401);
    const bad = await api('POST', '/api/auth/0.1/users', {
      token: await admin(),
      body: '{"broken": ',
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error_id, 'invalid-data');
  });

  test('a token or Wazo-Tenant that is not UTF-8 is 401, echoed as Latin-1, and the server lives on', async () => {
    // jansson refuses strings that are not UTF-8, which once aborted the server while it
    // built the 401.
    const raw = (headers) => latin1Request('GET', '/api/chatd/1.0/users/me/rooms', headers);
    const r = await raw({ 'X-Auth-Token': '\u00ff\u00fe' });
    assert.equal(r.status, 401);
    assert.equal(r.body.details.invalid_token, '\u00ff\u00fe');
    assert.equal(r.body.details.reason, 'not_found_or_expired');
    const d = await loginOk('admin', ADMIN_PASSWORD);
    const t = await raw({ 'X-Auth-Token': d.token, 'Wazo-Tenant': 't\u00e9' });
    assert.equal(t.status, 401);
    assert.equal(t.body.details.tenant_uuid, 't\u00e9');
    const after = await api('GET', '/api/auth/0.1/users', { token: d.token });
    assert.equal(after.status, 200);
  });

  test('a Wazo-Tenant other than the token tenant is 401 missing_permission_or_invalid_tenant', async () => {
    const d = await loginOk('admin', ADMIN_PASSWORD);
    const same = await api('GET', '/api/auth/0.1/users', {
      token: d.token,
      headers: { 'Wazo-Tenant': d.metadata.tenant_uuid },
    });
    assert.equal(same.status, 200);
    const other = '11111111-1111-4111-8111-111111111111';
    const r = await api('GET', '/api/auth/0.1/users', {
      token: d.token,
      headers: { 'Wazo-Tenant': other },
    });
    assert.equal(r.status, 401);
    assertChatdUnauthorized(r.body, 'missing_permission_or_invalid_tenant', 'auth.users.read');
    assert.equal(r.body.details.tenant_uuid, other);
  });
});

describe('users', () => {
  test('an admin creates a user (200, wazo-auth user object) who can then log in', async () => {
    const token = await admin();
    const username = `newbie-${process.pid}`;
    const r = await api('POST', '/api/auth/0.1/users', {
      token,
      body: { username, password: 'newbie-pw', firstname: 'New', lastname: 'Bie', purpose: 'user' },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const u = r.body;
    assert.match(u.uuid, UUID);
    assert.equal(u.username, username);
    assert.equal(u.firstname, 'New');
    assert.equal(u.lastname, 'Bie');
    assert.equal(u.enabled, true);
    assert.deepEqual(u.emails, []);
    assert.equal(u.purpose, 'user');
    assert.match(u.tenant_uuid, UUID);
    assert.equal(u.password, undefined);
    assert.equal(u.admin, false);

    const d = await loginOk(username, 'newbie-pw');
    assert.equal(d.auth_id, u.uuid);
    assert.equal(d.metadata.tenant_uuid, u.tenant_uuid);
    assert.equal(d.metadata.admin, false);

    const list = await api('GET', '/api/auth/0.1/users', { token });
    assert.equal(list.status, 200);
    assert.ok(list.body.total >= 2);
    assert.equal(list.body.filtered, list.body.total);
    assert.ok(list.body.items.some((x) => x.uuid === u.uuid && x.username === username));

    const search = await api('GET', `/api/auth/0.1/users?search=${encodeURIComponent(username)}`, {
      token,
    });
    assert.equal(search.body.filtered, 1);
    assert.equal(search.body.items[0].uuid, u.uuid);

    const page = await api('GET', '/api/auth/0.1/users?limit=1&offset=1&direction=desc', { token });
    assert.equal(page.status, 200);
    assert.equal(page.body.items.length, 1);
    const badLimit = await api('GET', '/api/auth/0.1/users?limit=-1', { token });
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.body.error_id, 'invalid-list-param');

    const one = await api('GET', `/api/auth/0.1/users/${u.uuid}`, { token });
    assert.equal(one.status, 200);
    assert.equal(one.body.username, username);
    // A user may not read another user.
    const mine = await api('GET', `/api/auth/0.1/users/${u.uuid}`, { token: d.token });
    assert.equal(mine.status, 401);
  });

  test('an admin may create another admin', async () => {
    const u = await createUser({ admin: true });
    assert.equal(u.admin, true);
    const d = await loginOk(u.username, u.password);
    assert.equal(d.metadata.admin, true);
    assert.ok(d.acl.includes('auth.#'));
  });

  test('a non-admin creating users gets 401 missing_permission_or_invalid_tenant', async () => {
    const u = await createUser();
    const d = await loginOk(u.username, u.password);
    const r = await api('POST', '/api/auth/0.1/users', {
      token: d.token,
      body: { username: 'sneaky', password: 'x' },
    });
    assert.equal(r.status, 401);
    assertChatdUnauthorized(r.body, 'missing_permission_or_invalid_tenant', 'auth.users.create');
    assert.equal(r.body.details.tenant_uuid, null);
    const list = await api('GET', '/api/auth/0.1/users', { token: d.token });
    assert.equal(list.status, 401);
    const del = await api('DELETE', `/api/auth/0.1/users/${u.uuid}`, { token: d.token });
    assert.equal(del.status, 401);
  });

  test('a taken username is 409 conflict in wazo-auth shape', async () => {
    const u = await createUser();
    const r = await api('POST', '/api/auth/0.1/users', {
      token: await admin(),
      body: { username: u.username, password: 'other' },
    });
    assert.equal(r.status, 409);
    assert.equal(r.body.error_id, 'conflict');
    assert.equal(r.body.message, 'Conflict detected');
    assert.equal(r.body.resource, 'users');
    assert.equal(r.body.details.username.constraint_id, 'unique');
    assert.match(r.body.details.username.message, /already used/);
    const dupUuid = await api('POST', '/api/auth/0.1/users', {
      token: await admin(),
      body: { uuid: u.uuid, username: `fresh-${process.pid}`, password: 'other' },
    });
    assert.equal(dupUuid.status, 409);
    assert.equal(dupUuid.body.details.uuid.constraint_id, 'unique');
  });

  test('a chosen uuid is kept', async () => {
    const uuid = 'abcdef01-2345-4678-9abc-def012345678';
    const u = await createUser({ uuid: uuid.toUpperCase() });
    assert.equal(u.uuid, uuid);
  });

  test('bad user bodies are 400 invalid-data with the first field error', async () => {
    const token = await admin();
    const cases = [
      [{ password: 'x' }, 'username', 'required'],
      [{ username: 'a', password: 'x', firstname: 5 }, 'firstname', 'type'],
      [{ username: '', password: 'x' }, 'username', 'length'],
      [{ username: 'a'.repeat(257), password: 'x' }, 'username', 'length'],
      [{ username: 'a:b', password: 'x' }, 'username', 'regex'],
      [{ username: 'ok-name' }, 'password', 'required'],
      [{ username: 'ok-name', password: null }, 'password', 'not_null'],
      [{ username: 'ok-name', password: 'x', uuid: 'not-a-uuid' }, 'uuid', 'type'],
    ];
    for (const [body, field, constraint] of cases) {
      const r = await api('POST', '/api/auth/0.1/users', { token, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error_id, 'invalid-data');
      assert.equal(r.body.resource, 'users');
      assert.deepEqual(Object.keys(r.body.details), [field], JSON.stringify(r.body));
      assert.equal(r.body.details[field].constraint_id, constraint, JSON.stringify(r.body));
      assert.equal(r.body.message, r.body.details[field].message);
    }
    const notObject = await api('POST', '/api/auth/0.1/users', { token, body: '[1]' });
    assert.equal(notObject.status, 400);
  });

  test('password change: own with old password, admin without, wrong old is 401', async () => {
    const u = await createUser();
    const d = await loginOk(u.username, u.password);
    const url = `/api/auth/0.1/users/${u.uuid}/password`;

    const noOld = await api('PUT', url, { token: d.token, body: { new_password: 'n1' } });
    assert.equal(noOld.status, 400);
    assert.equal(noOld.body.details.old_password.constraint_id, 'required');

    const wrong = await api('PUT', url, {
      token: d.token,
      body: { old_password: 'nope', new_password: 'n1' },
    });
    assert.equal(wrong.status, 401);
    assertLegacy(wrong.body, 401, 'Authentication Failed');

    const own = await api('PUT', url, {
      token: d.token,
      body: { old_password: u.password, new_password: 'n1' },
    });
    assert.equal(own.status, 204);
    assert.equal((await login(u.username, u.password)).status, 401);
    await loginOk(u.username, 'n1');

    const reset = await api('PUT', url, { token: await admin(), body: { new_password: 'n2' } });
    assert.equal(reset.status, 204);
    await loginOk(u.username, 'n2');

    const missingNew = await api('PUT', url, { token: await admin(), body: {} });
    assert.equal(missingNew.status, 400);
    assert.equal(missingNew.body.details.new_password.constraint_id, 'required');
  });

  test("a user cannot change another user's password", async () => {
    const a = await createUser();
    const b = await createUser();
    const d = await loginOk(a.username, a.password);
    const r = await api('PUT', `/api/auth/0.1/users/${b.uuid}/password`, {
      token: d.token,
      body: { old_password: b.password, new_password: 'hijack' },
    });
    assert.equal(r.status, 401);
    assertChatdUnauthorized(
      r.body,
      'missing_permission_or_invalid_tenant',
      `auth.users.${b.uuid}.password.edit`,
    );
    await loginOk(b.username, b.password);
  });

  test('delete: 204, the user can no longer log in, its tokens die, then 404', async () => {
    const u = await createUser();
    const d = await loginOk(u.username, u.password);
    const token = await admin();
    const del = await api('DELETE', `/api/auth/0.1/users/${u.uuid}`, { token });
    assert.equal(del.status, 204);
    assert.equal((await login(u.username, u.password)).status, 401);
    assert.equal((await fetch(`${server.url}/api/auth/0.1/token/${d.token}`)).status, 404);
    const again = await api('DELETE', `/api/auth/0.1/users/${u.uuid}`, { token });
    assert.equal(again.status, 404);
    assert.equal(again.body.error_id, 'unknown-user');
    assert.equal(again.body.resource, 'users');
    assert.deepEqual(again.body.details, { uuid: u.uuid });
    const get = await api('GET', `/api/auth/0.1/users/${u.uuid}`, { token });
    assert.equal(get.status, 404);
    const notUuid = await api('GET', '/api/auth/0.1/users/not-a-uuid', { token });
    assert.equal(notUuid.status, 404);
  });
});

describe('users paths', () => {
  test('a user path that is no uuid, not even UTF-8, is 404 quoting it as Latin-1', async () => {
    const token = await admin();
    const r = await api('GET', '/api/auth/0.1/users/%FF', { token });
    assert.equal(r.status, 404);
    assert.equal(r.body.error_id, 'unknown-user');
    assert.equal(r.body.message, 'No such user: "\u00ff"');
    assert.equal(r.body.details.uuid, '\u00ff');
  });
});

describe('first start', () => {
  test('without HUARD_ADMIN_PASSWORD a password is generated, printed once and stored 0600', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huard-auth-'));
    try {
      const first = await startServer({ env: { HUARD_ADMIN_PASSWORD: '' }, args: ['--data', dir] });
      let password;
      try {
        const m = first.stderr.match(/created user 'admin' with password: (\S+)/);
        assert.ok(m, `no password line in:\n${first.stderr}`);
        password = m[1];
        assert.match(password, /^[A-Za-z0-9_-]{24}$/);
        const file = path.join(dir, 'admin-password');
        const st = fs.statSync(file);
        assert.equal(st.mode & 0o777, 0o600);
        assert.equal(fs.readFileSync(file, 'utf8').trim(), password);
        const res = await fetch(`${first.url}/api/auth/0.1/token`, {
          method: 'POST',
          headers: { Authorization: basic('admin', password), 'Content-Type': 'application/json' },
          body: '{"expiration": 60}',
        });
        assert.equal(res.status, 200);
        // The password never reaches the log lines.
        const logLines = first.stderr.split('\n').filter((l) => l.includes('level='));
        assert.ok(!logLines.some((l) => l.includes(password)));
      } finally {
        await first.stop();
      }
      const second = await startServer({ env: { HUARD_ADMIN_PASSWORD: 'ignored-now' }, args: ['--data', dir] });
      try {
        assert.doesNotMatch(second.stderr, /created user 'admin'/);
        const res = await fetch(`${second.url}/api/auth/0.1/token`, {
          method: 'POST',
          headers: { Authorization: basic('admin', password), 'Content-Type': 'application/json' },
          body: '{"expiration": 60}',
        });
        assert.equal(res.status, 200, 'the first password stays in force');
      } finally {
        await second.stop();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the stack uuid survives a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'huard-auth-'));
    try {
      const uuids = [];
      for (let i = 0; i < 2; i++) {
        const s = await startServer({ env: { HUARD_ADMIN_PASSWORD: 'pw' }, args: ['--data', dir] });
        try {
          const res = await fetch(`${s.url}/api/auth/0.1/token`, {
            method: 'POST',
            headers: { Authorization: basic('admin', 'pw'), 'Content-Type': 'application/json' },
            body: '{"expiration": 60}',
          });
          assert.equal(res.status, 200);
          uuids.push((await res.json()).data.xivo_uuid);
        } finally {
          await s.stop();
        }
      }
      assert.match(uuids[0], UUID);
      assert.equal(uuids[0], uuids[1]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
