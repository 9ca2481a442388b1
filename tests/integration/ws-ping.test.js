'use strict';
// WebSocket liveness: the server pings every ws_ping_interval (200 ms here) and closes a
// session after two unanswered pings (close 1008 "ping timeout").

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { startServer, waitUntil } = require('./lib/server');

const INTERVAL_MS = 200;
let server;

before(async () => {
  server = await startServer({ env: { HUARD_TEST_HOOKS: '1', HUARD_WS_PING_INTERVAL: `${INTERVAL_MS}ms` } });
});

after(async () => {
  await server.stop();
});

function open(opts) {
  const ws = new WebSocket(`${server.wsUrl}/api/huard/1.0/test/ws/`, opts);
  ws.pings = 0;
  ws.on('ping', () => ws.pings++);
  ws.on('error', () => {});
  ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (req, res) => reject(new Error(`status ${res.statusCode}`)));
  });
}

test('server pings; a client that answers stays open', async () => {
  const ws = await open();
  let closed = false;
  ws.closed.then(() => {
    closed = true;
  });
  // Five pings answered means at least three ping periods past the two-miss limit.
  await waitUntil(() => ws.pings >= 5, 10000, 'five server pings');
  assert.equal(closed, false);
  assert.equal(ws.readyState, WebSocket.OPEN);
  ws.send('still here');
  ws.close(1000);
  assert.equal((await ws.closed).code, 1000);
});

test('a client that does not answer pings is closed after two missed', async () => {
  const ws = await open({ autoPong: false });
  let timer;
  const info = await Promise.race([
    ws.closed,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('not closed within 10 s')), 10000);
    }),
  ]);
  clearTimeout(timer);
  assert.equal(info.code, 1008);
  assert.equal(info.reason, 'ping timeout');
  // Two unanswered pings, then the close on the third period.
  assert.equal(ws.pings, 2);
  await server.waitForLog(/msg=ws_ping_timeout conn=\d+ missed=2/, 5000);
});
