'use strict';
// Upgraded sockets are detached from libmicrohttpd (src/http/server.c, struct http_upgraded):
// open WebSockets no longer use MHD's connection slots, so REST keeps answering when as many
// WebSockets as --connection_limit are open, and the next upgrade past the limit gets a 503
// in the Wazo error shape instead of a refused connection.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { startServer } = require('./lib/server');

const LIMIT = 3;
let server;

before(async () => {
  server = await startServer({ env: { HUARD_TEST_HOOKS: '1' }, args: ['--connection_limit', String(LIMIT)] });
});

after(async () => {
  await server.stop();
});

function open() {
  const ws = new WebSocket(`${server.wsUrl}/api/huard/1.0/test/ws/`);
  ws.on('error', () => {});
  ws.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    // The test protocol greets with an init frame: wait for it, so echoes below are ours.
    ws.once('message', (data) => {
      assert.match(data.toString(), /"op":"init"/);
      resolve(ws);
    });
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode, body })));
    });
  });
}

function echo(ws, text) {
  return new Promise((resolve) => {
    ws.once('message', (data) => resolve(data.toString()));
    ws.send(text);
  });
}

test('open WebSockets leave MHD connection slots to REST; the cap still holds for upgrades', async () => {
  const socks = [];
  for (let i = 0; i < LIMIT; i++) socks.push(await open());
  // Every socket still works once MHD has let go of its connection.
  for (let i = 0; i < LIMIT; i++) assert.equal(await echo(socks[i], `hello ${i}`), `hello ${i}`);

  // REST answers on fresh connections while LIMIT WebSockets are open (MHD counted them before).
  for (let i = 0; i < LIMIT; i++) {
    const res = await fetch(`${server.url}/api/chatd/1.0/status`, { headers: { Connection: 'close' } });
    assert.ok(res.status < 500, `status ${res.status}`);
    await res.arrayBuffer();
  }

  // One more upgrade: 503, Wazo error shape.
  const err = await open().then(
    () => null,
    (e) => e,
  );
  assert.ok(err, 'upgrade past the limit was accepted');
  assert.equal(err.status, 503);
  const body = JSON.parse(err.body);
  assert.equal(body.error_id, 'service-unavailable');
  assert.equal(typeof body.message, 'string');

  // Closing one frees its slot; the socket really closes (FIN reaches the client).
  socks[0].close(1000);
  assert.equal(await socks[0].closed, 1000);
  const again = await open();
  assert.equal(await echo(again, 'again'), 'again');
  for (const ws of [again, ...socks.slice(1)]) {
    ws.close(1000);
    assert.equal(await ws.closed, 1000);
  }
});
