'use strict';
// WebSocket transport of `huard serve`: upgrade, echo, extra_in, message cap (1009),
// slow consumer cut at the send queue cap (1013) while another client gets everything.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const WebSocket = require('ws');
const { startServer, rawExchange, waitUntil } = require('./lib/server');

const INIT = '{"op":"init","code":0,"data":{"version":2}}';
let server;

before(async () => {
  // A small send queue so the slow consumer is cut after a few MiB, not tens.
  server = await startServer({ env: { HUARD_TEST_HOOKS: '1', HUARD_WS_QUEUE_MAX: '256k' } });
});

after(async () => {
  await server.stop();
});

// Opens a client and resolves once the init frame arrived; collects later messages.
function connect(opts = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.wsUrl}/api/huard/1.0/test/ws/?token=t&version=2`, opts);
    ws.messages = [];
    ws.closeInfo = null;
    ws.closed = new Promise((res) => {
      ws.on('close', (code, reason) => {
        ws.closeInfo = { code, reason: reason.toString() };
        res(ws.closeInfo);
      });
    });
    ws.on('error', () => {});
    ws.once('message', (data) => {
      if (data.toString() !== INIT) reject(new Error(`first frame ${data}`));
      ws.on('message', (d) => ws.messages.push(d.toString()));
      resolve(ws);
    });
    ws.once('unexpected-response', (req, res) => reject(new Error(`status ${res.statusCode}`)));
  });
}

// Resolves with the next message of ws (bounded).
function nextMessage(ws, timeoutMs = 5000) {
  const start = ws.messages.length;
  return waitUntil(() => ws.messages.length > start, timeoutMs, 'a message').then(() => ws.messages[start]);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

test('upgrade at /api/huard/1.0/test/ws/ sends init and echoes text', async () => {
  const ws = await connect();
  ws.send('hello');
  assert.equal(await nextMessage(ws), 'hello');
  const big = 'é'.repeat(20000); // 40 KB: several wslay chunks, one message
  ws.send(big);
  assert.equal(await nextMessage(ws), big);
  ws.close(1000);
  const info = await withTimeout(ws.closed, 5000, 'close');
  assert.equal(info.code, 1000);
});

test('a plain GET on the WebSocket path is 400, not an upgrade', async () => {
  const res = await fetch(`${server.url}/api/huard/1.0/test/ws/`);
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error_id, 'invalid-data');
});

test('a frame sent with the handshake (extra_in) is processed', async () => {
  const key = crypto.randomBytes(16).toString('base64');
  const payload = Buffer.from('early');
  const mask = crypto.randomBytes(4);
  const frame = Buffer.alloc(2 + 4 + payload.length);
  frame[0] = 0x81; // FIN + text
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i] ^ mask[i % 4];
  const handshake =
    'GET /api/huard/1.0/test/ws/ HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const expected = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  const { data } = await rawExchange(server.port, Buffer.concat([Buffer.from(handshake), frame]), {
    until: (buf) => buf.includes('early'),
  });
  const text = data.toString('latin1');
  assert.match(text, /^HTTP\/1\.1 101 /);
  assert.ok(text.includes(`Sec-WebSocket-Accept: ${expected}`), text);
  assert.ok(text.includes(INIT));
  // Server frames are unmasked text frames: 0x81, length, payload.
  const at = data.indexOf('early');
  assert.equal(data[at - 2], 0x81);
  assert.equal(data[at - 1], 5);
});

test('a message over the 64 KiB cap closes with 1009', async () => {
  const ws = await connect();
  ws.send('x'.repeat(70 * 1024));
  const info = await withTimeout(ws.closed, 5000, 'close 1009');
  assert.equal(info.code, 1009);
});

test('a client that never reads is cut at the queue cap; another gets every message', async () => {
  const reader = await connect();
  const slow = await connect();
  // The slow client stops reading from its socket: kernel buffers fill, then the queue.
  slow._socket.pause();
  const logFrom = server.stderr.length;
  const ROUND = 4; // messages of 64 KiB per flood round (256 KiB, at the cap for one round)
  const SIZE = 60 * 1024;
  let rounds = 0;
  let cut = false;
  // Each round waits for the reader to get everything, so the reader's queue never grows.
  while (!cut) {
    assert.ok(rounds < 600, 'slow consumer never cut after 600 rounds');
    reader.send(`flood ${ROUND} ${SIZE}`);
    const before = reader.messages.length;
    await waitUntil(
      () => reader.messages.length >= before + ROUND + 1,
      10000,
      `round ${rounds} delivered to the reader`
    );
    rounds++;
    cut = /msg=ws_slow_consumer/.test(server.stderr.slice(logFrom));
  }
  const flooded = reader.messages.filter((m) => m.length === SIZE);
  assert.equal(flooded.length, rounds * ROUND);
  assert.ok(flooded.every((m) => m === 'x'.repeat(SIZE)));
  assert.equal(reader.messages.filter((m) => m.startsWith('flooded ')).length, rounds);
  assert.equal(reader.readyState, WebSocket.OPEN);
  // The slow client, once it reads again, sees its data end and the connection close:
  // with the 1013 close frame when it fit in the socket, else an abnormal close (1006).
  slow._socket.resume();
  const info = await withTimeout(slow.closed, 10000, 'slow client closed');
  assert.ok([1013, 1006].includes(info.code), `close code ${info.code}`);
  reader.close(1000);
  await withTimeout(reader.closed, 5000, 'reader close');
});

test('messages larger than the server staging buffer arrive whole, in order, then the rest', async () => {
  // The server frames queued messages into a 64 KiB staging buffer: these span several fills
  // (two of them stay under this server's 256 KiB queue cap).
  const ws = await connect();
  const before = ws.messages.length;
  ws.send('flood 2 100000');
  ws.send('after the flood');
  await waitUntil(() => ws.messages.length >= before + 4, 10000, 'flood and echo delivered');
  const got = ws.messages.slice(before, before + 4);
  assert.deepEqual(
    got.slice(0, 2).map((m) => m.length),
    [100000, 100000]
  );
  assert.ok(got.slice(0, 2).every((m) => m === 'x'.repeat(100000)));
  assert.equal(got[2], 'flooded 2');
  assert.equal(got[3], 'after the flood');
  ws.close(1000);
  await withTimeout(ws.closed, 5000, 'close');
});

test('close frames are answered and the session is freed', async () => {
  const clients = await Promise.all([connect(), connect(), connect()]);
  for (const ws of clients) ws.close(1000, 'bye');
  const infos = await withTimeout(Promise.all(clients.map((c) => c.closed)), 5000, 'closes');
  for (const info of infos) assert.equal(info.code, 1000);
});

test('a worker handler hands an event to the loop after its answer (http_resp_after)', async () => {
  const a = await connect();
  const b = await connect();
  const res = await fetch(`${server.url}/api/huard/1.0/test/broadcast`, { method: 'POST', body: 'event-1' });
  assert.equal(res.status, 204);
  // The event may arrive before or after the HTTP answer is read: wait on the counts.
  await waitUntil(() => a.messages.length === 1 && b.messages.length === 1, 5000, 'the event on both');
  assert.deepEqual(a.messages, ['event-1']);
  assert.deepEqual(b.messages, ['event-1']);
  a.close(1000);
  b.close(1000);
  await withTimeout(Promise.all([a.closed, b.closed]), 5000, 'closes');
});

// A client frame (masked unless told otherwise), for the raw-socket tests below.
function clientFrame(opcode, payload, { fin = true, mask = true, rsv = 0 } = {}) {
  const body = Buffer.from(payload);
  assert.ok(body.length < 126);
  const key = crypto.randomBytes(4);
  const head = Buffer.from([(fin ? 0x80 : 0) | (rsv << 4) | opcode, (mask ? 0x80 : 0) | body.length]);
  const out = Buffer.from(body);
  if (mask) for (let i = 0; i < out.length; i++) out[i] ^= key[i % 4];
  return Buffer.concat(mask ? [head, key, out] : [head, out]);
}

// Opens a raw session, sends frames after the handshake; returns the server's frames
// ({opcode, payload}) and whether the server closed the connection.
async function rawSession(frames, until) {
  const key = crypto.randomBytes(16).toString('base64');
  const handshake =
    'GET /api/huard/1.0/test/ws/ HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  const parse = (data) => {
    const out = [];
    let off = data.indexOf('\r\n\r\n');
    if (off < 0) return out;
    off += 4;
    while (off + 2 <= data.length) {
      let len = data[off + 1] & 0x7f;
      let at = off + 2;
      if (len === 126) {
        if (at + 2 > data.length) break;
        len = data.readUInt16BE(at);
        at += 2;
      }
      if (at + len > data.length) break;
      out.push({ opcode: data[off] & 0x0f, fin: (data[off] & 0x80) !== 0, payload: data.subarray(at, at + len) });
      off = at + len;
    }
    return out;
  };
  const { data, closed } = await rawExchange(server.port, Buffer.concat([Buffer.from(handshake), ...frames]), {
    until: until ? (buf) => until(parse(buf)) : null,
  });
  assert.match(data.toString('latin1'), /^HTTP\/1\.1 101 /);
  return { frames: parse(data), closed };
}

// The status code of the server's Close frame, or null when it sent none.
function closeCode(frames) {
  const c = frames.find((f) => f.opcode === 0x8);
  return c ? c.payload.readUInt16BE(0) : null;
}

test('a fragmented text message is reassembled; a Ping between fragments gets its payload back', async () => {
  const { frames } = await rawSession(
    [
      clientFrame(0x1, 'frag', { fin: false }),
      clientFrame(0x0, 'men', { fin: false }),
      clientFrame(0x9, 'ping-42'),
      clientFrame(0x0, 'ted é'),
    ],
    (fs) => fs.some((f) => f.opcode === 0x1 && f.payload.toString() === 'fragmented é')
  );
  const pong = frames.find((f) => f.opcode === 0xa);
  assert.ok(pong, 'a Pong');
  assert.equal(pong.payload.toString(), 'ping-42');
  const texts = frames.filter((f) => f.opcode === 0x1).map((f) => f.payload.toString());
  assert.deepEqual(texts, [INIT, 'fragmented é']);
});

test('protocol errors close with 1002, invalid UTF-8 with 1007, and the connection ends', async () => {
  const cases = [
    ['unmasked frame', [clientFrame(0x1, 'hi', { mask: false })], 1002],
    ['RSV bit set', [clientFrame(0x1, 'hi', { rsv: 4 })], 1002],
    ['continuation without a message', [clientFrame(0x0, 'hi')], 1002],
    ['new message inside a fragmented one', [clientFrame(0x1, 'a', { fin: false }), clientFrame(0x1, 'b')], 1002],
    ['unknown opcode', [clientFrame(0x3, 'x')], 1002],
    ['fragmented Ping', [clientFrame(0x9, 'x', { fin: false })], 1002],
    ['Close with a one-byte payload', [clientFrame(0x8, Buffer.from([3]))], 1002],
    ['Close with an invalid code', [clientFrame(0x8, Buffer.from([0x03, 0xed]))], 1002], // 1005
    ['text that is not UTF-8', [clientFrame(0x1, Buffer.from([0x61, 0xc3, 0x28]))], 1007],
    ['a surrogate in text', [clientFrame(0x1, Buffer.from([0xed, 0xa0, 0x80]))], 1007],
    ['Close with code 4000 is echoed', [clientFrame(0x8, Buffer.from([0x0f, 0xa0]))], 4000],
  ];
  for (const [what, frames, code] of cases) {
    const res = await rawSession(frames, null);
    assert.equal(closeCode(res.frames), code, what);
    assert.ok(res.closed, `${what}: connection closed`);
    assert.ok(!res.frames.some((f) => f.opcode === 0x1 && f.payload.toString() !== INIT), `${what}: nothing echoed`);
  }
});
