'use strict';
// Helpers of the chatd integration tests: a server with a known admin password, users made
// through wazo-auth's admin API (POST /api/auth/0.1/users) and logged in with HTTP Basic, a
// small REST client that returns {status, body, headers}, and a websocketd v2 client that
// collects events. Every wait is bounded.

const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { startServer } = require('./server');

const ADMIN_PASSWORD = 'admin-secret-for-tests';
const CHATD = '/api/chatd/1.0';
const WAIT_MS = 5000;

class Chatd {
  constructor(server) {
    this.server = server;
    this.admin = null;
    this.counter = 0;
  }

  // REST call. body: object (JSON), string or Buffer (sent as is), undefined (none).
  async call(token, method, path, body, headers = {}) {
    const h = { ...headers };
    if (token !== null && token !== undefined) h['X-Auth-Token'] = token;
    let payload;
    if (body !== undefined) {
      h['Content-Type'] = h['Content-Type'] || 'application/json';
      payload = (typeof body === 'string' || Buffer.isBuffer(body)) ? body : JSON.stringify(body);
    }
    const res = await fetch(`${this.server.url}${path}`, { method, headers: h, body: payload });
    const text = await res.text();
    let parsed = null;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed, headers: res.headers, text };
  }

  chatd(token, method, path, body, headers) {
    return this.call(token, method, `${CHATD}${path}`, body, headers);
  }

  async login(username, password) {
    const res = await this.call(null, 'POST', '/api/auth/0.1/token',
      { backend: 'wazo_user', expiration: 3600 },
      { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` });
    assert.equal(res.status, 200, `login ${username}: ${res.text}`);
    return res.body.data;
  }

  // A new user of the default tenant, logged in: {uuid, tenant, token, username, password}.
  async user(prefix = 'user', { login = true } = {}) {
    if (!this.admin) this.admin = await this.login('admin', ADMIN_PASSWORD);
    this.counter += 1;
    const username = `${prefix}${this.counter}`;
    const password = `pw-${username}-secret`;
    const res = await this.call(this.admin.token, 'POST', '/api/auth/0.1/users',
      { username, password, firstname: prefix, lastname: String(this.counter) });
    assert.equal(res.status, 200, `create user ${username}: ${res.text}`);
    const u = { uuid: res.body.uuid, username, password };
    if (login) {
      const s = await this.login(username, password);
      assert.equal(s.metadata.uuid, u.uuid);
      u.token = s.token;
      u.tenant = s.metadata.tenant_uuid;
    }
    return u;
  }

  // n users made concurrently (password hashing runs on several workers), without login.
  async users(prefix, n) {
    const out = [];
    const BATCH = 4;
    for (let i = 0; i < n; i += BATCH) {
      const batch = [];
      for (let k = i; k < Math.min(n, i + BATCH); k++) batch.push(this.user(prefix, { login: false }));
      out.push(...(await Promise.all(batch)));
    }
    return out;
  }

  // Creates a room as `owner` with `others` (users or uuids); asserts 201, returns the room.
  async room(owner, others, name) {
    const users = others.map((o) => ({ uuid: typeof o === 'string' ? o : o.uuid }));
    const body = name === undefined ? { users } : { name, users };
    const res = await this.chatd(owner.token, 'POST', '/users/me/rooms', body);
    assert.equal(res.status, 201, res.text);
    return res.body;
  }

  async post(user, room, content, extra = {}) {
    const res = await this.chatd(user.token, 'POST', `/users/me/rooms/${room.uuid}/messages`,
      { content, ...extra });
    assert.equal(res.status, 201, res.text);
    return res.body;
  }

  // A websocketd v2 session subscribed to names (default every event), started.
  async socket(user, names = ['*']) {
    const ws = new WebSocket(`${this.server.wsUrl}/api/websocketd/?token=${user.token}&version=2`);
    const s = new EventSocket(ws);
    await s.next((m) => m.op === 'init');
    for (const n of names) ws.send(JSON.stringify({ op: 'subscribe', data: { event_name: n } }));
    ws.send(JSON.stringify({ op: 'start' }));
    await s.next((m) => m.op === 'start');
    return s;
  }
}

// Collects the frames of one WebSocket; next() waits (bounded) for the next matching one.
class EventSocket {
  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.waiter = null;
    this.closed = null;
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()));
      if (this.waiter) this.waiter();
    });
    ws.on('close', (code) => {
      this.closed = code;
      if (this.waiter) this.waiter();
    });
    ws.on('error', () => {});
  }

  // Resolves with the first frame (removed from the queue) for which pred is true; frames
  // before it are dropped only when skip is true, else they fail the wait.
  next(pred = () => true, { skip = true, timeoutMs = WAIT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      const check = () => {
        while (this.frames.length > 0) {
          const f = this.frames.shift();
          if (pred(f)) {
            clearTimeout(timer);
            this.waiter = null;
            resolve(f);
            return;
          }
          if (!skip) {
            clearTimeout(timer);
            this.waiter = null;
            reject(new Error(`unexpected frame ${JSON.stringify(f)}`));
            return;
          }
        }
        if (this.closed !== null) {
          clearTimeout(timer);
          this.waiter = null;
          reject(new Error(`socket closed (${this.closed})`));
        }
      };
      this.waiter = check;
      check();
    });
  }

  // The next event frame's bus message (data), failing on any other frame before it.
  async event(timeoutMs = WAIT_MS) {
    const f = await this.next((m) => m.op === 'event', { skip: false, timeoutMs });
    return f.data;
  }

  close() {
    this.ws.close();
  }
}

// Starts a server whose admin password is known. opts as startServer's.
async function startChatd(opts = {}) {
  const server = await startServer({
    ...opts,
    env: { HUARD_ADMIN_PASSWORD: ADMIN_PASSWORD, ...(opts.env || {}) },
  });
  return new Chatd(server);
}

// Asserts a Wazo error body (wazo-api.md 1.3) and returns it.
function assertError(res, status, errorId, details) {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.text}`);
  assert.equal(res.body.error_id, errorId, res.text);
  assert.equal(typeof res.body.message, 'string');
  assert.equal(typeof res.body.timestamp, 'number');
  if (details !== undefined) assert.deepEqual(res.body.details, details);
  return res.body;
}

module.exports = { startChatd, assertError, ADMIN_PASSWORD, CHATD };
