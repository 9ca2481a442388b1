'use strict';
// Process lifecycle: `huard serve --help`, bad options, SIGTERM with open connections drains
// (WebSocket close 1001) and exits 0 with no sanitizer report.

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');
const WebSocket = require('ws');
const { startServer } = require('./lib/server');

const BINARY = process.env.HUARD_BINARY || path.resolve(__dirname, '../../build/dev/huard');

test('serve --help prints usage and exits 0', () => {
  const r = spawnSync(BINARY, ['serve', '--help'], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /usage: huard serve/);
  assert.match(r.stdout, /--listen HOST:PORT/);
});

test('a bad option value stops start-up with exit 2 and names the option', () => {
  const r = spawnSync(BINARY, ['serve', '--listen', 'nowhere'], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /option 'listen': invalid address 'nowhere'/);
});

test('SIGTERM closes WebSockets with 1001, drops idle keep-alive, exits 0 without leaks', async () => {
  const server = await startServer({ env: { HUARD_TEST_HOOKS: '1' } });
  const ws = new WebSocket(`${server.wsUrl}/api/huard/1.0/test/ws/`);
  ws.on('error', () => {});
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    ws.once('message', resolve); // init frame
    ws.once('unexpected-response', () => reject(new Error('no upgrade')));
  });
  // An idle keep-alive HTTP connection too.
  const idle = net.connect(server.port, '127.0.0.1');
  idle.on('error', () => {});
  await new Promise((resolve) => {
    idle.write('GET /api/huard/1.0/status HTTP/1.1\r\nHost: t\r\n\r\n');
    idle.once('data', resolve);
  });
  await server.stop(); // asserts exit code 0 and no sanitizer report
  assert.equal(await closed, 1001);
  assert.match(server.stderr, /msg=draining/);
  assert.match(server.stderr, /msg=stopped/);
  idle.destroy();
});

test('a second server on a busy port fails to start with exit 1', async () => {
  const server = await startServer();
  const r = spawnSync(BINARY, ['serve', '--listen', `127.0.0.1:${server.port}`, '--data', server.dataDir], {
    encoding: 'utf8',
    timeout: 10000,
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /msg=listen_failed/);
  await server.stop();
});
