// A protocol double of the Wazo surface bench_loadgen's Huard mode speaks (wazo-api.md 2.1,
// 3.2, 3.4, 3.5, 4, 5.3), used only to check the load generator before Huard's own API
// exists: `make bench` never reports its figures. Loopback only; exits after --max-time.
//
//   node bench/peers/wazo-mock.mjs [--max-time S]   prints "listening 127.0.0.1:PORT"
import http from 'node:http';
import crypto from 'node:crypto';
import { WebSocketServer } from 'ws';

const maxTime = Number(process.argv[process.argv.indexOf('--max-time') + 1]) || 120;
const tenant = crypto.randomUUID();
const wazo = crypto.randomUUID();
const users = new Map(); // name -> uuid
const tokens = new Map(); // token -> uuid
const rooms = new Map(); // room uuid -> {uuid, name, users: [uuid], messages: []}
const sessions = new Map(); // user uuid -> Set(ws)

function send(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function chatdError(res, status, message, errorId) {
  send(res, status, { message, error_id: errorId, details: {}, timestamp: Date.now() / 1000 });
}

const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && url.pathname === '/api/auth/0.1/token') {
      const auth = Buffer.from((req.headers.authorization || '').replace(/^Basic /, ''), 'base64').toString();
      const [name, pw] = [auth.slice(0, auth.indexOf(':')), auth.slice(auth.indexOf(':') + 1)];
      if (pw !== 'pw') {
        return send(res, 401, { reason: ['Authentication Failed'], timestamp: [Date.now() / 1000], status_code: 401 });
      }
      if (!users.has(name)) users.set(name, crypto.randomUUID());
      const token = crypto.randomUUID();
      tokens.set(token, users.get(name));
      return send(res, 200, { data: { token, acl: ['websocketd'], metadata: { uuid: users.get(name), tenant_uuid: tenant } } });
    }
    const me = tokens.get(req.headers['x-auth-token']);
    if (!me) return chatdError(res, 401, 'Unauthorized', 'unauthorized');
    let m;
    if (req.method === 'POST' && url.pathname === '/api/chatd/1.0/users/me/rooms') {
      const b = JSON.parse(body);
      const members = b.users.map((u) => u.uuid);
      if (!members.includes(me)) members.push(me);
      const room = { uuid: crypto.randomUUID(), name: b.name ?? null, users: members, messages: [] };
      rooms.set(room.uuid, room);
      return send(res, 201, { uuid: room.uuid, tenant_uuid: tenant, name: room.name,
        users: members.map((u) => ({ uuid: u, tenant_uuid: tenant, wazo_uuid: wazo })) });
    }
    if ((m = url.pathname.match(/^\/api\/chatd\/1\.0\/users\/me\/rooms\/([^/]+)\/members$/)) && req.method === 'POST') {
      const room = rooms.get(m[1]);
      if (!room) return chatdError(res, 404, 'No such room', 'unknown-room');
      for (const u of JSON.parse(body).users) if (!room.users.includes(u.uuid)) room.users.push(u.uuid);
      return send(res, 201, {});
    }
    if ((m = url.pathname.match(/^\/api\/chatd\/1\.0\/users\/me\/rooms\/([^/]+)\/messages$/))) {
      const room = rooms.get(m[1]);
      if (!room || !room.users.includes(me)) return chatdError(res, 404, 'No such room', 'unknown-room');
      if (req.method === 'GET') {
        const limit = Number(url.searchParams.get('limit') ?? room.messages.length);
        const items = room.messages.slice(-limit).reverse();
        return send(res, 200, { items, filtered: room.messages.length, total: room.messages.length });
      }
      const b = JSON.parse(body);
      const msg = { uuid: crypto.randomUUID(), content: b.content, alias: b.alias ?? null, user_uuid: me,
        tenant_uuid: tenant, wazo_uuid: wazo, created_at: new Date().toISOString(), room: { uuid: room.uuid } };
      room.messages.push(msg);
      send(res, 201, msg);
      for (const u of room.users) {
        const frame = JSON.stringify({ op: 'event', code: 0, data: {
          name: 'chatd_user_room_message_created', origin_uuid: wazo, timestamp: msg.created_at,
          tenant_uuid: tenant, room_uuid: room.uuid, [`user_uuid:${u}`]: true,
          required_acl: `events.chatd.users.${u}.rooms.${room.uuid}.messages.created`,
          required_access: 'event.chatd_user_room_message_created', data: msg } });
        for (const ws of sessions.get(u) ?? []) if (ws.started) ws.send(frame);
      }
      return undefined;
    }
    return chatdError(res, 404, 'Not found', 'not-found');
  });
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, sock, head) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname !== '/api/websocketd/') return sock.destroy();
  wss.handleUpgrade(req, sock, head, (ws) => {
    const user = tokens.get(url.searchParams.get('token'));
    if (!user) return ws.close(4002, 'authentication failed');
    if (!sessions.has(user)) sessions.set(user, new Set());
    sessions.get(user).add(ws);
    ws.on('close', () => sessions.get(user).delete(ws));
    ws.send(JSON.stringify({ op: 'init', code: 0, data: { version: 2 } }));
    ws.on('message', (data) => {
      const msg = JSON.parse(data);
      if (msg.op === 'subscribe') ws.send(JSON.stringify({ op: 'subscribe', code: 0, data: null }));
      else if (msg.op === 'start') { ws.started = true; ws.send(JSON.stringify({ op: 'start', code: 0, data: null })); }
      else ws.close(4004);
    });
    return undefined;
  });
});

server.listen(0, '127.0.0.1', () => console.log(`listening 127.0.0.1:${server.address().port}`));
setTimeout(() => process.exit(0), maxTime * 1000).unref();
