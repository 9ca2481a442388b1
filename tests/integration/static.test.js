'use strict';
// Static files (src/http/static.c): content types, ETag / If-None-Match, Range, path safety.
// Served here from the data folder through a test-only route.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, rawExchange, parseResponses, hasResponses } = require('./lib/server');

let server;
let base;
const CONTENT = '0123456789abcdefghij'; // 20 bytes

before(async () => {
  server = await startServer({ env: { HUARD_TEST_HOOKS: '1' } });
  fs.mkdirSync(path.join(server.dataDir, 'ui'));
  fs.writeFileSync(path.join(server.dataDir, 'ui', 'index.html'), '<!doctype html><p>hi</p>');
  fs.writeFileSync(path.join(server.dataDir, 'ui', 'app.js'), CONTENT);
  fs.writeFileSync(path.join(server.dataDir, '.secret'), 'no');
  base = `${server.url}/api/huard/1.0/test/static`;
});

after(async () => {
  await server.stop();
});

test('serves a file with its content type, ETag and Accept-Ranges', async () => {
  const res = await fetch(`${base}/ui/app.js`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(res.headers.get('accept-ranges'), 'bytes');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(res.headers.get('etag'), /^"[0-9a-f]+-[0-9a-f]+"$/);
  assert.ok(res.headers.get('last-modified'));
  assert.equal(await res.text(), CONTENT);
});

test('a directory path serves its index.html', async () => {
  const res = await fetch(`${base}/ui/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(await res.text(), /<p>hi<\/p>/);
});

test('If-None-Match with the current ETag is 304 without a body', async () => {
  const etag = (await fetch(`${base}/ui/app.js`)).headers.get('etag');
  const res = await fetch(`${base}/ui/app.js`, { headers: { 'if-none-match': `"other", ${etag}` } });
  assert.equal(res.status, 304);
  assert.equal(res.headers.get('etag'), etag);
  assert.equal(await res.text(), '');
  const changed = await fetch(`${base}/ui/app.js`, { headers: { 'if-none-match': '"stale"' } });
  assert.equal(changed.status, 200);
});

test('Range: bytes=a-b, a- and -n give 206 with Content-Range', async () => {
  const cases = [
    ['bytes=2-5', '2345', 'bytes 2-5/20'],
    ['bytes=15-', 'fghij', 'bytes 15-19/20'],
    ['bytes=-3', 'hij', 'bytes 17-19/20'],
    ['bytes=10-999', 'abcdefghij', 'bytes 10-19/20'],
  ];
  for (const [range, body, cr] of cases) {
    const res = await fetch(`${base}/ui/app.js`, { headers: { range } });
    assert.equal(res.status, 206, range);
    assert.equal(res.headers.get('content-range'), cr, range);
    assert.equal(await res.text(), body, range);
  }
});

test('an unsatisfiable range is 416 with bytes */size', async () => {
  const res = await fetch(`${base}/ui/app.js`, { headers: { range: 'bytes=20-30' } });
  assert.equal(res.status, 416);
  assert.equal(res.headers.get('content-range'), 'bytes */20');
  assert.equal((await res.json()).error_id, 'range-not-satisfiable');
});

test('several ranges or a stale If-Range give the whole file', async () => {
  const multi = await fetch(`${base}/ui/app.js`, { headers: { range: 'bytes=0-1,4-5' } });
  assert.equal(multi.status, 200);
  assert.equal(await multi.text(), CONTENT);
  const stale = await fetch(`${base}/ui/app.js`, { headers: { range: 'bytes=0-1', 'if-range': '"old"' } });
  assert.equal(stale.status, 200);
});

test('missing files, hidden files and .. are 404', async () => {
  assert.equal((await fetch(`${base}/ui/none.js`)).status, 404);
  assert.equal((await fetch(`${base}/.secret`)).status, 404);
  // fetch normalises "..": send it raw.
  const { data } = await rawExchange(
    server.port,
    'GET /api/huard/1.0/test/static/ui/../.secret HTTP/1.1\r\nHost: t\r\n\r\n',
    { until: hasResponses(1) }
  );
  assert.equal(parseResponses(data)[0].status, 404);
  const { data: d2 } = await rawExchange(
    server.port,
    'GET /api/huard/1.0/test/static/ui/%2e%2e/.secret HTTP/1.1\r\nHost: t\r\n\r\n',
    { until: hasResponses(1) }
  );
  assert.equal(parseResponses(d2)[0].status, 404);
});
