'use strict';
// Proves the interop harness and the shipped nginx configuration before Huard's endpoints
// exist: nginx (contrib/nginx/huard.conf) in front of a throwaway Node server on loopback,
// reached over TLS with the harness's test CA, on HTTP/1.1, HTTP/2 and WebSocket.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const http = require('node:http');
const http2 = require('node:http2');
const https = require('node:https');
const WebSocket = require('ws');

const { startNginx } = require('./lib/nginx');

let upstream;
let wss;
let nginx;
let upstreamConnections = 0;

before(async () => {
  upstream = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({
      hello: 'through nginx',
      method: req.method,
      url: req.url,
      host: req.headers.host,
      xff: req.headers['x-forwarded-for'] ?? null,
      proto: req.headers['x-forwarded-proto'] ?? null,
    }));
  });
  upstream.on('connection', () => { upstreamConnections++; });
  wss = new WebSocket.Server({ noServer: true });
  upstream.on('upgrade', (req, socket, head) => {
    if (!req.url.startsWith('/api/websocketd/')) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({
        op: 'init', url: req.url, host: req.headers.host, xff: req.headers['x-forwarded-for'],
      }));
      ws.on('message', (data) => ws.send(data.toString()));
    });
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  nginx = await startNginx({ upstreamPort: upstream.address().port });
});

after(async () => {
  if (nginx) {
    const pid = nginx.pid;
    await nginx.stop();
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'nginx is gone after stop()');
  }
  wss?.close();
  await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve()));
});

function get1(path, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = https.get({
      host: '127.0.0.1', port: nginx.port, servername: 'localhost', path, ca: nginx.ca,
      headers: { host: nginx.host, ...headers }, agent: false,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body, alpn: res.socket?.alpnProtocol }));
    });
    req.on('error', reject);
  });
}

test('HTTP/1.1 through TLS reaches the upstream with the forwarded headers', async () => {
  const res = await get1('/api/chatd/1.0/status?x=1', { 'X-Forwarded-For': '6.6.6.6' });
  assert.equal(res.status, 200);
  const body = JSON.parse(res.body);
  assert.equal(body.hello, 'through nginx');
  assert.equal(body.url, '/api/chatd/1.0/status?x=1');
  assert.equal(body.host, 'localhost');
  assert.equal(body.xff, '127.0.0.1', 'a client-sent X-Forwarded-For is replaced');
  assert.equal(body.proto, 'https');
});

test('the certificate is refused without the test CA', async () => {
  await assert.rejects(new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: nginx.port, servername: 'localhost', path: '/',
      agent: false }, resolve).on('error', reject);
  }), /self[- ]signed|unable to (get|verify)/i);
});

test('HTTP/2 is negotiated and proxied', async () => {
  const session = http2.connect(nginx.origin, { ca: nginx.ca });
  try {
    const body = await new Promise((resolve, reject) => {
      const req = session.request({ ':path': '/api/auth/0.1/token', ':method': 'GET' });
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (d) => { data += d; });
      req.on('end', () => resolve(data));
      req.on('error', reject);
      req.end();
    });
    assert.equal(session.alpnProtocol, 'h2');
    assert.equal(JSON.parse(body).url, '/api/auth/0.1/token');
  } finally {
    session.close();
  }
});

test('upstream connections are kept alive and reused', async () => {
  const before = upstreamConnections;
  for (let i = 0; i < 10; i++) {
    const res = await get1(`/keepalive/${i}`);
    assert.equal(res.status, 200);
  }
  assert.ok(upstreamConnections - before < 10,
    `10 requests opened ${upstreamConnections - before} upstream connections`);
});

test('WebSocket upgrade on /api/websocketd/ with the test CA', async () => {
  const ws = new WebSocket(`${nginx.wsOrigin}/api/websocketd/?token=t&version=2`,
    { ca: nginx.ca });
  const messages = [];
  const done = new Promise((resolve, reject) => {
    ws.on('message', (d) => {
      messages.push(JSON.parse(d.toString()));
      if (messages.length === 1) {
        ws.send(JSON.stringify({ op: 'ping', data: { payload: 'pong' } }));
      } else {
        resolve();
      }
    });
    ws.on('error', reject);
  });
  await done;
  ws.close();
  assert.equal(messages[0].op, 'init');
  assert.equal(messages[0].url, '/api/websocketd/?token=t&version=2');
  assert.equal(messages[0].xff, '127.0.0.1', 'the WebSocket location sets X-Forwarded-For too');
  assert.equal(messages[0].host, 'localhost');
  assert.deepEqual(messages[1], { op: 'ping', data: { payload: 'pong' } });
});

test('global fetch trusts the test CA through NODE_EXTRA_CA_CERTS (the SDK path)', async () => {
  const script = `fetch(${JSON.stringify(`${nginx.origin}/via-fetch`)})
    .then((r) => r.json()).then((b) => process.stdout.write(JSON.stringify(b)))
    .catch((e) => { console.error(e.cause || e); process.exit(1); });`;
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: nginx.caFile }, timeout: 20000,
    }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
  assert.equal(JSON.parse(out).url, '/via-fetch');
});
