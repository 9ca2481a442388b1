'use strict';
// HTTP layer of `huard serve`: routing, Wazo error shape, caps, keep-alive, bad input.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, rawExchange, parseResponses, hasResponses } = require('./lib/server');

let server;

before(async () => {
  server = await startServer({ env: { HUARD_TEST_HOOKS: '1' }, args: ['--max-body', '1k'] });
});

after(async () => {
  await server.stop();
});

function assertWazoError(body, status, errorId) {
  assert.equal(typeof body.message, 'string');
  assert.equal(body.error_id, errorId, `error_id for ${status}`);
  assert.deepEqual(body.details, {});
  assert.equal(typeof body.timestamp, 'number');
  // A float epoch in seconds, close to now (wazo-api.md 1.3).
  assert.ok(Math.abs(body.timestamp - Date.now() / 1000) < 60, `timestamp ${body.timestamp}`);
}

test('chatd status requires a token: 401 in the chatd shape (wazo-api.md 3.8)', async () => {
  const res = await fetch(`${server.url}/api/chatd/1.0/status`);
  assert.equal(res.status, 401);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const body = await res.json();
  assert.equal(body.error_id, 'unauthorized');
  assert.equal(body.details.required_access, 'chatd.status.read');
});

test('huard readiness status answers without auth', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/status`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, 'ok');
});

test('unknown path is 404 not-found in the Wazo error shape', async () => {
  const res = await fetch(`${server.url}/api/chatd/1.0/nope`);
  assert.equal(res.status, 404);
  assertWazoError(await res.json(), 404, 'not-found');
});

test('trailing slash is a different path (Flask strictness)', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/status/`);
  assert.equal(res.status, 404);
});

test('known path with another method is 405 with Allow', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/status`, { method: 'DELETE' });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'GET, HEAD');
  assertWazoError(await res.json(), 405, 'method-not-allowed');
});

test('HEAD is served by the GET route without a body', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/status`, { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '');
});

test('worker route gets path params, decoded query, raw query string and JSON body', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/test/echo/alice?user_uuid=a%2Cb&x=1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'hé' }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.name, 'alice');
  assert.equal(body.query.user_uuid, 'a,b');
  assert.equal(body.query_string, 'user_uuid=a%2Cb&x=1');
  assert.deepEqual(body.json, { content: 'hé' });
  assert.equal(body.remote, '127.0.0.1');
});

test('a literal segment wins over a parameter', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/test/echo/fixed`);
  const body = await res.json();
  assert.equal(body.name, null);
  assert.equal(body.path, '/api/huard/1.0/test/echo/fixed');
});

test('X-Forwarded-For is trusted from a loopback peer', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/test/echo/x`, {
    headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' },
  });
  assert.equal((await res.json()).remote, '198.51.100.7');
});

async function remoteFor(xff) {
  const res = await fetch(`${server.url}/api/huard/1.0/test/echo/x`, {
    headers: { 'x-forwarded-for': xff },
  });
  assert.equal(res.status, 200);
  return (await res.json()).remote;
}

test('X-Forwarded-For from a loopback peer is used only when its last entry is an address', async () => {
  // Not addresses: the peer address stands.
  for (const xff of ['not-an-address', '198.51.100.7, evil', '999.1.2.3', '10.0.0.1 junk',
    '1.2.3.4.5', '2001:db8::1::2', 'a'.repeat(60), '198.51.100.7,']) {
    assert.equal(await remoteFor(xff), '127.0.0.1', `X-Forwarded-For: ${xff}`);
  }
  // IPv4 and IPv6 are taken, IPv6 in its canonical form.
  assert.equal(await remoteFor('evil, 198.51.100.7 '), '198.51.100.7');
  assert.equal(await remoteFor('2001:DB8:0:0::1'), '2001:db8::1');
  assert.equal(await remoteFor('::ffff:192.0.2.1'), '::ffff:192.0.2.1');
});

test('malformed JSON body is 400 invalid-data', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/test/echo/x`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"content": ',
  });
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error_id, 'invalid-data');
  assert.equal(typeof body.details.line, 'number');
});

test('declared body over the cap is 413', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/test/echo/x`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'x'.repeat(2000) }),
  });
  assert.equal(res.status, 413);
  assertWazoError(await res.json(), 413, 'payload-too-large');
});

