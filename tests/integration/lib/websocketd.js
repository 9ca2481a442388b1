'use strict';
// Helpers of the websocketd tests: a WebSocket client that queues every frame and records the
// close code and reason, with bounded waits only (no sleeps).

const WebSocket = require('ws');

const WAIT_MS = 5000;

class WsClient {
  // url: full ws:// URL; headers: extra upgrade headers.
  constructor(url, headers = {}) {
    this.ws = new WebSocket(url, { headers });
    this.frames = [];
    this.waiters = new Set();
    this.close = null; // {code, reason} once closed
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
    this.ws.on('message', (data, isBinary) => {
      this.frames.push({ text: data.toString(), isBinary });
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.close = { code, reason: reason.toString() };
      this.wake();
    });
    this.ws.on('error', () => {});
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  wait(check, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const w = () => {
        let r;
        try {
          r = check();
        } catch (e) {
          done();
          reject(e);
          return;
        }
        if (r !== undefined) {
          done();
          resolve(r);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; frames ${JSON.stringify(this.frames.map((f) => f.text))}, close ${JSON.stringify(this.close)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(w);
      };
      this.waiters.add(w);
      w();
    });
  }

  // The next frame parsed as JSON, whatever it is; fails if the socket closes first.
  next(timeoutMs = WAIT_MS) {
    return this.wait(() => {
      if (this.frames.length > 0) {
        const f = this.frames.shift();
        if (f.isBinary) throw new Error(`binary frame from the server: ${f.text}`);
        return JSON.parse(f.text);
      }
      if (this.close) throw new Error(`closed ${JSON.stringify(this.close)} before a frame`);
      return undefined;
    }, timeoutMs, 'a frame');
  }

  // Resolves {code, reason} once closed; frames still queued are left for the caller.
  closed(timeoutMs = WAIT_MS) {
    return this.wait(() => this.close || undefined, timeoutMs, 'the close');
  }

  send(obj) {
    this.ws.send(typeof obj === 'string' || Buffer.isBuffer(obj) ? obj : JSON.stringify(obj));
  }

  terminate() {
    this.ws.terminate();
  }
}

function wsUrl(server, query) {
  return `${server.wsUrl}/api/websocketd/${query === undefined ? '' : `?${query}`}`;
}

// Connects with ?token=T&version=V and waits for init. Returns the client.
async function connectInit(server, token, version = 2) {
  const c = new WsClient(wsUrl(server, `token=${token}&version=${version}`));
  const init = await c.next();
  if (init.op !== 'init') throw new Error(`expected init, got ${JSON.stringify(init)}`);
  return c;
}

// A started v2 session subscribed to names; the replies are consumed.
async function startedSession(server, token, names = ['*']) {
  const c = await connectInit(server, token, 2);
  for (const n of names) c.send({ op: 'subscribe', data: { event_name: n } });
  c.send({ op: 'start' });
  for (let i = 0; i < names.length; i++) {
    const r = await c.next();
    if (r.op !== 'subscribe') throw new Error(`expected subscribe reply, got ${JSON.stringify(r)}`);
  }
  const s = await c.next();
  if (s.op !== 'start') throw new Error(`expected start reply, got ${JSON.stringify(s)}`);
  return c;
}

// Round trip on the session: everything the server queued for it before the pong is in
// c.frames (in order) once this resolves. Returns the frames that came before the pong.
async function flush(c, payload = 'flush') {
  c.send({ op: 'ping', data: { payload } });
  const before = [];
  for (;;) {
    const f = await c.next();
    if (f.op === 'pong' && f.data && f.data.payload === payload) return before;
    before.push(f);
  }
}

module.exports = { WsClient, wsUrl, connectInit, startedSession, flush, WAIT_MS };