test('chunked body growing past the cap is 413', async () => {
  const chunk = 'x'.repeat(600);
  const req =
    'POST /api/huard/1.0/test/echo/x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n' +
    `${chunk.length.toString(16)}\r\n${chunk}\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
  const { data } = await rawExchange(server.port, req, { until: hasResponses(1) });
  const [res] = parseResponses(data);
  assert.equal(res.status, 413);
  assert.equal(JSON.parse(res.body).error_id, 'payload-too-large');
});

test('request URI over the cap is 414', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/status?q=${'a'.repeat(5000)}`);
  assert.equal(res.status, 414);
  assertWazoError(await res.json(), 414, 'uri-too-long');
});

test('header block over the cap is 431', async () => {
  // Under MHD's 8 KiB connection pool, over our 8 KiB header cap? Both give 431: a 6 KiB
  // header passes our count; a 9 KiB one does not fit the pool. Check the larger one.
  const big = 'x'.repeat(9000);
  const req = `GET /api/huard/1.0/status HTTP/1.1\r\nHost: t\r\nX-Big: ${big}\r\n\r\n`;
  const { data } = await rawExchange(server.port, req, { until: hasResponses(1) });
  const [res] = parseResponses(data);
  assert.equal(res.status, 431);
  // The server is still up.
  assert.equal((await fetch(`${server.url}/api/huard/1.0/status`)).status, 200);
});

test('many headers over the cap but within the pool is 431 in the Wazo shape', async () => {
  const lines = [];
  for (let i = 0; i < 400; i++) lines.push(`X-H${i}: ${'v'.repeat(8)}`);
  // 400 headers of ~16 bytes: about 7.6 KB with our per-header overhead, past 8 KiB counted
  // with ": " and CRLF... but MHD may still refuse it first; accept either, both 431.
  const req = `GET /api/huard/1.0/status HTTP/1.1\r\nHost: t\r\n${lines.join('\r\n')}\r\n\r\n`;
  const { data } = await rawExchange(server.port, req, { until: hasResponses(1) });
  const [res] = parseResponses(data);
  assert.equal(res.status, 431);
});

test('garbage instead of HTTP is 400 and the server stays up', async () => {
  // A malformed request line is answered 400 by libmicrohttpd itself (its own HTML body:
  // 0.9.75 has no hook for parser errors) and the connection is closed.
  const { data, closed } = await rawExchange(server.port, 'hello there\r\n\r\n', { until: hasResponses(1) });
  const [res] = parseResponses(data);
  assert.equal(res.status, 400);
  assert.equal(res.headers.connection, 'close');
  const { data: data2 } = await rawExchange(server.port, 'GET / HTTP/9.9\r\n\r\n', { until: hasResponses(1) });
  assert.equal(parseResponses(data2)[0].status, 505);
  // A line with no space at all: MHD closes without an answer.
  const { closed: closed3 } = await rawExchange(server.port, 'garbage\r\n\r\n');
  assert.equal(closed3, true);
  assert.ok(closed || res.headers.connection === 'close');
  assert.equal((await fetch(`${server.url}/api/huard/1.0/status`)).status, 200);
});

test('binary junk on one connection does not disturb others', async () => {
  const net = require('node:net');
  const junk = net.connect(server.port, '127.0.0.1');
  await new Promise((resolve) => junk.on('connect', resolve));
  junk.on('error', () => {});
  junk.write(Buffer.from([0, 1, 2, 255, 254, 13, 10, 13, 10]));
  const res = await fetch(`${server.url}/api/huard/1.0/status`);
  assert.equal(res.status, 200);
  junk.destroy();
});

test('keep-alive: two requests on one connection, one on a worker', async () => {
  const req =
    'GET /api/huard/1.0/status HTTP/1.1\r\nHost: t\r\n\r\n' +
    'GET /api/huard/1.0/test/echo/ka HTTP/1.1\r\nHost: t\r\n\r\n';
  const { data, closed } = await rawExchange(server.port, req, { until: hasResponses(2) });
  const responses = parseResponses(data);
  assert.equal(closed, false, 'server closed the connection');
  assert.equal(responses.length, 2);
  assert.equal(responses[0].status, 200);
  assert.notEqual(responses[0].headers.connection, 'close');
  assert.equal(responses[1].status, 200);
  assert.equal(JSON.parse(responses[1].body).name, 'ka');
});

test('many concurrent worker requests all complete', async () => {
  const all = [];
  for (let i = 0; i < 200; i++) {
    all.push(fetch(`${server.url}/api/huard/1.0/test/echo/n${i}`).then((r) => r.json()));
  }
  const bodies = await Promise.all(all);
  bodies.forEach((b, i) => assert.equal(b.name, `n${i}`));
});
